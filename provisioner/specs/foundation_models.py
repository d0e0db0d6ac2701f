"""`foundation_models`: a foundation model in provisioned throughput, in a few lines.

Pay-per-token `databricks-*` endpoints exist in every workspace: stacks reference them by
name (e.g. `embedding_model_endpoint_name: databricks-bge-large-en`), never create them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from provisioner.specs.base import Spec, skip_if_reference
from provisioner.specs.fields import ServedEntityName, UcName
from provisioner.specs.serving import PT_SCALE_TO_ZERO, EndpointSpec
from provisioner.specs.serving_endpoints import ServingEndpointSpec

PAY_PER_TOKEN_PREFIX = "databricks-"


class Throughput(Spec):
    """Provisioned throughput range, in tokens per second."""

    min: int = Field(ge=0, description="Floor, tokens per second (0 scales to zero).")
    max: int = Field(ge=0, description="Ceiling, tokens per second.")

    @model_validator(mode="after")
    def _ordered(self) -> Throughput:
        if self.min > self.max:
            raise ValueError(f"throughput min ({self.min}) is above max ({self.max})")
        return self


class FoundationModelSpec(EndpointSpec):
    """An endpoint serving a `system.ai.*` (or fine-tuned) model in provisioned throughput;
    compiles to a serving endpoint."""

    KIND = "foundation_models"

    model: UcName = Field(
        description="The model: `system.ai.<model>` or a Unity Catalog `catalog.schema.model`."
    )
    version: str = Field(description="Model version, a string.")
    throughput: Throughput | None = Field(
        None, description="Tokens per second {min, max}; use multiples of the model's "
                          "throughput chunk size. Or provisioned_model_units."
    )
    provisioned_model_units: int | None = Field(
        None, ge=1, description="Model units, for models provisioned by units; instead of "
                                "throughput."
    )
    burst_scaling_enabled: bool | None = Field(
        None, description="Scale beyond provisioned_model_units on spikes (default on)."
    )
    scale_to_zero_enabled: bool | None = Field(None, description="Scale down to zero when idle.")
    served_entity_name: ServedEntityName | None = Field(
        None, description="Name of the served entity; `<model>-<version>` style when omitted."
    )

    @field_validator("name")
    @classmethod
    def _not_pay_per_token(cls, value: str | None) -> str | None:
        if value is not None and not skip_if_reference(value) and value.startswith(
                PAY_PER_TOKEN_PREFIX):
            raise ValueError(
                f"'{PAY_PER_TOKEN_PREFIX}*' endpoints are the pay-per-token endpoints every "
                "workspace has: reference them by name, they are never created"
            )
        return value

    @model_validator(mode="after")
    def _one_capacity(self) -> FoundationModelSpec:
        if (self.throughput is None) == (self.provisioned_model_units is None):
            raise ValueError("set throughput {min, max} or provisioned_model_units (one of them)")
        if self.scale_to_zero_enabled:
            raise ValueError(PT_SCALE_TO_ZERO)
        return self

    def serves_custom_model(self) -> bool:
        return True  # a system.ai model in provisioned throughput is served like a UC model

    def to_serving_endpoint(self) -> ServingEndpointSpec:
        entity: dict[str, Any] = {"entity_name": self.model, "entity_version": self.version}
        if self.throughput is not None:
            entity["min_provisioned_throughput"] = self.throughput.min
            entity["max_provisioned_throughput"] = self.throughput.max
        extra = {"provisioned_model_units": self.provisioned_model_units,
                 "burst_scaling_enabled": self.burst_scaling_enabled,
                 "scale_to_zero_enabled": self.scale_to_zero_enabled,
                 "name": self.served_entity_name}
        entity.update({k: v for k, v in extra.items() if v is not None})
        return ServingEndpointSpec.model_validate(
            {**self.endpoint_fields(), "served_entities": [entity]}
        )
