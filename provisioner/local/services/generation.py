"""Deterministic model outputs: the same input always gives the same reply or vector.

Embeddings are a normalised sum of one hash-seeded vector per lower-cased word, so texts that
share words are near each other — enough for similarity search to behave like search.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
from typing import Any

EMBEDDING_DIMENSIONS = 1024
"""bge-large-en and gte-large-en return 1024-dimensional vectors (mlflow-models.md §6)."""
_WORD = re.compile(r"\w+")


def embed(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()) or [text]:
        for i, value in enumerate(_word_vector(word, dimensions)):
            vector[i] += value
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def _word_vector(word: str, dimensions: int) -> list[float]:
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{word}:{counter}".encode()).digest()
        values += [(n / 2**31) - 1.0 for n in struct.unpack(">8I", digest)]
        counter += 1
    return values[:dimensions]


def tokens(text: str) -> int:
    """A stand-in token count: words and punctuation."""
    return max(1, len(re.findall(r"\w+|[^\w\s]", text)))


def chat_reply(endpoint: str, model: str, messages: list[dict[str, Any]]) -> str:
    """A reply that names the endpoint and model and echoes the last user message's gist."""
    asked = next((str(m.get("content", "")) for m in reversed(messages)
                  if m.get("role") == "user"), "")
    return f"[{endpoint} · {model}] You asked: {asked.strip()[:500]}"


def completion(endpoint: str, model: str, prompt: str) -> str:
    return f"[{endpoint} · {model}] {prompt.strip()[:500]} …"
