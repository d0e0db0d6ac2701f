"""Drive the real CLI in-process against the embedded local workspace of a temporary stack.

Out-of-band changes go through databricks-sdk to a second LocalWorkspace opened on the same
folder (the emulator shares its SQLite store across processes), as a person would make them.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from provisioner.cli.main import run
from provisioner.local import LocalWorkspace, Settings
from provisioner.plan.document import PlanDocument
from provisioner.state.document import StateDocument

FAST = {"serving_endpoint_create_seconds": 0.2, "serving_endpoint_update_seconds": 0.2,
        "vector_search_endpoint_seconds": 0.2, "vector_search_index_seconds": 0.2,
        "index_deletion_seconds": 0.2, "sql_warehouse_start_seconds": 0.2}


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Harness:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch, **settings: Any):
        self.root = root
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.configure(**settings)

    def configure(self, **settings: Any) -> None:
        """Settings for the embedded workspace of every following command."""
        merged = Settings(**{**FAST, **settings})
        self.monkeypatch.setenv("PROVISIONER_LOCAL_SETTINGS", merged.model_dump_json())

    def write(self, stack_yaml: str, name: str = "stack.yaml") -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(stack_yaml))

    def cli(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = run([*args])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def apply(self, *args: str) -> Result:
        """Apply; every state file written must match the committed state schema."""
        result = self.cli("apply", str(self.root), "--auto-approve", *args)
        assert result.code == 0, result.text
        for state_file in self.state_dir.glob("*.json"):
            StateDocument.model_validate_json(state_file.read_text())
        return result

    def plan(self, *args: str) -> dict[str, Any]:
        """The plan document (JSON format), checked against the committed plan schema."""
        result = self.cli("plan", str(self.root), "--format", "json", *args)
        assert result.code == 0, result.text
        document = json.loads(result.out)
        PlanDocument.model_validate(document)
        return document

    def changes(self, *args: str) -> dict[str, dict[str, Any]]:
        """address -> resource change, for the resources whose action is not no-op."""
        return {c["address"]: c for c in self.plan(*args)["resource_changes"]
                if c["action"] != "no-op"}

    def assert_converged(self) -> None:
        """The first invariant: after apply, a plan has nothing to do."""
        pending = self.changes()
        assert pending == {}, json.dumps(pending, indent=2)

    @property
    def state_dir(self) -> Path:
        return self.root / ".provisioner" / "state"

    @contextmanager
    def workspace(self) -> Iterator[Any]:
        """A databricks-sdk WorkspaceClient on the stack's local workspace, for out-of-band
        edits; yields (client, local workspace)."""
        from provisioner.workspace.client import WorkspaceAuth, connect

        with LocalWorkspace(self.root / ".provisioner" / "local",
                            settings=Settings(**FAST)) as local:
            yield connect(WorkspaceAuth(host=local.url, token="test")), local


def writes(local: LocalWorkspace, after: int = 0, *, succeeded: bool = False
           ) -> list[tuple[str, str]]:
    """(method, path) of the calls `local` served after the `after`th that were not GETs;
    with `succeeded`, only those answered 2xx (a refused call that was retried drops out)."""
    return [(r["method"], r["path"]) for r in local.request_log()[after:]
            if r["method"] != "GET" and (not succeeded or r["status"] < 400)]


def sdk_client(local: LocalWorkspace) -> Any:
    """A databricks-sdk WorkspaceClient on `local`, for reading what a command left."""
    from provisioner.workspace.client import WorkspaceAuth, connect

    return connect(WorkspaceAuth(host=local.url, token="test"))


@contextmanager
def served_workspace(directory: Path, monkeypatch: pytest.MonkeyPatch, **settings: Any
                     ) -> Iterator[LocalWorkspace]:
    """A local workspace served like `provisioner local serve`, reached by environment auth
    (DATABRICKS_HOST / DATABRICKS_TOKEN) from a target with no `workspace:` block."""
    with LocalWorkspace(directory, settings=Settings(**{**FAST, **settings})) as local:
        monkeypatch.setenv("DATABRICKS_HOST", local.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", "test-token")
        yield local
