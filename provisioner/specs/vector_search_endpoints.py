"""`vector_search_endpoints`: the compute that hosts vector search indexes."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from provisioner.specs.base import Permission, ResourceSpec
from provisioner.specs.fields import ApiTags, EndpointName, tags_field

CREATE_FIELDS = ("name", "endpoint_type", "budget_policy_id", "target_qps", "usage_policy_id")
"""What `POST /api/2.0/vector-search/endpoints` takes; tags go through `PATCH .../tags`."""


class VectorSearchEndpointPermission(Permission):
    level: Literal["CAN_CREATE", "CAN_USE", "CAN_MANAGE"] = Field(
        description="CAN_USE, CAN_CREATE (indexes) or CAN_MANAGE."
    )


class VectorSearchEndpointSpec(ResourceSpec):
    """A vector search endpoint (STANDARD or STORAGE_OPTIMIZED)."""

    KIND = "vector_search_endpoints"
    ATTRIBUTES: ClassVar[dict[str, str]] = {
        "name": "The endpoint's name.",
        "id": "The endpoint's id (a UUID; indexes are bound to it).",
        "state": "endpoint_status.state, e.g. ONLINE.",
    }

    name: EndpointName | None = Field(
        None, description="Endpoint name, 1 to 63 letters, digits, '-' or '_'; defaults to the "
                          "key."
    )
    endpoint_type: Literal["STANDARD", "STORAGE_OPTIMIZED"] = Field(
        description="STANDARD or STORAGE_OPTIMIZED; fixed at creation."
    )
    budget_policy_id: str | None = Field(
        None, description="Budget policy (compared with what was applied, not the effective "
                          "policy)."
    )
    usage_policy_id: str | None = Field(None, description="Usage policy.")
    target_qps: int | None = Field(
        None, ge=1, description="Target queries per second; STANDARD endpoints only."
    )
    custom_tags: ApiTags | None = tags_field("Endpoint tags.")
    permissions: list[VectorSearchEndpointPermission] | None = Field(
        None, description="The endpoint's complete access list; omitted = not managed."
    )

    @model_validator(mode="after")
    def _qps_on_standard(self) -> VectorSearchEndpointSpec:
        if self.target_qps is not None and self.endpoint_type == "STORAGE_OPTIMIZED":
            raise ValueError("target_qps is for STANDARD endpoints, not STORAGE_OPTIMIZED")
        return self

    def create_body(self) -> dict[str, Any]:
        """`POST /api/2.0/vector-search/endpoints` body (custom_tags are patched after)."""
        body = self.api_fields()
        return {f: body[f] for f in CREATE_FIELDS if f in body}
