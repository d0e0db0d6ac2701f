"""A plan document as one pull-request comment: counts first, every destructive change called
out with its reason and impact, then one collapsible diff per resource; cut to fit, naming the
artifact that holds the whole plan. Values come masked from the document."""

from __future__ import annotations

from typing import Any

from provisioner.render.markdown import (
    COMMENT_LIMIT,
    Section,
    cell,
    clip,
    code,
    details,
    escape,
    fenced,
    fit,
    table,
    text,
)
from provisioner.render.plan_text import SYMBOLS, diagnostic, summary
from provisioner.render.values import leaves, show

ACTIONS = ("create", "update", "replace", "delete", "adopt")
DESTRUCTIVE = ("replace", "delete")


def render(document: dict[str, Any], *, artifact: str = "plan.json",
           limit: int = COMMENT_LIMIT) -> str:
    changes = [c for c in document["resource_changes"]
               if c["action"] != "no-op" or c.get("previous_address")]
    destructive = [c for c in changes if c["action"] in DESTRUCTIVE]
    whole = f"the full plan is in the artifact {code(artifact)}"
    sections = [
        Section("#### Warnings", [f"- {text(_diagnostic(d))}"
                                  for d in document.get("diagnostics", [])],
                lambda n: f"… {n} more warnings: {whole}.", separator="\n"),
        Section("#### ⚠️ Destructive changes\n\n"
                + "\n".join(table(["resource", "action", "why", "impact"], [])),
                [_destructive_row(c, document.get("operation")) for c in destructive],
                lambda n: f"… {n} more destructive changes not shown: {whole}.",
                separator="\n"),
        Section("#### Changes", [_details(c, artifact) for c in changes],
                lambda n: f"… {n} more resources not shown: {whole}."),
    ]
    return fit(_head(document, len(document["resource_changes"]) - len(changes)), sections,
               limit=limit)


def _head(document: dict[str, Any], unchanged: int) -> str:
    verb = "destroy plan" if document.get("operation") == "destroy" else "plan"
    title = (f"### provisioner {verb}: {code(document['stack'])} → "
             f"target {code(document['target'])}")
    counts = document["summary"]
    rows = [[f"{code(SYMBOLS[a])} {a}", str(counts.get(a, 0))] for a in ACTIONS
            if counts.get(a)]
    if unchanged:
        rows.append(["unchanged", str(unchanged)])
    lines = [title, "", f"**{summary(document)}**"]
    if rows:
        lines += ["", *table(["action", "resources"], rows)]
    return "\n".join(lines)


def _destructive_row(change: dict[str, Any], operation: str | None) -> str:
    where = f"<br>{code(change['location'])}" if change.get("location") else ""
    forced = [f"{code(clip(f['path'], 80))} ({text(f['reason'])})" for f in change["fields"]
              if f["forces_replace"]]
    why = ("forced by " + ", ".join(forced) if forced
           else "the stack is destroyed" if operation == "destroy"
           else text(change["reason"].replace("_", " ")))
    impact = "<br>".join(text(clip(n)) for n in change.get("notes", [])) or "—"
    return "| " + " | ".join([cell(code(change["address"]) + where), f"**{change['action']}**",
                              cell(why), cell(impact)]) + " |"


def _details(change: dict[str, Any], artifact: str) -> str:
    action = change["action"]
    where = f" · {escape(change['location'])}" if change.get("location") else ""
    head = (f"<code>{escape(SYMBOLS[action])} {escape(change['address'])}</code> "
            f"{action}{where}")
    notes = [f"- note: {text(clip(n))}" for n in change.get("notes", [])]
    if change.get("previous_address"):
        notes.insert(0, f"- moved from {code(change['previous_address'])}")
    lines = _diff_lines(change)
    body = "\n".join(notes)
    if lines:
        body += ("\n\n" if body else "") + fenced(lines, rest=f"the artifact {artifact}")
    quiet = {"delete": f"_deleted from the workspace ({change['reason'].replace('_', ' ')})_",
             "adopt": "_exists in the workspace: taken over as it is_"}
    return details(head, body or quiet.get(action, "_no field changes_"))


def _diff_lines(change: dict[str, Any]) -> list[str]:
    if change["action"] == "create":
        return [f"+ {path}: {clip(show(value))}"
                for path, value in leaves(change["change"]["after"] or {})]
    lines = []
    for field in change["fields"]:
        tail = "   # forces replacement" if field["forces_replace"] else ""
        if field["before"] is not None:
            lines.append(f"- {field['path']}: {clip(show(field['before']))}")
        if field["after"] is not None:
            lines.append(f"+ {field['path']}: {clip(show(field['after']))}{tail}")
        elif tail:
            lines.append(f"#{tail}")
    return lines


def _diagnostic(found: dict[str, Any]) -> str:
    return diagnostic(found) + (f" (hint: {found['hint']})" if found.get("hint") else "")
