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
    lease_seconds: float | None
    """A lock that lapses unless renewed (seconds), or None for one that lives exactly as
    long as its holder."""

    def read(self) -> str | None: ...
    def read_backup(self) -> str | None: ...
    def write(self, text: str) -> None: ...
    def try_lock(self, info: LockInfo) -> LockInfo | None:
        """Take the lock if it is free; else return who holds it."""
    def renew(self, info: LockInfo) -> bool:
        """Keep holding it; False when it is no longer ours."""
    def read_lock(self) -> LockInfo | None:
        """Who holds the lock now, or None."""
    def unlock(self, lock_id: str) -> bool: ...


class StateStore:
    """Thread-safe: apply workers record results concurrently, each write is whole."""

    def __init__(self, backend: Backend, stack: str, target: str):
        self.backend = backend
        self.stack = stack
        self.target = target
        self._mutex = threading.Lock()
        """Guards the document in memory."""
        self._writing = threading.Lock()
        """One write at a time; taken before `_mutex` when both are held."""
        self._written = -1
        """The serial of the last document written."""
        self._state: State | None = None
        self._held: LockInfo | None = None
        self._lost = False

    def load(self) -> State:
        """The current state, or a new empty one (fresh lineage) when there is none yet."""
        text = self.backend.read()
        self._written = -1  # what is read is never taken as written by this store
        if text is None:
            self._state = State(self.stack, self.target)
        else:
            try:
                self._state = State.from_json(text, str(self.backend))
            except DamagedState as exc:
                raise UserError([dataclasses.replace(d, hint=self._restore_hint())
                                 for d in exc.diagnostics]) from None
            for what, found, wanted in (("stack", self._state.stack, self.stack),
                                        ("target", self._state.target, self.target)):
                if found != wanted:
                    self._state = None
                    raise UserError([error(
                        f"state {self.backend} belongs to {what} '{found}', not '{wanted}'",
                        hint="each stack and target needs a state of its own: check the "
                        "target's `state:` setting (or PROVISIONER_DIR)")])
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
        """Set or remove one address; return once a whole document holding it is written
        (`_write_through`). Only under the lock, so work abandoned by an interrupted apply can
        never write after it is released (and another run holds it)."""
        with self._mutex:
            self._check_held()
            self._state = self.state.with_resource(address, resource)
            serial = self._state.serial
        return self._write_through(serial)

    def move(self, source: str, destination: str) -> State:
        """Record the entry at `source` under `destination` (a renamed key), in one write."""
        with self._mutex:
            self._check_held()
            self._state = self.state.moved(source, destination)
            serial = self._state.serial
        return self._write_through(serial)

    def _write_through(self, serial: int) -> State:
        """Write the document unless a write since has covered `serial`. Workers recording
        at once share one write (a group commit): a write costs the whole document, and
        one per entry, each waiting for the last, made a 100-endpoint apply wait seconds on
        its own state file (issue 20). Each caller still returns only once its entry is
        written, or raises what stopped the write."""
        with self._writing:
            with self._mutex:
                state = self.state
                if self._written >= serial:
                    return state
                self._check_held()
            self.backend.write(state.to_json())
            self._written = state.serial
            return state

    def _check_held(self) -> None:
        if self._held is None:
            raise InternalError(f"state {self.backend} written without holding its lock")
        if self._lost:
            raise UserError([error(
                f"the lock of state {self.backend} lapsed and was taken over while this run "
                "held it; nothing more is recorded", hint="run the command again")])

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
        self._held, self._lost = info, False
        stop = threading.Event()
        if self.backend.lease_seconds:
            threading.Thread(target=self._keep_renewing, args=(info, stop),
                             name="state lease", daemon=True).start()
        try:
            yield info
        finally:
            stop.set()
            with self._writing, self._mutex:  # a write in progress completes; none starts after
                self._held = None
            self.backend.unlock(info.id)

    def _keep_renewing(self, info: LockInfo, stop: threading.Event) -> None:
        """Renew a lease at a third of its length while the lock is held; a renewal that
        fails for a moment is tried again at the next turn, one that finds the lease taken
        stops every further write."""
        every = self.backend.lease_seconds / 3
        while not stop.wait(every):
            try:
                kept = self.backend.renew(info)
            except Exception:  # noqa: BLE001 - a blip; the lease outlasts two missed turns
                continue
            if not kept:
                self._lost = True
                return

    def force_unlock(self, lock_id: str) -> LockInfo:
        """The last resort, for a holder nothing else releases."""
        holder = self.backend.read_lock()
        if holder is None:
            raise UserError([error(f"stack '{self.stack}' target '{self.target}' is not locked")])
        if holder.id != lock_id or not self.backend.unlock(lock_id):
            raise UserError([error(f"the lock's ID is {holder.id}, not {lock_id}",
                                   hint=f"the lock is {holder.describe()}")])
        return holder
