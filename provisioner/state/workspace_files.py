"""State in workspace files (`state: workspace:/path`), so CI runners share it.

The lock is a file created with `overwrite=false` (create-if-absent), then read back to check
that we own it, since the reference marks concurrent-create atomicity as unverified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.errors import ApiError
from provisioner.state.lock import LockInfo
from provisioner.workspace.api import workspace_files
from provisioner.workspace.errors import is_already_exists, is_not_found

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


class WorkspaceFilesBackend:
    def __init__(self, client: WorkspaceClient, directory: str, target: str):
        self.client = client
        self.directory = directory.rstrip("/")
        self.path = f"{self.directory}/{target}.json"
        self.backup_path = f"{self.directory}/{target}.backup.json"
        self.lock_path = f"{self.directory}/{target}.lock.json"

    def __str__(self) -> str:
        return f"workspace:{self.path}"

    @property
    def backup_location(self) -> str:
        return f"workspace:{self.backup_path}"

    def read(self) -> str | None:
        data = workspace_files.read(self.client, self.path)
        return None if data is None else data.decode()

    def read_backup(self) -> str | None:
        data = workspace_files.read(self.client, self.backup_path)
        return None if data is None else data.decode()

    def write(self, text: str) -> None:
        workspace_files.mkdirs(self.client, self.directory)
        previous = workspace_files.read(self.client, self.path)
        if previous is not None:
            workspace_files.write(self.client, self.backup_path, previous, overwrite=True)
        workspace_files.write(self.client, self.path, text.encode(), overwrite=True)

    def try_lock(self, info: LockInfo) -> LockInfo | None:
        workspace_files.mkdirs(self.client, self.directory)
        try:
            workspace_files.write(self.client, self.lock_path, info.to_json().encode(),
                                  overwrite=False)
        except ApiError as exc:
            if not is_already_exists(exc):
                raise
            return self.read_lock() or info
        holder = self.read_lock()
        return None if holder is not None and holder.id == info.id else (holder or info)

    def read_lock(self) -> LockInfo | None:
        data = workspace_files.read(self.client, self.lock_path)
        try:
            return None if data is None else LockInfo.from_json(data.decode())
        except (ValueError, KeyError, TypeError):
            return None

    def unlock(self, lock_id: str) -> bool:
        holder = self.read_lock()
        if holder is None or holder.id != lock_id:
            return False
        try:
            workspace_files.delete(self.client, self.lock_path)
        except ApiError as exc:
            if not is_not_found(exc):
                raise
        return True
