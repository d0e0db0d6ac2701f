"""`experiments`: an MLflow experiment in the workspace, where runs and traces are logged
(`POST /api/2.0/mlflow/experiments/create`; Terraform's `databricks_mlflow_experiment`).
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from provisioner.specs.base import Permission, ResourceSpec, skip_if_reference
from provisioner.specs.fields import ApiTags, tags_field

_PATH = re.compile(r"(/[^/\x00-\x1f]+)+")


def _workspace_path(value: str) -> str:
    if skip_if_reference(value) or _PATH.fullmatch(value):
        return value
    raise ValueError("must be an absolute workspace path such as /Users/<you>/<name> or "
                     "/Shared/<name> (Databricks experiment names are paths)")


class ExperimentPermission(Permission):
    level: Literal["CAN_READ", "CAN_EDIT", "CAN_MANAGE"] = Field(
        description="CAN_READ, CAN_EDIT (log runs) or CAN_MANAGE."
    )


class ExperimentSpec(ResourceSpec):
    """An MLflow experiment named by its workspace path."""

    KIND = "experiments"
    NAME_DEFAULTS_TO_KEY = False
    ATTRIBUTES: ClassVar[dict[str, str]] = {
        "name": "The experiment's workspace path (what `mlflow.set_experiment` takes).",
        "id": "The experiment id.",
        "artifact_location": "Where its runs' artifacts go, e.g. "
                             "dbfs:/databricks/mlflow-tracking/<id>.",
    }

    name: Annotated[str, AfterValidator(_workspace_path)] = Field(
        description="The experiment's absolute workspace path, e.g. /Shared/chains/traces; "
                    "its folder must exist."
    )
    artifact_location: str | None = Field(
        None, description="Where artifacts are stored; fixed at creation; the service "
                          "chooses one when unset."
    )
    tags: ApiTags | None = tags_field("Experiment tags (`mlflow.note.content` is its "
                                      "description); the tags the service sets itself, "
                                      "such as `mlflow.ownerEmail`, are not managed here.")
    permissions: list[ExperimentPermission] | None = Field(
        None, description="The experiment's complete access list; omitted = not managed."
    )
