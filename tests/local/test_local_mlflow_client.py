"""The MLflow deployments client against the local workspace (needs the `models` extra)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.models


def test_deploy_client_creates_and_reads_an_endpoint(workspace, secret_references,
                                                    monkeypatch) -> None:
    """serving-endpoints.md §9: `get_deploy_client("databricks")` speaks the same REST paths
    (create, get, list, update tags, delete) and reads `.endpoints` from the list."""
    deployments = pytest.importorskip("mlflow.deployments")
    secret_references("llm-keys/openai")
    monkeypatch.setenv("DATABRICKS_HOST", workspace.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", "x")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    client = deployments.get_deploy_client("databricks")
    created = client.create_endpoint(config={
        "name": "chat",
        "config": {"served_entities": [{"external_model": {
            "provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat",
            "openai_config": {"openai_api_key": "{{secrets/llm-keys/openai}}"}}}]},
    })
    assert created["name"] == "chat"
    assert client.get_endpoint("chat")["state"]["config_update"] in ("IN_PROGRESS",
                                                                      "NOT_UPDATING")
    assert "chat" in {e["name"] for e in client.list_endpoints()}
    client.update_endpoint_tags("chat", {"add_tags": [{"key": "team", "value": "search"}]})
    assert client.get_endpoint("chat")["tags"] == [{"key": "team", "value": "search"}]
    client.delete_endpoint("chat")
    assert "chat" not in {e["name"] for e in client.list_endpoints()}
