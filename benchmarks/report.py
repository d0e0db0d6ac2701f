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
    """No-op plan wall time against N at L = 50 ms: ours, sequential, Terraform's
    parallelism and the floor, all measured (sequential scaled where it says so)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points: dict[int, dict[str, Any]] = {}
    for row in rows:
        data = row.data or {}
        if (row.scenario == "plan" and row.case.startswith("no-op plan, N=")
                and data.get("latency_ms") == CHART_LATENCY_MS):
            points.setdefault(data["n"], {}).update(data)
    ns = sorted(points)
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)

    def line(key: str, style: str, label: str, keep=lambda data: True) -> None:
        shown = [n for n in ns if key in points[n] and keep(points[n])]
        if shown:
            axes.plot(shown, [points[n][key] for n in shown], style, label=label)

    line("seconds", "o-", f"ours (default: up to {points[ns[0]]['parallelism']} in flight)")
    line("sequential", "s-", "--parallelism 1",
         lambda data: "scaled" not in data["sequential_how"])
    line("sequential", "s", "--parallelism 1, scaled from a smaller N",
         lambda data: "scaled" in data["sequential_how"])
    line("terraform", "D-", "--parallelism 10 (Terraform's default)")
    line("floor", "^--", "floor: start-up + the same GETs through the bare SDK")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("resources in the stack (N)")
    axes.set_ylabel("wall seconds, start-up included")
    axes.set_title(f"No-op plan at L = {CHART_LATENCY_MS:g} ms per round trip")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
