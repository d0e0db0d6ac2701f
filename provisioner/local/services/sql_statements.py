"""The Statement Execution API (`/api/2.0/sql/statements`): SQL run on a warehouse, results
INLINE as JSON_ARRAY (databricks-sdk `StatementExecutionAPI`).

A statement on a warehouse that is not RUNNING starts it and waits (PENDING) until it is;
the request waits up to `wait_timeout` (default 10 s, `0s` answers at once) and then,
with `on_wait_timeout` CONTINUE, answers PENDING for the client to poll, or with CANCEL
cancels it. A SQL error is a FAILED statement in a 200 answer, as the real API has it.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Routes
from provisioner.local.services import sql_warehouses
from provisioner.local.services.sql_engine import execute
from provisioner.local.services.sql_results import (
    DEFAULT_NAMESPACE,
    SqlError,
    text,
    typed_parameters,
)
from provisioner.local.store import Tx

routes = Routes()

KIND = "sql_statement"
BASE = "/api/2.0/sql/statements"
BYTE_LIMIT = 25 * 1024 * 1024  # INLINE results are limited to 25 MiB
_WAIT = re.compile(r"(\d+)s")


@routes.post(BASE)
def execute_statement(ctx: Context, req: Request) -> dict:
    body = req.json()
    statement = body.get("statement")
    if not isinstance(statement, str) or not statement.strip():
        raise ApiError.invalid("statement is required.")
    warehouse_id = body.get("warehouse_id")
    if not warehouse_id:
        raise ApiError.invalid("warehouse_id is required.")
    wait = _wait_timeout(body.get("wait_timeout", "10s"))
    if body.get("disposition", "INLINE") != "INLINE":
        raise ApiError(501, "NOT_IMPLEMENTED", "The local workspace returns results INLINE "
                                               "only (EXTERNAL_LINKS is not emulated).")
    if body.get("format", "JSON_ARRAY") != "JSON_ARRAY":
        raise ApiError.invalid("INLINE results support the JSON_ARRAY format only.")
    record = {"statement_id": _statement_id(), "statement": statement,
              "warehouse_id": warehouse_id, "catalog": body.get("catalog") or DEFAULT_NAMESPACE[0],
              "schema": body.get("schema") or DEFAULT_NAMESPACE[1],
              "parameters": _parameters(body.get("parameters") or []),
              "row_limit": body.get("row_limit"),
              "byte_limit": min(body.get("byte_limit") or BYTE_LIMIT, BYTE_LIMIT),
              "status": {"state": "PENDING"}}
    with ctx.store.write() as tx:
        warehouse = sql_warehouses.get_warehouse(tx, warehouse_id)
        sql_warehouses.touch(tx, warehouse, ctx)  # starts a stopped warehouse
        record["run_at"] = warehouse["ready_at"]
        tx.put(KIND, record["statement_id"], record)
    if wait and record["run_at"] > ctx.now:
        time.sleep(min(wait, record["run_at"] - ctx.now))
    answer = _settle(ctx, record["statement_id"], time.time())
    if answer["status"]["state"] == "PENDING" and body.get("on_wait_timeout") == "CANCEL" \
            and wait:
        return _cancel(ctx, record["statement_id"])
    return answer


@routes.get(BASE + "/{id}")
def get_statement(ctx: Context, req: Request) -> dict:
    return _settle(ctx, req.params["id"], ctx.now)


@routes.get(BASE + "/{id}/result/chunks/{index}")
def get_chunk(ctx: Context, req: Request) -> dict:
    answer = _settle(ctx, req.params["id"], ctx.now)
    if answer["status"]["state"] != "SUCCEEDED" or req.params["index"] != "0":
        raise ApiError.not_found(f"No result chunk {req.params['index']} for statement "
                                 f"{req.params['id']}.")
    return answer["result"]


@routes.post(BASE + "/{id}/cancel")
def cancel(ctx: Context, req: Request) -> dict:
    _cancel(ctx, req.params["id"])
    return {}


def _cancel(ctx: Context, statement_id: str) -> dict:
    with ctx.store.write() as tx:
        record = _get(tx, statement_id)
        if record["status"]["state"] in ("PENDING", "RUNNING"):
            record["status"] = {"state": "CANCELED"}
            tx.put(KIND, statement_id, record)
    return _view(record)


def _settle(ctx: Context, statement_id: str, now: float) -> dict:
    """Run a pending statement once its warehouse is up; answer it as it stands."""
    with ctx.store.write() as tx:
        record = _get(tx, statement_id)
        if record["status"]["state"] == "PENDING" and now >= record["run_at"]:
            _run(tx, record)
            tx.put(KIND, statement_id, record)
    return _view(record)


def _run(tx: Tx, record: dict[str, Any]) -> None:
    try:
        result = execute(tx, record["statement"], record["parameters"], record["catalog"],
                         record["schema"])
    except SqlError as e:
        record["status"] = {"state": "FAILED", "error": {
            "error_code": "BAD_REQUEST", "message": f"[SQL] {e}"}}
        return
    rows = [[text(v) for v in row] for row in result.rows]
    truncated = record["row_limit"] is not None and len(rows) > record["row_limit"]
    if truncated:
        rows = rows[: record["row_limit"]]
    record["status"] = {"state": "SUCCEEDED"}
    record["manifest"] = {
        "format": "JSON_ARRAY",
        "schema": {"column_count": len(result.columns), "columns": result.columns},
        "total_chunk_count": 1, "total_row_count": len(rows), "truncated": truncated,
        "chunks": [{"chunk_index": 0, "row_offset": 0, "row_count": len(rows)}]}
    record["result"] = {"chunk_index": 0, "row_offset": 0, "row_count": len(rows),
                        **({"data_array": rows} if rows else {})}


def _view(record: dict[str, Any]) -> dict[str, Any]:
    out = {"statement_id": record["statement_id"], "status": record["status"]}
    for part in ("manifest", "result"):
        if part in record:
            out[part] = record[part]
    return out


def _get(tx: Tx, statement_id: str) -> dict[str, Any]:
    record = tx.get(KIND, statement_id)
    if record is None:
        raise ApiError.not_found(f"Statement {statement_id} does not exist.")
    return record


def _wait_timeout(value: Any) -> int:
    """`0s`, or 5 to 50 seconds (the API's bounds)."""
    match = _WAIT.fullmatch(str(value))
    seconds = int(match.group(1)) if match else -1
    if seconds != 0 and not 5 <= seconds <= 50:
        raise ApiError.invalid(f"wait_timeout must be 0s or between 5s and 50s, not {value!r}.")
    return seconds


def _parameters(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Named parameter markers (`:name`) with their values typed as the request says."""
    if not all(item.get("name") for item in items):
        raise ApiError.invalid("Every parameter needs a name.")
    try:
        return typed_parameters([(i["name"], i.get("value"), str(i.get("type") or ""))
                                 for i in items])
    except SqlError as e:
        raise ApiError.invalid(str(e)) from None


def _statement_id() -> str:
    return str(uuid.uuid4())
