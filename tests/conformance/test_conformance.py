"""Every kind, one life: create -> no-op -> in-place update -> replace -> out-of-band change
named by `drift` and planned back -> destroy. Kinds join by registering a handler and adding
cases/<kind>.yaml; every case names the field its out-of-band change drifts (or, for a kind
with no update API, says the resource is deleted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from provisioner.kinds.registry import all_kinds
from provisioner.stack.targets import merge

CASES = Path(__file__).parent / "cases"
FILES = Path(__file__).parent / "files"


def load_case(kind: str) -> dict[str, Any]:
    return yaml.safe_load((CASES / f"{kind}.yaml").read_text())


def stack_yaml(case: dict[str, Any], fields: dict[str, Any]) -> str:
    """The subject under test, plus any resources it needs (`extra`)."""
    resources = {**case.get("extra", {}), case["kind"]: {"subject": fields}}
    return yaml.safe_dump({"stack": "conformance", "resources": resources}, sort_keys=False)


def state_entry(harness, address: str) -> dict[str, Any]:
    result = harness.cli("state", "show", address, str(harness.root))
    assert result.code == 0, result.text
    return json.loads(result.out)


def fill(value: Any, **names: str) -> Any:
    """The request with `{name}` and `{id}` filled in wherever a string holds them."""
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: fill(v, **names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, **names) for v in value]
    return value


def drift_findings(harness) -> dict[str, set[str]]:
    """`provisioner drift`: address -> drifted field paths ({"deleted"} for a resource gone)."""
    result = harness.cli("drift", str(harness.root), "--format", "json")
    assert result.code == 0, result.text
    return {f["address"]: ({d["path"] for d in f["fields"]} if f["status"] != "deleted"
                           else {"deleted"})
            for f in json.loads(result.out)["findings"]}


def test_every_registered_kind_has_a_case():
    assert sorted(p.stem for p in CASES.glob("*.yaml")) == sorted(all_kinds())


@pytest.mark.parametrize("kind", all_kinds())
def test_resource_lifecycle(harness, kind):
    case = load_case(kind)
    if case.get("requires"):
        pytest.importorskip(case["requires"], reason="needs the provisioner[models] extra")
    address = f"{kind}.subject"
    for target, source in case.get("files", {}).items():
        harness.write((FILES / source).read_text(), target)

    harness.write(stack_yaml(case, case["create"]))
    assert harness.changes()[address]["action"] == "create"
    harness.apply()
    harness.assert_converged()

    updated = case["create"]
    if "update" in case:  # kinds with no update API have no in-place step
        updated = merge(case["create"], case["update"]["fields"])
        harness.write(stack_yaml(case, updated))
        change = harness.changes()[address]
        assert change["action"] == "update"
        assert set(case["update"]["expect"]) <= {f["path"] for f in change["fields"]}
        harness.apply()
        harness.assert_converged()

    replaced = merge(updated, case["replace"]["fields"])
    harness.write(stack_yaml(case, replaced))
    change = harness.changes()[address]
    assert change["action"] == "replace"
    assert set(case["replace"]["expect"]) <= set(change["replace_fields"])
    before = state_entry(harness, address)
    harness.apply()
    harness.assert_converged()
    if before["id"] is not None:  # indexes have no id: their update raises, so only a
        # re-creation can have converged them
        assert state_entry(harness, address)["id"] != before["id"], "a replace re-creates"

    out_of_band = case["out_of_band"]
    entry = state_entry(harness, address)
    name = entry["name"]
    request = fill(out_of_band["request"], name=name, id=entry["id"])
    with harness.workspace() as (client, _):
        client.api_client.do(request["method"], request["path"], body=request["body"])
    expected = set(out_of_band.get("expect", []))
    assert expected or out_of_band.get("action") == "create", \
        "an out-of-band change must drift a named field (or delete the resource)"
    findings = drift_findings(harness)
    if expected:
        assert expected <= findings.get(address, set())
    else:
        assert findings.get(address) == {"deleted"}
    change = harness.changes()[address]
    assert change["action"] == out_of_band.get("action", "update")
    assert expected <= {f["path"] for f in change["fields"]}
    assert expected <= {f["path"] for f in change["drift"]}
    harness.apply()
    harness.assert_converged()
    assert drift_findings(harness) == {}

    assert harness.cli("destroy", str(harness.root), "--auto-approve").code == 0
    assert harness.changes()[address]["action"] == "create"
