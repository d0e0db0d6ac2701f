"""The machine-readable apply stream's schema (`schemas/events.schema.json`), as pydantic models.

`apply --format json` writes one JSON object per line, as Terraform's `-json` UI does
(`internal/command/views/json`): every line has a `type` and a `timestamp`; the first is
`plan` (what will be done), the last `summary` (what was done). Lines between them come
from concurrent workers in the order they happened; a resource's lines keep its own order
(`start`, `progress`…, then `done`, `failed` or `skipped`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

EVENTS_FORMAT_VERSION = 1
ActionName = Literal["no-op", "adopt", "create", "update", "replace", "delete"]


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timestamp: str = Field(description="When it happened: ISO 8601, UTC, milliseconds.")


class PlannedChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str
    action: ActionName


class PlanLine(_Line):
    """The plan being applied: first line of the stream."""

    type: Literal["plan"]
    format_version: Literal[1] = Field(description="Version of this stream's format.")
    operation: Literal["apply", "destroy", "refresh-only"]
    summary: dict[ActionName, int] = Field(description="Resources per action.")
    changes: list[PlannedChange] = Field(description="Every resource that changes.")


class StartLine(_Line):
    """A resource's change started."""

    type: Literal["start"]
    address: str
    action: ActionName


class ProgressLine(_Line):
    """A resource waits: for readiness, an update in flight, or a deletion to finish."""

    type: Literal["progress"]
    address: str
    status: str = Field(description="What the workspace says of it now, e.g. IN_PROGRESS.")


class DoneLine(_Line):
    type: Literal["done"]
    address: str
    action: ActionName
    elapsed: float = Field(description="Seconds from its start.")


class FailedLine(_Line):
    type: Literal["failed"]
    address: str
    action: ActionName
    error: str
    code: str = Field(description="The workspace's error code, when it gave one, "
                                  "e.g. RESOURCE_CONFLICT or TIMEOUT; else empty.")


class SkippedLine(_Line):
    """Not attempted: something it depends on failed."""

    type: Literal["skipped"]
    address: str
    action: ActionName
    because: str


class NoteLine(_Line):
    """Something worth telling that is no resource's progress."""

    type: Literal["note"]
    message: str


class SummaryLine(_Line):
    """The outcome: last line of the stream, also after an apply with nothing to do."""

    type: Literal["summary"]
    ok: bool = Field(description="Nothing failed and nothing was skipped.")
    done: int
    failed: int
    skipped: int


EventLine = Annotated[
    PlanLine | StartLine | ProgressLine | DoneLine | FailedLine | SkippedLine | NoteLine
    | SummaryLine,
    Field(discriminator="type")]
EVENT_LINE: TypeAdapter[Any] = TypeAdapter(EventLine)


def events_schema() -> dict[str, Any]:
    schema = EVENT_LINE.json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://provisioner.dev/schemas/events.schema.json",
            "title": "ApplyEvent",
            "description": "One line of `provisioner apply --format json`.", **schema}
