"""The foundation model catalogue: pay-per-token `databricks-*` endpoints and `system.ai` models.

The real catalogue varies by region and over time (serving-endpoints.md §7); this one is a
small fixed sample. Throughput chunk sizes are illustrative, not the service's figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioner.local.model_registry import has_model_version
from provisioner.local.protocol import ApiError, Context, Request, Routes

routes = Routes()

DOCS = "https://docs.databricks.com/machine-learning/foundation-models/supported-models.html"


@dataclass(frozen=True, slots=True)
class PayPerTokenEndpoint:
    name: str
    task: str
    display_name: str
    description: str


@dataclass(frozen=True, slots=True)
class SystemModel:
    name: str
    version: str
    task: str
    throughput_chunk_size: int


PAY_PER_TOKEN = (
    PayPerTokenEndpoint("databricks-bge-large-en", "llm/v1/embeddings", "BGE Large (En)",
                        "BAAI General Embedding, 1024-dimensional text embeddings."),
    PayPerTokenEndpoint("databricks-gte-large-en", "llm/v1/embeddings", "GTE Large (En)",
                        "General Text Embedding, 1024-dimensional text embeddings."),
    PayPerTokenEndpoint("databricks-meta-llama-3-3-70b-instruct", "llm/v1/chat",
                        "Meta Llama 3.3 70B Instruct", "Meta's 70B instruction-tuned chat model."),
    PayPerTokenEndpoint("databricks-meta-llama-3-1-8b-instruct", "llm/v1/chat",
                        "Meta Llama 3.1 8B Instruct", "Meta's 8B instruction-tuned chat model."),
)

SYSTEM_AI = {
    (m.name, m.version): m
    for m in (
        SystemModel("system.ai.meta_llama_v3_3_70b_instruct", "1", "llm/v1/chat", 9500),
        SystemModel("system.ai.meta_llama_v3_1_8b_instruct", "1", "llm/v1/chat", 19000),
        SystemModel("system.ai.gte_large_en_v1_5", "1", "llm/v1/embeddings", 40000),
        SystemModel("system.ai.bge_large_en_v1_5", "1", "llm/v1/embeddings", 40000),
    )
}


def is_system_model(name: str) -> bool:
    return name.lower().startswith("system.ai.")


def model_version_exists(ctx: Context, name: str, version: str) -> bool:
    """`system.ai` models come from the catalogue, every other model from the local registry."""
    if is_system_model(name):
        return (name.lower(), version) in SYSTEM_AI
    return has_model_version(ctx, name, version)


def missing_model_version(name: str, version: str) -> ApiError:
    return ApiError.not_found(f"Model version {name}/{version} does not exist.")


@routes.get("/api/2.0/serving-endpoints/get-model-optimization-info/{model}/{version}")
def get_model_optimization_info(ctx: Context, req: Request) -> dict:
    name, version = req.params["model"], req.params["version"]
    if not model_version_exists(ctx, name, version):
        raise missing_model_version(name, version)
    model = SYSTEM_AI.get((name.lower(), version))
    if model is None:  # a custom model: servable, but not on provisioned throughput
        return {"optimizable": False}
    return {"optimizable": True, "throughput_chunk_size": model.throughput_chunk_size}
