"""`provisioner init`: a stack folder that validates, ignores its `.provisioner/` in git, and
comes with a workflow whose steps run; from example kinds or from a workspace."""

from __future__ import annotations

import shutil

import pytest
import yaml
from support import ci_runner

from provisioner.cli.init_command import EXAMPLES

CHAT = """\
stack: source
resources:
  vector_search_endpoints:
    found-vs: {endpoint_type: STANDARD}
"""


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_each_kind_init_offers_starts_a_valid_stack(harness, tmp_path, kind):
    folder = tmp_path / "repo" / "stacks" / "demo"
    result = harness.cli("init", str(folder), "--kind", kind, "--ci", "none")
    assert result.code == 0, result.text
    text = (folder / "stack.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert kind in yaml.safe_load(text)["resources"]
    validated = harness.cli("validate", str(folder))
    assert validated.code == 0, validated.text
    assert (folder / ".gitignore").read_text().splitlines() == [".provisioner/"]


def test_init_writes_a_workflow_whose_steps_run(harness, tmp_path):
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)  # a git work tree: workflows go to its root
    result = harness.cli("init", str(repository / "stacks" / "demo"))
    assert result.code == 0, result.text
    workflow = repository / ".github" / "workflows" / "provisioner-demo.yml"
    assert str(workflow) in result.out
    runner = ci_runner.build(tmp_path / "runner")
    summary = tmp_path / "summary.md"
    steps = ci_runner.github_steps(workflow)
    assert [s for _, s in steps if "pip install" in s]
    for environment, script in steps:
        ran = ci_runner.run_step(script, environment, repository, runner,
                                 GITHUB_STEP_SUMMARY=str(summary))
        assert ran.returncode == 0, f"{script}\n{ran.stdout}{ran.stderr}"
    assert "**Plan: 1 to add" in summary.read_text()


def test_init_from_a_workspace_writes_what_it_holds(harness, tmp_path):
    harness.write(CHAT)
    harness.apply()
    folder = tmp_path / "adopted"
    # its local workspace: a copy of the applied one
    shutil.copytree(harness.root / ".provisioner" / "local", folder / ".provisioner" / "local")
    result = harness.cli("init", str(folder), "--from-target", "local", "--ci", "none")
    assert result.code == 0, result.text
    assert "(1 resource)" in result.out
    written = yaml.safe_load((folder / "stack.yaml").read_text())
    assert written["resources"] == {"vector_search_endpoints": {
        "found-vs": {"endpoint_type": "STANDARD"}}}
    adopted = harness.cli("apply", str(folder), "--auto-approve")
    assert adopted.code == 0 and "1 to adopt" in adopted.out, adopted.text


def test_init_never_overwrites(harness, tmp_path):
    folder = tmp_path / "stack"
    folder.mkdir()
    (folder / "stack.yaml").write_text("stack: mine\n")
    result = harness.cli("init", str(folder), "--ci", "none")
    assert result.code == 1
    assert "stack.yaml exists" in result.err
    assert (folder / "stack.yaml").read_text() == "stack: mine\n"
