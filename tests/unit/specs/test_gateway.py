"""AI gateway blocks and the deprecated endpoint rate limits."""

from __future__ import annotations

from provisioner.specs.gateway import AiGatewayConfig, InferenceTableConfig, RateLimit

from .helpers import errors

FULL_GATEWAY = {
    "usage_tracking_config": {"enabled": True},
    "inference_table_config": {"catalog_name": "main", "schema_name": "logs",
                               "table_name_prefix": "chat", "enabled": True},
    "rate_limits": [
        {"renewal_period": "minute", "calls": 100, "key": "user"},
        {"renewal_period": "minute", "tokens": 10000, "key": "user_group",
         "principal": "analysts"},
    ],
    "guardrails": {
        "input": {"safety": True, "pii": {"behavior": "BLOCK"},
                  "invalid_keywords": ["password"], "valid_topics": ["cooking"]},
        "output": {"pii": {"behavior": "MASK"}},
    },
    "fallback_config": {"enabled": True},
}


def test_full_gateway_round_trips_to_the_api_shape():
    assert AiGatewayConfig.model_validate(FULL_GATEWAY).to_api() == FULL_GATEWAY


def test_numbers_written_as_text_are_coerced():
    gateway = AiGatewayConfig.model_validate(
        {"rate_limits": [{"renewal_period": "minute", "calls": "5"}]})
    assert gateway.rate_limits[0].calls == 5


def test_rate_limit_rules():
    assert "rate_limits.0: a rate limit needs calls or tokens" in errors(
        AiGatewayConfig, {"rate_limits": [{"renewal_period": "minute"}]})
    assert "rate_limits.0.renewal_period: Input should be 'minute'" in errors(
        AiGatewayConfig, {"rate_limits": [{"renewal_period": "hour", "calls": 1}]})
    assert "rate_limits.0.key: Input should be" in errors(
        AiGatewayConfig, {"rate_limits": [{"renewal_period": "minute", "calls": 1,
                                           "key": "group"}]})


def test_pii_behavior_is_an_enum():
    assert "guardrails.input.pii.behavior: Input should be 'BLOCK', 'MASK' or 'NONE'" in errors(
        AiGatewayConfig, {"guardrails": {"input": {"pii": {"behavior": "REDACT"}}}})


def test_fallback_needs_enabled():
    assert "fallback_config.enabled: Field required" in errors(
        AiGatewayConfig, {"fallback_config": {}})


def test_enabled_inference_table_needs_a_location():
    assert "an enabled inference table needs catalog_name and schema_name" in errors(
        InferenceTableConfig, {"enabled": True, "catalog_name": "main"})
    assert InferenceTableConfig(enabled=False).enabled is False


def test_deprecated_rate_limit_shape():
    assert RateLimit(calls=10, renewal_period="minute", key="endpoint").to_api() == {
        "calls": 10, "renewal_period": "minute", "key": "endpoint"}
    assert "key: Input should be 'user' or 'endpoint'" in errors(
        RateLimit, {"calls": 1, "renewal_period": "minute", "key": "user_group"})
