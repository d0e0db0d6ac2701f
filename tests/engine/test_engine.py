"""Engine behaviours beyond one resource's life: adoption, saved plans, locks, protection,
secrets, failures and faults. All through the real CLI and databricks-sdk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from support.harness import served_workspace

CHAT = """\
stack: engine
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/engine/openai}}"}
      tags: {team: search}
"""


def test_a_lost_state_adopts_instead_of_creating(harness):
    harness.write(CHAT)
    harness.apply()
    (harness.state_dir / "local.json").unlink()
    change = harness.changes()["external_models.chat"]
    assert change["action"] == "adopt"
    assert change["fields"] == []
    harness.apply()
    harness.assert_converged()


def test_editing_a_tag_updates_in_place_and_converges(harness):
    harness.write(CHAT)
    harness.apply()
    harness.write(CHAT.replace("team: search", "team: assistants"))
    change = harness.changes()["external_models.chat"]
    assert (change["action"], [f["path"] for f in change["fields"]]) == (
        "update", ["tags[key=team].value"])
    harness.apply()
    harness.assert_converged()


def test_route_optimized_forces_a_replace_that_names_the_field(harness):
    harness.write(CHAT)
    harness.apply()
    harness.write(CHAT + "      route_optimized: true\n")
    text = harness.cli("plan", str(harness.root)).out
    assert "-/+ external_models.chat will be replaced" in text
    assert "route_optimized: false → true   # forces replacement" in text
    harness.apply()
    harness.assert_converged()


def test_a_saved_plan_applies_once_and_refuses_when_stale(harness, tmp_path):
    harness.write(CHAT)
    plan_file = tmp_path / "plan.json"
    assert harness.cli("plan", str(harness.root), "--out", str(plan_file)).code == 0
    applied = harness.cli("apply", str(plan_file))
    assert applied.code == 0, applied.text
    harness.assert_converged()
    again = harness.cli("apply", str(plan_file))
    assert again.code == 1 and "stale" in again.err and "serial" in again.err


def test_a_saved_plan_refuses_after_an_out_of_band_change(harness, tmp_path):
    harness.write(CHAT)
    harness.apply()
    harness.write(CHAT.replace("team: search", "team: assistants"))
    plan_file = tmp_path / "plan.json"
    harness.cli("plan", str(harness.root), "--out", str(plan_file))
    with harness.workspace() as (client, _):
        client.api_client.do("PATCH", "/api/2.0/serving-endpoints/chat/tags",
                             body={"add_tags": [{"key": "owner", "value": "someone"}]})
    refused = harness.cli("apply", str(plan_file))
    assert refused.code == 1
    assert "external_models.chat changed in the workspace" in refused.err


def test_a_held_lock_names_its_holder_and_dies_with_it(harness):
    harness.write(CHAT)
    harness.apply()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from provisioner.state.local import LocalBackend
            from provisioner.state.lock import LockInfo
            backend = LocalBackend(__import__('pathlib').Path({str(harness.state_dir)!r}), 'local')
            assert backend.try_lock(LockInfo('apply')) is None
            print('locked', flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        blocked = harness.cli("apply", str(harness.root), "--auto-approve")
        assert blocked.code == 1
        assert f"pid {holder.pid}" in blocked.err and "'apply'" in blocked.err
    finally:
        holder.kill()
        holder.wait()
    assert json.loads((harness.state_dir / "local.lock").read_text())["pid"] == holder.pid
    # kill -9 released its OS lock: no force-unlock is needed (Terraform's local lock too)
    assert harness.cli("apply", str(harness.root), "--auto-approve").code == 0
    assert not (harness.state_dir / "local.lock").exists()


def test_prevent_destroy_refuses_delete_and_replace(harness):
    protected = CHAT + "      lifecycle: {prevent_destroy: true}\n"
    harness.write(protected)
    harness.apply()
    harness.write(protected + "      route_optimized: true\n")
    replace = harness.cli("plan", str(harness.root))
    assert replace.code == 1 and "prevent_destroy" in replace.err
    assert "stack.yaml:4:" in replace.err
    destroy = harness.cli("destroy", str(harness.root), "--auto-approve")
    assert destroy.code == 1 and "prevent_destroy" in destroy.err
    harness.write("stack: engine\nresources: {}\n")
    removed = harness.cli("plan", str(harness.root))
    assert removed.code == 1 and "set when last applied" in removed.err


def test_a_plaintext_key_never_leaves_the_process(harness, tmp_path):
    canary = "sk-CANARY-" + os.urandom(8).hex()
    harness.write(CHAT.replace('openai_api_key: "{{secrets/engine/openai}}"',
                               f"openai_api_key_plaintext: {canary}"))
    outputs = [harness.apply().text]
    plan_file = tmp_path / "plan.json"
    outputs.append(harness.cli("plan", str(harness.root), "--out", str(plan_file)).text)
    outputs.append(harness.cli("plan", str(harness.root), "--format", "json").text)
    outputs.append(harness.cli("state", "show", "external_models.chat", str(harness.root)).text)
    harness.write(CHAT.replace('openai_api_key: "{{secrets/engine/openai}}"',
                               f"openai_api_key_plaintext: {canary}-rotated"))
    rotated = harness.changes()["external_models.chat"]
    assert [f["path"] for f in rotated["fields"]] == [
        "served_entities[name=gpt-4o-mini].external_model.openai_config.openai_api_key_plaintext"]
    assert rotated["fields"][0]["after"] == "(sensitive)"
    outputs.append(harness.cli("plan", str(harness.root)).text)
    written = [p.read_text(errors="replace") for p in harness.root.rglob("*")
               if p.is_file() and p.suffix in (".json", ".backup", ".lock")]
    written.append(plan_file.read_text())
    for text in outputs + written:
        assert canary not in text


def test_a_failed_update_skips_only_its_dependents_and_the_next_apply_finishes(harness):
    stack = CHAT + textwrap.indent(textwrap.dedent("""\
        other:
          provider: openai
          model: gpt-4o
          task: llm/v1/chat
          config: {openai_api_key: "{{secrets/engine/openai}}"}
          description: needs ${resources.external_models.chat.name}
        independent:
          provider: openai
          model: gpt-4o
          task: llm/v1/chat
          config: {openai_api_key: "{{secrets/engine/openai}}"}
        """), "    ")
    harness.write(stack)
    harness.configure(fail_next_update=("chat",))
    result = harness.cli("apply", str(harness.root), "--auto-approve")
    assert result.code == 1
    assert "external_models.chat: create FAILED" in result.err
    assert "external_models.other: create skipped (external_models.chat failed)" in result.err
    assert "external_models.independent: create done" in result.err
    harness.configure()
    pending = harness.changes()
    assert set(pending) == {"external_models.chat", "external_models.other"}
    harness.apply()
    harness.assert_converged()


SERVED_CHAT = CHAT + "targets:\n  served: {}\n"


def creates(local) -> list[dict]:
    return [r for r in local.request_log()
            if r["method"] == "POST" and r["path"] == "/api/2.0/serving-endpoints"]


def test_throttling_ends_with_exactly_one_create(harness, tmp_path, monkeypatch):
    harness.write(SERVED_CHAT)
    with served_workspace(tmp_path / "ws", monkeypatch, throttle_rate=0.5, seed=7,
                          retry_after_seconds=0) as local:
        put_secret(local)
        result = harness.cli("apply", str(harness.root), "-t", "served", "--auto-approve")
        assert result.code == 0, result.text
        assert [r["status"] for r in local.request_log() if r["status"] == 429]
        assert sum(1 for r in creates(local) if r["status"] < 400) == 1
        local.configure(throttle_rate=0.0)
        assert harness.changes("-t", "served") == {}


def test_a_lost_create_response_is_checked_by_name_before_any_retry(harness, tmp_path,
                                                                   monkeypatch):
    from provisioner.local import FaultRule

    harness.write(SERVED_CHAT)
    lost = FaultRule(method="POST", path="/api/2.0/serving-endpoints", status=500,
                     error_code="INTERNAL_ERROR", lose_response=True)
    with served_workspace(tmp_path / "ws", monkeypatch, fault_rules=(lost,)) as local:
        put_secret(local)
        result = harness.cli("apply", str(harness.root), "-t", "served", "--auto-approve")
        assert result.code == 0, result.text
        assert len(creates(local)) == 1
        assert harness.changes("-t", "served") == {}


def test_a_missing_secret_is_a_preflight_error_outside_the_local_target(harness, tmp_path,
                                                                       monkeypatch):
    harness.write(SERVED_CHAT)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        result = harness.cli("plan", str(harness.root), "-t", "served")
        assert result.code == 1
        assert "stack.yaml:8:32:" in result.err and "{{secrets/engine/openai}}" in result.err
        assert creates(local) == []


def test_an_unreachable_workspace_fails_fast_naming_the_host(harness, monkeypatch):
    harness.write(CHAT + "targets:\n  nowhere:\n    workspace: {host: 'http://127.0.0.1:9'}\n")
    monkeypatch.setenv("DATABRICKS_TOKEN", "x")
    monkeypatch.setenv("PROVISIONER_ALLOW_HOSTS", "http://127.0.0.1:9")  # the stack names it
    result = harness.cli("plan", str(harness.root), "-t", "nowhere")
    assert result.code == 1
    assert "cannot reach workspace http://127.0.0.1:9" in result.err


def put_secret(local) -> None:
    from provisioner.workspace.client import WorkspaceAuth, connect

    client = connect(WorkspaceAuth(host=local.url, token="test"))
    client.secrets.create_scope("engine")
    client.secrets.put_secret("engine", "openai", string_value="sk-test")


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    monkeypatch.delenv("PROVISIONER_DEBUG", raising=False)


def test_ignore_changes_hides_a_field_from_plans_and_drift(harness):
    harness.write(CHAT + "      lifecycle: {ignore_changes: ['tags[key=team]']}\n")
    harness.apply()
    with harness.workspace() as (client, _):
        client.api_client.do("PATCH", "/api/2.0/serving-endpoints/chat/tags",
                             body={"add_tags": [{"key": "team", "value": "by-hand"}]})
    harness.assert_converged()
    harness.write(CHAT.replace("team: search", "team: edited")
                  + "      lifecycle: {ignore_changes: ['tags[key=team]']}\n")
    harness.assert_converged()


def test_a_malformed_ignore_changes_path_is_an_error_at_its_line(harness):
    harness.write(CHAT + "      lifecycle: {ignore_changes: ['tags[']}\n")
    result = harness.cli("plan", str(harness.root))
    assert result.code == 1 and "internal error" not in result.err
    assert "stack.yaml:10:" in result.err and "ignore_changes" in result.err
