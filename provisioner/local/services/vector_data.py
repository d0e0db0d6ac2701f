"""What vector search indexes answer: similarity search, scans, upserts and deletes of rows
(vector-search.md §2, §5). Score = 1 / (1 + L2 distance), the last column."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services import generation, vector_rows
from provisioner.local.services.vector_search_indexes import BASE, ON_ENDPOINT, find
from provisioner.local.store import Tx

routes = Routes()


def _data_plane(suffix: str, *methods: str):
    """Register a handler on both path families, for each method (the Python client sends
    GET with a JSON body where the SDK sends POST)."""

    def register(handler):
        for method in methods:
            for base in (BASE, ON_ENDPOINT):
                routes.add(method, f"{base}/{{name}}/{suffix}")(handler)
        return handler

    return register

_FILTERS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "!=": operator.ne, "NOT": operator.ne}


@_data_plane("query", "POST", "GET")
def query(ctx: Context, req: Request) -> dict:
    body = req.json()
    record, rows = _online_rows(ctx, req)
    vector_column = vector_rows.vector_column(record)
    probe = _probe(record, body)
    candidates = [r for r in rows if _matches(r, _filters(body))]
    scored = sorted(((1 / (1 + _distance(probe, r[vector_column])), r) for r in candidates),
                    key=lambda pair: -pair[0])[:int(body.get("num_results", 10))]
    columns = body.get("columns") or [record["primary_key"]]
    return {"manifest": {"column_count": len(columns) + 1,
                         "columns": [{"name": c} for c in [*columns, "score"]]},
            "result": {"row_count": len(scored),
                       "data_array": [[row.get(c) for c in columns] + [score]
                                      for score, row in scored]},
            "next_page_token": ""}


@_data_plane("query-next-page", "POST", "GET")
def query_next_page(ctx: Context, req: Request) -> dict:
    """Every query answers in one page, so the next one is always empty."""
    with ctx.store.read() as tx:
        _online(tx, req, ctx.now)
    return {"manifest": {"column_count": 0, "columns": []},
            "result": {"row_count": 0, "data_array": []}, "next_page_token": ""}


@_data_plane("scan", "POST", "GET")
def scan(ctx: Context, req: Request) -> dict:
    body = req.json()
    record, rows = _online_rows(ctx, req)
    key = record["primary_key"]
    ordered = sorted(rows, key=lambda r: str(r.get(key)))
    after = body.get("last_primary_key")
    if after is not None:
        ordered = [r for r in ordered if str(r.get(key)) > str(after)]
    shown = ordered[:int(body.get("num_results", 100))]
    return {"data": [{"fields": [{"key": k, "value": _value(v)} for k, v in r.items()
                                 if k != vector_rows.HIDDEN_VECTOR]} for r in shown],
            "last_primary_key": str(shown[-1].get(key)) if shown else None}


@_data_plane("upsert-data", "POST")
def upsert(ctx: Context, req: Request) -> dict:
    """Rows that do not fit the index's schema (no primary key, a key or vector of the wrong
    type, a vector of another dimension) are not stored: they are reported failed in the
    answer's documented shape (SDK `UpsertDataResult.failed_primary_keys`, status
    PARTIAL_SUCCESS or FAILURE), so one bad row never breaks later queries (docs/design.md,
    issue 17)."""
    try:
        inputs = json.loads(req.json().get("inputs_json") or "[]")
    except ValueError as exc:
        raise ApiError.invalid(f"inputs_json is not a JSON array of rows: {exc}") from exc
    if not isinstance(inputs, list):
        raise ApiError.invalid("inputs_json is not a JSON array of rows.")
    with ctx.store.write() as tx:
        record = _direct_access(tx, req)
        key = record["primary_key"]
        stored = {str(r[key]): r for r in vector_rows.rows(tx, record, ctx.now)}
        fits = _fits(record)
        failed = []
        for row in inputs:
            if not fits(row):
                failed.append(str(row.get(key, "")) if isinstance(row, dict) else "")
                continue
            stored[str(row[key])] = vector_rows.embedded(record, row)
        tx.put(vector_rows.ROWS, record["name"], {"rows": list(stored.values())})
    return _write_result(len(inputs) - len(failed), failed)


def _fits(record: dict[str, Any]) -> Callable[[Any], bool]:
    """Whether a row fits a Direct Access index: its primary key present and of the schema's
    type, its vector a list of numbers of the index's dimension."""
    spec = record["direct_access_index_spec"]
    schema = json.loads(spec["schema_json"])
    key, vector = record["primary_key"], spec["embedding_vector_columns"][0]
    key_fits = _SPARK_VALUES.get(schema[key], lambda _: True)

    def fits(row: Any) -> bool:
        if not isinstance(row, dict) or row.get(key) is None or not key_fits(row[key]):
            return False
        values = row.get(vector["name"])
        return (isinstance(values, list) and len(values) == vector["embedding_dimension"]
                and all(_is_number(v) for v in values))

    return fits


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_SPARK_VALUES: dict[str, Callable[[Any], bool]] = {
    "int": _is_integer, "bigint": _is_integer, "smallint": _is_integer,
    "tinyint": _is_integer, "float": _is_number, "double": _is_number,
    "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
}
"""The JSON values a column of each stored (Spark) type takes; dates and timestamps are
strings the service parses, not checked here."""


@_data_plane("delete-data", "DELETE")
def delete_data(ctx: Context, req: Request) -> dict:
    """Keys come as `?primary_keys=a&primary_keys=b` (SDK) or a JSON body (Python client)."""
    keys = set(req.query.get("primary_keys", [])) | {
        str(k) for k in req.json().get("primary_keys", [])}
    with ctx.store.write() as tx:
        record = _direct_access(tx, req)
        key = record["primary_key"]
        kept = [r for r in vector_rows.rows(tx, record, ctx.now) if str(r.get(key)) not in keys]
        tx.put(vector_rows.ROWS, record["name"], {"rows": kept})
    return _write_result(len(keys), [])


def _write_result(succeeded: int, failed: list[str]) -> dict[str, Any]:
    status = "SUCCESS" if not failed else ("PARTIAL_SUCCESS" if succeeded else "FAILURE")
    return {"status": status,
            "result": {"success_row_count": succeeded, "failed_primary_keys": failed}}


def _online_rows(ctx: Context, req: Request) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with ctx.store.read() as tx:
        record = _online(tx, req, ctx.now)
        return record, vector_rows.rows(tx, record, ctx.now)


def _online(tx: Tx, req: Request, now: float) -> dict[str, Any]:
    record = find(tx, req)
    if now < record["ready_at"]:
        raise ApiError.invalid(f"Index {record['name']} is not ready yet "
                               "(PROVISIONING_INITIAL_SNAPSHOT).")
    return record


def _direct_access(tx: Tx, req: Request) -> dict[str, Any]:
    record = find(tx, req)
    if record["index_type"] != "DIRECT_ACCESS":
        raise ApiError.invalid(f"Index {record['name']} is a {record['index_type']} index: "
                               "only Direct Access indexes take writes.")
    return record


def _probe(record: dict[str, Any], body: dict[str, Any]) -> list[float]:
    if body.get("query_vector"):
        return [float(v) for v in body["query_vector"]]
    if body.get("query_text") and vector_rows.source_columns(record):
        return generation.embed(str(body["query_text"]))
    raise ApiError.invalid("Provide query_vector, or query_text for an index whose embeddings "
                           "Databricks computes.")


def _filters(body: dict[str, Any]) -> dict[str, Any]:
    raw = body.get("filters_json") or body.get("filters") or "{}"
    try:
        return json.loads(raw) if isinstance(raw, str) else dict(raw)
    except ValueError as exc:
        raise ApiError.invalid(f"filters_json is not JSON: {exc}") from exc


def _matches(row: dict[str, Any], filters: dict[str, Any]) -> bool:
    for key, wanted in filters.items():
        column, _, op = key.partition(" ")
        value = row.get(column)
        if op:
            if op.upper() not in _FILTERS:
                raise ApiError.invalid(f"Unsupported filter operator '{op}'")
            if isinstance(wanted, list):
                if any(value == w for w in wanted):
                    return False
            elif value is None or not _FILTERS[op.upper()](value, wanted):
                return False
        elif isinstance(wanted, list):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


def _distance(a: list[float], b: Any) -> float:
    if not isinstance(b, list) or len(b) != len(a):
        raise ApiError.invalid(f"The query vector has {len(a)} dimensions; the index's have "
                               f"{len(b) if isinstance(b, list) else 'none'}.")
    return math.sqrt(sum((x - float(y)) ** 2 for x, y in zip(a, b, strict=True)))


def _value(value: Any) -> dict[str, Any]:
    """A `google.protobuf.Value`, the shape scan returns fields in."""
    if value is None:
        return {"null_value": None}
    if isinstance(value, bool):
        return {"bool_value": value}
    if isinstance(value, int | float):
        return {"number_value": value}
    if isinstance(value, list):
        return {"list_value": {"values": [_value(v) for v in value]}}
    return {"string_value": str(value)}
