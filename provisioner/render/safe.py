"""Text from stacks and workspaces made safe to show: a terminal must not run its escape
sequences, and a CI log must not read a line of it as a workflow command (`::error::`)."""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (ESC, CSI, line breaks), and the bidirectional overrides that make text
read other than it is (Trojan Source)."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def visible(text: str) -> str:
    """`text` on one line, each control character written as an escape (`\\n`, `\\e`,
    `\\u202e`), so what a stack or workspace supplies reads as data."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\u{ord(m.group()):04x}"), text)
