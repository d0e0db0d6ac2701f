"""The client floor of a plan: `python -m benchmarks.floor URL CALLS PARALLELISM` sends CALLS
GETs of one serving endpoint through databricks-sdk, built as the CLI builds it
(`workspace.client.connect`), PARALLELISM at a time, and prints the loop's wall and CPU
seconds as JSON.

A plan that makes CALLS calls at that concurrency cannot finish sooner than its start-up plus
this loop: the loop pays the round trips (CALLS ÷ PARALLELISM × L) and the HTTP client's CPU
per call, and nothing else (no stack to load, nothing to diff or print).
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.throughput import PATH


def main(argv: list[str]) -> None:
    from provisioner.workspace.client import WorkspaceAuth, connect

    url, calls, parallelism = argv[0], int(argv[1]), int(argv[2])
    client = connect(WorkspaceAuth(host=url, token="bench"), parallelism=parallelism)
    get = lambda _: client.api_client.do("GET", PATH)  # noqa: E731
    get(0)  # connected, the SDK's lazy parts loaded
    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(parallelism) as pool:
        list(pool.map(get, range(calls)))
    print(json.dumps({"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))


if __name__ == "__main__":
    main(sys.argv[1:])
