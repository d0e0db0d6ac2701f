"""What a statement answers, whichever protocol carries it: typed columns and Python values,
the error a warehouse reports for SQL it cannot run, and the parameters it binds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_NAMESPACE = ("main", "default")
"""The catalog and schema a statement or session names none of."""
_TYPES = {"INT": int, "INTEGER": int, "BIGINT": int, "SMALLINT": int, "TINYINT": int,
          "LONG": int, "SHORT": int, "BYTE": int, "FLOAT": float, "DOUBLE": float,
          "DECIMAL": float, "BOOLEAN": lambda v: v.lower() == "true"}


@dataclass(frozen=True, slots=True)
class Result:
    """Columns (`name`, `position`, `type_name` as the Statement Execution API's
    `ColumnInfoTypeName`: LONG, INT, DOUBLE, BOOLEAN or STRING) and rows of Python values;
    each protocol encodes them its own way (JSON_ARRAY strings, Thrift typed columns)."""

    columns: list[dict[str, Any]]
    rows: list[list[Any]]


class SqlError(Exception):
    """What the warehouse answers for a statement it cannot run (state FAILED)."""


def column(name: str, position: int, type_name: str) -> dict[str, Any]:
    """A result column as the Statement Execution API describes it."""
    return {"name": name, "position": position, "type_name": type_name,
            "type_text": {"LONG": "BIGINT"}.get(type_name, type_name)}


def typed_parameters(items: list[tuple[str, Any, str]]) -> dict[str, Any]:
    """Named parameter markers (`:name`): (name, value as text, SQL type) to typed values."""
    values = {}
    for name, value, type_text in items:
        kind = (type_text or "STRING").split("(")[0].upper()
        try:
            values[name] = None if value is None else _TYPES.get(kind, str)(value)
        except ValueError:
            raise SqlError(f"Parameter {name}: {value!r} is not a {kind}.") from None
    return values


def text(value: Any) -> str | None:
    """JSON_ARRAY results carry every value as a string (null as null, booleans as SQL)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)
