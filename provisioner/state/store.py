"""A stack's state for one target: read, write after each resource, lock around writes."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

from provisioner.diagnostics import error
from provisioner.errors import InternalError, UserError
from provisioner.state.lock import LockInfo, wait_for_lock
from provisioner.state.model import DAMAGED_HINT, DamagedState, ResourceState, State


class Backend(Protocol):
    """Where a state document lives: a local file or a workspace file."""

    backup_location: str
    """Where `read_backup` reads: the document as it was before the last write."""

    def read(self) -> str | None: ...
    def read_backup(self) -> str | None: ...
    def write(self, text: str) -> None: ...
    def try_lock(self, info: LockInfo) -> LockInfo | None: ...
    def read_lock(self) -> LockInfo | None: ...
    def unlock(self, lock_id: str) -> bool: ...


class StateStore:
    """Thread-safe: apply workers record results concurrently, each write is whole."""

    def __init__(self, backend: Backend, stack: str, target: str):
        self.backend = backend
        self.stack = stack
        self.target = target
        self._mutex = threading.Lock()
        self._state: State | None = None
        self._held: LockInfo | None = None

    def load(self) -> State:
        """The current state, or a new empty one (fresh lineage) when there is none yet."""
        text = self.backend.read()
        if text is None:
            self._state = State(self.stack, self.target)
        else:
            try:
                self._state = State.from_json(text, str(self.backend))
            except DamagedState as exc:
                raise UserError([dataclasses.replace(d, hint=self._restore_hint())
                                 for d in exc.diagnostics]) from None
            if self._state.stack != self.stack:
                raise UserError([error(
                    f"state {self.backend} belongs to stack '{self._state.stack}', "
                    f"not '{self.stack}'")])
        return self._state

    def _restore_hint(self) -> str:
        """Offer the backup from before the last write, when it is whole."""
        text = self.backend.read_backup()
        try:
            backup = State.from_json(text, self.backend.backup_location) if text else None
        except UserError:
            backup = None
        if backup is None:
            return DAMAGED_HINT.replace("restore its backup, or remove", "remove")
        return (f"the backup from before the last write (serial {backup.serial}, "
                f"{len(backup.resources)} resources) is {self.backend.backup_location}: copy "
                f"it over {self.backend} to restore it (the next plan adopts what was made "
                "after it), or remove the state: the next plan adopts existing resources by "
                "name")

    @property
    def state(self) -> State:
        return self._state if self._state is not None else self.load()

    def record(self, address: str, resource: ResourceState | None) -> State:
        """Set or remove one address and write the whole document at once; only under the
        lock, so work abandoned by an interrupted apply can never write after it is released
        (and another run holds it)."""
        with self._mutex:
            if self._held is None:
                raise InternalError(f"state {self.backend} written without holding its lock")
            self._state = self.state.with_resource(address, resource)
            self.backend.write(self._state.to_json())
            return self._state

    @contextlib.contextmanager
    def locked(self, operation: str, timeout: float = 0.0,
               waiting: Callable[[LockInfo, float], None] | None = None) -> Iterator[LockInfo]:
        info = LockInfo(operation)
        try:
            wait_for_lock(lambda: self.backend.try_lock(info),
                          f"stack '{self.stack}' target '{self.target}'", timeout,
                          waiting=waiting)
        except KeyboardInterrupt:  # it may come just after the lock was taken
            self.backend.unlock(info.id)
            raise
        self._held = info
        try:
            yield info
        finally:
            with self._mutex:  # a write in progress completes first; none starts after
                self._held = None
            self.backend.unlock(info.id)

    def force_unlock(self, lock_id: str) -> LockInfo:
        holder = self.backend.read_lock()
        if holder is None:
            raise UserError([error(f"stack '{self.stack}' target '{self.target}' is not locked")])
        if holder.id != lock_id or not self.backend.unlock(lock_id):
            raise UserError([error(f"the lock's ID is {holder.id}, not {lock_id}",
                                   hint=f"the lock is {holder.describe()}")])
        return holder
