"""Access control lists of serving and vector search endpoints, addressed by the object's id.

PUT replaces every direct grant, PATCH merges by principal (serving-endpoints.md §1).
An object starts with no direct grants; its owner's service deletes the ACL with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services import (
    mlflow_tracking,
    serving_endpoints,
    sql_warehouses,
    vector_search_endpoints,
)
from provisioner.local.services.common import PERMISSIONS, permissions_key
from provisioner.local.store import Tx

routes = Routes()

_PRINCIPALS = ("user_name", "group_name", "service_principal_name")


@dataclass(frozen=True, slots=True)
class _ObjectType:
    kind: str  # the store kind of the object, looked up by id
    name: str  # `object_type` in answers
    levels: dict[str, str]  # permission level -> description


_OBJECT_TYPES = {
    "serving-endpoints": _ObjectType(serving_endpoints.KIND, "serving-endpoint", {
        "CAN_MANAGE": "Can manage the endpoint: update its config, delete it, grant access",
        "CAN_QUERY": "Can query the endpoint",
        "CAN_VIEW": "Can view the endpoint",
    }),
    "vector-search-endpoints": _ObjectType(vector_search_endpoints.KIND, "vector-search-endpoints",
                                           {
        "CAN_MANAGE": "Can manage the endpoint and its indexes, grant access",
        "CAN_USE": "Can use the endpoint",
        "CAN_CREATE": "Can create indexes on the endpoint",
    }),
    "experiments": _ObjectType(mlflow_tracking.EXPERIMENTS, "mlflowExperiment", {
        "CAN_MANAGE": "Can manage the experiment and grant access",
        "CAN_EDIT": "Can log runs and edit the experiment",
        "CAN_READ": "Can read the experiment",
    }),
    "warehouses": _ObjectType(sql_warehouses.KIND, "warehouses", {
        "CAN_MANAGE": "Can manage the warehouse: edit, delete, grant access",
        "CAN_USE": "Can run queries on the warehouse",
        "CAN_MONITOR": "Can see the warehouse's queries",
        "CAN_VIEW": "Can see the warehouse",
        "IS_OWNER": "Owns the warehouse",
    }),
}


def get_permissions(ctx: Context, req: Request, *, object_type: str) -> dict:
    with ctx.store.read() as tx:
        return _answer(object_type, req.params["id"], _acl(tx, object_type, req.params["id"]))


def set_permissions(ctx: Context, req: Request, *, object_type: str, merge: bool) -> dict:
    requested = _entries(object_type, req.json().get("access_control_list") or [])
    object_id = req.params["id"]
    with ctx.store.write() as tx:
        current = _acl(tx, object_type, object_id) if merge else []
        acl = {_principal(e): e for e in current} | {_principal(e): e for e in requested}
        entries = list(acl.values())
        tx.put(PERMISSIONS, permissions_key(object_type, object_id),
               {"access_control_list": entries})
    return _answer(object_type, object_id, entries)


def get_permission_levels(ctx: Context, req: Request, *, object_type: str) -> dict:
    with ctx.store.read() as tx:
        _check_exists(tx, object_type, req.params["id"])
    levels = _OBJECT_TYPES[object_type].levels
    return {"permission_levels": [{"permission_level": level, "description": text}
                                  for level, text in levels.items()]}


def _add_routes() -> None:
    for object_type in _OBJECT_TYPES:
        path = f"/api/2.0/permissions/{object_type}/{{id}}"
        routes.get(path)(partial(get_permissions, object_type=object_type))
        routes.put(path)(partial(set_permissions, object_type=object_type, merge=False))
        routes.patch(path)(partial(set_permissions, object_type=object_type, merge=True))
        routes.get(path + "/permissionLevels")(
            partial(get_permission_levels, object_type=object_type)
        )


_add_routes()


def _check_exists(tx: Tx, object_type: str, object_id: str) -> None:
    if not tx.count(_OBJECT_TYPES[object_type].kind, ref=object_id):
        raise ApiError.not_found(f"{object_type} {object_id} not found.")


def _acl(tx: Tx, object_type: str, object_id: str) -> list[dict[str, Any]]:
    _check_exists(tx, object_type, object_id)
    stored = tx.get(PERMISSIONS, permissions_key(object_type, object_id)) or {}
    return stored.get("access_control_list", [])


def _entries(object_type: str, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Request items `{principal, permission_level}` as answer items with `all_permissions`."""
    levels = _OBJECT_TYPES[object_type].levels
    entries = []
    for item in requested:
        principals = [p for p in _PRINCIPALS if item.get(p)]
        if len(principals) != 1:
            raise ApiError.invalid(f"An access control entry names exactly one of "
                                   f"{', '.join(_PRINCIPALS)}.")
        level = item.get("permission_level")
        if level not in levels:
            raise ApiError.invalid(f"Invalid permission level {level!r} for {object_type}: "
                                   f"expected one of {', '.join(levels)}.")
        entries.append({principals[0]: item[principals[0]],
                        "all_permissions": [{"permission_level": level, "inherited": False}]})
    return entries


def _principal(entry: dict[str, Any]) -> tuple[str, str]:
    return next((p, entry[p]) for p in _PRINCIPALS if p in entry)


def _answer(object_type: str, object_id: str, entries: list[dict[str, Any]]) -> dict:
    return {"object_id": f"/{object_type}/{object_id}",
            "object_type": _OBJECT_TYPES[object_type].name, "access_control_list": entries}
