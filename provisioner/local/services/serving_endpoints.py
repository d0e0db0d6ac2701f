"""Serving endpoints: CRUD, tags, AI gateway, notifications, and the update state machine.

State is time-based: an update stores its `ready_at`, and every read settles updates whose
time has come (serving-endpoints.md §4), so a restart mid-update continues where it was.
While one is pending, `config` keeps serving and `pending_config` shows the update.
"""

from __future__ import annotations

from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services import serving_config, serving_metrics
from provisioner.local.services.common import (
    PERMISSIONS,
    check_name,
    hex_id,
    one_of,
    permissions_key,
    require,
    uuid_id,
)
from provisioner.local.services.foundation_models import DOCS, PAY_PER_TOKEN
from provisioner.local.store import Tx

routes = Routes()

KIND = "serving_endpoint"
BASE = "/api/2.0/serving-endpoints"

# Returned as stored; budget_policy_id and rate_limits are kept but never returned (§3).
_ECHOED = ("name", "id", "creator", "creation_timestamp", "last_updated_timestamp", "tags",
           "ai_gateway", "email_notifications", "telemetry_config", "task")


def get_endpoint(tx: Tx, name: str, now: float) -> dict[str, Any]:
    record = tx.get(KIND, name)
    if record is None:
        raise ApiError.not_found(f"Endpoint with name '{name}' not found")
    return _settled(record, now)


def seed(tx: Tx, now: float, user: str) -> None:
    """The pay-per-token endpoints every workspace has, READY from the start (§7)."""
    for endpoint in PAY_PER_TOKEN:
        entity = {"name": endpoint.name, "scale_to_zero_enabled": False, "creator": user,
                  "creation_timestamp": int(now * 1000),
                  "foundation_model": {"name": endpoint.name, "display_name": endpoint.display_name,
                                       "docs": DOCS, "description": endpoint.description}}
        config = {"served_entities": [entity], "config_version": 1,
                  "traffic_config": serving_config.single_route(endpoint.name)}
        _save(tx, {**_new_record(endpoint.name, now, user), "task": endpoint.task,
                   "config": config, "read_only": True})


@routes.get(BASE)
def list_endpoints(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        records = [_settled(r, ctx.now) for r in tx.list(KIND)]
    return {"endpoints": [_summary(r) for r in records]}


@routes.get(BASE + "/{name}")
def get(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        return _view(get_endpoint(tx, req.params["name"], ctx.now), ctx)


@routes.post(BASE)
def create(ctx: Context, req: Request) -> dict:
    return _create(ctx, req.json(), provisioned_throughput=False)


@routes.post(BASE + "/pt")
def create_provisioned_throughput(ctx: Context, req: Request) -> dict:
    return _create(ctx, req.json(), provisioned_throughput=True)


@routes.put(BASE + "/{name}/config")
def update_config(ctx: Context, req: Request) -> dict:
    return _update_config(ctx, req.params["name"], req.json(), provisioned_throughput=False)


@routes.put(BASE + "/pt/{name}/config")
def update_provisioned_throughput_config(ctx: Context, req: Request) -> dict:
    config = require(req.json(), "config")
    return _update_config(ctx, req.params["name"], config, provisioned_throughput=True)


@routes.delete(BASE + "/{name}")
def delete(ctx: Context, req: Request) -> dict:
    with ctx.store.write() as tx:
        record = _editable(tx, req.params["name"], ctx.now)
        tx.delete(KIND, record["name"])
        serving_metrics.forget(tx, record["name"])
        tx.delete(PERMISSIONS, permissions_key("serving-endpoints", record["id"]))
    return {}


@routes.patch(BASE + "/{name}/tags")
def patch_tags(ctx: Context, req: Request) -> dict:
    body = req.json()
    with ctx.store.write() as tx:
        record = _editable(tx, req.params["name"], ctx.now)
        tags = {t["key"]: t for t in record.get("tags", [])}
        tags.update((t["key"], t) for t in _tags(body.get("add_tags")))
        for key in body.get("delete_tags") or []:
            tags.pop(key, None)
        record["tags"] = sorted(tags.values(), key=lambda t: t["key"])
        _save(tx, record)
    return {"tags": record["tags"]}


@routes.put(BASE + "/{name}/ai-gateway")
def put_ai_gateway(ctx: Context, req: Request) -> dict:
    """Replaces the whole AI gateway config; an empty body removes it (§2.5)."""
    gateway = {k: v for k, v in req.json().items() if v not in (None, {}, [])}
    with ctx.store.write() as tx:
        record = _editable(tx, req.params["name"], ctx.now)
        _check_gateway(gateway, record.get("ai_gateway") or {})
        record["ai_gateway"] = gateway
        _save(tx, record)
    return gateway


@routes.put(BASE + "/{name}/rate-limits")
def put_rate_limits(ctx: Context, req: Request) -> dict:
    """Deprecated: stored, answered, but never shown by GET (§2.5)."""
    limits = req.json().get("rate_limits") or []
    for limit in limits:
        require(limit, "calls")
        one_of(limit.setdefault("renewal_period", "minute"), "renewal_period", ("minute",))
        one_of(limit.setdefault("key", "endpoint"), "key", ("user", "endpoint"))
    with ctx.store.write() as tx:
        record = _editable(tx, req.params["name"], ctx.now)
        record["rate_limits"] = limits
        _save(tx, record)
    return {"rate_limits": limits}


@routes.patch(BASE + "/{name}/telemetry-config")
def patch_telemetry_config(ctx: Context, req: Request) -> dict:
    """Sets or (with no `telemetry_config`) removes telemetry; only endpoints serving a custom
    model take it, and not while a config update runs (databricks/cli libs/testserver
    `ServingEndpointPatchTelemetryConfig`)."""
    with ctx.store.write() as tx:
        record = _editable(tx, req.params["name"], ctx.now)
        served = record.get("config") or (record.get("pending") or {}).get("config")
        if unsupported := _telemetry_unsupported(served):
            raise ApiError.invalid(f"Telemetry configuration is not supported for endpoint type "
                                   f"'{unsupported}'. This API only supports endpoints with "
                                   "custom served models.")
        if record.get("pending"):
            raise ApiError(409, "RESOURCE_CONFLICT", f"Endpoint {record['name']} is currently "
                           "updating. Wait for the update to complete before updating its "
                           "telemetry configuration.")
        record["telemetry_config"] = _telemetry(record.get("telemetry_config"),
                                                req.json().get("telemetry_config"))
        record["last_updated_timestamp"] = ctx.ms
        _save(tx, record)
    return _view(record, ctx)


@routes.patch(BASE + "/{name}/notifications")
def update_notifications(ctx: Context, req: Request) -> dict:
    notifications = req.json().get("email_notifications")
    with ctx.store.write() as tx:
        record = _editable(tx, req.params["name"], ctx.now)
        record["email_notifications"] = notifications
        _save(tx, record)
    return {"name": record["name"], "email_notifications": notifications}


def _create(ctx: Context, body: dict[str, Any], *, provisioned_throughput: bool) -> dict:
    ctx.faults.count_serving_write(ctx.now)
    name = check_name(require(body, "name"), "endpoint")
    # `config` is optional: an endpoint without one serves nothing until a config is PUT
    # (SDK 0.156 CreateServingEndpoint.config is Optional; databricks/cli acceptance
    # bundle/resources/model_serving_endpoints/basic creates one). The SDK sends config.name
    # (serving-endpoints.md §2.1); it means nothing and is ignored.
    raw = {k: v for k, v in (body.get("config") or {}).items() if k != "name"}
    config = serving_config.submit(raw, ctx, provisioned_throughput=provisioned_throughput) \
        if raw else None
    _check_gateway(body.get("ai_gateway") or {}, {})
    record = {
        **_new_record(name, ctx.now, ctx.settings.user),
        **{k: body[k] for k in ("description", "route_optimized", "ai_gateway", "budget_policy_id",
                                "email_notifications", "rate_limits")
           if body.get(k) is not None},
        "tags": sorted(_tags(body.get("tags")), key=lambda t: t["key"]),
        "external": bool(config) and serving_config.is_external(config),
    }
    # Create drops telemetry an endpoint cannot take, where the telemetry API refuses it
    # (databricks/cli libs/testserver ServingEndpointCreate).
    if body.get("telemetry_config") and not _telemetry_unsupported(config):
        record["telemetry_config"] = _telemetry(None, body["telemetry_config"])
    with ctx.store.write() as tx:
        if tx.get(KIND, name) is not None:
            raise ApiError.already_exists(f"Endpoint with name '{name}' already exists")
        if config is not None:
            record = _begin_update(ctx, record, config,
                                   ctx.settings.serving_endpoint_create_seconds)
        _save(tx, record)
    return _view(record, ctx)


def _update_config(ctx: Context, name: str, body: dict[str, Any], *,
                   provisioned_throughput: bool) -> dict:
    ctx.faults.count_serving_write(ctx.now)
    if not (body.get("served_entities") or body.get("served_models")):
        # Only the traffic (or inference tables) change: the entities served stay
        # (SDK `EndpointCoreConfigInput`: every field optional).
        with ctx.store.read() as tx:
            served = (get_endpoint(tx, name, ctx.now)["config"] or {}).get("served_entities")
        if served:
            body = {**body, "served_entities": [serving_config.as_input(e) for e in served]}
    # Checked before the write transaction: checking secret references reads the store.
    config = serving_config.submit(body, ctx, provisioned_throughput=provisioned_throughput)
    with ctx.store.write() as tx:
        record = _editable(tx, name, ctx.now)
        if record.get("pending"):
            raise ApiError(409, "RESOURCE_CONFLICT", f"Endpoint {name} is currently updating. "
                           "Another update can not be made until the update completes or fails.")
        previous = (record.get("config") or {}).get("auto_capture_config") or {}
        _check_location_kept(previous, config.get("auto_capture_config") or {},
                             "auto_capture_config")
        if record["config"] and serving_config.is_external(config) != record["external"]:
            raise ApiError.invalid("external_model cannot be added to or removed from an "
                                   "existing endpoint.")
        record = _begin_update(ctx, {**record, "external": serving_config.is_external(config)},
                               config, ctx.settings.serving_endpoint_update_seconds)
        _save(tx, record)
    return _view(record, ctx)


def _new_record(name: str, now: float, user: str) -> dict[str, Any]:
    ms = int(now * 1000)
    return {"name": name, "id": hex_id(), "creator": user, "creation_timestamp": ms,
            "last_updated_timestamp": ms, "config": None, "pending": None,
            "config_update": "NOT_UPDATING", "read_only": False, "external": False}


def _begin_update(ctx: Context, record: dict[str, Any], config: dict[str, Any],
                  delay: float) -> dict[str, Any]:
    pending = {"config": config, "start_time": ctx.ms, "ready_at": ctx.now + delay,
               "fails": ctx.faults.take_update_failure(record["name"])}
    task = serving_config.task_of(config)
    return {**record, "pending": pending, "last_updated_timestamp": ctx.ms,
            **({"task": task} if task else {})}


def _settled(record: dict[str, Any], now: float) -> dict[str, Any]:
    """The record as it is at `now`: a pending update whose time has come has finished."""
    pending = record.get("pending")
    if not pending or now < pending["ready_at"]:
        return record
    record = {**record, "pending": None, "last_updated_timestamp": int(pending["ready_at"] * 1000)}
    if pending["fails"]:
        record["config_update"] = "UPDATE_FAILED"
    else:
        version = (record["config"] or {}).get("config_version", 0) + 1
        record["config"] = {**pending["config"], "config_version": version}
        record["config_update"] = "NOT_UPDATING"
    return record


def _editable(tx: Tx, name: str, now: float) -> dict[str, Any]:
    record = get_endpoint(tx, name, now)
    if record["read_only"]:
        raise ApiError(403, "PERMISSION_DENIED", f"Endpoint '{name}' is a Databricks-managed "
                       "pay-per-token endpoint and cannot be modified or deleted.")
    return record


def _save(tx: Tx, record: dict[str, Any]) -> None:
    tx.put(KIND, record["name"], record, ref=record["id"])


def _state(record: dict[str, Any]) -> dict[str, str]:
    return {"ready": "READY" if record["config"] else "NOT_READY",
            "config_update": "IN_PROGRESS" if record["pending"] else record["config_update"]}


def _view(record: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """`ServingEndpointDetailed`, with the defaults the service fills in on read (§3)."""
    out = {k: record[k] for k in _ECHOED if record.get(k) not in (None, [], {})}
    out["state"] = _state(record)
    out["description"] = record.get("description", "")
    out["route_optimized"] = record.get("route_optimized", False)
    if out["route_optimized"]:  # queried at its own URL (SDK: "if route optimization is enabled")
        out["endpoint_url"] = f"{ctx.base_url}/serving-endpoints/{record['name']}/invocations"
    out["permission_level"] = "CAN_QUERY" if record["read_only"] else "CAN_MANAGE"
    config, pending = record["config"], record["pending"]
    if config:
        out["config"] = serving_config.render(config, version=config["config_version"],
                                              state=serving_config.DEPLOYMENT_READY)
    if pending:
        version = (config or {}).get("config_version", 0) + 1
        out["pending_config"] = {
            **serving_config.render(pending["config"], version=version,
                                    state=serving_config.DEPLOYMENT_CREATING),
            "start_time": pending["start_time"],
        }
    return out


def _telemetry_unsupported(config: dict[str, Any] | None) -> str | None:
    """Why an endpoint cannot take telemetry, or None: only custom served models can."""
    entities = (config or {}).get("served_entities") or []
    if not entities:
        return "NO_CONFIG"
    if any("external_model" not in e and e.get("entity_name") for e in entities):
        return None
    return "EXTERNAL_MODELS"


def _telemetry(previous: dict[str, Any] | None, requested: dict[str, Any] | None
               ) -> dict[str, Any] | None:
    """What GET shows of a telemetry config: `table_names` become a new profile (its id
    returned, the names not), an existing profile is kept by id; one naming no profile
    leaves the previous config (databricks/cli libs/testserver applyTelemetryConfig)."""
    if not requested:
        return None
    tables = requested.get("table_names")
    if not tables and not requested.get("telemetry_profile_id"):
        return previous
    applied: dict[str, Any] = {"telemetry_profile_id": requested.get("telemetry_profile_id")
                               or uuid_id()}
    if inference := requested.get("inference_table_config"):
        applied["inference_table_config"] = dict(inference)
        if tables and tables.get("logs_table"):
            applied["inference_table_config"]["name"] = f"{tables['logs_table']}_payload"
    return applied


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    """A list item (`ServingEndpoint`): the entities it serves, or is being created with."""
    keys = ("name", "id", "creator", "creation_timestamp", "last_updated_timestamp", "tags",
            "task", "ai_gateway")
    out = {k: record[k] for k in keys if record.get(k) not in (None, [], {})}
    out["state"] = _state(record)
    out["description"] = record.get("description", "")
    if config := record["config"] or (record["pending"] or {}).get("config"):
        out["config"] = serving_config.summary(config)
    return out


def _tags(tags: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    for tag in tags or []:
        require(tag, "key")
    return list(tags or [])


def _check_gateway(gateway: dict[str, Any], previous: dict[str, Any]) -> None:
    for limit in gateway.get("rate_limits") or []:
        one_of(require(limit, "renewal_period"), "renewal_period", ("minute",))
        one_of(limit.get("key", "endpoint"), "key",
               ("endpoint", "user", "user_group", "service_principal"))
    for side in ("input", "output"):
        pii = ((gateway.get("guardrails") or {}).get(side) or {}).get("pii") or {}
        if "behavior" in pii:
            one_of(pii["behavior"], "pii.behavior", ("BLOCK", "MASK", "NONE"))
    if "fallback_config" in gateway:
        require(gateway["fallback_config"], "enabled")
    _check_location_kept(previous.get("inference_table_config") or {},
                         gateway.get("inference_table_config") or {}, "inference_table_config")


def _check_location_kept(previous: dict[str, Any], new: dict[str, Any], what: str) -> None:
    """An enabled inference table cannot move; it must be disabled first (§2.2, §2.5)."""
    location = ("catalog_name", "schema_name", "table_name_prefix")
    if previous.get("enabled") and new.get("enabled") and any(
        previous.get(k) != new.get(k) for k in location
    ):
        raise ApiError.invalid(f"{what}: disable the inference table before changing its "
                               "catalog, schema or table name prefix.")
