"""Every renderer shows what a stack or a workspace supplies as data: a plan or drift document
whose every user-controlled string is hostile renders to markdown that a CommonMark parser
reads with no HTML, link, image or heading of the attacker's, to text with no control
character and no line a CI runner would take for a workflow command, and to GitHub annotations
that are one line each."""

from __future__ import annotations

import re
from typing import Any

import pytest
from markdown_it import MarkdownIt

from provisioner.render import drift_markdown, drift_text, github, plan_markdown, plan_text
from provisioner.render.safe import visible

HOSTILE = [
    "x\n\n<!-- the rest is hidden",
    "</summary></details><!--",
    "[click me](https://evil.example/phish) ![t](https://evil.example/t.png)",
    "\n# Approved by security\n",
    "```\n~~~\nfence",
    "a | b | c\n|---|",
    "\x1b[2J\x1b]0;pwned\x07 \x9b31m",
    "\u202eevil\u202c",
    "\n::error::forged annotation\n::add-mask::x",
    "<img src=x onerror=alert(1)> &amp; *bold* _it_ `code`",
]
ALLOWED_HTML = re.compile(r"^(</?(details|summary|code)>|<br>)+$")


def field(path: str, before: Any, after: Any, *, forces: bool = False) -> dict[str, Any]:
    return {"path": path, "before": before, "after": after, "reason": "changed",
            "forces_replace": forces}


def plan_document(text: str) -> dict[str, Any]:
    change = {"address": "serving_endpoints.chat", "type": "serving_endpoints",
              "name": "chat", "reason": "immutable_field", "fingerprint": None,
              "desired_hash": None, "location": f"{text}.yaml:3", "depends_on": [],
              "notes": [text], "drift": [field(f"tags.{text}", text, text)]}
    return {
        "stack": "attack", "target": "prod", "operation": "plan",
        "summary": {"create": 1, "update": 0, "replace": 1, "delete": 1, "adopt": 0,
                    "no-op": 0},
        "resource_changes": [
            {**change, "action": "replace", "replace_fields": [f"tags.{text}"],
             "change": {"actions": ["delete", "create"], "before": {}, "after": {}},
             "fields": [field(f"tags.{text}", text, text, forces=True)]},
            {**change, "address": "serving_endpoints.new", "action": "create",
             "replace_fields": [], "fields": [],
             "change": {"actions": ["create"], "before": None, "after": {text: text}}},
            {**change, "address": "serving_endpoints.old", "action": "delete",
             "reason": "removed_from_stack", "replace_fields": [], "fields": [],
             "change": {"actions": ["delete"], "before": {}, "after": None}},
        ],
        "diagnostics": [{"severity": "warning", "summary": text, "hint": text,
                         "file": f"{text}.yaml", "line": 1, "column": 1, "path": None}],
    }


def drift_document(text: str) -> dict[str, Any]:
    return {"stack": "attack", "target": "prod",
            "summary": {"checked": 2, "drifted": 1, "deleted": 0, "unmanaged": 1,
                        "worst": "breaking", "by_severity": {"breaking": 1, "cosmetic": 1}},
            "findings": [
                {"address": "serving_endpoints.chat", "status": "drifted",
                 "severity": "breaking", "location": f"{text}.yaml:4",
                 "fields": [{**field(f"tags.{text}", text, text), "severity": "cosmetic"}]},
                {"address": "serving_endpoints.other", "status": "unmanaged",
                 "severity": "cosmetic", "location": None, "fields": []}]}


def assert_inert_markdown(rendered: str) -> None:
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(rendered)
    inline = [child for token in tokens for child in (token.children or [])]
    for token in [*tokens, *inline]:
        assert token.type not in ("link_open", "image"), \
            f"{token.type} from user text in:\n{rendered}"
        if token.type in ("html_block", "html_inline"):
            for tag in re.findall(r"<[^>]*>", token.content):
                assert ALLOWED_HTML.match(tag), f"HTML {tag!r} from user text in:\n{rendered}"
            assert "<!--" not in token.content
        if token.type == "heading_open":
            assert token.tag in ("h3", "h4"), rendered
    headings = [t for t, n in zip(tokens, tokens[1:], strict=False) if t.type == "heading_open"]
    texts = [tokens[tokens.index(h) + 1].content for h in headings]
    assert not any("Approved" in t for t in texts), texts


def assert_inert_text(rendered: str) -> None:
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", rendered)
    assert not any(line.startswith("::") or line.startswith("#")
                   for line in rendered.splitlines()), rendered


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_plan_markdown_shows_hostile_text_as_text(text: str):
    rendered = plan_markdown.render(plan_document(text))
    assert_inert_markdown(rendered)
    assert "Approved by security" in rendered or "Approved" not in text  # shown, not hidden


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_drift_markdown_shows_hostile_text_as_text(text: str):
    assert_inert_markdown(drift_markdown.render(drift_document(text)))


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_text_output_has_no_control_characters_or_forged_lines(text: str):
    assert_inert_text(plan_text.render(plan_document(text)))
    assert_inert_text(drift_text.render(drift_document(text)))


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_github_annotations_are_one_command_per_line(text: str):
    for rendered in (github.plan(plan_document(text)), github.drift(drift_document(text))):
        lines = rendered.splitlines()
        assert lines and all(re.match(r"::(warning|error)( |::)", line) for line in lines)
        assert not any("::add-mask::" in line.split("::", 2)[1] for line in lines)


def test_visible_names_every_control_character():
    assert visible("a\nb\x1b[0m\u202e\x00") == "a\\nb\\e[0m\\u202e\\u0000"
