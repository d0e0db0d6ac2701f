"""Who holds a stack's lock, and waiting for it: every writing command takes one."""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta

from provisioner.diagnostics import error
from provisioner.errors import UserError


@dataclass(frozen=True, slots=True)
class LockInfo:
    operation: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    owner: str = field(default_factory=lambda: _user())
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    expires: str = ""
    """For a lease (workspace-files backend): when it lapses unless its holder renews it;
    empty for a lock that lives as long as its holder (the local backend's OS lock)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LockInfo:
        data = json.loads(text)
        return cls(**{k: data[k] for k in ("operation", "id", "owner", "host", "pid", "created")},
                   expires=str(data.get("expires") or ""))

    def leased(self, seconds: float) -> LockInfo:
        """This lock with its lease running `seconds` from now."""
        until = datetime.now(UTC) + timedelta(seconds=seconds)
        return replace(self, expires=until.isoformat(timespec="seconds"))

    @property
    def expired(self) -> bool:
        """A lease its holder stopped renewing (a killed or cancelled run)."""
        return bool(self.expires) and datetime.now(UTC) >= datetime.fromisoformat(self.expires)

    @property
    def age_seconds(self) -> float:
        return (datetime.now(UTC) - datetime.fromisoformat(self.created)).total_seconds()

    @property
    def holder_is_dead(self) -> bool:
        """True only when we can tell: same host and no such process."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def describe(self) -> str:
        stale = " — that process is gone: the lock is stale" if self.holder_is_dead else ""
        lease = f", leased until {self.expires}" if self.expires else ""
        return (f"held by {self.owner}@{self.host} (pid {self.pid}) for '{self.operation}' "
                f"since {self.created} ({_age(self.age_seconds)} ago){lease}, lock ID "
                f"{self.id}{stale}")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def wait_for_lock(try_acquire: Callable[[], LockInfo | None], what: str, timeout: float,
                  *, poll: float = 0.5,
                  waiting: Callable[[LockInfo, float], None] | None = None) -> None:
    """Call `try_acquire` (None = acquired, else the holder) until acquired or `timeout`;
    `waiting(holder, timeout)` is told once when it has to wait, so that a wait is never
    silent."""
    deadline = time.monotonic() + timeout
    told = False
    while True:
        holder = try_acquire()
        if holder is None:
            return
        if waiting is not None and not told and timeout > 0:
            waiting(holder, timeout)
            told = True
        if time.monotonic() >= deadline:
            raise UserError([error(
                f"the state of {what} is locked: {holder.describe()}",
                hint=f"wait for it (--lock-timeout), or if no run is active: "
                f"provisioner force-unlock {holder.id}")])
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
