"""What a warehouse knows of its tables, answered from the table stand-ins (SQLite knows no
`catalog.schema.table`): the catalog commands SQL clients send before their queries, and the
HiveServer2 metadata calls (GetCatalogs, GetSchemas, GetTables, GetColumns) of the Thrift
protocol, which list the same things in JDBC's `DatabaseMetaData` columns.

Output columns are Databricks SQL's (SQL reference, "SHOW TABLES": database, tableName,
isTemporary; "SHOW VIEWS": namespace, viewName, isTemporary, isMaterialized; "SHOW SCHEMAS":
databaseName; "SHOW CATALOGS": catalog; "DESCRIBE TABLE": col_name, data_type, comment, with
EXTENDED adding "# Detailed Table Information"); a table that does not exist is the
`TABLE_OR_VIEW_NOT_FOUND` error class, which databricks-sqlalchemy's reflection matches on.
A stand-in's column types are those of its values (a column of whole numbers is BIGINT).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from provisioner.local.services.sql_results import Result, SqlError, column

_PART = r"(?:`(?:[^`]|``)+`|\w+)"
_NAME = rf"{_PART}(?:\s*\.\s*{_PART})*"
_LIKE = r"(?:\s+(?:LIKE\s+)?'(?P<like>[^']*)')?"
_FROM = rf"(?:\s+(?:FROM|IN)\s+(?P<name>{_NAME}))?"
_END = r"\s*;?\s*"
_COMMANDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\s*SHOW\s+CATALOGS{_LIKE}{_END}", re.I), "catalogs"),
    (re.compile(rf"\s*SHOW\s+(?:SCHEMAS|DATABASES){_FROM}{_LIKE}{_END}", re.I), "schemas"),
    (re.compile(rf"\s*SHOW\s+TABLES{_FROM}{_LIKE}{_END}", re.I), "tables"),
    (re.compile(rf"\s*SHOW\s+VIEWS{_FROM}{_LIKE}{_END}", re.I), "views"),
    (re.compile(rf"\s*DESC(?:RIBE)?\s+(?:TABLE\s+)?(?P<extended>EXTENDED\s+|FORMATTED\s+)?"
                rf"(?P<name>{_NAME}){_END}", re.I), "describe"),
]
_JDBC_TYPES = {"bigint": -5, "double": 8, "boolean": 16, "string": 12}
"""java.sql.Types codes of the column types stand-ins have (GetColumns' DATA_TYPE)."""

Tables = dict[str, list[dict[str, Any]]]
"""Stand-ins by full name (`main.sales.orders`) with their rows."""


def answer(statement: str, tables: Tables, catalog: str, schema: str) -> Result | None:
    """The result of a catalog command, or None for any other statement."""
    for pattern, command in _COMMANDS:
        if found := pattern.fullmatch(statement):
            groups = found.groupdict()
            parts = _parts(groups.get("name"))
            like = groups.get("like")
            match command:
                case "catalogs":
                    return _result([("catalog", "STRING")],
                                   [[c] for c in _catalogs(tables) if _like(like, c)])
                case "schemas":
                    target = parts[0] if parts else catalog
                    return _result([("databaseName", "STRING")],
                                   [[s] for c, s in _schemas(tables)
                                    if c == target and _like(like, s)])
                case "tables":
                    target = _namespace(parts, catalog, schema)
                    return _result([("database", "STRING"), ("tableName", "STRING"),
                                    ("isTemporary", "BOOLEAN")],
                                   [[target[1], t, False] for c, s, t in _names(tables)
                                    if (c, s) == target and _like(like, t)])
                case "views":  # stand-ins are tables: no schema holds a view
                    return _result([("namespace", "STRING"), ("viewName", "STRING"),
                                    ("isTemporary", "BOOLEAN"),
                                    ("isMaterialized", "BOOLEAN")], [])
                case _:
                    return _describe(tables, parts, catalog, schema, bool(groups["extended"]))
    return None


def column_types(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each column's SQL type (bigint, double, boolean, string) as its values show it."""
    types: dict[str, str] = {}
    for row in rows:
        for key, value in row.items():
            if value is None:
                types.setdefault(key, "")
                continue
            kind = ("boolean" if isinstance(value, bool) else "bigint" if isinstance(value, int)
                    else "double" if isinstance(value, float) else "string")
            seen = types.get(key)
            if not seen:
                types[key] = kind
            elif seen != kind:
                numbers = {seen, kind} <= {"bigint", "double"}
                types[key] = "double" if numbers else "string"
    return {key: kind or "string" for key, kind in types.items()}


def catalogs(tables: Tables, catalog: str | None) -> Result:
    """GetCatalogs: TABLE_CAT."""
    return _result([("TABLE_CAT", "STRING")],
                   [[c] for c in _catalogs(tables) if _exact(catalog, c)])


def schemas(tables: Tables, catalog: str | None, schema: str | None) -> Result:
    """GetSchemas: TABLE_SCHEM, TABLE_CATALOG (schema as a JDBC pattern)."""
    return _result([("TABLE_SCHEM", "STRING"), ("TABLE_CATALOG", "STRING")],
                   [[s, c] for c, s in _schemas(tables)
                    if _exact(catalog, c) and _pattern(schema, s)])


def table_list(tables: Tables, catalog: str | None, schema: str | None, table: str | None,
               types: list[str] | None) -> Result:
    """GetTables: the ten columns of JDBC's getTables, every stand-in a TABLE."""
    rows = [[c, s, t, "TABLE", ""] + [None] * 5 for c, s, t in _names(tables)
            if _exact(catalog, c) and _pattern(schema, s) and _pattern(table, t)
            and (not types or "TABLE" in {k.upper() for k in types})]
    return _result([(n, "STRING") for n in (
        "TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS", "TYPE_CAT",
        "TYPE_SCHEM", "TYPE_NAME", "SELF_REFERENCING_COL_NAME", "REF_GENERATION")], rows)


def column_list(tables: Tables, catalog: str | None, schema: str | None, table: str | None,
                name: str | None) -> Result:
    """GetColumns: the 23 columns of JDBC's getColumns (ORDINAL_POSITION from 0, as Spark's
    Thrift server numbers them)."""
    rows = []
    for c, s, t in _names(tables):
        if not (_exact(catalog, c) and _pattern(schema, s) and _pattern(table, t)):
            continue
        for position, (col, kind) in enumerate(column_types(tables[f"{c}.{s}.{t}"]).items()):
            if _pattern(name, col):
                rows.append([c, s, t, col, _JDBC_TYPES[kind], kind.upper(), None, None, None,
                             None, 1, "", None, None, None, None, position, "YES", None, None,
                             None, None, "NO"])
    return _result([
        ("TABLE_CAT", "STRING"), ("TABLE_SCHEM", "STRING"), ("TABLE_NAME", "STRING"),
        ("COLUMN_NAME", "STRING"), ("DATA_TYPE", "INT"), ("TYPE_NAME", "STRING"),
        ("COLUMN_SIZE", "INT"), ("BUFFER_LENGTH", "INT"), ("DECIMAL_DIGITS", "INT"),
        ("NUM_PREC_RADIX", "INT"), ("NULLABLE", "INT"), ("REMARKS", "STRING"),
        ("COLUMN_DEF", "STRING"), ("SQL_DATA_TYPE", "INT"), ("SQL_DATETIME_SUB", "INT"),
        ("CHAR_OCTET_LENGTH", "INT"), ("ORDINAL_POSITION", "INT"), ("IS_NULLABLE", "STRING"),
        ("SCOPE_CATALOG", "STRING"), ("SCOPE_SCHEMA", "STRING"), ("SCOPE_TABLE", "STRING"),
        ("SOURCE_DATA_TYPE", "INT"), ("IS_AUTO_INCREMENT", "STRING")], rows)


def _describe(tables: Tables, parts: list[str], catalog: str, schema: str,
              extended: bool) -> Result:
    if not 1 <= len(parts) <= 3:
        raise SqlError(f"[PARSE_SYNTAX_ERROR] Syntax error at or near {'.'.join(parts)!r}.")
    full = [catalog, schema][: 3 - len(parts)] + parts
    rows = tables.get(".".join(full))
    if rows is None:
        raise SqlError("[TABLE_OR_VIEW_NOT_FOUND] The table or view "
                       f"{'.'.join(f'`{p}`' for p in full)} cannot be found. Verify the "
                       "spelling and correctness of the schema and catalog. SQLSTATE: 42P01")
    out = [[name, kind, None] for name, kind in column_types(rows).items()]
    if extended:
        out += [["", "", ""], ["# Detailed Table Information", "", ""],
                ["Catalog", full[0], ""], ["Database", full[1], ""], ["Table", full[2], ""],
                ["Type", "MANAGED", ""], ["Provider", "delta", ""]]
    return _result([("col_name", "STRING"), ("data_type", "STRING"), ("comment", "STRING")],
                   out)


def _names(tables: Tables) -> list[tuple[str, str, str]]:
    return sorted(tuple(name.split(".", 2)) for name in tables if name.count(".") == 2)


def _schemas(tables: Tables) -> list[tuple[str, str]]:
    return sorted({(c, s) for c, s, _ in _names(tables)})


def _catalogs(tables: Tables) -> list[str]:
    return sorted({c for c, _, _ in _names(tables)})


def _namespace(parts: list[str], catalog: str, schema: str) -> tuple[str, str]:
    if len(parts) > 2:
        raise SqlError(f"[INVALID_SCHEMA_OR_RELATION_NAME] {'.'.join(parts)} is not a "
                       "valid schema name.")
    full = ([catalog] + parts) if len(parts) == 1 else parts or [catalog, schema]
    return full[0], full[1]


def _parts(name: str | None) -> list[str]:
    """`a`.b.`c` as ['a', 'b', 'c'], lowered (Unity Catalog names are case-insensitive)."""
    if not name:
        return []
    return [(quoted.replace("``", "`") or plain).lower()
            for quoted, plain in re.findall(r"`((?:[^`]|``)+)`|(\w+)", name)]


def _like(pattern: str | None, name: str) -> bool:
    """SHOW ... LIKE: `*` any characters, `|` alternatives, case-insensitive."""
    return pattern is None or _matches(pattern, name, lambda p: ".*".join(
        re.escape(piece) for piece in p.strip().split("*")), "|")


def _pattern(pattern: str | None, name: str) -> bool:
    """A JDBC metadata pattern: `%` any characters, `_` one; none or empty matches all."""
    return not pattern or _matches(pattern, name, lambda p: "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in p), None)


def _matches(pattern: str, name: str, translate: Callable[[str], str],
             separator: str | None) -> bool:
    alternatives = pattern.split(separator) if separator else [pattern]
    return any(re.fullmatch(translate(p), name, re.I) for p in alternatives)


def _exact(wanted: str | None, name: str) -> bool:
    return not wanted or wanted.lower() == name


def _result(columns: list[tuple[str, str]], rows: list[list[Any]]) -> Result:
    return Result([column(name, i, kind) for i, (name, kind) in enumerate(columns)], rows)
