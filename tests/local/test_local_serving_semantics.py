"""What the local workspace accepts and refuses of serving endpoints where the real service is
known from outside this project; each test names its source.

Sources: databricks-sdk-py 0.156 docstrings (`databricks/sdk/service/serving.py`), the
Databricks CLI's fake workspace (`libs/testserver/serving_endpoints.go`) and its acceptance
tests (`acceptance/bundle/resources/model_serving_endpoints/`).
"""

from __future__ import annotations

from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, ResourceConflict

from provisioner.local import LocalWorkspace

ENDPOINTS = "/api/2.0/serving-endpoints"
CHAT = {"provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat",
        "openai_config": {"openai_api_key": "{{secrets/llm-keys/openai}}"}}


@pytest.fixture(autouse=True)
def _referenced_secrets(secret_references) -> None:
    """The secrets this module's requests refer to exist, as the service requires."""
    secret_references("llm-keys/openai")


def _custom(**entity: Any) -> dict[str, Any]:
    return {"entity_name": "main.rag.chain", "entity_version": "1",
            "scale_to_zero_enabled": True, **entity}


@pytest.fixture
def model(register_model_version) -> None:
    register_model_version("main.rag.chain", 1)


def test_an_endpoint_can_be_created_without_config(w: WorkspaceClient) -> None:
    """SDK `CreateServingEndpoint.config` is Optional; the CLI's acceptance test
    model_serving_endpoints/basic creates an endpoint with only a name and permissions. It
    serves nothing (NOT_READY) and no update is in progress."""
    created = w.api_client.do("POST", ENDPOINTS, body={"name": "bare"})
    assert created["state"] == {"ready": "NOT_READY", "config_update": "NOT_UPDATING"}
    endpoint = w.api_client.do("GET", f"{ENDPOINTS}/bare")
    assert "config" not in endpoint and "pending_config" not in endpoint


def test_a_served_entity_without_workload_size_is_accepted(model, w: WorkspaceClient) -> None:
    """SDK `ServedEntityInput.workload_size` is Optional (no default named); GET fills in a
    size, as it does when min/max_provisioned_concurrency are used (serving-endpoints.md §3)."""
    w.api_client.do("POST", ENDPOINTS, body={"name": "rag", "config": {
        "served_entities": [_custom(name="chain")]}})
    entity = w.api_client.do("GET", f"{ENDPOINTS}/rag")["config"]["served_entities"][0]
    assert entity["workload_size"] == "Small"


def test_a_config_update_with_only_traffic_keeps_the_entities(model, w: WorkspaceClient
                                                               ) -> None:
    """SDK `EndpointCoreConfigInput`: every field but the name is optional, so `PUT .../config`
    with only `traffic_config` changes the routes of the entities already served."""
    w.api_client.do("POST", ENDPOINTS, body={"name": "rag", "config": {"served_entities": [
        _custom(name="a", workload_size="Small"), _custom(name="b", workload_size="Small")],
        "traffic_config": {"routes": [{"served_entity_name": "a", "traffic_percentage": 100},
                                      {"served_entity_name": "b", "traffic_percentage": 0}]}}})
    w.api_client.do("PUT", f"{ENDPOINTS}/rag/config", body={"traffic_config": {"routes": [
        {"served_entity_name": "a", "traffic_percentage": 50},
        {"served_model_name": "b", "traffic_percentage": 50}]}})
    config = w.api_client.do("GET", f"{ENDPOINTS}/rag")["config"]
    assert sorted(e["name"] for e in config["served_entities"]) == ["a", "b"]
    assert {r["served_entity_name"]: r["traffic_percentage"]
            for r in config["traffic_config"]["routes"]} == {"a": 50, "b": 50}


def test_telemetry_config_is_patched_and_shown_as_its_profile(model, w: WorkspaceClient
                                                              ) -> None:
    """SDK `patch_telemetry_config` (`PATCH .../telemetry-config`; "If not provided, the
    telemetry configuration will be removed"). The CLI's fake (`applyTelemetryConfig`):
    `table_names` make a new profile whose id GET returns, never the names; the payload table
    is named after the logs table; acceptance test drift/telemetry_config_with_config_update
    removes it with an empty body."""
    w.api_client.do("POST", ENDPOINTS, body={"name": "rag", "config": {"served_entities": [
        _custom(workload_size="Small")]}})
    w.api_client.do("PATCH", f"{ENDPOINTS}/rag/telemetry-config", body={"telemetry_config": {
        "table_names": {"logs_table": "main.default.logs"},
        "inference_table_config": {"sampling_fraction": 0.5}}})
    telemetry = w.api_client.do("GET", f"{ENDPOINTS}/rag")["telemetry_config"]
    assert telemetry["telemetry_profile_id"] and "table_names" not in telemetry
    assert telemetry["inference_table_config"] == {"sampling_fraction": 0.5,
                                                   "name": "main.default.logs_payload"}
    w.api_client.do("PATCH", f"{ENDPOINTS}/rag/telemetry-config", body={})
    assert "telemetry_config" not in w.api_client.do("GET", f"{ENDPOINTS}/rag")


def test_telemetry_is_for_custom_models_only(w: WorkspaceClient) -> None:
    """The CLI's fake (`telemetrySupported`): the telemetry API refuses an external-model
    endpoint, and create drops the telemetry it could not apply."""
    w.api_client.do("POST", ENDPOINTS, body={
        "name": "chat", "config": {"served_entities": [{"external_model": CHAT}]},
        "telemetry_config": {"table_names": {"logs_table": "main.default.logs"}}})
    assert "telemetry_config" not in w.api_client.do("GET", f"{ENDPOINTS}/chat")
    with pytest.raises(InvalidParameterValue, match="custom served models"):
        w.api_client.do("PATCH", f"{ENDPOINTS}/chat/telemetry-config", body={
            "telemetry_config": {"table_names": {"logs_table": "main.default.logs"}}})


def test_telemetry_waits_for_a_running_update(model, workspace: LocalWorkspace,
                                              w: WorkspaceClient) -> None:
    """The CLI's fake: "The telemetry API returns 409 while another update is in progress"."""
    workspace.configure(serving_endpoint_create_seconds=60)
    w.api_client.do("POST", ENDPOINTS, body={"name": "rag", "config": {"served_entities": [
        _custom(workload_size="Small")]}})
    with pytest.raises(ResourceConflict):
        w.api_client.do("PATCH", f"{ENDPOINTS}/rag/telemetry-config", body={
            "telemetry_config": {"table_names": {"logs_table": "main.default.logs"}}})


def test_a_route_optimized_endpoint_has_its_own_url(workspace: LocalWorkspace,
                                                    w: WorkspaceClient) -> None:
    """SDK `ServingEndpointDetailed.endpoint_url`: "Endpoint invocation url if route
    optimization is enabled for endpoint" (serving-endpoints.md §6)."""
    w.api_client.do("POST", ENDPOINTS, body={
        "name": "fast", "route_optimized": True,
        "config": {"served_entities": [{"external_model": CHAT}]}})
    w.api_client.do("POST", ENDPOINTS, body={
        "name": "plain", "config": {"served_entities": [{"external_model": CHAT}]}})
    assert w.api_client.do("GET", f"{ENDPOINTS}/fast")["endpoint_url"] == (
        f"{workspace.url}/serving-endpoints/fast/invocations")
    assert "endpoint_url" not in w.api_client.do("GET", f"{ENDPOINTS}/plain")


def test_the_caller_is_known(workspace: LocalWorkspace, w: WorkspaceClient) -> None:
    """SDK `current_user.me()` (`GET /api/2.0/preview/scim/v2/Me`): the deployer whose own
    CAN_MANAGE grant the provisioner keeps, as the Databricks CLI does."""
    assert w.current_user.me().user_name == workspace.settings.user


@pytest.mark.parametrize(("key", "error"), [
    ("sk-literal-key", "must be a secret reference"),
    ("{{secrets/no-such-scope/openai}}", "secret scope no-such-scope does not exist"),
    ("{{secrets/llm-keys/missing}}", "secret missing does not exist in scope llm-keys"),
])
def test_secret_references_are_checked(w: WorkspaceClient, key: str, error: str) -> None:
    """SDK `OpenAiConfig.openai_api_key`: "The Databricks secret key reference for an OpenAI
    API key" (a literal key goes in `openai_api_key_plaintext`); the service resolves the
    reference to call the provider, so its scope and key must exist."""
    model = {**CHAT, "openai_config": {"openai_api_key": key}}
    with pytest.raises(InvalidParameterValue, match=error):
        w.api_client.do("POST", ENDPOINTS, body={
            "name": "chat", "config": {"served_entities": [{"external_model": model}]}})


def test_secret_references_in_environment_variables_must_exist(model, w: WorkspaceClient
                                                                ) -> None:
    """Environment variables written `{{secrets/<scope>/<key>}}` are resolved when the model
    is served (SDK `ServedEntityInput.environment_vars`), so a missing secret is refused."""
    with pytest.raises(InvalidParameterValue, match="environment_vars.TOKEN"):
        w.api_client.do("POST", ENDPOINTS, body={"name": "rag", "config": {"served_entities": [
            _custom(workload_size="Small",
                    environment_vars={"TOKEN": "{{secrets/llm-keys/absent}}"})]}})
