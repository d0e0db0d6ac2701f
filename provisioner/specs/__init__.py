"""Kind -> spec class: one pydantic model per YAML key under `resources:`."""

from __future__ import annotations

from provisioner.specs.base import ResourceSpec
from provisioner.specs.experiments import ExperimentSpec
from provisioner.specs.external_models import ExternalModelSpec
from provisioner.specs.foundation_models import FoundationModelSpec
from provisioner.specs.registered_models import RegisteredModelSpec
from provisioner.specs.serving_endpoints import ServingEndpointSpec
from provisioner.specs.sql_warehouses import SqlWarehouseSpec
from provisioner.specs.vector_search_endpoints import VectorSearchEndpointSpec
from provisioner.specs.vector_search_indexes import VectorSearchIndexSpec

SPECS: dict[str, type[ResourceSpec]] = {
    spec.KIND: spec
    for spec in (
        ServingEndpointSpec,
        ExternalModelSpec,
        FoundationModelSpec,
        VectorSearchEndpointSpec,
        VectorSearchIndexSpec,
        RegisteredModelSpec,
        SqlWarehouseSpec,
        ExperimentSpec,
    )
}


def spec_for(kind: str) -> type[ResourceSpec]:
    """The spec class of `kind`; KeyError names the known kinds."""
    try:
        return SPECS[kind]
    except KeyError:
        raise KeyError(f"unknown kind '{kind}' (kinds: {', '.join(SPECS)})") from None


__all__ = ["SPECS", "spec_for"]
