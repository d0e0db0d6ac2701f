"""Shared field types: endpoint names, Unity Catalog names, tags in either form."""

from __future__ import annotations

import pytest

from provisioner.specs.base import Spec
from provisioner.specs.fields import (
    ApiTags,
    EndpointName,
    ServedEntityName,
    TagMap,
    UcIdentifierName,
    UcName,
    UcTableName,
)

from .helpers import errors


class Names(Spec):
    endpoint: EndpointName | None = None
    entity: ServedEntityName | None = None
    index: UcIdentifierName | None = None
    model: UcName | None = None
    table: UcTableName | None = None


class Tagged(Spec):
    tags: ApiTags | None = None
    labels: TagMap | None = None


@pytest.mark.parametrize("name", ["a", "rag-assistant", "my_endpoint_2", "x" * 63])
def test_endpoint_names_accepted(name):
    assert Names(endpoint=name).endpoint == name


@pytest.mark.parametrize("name", ["", "x" * 64, "has.dot", "has space", "émoji"])
def test_endpoint_names_rejected(name):
    assert "endpoint: must be 1 to 63 letters, digits, '-' or '_'" in errors(
        Names, {"endpoint": name})


def test_served_entity_names_refuse_dots_and_colons():
    assert "no '.' or ':'" in errors(Names, {"entity": "gpt-4o:latest"})


def test_references_skip_format_checks():
    ref = "${resources.registered_models.rag_chain.name}"
    names = Names(endpoint=ref, entity=ref, index=ref, model=ref, table=ref)
    assert names.model_dump() == dict.fromkeys(Names.model_fields, ref)


@pytest.mark.parametrize("field", ["index", "model", "table"])
@pytest.mark.parametrize("name", ["docs", "main.docs", "a.b.c.d", "a..c"])
def test_uc_names_need_three_parts(field, name):
    assert f"{field}: must be a three-part Unity Catalog name" in errors(Names, {field: name})


def test_uc_names_we_create_are_lower_case_with_a_hint():
    message = errors(Names, {"model": "Main.Rag.Chain"})
    assert "must be lower case" in message and "'main.rag.chain'" in message
    assert Names(table="Main.Rag.Docs").table == "Main.Rag.Docs"  # existing tables: any case


def test_index_name_parts_are_identifiers():
    assert "letters, digits or '_'" in errors(Names, {"index": "main.rag.docs-index"})
    assert Names(model="main.rag.chain-v2").model == "main.rag.chain-v2"


def test_tags_as_list_or_map_are_the_same():
    as_map = Tagged(tags={"team": "search", "env": "prod"})
    as_list = Tagged(tags=[{"key": "team", "value": "search"}, {"key": "env", "value": "prod"}])
    assert as_map == as_list
    assert as_map.tags == {"team": "search", "env": "prod"}


def test_api_tags_serialise_as_the_api_list_but_tag_maps_stay_maps():
    tagged = Tagged(tags={"team": "search"}, labels=[{"key": "a", "value": "b"}])
    assert tagged.to_api() == {"tags": [{"key": "team", "value": "search"}],
                               "labels": {"a": "b"}}
    assert tagged.model_dump()["tags"] == {"team": "search"}


def test_tag_without_value_and_numbers():
    assert Tagged(tags=[{"key": "flag"}]).tags == {"flag": ""}
    assert Tagged(tags={"version": 3}).tags == {"version": "3"}


def test_duplicate_tag_keys_and_unknown_tag_fields():
    assert "tags: duplicate tag key 'a'" in errors(
        Tagged, {"tags": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]})
    assert "tags.0.valu: Extra inputs are not permitted" in errors(
        Tagged, {"tags": [{"key": "a", "valu": "1"}]})
