"""Every change is sent: for every settable field of every kind (read from its spec), a change
is applied by a write call after which the plan is empty, planned as a replace with its reason,
or refused at plan time with a reason; never an update that sends nothing.

The fields come from the spec class (`settable.settable_fields`); `changes/<kind>.yaml` says how to
change those a generated value cannot (exclusive branches, cross-field rules) and which other
subjects hold them. A field no step changes fails the suite, so a new field or kind is covered
or reported. The workspace is served once per kind, so its request log proves each call.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from settable import changed_value, settable_fields
from support.harness import served_workspace
from support.model_rows import register_model_version
from test_conformance import FILES, load_case

from provisioner.diff.rules import covers, parse_path
from provisioner.kinds.registry import all_kinds
from provisioner.specs import spec_for
from provisioner.stack.targets import merge

CHANGES = Path(__file__).parent / "changes"
SERVED = ("-t", "served")
SECRET = re.compile(r"\{\{secrets/([\w.-]+)/([\w.-]+)\}\}")
READ_CALLS = re.compile(r"/(search|query|scan|query-next-page)$|/preview/scim/")
"""Non-GET requests that only read (MLflow searches, vector queries)."""

Path_ = tuple[str | int, ...]


@dataclass
class Step:
    """One change to one subject: a merge patch (`set`), top-level fields written anew
    (`replace`), or a generated value of one field's type (`generate`)."""

    def after(self, document: dict[str, Any], kind: str) -> dict[str, Any]:
        if self.generate is not None:
            return _generated(document, self.generate, kind)
        return {**merge(document, self.patch or {}), **(self.replace or {})}

    subject: str
    patch: dict[str, Any] | None = None
    replace: dict[str, Any] | None = None
    generate: str | None = None
    expect: str | None = None
    refused: str | None = None
    gap: str | None = None
    """A known failure of the property, reported until it is fixed (then the step fails)."""
    covers: set[str] = field(default_factory=set)


def changes_of(kind: str) -> dict[str, Any]:
    """The kind's changes file, its `include`d lists first, its provider blocks last."""
    path = CHANGES / f"{kind}.yaml"
    data = yaml.safe_load(path.read_text()) if path.exists() else {}
    included = [c for name in data.get("include", [])
                for c in yaml.safe_load((CHANGES / name).read_text())]
    providers = [_provider_change(p, data["providers"]) for p in
                 yaml.safe_load((CHANGES / "_providers.yaml").read_text())
                 ] if data.get("providers") else []
    return {**data, "changes": included + data.get("changes", []) + providers}


def _provider_change(block: dict[str, Any], shape: Any) -> dict[str, Any]:
    """One provider's block as a change of the short form's fields, or of one external-model
    served entity (`{entity: <name>}`) of the full form."""
    from provisioner.specs.providers import PROVIDER_CONFIGS

    if shape == "external_models":
        return {"replace": block, "expect": "update"}
    model = {"provider": block["provider"], "name": block["model"], "task": "llm/v1/chat",
             PROVIDER_CONFIGS[block["provider"]][0]: block["config"]}
    return {"replace": {"served_entities": [{"name": shape["entity"], "external_model": model}]},
            "expect": "update"}


def flatten(value: Any, prefix: Path_ = ()) -> dict[Path_, Any]:
    """Leaf values by concrete path; lists of objects by position, other lists whole."""
    if isinstance(value, dict):
        return {p: v for k, child in value.items() if child is not None
                for p, v in flatten(child, (*prefix, k)).items()}
    if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
        return {p: v for n, item in enumerate(value)
                for p, v in flatten(item, (*prefix, n)).items()}
    return {prefix: value}


def covered(before: dict[str, Any], after: dict[str, Any], patterns: list[str]) -> set[str]:
    """The field patterns whose value differs between two spec documents."""
    old, new = flatten(before), flatten(after)
    changed = [p for p in old.keys() | new.keys() if old.get(p) != new.get(p)]
    return {p for p in patterns for path in changed if covers(parse_path(p), path)}


def stack_yaml(kind: str, case: dict[str, Any], subjects: dict[str, Any]) -> str:
    resources = {**case.get("extra", {})}
    resources[kind] = {**resources.get(kind, {}), **subjects}
    return yaml.safe_dump({"stack": "fields", "resources": resources,
                           "targets": {"served": {}}}, sort_keys=False)


def plan_steps(kind: str, case: dict[str, Any], data: dict[str, Any],
               subjects: dict[str, Any]) -> tuple[list[Step], list[str]]:
    """The case's steps, then one generated step per field they leave unchanged that some
    subject holds; and the fields nothing changes."""
    fields = settable_fields(spec_for(kind))
    patterns = list(fields)
    steps, done = [], set()
    documents = copy.deepcopy(subjects)
    for raw in data.get("changes", []):
        step = Step(raw.get("subject", "subject"), patch=raw.get("set"),
                    replace=raw.get("replace"), expect=raw.get("expect"),
                    refused=raw.get("refused"), gap=raw.get("gap"))
        after = step.after(documents[step.subject], kind)
        step.covers = covered(documents[step.subject], after, patterns)
        assert step.covers, f"{raw} changes no field of {kind}"
        if step.expect != "refused":
            documents[step.subject] = after
        steps.append(step)
        done |= step.covers
    for pattern in patterns:
        if pattern in done:
            continue
        holder = next((name for name, doc in documents.items()
                       if _concrete(doc, pattern) is not None), None)
        if holder is not None and changed_value(fields[pattern], None) is not None:
            steps.append(Step(holder, generate=pattern, covers={pattern}))
            done.add(pattern)
    return steps, [p for p in patterns if p not in done]


def _concrete(document: dict[str, Any], pattern: str) -> Path_ | None:
    """The first concrete path in `document` that `pattern` selects (a map's key for `.*`)."""
    parsed = parse_path(pattern)
    return next((p for p in flatten(document) if covers(parsed, p)), None)


def _generated(document: dict[str, Any], pattern: str, kind: str) -> dict[str, Any]:
    """`document` with the field `pattern` set to a generated value of its type."""
    info = settable_fields(spec_for(kind))[pattern]
    path = _concrete(document, pattern)
    assert path is not None
    if pattern.endswith(".*"):  # a map: add an entry
        path = path[: len(parse_path(pattern)) - 1]
    else:
        path = path[: len(parse_path(pattern))]
    out = copy.deepcopy(document)
    parent = out
    for segment in path[:-1]:
        parent = parent[segment]
    parent[path[-1]] = changed_value(info, parent.get(path[-1]) if isinstance(parent, dict)
                                     else parent[path[-1]])
    return out


def _create_secrets(client, documents: list[Any]) -> None:
    """The secrets the stack references, so preflight finds them (served, not local)."""
    wanted = set(SECRET.findall(json.dumps(documents)))
    for scope in {s for s, _ in wanted}:
        client.secrets.create_scope(scope)
    for scope, key in wanted:
        client.secrets.put_secret(scope, key, string_value=f"value-of-{key}")


@pytest.mark.parametrize("kind", all_kinds())
def test_every_field_change_is_sent_replaced_or_refused(harness, kind, tmp_path, monkeypatch):
    case = load_case(kind)
    if case.get("requires"):
        pytest.importorskip(case["requires"], reason="needs the provisioner[models] extra")
    data = changes_of(kind)
    documents = {"subject": case["create"], **data.get("subjects", {})}
    steps, uncovered = plan_steps(kind, case, data, documents)
    assert not uncovered, (f"no change of {kind} sets {', '.join(uncovered)}: add one to "
                           f"tests/conformance/changes/{kind}.yaml")
    for target, source in case.get("files", {}).items():
        harness.write((FILES / source).read_text(), target)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        from provisioner.workspace.client import WorkspaceAuth, connect

        client = connect(WorkspaceAuth(host=local.url, token="test"))
        for model, versions in data.get("models", {}).items():
            register_model_version(client, model, max(versions))
        _create_secrets(client, [case.get("extra"), documents, data.get("changes")])
        harness.write(stack_yaml(kind, case, documents))
        harness.apply(*SERVED)
        _converged(harness)
        for step in steps:
            _run(harness, local, kind, case, documents, step)


def _converged(harness) -> None:
    pending = harness.changes(*SERVED)
    assert pending == {}, json.dumps(pending, indent=2)


def _run(harness, local, kind: str, case: dict[str, Any], documents: dict[str, Any],
         step: Step) -> None:
    """Plan one change; it must be refused, or planned and then sent and converged."""
    what = f"{kind}.{step.subject}: {', '.join(sorted(step.covers))}"
    after = step.after(documents[step.subject], kind)
    harness.write(stack_yaml(kind, case, {**documents, step.subject: after}))
    planned = harness.cli("plan", str(harness.root), "--format", "json", *SERVED)
    if planned.code != 0:
        assert step.expect in (None, "refused"), f"{what}: refused\n{planned.err}"
        assert "error:" in planned.err, f"{what}: refused without a diagnostic\n{planned.text}"
        if step.refused:
            assert step.refused in planned.err, planned.err
        harness.write(stack_yaml(kind, case, documents))
        return
    assert step.expect != "refused", f"{what}: expected a refusal, planned instead"
    change = next(c for c in json.loads(planned.out)["resource_changes"]
                  if c["address"] == f"{kind}.{step.subject}")
    if step.gap is not None:
        assert change["action"] == "no-op", f"{what}: fixed ({step.gap}): drop `gap`"
        warnings.warn(f"{what}: known gap: {step.gap}", stacklevel=2)
        harness.write(stack_yaml(kind, case, documents))
        return
    assert change["action"] in ("update", "replace"), f"{what}: planned {change['action']}"
    if step.expect:
        assert change["action"] == step.expect, f"{what}: planned {change['action']}"
    if change["action"] == "replace":
        assert change["replace_fields"], f"{what}: a replace names the fields forcing it"
        reasons = {f["path"]: f.get("reason") for f in change["fields"]}
        assert all(reasons.get(p) for p in change["replace_fields"]), \
            f"{what}: every field forcing a replace has a reason: {reasons}"
    seen = len(local.request_log())
    harness.apply(*SERVED)
    writes = [f"{r['method']} {r['path']}" for r in local.request_log()[seen:]
              if r["method"] != "GET" and not READ_CALLS.search(r["path"])]
    assert writes, f"{what}: planned {change['action']}, applied without a write call"
    _converged(harness)
    documents[step.subject] = after
