"""The AI gateway of a serving endpoint, and the older top-level rate limits it replaces."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from provisioner.specs.base import Spec


class UsageTrackingConfig(Spec):
    """Usage tracking into system tables."""

    enabled: bool | None = Field(None, description="Track token usage per request.")


class InferenceTableConfig(Spec):
    """Request and response logging into a Unity Catalog table."""

    catalog_name: str | None = Field(
        None, description="Catalog of the table; required when enabled (disable to change it)."
    )
    schema_name: str | None = Field(
        None, description="Schema of the table; required when enabled (disable to change it)."
    )
    table_name_prefix: str | None = Field(
        None, description="Prefix of the table name (disable to change it)."
    )
    enabled: bool | None = Field(None, description="Log requests and responses.")

    @model_validator(mode="after")
    def _location_when_enabled(self) -> InferenceTableConfig:
        if self.enabled and (self.catalog_name is None or self.schema_name is None):
            raise ValueError("an enabled inference table needs catalog_name and schema_name")
        return self


class AiGatewayRateLimit(Spec):
    """A cap on calls or tokens per minute, for the endpoint or per principal."""

    renewal_period: Literal["minute"] = Field(description="Window of the limit; only `minute`.")
    calls: int | None = Field(None, ge=0, description="Calls allowed per window.")
    tokens: int | None = Field(None, ge=0, description="Tokens allowed per window.")
    key: Literal["endpoint", "user", "user_group", "service_principal"] | None = Field(
        None, description="What the limit counts per; `endpoint` when omitted."
    )
    principal: str | None = Field(
        None, description="The one user (email), group or service principal (application id) "
                          "the limit applies to."
    )

    @model_validator(mode="after")
    def _calls_or_tokens(self) -> AiGatewayRateLimit:
        if self.calls is None and self.tokens is None:
            raise ValueError("a rate limit needs calls or tokens")
        return self


class PiiBehavior(Spec):
    """What to do with personally identifiable information."""

    behavior: Literal["BLOCK", "MASK", "NONE"] | None = Field(
        None, description="Block the request, mask the PII, or do nothing."
    )


class GuardrailParameters(Spec):
    """Checks on one direction of traffic."""

    safety: bool | None = Field(None, description="Block unsafe content.")
    pii: PiiBehavior | None = Field(None, description="PII detection.")
    invalid_keywords: list[str] | None = Field(
        None, description="Deprecated: keywords that block a request."
    )
    valid_topics: list[str] | None = Field(
        None, description="Deprecated: topics a request must be about."
    )


class Guardrails(Spec):
    """Checks on requests (`input`) and responses (`output`)."""

    input: GuardrailParameters | None = Field(None, description="Checks on requests.")
    output: GuardrailParameters | None = Field(None, description="Checks on responses.")


class FallbackConfig(Spec):
    """Fall back to the next served entity when one fails."""

    enabled: bool = Field(description="Route a failed request to another served entity.")


class AiGatewayConfig(Spec):
    """The AI gateway: usage tracking, inference tables, rate limits, guardrails, fallbacks.

    The API replaces it as a whole (`PUT .../ai-gateway`).
    """

    usage_tracking_config: UsageTrackingConfig | None = Field(
        None, description="Usage tracking."
    )
    inference_table_config: InferenceTableConfig | None = Field(
        None, description="Inference table logging."
    )
    rate_limits: list[AiGatewayRateLimit] | None = Field(None, description="Rate limits.")
    guardrails: Guardrails | None = Field(None, description="Input and output guardrails.")
    fallback_config: FallbackConfig | None = Field(None, description="Fallbacks.")


class RateLimit(Spec):
    """Deprecated endpoint rate limit (use `ai_gateway.rate_limits`); never read back."""

    calls: int = Field(ge=0, description="Calls allowed per window.")
    renewal_period: Literal["minute"] = Field(description="Window of the limit; only `minute`.")
    key: Literal["user", "endpoint"] | None = Field(
        None, description="What the limit counts per; `endpoint` when omitted."
    )
