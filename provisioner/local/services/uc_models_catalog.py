"""Unity Catalog's model registry as databricks-sdk calls it: `/api/2.1/unity-catalog/models`
(`registered_models`, `model_versions`), and grants on models (`grants`, securable type
FUNCTION: "The securable type for models is FUNCTION", databricks-sdk `catalog.py`).

Same documents as `uc_models.py`, in the catalog API's shape (unity-catalog-models.md §2):
versions are integers, list results carry no aliases, an owner may be changed.
"""

from __future__ import annotations

from typing import Any

from provisioner.local.model_registry import MODELS, get_model, get_version, versions
from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services.common import require
from provisioner.local.services.uc_models import (
    aliases_of,
    by_alias,
    delete_alias,
    delete_model,
    delete_version,
    new_model,
    set_alias,
)
from provisioner.local.store import Tx

routes = Routes()

BASE = "/api/2.1/unity-catalog/models"
PERMISSIONS = "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}"
PRIVILEGES = ("ALL_PRIVILEGES", "APPLY_TAG", "EXECUTE", "MANAGE")
"""What may be granted on a model (sql-ref-privileges: EXECUTE, APPLY TAG, MANAGE, ALL)."""


def model_info(model: dict[str, Any], *, with_aliases: bool) -> dict[str, Any]:
    info = {k: model[k] for k in ("full_name", "catalog_name", "schema_name", "name", "owner",
                                  "created_at", "created_by", "updated_at", "updated_by")}
    info["storage_location"] = f"dbfs:/Models/{model['full_name'].replace('.', '/')}"
    if model["comment"]:
        info["comment"] = model["comment"]
    if with_aliases:
        info["aliases"] = [{"alias_name": a, "version_num": v} for a, v in aliases_of(model)]
    return info


def version_info(version: dict[str, Any], model: dict[str, Any] | None = None) -> dict[str, Any]:
    catalog, schema, name = version["full_name"].split(".")
    info = {"catalog_name": catalog, "schema_name": schema, "model_name": name,
            "version": version["version"], "status": version["status"],
            "source": version["source"], "storage_location": version["storage_location"],
            "created_at": version["created_at"], "created_by": version["created_by"],
            "updated_at": version["updated_at"]}
    info.update({k: version[k] for k in ("run_id", "comment") if version.get(k)})
    if model is not None:
        info["aliases"] = [{"alias_name": a, "version_num": v}
                           for a, v in aliases_of(model, version["version"])]
    return info


@routes.post(BASE)
def create(ctx: Context, req: Request) -> dict:
    body = req.json()
    name = ".".join(str(require(body, f)) for f in ("catalog_name", "schema_name", "name"))
    with ctx.store.write() as tx:
        return model_info(new_model(ctx, tx, name, body.get("comment") or ""),
                          with_aliases=True)


@routes.get(BASE)
def list_models(ctx: Context, req: Request) -> dict:
    catalog, schema = req.arg("catalog_name"), req.arg("schema_name")
    prefix = f"{catalog}.{schema}." if catalog and schema else f"{catalog}." if catalog else ""
    size = int(req.arg("max_results") or 100)
    with ctx.store.read() as tx:
        found = tx.list(MODELS, prefix=prefix.lower(), after=req.arg("page_token") or "",
                        limit=size + 1)
    page: dict[str, Any] = {"registered_models": [model_info(m, with_aliases=False)
                                                  for m in found[:size]]}
    if len(found) > size:
        page["next_page_token"] = found[size - 1]["full_name"]
    return page


@routes.get(BASE + "/{full_name}")
def get(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        return model_info(get_model(tx, req.params["full_name"]),
                          with_aliases=req.arg("include_aliases") == "true")


@routes.patch(BASE + "/{full_name}")
def update(ctx: Context, req: Request) -> dict:
    body = req.json()
    if body.get("new_name"):
        raise ApiError.invalid("Renaming a registered model is not supported here.")
    with ctx.store.write() as tx:
        model = get_model(tx, req.params["full_name"])
        if "comment" in body:
            model["comment"] = body["comment"] or ""
        if body.get("owner"):
            model["owner"] = body["owner"]
        model["updated_at"], model["updated_by"] = ctx.ms, ctx.settings.user
        _save(tx, model)
        return model_info(model, with_aliases=True)


@routes.delete(BASE + "/{full_name}")
def delete(ctx: Context, req: Request) -> dict:
    with ctx.store.write() as tx:
        delete_model(ctx, tx, req.params["full_name"])
    return {}


@routes.get(BASE + "/{full_name}/versions")
def list_versions(ctx: Context, req: Request) -> dict:
    """"The elements in the response will not contain any aliases or tags.\""""
    start, size = int(req.arg("page_token") or 0), int(req.arg("max_results") or 100)
    with ctx.store.read() as tx:
        found = versions(tx, get_model(tx, req.params["full_name"])["full_name"])
    page: dict[str, Any] = {"model_versions": [version_info(v)
                                               for v in found[start:start + size]]}
    if start + size < len(found):
        page["next_page_token"] = str(start + size)
    return page


@routes.get(BASE + "/{full_name}/versions/{version}")
def get_version_route(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        found = get_version(tx, req.params["full_name"], req.params["version"])
        return version_info(found, get_model(tx, found["full_name"]))


@routes.delete(BASE + "/{full_name}/versions/{version}")
def delete_version_route(ctx: Context, req: Request) -> dict:
    with ctx.store.write() as tx:
        delete_version(ctx, tx, req.params["full_name"], req.params["version"])
    return {}


@routes.get(BASE + "/{full_name}/aliases/{alias}")
def get_alias(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        found = by_alias(tx, req.params["full_name"], req.params["alias"])
        return version_info(found, get_model(tx, found["full_name"]))


@routes.put(BASE + "/{full_name}/aliases/{alias}")
def put_alias(ctx: Context, req: Request) -> dict:
    version = require(req.json(), "version_num")
    with ctx.store.write() as tx:
        set_alias(ctx, tx, req.params["full_name"], req.params["alias"], version)
    return {"alias_name": req.params["alias"].lower(), "version_num": int(version)}


@routes.delete(BASE + "/{full_name}/aliases/{alias}")
def delete_alias_route(ctx: Context, req: Request) -> dict:
    with ctx.store.write() as tx:
        delete_alias(ctx, tx, req.params["full_name"], req.params["alias"])
    return {}


@routes.get(PERMISSIONS)
def get_grants(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        return _assignments(_securable(tx, req))


@routes.patch(PERMISSIONS)
def update_grants(ctx: Context, req: Request) -> dict:
    """`changes: [{principal, add, remove}]`; a principal left with nothing is dropped."""
    changes = req.json().get("changes") or []
    with ctx.store.write() as tx:
        model = _securable(tx, req)
        for change in changes:
            principal = require(change, "principal")
            add, remove = set(change.get("add") or ()), set(change.get("remove") or ())
            if unknown := sorted((add | remove) - set(PRIVILEGES)):
                raise ApiError.invalid(f"Privilege {unknown[0]} is not applicable to this "
                                       "entity [FUNCTION].")
            held = (set(model["grants"].get(principal, ())) | add) - remove
            if held:
                model["grants"][principal] = sorted(held)
            else:
                model["grants"].pop(principal, None)
        _save(tx, model)
        return _assignments(model)


def _securable(tx: Tx, req: Request) -> dict[str, Any]:
    kind = req.params["securable_type"].upper()
    if kind != "FUNCTION":
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"Securable type {kind} is not served by the "
                       "local workspace (only FUNCTION: registered models).")
    return get_model(tx, req.params["full_name"])


def _assignments(model: dict[str, Any]) -> dict[str, Any]:
    grants = [{"principal": p, "privileges": list(v)} for p, v in sorted(model["grants"].items())]
    return {"privilege_assignments": grants} if grants else {}


def _save(tx: Tx, model: dict[str, Any]) -> None:
    tx.put(MODELS, model["full_name"], model)
