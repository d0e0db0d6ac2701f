"""Diagnostics: what went wrong, where in which file, and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a file; line and column are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding. `path` is the field path when the code that found it knew no span."""

    summary: str
    severity: Severity = Severity.ERROR
    hint: str | None = None
    span: Span | None = None
    path: str | None = None

    def at(self, span: Span | None) -> Diagnostic:
        """The same finding placed at `span` (kept if it already has one)."""
        return self if self.span is not None or span is None else replace(self, span=span)

    def format(self) -> str:
        where = f"{self.span}: " if self.span else ""
        text = f"{where}{self.severity}: {self.summary}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        return {
            "severity": str(self.severity),
            "summary": self.summary,
            "hint": self.hint,
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "path": self.path,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Diagnostic:
        """Back from `to_dict` (a saved plan shows the warnings it was made with)."""
        span = (Span(data["file"], data["line"] or 1, data["column"] or 1)
                if data.get("file") else None)
        return cls(data["summary"], Severity(data["severity"]), data.get("hint"), span,
                   data.get("path"))


def error(summary: str, span: Span | None = None, *, hint: str | None = None,
          path: str | None = None) -> Diagnostic:
    return Diagnostic(summary, Severity.ERROR, hint, span, path)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, as `did you mean 'x'?`, or None."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
