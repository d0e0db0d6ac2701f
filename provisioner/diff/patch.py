"""Read and write one field of a document by its path (keys, indexes, keyed list items).
Documents are never edited in place: `put` copies, and a walk that rebuilds a document keeps
the original wherever it changed nothing (`unchanged_or`)."""

from __future__ import annotations

import copy
from typing import Any

from provisioner.diff.rules import FieldPath, matches_segment

ABSENT = object()
"""What `get` returns for a path the document lacks, and what `put` takes to remove one."""


def unchanged_or(original: Any, rebuilt: Any) -> Any:
    """`original` (a dict or list) when `rebuilt`, a walk's copy of it, holds the very same
    children, else `rebuilt`: what a walk leaves unchanged stays one shared object (a plan
    holds several walked copies of every resource's document)."""
    if isinstance(original, dict):
        same = all(rebuilt[k] is v for k, v in original.items())
    else:
        same = all(a is b for a, b in zip(rebuilt, original, strict=True))
    return original if same else rebuilt


def get(document: Any, path: FieldPath) -> Any:
    node = document
    for segment in path:
        node = _child(node, segment)
        if node is ABSENT:
            return ABSENT
    return node


def put(document: dict[str, Any], path: FieldPath, value: Any) -> dict[str, Any]:
    """A copy of `document` with `value` at `path` (ABSENT: removed there); a missing keyed
    item is appended, a missing mapping created on the way."""
    result = copy.deepcopy(document)
    parent = result
    for segment in path[:-1]:
        child = _child(parent, segment)
        if child is ABSENT:
            child = {}
            _set(parent, segment, child)
        parent = child
    _set(parent, path[-1], value)
    return result


def _child(node: Any, segment: Any) -> Any:
    if isinstance(segment, str):
        return node.get(segment, ABSENT) if isinstance(node, dict) else ABSENT
    if isinstance(node, list):
        if isinstance(segment, int):
            return node[segment] if 0 <= segment < len(node) else ABSENT
        return next((item for item in node if matches_segment(item, segment)), ABSENT)
    return ABSENT


def _set(node: Any, segment: Any, value: Any) -> None:
    if isinstance(segment, str):
        if value is ABSENT:
            node.pop(segment, None)
        else:
            node[segment] = value
        return
    index = (segment if isinstance(segment, int) and segment < len(node) else
             next((i for i, item in enumerate(node) if not isinstance(segment, int)
                   and matches_segment(item, segment)), None))
    if index is None:
        if value is not ABSENT:
            node.append(value)
    elif value is ABSENT:
        del node[index]
    else:
        node[index] = value
