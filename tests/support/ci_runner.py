"""A CI runner's Python, to run the steps of CI workflows (the examples/ci templates, the
workflow `provisioner init` writes) as a runner would: provisioner installed from a wheel
built from this checkout, the way the workflows install it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXPRESSION = re.compile(r"\$\{\{[^}]*\}\}")
NEEDS_THE_FORGE = ("gh ", "CI_API_V4_URL")
"""Steps that call GitHub's or GitLab's API: not run here."""
OURS = re.compile(r"^(provisioner|databricks_ai_provisioner|__editable__)|\.pth$")


def build(base: Path) -> dict[str, str]:
    """The environment of a fresh venv that sees this environment's dependencies (through a
    .pth, so nothing is downloaded) but not provisioner, which a workflow must install:
    PROVISIONER_PACKAGE names a wheel built from this checkout."""
    source = base / "source"
    source.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        (source / name).write_text((ROOT / name).read_text())
    shutil.copytree(ROOT / "provisioner", source / "provisioner",
                    ignore=shutil.ignore_patterns("__pycache__"))
    wheels = base / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(source)], check=True)
    (wheel,) = wheels.glob("databricks_ai_provisioner-*.whl")
    visible = base / "dependencies"
    visible.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not OURS.search(entry.name):
            (visible / entry.name).symlink_to(entry)
    python = base / "venv"
    venv.create(python)  # pip comes with the dependencies: ensurepip takes many seconds
    (site,) = python.glob("lib/python3*/site-packages")
    (site / "dependencies.pth").write_text(f"{visible}\n")
    pip = python / "bin" / "pip"
    pip.write_text(f"#!{python / 'bin' / 'python'}\nimport sys\n"
                   "from pip._internal.cli.main import main\nsys.exit(main())\n")
    pip.chmod(0o755)
    return {"PATH": f"{python / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "PROVISIONER_PACKAGE": str(wheel), "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "VIRTUAL_ENV": str(python)}


def github_steps(path: Path) -> list[tuple[dict[str, str], str]]:
    """(environment, script) of each `run:` step that needs no GitHub API, `${{ }}`
    expressions replaced by a sample value."""
    document = yaml.safe_load(path.read_text())
    steps = []
    for job in document["jobs"].values():
        for step in job["steps"]:
            if "run" in step and not any(m in step["run"] for m in NEEDS_THE_FORGE):
                environment = {**document.get("env", {}), **step.get("env", {})}
                steps.append(({k: EXPRESSION.sub("7", str(v)) for k, v in environment.items()},
                              EXPRESSION.sub("7", step["run"])))
    return steps


def run_step(script: str, environment: dict[str, str], cwd: Path, runner: dict[str, str],
             **overrides: str) -> subprocess.CompletedProcess[str]:
    """A step's script as GitHub runs it (`bash -eo pipefail`), on the runner."""
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **environment, **runner, **overrides})
