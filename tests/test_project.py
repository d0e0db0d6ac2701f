"""Project-wide checks: layer contracts, committed schemas, start-up imports, registries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("databricks", "mlflow", "langchain")


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: " in result.stdout and " broken" in result.stdout


@pytest.mark.parametrize("document", ["stack", "plan", "state", "drift", "events"])
def test_committed_schemas_are_fresh(document):
    from provisioner.apply.event_document import events_schema
    from provisioner.plan.document import plan_schema
    from provisioner.plan.drift_document import drift_schema
    from provisioner.stack.schema import stack_schema
    from provisioner.state.document import state_schema

    generate = {"stack": stack_schema, "plan": plan_schema, "state": state_schema,
                "drift": drift_schema, "events": events_schema}[document]
    committed = json.loads((ROOT / "schemas" / f"{document}.schema.json").read_text())
    assert committed == generate(), (
        f"schemas/{document}.schema.json is stale: regenerate it with\n"
        f"  provisioner schema {document} > schemas/{document}.schema.json")


@pytest.mark.parametrize("argv", [["--help"], ["validate", "stacks/rag-assistant"]])
def test_help_and_validate_do_not_import_heavy_packages(argv):
    probe = ("import runpy, sys\n"
             f"sys.argv = ['provisioner', *{argv!r}]\n"
             "try:\n    runpy.run_module('provisioner', run_name='__main__')\n"
             "except SystemExit as e:\n    assert e.code == 0, e.code\n"
             f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
             "print(heavy)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_every_example_stack_names_the_schema():
    for stack_file in sorted((ROOT / "stacks").glob("*/stack.yaml")):
        first = stack_file.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/stack.schema.json"


def test_the_ci_lock_pins_versions_the_declared_ranges_allow():
    """pyproject.toml declares compatible ranges (a user's environment must resolve them with
    its own packages); CI installs the lock. A pin outside its range would test a version no
    user can get."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in [*project["dependencies"],
                                         *sum(project["optional-dependencies"].values(), [])]]
    pins = {}
    for line in (ROOT / ".ci" / "constraints.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_normal(name)] = version
    for requirement in declared:
        assert _normal(requirement.name) in pins, f"{requirement.name} is not in the lock"
        assert requirement.specifier.contains(pins[_normal(requirement.name)]), (
            f"the lock pins {requirement.name}=={pins[_normal(requirement.name)]}, outside "
            f"{requirement.specifier}")
        assert not any(s.operator == "==" for s in requirement.specifier) or \
            requirement.name == "ruff", f"{requirement} is an exact pin: declare a range"


def _normal(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_distribution_is_named_for_what_it_is():
    """`provisioner` on the package index is an unrelated project: the distribution has its own
    name, and the import package and the console script stay `provisioner`."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "databricks-ai-provisioner"
    assert project["scripts"] == {"provisioner": "provisioner.cli.main:main"}
