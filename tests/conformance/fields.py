"""The settable fields of a kind, read from its spec class: what the field-complete property
must cover. Paths use the rules syntax (`served_entities[*].workload_size`, `tags.*`)."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel

ENGINE_FIELDS = ("lifecycle", "depends_on")
"""Fields only the engine reads: they never reach the workspace."""


def settable_fields(spec: type[BaseModel]) -> list[str]:
    """Every leaf field a stack can set, sorted; an object's fields stand for the object. A
    type that can contain itself (a nested column schema) is one leaf."""
    return sorted(_walk(spec, "", (), skip=ENGINE_FIELDS))


def _walk(model: type[BaseModel], prefix: str, seen: tuple[type, ...],
          skip: tuple[str, ...] = ()) -> set[str]:
    found: set[str] = set()
    for name, info in model.model_fields.items():
        if name not in skip:
            found |= _leaves(info.annotation, f"{prefix}{name}", (*seen, model))
    return found


def _leaves(annotation: Any, path: str, seen: tuple[type, ...]) -> set[str]:
    if any(_recursive(m) for m in _models(annotation)):
        return {path}
    if models := _models(annotation):
        return set().union(*(_walk(m, f"{path}.", seen) for m in models))
    item = _list_item(annotation)
    if item is not None and _models(item):
        if any(_recursive(m) for m in _models(item)):
            return {path}
        return set().union(*(_walk(m, f"{path}[*].", seen) for m in _models(item)))
    value = _dict_value(annotation)
    if value is not None:
        return _leaves(value, f"{path}.*", seen) if _models(value) else {f"{path}.*"}
    return {path}


def _recursive(model: type[BaseModel]) -> bool:
    """A type that can contain itself (a column schema): its value is one leaf."""
    pending, seen = [model], set()
    while pending:
        current = pending.pop()
        for info in current.model_fields.values():
            for inner in _nested(info.annotation):
                if inner is model:
                    return True
                if inner not in seen:
                    seen.add(inner)
                    pending.append(inner)
    return False


def _nested(annotation: Any) -> list[type[BaseModel]]:
    found = list(_models(annotation))
    for inner in (_list_item(annotation), _dict_value(annotation)):
        if inner is not None:
            found += _nested(inner)
    return found


def _options(annotation: Any) -> list[Any]:
    """The members of a union (Optional included), Annotated unwrapped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _options(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [o for a in typing.get_args(annotation) for o in _options(a)]
    return [annotation]


def _models(annotation: Any) -> list[type[BaseModel]]:
    return [o for o in _options(annotation)
            if isinstance(o, type) and issubclass(o, BaseModel)]


def _list_item(annotation: Any) -> Any:
    for option in _options(annotation):
        if typing.get_origin(option) in (list, tuple, set):
            return typing.get_args(option)[0]
    return None


def _dict_value(annotation: Any) -> Any:
    for option in _options(annotation):
        if typing.get_origin(option) is dict:
            return typing.get_args(option)[1]
    return None


def is_literal(annotation: Any) -> bool:
    return any(typing.get_origin(o) is Literal for o in _options(annotation))
