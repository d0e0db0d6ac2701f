"""Does a served model version exist? `system.ai` foundation models are asked of the
model-optimization API; Unity Catalog models of the UC model-versions API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.workspace.rest import get_or_none

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def exists(client: WorkspaceClient, name: str, version: str) -> bool:
    if name.startswith("system.ai."):
        path = f"/api/2.0/serving-endpoints/get-model-optimization-info/{name}/{version}"
    else:
        path = f"/api/2.1/unity-catalog/models/{name}/versions/{version}"
    return get_or_none(client, path) is not None
