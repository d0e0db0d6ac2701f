"""The state document's schema (`provisioner schema state`), as pydantic models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResourceStateDocument(_Document):
    kind: str
    name: str
    id: str | None
    status: Literal["creating", "ready", "failed"] = Field(
        "ready", description="creating: acknowledged by the workspace, not yet ready (the next "
        "apply resumes the wait); failed: never became ready (the next apply replaces it).")
    last_applied: dict[str, Any] = Field(
        description="The desired document last applied; sensitive values as sha256 hashes.")
    outputs: dict[str, Any] = Field(description="Attributes references may read.")
    depends_on: list[str]
    prevent_destroy: bool
    bound_to: dict[str, str] = Field(
        default_factory=dict, description="Address -> id of each resource this one was made "
        "on (referenced in a field only a re-creation changes): re-created when that one is.")


class StateDocument(_Document):
    format_version: Literal[1]
    stack: str
    target: str
    lineage: str = Field(description="Identity of this state; empty until first written.")
    serial: int = Field(description="Bumped on every write.")
    resources: dict[str, ResourceStateDocument]


def state_schema() -> dict[str, Any]:
    schema = StateDocument.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://provisioner.dev/schemas/state.schema.json", **schema}
