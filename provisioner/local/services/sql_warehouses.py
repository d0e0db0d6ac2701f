"""SQL warehouses: create, get, list, edit, start, stop, delete (`/api/2.0/sql/warehouses`).

State is time-based, like every other service here: a start (create, start, or an edit of a
running warehouse, which restarts it) stores `ready_at`; until then the warehouse is
STARTING, then RUNNING until `stop` or `auto_stop_mins` of idleness after its last
activity (a statement run on it counts), then STOPPED. Defaults are those the SDK's
`GetWarehouseResponse` docstrings and Terraform's `databricks_sql_endpoint` state.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services.common import PERMISSIONS, one_of, permissions_key, require
from provisioner.local.store import Tx

routes = Routes()

KIND = "sql_warehouse"
BASE = "/api/2.0/sql/warehouses"
HTTP_PATH = "/sql/1.0/warehouses/"
CLUSTER_SIZES = ("2X-Small", "X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large",
                 "3X-Large", "4X-Large", "5X-Large")
CHANNELS = ("CHANNEL_NAME_CURRENT", "CHANNEL_NAME_PREVIEW", "CHANNEL_NAME_PREVIOUS",
            "CHANNEL_NAME_CUSTOM")
SPOT_POLICIES = ("COST_OPTIMIZED", "RELIABILITY_OPTIMIZED", "POLICY_UNSPECIFIED")
DEFAULTS = {"auto_stop_mins": 120, "min_num_clusters": 1, "enable_photon": True,
            "enable_serverless_compute": False, "spot_instance_policy": "COST_OPTIMIZED",
            "channel": {"name": "CHANNEL_NAME_CURRENT"}}
SETTABLE = ("name", "cluster_size", "min_num_clusters", "max_num_clusters", "auto_stop_mins",
            "enable_photon", "enable_serverless_compute", "warehouse_type",
            "spot_instance_policy", "channel", "tags")


def get_warehouse(tx: Tx, warehouse_id: str) -> dict[str, Any]:
    record = tx.get(KIND, warehouse_id)
    if record is None:
        raise ApiError.not_found(f"SQL warehouse {warehouse_id} does not exist.")
    return record


def state(record: dict[str, Any], now: float) -> str:
    if record.get("stopped"):
        return "STOPPED"
    if now < record["ready_at"]:
        return "STARTING"
    idle = record["auto_stop_mins"] * 60
    if idle and now >= max(record["ready_at"], record["active_at"]) + idle:
        return "STOPPED"
    return "RUNNING"


def start(record: dict[str, Any], ctx: Context) -> None:
    """Start (or restart) the warehouse: STARTING until the configured delay has passed."""
    record["stopped"] = False
    record["ready_at"] = record["active_at"] = ctx.now + ctx.settings.sql_warehouse_start_seconds


def touch(tx: Tx, record: dict[str, Any], ctx: Context) -> None:
    """A statement ran: a stopped warehouse starts (as the real one does), an idle one
    stays up for another `auto_stop_mins`."""
    if state(record, ctx.now) == "STOPPED":
        start(record, ctx)
    else:
        record["active_at"] = ctx.now
    _save(tx, record)


@routes.post(BASE)
def create(ctx: Context, req: Request) -> dict:
    body = {k: v for k, v in req.json().items() if k in SETTABLE}
    record = {"id": secrets.token_hex(8), "creator_name": ctx.settings.user}
    record.update(_checked({**DEFAULTS, **body}))
    record.setdefault("name", record["id"])  # as the Databricks CLI's fake server does
    start(record, ctx)
    with ctx.store.write() as tx:
        _check_unique(tx, record)
        _save(tx, record)
    return {"id": record["id"]}


@routes.get(BASE)
def list_warehouses(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        records = tx.list(KIND)
    return {"warehouses": [_view(r, ctx) for r in sorted(records, key=lambda r: r["name"])]}


@routes.get(BASE + "/{id}")
def get(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        return _view(get_warehouse(tx, req.params["id"]), ctx)


@routes.post(BASE + "/{id}/edit")
def edit(ctx: Context, req: Request) -> dict:
    """Changes only the fields the body carries; a running warehouse restarts."""
    body = {k: v for k, v in req.json().items() if k in SETTABLE}
    with ctx.store.write() as tx:
        record = get_warehouse(tx, req.params["id"])
        running = state(record, ctx.now) != "STOPPED"
        settable = {k: record[k] for k in SETTABLE if k in record}
        record.update(_checked({**settable, **body}))
        _check_unique(tx, record)
        if running:
            start(record, ctx)
        _save(tx, record)
    return {}


@routes.post(BASE + "/{id}/start")
def start_warehouse(ctx: Context, req: Request) -> dict:
    """A stopped warehouse starts; a running or starting one is left as it is."""
    return _switch(ctx, req.params["id"], running=True)


@routes.post(BASE + "/{id}/stop")
def stop_warehouse(ctx: Context, req: Request) -> dict:
    return _switch(ctx, req.params["id"], running=False)


def _switch(ctx: Context, warehouse_id: str, *, running: bool) -> dict:
    with ctx.store.write() as tx:
        record = get_warehouse(tx, warehouse_id)
        if not running:
            record["stopped"] = True
        elif state(record, ctx.now) == "STOPPED":
            start(record, ctx)
        _save(tx, record)
    return {}


@routes.delete(BASE + "/{id}")
def delete(ctx: Context, req: Request) -> dict:
    with ctx.store.write() as tx:
        record = get_warehouse(tx, req.params["id"])
        tx.delete(KIND, record["id"])
        tx.delete(PERMISSIONS, permissions_key("warehouses", record["id"]))
    return {}


def _save(tx: Tx, record: dict[str, Any]) -> None:
    """Keyed and referenced by id: the permissions service finds objects by their `ref`."""
    tx.put(KIND, record["id"], record, ref=record["id"])


def _checked(warehouse: dict[str, Any]) -> dict[str, Any]:
    """The warehouse as the service keeps it, or the error it answers."""
    name = warehouse.get("name")
    if name is not None and not (isinstance(name, str) and 0 < len(name) < 100):
        raise ApiError.invalid("name must be a string of 1 to 99 characters.")
    one_of(require(warehouse, "cluster_size"), "cluster_size", CLUSTER_SIZES)
    low = _int(warehouse, "min_num_clusters", 1, 30)
    warehouse.setdefault("max_num_clusters", low)
    if _int(warehouse, "max_num_clusters", 1, 40) < low:
        raise ApiError.invalid("max_num_clusters must be >= min_num_clusters.")
    serverless = warehouse["enable_serverless_compute"] is True
    warehouse.setdefault("warehouse_type", "PRO" if serverless else "CLASSIC")
    one_of(warehouse["warehouse_type"], "warehouse_type", ("PRO", "CLASSIC"))
    if serverless and warehouse["warehouse_type"] != "PRO":
        raise ApiError.invalid("Serverless compute requires warehouse_type PRO.")
    stop = _int(warehouse, "auto_stop_mins", 0, 10**6)
    if 0 < stop < 10 and not serverless:
        raise ApiError.invalid("auto_stop_mins must be 0 or >= 10 for non-serverless "
                               "warehouses.")
    one_of(warehouse["spot_instance_policy"], "spot_instance_policy", SPOT_POLICIES)
    channel = warehouse["channel"] or {}
    one_of(channel.get("name", "CHANNEL_NAME_CURRENT"), "channel.name", CHANNELS)
    if (channel.get("name") == "CHANNEL_NAME_CUSTOM") != bool(channel.get("dbsql_version")):
        raise ApiError.invalid("channel.dbsql_version is set with CHANNEL_NAME_CUSTOM only.")
    warehouse["channel"] = {"name": "CHANNEL_NAME_CURRENT", **channel}
    for tag in (warehouse.get("tags") or {}).get("custom_tags") or []:
        require(tag, "key")
    return warehouse


def _int(warehouse: dict[str, Any], field: str, low: int, high: int) -> int:
    value = warehouse[field]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ApiError.invalid(f"Invalid {field} {value!r}: expected {low} to {high}.")
    return value


def _check_unique(tx: Tx, record: dict[str, Any]) -> None:
    taken = [r for r in tx.list(KIND) if r["name"] == record["name"] and r["id"] != record["id"]]
    if taken:
        raise ApiError.already_exists(
            f"SQL warehouse with name {record['name']!r} already exists.", status=400)


def _view(record: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """`GetWarehouseResponse`: the settings, the state, and how clients connect."""
    out = {k: record[k] for k in ("id", *SETTABLE, "creator_name") if k in record}
    if not (out.get("tags") or {}).get("custom_tags"):
        out.pop("tags", None)
    now_state = state(record, ctx.now)
    url = urlsplit(ctx.base_url)
    secure = url.scheme == "https"
    port = url.port or (443 if secure else 80)
    path = HTTP_PATH + record["id"]
    out.update({
        "state": now_state,
        "num_clusters": record["min_num_clusters"] if now_state == "RUNNING" else 0,
        "num_active_sessions": 0,
        "odbc_params": {"hostname": url.hostname, "path": path, "port": port,
                        "protocol": url.scheme},
        "jdbc_url": f"jdbc:databricks://{url.hostname}:{port}/default;transportMode=http;"
                    f"ssl={int(secure)};AuthMech=3;httpPath={path};",
    })
    if now_state == "RUNNING":
        out["health"] = {"status": "HEALTHY"}
    return out
