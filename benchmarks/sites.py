"""A stack and the local workspace it is planned against, with the commands measured on it.

The workspace is served from the benchmark's own process, and the CLI runs in a subprocess
that reaches it by URL: to the CLI it is a remote workspace, so client and server do not
share one interpreter lock (as they would with the embedded `local` target). Readiness delays
are zero unless a scenario sets them; latency is set per measurement.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import commands
from benchmarks.seed import secret, seed
from benchmarks.stacks import GROUP, write_stack

ZERO_DELAYS = {"serving_endpoint_create_seconds": 0.0, "serving_endpoint_update_seconds": 0.0,
               "vector_search_endpoint_seconds": 0.0, "vector_search_index_seconds": 0.0,
               "index_deletion_seconds": 0.0}
NO_CHANGES = "No changes. The workspace matches the stack."
FAULTLESS = {"throttle_rate": 0.0, "server_error_rate": 0.0, "retry_after_seconds": 1,
             "seed": None}
"""The fault knobs as a site starts (the emulator's defaults)."""


@dataclass(frozen=True)
class Measured:
    """One command: wall seconds, the API calls the workspace served meanwhile (its request
    log), and the process's peak RSS."""

    seconds: float
    calls: int
    peak_rss_mb: float
    out: str


class Site:
    def __init__(self, root: Path, n: int, *, seeded: bool, mix: tuple[str, ...] = GROUP):
        from provisioner.local import LocalWorkspace, Settings

        self.n = n
        self.stack = write_stack(root / "stack", n, mix)
        self.workspace = LocalWorkspace(root / "workspace", settings=Settings(**ZERO_DELAYS))
        self.url = self.workspace.start()
        secret(self.url)
        if seeded:
            seed(self.url, self.stack)

    def plan(self, latency_ms: float, parallelism: int, *, expect_changes: bool,
             **faults: float) -> Measured:
        """`provisioner plan`; `faults` are workspace knobs for this plan only (e.g.
        throttle_rate)."""
        self.workspace.configure(**faults)
        try:
            found = self._measure(latency_ms, "plan", "--parallelism", str(parallelism))
        finally:
            if faults:
                self.workspace.configure(**{k: FAULTLESS[k] for k in faults})
        if (NO_CHANGES in found.out) == expect_changes:
            raise RuntimeError(f"plan of {self.n} resources: unexpected output\n{found.out}")
        return found

    def apply(self, latency_ms: float, parallelism: int, **delays: float) -> Measured:
        self.workspace.configure(**delays)
        return self._measure(latency_ms, "apply", "--auto-approve",
                             "--parallelism", str(parallelism))

    def plan_in_process(self, latency_ms: float, parallelism: int) -> float:
        """Seconds of `provisioner plan` run in this process: no interpreter start-up or
        imports, so the time grows only with the stack (the instrument for cost growth)."""
        from provisioner.cli.main import run

        self.workspace.configure(latency_ms=latency_ms)
        sink = io.StringIO()
        with _environment(DATABRICKS_HOST=self.url, DATABRICKS_TOKEN="bench"), \
                contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            started = time.perf_counter()
            code = run(["plan", str(self.stack), "--parallelism", str(parallelism)])
            seconds = time.perf_counter() - started
        if code != 0 or NO_CHANGES not in sink.getvalue():
            raise RuntimeError(f"in-process plan of {self.n} resources:\n{sink.getvalue()}")
        return seconds

    def _measure(self, latency_ms: float, command: str, *args: str) -> Measured:
        self.workspace.configure(latency_ms=latency_ms)
        started = time.time()
        run = commands.provisioner(command, str(self.stack), *args, host=self.url)
        if run.code != 0:
            raise RuntimeError(f"`provisioner {command}` of {self.n} resources failed "
                               f"({run.code}):\n{run.err[-3000:]}")
        calls = sum(1 for e in self.workspace.request_log() if e["time"] >= started)
        return Measured(run.seconds, calls, run.peak_rss_mb, run.out)

    def floor(self, calls: int, parallelism: int) -> tuple[float, float]:
        """Wall and CPU seconds of `calls` bare SDK GETs, `parallelism` at a time, at the
        latency last set (`benchmarks/floor.py`, in its own process as the CLI is)."""
        run = commands.python("-m", "benchmarks.floor", self.url, str(calls), str(parallelism))
        if run.code != 0:
            raise RuntimeError(f"benchmarks.floor failed:\n{run.err[-3000:]}")
        found = json.loads(run.out)
        return found["seconds"], found["cpu"]

    def close(self) -> None:
        self.workspace.stop()


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Sites:
    """Sites by (N, seeded), made on first use and kept for the run: seeding 5,000 resources
    is done once for every latency and parallelism measured on them."""

    def __init__(self, root: Path):
        self.root = root
        self._sites: dict[tuple[Any, ...], Site] = {}

    def get(self, n: int, *, seeded: bool, mix: tuple[str, ...] = GROUP) -> Site:
        key = (n, seeded, mix)
        if key not in self._sites:
            name = f"{'seeded' if seeded else 'empty'}-{n}-{len(self._sites)}"
            self._sites[key] = Site(self.root / name, n, seeded=seeded, mix=mix)
        return self._sites[key]

    def close(self) -> None:
        for site in self._sites.values():
            site.close()
