"""What the CLI answers in the first hour: generate into a new folder, errors in the format
asked, plans and destroys worded as what they do, waits that say so, options that explain
themselves, and state that outlives the embedded server's port."""

from __future__ import annotations

import json
import shutil

import click
import pytest
from support.stacks import indexed_stack

from provisioner.cli.main import cli

CHAT = """\
stack: answers
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/llm/openai}}"}
"""

INDEXED = indexed_stack("indexed")


def test_generate_writes_a_stack_for_a_folder_that_has_none(harness, tmp_path):
    harness.write(CHAT)
    harness.apply()
    # The local workspace of the applied stack, read from a folder with no stack.yaml: a copy
    # of it is the new folder's own `.provisioner/local`.
    adopted = tmp_path / "adopted"
    shutil.copytree(harness.root / ".provisioner" / "local", adopted / ".provisioner" / "local")
    result = harness.cli("generate", str(adopted), "--name", "^chat$", "-o",
                         str(adopted / "stack.yaml"))
    assert result.code == 0, result.text
    assert "Wrote 1 resource to" in result.err
    written = (adopted / "stack.yaml").read_text()
    assert "stack: adopted" in written and "from target 'local': 1 resource." in written
    validated = harness.cli("validate", str(adopted))
    assert validated.code == 0, validated.text


def test_plan_json_prints_an_error_document_when_planning_fails(harness):
    harness.write(CHAT.replace("task:", "tusk:"))
    result = harness.cli("plan", str(harness.root), "--format", "json")
    assert result.code == 1
    document = json.loads(result.out)
    assert document["ok"] is False and document["command"] == "provisioner plan"
    problem = next(d for d in document["diagnostics"] if "tusk" in d["summary"])
    assert problem["severity"] == "error"
    assert problem["line"] == 7 and problem["file"].endswith("stack.yaml")


def test_unchanged_resources_say_unchanged(harness):
    harness.write(CHAT)
    harness.apply()
    (change,) = harness.plan()["resource_changes"]
    assert change["action"] == "no-op" and change["reason"] == "unchanged"


def test_destroy_says_what_happens_to_indexes_and_ends_as_a_destroy(harness):
    harness.write(INDEXED)
    harness.apply()
    result = harness.cli("destroy", str(harness.root), "--auto-approve")
    assert result.code == 0, result.text
    assert "its indexes go with it and are deleted: main.rag.docs_index" in result.out
    assert "are re-created" not in result.out
    assert "Destroy complete: 2 done" in result.out and "Apply complete" not in result.out


def test_only_with_a_typo_gets_a_did_you_mean(harness):
    harness.write(CHAT)
    result = harness.cli("plan", str(harness.root), "--only", "external_models.chta")
    assert result.code == 1
    assert "no resource 'external_models.chta'" in result.err
    assert "did you mean 'external_models.chat'?" in result.err


def test_a_lock_wait_is_announced(harness):
    from provisioner.cli.session import open_session
    from provisioner.stack.loader import load_head

    harness.write(CHAT)
    harness.apply()
    with open_session(load_head(harness.root, None), parallelism=1) as session, \
            session.store.locked("apply") as held:
        result = harness.cli("apply", str(harness.root), "--auto-approve",
                             "--lock-timeout", "0.2")
    assert result.code == 1
    assert "Waiting up to 0.2 s for the state lock, held by" in result.err
    assert f"lock ID {held.id}" in result.err


def test_errors_are_spelled_one_way(harness):
    result = harness.cli("plan", "--no-such-option")
    assert result.code == 1
    assert "error: No such option" in result.err and "Error:" not in result.err
    assert "hint: `provisioner plan --help`" in result.err


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


@pytest.mark.parametrize("name,command", list(_commands(cli)), ids=lambda v: str(v))
def test_every_option_is_described(name, command):
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            assert parameter.help, f"`provisioner {name}` {parameter.opts[0]} has no help"


STATE_COMMANDS = ("state list", "state show", "state rm", "refresh", "force-unlock")


@pytest.mark.parametrize("name", STATE_COMMANDS)
def test_commands_that_only_tend_the_state_take_no_variables(name):
    """They read the stack's name, folder and target only, which no variable changes."""
    command = dict(_commands(cli))[name]
    options = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
    assert not options & {"--var", "--var-file"}


def test_state_commands_work_on_a_stack_whose_variables_have_no_value(harness):
    harness.write(CHAT.replace("resources:", "variables:\n  team: {}\nresources:"))
    listed = harness.cli("state", "list", str(harness.root))
    assert listed.code == 0, listed.text


def test_the_state_does_not_record_the_embedded_servers_port(harness):
    harness.write(CHAT)
    harness.apply()
    state = json.loads((harness.state_dir / "local.json").read_text())
    url = state["resources"]["external_models.chat"]["outputs"]["url"]
    assert url == "/serving-endpoints/chat/invocations"
    harness.assert_converged()


def test_the_embedded_workspace_ignores_another_workspaces_credentials(harness, monkeypatch):
    """A CI runner exports a real workspace's service principal; `-t local` still plans."""
    monkeypatch.setenv("DATABRICKS_HOST", "https://example.cloud.databricks.com")
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "sp-id")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "sp-secret")
    harness.write(CHAT)
    result = harness.cli("plan", str(harness.root))
    assert result.code == 0, result.text
    assert "Plan: 1 to add" in result.out
