"""`foundation_models`: provisioned throughput in a few lines; pay-per-token is never created."""

from __future__ import annotations

from provisioner.specs.foundation_models import FoundationModelSpec

from .helpers import DESIGN, errors

EXAMPLE = DESIGN["foundation_models"]["llama"]


def test_design_example_compiles_to_a_provisioned_throughput_entity():
    spec = FoundationModelSpec.model_validate(EXAMPLE).with_default_name("llama")
    assert spec.create_body() == {
        "name": "llama",
        "config": {"served_entities": [{
            "entity_name": "system.ai.meta_llama_v3_3_70b_instruct", "entity_version": "1",
            "min_provisioned_throughput": 0, "max_provisioned_throughput": 9500,
        }]},
    }


def test_model_units_form_and_optional_fields():
    spec = FoundationModelSpec.model_validate({
        "name": "llama4", "model": "system.ai.llama_v4_maverick", "version": 1,
        "provisioned_model_units": 50, "burst_scaling_enabled": False,
        "scale_to_zero_enabled": False, "served_entity_name": "maverick",
        "tags": {"team": "ai"}, "permissions": [{"user_name": "a@b.c", "level": "CAN_MANAGE"}],
    })
    assert spec.version == "1"
    endpoint = spec.to_serving_endpoint()
    assert endpoint.permissions == spec.permissions
    assert endpoint.create_body() == {
        "name": "llama4",
        "config": {"served_entities": [{
            "name": "maverick", "entity_name": "system.ai.llama_v4_maverick",
            "entity_version": "1", "provisioned_model_units": 50,
            "burst_scaling_enabled": False, "scale_to_zero_enabled": False,
        }]},
        "tags": [{"key": "team", "value": "ai"}],
    }


def test_throughput_or_model_units():
    bare = {k: v for k, v in EXAMPLE.items() if k != "throughput"}
    assert "set throughput {min, max} or provisioned_model_units" in errors(
        FoundationModelSpec, bare)
    assert "set throughput {min, max} or provisioned_model_units" in errors(
        FoundationModelSpec, {**EXAMPLE, "provisioned_model_units": 10})


def test_throughput_bounds():
    assert "throughput: throughput min (100) is above max (50)" in errors(
        FoundationModelSpec, {**EXAMPLE, "throughput": {"min": 100, "max": 50}})
    assert "throughput.min: Input should be greater than or equal to 0" in errors(
        FoundationModelSpec, {**EXAMPLE, "throughput": {"min": -1, "max": 50}})
    spec = FoundationModelSpec.model_validate({**EXAMPLE, "throughput": {"min": "0", "max": "50"}})
    assert spec.throughput.max == 50


def test_pay_per_token_endpoints_are_never_created():
    message = errors(FoundationModelSpec, {**EXAMPLE, "name": "databricks-meta-llama"})
    assert "name: 'databricks-*' endpoints are the pay-per-token endpoints" in message
    assert "reference them by name, they are never created" in message


def test_model_is_a_lower_case_three_part_name():
    assert "model: must be a three-part Unity Catalog name" in errors(
        FoundationModelSpec, {**EXAMPLE, "model": "meta_llama_v3_3_70b_instruct"})
    assert "model: must be lower case" in errors(
        FoundationModelSpec, {**EXAMPLE, "model": "system.ai.Llama"})
    ref = "${resources.registered_models.tuned.name}"
    assert FoundationModelSpec.model_validate({**EXAMPLE, "model": ref}).model == ref
    assert FoundationModelSpec.model_validate({**EXAMPLE, "name": ref}).name == ref
