"""Workspace files REST calls, for remote state (reference: secrets-workspace.md §2)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from provisioner.workspace.rest import call, get_or_none

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def mkdirs(client: WorkspaceClient, path: str) -> None:
    call(client, "POST", "/api/2.0/workspace/mkdirs", body={"path": path})


def write(client: WorkspaceClient, path: str, data: bytes, *, overwrite: bool) -> None:
    """JSON import with base64 content: retried by the SDK, unlike multipart `upload()`."""
    call(client, "POST", "/api/2.0/workspace/import", body={
        "path": path, "content": base64.b64encode(data).decode(), "format": "AUTO",
        "overwrite": overwrite})


def read(client: WorkspaceClient, path: str) -> bytes | None:
    found = get_or_none(client, "/api/2.0/workspace/export",
                        query={"path": path, "format": "AUTO"})
    return None if found is None else base64.b64decode(found.get("content", ""))


def delete(client: WorkspaceClient, path: str) -> None:
    call(client, "POST", "/api/2.0/workspace/delete", body={"path": path, "recursive": False})
