"""What a run talks to: the client, the state store, and the embedded local workspace when
the target is `local` (the CLI opens it: `cli/session.open_session`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.stack.model import Stack, Target
from provisioner.state.store import StateStore

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass(frozen=True)
class PlannedStack:
    """The stack a saved plan names: its name, folder and target, which open the same
    workspace and state as when it was planned, from any folder; no resources."""

    name: str
    root: Path
    target: Target


@dataclass
class Session:
    stack: Stack | PlannedStack
    client: WorkspaceClient
    store: StateStore
    local: Any = None  # the LocalWorkspace serving the `local` target, when it is one

    @property
    def is_local(self) -> bool:
        return self.local is not None

    def close(self) -> None:
        if self.local is not None:
            self.local.stop()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
