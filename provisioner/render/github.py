"""GitHub workflow annotations (`::warning file=F,line=L::message`): GitHub shows them on the
pull request's diff, at the stack line of the resource they are about."""

from __future__ import annotations

from typing import Any

from provisioner.render.values import transition


def annotation(level: str, message: str, *, file: str | None = None, line: int | None = None,
               column: int | None = None, title: str | None = None) -> str:
    """One workflow command; properties and message escaped as the runner expects."""
    properties = [f"{name}={_escape(str(value), property=True)}"
                  for name, value in (("file", file), ("line", line), ("col", column),
                                      ("title", title)) if value is not None]
    return f"::{level}{' ' + ','.join(properties) if properties else ''}::{_escape(message)}"


def plan(document: dict[str, Any]) -> str:
    """A warning for each replace or delete, and one for each drifted resource the plan
    puts back; the plan's warnings as warnings."""
    lines = []
    for change in document["resource_changes"]:
        action = change["action"]
        if action in ("replace", "delete"):
            why = (f"forced by {', '.join(_replace_reasons(change))}" if action == "replace"
                   else change["reason"].replace("_", " "))
            message = "\n".join([f"{change['address']} will be {action}d: {why}",
                                 *change.get("notes", [])])
            lines.append(annotation("warning", message, **_place(change.get("location")),
                                    title=f"{action} {change['address']}"))
        if change.get("drift"):
            lines.append(annotation(
                "warning", _fields(change["drift"]), **_place(change.get("location")),
                title=f"{change['address']} changed outside the stack"))
    lines += [diagnostic(d) for d in document.get("diagnostics", [])]
    return "\n".join(lines)


def drift(document: dict[str, Any]) -> str:
    """A warning for each finding, at the resource's line when the stack still has it."""
    lines = []
    for finding in document["findings"]:
        message = {"deleted": "deleted outside the stack",
                   "unmanaged": "in the workspace but not in the state (apply adopts it)"
                   }.get(finding["status"]) or _fields(finding["fields"])
        lines.append(annotation(
            "warning", f"{finding['address']}: {message}", **_place(finding.get("location")),
            title=f"drift ({finding['severity']}): {finding['address']}"))
    return "\n".join(lines)


def _fields(fields: list[dict[str, Any]]) -> str:
    return "\n".join(f"{f['path']}: {transition(f['before'], f['after'])}"
                     + (f" ({f['severity']})" if f.get("severity") else "") for f in fields)


def _replace_reasons(change: dict[str, Any]) -> list[str]:
    reasons = [f"{f['path']} ({f['reason']})" for f in change["fields"] if f["forces_replace"]]
    return reasons or change.get("notes", [])[:1] or [change["reason"].replace("_", " ")]


def diagnostic(diagnostic: dict[str, Any]) -> str:
    """A diagnostic (as a document holds it) at its file, line and column."""
    message = diagnostic["summary"] + (f" ({diagnostic['hint']})" if diagnostic.get("hint")
                                       else "")
    return annotation(diagnostic["severity"], message, file=diagnostic.get("file"),
                      line=diagnostic.get("line"), column=diagnostic.get("column"))


def _place(location: str | None) -> dict[str, Any]:
    """`file:line` as annotation properties (none when the stack no longer has it)."""
    if not location:
        return {}
    file, _, line = location.rpartition(":")
    return {"file": file, "line": int(line)} if file and line.isdigit() else {"file": location}


def _escape(text: str, *, property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text
