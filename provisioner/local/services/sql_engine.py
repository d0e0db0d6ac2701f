"""The SQL a warehouse runs: SQLite (in memory) over the workspace's table stand-ins.

SQLite was measured against DuckDB (docs/local-workspace.md): it is in the standard library,
loads a 1,000-row stand-in in ~2 ms against DuckDB's ~700 ms, and runs the queries an agent
sends in about a millisecond. Databricks names tables `catalog.schema.table`, which SQLite
cannot parse, so each stand-in is a table named by its full name, and the statement's table
references (`t`, `schema.t`, `catalog.schema.t`, any part in backticks) are rewritten to it
before SQLite sees them. Writes (CREATE TABLE, INSERT, UPDATE, DELETE, DROP) are kept: the
tables are written back to their stand-ins. The catalog commands clients send before their
queries (`SHOW TABLES`, `DESCRIBE TABLE`, ...) are answered by sql_catalog.py.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from provisioner.local.services import sql_catalog
from provisioner.local.services.sql_results import Result, SqlError, column
from provisioner.local.services.vector_rows import TABLES
from provisioner.local.store import Tx

_TOKEN = re.compile(r"""
    (?P<string>'(?:[^']|'')*')
  | (?P<dstring>"(?:[^"\\]|\\.)*")
  | (?P<marker>:`(?:[^`]|``)+`)
  | (?P<quoted>`(?:[^`]|``)*`)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<dot>\.)
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_TABLE_KEYWORDS = {"from", "join", "into", "update", "table", "exists"}
_CREATING = {"into", "table", "exists"}
"""After these a name may be a table that does not exist yet."""
_AFFINITY = {"bigint": "INTEGER", "boolean": "INTEGER", "double": "REAL", "string": "TEXT"}
"""SQLite's column type for each type a stand-in's values have (sql_catalog.column_types)."""
_NOT_AN_ALIAS = {"where", "join", "inner", "left", "right", "full", "cross", "on", "group",
                 "order", "limit", "union", "having", "natural", "using", "set", "values",
                 "as", "select", "window", "except", "intersect", "outer"}


def execute(tx: Tx, statement: str, parameters: dict[str, Any], catalog: str,
            schema: str) -> Result:
    """Run one statement over the stand-ins; tables it changed are written back."""
    tables = {t["name"]: t["rows"] for t in tx.list(TABLES)}
    command = sql_catalog.answer(statement, tables, catalog.lower(), schema.lower())
    if command is not None:
        return command
    conn = sqlite3.connect(":memory:")
    try:
        for name, rows in tables.items():
            _load(conn, name, rows)
        sql = _resolve(statement, set(tables), catalog.lower(), schema.lower())
        before = conn.total_changes
        try:
            cursor = conn.execute(sql, parameters)
            fetched = cursor.fetchall()
        except sqlite3.Error as e:
            raise SqlError(str(e)) from None
        columns = [d[0] for d in cursor.description or ()]
        if conn.total_changes != before or _defines(sql):
            _write_back(tx, conn, set(tables))
        return Result(_schema(columns, fetched), [list(row) for row in fetched])
    finally:
        conn.close()


def _load(conn: sqlite3.Connection, name: str, rows: list[dict[str, Any]]) -> None:
    columns = {column: _AFFINITY[kind]
               for column, kind in sql_catalog.column_types(rows).items()}
    if not columns:
        columns = {"value": "TEXT"}  # SQLite has no table without columns
    definition = ", ".join(f"{_quote(c)} {t}" for c, t in columns.items())
    conn.execute(f"CREATE TABLE {_quote(name)} ({definition})")
    marks = ", ".join("?" * len(columns))
    conn.executemany(f"INSERT INTO {_quote(name)} VALUES ({marks})",
                     [[_stored(row.get(c)) for c in columns] for row in rows])


def _stored(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, list | dict) else value


def _resolve(statement: str, tables: set[str], catalog: str, schema: str) -> str:
    """Table references rewritten to the stand-ins' full names (`"main.rag.docs" AS docs`)."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(statement)]
    out: list[str] = []
    previous_word = ""
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind in ("word", "quoted"):
            parts, end = [_unquote(text)], i + 1
            while end + 1 < len(tokens) and tokens[end][0] == "dot" and \
                    tokens[end + 1][0] in ("word", "quoted") and len(parts) < 3:
                parts.append(_unquote(tokens[end + 1][1]))
                end += 2
            name = _table(parts, tables, catalog, schema, previous_word)
            if name is not None:
                out.append(_quote(name))
                if previous_word in ("from", "join") and not _has_alias(tokens, end):
                    out.append(f" AS {_quote(parts[-1])}")
                previous_word = ""
                i = end
                continue
            previous_word = text.lower() if kind == "word" else ""
        elif kind == "marker":  # Spark SQL's :`name` marker; SQLite's is :name
            text = ":" + _unquote(text[1:])
            previous_word = ""
        elif kind == "dstring":  # Spark SQL's "text" is a string; SQLite's, a name
            text = "'" + text[1:-1].replace('\\"', '"').replace("'", "''") + "'"
            previous_word = ""
        elif kind != "space":
            previous_word = ""
        out.append(text)
        i += 1
    return "".join(out)


def _table(parts: list[str], tables: set[str], catalog: str, schema: str,
           previous_word: str) -> str | None:
    lowered = [p.lower() for p in parts]
    if len(lowered) == 1 and previous_word not in _TABLE_KEYWORDS:
        return None  # a column, unless it follows FROM, JOIN, INTO, UPDATE or TABLE
    name = ".".join([catalog, schema][: 3 - len(lowered)] + lowered)
    known = name in tables or previous_word in _CREATING
    qualified = previous_word in _TABLE_KEYWORDS and len(lowered) > 1  # an error names it
    return name if known or qualified else None


def _has_alias(tokens: list[tuple[str | None, str]], end: int) -> bool:
    rest = [t for t in tokens[end:] if t[0] != "space"]
    if not rest:
        return False
    kind, text = rest[0]
    return (kind == "word" and text.lower() not in _NOT_AN_ALIAS) or text.lower() == "as"


def _defines(sql: str) -> bool:
    return bool(re.match(r"\s*(create|drop|alter)\b", sql, re.IGNORECASE))


def _write_back(tx: Tx, conn: sqlite3.Connection, before: set[str]) -> None:
    now = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for name in now:
        cursor = conn.execute(f"SELECT * FROM {_quote(name)}")
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        tx.put(TABLES, name, {"name": name, "rows": rows})
    for name in before - now:
        tx.delete(TABLES, name)


def _schema(columns: list[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Column types as the result's values show them (SQLite keeps no type per result)."""
    out = []
    for position, name in enumerate(columns):
        values = [row[position] for row in rows if row[position] is not None]
        if values and all(isinstance(v, int) for v in values):
            type_name = "LONG"
        elif values and all(isinstance(v, int | float) for v in values):
            type_name = "DOUBLE"
        else:
            type_name = "STRING"
        out.append(column(name, position, type_name))
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unquote(text: str) -> str:
    if text[:1] == "`":
        return text[1:-1].replace("``", "`")
    if text[:1] == '"':
        return text[1:-1].replace('""', '"')
    return text
