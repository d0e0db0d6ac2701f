"""Small rules several services share: names, required fields, ids, pages."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from provisioner.local.protocol import ApiError

# Serving endpoints, served entities and (by the reference's safe choice) vector search endpoints.
NAME = re.compile(r"[A-Za-z0-9_-]{1,63}")


def check_name(name: Any, what: str, pattern: re.Pattern[str] = NAME) -> str:
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise ApiError.invalid(f"Invalid {what} name {name!r}: it must match {pattern.pattern}.")
    return name


def require(body: dict[str, Any], field: str) -> Any:
    value = body.get(field)
    if value in (None, "", [], {}):
        raise ApiError.invalid(f"Missing required field: {field}")
    return value


def one_of(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ApiError.invalid(f"Invalid {field} {value!r}: expected one of {', '.join(allowed)}.")
    return value


PERMISSIONS = "permissions"


def permissions_key(object_type: str, object_id: str) -> str:
    """Where an object's ACL is kept; its owner deletes it along with the object."""
    return f"{object_type}/{object_id}"


def hex_id() -> str:
    """32 hex characters, the shape of serving endpoint ids."""
    return uuid.uuid4().hex


def uuid_id() -> str:
    return str(uuid.uuid4())


def numeric_id() -> int:
    """16 digits, the shape of workspace object ids and workspace ids."""
    return 10**15 + secrets.randbelow(9 * 10**15)


def page(docs: list[dict[str, Any]], size: int) -> tuple[list[dict[str, Any]], str]:
    """Split `size + 1` documents listed by name into a page and the next page's token ("" at end).

    The token is the last name shown, so a page never repeats or skips a name when others
    are created or deleted in between.
    """
    if len(docs) <= size:
        return docs, ""
    return docs[:size], docs[size - 1]["name"]
