"""Golden outputs of a plan's text and JSON renderings across an edit; refresh them with
`pytest tests/scenarios --update-goldens` and review the diff."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

GOLDENS = Path(__file__).parent / "goldens"

STACK = """\
stack: goldens
variables:
  model: {default: gpt-4o-mini}
resources:
  external_models:
    chat:
      provider: openai
      model: "{{ var.model }}"
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/goldens/openai}}"}
      tags: {team: search}
      permissions: [{group_name: users, level: CAN_QUERY}]
    embed:
      provider: openai
      model: text-embedding-3-small
      task: llm/v1/embeddings
      config: {openai_api_key_plaintext: sk-not-for-goldens}
      description: embeds for ${resources.external_models.chat.name}
"""
EDITED = (STACK.replace("team: search", "team: assistants")
          .replace("text-embedding-3-small", "text-embedding-3-large")
          + "      route_optimized: true\n")
VOLATILE = ("fingerprint", "desired_hash", "created", "stack_path", "lineage", "live_id")


def scrub(document: dict) -> dict:
    """Drop what differs between runs (hashes of live reads, times, temp paths)."""
    text = json.dumps(document)
    for key in VOLATILE:
        text = re.sub(rf'"{key}": "[^"]*"', f'"{key}": "…"', text)
    text = re.sub(r'"id": "[0-9a-f]{32}"', '"id": "…"', text)
    text = re.sub(r'"creation_timestamp": \d+', '"creation_timestamp": 0', text)
    text = re.sub(r'"last_updated_timestamp": \d+', '"last_updated_timestamp": 0', text)
    return json.loads(text)


def check(request, name: str, actual: str) -> None:
    golden = GOLDENS / name
    if request.config.getoption("--update-goldens"):
        golden.write_text(actual)
    assert golden.exists(), f"no golden {name}: run pytest with --update-goldens"
    assert actual == golden.read_text()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_plan_outputs_match_goldens(harness, monkeypatch, request, fmt):
    monkeypatch.chdir(harness.root.parent)
    harness.write(STACK)
    harness.apply()
    harness.write(EDITED)
    result = harness.cli("plan", "stack", "--format", fmt)
    assert result.code == 0, result.text
    absolute = json.dumps(str(harness.root.resolve()))  # a saved plan names its stack so
    rendered = (result.out if fmt == "text" else json.dumps(
        scrub(json.loads(result.out.replace(absolute, '"(stack folder)"'))), indent=2) + "\n")
    check(request, f"edit-plan.{'txt' if fmt == 'text' else 'json'}", rendered)
