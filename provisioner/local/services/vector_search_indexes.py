"""Vector search indexes: create, read, list, two-phase delete, sync (vector-search.md §2-§4).

Both path families are served: `/indexes/{name}` and `/endpoints/{ep}/indexes/{name}`.
There is no update API. What indexes hold and answer (query, scan, upsert) is vector_data.py.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services import serving_endpoints, vector_rows
from provisioner.local.services.common import one_of, page, require
from provisioner.local.services.vector_search_endpoints import INDEXES as KIND
from provisioner.local.services.vector_search_endpoints import get_endpoint
from provisioner.local.store import Tx

routes = Routes()

PENDING_DELETION = "vector_search_index_pending_deletion"
MAX_INDEXES_PER_ENDPOINT = 50
BASE = "/api/2.0/vector-search/indexes"
ON_ENDPOINT = "/api/2.0/vector-search/endpoints/{endpoint}/indexes"

_INDEX_NAME = re.compile(r"[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.[A-Za-z0-9_]+")
_SCALAR_TYPES = ("integer", "long", "short", "byte", "float", "double", "boolean", "string",
                 "date", "timestamp", "int", "bigint", "smallint", "tinyint")
# What Unity Catalog stores for the API's type names; GET returns these (§2.2).
_SPARK_TYPES = {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint"}
_SPECS = {"DELTA_SYNC": "delta_sync_index_spec", "DIRECT_ACCESS": "direct_access_index_spec"}
_MINI = ("name", "endpoint_name", "endpoint_id", "primary_key", "index_type", "index_subtype",
         "creator")


@routes.post(BASE)
def create(ctx: Context, req: Request) -> dict:
    return _create(ctx, req.json())


@routes.post(ON_ENDPOINT)
def create_on_endpoint(ctx: Context, req: Request) -> dict:
    return _create(ctx, {"endpoint_name": req.params["endpoint"], **req.json()})


@routes.get(BASE)
def list_indexes(ctx: Context, req: Request) -> dict:
    endpoint_name = req.arg("endpoint_name")
    if not endpoint_name:
        raise ApiError.invalid("Missing required field: endpoint_name")
    return _list(ctx, req, endpoint_name)


@routes.get(ON_ENDPOINT)
def list_on_endpoint(ctx: Context, req: Request) -> dict:
    return _list(ctx, req, req.params["endpoint"])


@routes.get(BASE + "/{name}")
@routes.get(ON_ENDPOINT + "/{name}")
def get(ctx: Context, req: Request) -> dict:
    with ctx.store.read() as tx:
        return _view(find(tx, req), ctx, tx)


@routes.delete(BASE + "/{name}")
@routes.delete(ON_ENDPOINT + "/{name}")
def delete(ctx: Context, req: Request) -> dict:
    """The index vanishes at once; its name stays taken for `index_deletion_seconds` (§4)."""
    with ctx.store.write() as tx:
        record = find(tx, req)
        tx.delete(KIND, record["name"])
        tx.delete(vector_rows.ROWS, record["name"])
        released_at = ctx.now + ctx.settings.index_deletion_seconds
        tx.put(PENDING_DELETION, record["name"], {"released_at": released_at})
    return {}


@routes.post(BASE + "/{name}/sync")
@routes.post(ON_ENDPOINT + "/{name}/sync")
def sync(ctx: Context, req: Request) -> dict:
    with ctx.store.write() as tx:
        record = find(tx, req)
        spec = record.get("delta_sync_index_spec") or {}
        if spec.get("pipeline_type") != "TRIGGERED":
            raise ApiError.invalid(f"Index {record['name']} cannot be synced: only Delta Sync "
                                   "indexes with a TRIGGERED pipeline can.")
        vector_rows.resync(tx, record)
    return {}


def _create(ctx: Context, body: dict[str, Any]) -> dict:
    name = require(body, "name")
    if not isinstance(name, str) or not _INDEX_NAME.fullmatch(name):
        raise ApiError.invalid("Invalid index name. Must specify the full index name "
                               "<catalog>.<schema>.<table>. Only alphanumerics and underscores "
                               "are allowed.")
    name = name.lower()  # Unity Catalog stores names lowercase
    index_type = one_of(require(body, "index_type"), "index_type", tuple(_SPECS))
    primary_key = require(body, "primary_key")
    subtype = one_of(body.get("index_subtype", "HYBRID"), "index_subtype", ("HYBRID", "FULL_TEXT"))
    if other := [s for t, s in _SPECS.items() if t != index_type and body.get(s)]:
        raise ApiError.invalid(f"An index of type {index_type} cannot have {other[0]}.")
    spec_field = _SPECS[index_type]
    spec = dict(require(body, spec_field))
    with ctx.store.write() as tx:
        if tx.get(KIND, name) is not None:
            raise ApiError.already_exists(f"Vector search index with name {name} already exists")
        _check_not_pending_deletion(tx, name, ctx.now)
        endpoint = get_endpoint(tx, require(body, "endpoint_name"))
        if tx.count(KIND, ref=endpoint["id"]) >= MAX_INDEXES_PER_ENDPOINT:
            raise ApiError(400, "QUOTA_EXCEEDED", "Maximum number of indexes per endpoint "
                           f"exceeded. Current number of indexes {MAX_INDEXES_PER_ENDPOINT} "
                           f"must be less than {MAX_INDEXES_PER_ENDPOINT}.")
        if subtype == "FULL_TEXT" and endpoint["endpoint_type"] != "STORAGE_OPTIMIZED":
            raise ApiError.invalid("FULL_TEXT indexes need a STORAGE_OPTIMIZED endpoint.")
        if (spec.get("pipeline_type") == "CONTINUOUS"
                and endpoint["endpoint_type"] == "STORAGE_OPTIMIZED"):
            # Storage-optimized endpoints sync on request only (Databricks' vector search docs).
            raise ApiError.invalid("CONTINUOUS pipelines are not supported on "
                                   "STORAGE_OPTIMIZED endpoints: use TRIGGERED.")
        _check_embedding_endpoints(tx, spec.get("embedding_source_columns") or [])
        if index_type == "DELTA_SYNC":
            spec = _delta_sync(name, spec, needs_embeddings=subtype != "FULL_TEXT")
        else:
            spec = _direct_access(spec, primary_key)
        record = {
            "name": name, "endpoint_name": endpoint["name"], "endpoint_id": endpoint["id"],
            "primary_key": primary_key, "index_type": index_type, "index_subtype": subtype,
            "creator": ctx.settings.user, spec_field: spec,
            # An index cannot come online before its endpoint does.
            "ready_at": max(ctx.now + ctx.settings.vector_search_index_seconds,
                            endpoint["ready_at"]),
        }
        tx.put(KIND, name, record, ref=endpoint["id"])
        return _view(record, ctx, tx)


def _list(ctx: Context, req: Request, endpoint_name: str) -> dict:
    size = ctx.settings.list_page_size
    with ctx.store.read() as tx:
        endpoint = get_endpoint(tx, endpoint_name)
        records = tx.list(KIND, ref=endpoint["id"], after=req.arg("page_token", ""),
                          limit=size + 1)
    shown, token = page(records, size)
    return {"vector_indexes": [{k: r[k] for k in _MINI} for r in shown], "next_page_token": token}


def find(tx: Tx, req: Request) -> dict[str, Any]:
    name = req.params["name"].lower()
    record = tx.get(KIND, name)
    endpoint = req.params.get("endpoint")
    if record is None or (endpoint is not None and record["endpoint_name"] != endpoint):
        raise ApiError.not_found(f"Vector index {name} does not exist.")
    return record


def _check_not_pending_deletion(tx: Tx, name: str, now: float) -> None:
    pending = tx.get(PENDING_DELETION, name)
    if pending and now < pending["released_at"]:
        raise ApiError.invalid(f"Index {name} is currently pending deletion. Operations on the "
                               "index are not permitted while the index is being deleted.")
    if pending:
        tx.delete(PENDING_DELETION, name)


def _check_embedding_endpoints(tx: Tx, columns: list[dict[str, Any]]) -> None:
    for column in columns:
        require(column, "name")
        endpoints = [require(column, "embedding_model_endpoint_name"),
                     column.get("model_endpoint_name_for_query")]
        for endpoint in filter(None, endpoints):
            if tx.get(serving_endpoints.KIND, endpoint) is None:
                raise ApiError.invalid(f"Embedding model endpoint {endpoint!r} does not exist.")


def _delta_sync(name: str, spec: dict[str, Any], *, needs_embeddings: bool) -> dict[str, Any]:
    """The spec as stored. "The only supported [writeback] table name is the index name with
    the suffix `_writeback_table`" (Databricks' OpenAPI spec, as generated into
    terraform-provider-databricks `internal/service/vectorsearch_tf/model.go`)."""
    require(spec, "source_table")
    writeback = spec.get("embedding_writeback_table")
    if writeback is not None and str(writeback).lower() != f"{name}_writeback_table":
        raise ApiError.invalid(f"Invalid embedding_writeback_table {writeback!r}: the only "
                               f"supported table name is {name}_writeback_table.")
    one_of(require(spec, "pipeline_type"), "pipeline_type", ("TRIGGERED", "CONTINUOUS"))
    kinds = [k for k in ("embedding_source_columns", "embedding_vector_columns") if spec.get(k)]
    if len(kinds) > 1 or (needs_embeddings and not kinds):
        raise ApiError.invalid("Set exactly one of embedding_source_columns and "
                               "embedding_vector_columns.")
    _check_vector_columns(spec.get("embedding_vector_columns") or [])
    return {**spec, "pipeline_id": str(uuid.uuid4())}


def _direct_access(spec: dict[str, Any], primary_key: str) -> dict[str, Any]:
    try:
        schema = json.loads(require(spec, "schema_json"))
    except (TypeError, ValueError):
        schema = None
    if not isinstance(schema, dict):
        raise ApiError.invalid("schema_json must be a JSON object of column names to types.")
    for column, column_type in schema.items():
        element = re.fullmatch(r"array<(\w+)>", str(column_type))
        if (element.group(1) if element else column_type) not in _SCALAR_TYPES:
            raise ApiError.invalid(f"Unsupported type {column_type!r} for column {column!r}.")
    vectors = spec.get("embedding_vector_columns") or []
    if len(vectors) != 1:
        raise ApiError.invalid("A Direct Access index needs exactly one embedding vector column.")
    _check_vector_columns(vectors)
    for column in (primary_key, vectors[0]["name"]):
        if column not in schema:
            raise ApiError.invalid(f"Column {column!r} is not in schema_json.")
    rewritten = {c: _spark_type(t) for c, t in schema.items()}
    return {**spec, "schema_json": json.dumps(rewritten, sort_keys=True, separators=(",", ":"),
                                              ensure_ascii=False)}


def _check_vector_columns(columns: list[dict[str, Any]]) -> None:
    for column in columns:
        require(column, "name")
        dimension = require(column, "embedding_dimension")
        if not isinstance(dimension, int) or dimension < 1:
            raise ApiError.invalid(f"Invalid embedding_dimension {dimension!r}.")


def _spark_type(column_type: str) -> str:
    if element := re.fullmatch(r"array<(\w+)>", column_type):
        return f"array<{_spark_type(element.group(1))}>"
    return _SPARK_TYPES.get(column_type, column_type)


def _view(record: dict[str, Any], ctx: Context, tx: Tx) -> dict[str, Any]:
    """`VectorIndex`; `status.detailed_state` too, which the Python client reads (§2.2)."""
    out = {k: v for k, v in record.items() if k != "ready_at"}
    delta = record["index_type"] == "DELTA_SYNC"
    ready = ctx.now >= record["ready_at"]
    if ready:
        state, message = ("ONLINE_NO_PENDING_UPDATE" if delta else "ONLINE_DIRECT_ACCESS",
                          "Index is online.")
    else:
        state = "PROVISIONING_INITIAL_SNAPSHOT"
        message = f"{'Delta sync' if delta else 'Direct access'} Index creation is pending."
    out["status"] = {
        "ready": ready, "indexed_row_count": vector_rows.row_count(tx, record, ctx.now),
        "message": message, "detailed_state": state,
        "index_url": f"{ctx.base_url}/api/2.0/vector-search/endpoints/"
                     f"{record['endpoint_name']}/indexes/{record['name']}",
    }
    return out
