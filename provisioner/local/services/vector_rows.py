"""The rows a vector search index holds, and the local table stand-ins Delta Sync copies.

Direct Access indexes keep the rows upserted into them. Delta Sync indexes copy the rows of a
local *table stand-in* (set with `PUT /_local/tables/<catalog.schema.table>`, body
`{"rows": [...]}`): a TRIGGERED index when first read online and on each sync, a CONTINUOUS
one whenever it is read. Managed-embedding columns are embedded with the deterministic
embeddings of generation.py into a hidden vector column.
"""

from __future__ import annotations

from typing import Any

from provisioner.local.protocol import ApiError, Context
from provisioner.local.services import generation
from provisioner.local.store import Tx

TABLES = "table_stand_in"
ROWS = "vector_index_rows"
HIDDEN_VECTOR = "__embedding__"


def put_table(ctx: Context, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Control path: replace a table stand-in's rows."""
    rows = body.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ApiError.invalid("Expected {\"rows\": [{column: value, ...}, ...]}")
    with ctx.store.write() as tx:
        tx.put(TABLES, name.lower(), {"name": name.lower(), "rows": rows})
    return {"name": name.lower(), "row_count": len(rows)}


def row_count(tx: Tx, record: dict[str, Any], now: float) -> int:
    return len(rows(tx, record, now)) if now >= record["ready_at"] else 0


def resync(tx: Tx, record: dict[str, Any]) -> None:
    """A TRIGGERED sync: take the table stand-in's rows as they are now."""
    tx.put(ROWS, record["name"], {"rows": from_table(tx, record)})


def rows(tx: Tx, record: dict[str, Any], now: float) -> list[dict[str, Any]]:
    spec = record.get("delta_sync_index_spec")
    if spec and spec.get("pipeline_type") == "CONTINUOUS":
        return from_table(tx, record)
    stored = tx.get(ROWS, record["name"])
    if stored is None and spec:
        return from_table(tx, record)  # the first sync: taken when first read once online
    return stored["rows"] if stored else []


def from_table(tx: Tx, record: dict[str, Any]) -> list[dict[str, Any]]:
    spec = record["delta_sync_index_spec"]
    table = tx.get(TABLES, spec["source_table"].lower()) or {"rows": []}
    synced = spec.get("columns_to_sync")
    keep = set(synced) | {record["primary_key"], *source_columns(record)} if synced else None
    return [embedded(record, {k: v for k, v in row.items() if keep is None or k in keep})
            for row in table["rows"]]


def source_columns(record: dict[str, Any]) -> list[str]:
    spec = record.get("delta_sync_index_spec") or record.get("direct_access_index_spec") or {}
    return [c["name"] for c in spec.get("embedding_source_columns") or []]


def vector_column(record: dict[str, Any]) -> str:
    spec = record.get("delta_sync_index_spec") or record.get("direct_access_index_spec") or {}
    vectors = spec.get("embedding_vector_columns") or []
    return vectors[0]["name"] if vectors else HIDDEN_VECTOR


def embedded(record: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """Managed embeddings: the service embeds the source column into a hidden vector."""
    sources = source_columns(record)
    if sources and not (record.get("delta_sync_index_spec") or record.get(
            "direct_access_index_spec") or {}).get("embedding_vector_columns"):
        return {**row, HIDDEN_VECTOR: generation.embed(str(row.get(sources[0], "")))}
    return row
