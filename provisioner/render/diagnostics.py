"""Diagnostics as text (`file:line:col: error: ...`), JSON, or GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence

from provisioner.diagnostics import Diagnostic


def text(diagnostics: Sequence[Diagnostic]) -> str:
    return "\n".join(d.format() for d in diagnostics)


def as_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps({"diagnostics": [d.to_dict() for d in diagnostics]}, indent=2)


def github(diagnostics: Sequence[Diagnostic]) -> str:
    """`::error file=F,line=L,col=C::message` lines that GitHub shows on the diff."""
    lines = []
    for d in diagnostics:
        where = (f" file={d.span.file},line={d.span.line},col={d.span.column}"
                 if d.span else "")
        message = d.summary + (f" ({d.hint})" if d.hint else "")
        lines.append(f"::{d.severity}{where}::{_escape(message)}")
    return "\n".join(lines)


def _escape(message: str) -> str:
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


FORMATS = {"text": text, "json": as_json, "github": github}
