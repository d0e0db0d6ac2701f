"""How values read in every human format: JSON, except the placeholders that stand for one."""

from __future__ import annotations

import json
from typing import Any

from provisioner import placeholders
from provisioner.render.safe import visible


def show(value: Any) -> str:
    """JSON (so line breaks and quotes are escaped), with the controls JSON leaves as they
    are (DEL, C1, bidirectional overrides) escaped too."""
    if value is None:
        return "(none)"
    if isinstance(value, str) and value in placeholders.ALL:
        return value
    return visible(json.dumps(value, ensure_ascii=False))


def transition(before: Any, after: Any) -> str:
    """`old → new`; a whole item that goes away is just "removed" (its server fields are
    noise), one that arrives is shown as written."""
    if after is None and isinstance(before, dict | list):
        return "removed"
    if before is None and isinstance(after, dict | list):
        return f"added {show(after)}"
    return f"{show(before)} → {show(after)}"


def leaves(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, value) of every scalar, and of lists of scalars kept whole."""
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items()
                for leaf in leaves(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        return [leaf for i, v in enumerate(value) for leaf in leaves(v, f"{prefix}[{i}]")]
    return [(prefix, value)]
