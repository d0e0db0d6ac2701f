"""`external_models`: one external model behind an endpoint, in a few lines."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from provisioner.specs.fields import ServedEntityName
from provisioner.specs.providers import PROVIDER_CONFIGS, Provider, ProviderConfig, Task
from provisioner.specs.serving import EndpointSpec
from provisioner.specs.serving_endpoints import ServingEndpointSpec


class ExternalModelSpec(EndpointSpec):
    """An endpoint serving one external model (OpenAI, Anthropic, Bedrock, ...); compiles to a
    serving endpoint."""

    KIND = "external_models"

    provider: Provider = Field(description="Who hosts the model.")
    model: str = Field(description="The provider's model id, e.g. gpt-4o.")
    task: Task = Field(description="What the model does.")
    config: ProviderConfig = Field(
        description="The provider's config block (the fields of `<provider>_config`); keys "
                    "as secret references {{secrets/<scope>/<key>}} or `*_plaintext`."
    )
    served_entity_name: ServedEntityName | None = Field(
        None, description="Name of the served entity; the service derives it from the model "
                          "when omitted."
    )

    @field_validator("config", mode="wrap")
    @classmethod
    def _config_of_provider(cls, value: Any, handler: Any, info: ValidationInfo) -> Any:
        """Validate with the provider's own block, so errors and hints name its fields."""
        provider = info.data.get("provider")
        if provider is None:
            return value  # the model already fails on `provider`; one error is enough
        _refuse_another_providers_fields(provider, value)
        return PROVIDER_CONFIGS[provider][1].model_validate(value)

    def to_serving_endpoint(self) -> ServingEndpointSpec:
        block = PROVIDER_CONFIGS[self.provider][0]
        entity: dict[str, Any] = {"external_model": {
            "name": self.model, "provider": self.provider, "task": self.task, block: self.config,
        }}
        if self.served_entity_name is not None:
            entity["name"] = self.served_entity_name
        return ServingEndpointSpec.model_validate(
            {**self.endpoint_fields(), "served_entities": [entity]}
        )


def _refuse_another_providers_fields(provider: str, value: Any) -> None:
    """A key of another provider's block (an `openai_api_key` under `provider: anthropic`)
    is named as that: the fields this provider takes, not a did-you-mean of itself."""
    if not isinstance(value, dict):
        return
    own = PROVIDER_CONFIGS[provider][1].model_fields
    for key in value:
        if key in own:
            continue
        owners = [name for name, (_, block) in PROVIDER_CONFIGS.items()
                  if key in block.model_fields]
        if owners:
            raise ValueError(f"{key} is a field of the {owners[0]} config, not of "
                             f"{provider}'s (its fields: {', '.join(own)})")
