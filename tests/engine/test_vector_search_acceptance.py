"""Scenarios modelled on the Databricks CLI's acceptance tests for vector search (databricks/cli
`acceptance/bundle/resources/vector_search_endpoints/`, `vector_search_indexes/` and
`permissions/vector_search_endpoints/`, commit 7bbe285): the same stack converges in one apply
with the same action, and sends the calls the test's `out.requests.*.json` records."""

from __future__ import annotations

import json

from support.harness import sdk_client, served_workspace, writes

SERVED = ("-t", "served")
ENDPOINTS = "/api/2.0/vector-search/endpoints"
INDEXES = "/api/2.0/vector-search/indexes"

ENDPOINT = """\
stack: acceptance
resources:
  vector_search_endpoints:
    my_endpoint:
      name: vs-endpoint-acceptance
      endpoint_type: STANDARD
targets:
  served: {}
"""

INDEX = ENDPOINT.replace("targets:", """\
  vector_search_indexes:
    my_index:
      name: main.default.vs_index_acceptance
      endpoint_name: ${resources.vector_search_endpoints.my_endpoint.name}
      primary_key: id
      index_type: DIRECT_ACCESS
      direct_access_index_spec:
        schema_json: '{"id":"integer","vector":"array<float>"}'
        embedding_vector_columns:
          - name: vector
            embedding_dimension: 768
targets:""")


def _actions(harness) -> dict[str, str]:
    return {address: change["action"] for address, change in harness.changes(*SERVED).items()}


def _reapply(harness, local, stack: str, actions: dict[str, str], *, succeeded: bool = False
             ) -> list[tuple[str, str]]:
    """Write `stack`, check the plan's actions, apply: the writes the apply sent."""
    harness.write(stack)
    assert _actions(harness) == actions
    seen = len(local.request_log())
    harness.apply(*SERVED)
    return writes(local, seen, succeeded=succeeded)


def test_endpoint_basic(harness, tmp_path, monkeypatch):
    """vector_search_endpoints/basic: one POST with the name and type
    (out.requests.direct.json); GET answers them; nothing left to plan."""
    harness.write(ENDPOINT)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        assert _actions(harness) == {"vector_search_endpoints.my_endpoint": "create"}
        harness.apply(*SERVED)
        assert writes(local) == [("POST", ENDPOINTS)]
        got = sdk_client(local).api_client.do("GET", f"{ENDPOINTS}/vs-endpoint-acceptance")
        assert (got["name"], got["endpoint_type"]) == ("vs-endpoint-acceptance", "STANDARD")
        assert harness.changes(*SERVED) == {}


def test_endpoint_update_target_qps(harness, tmp_path, monkeypatch):
    """vector_search_endpoints/update/target_qps: create POSTs the endpoint then PUTs its
    access list with the deployer's CAN_MANAGE added; `target_qps: 1 -> 2` is an update that
    PATCHes the endpoint (out.requests.update.direct.json). The CLI's update also PUTs the
    permissions again, which its test.toml records as Badness; here only the PATCH is sent."""
    stack = ENDPOINT.replace("endpoint_type: STANDARD", """endpoint_type: STANDARD
      target_qps: 1
      permissions:
        - {level: CAN_USE, group_name: admins}""")
    harness.write(stack)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        client = sdk_client(local)
        harness.apply(*SERVED)
        sent = writes(local)
        assert [m for m, _ in sent] == ["POST", "PUT"]
        assert sent[0][1] == ENDPOINTS
        assert sent[1][1].startswith("/api/2.0/permissions/vector-search-endpoints/")
        acl = client.api_client.do("GET", sent[1][1])["access_control_list"]
        assert {(e.get("group_name") or e.get("user_name"),
                 e["all_permissions"][0]["permission_level"]) for e in acl} == {
            ("admins", "CAN_USE"), (local.settings.user, "CAN_MANAGE")}
        assert harness.changes(*SERVED) == {}

        assert _reapply(harness, local, stack.replace("target_qps: 1", "target_qps: 2"),
                        {"vector_search_endpoints.my_endpoint": "update"}) == [
            ("PATCH", f"{ENDPOINTS}/vs-endpoint-acceptance")]
        got = client.api_client.do("GET", f"{ENDPOINTS}/vs-endpoint-acceptance")
        assert got["scaling_info"]["requested_target_qps"] == 2
        assert harness.changes(*SERVED) == {}


def test_endpoint_update_budget_policy(harness, tmp_path, monkeypatch):
    """vector_search_endpoints/update/budget_policy: adding `budget_policy_id` is an update
    sent as PATCH .../budget-policy (out.requests.update.direct.json)."""
    harness.write(ENDPOINT)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        harness.apply(*SERVED)
        stack = ENDPOINT.replace("endpoint_type: STANDARD", """endpoint_type: STANDARD
      budget_policy_id: test-policy-id""")
        assert _reapply(harness, local, stack, {
            "vector_search_endpoints.my_endpoint": "update"}) == [
            ("PATCH", f"{ENDPOINTS}/vs-endpoint-acceptance/budget-policy")]
        got = sdk_client(local).api_client.do("GET", f"{ENDPOINTS}/vs-endpoint-acceptance")
        assert got["budget_policy_id"] == "test-policy-id"
        assert harness.changes(*SERVED) == {}


def test_endpoint_recreate_on_endpoint_type(harness, tmp_path, monkeypatch):
    """vector_search_endpoints/recreate/endpoint_type: STANDARD -> STORAGE_OPTIMIZED is a
    recreate, DELETE then POST (out.requests.recreate.direct.json)."""
    harness.write(ENDPOINT)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        harness.apply(*SERVED)
        assert _reapply(harness, local, ENDPOINT.replace("STANDARD", "STORAGE_OPTIMIZED"),
                        {"vector_search_endpoints.my_endpoint": "replace"}) == [
            ("DELETE", f"{ENDPOINTS}/vs-endpoint-acceptance"), ("POST", ENDPOINTS)]
        got = sdk_client(local).api_client.do("GET", f"{ENDPOINTS}/vs-endpoint-acceptance")
        assert got["endpoint_type"] == "STORAGE_OPTIMIZED"
        assert harness.changes(*SERVED) == {}


def test_endpoint_permissions_naming_the_deployer(harness, tmp_path, monkeypatch):
    """permissions/vector_search_endpoints/current_can_manage: a list that gives the
    deployer CAN_MANAGE is PUT as written, the deployer not added twice
    (out.requests.deploy.direct.json)."""
    harness.write(ENDPOINT.replace("endpoint_type: STANDARD", """endpoint_type: STANDARD
      permissions:
        - {level: CAN_USE, user_name: viewer@example.com}
        - {level: CAN_MANAGE, group_name: data-team}
        - {level: CAN_MANAGE, service_principal_name: f37d18cd-98a8-4db5-8112-12dd0a6bfe38}
        - {level: CAN_MANAGE, user_name: tester@databricks.com}"""))
    with served_workspace(tmp_path / "ws", monkeypatch, user="tester@databricks.com") as local:
        harness.apply(*SERVED)
        sent = writes(local)
        assert [m for m, _ in sent] == ["POST", "PUT"]
        acl = sdk_client(local).api_client.do("GET", sent[1][1])["access_control_list"]
        assert [(next(e[p] for p in ("user_name", "group_name", "service_principal_name")
                      if p in e), e["all_permissions"][0]["permission_level"]) for e in acl] == [
            ("viewer@example.com", "CAN_USE"), ("data-team", "CAN_MANAGE"),
            ("f37d18cd-98a8-4db5-8112-12dd0a6bfe38", "CAN_MANAGE"),
            ("tester@databricks.com", "CAN_MANAGE")]
        assert harness.changes(*SERVED) == {}


def test_index_basic(harness, tmp_path, monkeypatch):
    """vector_search_indexes/basic: the endpoint, then one POST of the index with the stack's
    fields (out.requests.direct.json); GET answers them; nothing left to plan."""
    harness.write(INDEX)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        assert _actions(harness) == {"vector_search_endpoints.my_endpoint": "create",
                                     "vector_search_indexes.my_index": "create"}
        harness.apply(*SERVED)
        assert writes(local) == [("POST", ENDPOINTS), ("POST", INDEXES)]
        got = sdk_client(local).api_client.do("GET", f"{INDEXES}/main.default.vs_index_acceptance")
        assert {k: got[k] for k in ("name", "endpoint_name", "index_type", "primary_key")} == {
            "name": "main.default.vs_index_acceptance", "endpoint_name": "vs-endpoint-acceptance",
            "index_type": "DIRECT_ACCESS", "primary_key": "id"}
        assert harness.changes(*SERVED) == {}


def test_index_recreate_on_embedding_dimension(harness, tmp_path, monkeypatch):
    """vector_search_indexes/recreate/embedding_dimension: 768 -> 384 recreates the index
    (DELETE, then POST with 384) and leaves the endpoint alone
    (out.requests.recreate.direct.json). The name stays taken a moment after the DELETE
    (`vector_search_indexes/recreate/pending_deletion`), so a refused POST may be retried.
    """
    harness.write(INDEX)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        harness.apply(*SERVED)
        name = "main.default.vs_index_acceptance"
        assert _reapply(harness, local,
                        INDEX.replace("embedding_dimension: 768", "embedding_dimension: 384"),
                        {"vector_search_indexes.my_index": "replace"}, succeeded=True) == [
            ("DELETE", f"{INDEXES}/{name}"), ("POST", INDEXES)]
        spec = sdk_client(local).api_client.do("GET", f"{INDEXES}/{name}")[
            "direct_access_index_spec"]
        assert spec["embedding_vector_columns"] == [{"name": "vector",
                                                     "embedding_dimension": 384}]
        assert harness.changes(*SERVED) == {}


def test_index_schema_normalization(harness, tmp_path, monkeypatch):
    """vector_search_indexes/schema_normalization: the service stores Spark type names
    (integer -> int, long -> bigint, short -> smallint, byte -> tinyint, inside arrays too);
    the plan after the apply is empty (output.txt)."""
    schema = ('{"id":"integer","count":"long","small":"short","tiny":"byte",'
              '"tags":"array<integer>","score":"float","label":"string","vector":"array<float>"}')
    harness.write(INDEX.replace('{"id":"integer","vector":"array<float>"}', schema))
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        harness.apply(*SERVED)
        got = sdk_client(local).api_client.do("GET", f"{INDEXES}/main.default.vs_index_acceptance")
        assert json.loads(got["direct_access_index_spec"]["schema_json"]) == {
            "count": "bigint", "id": "int", "label": "string", "score": "float",
            "small": "smallint", "tags": "array<int>", "tiny": "tinyint",
            "vector": "array<float>"}
        assert harness.changes(*SERVED) == {}


def test_index_follows_its_recreated_endpoint(harness, tmp_path, monkeypatch):
    """vector_search_indexes/recreate/with_endpoint: changing the endpoint's type recreates
    it. The CLI leaves the index bound to the old endpoint's UUID and needs a second deploy
    (its test.toml records that as Badness); here the index is recreated in the same apply,
    so one apply converges."""
    harness.write(INDEX)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        harness.apply(*SERVED)
        harness.write(INDEX.replace("endpoint_type: STANDARD",
                                    "endpoint_type: STORAGE_OPTIMIZED"))
        assert _actions(harness) == {"vector_search_endpoints.my_endpoint": "replace",
                                     "vector_search_indexes.my_index": "replace"}
        harness.apply(*SERVED)
        client = sdk_client(local)
        endpoint = client.api_client.do("GET", f"{ENDPOINTS}/vs-endpoint-acceptance")
        index = client.api_client.do("GET", f"{INDEXES}/main.default.vs_index_acceptance")
        assert endpoint["endpoint_type"] == "STORAGE_OPTIMIZED"
        assert index["endpoint_id"] == endpoint["id"]
        assert harness.changes(*SERVED) == {}
