from __future__ import annotations

from typing import Any

from provisioner.diff import (
    AtomicList,
    Canonical,
    KeyedList,
    Rules,
    ServerDefault,
    canonical_json,
    equivalent,
    normalize,
)

NONE = Rules()


def test_integral_floats_become_ints_and_nothing_else_changes_type() -> None:
    out = normalize({"a": 1.0, "b": 1.5, "c": "5", "d": True, "e": False, "f": 0}, NONE)
    assert out == {"a": 1, "b": 1.5, "c": "5", "d": True, "e": False, "f": 0}
    assert type(out["a"]) is int
    assert out["d"] is True and out["e"] is False


def test_none_is_unset_but_falsy_values_and_empty_containers_are_values() -> None:
    out = normalize({"a": None, "b": "", "c": 0, "d": [], "e": {}, "f": {"g": None}}, NONE)
    assert out == {"b": "", "c": 0, "d": [], "e": {}, "f": {}}


def test_keys_and_keyed_items_come_out_sorted() -> None:
    rules = Rules((KeyedList("tags", keys=("key",), reason="r"),))
    out = normalize({"z": 1, "tags": [{"key": "b"}, {"value": "no key"}, {"key": "a"}]}, rules)
    assert list(out) == ["tags", "z"]
    assert out["tags"] == [{"key": "a"}, {"key": "b"}, {"value": "no key"}]


def test_unordered_atomic_lists_sort_but_ordered_ones_keep_their_order() -> None:
    rules = Rules(
        (AtomicList("columns", ordered=False, reason="r"), AtomicList("steps", reason="r"))
    )
    out = normalize({"columns": ["url", "id", 1.0], "steps": ["b", "a"]}, rules)
    assert sorted(out["columns"], key=canonical_json) == out["columns"]
    assert out["steps"] == ["b", "a"]


def test_server_defaults_fill_only_what_is_unset() -> None:
    rules = Rules((ServerDefault("items[*].kind", values=("CPU",), reason="r"),))
    out = normalize({"items": [{"kind": "GPU_SMALL"}, {}, {"kind": None}]}, rules)
    assert [i["kind"] for i in out["items"]] == ["GPU_SMALL", "CPU", "CPU"]


def test_a_default_reads_its_object_after_its_children_are_filled(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    out = normalize(endpoint_desired, serving_rules)
    # the route default reads the entity name that is itself a default
    (route,) = out["traffic_config"]["routes"]
    (served,) = endpoint_live["traffic_config"]["routes"]
    assert route == {k: served[k] for k in route}
    assert out["served_entities"][0]["name"] == endpoint_live["served_entities"][0]["name"]


def test_a_default_that_cannot_be_known_is_left_unset(serving_rules: Rules) -> None:
    two = {"served_entities": [{"entity_name": "c.s.a", "entity_version": "1"},
                               {"entity_name": "c.s.b", "entity_version": "1"}]}
    assert "traffic_config" not in normalize(two, serving_rules)
    assert "workload_size" not in normalize(two, serving_rules)["served_entities"][0]


def test_canonical_rules_rewrite_like_the_service(
    index_rules: Rules, index_desired: dict[str, Any]
) -> None:
    out = normalize(index_desired, index_rules)
    assert out["name"] == "main.rag.docs_index"
    assert out["delta_sync_index_spec"]["source_table"] == "main.rag.docs"
    assert out["endpoint_name"] == index_desired["endpoint_name"]


def as_tag_list(tags: Any) -> Any:
    if isinstance(tags, dict):
        return [{"key": k, "value": v} for k, v in tags.items()]
    return tags


def test_canonical_runs_before_defaults_and_sorting() -> None:
    rules = Rules(
        (
            Canonical("tags", canonicalize=as_tag_list, reason="a map is the same tags as a list"),
            KeyedList("tags", keys=("key",), reason="r"),
        )
    )
    from_map = normalize({"tags": {"b": "2", "a": "1"}}, rules)
    from_list = normalize({"tags": [{"key": "b", "value": "2"}, {"key": "a", "value": "1"}]},
                          Rules(rules.rules[1:]))
    assert from_map == from_list
    assert normalize(from_map, rules) == from_map


def test_normalize_is_idempotent_on_the_examples(
    serving_rules: Rules, index_rules: Rules, endpoint_desired: dict[str, Any],
    endpoint_live: dict[str, Any], index_desired: dict[str, Any], index_live: dict[str, Any],
) -> None:
    for value, rules in ((endpoint_desired, serving_rules), (endpoint_live, serving_rules),
                         (index_desired, index_rules), (index_live, index_rules)):
        once = normalize(value, rules)
        assert normalize(once, rules) == once


def test_normalize_does_not_touch_its_input(
    serving_rules: Rules, endpoint_desired: dict[str, Any]
) -> None:
    before = repr(endpoint_desired)
    normalize(endpoint_desired, serving_rules)
    assert repr(endpoint_desired) == before


def test_equivalent_is_json_equality() -> None:
    assert equivalent({"a": 1.0, "b": None}, {"a": 1})
    assert not equivalent(True, 1)
    assert not equivalent({"a": False}, {"a": 0})
    assert not equivalent("5", 5)
