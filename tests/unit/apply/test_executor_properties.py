"""The DAG runner on generated graphs with generated failures: every node runs at most once
and only after everything it needs finished; a node runs if and only if none of its
ancestors failed; the others are reported skipped, naming a failed ancestor."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.apply.executor import run_dag


@st.composite
def graphs(draw):
    """Nodes n0..nk; a node may need any earlier node (so the graph is acyclic)."""
    size = draw(st.integers(0, 12))
    nodes = [f"n{i}" for i in range(size)]
    needs = {node: {nodes[j] for j in draw(st.sets(st.integers(0, max(i - 1, 0)),
                                                   max_size=i)) if j < i}
             for i, node in enumerate(nodes)}
    failing = draw(st.sets(st.sampled_from(nodes))) if nodes else set()
    return needs, failing


def ancestors(needs, node):
    found, pending = set(), list(needs[node])
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending += needs[current]
    return found


@settings(deadline=None, max_examples=200)
@given(graphs(), st.integers(1, 4))
def test_nodes_run_once_after_their_needs_and_only_without_failed_ancestors(graph,
                                                                             parallelism):
    needs, failing = graph
    lock = threading.Lock()
    started: list[str] = []
    finished: set[str] = set()
    early: list[str] = []
    skipped: dict[str, str] = {}

    def work(node: str) -> None:
        with lock:
            started.append(node)
            if not needs[node] <= finished:
                early.append(node)
        try:
            if node in failing:
                raise RuntimeError(node)
        finally:
            with lock:
                finished.add(node)

    failures = run_dag(needs, work, parallelism=parallelism,
                       on_skip=lambda node, cause: skipped.setdefault(node, cause))
    assert len(started) == len(set(started)), "a node ran twice"
    assert early == [], "a node started before what it needs finished"
    for node in needs:
        doomed = ancestors(needs, node) & failing
        assert (node in started) == (not doomed), node
        if doomed:
            assert skipped[node] in doomed
    assert set(skipped) == set(needs) - set(started)
    assert set(failures) == failing & set(started)
    assert all(str(failures[n]) == n for n in failures)


def test_a_stop_starts_nothing_more_and_raises_keyboard_interrupt():
    """What Ctrl-C does to an apply: `stop` set while a node runs; what needs it never
    starts, `on_interrupt` is told, and KeyboardInterrupt reaches the caller."""
    stop = threading.Event()
    started, told = [], []

    def work(node: str) -> None:
        started.append(node)
        stop.set()

    with pytest.raises(KeyboardInterrupt):
        run_dag({"a": set(), "b": {"a"}}, work, parallelism=1, on_skip=lambda *_: None,
                on_interrupt=lambda: told.append(True), stop=stop)
    assert started == ["a"] and told == [True]


@pytest.mark.parametrize(("nodes", "parallelism"), [(40, 4), (3, 64)])
def test_work_runs_on_workers_started_before_it(nodes, parallelism):
    """min(parallelism, nodes) threads, all running before the first node is handed out: a
    thread started per node waited for the interpreter lock behind the busy ones."""
    alive: list[int] = []
    threads: set[str] = set()
    lock = threading.Lock()

    def work(node: str) -> None:
        with lock:
            alive.append(sum(t.name.startswith("apply worker") for t in threading.enumerate()))
            threads.add(threading.current_thread().name)

    needs = {f"n{i}": {f"n{i - 1}"} if i % 2 else set() for i in range(nodes)}
    assert run_dag(needs, work, parallelism=parallelism, on_skip=lambda *_: None) == {}
    workers = min(parallelism, nodes)
    assert len(threads) <= workers and alive[0] >= workers
