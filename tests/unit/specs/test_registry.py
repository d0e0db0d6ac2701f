"""The kind -> spec map, and what every spec promises the loader, the docs and the engine."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from provisioner.specs import SPECS, spec_for
from provisioner.specs.base import ResourceSpec

from .helpers import DESIGN


def test_kinds_in_order_and_keyed_by_kind():
    assert list(SPECS) == ["serving_endpoints", "external_models", "foundation_models",
                           "vector_search_endpoints", "vector_search_indexes",
                           "registered_models", "sql_warehouses",
                           "experiments"]
    for kind, spec in SPECS.items():
        assert kind == spec.KIND and spec_for(kind) is spec


def test_spec_for_unknown_kind_names_the_kinds():
    with pytest.raises(KeyError, match="kinds: serving_endpoints"):
        spec_for("serving_endpoint")


@pytest.mark.parametrize(("kind", "attributes"), [
    ("serving_endpoints", {"name", "id", "url"}),
    ("external_models", {"name", "id", "url"}),
    ("foundation_models", {"name", "id", "url"}),
    ("vector_search_endpoints", {"name", "id", "state"}),
    ("vector_search_indexes", {"name", "endpoint", "status"}),
    ("registered_models", {"name", "version", "uri"}),
    ("sql_warehouses", {"name", "id", "http_path", "jdbc_url", "state"}),
    ("experiments", {"name", "id", "artifact_location"}),
])
def test_attributes(kind, attributes):
    assert set(SPECS[kind].ATTRIBUTES) == attributes


def test_design_example_validates():
    assert set(DESIGN) <= set(SPECS)
    for kind, resources in DESIGN.items():
        for key, value in resources.items():
            assert SPECS[kind].model_validate(value).with_default_name(key).name


def _models(model: type[BaseModel], seen: set) -> None:
    """Every pydantic model reachable from `model`'s fields."""
    if model in seen:
        return
    seen.add(model)
    for info in model.model_fields.values():
        for arg in _flatten(info.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                _models(arg, seen)


def _flatten(annotation: typing.Any) -> list:
    args = typing.get_args(annotation)
    return [annotation] + [a for arg in args for a in _flatten(arg)]


def all_models() -> list[type[BaseModel]]:
    seen: set = set()
    for spec in SPECS.values():
        _models(spec, seen)
    return sorted(seen, key=lambda m: m.__name__)


@pytest.mark.parametrize("model", all_models(), ids=lambda m: m.__name__)
def test_every_model_is_complete_described_and_strict(model):
    assert model.__pydantic_complete__  # annotations resolved despite `from __future__`
    assert model.model_config.get("extra") == "forbid"
    undocumented = [name for name, info in model.model_fields.items() if not info.description]
    assert undocumented == []


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda s: s.KIND)
def test_json_schema_and_docstring(spec: type[ResourceSpec]):
    schema = spec.model_json_schema()
    assert schema["additionalProperties"] is False
    assert spec.__doc__ and spec.__doc__.strip()
