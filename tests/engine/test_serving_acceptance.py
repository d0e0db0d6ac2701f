"""Scenarios modelled on the Databricks CLI's acceptance tests
(databricks/cli `acceptance/bundle/resources/model_serving_endpoints/`): the same stack
converges in one apply and sends the same calls."""

from __future__ import annotations

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
