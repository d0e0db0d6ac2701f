"""`serving_endpoints`: the endpoint's create shape, written at the top level."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from provisioner.specs.rollout import Rollout
from provisioner.specs.serving import (
    AutoCaptureConfig,
    EndpointSpec,
    ServedEntity,
    ServedModel,
    TrafficConfig,
)

CONFIG_FIELDS = ("served_entities", "served_models", "traffic_config", "auto_capture_config")
"""Fields the API nests under `config` (and updates with `PUT .../config`)."""


class ServingEndpointSpec(EndpointSpec):
    """A Model Serving endpoint: custom models, provisioned-throughput foundation models or
    external models."""

    KIND = "serving_endpoints"

    served_entities: list[ServedEntity] | None = Field(None, description="What the endpoint "
                                                                         "serves.")
    served_models: list[ServedModel] | None = Field(
        None, description="Deprecated: use served_entities."
    )
    traffic_config: TrafficConfig | None = Field(
        None, description="Traffic split between served entities."
    )
    auto_capture_config: AutoCaptureConfig | None = Field(
        None, description="Deprecated inference tables: use ai_gateway.inference_table_config."
    )

    rollout: Rollout | None = Field(
        None, description="Deliver a new served entity in traffic steps with health gates "
                          "(docs/rollouts.md); without it a config change moves all traffic "
                          "at once.")

    @model_validator(mode="before")
    @classmethod
    def _config_flattened(cls, data: Any) -> Any:
        if isinstance(data, dict) and "config" in data:
            raise ValueError(f"write the fields of config ({', '.join(CONFIG_FIELDS)}) at the "
                             "top level of the endpoint, without config")
        return data

    @model_validator(mode="after")
    def _entities(self) -> ServingEndpointSpec:
        if self.served_entities is not None and self.served_models is not None:
            raise ValueError("set served_entities or served_models, not both")
        entities = self.served_entities or self.served_models or []
        names = [e.name for e in entities if e.name is not None]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"served entity names must be unique: {', '.join(duplicates)}")
        tasks = {e.external_model.task for e in self.served_entities or () if e.external_model}
        if len(tasks) > 1:
            raise ValueError(f"external models of one endpoint share one task, not "
                             f"{', '.join(sorted(tasks))}")
        routes = self.traffic_config.routes if self.traffic_config else None
        if routes and len(names) == len(entities):  # unnamed entities get server-made names
            unknown = [r.target for r in routes if r.target not in names]
            if unknown:
                raise ValueError(f"traffic_config routes to unknown served entities "
                                 f"{', '.join(unknown)} (served: {', '.join(names)})")
        return self

    def to_serving_endpoint(self) -> ServingEndpointSpec:
        return self

    def serves_custom_model(self) -> bool:
        return bool(self.served_models) or any(
            e.entity_name for e in self.served_entities or ())

    def create_body(self) -> dict[str, Any]:
        """`POST /api/2.0/serving-endpoints`: top-level config fields nested under `config`."""
        body = self.api_fields()
        config = {f: body.pop(f) for f in CONFIG_FIELDS if f in body}
        return {"name": body.pop("name"), **({"config": config} if config else {}), **body}
