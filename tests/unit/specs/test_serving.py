"""Served entities, traffic, telemetry and the endpoint-level fields every endpoint kind shares."""

from __future__ import annotations

from provisioner.specs.serving import (
    ServedEntity,
    ServedModel,
    ServingEndpointPermission,
    TelemetryConfig,
    TrafficConfig,
)

from .helpers import SECRET, errors

CUSTOM = {"entity_name": "main.rag.rag_chain", "entity_version": "3", "workload_size": "Small",
          "scale_to_zero_enabled": True}
EXTERNAL = {"external_model": {"provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat",
                               "openai_config": {"openai_api_key": SECRET}}}


def test_custom_model_entity_with_every_field():
    entity = {
        "name": "rag", "entity_name": "main.rag.rag_chain", "entity_version": "3",
        "workload_type": "GPU_SMALL", "scale_to_zero_enabled": False,
        "min_provisioned_concurrency": 4, "max_provisioned_concurrency": 8,
        "environment_vars": {"OPENAI_API_KEY": SECRET, "MODE": "prod"},
        "instance_profile_arn": "arn:aws:iam::1:instance-profile/p",
    }
    assert ServedEntity.model_validate(entity).to_api() == entity


def test_entity_version_written_as_a_number_becomes_a_string():
    assert ServedEntity.model_validate({**CUSTOM, "entity_version": 3}).entity_version == "3"


def test_provisioned_throughput_entity_needs_no_scale_to_zero():
    entity = ServedEntity(entity_name="system.ai.llama", entity_version="1",
                          min_provisioned_throughput=0, max_provisioned_throughput=9500)
    assert entity.scale_to_zero_enabled is None
    assert ServedEntity(entity_name="system.ai.llama4", entity_version="1",
                        provisioned_model_units=50, burst_scaling_enabled=False)


def test_custom_model_needs_scale_to_zero_enabled():
    assert "scale_to_zero_enabled is required for a custom model" in errors(
        ServedEntity, {"entity_name": "main.rag.rag_chain", "entity_version": "3"})


def test_entity_is_a_model_or_an_external_model():
    assert "a served entity needs entity_name or external_model" in errors(
        ServedEntity, {"workload_size": "Small"})
    assert "external_model cannot be combined with entity_name, workload_size" in errors(
        ServedEntity, {**EXTERNAL, "entity_name": "x", "workload_size": "Small"})
    assert ServedEntity.model_validate({**EXTERNAL, "name": "chat"}).name == "chat"


def test_sizing_rules():
    assert "set workload_size or min/max_provisioned_concurrency, not both" in errors(
        ServedEntity, {**CUSTOM, "min_provisioned_concurrency": 4})
    assert "min_provisioned_throughput is above max_provisioned_throughput" in errors(
        ServedEntity, {"entity_name": "system.ai.x", "entity_version": "1",
                       "min_provisioned_throughput": 10, "max_provisioned_throughput": 5})
    assert "workload_type: Input should be" in errors(
        ServedEntity, {**CUSTOM, "workload_type": "GPU_HUGE"})


def test_at_most_thirty_environment_variables():
    many = {f"V{i}": "x" for i in range(31)}
    assert "environment_vars: Dictionary should have at most 30 items" in errors(
        ServedEntity, {**CUSTOM, "environment_vars": many})


def test_served_entity_name_rule_skips_references():
    assert "name: must be letters, digits" in errors(ServedEntity, {**CUSTOM, "name": "a.b"})
    ref = "${resources.registered_models.rag_chain.name}"
    assert ServedEntity.model_validate({**CUSTOM, "name": ref}).name == ref


def test_deprecated_served_model_needs_its_fields():
    message = errors(ServedModel, {"model_name": "m"})
    for field in ("model_version", "scale_to_zero_enabled"):
        assert f"{field}: Field required" in message
    assert ServedModel(model_name="m", model_version="1", scale_to_zero_enabled=True)


def test_traffic_routes():
    routes = [{"served_entity_name": "a", "traffic_percentage": 80},
              {"served_model_name": "b", "traffic_percentage": 20}]
    assert TrafficConfig.model_validate({"routes": routes}).to_api() == {"routes": routes}
    assert "must add up to 100, not 90" in errors(
        TrafficConfig, {"routes": [{**routes[0], "traffic_percentage": 70}, routes[1]]})
    assert "a route names one served_entity_name" in errors(
        TrafficConfig, {"routes": [{"traffic_percentage": 100}]})
    assert "traffic_percentage: Input should be less than or equal to 100" in errors(
        TrafficConfig, {"routes": [{"served_entity_name": "a", "traffic_percentage": 101}]})


def test_telemetry_profile_is_new_tables_or_an_existing_profile():
    assert TelemetryConfig.model_validate({
        "enabled_telemetry_features": ["TELEMETRY_FEATURE_TRACES"],
        "inference_table_config": {"sampling_fraction": 0.5},
        "table_names": {"logs_table": "main.logs.logs", "traces_table": "main.logs.traces"},
    })
    assert "set one of table_names (a new telemetry profile) or telemetry_profile_id" in errors(
        TelemetryConfig, {"table_names": {"logs_table": "a.b.c"}, "telemetry_profile_id": "p"})
    assert "set one of table_names" in errors(  # the service ignores it (CLI testserver)
        TelemetryConfig, {"inference_table_config": {"sampling_fraction": 0.5}})
    assert "the service names it <logs_table>_payload" in errors(TelemetryConfig, {
        "table_names": {"logs_table": "a.b.c"}, "inference_table_config": {"name": "a.b.d"}})
    assert "sampling_fraction: Input should be less than or equal to 1" in errors(
        TelemetryConfig, {"telemetry_profile_id": "p",
                          "inference_table_config": {"sampling_fraction": 2}})


def test_serving_permission_levels():
    assert ServingEndpointPermission(user_name="a@b.c", level="CAN_VIEW").principal == (
        "user_name", "a@b.c")
    assert "level: Input should be 'CAN_MANAGE', 'CAN_QUERY' or 'CAN_VIEW'" in errors(
        ServingEndpointPermission, {"group_name": "users", "level": "CAN_USE"})
    assert "exactly one of user_name, group_name, service_principal_name" in errors(
        ServingEndpointPermission, {"level": "CAN_VIEW"})
