"""Stack texts several test modules start from."""

from __future__ import annotations


def indexed_stack(name: str) -> str:
    """A vector search endpoint and a Delta Sync index on it, embedded by the local bge model."""
    return f"""\
stack: {name}
resources:
  vector_search_endpoints:
    vs: {{endpoint_type: STANDARD}}
  vector_search_indexes:
    docs:
      name: main.rag.docs_index
      endpoint_name: ${{resources.vector_search_endpoints.vs.name}}
      primary_key: id
      index_type: DELTA_SYNC
      delta_sync_index_spec:
        source_table: main.rag.docs
        pipeline_type: TRIGGERED
        embedding_source_columns:
          - {{name: text, embedding_model_endpoint_name: databricks-bge-large-en}}
"""
