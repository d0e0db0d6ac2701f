"""Canonical form of a spec-shaped dict, so that equal things compare equal.

What changes, and what does not:
- `None` in an object is dropped: null means unset (the SDK's `as_dict` drops it too). `False`,
  `0`, `""`, `[]` and `{}` are values and are kept (an empty keyed list still says "no items").
- A float with an integral value becomes an int (`1.0` -> `1`); booleans stay booleans and
  strings stay strings (`"5"` is not 5: no type guessing).
- `Canonical` rules rewrite values the service rewrites; `ServerDefault` rules fill what the
  service fills (children first, so a default may read its object's filled fields).
- Keyed lists are sorted by key, `AtomicList(ordered=False)` by canonical JSON, object keys
  alphabetically: output is deterministic.
`normalize(normalize(x)) == normalize(x)`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from provisioner.diff.rules import AtomicList, Canonical, FieldPath, KeyedList, Rules

_SCALARS = (str, int, float, bool, type(None))


def normalize(value: Mapping[str, Any], rules: Rules) -> dict[str, Any]:
    return _node(value, (), rules)


def canonical_json(value: Any) -> str:
    """One JSON text per value (keys sorted, `1.0` as `1`): for hashing and strict equality."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def equivalent(a: Any, b: Any) -> bool:
    """Equal as JSON values: unlike `==`, `True` is not `1`."""
    if type(a) is type(b) and type(a) in _SCALARS and a == b:
        return True  # the common case, without encoding both sides
    return canonical_json(a) == canonical_json(b)


def _plain(value: Any) -> Any:
    """`normalize` without rules (json.dumps sorts the keys): a hash per resource and a plan's
    fingerprints need no rule lookups, which cost more than the rest of the walk."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _node(value: Any, path: FieldPath, rules: Rules) -> Any:
    for rule in rules.at(path, Canonical):
        value = rule.canonicalize(value)
    if isinstance(value, dict | Mapping):  # a dict is told apart without the ABC's check
        out = {k: _node(v, (*path, k), rules) for k, v in value.items() if v is not None}
        for rule in rules.defaults_of(path):
            if rule.name not in out:
                default = rule.default(out)
                if default is not None:
                    out[rule.name] = _node(default, (*path, rule.name), rules)
        return dict(sorted(out.items()))
    if isinstance(value, list | tuple):
        items = [_node(item, (*path, i), rules) for i, item in enumerate(value)]
        return _sorted(items, rules.list_rule(path))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sorted(items: list[Any], rule: KeyedList | AtomicList | None) -> list[Any]:
    if isinstance(rule, KeyedList):
        segments = [rule.segment(i) for i in items]
        keyed = sorted((s, n) for n, s in enumerate(segments) if s is not None)
        return [items[n] for _, n in keyed] + [i for i, s in zip(items, segments, strict=True)
                                               if s is None]
    if isinstance(rule, AtomicList) and not rule.ordered:
        return sorted(items, key=canonical_json)
    return items
