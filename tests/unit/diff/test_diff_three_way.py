from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from provisioner.diff import (
    MASK,
    ChangeKind,
    FieldChange,
    InputOnly,
    Rules,
    diff,
    drift,
    hash_sensitive,
    replace_reasons,
)
from provisioner.operations import Reason

ENTITY = ("served_entities", ("name", "rag_chain-3"))


def fields(changes: tuple[FieldChange, ...]) -> list[str]:
    return [c.field for c in changes]


def only(changes: tuple[FieldChange, ...]) -> FieldChange:
    assert len(changes) == 1, changes
    return changes[0]


# --- what the server fills or adds is not a change ------------------------------------------


def test_a_deployed_endpoint_has_no_changes(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    # entity name, workload_type, the 100 % route (with both route name fields), the
    # served_models mirror, timestamps, description "" and route_optimized false are all
    # filled by the service, none of them written in the stack
    assert diff(endpoint_desired, endpoint_live, endpoint_desired, serving_rules) == ()
    assert diff(endpoint_desired, endpoint_live, None, serving_rules) == ()


def test_stored_last_applied_compares_like_the_spec(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    stored = hash_sensitive(endpoint_desired, serving_rules)  # what the state keeps
    assert diff(endpoint_desired, endpoint_live, stored, serving_rules) == ()


def test_live_values_equal_to_a_default_are_not_changes(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    for field in ("description", "route_optimized"):
        del endpoint_live[field]
    assert diff(endpoint_desired, endpoint_live, None, serving_rules) == ()
    endpoint_desired |= {"description": "", "route_optimized": False}
    assert diff(endpoint_desired, endpoint_live, None, serving_rules) == ()


def test_entity_order_does_not_matter(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    second = {"entity_name": "main.rag.reranker", "entity_version": "1",
              "workload_size": "Small", "scale_to_zero_enabled": False}
    routes = [{"served_entity_name": "rag_chain-3", "traffic_percentage": 80},
              {"served_entity_name": "reranker-1", "traffic_percentage": 20}]
    endpoint_desired["served_entities"].append(second)
    endpoint_desired["traffic_config"] = {"routes": routes}
    endpoint_live["served_entities"].insert(0, second | {"name": "reranker-1",
                                                         "workload_type": "CPU"})
    endpoint_live["traffic_config"] = {"routes": [
        r | {"served_model_name": r["served_entity_name"]} for r in reversed(routes)]}
    assert diff(endpoint_desired, endpoint_live, endpoint_desired, serving_rules) == ()


def test_fields_only_live_has_are_not_changes(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    endpoint_live["ai_gateway"] = {"usage_tracking_config": {"enabled": True}}
    endpoint_live["served_entities"][0]["instance_profile_arn"] = "arn:aws:iam::1:x"
    assert diff(endpoint_desired, endpoint_live, endpoint_desired, serving_rules) == ()


def test_an_absent_value_equals_an_empty_one(index_rules: Rules, index_desired: dict[str, Any],
                                              index_live: dict[str, Any]) -> None:
    index_desired["delta_sync_index_spec"]["embedding_vector_columns"] = []
    index_live["delta_sync_index_spec"]["columns_to_sync"] = []
    del index_desired["delta_sync_index_spec"]["columns_to_sync"]
    assert diff(index_desired, index_live, index_desired, index_rules) == ()


# --- changes ----------------------------------------------------------------------------------


def test_a_declared_field_that_differs_is_a_change(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    endpoint_desired["served_entities"][0]["workload_size"] = "Medium"
    change = only(diff(endpoint_desired, endpoint_live, None, serving_rules))
    assert change.path == (*ENTITY, "workload_size")
    assert change.field == "served_entities[name=rag_chain-3].workload_size"
    assert (change.before, change.after, change.kind) == ("Small", "Medium", ChangeKind.MODIFIED)
    assert not change.forces_replace
    assert change.code is Reason.CHANGED


def test_a_field_added_to_the_stack_is_added(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    endpoint_desired["ai_gateway"] = {"usage_tracking_config": {"enabled": True}}
    change = only(diff(endpoint_desired, endpoint_live, None, serving_rules))
    assert change.field == "ai_gateway.usage_tracking_config.enabled"
    assert (change.before, change.after, change.kind) == (None, True, ChangeKind.ADDED)


def test_removing_a_field_from_the_stack_resets_it(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    last = copy.deepcopy(endpoint_desired)
    last["ai_gateway"] = {"usage_tracking_config": {"enabled": True}}
    endpoint_live["ai_gateway"] = {"usage_tracking_config": {"enabled": True},
                                   "inference_table_config": {"enabled": False}}
    change = only(diff(endpoint_desired, endpoint_live, last, serving_rules))
    assert change.field == "ai_gateway.usage_tracking_config.enabled"
    assert (change.before, change.after, change.kind) == (True, None, ChangeKind.REMOVED)
    assert change.code is Reason.REMOVED_FROM_STACK
    # already gone from live: nothing to reset
    del endpoint_live["ai_gateway"]
    assert diff(endpoint_desired, endpoint_live, last, serving_rules) == ()


def test_removing_a_defaulted_field_resets_it_to_the_default(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    last = copy.deepcopy(endpoint_desired)
    last["served_entities"][0]["workload_type"] = "GPU_SMALL"
    endpoint_live["served_entities"][0]["workload_type"] = "GPU_SMALL"
    change = only(diff(endpoint_desired, endpoint_live, last, serving_rules))
    assert change.path == (*ENTITY, "workload_type")
    assert (change.before, change.after) == ("GPU_SMALL", "CPU")


def test_removing_a_field_the_service_computes_is_not_a_change(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    last = copy.deepcopy(endpoint_desired)
    entity = endpoint_desired["served_entities"][0]
    del entity["workload_size"]
    entity |= {"min_provisioned_concurrency": 4, "max_provisioned_concurrency": 8}
    endpoint_live["served_entities"][0] |= {"min_provisioned_concurrency": 4,
                                            "max_provisioned_concurrency": 8}
    # live still says workload_size Small, filled from the concurrency: not a perpetual reset
    assert diff(endpoint_desired, endpoint_live, last, serving_rules) == ()


def test_keyed_items_added_and_not_in_the_stack(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    endpoint_desired["tags"].append({"key": "cost-center", "value": "42"})
    endpoint_live["tags"].append({"key": "owner", "value": "bob"})
    added, removed = diff(endpoint_desired, endpoint_live, endpoint_desired, serving_rules)
    assert added.path == ("tags", ("key", "cost-center"))
    assert (added.kind, added.after) == (ChangeKind.ADDED, {"key": "cost-center", "value": "42"})
    assert removed.path == ("tags", ("key", "owner"))
    assert (removed.kind, removed.code) == (ChangeKind.REMOVED, Reason.RESET)


def test_a_list_removed_from_the_stack_drops_only_its_own_items(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    last = copy.deepcopy(endpoint_desired)
    del endpoint_desired["tags"]
    endpoint_live["tags"].append({"key": "owner", "value": "bob"})
    change = only(diff(endpoint_desired, endpoint_live, last, serving_rules))
    assert change.path == ("tags", ("key", "team"))
    assert change.code is Reason.REMOVED_FROM_STACK


def test_an_empty_keyed_list_declares_no_items(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    endpoint_desired["tags"] = []
    change = only(diff(endpoint_desired, endpoint_live, None, serving_rules))
    assert (change.field, change.kind) == ("tags[key=team]", ChangeKind.REMOVED)


def test_atomic_lists_compare_whole(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    limits = [{"calls": 100, "renewal_period": "minute", "key": "user"},
              {"calls": 1000, "renewal_period": "minute", "key": "endpoint"}]
    endpoint_desired["ai_gateway"] = {"rate_limits": limits}
    endpoint_live["ai_gateway"] = {"rate_limits": limits[::-1]}
    assert diff(endpoint_desired, endpoint_live, None, serving_rules) == ()
    endpoint_live["ai_gateway"] = {"rate_limits": [limits[0] | {"calls": 50}, limits[1]]}
    change = only(diff(endpoint_desired, endpoint_live, None, serving_rules))
    assert change.field == "ai_gateway.rate_limits"
    assert change.after == sorted(change.after, key=json.dumps)


def test_immutable_fields_force_replace(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    endpoint_desired["route_optimized"] = True
    endpoint_desired["served_entities"][0]["workload_size"] = "Medium"
    changes = diff(endpoint_desired, endpoint_live, None, serving_rules)
    replacing = [c for c in changes if c.forces_replace]
    assert fields(replacing) == ["route_optimized"]
    assert replacing[0].code is Reason.IMMUTABLE_FIELD
    assert replacing[0].reason == "immutable: can only be set at creation"
    assert replace_reasons(changes) == ("route_optimized (immutable: can only be set at creation)",)


def test_nothing_is_replaced_on_create(
    serving_rules: Rules, endpoint_desired: dict[str, Any], canary: str
) -> None:
    endpoint_desired["route_optimized"] = True
    endpoint_desired["budget_policy_id"] = "policy-1"
    changes = diff(endpoint_desired, None, None, serving_rules)
    assert changes and all(c.kind is ChangeKind.ADDED and c.before is None for c in changes)
    assert not any(c.forces_replace for c in changes)
    assert "budget_policy_id" in fields(changes)  # input-only values are sent on create
    assert "served_entities[name=rag_chain-3]" in fields(changes)
    assert canary not in repr(changes)


def test_vector_index_rewrites_are_not_changes(
    index_rules: Rules, index_desired: dict[str, Any], index_live: dict[str, Any]
) -> None:
    # lowercased name and source table, assigned subtype, reordered columns, pipeline_id
    assert diff(index_desired, index_live, index_desired, index_rules) == ()


def test_any_vector_index_spec_change_replaces(
    index_rules: Rules, index_desired: dict[str, Any], index_live: dict[str, Any]
) -> None:
    index_desired["delta_sync_index_spec"]["pipeline_type"] = "CONTINUOUS"
    change = only(diff(index_desired, index_live, index_desired, index_rules))
    assert change.field == "delta_sync_index_spec.pipeline_type"
    assert change.forces_replace


def test_direct_access_schema_rewriting_is_not_a_change(index_rules: Rules) -> None:
    desired = {"name": "c.s.i", "direct_access_index_spec": {
        "schema_json": '{"id": "integer", "vec": "array<float>", "n": "long"}'}}
    live = {"name": "c.s.i", "index_subtype": "HYBRID", "direct_access_index_spec": {
        "schema_json": '{"id": "int", "n": "bigint", "vec": "array<float>"}'}}
    assert diff(desired, live, desired, index_rules) == ()


# --- input-only and sensitive ---------------------------------------------------------------


def test_input_only_fields_compare_with_last_applied(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    endpoint_desired["budget_policy_id"] = "policy-2"
    # adopting: what was sent before cannot be read back, so it is not a change
    assert diff(endpoint_desired, endpoint_live, None, serving_rules) == ()
    last = endpoint_desired | {"budget_policy_id": "policy-1"}
    change = only(diff(endpoint_desired, endpoint_live, last, serving_rules))
    assert (change.field, change.before, change.after) == ("budget_policy_id", "policy-1",
                                                           "policy-2")
    assert change.reason.startswith("changed; ")
    # live is never looked at, whatever it holds
    endpoint_live["budget_policy_id"] = "inherited"
    assert diff(endpoint_desired, endpoint_live, endpoint_desired, serving_rules) == ()


def test_input_only_fields_removed_from_the_stack(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    last = copy.deepcopy(endpoint_desired)
    last["served_entities"][0]["burst_scaling_enabled"] = True
    change = only(diff(endpoint_desired, endpoint_live, last, serving_rules))
    assert change.path == (*ENTITY, "burst_scaling_enabled")
    assert (change.kind, change.code) == (ChangeKind.REMOVED, Reason.REMOVED_FROM_STACK)


@pytest.fixture
def external(canary: str) -> dict[str, Any]:
    return {
        "name": "chat",
        "served_entities": [{"external_model": {
            "provider": "anthropic", "name": "claude-3.5-sonnet", "task": "llm/v1/chat",
            "anthropic_config": {"anthropic_api_key_plaintext": canary}}}],
    }


@pytest.fixture
def external_live() -> dict[str, Any]:
    """GET strips every `*_plaintext` (serving-endpoints.md §2.4)."""
    entity = {"name": "claude-3-5-sonnet", "external_model": {
        "provider": "anthropic", "name": "claude-3.5-sonnet", "task": "llm/v1/chat"}}
    return {"name": "chat", "served_entities": [entity], "route_optimized": False,
            "description": "", "traffic_config": {"routes": [
                {"served_entity_name": "claude-3-5-sonnet", "traffic_percentage": 100}]}}


def test_plaintext_keys_compare_by_hash_and_never_show(
    serving_rules: Rules, external: dict[str, Any], external_live: dict[str, Any], canary: str
) -> None:
    stored = hash_sensitive(external, serving_rules)
    assert canary not in repr(stored)
    assert diff(external, external_live, stored, serving_rules) == ()
    assert diff(external, external_live, None, serving_rules) == ()  # adopting

    rotated = copy.deepcopy(external)
    config = rotated["served_entities"][0]["external_model"]["anthropic_config"]
    config["anthropic_api_key_plaintext"] = canary[::-1]
    change = only(diff(rotated, external_live, stored, serving_rules))
    assert change.field == ("served_entities[name=claude-3-5-sonnet].external_model"
                            ".anthropic_config.anthropic_api_key_plaintext")
    assert (change.before, change.after) == (MASK, MASK)

    created = diff(external, None, None, serving_rules)
    outputs = [created, diff(rotated, external_live, stored, serving_rules),
               drift(external_live, stored, serving_rules), replace_reasons(created)]
    assert canary not in repr(outputs) and canary[::-1] not in repr(outputs)


def test_echoed_sensitive_values_compare_with_live(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any],
    canary: str,
) -> None:
    endpoint_live["served_entities"][0]["environment_vars"]["RETRIEVER_TOKEN"] = "edited"
    change = only(diff(endpoint_desired, endpoint_live, endpoint_desired, serving_rules))
    assert change.path == (*ENTITY, "environment_vars", "RETRIEVER_TOKEN")
    assert (change.before, change.after) == (MASK, MASK)
    references = diff(endpoint_desired | {"served_entities": []}, endpoint_live, None,
                      serving_rules)
    assert "{{secrets/llm-keys/openai}}" in repr(references)  # references are shown
    assert canary not in repr(references) and "edited" not in repr(references)


# --- ignore_changes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ignore",
    ["served_entities[name=rag_chain-3].workload_size", "served_entities[*].workload_size",
     "served_entities"],
)
def test_ignore_changes_suppresses_a_field(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any],
    ignore: str,
) -> None:
    endpoint_desired["served_entities"][0]["workload_size"] = "Large"
    endpoint_desired["tags"][0]["value"] = "ranking"
    changes = diff(endpoint_desired, endpoint_live, None, serving_rules, ignore=[ignore])
    assert fields(changes) == ["tags[key=team].value"]


def test_ignore_changes_selects_by_key(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    endpoint_desired["served_entities"][0]["workload_size"] = "Large"
    changes = diff(endpoint_desired, endpoint_live, None, serving_rules,
                   ignore=["served_entities[name=other].workload_size"])
    assert fields(changes) == ["served_entities[name=rag_chain-3].workload_size"]
    with pytest.raises(ValueError):
        diff(endpoint_desired, endpoint_live, None, serving_rules, ignore=["served_entities["])


# --- shape of the output ----------------------------------------------------------------------


def test_changes_come_out_sorted_by_path(serving_rules: Rules) -> None:
    desired = {"tags": [{"key": "b", "value": "1"}, {"key": "a", "value": "1"}],
               "z": 1, "ai_gateway": {"b": 1, "a": 1}}
    changes = diff(desired, {"name": "x"}, None, serving_rules)
    assert fields(changes) == ["ai_gateway.a", "ai_gateway.b", "tags[key=a]", "tags[key=b]", "z"]


def test_duplicate_keys_are_an_error(serving_rules: Rules) -> None:
    tags = [{"key": "team", "value": "a"}, {"key": "team", "value": "b"}]
    with pytest.raises(ValueError, match=r"tags\[key=team\]"):
        diff({"tags": tags}, {"tags": []}, None, serving_rules)


# --- drift ------------------------------------------------------------------------------------


def test_drift_names_what_moved_outside_the_stack(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    assert drift(endpoint_live, endpoint_desired, serving_rules) == ()
    endpoint_live["served_entities"][0]["workload_size"] = "Large"
    endpoint_live["tags"].append({"key": "owner", "value": "bob"})
    moved, added = drift(endpoint_live, endpoint_desired, serving_rules)
    assert moved.path == (*ENTITY, "workload_size")
    assert (moved.before, moved.after, moved.kind) == ("Small", "Large", ChangeKind.MODIFIED)
    assert moved.code is Reason.DRIFT
    assert (added.field, added.kind) == ("tags[key=owner]", ChangeKind.ADDED)
    assert drift(endpoint_live, endpoint_desired, serving_rules, ignore=["tags", "served_entities"]
                 ) == ()


def test_drift_on_a_field_live_lost(
    serving_rules: Rules, endpoint_desired: dict[str, Any], endpoint_live: dict[str, Any]
) -> None:
    endpoint_live["tags"] = []
    change = only(drift(endpoint_live, endpoint_desired, serving_rules))
    assert (change.field, change.kind, change.after) == ("tags[key=team]", ChangeKind.REMOVED,
                                                         None)


def test_input_only_fields_never_drift(serving_rules: Rules) -> None:
    endpoint = {"name": "x", "budget_policy_id": "policy-1"}
    live = {"name": "x", "budget_policy_id": "effective-policy"}
    assert drift(live, endpoint, serving_rules) == ()
    assert drift(None, endpoint, serving_rules) == ()
    assert drift(live, None, serving_rules) == ()


def test_vector_endpoint_effective_policy_is_not_compared() -> None:
    rules = Rules((InputOnly("budget_policy_id", reason="GET returns the effective policy"),))
    desired = {"name": "docs-vs", "endpoint_type": "STANDARD", "budget_policy_id": "p1"}
    live = {"name": "docs-vs", "endpoint_type": "STANDARD", "effective_budget_policy_id": "p0",
            "endpoint_status": {"state": "ONLINE"}, "num_indexes": 1}
    assert diff(desired, live, desired, rules) == ()
    assert drift(live, desired, rules) == ()
