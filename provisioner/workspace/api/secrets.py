"""Secrets REST calls: metadata only, never values (reference: secrets-workspace.md §1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.workspace.rest import call

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def list_scopes(client: WorkspaceClient) -> list[str]:
    return [s["name"] for s in call(client, "GET", "/api/2.0/secrets/scopes/list")
            .get("scopes", [])]


def list_keys(client: WorkspaceClient, scope: str) -> list[str]:
    return [s["key"] for s in call(client, "GET", "/api/2.0/secrets/list",
                                   query={"scope": scope}).get("secrets", [])]


def create_scope(client: WorkspaceClient, scope: str) -> None:
    call(client, "POST", "/api/2.0/secrets/scopes/create", body={"scope": scope})


def put(client: WorkspaceClient, scope: str, key: str, value: str) -> None:
    call(client, "POST", "/api/2.0/secrets/put",
         body={"scope": scope, "key": key, "string_value": value})
