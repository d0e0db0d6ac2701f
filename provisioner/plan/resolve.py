"""Replace `${resources...}` in a desired document with what the referenced resource exposes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.addresses import REFERENCE_RE, Address
from provisioner.diff.patch import unchanged_or
from provisioner.placeholders import UNKNOWN

Outputs = Mapping[Address, Mapping[str, Any]]


def resolve(value: Any, outputs: Outputs) -> Any:
    """`value` with every reference whose attribute is known substituted.

    A string that is exactly one reference takes the attribute's own value; a string with an
    attribute not known yet becomes UNKNOWN as a whole, since part of it cannot be shown.
    What holds no reference is `value`'s own object, not a copy (documents are never edited
    in place): a plan holds every resource's document, resolved.
    """
    if isinstance(value, dict):
        return unchanged_or(value, {k: resolve(v, outputs) for k, v in value.items()})
    if isinstance(value, list):
        return unchanged_or(value, [resolve(v, outputs) for v in value])
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = REFERENCE_RE.fullmatch(value)
    if whole:
        return _lookup(whole, outputs)
    parts = []
    for piece in _split(value):
        if isinstance(piece, str):
            parts.append(piece)
            continue
        found = _lookup(piece, outputs)
        if found == UNKNOWN:
            return UNKNOWN
        parts.append(str(found))
    return "".join(parts)


def is_resolved(value: Any) -> bool:
    """True when no reference and no unknown value is left anywhere in `value`."""
    if isinstance(value, dict):
        return all(is_resolved(v) for v in value.values())
    if isinstance(value, list):
        return all(is_resolved(v) for v in value)
    return not (isinstance(value, str) and (value == UNKNOWN or REFERENCE_RE.search(value)))


def _lookup(match: Any, outputs: Outputs) -> Any:
    known = outputs.get(Address(match["kind"], match["key"])) or {}
    value = known.get(match["attribute"])
    return UNKNOWN if value is None else value


def _split(text: str) -> list[Any]:
    pieces: list[Any] = []
    position = 0
    for match in REFERENCE_RE.finditer(text):
        pieces.append(text[position:match.start()])
        pieces.append(match)
        position = match.end()
    pieces.append(text[position:])
    return pieces
