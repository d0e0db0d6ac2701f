"""Rules and dicts shaped like the serving-endpoint and vector-search APIs (see
/work/shared/reference), written the way a kind declares them; the diff knows none of this."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

from provisioner.diff import (
    AtomicList,
    Canonical,
    Immutable,
    InputOnly,
    KeyedList,
    Rules,
    Sensitive,
    ServerDefault,
)

CANARY = "sk-canary-4f1d0c2a9b7e4c1f8d3a6b5e"


def served_entity_name(entity: Mapping[str, Any]) -> str | None:
    """serving-endpoints.md §2.3: external model name with `.`/`:` -> `-`, else
    `<last segment of entity_name>-<entity_version>`."""
    external = entity.get("external_model")
    if isinstance(external, Mapping) and external.get("name"):
        return re.sub(r"[.:]", "-", external["name"])
    if entity.get("entity_name") and entity.get("entity_version"):
        return f"{entity['entity_name'].split('.')[-1]}-{entity['entity_version']}"
    return None


def single_route(endpoint: Mapping[str, Any]) -> dict[str, Any] | None:
    """serving-endpoints.md §3: one entity and no routes -> one route at 100 %."""
    entities = endpoint.get("served_entities") or []
    if len(entities) != 1 or "name" not in entities[0]:
        return None
    return {"routes": [{"served_entity_name": entities[0]["name"], "traffic_percentage": 100}]}


SERVING_RULES = Rules(
    (
        Immutable("name", reason="the endpoint's name is its identity"),
        Immutable("route_optimized", reason="can only be set at creation"),
        Immutable("description", reason="no API updates it"),
        ServerDefault("served_entities[*].name", compute=served_entity_name,
                      reason="named from the model when unset"),
        ServerDefault("served_entities[*].workload_type", values=("CPU",),
                      reason="CPU when unset"),
        ServerDefault("served_entities[*].workload_size",
                      reason="filled from the provisioned concurrency"),
        ServerDefault("traffic_config", compute=single_route,
                      reason="a single entity gets 100 % of the traffic"),
        ServerDefault("route_optimized", values=(False,), reason="read back false when unset"),
        ServerDefault("description", values=("",), reason="read back \"\" when unset"),
        KeyedList("served_entities", keys=("name",), reason="entities are named"),
        KeyedList("traffic_config.routes", keys=("served_entity_name",),
                  reason="a route names its entity"),
        KeyedList("tags", keys=("key",), reason="tags are keyed"),
        AtomicList("ai_gateway.rate_limits", ordered=False, reason="PUT replaces the set"),
        AtomicList("rate_limits", ordered=False, reason="PUT replaces the set"),
        InputOnly("budget_policy_id", reason="GET shows the effective policy instead"),
        InputOnly("rate_limits", reason="deprecated rate limits are not returned by GET"),
        InputOnly("served_entities[*].burst_scaling_enabled", reason="not returned by GET"),
        Sensitive("served_entities[*].environment_vars.*", unless_secret_reference=True,
                  reason="a literal environment value may be a credential"),
    )
)


def canonical_schema(schema_json: str) -> str:
    """vector-search.md §2.2: the service rewrites type names and sorts the keys."""
    names = {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint"}

    def rename(kind: str) -> str:
        return re.sub(r"[a-z]+", lambda m: names.get(m.group(), m.group()), kind)

    return json.dumps({k: rename(v) for k, v in json.loads(schema_json).items()}, sort_keys=True)


INDEX_RULES = Rules(
    (
        *(
            Immutable(path, reason="vector indexes have no update API")
            for path in ("name", "endpoint_name", "index_type", "index_subtype", "primary_key",
                         "delta_sync_index_spec", "direct_access_index_spec")
        ),
        Canonical("name", canonicalize=str.lower, reason="Unity Catalog stores names lowercase"),
        Canonical("delta_sync_index_spec.source_table", canonicalize=str.lower,
                  reason="Unity Catalog stores names lowercase"),
        Canonical("direct_access_index_spec.schema_json", canonicalize=canonical_schema,
                  reason="the service rewrites type names"),
        ServerDefault("index_subtype", values=("HYBRID",), reason="assigned when omitted"),
        KeyedList("delta_sync_index_spec.embedding_source_columns", reason="columns are named"),
        KeyedList("delta_sync_index_spec.embedding_vector_columns", reason="columns are named"),
        KeyedList("direct_access_index_spec.embedding_vector_columns",
                  reason="columns are named"),
        AtomicList("delta_sync_index_spec.columns_to_sync", ordered=False,
                   reason="a set of columns"),
    )
)


@pytest.fixture
def canary() -> str:
    """A plaintext credential in `endpoint_desired`: no output may ever contain it."""
    return CANARY


@pytest.fixture
def serving_rules() -> Rules:
    return SERVING_RULES


@pytest.fixture
def index_rules() -> Rules:
    return INDEX_RULES


@pytest.fixture
def endpoint_desired() -> dict[str, Any]:
    """The `rag-assistant` endpoint of DESIGN.md, as `spec.to_api()` gives it."""
    return {
        "name": "rag-assistant",
        "served_entities": [
            {
                "entity_name": "main.rag.rag_chain",
                "entity_version": "3",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
                "environment_vars": {
                    "OPENAI_API_KEY": "{{secrets/llm-keys/openai}}",
                    "RETRIEVER_TOKEN": CANARY,
                },
            }
        ],
        "tags": [{"key": "team", "value": "search"}],
    }


@pytest.fixture
def endpoint_live() -> dict[str, Any]:
    """What GET returns once `endpoint_desired` is deployed (serving-endpoints.md §3)."""
    entity = {
        "name": "rag_chain-3",
        "entity_name": "main.rag.rag_chain",
        "entity_version": "3",
        "workload_size": "Small",
        "workload_type": "CPU",
        "scale_to_zero_enabled": True,
        "environment_vars": {
            "OPENAI_API_KEY": "{{secrets/llm-keys/openai}}",
            "RETRIEVER_TOKEN": CANARY,
        },
        "state": {"deployment": "DEPLOYMENT_READY", "deployment_state_message": ""},
        "creator": "ci@example.com",
        "creation_timestamp": 1732521600000,
    }
    return {
        "name": "rag-assistant",
        "id": "88fd3f75a0d24b0380ddc40484d7a31b",
        "creator": "ci@example.com",
        "creation_timestamp": 1732521600000,
        "last_updated_timestamp": 1732521900000,
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
        "config_version": 1,
        "served_entities": [entity],
        "served_models": [
            {"name": "rag_chain-3", "model_name": "main.rag.rag_chain", "model_version": "3",
             "workload_size": "Small", "workload_type": "CPU", "scale_to_zero_enabled": True}
        ],
        "traffic_config": {
            "routes": [
                {"served_entity_name": "rag_chain-3", "served_model_name": "rag_chain-3",
                 "traffic_percentage": 100}
            ]
        },
        "tags": [{"key": "team", "value": "search"}],
        "route_optimized": False,
        "description": "",
        "permission_level": "CAN_MANAGE",
    }


@pytest.fixture
def index_desired() -> dict[str, Any]:
    return {
        "name": "Main.RAG.docs_index",
        "endpoint_name": "docs-vs",
        "primary_key": "id",
        "index_type": "DELTA_SYNC",
        "delta_sync_index_spec": {
            "source_table": "Main.RAG.Docs",
            "pipeline_type": "TRIGGERED",
            "columns_to_sync": ["id", "text", "url"],
            "embedding_source_columns": [
                {"name": "text", "embedding_model_endpoint_name": "databricks-bge-large-en"}
            ],
        },
    }


@pytest.fixture
def index_live() -> dict[str, Any]:
    """GET of `index_desired` (vector-search.md §2.2): lowercased, subtype and ids assigned."""
    return {
        "name": "main.rag.docs_index",
        "endpoint_name": "docs-vs",
        "endpoint_id": "0b6e5c1e-4b9a-4c1e-9d3e-2f6a7b8c9d0e",
        "primary_key": "id",
        "index_type": "DELTA_SYNC",
        "index_subtype": "HYBRID",
        "creator": "ci@example.com",
        "delta_sync_index_spec": {
            "source_table": "main.rag.docs",
            "pipeline_type": "TRIGGERED",
            "columns_to_sync": ["url", "id", "text"],
            "embedding_source_columns": [
                {"name": "text", "embedding_model_endpoint_name": "databricks-bge-large-en"}
            ],
            "pipeline_id": "c0ffee00-1234-5678-9abc-def012345678",
        },
        "status": {"ready": True, "indexed_row_count": 1200, "message": "",
                   "index_url": "127.0.0.1:8080/api/2.0/vector-search/endpoints/docs-vs/indexes/x"},
    }
