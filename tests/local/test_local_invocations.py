"""Querying endpoints: chat, completions, embeddings, streaming, not-ready and unknown
endpoints — through databricks-sdk and raw REST, as the LangChain clients call them."""

from __future__ import annotations

import json
import math

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest, NotFound

CHAT_MODEL = {"name": "chat", "config": {"served_entities": [{"name": "gpt", "external_model": {
    "provider": "openai", "name": "gpt-4o-mini", "task": "llm/v1/chat",
    "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}]}}


@pytest.fixture(autouse=True)
def _referenced_secrets(secret_references) -> None:
    """The secrets this module's requests refer to exist, as the service requires."""
    secret_references("s/k")


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def test_embeddings_have_the_documented_dimension_and_are_deterministic(w: WorkspaceClient):
    """mlflow-models.md §6: `{"input": [...]}` -> data[i].embedding; bge-large-en is 1024-d."""
    body = {"input": ["vector search", "vector search", "bananas"]}
    first = w.api_client.do("POST", "/serving-endpoints/databricks-bge-large-en/invocations",
                            body=body)
    again = w.api_client.do("POST", "/serving-endpoints/embeddings",
                            body={**body, "model": "databricks-bge-large-en"})
    vectors = [d["embedding"] for d in first["data"]]
    assert [len(v) for v in vectors] == [1024] * 3
    assert all(abs(norm(v) - 1) < 1e-9 for v in vectors)
    assert vectors[0] == vectors[1] == again["data"][0]["embedding"]
    assert vectors[0] != vectors[2]
    assert first["usage"]["prompt_tokens"] == first["usage"]["total_tokens"] > 0


def test_similar_texts_embed_nearer_than_unrelated_ones(w: WorkspaceClient):
    """Similarity search over these embeddings must rank by shared words."""
    texts = ["how to create a vector search index", "create a vector index",
             "banana bread recipe"]
    data = w.api_client.do("POST", "/serving-endpoints/databricks-gte-large-en/invocations",
                           body={"input": texts})["data"]
    a, b, c = (d["embedding"] for d in data)
    dot = lambda x, y: sum(p * q for p, q in zip(x, y, strict=True))  # noqa: E731
    assert dot(a, b) > dot(a, c)


def test_chat_answers_in_the_openai_shape_on_both_paths(w: WorkspaceClient):
    """mlflow-models.md §6: chat.completion with choices and usage; served-model-name."""
    w.api_client.do("POST", "/api/2.0/serving-endpoints", body=CHAT_MODEL)
    messages = [{"role": "user", "content": "What is Databricks?"}]
    reply = w.api_client.do("POST", "/serving-endpoints/chat/invocations",
                            body={"messages": messages})
    also = w.api_client.do("POST", "/serving-endpoints/chat/completions",
                           body={"model": "chat", "messages": messages})
    assert reply["object"] == "chat.completion"
    content = reply["choices"][0]["message"]["content"]
    assert "What is Databricks?" in content and content == also["choices"][0]["message"]["content"]
    usage = reply["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    from databricks.sdk.service.serving import ChatMessage, ChatMessageRole

    queried = w.serving_endpoints.query(  # the SDK's own query path
        "chat", messages=[ChatMessage(role=ChatMessageRole.USER, content="What is Databricks?")])
    assert queried.choices[0].message.content == content


def test_streaming_chat_sends_server_sent_events_ending_with_done(workspace, w):
    """mlflow-models.md §6: `"stream": true` -> `data: {...chunk}` lines, then `data: [DONE]`."""
    import urllib.request

    w.api_client.do("POST", "/api/2.0/serving-endpoints", body=CHAT_MODEL)
    request = urllib.request.Request(
        f"{workspace.url}/serving-endpoints/chat/invocations", method="POST",
        data=json.dumps({"messages": [{"role": "user", "content": "hi there"}],
                         "stream": True}).encode(),
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        lines = [line for line in response.read().decode().split("\n") if line]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "hi there" in text and chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_unknown_and_not_ready_endpoints_are_errors(workspace, w):
    """serving-endpoints.md §5: unknown -> 404 RESOURCE_DOES_NOT_EXIST; not ready -> error."""
    with pytest.raises(NotFound):
        w.api_client.do("POST", "/serving-endpoints/nope/invocations", body={"input": ["x"]})
    workspace.configure(serving_endpoint_create_seconds=60)
    w.api_client.do("POST", "/api/2.0/serving-endpoints", body=CHAT_MODEL)
    with pytest.raises(BadRequest, match="not ready"):
        w.api_client.do("POST", "/serving-endpoints/chat/invocations",
                        body={"messages": [{"role": "user", "content": "x"}]})
