"""The loaded stack: resources with their specs, locations and dependencies; the target."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from provisioner.addresses import Address, SecretReference
from provisioner.diagnostics import Span
from provisioner.specs import SPECS
from provisioner.specs.base import ResourceSpec, Spec
from provisioner.stack.targets import LOCAL, TargetDecl, WorkspaceDecl
from provisioner.stack.variables import VariableDecl


@dataclass(frozen=True, slots=True)
class Dependency:
    """An edge: this resource needs `address` first, because of the text at `span`."""

    address: Address
    span: Span
    attribute: str | None = None  # None for `depends_on`


@dataclass(frozen=True, slots=True)
class Resource:
    address: Address
    spec: ResourceSpec
    span: Span
    dependencies: tuple[Dependency, ...] = ()
    field_spans: dict[tuple, Span] = field(default_factory=dict, compare=False, hash=False)

    @property
    def name(self) -> str:
        return self.spec.name or self.address.key

    def span_of(self, path: tuple) -> Span:
        """Where a field of this resource is written (its nearest written ancestor)."""
        while path and path not in self.field_spans:
            path = path[:-1]
        return self.field_spans.get(path, self.span)


@dataclass(frozen=True, slots=True)
class Move:
    """A `moved:` block: the object the state records at `source` is now `destination`."""

    source: Address
    destination: Address
    span: Span


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    workspace: WorkspaceDecl | None
    state: str

    @property
    def is_local(self) -> bool:
        """The embedded local workspace: the `local` target unless it names a workspace."""
        return self.name == LOCAL and self.workspace is None


@dataclass(frozen=True, slots=True)
class Stack:
    name: str
    root: Path
    stack_file: str
    target: Target
    variables: dict[str, Any]
    resources: dict[Address, Resource]
    secret_references: dict[SecretReference, tuple[Span, ...]]
    digest: str = ""
    """Hash of what the stack's files say (see `loader._digest`)."""
    moved: tuple[Move, ...] = ()

    def counts_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for address in self.resources:
            counts[address.kind] = counts.get(address.kind, 0) + 1
        return counts


def _resources_model() -> type[Spec]:
    """`resources:` as a model with one optional map per kind, built from the spec registry."""
    from pydantic import create_model

    fields: dict[str, Any] = {
        kind: (dict[str, spec] | None,  # type: ignore[valid-type]
               Field(None, description=(spec.__doc__ or "").strip().splitlines()[0]
                     if spec.__doc__ else None))
        for kind, spec in SPECS.items()
    }
    return create_model("Resources", __base__=Spec, **fields)


Resources = _resources_model()


class MovedDecl(Spec):
    """A resource's key (or kind) changed: the state's entry moves, the object stays (like
    Terraform's `moved` block). Keep it as long as some state may still have the old
    address; once moved it does nothing."""

    from_: str = Field(alias="from", description="The old address, `<kind>.<key>`.")
    to: str = Field(description="The new address, declared in this stack.")


class StackFile(Spec):
    """The shape of `stack.yaml`; its JSON Schema is what editors check stacks against."""

    stack: str = Field(description="The stack's name.")
    include: list[str] = Field(default_factory=list,
                               description="Globs of more YAML files, relative to stack.yaml.")
    env: list[str] = Field(default_factory=list,
                           description="Environment variables templates may read as "
                           "`env.NAME`; no other is readable.")
    variables: dict[str, VariableDecl] = Field(default_factory=dict)
    targets: dict[str, TargetDecl] = Field(default_factory=dict)
    resources: Resources | None = None  # type: ignore[valid-type]
    moved: list[MovedDecl] = Field(default_factory=list,
                                   description="Renamed resources: `{from: OLD, to: NEW}`.")


class IncludedFile(Spec):
    """An `include:`d file adds resources and variables, nothing else."""

    variables: dict[str, VariableDecl] = Field(default_factory=dict)
    resources: dict[str, Any] = Field(default_factory=dict)
