"""`vector_search_indexes`: Delta Sync (managed or self-managed embeddings) and Direct Access.

There is no update API: any change to an index replaces it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, model_validator

from provisioner.specs.base import Spec, skip_if_reference
from provisioner.specs.fields import EndpointName, UcIdentifierName, UcNamedSpec, UcTableName

VECTOR_TYPES = ("array<float>", "array<double>")
SCALAR_TYPES = (
    "integer", "long", "float", "double", "boolean", "string", "date", "timestamp",
    # the spellings the service writes back (integer -> int, long -> bigint, ...)
    "int", "bigint", "short", "smallint", "byte", "tinyint",
)
COLUMN_TYPES = (*SCALAR_TYPES, *(f"array<{t}>" for t in SCALAR_TYPES))
"""Scalars and arrays of them: the service rewrites `integer` inside `array<…>` too
(vector-search.md §2.2), so it takes `array<integer>` columns (databricks/cli acceptance
bundle/resources/vector_search_indexes/schema_normalization)."""


def _schema_from_json(value: Any) -> Any:
    """The API's JSON string -> a mapping; a mapping passes through."""
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise ValueError(f"is not valid JSON ({exc.msg})") from None
    if not isinstance(parsed, dict):
        raise ValueError("must be a JSON object of column name -> type")
    return parsed


def _known_types(schema: dict[str, str]) -> dict[str, str]:
    for column, kind in schema.items():
        if kind not in COLUMN_TYPES:
            raise ValueError(f"column '{column}' has unknown type '{kind}' "
                             f"(types: {', '.join(SCALAR_TYPES)}, or array<type>)")
    return schema


def _schema_to_json(schema: dict[str, str]) -> str:
    return json.dumps(schema, sort_keys=True)  # the service sorts keys too


SchemaJson = Annotated[
    dict[str, str],
    BeforeValidator(_schema_from_json, json_schema_input_type=dict[str, str] | str),
    AfterValidator(_known_types),
    PlainSerializer(_schema_to_json, when_used="json"),
]
"""Column -> type; written as a mapping or as the API's JSON string, sent as the string."""


class EmbeddingSourceColumn(Spec):
    """A text column that Databricks embeds with a model serving endpoint."""

    name: str = Field(description="The text column.")
    embedding_model_endpoint_name: EndpointName = Field(
        description="Embedding endpoint used to ingest (and query, unless "
                    "model_endpoint_name_for_query is set), e.g. databricks-bge-large-en."
    )
    model_endpoint_name_for_query: EndpointName | None = Field(
        None, description="Another embedding endpoint used for queries only."
    )


class EmbeddingVectorColumn(Spec):
    """A column that already holds embedding vectors."""

    name: str = Field(description="The vector column.")
    embedding_dimension: int = Field(ge=1, description="Length of each vector.")


class DeltaSyncIndexSpec(Spec):
    """An index kept in sync with a Delta table."""

    source_table: UcTableName = Field(
        description="Source Delta table `catalog.schema.table` (Change Data Feed enabled)."
    )
    pipeline_type: Literal["TRIGGERED", "CONTINUOUS"] = Field(
        description="TRIGGERED (sync on request) or CONTINUOUS (STANDARD endpoints only); the "
                    "API requires it."
    )
    embedding_source_columns: list[EmbeddingSourceColumn] | None = Field(
        None, description="Text columns Databricks embeds (managed embeddings)."
    )
    embedding_vector_columns: list[EmbeddingVectorColumn] | None = Field(
        None, description="Columns holding vectors (self-managed embeddings)."
    )
    embedding_writeback_table: UcTableName | None = Field(
        None, description="Delta table receiving the computed embeddings; managed embeddings "
                          "only. The service takes one name: the index's name followed by "
                          "`_writeback_table`."
    )
    columns_to_sync: list[str] | None = Field(
        None, description="Columns to sync (all when omitted); must include the primary key "
                          "and the embedding columns."
    )
    columns_to_index: list[str] | None = Field(
        None, description="The API's other name for columns_to_sync; write one of them."
    )

    @model_validator(mode="after")
    def _embedding_columns(self) -> DeltaSyncIndexSpec:
        if self.columns_to_sync is not None and self.columns_to_index is not None:
            raise ValueError("set columns_to_sync or columns_to_index, not both")
        if self.embedding_source_columns and self.embedding_vector_columns:
            raise ValueError("set embedding_source_columns (managed embeddings) or "
                             "embedding_vector_columns (self-managed), not both")
        if self.embedding_writeback_table is not None and self.embedding_vector_columns:
            raise ValueError("embedding_writeback_table is for embedding_source_columns, "
                             "not embedding_vector_columns")
        return self

    @property
    def synced_columns(self) -> list[str] | None:
        return self.columns_to_sync if self.columns_to_sync is not None else self.columns_to_index

    @property
    def embedding_columns(self) -> list[str]:
        return [c.name for c in (self.embedding_source_columns or [])
                + (self.embedding_vector_columns or [])]


class DirectAccessIndexSpec(Spec):
    """An index whose rows are written through the API."""

    # `schema_json` would shadow pydantic's deprecated BaseModel.schema_json.
    columns: SchemaJson = Field(
        alias="schema_json",
        description="Columns: a mapping `column: type` (or the API's JSON string). Types: "
                    "integer, long, float, double, boolean, string, date, timestamp; vectors "
                    "array<float> or array<double>."
    )
    embedding_vector_columns: list[EmbeddingVectorColumn] = Field(
        description="The vector column (exactly one)."
    )
    embedding_source_columns: list[EmbeddingSourceColumn] | None = Field(
        None, description="Text columns Databricks embeds."
    )

    @model_validator(mode="after")
    def _columns_in_schema(self) -> DirectAccessIndexSpec:
        if len(self.embedding_vector_columns) != 1:
            raise ValueError("embedding_vector_columns must hold exactly one column")
        vector = self.embedding_vector_columns[0].name
        if self.columns.get(vector) not in VECTOR_TYPES:
            raise ValueError(f"schema_json must declare the vector column '{vector}' as "
                             f"{' or '.join(VECTOR_TYPES)}")
        missing = [c.name for c in self.embedding_source_columns or ()
                   if c.name not in self.columns]
        if missing:
            raise ValueError(f"schema_json lacks embedding source columns {', '.join(missing)}")
        return self


def writeback_table(index: str) -> str:
    """The one embedding writeback table an index may have: "The only supported table name is
    the index name with the suffix `_writeback_table`" (Databricks' OpenAPI spec, as generated
    into terraform-provider-databricks `internal/service/vectorsearch_tf/model.go`); the
    vectorsearch client names it so too (vector-search.md §2.1)."""
    return f"{index}_writeback_table".lower()


class VectorSearchIndexSpec(UcNamedSpec):
    """A vector search index in Unity Catalog, hosted by a vector search endpoint."""

    KIND = "vector_search_indexes"
    NAME_FORM = "catalog.schema.index"
    ATTRIBUTES: ClassVar[dict[str, str]] = {
        "name": "The index's three-part name.",
        "endpoint": "The vector search endpoint hosting it.",
        "status": "status.detailed_state, e.g. ONLINE_NO_PENDING_UPDATE.",
    }

    name: UcIdentifierName = Field(
        description="Three-part name catalog.schema.index, lower case; required."
    )
    endpoint_name: EndpointName = Field(description="The vector search endpoint hosting it.")
    primary_key: str = Field(description="Primary key column.")
    index_type: Literal["DELTA_SYNC", "DIRECT_ACCESS"] = Field(
        description="DELTA_SYNC (synced from a table) or DIRECT_ACCESS (written via the API)."
    )
    index_subtype: Literal["HYBRID", "FULL_TEXT"] | None = Field(
        None, description="HYBRID (the service's default) or FULL_TEXT (STORAGE_OPTIMIZED "
                          "endpoints only)."
    )
    delta_sync_index_spec: DeltaSyncIndexSpec | None = Field(
        None, description="Required for DELTA_SYNC."
    )
    direct_access_index_spec: DirectAccessIndexSpec | None = Field(
        None, description="Required for DIRECT_ACCESS."
    )

    @model_validator(mode="after")
    def _spec_of_type(self) -> VectorSearchIndexSpec:
        specs = {"DELTA_SYNC": "delta_sync_index_spec",
                 "DIRECT_ACCESS": "direct_access_index_spec"}
        wanted = specs[self.index_type]
        for other in specs.values():
            if other != wanted and getattr(self, other) is not None:
                raise ValueError(f"index_type {self.index_type} takes {wanted}, not {other}")
        if getattr(self, wanted) is None:
            raise ValueError(f"index_type {self.index_type} needs {wanted}")
        if self.delta_sync_index_spec is not None:
            self._check_delta_sync(self.delta_sync_index_spec)
        elif self.primary_key not in self.direct_access_index_spec.columns:
            raise ValueError(f"direct_access_index_spec.schema_json must declare the primary "
                             f"key '{self.primary_key}'")
        return self

    def _check_delta_sync(self, spec: DeltaSyncIndexSpec) -> None:
        if not spec.embedding_columns and self.index_subtype != "FULL_TEXT":
            raise ValueError(
                "delta_sync_index_spec needs embedding_source_columns (name and "
                "embedding_model_endpoint_name) or embedding_vector_columns (name and "
                "embedding_dimension)"
            )
        synced = spec.synced_columns
        missing = [c for c in (self.primary_key, *spec.embedding_columns)
                   if synced is not None and c not in synced]
        if missing:
            field = "columns_to_sync" if spec.columns_to_sync is not None else "columns_to_index"
            raise ValueError(f"delta_sync_index_spec.{field} must include {', '.join(missing)} "
                             "(the primary key and embedding columns)")
        table = spec.embedding_writeback_table
        if table is not None and not any(map(skip_if_reference, (table, self.name))) \
                and table.lower() != writeback_table(self.name):
            raise ValueError(f"delta_sync_index_spec.embedding_writeback_table must be "
                             f"{writeback_table(self.name)}: the only name the service takes "
                             "is the index's name followed by _writeback_table")

    def create_body(self) -> dict[str, Any]:
        """`POST /api/2.0/vector-search/indexes` body."""
        return self.api_fields()
