"""Adaptive concurrency: how many requests a workspace gets at once, learnt from its 429s.

`--parallelism` is a ceiling, not a setting to guess: a command starts with that many
requests in flight (most workspaces answer them all, and a plan's wall time is its round
trips ÷ its concurrency) and lets the workspace say when that is too many:

* a 429 halves the window (multiplicative decrease), at most once per Retry-After period
  (at least `CALM_SECONDS`): the other 429s of that moment answer requests sent under the old
  window and say nothing new (TCP reacts once per window for the same reason);
* each answer that is not a 429 widens it by one (additive increase, as Netflix's
  concurrency-limits `AIMDLimit`), never above the ceiling.

A 429 means the request was not served, so it is sent again here, after its Retry-After
plus a little jitter, until the retry budget is spent; only then does databricks-sdk see it
(its own retry sleeps Retry-After plus up to a second on every attempt, and knows no window).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

CALM_SECONDS = 1.0
"""The least time between two decreases, when a 429's Retry-After asks for less."""
JITTER_SECONDS = 0.05
"""Most that a re-sent request adds to its Retry-After, so that the requests throttled
together are not all re-sent together."""


class Window:
    """How many requests may be in flight now: between 1 and `ceiling`, moved by answers."""

    def __init__(self, ceiling: int, clock: Callable[[], float] = time.monotonic):
        self.ceiling = max(1, ceiling)
        self._limit = float(self.ceiling)
        self._in_flight = 0
        self._calm_until = float("-inf")
        self._clock = clock
        self._changed = threading.Condition()

    @property
    def limit(self) -> int:
        return int(self._limit)

    @contextmanager
    def slot(self) -> Iterator[Callable[[bool, float], None]]:
        """Wait for room, hold it for one request; the caller reports its answer through the
        function yielded (throttled?, Retry-After seconds). Unreported (the request raised),
        the window is left as it was."""
        with self._changed:
            while self._in_flight >= self._limit:
                self._changed.wait()
            self._in_flight += 1
        heard: list[tuple[bool, float]] = []
        try:
            yield lambda throttled, retry_after: heard.append((throttled, retry_after))
        finally:
            with self._changed:
                self._in_flight -= 1
                if heard:
                    self._learn(*heard[-1])
                self._changed.notify_all()

    def _learn(self, throttled: bool, retry_after: float) -> None:
        now = self._clock()
        if not throttled:
            self._limit = min(float(self.ceiling), self._limit + 1)
        elif now >= self._calm_until:
            self._limit = max(1.0, self._limit / 2)
            self._calm_until = now + max(retry_after, CALM_SECONDS)


def retry_after(response: Any) -> float:
    """A 429's Retry-After in seconds (delta-seconds; a date or nothing counts as 1, as the
    SDK reads it)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", 1)))
    except ValueError:
        return 1.0


def adaptive_adapter(inner: Any, window: Window, budget_seconds: float) -> Any:
    """A requests adapter that sends through `inner` within `window`, re-sending 429s."""
    import requests.adapters

    class AdaptiveAdapter(requests.adapters.BaseAdapter):
        def __init__(self) -> None:
            super().__init__()
            self.window = window

        def send(self, request: Any, **kwargs: Any) -> Any:
            deadline = time.monotonic() + budget_seconds
            while True:
                with window.slot() as answered:
                    response = inner.send(request, **kwargs)
                    throttled = response.status_code == 429
                    wait = retry_after(response) if throttled else 0.0
                    answered(throttled, wait)
                if not throttled or not _resendable(request):
                    return response
                wait += random.uniform(0, JITTER_SECONDS)
                if time.monotonic() + wait > deadline:
                    return response
                response.content  # noqa: B018 - read, so that the connection is reused
                response.close()
                time.sleep(wait)

        def close(self) -> None:
            inner.close()

    return AdaptiveAdapter()


def _resendable(request: Any) -> bool:
    """A body held in memory can be sent again; a stream was consumed by the first send."""
    return request.body is None or isinstance(request.body, bytes | str)
