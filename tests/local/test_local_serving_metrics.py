"""Per-entity health on the metrics route, from the invocations the local workspace served,
read through databricks-sdk's `export_metrics`; the entity fault knob.

Format: Databricks "Track and export serving endpoint health metrics to Prometheus and
Datadog" (request_count_total, request_4xx_count_total, request_5xx_count_total gauges over
the last minute; request_latency_ms histogram); SDK 0.156 `ServingEndpointsAPI.export_metrics`
(`Accept: text/plain`, raw body).
"""

from __future__ import annotations

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, NotFound
from prometheus_client.parser import text_string_to_metric_families

from provisioner.local import LocalWorkspace
from provisioner.local.settings import EntityFault
from provisioner.workspace.serving_metrics import entity_health

ENTITIES = {"old": "gpt-4o-mini", "new": "gpt-4o"}


def endpoint(traffic: dict[str, int]) -> dict:
    entities = [{"name": name, "external_model": {
        "provider": "openai", "name": model, "task": "llm/v1/chat",
        "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}
        for name, model in ENTITIES.items()]
    routes = [{"served_entity_name": n, "traffic_percentage": p} for n, p in traffic.items()]
    return {"name": "canary", "config": {"served_entities": entities,
                                         "traffic_config": {"routes": routes}}}


@pytest.fixture
def canary(w: WorkspaceClient, secret_references):
    secret_references("s/k")

    def create(traffic: dict[str, int]) -> None:
        w.api_client.do("POST", "/api/2.0/serving-endpoints", body=endpoint(traffic))

    return create


def invoke(w: WorkspaceClient, times: int) -> tuple[dict[str, int], int]:
    """Answers per served entity (the `served-model-name` header) and failures."""
    served: dict[str, int] = {}
    failed = 0
    for _ in range(times):
        try:
            answer = w.api_client.do("POST", "/serving-endpoints/canary/invocations",
                                     body={"messages": [{"role": "user", "content": "hi"}]},
                                     response_headers=["served-model-name"])
        except DatabricksError:
            failed += 1
            continue
        name = answer["served-model-name"]
        served[name] = served.get(name, 0) + 1
    return served, failed


def metrics_text(w: WorkspaceClient) -> str:
    return w.serving_endpoints.export_metrics("canary").contents.read().decode()


def test_invocations_follow_the_routes_and_each_entity_reports_its_own(w, canary):
    canary({"old": 70, "new": 30})
    served, failed = invoke(w, 100)
    assert failed == 0 and set(served) == {"old", "new"} and served["old"] > served["new"]
    text = metrics_text(w)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["request_count_total"].type == "gauge"
    assert families["request_latency_ms"].type == "histogram"
    counts = {s.labels["served_entity_name"]: s.value
              for s in families["request_count_total"].samples}
    assert counts == served
    health = entity_health(text, "old")
    assert health.requests == counts["old"] and health.error_rate == 0
    assert health.latency_ms(99) is not None


def test_a_faulty_entity_fails_its_share_and_the_route_counts_each_failure(
        w, canary, workspace: LocalWorkspace):
    canary({"old": 50, "new": 50})
    workspace.configure(entity_faults=[EntityFault(endpoint="canary", served_entity="new",
                                                   error_rate=1.0, status=500)])
    served, failed = invoke(w, 60)
    assert set(served) == {"old"} and failed == 60 - served["old"] > 0
    text = metrics_text(w)
    new, old = entity_health(text, "new"), entity_health(text, "old")
    assert (new.requests, new.errors_5xx, new.error_rate) == (failed, failed, 1.0)
    assert (old.requests, old.errors_5xx) == (served["old"], 0)


def test_injected_latency_shows_in_the_histogram(w, canary, workspace: LocalWorkspace):
    canary({"old": 100, "new": 0})
    workspace.configure(entity_faults=[EntityFault(endpoint="canary", served_entity="old",
                                                   error_rate=0, latency_ms=30)])
    invoke(w, 5)
    health = entity_health(metrics_text(w), "old")
    assert health.latency_ms(50) >= 30
    assert entity_health(metrics_text(w), "new").requests == 0


def test_metrics_of_an_unknown_endpoint_are_not_found(w):
    with pytest.raises(NotFound):
        w.serving_endpoints.export_metrics("nowhere")
