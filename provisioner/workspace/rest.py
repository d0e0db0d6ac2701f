"""REST calls through databricks-sdk's API client: its auth, retries and error mapping.

We call `api_client.do` with the REST JSON instead of the typed service classes: SDK 0.156's
dataclasses drop fields the service returns but the SDK does not model (a vector index's
`status.detailed_state`) and turn unknown enum values into None, which would hide drift.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from provisioner.workspace.errors import is_not_found, translate

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def call(client: WorkspaceClient, method: str, path: str, *, body: Any = None,
         query: dict[str, Any] | None = None, address: str | None = None) -> Any:
    try:
        answer = client.api_client.do(method, path, body=body, query=query)
    except Exception as exc:  # noqa: BLE001 - every failure becomes an ApiError
        raise translate(exc, address) from exc
    return _shared(answer or {})


def _shared(value: Any) -> Any:
    """`value` with its strings interned: each answer is parsed alone, so the keys and values
    every resource of a kind repeats ("served_entities", "openai") were a copy per resource
    (a plan of 5,000 keeps 5,000 live documents)."""
    if isinstance(value, dict):
        return {sys.intern(k): _shared(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shared(v) for v in value]
    if isinstance(value, str):
        return sys.intern(value)
    return value


def get_or_none(client: WorkspaceClient, path: str, *, address: str | None = None,
                query: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """GET that answers None for 404: absence is an answer when reading live state."""
    from provisioner.errors import ApiError

    try:
        return call(client, "GET", path, query=query, address=address)
    except ApiError as exc:
        if is_not_found(exc):
            return None
        raise
