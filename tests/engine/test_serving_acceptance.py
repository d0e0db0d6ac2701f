"""Scenarios modelled on the Databricks CLI's acceptance tests
(databricks/cli `acceptance/bundle/resources/model_serving_endpoints/`): the same stack
converges in one apply and sends the same calls."""

from __future__ import annotations

import json

from support.harness import sdk_client, served_workspace, writes

SERVED = ("-t", "served")

BASIC = """\
stack: acceptance
resources:
  serving_endpoints:
    my-endpoint:
      permissions:
        - {user_name: deco-test-user@databricks.com, level: CAN_VIEW}
targets:
  served: {}
"""

ROUTES = """\
stack: acceptance
resources:
  external_models:
    test-endpoint:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      served_entity_name: prod
      config: {openai_api_key: "{{secrets/test-scope/openai-key}}"}
  serving_endpoints:
    routed:
      served_entities:
        - name: prod
          external_model:
            provider: openai
            name: gpt-4o-mini
            task: llm/v1/chat
            openai_config: {openai_api_key: "{{secrets/test-scope/openai-key}}"}
      traffic_config:
        routes:
          - {served_model_name: prod, traffic_percentage: 100}
targets:
  served: {}
"""


def test_basic_an_endpoint_without_config_keeps_the_deployers_access(harness, tmp_path,
                                                                     monkeypatch):
    """acceptance model_serving_endpoints/basic: POST the endpoint (no config), PUT its
    permissions with the deployer's CAN_MANAGE added (out.first-requests.txt); the next plan
    is empty."""
    harness.write(BASIC)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        harness.apply(*SERVED)
        sent = writes(local)
        assert [m for m, _ in sent] == ["POST", "PUT"]
        assert sent[0][1] == "/api/2.0/serving-endpoints"
        assert sent[1][1].startswith("/api/2.0/permissions/serving-endpoints/")
        acl = sdk_client(local).api_client.do("GET", sent[1][1])["access_control_list"]
        assert {(e.get("user_name"), e["all_permissions"][0]["permission_level"])
                for e in acl} == {("deco-test-user@databricks.com", "CAN_VIEW"),
                                  (local.settings.user, "CAN_MANAGE")}
        assert harness.changes(*SERVED) == {}


def test_routes_written_with_served_model_name_settle(harness, tmp_path, monkeypatch):
    """acceptance model_serving_endpoints/update/config routes with `served_model_name`; GET
    returns both names, and the plan after one apply is empty (no config PUT again)."""
    harness.write(ROUTES)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        client = sdk_client(local)
        client.secrets.create_scope("test-scope")
        client.secrets.put_secret("test-scope", "openai-key", string_value="sk-test")
        harness.apply(*SERVED)
        seen = len(local.request_log())
        assert harness.changes(*SERVED) == {}
        harness.apply(*SERVED)
        assert writes(local, seen) == []


def test_a_new_endpoint_is_read_only_by_its_wait(harness, tmp_path, monkeypatch):
    """The create's answer is the endpoint as a GET shows it (`ServingEndpointDetailed`:
    SDK 0.156 `ServingEndpointsAPI.create` parses its `Wait.response` from it): the state
    records it from that answer, with no read before the create (the plan saw it absent) and
    none to acknowledge it; that answer is also the wait's first read, so the next comes a
    poll interval later and, the workspace taking no time here, finds it ready."""
    harness.write(ROUTES)
    with served_workspace(tmp_path / "ws", monkeypatch,
                          serving_endpoint_create_seconds=0.0) as local:
        client = sdk_client(local)
        client.secrets.create_scope("test-scope")
        client.secrets.put_secret("test-scope", "openai-key", string_value="sk-test")
        seen = len(local.request_log())
        harness.apply(*SERVED)
        calls = [(r["method"], r["path"]) for r in local.request_log()[seen:]
                 if r["path"].startswith("/api/2.0/serving-endpoints/")
                 or r["method"] == "POST"]
        for name in ("test-endpoint", "routed"):
            path = f"/api/2.0/serving-endpoints/{name}"
            assert [c for c in calls if c[1] == path] == [("GET", path)]
        assert [m for m, _ in calls].count("POST") == 2
        recorded = json.loads((harness.state_dir / "served.json").read_text())["resources"]
        ids = {e["name"]: e["id"] for e in client.api_client.do(
            "GET", "/api/2.0/serving-endpoints")["endpoints"]}
        assert {r["name"]: (r["id"], r["status"]) for r in recorded.values()} == {
            name: (ids[name], "ready") for name in ("test-endpoint", "routed")}
        assert harness.changes(*SERVED) == {}
