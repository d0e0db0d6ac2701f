"""Stack YAML written from live resources (`provisioner generate`), such that applying it
adopts them unchanged.

Generic steps here, kind-specific ones in each handler's `to_spec`: fields equal to the
default the kind's rules say the service fills are dropped (a stack leaves them unset);
sensitive values are dropped, never written (the next plan leaves them alone); empty fields
are dropped; strings that templates would read are written as templates that render to
them exactly.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from provisioner.addresses import KEY_PATTERN, format_field_path, has_reference
from provisioner.diff.normalize import equivalent
from provisioner.diff.rules import FieldPath, Rules
from provisioner.diff.sensitive import is_sensitive_path
from provisioner.kinds.base import Live
from provisioner.kinds.registry import handler_for
from provisioner.specs import spec_for
from provisioner.stack.model import Stack
from provisioner.stack.templating import literal

_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class Generated:
    document: dict[str, Any]
    """`stack`, `targets` (the target it was read from), `resources`."""
    notes: tuple[str, ...] = ()
    """What was left out, and why."""

    @property
    def count(self) -> int:
        return sum(len(by_key) for by_key in self.document["resources"].values())


def generate(stack: Stack, found: Mapping[str, Sequence[Live]]) -> Generated:
    """A stack document of `found` (kind -> live resources), less what `stack` declares."""
    declared = {(handler_for(a.kind).provides, r.name) for a, r in stack.resources.items()}
    resources: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for kind, lives in found.items():
        handler = handler_for(kind)
        by_key: dict[str, Any] = {}
        for live in sorted(lives, key=lambda item: item.name):
            if (handler.provides, live.name) in declared:
                notes.append(f"{kind} '{live.name}': already in the stack")
                continue
            key = _key(live.name, by_key)
            spec, said = _spec(kind, key, live)
            notes += [f"{kind} '{live.name}': {note}" for note in said]
            if spec is not None:
                by_key[key] = spec
        if by_key:
            resources[kind] = by_key
    document: dict[str, Any] = {"stack": stack.name}
    if not stack.target.is_local:
        document["targets"] = {stack.target.name: _target(stack)}
    document["resources"] = resources
    return Generated(document, tuple(notes))


def to_yaml(generated: Generated, *, schema: str, header: Sequence[str] = ()) -> str:
    """The document as a stack file, headed by the editor's schema line and comments."""
    lines = [f"# yaml-language-server: $schema={schema}", *(f"# {h}" for h in header)]
    body = yaml.safe_dump(generated.document, sort_keys=False, default_flow_style=False,
                          allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body


def _spec(kind: str, key: str, live: Live) -> tuple[dict[str, Any] | None, list[str]]:
    """The resource's fields under `key` (None when it cannot be written), and notes."""
    handler = handler_for(kind)
    hidden: list[str] = []
    document = _strip(live.document, (), handler.rules, hidden)
    notes = [f"{path} is sensitive and was left out: set it with a "
             "{{secrets/<scope>/<key>}} reference" for path in hidden]
    spec = _compact(handler.to_spec(dataclasses.replace(live, document=document)))
    if _has_reference(spec):
        return None, [*notes, "not written: a value holds '${', which a stack reads as a "
                              "reference"]
    spec_class = spec_for(kind)
    try:
        spec_class.model_validate(spec)
    except ValidationError as exc:
        first = exc.errors()[0]
        return None, [*notes, f"not written: {'.'.join(map(str, first['loc']))}: "
                              f"{first['msg']}"]
    if spec_class.NAME_DEFAULTS_TO_KEY and spec.get("name") == key:
        spec.pop("name")
    return _literal(spec), notes


def _strip(value: Any, path: FieldPath, rules: Rules, hidden: list[str]) -> Any:
    """`value` less server defaults (decided on each object before its children, which a
    computed default may read) and sensitive values (their paths go to `hidden`)."""
    if isinstance(value, list):
        return [_strip(item, (*path, i), rules, hidden) for i, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    defaults = {rule.name: rule for rule in rules.defaults_of(path)}
    kept = {}
    for name, child in value.items():
        here = (*path, name)
        rule = defaults.get(name)
        if rule is not None and (rule.values or rule.compute) and equivalent(
                child, rule.default(value)):
            continue
        if is_sensitive_path(here, rules, child):
            hidden.append(format_field_path(here))
            continue
        kept[name] = _strip(child, here, rules, hidden)
    return kept


def _compact(value: Any) -> Any:
    """Without None and empty lists or objects (the stack leaves those unset); `name`
    first, where a reader looks for it."""
    if isinstance(value, dict):
        items = sorted(((k, _compact(v)) for k, v in value.items()), key=lambda i: i[0] != "name")
        return {k: v for k, v in items if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _literal(value: Any) -> Any:
    """Strings as template source that renders to them exactly (`templating.literal`): a
    workspace value is data, never a template, whatever it holds."""
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v) for v in value]
    return literal(value) if isinstance(value, str) else value


def _has_reference(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_reference(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_reference(v) for v in value)
    return has_reference(value)


def _key(name: str, taken: Mapping[str, Any]) -> str:
    """A resource key from a name: its last dotted part (Unity Catalog names), made a valid
    key, the whole name when that is taken, then numbered."""
    candidates = [_clean(name.rsplit(".", 1)[-1]), _clean(name)]
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    number = 2
    while f"{candidates[1]}-{number}" in taken:
        number += 1
    return f"{candidates[1]}-{number}"


def _clean(text: str) -> str:
    key = re.sub(r"[^A-Za-z0-9_-]", "_", text)
    return key if _KEY.fullmatch(key) else f"r_{key}"


def _target(stack: Stack) -> dict[str, Any]:
    """The target it was read from, so the file applies to the same workspace. Not its
    state: the generated stack keeps its own, so it never takes over another stack's."""
    target: dict[str, Any] = {"default": True}
    if stack.target.workspace is not None:
        target["workspace"] = stack.target.workspace.model_dump(exclude_none=True)
    return target
