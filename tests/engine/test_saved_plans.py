"""Saved plans are the exact instructions: self-contained (variables, target, desired
documents, the stack's digest and absolute path), applied from any folder without flags
(Terraform keeps the configuration and variables in its plan file the same way: `terraform
apply PLANFILE` takes no -var), and rendered by `provisioner show`. What apply sends is the
plan's documents; the stack they came from must still give exactly that plan, so a stack
edited since, or a tampered plan file, is refused and nothing is applied (docs/security.md:
a plan artifact cannot make the merge job do what the reviewed stack does not say). All
through the real CLI and databricks-sdk against the local workspace."""

from __future__ import annotations

import json
import os

from provisioner.plan.document import PlanDocument

TAGGED = """\
stack: saved
variables:
  team: {type: string, required: true}
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/saved/openai}}"}
      tags: {team: "{{ var.team }}"}
"""
PLAINTEXT = """\
stack: saved
variables:
  key: {type: string, required: true}
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key_plaintext: "{{ var.key }}"}
"""


def live_tags(harness, *var: str) -> dict:
    """The endpoint's tags as the workspace has them (the plan's `before`)."""
    change = next(c for c in harness.plan(*var)["resource_changes"]
                  if c["address"] == "external_models.chat")
    return change["change"]["before"]["tags"]


def test_a_plan_made_with_a_var_applies_from_another_folder_without_flags(
        harness, tmp_path, monkeypatch):
    harness.write(TAGGED)
    monkeypatch.chdir(harness.root)
    made = harness.cli("plan", ".", "--var", "team=search", "--out", "plan.json")
    assert made.code == 0, made.text
    elsewhere = tmp_path / "merge-job"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    applied = harness.cli("apply", str(harness.root / "plan.json"))
    assert applied.code == 0, applied.text
    assert "Apply complete" in applied.out
    assert live_tags(harness, "--var", "team=search") == [{"key": "team", "value": "search"}]
    assert harness.changes("--var", "team=search") == {}


def test_a_stack_edited_after_planning_changes_nothing_the_saved_plan_applies(
        harness, tmp_path):
    harness.write(TAGGED)
    harness.apply("--var", "team=search")
    serial = json.loads((harness.state_dir / "local.json").read_text())["serial"]
    plan_file = tmp_path / "plan.json"
    assert harness.cli("plan", str(harness.root), "--var", "team=assistants",
                       "--out", str(plan_file)).code == 0
    harness.write(TAGGED.replace("{{ var.team }}", "edited-after-review"))
    refused = harness.cli("apply", str(plan_file))
    assert refused.code == 1 and "not what the stack at" in refused.err
    assert "external_models.chat planned otherwise" in refused.err
    assert live_tags(harness, "--var", "team=x") == [{"key": "team", "value": "search"}]
    assert json.loads((harness.state_dir / "local.json").read_text())["serial"] == serial
    harness.write(TAGGED)  # as reviewed again: the same plan file applies, from its documents
    applied = harness.cli("apply", str(plan_file))
    assert applied.code == 0, applied.text
    assert live_tags(harness, "--var", "team=x") == [{"key": "team", "value": "assistants"}]


def test_a_tampered_plan_file_is_refused(harness, tmp_path):
    harness.write(TAGGED)
    plan_file = tmp_path / "plan.json"
    harness.cli("plan", str(harness.root), "--var", "team=search", "--out", str(plan_file))
    document = json.loads(plan_file.read_text())
    chat = document["resource_changes"][0]
    chat["desired"]["tags"] = [{"key": "team", "value": "attacker"}]
    plan_file.write_text(json.dumps(document))
    refused = harness.cli("apply", str(plan_file))
    assert refused.code == 1 and "external_models.chat planned otherwise" in refused.err
    assert harness.cli("state", "list", str(harness.root)).out.strip() == ""


def test_a_saved_plan_holds_a_variable_feeding_a_plaintext_key_only_by_hash(
        harness, tmp_path, monkeypatch):
    canary = "sk-CANARY-" + os.urandom(8).hex()
    harness.write(PLAINTEXT)
    plan_file = tmp_path / "plan.json"
    assert harness.cli("plan", str(harness.root), "--var", f"key={canary}",
                       "--out", str(plan_file)).code == 0
    saved = json.loads(plan_file.read_text())
    assert canary not in plan_file.read_text()
    assert saved["origin"]["variables"]["key"].startswith("sha256:")
    refused = harness.cli("apply", str(plan_file))
    assert refused.code == 1 and "does not load" in refused.err
    assert "the plan holds key only by hash" in refused.err and canary not in refused.text
    wrong = harness.cli("apply", str(plan_file), "--var", "key=sk-something-else")
    assert wrong.code == 1 and "external_models.chat planned otherwise" in wrong.err
    monkeypatch.setenv("PROVISIONER_VAR_key", canary)
    applied = harness.cli("apply", str(plan_file))
    assert applied.code == 0, applied.text
    assert canary not in applied.text
    assert harness.changes() == {}


def test_a_plaintext_edited_after_planning_is_refused_not_applied(harness, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("PROVISIONER_VAR_key", "sk-planned-" + "a" * 32)
    harness.write(PLAINTEXT)
    plan_file = tmp_path / "plan.json"
    assert harness.cli("plan", str(harness.root), "--out", str(plan_file)).code == 0
    monkeypatch.setenv("PROVISIONER_VAR_key", "sk-rotated-" + "b" * 32)
    refused = harness.cli("apply", str(plan_file))
    assert refused.code == 1 and "external_models.chat planned otherwise" in refused.err
    assert "sk-rotated" not in refused.text and "sk-planned" not in refused.text
    assert harness.cli("state", "list", str(harness.root)).out.strip() == ""


def test_a_saved_plan_names_its_target_and_takes_no_other(harness, tmp_path):
    harness.write(TAGGED)
    plan_file = tmp_path / "plan.json"
    harness.cli("plan", str(harness.root), "--var", "team=search", "--out", str(plan_file))
    other = harness.cli("apply", str(plan_file), "--target", "prod")
    assert other.code == 1 and "plan for target 'local'" in other.err


def test_show_renders_a_saved_plan_in_every_format(harness, tmp_path, monkeypatch):
    harness.write(TAGGED)
    plan_file = tmp_path / "plan.json"
    harness.cli("plan", str(harness.root), "--var", "team=search", "--out", str(plan_file))
    monkeypatch.chdir(tmp_path)
    text = harness.cli("show", "plan.json")
    assert text.code == 0, text.text
    assert "Saved plan of stack saved (target local)" in text.out
    assert str(harness.root) in text.out and 'team="search"' in text.out
    assert "+ external_models.chat will be created" in text.out
    assert 'tags[0].value: "search"' in text.out
    shown = harness.cli("show", "plan.json", "--format", "json")
    document = json.loads(shown.out)
    PlanDocument.model_validate(document)
    assert document == json.loads(plan_file.read_text())
    markdown = harness.cli("show", "plan.json", "--format", "markdown")
    assert markdown.code == 0 and "external_models.chat" in markdown.out
    assert "plan.json" in markdown.out or "1 to add" in markdown.out
    missing = harness.cli("show", "nowhere.json")
    assert missing.code == 1 and "cannot read the saved plan" in missing.err

