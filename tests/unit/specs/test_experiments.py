"""`experiments`: a workspace path for a name, tags as the API lists them."""

from __future__ import annotations

import pytest

from provisioner.specs.experiments import ExperimentSpec

from .helpers import errors


def test_create_body_is_the_api_request():
    spec = ExperimentSpec.model_validate({
        "name": "/Shared/chains/traces", "tags": {"team": "search"},
        "permissions": [{"group_name": "users", "level": "CAN_EDIT"}]})
    assert spec.api_fields() == {"name": "/Shared/chains/traces",
                                 "tags": [{"key": "team", "value": "search"}]}


@pytest.mark.parametrize(("fields", "message"), [
    ({}, "name: Field required"),
    ({"name": "traces"}, "name: must be an absolute workspace path"),
    ({"name": "/Shared/traces/"}, "name: must be an absolute workspace path"),
    ({"name": "/Shared/x", "permissions": [{"group_name": "g", "level": "CAN_USE"}]},
     "permissions.0.level: Input should be"),
])
def test_refuses_what_the_api_refuses(fields, message):
    assert message in errors(ExperimentSpec, fields)


def test_a_reference_is_checked_once_resolved():
    assert ExperimentSpec(name="${resources.x.y.name}").name == "${resources.x.y.name}"
