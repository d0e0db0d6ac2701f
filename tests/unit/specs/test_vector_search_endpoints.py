"""`vector_search_endpoints`: type, QPS, tags and permissions."""

from __future__ import annotations

from provisioner.specs.vector_search_endpoints import VectorSearchEndpointSpec

from .helpers import DESIGN, errors

EXAMPLE = DESIGN["vector_search_endpoints"]["docs-vs"]


def test_design_example_create_body():
    spec = VectorSearchEndpointSpec.model_validate(EXAMPLE).with_default_name("docs-vs")
    assert spec.create_body() == {"name": "docs-vs", "endpoint_type": "STANDARD"}


def test_full_example_create_body_leaves_tags_and_permissions_to_their_apis():
    spec = VectorSearchEndpointSpec.model_validate({
        "name": "docs-vs", "endpoint_type": "STANDARD", "budget_policy_id": "b",
        "usage_policy_id": "u", "target_qps": "20",
        "custom_tags": {"team": "search"},
        "permissions": [{"service_principal_name": "1234-abcd", "level": "CAN_USE"}],
    })
    assert spec.create_body() == {"name": "docs-vs", "endpoint_type": "STANDARD",
                                  "budget_policy_id": "b", "target_qps": 20,
                                  "usage_policy_id": "u"}
    api = spec.to_api()
    assert api["custom_tags"] == [{"key": "team", "value": "search"}]  # PATCH .../tags body
    assert api["permissions"] == [{"service_principal_name": "1234-abcd", "level": "CAN_USE"}]


def test_custom_tags_list_and_map_are_equal():
    as_map = VectorSearchEndpointSpec(endpoint_type="STANDARD", custom_tags={"a": "1"})
    as_list = VectorSearchEndpointSpec.model_validate(
        {"endpoint_type": "STANDARD", "custom_tags": [{"key": "a", "value": "1"}]})
    assert as_map == as_list


def test_endpoint_type_is_required_and_an_enum():
    assert "endpoint_type: Field required" in errors(VectorSearchEndpointSpec, {})
    assert "endpoint_type: Input should be 'STANDARD' or 'STORAGE_OPTIMIZED'" in errors(
        VectorSearchEndpointSpec, {"endpoint_type": "standard"})


def test_target_qps_only_on_standard():
    assert "target_qps is for STANDARD endpoints, not STORAGE_OPTIMIZED" in errors(
        VectorSearchEndpointSpec, {"endpoint_type": "STORAGE_OPTIMIZED", "target_qps": 10})


def test_permission_levels():
    assert "permissions.0.level: Input should be 'CAN_CREATE', 'CAN_USE' or 'CAN_MANAGE'" in errors(
        VectorSearchEndpointSpec, {**EXAMPLE, "permissions": [{"group_name": "g",
                                                               "level": "CAN_QUERY"}]})


def test_name_rule_and_reference_skipping():
    assert "name: must be 1 to 63 letters" in errors(
        VectorSearchEndpointSpec, {**EXAMPLE, "name": "docs vs"})
    ref = "${resources.vector_search_endpoints.other.name}"
    assert VectorSearchEndpointSpec.model_validate({**EXAMPLE, "name": ref}).name == ref
