"""A serving endpoint's config: validated and given the service's defaults when submitted,
rendered with deployment states when read (serving-endpoints.md §2.2-§3).
"""

from __future__ import annotations

import re
from typing import Any

from provisioner.local.protocol import ApiError, Context
from provisioner.local.services import secrets
from provisioner.local.services.common import check_name, one_of, require
from provisioner.local.services.foundation_models import (
    SYSTEM_AI,
    missing_model_version,
    model_version_exists,
)

_PROVIDER_CONFIGS = {
    "openai": "openai_config",
    "anthropic": "anthropic_config",
    "cohere": "cohere_config",
    "amazon-bedrock": "amazon_bedrock_config",
    "google-cloud-vertex-ai": "google_cloud_vertex_ai_config",
    "ai21labs": "ai21labs_config",
    "databricks-model-serving": "databricks_model_serving_config",
    "palm": "palm_config",
    "custom": "custom_provider_config",
}
_REQUIRED_PROVIDER_FIELDS = {
    "amazon_bedrock_config": ("aws_region", "bedrock_provider"),
    "google_cloud_vertex_ai_config": ("region",),
    "databricks_model_serving_config": ("databricks_workspace_url",),
    "custom_provider_config": ("custom_provider_url",),
}
_SECRET_FIELDS = ("openai_api_key", "microsoft_entra_client_secret", "anthropic_api_key",
                  "cohere_api_key", "aws_access_key_id", "aws_secret_access_key", "private_key",
                  "ai21labs_api_key", "databricks_api_token", "palm_api_key", "value", "token")
"""Provider fields holding a secret reference: each has a `*_plaintext` twin (SDK 0.156:
"The Databricks secret key reference for …")."""
_SECRET_REFERENCE = re.compile(r"\{\{secrets/([^/{}]+)/([^/{}]+)\}\}")
_BEDROCK_PROVIDERS = ("anthropic", "cohere", "ai21labs", "amazon")
_WORKLOAD_TYPES = ("CPU", "CPU_MEDIUM", "CPU_LARGE", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE",
                   "GPU_XLARGE", "GPU_XLARGE_8", "MULTIGPU_MEDIUM")
_THROUGHPUT_FIELDS = ("min_provisioned_throughput", "max_provisioned_throughput",
                      "provisioned_model_units")
_CONCURRENCY_FIELDS = ("min_provisioned_concurrency", "max_provisioned_concurrency")
# The fields exclusive with external_model (§2.3).
_CUSTOM_FIELDS = ("entity_name", "entity_version", "workload_size", "workload_type",
                  "scale_to_zero_enabled", "environment_vars", "instance_profile_arn",
                  "burst_scaling_enabled", *_CONCURRENCY_FIELDS, *_THROUGHPUT_FIELDS)
_SERVED_MODEL_FIELDS = ("workload_size", "workload_type", "scale_to_zero_enabled",
                        "environment_vars", "instance_profile_arn", *_CONCURRENCY_FIELDS,
                        "creator", "creation_timestamp", "state")
MAX_SERVED_ENTITIES = 15  # documented 10, observed 15 (databricks-sdk-py#1496)
MAX_ENVIRONMENT_VARS = 30

DEPLOYMENT_READY = {"deployment": "DEPLOYMENT_READY", "deployment_state_message": ""}
DEPLOYMENT_CREATING = {"deployment": "DEPLOYMENT_CREATING",
                       "deployment_state_message": "Creating the served entity."}


def submit(raw: dict[str, Any], ctx: Context, *, provisioned_throughput: bool) -> dict[str, Any]:
    """The config as stored: validated, server defaults filled, `*_plaintext` secrets dropped."""
    if raw.get("served_entities") and raw.get("served_models"):
        raise ApiError.invalid("Only one of served_entities and served_models may be specified.")
    inputs = raw.get("served_entities") or [_from_served_model(m) for m in
                                            raw.get("served_models") or []]
    if not inputs:
        raise ApiError.invalid("The endpoint config must have at least one served entity.")
    if len(inputs) > MAX_SERVED_ENTITIES:
        raise ApiError.invalid(f"An endpoint can serve at most {MAX_SERVED_ENTITIES} entities.")
    entities = sorted((_entity(e, ctx, provisioned_throughput) for e in inputs),
                      key=lambda e: e["name"])
    names = [e["name"] for e in entities]
    if len(set(names)) != len(names):
        raise ApiError.invalid(f"Served entity names must be unique, got {names}.")
    if len({e["external_model"]["task"] for e in entities if "external_model" in e}) > 1:
        raise ApiError.invalid("All external models of an endpoint must have the same task.")
    config: dict[str, Any] = {"served_entities": entities}
    if traffic := _traffic(raw.get("traffic_config"), names):
        config["traffic_config"] = traffic
    if raw.get("auto_capture_config"):
        config["auto_capture_config"] = raw["auto_capture_config"]
    return config


def render(config: dict[str, Any], *, version: int, state: dict[str, str]) -> dict[str, Any]:
    """The config as GET shows it: entity states and the legacy `served_models` mirror."""
    entities = [{**e, "state": dict(state)} for e in config["served_entities"]]
    out = {**config, "served_entities": entities, "config_version": version}
    if models := [_as_served_model(e) for e in entities if _is_compute(e)]:
        out["served_models"] = models
    return out


def summary(config: dict[str, Any]) -> dict[str, Any]:
    """The config of a list item (`EndpointCoreConfigSummary`)."""
    keys = ("name", "entity_name", "entity_version", "external_model", "foundation_model")
    out: dict[str, Any] = {
        "served_entities": [{k: e[k] for k in keys if k in e} for e in config["served_entities"]]
    }
    if models := [e for e in config["served_entities"] if _is_compute(e)]:
        out["served_models"] = [{"name": e["name"], "model_name": e["entity_name"],
                                 "model_version": e["entity_version"]} for e in models]
    return out


def single_route(name: str) -> dict[str, Any]:
    """The route the service fills in for a lone entity; it names the entity both ways (TF#3789)."""
    return {"routes": [_route(name, 100)]}


def as_input(entity: dict[str, Any]) -> dict[str, Any]:
    """A stored entity as a request would give it again (a traffic-only config update)."""
    return {k: v for k, v in entity.items() if k not in ("creator", "creation_timestamp")}


def is_external(config: dict[str, Any]) -> bool:
    return any("external_model" in e for e in config["served_entities"])


def _is_compute(entity: dict[str, Any]) -> bool:
    """A custom model on CPU/GPU compute: the only kind the legacy `served_models` can express."""
    return "workload_size" in entity


def task_of(config: dict[str, Any]) -> str | None:
    for e in config["served_entities"]:
        if "external_model" in e:
            return e["external_model"]["task"]
        if model := SYSTEM_AI.get((e.get("entity_name", "").lower(), e.get("entity_version"))):
            return model.task
    return None


def _entity(raw: dict[str, Any], ctx: Context, provisioned_throughput: bool) -> dict[str, Any]:
    present = [k for k in _CUSTOM_FIELDS if raw.get(k) not in (None, {}, [])]
    if (external := raw.get("external_model")) is not None:
        if present:
            raise ApiError.invalid(
                f"A served entity with external_model cannot also set {', '.join(present)}."
            )
        entity: dict[str, Any] = {"external_model": _external_model(external, ctx)}
        default_name = external["name"].replace(".", "-").replace(":", "-")
    else:
        # burst_scaling_enabled is accepted but never returned (serving-endpoints.md §2.3).
        entity = {k: raw[k] for k in present if k != "burst_scaling_enabled"}
        _custom_model(entity, ctx, provisioned_throughput)
        default_name = f"{entity['entity_name'].rsplit('.', 1)[-1]}-{entity['entity_version']}"
    entity["name"] = check_name(raw["name"], "served entity") if raw.get("name") else default_name
    entity["creator"] = ctx.settings.user
    entity["creation_timestamp"] = ctx.ms
    return entity


def _custom_model(entity: dict[str, Any], ctx: Context, provisioned_throughput: bool) -> None:
    name = require(entity, "entity_name")
    version = entity["entity_version"] = str(require(entity, "entity_version"))
    if not model_version_exists(ctx, name, version):
        raise missing_model_version(name, version)
    if provisioned_throughput:
        require(entity, "provisioned_model_units")
    if any(k in entity for k in _THROUGHPUT_FIELDS):
        _check_throughput(entity, name, version)
        entity["scale_to_zero_enabled"] = False  # reported false for foundation models (TF#5467)
        return
    if "scale_to_zero_enabled" not in entity:  # the service's own wording (TF#4064)
        raise ApiError.invalid("scaleToZeroEnabled is undefined. Please set it to either true or "
                               "false.")
    one_of(entity.setdefault("workload_type", "CPU"), "workload_type", _WORKLOAD_TYPES)
    concurrency = [k for k in _CONCURRENCY_FIELDS if k in entity]
    if "workload_size" in entity and concurrency:
        raise ApiError.invalid("workload_size conflicts with min/max_provisioned_concurrency.")
    if "workload_size" not in entity:
        # Optional in the API (SDK ServedEntityInput.workload_size; databricks/cli acceptance
        # configs omit it): the smallest size serves, and GET fills it in (§3).
        if len(concurrency) == 1:
            raise ApiError.invalid("Set both min_provisioned_concurrency and "
                                   "max_provisioned_concurrency.")
        entity["workload_size"] = _size_for(entity.get("max_provisioned_concurrency", 4))
    if len(entity.get("environment_vars") or {}) > MAX_ENVIRONMENT_VARS:
        raise ApiError.invalid(f"A served entity takes at most {MAX_ENVIRONMENT_VARS} "
                               "environment variables.")
    for name, value in (entity.get("environment_vars") or {}).items():
        if str(value).startswith("{{secrets/"):  # a reference, resolved when serving
            check_secret_reference(ctx, f"environment_vars.{name}", value)


def _check_throughput(entity: dict[str, Any], name: str, version: str) -> None:
    low, high = entity.get("min_provisioned_throughput"), entity.get("max_provisioned_throughput")
    if low is not None and high is not None and low > high:
        raise ApiError.invalid("min_provisioned_throughput exceeds max_provisioned_throughput.")
    model = SYSTEM_AI.get((name.lower(), version))
    chunk = model.throughput_chunk_size if model else None
    for value in (low, high):
        if chunk and value is not None and value % chunk:
            raise ApiError.invalid(
                f"Provisioned throughput {value} for {name} version {version} must be a "
                f"multiple of its throughput chunk size {chunk}."
            )


def _size_for(max_concurrency: int) -> str:
    """The size the service reports for a concurrency range: Small 4, Medium 16, Large 64."""
    return "Small" if max_concurrency <= 4 else "Medium" if max_concurrency <= 16 else "Large"


def _external_model(raw: dict[str, Any], ctx: Context) -> dict[str, Any]:
    provider = one_of(raw.get("provider"), "external_model.provider", tuple(_PROVIDER_CONFIGS))
    require(raw, "name")
    require(raw, "task")
    block = _PROVIDER_CONFIGS[provider]
    if others := [k for k in raw if k.endswith("_config") and k != block]:
        raise ApiError.invalid(f"Provider {provider} takes {block}, not {', '.join(others)}.")
    config = require(raw, block)
    for field in _REQUIRED_PROVIDER_FIELDS.get(block, ()):
        require(config, field)
    if block == "amazon_bedrock_config":
        one_of(config["bedrock_provider"], "bedrock_provider", _BEDROCK_PROVIDERS)
    _check_secret_pairs(config)
    _check_secret_references(ctx, config)
    return _without_plaintext(raw)


def _check_secret_references(ctx: Context, config: dict[str, Any]) -> None:
    """A secret field holds `{{secrets/<scope>/<key>}}` naming a secret that exists: the
    service resolves it to call the provider (SDK: "The Databricks secret key reference")."""
    for key, value in config.items():
        if isinstance(value, dict):
            _check_secret_references(ctx, value)
        elif key in _SECRET_FIELDS and value is not None:
            check_secret_reference(ctx, key, value)


def check_secret_reference(ctx: Context, field: str, value: Any) -> None:
    found = _SECRET_REFERENCE.fullmatch(str(value))
    if found is None:
        raise ApiError.invalid(f"{field} must be a secret reference {{{{secrets/<scope>/<key>}}}}"
                               f"; write a literal key in {field}_plaintext.")
    scope, key = found.groups()
    with ctx.store.read() as tx:
        if tx.get(secrets.SCOPES, scope) is None:
            raise ApiError.invalid(f"{field}: secret scope {scope} does not exist.")
        if tx.get(secrets.SECRETS, f"{scope}/{key}") is None:
            raise ApiError.invalid(f"{field}: secret {key} does not exist in scope {scope}.")


def _check_secret_pairs(config: dict[str, Any]) -> None:
    for key, value in config.items():
        if key.endswith("_plaintext") and key.removesuffix("_plaintext") in config:
            raise ApiError.invalid(f"Set only one of {key.removesuffix('_plaintext')} and {key}.")
        if isinstance(value, dict):
            _check_secret_pairs(value)


def _without_plaintext(value: Any) -> Any:
    """The service keeps plaintext keys as secrets and never returns them (§2.4)."""
    if not isinstance(value, dict):
        return value
    return {k: _without_plaintext(v) for k, v in value.items() if not k.endswith("_plaintext")}


def _traffic(traffic: dict[str, Any] | None, names: list[str]) -> dict[str, Any] | None:
    routes = (traffic or {}).get("routes") or []
    if not routes:
        return single_route(names[0]) if len(names) == 1 else None
    out = []
    for route in routes:
        target = route.get("served_entity_name") or route.get("served_model_name")
        if target not in names:
            raise ApiError.invalid(f"A route names served entity {target!r}, which the config "
                                   "does not define.")
        percentage = route.get("traffic_percentage", 0)
        if not isinstance(percentage, int) or not 0 <= percentage <= 100:
            raise ApiError.invalid(f"Invalid traffic_percentage {percentage!r}.")
        out.append(_route(target, percentage))
    if (total := sum(r["traffic_percentage"] for r in out)) != 100:
        raise ApiError.invalid(f"The traffic percentages of the routes sum to {total}, not 100.")
    return {"routes": out}


def _route(name: str, percentage: int) -> dict[str, Any]:
    return {"served_entity_name": name, "served_model_name": name,
            "traffic_percentage": percentage}


def _from_served_model(model: dict[str, Any]) -> dict[str, Any]:
    """The deprecated `served_models` input, read as served entities."""
    renamed = {"model_name": "entity_name", "model_version": "entity_version"}
    return {renamed.get(k, k): v for k, v in model.items()}


def _as_served_model(entity: dict[str, Any]) -> dict[str, Any]:
    return {"name": entity["name"], "model_name": entity["entity_name"],
            "model_version": entity["entity_version"],
            **{k: entity[k] for k in _SERVED_MODEL_FIELDS if k in entity}}
