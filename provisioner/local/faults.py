"""The chaos: latency, random 429/5xx, fail-next-N rules, UPDATE_FAILED switches, the rate limiter.

Holds the live `Settings`; one-shot knobs (rules, switches) are consumed by replacing the
settings with what is left, so `GET /_local/config` always shows what is still armed.
All randomness comes from one `random.Random(seed)`.
"""

from __future__ import annotations

import math
import random
import re
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from provisioner.local.protocol import ApiError
from provisioner.local.settings import EntityFault, FaultRule, Settings

_SERVER_ERROR_CODES = {500: "INTERNAL_ERROR", 503: "TEMPORARILY_UNAVAILABLE",
                       504: "DEADLINE_EXCEEDED"}


class Fault(ApiError):
    """An injected error; with `lose_response` it replaces the answer of a call that ran."""

    def __init__(self, status: int, error_code: str, message: str, retry_after: int,
                 lose_response: bool = False):
        headers = {"Retry-After": str(retry_after)} if status in (429, 503) else {}
        super().__init__(status, error_code, message, headers)
        self.lose_response = lose_response


class Faults:
    def __init__(self, settings: Settings):
        self._lock = threading.Lock()
        self._settings = settings
        self._rng = random.Random(settings.seed)
        self._serving_writes: deque[float] = deque()

    @property
    def settings(self) -> Settings:
        return self._settings

    def configure(self, knobs: Mapping[str, Any]) -> Settings:
        """Merge `knobs` into the settings (validated as a whole); a new `seed` reseeds."""
        with self._lock:
            self._settings = Settings.model_validate({**self._settings.model_dump(), **knobs})
            if "seed" in knobs:
                self._rng.seed(self._settings.seed)
            return self._settings

    def latency(self) -> float:
        """Seconds to wait before answering an API call."""
        s = self._settings
        if not s.latency_jitter_ms:
            return s.latency_ms / 1000
        with self._lock:
            return (s.latency_ms + self._rng.uniform(0, s.latency_jitter_ms)) / 1000

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault this API call suffers, if any: an armed rule first, then chance."""
        with self._lock:
            s = self._settings
            if rule := self._take_rule(method, path):
                return Fault(rule.status, rule.error_code, rule.message, s.retry_after_seconds,
                             rule.lose_response)
            if not (s.throttle_rate or s.server_error_rate):
                return None
            draw = self._rng.random()
        if draw < s.throttle_rate:
            return Fault(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests (throttle_rate).",
                         s.retry_after_seconds)
        if draw < s.throttle_rate + s.server_error_rate:
            status = s.server_error_status
            return Fault(status, _SERVER_ERROR_CODES[status], "Injected server error "
                         "(server_error_rate).", s.retry_after_seconds)
        return None

    def route(self, weights: dict[str, int]) -> str:
        """The served entity one invocation goes to, drawn by its traffic percentage."""
        with self._lock:
            return self._rng.choices(list(weights), weights=list(weights.values()))[0]

    def entity_fault(self, endpoint: str, entity: str) -> tuple[EntityFault | None, bool]:
        """The fault armed on this served entity, and whether this invocation fails by it."""
        fault = next((f for f in self._settings.entity_faults
                      if (f.endpoint, f.served_entity) == (endpoint, entity)), None)
        if fault is None or not fault.error_rate:
            return fault, False
        with self._lock:
            return fault, self._rng.random() < fault.error_rate

    def take_update_failure(self, endpoint: str) -> bool:
        """Whether this create/update of `endpoint` must end UPDATE_FAILED (consumes the switch)."""
        with self._lock:
            armed = self._settings.fail_next_update
            if endpoint not in armed:
                return False
            rest = list(armed)
            rest.remove(endpoint)
            self._settings = self._settings.model_copy(update={"fail_next_update": tuple(rest)})
            return True

    def count_serving_write(self, now: float) -> None:
        """Apply the per-workspace create/update limit; raises 429 when it is exhausted."""
        limit = self._settings.serving_rate_limit
        if limit is None:
            return
        with self._lock:
            writes = self._serving_writes
            while writes and writes[0] <= now - limit.period_seconds:
                writes.popleft()
            if len(writes) >= limit.calls:
                wait = math.ceil(writes[0] + limit.period_seconds - now)
                raise Fault(429, "REQUEST_LIMIT_EXCEEDED",
                            f"Exceeded {limit.calls} serving endpoint create/update requests "
                            f"per {limit.period_seconds:g} seconds for this workspace.", wait)
            writes.append(now)

    def _take_rule(self, method: str, path: str) -> FaultRule | None:
        rules = list(self._settings.fault_rules)
        for i, rule in enumerate(rules):
            if rule.method in ("*", method) and re.fullmatch(rule.path, path):
                if rule.times > 1:
                    rules[i] = rule.model_copy(update={"times": rule.times - 1})
                else:
                    del rules[i]
                self._settings = self._settings.model_copy(update={"fault_rules": tuple(rules)})
                return rule
        return None
