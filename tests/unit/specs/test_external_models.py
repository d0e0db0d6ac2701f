"""`external_models`: the short form and its compile to a serving endpoint."""

from __future__ import annotations

from provisioner.specs.external_models import ExternalModelSpec
from provisioner.specs.serving_endpoints import ServingEndpointSpec

from .helpers import DESIGN, SECRET, errors

EXAMPLE = DESIGN["external_models"]["chat"]


def test_design_example_compiles_to_one_external_served_entity():
    spec = ExternalModelSpec.model_validate(EXAMPLE).with_default_name("chat")
    endpoint = spec.to_serving_endpoint()
    assert isinstance(endpoint, ServingEndpointSpec)
    assert endpoint.permissions == spec.permissions
    assert spec.create_body() == endpoint.create_body() == {
        "name": "chat",
        "config": {"served_entities": [{"external_model": {
            "provider": "openai", "name": "gpt-4o", "task": "llm/v1/chat",
            "openai_config": {"openai_api_key": SECRET},
        }}]},
        "ai_gateway": EXAMPLE["ai_gateway"],
    }


def test_endpoint_fields_and_served_entity_name_carry_over():
    spec = ExternalModelSpec.model_validate({
        **EXAMPLE, "name": "claude", "provider": "anthropic", "model": "claude-sonnet-4",
        "config": {"anthropic_api_key_plaintext": "sk-ant"}, "served_entity_name": "claude",
        "tags": [{"key": "team", "value": "a"}], "description": "d", "route_optimized": True,
        "budget_policy_id": "b", "email_notifications": {"on_update_success": ["a@b.c"]},
        "rate_limits": [{"calls": 1, "renewal_period": "minute"}],
        "lifecycle": {"prevent_destroy": True},
    })
    endpoint = spec.to_serving_endpoint()
    assert endpoint.lifecycle.prevent_destroy
    body = endpoint.create_body()
    assert body["config"]["served_entities"] == [{"name": "claude", "external_model": {
        "provider": "anthropic", "name": "claude-sonnet-4", "task": "llm/v1/chat",
        "anthropic_config": {"anthropic_api_key_plaintext": "sk-ant"}}}]
    assert body["tags"] == [{"key": "team", "value": "a"}]
    assert {"description", "route_optimized", "budget_policy_id", "email_notifications",
            "rate_limits", "ai_gateway"} <= set(body)


def test_config_is_validated_as_the_providers_block():
    assert "config.openai_api_kye: Extra inputs are not permitted" in errors(
        ExternalModelSpec, {**EXAMPLE, "config": {"openai_api_kye": SECRET}})
    assert "config.aws_region: Field required" in errors(
        ExternalModelSpec, {**EXAMPLE, "provider": "amazon-bedrock",
                            "config": {"bedrock_provider": "amazon"}})


def test_plaintext_key_in_config_is_an_error_with_the_way_out():
    message = errors(ExternalModelSpec, {**EXAMPLE, "config": {"openai_api_key": "sk-live"}})
    assert "config.openai_api_key: must be a secret reference {{secrets/<scope>/<key>}}" in message
    assert "openai_api_key_plaintext" in message and "sk-live" not in message


def test_key_and_plaintext_are_exclusive():
    assert "config: set openai_api_key or openai_api_key_plaintext, not both" in errors(
        ExternalModelSpec, {**EXAMPLE, "config": {"openai_api_key": SECRET,
                                                   "openai_api_key_plaintext": "sk"}})


def test_unknown_provider_is_one_error():
    message = errors(ExternalModelSpec, {**EXAMPLE, "provider": "opnai"})
    assert message.startswith("provider: Input should be 'openai'")
    assert "config" not in message


def test_served_entity_name_and_endpoint_name_rules():
    assert "served_entity_name: must be letters" in errors(
        ExternalModelSpec, {**EXAMPLE, "served_entity_name": "gpt-4o:mini"})
    assert "name: must be 1 to 63" in errors(ExternalModelSpec, {**EXAMPLE, "name": "a" * 64})


def test_short_form_fields_are_required():
    message = errors(ExternalModelSpec, {"provider": "openai"})
    for field in ("model", "task", "config"):
        assert f"{field}: Field required" in message
