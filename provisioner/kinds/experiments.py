"""MLflow experiments (Terraform's `databricks_mlflow_experiment`, the Databricks CLI's
`experiments` resource).

Found by name (`get-by-name`); tags are set and deleted one key at a time, as MLflow's API
takes them; the artifact location is fixed at creation (the CLI recreates on its change).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from provisioner.diff.rules import Immutable, KeyedList, Rules, ServerDefault
from provisioner.kinds.base import DriftSeverity, HandlerBase, Live, Progress
from provisioner.kinds.common import (
    PRINCIPALS,
    permissions_document,
    put_grants,
    read_grants,
    spec_permissions,
    tag_patch,
    tags_map,
)
from provisioner.kinds.waiting import read_after_create
from provisioner.workspace.api import experiments as api

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from provisioner.diff.three_way import FieldChange
    from provisioner.specs.experiments import ExperimentSpec

SERVICE_TAGS = frozenset({"mlflow.ownerId", "mlflow.ownerEmail", "mlflow.experimentType",
                          "mlflow.experiment.sourceName", "mlflow.experiment.sourceType",
                          "mlflow.experiment.sourceId"})
"""Tags the service adds to every experiment (the Databricks CLI's fake server adds them as
the real one does): they belong to the service, not to the stack."""

RULES = Rules((
    Immutable("name", reason="the stack finds the experiment by its name (a rename would "
                             "lose it)"),
    Immutable("artifact_location", reason="no API moves an experiment's artifacts"),
    ServerDefault("artifact_location", reason="the service picks a location when unset"),
    KeyedList("tags", keys=("key",), reason="tags are keyed"),
    KeyedList("permissions", keys=PRINCIPALS, reason="one entry per principal"),
))
SEVERITY = {
    "name": DriftSeverity.BREAKING,
    "artifact_location": DriftSeverity.BREAKING,
    "permissions": DriftSeverity.CONFIG,
    "tags": DriftSeverity.COSMETIC,
}


class ExperimentHandler(HandlerBase):
    kind: ClassVar[str] = "experiments"
    provides: ClassVar[str] = "experiment"
    rules: ClassVar[Rules] = RULES
    severity: ClassVar[dict[str, DriftSeverity]] = SEVERITY
    generates = True
    ready_timeout: ClassVar[float] = 60.0  # nothing to wait for but a fresh read

    def desired(self, spec: ExperimentSpec, digests: Mapping[str, str]) -> dict[str, Any]:
        document = spec.api_fields()
        if spec.permissions is not None:
            document["permissions"] = permissions_document(spec.permissions)
        return document

    def read(self, client: WorkspaceClient, name: str, desired: dict[str, Any] | None = None,
             *, fields: Collection[str] | None = None) -> Live | None:
        found = api.get_by_name(client, name)
        if found is None or found.get("lifecycle_stage") == "deleted":
            return None
        experiment_id = found["experiment_id"]
        document: dict[str, Any] = {
            "name": found["name"], "artifact_location": found.get("artifact_location"),
            "tags": [t for t in found.get("tags", []) if t["key"] not in SERVICE_TAGS]}
        if fields is None or "permissions" in fields:  # a second call: only when compared
            document["permissions"] = read_grants(client, api.get_permissions(
                client, experiment_id), desired)
        outputs = {"name": found["name"], "id": experiment_id,
                   "artifact_location": found.get("artifact_location")}
        return Live(name=found["name"], id=experiment_id, document=document, outputs=outputs)

    def existing(self, client: WorkspaceClient, names: Collection[str]) -> set[str]:
        return set(names) & set(self.list_names(client))

    def list_names(self, client: WorkspaceClient) -> list[str]:
        return [e["name"] for e in api.search(client)]

    def create(self, client: WorkspaceClient, desired: dict[str, Any]) -> None:
        experiment_id = api.create(client, {k: v for k, v in desired.items()
                                            if k != "permissions"})
        if "permissions" in desired:
            put_grants(client, api.set_permissions, experiment_id, desired["permissions"])

    def update(self, client: WorkspaceClient, live: Live, desired: dict[str, Any],
               changes: tuple[FieldChange, ...]) -> None:
        changed = {c.path[0] for c in changes}
        if "tags" in changed:
            add, remove = tag_patch(desired.get("tags", []), live.document.get("tags", []))
            for tag in add:
                api.set_tag(client, live.id, tag["key"], tag["value"] or "")
            for key in remove:
                api.delete_tag(client, live.id, key)
        if "permissions" in changed:
            put_grants(client, api.set_permissions, live.id, desired.get("permissions", []))

    def delete(self, client: WorkspaceClient, live: Live) -> None:
        api.delete(client, live.id)

    def wait(self, client: WorkspaceClient, desired: dict[str, Any], timeout: float,
             progress: Progress) -> Live:
        name = desired["name"]
        return read_after_create(lambda: self.read(client, name),
                                 what=f"experiment '{name}'", patience=timeout)

    def to_spec(self, live: Live) -> dict[str, Any]:
        spec = dict(live.document)
        if spec.get("tags"):
            spec["tags"] = tags_map(spec["tags"])
        else:
            spec.pop("tags", None)
        if "permissions" in spec:
            spec["permissions"] = spec_permissions(spec["permissions"])
        return spec
