"""Unity Catalog's model registry as MLflow calls it: `/api/2.0/mlflow/unity-catalog/*`.

MLflow's `UcModelRegistryStore` (`store/_unity_catalog/registry/rest_store.py`) sends these
(unity-catalog-models.md §1–2, mlflow-models.md §2.1): versions are created
PENDING_REGISTRATION, their files uploaded through the Files API (`model_files.py`, which
the probe below tells MLflow to use), then finalized READY. Search results carry no tags or
aliases, as in Unity Catalog; stages and `get_latest_versions` do not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provisioner.local.model_registry import (
    MODELS,
    PENDING,
    READY,
    VERSIONS,
    delete_version_files,
    full_name,
    get_model,
    get_version,
    version_key,
    versions,
)
from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services.common import require
from provisioner.local.store import Tx

routes = Routes()

BASE = "/api/2.0/mlflow/unity-catalog"
MAX_PAGE = 1000
_ALIAS_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


def args(req: Request) -> dict[str, Any]:
    """MLflow sends GET arguments as a query and the others as JSON; DELETE may do either."""
    return {**{k: v[0] for k, v in req.query.items()}, **req.json()}


def new_model(ctx: Context, tx: Tx, name: Any, description: str = "") -> dict[str, Any]:
    """Create a registered model; its creator owns it."""
    fn = full_name(name)
    if tx.get(MODELS, fn) is not None:
        raise ApiError.already_exists(f"Registered model '{fn}' already exists.")
    catalog, schema, model = fn.split(".")
    record = {"full_name": fn, "catalog_name": catalog, "schema_name": schema, "name": model,
              "comment": description or "", "owner": ctx.settings.user, "tags": {},
              "aliases": {}, "grants": {}, "last_version": 0, "created_at": ctx.ms,
              "created_by": ctx.settings.user, "updated_at": ctx.ms,
              "updated_by": ctx.settings.user}
    tx.put(MODELS, fn, record)
    return record


def delete_model(ctx: Context, tx: Tx, name: Any) -> None:
    """Unity Catalog deletes a registered model with all its versions."""
    model = get_model(tx, name)
    for version in versions(tx, model["full_name"]):
        delete_version_files(ctx.directory, model["full_name"], version["version"])
    tx.delete_all(VERSIONS, ref=model["full_name"])
    tx.delete(MODELS, model["full_name"])


def delete_version(ctx: Context, tx: Tx, name: Any, version: Any) -> None:
    """A deleted version takes the aliases pointing at it along."""
    record = get_version(tx, name, version)
    model = get_model(tx, record["full_name"])
    model["aliases"] = {a: v for a, v in model["aliases"].items() if v != record["version"]}
    tx.put(MODELS, model["full_name"], model)
    tx.delete(VERSIONS, version_key(record["full_name"], record["version"]))
    delete_version_files(ctx.directory, record["full_name"], record["version"])


def set_alias(ctx: Context, tx: Tx, name: Any, alias: Any, version: Any) -> dict[str, Any]:
    record = get_version(tx, name, version)
    model = get_model(tx, name)
    model["aliases"][check_alias(alias)] = record["version"]
    _touch(ctx, tx, model)
    return record


def delete_alias(ctx: Context, tx: Tx, name: Any, alias: Any) -> None:
    model = get_model(tx, name)
    if model["aliases"].pop(str(alias).lower(), None) is None:
        raise ApiError.not_found(f"Alias '{alias}' does not exist for model '{name}'.")
    _touch(ctx, tx, model)


def by_alias(tx: Tx, name: Any, alias: Any) -> dict[str, Any]:
    model = get_model(tx, name)
    version = model["aliases"].get(str(alias).lower())
    if version is None:
        raise ApiError.not_found(f"Alias '{alias}' does not exist for model '{name}'.")
    return get_version(tx, name, version)


def check_alias(alias: Any) -> str:
    """MLflow's client rule (`^[\\w\\-]*$`, ≤ 255); Unity Catalog stores it lower case."""
    text = str(alias or "").lower()
    if not text or len(text) > 255 or not set(text) <= _ALIAS_CHARS:
        raise ApiError.invalid(f"Invalid alias '{alias}': use 1 to 255 letters, digits, "
                               "'_' or '-'.")
    return text


def aliases_of(model: dict[str, Any], version: int | None = None) -> list[tuple[str, int]]:
    return sorted((a, v) for a, v in model["aliases"].items() if version in (None, v))


def _touch(ctx: Context, tx: Tx, model: dict[str, Any]) -> None:
    model["updated_at"], model["updated_by"] = ctx.ms, ctx.settings.user
    tx.put(MODELS, model["full_name"], model)


# ---- views in MLflow's UC protos (databricks_uc_registry_messages.proto)

def model_view(model: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    view = {"name": model["full_name"], "creation_timestamp": model["created_at"],
            "last_updated_timestamp": model["updated_at"], "user_id": model["created_by"],
            "description": model["comment"]}
    if full:  # search results carry neither (mlflow-models.md §2)
        view["aliases"] = [{"alias": a, "version": str(v)} for a, v in aliases_of(model)]
        view["tags"] = [{"key": k, "value": v} for k, v in sorted(model["tags"].items())]
    return view


def version_view(version: dict[str, Any], model: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """`model` given: the full view with aliases and tags (get); without: search's."""
    view = {k: version[k] for k in ("source", "run_id", "status", "storage_location",
                                    "model_id") if version.get(k)}
    view.update(name=version["full_name"], version=str(version["version"]),
                creation_timestamp=version["created_at"],
                last_updated_timestamp=version["updated_at"], user_id=version["created_by"],
                description=version["comment"])
    if model is not None:
        view["aliases"] = [{"alias": a, "version": str(v)}
                           for a, v in aliases_of(model, version["version"])]
        view["tags"] = [{"key": k, "value": v} for k, v in sorted(version["tags"].items())]
    return view


# ---- registered models

@routes.post(BASE + "/registered-models/create")
def create_model(ctx: Context, req: Request) -> dict:
    body = req.json()
    with ctx.store.write() as tx:
        model = new_model(ctx, tx, body.get("name"), body.get("description") or "")
        for tag in body.get("tags") or []:
            model["tags"][require(tag, "key")] = str(tag.get("value") or "")
        tx.put(MODELS, model["full_name"], model)
    return {"registered_model": model_view(model)}


@routes.get(BASE + "/registered-models/get")
def get_registered_model(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        return {"registered_model": model_view(get_model(tx, args(req).get("name")))}


@routes.patch(BASE + "/registered-models/update")
def update_model(ctx: Context, req: Request) -> dict:
    body = args(req)
    with ctx.store.write() as tx:
        model = get_model(tx, body.get("name"))
        if "description" in body:
            model["comment"] = body["description"] or ""
        _touch(ctx, tx, model)
    return {"registered_model": model_view(model)}


@routes.delete(BASE + "/registered-models/delete")
def delete_registered_model(ctx: Context, req: Request) -> dict:
    with ctx.store.write() as tx:
        delete_model(ctx, tx, args(req).get("name"))
    return {}


@routes.get(BASE + "/registered-models/search")
def search_models(ctx: Context, req: Request) -> dict:
    query = args(req)
    size = _page_size(query.get("max_results"), 100)
    with ctx.store.read() as tx:
        found = tx.list(MODELS, after=query.get("page_token") or "", limit=size + 1)
    return _paged("registered_models", [model_view(m, full=False) for m in found[:size]],
                  found[size - 1]["full_name"] if len(found) > size else "")


@routes.post(BASE + "/registered-models/set-tag")
def set_model_tag(ctx: Context, req: Request) -> dict:
    body = req.json()
    with ctx.store.write() as tx:
        model = get_model(tx, body.get("name"))
        model["tags"][require(body, "key")] = str(body.get("value") or "")
        _touch(ctx, tx, model)
    return {}


@routes.delete(BASE + "/registered-models/delete-tag")
def delete_model_tag(ctx: Context, req: Request) -> dict:
    body = args(req)
    with ctx.store.write() as tx:
        model = get_model(tx, body.get("name"))
        model["tags"].pop(require(body, "key"), None)
        _touch(ctx, tx, model)
    return {}


@routes.post(BASE + "/registered-models/alias")
def post_alias(ctx: Context, req: Request) -> dict:
    body = req.json()
    with ctx.store.write() as tx:
        set_alias(ctx, tx, body.get("name"), require(body, "alias"), require(body, "version"))
    return {}


def _deleting(delete: Callable[[Context, Tx, Any, Any], None], field: str
              ) -> Callable[[Context, Request], dict]:
    """A DELETE route: `delete` the model's `field` (query or body) named."""

    def route(ctx: Context, req: Request) -> dict:
        body = args(req)
        with ctx.store.write() as tx:
            delete(ctx, tx, body.get("name"), require(body, field))
        return {}

    return route


def _version_found(find: Callable[[Tx, Any, Any], dict[str, Any]], field: str
                   ) -> Callable[[Context, Request], dict]:
    """A GET route answering the version `find` gives for the model and its `field`."""

    def route(ctx: Context, req: Request) -> dict:
        query = args(req)
        with ctx.store.read() as tx:
            return _answer(tx, find(tx, query.get("name"), require(query, field)))

    return route


def _answer(tx: Tx, version: dict[str, Any]) -> dict:
    """`{model_version}` as the version routes answer, with its model's aliases."""
    return {"model_version": version_view(version, get_model(tx, version["full_name"]))}


routes.delete(BASE + "/registered-models/alias")(_deleting(delete_alias, "alias"))
routes.get(BASE + "/registered-models/alias")(_version_found(by_alias, "alias"))


@routes.get(BASE + "/registered-models:is-databricks-sdk-models-artifact-repository-enabled")
def sdk_artifacts_enabled(ctx: Context, req: Request) -> dict:
    """Yes: MLflow then uploads through the Files API, which stays on this host."""
    return {"is_databricks_sdk_models_artifact_repository_enabled": True}


# ---- model versions

@routes.post(BASE + "/model-versions/create")
def create_version(ctx: Context, req: Request) -> dict:
    body = req.json()
    source = require(body, "source")
    with ctx.store.write() as tx:
        model = get_model(tx, body.get("name"))
        number = model["last_version"] = model["last_version"] + 1
        name = model["full_name"]
        record = {"full_name": name, "version": number, "status": PENDING, "source": source,
                  "run_id": body.get("run_id") or "", "model_id": body.get("model_id") or "",
                  "comment": body.get("description") or "",
                  "tags": {require(t, "key"): str(t.get("value") or "")
                           for t in body.get("tags") or []},
                  "storage_location": f"dbfs:/Models/{name.replace('.', '/')}/{number}",
                  "created_at": ctx.ms, "created_by": ctx.settings.user, "updated_at": ctx.ms}
        tx.put(VERSIONS, version_key(name, number), record, ref=name)
        _touch(ctx, tx, model)
        delete_version_files(ctx.directory, name, number)  # left by a reset workspace
    return {"model_version": version_view(record, model)}


@routes.post(BASE + "/model-versions/finalize")
def finalize_version(ctx: Context, req: Request) -> dict:
    body = req.json()
    with ctx.store.write() as tx:
        record = get_version(tx, body.get("name"), require(body, "version"))
        if record["status"] != PENDING:
            raise ApiError.invalid(f"Model version {record['full_name']}/{record['version']} "
                                   f"is {record['status']}, not {PENDING}.")
        record.update(status=READY, updated_at=ctx.ms)
        tx.put(VERSIONS, version_key(record["full_name"], record["version"]), record,
               ref=record["full_name"])
        return _answer(tx, record)


routes.get(BASE + "/model-versions/get")(_version_found(get_version, "version"))


@routes.patch(BASE + "/model-versions/update")
def update_version(ctx: Context, req: Request) -> dict:
    body = req.json()
    with ctx.store.write() as tx:
        record = get_version(tx, body.get("name"), require(body, "version"))
        if "description" in body:
            record["comment"] = body["description"] or ""
        record["updated_at"] = ctx.ms
        _save_version(tx, record)
        return _answer(tx, record)


routes.delete(BASE + "/model-versions/delete")(_deleting(delete_version, "version"))


@routes.get(BASE + "/model-versions/search")
def search_versions(ctx: Context, req: Request) -> dict:
    """Unity Catalog's one filter: `name = '<model>'` (or `run_id = '<id>'`)."""
    query = args(req)
    size = _page_size(query.get("max_results"), 10_000)
    field, value = _filter(query.get("filter") or "")
    with ctx.store.read() as tx:
        if field == "name":
            found = versions(tx, get_model(tx, value)["full_name"])
        else:
            found = [v for v in tx.list(VERSIONS) if v["run_id"] == value]
    start = int(query.get("page_token") or 0)
    shown = found[start:start + size]
    return _paged("model_versions", [version_view(v) for v in shown],
                  str(start + size) if start + size < len(found) else "")


@routes.post(BASE + "/model-versions/set-tag")
def set_version_tag(ctx: Context, req: Request) -> dict:
    body = req.json()
    with ctx.store.write() as tx:
        record = get_version(tx, body.get("name"), require(body, "version"))
        record["tags"][require(body, "key")] = str(body.get("value") or "")
        _save_version(tx, record)
    return {}


@routes.delete(BASE + "/model-versions/delete-tag")
def delete_version_tag(ctx: Context, req: Request) -> dict:
    body = args(req)
    with ctx.store.write() as tx:
        record = get_version(tx, body.get("name"), require(body, "version"))
        record["tags"].pop(require(body, "key"), None)
        _save_version(tx, record)
    return {}


@routes.get(BASE + "/model-versions/get-download-uri")
def download_uri(ctx: Context, req: Request) -> dict:
    query = args(req)
    with ctx.store.read() as tx:
        record = get_version(tx, query.get("name"), require(query, "version"))
    return {"artifact_uri": record["storage_location"]}


def _save_version(tx: Tx, record: dict[str, Any]) -> None:
    tx.put(VERSIONS, version_key(record["full_name"], record["version"]), record,
           ref=record["full_name"])


def _filter(text: str) -> tuple[str, str]:
    field, _, value = text.partition("=")
    field, value = field.strip(), value.strip()
    if field not in ("name", "run_id") or len(value) < 2 or value[0] != value[-1] \
            or value[0] not in "'\"":
        raise ApiError.invalid("Unity Catalog model version search needs one filter: "
                               "name = '<model>' or run_id = '<run id>'.")
    return field, value[1:-1]


def _page_size(value: Any, default: int) -> int:
    size = int(value) if str(value or "").isdigit() else default
    if not 1 <= size <= max(MAX_PAGE, default):
        raise ApiError.invalid(f"Invalid max_results {value}: at most {max(MAX_PAGE, default)}.")
    return size


def _paged(field: str, items: list[dict[str, Any]], token: str) -> dict[str, Any]:
    page: dict[str, Any] = {field: items} if items else {}
    if token:
        page["next_page_token"] = token
    return page
