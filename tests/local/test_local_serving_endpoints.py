"""Serving endpoints through the SDK: services/serving_endpoints.py, services/serving_config.py,
services/foundation_models.py, services/permissions.py, model_registry.py.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import (
    InvalidParameterValue,
    NotFound,
    OperationFailed,
    PermissionDenied,
    ResourceAlreadyExists,
    ResourceConflict,
    ResourceDoesNotExist,
)
from databricks.sdk.service import serving

from provisioner.local import LocalWorkspace

ENDPOINTS = "/api/2.0/serving-endpoints"
CHAT = serving.ExternalModel(
    provider=serving.ExternalModelProvider.OPENAI, name="gpt-4o", task="llm/v1/chat",
    openai_config=serving.OpenAiConfig(openai_api_key="{{secrets/llm-keys/openai}}"),
)


@pytest.fixture(autouse=True)
def _referenced_secrets(secret_references) -> None:
    """The secrets this module's requests refer to exist, as the service requires."""
    secret_references("llm-keys/openai", "a/b")


def external(name: str = "chat", model: serving.ExternalModel = CHAT) -> dict[str, Any]:
    """A create body for an external-model endpoint, as raw JSON."""
    return {"name": name, "config": {"served_entities": [{"external_model": model.as_dict()}]}}


def custom(entity_name: str, version: str, **entity: Any) -> serving.EndpointCoreConfigInput:
    return serving.EndpointCoreConfigInput(name="ignored", served_entities=[
        serving.ServedEntityInput(entity_name=entity_name, entity_version=version, **entity)
    ])


def test_create_and_wait_external_model_is_ready_after_the_delay(
    workspace: LocalWorkspace, w: WorkspaceClient
) -> None:
    """serving-endpoints.md §4 (just created → first deploy OK) and §8 (the SDK waiter):
    NOT_UPDATING only once the configured delay has passed, then READY with config_version 1."""
    workspace.configure(serving_endpoint_create_seconds=0.5)
    polled: list[serving.EndpointStateConfigUpdate] = []
    started = time.monotonic()
    endpoint = w.serving_endpoints.create(
        name="chat", config=serving.EndpointCoreConfigInput(
            name="chat", served_entities=[serving.ServedEntityInput(external_model=CHAT)]),
    ).result(timeout=timedelta(seconds=30),
             callback=lambda e: polled.append(e.state.config_update))
    assert time.monotonic() - started >= 0.5
    assert polled and set(polled) == {serving.EndpointStateConfigUpdate.IN_PROGRESS}
    assert endpoint.state.ready == serving.EndpointStateReady.READY
    assert endpoint.state.config_update == serving.EndpointStateConfigUpdate.NOT_UPDATING
    assert endpoint.config.config_version == 1
    assert endpoint.pending_config is None
    entity = endpoint.config.served_entities[0]
    assert entity.external_model.openai_config.openai_api_key == "{{secrets/llm-keys/openai}}"
    assert entity.state.deployment == serving.ServedModelStateDeployment.DEPLOYMENT_READY
    assert endpoint.task == "llm/v1/chat"


def test_create_answers_a_full_endpoint_still_in_progress(
    workspace: LocalWorkspace, w: WorkspaceClient
) -> None:
    """serving-endpoints.md §4 "just created" and §11: the create response is a full
    ServingEndpointDetailed with `name` and `state`, `pending_config` and no `config`."""
    workspace.configure(serving_endpoint_create_seconds=60)
    created = w.api_client.do("POST", ENDPOINTS, body=external())
    assert created["name"] == "chat"
    assert created["state"] == {"ready": "NOT_READY", "config_update": "IN_PROGRESS"}
    assert "config" not in created
    assert created["pending_config"]["served_entities"][0]["name"] == "gpt-4o"
    assert created["pending_config"]["start_time"] >= created["creation_timestamp"]
    assert w.serving_endpoints.get("chat").state.config_update.value == "IN_PROGRESS"


def test_update_while_updating_is_a_conflict(workspace: LocalWorkspace, w: WorkspaceClient) -> None:
    """serving-endpoints.md §4 "update running" and §5: the old config keeps serving, the new
    one is pending, and a second update meanwhile is 409 RESOURCE_CONFLICT."""
    w.api_client.do("POST", ENDPOINTS, body=external())
    workspace.configure(serving_endpoint_update_seconds=60)
    other = serving.ExternalModel.from_dict({**CHAT.as_dict(), "name": "gpt-4o-mini"})
    w.serving_endpoints.update_config(
        "chat", served_entities=[serving.ServedEntityInput(external_model=other)])
    endpoint = w.serving_endpoints.get("chat")
    assert endpoint.state.ready == serving.EndpointStateReady.READY
    assert endpoint.state.config_update == serving.EndpointStateConfigUpdate.IN_PROGRESS
    assert endpoint.config.served_entities[0].name == "gpt-4o"
    assert endpoint.pending_config.served_entities[0].name == "gpt-4o-mini"
    with pytest.raises(ResourceConflict):
        w.serving_endpoints.update_config(
            "chat", served_entities=[serving.ServedEntityInput(external_model=CHAT)])


def test_update_swaps_the_config_and_bumps_its_version(w: WorkspaceClient) -> None:
    """serving-endpoints.md §4 "update OK": config = new, config_version + 1."""
    w.api_client.do("POST", ENDPOINTS, body=external())
    before = w.serving_endpoints.get("chat")
    other = serving.ExternalModel.from_dict({**CHAT.as_dict(), "name": "gpt-4o-mini"})
    response = w.serving_endpoints.update_config(
        "chat", served_entities=[serving.ServedEntityInput(external_model=other)]).response
    assert response.name == "chat" and response.state is not None
    after = w.serving_endpoints.get("chat")
    assert after.config.config_version == before.config.config_version + 1
    assert [e.name for e in after.config.served_entities] == ["gpt-4o-mini"]
    assert after.pending_config is None


def test_read_fills_the_server_defaults(register_model_version, w: WorkspaceClient) -> None:
    """serving-endpoints.md §2.1 (config.name accepted and ignored), §2.3 (entity name default
    for a 3-part UC name) and §3 (defaults on read)."""
    register_model_version("main.rag.rag_chain", 3)
    w.serving_endpoints.create(name="rag", config=custom(
        "main.rag.rag_chain", "3", workload_size="Small", scale_to_zero_enabled=True))
    raw = w.api_client.do("GET", f"{ENDPOINTS}/rag")
    entity = raw["config"]["served_entities"][0]
    assert entity["name"] == "rag_chain-3"
    assert entity["workload_type"] == "CPU"
    assert entity["state"]["deployment"] == "DEPLOYMENT_READY"
    assert raw["config"]["traffic_config"]["routes"] == [
        {"served_entity_name": "rag_chain-3", "served_model_name": "rag_chain-3",
         "traffic_percentage": 100}]
    mirror = raw["config"]["served_models"][0]
    assert (mirror["name"], mirror["model_name"], mirror["model_version"]) == (
        "rag_chain-3", "main.rag.rag_chain", "3")
    assert re.fullmatch(r"[0-9a-f]{32}", raw["id"])
    assert raw["creator"]
    assert raw["creation_timestamp"] > 10**12  # milliseconds
    assert raw["route_optimized"] is False
    assert raw["description"] == ""
    assert raw["permission_level"] == "CAN_MANAGE"


def test_workload_size_is_filled_from_provisioned_concurrency(register_model_version, w):
    """serving-endpoints.md §3: workload_size is filled in even when the request used
    min/max_provisioned_concurrency."""
    register_model_version("main.rag.rag_chain", 1)
    w.serving_endpoints.create(name="rag", config=custom(
        "main.rag.rag_chain", "1", min_provisioned_concurrency=0, max_provisioned_concurrency=4,
        scale_to_zero_enabled=True))
    entity = w.serving_endpoints.get("rag").config.served_entities[0]
    assert entity.workload_size in ("Small", "Medium", "Large")


def test_secrets_and_unechoed_fields_never_come_back(directory, w: WorkspaceClient) -> None:
    """serving-endpoints.md §2.4 (no `*_plaintext` on GET) and §3 (`budget_policy_id`,
    top-level `rate_limits` not returned); the plaintext key is not even stored."""
    body = external()
    body["config"]["served_entities"][0]["external_model"]["openai_config"] = {
        "openai_api_key_plaintext": "sk-canary-4242"}
    body |= {"budget_policy_id": "policy-1",
             "rate_limits": [{"calls": 10, "renewal_period": "minute"}]}
    created = w.api_client.do("POST", ENDPOINTS, body=body)
    read = w.api_client.do("GET", f"{ENDPOINTS}/chat")
    listed = w.api_client.do("GET", ENDPOINTS)
    for answer in (created, read, listed):
        assert "sk-canary-4242" not in str(answer)
        assert "budget_policy_id" not in str(answer)
        assert "rate_limits" not in str(answer)
    assert b"sk-canary-4242" not in b"".join(p.read_bytes() for p in directory.iterdir())


def test_provisioned_throughput_endpoint(w: WorkspaceClient) -> None:
    """serving-endpoints.md §1 (`/pt` create and config update), §2.3 (burst_scaling_enabled
    not returned) and §3 (foundation entities report scale_to_zero_enabled false)."""
    model = "system.ai.meta_llama_v3_3_70b_instruct"
    endpoint = w.serving_endpoints.create_provisioned_throughput_endpoint(
        name="llama", config=serving.PtEndpointCoreConfig(served_entities=[
            serving.PtServedModel(entity_name=model, entity_version="1",
                                  provisioned_model_units=50, burst_scaling_enabled=True)]),
    ).result()
    entity = w.api_client.do("GET", f"{ENDPOINTS}/llama")["config"]["served_entities"][0]
    assert "burst_scaling_enabled" not in entity
    assert entity["scale_to_zero_enabled"] is False
    assert endpoint.task == "llm/v1/chat"
    updated = w.serving_endpoints.update_provisioned_throughput_endpoint_config(
        "llama", config=serving.PtEndpointCoreConfig(served_entities=[
            serving.PtServedModel(entity_name=model, entity_version="1",
                                  provisioned_model_units=100)]),
    ).result()
    assert updated.config.config_version == 2
    assert updated.config.served_entities[0].provisioned_model_units == 100


@pytest.mark.parametrize("body", [
    pytest.param({"name": "has.dot", "config": external()["config"]}, id="name-charset"),
    pytest.param({"name": "x" * 64, "config": external()["config"]}, id="name-length"),
    pytest.param({"name": "ok", "config": {"served_entities": [
        {**external()["config"]["served_entities"][0], "entity_name": "main.a.b"}]}},
        id="external-and-custom"),
    pytest.param({"name": "ok", "config": {**external()["config"], "traffic_config": {
        "routes": [{"served_entity_name": "nope", "traffic_percentage": 100}]}}},
        id="route-to-unknown-entity"),
    pytest.param({"name": "ok", "config": {**external()["config"], "traffic_config": {
        "routes": [{"served_entity_name": "gpt-4o", "traffic_percentage": 90}]}}},
        id="routes-not-100"),
    pytest.param({"name": "ok", "config": {"served_entities": [
        {"external_model": CHAT.as_dict()},
        {"external_model": {**CHAT.as_dict(), "name": "ada", "task": "llm/v1/embeddings"}}]}},
        id="two-tasks"),
    pytest.param({"name": "ok", "config": {"served_entities": [{"external_model": {
        **CHAT.as_dict(), "anthropic_config": {"anthropic_api_key": "{{secrets/a/b}}"}}}]}},
        id="wrong-provider-block"),
    pytest.param({"name": "ok", "config": {"served_entities": [{"external_model": {
        **CHAT.as_dict(), "openai_config": {"openai_api_key": "{{secrets/a/b}}",
                                            "openai_api_key_plaintext": "sk"}}}]}},
        id="key-and-plaintext"),
    pytest.param({"name": "ok", "config": {"served_entities": [
        {"entity_name": "system.ai.meta_llama_v3_3_70b_instruct", "entity_version": "1",
         "workload_size": "Small"}]}}, id="scale-to-zero-undefined"),
])
def test_invalid_create_bodies(w: WorkspaceClient, body: dict[str, Any]) -> None:
    """serving-endpoints.md §2.3, §2.4, §5 and §6: a bad field or combination is
    400 INVALID_PARAMETER_VALUE, and nothing is created."""
    with pytest.raises(InvalidParameterValue):
        w.api_client.do("POST", ENDPOINTS, body=body)
    assert body["name"] not in {e.name for e in w.serving_endpoints.list()}


def test_duplicate_and_unknown_names(w: WorkspaceClient) -> None:
    """serving-endpoints.md §5: 409 RESOURCE_ALREADY_EXISTS on a second create; 404
    RESOURCE_DOES_NOT_EXIST "Endpoint with name 'x' not found" for an unknown name."""
    w.api_client.do("POST", ENDPOINTS, body=external())
    with pytest.raises(ResourceAlreadyExists):
        w.api_client.do("POST", ENDPOINTS, body=external())
    with pytest.raises(ResourceDoesNotExist, match="Endpoint with name 'missing' not found"):
        w.serving_endpoints.get("missing")
    w.serving_endpoints.delete("chat")
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.get("chat")


def test_external_model_cannot_be_added_or_removed(register_model_version, w) -> None:
    """serving-endpoints.md §2.3: external_model cannot be added to or removed from an
    existing endpoint."""
    register_model_version("main.rag.rag_chain", 1)
    w.api_client.do("POST", ENDPOINTS, body=external())
    with pytest.raises(InvalidParameterValue):
        w.serving_endpoints.update_config("chat", served_entities=[serving.ServedEntityInput(
            entity_name="main.rag.rag_chain", entity_version="1", workload_size="Small",
            scale_to_zero_enabled=True)])


def test_served_model_versions_must_exist(register_model_version, w) -> None:
    """mlflow-models.md §3/§5 and serving-endpoints.md §10 (model versions exist): a custom
    entity naming a missing version fails; once the local registry has it, it is served."""
    config = custom("main.rag.rag_chain", "2", workload_size="Small", scale_to_zero_enabled=True)
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.create(name="rag", config=config)
    register_model_version("main.rag.rag_chain", 1)
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.create(name="rag", config=config)
    register_model_version("main.rag.rag_chain", 2)
    assert w.serving_endpoints.create(name="rag", config=config).response.name == "rag"
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.create(name="llm", config=custom(
            "system.ai.no_such_model", "1", provisioned_model_units=50))


def test_update_failed_switch(workspace: LocalWorkspace, w: WorkspaceClient) -> None:
    """serving-endpoints.md §4: a failed first deploy is NOT_READY/UPDATE_FAILED with no
    config (the SDK waiter raises); a failed update keeps serving the old config."""
    workspace.configure(fail_next_update=["chat"])
    with pytest.raises(OperationFailed):
        w.serving_endpoints.create_and_wait(name="chat", config=serving.EndpointCoreConfigInput(
            name="chat", served_entities=[serving.ServedEntityInput(external_model=CHAT)]))
    failed = w.serving_endpoints.get("chat")
    assert failed.state.ready == serving.EndpointStateReady.NOT_READY
    assert failed.state.config_update == serving.EndpointStateConfigUpdate.UPDATE_FAILED
    assert failed.config is None
    assert workspace.settings.fail_next_update == ()  # the switch is spent

    served = [serving.ServedEntityInput(external_model=CHAT)]
    assert w.serving_endpoints.update_config_and_wait("chat", served_entities=served).config
    workspace.configure(fail_next_update=["chat"])
    w.serving_endpoints.update_config("chat", served_entities=served)
    endpoint = w.serving_endpoints.get("chat")
    assert endpoint.state.config_update == serving.EndpointStateConfigUpdate.UPDATE_FAILED
    assert endpoint.state.ready == serving.EndpointStateReady.READY
    assert endpoint.config.config_version == 1


def test_tags_ai_gateway_rate_limits_and_notifications(w: WorkspaceClient) -> None:
    """serving-endpoints.md §1 and §2.5: PATCH tags merges and answers {"tags"} sorted by key;
    PUT ai-gateway replaces the whole object (empty clears it); deprecated PUT rate-limits is
    answered but not returned by GET; PATCH notifications answers {name, email_notifications}."""
    w.api_client.do("POST", ENDPOINTS, body={**external(), "tags": [{"key": "b", "value": "1"}]})
    patched = w.serving_endpoints.patch("chat", add_tags=[serving.EndpointTag("c", "3"),
                                                          serving.EndpointTag("a", "2")])
    assert [(t.key, t.value) for t in patched.tags] == [("a", "2"), ("b", "1"), ("c", "3")]
    w.serving_endpoints.patch("chat", delete_tags=["b"])
    assert [t.key for t in w.serving_endpoints.get("chat").tags] == ["a", "c"]

    gateway = w.serving_endpoints.put_ai_gateway(
        "chat", usage_tracking_config=serving.AiGatewayUsageTrackingConfig(enabled=True),
        rate_limits=[serving.AiGatewayRateLimit(
            renewal_period=serving.AiGatewayRateLimitRenewalPeriod.MINUTE, calls=100)])
    assert gateway.usage_tracking_config.enabled
    read = w.serving_endpoints.get("chat").ai_gateway
    assert read.rate_limits[0].calls == 100
    w.serving_endpoints.put_ai_gateway(
        "chat", usage_tracking_config=serving.AiGatewayUsageTrackingConfig(enabled=False))
    assert w.serving_endpoints.get("chat").ai_gateway.rate_limits == []
    w.api_client.do("PUT", f"{ENDPOINTS}/chat/ai-gateway", body={})
    assert w.serving_endpoints.get("chat").ai_gateway is None

    limits = w.serving_endpoints.put("chat", rate_limits=[
        serving.RateLimit(calls=5, renewal_period=serving.RateLimitRenewalPeriod.MINUTE)])
    assert limits.rate_limits[0].calls == 5
    assert "rate_limits" not in w.api_client.do("GET", f"{ENDPOINTS}/chat")

    notified = w.serving_endpoints.update_notifications(
        "chat", email_notifications=serving.EmailNotifications(on_update_failure=["a@b.c"]))
    assert notified.name == "chat"
    assert w.serving_endpoints.get("chat").email_notifications.on_update_failure == ["a@b.c"]


def test_permissions_are_addressed_by_endpoint_id(w: WorkspaceClient) -> None:
    """serving-endpoints.md §1: permissions use the endpoint id (not its name); PUT replaces
    all direct grants, PATCH merges; levels CAN_MANAGE, CAN_QUERY, CAN_VIEW."""
    endpoint_id = w.api_client.do("POST", ENDPOINTS, body=external())["id"]
    acl = serving.ServingEndpointAccessControlRequest
    level = serving.ServingEndpointPermissionLevel
    w.serving_endpoints.set_permissions(endpoint_id, access_control_list=[
        acl(group_name="users", permission_level=level.CAN_QUERY)])
    merged = w.serving_endpoints.update_permissions(endpoint_id, access_control_list=[
        acl(user_name="a@b.c", permission_level=level.CAN_MANAGE)])
    assert {(e.group_name or e.user_name, e.all_permissions[0].permission_level)
            for e in merged.access_control_list} == {("users", level.CAN_QUERY),
                                                     ("a@b.c", level.CAN_MANAGE)}
    replaced = w.serving_endpoints.set_permissions(endpoint_id, access_control_list=[
        acl(group_name="users", permission_level=level.CAN_VIEW)])
    assert [e.group_name for e in replaced.access_control_list] == ["users"]
    assert w.serving_endpoints.get_permissions(endpoint_id).object_id.endswith(endpoint_id)
    levels = w.serving_endpoints.get_permission_levels(endpoint_id).permission_levels
    assert {lv.permission_level for lv in levels} == set(level)
    with pytest.raises(NotFound):
        w.serving_endpoints.get_permissions("chat")
    with pytest.raises(InvalidParameterValue):
        w.api_client.do("PUT", f"/api/2.0/permissions/serving-endpoints/{endpoint_id}", body={
            "access_control_list": [{"group_name": "users", "permission_level": "CAN_USE"}]})


def test_list_returns_summaries(w: WorkspaceClient) -> None:
    """serving-endpoints.md §1 and §3: list answers {"endpoints"} of summary objects whose
    config names the entities only."""
    w.api_client.do("POST", ENDPOINTS, body=external())
    listed = {e["name"]: e for e in w.api_client.do("GET", ENDPOINTS)["endpoints"]}
    entity = listed["chat"]["config"]["served_entities"][0]
    assert set(entity) <= {"name", "entity_name", "entity_version", "external_model",
                           "foundation_model"}
    assert listed["chat"]["state"]["config_update"] in ("IN_PROGRESS", "NOT_UPDATING")


def test_pay_per_token_endpoints_exist_and_are_read_only(w: WorkspaceClient) -> None:
    """serving-endpoints.md §7: the pay-per-token `databricks-*` endpoints are there from the
    start, READY, with foundation_model entities; they are referenced, never managed."""
    tasks = {e.name: e.task for e in w.serving_endpoints.list()}
    assert tasks["databricks-bge-large-en"] == tasks["databricks-gte-large-en"] == \
        "llm/v1/embeddings"
    assert tasks["databricks-meta-llama-3-3-70b-instruct"] == "llm/v1/chat"
    assert sum(task == "llm/v1/chat" for task in tasks.values()) >= 2
    endpoint = w.serving_endpoints.get("databricks-gte-large-en")
    assert endpoint.state.ready == serving.EndpointStateReady.READY
    assert endpoint.config.served_entities[0].foundation_model.name == "databricks-gte-large-en"
    with pytest.raises(PermissionDenied):
        w.serving_endpoints.delete("databricks-gte-large-en")
    with pytest.raises(PermissionDenied):
        w.serving_endpoints.update_config("databricks-gte-large-en", served_entities=[
            serving.ServedEntityInput(external_model=CHAT)])
    with pytest.raises(ResourceAlreadyExists):
        w.api_client.do("POST", ENDPOINTS, body=external("databricks-gte-large-en"))


def test_model_optimization_info_and_throughput_chunks(w: WorkspaceClient) -> None:
    """serving-endpoints.md §1 (get-model-optimization-info, dotted name) and §7: provisioned
    throughput comes in multiples of `throughput_chunk_size`."""
    model = "system.ai.meta_llama_v3_3_70b_instruct"
    info = w.api_client.do("GET", f"{ENDPOINTS}/get-model-optimization-info/{model}/1")
    assert info["optimizable"] is True
    chunk = info["throughput_chunk_size"]
    assert isinstance(chunk, int) and chunk > 0

    def create(name: str, low: int, high: int) -> None:
        w.serving_endpoints.create(name=name, config=custom(
            model, "1", min_provisioned_throughput=low, max_provisioned_throughput=high))

    create("llama", 0, 2 * chunk)
    with pytest.raises(InvalidParameterValue):
        create("llama-odd", 0, chunk + 1)
    with pytest.raises(ResourceDoesNotExist):
        w.api_client.do("GET", f"{ENDPOINTS}/get-model-optimization-info/system.ai.nope/1")
