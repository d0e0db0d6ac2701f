"""Run work over a DAG: a node starts as soon as what it needs is done; a failure skips only
what depends on it (directly or not), and everything else still runs."""

from __future__ import annotations

import graphlib
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait


def run_dag(
    needs: Mapping[str, set[str]],
    work: Callable[[str], None],
    *,
    parallelism: int,
    on_skip: Callable[[str, str], None],
) -> dict[str, BaseException]:
    """Run `work(node)` for every node after its needs; returns the failures by node."""
    sorter = graphlib.TopologicalSorter({n: set(d) & needs.keys() for n, d in needs.items()})
    sorter.prepare()
    failures: dict[str, BaseException] = {}
    blocked: dict[str, str] = {}  # node -> the failed node it waits on
    running: dict[Future[None], str] = {}
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        while sorter.is_active():
            for node in sorter.get_ready():
                cause = next((blocked.get(d) or d for d in needs[node]
                              if d in failures or d in blocked), None)
                if cause is not None:
                    blocked[node] = cause
                    on_skip(node, cause)
                    sorter.done(node)
                else:
                    running[pool.submit(work, node)] = node
            if not running:
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                node = running.pop(future)
                exc = future.exception()
                if exc is not None:
                    failures[node] = exc
                sorter.done(node)
    return failures
