"""Registered LangChain models: one version per content, aliases follow it, the endpoint that
serves it updates in the same apply, and a missing extra is one clear error."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from databricks.sdk.errors import NotFound
from support.harness import served_workspace

from provisioner.workspace.client import WorkspaceAuth, connect

pytest.importorskip("mlflow", reason="needs the provisioner[models] extra")

ROOT = Path(__file__).resolve().parents[2]
CHAIN = (ROOT / "tests" / "conformance" / "files" / "chain.py").read_text()
STACK = """\
stack: models
resources:
  registered_models:
    chain:
      name: main.models.chain
      flavor: langchain
      code: chain.py
      signature: {inputs: [{type: string}], outputs: [{type: string}]}
      aliases: [champion]
  serving_endpoints:
    server:
      served_entities:
        - entity_name: ${resources.registered_models.chain.name}
          entity_version: ${resources.registered_models.chain.version}
          workload_size: Small
          scale_to_zero_enabled: true
"""


UC = "/api/2.0/mlflow/unity-catalog"


def versions(harness) -> list[str]:
    """Versions of the model, read from the workspace over the Unity Catalog routes."""
    with harness.workspace() as (client, _):
        try:
            found = client.api_client.do("GET", f"{UC}/model-versions/search",
                                         query={"filter": "name='main.models.chain'"})
        except NotFound:  # no model, no versions
            return []
    return sorted(str(v["version"]) for v in found.get("model_versions", []))


def alias(harness, name: str) -> str:
    with harness.workspace() as (client, _):
        return client.model_versions.get_by_alias("main.models.chain", name).version


def served_version(harness) -> str:
    with harness.workspace() as (client, _):
        endpoint = client.api_client.do("GET", "/api/2.0/serving-endpoints/server")
    return endpoint["config"]["served_entities"][0]["entity_version"]


def test_a_version_is_produced_and_served_in_one_apply_and_kept_by_content(harness):
    harness.write(CHAIN, "chain.py")
    harness.write(STACK)
    plan = harness.changes()
    served = plan["serving_endpoints.server"]["change"]["after"]["served_entities"][0]
    assert served["entity_version"] == "(known after apply)"
    harness.apply()
    harness.assert_converged()
    assert versions(harness) == ["1"]
    assert alias(harness, "champion") == 1
    assert served_version(harness) == "1"
    harness.apply()  # the same content again: nothing is logged
    assert versions(harness) == ["1"]


def test_editing_the_code_logs_a_version_moves_the_alias_and_updates_the_endpoint(harness):
    harness.write(CHAIN, "chain.py")
    harness.write(STACK)
    harness.apply()
    harness.write(CHAIN + "# a change\n", "chain.py")
    changes = harness.changes()
    fields = {f["path"]: f for f in changes["registered_models.chain"]["fields"]}
    assert fields["version.files.chain.py"]["before"] != fields["version.files.chain.py"]["after"]
    assert fields["aliases.champion"]["before"] == "1"
    assert changes["serving_endpoints.server"]["action"] == "update"
    text = harness.cli("plan", str(harness.root)).out
    assert 'aliases.champion: "1" → (this stack\'s version)' in text
    # the new version's served entity is named after its number, which is not known yet
    assert "served_entities[name=(known after apply)]: added" in text
    assert "-(known after apply)" not in text
    harness.apply()
    harness.assert_converged()
    assert versions(harness) == ["1", "2"]
    assert str(alias(harness, "champion")) == "2" == served_version(harness)
    harness.write(CHAIN, "chain.py")  # back to the first content: version 1 again
    harness.apply()
    assert versions(harness) == ["1", "2"]
    assert alias(harness, "champion") == 1


def test_concurrent_applies_of_one_content_log_one_version(harness, tmp_path, monkeypatch):
    """Two stacks (two states, two locks, no lock in common) apply the same model to one
    workspace at once: both log, both settle on the lowest-numbered version with that
    content, and the duplicate is deleted."""
    harness.write(CHAIN, "chain.py")
    harness.write(STACK.split("  serving_endpoints:")[0].replace(
        "resources:", "targets:\n  shared: {workspace: {auth_type: pat}}\nresources:"))
    twin = tmp_path / "twin"
    shutil.copytree(harness.root, twin)
    results = []

    def apply(folder: Path) -> None:
        results.append(subprocess.run(
            [sys.executable, "-m", "provisioner", "apply", str(folder), "-t", "shared",
             "--auto-approve"], capture_output=True, text=True))

    with served_workspace(tmp_path / "workspace", monkeypatch) as local:
        threads = [threading.Thread(target=apply, args=(f,)) for f in (harness.root, twin)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        failures = [r.stderr[-1500:] for r in results if r.returncode != 0]
        assert not failures, "\n---\n".join(failures)
        client = connect(WorkspaceAuth(host=local.url, token="test-token"))
        found = client.api_client.do("GET", f"{UC}/model-versions/search",
                                     query={"filter": "name='main.models.chain'"})
    assert [v["version"] for v in found["model_versions"]] == ["1"]


def test_deleting_a_model_with_versions_needs_delete_versions(harness):
    harness.write(CHAIN, "chain.py")
    harness.write(STACK.split("  serving_endpoints:")[0])
    harness.apply()
    refused = harness.cli("destroy", str(harness.root), "--auto-approve")
    assert refused.code == 1 and "lifecycle.delete_versions" in refused.err
    harness.write(STACK.split("  serving_endpoints:")[0]
                  + "      lifecycle: {delete_versions: true}\n")
    harness.apply()
    text = harness.cli("plan", str(harness.root), "--destroy").out
    assert "1 version go with it" in text
    assert harness.cli("destroy", str(harness.root), "--auto-approve").code == 0
    assert versions(harness) == []


def test_without_the_extra_only_logging_a_version_is_one_clear_error(harness):
    harness.write(CHAIN, "chain.py")
    harness.write(STACK)
    blocker = ("import sys; sys.modules['mlflow'] = None; "
               "from provisioner.cli.main import main; "
               f"sys.argv = ['provisioner', 'plan', {str(harness.root)!r}]; main()")
    result = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True)
    assert result.returncode == 1
    assert "pip install 'databricks-ai-provisioner[models]'" in result.stderr
    assert "Traceback" not in result.stderr
    validated = subprocess.run([sys.executable, "-c", blocker.replace("'plan'", "'validate'")],
                               capture_output=True, text=True)
    assert validated.returncode == 0, validated.stderr
    harness.apply()  # with MLflow: the version is logged
    converged = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True)
    assert converged.returncode == 0, converged.stderr  # reading needs no MLflow


def test_keep_versions_prunes_the_oldest_versions_nothing_points_at(harness):
    harness.write(STACK.split("  serving_endpoints:")[0] + "      keep_versions: 1\n")
    for edit in ("", "# two\n", "# three\n"):
        harness.write(CHAIN + edit, "chain.py")
        harness.apply()
    harness.assert_converged()
    assert versions(harness) == ["3"]  # 1 and 2: older, no alias, not served
    assert alias(harness, "champion") == 3


def test_grants_and_owner_changed_by_hand_are_drift_and_apply_restores_them(harness):
    harness.write(CHAIN, "chain.py")
    harness.write(STACK.split("  serving_endpoints:")[0]
                  + "      owner: ml-admins\n"
                  + "      grants: [{principal: serving-sp, privileges: [EXECUTE]}]\n")
    harness.apply()
    harness.assert_converged()
    with harness.workspace() as (client, _):  # someone revokes EXECUTE and takes the model
        client.api_client.do(
            "PATCH", "/api/2.1/unity-catalog/permissions/FUNCTION/main.models.chain",
            body={"changes": [{"principal": "serving-sp", "remove": ["EXECUTE"]},
                              {"principal": "someone", "add": ["MANAGE"]}]})
        client.api_client.do("PATCH", "/api/2.1/unity-catalog/models/main.models.chain",
                             body={"owner": "someone"})
    change = harness.changes()["registered_models.chain"]
    assert {"owner", "grants[principal=serving-sp]"} <= {f["path"] for f in change["drift"]}
    harness.apply()
    harness.assert_converged()
    with harness.workspace() as (client, _):
        grants = client.api_client.do(
            "GET", "/api/2.1/unity-catalog/permissions/FUNCTION/main.models.chain")
        owner = client.registered_models.get("main.models.chain").owner
    assert grants["privilege_assignments"] == [{"principal": "serving-sp",
                                                "privileges": ["EXECUTE"]}]
    assert owner == "ml-admins"
