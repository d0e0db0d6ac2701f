"""Markdown building blocks for pull-request comments, and fitting a comment into the
65,536 characters GitHub accepts (GitLab takes more, so one limit serves both)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from provisioner.render.safe import visible

COMMENT_LIMIT = 65_000
"""GitHub refuses comments over 65,536 characters; keep a margin for the CI's own words."""
VALUE_LIMIT = 300
"""Characters of one value shown; the artifact holds the rest."""
BLOCK_LINES = 60
"""Lines of one resource's diff shown; the artifact holds the rest."""
_NOTE_ROOM = 400
"""Room kept for each section's "N more not shown" note."""


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]~|])")


def code(text: str) -> str:
    """Inline code that survives backticks and line breaks in `text` (a blank line would end
    it, and what follows would be read as markdown)."""
    text = visible(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def text(words: str) -> str:
    """Plain text from a stack or workspace, inert in markdown: no HTML (comments that hide
    what follows), links, images, emphasis, code or line breaks; pipes cannot end a cell."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(visible(words), quote=False))


def cell(text: str) -> str:
    """Markdown for a table cell: no pipes or line breaks to end the cell early."""
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def clip(text: str, limit: int = VALUE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fenced(lines: Sequence[str], language: str = "diff", *, rest: str) -> str:
    """A code block whose fence no line can close, cut to BLOCK_LINES (the others are in
    `rest`)."""
    shown = list(lines[:BLOCK_LINES])
    if len(lines) > BLOCK_LINES:
        shown.append(f"# … {len(lines) - BLOCK_LINES} more lines in {rest}")
    longest = max((len(run) for line in shown for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([f"{fence}{language}", *shown, fence])


def details(summary: str, body: str) -> str:
    """A collapsible block; `summary` is HTML (escape text with `escape`)."""
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def escape(text: str) -> str:
    """Text for HTML (a `<summary>`), on one line."""
    return html.escape(visible(text))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


@dataclass(frozen=True)
class Section:
    """Blocks shown while they fit; `left_out(n)` says what the n left out were. The
    heading joins the blocks as they join each other (a table's header and its rows)."""

    heading: str
    blocks: Sequence[str]
    left_out: Callable[[int], str]
    separator: str = "\n\n"


def fit(head: str, sections: Sequence[Section], *, limit: int = COMMENT_LIMIT) -> str:
    """`head`, then each section's blocks in order while the whole stays within `limit`."""
    parts = [head]
    room = limit - len(head) - _NOTE_ROOM * len(sections)
    for section in sections:
        if not section.blocks:
            continue
        room -= len(section.heading) + len(section.separator)
        shown = []
        for block in section.blocks:
            if len(block) + len(section.separator) > room:
                break
            shown.append(block)
            room -= len(block) + len(section.separator)
        body = section.separator.join(shown)
        missing = len(section.blocks) - len(shown)
        if missing:
            body += ("\n\n" if body else "") + clip(section.left_out(missing), _NOTE_ROOM - 4)
        parts.append(f"{section.heading}{section.separator}{body}" if section.heading
                     else body)
    text = "\n\n".join(parts)
    return text if len(text) <= limit else clip(text, limit)


def failure(title: str, messages: Sequence[str], *, limit: int = COMMENT_LIMIT) -> str:
    """A comment saying a command failed, with its error messages."""
    head = f"### ❌ {title} failed"
    section = Section("", [fenced([line for m in messages for line in m.splitlines()],
                                  language="text", rest="the job's log")],
                      lambda n: "… the errors are in the job's log.")
    return fit(head, [section], limit=limit)
