"""pydantic validation errors -> diagnostics at the right line, with did-you-mean hints."""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from provisioner.diagnostics import Diagnostic, Span, did_you_mean, error

SpanOf = Callable[[tuple], Span]
_QUOTED = re.compile(r"'([^']*)'")
_WORD = re.compile(r"[A-Za-z_][\w.]*\w")
_ABSENT = object()
_FEW_FIELDS = 6
"""An unknown field with no close match lists the fields allowed, when there are this few."""


def validate(model: type[BaseModel], value: Any, span_of: SpanOf, *, what: str = ""
             ) -> tuple[BaseModel | None, list[Diagnostic]]:
    """Validate `value`; each error is placed with `span_of(path in value)`."""
    try:
        return model.model_validate(value), []
    except ValidationError as exc:
        return None, [_diagnostic(model, value, e, span_of, what) for e in exc.errors()]


def _diagnostic(model: type[BaseModel], value: Any, err: dict, span_of: SpanOf,
                what: str) -> Diagnostic:
    path = _value_path(value, err["loc"])
    field = _display(path)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = fields_at(model, path[:-1])
        few = f"fields here: {', '.join(allowed)}" if 0 < len(allowed) <= _FEW_FIELDS else None
        return error(f"unknown field '{path[-1]}'{_in(what, path[:-1])}",
                     span_of((*path, "<key>")),
                     hint=did_you_mean(str(path[-1]), set(allowed) - {path[-1]}) or few)
    if kind == "missing":
        missing = err["loc"][-1]
        parent = path[:-1] if path[-1:] == (missing,) else path
        return error(f"missing required field '{missing}'{_in(what, parent)}",
                     span_of((*parent, "<key>")))
    message = err["msg"].removeprefix("Value error, ")
    hint = None
    if kind in ("literal_error", "enum"):
        choices = _QUOTED.findall(str(err.get("ctx", {}).get("expected", "")))
        hint = did_you_mean(str(err.get("input")), choices)
    prefix = f"{what}{'.' if what and field else ''}{field}"
    node = _node_at(value, path)
    where = (*path, *_named_field(node, message), "<key>") if isinstance(node, dict) else path
    return error(f"{prefix}: {message}" if prefix else message, span_of(where), hint=hint)


def _named_field(node: dict, message: str) -> tuple:
    """A check across fields names them in its message: the first one written is where the
    error goes (`columns_to_sync must include id`), else the mapping itself."""
    for word in _WORD.findall(_QUOTED.sub("", message)):
        path = tuple(word.split("."))
        if _node_at(node, path) is not _ABSENT:
            return path
    return ()


def _node_at(value: Any, path: tuple) -> Any:
    for segment in path:
        value = _child(value, segment)
        if value is _ABSENT:
            break
    return value


def _child(node: Any, segment: Any) -> Any:
    """The item of a mapping or list at `segment`, or `_ABSENT`."""
    if isinstance(node, dict):
        return node.get(segment, _ABSENT)
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return node[segment]
    return _ABSENT


def _in(what: str, path: tuple) -> str:
    where = ".".join(p for p in (what, _display(path)) if p)
    return f" in {where}" if where else ""


def _display(path: tuple) -> str:
    out = ""
    for segment in path:
        out += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if out else segment)
    return out


def _value_path(value: Any, loc: tuple) -> tuple:
    """Keep the loc segments that name real nodes; pydantic adds union/validator tags."""
    path: list = []
    node = value
    for segment in loc:
        child = _child(node, segment)
        if child is not _ABSENT:
            node = child
            path.append(segment)
        elif isinstance(node, dict) and isinstance(segment, str) and segment == loc[-1]:
            path.append(segment)  # an unknown or missing key: not in the value, still named
            break
    return tuple(path)


def fields_at(model: Any, path: tuple) -> list[str]:
    """Field names (and aliases) of the model found at `path` below `model`."""
    candidates = [model]
    for segment in path:
        candidates = [child for c in candidates for child in _children(c, segment)]
    names: list[str] = []
    for candidate in candidates:
        for option in _options(candidate):
            if isinstance(option, type) and issubclass(option, BaseModel):
                for name, info in option.model_fields.items():
                    names.append(info.alias or name)
    return names


def marked(model: type[BaseModel], value: Any, marker: type) -> Iterator[tuple[tuple, Any]]:
    """Each node of `value` (a dump of `model`) whose declared type is `Annotated` with an
    instance of `marker` (e.g. `StackPath`), with its path."""
    if not may_hold(model, marker):
        return iter(())

    def walk(annotations: list[Any], node: Any, path: tuple) -> Iterator[tuple[tuple, Any]]:
        if any(isinstance(m, marker) for a in annotations for m in _metadata(a)):
            yield path, node
        elif isinstance(node, dict | list):
            for segment, child in node.items() if isinstance(node, dict) else enumerate(node):
                children = [c for a in annotations for c in _children(a, segment)]
                yield from walk(children, child, (*path, segment))

    return walk([model], value, ())


@functools.cache
def may_hold(model: type[BaseModel], marker: type) -> bool:
    """Whether any field of `model`, at any depth, is marked with `marker`. Cached per class:
    most kinds have no such field, and walking each resource's dump to find out cost more
    than validating it (a 1,000-resource stack spent a third of its load time there)."""
    return _holds(model, marker, set())


def _holds(annotation: Any, marker: type, seen: set[type]) -> bool:
    if any(isinstance(m, marker) for m in _metadata(annotation)):
        return True
    for option in _options(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            if option not in seen:
                seen.add(option)
                if any(_holds(info.rebuild_annotation(), marker, seen)
                       for info in option.model_fields.values()):
                    return True
        elif any(_holds(arg, marker, seen) for arg in typing.get_args(option)):
            return True
    return False


def _metadata(annotation: Any) -> list[Any]:
    """The `Annotated` metadata of a type, through Optional / Union."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return [*extra, *_metadata(base)]
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _metadata(arg)]
    return []


def _options(annotation: Any) -> list[Any]:
    """Unwrap Optional / Union / Annotated to the concrete types a value may take."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _options(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [o for arg in typing.get_args(annotation) for o in _options(arg)]
    return [annotation]


def _children(annotation: Any, segment: Any) -> list[Any]:
    found = []
    for option in _options(annotation):
        origin = typing.get_origin(option)
        args = typing.get_args(option)
        if isinstance(option, type) and issubclass(option, BaseModel):
            for name, info in option.model_fields.items():
                if segment in (name, info.alias):
                    found.append(info.rebuild_annotation())  # with its Annotated metadata
        elif origin in (list, tuple, set, frozenset) and isinstance(segment, int) and args:
            found.append(args[0])
        elif origin is dict and len(args) == 2:
            found.append(args[1])
    return found
