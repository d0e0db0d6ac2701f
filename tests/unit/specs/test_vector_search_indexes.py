"""`vector_search_indexes`: names, the spec matching the type, embedding and column rules."""

from __future__ import annotations

import json

import pytest

from provisioner.specs.vector_search_indexes import VectorSearchIndexSpec

from .helpers import DESIGN, errors

EXAMPLE = DESIGN["vector_search_indexes"]["docs"]
DELTA = EXAMPLE["delta_sync_index_spec"]
DIRECT = {
    "name": "main.rag.notes_index", "endpoint_name": "docs-vs", "primary_key": "id",
    "index_type": "DIRECT_ACCESS",
    "direct_access_index_spec": {
        "schema_json": {"id": "long", "text": "string", "vector": "array<float>"},
        "embedding_vector_columns": [{"name": "vector", "embedding_dimension": 1024}],
    },
}


def with_delta(**changes):
    return {**EXAMPLE, "delta_sync_index_spec": {**DELTA, **changes}}


def test_design_example_create_body_is_the_spec():
    spec = VectorSearchIndexSpec.model_validate(EXAMPLE).with_default_name("docs")
    assert spec.name == "main.rag.docs_index"
    assert spec.create_body() == EXAMPLE


def test_self_managed_delta_sync_with_every_field():
    spec = VectorSearchIndexSpec.model_validate({
        **EXAMPLE, "index_subtype": "HYBRID",
        "delta_sync_index_spec": {
            "source_table": "Main.Rag.Docs", "pipeline_type": "CONTINUOUS",
            "embedding_vector_columns": [{"name": "vec", "embedding_dimension": "768"}],
            "columns_to_sync": ["id", "vec", "title"],
        }})
    assert spec.delta_sync_index_spec.embedding_vector_columns[0].embedding_dimension == 768


def test_managed_embeddings_with_query_endpoint_and_writeback():
    column = {**DELTA["embedding_source_columns"][0],
              "model_endpoint_name_for_query": "databricks-gte-large-en"}
    spec = VectorSearchIndexSpec.model_validate(with_delta(
        embedding_source_columns=[column],
        embedding_writeback_table="main.rag.docs_index_writeback_table"))
    assert spec.create_body()["delta_sync_index_spec"]["embedding_source_columns"] == [column]


def test_name_is_required_and_the_key_is_no_default():
    message = errors(VectorSearchIndexSpec, {k: v for k, v in EXAMPLE.items() if k != "name"})
    assert "name is required: the three-part Unity Catalog name catalog.schema.index" in message
    assert "key is not used" in message
    assert VectorSearchIndexSpec.NAME_DEFAULTS_TO_KEY is False


@pytest.mark.parametrize(("name", "expected"), [
    ("docs", "must be a three-part Unity Catalog name"),
    ("main.rag.docs-index", "must be a three-part Unity Catalog name catalog.schema.name "
                            "(each part letters, digits or '_')"),
    ("main.rag.Docs", "must be lower case (Unity Catalog stores names in lower case): "
                      "'main.rag.docs'"),
])
def test_name_format(name, expected):
    assert f"name: {expected}" in errors(VectorSearchIndexSpec, {**EXAMPLE, "name": name})


def test_references_skip_name_checks():
    ref = "${resources.registered_models.x.name}"
    spec = VectorSearchIndexSpec.model_validate(
        {**EXAMPLE, "name": ref, "endpoint_name": "${resources.vector_search_endpoints.v.name}"})
    assert spec.name == ref
    assert "endpoint_name: must be 1 to 63" in errors(
        VectorSearchIndexSpec, {**EXAMPLE, "endpoint_name": "docs vs"})


def test_spec_matches_index_type():
    no_spec = {k: v for k, v in EXAMPLE.items() if k != "delta_sync_index_spec"}
    assert "index_type DELTA_SYNC needs delta_sync_index_spec" in errors(
        VectorSearchIndexSpec, no_spec)
    assert "index_type DIRECT_ACCESS takes direct_access_index_spec, not delta_sync_index_spec" \
        in errors(VectorSearchIndexSpec, {**EXAMPLE, "index_type": "DIRECT_ACCESS"})
    assert "index_type DELTA_SYNC takes delta_sync_index_spec, not direct_access_index_spec" \
        in errors(VectorSearchIndexSpec,
                  {**EXAMPLE, "direct_access_index_spec": DIRECT["direct_access_index_spec"]})
    assert "index_type: Input should be 'DELTA_SYNC' or 'DIRECT_ACCESS'" in errors(
        VectorSearchIndexSpec, {**EXAMPLE, "index_type": "DELTA"})
    assert "index_subtype: Input should be 'HYBRID' or 'FULL_TEXT'" in errors(
        VectorSearchIndexSpec, {**EXAMPLE, "index_subtype": "VECTOR"})


def test_delta_sync_needs_one_kind_of_embedding():
    neither = {**EXAMPLE, "delta_sync_index_spec": {"source_table": "main.rag.docs",
                                                    "pipeline_type": "TRIGGERED"}}
    assert "delta_sync_index_spec needs embedding_source_columns (name and " \
           "embedding_model_endpoint_name) or embedding_vector_columns" in errors(
               VectorSearchIndexSpec, neither)
    assert VectorSearchIndexSpec.model_validate({**neither, "index_subtype": "FULL_TEXT"})
    both = with_delta(embedding_vector_columns=[{"name": "v", "embedding_dimension": 8}])
    assert "set embedding_source_columns (managed embeddings) or embedding_vector_columns " \
           "(self-managed), not both" in errors(VectorSearchIndexSpec, both)


def test_embedding_columns_need_their_endpoint_or_dimension():
    assert "embedding_source_columns.0.embedding_model_endpoint_name: Field required" in errors(
        VectorSearchIndexSpec, with_delta(embedding_source_columns=[{"name": "text"}]))
    assert "embedding_vector_columns.0.embedding_dimension: Field required" in errors(
        VectorSearchIndexSpec, with_delta(embedding_source_columns=None,
                                          embedding_vector_columns=[{"name": "v"}]))


def test_writeback_table_is_for_managed_embeddings():
    message = errors(VectorSearchIndexSpec, with_delta(
        embedding_source_columns=None,
        embedding_vector_columns=[{"name": "v", "embedding_dimension": 8}],
        embedding_writeback_table="main.rag.wb"))
    assert "embedding_writeback_table is for embedding_source_columns" in message


def test_the_writeback_table_is_named_after_the_index():
    """"The only supported table name is the index name with the suffix `_writeback_table`"
    (Databricks' OpenAPI spec, in terraform-provider-databricks
    `internal/service/vectorsearch_tf/model.go`); Unity Catalog names compare lower-cased."""
    message = errors(VectorSearchIndexSpec, with_delta(embedding_writeback_table="main.rag.wb"))
    assert ("embedding_writeback_table must be main.rag.docs_index_writeback_table" in message)
    VectorSearchIndexSpec.model_validate(with_delta(
        embedding_writeback_table="Main.Rag.Docs_Index_Writeback_Table"))
    VectorSearchIndexSpec.model_validate(with_delta(
        embedding_writeback_table="${var.catalog}.rag.docs_index_writeback_table"))


def test_columns_to_sync_include_primary_key_and_embedding_columns():
    assert "delta_sync_index_spec.columns_to_sync must include id, text" in errors(
        VectorSearchIndexSpec, with_delta(columns_to_sync=["title"]))
    assert "delta_sync_index_spec.columns_to_index must include text" in errors(
        VectorSearchIndexSpec, with_delta(columns_to_index=["id", "title"]))
    assert "set columns_to_sync or columns_to_index, not both" in errors(
        VectorSearchIndexSpec, with_delta(columns_to_sync=["id"], columns_to_index=["id"]))
    spec = VectorSearchIndexSpec.model_validate(with_delta(columns_to_index=["id", "text"]))
    assert spec.delta_sync_index_spec.synced_columns == ["id", "text"]


def test_source_table_is_three_part():
    assert "source_table: must be a three-part Unity Catalog name" in errors(
        VectorSearchIndexSpec, with_delta(source_table="docs"))


def test_direct_access_schema_json_as_mapping_or_string():
    spec = VectorSearchIndexSpec.model_validate(DIRECT)
    text = json.dumps({"vector": "array<float>", "id": "long", "text": "string"})
    as_text = VectorSearchIndexSpec.model_validate(
        {**DIRECT, "direct_access_index_spec": {**DIRECT["direct_access_index_spec"],
                                                "schema_json": text}})
    assert spec == as_text
    assert spec.direct_access_index_spec.columns["vector"] == "array<float>"
    sent = spec.create_body()["direct_access_index_spec"]["schema_json"]
    assert sent == '{"id": "long", "text": "string", "vector": "array<float>"}'


def direct(**changes):
    return {**DIRECT, "direct_access_index_spec": {**DIRECT["direct_access_index_spec"],
                                                   **changes}}


def test_direct_access_schema_errors():
    assert "schema_json: is not valid JSON" in errors(
        VectorSearchIndexSpec, direct(schema_json="{id: long"))
    assert "schema_json: must be a JSON object" in errors(
        VectorSearchIndexSpec, direct(schema_json="[1]"))
    assert "column 'id' has unknown type 'uuid'" in errors(
        VectorSearchIndexSpec, direct(schema_json={"id": "uuid", "vector": "array<float>"}))
    assert "schema_json must declare the primary key 'id'" in errors(
        VectorSearchIndexSpec, direct(schema_json={"vector": "array<float>"}))
    assert "schema_json must declare the vector column 'vector' as array<float> or " \
           "array<double>" in errors(
               VectorSearchIndexSpec, direct(schema_json={"id": "long", "vector": "string"}))


def test_direct_access_has_exactly_one_vector_column():
    two = [{"name": "vector", "embedding_dimension": 8}, {"name": "v2", "embedding_dimension": 8}]
    assert "embedding_vector_columns must hold exactly one column" in errors(
        VectorSearchIndexSpec, direct(embedding_vector_columns=two))
    assert "embedding_vector_columns must hold exactly one column" in errors(
        VectorSearchIndexSpec, direct(embedding_vector_columns=[]))


def test_direct_access_source_columns_are_in_the_schema():
    source = [{"name": "body", "embedding_model_endpoint_name": "databricks-gte-large-en"}]
    assert "schema_json lacks embedding source columns body" in errors(
        VectorSearchIndexSpec, direct(embedding_source_columns=source))
