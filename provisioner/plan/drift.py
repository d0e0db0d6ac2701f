"""Drift: what changed in the workspace since the last apply, found by reading, never writing.

Every resource in the state is read by the name it was applied under and compared with its
last-applied document (`diff.drift`); a resource of the stack that exists in the workspace
but not in the state is `unmanaged` (the next apply adopts it). Each field's severity comes
from its kind's `severity` table (data, matched like rules); a finding takes its worst field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from provisioner.addresses import Address, format_field_path
from provisioner.diff.rules import Pattern, covers, parse_path
from provisioner.diff.three_way import FieldChange, drift
from provisioner.kinds.base import DriftSeverity, Live, Severities
from provisioner.kinds.registry import handler_for
from provisioner.plan.planner import (
    Subject,
    desired_documents,
    file_digests,
    known_before_apply,
    subjects,
)
from provisioner.stack.model import Stack
from provisioner.state.model import State

FORMAT_VERSION = 1
DEFAULT_SEVERITY = DriftSeverity.CONFIG
UNMANAGED_SEVERITY = DriftSeverity.CONFIG
"""An unmanaged resource loses nothing: the next apply adopts it (and updates what differs)."""


class Status(StrEnum):
    DRIFTED = "drifted"
    DELETED = "deleted"
    UNMANAGED = "unmanaged"


@dataclass(frozen=True, slots=True)
class DriftedField:
    """One field: `before` is what was last applied, `after` what the workspace has now
    (sensitive values already masked)."""

    path: str
    before: Any
    after: Any
    severity: DriftSeverity

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after,
                "severity": str(self.severity)}


@dataclass(frozen=True, slots=True)
class Finding:
    address: str
    kind: str
    name: str
    status: Status
    severity: DriftSeverity
    fields: tuple[DriftedField, ...] = ()
    location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "type": self.kind, "name": self.name,
                "status": str(self.status), "severity": str(self.severity),
                "location": self.location, "fields": [f.to_dict() for f in self.fields]}


@dataclass(frozen=True, slots=True)
class DriftReport:
    stack: str
    stack_path: str
    target: str
    lineage: str
    serial: int
    checked: int
    """Resources compared: every one in the state, plus the stack's found unmanaged."""
    findings: tuple[Finding, ...]
    created: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def counted(self, threshold: DriftSeverity) -> tuple[Finding, ...]:
        """The findings at or above `threshold`: what `--fail-on` counts."""
        return tuple(f for f in self.findings if f.severity.rank >= threshold.rank)

    def to_document(self) -> dict[str, Any]:
        by_status = {str(s): sum(f.status is s for f in self.findings) for s in Status}
        by_severity = {str(s): sum(f.severity is s for f in self.findings)
                       for s in DriftSeverity}
        worst = max((f.severity for f in self.findings), key=_rank, default=None)
        return {
            "format_version": FORMAT_VERSION, "stack": self.stack,
            "stack_path": self.stack_path, "target": self.target, "created": self.created,
            "state": {"lineage": self.lineage, "serial": self.serial},
            "summary": {"checked": self.checked, **by_status, "by_severity": by_severity,
                        "worst": worst and str(worst)},
            "findings": [f.to_dict() for f in self.findings],
        }


def drift_subjects(stack: Stack, state: State) -> list[Subject]:
    """What to read: each state resource by the name it was applied under (with its
    last-applied document, which some kinds read by), and the stack's resources the state
    does not hold, by the stack's name."""
    found = [Subject(Address.parse(a), r.name, r.last_applied)
             for a, r in state.resources.items()]
    known = known_before_apply(desired_documents(stack, file_digests(stack)))
    return found + [s for s in subjects(stack, state, known)
                    if str(s.address) not in state.resources]


def build_report(stack: Stack, state: State, live: Mapping[Address, Live | None]
                 ) -> DriftReport:
    """Compare; pure: the same inputs always give the same report."""
    findings = []
    for text, remembered in state.resources.items():
        address = Address.parse(text)
        handler = handler_for(address.kind)
        resource = stack.resources.get(address)
        location = f"{resource.span.file}:{resource.span.line}" if resource else None
        found = live.get(address)
        if found is None:
            findings.append(Finding(text, address.kind, remembered.name, Status.DELETED,
                                    DriftSeverity.DELETED, location=location))
            continue
        ignore = tuple(resource.spec.lifecycle.ignore_changes) if resource else ()
        changes = drift(found.document, remembered.last_applied, handler.rules, ignore)
        if changes:
            fields = tuple(_field(c, handler.severity) for c in changes)
            findings.append(Finding(text, address.kind, remembered.name, Status.DRIFTED,
                                    max((f.severity for f in fields), key=_rank), fields,
                                    location))
    unmanaged = [(a, found) for a, found in live.items()
                 if found is not None and str(a) not in state.resources]
    for address, found in unmanaged:
        resource = stack.resources[address]
        findings.append(Finding(str(address), address.kind, found.name, Status.UNMANAGED,
                                UNMANAGED_SEVERITY,
                                location=f"{resource.span.file}:{resource.span.line}"))
    return DriftReport(stack.name, str(stack.root), stack.target.name, state.lineage,
                       state.serial, len(state.resources) + len(unmanaged),
                       tuple(sorted(findings, key=lambda f: f.address)))


def severity_of(path: tuple, table: Severities) -> DriftSeverity:
    """The severity of the longest pattern covering `path` (the most severe on a tie)."""
    best: tuple[int, int, DriftSeverity] | None = None
    for pattern, severity in _patterns(table):
        if covers(pattern, path):
            candidate = (len(pattern), severity.rank, severity)
            best = candidate if best is None or candidate[:2] > best[:2] else best
    return best[2] if best else DEFAULT_SEVERITY


def _patterns(table: Severities) -> Iterable[tuple[Pattern, DriftSeverity]]:
    return ((parse_path(text), severity) for text, severity in table.items())


def _field(change: FieldChange, table: Severities) -> DriftedField:
    return DriftedField(format_field_path(change.path), change.before, change.after,
                        severity_of(change.path, table))


def _rank(severity: DriftSeverity) -> int:
    return severity.rank
