"""A drift report as text: one block per finding, `last applied → now` per field, a summary."""

from __future__ import annotations

from typing import Any

from provisioner.render.safe import visible
from provisioner.render.values import transition

SYMBOLS = {"drifted": "~", "deleted": "-", "unmanaged": "?"}
SAYS = {"drifted": "changed outside the stack",
        "deleted": "deleted outside the stack",
        "unmanaged": "is in the workspace but not in the state (the next apply adopts it)"}


def render(document: dict[str, Any]) -> str:
    lines: list[str] = []
    for finding in document["findings"]:
        where = f"  ({visible(finding['location'])})" if finding.get("location") else ""
        lines.append(f"{SYMBOLS[finding['status']]} {finding['address']} "
                     f"{SAYS[finding['status']]} [{finding['severity']}]{where}")
        lines += [f"    {visible(f['path'])}: {transition(f['before'], f['after'])}   "
                  f"# {f['severity']}" for f in finding["fields"]]
        lines.append("")
    lines.append(summary(document))
    return "\n".join(lines)


def summary(document: dict[str, Any]) -> str:
    counts = document["summary"]
    checked = counts["checked"]
    found = len(document["findings"])
    if not found:
        return (f"No drift: {checked} resource{'' if checked == 1 else 's'} match"
                f"{'es' if checked == 1 else ''} what was last applied.")
    parts = ", ".join(f"{counts[s]} {s}" for s in SYMBOLS if counts[s])
    return (f"Drift: {found} of {checked} resources ({parts}); worst severity: "
            f"{counts['worst']}.")
