"""`plan --format markdown|github` through the CLI: destructive changes annotated at their
line, errors as annotations or as a comment, exit codes unchanged."""

from __future__ import annotations

import pytest

STACK = """\
stack: formats
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/formats/openai}}"}
      tags: {team: search}
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_replace_is_annotated_at_the_resource_line_and_commented(harness, tmp_path):
    harness.write(STACK)
    harness.apply()
    harness.write(STACK + "      route_optimized: true\n")
    github = harness.cli("plan", str(harness.root), "--format", "github",
                         "--detailed-exitcode")
    assert github.code == 2
    warnings = [line for line in github.out.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1
    assert f"stack.yaml,line={line_of(STACK, 'chat:')},title=replace external_models.chat" \
        in warnings[0]
    assert "forced by route_optimized" in warnings[0]
    assert "-/+ external_models.chat will be replaced" in github.out  # the log keeps the plan

    comment = harness.cli("plan", str(harness.root), "--format", "markdown", "--out",
                          str(tmp_path / "plan-7.json"))
    assert comment.code == 0
    assert comment.out.startswith("### provisioner plan: `formats`")
    row = next(line for line in comment.out.splitlines()
               if line.startswith("| `external_models.chat`"))
    assert "**replace**" in row and "`route_optimized`" in row
    assert (tmp_path / "plan-7.json").is_file()


@pytest.mark.parametrize("fmt", ["github", "markdown"])
def test_plan_errors_reach_ci_in_its_format(harness, fmt):
    harness.write(STACK.replace("task:", "tusk:"))
    result = harness.cli("plan", str(harness.root), "--format", fmt)
    assert result.code == 1
    where = f"stack.yaml:{line_of(STACK, 'task:')}:"
    assert where in result.err  # the log says it too
    if fmt == "github":
        assert result.out.startswith("::error file=")
        assert f"line={line_of(STACK, 'task:')},col=" in result.out
    else:
        assert result.out.startswith("### ❌ provisioner plan failed")
        assert where in result.out and "tusk" in result.out
