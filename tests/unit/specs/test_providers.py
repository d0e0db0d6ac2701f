"""External model providers: config blocks, secret references and their plaintext twins."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from provisioner.specs.providers import (
    PROVIDER_CONFIGS,
    AmazonBedrockConfig,
    AnthropicConfig,
    CustomProviderConfig,
    ExternalModel,
    OpenAiConfig,
)

from .helpers import SECRET, errors

# One valid config block per provider, with every field of the reference table somewhere.
BLOCKS = {
    "openai": {"openai_api_key": SECRET, "openai_api_base": "https://x.openai.azure.com",
               "openai_api_type": "azuread", "openai_api_version": "2024-06-01",
               "openai_deployment_name": "gpt4o", "openai_organization": "org",
               "microsoft_entra_client_id": "cid", "microsoft_entra_tenant_id": "tid",
               "microsoft_entra_client_secret": SECRET},
    "anthropic": {"anthropic_api_key_plaintext": "sk-ant"},
    "cohere": {"cohere_api_key": SECRET, "cohere_api_base": "https://cohere.example"},
    "amazon-bedrock": {"aws_region": "us-east-1", "bedrock_provider": "anthropic",
                       "aws_access_key_id": SECRET, "aws_secret_access_key_plaintext": "s"},
    "google-cloud-vertex-ai": {"project_id": "p", "region": "us-central1",
                               "private_key": SECRET},
    "ai21labs": {"ai21labs_api_key": SECRET},
    "databricks-model-serving": {"databricks_workspace_url": "https://w.example",
                                 "databricks_api_token": SECRET},
    "palm": {"palm_api_key": SECRET},
    "custom": {"custom_provider_url": "https://llm.example",
               "api_key_auth": {"key": "X-Key", "value": SECRET}},
}


def test_every_provider_has_a_block_and_an_example():
    assert set(BLOCKS) == set(PROVIDER_CONFIGS)


@pytest.mark.parametrize("provider", sorted(BLOCKS))
def test_each_provider_block_in_an_external_model(provider):
    block = PROVIDER_CONFIGS[provider][0]
    model = ExternalModel.model_validate(
        {"provider": provider, "name": "m", "task": "llm/v1/chat", block: BLOCKS[provider]})
    assert model.to_api()[block] == BLOCKS[provider]


def test_plaintext_in_a_reference_field_suggests_both_ways():
    message = errors(OpenAiConfig, {"openai_api_key": "sk-live-123"})
    assert "openai_api_key: must be a secret reference {{secrets/<scope>/<key>}}" in message
    assert "openai_api_key_plaintext" in message


def test_the_plaintext_value_never_appears_in_an_error():
    with pytest.raises(ValidationError) as caught:
        OpenAiConfig(openai_api_key="sk-live-123")
    assert "sk-live-123" not in str(caught.value)


def test_plaintext_fields_are_accepted():
    assert AnthropicConfig(anthropic_api_key_plaintext="sk-ant").to_api() == {
        "anthropic_api_key_plaintext": "sk-ant"}


def test_reference_and_plaintext_are_exclusive():
    assert "set anthropic_api_key or anthropic_api_key_plaintext, not both" in errors(
        AnthropicConfig, {"anthropic_api_key": SECRET, "anthropic_api_key_plaintext": "k"})


def test_a_key_is_required():
    assert "needs anthropic_api_key (or anthropic_api_key_plaintext)" in errors(
        AnthropicConfig, {})
    assert "needs openai_api_key (or openai_api_key_plaintext) or microsoft_entra_client_secret" \
        in errors(OpenAiConfig, {})


def test_secret_fields_skip_resource_references():
    ref = "${resources.serving_endpoints.x.name}"
    assert AnthropicConfig(anthropic_api_key=ref).anthropic_api_key == ref


def test_azure_openai_needs_its_fields():
    message = errors(OpenAiConfig, {"openai_api_key": SECRET, "openai_api_type": "azure"})
    assert "openai_api_type azure needs openai_api_base, openai_api_version, " \
           "openai_deployment_name" in message


def test_bedrock_authentication():
    base = {"aws_region": "us-east-1", "bedrock_provider": "amazon"}
    assert "needs aws_access_key_id with aws_secret_access_key" in errors(
        AmazonBedrockConfig, base)
    assert "aws_access_key_id and aws_secret_access_key go together" in errors(
        AmazonBedrockConfig, {**base, "aws_access_key_id": SECRET})
    assert AmazonBedrockConfig(**base, instance_profile_arn="arn:aws:iam::1:instance-profile/p")
    assert AmazonBedrockConfig(**base, uc_service_credential_name="bedrock")
    assert "bedrock_provider: Input should be" in errors(
        AmazonBedrockConfig, {**base, "bedrock_provider": "meta"})


def test_custom_provider_authentication():
    url = {"custom_provider_url": "https://llm.example"}
    assert "set api_key_auth or bearer_token_auth, not both" in errors(CustomProviderConfig, {
        **url, "api_key_auth": {"key": "k", "value": SECRET},
        "bearer_token_auth": {"token": SECRET}})
    assert "bearer_token_auth.token: must be a secret reference" in errors(
        CustomProviderConfig, {**url, "bearer_token_auth": {"token": "abc"}})
    assert "value_plaintext" in errors(
        CustomProviderConfig, {**url, "api_key_auth": {"key": "k", "value": "abc"}})
    assert CustomProviderConfig(**url)  # an open endpoint needs no authentication


def test_external_model_takes_exactly_the_block_of_its_provider():
    base = {"provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat"}
    assert "provider openai needs openai_config" in errors(ExternalModel, base)
    assert "provider openai takes openai_config, not anthropic_config" in errors(
        ExternalModel, {**base, "openai_config": {"openai_api_key": SECRET},
                        "anthropic_config": {"anthropic_api_key": SECRET}})


def test_external_model_task_is_an_enum():
    assert "task: Input should be" in errors(ExternalModel, {
        "provider": "openai", "name": "m", "task": "chat",
        "openai_config": {"openai_api_key": SECRET}})
