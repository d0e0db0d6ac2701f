"""Every wait and retry of the engine, in one place: polling on a schedule whose interval
grows with the time waited, bounded by a deadline, a fresh "not found" waited out, a refused
write sent again once what refused it passes, and a write whose answer was lost checked
before it is sent again.

Handlers call only `wait_until_ready` and `read_after_create`, from their `wait`; the applier
calls the rest around a handler's single-call steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from provisioner.errors import ApiError
from provisioner.workspace.errors import is_retryable

if TYPE_CHECKING:
    from provisioner.kinds.base import Live, Progress

T = TypeVar("T")


class PollTimeout(ApiError):
    """A wait that ran out of time (code TIMEOUT), told apart from a call that timed out."""


FIRST_INTERVAL = 0.2
MAX_INTERVAL = 6.0
LATENESS = 0.05
"""Each read comes this fraction of the time waited so far after the last one (at least
FIRST_INTERVAL, at most MAX_INTERVAL): whenever readiness comes, it is seen at most 5 %
(or 0.2 s) late, and a long wait polls every MAX_INTERVAL (a 20-minute one reads 270 times,
a 3-second one 15)."""
NOT_FOUND_PATIENCE = 60.0
"""Seconds a resource just created may answer "not found" before that is believed."""
WRITE_ATTEMPTS = 3
RETRY_PAUSE = 1.0


def read_times() -> Iterator[float]:
    """Seconds after a wait starts at which its reads start: an absolute schedule, so the
    time a read takes (a round trip) never pushes the next ones later."""
    at = 0.0
    while True:
        yield at
        at += min(max(FIRST_INTERVAL, LATENESS * at), MAX_INTERVAL)


def poll(read: Callable[[], T], done: Callable[[T], bool], *, timeout: float, what: str,
         progress: Callable[[T], None] = lambda _: None) -> T:
    """Call `read` at `read_times()` until `done(value)`; raise a TIMEOUT ApiError after
    `timeout` seconds (the last read is at the deadline)."""
    started, times = time.monotonic(), read_times()
    next(times)  # the first read is now
    while True:
        value = read()
        if done(value):
            return value
        progress(value)
        waited = time.monotonic() - started
        if waited >= timeout:
            raise PollTimeout(f"timed out after {timeout:.0f}s waiting for {what}",
                              code="TIMEOUT")
        at = next(times)
        while at <= waited:  # the times a slow read overran are skipped, not caught up
            at = next(times)
        time.sleep(min(at, timeout) - waited)


def after_first_read(read_at: float) -> None:
    """Start a wait whose first read was made already, at `read_at` (`time.monotonic()`): a
    create's answer that describes the resource as a read does. Its next read is one
    FIRST_INTERVAL later, as the schedule has it, not a second read at once."""
    left = read_at + FIRST_INTERVAL - time.monotonic()
    if left > 0:
        time.sleep(left)


def read_after_create(read: Callable[[], T | None], *, what: str,
                      patience: float = NOT_FOUND_PATIENCE) -> T:
    """Right after a create some services answer "not found" for a while: believe it only
    after `patience` seconds."""
    try:
        found = poll(read, lambda value: value is not None, timeout=patience, what=what)
    except PollTimeout:
        raise ApiError(f"{what} not found {patience:.0f}s after it was created",
                       code="RESOURCE_DOES_NOT_EXIST", status=404) from None
    assert found is not None
    return found


def wait_until_ready(read: Callable[[], Live | None], *, what: str,
                     failed: Callable[[str], bool], timeout: float,
                     progress: Progress) -> Live:
    """Poll a resource just written until it is ready: a fresh "not found" is waited out
    (`read_after_create`), and a status `failed` says is final ends the wait with an error."""

    def current() -> Live:
        live = read_after_create(read, what=what)
        if failed(live.status):
            raise ApiError(f"{what} is {live.status}", code=live.status)
        return live

    return poll(current, lambda live: live.ready, timeout=timeout, what=f"{what} to be ready",
                progress=lambda live: progress(live.status))


def send_while_refused(call: Callable[[], None], refused: Callable[[ApiError], bool], *,
                       timeout: float, what: str, progress: Callable[[], None]) -> None:
    """Send `call` until the workspace stops refusing it for a passing reason (`refused`),
    for at most `timeout` seconds; any other error, or the last refusal, is raised."""
    last: list[ApiError] = []

    def attempt() -> bool:
        try:
            call()
        except ApiError as exc:
            if not refused(exc):
                raise
            last[:] = [exc]
            return False
        return True

    try:
        poll(attempt, bool, timeout=timeout, what=what, progress=lambda _: progress())
    except PollTimeout:
        raise last[0] from None


def send_once(call: Callable[[], None], *, done: Callable[[], bool]) -> bool:
    """Send a write; when its answer is lost (5xx, timeout), look whether it was done before
    sending it again. True when the workspace answered it, False when a look
    found it done."""
    attempt = 1
    while True:
        try:
            call()
            return True
        except ApiError as exc:
            if not is_retryable(exc) or attempt == WRITE_ATTEMPTS:
                raise
        pause(attempt)
        if done():
            return False
        attempt += 1


def pause(attempt: int) -> None:
    """The pause before another attempt of a write the workspace could not take just now."""
    time.sleep(RETRY_PAUSE * attempt)
