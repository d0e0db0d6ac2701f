"""The state file damaged or lost: a damaged one stops every command with a clear error that
offers the backup from before the last write, and nothing is applied; a lost one costs
nothing, as the next plan adopts what the workspace holds."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.chaos import STACK, TARGET, assert_recovers

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


@pytest.fixture
def small_disk(chaos) -> Iterator[Path]:
    """The state folder on a tmpfs of its own (1 MiB), to make read-only or fill up; root
    may mount one here, as CI's runner is; elsewhere the scenario is skipped."""
    chaos.state_dir.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                              str(chaos.state_dir)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield chaos.state_dir
    finally:
        subprocess.run(["umount", "-l", str(chaos.state_dir)], check=False)


def _remount(folder: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_read_only_state_folder_is_a_clear_error_and_nothing_is_applied(chaos, small_disk):
    assert chaos.apply().code == 0
    chaos.write(STACK.replace("tags: {team: search}", "tags: {team: ranking}"))
    _remount(small_disk, "ro")
    writes = len(chaos.writes())
    refused = chaos.apply()
    assert refused.code == 1 and "Traceback" not in refused.err, refused.text
    assert "internal error" not in refused.err, refused.text
    assert "cannot lock the state" in refused.err and "Read-only file system" in refused.err
    assert "PROVISIONER_DIR" in refused.err, refused.err
    assert len(chaos.writes()) == writes, "applied without a lock"
    _remount(small_disk, "rw")
    assert _leftovers(small_disk) == []
    assert_recovers(chaos)


def test_a_full_disk_mid_apply_is_a_clear_error_that_leaves_no_temporary_file(chaos, small_disk):
    """The disk fills while the run waits for an endpoint: the next state write fails, says
    why, leaves the last whole state and no `.tmp` file; once there is room the next apply
    adopts whatever was made but could not be recorded."""
    chaos.configure(serving_endpoint_create_seconds=3)
    run = chaos.start_apply()
    run.wait_for_line(r"external_models\.chat: waiting")
    filler = small_disk / "filler"
    with contextlib.suppress(OSError), open(filler, "wb", buffering=0) as handle:
        while True:
            handle.write(b"\0" * 4096)
    result = run.wait()
    assert result.code == 1 and "Traceback" not in result.err, result.text
    assert "cannot write the state" in result.err, result.text
    assert "No space left on device" in result.err and "the previous state is intact" \
        in result.err, result.text
    assert _leftovers(small_disk) == []
    chaos.state()  # whole, and valid against the schema
    filler.unlink()
    assert_recovers(chaos)


@pytest.mark.parametrize(("edit", "said"), [
    (lambda doc: {**doc, "target": "prod"}, "belongs to target 'prod', not 'served'"),
    (lambda doc: {**doc, "resources": {"nodot": doc["resources"]["external_models.chat"]}},
     "resources.nodot: not an address of the form <kind>.<key>"),
    (lambda doc: {**doc, "resources": {"gizmos.chat": {
        **doc["resources"]["external_models.chat"], "kind": "gizmos"}}},
     "the state records gizmos.chat, of a kind this provisioner does not know"),
])
def test_a_state_not_of_this_stack_and_target_or_naming_bad_addresses_is_named(chaos, edit,
                                                                               said):
    assert chaos.apply().code == 0
    whole = chaos.state_file.read_text()
    chaos.state_file.write_text(json.dumps(edit(json.loads(whole))))
    writes = len(chaos.writes())
    for command in (("plan", ".", *TARGET), ("apply", ".", *TARGET, "--auto-approve")):
        refused = chaos.cli(*command)
        assert refused.code == 1 and said in refused.err, refused.text
        assert "Traceback" not in refused.err and "internal error" not in refused.err
    assert len(chaos.writes()) == writes
    chaos.state_file.write_text(whole)
    assert_recovers(chaos)
