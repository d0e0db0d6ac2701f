"""`local status|serve|reset` find the local workspace that plan and apply use for a stack,
and $PROVISIONER_DIR keeps the files of the stacks that share it apart."""

from __future__ import annotations

import re

STACK = """\
stack: {name}
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {{openai_api_key: "{{{{secrets/llm/openai}}}}"}}
"""


def test_local_status_reads_the_stack_folders_workspace(harness, monkeypatch, tmp_path):
    harness.write(STACK.format(name="first"))
    harness.apply()
    monkeypatch.chdir(tmp_path)  # anywhere but the stack's folder
    status = harness.cli("local", "status", str(harness.root))
    assert status.code == 0, status.text
    assert "stack/.provisioner/local" in status.out
    assert re.search(r"serving endpoints \(\d+\):.* chat\b", status.out), status.out
    assert "secret scopes (1): llm" in status.out


def test_local_status_without_a_stack_says_which_folder_it_looked_in(harness, monkeypatch,
                                                                     tmp_path):
    monkeypatch.chdir(tmp_path)
    status = harness.cli("local", "status")
    assert status.code == 0
    assert "No local workspace in .provisioner/local." in status.out


def test_stacks_sharing_provisioner_dir_keep_their_state_apart(harness, monkeypatch, tmp_path):
    """Before, both wrote state/local.json in the same folder, and the second stack's
    commands were refused as working on "another stack's state"."""
    shared = tmp_path / "shared"
    monkeypatch.setenv("PROVISIONER_DIR", str(shared))
    harness.write(STACK.format(name="first"), "first/stack.yaml")
    harness.write(STACK.format(name="second"), "second/stack.yaml")
    for name in ("first", "second"):
        result = harness.cli("apply", str(harness.root / name), "--auto-approve")
        assert result.code == 0, result.text
    for name in ("first", "second"):
        listed = harness.cli("state", "list", str(harness.root / name))
        assert listed.code == 0 and "external_models.chat" in listed.out, listed.text
        assert (shared / name / "state" / "local.json").is_file()
        status = harness.cli("local", "status", str(harness.root / name))
        assert f"shared/{name}/local" in status.out


def test_a_stack_name_that_is_no_folder_name_is_refused_under_provisioner_dir(
        harness, monkeypatch, tmp_path):
    monkeypatch.setenv("PROVISIONER_DIR", str(tmp_path / "shared"))
    harness.write(STACK.format(name="../escape"))
    result = harness.cli("plan", str(harness.root))
    assert result.code == 1
    assert "stack name '../escape' may hold only" in result.err
    assert not (tmp_path / "escape").exists()
