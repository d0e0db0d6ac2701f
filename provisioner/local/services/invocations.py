"""Querying serving endpoints: `/serving-endpoints/{name}/invocations` and the OpenAI-style
`/serving-endpoints/chat/completions` and `/embeddings` (mlflow-models.md §6).

External-model and pay-per-token endpoints answer deterministically from the request and
the endpoint's config (generation.py); custom-model endpoints run their registered model
from the local MLflow registry (model_runner.py). Each invocation goes to one served entity,
drawn by the traffic config's percentages; what it answered, and how fast, is what the
metrics route (`GET /api/2.0/serving-endpoints/{name}/metrics`) reports per entity.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from provisioner.local.protocol import ApiError, Context, Request, Response, Routes
from provisioner.local.services import generation, model_runner, serving_metrics
from provisioner.local.services.serving_endpoints import get_endpoint

routes = Routes()

BASE = "/serving-endpoints"
_FAULT_CODES = {400: "BAD_REQUEST", 429: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE",
                504: "DEADLINE_EXCEEDED"}


@routes.post(BASE + "/{name}/invocations")
def invocations(ctx: Context, req: Request) -> Response:
    return _answer(ctx, req.params["name"], req.json())


@routes.post(BASE + "/chat/completions")
def chat_completions(ctx: Context, req: Request) -> Response:
    body = req.json()
    return _answer(ctx, _model_field(body), body)


@routes.post(BASE + "/embeddings")
def embeddings(ctx: Context, req: Request) -> Response:
    body = req.json()
    return _answer(ctx, _model_field(body), body)


@routes.get("/api/2.0/serving-endpoints/{name}/metrics")
def metrics(ctx: Context, req: Request) -> Response:
    """Prometheus text of the entities the endpoint serves now (serving_metrics.py)."""
    name = req.params["name"]
    with ctx.store.read() as tx:
        config = get_endpoint(tx, name, ctx.now).get("config") or {}
        served = [e["name"] for e in config.get("served_entities", [])]
        text = serving_metrics.exposition(tx, name, served, ctx.now)
    return Response(raw=text.encode(), content_type="text/plain; version=0.0.4; charset=utf-8")


def _model_field(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError.invalid("Missing required field: model (the serving endpoint's name)")
    return model


def _answer(ctx: Context, name: str, body: dict[str, Any]) -> Response:
    with ctx.store.read() as tx:
        record = get_endpoint(tx, name, ctx.now)
    config = record.get("config")
    if not config:
        raise ApiError(400, "BAD_REQUEST", f"Endpoint '{name}' is not ready: it has no "
                       "served configuration yet (state NOT_READY).")
    entity = _routed(ctx, config)
    served = entity["name"]
    started = time.perf_counter()
    try:
        response = _served(ctx, record, entity, body)
    except ApiError as exc:
        _measured(ctx, name, served, exc.status, started)
        raise
    _measured(ctx, name, served, response.status, started)
    return response


def _routed(ctx: Context, config: dict[str, Any]) -> dict[str, Any]:
    """The served entity this invocation goes to, by the routes' traffic percentages."""
    entities = {e["name"]: e for e in config["served_entities"]}
    weights = {r["served_entity_name"]: r["traffic_percentage"]
               for r in (config.get("traffic_config") or {}).get("routes", [])
               if r["traffic_percentage"] > 0 and r["served_entity_name"] in entities}
    return entities[ctx.faults.route(weights)] if weights else next(iter(entities.values()))


def _measured(ctx: Context, endpoint: str, entity: str, status: int, started: float) -> None:
    with ctx.store.write() as tx:
        serving_metrics.record(tx, endpoint, entity, status,
                               (time.perf_counter() - started) * 1000, ctx.now)


def _served(ctx: Context, record: dict[str, Any], entity: dict[str, Any],
            body: dict[str, Any]) -> Response:
    name, served = record["name"], entity["name"]
    fault, fails = ctx.faults.entity_fault(name, served)
    if fault is not None and fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if fails:
        raise ApiError(fault.status, _FAULT_CODES.get(fault.status, "INTERNAL_ERROR"),
                       f"Injected failure of served entity '{served}' (entity_faults).")
    task = record.get("task")
    if task is None:
        result = {"predictions": model_runner.predict(ctx.directory, entity, body)}
    else:
        result = _generate(name, _model_name(entity), task, body)
        if task == "llm/v1/chat" and body.get("stream"):
            return _stream(result, served)
    return Response(result, headers={"served-model-name": served})


def _model_name(entity: dict[str, Any]) -> str:
    for block in ("external_model", "foundation_model"):
        if entity.get(block):
            return entity[block]["name"]
    return str(entity.get("entity_name", entity.get("name", "model")))


def _generate(endpoint: str, model: str, task: str, body: dict[str, Any]) -> dict[str, Any]:
    if task == "llm/v1/chat":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ApiError.invalid("Missing required field: messages")
        reply = generation.chat_reply(endpoint, model, messages)
        prompt = sum(generation.tokens(str(m.get("content", ""))) for m in messages)
        return _envelope("chat.completion", model, [
            {"index": 0, "message": {"role": "assistant", "content": reply},
             "finish_reason": "stop"}], prompt, generation.tokens(reply))
    if task == "llm/v1/completions":
        prompts = _as_list(body.get("prompt"), "prompt")
        choices = [{"index": i, "text": generation.completion(endpoint, model, p),
                    "finish_reason": "stop"} for i, p in enumerate(prompts)]
        return _envelope("text_completion", model, choices,
                         sum(generation.tokens(p) for p in prompts),
                         sum(generation.tokens(c["text"]) for c in choices))
    if task == "llm/v1/embeddings":
        texts = _as_list(body.get("input"), "input")
        used = sum(generation.tokens(t) for t in texts)
        return {"object": "list", "model": model,
                "data": [{"object": "embedding", "index": i, "embedding": generation.embed(t)}
                         for i, t in enumerate(texts)],
                "usage": {"prompt_tokens": used, "total_tokens": used}}
    raise ApiError.invalid(f"Endpoint '{endpoint}' serves task {task}, which the local "
                           "workspace does not answer.")


def _as_list(value: Any, field: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise ApiError.invalid(f"Missing required field: {field} (a string or a list of strings)")


def _envelope(kind: str, model: str, choices: list[dict[str, Any]], prompt: int,
              completion: int) -> dict[str, Any]:
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": kind,
            "created": int(time.time()), "model": model, "choices": choices,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion}}


def _stream(result: dict[str, Any], served: str) -> Response:
    """Server-sent events: the reply in word-sized chunks, then `data: [DONE]`."""
    content = result["choices"][0]["message"]["content"]
    words = content.split(" ")
    events = []
    for i, word in enumerate(words):
        delta = {"role": "assistant", "content": word + (" " if i < len(words) - 1 else "")}
        chunk = {"id": result["id"], "object": "chat.completion.chunk",
                 "created": result["created"], "model": result["model"],
                 "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        events.append(f"data: {json.dumps(chunk)}\n\n")
    final = {"id": result["id"], "object": "chat.completion.chunk", "created": result["created"],
             "model": result["model"], "usage": result["usage"],
             "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    events += [f"data: {json.dumps(final)}\n\n", "data: [DONE]\n\n"]
    return Response(raw="".join(events).encode(), content_type="text/event-stream",
                    headers={"served-model-name": served})
