"""Ctrl-C and SIGTERM: remembered, not only raised.

Python raises KeyboardInterrupt wherever the main thread happens to be, and one raised inside
a finalizer (a weakref callback run by the garbage collector) is printed as "Exception
ignored" and lost: an apply interrupted at that instant would carry on. The handler also sets
`STOP`, which the apply checks between steps, so an interrupt is never lost. Once stopping,
further signals are ignored: stopping is bounded (seconds), and its cleanup must finish.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

STOP = threading.Event()
"""Set once the user (or CI, with SIGTERM) asked the run to stop."""


def install() -> None:
    """Handle SIGINT and SIGTERM (CI runners cancel a job with it) the same way."""
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    sys.unraisablehook = _quiet_when_remembered(sys.unraisablehook)


def _quiet_when_remembered(report: Callable[[Any], None]) -> Callable[[Any], None]:
    """An interrupt lost in a finalizer is kept in STOP: its "Exception ignored" traceback
    would only alarm."""
    def hook(unraisable: Any) -> None:
        if not (isinstance(unraisable.exc_value, KeyboardInterrupt) and STOP.is_set()):
            report(unraisable)
    return hook


def _stop(signum: int, frame: FrameType | None) -> None:
    if STOP.is_set():
        return  # already stopping, which takes seconds: a second Ctrl-C must not cut the
        # cleanup short (releasing the lock)
    STOP.set()
    raise KeyboardInterrupt
