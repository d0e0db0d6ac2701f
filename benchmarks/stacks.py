"""Stacks of N resources in the mix a large AI stack has: a stack.yaml that includes one file
per 500 resources.

Each group of ten is six external-model endpoints (every other one granting a group
CAN_QUERY, so the plan reads permissions for some and not others), one vector search
endpoint and three Delta Sync indexes on it, embedded by a pay-per-token endpoint (so
preflight has a requirement to check). Registered models are left out: each needs MLflow
to log a version, which takes seconds and measures MLflow, not the provisioner.
"""

from __future__ import annotations

from pathlib import Path

GROUP = ("external_models",) * 6 + ("vector_search_endpoints",) + ("vector_search_indexes",) * 3
ENDPOINTS = ("external_models",)
"""A mix of serving endpoints only (for apply: one readiness delay, no dependencies)."""
TARGET = "bench"
"""A target without `workspace:`: the plan finds the workspace in DATABRICKS_HOST."""
SECRET = ("bench", "openai")
EMBEDDINGS = "databricks-bge-large-en"  # pre-created in every local workspace
PER_FILE = 500
"""Resources per included file: a file stays far below the loader's size and node limits,
as a stack this large would be split by hand."""


def write_stack(directory: Path, n: int, mix: tuple[str, ...] = GROUP) -> Path:
    """`directory/stack.yaml` including `resources/*.yaml` with `n` resources in all, their
    kinds cycling through `mix`."""
    parts = directory / "resources"
    parts.mkdir(parents=True, exist_ok=True)
    for old in parts.glob("*.yaml"):
        old.unlink()
    include = "include: [resources/*.yaml]\n" if n else ""  # a glob must match a file
    (directory / "stack.yaml").write_text(
        f"stack: bench-{n}\n{include}targets:\n  {TARGET}: {{default: true}}\n")
    for start in range(0, n, PER_FILE):
        (parts / f"part-{start // PER_FILE:03d}.yaml").write_text(
            resources_yaml(range(start, min(n, start + PER_FILE)), mix))
    return directory


def resources_yaml(numbers: range, mix: tuple[str, ...] = GROUP) -> str:
    """A `resources:` section holding resources number `numbers` of the mix."""
    blocks: dict[str, list[str]] = {kind: [] for kind in dict.fromkeys(mix)}
    for i in numbers:
        kind = mix[i % len(mix)]
        blocks[kind].append(_resource(kind, i))
    lines = ["resources:"]
    for kind, resources in blocks.items():
        if resources:
            lines += [f"  {kind}:", *resources]
    return "\n".join(lines) + "\n"


def _resource(kind: str, i: int) -> str:
    group = i // len(GROUP)
    if kind == "external_models":
        scope, key = SECRET
        grant = ("\n      permissions: [{group_name: users, level: CAN_QUERY}]"
                 if i % 2 else "")
        return (f"    chat-{i:05d}:\n"
                f"      provider: openai\n"
                f"      model: gpt-4o-mini\n"
                f"      task: llm/v1/chat\n"
                f"      config: {{openai_api_key: \"{{{{secrets/{scope}/{key}}}}}\"}}\n"
                f"      tags: {{team: bench, group: \"{group}\"}}" + grant)
    if kind == "vector_search_endpoints":
        return f"    vs-{group:04d}: {{endpoint_type: STANDARD}}"
    return (f"    idx-{i:05d}:\n"
            f"      name: main.bench.idx_{i:05d}\n"
            f"      endpoint_name: ${{resources.vector_search_endpoints.vs-{group:04d}.name}}\n"
            f"      primary_key: id\n"
            f"      index_type: DELTA_SYNC\n"
            f"      delta_sync_index_spec:\n"
            f"        source_table: main.bench.docs_{i:05d}\n"
            f"        pipeline_type: TRIGGERED\n"
            f"        embedding_source_columns:\n"
            f"          - {{name: text, embedding_model_endpoint_name: {EMBEDDINGS}}}")
