"""Run work over a DAG: a node starts as soon as what it needs is done; a failure skips only
what depends on it (directly or not), and everything else still runs.

Workers are daemon threads, not a `ThreadPoolExecutor`'s: on Ctrl-C the caller must be able
to give up on work still running (a readiness wait, an SDK retry sleeping out a Retry-After)
and exit, where an executor would be joined at interpreter exit. Stopping there is as safe as
`kill -9` is at any point (tests/reliability prove it); the caller keeps abandoned workers
from writing anything afterwards.

The workers are all started before any work is handed out: `Thread.start` waits for the new
thread to run, and with a hundred workers already busy each start waited for the
interpreter lock, so the last of 100 endpoints began its create ~1 s after the first.
"""

from __future__ import annotations

import graphlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

GRACE_SECONDS = 3.0
"""After an interrupt, how long work already running may take to finish."""
STOP_POLL_SECONDS = 0.25


def run_dag(
    needs: Mapping[str, set[str]],
    work: Callable[[str], None],
    *,
    parallelism: int,
    on_skip: Callable[[str, str], None],
    on_interrupt: Callable[[], None] = lambda: None,
    stop: threading.Event | None = None,
    grace: float = GRACE_SECONDS,
) -> dict[str, BaseException]:
    """Run `work(node)` for every node after its needs; returns the failures by node.

    If the calling thread is interrupted (KeyboardInterrupt, or `stop` set: an interrupt
    Python lost in a finalizer), nothing more is started, `on_interrupt()` tells running work
    to stop at its next chance, running work gets `grace` seconds to finish, and
    KeyboardInterrupt is raised."""
    sorter = graphlib.TopologicalSorter({n: set(d) & needs.keys() for n, d in needs.items()})
    sorter.prepare()
    failures: dict[str, BaseException] = {}
    blocked: dict[str, str] = {}  # node -> the failed node it waits on
    ready: deque[str] = deque()
    running: set[str] = set()
    handed: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    finished: queue.Queue[tuple[str, BaseException | None]] = queue.Queue()

    def worker() -> None:
        while (node := handed.get()) is not None:
            try:
                work(node)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller as the node's failure
                finished.put((node, exc))
            else:
                finished.put((node, None))

    workers = min(max(1, parallelism), len(needs))
    for number in range(workers):
        threading.Thread(target=worker, name=f"apply worker {number}", daemon=True).start()
    try:
        while sorter.is_active():
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt
            for node in sorter.get_ready():
                cause = next((blocked.get(d) or d for d in needs[node]
                              if d in failures or d in blocked), None)
                if cause is not None:
                    blocked[node] = cause
                    on_skip(node, cause)
                    sorter.done(node)
                else:
                    ready.append(node)
            while ready and len(running) < workers:  # handed only to a worker that is free
                node = ready.popleft()
                running.add(node)
                handed.put(node)
            if not running:
                continue
            try:
                node, exc = finished.get(timeout=STOP_POLL_SECONDS)
            except queue.Empty:
                continue
            running.discard(node)
            if exc is not None:
                failures[node] = exc
            sorter.done(node)
    except KeyboardInterrupt:
        on_interrupt()
        _drain(finished, running, grace)
        raise
    finally:
        for _ in range(workers):
            handed.put(None)  # a free worker ends; a busy one ends after its node
    return failures


def _drain(finished: queue.Queue, running: set[str], grace: float) -> None:
    deadline = time.monotonic() + grace
    while running:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            node, _ = finished.get(timeout=left)
        except queue.Empty:
            return
        running.discard(node)
