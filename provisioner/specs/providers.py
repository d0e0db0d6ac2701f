"""External model providers: each provider's config block and how its keys are written.

A key field `X` holds a `{{secrets/<scope>/<key>}}` reference; its twin `X_plaintext` holds
the key itself (accepted, but sensitive: the engine hashes `*_plaintext` fields by name).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from provisioner.addresses import is_secret_reference
from provisioner.specs.base import Spec, skip_if_reference

PLAINTEXT = "_plaintext"


def _secret_reference(value: str, info: ValidationInfo) -> str:
    if skip_if_reference(value) or is_secret_reference(value):
        return value
    raise ValueError(
        "must be a secret reference {{secrets/<scope>/<key>}}; "
        f"to write the value itself use {info.field_name}{PLAINTEXT}"
    )


SecretRef = Annotated[str, AfterValidator(_secret_reference)]


def secret(what: str) -> Any:
    return Field(None, description=f"{what}, as a secret reference {{{{secrets/<scope>/<key>}}}}.")


def plaintext(what: str) -> Any:
    return Field(None, description=f"{what} written as plaintext (sensitive: never shown, "
                                   "compared by hash); instead of the secret reference.")


class SecretBlock(Spec):
    """A block whose secret fields `X` have `X_plaintext` twins: one form or the other."""

    REQUIRED_SECRETS: ClassVar[tuple[str, ...]] = ()
    """At least one of these secrets (named by the reference field) must be given."""

    def has_secret(self, field: str) -> bool:
        return getattr(self, field) is not None or getattr(self, field + PLAINTEXT) is not None

    @model_validator(mode="after")
    def _one_form_each(self) -> SecretBlock:
        for name in type(self).model_fields:
            twin = name.removesuffix(PLAINTEXT)
            if name != twin and getattr(self, name) is not None and getattr(self, twin) is not None:
                raise ValueError(f"set {twin} or {name}, not both")
        required = type(self).REQUIRED_SECRETS
        if required and not any(self.has_secret(f) for f in required):
            raise ValueError("needs " + " or ".join(f"{f} (or {f}{PLAINTEXT})" for f in required))
        return self


class OpenAiConfig(SecretBlock):
    """OpenAI, Azure OpenAI (`azure`) or Azure OpenAI with Microsoft Entra ID (`azuread`)."""

    REQUIRED_SECRETS = ("openai_api_key", "microsoft_entra_client_secret")
    AZURE_FIELDS: ClassVar[tuple[str, ...]] = (
        "openai_api_base", "openai_api_version", "openai_deployment_name"
    )
    ENTRA_FIELDS: ClassVar[tuple[str, ...]] = (
        "microsoft_entra_client_id", "microsoft_entra_tenant_id"
    )

    openai_api_key: SecretRef | None = secret("OpenAI or Azure OpenAI API key")
    openai_api_key_plaintext: str | None = plaintext("OpenAI or Azure OpenAI API key")
    openai_api_base: str | None = Field(
        None, description="Base URL of the API; required for Azure OpenAI."
    )
    openai_api_type: Literal["openai", "azure", "azuread"] | None = Field(
        None, description="`azure` (access token) or `azuread` (Microsoft Entra ID) for Azure "
                          "OpenAI; omitted for OpenAI itself."
    )
    openai_api_version: str | None = Field(
        None, description="API version, a date; required for Azure OpenAI."
    )
    openai_deployment_name: str | None = Field(
        None, description="Azure OpenAI deployment resource name; required for Azure OpenAI."
    )
    openai_organization: str | None = Field(None, description="OpenAI organization.")
    microsoft_entra_client_id: str | None = Field(
        None, description="Microsoft Entra client id (azuread only)."
    )
    microsoft_entra_client_secret: SecretRef | None = secret("Microsoft Entra client secret")
    microsoft_entra_client_secret_plaintext: str | None = plaintext(
        "Microsoft Entra client secret"
    )
    microsoft_entra_tenant_id: str | None = Field(
        None, description="Microsoft Entra tenant id (azuread only)."
    )

    @model_validator(mode="after")
    def _azure_fields(self) -> OpenAiConfig:
        needed = {"azure": self.AZURE_FIELDS,
                  "azuread": self.AZURE_FIELDS + self.ENTRA_FIELDS}.get(self.openai_api_type or "")
        missing = [f for f in needed or () if getattr(self, f) is None]
        if missing:
            raise ValueError(f"openai_api_type {self.openai_api_type} needs {', '.join(missing)}")
        return self


class AnthropicConfig(SecretBlock):
    """Anthropic."""

    REQUIRED_SECRETS = ("anthropic_api_key",)

    anthropic_api_key: SecretRef | None = secret("Anthropic API key")
    anthropic_api_key_plaintext: str | None = plaintext("Anthropic API key")


class CohereConfig(SecretBlock):
    """Cohere."""

    REQUIRED_SECRETS = ("cohere_api_key",)

    cohere_api_key: SecretRef | None = secret("Cohere API key")
    cohere_api_key_plaintext: str | None = plaintext("Cohere API key")
    cohere_api_base: str | None = Field(
        None, description="Base URL of the Cohere API; the standard one when omitted."
    )


class AmazonBedrockConfig(SecretBlock):
    """Amazon Bedrock: access keys, an instance profile or a UC service credential."""

    aws_region: str = Field(description="AWS region where Bedrock is enabled.")
    bedrock_provider: Literal["anthropic", "cohere", "ai21labs", "amazon"] = Field(
        description="The model provider inside Bedrock."
    )
    aws_access_key_id: SecretRef | None = secret("AWS access key id")
    aws_access_key_id_plaintext: str | None = plaintext("AWS access key id")
    aws_secret_access_key: SecretRef | None = secret("AWS secret access key")
    aws_secret_access_key_plaintext: str | None = plaintext("AWS secret access key")
    instance_profile_arn: str | None = Field(
        None, description="Instance profile used to reach Bedrock, instead of access keys."
    )
    uc_service_credential_name: str | None = Field(
        None, description="Unity Catalog service credential used to reach AWS."
    )

    @model_validator(mode="after")
    def _authentication(self) -> AmazonBedrockConfig:
        keys = [self.has_secret(f) for f in ("aws_access_key_id", "aws_secret_access_key")]
        if any(keys) and not all(keys):
            raise ValueError("aws_access_key_id and aws_secret_access_key go together")
        if not (all(keys) or self.instance_profile_arn or self.uc_service_credential_name):
            raise ValueError("needs aws_access_key_id with aws_secret_access_key, "
                             "instance_profile_arn, or uc_service_credential_name")
        return self


class GoogleCloudVertexAiConfig(SecretBlock):
    """Google Cloud Vertex AI, through a service account's private key."""

    REQUIRED_SECRETS = ("private_key",)

    project_id: str = Field(description="Google Cloud project of the service account.")
    region: str = Field(description="Vertex AI region.")
    private_key: SecretRef | None = secret("Service account private key")
    private_key_plaintext: str | None = plaintext("Service account private key")


class Ai21LabsConfig(SecretBlock):
    """AI21 Labs."""

    REQUIRED_SECRETS = ("ai21labs_api_key",)

    ai21labs_api_key: SecretRef | None = secret("AI21 Labs API key")
    ai21labs_api_key_plaintext: str | None = plaintext("AI21 Labs API key")


class DatabricksModelServingConfig(SecretBlock):
    """A serving endpoint in another Databricks workspace."""

    REQUIRED_SECRETS = ("databricks_api_token",)

    databricks_workspace_url: str = Field(description="URL of the workspace serving the model.")
    databricks_api_token: SecretRef | None = secret(
        "Token of a principal with CAN_QUERY on that endpoint"
    )
    databricks_api_token_plaintext: str | None = plaintext(
        "Token of a principal with CAN_QUERY on that endpoint"
    )


class PaLmConfig(SecretBlock):
    """Google PaLM."""

    REQUIRED_SECRETS = ("palm_api_key",)

    palm_api_key: SecretRef | None = secret("PaLM API key")
    palm_api_key_plaintext: str | None = plaintext("PaLM API key")


class ApiKeyAuth(SecretBlock):
    """An API key sent in a named parameter."""

    REQUIRED_SECRETS = ("value",)

    key: str = Field(description="Name of the parameter carrying the key.")
    value: SecretRef | None = secret("The API key")
    value_plaintext: str | None = plaintext("The API key")


class BearerTokenAuth(SecretBlock):
    """A bearer token."""

    REQUIRED_SECRETS = ("token",)

    token: SecretRef | None = secret("The bearer token")
    token_plaintext: str | None = plaintext("The bearer token")


class CustomProviderConfig(Spec):
    """Any OpenAI-compatible provider at a URL."""

    custom_provider_url: str = Field(description="URL of the provider's API.")
    api_key_auth: ApiKeyAuth | None = Field(None, description="API key authentication.")
    bearer_token_auth: BearerTokenAuth | None = Field(
        None, description="Bearer token authentication."
    )

    @model_validator(mode="after")
    def _one_authentication(self) -> CustomProviderConfig:
        if self.api_key_auth is not None and self.bearer_token_auth is not None:
            raise ValueError("set api_key_auth or bearer_token_auth, not both")
        return self


Provider = Literal[
    "openai", "anthropic", "cohere", "amazon-bedrock", "google-cloud-vertex-ai", "ai21labs",
    "databricks-model-serving", "palm", "custom",
]

ProviderConfig = (
    OpenAiConfig | AnthropicConfig | CohereConfig | AmazonBedrockConfig
    | GoogleCloudVertexAiConfig | Ai21LabsConfig | DatabricksModelServingConfig | PaLmConfig
    | CustomProviderConfig
)

PROVIDER_CONFIGS: dict[str, tuple[str, type[Spec]]] = {
    "openai": ("openai_config", OpenAiConfig),
    "anthropic": ("anthropic_config", AnthropicConfig),
    "cohere": ("cohere_config", CohereConfig),
    "amazon-bedrock": ("amazon_bedrock_config", AmazonBedrockConfig),
    "google-cloud-vertex-ai": ("google_cloud_vertex_ai_config", GoogleCloudVertexAiConfig),
    "ai21labs": ("ai21labs_config", Ai21LabsConfig),
    "databricks-model-serving": ("databricks_model_serving_config", DatabricksModelServingConfig),
    "palm": ("palm_config", PaLmConfig),
    "custom": ("custom_provider_config", CustomProviderConfig),
}
"""Provider -> the `external_model` field holding its config block, and that block's model."""

Task = Literal["llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings"]


class ExternalModel(Spec):
    """A model hosted outside Databricks, served behind the endpoint."""

    provider: Provider = Field(description="Who hosts the model.")
    name: str = Field(description="The provider's model id, e.g. gpt-4o.")
    task: Task = Field(description="What the model does; one task for all external models "
                                   "of an endpoint.")
    openai_config: OpenAiConfig | None = Field(None, description="For provider openai.")
    anthropic_config: AnthropicConfig | None = Field(None, description="For provider anthropic.")
    cohere_config: CohereConfig | None = Field(None, description="For provider cohere.")
    amazon_bedrock_config: AmazonBedrockConfig | None = Field(
        None, description="For provider amazon-bedrock."
    )
    google_cloud_vertex_ai_config: GoogleCloudVertexAiConfig | None = Field(
        None, description="For provider google-cloud-vertex-ai."
    )
    ai21labs_config: Ai21LabsConfig | None = Field(None, description="For provider ai21labs.")
    databricks_model_serving_config: DatabricksModelServingConfig | None = Field(
        None, description="For provider databricks-model-serving."
    )
    palm_config: PaLmConfig | None = Field(None, description="For provider palm.")
    custom_provider_config: CustomProviderConfig | None = Field(
        None, description="For provider custom."
    )

    @model_validator(mode="after")
    def _config_matches_provider(self) -> ExternalModel:
        expected = PROVIDER_CONFIGS[self.provider][0]
        given = [f for f, _ in PROVIDER_CONFIGS.values() if getattr(self, f) is not None]
        wrong = [f for f in given if f != expected]
        if wrong:
            raise ValueError(f"provider {self.provider} takes {expected}, not {', '.join(wrong)}")
        if not given:
            raise ValueError(f"provider {self.provider} needs {expected}")
        return self
