"""pydantic validation errors -> diagnostics at the right line, with did-you-mean hints."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from provisioner.diagnostics import Diagnostic, Span, did_you_mean, error

SpanOf = Callable[[tuple], Span]
_QUOTED = re.compile(r"'([^']*)'")


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
        return error(f"unknown field '{path[-1]}'{_in(what, path[:-1])}",
                     span_of((*path, "<key>")), hint=did_you_mean(str(path[-1]), allowed))
    if kind == "missing":
        missing = err["loc"][-1]
        return error(f"missing required field '{missing}'{_in(what, path)}", span_of(path))
    message = err["msg"].removeprefix("Value error, ")
    hint = None
    if kind in ("literal_error", "enum"):
        choices = _QUOTED.findall(str(err.get("ctx", {}).get("expected", "")))
        hint = did_you_mean(str(err.get("input")), choices)
    prefix = f"{what}{'.' if what and field else ''}{field}"
    return error(f"{prefix}: {message}" if prefix else message, span_of(path), hint=hint)


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
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and isinstance(segment, int) and segment < len(node):
            node = node[segment]
        elif isinstance(node, dict) and isinstance(segment, str) and segment == loc[-1]:
            path.append(segment)  # an unknown or missing key: not in the value, still named
            break
        else:
            continue
        path.append(segment)
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
                    found.append(info.annotation)
        elif origin in (list, tuple, set, frozenset) and isinstance(segment, int) and args:
            found.append(args[0])
        elif origin is dict and len(args) == 2:
            found.append(args[1])
    return found
