"""Foundation models a provisioned-throughput endpoint may serve (`system.ai.*`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.workspace.rest import get_or_none

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def foundation_model_exists(client: WorkspaceClient, name: str, version: str) -> bool:
    """Asked of the model-optimization API, which knows every servable system.ai model."""
    path = f"/api/2.0/serving-endpoints/get-model-optimization-info/{name}/{version}"
    return get_or_none(client, path) is not None
