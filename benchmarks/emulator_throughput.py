"""How close the local workspace comes to the concurrency bound (performance-notes.md).

64 concurrent SDK GETs, each with 50 ms of injected latency: served in parallel, a round takes
about one latency (ratio ≈ 1×); served one by one it would take 64×. The same round against a
bare stdlib handler that only sleeps and answers gives the floor set by the client itself (the
SDK and `requests` in 64 threads share one GIL with the server), so the gap between the two
lines is what the emulator costs.

    python -m benchmarks.emulator_throughput
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config

from provisioner.local import LocalWorkspace, Settings

CONCURRENCY = 64
LATENCY_MS = 50
ROUNDS = 5
ENDPOINT = "databricks-gte-large-en"  # pre-created in every local workspace


def client(url: str) -> WorkspaceClient:
    # The SDK allows 20 connections per host unless told otherwise (performance-notes.md §2).
    return WorkspaceClient(config=Config(host=url, token="benchmark",
                                         max_connection_pools=CONCURRENCY,
                                         max_connections_per_pool=CONCURRENCY))


def median_round(url: str, pool: ThreadPoolExecutor) -> float:
    """Median seconds for `CONCURRENCY` concurrent GETs of one serving endpoint."""
    w = client(url)

    def one_round() -> float:
        started = time.perf_counter()
        list(pool.map(lambda _: w.serving_endpoints.get(ENDPOINT), range(CONCURRENCY)))
        return time.perf_counter() - started

    one_round()  # warm-up: opens the connections and starts the threads
    return statistics.median(one_round() for _ in range(ROUNDS))


def bare_server(body: bytes) -> ThreadingHTTPServer:
    """A handler doing nothing but the latency and a canned answer: the floor."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
            time.sleep(LATENCY_MS / 1000)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = CONCURRENCY  # the default 5 drops connections: 1 s SYN retries

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def report(name: str, seconds: float) -> None:
    print(f"{name:>22}: median {seconds * 1000:4.0f} ms per round of {CONCURRENCY} GETs = "
          f"{seconds / (LATENCY_MS / 1000):.2f}x one latency")


def main() -> None:
    print(f"{CONCURRENCY} concurrent GETs, {LATENCY_MS} ms injected latency, "
          f"{ROUNDS} rounds (served one by one: {CONCURRENCY}x)")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(CONCURRENCY) as pool:
        with LocalWorkspace(Path(tmp), settings=Settings(latency_ms=LATENCY_MS)) as workspace:
            # The floor answers the emulator's own JSON, so both send bodies of one size.
            answer = json.dumps(client(workspace.url).api_client.do(
                "GET", f"/api/2.0/serving-endpoints/{ENDPOINT}")).encode()
            report("local workspace", median_round(workspace.url, pool))
        server = bare_server(answer)
        try:
            report("bare stdlib handler", median_round(f"http://127.0.0.1:{server.server_port}",
                                                       pool))
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
