"""Adaptive concurrency: `--parallelism` is a ceiling; a 429 halves the requests in flight (once
per Retry-After period), answers widen them again, and a throttled request is sent again after
its Retry-After. Behaviour only: no test here measures a duration."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from provisioner.local import FaultRule, LocalWorkspace, Settings
from provisioner.workspace.client import WorkspaceAuth, connect
from provisioner.workspace.concurrency import CALM_SECONDS, Window

PATH = "/api/2.0/serving-endpoints/databricks-gte-large-en"  # in every local workspace


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def answer(window: Window, *, throttled: bool, retry_after: float = 0.0) -> None:
    with window.slot() as answered:
        answered(throttled, retry_after)


def test_the_window_starts_at_the_ceiling_and_halves_once_per_retry_after_period():
    clock = Clock()
    window = Window(64, clock)
    assert window.limit == 64
    answer(window, throttled=True, retry_after=2)
    assert window.limit == 32
    answer(window, throttled=True, retry_after=2)  # same moment: the same news
    assert window.limit == 32
    clock.now += 2
    answer(window, throttled=True, retry_after=0)
    assert window.limit == 16
    clock.now += CALM_SECONDS / 2  # Retry-After 0: still at least CALM_SECONDS apart
    answer(window, throttled=True, retry_after=0)
    assert window.limit == 16


def test_answers_widen_the_window_by_one_never_above_the_ceiling_nor_below_one():
    clock = Clock()
    window = Window(4, clock)
    for _ in range(5):
        answer(window, throttled=True)
        clock.now += CALM_SECONDS
    assert window.limit == 1
    answer(window, throttled=False)
    assert window.limit == 2
    for _ in range(10):
        answer(window, throttled=False)
    assert window.limit == 4


def test_a_request_that_raised_leaves_the_window_as_it_was():
    window = Window(8)
    try:
        with window.slot():
            raise ConnectionError("reset")
    except ConnectionError:
        pass
    assert window.limit == 8
    answer(window, throttled=False)  # the slot was given back: this one does not wait


def test_no_more_requests_than_the_window_are_in_flight():
    window = Window(3)
    in_flight, most, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def request() -> None:
        nonlocal in_flight, most
        with window.slot() as answered:
            with lock:
                in_flight += 1
                most = max(most, in_flight)
            release.wait()
            with lock:
                in_flight -= 1
            answered(False, 0.0)

    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(request) for _ in range(10)]
        while True:
            with lock:
                if in_flight == 3:
                    break
        release.set()
        for f in futures:
            f.result()
    assert most == 3


def test_a_throttled_request_is_sent_again_through_the_sdk_and_narrows_the_window(tmp_path):
    """A 429 is not an error a command sees while the retry budget lasts; the workspace's log
    shows the 429s, then the answer."""
    storm = FaultRule(method="GET", path=PATH, status=429, error_code="REQUEST_LIMIT_EXCEEDED",
                      times=3)
    with LocalWorkspace(tmp_path / "ws", settings=Settings(fault_rules=(storm,),
                                                           retry_after_seconds=0)) as local:
        client = connect(WorkspaceAuth(host=local.url, token="t"), parallelism=8)
        assert client.api_client.do("GET", PATH)["name"] == "databricks-gte-large-en"
        statuses = [r["status"] for r in local.request_log() if r["path"] == PATH]
        assert statuses == [429, 429, 429, 200]
        window = client.api_client._api_client._session.get_adapter(local.url).window
        assert window.ceiling == 8
        assert window.limit < 8  # halved once (the other 429s were the same moment's news)


def test_the_workspace_never_sees_more_requests_at_once_than_the_ceiling(tmp_path):
    with LocalWorkspace(tmp_path / "ws", settings=Settings(latency_ms=20)) as local:
        client = connect(WorkspaceAuth(host=local.url, token="t"), parallelism=4)
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda _: client.api_client.do("GET", PATH), range(48)))
        spans = [(r["time"], r["time"] + r["elapsed"]) for r in local.request_log()
                 if r["path"] == PATH]
    assert len(spans) == 48
    most = max(sum(1 for start, end in spans if start <= moment < end)
               for moment, _ in spans)
    assert most <= 4
