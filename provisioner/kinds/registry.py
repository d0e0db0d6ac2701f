"""Kind -> handler: the one list the engine consults (kept equal to `specs.SPECS` by a test)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.kinds.base import Handler, Requirement
from provisioner.kinds.experiments import ExperimentHandler
from provisioner.kinds.registered_models import RegisteredModelHandler
from provisioner.kinds.serving_endpoints import ServingEndpointHandler
from provisioner.kinds.sql_warehouses import SqlWarehouseHandler
from provisioner.kinds.vector_search_endpoints import VectorSearchEndpointHandler
from provisioner.kinds.vector_search_indexes import VectorSearchIndexHandler

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

HANDLERS: dict[str, Handler] = {
    "serving_endpoints": ServingEndpointHandler("serving_endpoints"),
    "external_models": ServingEndpointHandler("external_models"),
    "foundation_models": ServingEndpointHandler("foundation_models"),
    "vector_search_endpoints": VectorSearchEndpointHandler(),
    "vector_search_indexes": VectorSearchIndexHandler(),
    "registered_models": RegisteredModelHandler(),
    "sql_warehouses": SqlWarehouseHandler(),
    "experiments": ExperimentHandler(),
}


def handler_for(kind: str) -> Handler:
    return HANDLERS[kind]


def all_kinds() -> list[str]:
    return list(HANDLERS)


def exists(client: WorkspaceClient, requirement: Requirement) -> bool:
    """Whether a requirement is met in the workspace, asked of the kind that provides it."""
    from provisioner.workspace import registry
    from provisioner.workspace.api import model_versions

    if requirement.kind == "model_version":
        name, _, version = requirement.name.rpartition("/")
        if name.startswith("system.ai."):
            info = model_versions.optimization_info(client, name, version)
            chunk = (info or {}).get("throughput_chunk_size")
            return info is not None and not (chunk and any(
                v % chunk for v in requirement.expect.get("throughput_multiples", ())))
        return registry.version_exists(client, name, version)
    provider = next(h for h in HANDLERS.values() if h.provides == requirement.kind)
    live = provider.read(client, requirement.name)
    return live is not None and all(live.facts.get(k) == v
                                    for k, v in requirement.expect.items())
