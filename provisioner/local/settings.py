"""The local workspace's knobs: timing, faults, limits; set at start or via `/_local/config`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultRule(_Frozen):
    """Make the next `times` calls matching `method` and the `path` regex fail.

    With `lose_response` the call is performed first and only its answer is replaced: the
    client sees an error although the work was done (a "lost create").
    """

    method: str = Field("*", description="HTTP method, or * for any")
    path: str = Field(description="regular expression matched against the whole URL path")
    status: int = Field(503, ge=400, le=599)
    error_code: str = "TEMPORARILY_UNAVAILABLE"
    message: str = "Fault injected by the local workspace."
    times: int = Field(1, ge=1)
    lose_response: bool = False


class EntityFault(_Frozen):
    """Make one served entity of an endpoint answer a share of its invocations with an error
    (and, optionally, slower): a bad model version, for canary rollouts to catch."""

    endpoint: str = Field(description="the serving endpoint's name")
    served_entity: str = Field(description="the served entity's name")
    error_rate: float = Field(1.0, ge=0, le=1, description="share of its invocations failed")
    status: int = Field(500, ge=400, le=599)
    latency_ms: float = Field(0.0, ge=0, description="added to each of its invocations")


class RateLimit(_Frozen):
    """Serving endpoint creates/updates allowed per workspace and period (documented: 50/5 min)."""

    calls: int = Field(50, ge=1)
    period_seconds: float = Field(300.0, gt=0)


class Settings(_Frozen):
    """Every knob of the emulator; the defaults are those of the embedded workspace."""

    latency_ms: float = Field(0.0, ge=0,
                              description="added before every call, the /.well-known probe too")
    latency_jitter_ms: float = Field(0.0, ge=0, description="uniform extra latency, 0..jitter")
    throttle_rate: float = Field(0.0, ge=0, le=1, description="share of /api/ calls answered 429")
    server_error_rate: float = Field(0.0, ge=0, le=1, description="share answered 5xx")
    server_error_status: Literal[500, 503, 504] = 503
    retry_after_seconds: int = Field(1, ge=0, description="Retry-After sent with 429 and 503")
    seed: int | None = Field(None, description="seeds every random fault and jitter")

    serving_endpoint_create_seconds: float = Field(2.0, ge=0)
    serving_endpoint_update_seconds: float = Field(1.0, ge=0)
    vector_search_endpoint_seconds: float = Field(1.0, ge=0)
    vector_search_index_seconds: float = Field(1.0, ge=0)
    index_deletion_seconds: float = Field(1.0, ge=0, description="a deleted index name stays taken")
    sql_warehouse_start_seconds: float = Field(1.0, ge=0, description="STARTING -> RUNNING")

    serving_rate_limit: RateLimit | None = Field(None, description="off unless set")
    fault_rules: tuple[FaultRule, ...] = ()
    fail_next_update: tuple[str, ...] = Field(
        (), description="serving endpoints whose next create or config update ends UPDATE_FAILED"
    )

    entity_faults: tuple[EntityFault, ...] = Field(
        (), description="served entities that fail (or slow) their invocations")

    list_page_size: int = Field(100, ge=1, description="page size of vector search lists")
    connection_timeout_seconds: float = Field(
        60.0, gt=0, description="a connection idle (or a body this slow) this long is closed")
    user: str = Field("local-user@localhost", description="the identity recorded as creator")
