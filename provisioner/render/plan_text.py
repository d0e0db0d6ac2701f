"""A plan document as Terraform-like text: symbols, `old → new` per field, reasons, summary."""

from __future__ import annotations

from typing import Any

from provisioner.render.safe import visible
from provisioner.render.values import leaves as _leaves
from provisioner.render.values import show as _show
from provisioner.render.values import transition as _transition

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "adopt": "<=",
           "no-op": " "}
PLAIN_REASONS = ("", "changed", "added")
"""Reasons the `old → new` line already says; others (e.g. a reset) are shown."""
VERBS = {"create": "created", "update": "updated in place", "replace": "replaced",
         "delete": "destroyed", "adopt": "adopted (exists in the workspace, not in state)"}


def render(document: dict[str, Any], *, color: bool = False) -> str:
    if document.get("operation") == "refresh-only":
        return _refresh(document)
    lines: list[str] = []
    changes = [c for c in document["resource_changes"]
               if c["action"] != "no-op" or _moves(c)]
    for change in changes:
        lines += _change(change, color)
        lines.append("")
    lines += [diagnostic(d) for d in document.get("diagnostics", [])]
    lines.append(summary(document))
    return "\n".join(lines)


def origin(document: dict[str, Any]) -> str:
    """Where a saved plan came from, for `provisioner show`: stack, target, variables."""
    made = document["origin"]
    variables = ", ".join(f"{visible(name)}={_variable(value)}"
                          for name, value in made["variables"].items()) or "none"
    return (f"Saved plan of stack {visible(made['name'])} (target {visible(made['target'])}), "
            f"made {visible(document['created'])}\n  stack: {visible(made['path'])} "
            f"({visible(made['digest'])})\n  variables: {variables}\n")


def _variable(value: Any) -> str:
    """A variable held by hash (it feeds a sensitive value) shows as `(sensitive)`."""
    hashed = isinstance(value, str) and value.startswith("sha256:") and len(value) == 71
    return "(sensitive)" if hashed else _show(value)


def diagnostic(found: dict[str, Any]) -> str:
    """`file:line:col: severity: summary`, from a document's diagnostic."""
    where = (f"{visible(found['file'])}:{found['line']}:{found['column']}: "
             if found.get("file") else "")
    return f"{where}{found['severity']}: {visible(found['summary'])}"


def summary(document: dict[str, Any]) -> str:
    counts = document["summary"]
    moves = sum(1 for c in document["resource_changes"] if _moves(c))
    if not moves and not any(n for action, n in counts.items() if action != "no-op"):
        return "No changes. The workspace matches the stack."
    verb = "Destroy" if document.get("operation") == "destroy" else "Plan"
    moved = f", {moves} to move" if moves else ""
    return (f"{verb}: {counts['create']} to add, {counts['update']} to change, "
            f"{counts['replace']} to replace, {counts['delete']} to destroy, "
            f"{counts['adopt']} to adopt{moved}.")


def _moves(change: dict[str, Any]) -> bool:
    previous = change.get("previous_address")
    return bool(previous) and previous != change["address"]


def _change(change: dict[str, Any], color: bool) -> list[str]:
    action = change["action"]
    symbol = SYMBOLS[action]
    where = f"  ({visible(change['location'])})" if change.get("location") else ""
    head = (f"{symbol} {change['address']} will be {VERBS[action]}{where}" if action != "no-op"
            else f"  {change['address']} has moved from {change['previous_address']}{where}")
    if color:
        head = _paint(head, action)
    lines = [head]
    if action != "no-op" and _moves(change):
        lines.append(f"    # moved from {change['previous_address']}")
    if action == "replace" and change["replace_fields"]:
        lines.append(f"    # forced by: {visible(', '.join(change['replace_fields']))}")
    if action == "create":
        after = change["change"]["after"]
        lines += [f"    {visible(path)}: {_show(value)}" for path, value in _leaves(after)]
    for field in change["fields"]:
        tail = f"   # forces replacement: {field['reason']}" if field["forces_replace"] else (
            f"   # {field['reason']}" if field["reason"] not in PLAIN_REASONS else "")
        lines.append(f"    {visible(field['path'])}: "
                     f"{_transition(field['before'], field['after'])}"
                     f"{tail}")
    lines += [f"    note: {visible(note)}" for note in change.get("notes", [])]
    return lines


def _refresh(document: dict[str, Any]) -> str:
    """A refresh-only plan: what moved outside the stack, which the state would record."""
    lines: list[str] = []
    moved = gone = 0
    for change in document["resource_changes"]:
        if change["change"]["before"] is None:
            gone += 1
            lines += [f"- {change['address']} is gone from the workspace; the state forgets "
                      "it", ""]
        elif change["drift"]:
            moved += 1
            lines.append(f"~ {change['address']} changed outside the stack; the state "
                         "records:")
            lines += [f"    {visible(f['path'])}: {_transition(f['before'], f['after'])}"
                      for f in change["drift"]]
            lines.append("")
    lines += [diagnostic(d) for d in document.get("diagnostics", [])]
    lines.append(f"Refresh only: {moved} changed outside, {gone} gone; applying records "
                 "them in the state and changes nothing in the workspace." if moved or gone
                 else "No changes. The state matches the workspace.")
    return "\n".join(lines)


_COLORS = {"create": "32", "update": "33", "replace": "35", "delete": "31", "adopt": "36"}


def _paint(text: str, action: str) -> str:
    return f"\x1b[{_COLORS.get(action, '0')}m{text}\x1b[0m"
