"""The default backend: `.provisioner/state/<target>.json` beside the stack, with its lock."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from provisioner.state.lock import LockInfo


class LocalBackend:
    def __init__(self, directory: Path, target: str):
        self.directory = directory
        self.path = directory / f"{target}.json"
        self.backup_path = directory / f"{target}.json.backup"
        self.lock_path = directory / f"{target}.lock"

    def __str__(self) -> str:
        return str(self.path)

    @property
    def backup_location(self) -> str:
        return str(self.backup_path)

    def read(self) -> str | None:
        try:
            return self.path.read_text()
        except FileNotFoundError:
            return None

    def read_backup(self) -> str | None:
        try:
            return self.backup_path.read_text()
        except FileNotFoundError:
            return None

    def write(self, text: str) -> None:
        """Atomic: a crash leaves the old file or the new one, never half of either."""
        self.directory.mkdir(parents=True, exist_ok=True)
        previous = self.read()
        if previous is not None:
            _atomic_write(self.backup_path, previous)
        _atomic_write(self.path, text)

    def try_lock(self, info: LockInfo) -> LockInfo | None:
        """Create the lock file exclusively; on failure return who holds it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.lock_path.with_name(f".{self.lock_path.name}.{info.id}.tmp")
        _write_synced(temporary, info.to_json())
        try:
            # link() creates the name only if it is free, with the content already in place:
            # a run killed at any point never leaves a lock file that is empty or half written.
            os.link(temporary, self.lock_path)
        except FileExistsError:
            return self.read_lock() or info  # unreadable: treat as held
        finally:
            temporary.unlink()
        return None

    def read_lock(self) -> LockInfo | None:
        try:
            return LockInfo.from_json(self.lock_path.read_text())
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def unlock(self, lock_id: str) -> bool:
        """Remove the lock if it has this ID; True when it was removed."""
        holder = self.read_lock()
        if holder is None or holder.id != lock_id:
            return False
        with contextlib.suppress(FileNotFoundError):
            self.lock_path.unlink()
        return True


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _write_synced(temporary, text)
    os.replace(temporary, path)
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
