"""Names of things: resource addresses, field paths, `${resources...}` and `{{secrets/...}}`."""

from __future__ import annotations

import re
from dataclasses import dataclass

KIND_PATTERN = r"[a-z_]+"
KEY_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_-]*"

REFERENCE_RE = re.compile(
    r"\$\{resources\.(?P<kind>[^.}\s]+)\.(?P<key>[^.}\s]+)\.(?P<attribute>[^.}\s]+)\}"
)
"""`${resources.<kind>.<key>.<attribute>}`; loose on purpose, so a typo is reported, not ignored."""

REFERENCE_START = "${"

SECRET_RE = re.compile(r"\{\{\s*secrets/(?P<scope>[^/\s{}]+)/(?P<key>[^/\s{}]+)\s*\}\}")
"""A Databricks secret reference; it is sent to Databricks verbatim, never rendered."""


@dataclass(frozen=True, slots=True, order=True)
class Address:
    """`<kind>.<key>`: how a plan, a state and a reference name one resource."""

    kind: str
    key: str

    def __str__(self) -> str:
        return f"{self.kind}.{self.key}"

    @classmethod
    def parse(cls, text: str) -> Address:
        kind, sep, key = text.partition(".")
        if not sep or not kind or not key:
            raise ValueError(f"'{text}' is not an address of the form <kind>.<key>")
        return cls(kind, key)


@dataclass(frozen=True, slots=True)
class Reference:
    """One `${resources.<kind>.<key>.<attribute>}` occurrence."""

    address: Address
    attribute: str
    text: str

    def __str__(self) -> str:
        return self.text


def find_references(value: str) -> list[Reference]:
    return [
        Reference(Address(m["kind"], m["key"]), m["attribute"], m.group(0))
        for m in REFERENCE_RE.finditer(value)
    ]


def has_reference(value: object) -> bool:
    """True when a string still holds a reference to resolve at plan or apply time."""
    return isinstance(value, str) and REFERENCE_START in value


@dataclass(frozen=True, slots=True, order=True)
class SecretReference:
    scope: str
    key: str

    def __str__(self) -> str:
        return f"{{{{secrets/{self.scope}/{self.key}}}}}"


def find_secret_references(value: str) -> list[SecretReference]:
    return [SecretReference(m["scope"], m["key"]) for m in SECRET_RE.finditer(value)]


def is_secret_reference(value: object) -> bool:
    """True when the whole string is exactly one secret reference."""
    return isinstance(value, str) and SECRET_RE.fullmatch(value.strip()) is not None


FieldSegment = str | int | tuple[str, str]
"""A key, a list index, or a keyed list item as (key field, key value)."""


def format_field_path(path: tuple[FieldSegment, ...]) -> str:
    """`served_entities[name=llm].workload_size`: stable under list reordering."""
    out = ""
    for segment in path:
        if isinstance(segment, tuple):
            out += f"[{segment[0]}={segment[1]}]"
        elif isinstance(segment, int):
            out += f"[{segment}]"
        else:
            out += f".{segment}" if out else segment
    return out
