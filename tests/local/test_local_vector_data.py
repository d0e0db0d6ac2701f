"""Vector search data: table stand-ins, sync, similarity search, filters, scans, upserts,
deletes (vector-search.md §2, §5)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from databricks.sdk import WorkspaceClient

INDEXES = "/api/2.0/vector-search/indexes"
DOCS = [{"id": 1, "text": "create a vector search index", "lang": "en"},
        {"id": 2, "text": "serving endpoints for models", "lang": "en"},
        {"id": 3, "text": "index de recherche vectorielle", "lang": "fr"}]


def put_table(workspace, name: str, rows: list[dict]) -> None:
    request = urllib.request.Request(
        f"{workspace.url}/_local/tables/{name}", method="PUT",
        data=json.dumps({"rows": rows}).encode(),
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


@pytest.fixture
def vs(w: WorkspaceClient) -> WorkspaceClient:
    w.api_client.do("POST", "/api/2.0/vector-search/endpoints",
                    body={"name": "vs", "endpoint_type": "STANDARD"})
    return w


def delta_sync(pipeline: str = "TRIGGERED") -> dict:
    return {"name": "main.rag.docs_index", "endpoint_name": "vs", "primary_key": "id",
            "index_type": "DELTA_SYNC", "delta_sync_index_spec": {
                "source_table": "main.rag.docs", "pipeline_type": pipeline,
                "embedding_source_columns": [{"name": "text", "embedding_model_endpoint_name":
                                              "databricks-bge-large-en"}]}}


def query(vs: WorkspaceClient, **body) -> dict:
    return vs.api_client.do("POST", f"{INDEXES}/main.rag.docs_index/query", body=body)


def test_a_delta_sync_index_holds_its_table_and_answers_nearest_first(workspace, vs):
    put_table(workspace, "main.rag.docs", DOCS)
    vs.api_client.do("POST", INDEXES, body=delta_sync())
    status = vs.api_client.do("GET", f"{INDEXES}/main.rag.docs_index")["status"]
    assert status["indexed_row_count"] == len(DOCS)
    found = query(vs, query_text="vector search index", columns=["id", "text"], num_results=2)
    assert [c["name"] for c in found["manifest"]["columns"]] == ["id", "text", "score"]
    rows = found["result"]["data_array"]
    assert rows[0][0] == 1 and len(rows) == 2
    assert rows[0][-1] > rows[1][-1] > 0
    assert "next_page_token" in found


def test_filters_narrow_the_candidates(workspace, vs):
    put_table(workspace, "main.rag.docs", DOCS)
    vs.api_client.do("POST", INDEXES, body=delta_sync())
    ids = lambda f: [r[0] for r in query(vs, query_text="index", columns=["id"],  # noqa: E731
                                         filters_json=json.dumps(f))["result"]["data_array"]]
    assert sorted(ids({"lang": "fr"})) == [3]
    assert sorted(ids({"id": [1, 2]})) == [1, 2]
    assert sorted(ids({"id >": 1})) == [2, 3]
    assert sorted(ids({"lang NOT": "en"})) == [3]


def test_a_triggered_index_changes_only_on_sync(workspace, vs):
    put_table(workspace, "main.rag.docs", DOCS[:1])
    vs.api_client.do("POST", INDEXES, body=delta_sync())
    vs.api_client.do("POST", f"{INDEXES}/main.rag.docs_index/sync", body={})
    put_table(workspace, "main.rag.docs", DOCS)
    assert vs.api_client.do("GET", f"{INDEXES}/main.rag.docs_index")["status"][
        "indexed_row_count"] == 1
    vs.api_client.do("POST", f"{INDEXES}/main.rag.docs_index/sync", body={})
    assert vs.api_client.do("GET", f"{INDEXES}/main.rag.docs_index")["status"][
        "indexed_row_count"] == 3


def test_direct_access_upsert_query_scan_and_delete(vs):
    """§2: upsert-data {inputs_json}; delete-data by primary_keys; scan pages by key."""
    vs.api_client.do("POST", INDEXES, body={
        "name": "main.rag.direct", "endpoint_name": "vs", "primary_key": "id",
        "index_type": "DIRECT_ACCESS", "direct_access_index_spec": {
            "schema_json": json.dumps({"id": "integer", "v": "array<float>"}),
            "embedding_vector_columns": [{"name": "v", "embedding_dimension": 2}]}})
    rows = [{"id": 1, "v": [1.0, 0.0]}, {"id": 2, "v": [0.0, 1.0]}, {"id": 3, "v": [0.7, 0.7]}]
    result = vs.vector_search_indexes.upsert_data_vector_index("main.rag.direct",
                                                              json.dumps(rows))
    assert result.result.success_row_count == 3
    found = vs.api_client.do("POST", f"{INDEXES}/main.rag.direct/query",
                             body={"query_vector": [1.0, 0.1], "columns": ["id"],
                                   "num_results": 1})
    assert found["result"]["data_array"][0][0] == 1
    vs.vector_search_indexes.delete_data_vector_index("main.rag.direct", ["1"])
    page = vs.api_client.do("POST", f"{INDEXES}/main.rag.direct/scan", body={"num_results": 1})
    keys = [f["value"] for f in page["data"][0]["fields"] if f["key"] == "id"]
    assert keys == [{"number_value": 2}] and page["last_primary_key"] == "2"
    rest = vs.api_client.do("POST", f"{INDEXES}/main.rag.direct/scan",
                            body={"last_primary_key": "2"})
    assert len(rest["data"]) == 1


def test_a_query_sent_as_get_with_a_body_is_answered(workspace, vs):
    """§6: the vectorsearch client sends GET {index_url}/query with a JSON body."""
    put_table(workspace, "main.rag.docs", DOCS)
    vs.api_client.do("POST", INDEXES, body=delta_sync("CONTINUOUS"))
    request = urllib.request.Request(
        f"{workspace.url}/api/2.0/vector-search/endpoints/vs/indexes/main.rag.docs_index/query",
        method="GET", data=json.dumps({"query_text": "serving", "columns": ["id"],
                                       "num_results": 1}).encode(),
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["result"]["data_array"][0][0] == 2


def test_rows_that_do_not_fit_the_schema_are_reported_failed_and_not_stored(vs):
    """SDK `UpsertDataResult`: rows that fail are listed in `failed_primary_keys` and the
    status says PARTIAL_SUCCESS (FAILURE when none is stored). A vector of another dimension,
    a key of the wrong type or no key at all is such a row (docs/design.md, issue 17): it is
    not stored, so queries keep working."""
    vs.api_client.do("POST", INDEXES, body={
        "name": "main.rag.direct", "endpoint_name": "vs", "primary_key": "id",
        "index_type": "DIRECT_ACCESS", "direct_access_index_spec": {
            "schema_json": json.dumps({"id": "integer", "v": "array<float>"}),
            "embedding_vector_columns": [{"name": "v", "embedding_dimension": 2}]}})
    rows = [{"id": 1, "v": [1.0, 0.0]}, {"id": 2, "v": [0.0, 1.0, 0.5]},
            {"id": "three", "v": [0.5, 0.5]}, {"v": [0.5, 0.5]}, {"id": 5, "v": ["a", 1]},
            {"id": 6}]
    result = vs.vector_search_indexes.upsert_data_vector_index("main.rag.direct",
                                                              json.dumps(rows))
    assert result.status.value == "PARTIAL_SUCCESS"
    assert result.result.success_row_count == 1
    assert result.result.failed_primary_keys == ["2", "three", "", "5", "6"]
    found = vs.api_client.do("POST", f"{INDEXES}/main.rag.direct/query",
                             body={"query_vector": [1.0, 0.1], "columns": ["id"]})
    assert [row[0] for row in found["result"]["data_array"]] == [1]
    none = vs.vector_search_indexes.upsert_data_vector_index(
        "main.rag.direct", json.dumps([{"id": 7, "v": [1.0]}]))
    assert none.status.value == "FAILURE" and none.result.success_row_count == 0
