"""The nightly drift loop against a served workspace: apply; someone edits by hand through the
SDK; `drift --exit-code` exits 2 naming exactly those fields and their severities; apply puts
them back; drift exits 0. Also deletions, unmanaged resources, masking and no lock."""

from __future__ import annotations

import json
import os

import pytest
from support.harness import served_workspace

from provisioner.plan.drift_document import DriftDocument

STACK = """\
stack: gitops
targets:
  served: {}
resources:
  serving_endpoints:
    assistant:
      served_entities:
        - entity_name: system.ai.meta_llama_v3_1_8b_instruct
          entity_version: "1"
          workload_size: Small
          scale_to_zero_enabled: true
      tags: {team: search, env: prod}
  vector_search_endpoints:
    docs-vs: {endpoint_type: STANDARD}
"""
SERVED = ("-t", "served")


def sdk(local):
    from provisioner.workspace.client import WorkspaceAuth, connect

    return connect(WorkspaceAuth(host=local.url, token="by-hand"))


def drift(harness, *args: str):
    return harness.cli("drift", str(harness.root), *SERVED, *args)


def report(harness, *args: str) -> tuple[int, dict]:
    result = drift(harness, "--format", "json", *args)
    assert result.code in (0, 2), result.text
    document = json.loads(result.out)
    DriftDocument.model_validate(document)
    return result.code, document


def fields(document: dict) -> dict[tuple[str, str], tuple]:
    return {(f["address"], d["path"]): (d["before"], d["after"], d["severity"])
            for f in document["findings"] for d in f["fields"]}


def test_drift_names_what_changed_by_hand_and_apply_puts_it_back(harness, tmp_path,
                                                                  monkeypatch):
    from databricks.sdk.service.serving import EndpointTag, ServedEntityInput

    harness.write(STACK)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        harness.apply(*SERVED)
        assert drift(harness, "--exit-code").code == 0

        client = sdk(local)
        entity = client.serving_endpoints.get("assistant").config.served_entities[0]
        client.serving_endpoints.patch("assistant",
                                       add_tags=[EndpointTag(key="team", value="by-hand")])
        client.serving_endpoints.update_config("assistant", served_entities=[ServedEntityInput(
            name=entity.name, entity_name=entity.entity_name,
            entity_version=entity.entity_version, workload_size="Medium",
            scale_to_zero_enabled=True)])

        code, document = report(harness, "--exit-code")
        assert code == 2
        assert fields(document) == {
            ("serving_endpoints.assistant", "tags[key=team].value"):
                ("search", "by-hand", "cosmetic"),
            ("serving_endpoints.assistant",
             f"served_entities[name={entity.name}].workload_size"):
                ("Small", "Medium", "config"),
        }
        assert document["findings"][0]["severity"] == "config"
        assert document["summary"]["checked"] == 2
        assert drift(harness, "--exit-code", "--fail-on", "breaking").code == 0
        assert drift(harness, "--exit-code", "--fail-on", "config").code == 2
        assert drift(harness).code == 0  # without --exit-code, drift is not a failure

        line = STACK.splitlines().index("    assistant:") + 1
        annotations = [a for a in drift(harness, "--format", "github").out.splitlines()
                       if a.startswith("::")]
        assert len(annotations) == 1
        assert f"stack.yaml,line={line},title=drift (config)" in annotations[0]

        harness.apply(*SERVED)
        assert drift(harness, "--exit-code").code == 0
        assert harness.changes(*SERVED) == {}


def test_deleted_and_unmanaged_resources_are_findings(harness, tmp_path, monkeypatch):
    harness.write(STACK)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        harness.apply(*SERVED)
        sdk(local).vector_search_endpoints.delete_endpoint("docs-vs")
        forgotten = harness.cli("state", "rm", "serving_endpoints.assistant", str(harness.root),
                                *SERVED)
        assert forgotten.code == 0, forgotten.text

        code, document = report(harness, "--exit-code", "--fail-on", "breaking")
        assert code == 2
        assert {f["address"]: (f["status"], f["severity"]) for f in document["findings"]} == {
            "vector_search_endpoints.docs-vs": ("deleted", "deleted"),
            "serving_endpoints.assistant": ("unmanaged", "config"),
        }
        text = drift(harness).out
        assert "vector_search_endpoints.docs-vs deleted outside the stack" in text
        assert "serving_endpoints.assistant is in the workspace but not in the state" in text


def test_drift_takes_no_lock(harness, tmp_path, monkeypatch):
    from provisioner.state.local import LocalBackend
    from provisioner.state.lock import LockInfo

    harness.write(STACK)
    with served_workspace(tmp_path / "ws", monkeypatch):
        harness.apply(*SERVED)
        backend = LocalBackend(harness.state_dir, "served")
        held = LockInfo("apply")
        assert backend.try_lock(held) is None
        try:
            assert drift(harness, "--exit-code").code == 0
            assert harness.cli("apply", str(harness.root), *SERVED, "--auto-approve").code == 1
        finally:
            backend.unlock(held.id)


CANARY_STACK = """\
stack: canary
resources:
  serving_endpoints:
    custom:
      served_entities:
        - entity_name: system.ai.meta_llama_v3_1_8b_instruct
          entity_version: "1"
          workload_size: Small
          scale_to_zero_enabled: true
          environment_vars: {{API_TOKEN: {canary}}}
"""


def test_a_sensitive_value_changed_by_hand_is_reported_masked(harness):
    canary = "tok-CANARY-" + os.urandom(8).hex()
    harness.write(CANARY_STACK.format(canary=canary))
    harness.apply()
    rotated = canary + "-ROTATED"
    with harness.workspace() as (client, _):
        entity = client.api_client.do("GET", "/api/2.0/serving-endpoints/custom")[
            "config"]["served_entities"][0]
        client.api_client.do("PUT", "/api/2.0/serving-endpoints/custom/config", body={
            "served_entities": [{**{k: entity[k] for k in (
                "name", "entity_name", "entity_version", "workload_size",
                "scale_to_zero_enabled")}, "environment_vars": {"API_TOKEN": rotated}}]})
    outputs = {fmt: harness.cli("drift", str(harness.root), "--format", fmt)
               for fmt in ("text", "json", "markdown", "github")}
    drifted = fields(json.loads(outputs["json"].out))
    assert [(path, values) for (_, path), values in drifted.items()] == [
        (f"served_entities[name={entity['name']}].environment_vars.API_TOKEN",
         ("(sensitive)", "(sensitive)", "breaking"))]
    for result in outputs.values():
        assert canary not in result.text and "(sensitive)" in result.out


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    monkeypatch.delenv("PROVISIONER_DEBUG", raising=False)
