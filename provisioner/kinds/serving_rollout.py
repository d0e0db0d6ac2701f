"""How a serving endpoint takes a new served entity in traffic steps: which entity is new, the
config sent at each step and for a rollback, and the new entity's health.

A step's config serves the previous entities as the workspace has them plus the new one, the
previous routes scaled down to make room for the new entity's share; every config goes
through `PUT .../config`, which swaps it in only once it is ready, so requests are answered by
the old config until then (serving-endpoints.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from provisioner.errors import ApiError
from provisioner.workspace.api import serving_endpoints as api
from provisioner.workspace.serving_metrics import Health, entity_health

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

READ_ONLY_ENTITY_FIELDS = ("state", "creator", "creation_timestamp")
"""What GET adds to a served entity: never written in a stack, never sent back."""


@dataclass(frozen=True, slots=True)
class EndpointRollout:
    """One endpoint's rollout of `entity` from `previous_routes`."""

    endpoint: str
    entity: dict[str, Any]
    """The new served entity as the stack gives it, its name filled in."""
    previous: tuple[dict[str, Any], ...]
    """The previous served entities as the workspace serves them (request shape)."""
    previous_routes: tuple[dict[str, Any], ...]
    """`{served_entity_name, traffic_percentage}` before the rollout."""
    auto_capture_config: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return str(self.entity["name"])

    def previous_names(self) -> list[str]:
        return [r["served_entity_name"] for r in self.previous_routes]

    def config_at(self, percentage: int) -> dict[str, Any]:
        """The config giving the new entity `percentage` % and the previous routes the rest."""
        routes = [{"served_entity_name": name, "traffic_percentage": share}
                  for name, share in _scaled(self.previous_routes, 100 - percentage)]
        routes.append({"served_entity_name": self.name, "traffic_percentage": percentage})
        return self._config([*self.previous, self.entity], routes)

    def previous_config(self) -> dict[str, Any]:
        """The config before the rollout: what a failed gate puts back."""
        return self._config(list(self.previous), [dict(r) for r in self.previous_routes])

    def send(self, client: WorkspaceClient, config: dict[str, Any]) -> None:
        api.update_config(client, self.endpoint, config)

    def health(self, client: WorkspaceClient) -> Health:
        return entity_health(api.export_metrics(client, self.endpoint), self.name)

    def record(self, percentage: int, failed: str | None = None) -> dict[str, Any]:
        """What the state keeps of this rollout after `percentage` was sent."""
        return {"entity": self.name, "percentage": percentage,
                "previous_routes": [dict(r) for r in self.previous_routes],
                **({"failed": failed} if failed else {})}

    def _config(self, entities: list[dict[str, Any]], routes: list[dict[str, Any]]
                ) -> dict[str, Any]:
        config: dict[str, Any] = {"served_entities": entities,
                                  "traffic_config": {"routes": routes}}
        if self.auto_capture_config:
            config["auto_capture_config"] = self.auto_capture_config
        return config


def rollout_of(desired: dict[str, Any], live: dict[str, Any], recorded: dict[str, Any] | None,
               entity_name: Any) -> EndpointRollout | None:
    """The rollout `desired` asks of the endpoint `live` serves: `recorded` (the state's
    rollout under way) names the entity and the routes it started from; otherwise the one
    desired entity the endpoint does not serve yet is new. None when there is nothing to roll
    out (a new endpoint, no new entity, or several)."""
    if not desired.get("rollout"):
        return None
    named = [{**e, "name": e.get("name") or entity_name(e)}
             for e in desired.get("served_entities") or []]
    served = {e["name"]: e for e in live.get("served_entities") or []}
    new = [e for e in named if recorded is not None and e["name"] == recorded["entity"]]
    new = new or [e for e in named if e["name"] not in served]
    if recorded is not None:  # the endpoint serves the rollout's mix: start from before it
        previous_routes = tuple(recorded["previous_routes"])
    else:
        previous_routes = tuple(
            {"served_entity_name": r.get("served_entity_name") or r.get("served_model_name"),
             "traffic_percentage": r["traffic_percentage"]}
            for r in (live.get("traffic_config") or {}).get("routes") or ())
    if len(new) != 1 or not previous_routes:
        return None
    missing = [r["served_entity_name"] for r in previous_routes
               if r["served_entity_name"] not in served]
    if missing:
        raise ApiError(f"endpoint '{live['name']}' no longer serves {', '.join(missing)}, "
                       "which its rollout started from: nothing was changed",
                       code="ROLLOUT_FAILED")
    previous = tuple({k: v for k, v in served[r["served_entity_name"]].items()
                      if k not in READ_ONLY_ENTITY_FIELDS} for r in previous_routes)
    return EndpointRollout(endpoint=live["name"], entity=new[0], previous=previous,
                           previous_routes=previous_routes,
                           auto_capture_config=live.get("auto_capture_config"))


def _scaled(routes: tuple[dict[str, Any], ...], total: int) -> list[tuple[str, int]]:
    """The routes' shares scaled to add up to `total` (largest remainders get the rest)."""
    weights = [max(r["traffic_percentage"], 0) for r in routes] or [1]
    if not sum(weights):
        weights = [1] * len(routes)
    exact = [total * w / sum(weights) for w in weights]
    shares = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: shares[i] - exact[i])[:total - sum(shares)]:
        shares[i] += 1
    return [(r["served_entity_name"], s) for r, s in zip(routes, shares, strict=True)]


def describe(rollout: dict[str, Any], entity: str, previous: list[str]) -> str:
    """The plan's note: the steps, the hold, the gates and what a failure does."""
    gates = rollout.get("gates") or {}
    checks = ["endpoint READY"]
    if gates.get("min_requests"):
        checks.append(f"at least {gates['min_requests']} requests")
    if gates.get("max_error_rate") is not None:
        checks.append(f"error rate ≤ {gates['max_error_rate']:.2%}")
    if gates.get("max_latency_ms") is not None:
        checks.append(f"p{gates.get('latency_percentile', 99):g} latency ≤ "
                      f"{gates['max_latency_ms']:g} ms")
    steps = " → ".join(f"{s}%" for s in rollout["steps"])
    return (f"rolled out to served entity {entity}: {steps}, holding "
            f"{rollout.get('hold_seconds', 300):g}s at each step before its gates "
            f"({', '.join(checks)}); a failed gate sends the traffic back to "
            f"{', '.join(previous)} and fails the apply")
