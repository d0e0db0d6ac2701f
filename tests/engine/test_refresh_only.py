"""`plan --refresh-only` / `apply --refresh-only`, as Terraform's `-refresh-only`: the state
records what changed outside the stack (a field's live value, a resource gone) and the
workspace is not changed. All through the real CLI and databricks-sdk against the local
workspace; out-of-band edits go through a second client, as a person would make them."""

from __future__ import annotations

import json

from support.harness import Harness

CHAT = """\
stack: refresh
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/refresh/openai}}"}
      tags: {team: search}
    spare:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/refresh/openai}}"}
"""


def edit_outside(harness: Harness) -> None:
    """Someone retags `chat` and deletes `spare` by hand."""
    with harness.workspace() as (client, _):
        client.api_client.do("PATCH", "/api/2.0/serving-endpoints/chat/tags",
                             body={"add_tags": [{"key": "team", "value": "platform"}]})
        client.api_client.do("DELETE", "/api/2.0/serving-endpoints/spare")


def test_refresh_only_records_what_moved_outside_and_changes_nothing(harness):
    harness.write(CHAT)
    harness.apply()
    edit_outside(harness)
    planned = harness.cli("plan", str(harness.root), "--refresh-only", "--detailed-exitcode")
    assert planned.code == 2, planned.text
    assert "~ external_models.chat changed outside the stack" in planned.out
    assert 'tags[key=team].value: "search" → "platform"' in planned.out
    assert "- external_models.spare is gone from the workspace" in planned.out
    assert harness.cli("drift", str(harness.root), "--exit-code").code == 2
    applied = harness.cli("apply", str(harness.root), "--refresh-only", "--auto-approve")
    assert applied.code == 0, applied.text
    assert "Refresh complete: 2 recorded" in applied.out
    assert harness.cli("drift", str(harness.root), "--exit-code").code == 0
    listed = harness.cli("state", "list", str(harness.root)).out
    assert "external_models.chat" in listed and "external_models.spare" not in listed
    again = harness.cli("plan", str(harness.root), "--refresh-only", "--detailed-exitcode")
    assert again.code == 0 and "The state matches the workspace" in again.out
    # The workspace kept the edits (nothing was changed back or re-created), and the stack
    # still says `search`: a normal plan brings the workspace back to it.
    pending = harness.changes()
    assert pending["external_models.chat"]["fields"][0]["before"] == "platform"
    assert pending["external_models.spare"]["action"] == "create"
    harness.apply()
    harness.assert_converged()


def test_a_saved_refresh_only_plan_applies_as_reviewed_and_streams_json(harness, tmp_path):
    harness.write(CHAT)
    harness.apply()
    edit_outside(harness)
    plan_file = tmp_path / "refresh.json"
    made = harness.cli("plan", str(harness.root), "--refresh-only", "--out", str(plan_file))
    assert made.code == 0, made.text
    assert json.loads(plan_file.read_text())["operation"] == "refresh-only"
    shown = harness.cli("show", str(plan_file))
    assert "changed outside the stack" in shown.out
    applied = harness.cli("apply", str(plan_file), "--format", "json")
    assert applied.code == 0, applied.text
    lines = [json.loads(line) for line in applied.out.splitlines()]
    assert lines[0]["operation"] == "refresh-only" and lines[-1]["done"] == 2
    assert harness.cli("drift", str(harness.root), "--exit-code").code == 0
    stale = harness.cli("apply", str(plan_file))
    assert stale.code == 1 and "stale" in stale.err


def test_refresh_only_takes_neither_destroy_nor_only(harness):
    harness.write(CHAT)
    refused = harness.cli("plan", str(harness.root), "--refresh-only", "--destroy")
    assert refused.code == 1 and "--refresh-only takes neither" in refused.err
