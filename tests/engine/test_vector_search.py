"""Vector search: replaces say what they cost, preflight finds missing endpoints, timeouts
never delete, and a fresh "not found" is not believed at once."""

from __future__ import annotations

import pytest
from support.harness import served_workspace
from support.stacks import indexed_stack

from provisioner.kinds.vector_search_endpoints import VectorSearchEndpointHandler

EMBEDDINGS = indexed_stack("vectors") + "targets:\n  served: {}\n"


def test_changing_the_pipeline_type_replaces_the_index_and_says_what_it_costs(harness):
    harness.write(EMBEDDINGS)
    harness.apply()
    harness.write(EMBEDDINGS.replace("TRIGGERED", "CONTINUOUS"))
    text = harness.cli("plan", str(harness.root)).out
    assert "-/+ vector_search_indexes.docs will be replaced" in text
    assert "delta_sync_index_spec.pipeline_type: \"TRIGGERED\" → \"CONTINUOUS\"" in text
    assert "main.rag.docs is synced and re-embedded from scratch" in text
    harness.apply()
    harness.assert_converged()


def test_replacing_an_endpoint_re_creates_its_indexes(harness):
    harness.write(EMBEDDINGS)
    harness.apply()
    harness.write(EMBEDDINGS.replace("endpoint_type: STANDARD",
                                     "endpoint_type: STORAGE_OPTIMIZED"))
    changes = harness.changes()
    assert changes["vector_search_endpoints.vs"]["notes"] == [
        "its indexes go with it and are re-created: main.rag.docs_index"]
    assert changes["vector_search_indexes.docs"]["action"] == "replace"
    harness.apply()
    harness.assert_converged()


def test_deleting_an_endpoint_that_holds_foreign_indexes_is_refused(harness):
    harness.write(EMBEDDINGS)
    harness.apply()
    with harness.workspace() as (client, _):
        client.api_client.do("POST", "/api/2.0/vector-search/indexes", body={
            "name": "main.other.foreign_index", "endpoint_name": "vs", "primary_key": "id",
            "index_type": "DIRECT_ACCESS", "direct_access_index_spec": {
                "schema_json": '{"id": "int", "v": "array<float>"}',
                "embedding_vector_columns": [{"name": "v", "embedding_dimension": 4}]}})
    refused = harness.cli("destroy", str(harness.root), "--auto-approve")
    assert refused.code == 1
    assert "main.other.foreign_index still on it, outside this stack" in refused.err


def test_a_missing_embedding_endpoint_is_a_preflight_error_at_its_line(harness):
    harness.write(EMBEDDINGS.replace("databricks-bge-large-en", "no-such-embedder"))
    result = harness.cli("plan", str(harness.root))
    assert result.code == 1
    line = EMBEDDINGS.splitlines().index(
        "          - {name: text, embedding_model_endpoint_name: databricks-bge-large-en}") + 1
    assert f"stack.yaml:{line}:" in result.err
    assert "serving endpoint 'no-such-embedder' does not exist" in result.err


def test_a_chat_endpoint_is_not_an_embedding_endpoint(harness):
    harness.write(EMBEDDINGS.replace("databricks-bge-large-en",
                                     "databricks-meta-llama-3-3-70b-instruct"))
    result = harness.cli("plan", str(harness.root))
    assert result.code == 1 and "(an embeddings endpoint)" in result.err


def test_a_readiness_timeout_deletes_nothing_and_the_next_apply_converges(harness, tmp_path,
                                                                         monkeypatch):
    harness.write(EMBEDDINGS)
    with served_workspace(tmp_path / "ws", monkeypatch,
                          vector_search_endpoint_seconds=3.0) as local:
        timed_out = harness.cli("apply", str(harness.root), "-t", "served", "--auto-approve",
                                "--timeout", "vector_search_endpoints=0.5")
        assert timed_out.code == 1
        assert "timed out" in timed_out.err
        assert "vector_search_indexes.docs: create skipped" in timed_out.err
        again = harness.cli("apply", str(harness.root), "-t", "served", "--auto-approve")
        assert again.code == 0, again.text
        assert not [r for r in local.request_log() if r["method"] == "DELETE"]
        assert harness.changes("-t", "served") == {}


def test_not_found_right_after_create_is_believed_only_after_retrying(tmp_path, monkeypatch):
    from provisioner.local import FaultRule
    from provisioner.workspace.client import WorkspaceAuth, connect

    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        client = connect(WorkspaceAuth(host=local.url, token="test"))
        handler = VectorSearchEndpointHandler()
        handler.create(client, {"name": "fresh", "endpoint_type": "STANDARD"})
        local.configure(fault_rules=(FaultRule(
            method="GET", path="/api/2.0/vector-search/endpoints/fresh", status=404,
            error_code="RESOURCE_DOES_NOT_EXIST", times=2),))
        live = handler.wait(client, {"name": "fresh"}, timeout=30, progress=lambda status: None)
        assert live.ready
        statuses = [r["status"] for r in local.request_log()
                    if r["path"] == "/api/2.0/vector-search/endpoints/fresh"]
        assert statuses[:2] == [404, 404] and 200 in statuses


@pytest.mark.parametrize("stack", ["embeddings", "external-chat", "sql-agent"])
def test_example_stacks_apply_offline_and_converge(harness, stack):
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "stacks" / stack / "stack.yaml"
    harness.write(source.read_text())
    harness.apply()
    harness.assert_converged()


def _reads(local, after: float) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in local.request_log()
            if r["time"] >= after and r["method"] == "GET"]


def test_a_first_plan_lists_instead_of_reading_what_cannot_exist(harness, tmp_path, monkeypatch):
    """No endpoint exists yet, so one list of endpoints says no index exists either: neither
    is read by name. Once applied, the resources the state knows are read by name again."""
    import time

    harness.write(EMBEDDINGS)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        started = time.time()
        planned = harness.changes("-t", "served")
        assert {c["action"] for c in planned.values()} == {"create"}
        reads = _reads(local, started)
        assert "GET /api/2.0/vector-search/endpoints" in reads
        assert not [r for r in reads if r.startswith("GET /api/2.0/vector-search/endpoints/vs")
                    or r.startswith("GET /api/2.0/vector-search/indexes/")], reads
        assert harness.cli("apply", str(harness.root), "-t", "served",
                           "--auto-approve").code == 0
        started = time.time()
        assert harness.changes("-t", "served") == {}
        reads = _reads(local, started)
        assert "GET /api/2.0/vector-search/indexes/main.rag.docs_index" in reads
        assert "GET /api/2.0/vector-search/endpoints/vs" in reads


def test_indexes_found_by_the_listing_are_read_and_adopted(harness, tmp_path, monkeypatch):
    """Listing must not hide what exists: with the state lost, two indexes on one endpoint
    are found by listing it, then read and adopted, not planned as creates that would fail."""
    import time

    second = EMBEDDINGS.split("  vector_search_indexes:\n")[1].split("targets:")[0].replace(
        "docs:", "faq:", 1).replace("docs_index", "faq_index")
    stack = EMBEDDINGS.replace("targets:", second + "targets:")
    harness.write(stack)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        assert harness.cli("apply", str(harness.root), "-t", "served",
                           "--auto-approve").code == 0
        for path in harness.state_dir.glob("*"):
            path.unlink()
        started = time.time()
        planned = harness.changes("-t", "served")
        assert "create" not in {c["action"] for c in planned.values()}, planned
        reads = _reads(local, started)
        assert "GET /api/2.0/vector-search/indexes" in reads
        assert "GET /api/2.0/vector-search/indexes/main.rag.faq_index" in reads


def test_waiting_on_a_stopped_endpoint_fails_at_once(tmp_path, monkeypatch):
    """A STOPPED endpoint never comes ONLINE by itself (SDK `EndpointStatusState`): the wait
    says so instead of running into its timeout."""
    from provisioner.errors import ApiError
    from provisioner.workspace.client import WorkspaceAuth, connect

    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        client = connect(WorkspaceAuth(host=local.url, token="test"))
        handler = VectorSearchEndpointHandler()
        handler.create(client, {"name": "paused", "endpoint_type": "STANDARD"})
        client.api_client.do("POST", "/api/2.0/vector-search/endpoints/paused/stop")
        with pytest.raises(ApiError, match="is STOPPED"):
            handler.wait(client, {"name": "paused"}, timeout=600, progress=lambda status: None)
