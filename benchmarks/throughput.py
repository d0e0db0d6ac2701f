"""How close the local workspace comes to serving 64 concurrent requests in one latency.

64 concurrent GETs of one serving endpoint, each with 50 ms of injected latency: served in
parallel a round takes about one latency; served one by one it would take 64. The workspace
runs as `provisioner local serve` in its own process (as a remote one would: the clients'
CPU does not share its interpreter lock), and two clients are measured:

* a bare keep-alive `http.client` connection per thread: what the emulator itself allows;
* the databricks-sdk client as `provisioner.workspace.client.connect` builds it.

The SDK line is slower for a reason measured here too: each SDK request costs about a
millisecond of client CPU (requests, urllib3, the SDK's retry and header layers) against a
tenth of that for `http.client`, and 64 threads that wake together share one interpreter
lock, so a round cannot end before L + 64 × that CPU. Its ratio to that floor shows nothing
else is lost. Earlier runs of this benchmark saw 3-4 × L for two more reasons, both fixed:
databricks-sdk sizes its connection pool for https:// only, so over plain http 54 of the 64
requests opened a new connection (and the server a new thread) every round; and client and
server shared one process, so the server's CPU queued behind the clients'.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

CONCURRENCY = 64
LATENCY_MS = 50.0
ROUNDS = 5
PATH = "/api/2.0/serving-endpoints/databricks-gte-large-en"  # in every local workspace
CPU_SAMPLES = 200
URL_LINE = "export DATABRICKS_HOST="


@dataclass(frozen=True)
class Throughput:
    """Median seconds per round of CONCURRENCY GETs, and CPU seconds per request (serial,
    no latency) for each client."""

    raw_round: float
    sdk_round: float
    raw_cpu: float
    sdk_cpu: float

    @property
    def latency(self) -> float:
        return LATENCY_MS / 1000

    @property
    def sdk_floor(self) -> float:
        """The SDK round's floor: one latency plus every request's CPU, one after another."""
        return self.latency + CONCURRENCY * self.sdk_cpu


def measure(rounds: int = ROUNDS) -> Throughput:
    from provisioner.workspace.client import WorkspaceAuth, connect

    with tempfile.TemporaryDirectory() as tmp, _served(Path(tmp)) as url, \
            ThreadPoolExecutor(CONCURRENCY) as pool:
        sdk = connect(WorkspaceAuth(host=url, token="bench"), parallelism=CONCURRENCY)
        raw = _raw_client(url)
        sdk_get: Callable[[], object] = lambda: sdk.api_client.do("GET", PATH)  # noqa: E731
        raw_cpu, sdk_cpu = _cpu_per_request(raw), _cpu_per_request(sdk_get)
        sdk.api_client.do("PUT", "/_local/config", body={"latency_ms": LATENCY_MS})
        return Throughput(_median_round(raw, pool, rounds), _median_round(sdk_get, pool, rounds),
                          raw_cpu, sdk_cpu)


@contextlib.contextmanager
def _served(directory: Path) -> Iterator[str]:
    """`provisioner local serve` in a subprocess; yields its URL. Its stderr goes to a file,
    which cannot fill up and stall the server the way an unread pipe would."""
    log = directory / "serve.log"
    with open(log, "w") as errors:
        server = subprocess.Popen(
            [sys.executable, "-m", "provisioner", "local", "serve", "--dir", str(directory)],
            stdout=subprocess.PIPE, stderr=errors, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for line in server.stdout or ():
            if line.startswith(URL_LINE):
                yield shlex.split(line.removeprefix(URL_LINE))[0]
                return
        raise RuntimeError(f"`provisioner local serve` printed no URL:\n{log.read_text()}")
    finally:
        server.terminate()  # it says "Interrupted." as it stops: kept out of the report
        server.communicate()


def _raw_client(url: str) -> Callable[[], object]:
    """GET over one keep-alive connection per thread, opened on first use."""
    where = urlsplit(url)
    local = threading.local()

    def get() -> object:
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(where.hostname, where.port)
        local.connection.request("GET", PATH, headers={"Authorization": "Bearer bench"})
        return local.connection.getresponse().read()

    return get


def _cpu_per_request(get: Callable[[], object]) -> float:
    """The client's CPU seconds for one request (the server runs in its own process)."""
    for _ in range(20):
        get()
    started = time.process_time()
    for _ in range(CPU_SAMPLES):
        get()
    return (time.process_time() - started) / CPU_SAMPLES


def _median_round(get: Callable[[], object], pool: ThreadPoolExecutor, rounds: int) -> float:
    def one_round() -> float:
        started = time.perf_counter()
        list(pool.map(lambda _: get(), range(CONCURRENCY)))
        return time.perf_counter() - started

    one_round()  # warm-up: every thread started, every connection open
    return statistics.median(one_round() for _ in range(rounds))
