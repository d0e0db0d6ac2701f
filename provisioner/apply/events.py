"""What apply reports while it runs: small frozen data, never styled text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Started:
    address: str
    action: str


@dataclass(frozen=True, slots=True)
class Waiting:
    """A resource is waiting for readiness (or for an update in flight to finish)."""

    address: str
    status: str


@dataclass(frozen=True, slots=True)
class Finished:
    address: str
    action: str
    elapsed: float


@dataclass(frozen=True, slots=True)
class Failed:
    address: str
    action: str
    error: str
    code: str = ""


@dataclass(frozen=True, slots=True)
class Skipped:
    address: str
    action: str
    because: str


@dataclass(frozen=True, slots=True)
class Note:
    """Something worth telling that is not a resource's progress (e.g. a placeholder secret)."""

    message: str


Event = Started | Waiting | Finished | Failed | Skipped | Note
Emit = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An `emit` for callers that do not listen."""


@dataclass
class Summary:
    """Counts kept by listening to events, so the engine holds no summary state of its own."""

    finished: int = 0
    failed: int = 0
    skipped: int = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, Finished):
            self.finished += 1
        elif isinstance(event, Failed):
            self.failed += 1
        elif isinstance(event, Skipped):
            self.skipped += 1

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.skipped == 0
