"""Markdown plans: one comment whatever the plan's size, destructive changes first, secrets
never shown. Plans are built in-process from generated stacks (no workspace needed: every
resource is new, and the state's extra resources are deletions)."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from provisioner.addresses import Address
from provisioner.plan.planner import build_plan, desired_documents, file_digests
from provisioner.render import markdown, plan_markdown
from provisioner.stack.loader import load
from provisioner.state.model import ResourceState, State


def endpoint(index: int, config: dict | None = None) -> dict:
    return {"provider": "openai", "model": "gpt-4o-mini", "task": "llm/v1/chat",
            "config": config or {"openai_api_key": "{{secrets/llm/openai}}"},
            "tags": {"team": f"team-{index}"}}


def plan_document(tmp_path, resources: dict, *, gone: int = 0) -> dict:
    """The plan of a stack of `resources` against an empty workspace, whose state still
    remembers `gone` more resources (planned for deletion)."""
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(
        {"stack": "big", "resources": {"external_models": resources}}))
    stack = load(tmp_path)
    remembered = {f"external_models.old-{i}": ResourceState(
        "external_models", f"old-{i}", last_applied={"name": f"old-{i}"}) for i in range(gone)}
    state = State("big", "local", "lineage", 3, remembered)
    live = {Address("external_models", f"old-{i}"): None for i in range(gone)}
    documents = desired_documents(stack, file_digests(stack))
    return build_plan(stack, state, live, documents).plan.to_document()


def test_a_400_resource_plan_fits_one_comment_and_names_the_artifact(tmp_path):
    document = plan_document(tmp_path, {f"chat-{i}": endpoint(i) for i in range(400)},
                             gone=150)
    text = plan_markdown.render(document, artifact="plan-1234")
    assert len(text) <= markdown.COMMENT_LIMIT
    assert "plan-1234" in text and "more resources not shown" in text
    counts = document["summary"]
    assert f"{counts['create']} to add" in text and f"{counts['delete']} to destroy" in text
    assert text.index("Destructive changes") < text.index("#### Changes")
    assert text.count("<details>") == text.count("</details>") > 0
    assert text.count("```") % 2 == 0


def test_a_small_plan_shows_every_resource_and_cuts_nothing(tmp_path):
    document = plan_document(tmp_path, {f"chat-{i}": endpoint(i) for i in range(3)}, gone=1)
    text = plan_markdown.render(document)
    for change in document["resource_changes"]:
        assert change["address"] in text
    assert "not shown" not in text
    row = next(line for line in text.splitlines() if "external_models.old-0" in line)
    assert "**delete**" in row and "removed from stack" in row


@pytest.mark.parametrize("limit", [3_000, 10_000, 30_000])
def test_any_limit_is_kept(tmp_path, limit):
    document = plan_document(tmp_path, {f"chat-{i}": endpoint(i) for i in range(60)}, gone=60)
    assert len(plan_markdown.render(document, limit=limit)) <= limit


def test_a_plaintext_key_is_never_in_the_comment(tmp_path):
    canary = "sk-CANARY-" + os.urandom(8).hex()
    document = plan_document(tmp_path, {
        "chat": endpoint(0, {"openai_api_key_plaintext": canary})})
    text = plan_markdown.render(document)
    assert canary not in text and "(sensitive)" in text


def test_code_spans_and_fences_survive_backticks():
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("`x") == "`` `x ``"
    block = markdown.fenced(["+ x: \"```\""], rest="the artifact")
    fence = block.splitlines()[0].removesuffix("diff")
    assert len(fence) == 4 and block.endswith(fence)


def test_table_cells_keep_pipes_and_lines_inside():
    assert markdown.cell("a|b\nc") == "a\\|b<br>c"


def test_long_blocks_and_values_are_cut_with_a_pointer():
    block = markdown.fenced([f"+ f{i}: 1" for i in range(markdown.BLOCK_LINES + 5)],
                            rest="the artifact plan.json")
    assert "5 more lines in the artifact plan.json" in block
    assert len(markdown.clip("x" * 1000)) == markdown.VALUE_LIMIT


def test_fit_keeps_order_and_says_what_it_left_out():
    sections = [markdown.Section("## A", ["a" * 100] * 5, lambda n: f"{n} a left out"),
                markdown.Section("## B", ["b" * 100] * 5, lambda n: f"{n} b left out")]
    text = markdown.fit("head", sections, limit=1_200)
    assert len(text) <= 1_200
    assert text.index("## A") < text.index("## B") or "## B" not in text
    left = re.findall(r"(\d+) ([ab]) left out", text)
    shown = text.count("a" * 100) + text.count("b" * 100)
    assert shown + sum(int(n) for n, _ in left) == 10


def test_a_failed_plan_is_a_comment_too():
    text = markdown.failure("provisioner plan", ["stack.yaml:3:5: error: unknown field"])
    assert text.startswith("### ❌ provisioner plan failed")
    assert "stack.yaml:3:5: error: unknown field" in text
