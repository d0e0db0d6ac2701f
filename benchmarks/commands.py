"""Run the `provisioner` CLI (or a bare interpreter) in a subprocess: wall time, exit code,
output and that one child's peak RSS.

A subprocess, because that is what a user waits for (interpreter start-up, imports, stack
loading included) and because `os.wait4` gives the memory of exactly that process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    seconds: float
    code: int
    out: str
    err: str
    peak_rss_mb: float
    timed_out: bool = False


def provisioner(*args: str, host: str | None = None, env: dict[str, str] | None = None,
                timeout: float = 900.0) -> Run:
    """`python -m provisioner ARGS`, talking to the workspace at `host` (if any) through
    databricks-sdk's environment auth, as CI would."""
    extra = {"DATABRICKS_HOST": host, "DATABRICKS_TOKEN": "bench"} if host else {}
    return python("-m", "provisioner", *args, env={**extra, **(env or {})}, timeout=timeout)


def python(*args: str, env: dict[str, str] | None = None, timeout: float = 900.0) -> Run:
    """This interpreter with `args`, in a clean Databricks environment plus `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    return run([sys.executable, *args], {**base, **(env or {})}, timeout)


def run(argv: list[str], env: dict[str, str], timeout: float) -> Run:
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                   env=env, start_new_session=True)
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, process.returncode, out.read(), err.read(),
                   usage.ru_maxrss / 1024, expired.is_set())  # ru_maxrss is in KiB on Linux
