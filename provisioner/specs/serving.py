"""Serving endpoint building blocks: served entities, traffic, and the endpoint-level fields
shared by `serving_endpoints`, `external_models` and `foundation_models`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from provisioner.specs.base import Permission, ResourceSpec, Spec
from provisioner.specs.fields import ApiTags, EndpointName, ServedEntityName, tags_field
from provisioner.specs.gateway import AiGatewayConfig, RateLimit
from provisioner.specs.providers import ExternalModel

if TYPE_CHECKING:
    pass

WorkloadType = Literal[
    "CPU", "CPU_MEDIUM", "CPU_LARGE", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE", "GPU_XLARGE",
    "GPU_XLARGE_8", "MULTIGPU_MEDIUM",
]

THROUGHPUT_FIELDS = ("min_provisioned_throughput", "max_provisioned_throughput",
                     "provisioned_model_units")
"""Fields that make an entity a provisioned-throughput foundation model."""
PT_SCALE_TO_ZERO = (
    "the service reports scale_to_zero_enabled false for provisioned throughput whatever is "
    "sent (terraform-provider-databricks#5467), so true would never settle: scale down with "
    "a minimum throughput of 0 instead")


class ServedCompute(Spec):
    """What a served entity and a (deprecated) served model share: size, scaling, environment."""

    name: ServedEntityName | None = Field(
        None, description="Unique within the endpoint; the service derives it when omitted "
                          "(external model name, else `<entity_name>-<entity_version>`)."
    )
    workload_size: str | None = Field(
        None, description="Small (4 concurrent requests), Medium (8-16), Large (16-64) or a "
                          "custom size; not with min/max_provisioned_concurrency."
    )
    workload_type: WorkloadType | None = Field(None, description="Compute type; CPU by default.")
    scale_to_zero_enabled: bool | None = Field(
        None, description="Scale down to zero when idle; required for custom models."
    )
    min_provisioned_concurrency: int | None = Field(
        None, ge=0, description="Lowest concurrency; instead of workload_size."
    )
    max_provisioned_concurrency: int | None = Field(
        None, ge=0, description="Highest concurrency; instead of workload_size."
    )
    min_provisioned_throughput: int | None = Field(
        None, ge=0, description="Provisioned throughput floor, tokens per second."
    )
    max_provisioned_throughput: int | None = Field(
        None, ge=0, description="Provisioned throughput ceiling, tokens per second."
    )
    provisioned_model_units: int | None = Field(
        None, ge=1, description="Model units, for models provisioned by units."
    )
    burst_scaling_enabled: bool | None = Field(
        None, description="Scale beyond provisioned_model_units on spikes (default on); not "
                          "read back by the API."
    )
    environment_vars: dict[str, str] | None = Field(
        None, max_length=30, description="Environment variables (at most 30); values may be "
                                         "secret references {{secrets/<scope>/<key>}}."
    )
    instance_profile_arn: str | None = Field(
        None, description="AWS instance profile the entity runs with."
    )

    @model_validator(mode="after")
    def _sizing(self) -> ServedCompute:
        concurrency = (self.min_provisioned_concurrency, self.max_provisioned_concurrency)
        if self.workload_size is not None and concurrency != (None, None):
            raise ValueError("set workload_size or min/max_provisioned_concurrency, not both")
        for measure in ("concurrency", "throughput"):
            low = getattr(self, f"min_provisioned_{measure}")
            high = getattr(self, f"max_provisioned_{measure}")
            if low is not None and high is not None and low > high:
                raise ValueError(f"min_provisioned_{measure} is above max_provisioned_{measure}")
        return self

    def compute_fields(self) -> list[str]:
        """The sizing and environment fields this entity sets (everything but its name)."""
        return [f for f in ServedCompute.model_fields
                if f != "name" and getattr(self, f) is not None]


class ServedEntity(ServedCompute):
    """One model behind the endpoint: a registered model, a foundation model in provisioned
    throughput, or an external model."""

    entity_name: str | None = Field(
        None, description="Model to serve: `catalog.schema.model` in Unity Catalog (a "
                          "`system.ai.*` model for provisioned throughput), or a FEATURE_SPEC "
                          "function."
    )
    entity_version: str | None = Field(None, description="Version of entity_name, a string.")
    external_model: ExternalModel | None = Field(
        None, description="A model hosted outside Databricks; exclusive with the other fields."
    )

    @model_validator(mode="after")
    def _kind_of_entity(self) -> ServedEntity:
        if self.external_model is not None:
            clash = [f for f in ("entity_name", "entity_version") if getattr(self, f) is not None]
            clash += self.compute_fields()
            if clash:
                raise ValueError(f"external_model cannot be combined with {', '.join(clash)}")
        elif self.entity_name is None:
            raise ValueError("a served entity needs entity_name or external_model")
        elif self.scale_to_zero_enabled and any(
                getattr(self, f) is not None for f in THROUGHPUT_FIELDS):
            raise ValueError(PT_SCALE_TO_ZERO)
        elif self.scale_to_zero_enabled is None and not any(
                getattr(self, f) is not None for f in THROUGHPUT_FIELDS):
            # The service rejects config updates without it (terraform-provider-databricks#4064).
            raise ValueError("scale_to_zero_enabled is required for a custom model (true/false)")
        return self


class ServedModel(ServedCompute):
    """Deprecated twin of a served entity (use `served_entities`)."""

    model_name: str = Field(description="Registered model to serve.")
    model_version: str = Field(description="Version of model_name, a string.")
    scale_to_zero_enabled: bool = Field(description="Scale down to zero when idle.")

    @model_validator(mode="after")
    def _compute_only(self) -> ServedModel:
        # GET mirrors only CPU/GPU entities as served_models (serving-endpoints.md §3), so a
        # provisioned-throughput served model could never be read back: it is an entity's job.
        if given := [f for f in THROUGHPUT_FIELDS if getattr(self, f) is not None]:
            raise ValueError(f"{', '.join(given)}: provisioned throughput is for "
                             "served_entities; served_models serve custom models on CPU/GPU")
        return self


class Route(Spec):
    """A share of the traffic sent to one served entity."""

    served_entity_name: str | None = Field(None, description="The served entity's name.")
    served_model_name: str | None = Field(None, description="Legacy name of the same field.")
    traffic_percentage: int = Field(ge=0, le=100, description="Share of requests, 0 to 100.")

    @model_validator(mode="after")
    def _one_target(self) -> Route:
        names = {n for n in (self.served_entity_name, self.served_model_name) if n is not None}
        if len(names) != 1:
            raise ValueError("a route names one served_entity_name (or served_model_name)")
        return self

    @property
    def target(self) -> str:
        return self.served_entity_name or self.served_model_name or ""


class TrafficConfig(Spec):
    """How requests are split between served entities."""

    routes: list[Route] | None = Field(
        None, description="Routes; with one entity and none given, it gets 100 %."
    )

    @model_validator(mode="after")
    def _adds_up(self) -> TrafficConfig:
        total = sum(r.traffic_percentage for r in self.routes or ())
        if self.routes and total != 100:
            raise ValueError(f"traffic_percentage of the routes must add up to 100, not {total}")
        return self


class AutoCaptureConfig(Spec):
    """Deprecated inference tables (use `ai_gateway.inference_table_config`)."""

    catalog_name: str | None = Field(None, description="Catalog; fixed once enabled.")
    schema_name: str | None = Field(None, description="Schema; fixed once enabled.")
    table_name_prefix: str | None = Field(None, description="Table name prefix; fixed once "
                                                            "enabled.")
    enabled: bool | None = Field(None, description="Capture requests and responses.")


class EmailNotifications(Spec):
    """Who is told when a config update ends."""

    on_update_failure: list[str] | None = Field(
        None, description="Emails told when an update fails."
    )
    on_update_success: list[str] | None = Field(
        None, description="Emails told when an update succeeds."
    )


class TelemetryInferenceTableConfig(Spec):
    """Payload logging of the telemetry profile."""

    name: str | None = Field(None, description="Full name of the inference table.")
    sampling_fraction: float | None = Field(
        None, ge=0, le=1, description="Fraction of requests logged, 0.0 to 1.0."
    )


class TelemetryTableNames(Spec):
    """Unity Catalog tables receiving the endpoint's telemetry."""

    annotations_table: str | None = Field(None, description="Table for annotations.")
    logs_table: str | None = Field(None, description="Table for logs.")
    metrics_table: str | None = Field(None, description="Table for metrics.")
    traces_table: str | None = Field(None, description="Table for traces (spans).")


TelemetryFeature = Literal[
    "TELEMETRY_FEATURE_INFERENCE_TABLE", "TELEMETRY_FEATURE_LOGS", "TELEMETRY_FEATURE_METRICS",
    "TELEMETRY_FEATURE_TRACES",
]


class TelemetryConfig(Spec):
    """Export of logs, traces and metrics; table names are not read back."""

    enabled_telemetry_features: list[TelemetryFeature] | None = Field(
        None, description="Signals to export; all when omitted."
    )
    inference_table_config: TelemetryInferenceTableConfig | None = Field(
        None, description="Payload logging and sampling."
    )
    table_names: TelemetryTableNames | None = Field(
        None, description="Tables for a new telemetry profile."
    )
    telemetry_profile_id: str | None = Field(
        None, description="An existing telemetry profile, instead of table_names."
    )

    @model_validator(mode="after")
    def _one_profile(self) -> TelemetryConfig:
        # The service ignores a config naming no profile (databricks/cli libs/testserver
        # applyTelemetryConfig): it would never be applied.
        if (self.table_names is None) == (self.telemetry_profile_id is None):
            raise ValueError("set one of table_names (a new telemetry profile) or "
                             "telemetry_profile_id (an existing one)")
        if self.table_names is not None and (self.inference_table_config or
                                             TelemetryInferenceTableConfig()).name is not None:
            raise ValueError("inference_table_config.name cannot be set with table_names: the "
                             "service names it <logs_table>_payload")
        return self


class ServingEndpointPermission(Permission):
    level: Literal["CAN_MANAGE", "CAN_QUERY", "CAN_VIEW"] = Field(
        description="CAN_VIEW, CAN_QUERY or CAN_MANAGE."
    )


class EndpointSpec(ResourceSpec):
    """Fields of every serving endpoint, whichever kind writes it."""

    NAMESPACE: ClassVar[str | None] = "serving_endpoints"

    ATTRIBUTES: ClassVar[dict[str, str]] = {
        "name": "The endpoint's name.",
        "id": "The endpoint's id (used by the permissions API).",
        "url": "Where to query it: `endpoint_url` when route-optimized, else the invocations "
               "URL (on the embedded local workspace, a path relative to the workspace: its "
               "port changes with every command).",
    }

    name: EndpointName | None = Field(
        None, description="Endpoint name, 1 to 63 letters, digits, '-' or '_'; defaults to the "
                          "key."
    )
    permissions: list[ServingEndpointPermission] | None = Field(
        None, description="The endpoint's complete access list; omitted = not managed."
    )
    description: str | None = Field(None, description="Free text; set at creation only.")
    tags: ApiTags | None = tags_field("Endpoint tags.")
    ai_gateway: AiGatewayConfig | None = Field(None, description="AI gateway configuration.")
    route_optimized: bool | None = Field(
        None, description="Route-optimized endpoint; set at creation only."
    )
    budget_policy_id: str | None = Field(
        None, description="Budget policy; set at creation only (a change re-creates the "
                          "endpoint), not read back.")
    email_notifications: EmailNotifications | None = Field(
        None, description="Update notifications."
    )
    rate_limits: list[RateLimit] | None = Field(
        None, description="Deprecated: use ai_gateway.rate_limits."
    )
    telemetry_config: TelemetryConfig | None = Field(None, description="Telemetry export.")

    @model_validator(mode="after")
    def _telemetry_for_custom_models(self) -> EndpointSpec:
        if self.telemetry_config is not None and not self.serves_custom_model():
            raise ValueError("telemetry_config is only for endpoints serving a custom model "
                             "(entity_name): the telemetry API refuses external models and "
                             "endpoints without config")
        return self

    def serves_custom_model(self) -> bool:
        """Whether a served entity is a model in Unity Catalog (what telemetry is for)."""
        return False

    def create_body(self) -> dict[str, Any]:
        """`POST /api/2.0/serving-endpoints` body. Every subclass defines
        `to_serving_endpoint()`: the full serving endpoint it stands for."""
        return self.to_serving_endpoint().create_body()  # type: ignore[attr-defined]

    def endpoint_fields(self) -> dict[str, Any]:
        """The endpoint-level fields this spec sets, for compiling a short form."""
        shared = EndpointSpec.model_fields
        return {f: getattr(self, f) for f in self.model_fields_set if f in shared}
