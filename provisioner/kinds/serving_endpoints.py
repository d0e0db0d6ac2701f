"""Serving endpoints — custom, external and foundation models — and the two short forms that
compile to them (`external_models`, `foundation_models`), each keeping its own address.

Reference: serving-endpoints.md. The diffable document is the create body with `config`'s
fields lifted to the top (as the stack writes them) plus `permissions`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from provisioner.diff.rules import (
    AtomicList,
    Immutable,
    InputOnly,
    KeyedList,
    Rules,
    Sensitive,
    ServerDefault,
)
from provisioner.errors import ApiError
from provisioner.kinds import serving_rollout
from provisioner.kinds.base import DriftSeverity, HandlerBase, Live, Progress, Requirement
from provisioner.kinds.common import (
    POLLED,
    PRINCIPALS,
    permissions_document,
    put_grants,
    read_grants,
    spec_permissions,
    tag_patch,
    tags_map,
)
from provisioner.kinds.serving_rollout import READ_ONLY_ENTITY_FIELDS
from provisioner.kinds.waiting import poll
from provisioner.placeholders import UNKNOWN
from provisioner.specs.foundation_models import PAY_PER_TOKEN_PREFIX
from provisioner.specs.serving_endpoints import CONFIG_FIELDS
from provisioner.workspace.api import serving_endpoints as api
from provisioner.workspace.client import lasting_url

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from provisioner.diff.three_way import FieldChange
    from provisioner.specs.serving import EndpointSpec

SERVER_FIELDS = ("ai_gateway", "tags", "route_optimized", "description",
                 "email_notifications", "telemetry_config")
"""Top-level fields GET returns as they were set (others are input-only)."""
FULL_FORM = "serving_endpoints"
"""The kind `generate` writes endpoints as; the short forms are only ever written by hand."""


def default_entity_name(entity: dict[str, Any]) -> str | None:
    """The name the service gives an unnamed served entity (reference §2.3)."""
    external = entity.get("external_model")
    if external and external.get("name"):
        return str(external["name"]).replace(".", "-").replace(":", "-")
    name = entity.get("entity_name") or entity.get("model_name")
    version = entity.get("entity_version") or entity.get("model_version")
    if not (name and version):
        return None
    if UNKNOWN in (name, version):  # a version not logged yet: its name is not known either
        return UNKNOWN
    return f"{str(name).split('.')[-1]}-{version}"


def default_routes(document: dict[str, Any]) -> dict[str, Any] | None:
    """One entity and no routes: the service routes 100 % to it (reference §3)."""
    entities = document.get("served_entities") or document.get("served_models") or []
    if len(entities) != 1 or not entities[0].get("name"):
        return None
    name = entities[0]["name"]
    return {"routes": [{"served_entity_name": name, "served_model_name": name,
                        "traffic_percentage": 100}]}


def _entity_route(route: dict[str, Any]) -> dict[str, Any]:
    """A route as sent and compared: the legacy `served_model_name` names the same entity as
    `served_entity_name` (GET returns both), so a route written with either is keyed alike."""
    target = route.get("served_entity_name") or route.get("served_model_name")
    rest = {k: v for k, v in route.items() if k not in ("served_entity_name", "served_model_name")}
    return {"served_entity_name": target, **rest}


RULES = Rules((
    Immutable("name", reason="the name identifies the endpoint"),
    Immutable("route_optimized", reason="route optimization can only be set at creation"),
    Immutable("description", reason="the API has no call that changes the description"),
    Immutable("budget_policy_id", reason="the API has no call that changes an endpoint's "
                                         "budget policy (databricks/cli resources.yml: "
                                         "no_update_api)"),
    Immutable("auto_capture_config.catalog_name",
              reason="inference table location cannot change once enabled"),
    Immutable("auto_capture_config.schema_name",
              reason="inference table location cannot change once enabled"),
    Immutable("auto_capture_config.table_name_prefix",
              reason="inference table location cannot change once enabled"),
    KeyedList("served_entities", keys=("name",), reason="served entities are named"),
    KeyedList("served_models", keys=("name",), reason="served models are named"),
    ServerDefault("served_entities[*].name", compute=default_entity_name,
                  reason="the service names unnamed entities after their model"),
    ServerDefault("served_models[*].name", compute=default_entity_name,
                  reason="the service names unnamed models after their model"),
    ServerDefault("traffic_config", compute=default_routes,
                  reason="with one entity the service routes 100 % to it"),
    ServerDefault("route_optimized", values=(False,), reason="GET returns false when unset"),
    ServerDefault("description", values=("",), reason="GET returns \"\" when unset"),
    KeyedList("traffic_config.routes", keys=("served_entity_name",),
              reason="routes are keyed by the entity they send traffic to"),
    KeyedList("tags", keys=("key",), reason="tags are keyed"),
    KeyedList("permissions", keys=PRINCIPALS, reason="one entry per principal"),
    AtomicList("ai_gateway.rate_limits", reason="the AI gateway is replaced whole"),
    InputOnly("budget_policy_id", reason="GET never returns budget_policy_id"),
    InputOnly("rollout", reason="how a change is delivered, never sent (docs/rollouts.md)"),
    InputOnly("rate_limits", reason="deprecated top-level rate limits are not returned by GET"),
    AtomicList("rate_limits", reason="PUT .../rate-limits replaces the whole list"),
    InputOnly("telemetry_config.table_names",
              reason="table_names creates a telemetry profile and is not returned by GET "
                     "(databricks/cli resources.yml)"),
    InputOnly("telemetry_config.enabled_telemetry_features",
              reason="GET returns the profile, not the features asked for (databricks/cli "
                     "libs/testserver applyTelemetryConfig)"),
    ServerDefault("telemetry_config.telemetry_profile_id",
                  reason="the service creates a profile from table_names and returns its id"),
    ServerDefault("telemetry_config.inference_table_config.name",
                  reason="the service names the payload table after the logs table"),
    AtomicList("telemetry_config.enabled_telemetry_features", ordered=False,
               reason="a set of features"),
    InputOnly("served_entities[*].burst_scaling_enabled",
              reason="GET does not return burst_scaling_enabled"),
    InputOnly("served_models[*].burst_scaling_enabled",
              reason="GET does not return burst_scaling_enabled"),
    Sensitive("served_entities[*].environment_vars.*", unless_secret_reference=True,
              reason="environment variables that are not secret references hold plaintext"),
    Sensitive("served_models[*].environment_vars.*", unless_secret_reference=True,
              reason="environment variables that are not secret references hold plaintext"),
))

_BREAKING, _CONFIG, _COSMETIC = (DriftSeverity.BREAKING, DriftSeverity.CONFIG,
                                 DriftSeverity.COSMETIC)
_SCALING = ("workload_size", "workload_type", "scale_to_zero_enabled",
            "min_provisioned_concurrency", "max_provisioned_concurrency",
            "min_provisioned_throughput", "max_provisioned_throughput", "provisioned_model_units")
SEVERITY = {
    # What is served and where its traffic goes changes the answers callers get.
    "name": _BREAKING,
    "served_entities": _BREAKING,
    "served_models": _BREAKING,
    "traffic_config": _BREAKING,
    "route_optimized": _BREAKING,
    # Capacity, gateway and access change how it is served, not what.
    **{f"{entities}[*].{field}": _CONFIG for entities in ("served_entities", "served_models")
       for field in _SCALING},
    "ai_gateway": _CONFIG,
    "permissions": _CONFIG,
    "auto_capture_config": _CONFIG,
    "email_notifications": _CONFIG,
    "telemetry_config": _CONFIG,
    "tags": _COSMETIC,
    "description": _COSMETIC,
}


def _described(client: WorkspaceClient, found: dict[str, Any],
               grants: list[dict[str, Any]] | None = None) -> Live:
    """An endpoint as a GET (or the create's answer, the same `ServingEndpointDetailed`)
    describes it; `grants`, its access list when it was read (a call of its own)."""
    config = found.get("pending_config") or found.get("config") or {}
    document: dict[str, Any] = {"name": found["name"]}
    document |= {f: config[f] for f in CONFIG_FIELDS if f in config}
    document |= {f: found[f] for f in SERVER_FIELDS if f in found}
    if grants is not None:
        document["permissions"] = grants
    state = found.get("state") or {}
    # An endpoint created without config serves nothing and is never READY; it is settled
    # once no update is in progress (databricks/cli acceptance model_serving_endpoints/basic).
    serves = bool(config)
    return Live(
        name=found["name"], id=found.get("id"), document=document,
        outputs={"name": found["name"], "id": found.get("id"),
                 "url": lasting_url(client, found.get("endpoint_url") or
                                    f"{client.config.host}/serving-endpoints/"
                                    f"{found['name']}/invocations")},
        ready=((state.get("ready") == "READY" or not serves)
               and state.get("config_update") == "NOT_UPDATING"),
        status=f"{state.get('ready', '?')}/{state.get('config_update', '?')}",
        facts={"task": found.get("task")})


class ServingEndpointHandler(HandlerBase):
    """One handler class for the three endpoint kinds: only the spec's compile step differs."""

    provides: ClassVar[str] = "serving_endpoint"
    rules: ClassVar[Rules] = RULES
    severity: ClassVar[dict[str, DriftSeverity]] = SEVERITY
    ready_timeout: ClassVar[float] = 45 * 60.0  # the CLI waits 35 min, Terraform 45

    def __init__(self, kind: str):
        self.kind = kind
        self.generates = kind == FULL_FORM

    def desired(self, spec: EndpointSpec, digests: Mapping[str, str]) -> dict[str, Any]:
        endpoint = spec.to_serving_endpoint()
        body = endpoint.create_body()
        document = {"name": body.pop("name"), **body.pop("config", {}), **body}
        if routes := (document.get("traffic_config") or {}).get("routes"):
            document["traffic_config"] = {**document["traffic_config"],
                                          "routes": [_entity_route(r) for r in routes]}
        if endpoint.permissions is not None:
            document["permissions"] = permissions_document(endpoint.permissions)
        if rollout := getattr(endpoint, "rollout", None):
            document["rollout"] = rollout.model_dump(mode="json")  # defaults spelled out
        return document

    def read(self, client: WorkspaceClient, name: str, desired: dict[str, Any] | None = None,
             *, fields: Collection[str] | None = None) -> Live | None:
        found = api.get(client, name)
        if found is None:
            return None
        grants = None
        if fields is None or "permissions" in fields:  # a second call: only when compared
            grants = read_grants(client, api.get_permissions(client, found["id"]), desired)
        return _described(client, found, grants)

    def create(self, client: WorkspaceClient, desired: dict[str, Any]) -> Live:
        """The answer is the endpoint as a GET shows it (`ServingEndpointDetailed`: SDK
        0.156 `ServingEndpointsAPI.create` parses its `Wait.response` from it;
        serving-endpoints.md §1), so it is its acknowledgement: nothing is read back."""
        body = {k: v for k, v in desired.items() if k not in ("permissions", "rollout")}
        config = {f: body.pop(f) for f in CONFIG_FIELDS if f in body}
        created = api.create(client, {**body, **({"config": config} if config else {})})
        if "permissions" in desired:
            put_grants(client, api.set_permissions, created["id"], desired["permissions"])
        return _described(client, created)

    def update(self, client: WorkspaceClient, live: Live, desired: dict[str, Any],
               changes: tuple[FieldChange, ...]) -> None:
        """Only the calls whose part changed, in the Databricks CLI's order, but telemetry
        before the config: the telemetry API refuses (409) while a config update runs."""
        changed = {c.path[0] for c in changes}
        name = live.name
        if "tags" in changed:
            api.patch_tags(client, name, *tag_patch(desired.get("tags", []),
                                                    live.document.get("tags", [])))
        if "ai_gateway" in changed:
            api.put_ai_gateway(client, name, desired.get("ai_gateway", {}))
        if "rate_limits" in changed:
            api.put_rate_limits(client, name, desired.get("rate_limits", []))
        if "telemetry_config" in changed:
            api.patch_telemetry_config(client, name, desired.get("telemetry_config"))
        if changed & set(CONFIG_FIELDS):
            api.update_config(client, name, {f: desired[f] for f in CONFIG_FIELDS
                                             if f in desired})
        if "email_notifications" in changed:
            api.patch_notifications(client, name, desired.get("email_notifications", {}))
        if "permissions" in changed:
            put_grants(client, api.set_permissions, live.id, desired.get("permissions", []))

    def delete(self, client: WorkspaceClient, live: Live) -> None:
        api.delete(client, live.name)

    def wait(self, client: WorkspaceClient, desired: dict[str, Any], timeout: float,
             progress: Progress) -> Live:
        """Ready means READY and NOT_UPDATING (the SDK's waiter checks only the second)."""
        name = desired["name"]

        def read() -> Live:
            live = self.read(client, name, fields=POLLED)
            if live is None:
                raise ApiError(f"endpoint '{name}' disappeared while waiting for it",
                               code="RESOURCE_DOES_NOT_EXIST", status=404)
            if live.status.endswith(("UPDATE_FAILED", "UPDATE_CANCELED")):
                raise ApiError(f"endpoint '{name}' update ended {live.status.split('/')[1]}",
                               code=live.status.split("/")[1])
            return live

        return poll(read, lambda live: live.ready, timeout=timeout,
                    what=f"endpoint '{name}' to be ready",
                    progress=lambda live: progress(live.status))

    def rollout(self, desired: dict[str, Any], live: Live, recorded: dict[str, Any] | None
                ) -> serving_rollout.EndpointRollout | None:
        """The traffic steps that deliver `desired`'s new served entity, when it asks for a
        rollout and the endpoint already serves something."""
        return serving_rollout.rollout_of(desired, live.document, recorded, default_entity_name)

    def rollout_notes(self, desired: dict[str, Any], live: Live,
                      recorded: dict[str, Any] | None) -> tuple[str, ...]:
        if not desired.get("rollout"):
            return ()
        found = self.rollout(desired, live, recorded)
        if found is None:
            served = {e.get("name") for e in live.document.get("served_entities") or []}
            wanted = {e.get("name") or default_entity_name(e)
                      for e in desired.get("served_entities") or []}
            return () if wanted <= served else (
                "rollout: not one new served entity, so the config is applied at once",)
        note = serving_rollout.describe(desired["rollout"], found.name, found.previous_names())
        if recorded is not None:
            note += (f" (resumes the rollout an earlier apply left at {recorded['percentage']}%"
                     + (", after finishing its rollback" if recorded.get("failed") else "")
                     + ")")
        return (note,)

    def existing(self, client: WorkspaceClient, names: Collection[str]) -> set[str]:
        return set(names) & {e["name"] for e in api.list_all(client)}

    def list_names(self, client: WorkspaceClient) -> list[str]:
        """Every endpoint but the pay-per-token ones, which are referenced, never managed."""
        return [e["name"] for e in api.list_all(client)
                if not e["name"].startswith(PAY_PER_TOKEN_PREFIX)]

    def to_spec(self, live: Live) -> dict[str, Any]:
        """The full `serving_endpoints` form, whichever short form made the endpoint."""
        spec = dict(live.document)
        if spec.get("served_entities"):
            spec.pop("served_models", None)  # GET mirrors compute entities as served_models
        for entities in ("served_entities", "served_models"):
            if entities in spec:
                spec[entities] = [{k: v for k, v in e.items() if k not in READ_ONLY_ENTITY_FIELDS}
                                  for e in spec[entities]]
        routes = (spec.get("traffic_config") or {}).get("routes")
        if routes:  # GET names each route's entity twice (terraform-provider-databricks#3789)
            spec["traffic_config"] = {**spec["traffic_config"], "routes": [
                {k: v for k, v in r.items()
                 if k != "served_model_name" or v != r.get("served_entity_name")}
                for r in routes]}
        if "tags" in spec:
            spec["tags"] = tags_map(spec["tags"])
        if "permissions" in spec:
            spec["permissions"] = spec_permissions(spec["permissions"])
        return spec

    def requirements(self, desired: dict[str, Any]) -> list[Requirement]:
        found = []
        for index, entity in enumerate(desired.get("served_entities") or []):
            if entity.get("entity_name") and entity.get("entity_version"):
                version = f"{entity['entity_name']}/{entity['entity_version']}"
                found.append(Requirement("model_version", version,
                                         ("served_entities", index, "entity_name")))
                throughput = [entity[f] for f in ("min_provisioned_throughput",
                                                  "max_provisioned_throughput") if f in entity]
                if throughput and entity["entity_name"].startswith("system.ai."):
                    found.append(Requirement(
                        "model_version", version,
                        ("served_entities", index, "max_provisioned_throughput"),
                        expect={"throughput_multiples": throughput},
                        problem=f"provisioned throughput {'/'.join(map(str, throughput))} is "
                                "not a multiple of the model's throughput_chunk_size "
                                "(get-model-optimization-info)"))
        for index, model in enumerate(desired.get("served_models") or []):
            if model.get("model_name") and model.get("model_version"):
                found.append(Requirement(
                    "model_version", f"{model['model_name']}/{model['model_version']}",
                    ("served_models", index, "model_name")))
        return found

