"""A no-op plan of `stacks/rag-assistant` (a registered model) next to the same stack without
its model: reading a model is REST through the SDK, so MLflow's import and client set-up
(~2.3 s, issue 18) must not come back.

Both stacks are applied once on the embedded local target, then planned: the fastest of a
few runs, its peak RSS, and the MLflow modules the plan imported.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from benchmarks import commands
from benchmarks.results import Row, Target, seconds

STACK = Path(__file__).resolve().parents[1] / "stacks" / "rag-assistant"
FAST = {"PROVISIONER_LOCAL_SETTINGS": json.dumps({
    "serving_endpoint_create_seconds": 0, "vector_search_endpoint_seconds": 0,
    "vector_search_index_seconds": 0})}
PROBE = ("import sys\nfrom provisioner.cli.main import run\ncode = run(sys.argv[1:])\n"
         "print('\\nMLFLOW:' + ','.join(sorted(m for m in sys.modules "
         "if m.split('.')[0] == 'mlflow')))\nsys.exit(code)")


def without_model(text: str) -> str:
    """rag-assistant less its registered model and the endpoint serving it."""
    return text.split("  registered_models:")[0]


def model_plans(repeats: int) -> Iterator[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-models-") as folder:
        with_model = _applied(Path(folder) / "with-model", lambda text: text)
        plain = _applied(Path(folder) / "without-model", without_model)
        ours = min((_plan(with_model) for _ in range(repeats)), key=lambda r: r.seconds)
        reference = min((_plan(plain) for _ in range(repeats)), key=lambda r: r.seconds)
        imported = _mlflow_modules(with_model)
    data = {"seconds": ours.seconds, "reference_seconds": reference.seconds,
            "peak_rss_mb": ours.peak_rss_mb, "reference_peak_rss_mb": reference.peak_rss_mb}
    yield Row("models", "no-op plan of rag-assistant vs the same stack without its model",
              f"{seconds(ours.seconds)}, {ours.peak_rss_mb:.0f} MB",
              f"{seconds(reference.seconds)}, {reference.peak_rss_mb:.0f} MB",
              ours.seconds / reference.seconds, target=Target("<=", 1.5), data=data,
              note="the model is read over Unity Catalog REST (a few more calls), "
                   "without MLflow")
    yield Row("models", "no-op plan of rag-assistant: modules of mlflow imported",
              ", ".join(imported[:3]) + (" …" if len(imported) > 3 else "") or "none",
              "none", float(len(imported)), unit="", target=Target("<=", 0.0, margin=1.0))


def _applied(folder: Path, edit) -> Path:
    shutil.copytree(STACK, folder, ignore=shutil.ignore_patterns(".provisioner"))
    stack = folder / "stack.yaml"
    stack.write_text(edit(stack.read_text()))
    applied = commands.provisioner("apply", str(folder), "--auto-approve", env=FAST)
    if applied.code != 0:
        raise RuntimeError(f"apply of {folder.name} failed:\n{applied.err[-2000:]}")
    return folder


def _plan(folder: Path) -> commands.Run:
    run = commands.provisioner("plan", str(folder), "--detailed-exitcode", env=FAST)
    if run.code != 0:
        raise RuntimeError(f"the plan of {folder.name} is not a no-op:\n{run.out[-2000:]}")
    return run


def _mlflow_modules(folder: Path) -> list[str]:
    run = commands.python("-c", PROBE, "plan", str(folder), env=FAST)
    line = next(x for x in reversed(run.out.splitlines()) if x.startswith("MLFLOW:"))
    return [m for m in line.removeprefix("MLFLOW:").split(",") if m]
