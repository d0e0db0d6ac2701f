"""What every resource spec shares: strictness, name, lifecycle, dependencies, permissions."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from provisioner.addresses import has_reference
from provisioner.errors import InternalError


class Spec(BaseModel):
    """Strict base: an unknown field is an error (with a did-you-mean from the loader)."""

    # `coerce_numbers_to_str`: YAML reads `version: 1` as a number where the API wants a string.
    # `hide_input_in_errors`: a plaintext key written in the wrong field must not reach a log.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False,
                              coerce_numbers_to_str=True, hide_input_in_errors=True)

    def to_api(self) -> dict[str, Any]:
        """The REST JSON shape: only fields the stack set, by their API names."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


class Lifecycle(Spec):
    """How the engine may treat this resource, beyond matching its fields."""

    prevent_destroy: bool = Field(
        False, description="Refuse any plan that would delete or replace this resource."
    )
    ignore_changes: list[str] = Field(
        default_factory=list,
        description="Field paths whose differences are never planned (e.g. `tags`, "
        "`served_entities[name=llm].workload_size`).",
    )


class Permission(Spec):
    """One access-control entry: exactly one principal and a permission level."""

    user_name: str | None = Field(None, description="A user's email address.")
    group_name: str | None = Field(None, description="A workspace or account group's name.")
    service_principal_name: str | None = Field(
        None, description="The service principal's application id."
    )
    level: str = Field(description="Permission level, e.g. CAN_QUERY, CAN_MANAGE.")

    @model_validator(mode="after")
    def _one_principal(self) -> Permission:
        named = [f for f in ("user_name", "group_name", "service_principal_name")
                 if getattr(self, f) is not None]
        if len(named) != 1:
            raise ValueError(
                "a permission names exactly one of user_name, group_name, service_principal_name"
            )
        return self

    @property
    def principal(self) -> tuple[str, str]:
        for field in ("user_name", "group_name", "service_principal_name"):
            value = getattr(self, field)
            if value is not None:
                return field, value
        raise AssertionError("validated to have one principal")


class ResourceSpec(Spec):
    """Fields every kind accepts besides its own.

    Subclasses set `KIND` (the YAML key under `resources:`) and `ATTRIBUTES` (what
    `${resources.<kind>.<key>.<attribute>}` may name, with a description for the docs).
    """

    KIND: ClassVar[str]
    ATTRIBUTES: ClassVar[dict[str, str]] = {"name": "The resource's name in the workspace."}
    NAME_DEFAULTS_TO_KEY: ClassVar[bool] = True
    """False for kinds whose name must be written (Unity Catalog three-part names)."""
    NAMESPACE: ClassVar[str | None] = None
    """Kinds whose resources share one set of names in the workspace say so with one
    namespace (every serving endpoint kind); by default a kind is its own."""

    name: str | None = Field(None, description="Name in the workspace; defaults to the key.")
    lifecycle: Lifecycle = Field(
        default_factory=Lifecycle, description="Protection and ignore rules for this resource."
    )
    depends_on: list[str] = Field(
        default_factory=list,
        description="Addresses (`<kind>.<key>`) that must be applied before this resource.",
    )

    def api_fields(self) -> dict[str, Any]:
        """`to_api()` without what only the engine reads: lifecycle, depends_on, rollout (how a
        change is delivered), permissions (they go through their own API). Create bodies
        start here, so a name is due."""
        body = self.to_api()
        if body.get("name") is None:
            raise InternalError(f"{type(self).__name__} has no name: call with_default_name()")
        for field in ("lifecycle", "depends_on", "permissions", "rollout"):
            body.pop(field, None)
        return body

    def with_default_name(self, key: str) -> ResourceSpec:
        """The name defaults to the resource's key."""
        return self if self.name is not None else self.model_copy(update={"name": key})


def skip_if_reference(value: Any) -> bool:
    """Format checks skip values that still hold `${...}`: they are checked once resolved."""
    return has_reference(value)


class StackPath:
    """Marks a string field as a path relative to the stack folder (`Annotated[str,
    StackPath()]`): the loader checks that the file exists and reports the field's line."""
