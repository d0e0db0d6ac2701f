"""State in workspace files (`state: workspace:/path`), so CI runners share it.

The lock is a lease: a file created with `overwrite=false` (create-if-absent), then read back
to check that we own it (the reference marks concurrent-create atomicity as unverified). Its
holder renews it while it runs; a lease left to lapse (a runner cancelled or killed mid-run)
is taken over by the next run, so no one needs `force-unlock` after a cancelled CI job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.errors import ApiError
from provisioner.state.lock import LockInfo
from provisioner.workspace.api import workspace_files
from provisioner.workspace.errors import is_already_exists, is_not_found

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


LEASE_SECONDS = 60.0
"""How long a lock outlives its last renewal. The holder renews at a third of it, so a slow
call or two never lose it; hosts' clocks are assumed within seconds of each other (NTP)."""


class WorkspaceFilesBackend:
    def __init__(self, client: WorkspaceClient, directory: str, target: str,
                 *, lease_seconds: float = LEASE_SECONDS):
        self.client = client
        self.lease_seconds = lease_seconds
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
        """Create the lock file if absent; a lapsed lease is removed and the create tried once
        more. On failure return who holds it."""
        workspace_files.mkdirs(self.client, self.directory)
        for _ in range(2):
            try:
                workspace_files.write(self.client, self.lock_path,
                                      info.leased(self.lease_seconds).to_json().encode(),
                                      overwrite=False)
            except ApiError as exc:
                if not is_already_exists(exc):
                    raise
                holder = self.read_lock()
                if holder is None or not holder.expired:
                    return holder or info
                self.unlock(holder.id)  # only if it is still that lapsed lease
                continue
            holder = self.read_lock()
            return None if holder is not None and holder.id == info.id else (holder or info)
        return self.read_lock() or info

    def renew(self, info: LockInfo) -> bool:
        """Extend our lease; False when it is no longer ours (it lapsed and another run took
        it, or someone forced it open)."""
        holder = self.read_lock()
        if holder is None or holder.id != info.id:
            return False
        workspace_files.write(self.client, self.lock_path,
                              info.leased(self.lease_seconds).to_json().encode(), overwrite=True)
        return True

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
