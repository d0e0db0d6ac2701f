"""`serving_endpoints`: the create shape at the top level, compiled to the API's create body."""

from __future__ import annotations

import pytest

from provisioner.errors import InternalError
from provisioner.specs.serving_endpoints import ServingEndpointSpec

from .helpers import DESIGN, SECRET, errors

EXAMPLE = DESIGN["serving_endpoints"]["rag-assistant"]

FULL = {
    "name": "rag-assistant",
    "served_entities": [
        {"name": "champion", "entity_name": "main.rag.rag_chain", "entity_version": "3",
         "workload_size": "Small", "scale_to_zero_enabled": True,
         "environment_vars": {"OPENAI_API_KEY": SECRET}},
        {"name": "challenger", "entity_name": "main.rag.rag_chain", "entity_version": "4",
         "workload_size": "Small", "scale_to_zero_enabled": True},
    ],
    "traffic_config": {"routes": [
        {"served_entity_name": "champion", "traffic_percentage": 90},
        {"served_entity_name": "challenger", "traffic_percentage": 10},
    ]},
    "auto_capture_config": {"catalog_name": "main", "schema_name": "logs", "enabled": False},
    "ai_gateway": {"usage_tracking_config": {"enabled": True}},
    "tags": [{"key": "team", "value": "search"}],
    "route_optimized": False,
    "description": "RAG assistant",
    "budget_policy_id": "policy-1",
    "email_notifications": {"on_update_failure": ["oncall@example.com"]},
    "rate_limits": [{"calls": 10, "renewal_period": "minute", "key": "user"}],
    "telemetry_config": {"telemetry_profile_id": "profile-1"},
    "permissions": [{"group_name": "users", "level": "CAN_QUERY"}],
    "lifecycle": {"prevent_destroy": True},
    "depends_on": ["registered_models.rag_chain"],
}


def test_design_example_create_body():
    spec = ServingEndpointSpec.model_validate(EXAMPLE).with_default_name("rag-assistant")
    assert spec.create_body() == {
        "name": "rag-assistant",
        "config": {"served_entities": [{
            "entity_name": "${resources.registered_models.rag_chain.name}",
            "entity_version": "${resources.registered_models.rag_chain.version}",
            "workload_size": "Small",
            "scale_to_zero_enabled": True,
        }]},
        "tags": [{"key": "team", "value": "search"}],
    }
    assert spec.lifecycle.prevent_destroy


def test_full_create_body_nests_config_and_leaves_out_engine_fields():
    body = ServingEndpointSpec.model_validate(FULL).create_body()
    config_fields = ("served_entities", "traffic_config", "auto_capture_config")
    assert body == {
        "name": "rag-assistant",
        "config": {f: FULL[f] for f in config_fields},
        **{f: FULL[f] for f in FULL
           if f not in (*config_fields, "name", "permissions", "lifecycle", "depends_on")},
    }


def test_to_api_keeps_permissions_for_the_engine():
    api = ServingEndpointSpec.model_validate(FULL).to_api()
    assert api["permissions"] == [{"group_name": "users", "level": "CAN_QUERY"}]


def test_tags_list_and_map_give_the_same_spec():
    as_list = ServingEndpointSpec.model_validate(FULL)
    as_map = ServingEndpointSpec.model_validate({**FULL, "tags": {"team": "search"}})
    assert as_list == as_map and as_map.tags == {"team": "search"}


def test_endpoint_without_served_entities_has_no_config():
    body = ServingEndpointSpec(name="gateway-only", description="d").create_body()
    assert body == {"name": "gateway-only", "description": "d"}


def test_create_body_needs_the_default_name_first():
    with pytest.raises(InternalError):
        ServingEndpointSpec.model_validate(EXAMPLE).create_body()


def test_to_serving_endpoint_is_itself():
    spec = ServingEndpointSpec.model_validate(FULL)
    assert spec.to_serving_endpoint() is spec


def test_name_rule_and_reference_skipping():
    assert "name: must be 1 to 63 letters, digits, '-' or '_'" in errors(
        ServingEndpointSpec, {**EXAMPLE, "name": "rag.assistant"})
    ref = "${resources.vector_search_endpoints.docs-vs.name}"
    assert ServingEndpointSpec.model_validate({**EXAMPLE, "name": ref}).name == ref


def test_served_entities_or_served_models():
    served_model = {"model_name": "m", "model_version": "1", "scale_to_zero_enabled": True}
    assert "set served_entities or served_models, not both" in errors(
        ServingEndpointSpec, {**EXAMPLE, "served_models": [served_model]})
    body = ServingEndpointSpec(name="legacy", served_models=[served_model]).create_body()
    assert body["config"] == {"served_models": [served_model]}


def test_served_entity_names_are_unique():
    entities = [{**FULL["served_entities"][1], "name": "champion"}, FULL["served_entities"][0]]
    assert "served entity names must be unique: champion" in errors(
        ServingEndpointSpec, {**FULL, "served_entities": entities})


def test_routes_name_served_entities():
    routes = {"routes": [{"served_entity_name": "champion", "traffic_percentage": 90},
                         {"served_entity_name": "challengr", "traffic_percentage": 10}]}
    assert "traffic_config routes to unknown served entities challengr" in errors(
        ServingEndpointSpec, {**FULL, "traffic_config": routes})


def test_routes_to_derived_names_are_left_to_the_service():
    unnamed = [{k: v for k, v in e.items() if k != "name"} for e in FULL["served_entities"]]
    routes = {"routes": [{"served_entity_name": "rag_chain-3", "traffic_percentage": 100}]}
    assert ServingEndpointSpec.model_validate(
        {**FULL, "served_entities": unnamed, "traffic_config": routes})


def test_external_models_of_one_endpoint_share_a_task():
    def external(name, task):
        return {"external_model": {"provider": "openai", "name": name, "task": task,
                                   "openai_config": {"openai_api_key": SECRET}}}
    assert "share one task, not llm/v1/chat, llm/v1/embeddings" in errors(
        ServingEndpointSpec, {"served_entities": [external("a", "llm/v1/chat"),
                                                  external("b", "llm/v1/embeddings")]})


def test_permission_levels_of_serving_endpoints():
    assert "permissions.0.level: Input should be" in errors(
        ServingEndpointSpec, {**EXAMPLE, "permissions": [{"group_name": "u", "level": "CAN_USE"}]})


def test_unknown_fields_are_errors():
    assert "served_entities.0.workload_sise: Extra inputs are not permitted" in errors(
        ServingEndpointSpec, {"served_entities": [{**FULL["served_entities"][0],
                                                   "workload_sise": "Small"}]})
    assert "write the fields of config (served_entities, " in errors(
        ServingEndpointSpec, {"config": {"served_entities": []}})
