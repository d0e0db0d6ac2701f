"""A drift report as Markdown (a job summary, an issue, a chat message): counts by severity,
then one collapsible block per finding, cut to fit one comment."""

from __future__ import annotations

from typing import Any

from provisioner.render.drift_text import SAYS, SYMBOLS, summary
from provisioner.render.markdown import (
    COMMENT_LIMIT,
    Section,
    clip,
    code,
    details,
    escape,
    fenced,
    fit,
    table,
    text,
)
from provisioner.render.values import show


def render(document: dict[str, Any], *, limit: int = COMMENT_LIMIT) -> str:
    section = Section("#### Findings", [_details(f) for f in document["findings"]],
                      lambda n: f"… {n} more findings not shown: "
                                f"{code('provisioner drift --format json')} has them all.")
    return fit(_head(document), [section], limit=limit)


def _head(document: dict[str, Any]) -> str:
    lines = [f"### provisioner drift: {code(document['stack'])} → target "
             f"{code(document['target'])}", "", f"**{summary(document)}**"]
    by_severity = document["summary"]["by_severity"]
    rows = [[severity, str(count)] for severity, count in reversed(by_severity.items())
            if count]
    if rows:
        lines += ["", *table(["severity", "findings"], rows)]
    return "\n".join(lines)


def _details(finding: dict[str, Any]) -> str:
    where = f" · {escape(finding['location'])}" if finding.get("location") else ""
    head = (f"<code>{escape(SYMBOLS[finding['status']])} {escape(finding['address'])}</code> "
            f"{finding['severity']}{where}")
    lines = []
    for field in finding["fields"]:
        lines += [f"# {field['severity']}",
                  f"- {field['path']}: {clip(show(field['before']))}",
                  f"+ {field['path']}: {clip(show(field['after']))}"]
    body = text(f"{finding['address']} {SAYS[finding['status']]}.")
    return details(head, body + ("\n\n" + fenced(lines, rest="the JSON report")
                                 if lines else ""))
