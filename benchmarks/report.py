"""Rows out: a markdown table, the JSON file, the plan chart, and the machine they came from."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.results import Row

CHART_LATENCY_MS = 50.0


def table(rows: list[Row]) -> str:
    lines = ["| scenario | case | figure | reference | ratio | target | met |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        ratio = f"{row.ratio:.2f}{row.unit}" if row.ratio != float("inf") else "failed"
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        lines.append(f"| {row.scenario} | {row.case} | {row.figure} | {row.reference} | "
                     f"{ratio} | {row.target or ''} | {met} |")
    return "\n".join(lines)


RESULTS_START = "<!-- results: written by `python -m benchmarks` -->"
RESULTS_END = "<!-- end of results -->"


def publish(page: Path, rows: list[Row], summary: str) -> None:
    """Put the table and the run's summary line between the results markers of `page`, so
    the published figures are always those of one whole run."""
    text = page.read_text()
    start, end = text.index(RESULTS_START) + len(RESULTS_START), text.index(RESULTS_END)
    page.write_text(f"{text[:start]}\n{table(rows)}\n\n{summary}\n{text[end:]}")


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, CPU, Python, and how busy the machine was."""
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo()
                  if line.startswith("model name")), platform.processor() or "unknown")
    return {"nproc": os.cpu_count(), "cpu": model, "python": sys.version.split()[0],
            "platform": platform.platform(), "load_average": list(os.getloadavg())}


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def write_json(path: Path, rows: list[Row], *, mode: str, started: float, finished: float,
               machine_before: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "mode": mode,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(finished - started, 1),
        "machine": machine_before,
        "load_average_after": list(os.getloadavg()),
        "rows": [row.to_dict() for row in rows],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def chart(path: Path, rows: list[Row]) -> None:
    """No-op plan time against N at L = 50 ms: ours, sequential and the latency bound, all
    as work (wall time less an empty stack's plan); ours also as wall time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points, wide = {}, {}
    for row in rows:
        data = row.data or {}
        if (row.scenario == "plan" and row.case.startswith("no-op")
                and data.get("latency_ms") == CHART_LATENCY_MS):
            (wide if data.get("wide") else points)[data["n"]] = data
    ns = sorted(points)
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    axes.plot(ns, [points[n]["work"] for n in ns], "o-", label="ours (work)")
    axes.plot(ns, [points[n]["seconds"] for n in ns], "o:", label="ours (wall)")
    sequential = [n for n in ns if "sequential_work" in points[n]]
    axes.plot(sequential, [points[n]["sequential_work"] for n in sequential], "s-",
              label="--parallelism 1 (work)")
    scaled = [n for n in sequential if "scaled" in points[n]["sequential_how"]]
    axes.plot(scaled, [points[n]["sequential_work"] for n in scaled], "s", mfc="white",
              color="C2", label="--parallelism 1, scaled from a smaller N")
    for n, data in sorted(wide.items()):
        axes.plot([n], [data["work"]], "D", color="C0", mfc="white",
                  label=f"ours at --parallelism {data['parallelism']} (work)")
    bounded = [n for n in ns if "bound" in points[n]]
    axes.plot(bounded, [points[n]["bound"] for n in bounded], "^--",
              label="latency bound (calls ÷ parallelism × L)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("resources in the stack (N)")
    axes.set_ylabel("seconds")
    axes.set_title(f"No-op plan at L = {CHART_LATENCY_MS:g} ms per round trip")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
