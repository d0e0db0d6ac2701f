"""Polling with a growing interval, bounded by a deadline: how every readiness wait works."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from provisioner.errors import ApiError

T = TypeVar("T")

FIRST_INTERVAL = 0.2
MAX_INTERVAL = 5.0
GROWTH = 1.2
"""Each interval is this much longer than the last: readiness is seen at most ~20 % after it
happens (1.5 let a 3 s wait end at 4.2 s), and a long wait still polls every MAX_INTERVAL."""


def poll(read: Callable[[], T], done: Callable[[T], bool], *, timeout: float, what: str,
         progress: Callable[[T], None] = lambda _: None) -> T:
    """Call `read` until `done(value)`; raise a TIMEOUT ApiError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    interval = FIRST_INTERVAL
    while True:
        value = read()
        if done(value):
            return value
        progress(value)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ApiError(f"timed out after {timeout:.0f}s waiting for {what}", code="TIMEOUT")
        time.sleep(min(interval, remaining))
        interval = min(interval * GROWTH, MAX_INTERVAL)
