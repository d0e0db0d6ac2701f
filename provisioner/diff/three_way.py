"""The three-way field diff of `kubectl apply` (desired, live, last-applied), and drift.

All three are normalized and their sensitive values hashed first, then:
- a change is desired differing from live on a field desired declares;
- a field last-applied declares and desired no longer does is reset, if live still has it;
- fields only live has (server defaults, outputs, timestamps) are not changes;
- keyed lists are matched item by item by key; an item live has and the stack does not
  declare is a change (its update API sends the whole list); other lists compare whole;
- an absent value equals an empty list or object (the SDK drops empty containers);
- input-only fields (and every `*_plaintext`) compare desired with last-applied. With no
  last-applied (adopting) they cannot be observed, so they are not changes; on create they are
  added like every other field;
- sensitive values are compared by hash and shown as `(sensitive)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from provisioner.addresses import FieldSegment, format_field_path
from provisioner.diff.normalize import equivalent, normalize
from provisioner.diff.rules import (
    FieldPath,
    Immutable,
    InputOnly,
    KeyedList,
    Rules,
    covers,
    parse_path,
)
from provisioner.diff.sensitive import hash_sensitive, mask
from provisioner.operations import Reason

_MISSING: Any = object()  # known to be unset
_UNKNOWN: Any = object()  # no last-applied to know from


class ChangeKind(StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    REMOVED = "removed"


_FLIPPED = {
    ChangeKind.ADDED: ChangeKind.REMOVED,
    ChangeKind.MODIFIED: ChangeKind.MODIFIED,
    ChangeKind.REMOVED: ChangeKind.ADDED,
}

_REASONS = {
    Reason.REMOVED_FROM_STACK: "removed from the stack since the last apply",
    Reason.RESET: "not in the stack",
}


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field: `before` is live (last-applied for input-only fields), `after` desired.

    Sensitive values in `before`/`after` are already `(sensitive)`. `reason` is for people,
    `code` for machines; neither drives apply.
    """

    path: tuple[FieldSegment, ...]
    before: Any
    after: Any
    kind: ChangeKind
    forces_replace: bool
    reason: str
    code: Reason

    @property
    def field(self) -> str:
        return format_field_path(self.path)


def diff(
    desired: Mapping[str, Any],
    live: Mapping[str, Any] | None,
    last_applied: Mapping[str, Any] | None,
    rules: Rules,
    ignore: Sequence[str] = (),
) -> tuple[FieldChange, ...]:
    """What must change in live to match desired; `live=None` plans a create.

    `ignore` holds `lifecycle.ignore_changes` paths: changes at or under them are dropped.
    """
    want = _prepare(desired, rules)
    if live is None:
        return _diff(want, {}, {}, rules, ignore, live_exists=False)
    had = _UNKNOWN if last_applied is None else _prepare(last_applied, rules)
    return _diff(want, _prepare(live, rules), had, rules, ignore, live_exists=True)


def drift(
    live: Mapping[str, Any] | None,
    last_applied: Mapping[str, Any] | None,
    rules: Rules,
    ignore: Sequence[str] = (),
) -> tuple[FieldChange, ...]:
    """Live differing from last-applied on the fields last-applied declares.

    `before` is last-applied, `after` live. Input-only fields cannot be read, so never drift;
    a resource gone from the workspace is the planner's business, not a field's.
    """
    if live is None or last_applied is None:
        return ()
    return _drift(_prepare(last_applied, rules), _prepare(live, rules), rules, ignore)


def compare(
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    last_applied: Mapping[str, Any] | None,
    rules: Rules,
    ignore: Sequence[str] = (),
) -> tuple[tuple[FieldChange, ...], tuple[FieldChange, ...]]:
    """`diff` and `drift` of one live resource, each document prepared once: preparing is
    most of a large plan's diffing time."""
    want, have = _prepare(desired, rules), _prepare(live, rules)
    if last_applied is None:
        return _diff(want, have, _UNKNOWN, rules, ignore, live_exists=True), ()
    if _same_json(last_applied, desired):
        # Unchanged since the last apply: live differs from last-applied exactly where it
        # differs from desired (input-only fields differ in neither), so drift is the diff
        # seen the other way round, without a second walk.
        changes = _diff(want, have, want, rules, ignore, live_exists=True)
        return changes, tuple(_as_drift(c) for c in changes)
    had = _prepare(last_applied, rules)
    return (_diff(want, have, had, rules, ignore, live_exists=True),
            _drift(had, have, rules, ignore))


def _same_json(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal as JSON texts (so `true` is not `1`): unchanged since the last apply, the common
    case, last-applied is desired again and is prepared once, not twice."""
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return False


def _diff(want: Any, have: Any, had: Any, rules: Rules, ignore: Sequence[str], *,
          live_exists: bool) -> tuple[FieldChange, ...]:
    return _finish(_Walk(rules, live_exists=live_exists).node((), want, have, had), ignore)


def _drift(had: Any, have: Any, rules: Rules, ignore: Sequence[str]) -> tuple[FieldChange, ...]:
    changes = _Walk(rules, live_exists=True).node((), had, have, _UNKNOWN)
    return _finish((_as_drift(c) for c in changes), ignore)


def replace_reasons(changes: Iterable[FieldChange]) -> tuple[str, ...]:
    """`field (reason)` for each change that forces a replace, for "replace because ..."."""
    return tuple(f"{c.field} ({c.reason})" for c in changes if c.forces_replace)


def _prepare(value: Mapping[str, Any], rules: Rules) -> dict[str, Any]:
    return hash_sensitive(normalize(value, rules), rules)


def _as_drift(change: FieldChange) -> FieldChange:
    return replace(
        change,
        before=change.after,
        after=change.before,
        kind=_FLIPPED[change.kind],
        reason="changed outside the stack",
        code=Reason.DRIFT,
    )


def _finish(changes: Iterable[FieldChange], ignore: Sequence[str]) -> tuple[FieldChange, ...]:
    patterns = [parse_path(p) for p in ignore]
    kept = (c for c in changes if not any(covers(p, c.path) for p in patterns))
    return tuple(sorted(kept, key=lambda c: tuple(map(_segment_order, c.path))))


def _segment_order(segment: FieldSegment) -> tuple[Any, ...]:
    if isinstance(segment, str):
        return (0, segment)
    if isinstance(segment, tuple):
        return (1, *segment)
    return (2, segment)


def _absent(value: Any) -> bool:
    return value is _MISSING or value is _UNKNOWN or (isinstance(value, list | dict) and not value)


def _child(had: Any, key: str) -> Any:
    if had is _UNKNOWN:
        return _UNKNOWN
    return had.get(key, _MISSING) if isinstance(had, dict) else _MISSING


def _by_key(path: FieldPath, items: list[Any], rule: KeyedList) -> dict[FieldSegment, Any]:
    """Items by key segment; an item without its key is matched by position."""
    out: dict[FieldSegment, Any] = {}
    for index, item in enumerate(items):
        segment = rule.segment(item)
        key = index if segment is None else segment
        if key in out:
            where = format_field_path((*path, key))
            raise ValueError(f"{where}: two items have this key; keys must be unique")
        out[key] = item
    return out


@dataclass(frozen=True, slots=True)
class _Walk:
    """One recursive comparison: `want` (desired), `have` (live), `had` (last-applied)."""

    rules: Rules
    live_exists: bool

    def node(self, path: FieldPath, want: Any, have: Any, had: Any) -> Iterator[FieldChange]:
        input_only = self.rules.input_only(path)
        list_rule = self.rules.list_rule(path)
        if input_only is not None:
            yield from self._against_last_applied(path, want, had, input_only)
        elif want is _MISSING:
            yield from self._unset(path, have, had)
        elif isinstance(want, dict) and (have is _MISSING or isinstance(have, dict)):
            yield from self._fields(path, want, have, had)
        elif (
            isinstance(list_rule, KeyedList)
            and isinstance(want, list)
            and (have is _MISSING or isinstance(have, list))
        ):
            yield from self._items(path, want, have, had, list_rule)
        else:
            yield from self._value(path, want, have)

    def _fields(
        self, path: FieldPath, want: dict[str, Any], have: Any, had: Any
    ) -> Iterator[FieldChange]:
        have = have if isinstance(have, dict) else {}
        for key in want.keys() | (had.keys() if isinstance(had, dict) else set()):
            yield from self.node(
                (*path, key), want.get(key, _MISSING), have.get(key, _MISSING), _child(had, key)
            )

    def _items(
        self, path: FieldPath, want: Any, have: Any, had: Any, rule: KeyedList
    ) -> Iterator[FieldChange]:
        wanted = {} if want is _MISSING else _by_key(path, want, rule)
        live = _by_key(path, have, rule) if isinstance(have, list) else {}
        applied = _by_key(path, had, rule) if isinstance(had, list) else {}
        # A list that left the stack drops only the items it put there.
        mine = applied.keys() & live.keys()
        declared = mine if want is _MISSING else wanted.keys() | live.keys()
        for segment in declared:
            item = (*path, segment)
            if segment in wanted and segment in live:
                was = _UNKNOWN if had is _UNKNOWN else applied.get(segment, _MISSING)
                yield from self.node(item, wanted[segment], live[segment], was)
            elif segment in wanted:
                yield self._change(item, _MISSING, wanted[segment])
            else:
                owned = segment in applied
                code = Reason.REMOVED_FROM_STACK if owned else Reason.RESET
                yield self._change(item, live[segment], _MISSING, code)

    def _unset(self, path: FieldPath, have: Any, had: Any) -> Iterator[FieldChange]:
        """A field the stack set last time and sets no more: reset it if live still has it."""
        default = self.rules.default_at(path)
        if _absent(had) or _absent(have) or (default is not None and not default.values):
            return  # nothing to reset, or the service decides the value
        list_rule = self.rules.list_rule(path)
        if isinstance(had, dict) and isinstance(have, dict):
            yield from self._fields(path, {}, have, had)
        elif isinstance(list_rule, KeyedList) and isinstance(had, list) and isinstance(have, list):
            yield from self._items(path, _MISSING, have, had, list_rule)
        else:
            yield self._change(path, have, _MISSING, Reason.REMOVED_FROM_STACK)

    def _value(self, path: FieldPath, want: Any, have: Any) -> Iterator[FieldChange]:
        if _absent(have):
            if not _absent(want):
                yield self._change(path, _MISSING, want)
        elif not (equivalent(want, have) or self._both_defaults(path, want, have)):
            yield self._change(path, have, want)

    def _both_defaults(self, path: FieldPath, want: Any, have: Any) -> bool:
        rule = self.rules.default_at(path)
        if rule is None:
            return False
        return any(equivalent(want, v) for v in rule.values) and any(
            equivalent(have, v) for v in rule.values
        )

    def _against_last_applied(
        self, path: FieldPath, want: Any, had: Any, rule: InputOnly
    ) -> Iterator[FieldChange]:
        if had is _UNKNOWN or (_absent(want) and _absent(had)):
            return  # adopting: what was sent cannot be read back, so there is nothing to compare
        if _absent(want) or _absent(had) or not equivalent(want, had):
            code = Reason.REMOVED_FROM_STACK if want is _MISSING else Reason.CHANGED
            yield self._change(path, had, want, code, note=rule.reason)

    def _change(
        self,
        path: FieldPath,
        before: Any,
        after: Any,
        code: Reason = Reason.CHANGED,
        note: str = "",
    ) -> FieldChange:
        if _absent(before):
            kind = ChangeKind.ADDED
        elif _absent(after):
            kind = ChangeKind.REMOVED
        else:
            kind = ChangeKind.MODIFIED
        immutable = self.rules.covering(path, Immutable) if self.live_exists else None
        if immutable is not None:
            code, reason = Reason.IMMUTABLE_FIELD, f"immutable: {immutable.reason}"
        else:
            reason = _REASONS.get(code, "changed" if kind is ChangeKind.MODIFIED else kind.value)
            reason = f"{reason}; {note}" if note else reason
        return FieldChange(
            path=path,
            before=self._show(path, before),
            after=self._show(path, after),
            kind=kind,
            forces_replace=immutable is not None,
            reason=reason,
            code=code,
        )

    def _show(self, path: FieldPath, value: Any) -> Any:
        return None if value is _MISSING or value is _UNKNOWN else mask(value, self.rules, path)
