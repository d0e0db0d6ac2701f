"""docs/kinds.md: generated from the code, kept fresh, complete, and true to the rules."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from provisioner.cli.main import run
from provisioner.cli.reference_docs import COMPILED_PATHS, FOLDED_PATHS, REGENERATE
from provisioner.diff.rules import (
    Canonical,
    Immutable,
    InputOnly,
    Item,
    KeyedList,
    ServerDefault,
    parse_path,
)
from provisioner.kinds.registry import HANDLERS
from provisioner.plan.planner import read_digests
from provisioner.specs import SPECS
from provisioner.specs.providers import PROVIDER_CONFIGS

ROOT = Path(__file__).resolve().parents[2]
KINDS_MD = ROOT / "docs" / "kinds.md"
_ROW = re.compile(r"^\| `([^`]+)` \|", re.MULTILINE)


def _generated(capsys) -> str:
    assert run(["reference-docs"]) == 0
    return capsys.readouterr().out


def _section(text: str, kind: str) -> str:
    start = text.index(f"\n## `{kind}`\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _reachable(spec: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    pending = [spec]
    while pending:
        model = pending.pop()
        if model in found:
            continue
        found.append(model)
        for info in model.model_fields.values():
            pending += _models_in(info.rebuild_annotation())
    return found


def test_kinds_doc_is_fresh(capsys):
    assert KINDS_MD.read_text() == _generated(capsys), (
        f"docs/kinds.md is stale: regenerate it with\n  {REGENERATE}")


def test_the_command_is_hidden(capsys):
    assert run(["--help"]) == 0
    assert "reference-docs" not in capsys.readouterr().out


@pytest.mark.parametrize("kind", list(SPECS))
def test_every_field_of_every_spec_is_documented(capsys, kind):
    section = _section(_generated(capsys), kind)
    paths = set(_ROW.findall(section))
    spec = SPECS[kind]
    for name, info in spec.model_fields.items():
        assert (info.alias or name) in paths, f"{kind}: field '{name}' has no row"
    for model in _reachable(spec):
        for name, info in model.model_fields.items():
            field = info.alias or name
            assert any(p == field or p.endswith("." + field) for p in paths), (
                f"{kind}: {model.__name__}.{name} appears in no row of docs/kinds.md")
    for attribute in spec.ATTRIBUTES:
        assert f"| `{attribute}` |" in section, f"{kind}: attribute '{attribute}' missing"


@pytest.mark.parametrize("kind", list(SPECS))
def test_plan_support_is_stated(capsys, kind):
    section = _section(_generated(capsys), kind)
    supported = "- **Plan/apply**: supported." in section
    assert supported == (kind in HANDLERS)
    assert ("not yet supported" in section) == (kind not in HANDLERS)


@pytest.mark.parametrize("kind", sorted(HANDLERS))
def test_the_plan_column_states_each_rule(capsys, kind):
    """Rules on the kind's own fields (a short form has no `auto_capture_config`)."""
    section = _section(_generated(capsys), kind)
    fields = {info.alias or name for name, info in SPECS[kind].model_fields.items()}
    for rule in HANDLERS[kind].rules.rules:
        if rule.pattern[0] not in fields:
            continue
        if isinstance(rule, Immutable):
            assert f"replace ({rule.reason})" in section, rule.path
        elif isinstance(rule, ServerDefault):
            assert f"server default ({rule.reason})" in section, rule.path
        elif isinstance(rule, InputOnly):
            assert f"input only ({rule.reason})" in section, rule.path
        elif isinstance(rule, Canonical):
            assert f"normalized ({rule.reason})" in section, rule.path
        elif isinstance(rule, KeyedList):
            keys = " / ".join(f"`{k}`" for k in rule.keys)
            assert f"keyed by {keys}" in section, rule.path


def _at(document: Any, path: str) -> Any:
    """The value at a rule-style path, `[*]` read as the first item."""
    for segment in parse_path(path):
        if isinstance(segment, Item):
            document = document[0]
        else:
            document = document.get(segment) if isinstance(document, dict) else None
        if document is None:
            return None
    return document


COMPILED = [
    ("external_models", {"provider": "openai", "model": "gpt-4o", "task": "llm/v1/chat",
                         "config": {"openai_api_key": "{{secrets/llm/openai}}"},
                         "served_entity_name": "chat-model"}),
    ("external_models", {"provider": "amazon-bedrock", "model": "claude", "task": "llm/v1/chat",
                         "config": {"aws_region": "us-east-1", "bedrock_provider": "anthropic",
                                    "instance_profile_arn": "arn:aws:iam::1:instance-profile/x"}}),
    ("foundation_models", {"model": "system.ai.llama", "version": "3",
                           "throughput": {"min": 0, "max": 9500},
                           "scale_to_zero_enabled": False, "served_entity_name": "llama"}),
    ("foundation_models", {"model": "system.ai.llama", "version": "3",
                           "provisioned_model_units": 50, "burst_scaling_enabled": False}),
    ("registered_models", {"name": "main.rag.chain", "flavor": "langchain", "code": "chain.py",
                           "input_example": {"question": "hi"},
                           "lifecycle": {"delete_versions": True}}),
]


def test_compiled_paths_are_where_the_fields_land(tmp_path):
    """Each COMPILED_PATHS entry is checked against the handler's own document."""
    (tmp_path / "chain.py").write_text("chain = None\n")
    checked: set[tuple[str, str]] = set()
    for kind, value in COMPILED:
        spec = SPECS[kind].model_validate(value).with_default_name("key")
        written = spec.model_dump(mode="json", by_alias=True, exclude_unset=True)
        document = HANDLERS[kind].desired(spec, read_digests(tmp_path,
                                                             HANDLERS[kind].files(spec)))
        block = PROVIDER_CONFIGS[value["provider"]][0] if "provider" in value else ""
        for spec_path, document_path in COMPILED_PATHS[kind].items():
            expected = _at(written, spec_path)
            if expected is None:
                continue
            assert _at(document, document_path.format(block=block)) == expected, spec_path
            checked.add((kind, spec_path))
    assert checked == {(k, p) for k, paths in COMPILED_PATHS.items() for p in paths}


REGISTERED_MODEL = {"name": "main.rag.chain", "flavor": "langchain", "code": "chain.py",
                    "signature": {"inputs": [{"name": "q", "type": "string"}],
                                  "outputs": [{"type": "string"}]}}
CONTENT_CHANGES = {
    "code": "other.py",
    "config": "chain.yaml",
    "requirements": ["langchain==0.3.0"],
    "signature": {"inputs": [{"name": "question", "type": "string"}],
                  "outputs": [{"type": "string"}]},
    "input_example": {"q": "hello"},
}


def test_folded_fields_change_the_folded_value_and_only_it(tmp_path):
    """Each FOLDED_PATHS field has no place of its own in the document, and (where it can
    take another value) changing it changes the folded value."""
    for name, text in (("chain.py", "chain = 1\n"), ("other.py", "chain = 2\n"),
                       ("chain.yaml", "k: v\n")):
        (tmp_path / name).write_text(text)
    handler = HANDLERS["registered_models"]
    path, fields = FOLDED_PATHS["registered_models"]
    spec = SPECS["registered_models"]
    def desired(fields):
        model = spec.model_validate(fields)
        return handler.desired(model, read_digests(tmp_path, handler.files(model)))

    base = desired(REGISTERED_MODEL)
    assert not set(fields) & set(base)
    assert set(CONTENT_CHANGES) <= set(fields)
    for field, value in CONTENT_CHANGES.items():
        changed = desired({**REGISTERED_MODEL, field: value})
        assert _at(changed, path) != _at(base, path), field
