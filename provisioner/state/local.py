"""The default backend: `.provisioner/state/<target>.json` beside the stack, with its lock.

The lock is an OS lock (`flock`) on `<target>.lock`, held on an open file for the run's
lifetime: the kernel releases it when its holder exits, however it exits (`kill -9`
included), so a dead run never blocks the next one (Terraform's local state lock is an
`fcntl` lock for the same reason: internal/states/statemgr/filesystem_lock_unix.go). The file
also says who holds it, for the message another run shows.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from provisioner.diagnostics import error
from provisioner.errors import UserError
from provisioner.state.lock import LockInfo


class LocalBackend:
    lease_seconds: float | None = None
    """An OS lock needs no renewing: it lives exactly as long as its holder."""

    def __init__(self, directory: Path, target: str):
        self.directory = directory
        self.path = directory / f"{target}.json"
        self.backup_path = directory / f"{target}.json.backup"
        self.lock_path = directory / f"{target}.lock"
        self._held: dict[str, int] = {}  # lock ID -> the descriptor holding its flock

    def __str__(self) -> str:
        return str(self.path)

    @property
    def backup_location(self) -> str:
        return str(self.backup_path)

    def read(self) -> str | None:
        return _read(self.path)

    def read_backup(self) -> str | None:
        return _read(self.backup_path)

    def write(self, text: str) -> None:
        """Atomic: a crash leaves the old file or the new one, never half of either; a
        failed write (read-only folder, full disk) leaves the old one and no temporary file."""
        with _reported("write the state", self.path):
            self.directory.mkdir(parents=True, exist_ok=True)
            previous = self.read()
            if previous is not None:
                _atomic_write(self.backup_path, previous)
            _atomic_write(self.path, text)

    def try_lock(self, info: LockInfo) -> LockInfo | None:
        """Take the OS lock without waiting; on failure return who holds it."""
        with _reported("lock the state", self.lock_path):
            self.directory.mkdir(parents=True, exist_ok=True)
            for attempt in range(3):
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    holder = self.read_lock()
                    if holder is not None or attempt == 2:
                        return holder or info  # its holder is still writing who it is
                    continue  # released just now: try again
                if _is_current(fd, self.lock_path):
                    break
                os.close(fd)  # its holder removed that file as we opened it: take the new one
            else:
                return self.read_lock() or info
            self._held[info.id] = fd  # from here on, unlock(info.id) releases it
            try:
                os.ftruncate(fd, 0)
                os.write(fd, info.to_json().encode())
                os.fsync(fd)
            except BaseException:
                self.unlock(info.id)
                raise
        return None

    def renew(self, info: LockInfo) -> bool:
        return info.id in self._held

    def read_lock(self) -> LockInfo | None:
        """Who holds the lock, or None when nobody does (a file a dead run left is not a
        lock: the kernel released it)."""
        try:
            fd = os.open(self.lock_path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # held
            else:
                return None
            try:
                return LockInfo.from_json(os.read(fd, 1 << 16).decode())
            except (ValueError, KeyError, TypeError):
                return None
        finally:
            os.close(fd)

    def unlock(self, lock_id: str) -> bool:
        """Release our lock; or, as `force-unlock`'s last resort, remove the file of a holder
        that is alive (the next run then locks a new file). True when something was
        released."""
        fd = self._held.pop(lock_id, None)
        if fd is not None:
            try:
                if _is_current(fd, self.lock_path):
                    with contextlib.suppress(FileNotFoundError):
                        self.lock_path.unlink()
            finally:
                os.close(fd)  # releases the flock
            return True
        holder = self.read_lock()
        if holder is None or holder.id == lock_id:
            # A file no one holds (a run stopped between creating and locking it) is not a
            # lock: removing it is safe, as a run locking it checks it is still the current
            # file. One a living holder holds goes only when its ID is named (force-unlock).
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()
        return holder is not None and holder.id == lock_id


def _is_current(fd: int, path: Path) -> bool:
    """Whether `fd` is still the file at `path` (a holder unlinks it when it releases)."""
    try:
        here = os.stat(path)
    except FileNotFoundError:
        return False
    there = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _read(path: Path) -> str | None:
    with _reported("read the state", path):
        try:
            return path.read_text()
        except FileNotFoundError:
            return None


@contextlib.contextmanager
def _reported(what: str, path: Path):
    """An OS error is the user's to fix (permissions, a full disk), said as such."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, BlockingIOError):
            raise
        hints = {errno.ENOSPC: "free some disk space: the previous state is intact",
                 errno.EDQUOT: "free some disk quota: the previous state is intact",
                 errno.EACCES: "make the folder writable, or point PROVISIONER_DIR elsewhere",
                 errno.EPERM: "make the folder writable, or point PROVISIONER_DIR elsewhere",
                 errno.EROFS: "the file system is read-only: point PROVISIONER_DIR elsewhere"}
        raise UserError([error(f"cannot {what} {exc.filename or path}: "
                               f"{exc.strerror or exc}", hint=hints.get(exc.errno))]) from None


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _write_synced(temporary, text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
