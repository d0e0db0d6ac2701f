"""Registered models on every target: `stacks/rag-assistant` on `provisioner local serve`
through a PAT target goes exactly as on the embedded one, through the same Unity Catalog
routes; a no-op plan reads the model without importing MLflow (issue 18)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config

pytest.importorskip("mlflow", reason="needs the provisioner[models] extra")

ROOT = Path(__file__).resolve().parents[2]
SERVED_TARGET = "  served:\n    workspace: {auth_type: pat}   # host, token: the environment\n"
TOKEN = "t0k-served"


def rag_assistant(folder: Path) -> Path:
    """The shipped stack plus a PAT target; destroyable (no prevent_destroy, and its model's
    versions may go) so that the round trip ends with an empty workspace."""
    shutil.copytree(ROOT / "stacks" / "rag-assistant", folder,
                    ignore=shutil.ignore_patterns(".provisioner"))
    stack = folder / "stack.yaml"
    text = stack.read_text().replace("targets:\n", "targets:\n" + SERVED_TARGET, 1)
    text = text.replace("      lifecycle: {prevent_destroy: true}\n", "")
    text = text.replace("      aliases: [champion]", "      lifecycle: {delete_versions: true}\n"
                        "      aliases: [champion]")
    stack.write_text(text)
    return folder


@contextmanager
def local_serve(directory: Path) -> Iterator[str]:
    """`provisioner local serve` in its own process; yields the host it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "provisioner", "local", "serve", "--dir", str(directory),
         "--token", TOKEN], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        host = None
        while host is None:
            line = process.stdout.readline()
            assert line, process.stderr.read()
            if line.startswith("export DATABRICKS_HOST="):
                host = line.strip().split("=", 1)[1]
        yield host
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


def provisioner(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=600)


def held(client: WorkspaceClient) -> dict[str, list[str]]:
    """What the stack makes, as the workspace lists it."""
    uc = "/api/2.0/mlflow/unity-catalog/registered-models/search"
    return {
        "registered_models": sorted(m["name"] for m in client.api_client.do(
            "GET", uc).get("registered_models", [])),
        "serving_endpoints": sorted(e.name for e in client.serving_endpoints.list()
                                    if not e.name.startswith("databricks-")),
        "vector_search_endpoints": sorted(e.name for e in
                                          client.vector_search_endpoints.list_endpoints()),
    }


FAST = {"PROVISIONER_LOCAL_SETTINGS": '{"serving_endpoint_create_seconds": 0, '
                                      '"vector_search_endpoint_seconds": 0, '
                                      '"vector_search_index_seconds": 0}'}


class Embedded:
    """The `local` target: the workspace runs inside each command."""

    target = "local"
    env = FAST

    def __init__(self, stack: Path):
        self.stack = stack

    def held(self) -> dict[str, list[str]]:
        from provisioner.local import LocalWorkspace

        with LocalWorkspace(self.stack / ".provisioner" / "local") as local:
            return held(WorkspaceClient(config=Config(host=local.url, token="x")))


class Served:
    """The PAT target on `provisioner local serve`, which must hold the chat key already."""

    target = "served"

    def __init__(self, host: str):
        self.env = {"DATABRICKS_HOST": host, "DATABRICKS_TOKEN": TOKEN}
        self.client = WorkspaceClient(config=Config(host=host, token=TOKEN))
        self.client.secrets.create_scope("llm-keys")
        self.client.secrets.put_secret("llm-keys", "openai", string_value="sk-served")

    def held(self) -> dict[str, list[str]]:
        return held(self.client)


def apply_and_plan(stack: Path, target: Embedded | Served) -> dict[str, list[str]]:
    """apply, then a plan that must be empty; what the workspace holds then."""
    applied = provisioner("apply", str(stack), "-t", target.target, "--auto-approve",
                          env=target.env)
    assert applied.returncode == 0, applied.stderr[-3000:]
    assert "already exists" not in applied.stdout + applied.stderr  # MLflow's own chatter
    planned = provisioner("plan", str(stack), "-t", target.target, "--detailed-exitcode",
                          env=target.env)
    assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr[-3000:]
    return target.held()


def destroy(stack: Path, target: Embedded | Served) -> dict[str, list[str]]:
    destroyed = provisioner("destroy", str(stack), "-t", target.target, "--auto-approve",
                            env=target.env)
    assert destroyed.returncode == 0, destroyed.stderr[-3000:]
    return target.held()


def test_rag_assistant_applies_and_converges_on_a_pat_target_as_on_the_embedded_one(tmp_path):
    embedded_stack = rag_assistant(tmp_path / "embedded")
    embedded = apply_and_plan(embedded_stack, Embedded(embedded_stack))
    with local_serve(tmp_path / "served-workspace") as host:
        served = apply_and_plan(rag_assistant(tmp_path / "served"), Served(host))
    assert served == embedded
    assert served["registered_models"] == ["main.rag.rag_chain"]


def test_rag_assistant_destroys_on_a_pat_target_as_on_the_embedded_one(tmp_path):
    nothing = {"registered_models": [], "serving_endpoints": [], "vector_search_endpoints": []}
    embedded_stack = rag_assistant(tmp_path / "embedded")
    apply_and_plan(embedded_stack, Embedded(embedded_stack))
    assert destroy(embedded_stack, Embedded(embedded_stack)) == nothing
    with local_serve(tmp_path / "served-workspace") as host:
        served_stack, target = rag_assistant(tmp_path / "served"), Served(host)
        apply_and_plan(served_stack, target)
        assert destroy(served_stack, target) == nothing


def test_a_no_op_plan_of_a_model_imports_no_mlflow(harness):
    """Reading a model, its versions, aliases and tags is REST through the SDK client."""
    shutil.copytree(ROOT / "stacks" / "rag-assistant", harness.root,
                    ignore=shutil.ignore_patterns(".provisioner"))
    harness.apply()
    probe = ("import runpy, sys\n"
             f"sys.argv = ['provisioner', 'plan', {str(harness.root)!r}, '--detailed-exitcode']\n"
             "try:\n    runpy.run_module('provisioner', run_name='__main__')\n"
             "except SystemExit as e:\n    assert e.code == 0, e.code\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mlflow'))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_profile_target_logs_its_version_where_it_reads(tmp_path):
    """The version is logged with the target's own auth (here a profile of a config file
    the environment names), not MLflow's: nothing else points MLflow at the workspace."""
    stack = tmp_path / "stack"
    stack.mkdir()
    shutil.copy(ROOT / "tests" / "conformance" / "files" / "chain.py", stack / "chain.py")
    (stack / "stack.yaml").write_text(
        "stack: profiled\n"
        "targets:\n  team: {workspace: {profile: team}}\n"
        "resources:\n  registered_models:\n    chain:\n      name: main.team.chain\n"
        "      flavor: langchain\n      code: chain.py\n"
        "      signature: {inputs: [{type: string}], outputs: [{type: string}]}\n")
    with local_serve(tmp_path / "workspace") as host:
        config = tmp_path / "databrickscfg"
        config.write_text(f"[team]\nhost = {host}\ntoken = {TOKEN}\n")
        env = {"DATABRICKS_CONFIG_FILE": str(config), "DATABRICKS_HOST": "",
               "DATABRICKS_TOKEN": ""}
        applied = provisioner("apply", str(stack), "-t", "team", "--auto-approve", env=env)
        assert applied.returncode == 0, applied.stderr[-3000:]
        client = WorkspaceClient(config=Config(host=host, token=TOKEN))
        version = client.model_versions.get("main.team.chain", 1)
    assert version.status.value == "READY"
