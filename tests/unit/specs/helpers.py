"""Shared test helpers: validation messages as the loader shows them, and the DESIGN example."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError


def errors(model: type[BaseModel], data: Any) -> str:
    """Every validation error as `loc: message`, one per line."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return "\n".join(
        f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
        for e in caught.value.errors()
    )


SECRET = "{{secrets/llm-keys/openai}}"

# The resources of docs/design.md's example stack, as the loader hands them over (rendered).
DESIGN = {
    "external_models": {
        "chat": {
            "provider": "openai",
            "model": "gpt-4o",
            "task": "llm/v1/chat",
            "config": {"openai_api_key": SECRET},
            "ai_gateway": {
                "usage_tracking_config": {"enabled": True},
                "rate_limits": [{"calls": 100, "renewal_period": "minute", "key": "user"}],
            },
            "permissions": [{"group_name": "users", "level": "CAN_QUERY"}],
        },
    },
    "foundation_models": {
        "llama": {
            "model": "system.ai.meta_llama_v3_3_70b_instruct",
            "version": "1",
            "throughput": {"min": 0, "max": 9500},
        },
    },
    "vector_search_endpoints": {"docs-vs": {"endpoint_type": "STANDARD"}},
    "vector_search_indexes": {
        "docs": {
            "name": "main.rag.docs_index",
            "endpoint_name": "${resources.vector_search_endpoints.docs-vs.name}",
            "primary_key": "id",
            "index_type": "DELTA_SYNC",
            "delta_sync_index_spec": {
                "source_table": "main.rag.docs",
                "pipeline_type": "TRIGGERED",
                "embedding_source_columns": [
                    {"name": "text", "embedding_model_endpoint_name": "databricks-bge-large-en"}
                ],
            },
        },
    },
    "registered_models": {
        "rag_chain": {
            "name": "main.rag.rag_chain",
            "flavor": "langchain",
            "code": "chains/rag_chain.py",
            "signature": {"inputs": [{"name": "question", "type": "string"}],
                          "outputs": [{"type": "string"}]},
            "aliases": ["champion"],
        },
    },
    "serving_endpoints": {
        "rag-assistant": {
            "served_entities": [{
                "entity_name": "${resources.registered_models.rag_chain.name}",
                "entity_version": "${resources.registered_models.rag_chain.version}",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
            }],
            "tags": {"team": "search"},
            "lifecycle": {"prevent_destroy": True},
        },
    },
}
