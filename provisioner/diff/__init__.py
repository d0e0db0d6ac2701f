"""Pure, deterministic diffing of spec-shaped dicts under rules each kind declares as data."""

from __future__ import annotations

from provisioner.diff.normalize import canonical_json, equivalent, normalize
from provisioner.diff.rules import (
    AtomicList,
    Canonical,
    Immutable,
    InputOnly,
    KeyedList,
    Rule,
    Rules,
    Sensitive,
    ServerDefault,
    parse_path,
)
from provisioner.diff.sensitive import MASK, hash_sensitive, hash_value, is_sensitive_path, mask
from provisioner.diff.three_way import ChangeKind, FieldChange, diff, drift, replace_reasons

__all__ = [
    "MASK",
    "AtomicList",
    "Canonical",
    "ChangeKind",
    "FieldChange",
    "Immutable",
    "InputOnly",
    "KeyedList",
    "Rule",
    "Rules",
    "Sensitive",
    "ServerDefault",
    "canonical_json",
    "diff",
    "drift",
    "equivalent",
    "hash_sensitive",
    "hash_value",
    "is_sensitive_path",
    "mask",
    "normalize",
    "parse_path",
    "replace_reasons",
]
