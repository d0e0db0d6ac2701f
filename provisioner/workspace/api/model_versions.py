"""Foundation models a provisioned-throughput endpoint may serve (`system.ai.*`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provisioner.workspace.rest import get_or_none

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def optimization_info(client: WorkspaceClient, name: str, version: str
                      ) -> dict[str, Any] | None:
    """`{optimizable, throughput_chunk_size}` of a servable system.ai model, None for one the
    model-optimization API does not know (reference serving-endpoints.md §1, §7)."""
    path = f"/api/2.0/serving-endpoints/get-model-optimization-info/{name}/{version}"
    return get_or_none(client, path)
