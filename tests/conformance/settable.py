"""The settable fields of a kind, read from its spec class: what the field-complete property
must cover. Paths use the rules syntax (`served_entities[*].workload_size`, `tags.*`)."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

ENGINE_FIELDS = ("lifecycle", "depends_on", "rollout")
"""Fields only the engine reads: they never reach the workspace (`rollout` says how a change
is delivered, tests/engine/test_rollouts.py)."""


def settable_fields(spec: type[BaseModel]) -> dict[str, FieldInfo]:
    """Every leaf field a stack can set (pattern -> its pydantic field), sorted; an object's
    fields stand for the object. A type that can contain itself (a nested column schema) is
    one leaf."""
    return dict(sorted(_walk(spec, "", skip=ENGINE_FIELDS).items()))


def _walk(model: type[BaseModel], prefix: str, skip: tuple[str, ...] = ()
          ) -> dict[str, FieldInfo]:
    found: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        if name not in skip:  # stacks write a field by its alias (`schema_json`)
            found |= _leaves(info, info.annotation, f"{prefix}{info.alias or name}")
    return found


def _leaves(info: FieldInfo, annotation: Any, path: str) -> dict[str, FieldInfo]:
    if any(_recursive(m) for m in _models(annotation)):
        return {path: info}
    if models := _models(annotation):
        return {k: v for m in models for k, v in _walk(m, f"{path}.").items()}
    item = _list_item(annotation)
    if item is not None and _models(item):
        if any(_recursive(m) for m in _models(item)):
            return {path: info}
        return {k: v for m in _models(item) for k, v in _walk(m, f"{path}[*].").items()}
    value = _dict_value(annotation)
    if value is not None:
        return _leaves(info, value, f"{path}.*") if _models(value) else {f"{path}.*": info}
    return {path: info}


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


def changed_value(info: FieldInfo, current: Any) -> Any:
    """A value of the field's type other than `current`, within its declared bounds: what
    the property sets when no case says how to change the field. None when the type gives
    no obvious other value (the case must then say)."""
    options = _options(info.annotation)
    literals = [v for o in options if typing.get_origin(o) is Literal for v in typing.get_args(o)]
    if literals:
        return next((v for v in literals if v != current), None)
    kinds = {o for o in options if isinstance(o, type)}
    if bool in kinds:
        return not current
    bounds = {type(m).__name__: m for m in info.metadata}
    if int in kinds:
        low = getattr(bounds.get("Ge"), "ge", 0)
        high = getattr(bounds.get("Le"), "le", None)
        value = (current if isinstance(current, int) else low) + 1
        return value if high is None or value <= high else low
    if float in kinds:
        return 0.5 if current != 0.5 else 0.25
    if str in kinds:
        return f"{current}2" if isinstance(current, str) else "changed"
    item = _list_item(info.annotation)
    if item is not None:
        added = changed_value(FieldInfo(annotation=item), None)
        return None if added is None else [*(current or []), added]
    if _dict_value(info.annotation) is not None:
        return {**(current or {}), "added": "value"}
    return None
