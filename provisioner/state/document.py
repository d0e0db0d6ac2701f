"""The state document's schema (`provisioner schema state`), as pydantic models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RolloutRoute(_Document):
    served_entity_name: str
    traffic_percentage: int


class RolloutProgress(_Document):
    entity: str = Field(description="The served entity being rolled out.")
    percentage: int = Field(description="The traffic step last sent to it.")
    previous_routes: list[RolloutRoute] = Field(
        description="The routes before the rollout: what a rollback puts back.")
    failed: str | None = Field(None, description="Why a gate failed; set before the "
                                                 "rollback is sent.")


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
    rollout: RolloutProgress | None = Field(
        None, description="A rollout under way: the next apply resumes it, or finishes its "
        "rollback when a gate had failed.")


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
