"""Secrets through the SDK: services/secrets.py (reference: secrets-workspace.md §1)."""

from __future__ import annotations

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist


def test_scopes_are_created_listed_and_deleted(w: WorkspaceClient) -> None:
    """secrets-workspace.md §1 and §4: `{}` when there are no scopes; a second create of a
    scope is RESOURCE_ALREADY_EXISTS; deleting a missing one is 404 "Scope x does not exist!"."""
    assert w.api_client.do("GET", "/api/2.0/secrets/scopes/list") == {}
    assert w.secrets.list_scopes() == []
    w.secrets.create_scope("llm-keys")
    with pytest.raises(ResourceAlreadyExists):
        w.secrets.create_scope("llm-keys")
    assert [(s.name, s.backend_type.value) for s in w.secrets.list_scopes()] == [
        ("llm-keys", "DATABRICKS")]
    w.secrets.delete_scope("llm-keys")
    with pytest.raises(ResourceDoesNotExist, match="Scope llm-keys does not exist!"):
        w.secrets.delete_scope("llm-keys")


def test_keys_are_put_listed_and_deleted_without_values(directory, w: WorkspaceClient) -> None:
    """secrets-workspace.md §1: list answers key metadata only (`{}` when empty), a missing
    scope is 404 RESOURCE_DOES_NOT_EXIST; values are never returned (nor kept)."""
    w.secrets.create_scope("llm-keys")
    assert w.api_client.do("GET", "/api/2.0/secrets/list", query={"scope": "llm-keys"}) == {}
    w.secrets.put_secret("llm-keys", "openai", string_value="sk-canary-7777")
    w.secrets.put_secret("llm-keys", "anthropic", bytes_value="c2stYW50")
    listed = w.api_client.do("GET", "/api/2.0/secrets/list", query={"scope": "llm-keys"})
    assert [s["key"] for s in listed["secrets"]] == ["anthropic", "openai"]
    assert all(s["last_updated_timestamp"] > 10**12 for s in listed["secrets"])
    assert "sk-canary-7777" not in str(listed)
    assert b"sk-canary-7777" not in b"".join(p.read_bytes() for p in directory.iterdir())
    w.secrets.delete_secret("llm-keys", "openai")
    assert [s.key for s in w.secrets.list_secrets("llm-keys")] == ["anthropic"]
    with pytest.raises(ResourceDoesNotExist):
        w.secrets.delete_secret("llm-keys", "openai")
    with pytest.raises(ResourceDoesNotExist, match="Scope nope does not exist!"):
        w.secrets.list_secrets("nope")
    w.secrets.delete_scope("llm-keys")
    w.secrets.create_scope("llm-keys")
    assert w.secrets.list_secrets("llm-keys") == []


def test_names_and_values_are_checked(w: WorkspaceClient) -> None:
    """secrets-workspace.md §1: scope and key names are alphanumerics, `-`, `_`, `.`, at most
    128 characters; one of string_value and bytes_value."""
    with pytest.raises(InvalidParameterValue):
        w.secrets.create_scope("bad/scope")
    w.secrets.create_scope("ok.scope_1")
    with pytest.raises(InvalidParameterValue):
        w.secrets.put_secret("ok.scope_1", "k" * 129, string_value="v")
    with pytest.raises(InvalidParameterValue):
        w.secrets.put_secret("ok.scope_1", "key", string_value="v", bytes_value="dg==")
    with pytest.raises(ResourceDoesNotExist):
        w.secrets.put_secret("nope", "key", string_value="v")
