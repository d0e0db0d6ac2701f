"""SQL warehouses (databricks-sdk `WarehousesAPI`, Terraform's `databricks_sql_endpoint`).

The stack names a warehouse; the API addresses it by a generated id, so a read lists the
warehouses to find the id and then gets it. The edit call takes the create body and changes
only the fields it carries (the Databricks CLI's fake server documents this), so a field
dropped from the stack is sent as its server default.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from provisioner.diff.rules import Immutable, KeyedList, Rules, ServerDefault
from provisioner.kinds.base import DriftSeverity, HandlerBase, Live, Progress
from provisioner.kinds.common import (
    POLLED,
    PRINCIPALS,
    permissions_document,
    put_grants,
    read_grants,
    spec_permissions,
    tags_map,
)
from provisioner.kinds.waiting import wait_until_ready
from provisioner.workspace.api import sql_warehouses as api

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from provisioner.diff.three_way import FieldChange
    from provisioner.specs.sql_warehouses import SqlWarehouseSpec

SETTLED = ("RUNNING", "STOPPED")
"""A stopped warehouse is as configured: the next query starts it."""
GONE = ("DELETING", "DELETED")


def _default_type(warehouse: Mapping[str, Any]) -> str:
    return "PRO" if warehouse.get("enable_serverless_compute") else "CLASSIC"


# Defaults: the SDK's GetWarehouseResponse docstrings and Terraform's sql_endpoint schema
# (auto_stop_mins 120, enable_photon true, spot COST_OPTIMIZED, channel CHANNEL_NAME_CURRENT).
RULES = Rules((
    Immutable("name", reason="the stack finds the warehouse by its name (the API renames "
                             "in place, but the renamed warehouse would no longer be found)"),
    ServerDefault("auto_stop_mins", values=(120,), reason="the service stops idle warehouses "
                                                          "after 120 minutes by default"),
    ServerDefault("min_num_clusters", values=(1,), reason="defaults to 1"),
    ServerDefault("max_num_clusters", compute=lambda w: w.get("min_num_clusters", 1),
                  reason="defaults to min_num_clusters"),
    ServerDefault("enable_photon", values=(True,), reason="Photon is on by default"),
    ServerDefault("enable_serverless_compute", values=(False,),
                  reason="classic compute unless asked"),
    ServerDefault("warehouse_type", compute=_default_type,
                  reason="CLASSIC by default, PRO for serverless warehouses"),
    ServerDefault("spot_instance_policy", values=("COST_OPTIMIZED",),
                  reason="the service's default policy"),
    ServerDefault("channel.name", values=("CHANNEL_NAME_CURRENT",),
                  reason="the current channel by default"),
    ServerDefault("channel", values=({"name": "CHANNEL_NAME_CURRENT"},),
                  reason="the current channel by default"),
    ServerDefault("tags", values=({},), reason="no tags unless set"),
    KeyedList("tags.custom_tags", keys=("key",), reason="tags are keyed"),
    KeyedList("permissions", keys=PRINCIPALS, reason="one entry per principal"),
))
SEVERITY = {
    "name": DriftSeverity.BREAKING,
    "cluster_size": DriftSeverity.CONFIG,
    "enable_serverless_compute": DriftSeverity.CONFIG,
    "warehouse_type": DriftSeverity.CONFIG,
    "permissions": DriftSeverity.BREAKING,  # the app's principal may lose CAN_USE
    "tags": DriftSeverity.COSMETIC,
}
_FIELDS = ("name", "cluster_size", "min_num_clusters", "max_num_clusters", "auto_stop_mins",
           "enable_photon", "enable_serverless_compute", "warehouse_type",
           "spot_instance_policy", "channel", "tags")
"""What GET returns as it was set (the rest is the warehouse's status)."""


class SqlWarehouseHandler(HandlerBase):
    kind: ClassVar[str] = "sql_warehouses"
    provides: ClassVar[str] = "sql_warehouse"
    rules: ClassVar[Rules] = RULES
    severity: ClassVar[dict[str, DriftSeverity]] = SEVERITY
    generates = True
    ready_timeout: ClassVar[float] = 30 * 60.0  # Terraform's create timeout; the SDK waits 20

    def desired(self, spec: SqlWarehouseSpec, digests: Mapping[str, str]) -> dict[str, Any]:
        document = spec.create_body()
        if spec.permissions is not None:
            document["permissions"] = permissions_document(spec.permissions)
        return document

    def read(self, client: WorkspaceClient, name: str, desired: dict[str, Any] | None = None,
             *, fields: Collection[str] | None = None) -> Live | None:
        listed = next((w for w in api.list_warehouses(client) if w.get("name") == name), None)
        found = listed and api.get_warehouse(client, listed["id"])
        if not found:
            return None
        document = {f: found[f] for f in _FIELDS if f in found}
        document["tags"] = found.get("tags") or {}
        if fields is None or "permissions" in fields:  # a second call: only when compared
            document["permissions"] = read_grants(client, api.get_permissions(
                client, found["id"]), desired)
        state = found.get("state", "")
        odbc = found.get("odbc_params") or {}
        outputs = {"name": found["name"], "id": found["id"], "state": state,
                   "http_path": odbc.get("path"), "jdbc_url": found.get("jdbc_url")}
        return Live(name=found["name"], id=found["id"], document=document, outputs=outputs,
                    ready=state in SETTLED, status=state)

    def existing(self, client: WorkspaceClient, names: Collection[str]) -> set[str]:
        return set(names) & set(self.list_names(client))

    def list_names(self, client: WorkspaceClient) -> list[str]:
        return [w["name"] for w in api.list_warehouses(client)]

    def create(self, client: WorkspaceClient, desired: dict[str, Any]) -> None:
        created = api.create_warehouse(client, _body(desired))
        if "permissions" in desired:
            put_grants(client, api.set_permissions, created["id"], desired["permissions"],
                       owned=True)

    def update(self, client: WorkspaceClient, live: Live, desired: dict[str, Any],
               changes: tuple[FieldChange, ...]) -> None:
        changed = {c.path[0] for c in changes}
        if changed - {"permissions"}:
            body = _body(desired)
            for field in sorted(changed - set(body) - {"permissions"}):  # dropped: reset
                body[field] = RULES.default_at((field,)).default({**live.document, **body})
            api.edit_warehouse(client, live.id, body)
        if "permissions" in changed:
            put_grants(client, api.set_permissions, live.id, desired.get("permissions", []),
                       owned=True)

    def delete(self, client: WorkspaceClient, live: Live) -> None:
        api.delete_warehouse(client, live.id)

    def wait(self, client: WorkspaceClient, desired: dict[str, Any], timeout: float,
             progress: Progress) -> Live:
        name = desired["name"]
        return wait_until_ready(lambda: self.read(client, name, fields=POLLED),
                                what=f"SQL warehouse '{name}'",
                                failed=lambda status: status in GONE, timeout=timeout,
                                progress=progress)

    def to_spec(self, live: Live) -> dict[str, Any]:
        spec = dict(live.document)
        custom = (spec.get("tags") or {}).get("custom_tags")
        if custom:
            spec["tags"] = {"custom_tags": tags_map(custom)}
        if "permissions" in spec:
            spec["permissions"] = spec_permissions(spec["permissions"])
        return spec


def _body(desired: dict[str, Any]) -> dict[str, Any]:
    """The create/edit request: the document without what goes through other APIs."""
    return {k: v for k, v in desired.items() if k != "permissions"}
