"""Laws of the diff, over generated specs: a schema with every rule type, and a simulated
service that applies a full update the way the serving API does."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from provisioner.diff import (
    AtomicList,
    Immutable,
    InputOnly,
    KeyedList,
    Rules,
    Sensitive,
    ServerDefault,
    diff,
    drift,
    normalize,
)
from provisioner.diff.three_way import compare

RULES = Rules(
    (
        Immutable("name", reason="identity"),
        ServerDefault("flag", values=(False,), reason="false when unset"),
        ServerDefault("entities[*].name", reason="named from the model",
                      compute=lambda e: f"{e['model']}-1" if "model" in e else None),
        ServerDefault("entities[*].kind", values=("CPU",), reason="CPU when unset"),
        KeyedList("entities", keys=("name",), reason="named"),
        KeyedList("tags", keys=("key",), reason="keyed"),
        AtomicList("scopes", ordered=False, reason="a set"),
        AtomicList("entities[*].ports", reason="ordered"),
        InputOnly("policy", reason="not returned by GET"),
        Sensitive("entities[*].env.*", unless_secret_reference=True, reason="may be a secret"),
    )
)
KEYS = {"entities": "name", "tags": "key"}
CANARY = "canary-"

names = st.text(alphabet="abcxyz", min_size=1, max_size=3)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(-3, 3).map(float),
    st.sampled_from(["", "a", "5"]),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)
plaintext = names.map(lambda s: CANARY + s)
env_values = st.one_of(st.sampled_from(["{{secrets/s/k}}", "{{secrets/t/k2}}"]), plaintext)


def entity(model: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"model": st.just(model)},
        optional={
            "name": st.just(f"{model}-1"),
            "kind": st.sampled_from(["CPU", "GPU"]),
            "size": scalars,
            "ports": st.lists(st.integers(0, 3), max_size=3),
            "env": st.dictionaries(st.sampled_from(["A", "B", "C"]), env_values, max_size=3),
            "key_plaintext": plaintext,
            "extra": st.dictionaries(names, json_values, max_size=2),
        },
    )


entities = st.lists(names, unique=True, max_size=3).flatmap(
    lambda models: st.tuples(*map(entity, models)).map(list)
)
tags = st.lists(
    st.fixed_dictionaries({"key": names, "value": st.sampled_from(["1", "2"])}),
    unique_by=lambda t: t["key"], max_size=3,
)
specs = st.fixed_dictionaries(
    {"name": st.sampled_from(["svc", "other"])},
    optional={
        "flag": st.booleans(),
        "note": scalars,
        "entities": entities,
        "tags": tags,
        "scopes": st.lists(st.sampled_from(["r", "w", "x"]), max_size=3),
        "policy": st.sampled_from(["p1", "p2"]),
        "block": st.dictionaries(names, json_values, max_size=3),
    },
)
def server_apply(request: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """The service taking a full update: unset fields get its defaults, the request's fields
    replace live's, lists are replaced (keyed items keep the service's own fields), it returns
    keyed items in its own order and never echoes input-only or plaintext fields."""
    request = copy.deepcopy(request)
    request.setdefault("flag", False)
    for item in request.get("entities") or []:
        item.setdefault("name", f"{item['model']}-1")
        item.setdefault("kind", "CPU")
    out = _merge(request, live)
    out.pop("policy", None)
    for item in out.get("entities") or []:
        item.pop("key_plaintext", None)
    for field, key in KEYS.items():
        if isinstance(out.get(field), list):
            out[field].sort(key=lambda item, key=key: item[key], reverse=True)
    return out


def _merge(request: Any, live: Any, field: str = "") -> Any:
    if isinstance(request, dict) and isinstance(live, dict):
        out = dict(live)
        for name, value in request.items():
            if value is not None:
                out[name] = _merge(value, live.get(name), name)
        return out
    if field in KEYS and isinstance(request, list) and isinstance(live, list):
        previous = {item[KEYS[field]]: item for item in live if isinstance(item, dict)}
        return [_merge(item, previous.get(item[KEYS[field]], {})) for item in request]
    return copy.deepcopy(request)


# any earlier state of the service, with fields of its own: ids, timestamps, states
lives = st.builds(
    lambda spec, own: own | server_apply(spec, {}),
    specs,
    st.dictionaries(st.sampled_from(["id", "created", "state"]), json_values, max_size=3),
)


def shuffled(data: st.DataObject, spec: dict[str, Any]) -> dict[str, Any]:
    out = dict(spec)
    for field in KEYS:
        if isinstance(out.get(field), list):
            out[field] = data.draw(st.permutations(out[field]))
    return out


@given(specs)
def test_nothing_differs_from_itself(spec: dict[str, Any]) -> None:
    assert diff(spec, spec, spec, RULES) == ()
    assert diff(spec, spec, None, RULES) == ()
    assert drift(spec, spec, RULES) == ()


@given(specs, lives)
def test_apply_converges(desired: dict[str, Any], live: dict[str, Any]) -> None:
    applied = server_apply(desired, live)
    assert diff(desired, applied, desired, RULES) == ()
    assert drift(applied, desired, RULES) == ()


@given(st.data(), specs, lives, specs)
def test_keyed_item_order_does_not_matter(
    data: st.DataObject, desired: dict[str, Any], live: dict[str, Any], last: dict[str, Any]
) -> None:
    expected = diff(desired, live, last, RULES)
    assert diff(shuffled(data, desired), shuffled(data, live), shuffled(data, last),
                RULES) == expected


@given(specs, st.one_of(st.none(), lives), st.one_of(st.none(), specs))
def test_changes_are_one_per_field_and_never_show_plaintext(
    desired: dict[str, Any], live: dict[str, Any] | None, last: dict[str, Any] | None
) -> None:
    changes = diff(desired, live, last, RULES)
    assert len({c.path for c in changes}) == len(changes)
    assert CANARY not in repr(changes)
    assert CANARY not in repr(drift(live, last, RULES))


@given(specs, st.one_of(lives, specs))
def test_compare_finds_the_drift_drift_finds(desired: dict[str, Any],
                                            live: dict[str, Any]) -> None:
    """`compare` of a resource unchanged since its last apply takes its drift from the diff
    instead of walking again: it must be the drift `drift` finds by its own walk."""
    last = copy.deepcopy(desired)
    changes, drifted = compare(desired, live, last, RULES)
    assert changes == diff(desired, live, last, RULES)
    assert drifted == drift(live, last, RULES)


@given(st.one_of(specs, lives, st.dictionaries(names, json_values)))
def test_normalize_is_idempotent(value: dict[str, Any]) -> None:
    once = normalize(value, RULES)
    assert normalize(once, RULES) == once


@given(specs, lives)
def test_a_change_in_a_declared_field_is_seen(desired: dict[str, Any],
                                              live: dict[str, Any]) -> None:
    applied = server_apply(desired, live)
    applied["name"] = applied["name"] + "-moved"
    (change,) = diff(desired, applied, desired, RULES)
    assert change.path == ("name",) and change.forces_replace
    (moved,) = drift(applied, desired, RULES)
    assert (moved.before, moved.after) == (desired["name"], applied["name"])
