"""`python -m benchmarks [--quick]`: every speed and size claim, as ratios measured in one run.

Prints a markdown table, writes `benchmarks/results/latest.json` (`quick.json` with
`--quick`) and, for the full run, the chart `docs/benchmarks-plan.png` and the table in
`docs/benchmarks.md`. Exits 1 when a gated ratio misses its target by more than the target's
margin (1.25× for ratios of times, none for exact figures such as call counts).
"""

from __future__ import annotations

import argparse
import compileall
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import report
from benchmarks.scenarios import FULL, QUICK, all_scenarios
from benchmarks.sites import Sites

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
CHART = ROOT / "docs" / "benchmarks-plan.png"
PAGE = ROOT / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, under a minute: the CI regression check")
    parser.add_argument("--out", type=Path, help="JSON file to write (default: "
                        "benchmarks/results/latest.json, or quick.json with --quick)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    started, before = time.perf_counter(), report.machine()

    def log(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {text}", file=sys.stderr, flush=True)

    compileall.compile_dir(ROOT / "provisioner", quiet=1)  # as a wheel's install would
    with tempfile.TemporaryDirectory(prefix="provisioner-bench-") as tmp:
        sites = Sites(Path(tmp))
        try:
            rows = list(all_scenarios(sites, sizes, log))
        finally:
            sites.close()
    finished = time.perf_counter()
    summary = (f"{mode} run, {finished - started:.0f} s; {before['nproc']} × {before['cpu']}, "
               f"Python {before['python']}, load average {before['load_average'][0]:.2f} at "
               "start")
    print(f"{report.table(rows)}\n\n{summary}")
    report.write_json(args.out or RESULTS / f"{'quick' if args.quick else 'latest'}.json", rows,
                      mode=mode, started=started, finished=finished, machine_before=before)
    if sizes.chart:
        report.chart(CHART, rows)
        report.publish(PAGE, rows, summary)
    missed = [row for row in rows if row.badly_missed]
    for row in missed:
        print(f"REGRESSION: {row.case}: {row.ratio:.2f} against {row.target} "
              f"(fails beyond {row.target.margin:g}× the target)", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
