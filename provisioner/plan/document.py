"""The saved/printed plan document's schema (`schemas/plan.schema.json`), as pydantic models.

`resource_changes` is shaped like Terraform's JSON plan (address, type, name,
`change.actions`, before, after) so policy tools that read Terraform plans can read ours.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ActionName = Literal["no-op", "adopt", "create", "update", "replace", "delete"]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldChangeDocument(_Document):
    path: str = Field(description="Field path; keyed list items as `[key=value]`.")
    before: Any = Field(description="Live value (or last-applied for input-only fields).")
    after: Any = Field(description="Desired value; `(sensitive)` when masked, "
                                   "`(known after apply)` when unknown.")
    reason: str = Field(description="Why this field changes, citing the API behaviour.")
    forces_replace: bool


class Change(_Document):
    actions: list[Literal["no-op", "create", "update", "delete"]] = Field(
        description="Terraform's spelling: a replace is [\"delete\", \"create\"].")
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ResourceChangeDocument(_Document):
    address: str
    type: str = Field(description="The kind, e.g. `external_models`.")
    name: str = Field(description="The resource's name in the workspace.")
    action: ActionName
    reason: str
    change: Change
    fields: list[FieldChangeDocument]
    replace_fields: list[str] = Field(description="Fields whose change forces the replace.")
    fingerprint: str | None = Field(description="Hash of the live read this plan saw.")
    desired_hash: str | None = Field(description="Hash of the desired document.")
    location: str | None = Field(description="`file:line` of the resource in the stack.")
    depends_on: list[str]
    notes: list[str] = Field(description="Impact notes for reviewers.")
    drift: list[FieldChangeDocument] = Field(
        description="Fields whose live value moved from the last-applied one.")
    desired: dict[str, Any] | None = Field(
        description="What apply makes live: the desired document as planned, `${...}` "
        "references unresolved, sensitive values as `sha256:` hashes; null for a delete.")
    ignore_changes: list[str] = Field(
        description="The resource's `lifecycle.ignore_changes`, which apply honours too.")
    prevent_destroy: bool = Field(description="The resource's `lifecycle.prevent_destroy`.")

    previous_address: str | None = Field(
        None, description="The address the state knew this resource by, when it moves "
        "(a renamed key or a `moved:` block), as in Terraform's JSON plan.")
    live_id: str | None = Field(
        None, description="The workspace id the plan saw; apply refuses to change or delete "
        "an object whose id is no longer this one.")

class StackOriginDocument(_Document):
    """Which stack and target the plan was made from: apply opens them from any folder."""

    name: str
    path: str = Field(description="The stack folder, absolute.")
    digest: str = Field(description="`sha256:` hash of what the stack's files said.")
    target: str
    workspace: dict[str, str | None] | None = Field(
        description="The target's `workspace:` (profile, host, auth_type), if it has one.")
    state: str = Field(description="The target's state backend: `local` or `workspace:/path`.")
    variables: dict[str, Any] = Field(
        description="The variable values planned with; one that feeds a sensitive value is "
        "held as its `sha256:` hash, and applying takes it from --var or the environment.")


class StateRef(_Document):
    lineage: str
    serial: int


class DiagnosticDocument(_Document):
    severity: Literal["error", "warning"]
    summary: str
    hint: str | None
    file: str | None
    line: int | None
    column: int | None
    path: str | None


class PlanDocument(_Document):
    """A plan as `plan --format json` prints it and `plan --out` saves it."""

    format_version: Literal[2]
    stack: str
    stack_path: str = Field(description="The stack folder, absolute.")
    target: str
    origin: StackOriginDocument
    operation: Literal["apply", "destroy", "refresh-only"] = Field(
        description="`refresh-only`: every action is no-op; applying records in the state "
        "what each resource's `drift` says moved outside, and forgets resources gone.")
    state: StateRef
    created: str
    summary: dict[ActionName, int]
    resource_changes: list[ResourceChangeDocument]
    placeholder_secrets: list[str] = Field(
        description="`scope/key` of secrets the embedded local workspace lacks: apply "
        "creates them with placeholder values.")
    diagnostics: list[DiagnosticDocument]


def plan_schema() -> dict[str, Any]:
    schema = PlanDocument.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://provisioner.dev/schemas/plan.schema.json", **schema}
