"""Vector search indexes (reference: vector-search.md §2–4, §8).

There is no update API: every change to an index's spec is a replace, and the plan says what
that costs (a re-embedding of the source table, or the loss of upserted rows).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from provisioner.diff.rules import AtomicList, Canonical, Immutable, KeyedList, Rules, ServerDefault
from provisioner.errors import ApiError
from provisioner.kinds.base import DriftSeverity, HandlerBase, Live, Progress, Requirement
from provisioner.kinds.waiting import wait_until_ready
from provisioner.workspace.api import vector_search as api

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from provisioner.diff.three_way import FieldChange
    from provisioner.specs.vector_search_indexes import VectorSearchIndexSpec

_TYPE_NAMES = {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint"}
_TYPE_WORD = re.compile(r"\b(integer|long|short|byte)\b")
def _endpoint_type_needed(desired: dict[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """The endpoint type an index can only live on: FULL_TEXT indexes need STORAGE_OPTIMIZED
    (vector-search.md §2.1), CONTINUOUS pipelines STANDARD (storage-optimized endpoints sync
    on request only, per Databricks' vector search documentation)."""
    if desired.get("index_subtype") == "FULL_TEXT":
        return "STORAGE_OPTIMIZED", ("index_subtype",)
    if (desired.get("delta_sync_index_spec") or {}).get("pipeline_type") == "CONTINUOUS":
        return "STANDARD", ("delta_sync_index_spec", "pipeline_type")
    return None


NO_UPDATE_API = "indexes have no update API: any change re-creates the index"


def canonical_schema(value: Any) -> Any:
    """The service rewrites `schema_json` (integer -> int, …, keys sorted): compare that."""
    try:
        schema = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value
    if not isinstance(schema, dict):
        return value
    return json.dumps({k: _TYPE_WORD.sub(lambda m: _TYPE_NAMES[m.group(1)], str(v))
                       for k, v in schema.items()}, sort_keys=True)


def lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


RULES = Rules((
    Immutable("name", reason="the name identifies the index"),
    Immutable("endpoint_name", reason=NO_UPDATE_API),
    Immutable("primary_key", reason=NO_UPDATE_API),
    Immutable("index_type", reason=NO_UPDATE_API),
    Immutable("index_subtype", reason=NO_UPDATE_API),
    Immutable("delta_sync_index_spec", reason=NO_UPDATE_API),
    Immutable("direct_access_index_spec", reason=NO_UPDATE_API),
    Canonical("name", canonicalize=lower, reason="Unity Catalog stores names in lower case"),
    Canonical("delta_sync_index_spec.source_table", canonicalize=lower,
              reason="Unity Catalog stores names in lower case"),
    Canonical("direct_access_index_spec.schema_json", canonicalize=canonical_schema,
              reason="the service rewrites type names and sorts the columns"),
    ServerDefault("index_subtype", values=("HYBRID",),
                  reason="the service assigns HYBRID when none is given"),
    AtomicList("delta_sync_index_spec.columns_to_sync", ordered=False,
               reason="the order of synced columns does not matter"),
    AtomicList("delta_sync_index_spec.columns_to_index", ordered=False,
               reason="the order of synced columns does not matter"),
    KeyedList("delta_sync_index_spec.embedding_source_columns", keys=("name",),
              reason="columns are named"),
    KeyedList("delta_sync_index_spec.embedding_vector_columns", keys=("name",),
              reason="columns are named"),
    KeyedList("direct_access_index_spec.embedding_source_columns", keys=("name",),
              reason="columns are named"),
    KeyedList("direct_access_index_spec.embedding_vector_columns", keys=("name",),
              reason="columns are named"),
))
SPEC_FIELDS = ("name", "endpoint_name", "primary_key", "index_type", "index_subtype",
               "delta_sync_index_spec", "direct_access_index_spec")
SEVERITY = {field: DriftSeverity.BREAKING for field in SPEC_FIELDS}
"""An index's spec is what it answers queries from: any drift in it is breaking."""
READ_ONLY_SPEC_FIELDS = {"delta_sync_index_spec": ("pipeline_id",)}
"""What GET adds inside a spec block: the service's own ids."""


class VectorSearchIndexHandler(HandlerBase):
    kind: ClassVar[str] = "vector_search_indexes"
    provides: ClassVar[str] = "vector_search_index"
    rules: ClassVar[Rules] = RULES
    severity: ClassVar[dict[str, DriftSeverity]] = SEVERITY
    generates = True
    lives_on = ("endpoint_name",)  # bound to the endpoint's instance (reference §4)
    ready_timeout: ClassVar[float] = 75 * 60.0  # a first Delta Sync can take an hour

    def desired(self, spec: VectorSearchIndexSpec, digests: Mapping[str, str]) -> dict[str, Any]:
        return spec.create_body()

    def read(self, client: WorkspaceClient, name: str, desired: dict[str, Any] | None = None,
             *, fields: Collection[str] | None = None) -> Live | None:
        found = api.get_index(client, name)
        if found is None:
            return None
        document = {f: found[f] for f in SPEC_FIELDS if f in found}
        status = found.get("status") or {}
        detailed = status.get("detailed_state", "")
        delta = found.get("delta_sync_index_spec") or {}
        return Live(
            name=found["name"], document=document,  # indexes have no id of their own
            outputs={"name": found["name"], "endpoint": found.get("endpoint_name"),
                     "status": detailed},
            ready=bool(status.get("ready")) or "ONLINE" in detailed,
            status=detailed or ("ready" if status.get("ready") else "not ready"),
            facts={"rows": status.get("indexed_row_count"),
                   "source_table": delta.get("source_table"),
                   "index_type": found.get("index_type")})

    def create(self, client: WorkspaceClient, desired: dict[str, Any]) -> None:
        """A name a delete is still releasing is refused for a while ("pending deletion",
        reference §4): the engine sends the create again until it is free."""
        api.create_index(client, desired)

    def update(self, client: WorkspaceClient, live: Live, desired: dict[str, Any],
               changes: tuple[FieldChange, ...]) -> None:
        raise ApiError(f"index '{live.name}' cannot be updated in place ({NO_UPDATE_API})")

    def delete(self, client: WorkspaceClient, live: Live) -> None:
        api.delete_index(client, live.name)

    def wait(self, client: WorkspaceClient, desired: dict[str, Any], timeout: float,
             progress: Progress) -> Live:
        name = desired["name"]
        return wait_until_ready(lambda: self.read(client, name), what=f"index '{name}'",
                                failed=lambda status: "OFFLINE" in status, timeout=timeout,
                                progress=progress)

    def requirements(self, desired: dict[str, Any]) -> list[Requirement]:
        found = [Requirement("vector_search_endpoint", desired["endpoint_name"],
                             ("endpoint_name",))]
        endpoint_type = _endpoint_type_needed(desired)
        if endpoint_type is not None:
            needs, path = endpoint_type
            found.append(Requirement(
                "vector_search_endpoint", desired["endpoint_name"], path,
                expect={"endpoint_type": needs},
                problem=f"{'.'.join(path)} needs a {needs} endpoint, and "
                        f"'{desired['endpoint_name']}' is not one"))
        for block in ("delta_sync_index_spec", "direct_access_index_spec"):
            for i, column in enumerate((desired.get(block) or {})
                                       .get("embedding_source_columns") or []):
                for field in ("embedding_model_endpoint_name", "model_endpoint_name_for_query"):
                    if column.get(field):
                        found.append(Requirement(
                            "serving_endpoint", column[field],
                            (block, "embedding_source_columns", i, field),
                            detail="an embeddings endpoint",
                            expect={"task": "llm/v1/embeddings"}))
        return found

    def existing(self, client: WorkspaceClient, names: Collection[str]) -> set[str] | None:
        """Indexes are listed per endpoint: one call lists the endpoints, one per endpoint
        its indexes, when that is fewer calls than reading each name (a first plan of a
        stack: no endpoint yet, so one call says no index exists)."""
        endpoints = api.list_endpoints(client)
        if len(endpoints) >= len(names):
            return None
        return set(names) & set(self._names_on(client, endpoints))

    def list_names(self, client: WorkspaceClient) -> list[str]:
        return self._names_on(client, api.list_endpoints(client))

    @staticmethod
    def _names_on(client: WorkspaceClient, endpoints: list[dict[str, Any]]) -> list[str]:
        return [index["name"] for endpoint in endpoints
                for index in api.list_indexes(client, endpoint["name"])]

    def to_spec(self, live: Live) -> dict[str, Any]:
        spec = dict(live.document)
        for block, fields in READ_ONLY_SPEC_FIELDS.items():
            if block in spec:
                spec[block] = {k: v for k, v in spec[block].items() if k not in fields}
        direct = spec.get("direct_access_index_spec")
        if direct and isinstance(direct.get("schema_json"), str):  # a mapping reads better
            spec["direct_access_index_spec"] = {**direct,
                                                "schema_json": json.loads(direct["schema_json"])}
        return spec

    def impact(self, action: str, live: Live) -> tuple[str, ...]:
        rows = live.facts.get("rows")
        count = f" ({rows} rows)" if rows is not None else ""
        if live.facts.get("index_type") == "DELTA_SYNC":
            return (f"the index is rebuilt: {live.facts.get('source_table')} is synced and "
                    f"re-embedded from scratch{count}",)
        return (f"every row upserted into this Direct Access index is lost{count}",)
