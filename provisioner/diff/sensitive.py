"""Sensitive values: hashed for storage and comparison, masked for display.

A value is sensitive when a `Sensitive` rule selects it (environment variables that are not
`{{secrets/...}}` references) or its field name ends in `_plaintext`, whatever the kind.

Hash scheme: `sha256:<hex>` of the value's canonical JSON, unsalted, so a plan, the state and a
later plan compare without sharing a key. It hides a value from whoever reads a plan or a state
file; it does not stop someone guessing a short value and checking the guess. Plaintext API
keys are long random strings, out of reach of guessing; anything short that must stay secret
belongs in a `{{secrets/scope/key}}` reference, which is never a sensitive value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from provisioner.diff.normalize import canonical_json
from provisioner.diff.patch import unchanged_or
from provisioner.diff.rules import FieldPath, Rules
from provisioner.placeholders import SENSITIVE

HASH_PREFIX = "sha256:"
MASK = SENSITIVE
_HASHED = re.compile(r"sha256:[0-9a-f]{64}")


def hash_value(value: Any) -> str:
    """`sha256:<hex>`; a value already hashed is returned as is, so re-hashing state is safe."""
    if is_hash(value):
        return value
    return HASH_PREFIX + hashlib.sha256(canonical_json(value).encode()).hexdigest()


def is_hash(value: Any) -> bool:
    """True for a value `hash_value` made."""
    return isinstance(value, str) and _HASHED.fullmatch(value) is not None


def is_sensitive_path(path: FieldPath, rules: Rules, value: Any = None) -> bool:
    """True when a value at `path` is hidden; without `value`, whether it may be."""
    rule = rules.sensitive(path)
    return rule is not None and rule.hides(value)


def hash_sensitive(value: Any, rules: Rules, at: FieldPath = ()) -> Any:
    """`value` (found at path `at`) with each sensitive value replaced by its hash."""
    return _replace(value, rules, at, hash_value)


def mask(value: Any, rules: Rules, at: FieldPath = ()) -> Any:
    """`value` (found at path `at`) with each sensitive value replaced by `(sensitive)`."""
    return _replace(value, rules, at, lambda _: MASK)


def plaintexts(value: Any, rules: Rules, at: FieldPath = ()) -> list[str]:
    """The sensitive values in `value`, as text: what must never be written in the clear."""
    found: list[str] = []
    _replace(value, rules, at, lambda v: found.append(v if isinstance(v, str) else
                                                      canonical_json(v)))
    return found


def _replace(value: Any, rules: Rules, at: FieldPath, hide: Callable[[Any], Any]) -> Any:
    """`value` with what `hide` returns in place of each sensitive value. What holds nothing
    to hide is `value`'s own object, not a copy: a plan holds a masked live document and a
    masked and a hashed desired document for every resource, and documents are never
    changed in place (a copy is made where one is edited: `diff.patch.put`)."""
    if not at and isinstance(value, dict) and _nothing_sensitive(value, rules):
        return value
    return _walk(value, rules, at, hide)


def _nothing_sensitive(document: dict[str, Any], rules: Rules) -> bool:
    """Whether no key a sensitive value could sit under appears in `document`. The walk
    looks a rule up for every node of every document a plan handles; when it would hide
    nothing, one JSON encoding and a few substring searches say so (a value that merely
    looks like such a key makes the walk run, never skip)."""
    keys = rules.sensitive_keys()
    if keys is None:
        return False
    try:
        text = json.dumps(document, allow_nan=False)
    except (TypeError, ValueError):
        return False  # not plain JSON (an unresolved reference): walk it
    suffix, *names = keys
    return not (f'{suffix}"' in text or any(f'"{name}"' in text for name in names))


def _walk(value: Any, rules: Rules, at: FieldPath, hide: Callable[[Any], Any]) -> Any:
    if value is None:
        return None
    if is_sensitive_path(at, rules, value):
        return hide(value)
    if isinstance(value, dict):
        return unchanged_or(value, {k: _walk(v, rules, (*at, k), hide) for k, v in value.items()})
    if isinstance(value, list):
        return unchanged_or(value, [_walk(v, rules, (*at, i), hide) for i, v in enumerate(value)])
    return value
