from __future__ import annotations

import pytest

from provisioner.addresses import format_field_path
from provisioner.diff.rules import (
    AtomicList,
    Immutable,
    InputOnly,
    Item,
    KeyedList,
    Rules,
    Sensitive,
    ServerDefault,
    covers,
    format_pattern,
    matches,
    parse_path,
)


@pytest.mark.parametrize(
    "text",
    [
        "tags",
        "ai_gateway.rate_limits",
        "served_entities[*].workload_type",
        "served_entities[*].environment_vars.*",
        "served_entities[name=llm].workload_size",
        "rate_limits[0].calls",
        "permissions[key,principal=user,a@b.c]",
    ],
)
def test_parse_then_format_round_trips(text: str) -> None:
    assert format_pattern(parse_path(text)) == text


@pytest.mark.parametrize(
    "text", ["", ".tags", "tags.", "tags..x", "[*]", "tags[", "tags[x]", "tags[=a]", "a[*]b"]
)
def test_malformed_paths_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_path(text)


def test_a_selector_matches_the_segment_a_plan_prints() -> None:
    path = ("served_entities", ("name", "llm"), "workload_size")
    printed = format_field_path(path)
    assert matches(parse_path(printed), path)
    assert matches(parse_path("served_entities[*].workload_size"), path)
    assert not matches(parse_path("served_entities[name=other].workload_size"), path)
    assert not matches(parse_path("served_entities[0].workload_size"), path)
    assert matches(parse_path("served_entities[0].workload_size"), ("served_entities", 0,
                                                                     "workload_size"))


def test_star_matches_any_name_but_not_an_item() -> None:
    pattern = parse_path("environment_vars.*")
    assert matches(pattern, ("environment_vars", "TOKEN"))
    assert not matches(pattern, ("environment_vars", 0))
    assert not matches(pattern, ("environment_vars",))


def test_covers_selects_a_field_and_what_is_inside_it() -> None:
    pattern = parse_path("ai_gateway")
    assert covers(pattern, ("ai_gateway",))
    assert covers(pattern, ("ai_gateway", "rate_limits"))
    assert not covers(parse_path("ai_gateway.rate_limits"), ("ai_gateway",))


def test_rules_select_every_item_and_say_why() -> None:
    with pytest.raises(ValueError, match=r"\[\*\]"):
        Immutable("served_entities[name=llm].name", reason="x")
    with pytest.raises(ValueError, match="API behaviour"):
        Immutable("name", reason=" ")


def test_server_default_needs_a_field_name_and_one_source() -> None:
    with pytest.raises(ValueError):
        ServerDefault("environment_vars.*", values=("x",), reason="r")
    with pytest.raises(ValueError):
        ServerDefault("served_entities[*]", values=("x",), reason="r")
    with pytest.raises(ValueError):
        ServerDefault("a", values=(1,), compute=lambda parent: 1, reason="r")


def test_server_default_value_comes_from_values_or_compute() -> None:
    assert ServerDefault("a", values=["CPU"], reason="r").default({}) == "CPU"
    computed = ServerDefault("b", compute=lambda parent: parent["a"] * 2, reason="r")
    assert computed.default({"a": 2}) == 4
    assert ServerDefault("c", reason="filled from elsewhere").default({"c": 1}) is None


def test_keyed_list_segment_names_the_item_by_its_keys() -> None:
    rule = KeyedList("rate_limits", keys=("key", "principal"), reason="r")
    assert rule.segment({"key": "user", "principal": "a@b.c", "calls": 1}) == (
        "key,principal", "user,a@b.c")
    assert rule.segment({"key": "endpoint", "calls": 1}) == ("key", "endpoint")
    assert rule.segment({"calls": 1}) is None
    assert rule.segment("not an object") is None
    with pytest.raises(ValueError):
        KeyedList("tags", keys=(), reason="r")


def test_a_path_has_at_most_one_list_rule_and_one_default() -> None:
    with pytest.raises(ValueError, match="two list rules"):
        Rules((KeyedList("tags", keys=("key",), reason="r"), AtomicList("tags", reason="r")))
    with pytest.raises(ValueError, match="two default rules"):
        Rules((ServerDefault("a", values=(1,), reason="r"),
               ServerDefault("a", values=(2,), reason="r")))
    with pytest.raises(TypeError):
        Rules(("tags",))  # type: ignore[arg-type]


def test_lookup_by_concrete_path() -> None:
    immutable = Immutable("delta_sync_index_spec", reason="outer")
    inner = Immutable("delta_sync_index_spec.source_table", reason="inner")
    default = ServerDefault("served_entities[*].workload_type", values=("CPU",), reason="r")
    keyed = KeyedList("served_entities", reason="r")
    rules = Rules((immutable, inner, default, keyed))
    entity = ("served_entities", ("name", "llm"))
    assert rules.at((*entity, "workload_type"), ServerDefault) == (default,)
    assert rules.default_at((*entity, "workload_type")) is default
    assert rules.defaults_of(entity) == (default,)
    assert rules.defaults_of(("served_entities", 3)) == (default,)
    assert rules.list_rule(("served_entities",)) is keyed
    assert rules.list_rule(entity) is None
    assert rules.covering(("delta_sync_index_spec", "pipeline_type"), Immutable) is immutable
    assert rules.covering(("delta_sync_index_spec", "source_table"), Immutable) is inner
    assert rules.covering(("name",), Immutable) is None


def test_plaintext_fields_are_input_only_and_sensitive_by_name() -> None:
    rules = Rules()
    path = ("served_entities", ("name", "x"), "external_model", "openai_config",
            "openai_api_key_plaintext")
    assert isinstance(rules.input_only(path), InputOnly)
    assert isinstance(rules.sensitive(path), Sensitive)
    assert rules.input_only(path[:-1]) is None
    assert rules.sensitive(("openai_api_key",)) is None


def test_validate_paths_names_rules_for_unknown_fields() -> None:
    rules = Rules(
        (
            Immutable("route_optimized", reason="r"),
            ServerDefault("served_entities[*].workload_type", values=("CPU",), reason="r"),
            Sensitive("served_entities[*].environment_vars.*", reason="r"),
            InputOnly("served_entities[*].workload_tipe", reason="typo"),
        )
    )
    known = {"route_optimized", "served_entities[*].workload_type",
             "served_entities[*].environment_vars.*"}
    assert rules.validate_paths(known) == ("served_entities[*].workload_tipe",)
    sample = {
        "route_optimized": False,
        "served_entities": [{"workload_type": "CPU", "environment_vars": {"A": "b"}}],
    }
    assert rules.validate_paths(sample) == ("served_entities[*].workload_tipe",)


def test_unruled_lists_finds_lists_without_identity() -> None:
    rules = Rules((KeyedList("served_entities", reason="r"),))
    sample = {
        "served_entities": [{"name": "a", "instance_profiles": ["p"]}],
        "tags": [{"key": "k", "value": "v"}],
        "ai_gateway": {"rate_limits": []},
    }
    assert rules.unruled_lists(sample) == (
        "ai_gateway.rate_limits",
        "served_entities[*].instance_profiles",
        "tags",
    )


def test_item_prints_like_a_plan() -> None:
    assert str(Item()) == "[*]"
    assert str(Item(index=2)) == "[2]"
    assert str(Item(key=("name", "llm"))) == "[name=llm]"
