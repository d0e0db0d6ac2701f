"""The contract every kind handler keeps, and the values it hands to the engine."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from provisioner.diff.rules import Rules
    from provisioner.diff.three_way import FieldChange
    from provisioner.specs.base import ResourceSpec


@dataclass(frozen=True, slots=True)
class Live:
    """What the workspace says of one resource now, in the handler's diffable shape."""

    name: str
    document: dict[str, Any]
    id: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    ready: bool = True
    status: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    """What reviewers should know but the diff ignores (row counts, contained resources)."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """Something that must exist before this resource can be applied (checked in preflight)."""

    kind: str
    """A handler's `provides` value (e.g. "serving_endpoint"), or "model_version"."""
    name: str
    path: tuple = ()
    detail: str = ""
    expect: dict[str, Any] = field(default_factory=dict)
    """Facts the found resource must have, e.g. {"task": "llm/v1/embeddings"}; checked
    against the planned document when this plan makes the resource."""
    problem: str = ""
    """What is wrong when the check fails, instead of "does not exist"."""


Progress = Callable[[str], None]
"""Handlers report what they are waiting for (e.g. "IN_PROGRESS") through this."""


class DriftSeverity(StrEnum):
    """How much a change made outside the stack matters, least first: a nightly drift job
    fails on a threshold (`--fail-on breaking`)."""

    COSMETIC = "cosmetic"
    CONFIG = "config"
    BREAKING = "breaking"
    DELETED = "deleted"

    @property
    def rank(self) -> int:
        return list(DriftSeverity).index(self)


Severities = Mapping[str, DriftSeverity]
"""Field path pattern (rules syntax, e.g. `served_entities[*].workload_size`) -> severity of
drift at or under it; the longest matching pattern wins, unmatched fields are `config`."""


class Handler(Protocol):
    """A kind's behaviour. `create`, `update` and `delete` only send: the create call (and an
    access list it cannot carry), the calls whose part changed, the delete; they never read,
    poll or retry. Waiting is only in `wait`; retries and waits around the steps are the
    engine's (`kinds/waiting.py`)."""

    kind: ClassVar[str]
    provides: ClassVar[str]
    """What a Requirement calls this kind's resources, e.g. "serving_endpoint"."""
    rules: ClassVar[Rules]
    ready_timeout: ClassVar[float]
    """Seconds to wait for readiness, suited to the real service."""
    severity: ClassVar[Severities]
    """How much drift on each field matters (see `DriftSeverity`)."""
    generates: bool
    """Whether `provisioner generate` writes this kind's live resources as stack YAML."""
    lives_on: tuple[str, ...]
    """Fields naming the resource this one lives on, bound to that instance rather than its
    name: when it is re-created, this one must be too (an index on its endpoint)."""
    partial_create: bool
    """Whether `create` sends only part of the document (what the create API takes): the
    engine then reads the new resource back and `update` sends the rest (a vector search
    endpoint's tags, a registered model's version and aliases)."""

    def files(self, spec: ResourceSpec) -> tuple[str, ...]:
        """Stack files (relative to its folder) whose content the desired document holds by
        digest: the engine reads them once, before planning (a registered model's code)."""

    def desired(self, spec: ResourceSpec, digests: Mapping[str, str]) -> dict[str, Any]:
        """The spec as the document the engine diffs and stores (REST JSON shape). Pure:
        `digests` holds the sha256 of each of `files(spec)`, read before planning."""

    def read(self, client: WorkspaceClient, name: str, desired: dict[str, Any] | None = None,
             *, fields: Collection[str] | None = None) -> Live | None:
        """The live resource, or None when the workspace has none of that name. `desired`,
        when known, lets a kind read what matters for it (e.g. the model version whose
        content the stack describes). `fields`, when given, are the only top-level fields
        the caller compares: a kind may skip a call that reads none of them (permissions)."""

    def existing(self, client: WorkspaceClient, names: Collection[str]) -> set[str] | None:
        """Which of `names` exist, from list calls (pages followed), so a plan need not read
        what is not there; None when the API has no such list or listing would take more
        calls than reading each name."""

    def create(self, client: WorkspaceClient, desired: dict[str, Any]) -> Live | None:
        """Send the create (and what it cannot carry). Returns the resource as the create's
        answer describes it, when that answer is what a read returns (its id, outputs and
        state): the engine then records it without reading it back; None otherwise."""

    def update(self, client: WorkspaceClient, live: Live, desired: dict[str, Any],
               changes: tuple[FieldChange, ...]) -> None:
        """Send only the calls whose part changed."""

    def delete(self, client: WorkspaceClient, live: Live) -> None: ...

    def wait(self, client: WorkspaceClient, desired: dict[str, Any], timeout: float,
             progress: Progress) -> Live:
        """Poll until `desired` is live and ready; raise on failure or timeout. Never
        deletes anything. Returns the resource as its last poll read it: its id, outputs and
        state, not necessarily every field (a poll may skip the access list)."""

    def requirements(self, desired: dict[str, Any]) -> list[Requirement]:
        """What preflight must find in the workspace or in the plan."""

    def impact(self, action: str, live: Live) -> tuple[str, ...]: ...

    def contained(self, live: Live) -> tuple[tuple[str, str], ...]: ...

    def used_by(self, live: Live) -> tuple[tuple[str, str], ...]: ...

    def refusals(self, live: Live, last_applied: dict[str, Any] | None
                 ) -> tuple[str, ...]: ...

    def rollout(self, desired: dict[str, Any], live: Live, recorded: dict[str, Any] | None
                ) -> Any:
        """The traffic steps that deliver this update progressively, or None (sent at once);
        `recorded` is the rollout the state says is under way."""

    def rollout_notes(self, desired: dict[str, Any], live: Live,
                      recorded: dict[str, Any] | None) -> tuple[str, ...]: ...

    def list_names(self, client: WorkspaceClient) -> list[str]:
        """Names of this kind's resources in the workspace (for `generate`)."""

    def to_spec(self, live: Live) -> dict[str, Any]:
        """The stack fields that describe `live` (the inverse of `desired`), once the engine
        has dropped server defaults and sensitive values: server-only fields removed, API
        shapes lifted to the stack's (tags as a map, permissions with `level`)."""


class HandlerBase:
    """Defaults for the optional parts of the Handler contract."""

    severity: ClassVar[Severities] = {}
    generates: bool = False
    lives_on: tuple[str, ...] = ()
    partial_create: bool = False

    def files(self, spec: ResourceSpec) -> tuple[str, ...]:
        return ()

    def requirements(self, desired: dict[str, Any]) -> list[Requirement]:
        return []

    def impact(self, action: str, live: Live) -> tuple[str, ...]:
        """Notes for a reviewer about what a replace or delete costs."""
        return ()

    def contained(self, live: Live) -> tuple[tuple[str, str], ...]:
        """(kind, name) of resources that live inside this one and go with it."""
        return ()

    def used_by(self, live: Live) -> tuple[tuple[str, str], ...]:
        """(provides, name) of other resources that use this one, so that it cannot go while
        they stay (a model version an endpoint serves). A plan that deletes them too deletes
        them first; one that keeps them is refused."""
        return ()

    def refusals(self, live: Live, last_applied: dict[str, Any] | None) -> tuple[str, ...]:
        """Why this resource must not be deleted (or replaced) now, if it must not."""
        return ()

    def existing(self, client: WorkspaceClient, names: Collection[str]) -> set[str] | None:
        return None

    def rollout(self, desired: dict[str, Any], live: Live, recorded: dict[str, Any] | None
                ) -> Any:
        """The traffic steps delivering an update progressively (apply/rollout.py), or None
        for an update sent at once (every kind but serving endpoints)."""
        return None

    def rollout_notes(self, desired: dict[str, Any], live: Live,
                      recorded: dict[str, Any] | None) -> tuple[str, ...]:
        """What a reviewer should know of how an update is delivered (the rollout's steps)."""
        return ()

    def list_names(self, client: WorkspaceClient) -> list[str]:
        """A kind that cannot be written back as YAML (its source lives elsewhere) lists
        nothing."""
        return []

    def to_spec(self, live: Live) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} does not generate stack YAML")
