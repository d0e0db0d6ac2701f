"""Vector search endpoints: PROVISIONING, then ONLINE once their `ready_at` has passed
(vector-search.md §1, §3, §4).

Deleting an endpoint that still has indexes is allowed and orphans them: they keep the
old endpoint id, as the reference describes for a deleted-and-recreated endpoint.
"""

from __future__ import annotations

from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services.common import (
    PERMISSIONS,
    check_name,
    one_of,
    page,
    permissions_key,
    require,
    uuid_id,
)
from provisioner.local.store import Tx

routes = Routes()

KIND = "vector_search_endpoint"
# Owned by vector_search_indexes; counted here for `num_indexes`.
INDEXES = "vector_search_index"
BASE = "/api/2.0/vector-search/endpoints"
TYPES = ("STANDARD", "STORAGE_OPTIMIZED")

_ECHOED = ("name", "id", "endpoint_type", "creator", "creation_timestamp",
           "last_updated_timestamp", "last_updated_user", "budget_policy_id", "custom_tags")


def get_endpoint(tx: Tx, name: str) -> dict[str, Any]:
    record = tx.get(KIND, name)
    if record is None:
        raise ApiError.not_found(f"Vector search endpoint {name} not found")
    return record


def is_online(record: dict[str, Any], now: float) -> bool:
    return now >= record["ready_at"] and not record.get("stopped")


@routes.post(BASE + "/{name}/stop")
def stop(ctx: Context, req: Request) -> dict:
    """SDK `stop_endpoint`: a stopped endpoint serves no queries until started again
    (endpoint_status.state STOPPED; vector-search.md §1)."""
    with ctx.store.write() as tx:
        record = get_endpoint(tx, req.params["name"])
        record["stopped"] = True
        _save(tx, record, ctx)
        return _view(tx, record, ctx.now)


@routes.post(BASE + "/{name}/start")
def start(ctx: Context, req: Request) -> dict:
    """SDK `start_endpoint`: STARTING for as long as provisioning takes, then ONLINE."""
    with ctx.store.write() as tx:
        record = get_endpoint(tx, req.params["name"])
        if record.get("stopped"):
            record["stopped"] = False
            record["ready_at"] = ctx.now + ctx.settings.vector_search_endpoint_seconds
            record["starting"] = True
        _save(tx, record, ctx)
        return _view(tx, record, ctx.now)


@routes.post(BASE)
def create(ctx: Context, req: Request) -> dict:
    body = req.json()
    name = check_name(require(body, "name"), "vector search endpoint")
    endpoint_type = one_of(require(body, "endpoint_type"), "endpoint_type", TYPES)
    record = {"name": name, "id": uuid_id(), "endpoint_type": endpoint_type,
              "creator": ctx.settings.user, "creation_timestamp": ctx.ms,
              "ready_at": ctx.now + ctx.settings.vector_search_endpoint_seconds}
    if body.get("budget_policy_id"):
        record["budget_policy_id"] = body["budget_policy_id"]
    _set_target_qps(record, body.get("target_qps"))
    with ctx.store.write() as tx:
        if tx.get(KIND, name) is not None:
            raise ApiError.already_exists(f"Vector search endpoint with name {name} already exists")
        _save(tx, record, ctx)
        return _view(tx, record, ctx.now)


@routes.get(BASE)
def list_endpoints(ctx: Context, req: Request) -> dict:
    size = ctx.settings.list_page_size
    with ctx.store.read() as tx:
        records = tx.list(KIND, after=req.arg("page_token", ""), limit=size + 1)
        shown, token = page(records, size)
        return {"endpoints": [_view(tx, r, ctx.now) for r in shown], "next_page_token": token}


@routes.get(BASE + "/{name}")
def get(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        return _view(tx, get_endpoint(tx, req.params["name"]), ctx.now)


@routes.delete(BASE + "/{name}")
def delete(ctx: Context, req: Request) -> dict:
    with ctx.store.write() as tx:
        record = get_endpoint(tx, req.params["name"])
        tx.delete(KIND, record["name"])
        tx.delete(PERMISSIONS, permissions_key("vector-search-endpoints", record["id"]))
    return {}


@routes.patch(BASE + "/{name}")
def patch(ctx: Context, req: Request) -> dict:
    target_qps = req.json().get("target_qps")
    with ctx.store.write() as tx:
        record = get_endpoint(tx, req.params["name"])
        _set_target_qps(record, target_qps)
        _save(tx, record, ctx)
        return _view(tx, record, ctx.now)


@routes.patch(BASE + "/{name}/budget-policy")
def update_budget_policy(ctx: Context, req: Request) -> dict:
    policy = req.json().get("budget_policy_id")
    with ctx.store.write() as tx:
        record = get_endpoint(tx, req.params["name"])
        record["budget_policy_id"] = policy
        _save(tx, record, ctx)
    return {"budget_policy_id": policy, "effective_budget_policy_id": policy}


@routes.patch(BASE + "/{name}/tags")
def update_tags(ctx: Context, req: Request) -> dict:
    """Replaces the endpoint's custom tags with the list sent."""
    tags = req.json().get("custom_tags") or []
    for tag in tags:
        require(tag, "key")
    with ctx.store.write() as tx:
        record = get_endpoint(tx, req.params["name"])
        record["custom_tags"] = tags
        _save(tx, record, ctx)
    return {"name": record["name"], "custom_tags": tags}


def _set_target_qps(record: dict[str, Any], target_qps: Any) -> None:
    if target_qps is None:
        return
    if record["endpoint_type"] != "STANDARD":  # vector-search.md §1
        raise ApiError.invalid("target_qps can only be set on STANDARD endpoints.")
    if not isinstance(target_qps, int) or target_qps < 1:
        raise ApiError.invalid(f"Invalid target_qps {target_qps!r}.")
    record["target_qps"] = target_qps


def _save(tx: Tx, record: dict[str, Any], ctx: Context) -> None:
    record["last_updated_timestamp"] = ctx.ms
    record["last_updated_user"] = ctx.settings.user
    tx.put(KIND, record["name"], record, ref=record["id"])


def _view(tx: Tx, record: dict[str, Any], now: float) -> dict[str, Any]:
    """`EndpointInfo`; `endpoint_status` is always present, the SDK waiter dereferences it."""
    out = {k: record[k] for k in _ECHOED if record.get(k) not in (None, [], {})}
    if "budget_policy_id" in out:
        out["effective_budget_policy_id"] = out["budget_policy_id"]
    if record.get("stopped"):
        out["endpoint_status"] = {"state": "STOPPED", "message": "Endpoint is stopped."}
    elif is_online(record, now):
        out["endpoint_status"] = {"state": "ONLINE", "message": "Endpoint is online."}
    elif record.get("starting"):
        out["endpoint_status"] = {"state": "STARTING", "message": "Endpoint is starting."}
    else:
        out["endpoint_status"] = {"state": "PROVISIONING",
                                  "message": "Endpoint is being provisioned."}
    out["num_indexes"] = tx.count(INDEXES, ref=record["id"])
    if "target_qps" in record:
        out["scaling_info"] = {"requested_target_qps": record["target_qps"],
                               "state": "SCALING_CHANGE_APPLIED"}
    return out
