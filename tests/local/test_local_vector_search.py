"""Vector search through the SDK: services/vector_search_endpoints.py,
services/vector_search_indexes.py and the name and paging rules of services/common.py
(reference: vector-search.md).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import (
    BadRequest,
    InvalidParameterValue,
    NotFound,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
)
from databricks.sdk.service import vectorsearch

from provisioner.local import LocalWorkspace

INDEXES = "/api/2.0/vector-search/indexes"
ENDPOINTS = "/api/2.0/vector-search/endpoints"


def delta_sync(name: str = "main.rag.docs", endpoint: str = "vs", **spec: Any) -> dict[str, Any]:
    return {"name": name, "endpoint_name": endpoint, "primary_key": "id",
            "index_type": "DELTA_SYNC", "delta_sync_index_spec": {
                "source_table": "main.rag.docs", "pipeline_type": "TRIGGERED",
                "embedding_source_columns": [
                    {"name": "text", "embedding_model_endpoint_name": "databricks-gte-large-en"}],
                **spec}}


def direct_access(name: str = "main.rag.direct", schema: dict[str, str] | None = None):
    schema = schema or {"id": "integer", "text": "string", "vec": "array<float>"}
    return {"name": name, "endpoint_name": "vs", "primary_key": "id",
            "index_type": "DIRECT_ACCESS", "direct_access_index_spec": {
                "schema_json": json.dumps(schema),
                "embedding_vector_columns": [{"name": "vec", "embedding_dimension": 8}]}}


@pytest.fixture
def vs(w: WorkspaceClient) -> WorkspaceClient:
    """A client whose workspace has the STANDARD endpoint `vs`."""
    w.vector_search_endpoints.create_endpoint(name="vs",
                                              endpoint_type=vectorsearch.EndpointType.STANDARD)
    return w


def test_endpoint_is_provisioning_then_online(workspace: LocalWorkspace,
                                               w: WorkspaceClient) -> None:
    """vector-search.md §1 and §3: create answers EndpointInfo with endpoint_status
    PROVISIONING; the SDK waiter returns once it is ONLINE."""
    workspace.configure(vector_search_endpoint_seconds=0.3)
    waiter = w.vector_search_endpoints.create_endpoint(
        name="vs", endpoint_type=vectorsearch.EndpointType.STANDARD)
    assert waiter.response.endpoint_status.state == vectorsearch.EndpointStatusState.PROVISIONING
    online = waiter.result(timeout=timedelta(seconds=30))
    assert online.endpoint_status.state == vectorsearch.EndpointStatusState.ONLINE
    assert online.num_indexes == 0
    assert uuid.UUID(online.id)
    assert online.endpoint_type == vectorsearch.EndpointType.STANDARD


def test_endpoint_validation_and_patches(vs: WorkspaceClient) -> None:
    """vector-search.md §1 and §4: 409 on a duplicate, name rules, target_qps only on
    STANDARD (read back as scaling_info), budget policy and tags PATCHes."""
    with pytest.raises(ResourceAlreadyExists):
        vs.vector_search_endpoints.create_endpoint(
            name="vs", endpoint_type=vectorsearch.EndpointType.STANDARD)
    with pytest.raises(InvalidParameterValue):
        vs.vector_search_endpoints.create_endpoint(
            name="bad name", endpoint_type=vectorsearch.EndpointType.STANDARD)
    with pytest.raises(InvalidParameterValue):
        vs.vector_search_endpoints.create_endpoint(
            name="so", endpoint_type=vectorsearch.EndpointType.STORAGE_OPTIMIZED, target_qps=10)
    assert vs.vector_search_endpoints.patch_endpoint(
        "vs", target_qps=20).scaling_info.requested_target_qps == 20
    policy = vs.vector_search_endpoints.update_endpoint_budget_policy("vs", "policy-1")
    assert policy.effective_budget_policy_id == "policy-1"
    tags = vs.vector_search_endpoints.update_endpoint_custom_tags(
        "vs", [vectorsearch.CustomTag(key="team", value="search")])
    assert tags.name == "vs"
    endpoint = vs.vector_search_endpoints.get_endpoint("vs")
    assert [(t.key, t.value) for t in endpoint.custom_tags] == [("team", "search")]
    assert endpoint.effective_budget_policy_id == "policy-1"
    vs.vector_search_endpoints.delete_endpoint("vs")
    with pytest.raises(ResourceDoesNotExist):
        vs.vector_search_endpoints.get_endpoint("vs")


def test_endpoints_are_listed_in_pages(workspace: LocalWorkspace, w: WorkspaceClient) -> None:
    """vector-search.md §1 and §6: list answers {endpoints, next_page_token}, always with the
    key; the SDK follows the pages."""
    workspace.configure(list_page_size=2)
    names = [f"vs{i}" for i in range(5)]
    for name in names:
        w.vector_search_endpoints.create_endpoint(
            name=name, endpoint_type=vectorsearch.EndpointType.STANDARD)
    first = w.api_client.do("GET", ENDPOINTS)
    assert len(first["endpoints"]) == 2 and first["next_page_token"]
    assert sorted(e.name for e in w.vector_search_endpoints.list_endpoints()) == names


def test_delta_sync_index_create_and_readiness(workspace: LocalWorkspace,
                                               vs: WorkspaceClient) -> None:
    """vector-search.md §2.1, §2.2, §3 and §9: the name is stored lowercase, index_subtype
    HYBRID assigned, pipeline_id and endpoint_id added; status always has ready,
    indexed_row_count, message, an http index_url and detailed_state, which goes
    PROVISIONING_INITIAL_SNAPSHOT → ONLINE_NO_PENDING_UPDATE after the delay."""
    workspace.configure(vector_search_index_seconds=0.3)
    created = vs.api_client.do("POST", INDEXES, body=delta_sync("Main.Rag.Docs"))
    assert created["name"] == "main.rag.docs"
    assert created["index_subtype"] == "HYBRID"
    assert created["delta_sync_index_spec"]["pipeline_id"]
    assert created["endpoint_id"] == vs.vector_search_endpoints.get_endpoint("vs").id
    status = created["status"]
    assert status["ready"] is False and status["indexed_row_count"] == 0 and status["message"]
    assert status["detailed_state"] == "PROVISIONING_INITIAL_SNAPSHOT"
    assert status["index_url"] == (f"{workspace.url}/api/2.0/vector-search/endpoints/vs/"
                                   "indexes/main.rag.docs")
    time.sleep(0.35)
    ready = vs.api_client.do("GET", f"{INDEXES}/MAIN.rag.docs")["status"]
    assert ready["ready"] is True
    assert ready["detailed_state"] == "ONLINE_NO_PENDING_UPDATE"
    assert vs.vector_search_endpoints.get_endpoint("vs").num_indexes == 1


def test_direct_access_index_schema_is_rewritten(vs: WorkspaceClient) -> None:
    """vector-search.md §2.2: schema_json comes back with Spark type names, keys sorted;
    a Direct Access index is ONLINE_DIRECT_ACCESS when ready."""
    vs.api_client.do("POST", INDEXES, body=direct_access(schema={
        "vec": "array<float>", "id": "long", "n": "integer", "tags": "array<short>"}))
    index = vs.api_client.do("GET", f"{INDEXES}/main.rag.direct")
    schema = index["direct_access_index_spec"]["schema_json"]
    assert list(json.loads(schema)) == sorted(json.loads(schema))
    assert json.loads(schema) == {"id": "bigint", "n": "int", "tags": "array<smallint>",
                                  "vec": "array<float>"}
    assert index["status"]["detailed_state"] == "ONLINE_DIRECT_ACCESS"


@pytest.mark.parametrize(("body", "error"), [
    pytest.param(delta_sync("docs"), InvalidParameterValue, id="not-3-part"),
    pytest.param(delta_sync("main.rag.do-cs"), InvalidParameterValue, id="bad-characters"),
    pytest.param(delta_sync(endpoint="nope"), ResourceDoesNotExist, id="unknown-endpoint"),
    pytest.param({**delta_sync(), "index_type": "DIRECT_ACCESS"}, InvalidParameterValue,
                 id="spec-type-mismatch"),
    pytest.param(delta_sync(embedding_source_columns=[
        {"name": "text", "embedding_model_endpoint_name": "no-such-endpoint"}]),
        InvalidParameterValue, id="unknown-embedding-endpoint"),
    pytest.param({**delta_sync(), "index_subtype": "VECTOR"}, InvalidParameterValue,
                 id="vector-subtype"),
    pytest.param(direct_access(schema={"id": "integer", "vec": "array<float>", "x": "map"}),
                 InvalidParameterValue, id="unknown-column-type"),
    pytest.param(direct_access(schema={"id": "integer"}), InvalidParameterValue,
                 id="vector-column-not-in-schema"),
    # Databricks' OpenAPI spec (terraform-provider-databricks
    # internal/service/vectorsearch_tf/model.go): "The only supported table name is the index
    # name with the suffix `_writeback_table`."
    pytest.param(delta_sync(embedding_writeback_table="main.rag.embeddings"),
                 InvalidParameterValue, id="writeback-table-not-named-after-the-index"),
])
def test_invalid_index_creates(vs: WorkspaceClient, body: dict[str, Any], error: type) -> None:
    """vector-search.md §2.1, §4 and §9: create validates the 3-part name, the endpoint, the
    spec against the type, the embedding endpoint and the schema."""
    with pytest.raises(error):
        vs.api_client.do("POST", INDEXES, body=body)
    assert vs.vector_search_endpoints.get_endpoint("vs").num_indexes == 0


def test_the_writeback_table_named_after_the_index_is_taken(vs: WorkspaceClient) -> None:
    """The index's name + `_writeback_table`, in any case (Unity Catalog lower-cases)."""
    vs.api_client.do("POST", INDEXES, body=delta_sync(
        embedding_writeback_table="Main.Rag.Docs_Writeback_Table"))
    spec = vs.api_client.do("GET", f"{INDEXES}/main.rag.docs")["delta_sync_index_spec"]
    assert spec["embedding_writeback_table"].lower() == "main.rag.docs_writeback_table"


def test_both_path_families(workspace: LocalWorkspace, vs: WorkspaceClient) -> None:
    """vector-search.md §2 and §6: `/endpoints/{ep}/indexes[/{name}]` serves the same indexes
    as `/indexes/{name}`; list answers {vector_indexes, next_page_token} with the key."""
    on_endpoint = f"{ENDPOINTS}/vs/indexes"
    body = delta_sync()
    del body["endpoint_name"]
    vs.api_client.do("POST", on_endpoint, body=body)
    assert vs.api_client.do("GET", f"{on_endpoint}/main.rag.docs")["endpoint_name"] == "vs"
    assert vs.vector_search_indexes.get_index("main.rag.docs").name == "main.rag.docs"
    listed = vs.api_client.do("GET", on_endpoint)
    assert [i["name"] for i in listed["vector_indexes"]] == ["main.rag.docs"]
    assert listed["next_page_token"] == ""
    vs.vector_search_endpoints.create_endpoint(name="other",
                                               endpoint_type=vectorsearch.EndpointType.STANDARD)
    with pytest.raises(NotFound):
        vs.api_client.do("GET", f"{ENDPOINTS}/other/indexes/main.rag.docs")
    vs.api_client.do("DELETE", f"{on_endpoint}/main.rag.docs")
    with pytest.raises(NotFound):
        vs.vector_search_indexes.get_index("main.rag.docs")


def test_indexes_are_listed_per_endpoint_in_pages(workspace: LocalWorkspace,
                                                  vs: WorkspaceClient) -> None:
    """vector-search.md §2: list_indexes by endpoint_name, following next_page_token."""
    workspace.configure(list_page_size=2)
    names = [f"main.rag.docs{i}" for i in range(5)]
    for name in names:
        vs.api_client.do("POST", INDEXES, body=delta_sync(name))
    listed = vs.vector_search_indexes.list_indexes(endpoint_name="vs")
    assert sorted(i.name for i in listed) == names
    assert vs.vector_search_endpoints.get_endpoint("vs").num_indexes == len(names)


def test_index_deletion_is_two_phase(workspace: LocalWorkspace, vs: WorkspaceClient) -> None:
    """vector-search.md §4: after delete, GET is 404 at once, while a create with the same
    name is refused with 400 INVALID_PARAMETER_VALUE "... pending deletion ..." for a while."""
    workspace.configure(index_deletion_seconds=0.3)
    vs.api_client.do("POST", INDEXES, body=delta_sync())
    vs.vector_search_indexes.delete_index("main.rag.docs")
    with pytest.raises(ResourceDoesNotExist):
        vs.vector_search_indexes.get_index("main.rag.docs")
    with pytest.raises(InvalidParameterValue, match="pending deletion"):
        vs.api_client.do("POST", INDEXES, body=delta_sync())
    assert vs.vector_search_endpoints.get_endpoint("vs").num_indexes == 0
    time.sleep(0.35)
    assert vs.api_client.do("POST", INDEXES, body=delta_sync())["name"] == "main.rag.docs"


def test_sync_only_for_triggered_delta_sync(vs: WorkspaceClient) -> None:
    """vector-search.md §2 and §9: POST /sync answers {} for a TRIGGERED Delta Sync index,
    400 for a CONTINUOUS one or a Direct Access one."""
    vs.api_client.do("POST", INDEXES, body=delta_sync())
    vs.api_client.do("POST", INDEXES, body=delta_sync("main.rag.live", pipeline_type="CONTINUOUS"))
    vs.api_client.do("POST", INDEXES, body=direct_access())
    assert vs.api_client.do("POST", f"{INDEXES}/main.rag.docs/sync", body={}) == {}
    for name in ("main.rag.live", "main.rag.direct"):
        with pytest.raises(BadRequest):
            vs.vector_search_indexes.sync_index(name)


def test_fifty_indexes_per_endpoint(vs: WorkspaceClient) -> None:
    """vector-search.md §4: the 51st index on an endpoint is 400 QUOTA_EXCEEDED."""
    for i in range(50):
        vs.api_client.do("POST", INDEXES, body=direct_access(f"main.rag.i{i}"))
    with pytest.raises(BadRequest, match="Maximum number of indexes per endpoint exceeded"):
        vs.api_client.do("POST", INDEXES, body=direct_access("main.rag.one_too_many"))


def test_deleting_an_endpoint_orphans_its_indexes(vs: WorkspaceClient) -> None:
    """vector-search.md §4: an index is bound to the endpoint instance; an endpoint deleted and
    recreated under the same name gets a new id and none of the old indexes."""
    old_id = vs.api_client.do("POST", INDEXES, body=delta_sync())["endpoint_id"]
    vs.vector_search_endpoints.delete_endpoint("vs")
    recreated = vs.vector_search_endpoints.create_endpoint(
        name="vs", endpoint_type=vectorsearch.EndpointType.STANDARD).response
    assert recreated.id != old_id
    assert recreated.num_indexes == 0
    assert vs.vector_search_indexes.get_index("main.rag.docs").endpoint_id == old_id


def test_there_is_no_index_update_api(vs: WorkspaceClient) -> None:
    """vector-search.md §4: no general update API for indexes."""
    vs.api_client.do("POST", INDEXES, body=delta_sync())
    with pytest.raises(NotFound):
        vs.api_client.do("PATCH", f"{INDEXES}/main.rag.docs", body={"primary_key": "x"})


def test_endpoint_permissions_by_id(vs: WorkspaceClient) -> None:
    """vector-search.md §1: permissions at /permissions/vector-search-endpoints/{endpoint_id},
    levels CAN_CREATE, CAN_USE, CAN_MANAGE; deleting the endpoint removes its ACL."""
    endpoint_id = vs.vector_search_endpoints.get_endpoint("vs").id
    acl = vectorsearch.VectorSearchEndpointAccessControlRequest
    level = vectorsearch.VectorSearchEndpointPermissionLevel
    vs.vector_search_endpoints.set_permissions(endpoint_id, access_control_list=[
        acl(group_name="users", permission_level=level.CAN_USE)])
    read = vs.vector_search_endpoints.get_permissions(endpoint_id)
    assert [(e.group_name, e.all_permissions[0].permission_level)
            for e in read.access_control_list] == [("users", level.CAN_USE)]
    levels = vs.vector_search_endpoints.get_permission_levels(endpoint_id).permission_levels
    assert {lv.permission_level for lv in levels} == set(level)
    vs.vector_search_endpoints.delete_endpoint("vs")
    with pytest.raises(NotFound):
        vs.vector_search_endpoints.get_permissions(endpoint_id)


def test_a_stopped_endpoint_is_stopped_until_started(workspace, w) -> None:
    """SDK 0.156 `stop_endpoint`/`start_endpoint` and `EndpointStatusState` (STOPPED,
    STARTING, ONLINE; vector-search.md §1): a stopped endpoint stays STOPPED, a started one
    is STARTING until provisioned."""
    workspace.configure(vector_search_endpoint_seconds=0)
    w.api_client.do("POST", "/api/2.0/vector-search/endpoints",
                    body={"name": "vs", "endpoint_type": "STANDARD"})
    state = lambda: w.vector_search_endpoints.get_endpoint("vs").endpoint_status.state.value  # noqa: E731
    assert state() == "ONLINE"
    w.api_client.do("POST", "/api/2.0/vector-search/endpoints/vs/stop")
    assert state() == "STOPPED"
    workspace.configure(vector_search_endpoint_seconds=60)
    w.api_client.do("POST", "/api/2.0/vector-search/endpoints/vs/start")
    assert state() == "STARTING"
