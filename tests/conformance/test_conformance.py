"""Every kind, one life: create -> no-op -> in-place update -> replace -> out-of-band change
planned back -> destroy. Kinds join by registering a handler and adding cases/<kind>.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.kinds.registry import all_kinds
from provisioner.stack.targets import merge

CASES = Path(__file__).parent / "cases"


def load_case(kind: str) -> dict[str, Any]:
    return yaml.safe_load((CASES / f"{kind}.yaml").read_text())


def stack_yaml(kind: str, fields: dict[str, Any]) -> str:
    return yaml.safe_dump({"stack": "conformance",
                           "resources": {kind: {"subject": fields}}}, sort_keys=False)


def state_entry(harness, address: str) -> dict[str, Any]:
    result = harness.cli("state", "show", address, str(harness.root))
    assert result.code == 0, result.text
    return json.loads(result.out)


def test_every_registered_kind_has_a_case():
    assert sorted(p.stem for p in CASES.glob("*.yaml")) == sorted(all_kinds())


@pytest.mark.parametrize("kind", all_kinds())
def test_resource_lifecycle(harness, kind):
    case = load_case(kind)
    address = f"{kind}.subject"

    harness.write(stack_yaml(kind, case["create"]))
    assert harness.changes()[address]["action"] == "create"
    harness.apply()
    harness.assert_converged()

    updated = merge(case["create"], case["update"]["fields"])
    harness.write(stack_yaml(kind, updated))
    change = harness.changes()[address]
    assert change["action"] == "update"
    assert set(case["update"]["expect"]) <= {f["path"] for f in change["fields"]}
    harness.apply()
    harness.assert_converged()

    replaced = merge(updated, case["replace"]["fields"])
    harness.write(stack_yaml(kind, replaced))
    change = harness.changes()[address]
    assert change["action"] == "replace"
    assert set(case["replace"]["expect"]) <= set(change["replace_fields"])
    before = state_entry(harness, address)
    harness.apply()
    harness.assert_converged()
    assert state_entry(harness, address)["id"] != before["id"], "a replace makes a new resource"

    request = case["out_of_band"]["request"]
    with harness.workspace() as (client, _):
        name = harness.plan()["resource_changes"][0]["name"]
        client.api_client.do(request["method"], request["path"].format(name=name),
                             body=request["body"])
    if case["out_of_band"]["expect"]:
        change = harness.changes()[address]
        assert change["action"] == "update"
        assert set(case["out_of_band"]["expect"]) <= {f["path"] for f in change["fields"]}
        assert set(case["out_of_band"]["expect"]) <= {f["path"] for f in change["drift"]}
        harness.apply()
    harness.assert_converged()

    assert harness.cli("destroy", str(harness.root), "--auto-approve").code == 0
    assert harness.changes()[address]["action"] == "create"
