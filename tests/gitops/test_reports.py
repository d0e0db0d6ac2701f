"""Drift reports and annotations as pure functions: severity tables, thresholds, renderers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from provisioner import placeholders
from provisioner.diff.rules import parse_path
from provisioner.kinds.base import DriftSeverity
from provisioner.kinds.registry import all_kinds, handler_for
from provisioner.plan.drift import DriftedField, DriftReport, Finding, Status, severity_of
from provisioner.plan.drift_document import DriftDocument
from provisioner.plan.planner import read_digests
from provisioner.render import drift_markdown, drift_text, github, values
from provisioner.specs import spec_for

CASES = Path(__file__).resolve().parents[1] / "conformance" / "cases"
FILES = Path(__file__).resolve().parents[1] / "conformance" / "files"
C, CFG, B, D = (DriftSeverity.COSMETIC, DriftSeverity.CONFIG, DriftSeverity.BREAKING,
                DriftSeverity.DELETED)


def test_the_longest_matching_pattern_decides_and_unmatched_fields_are_config():
    table = {"entities": B, "entities[*].size": CFG, "tags": C}
    assert severity_of(("entities", ("name", "a"), "size"), table) is CFG
    assert severity_of(("entities", ("name", "a"), "model"), table) is B
    assert severity_of(("tags", ("key", "team"), "value"), table) is C
    assert severity_of(("gateway", "enabled"), table) is CFG
    assert severity_of(("x",), {"x": C, "*": B}) is B  # same length: the more severe


def known_fields(kind: str, tmp_path: Path) -> set[str]:
    """Top-level fields a kind's documents can hold: its spec's, its rules', and those of
    the desired document its conformance case compiles to."""
    handler = handler_for(kind)
    case = yaml.safe_load((CASES / f"{kind}.yaml").read_text())
    for target, source in case.get("files", {}).items():
        (tmp_path / target).write_text((FILES / source).read_text())
    fields = {k: "host" if "${" in str(v) else v for k, v in case["create"].items()}
    spec = spec_for(kind).model_validate(fields)
    spec = spec.with_default_name("subject")
    desired = handler.desired(spec, read_digests(tmp_path, handler.files(spec)))
    return (set(spec_for(kind).model_fields) | set(desired)
            | {str(r.pattern[0]) for r in handler.rules.rules})


@pytest.mark.parametrize("kind", all_kinds())
def test_every_severity_pattern_parses_and_names_a_field_of_its_kind(kind, tmp_path):
    table = handler_for(kind).severity
    known = known_fields(kind, tmp_path)
    for pattern in table:
        assert str(parse_path(pattern)[0]) in known, f"{kind}: '{pattern}' names no field"


def report(*findings: Finding) -> DriftReport:
    return DriftReport("s", "stacks/s", "prod", "lineage", 4, 10, findings)


def finding(address: str, severity: DriftSeverity, status: Status = Status.DRIFTED,
            fields: tuple[DriftedField, ...] = ()) -> Finding:
    return Finding(address, address.split(".")[0], address.split(".")[1], status, severity,
                   fields, location="stacks/s/stack.yaml:12")


@pytest.mark.parametrize("threshold", list(DriftSeverity))
def test_fail_on_counts_findings_at_or_above_the_threshold(threshold):
    found = report(*(finding(f"k.r{i}", s) for i, s in enumerate(DriftSeverity)))
    counted = {f.severity for f in found.counted(threshold)}
    assert counted == {s for s in DriftSeverity if s.rank >= threshold.rank}
    assert report().counted(threshold) == ()


TAG = DriftedField("tags[key=team].value", "search", "by hand", C)
SIZE = DriftedField("served_entities[name=llm].workload_size", "Small", "Large", CFG)


def sample() -> dict:
    document = report(finding("serving_endpoints.llm", CFG, fields=(SIZE, TAG)),
                      finding("vector_search_indexes.docs", D, Status.DELETED),
                      finding("external_models.chat", CFG, Status.UNMANAGED)).to_document()
    DriftDocument.model_validate(document)
    return document


def test_the_document_counts_by_status_and_severity():
    summary = sample()["summary"]
    assert (summary["drifted"], summary["deleted"], summary["unmanaged"]) == (1, 1, 1)
    assert summary["by_severity"] == {"cosmetic": 0, "config": 2, "breaking": 0, "deleted": 1}
    assert summary["worst"] == "deleted"
    assert report().to_document()["summary"]["worst"] is None


def test_drift_text_names_each_field_old_to_new_with_its_severity():
    text = drift_text.render(sample())
    assert 'served_entities[name=llm].workload_size: "Small" → "Large"   # config' in text
    assert 'tags[key=team].value: "search" → "by hand"   # cosmetic' in text
    assert "- vector_search_indexes.docs deleted outside the stack [deleted]" in text
    assert "worst severity: deleted" in text.splitlines()[-1]
    assert drift_text.render(report().to_document()) == (
        "No drift: 10 resources match what was last applied.")


def test_drift_markdown_has_a_block_per_finding():
    text = drift_markdown.render(sample())
    assert text.count("<details>") == 3
    assert "| deleted | 1 |" in text and "| config | 2 |" in text
    assert '+ served_entities[name=llm].workload_size: "Large"' in text


def test_drift_annotations_point_at_the_resource_line():
    lines = github.drift(sample()).splitlines()
    assert len(lines) == 3
    assert all(line.startswith("::warning file=stacks/s/stack.yaml,line=12,") for line in lines)
    size = next(line for line in lines if "serving_endpoints.llm" in line)
    assert "title=drift (config)%3A serving_endpoints.llm" in size
    assert 'workload_size: "Small" → "Large" (config)%0Atags' in size


@pytest.mark.parametrize("placeholder", placeholders.ALL)
def test_placeholders_read_unquoted_and_a_string_that_contains_one_quoted(placeholder):
    """A reader tells the word a plan writes for a value apart from a value the stack sets."""
    assert values.transition("1", placeholder) == f'"1" → {placeholder}'
    assert values.show(f"chain-{placeholder}") == f'"chain-{placeholder}"'


def test_annotation_properties_and_messages_are_escaped():
    line = github.annotation("warning", "50% done\nnext", file="a,b:c.yaml", line=3,
                             title="x: y")
    assert line == "::warning file=a%2Cb%3Ac.yaml,line=3,title=x%3A y::50%25 done%0Anext"
    assert github.annotation("error", "plain") == "::error::plain"


def test_plan_annotations_warn_on_destructive_changes_only():
    change = {"address": "vector_search_indexes.docs", "reason": "immutable_field",
              "location": "stacks/s/stack.yaml:30", "notes": ["the index is rebuilt"],
              "fields": [{"path": "primary_key", "reason": "immutable", "forces_replace": True}],
              "drift": []}
    document = {"resource_changes": [
        {**change, "action": "replace"},
        {**change, "address": "external_models.chat", "action": "update", "fields": []},
        {**change, "address": "external_models.old", "action": "delete", "fields": [],
         "location": None, "reason": "removed_from_stack", "notes": []}],
        "diagnostics": [{"severity": "warning", "summary": "placeholder secret", "hint": None,
                         "file": "stacks/s/stack.yaml", "line": 9, "column": 5}]}
    lines = github.plan(document).splitlines()
    assert lines[0].startswith("::warning file=stacks/s/stack.yaml,line=30,title=replace ")
    assert "forced by primary_key (immutable)%0Athe index is rebuilt" in lines[0]
    assert lines[1] == ("::warning title=delete external_models.old::external_models.old "
                        "will be deleted: removed from stack")
    assert lines[2] == "::warning file=stacks/s/stack.yaml,line=9,col=5::placeholder secret"
    assert len(lines) == 3
