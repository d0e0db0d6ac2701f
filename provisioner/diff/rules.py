"""Field rules as data: what a kind declares about its API fields, and how paths select fields.

A path pattern is dotted field names with `[...]` for list items, the syntax
`format_field_path` prints: `served_entities[*].workload_type`, `tags`,
`served_entities[*].environment_vars.*`. A name `*` is any key of an object; `[*]` is every
item of a list. `lifecycle.ignore_changes` may also pick one item, by key as a plan shows it
(`served_entities[name=llm].workload_size`, several keys as `[key,principal=user,a@b.c]`) or by
position (`[0]`); rules always say `[*]`, since a kind's rule holds for every item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, TypeVar

from provisioner.addresses import FieldSegment, is_secret_reference

ANY = "*"
PLAINTEXT_SUFFIX = "_plaintext"

FieldPath = tuple[FieldSegment, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """`[*]` (every item), `[0]` (one position) or `[name=llm]` (one keyed item)."""

    index: int | None = None
    key: tuple[str, str] | None = None

    def matches(self, segment: FieldSegment) -> bool:
        if isinstance(segment, str):
            return False
        if self.index is not None:
            return isinstance(segment, int) and segment == self.index
        if self.key is not None:
            return segment == self.key
        return True

    def __str__(self) -> str:
        if self.index is not None:
            return f"[{self.index}]"
        if self.key is not None:
            return f"[{self.key[0]}={self.key[1]}]"
        return "[*]"


PatternSegment = str | Item
Pattern = tuple[PatternSegment, ...]

_NAME = re.compile(r"[^.\[\]]+")


def parse_path(text: str) -> Pattern:
    """Parse a path pattern; a ValueError says what is wrong with it."""
    segments: list[PatternSegment] = []
    pos = 0
    while pos < len(text):
        if text[pos] == "[":
            end = text.find("]", pos)
            if end < 0 or not segments:
                raise ValueError(f"'{text}': '[' must follow a field name and be closed by ']'")
            segments.append(_selector(text[pos + 1 : end], text))
            pos = end + 1
            continue
        if segments:
            if text[pos] != ".":
                raise ValueError(f"'{text}': expected '.' or '[' at position {pos}")
            pos += 1
        name = _NAME.match(text, pos)
        if name is None:
            raise ValueError(f"'{text}': expected a field name at position {pos}")
        segments.append(name.group())
        pos = name.end()
    if not segments:
        raise ValueError("an empty path selects nothing")
    return tuple(segments)


def _selector(inner: str, text: str) -> Item:
    if inner == ANY:
        return Item()
    if inner.isdigit():
        return Item(index=int(inner))
    fields, sep, values = inner.partition("=")
    if not sep or not fields or not values:
        raise ValueError(f"'{text}': '[{inner}]' is not [*], [<index>] or [<key>=<value>]")
    return Item(key=(fields, values))


def format_pattern(pattern: Pattern) -> str:
    out = ""
    for segment in pattern:
        out += str(segment) if isinstance(segment, Item) else (f".{segment}" if out else segment)
    return out


def _segment_matches(pattern: PatternSegment, segment: FieldSegment) -> bool:
    if isinstance(pattern, Item):
        return pattern.matches(segment)
    return isinstance(segment, str) and pattern in (ANY, segment)


def matches(pattern: Pattern, path: FieldPath) -> bool:
    """True when `pattern` selects exactly `path`."""
    return len(pattern) == len(path) and all(map(_segment_matches, pattern, path))


def covers(pattern: Pattern, path: FieldPath) -> bool:
    """True when `path` is the field `pattern` selects or lies inside it."""
    return len(pattern) <= len(path) and matches(pattern, path[: len(pattern)])


def is_plaintext(path: FieldPath) -> bool:
    """`*_plaintext` fields hold literal credentials, whatever the kind: sensitive by name."""
    return any(isinstance(s, str) and s.endswith(PLAINTEXT_SUFFIX) for s in path)


@dataclass(frozen=True, slots=True)
class Rule:
    """What every rule has: the fields it selects and the API behaviour it stands for."""

    path: str
    _: KW_ONLY
    reason: str
    pattern: Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = parse_path(self.path)
        if any(isinstance(s, Item) and s != Item() for s in pattern):
            raise ValueError(f"rule path '{self.path}': rules select every item with [*]")
        if not self.reason.strip():
            raise ValueError(f"rule path '{self.path}': say which API behaviour the rule follows")
        object.__setattr__(self, "pattern", pattern)


@dataclass(frozen=True, slots=True)
class Immutable(Rule):
    """The API cannot change this field in place: a change replaces the resource."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerDefault(Rule):
    """The service fills this field when a request leaves it unset.

    Desired is filled the same way before diffing (`values[0]`, or `compute(parent)` where
    `parent` is the object holding the field), so a default is never a change and removing the
    field from the stack plans a reset to the default. A live value in `values` is accepted
    while desired holds one too. Without `values` or `compute` (or when `compute` returns None)
    the default cannot be known: while the stack leaves the field unset, any live value stands.
    Defaults of one object are filled in declaration order, after its children's defaults.
    """

    values: tuple[Any, ...] = ()
    compute: Callable[[Mapping[str, Any]], Any] | None = None

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        if not isinstance(self.pattern[-1], str) or self.pattern[-1] == ANY:
            raise ValueError(f"server default '{self.path}' must end with a field name")
        if self.values and self.compute is not None:
            raise ValueError(f"server default '{self.path}': give values or compute, not both")
        object.__setattr__(self, "values", tuple(self.values))

    @property
    def name(self) -> str:
        return str(self.pattern[-1])

    def default(self, parent: Mapping[str, Any]) -> Any:
        """The value the service fills into `parent`, or None when it cannot be known."""
        if self.compute is not None:
            return self.compute(parent)
        return self.values[0] if self.values else None


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyedList(Rule):
    """Items are identified by `keys`, compared field by field, in any order.

    The list is authoritative where the stack declares it: an item live has and the stack does
    not is a change (the update APIs send the whole list, so applying removes it).
    """

    keys: tuple[str, ...] = ("name",)

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        if not self.keys:
            raise ValueError(f"keyed list '{self.path}' needs at least one key")
        object.__setattr__(self, "keys", tuple(self.keys))

    def segment(self, item: Any) -> tuple[str, str] | None:
        """The item's path segment `(key field, key value)`; None when it carries no key."""
        if not isinstance(item, Mapping):
            return None
        present = [k for k in self.keys if item.get(k) is not None]
        if not present:
            return None
        return ",".join(present), ",".join(_key_text(item[k]) for k in present)


def matches_segment(item: Any, segment: tuple[str, str]) -> bool:
    """Whether a list item is the one a `(key field, key value)` segment names."""
    fields, values = segment
    return isinstance(item, Mapping) and all(item.get(k) is not None for k in fields.split(",")) \
        and ",".join(_key_text(item[k]) for k in fields.split(",")) == values


def _key_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class AtomicList(Rule):
    """Compared whole; `ordered=False` compares it as a multiset (the API reorders it)."""

    ordered: bool = True


@dataclass(frozen=True, slots=True)
class InputOnly(Rule):
    """GET never returns this field: compared desired vs last-applied, never vs live."""


class StackFile(Rule):
    """A file of the stack, named relative to its folder wherever stored or compared (a plan
    is the same from any checkout of the stack); the handler is given it located in the folder
    apply reads the stack from (`located`)."""


def located(value: Any, rules: Rules, root: Any, at: tuple[Any, ...] = ()) -> Any:
    """`value` with each `StackFile` path joined to `root` (a `pathlib.Path`)."""
    if isinstance(value, str) and rules.at(at, StackFile):
        return str(root / value)
    if isinstance(value, dict):
        return {k: located(v, rules, root, (*at, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [located(v, rules, root, (*at, i)) for i, v in enumerate(value)]
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Sensitive(Rule):
    """Hashed wherever stored or compared, masked wherever shown.

    `unless_secret_reference`: a `{{secrets/scope/key}}` value is a name, not a secret, so it
    stays visible (environment variables). Not being echoed by GET is a separate `InputOnly`.
    """

    unless_secret_reference: bool = False

    def hides(self, value: Any) -> bool:
        return not (self.unless_secret_reference and is_secret_reference(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class Canonical(Rule):
    """The service rewrites this value (case, JSON formatting): compare both sides through
    `canonicalize`, which must be idempotent."""

    canonicalize: Callable[[Any], Any]


R = TypeVar("R", bound=Rule)

_MEMO_LIMIT = 100_000
"""Entries per kind's rule cache: keyed list items make exact paths as many as the stack's
distinct keys, so exact paths stop being remembered past this (shapes always are)."""
_PLAINTEXT_INPUT_ONLY = InputOnly(ANY, reason="plaintext credentials are never returned by GET")
_PLAINTEXT_SENSITIVE = Sensitive(ANY, reason="a plaintext credential")


@dataclass(frozen=True, slots=True)
class Rules:
    """A kind's rules, looked up by concrete path (memoised by the path's shape)."""

    rules: tuple[Rule, ...] = ()
    _cache: dict[tuple[Any, ...], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        seen: dict[tuple[str, Pattern], str] = {}
        for rule in self.rules:
            if not isinstance(rule, Rule):
                raise TypeError(f"not a rule: {rule!r}")
            if isinstance(rule, ServerDefault | KeyedList | AtomicList):
                slot = ("default" if isinstance(rule, ServerDefault) else "list", rule.pattern)
                if slot in seen:
                    raise ValueError(f"'{rule.path}' has two {slot[0]} rules")
                seen[slot] = rule.path

    def _memo(self, question: str, path: FieldPath, answer: Callable[[], Any],
              kind: Any = None) -> Any:
        """Answers depend on the path's shape only (field names; any index or key alike), so
        each is computed once per shape: a plan asks them for every node of every resource.
        The exact path is remembered too (up to a bound): it is the cheaper key to build."""
        exact = (question, kind, path)
        try:
            return self._cache[exact]
        except KeyError:
            pass
        shape = (question, kind, *(s if isinstance(s, str) else 0 for s in path))
        try:
            found = self._cache[shape]
        except KeyError:
            found = self._cache[shape] = answer()
        if len(self._cache) < _MEMO_LIMIT:
            self._cache[exact] = found
        return found

    def _lookup(self, path: FieldPath, *, parent: bool) -> tuple[Rule, ...]:
        return self._memo("lookup", path, lambda: tuple(
            r for r in self.rules
            if (matches(r.pattern[:-1], path) if parent else matches(r.pattern, path))), parent)

    def at(self, path: FieldPath, kind: type[R]) -> tuple[R, ...]:
        """Rules of `kind` selecting exactly `path`."""
        return self._memo("at", path, lambda: tuple(
            r for r in self._lookup(path, parent=False) if isinstance(r, kind)), kind)

    def covering(self, path: FieldPath, kind: type[R]) -> R | None:
        """The innermost rule of `kind` selecting `path` or a field that contains it."""
        return self._memo("covering", path, lambda: self._covering(path, kind), kind)

    def _covering(self, path: FieldPath, kind: type[R]) -> R | None:
        for end in range(len(path), 0, -1):
            found = self.at(path[:end], kind)
            if found:
                return found[0]
        return None

    def defaults_of(self, path: FieldPath) -> tuple[ServerDefault, ...]:
        """Server defaults of the fields of the object at `path`, in declaration order."""
        return self._memo("defaults", path, lambda: tuple(
            r for r in self._lookup(path, parent=True) if isinstance(r, ServerDefault)))

    def default_at(self, path: FieldPath) -> ServerDefault | None:
        found = self.at(path, ServerDefault)
        return found[0] if found else None

    def list_rule(self, path: FieldPath) -> KeyedList | AtomicList | None:
        return self._memo("list", path, lambda: next(iter(
            self.at(path, KeyedList) + self.at(path, AtomicList)), None))

    def input_only(self, path: FieldPath) -> InputOnly | None:
        return self._memo("input_only", path, lambda: self._or_plaintext(
            path, InputOnly, _PLAINTEXT_INPUT_ONLY))

    def sensitive(self, path: FieldPath) -> Sensitive | None:
        return self._memo("sensitive", path, lambda: self._or_plaintext(
            path, Sensitive, _PLAINTEXT_SENSITIVE))

    def sensitive_keys(self) -> tuple[str, ...] | None:
        """Object keys without which nothing in a document is sensitive: the last field name
        of each `Sensitive` rule's pattern, and any name ending in `_plaintext` (a suffix);
        None when a rule names no field (then every document must be walked)."""
        return self._memo("sensitive_keys", (), self._sensitive_keys)

    def _sensitive_keys(self) -> tuple[str, ...] | None:
        keys = [PLAINTEXT_SUFFIX]
        for rule in self.rules:
            if isinstance(rule, Sensitive):
                names = [s for s in rule.pattern if isinstance(s, str) and s != ANY]
                if not names:
                    return None
                keys.append(names[-1])
        return tuple(keys)

    def _or_plaintext(self, path: FieldPath, kind: type[R], plaintext: R) -> R | None:
        rule = self.covering(path, kind)
        return plaintext if rule is None and is_plaintext(path) else rule

    def validate_paths(self, known: Iterable[str] | Mapping[str, Any]) -> tuple[str, ...]:
        """Rule paths naming no known field: a kind's test asserts this is empty.

        `known` is a set of path patterns (`served_entities[*].name`; a field's parents count as
        known) or a sample spec-shaped dict whose every field is known.
        """
        if isinstance(known, Mapping):
            patterns = [p for p, _ in _nodes(known, ())]
        else:
            patterns = [parse_path(p) for p in known]
        return tuple(
            sorted(
                {
                    r.path
                    for r in self.rules
                    if not any(_compatible(r.pattern, p) for p in patterns)
                }
            )
        )

    def unruled_lists(self, sample: Mapping[str, Any]) -> tuple[str, ...]:
        """Lists in `sample` with neither a KeyedList nor an AtomicList rule: every list in a
        spec must say how its items are identified."""
        return tuple(
            sorted(
                {
                    format_pattern(p)
                    for p, value in _nodes(sample, ())
                    if isinstance(value, list) and self.list_rule(_any_item(p)) is None
                }
            )
        )


def _compatible(rule: Pattern, known: Pattern) -> bool:
    """The rule selects `known` or a field inside it, `*` on either side matching any name."""
    if len(rule) > len(known):
        return False
    for r, k in zip(rule, known, strict=False):
        if isinstance(r, Item) != isinstance(k, Item):
            return False
        if isinstance(r, str) and ANY not in (r, k) and r != k:
            return False
    return True


def _any_item(pattern: Pattern) -> FieldPath:
    """A concrete path of the same shape: `[*]` as position 0 (rules match any item alike)."""
    return tuple(0 if isinstance(s, Item) else s for s in pattern)


def _nodes(value: Any, prefix: Pattern) -> Iterator[tuple[Pattern, Any]]:
    """Every field of a sample as (pattern, value), list items generalised to `[*]`."""
    if prefix:
        yield prefix, value
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _nodes(child, (*prefix, key))
    elif isinstance(value, list):
        for item in value:
            yield from _nodes(item, (*prefix, Item()))
