"""The drift report's schema (`schemas/drift.schema.json`), as pydantic models: what
`provisioner drift --format json` prints, for alerting."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from provisioner.kinds.base import DriftSeverity
from provisioner.plan.document import StateRef


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DriftedFieldDocument(_Document):
    path: str = Field(description="Field path; keyed list items as `[key=value]`.")
    before: Any = Field(description="The last-applied value; `(sensitive)` when masked.")
    after: Any = Field(description="The value in the workspace now; `(sensitive)` when "
                                   "masked.")
    severity: DriftSeverity


class FindingDocument(_Document):
    address: str
    type: str = Field(description="The kind, e.g. `serving_endpoints`.")
    name: str = Field(description="The resource's name in the workspace.")
    status: Literal["drifted", "deleted", "unmanaged"] = Field(
        description="`drifted`: fields changed outside the stack; `deleted`: gone from the "
                    "workspace; `unmanaged`: in the stack and the workspace, not in the state.")
    severity: DriftSeverity = Field(description="The worst of its fields' severities.")
    location: str | None = Field(description="`file:line` of the resource in the stack.")
    fields: list[DriftedFieldDocument]


class DriftSummary(_Document):
    checked: int = Field(description="Resources compared.")
    drifted: int
    deleted: int
    unmanaged: int
    by_severity: dict[DriftSeverity, int]
    worst: DriftSeverity | None = Field(description="The worst finding's severity; null "
                                                    "when there is no drift.")


class DriftDocument(_Document):
    """A drift report as `provisioner drift --format json` prints it."""

    format_version: Literal[1]
    stack: str
    stack_path: str
    target: str
    created: str
    state: StateRef
    summary: DriftSummary
    findings: list[FindingDocument]


def drift_schema() -> dict[str, Any]:
    schema = DriftDocument.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://provisioner.dev/schemas/drift.schema.json", **schema}
