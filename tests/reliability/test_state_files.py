"""The state file damaged or lost: a damaged one stops every command with a clear error that
offers the backup from before the last write, and nothing is applied; a lost one costs
nothing, as the next plan adopts what the workspace holds."""

from __future__ import annotations

import json
import shutil

from support.chaos import TARGET, assert_recovers

DAMAGE = {
    "truncated": lambda text: text[: len(text) // 2],
    "resources not a mapping": lambda text: json.dumps({**json.loads(text), "resources": []}),
}


def test_a_damaged_state_is_refused_offering_its_backup_and_nothing_is_applied(chaos):
    assert chaos.apply().code == 0
    backup = chaos.state_dir / "served.json.backup"
    whole = chaos.state_file.read_text()
    backed_up = json.loads(backup.read_text())
    state_path, backup_path = (p.relative_to(chaos.root) for p in (chaos.state_file, backup))
    writes = len(chaos.writes())
    for name, damage in DAMAGE.items():
        chaos.state_file.write_text(damage(whole))
        for command in (("apply", ".", *TARGET, "--auto-approve"),
                        *([("plan", ".", *TARGET)] if name == "truncated" else [])):
            refused = chaos.cli(*command)
            report = f"{name}, {command[0]}:\n{refused.text}"
            assert refused.code == 1, report
            assert "Traceback" not in refused.err and "internal error" not in refused.err, report
            assert f"state {state_path}" in refused.err, report
            assert (f"the backup from before the last write (serial {backed_up['serial']}, "
                    f"{len(backed_up['resources'])} resources) is {backup_path}") in refused.err, \
                report
        assert chaos.state_file.read_text() == damage(whole), f"{name}: the state was rewritten"
    assert len(chaos.writes()) == writes, "a call changed the workspace"
    assert not chaos.lock_file.exists()
    shutil.copy(backup, chaos.state_file)  # as the hint says
    assert_recovers(chaos)


def test_a_deleted_state_adopts_everything_and_creates_nothing(chaos):
    assert chaos.apply().code == 0
    made = chaos.inventory()
    for written in chaos.state_dir.iterdir():
        written.unlink()
    actions = {c["address"]: c["action"] for c in chaos.plan_document()["resource_changes"]}
    assert actions == dict.fromkeys(chaos.declared(), "adopt")
    writes = len(chaos.writes())
    assert_recovers(chaos)
    assert chaos.inventory() == made
    assert len(chaos.writes()) == writes, "adopting changed the workspace"
