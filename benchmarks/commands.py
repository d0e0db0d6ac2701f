"""Run the `provisioner` CLI (or a bare interpreter) in a subprocess: wall time, exit code,
output and that one child's peak RSS.

A subprocess, because that is what a user waits for (interpreter start-up, imports, stack
loading included) and because its memory is then its own: the CLI reports its VmHWM at exit.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    seconds: float
    code: int
    out: str
    err: str
    peak_rss_mb: float
    timed_out: bool = False


HIGH_WATER = """\
import atexit, os, runpy, sys
def _report():
    with open("/proc/self/status") as status, open(os.environ["BENCH_HIGH_WATER"], "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(_report)
sys.argv[0] = "provisioner"
runpy.run_module("provisioner", run_name="__main__", alter_sys=True)
"""
"""`python -m provisioner`, which also writes its own peak RSS (VmHWM, KiB) to a file at exit.
`wait4`'s ru_maxrss cannot be used: Linux carries the high-water mark of the image a child
replaced at exec into it, and that image was this process's (fork or vfork), so a child of
a benchmark holding a 5,000-resource workspace "peaked" at that workspace's size."""


def provisioner(*args: str, host: str | None = None, env: dict[str, str] | None = None,
                timeout: float = 900.0) -> Run:
    """`python -m provisioner ARGS`, talking to the workspace at `host` (if any) through
    databricks-sdk's environment auth, as CI would; its peak RSS is its own (`HIGH_WATER`)."""
    extra = {"DATABRICKS_HOST": host, "DATABRICKS_TOKEN": "bench"} if host else {}
    if not Path("/proc/self/status").exists():
        return python("-m", "provisioner", *args, env={**extra, **(env or {})}, timeout=timeout)
    with tempfile.TemporaryDirectory() as tmp:
        mark = Path(tmp) / "high-water"
        run_ = python("-c", HIGH_WATER, *args, timeout=timeout,
                      env={**extra, **(env or {}), "BENCH_HIGH_WATER": str(mark)})
        if mark.exists():
            run_ = dataclasses.replace(run_, peak_rss_mb=int(mark.read_text()) / 1024)
        return run_


def python(*args: str, env: dict[str, str] | None = None, timeout: float = 900.0) -> Run:
    """This interpreter with `args`, in a clean Databricks environment plus `env`. Python
    keeps its bytecode cache, as an installed package has it (pip compiles at install): a
    shell's PYTHONDONTWRITEBYTECODE would make every run compile its imports again."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("DATABRICKS_") and k != "PYTHONDONTWRITEBYTECODE"}
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
