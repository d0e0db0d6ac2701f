"""`${resources.<kind>.<key>.<attribute>}` and `depends_on`: checked, and turned into edges."""

from __future__ import annotations

import graphlib
import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from provisioner.addresses import REFERENCE_RE, REFERENCE_START, Address
from provisioner.diagnostics import Diagnostic, Span, did_you_mean, error
from provisioner.specs import SPECS
from provisioner.stack.model import Dependency, Resource


def strings(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every string in a value tree, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from strings(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from strings(child, (*path, index))


BUNDLE_VARIABLE = re.compile(r"\$\{\s*var(?:iables)?\.([A-Za-z_][A-Za-z0-9_]*)(?:\.value)?\s*\}")
"""Databricks Asset Bundles' `${var.x}` (and `${variables.x.value}`): Jinja here."""


def _malformed_hint(text: str) -> str:
    bundle = BUNDLE_VARIABLE.search(text)
    if bundle:
        return (f"did you mean '{{{{ var.{bundle[1]} }}}}'? Variables are Jinja here; "
                "`${var.…}` is Asset Bundles' syntax, and `${…}` only refers to resources")
    return "references look like ${resources.<kind>.<key>.<attribute>}"


def dependencies(
    raw: Mapping[str, Any],
    span_of: Callable[[tuple], Span],
    known: Mapping[Address, Any],
) -> tuple[list[Dependency], list[Diagnostic]]:
    """The edges a resource's references and `depends_on` make, and what is wrong with them."""
    found: list[Dependency] = []
    problems: list[Diagnostic] = []
    for path, text in strings(raw):
        if path[:1] == ("depends_on",):
            continue
        matched = 0
        for match in REFERENCE_RE.finditer(text):
            matched += 1
            address = Address(match["kind"], match["key"])
            problem = _check(address, match["attribute"], known)
            if problem:
                problems.append(problem.at(span_of(path)))
            else:
                found.append(Dependency(address, span_of(path), match["attribute"]))
        if text.count(REFERENCE_START) > matched:
            problems.append(error(f"malformed reference in '{text}'", span_of(path),
                                  hint=_malformed_hint(text)))
    for index, text in enumerate(raw.get("depends_on") or []):
        if not isinstance(text, str):
            continue
        try:
            address = Address.parse(text)
        except ValueError as exc:
            same_key = [f"did you mean '{a}'?" for a in known if a.key == text]
            problems.append(error(str(exc), span_of(("depends_on", index)),
                                  hint=same_key[0] if same_key else None))
            continue
        problem = _check(address, None, known, "depends_on")
        if problem:
            problems.append(problem.at(span_of(("depends_on", index))))
        else:
            found.append(Dependency(address, span_of(("depends_on", index))))
    return found, problems


def _check(address: Address, attribute: str | None, known: Mapping[Address, Any],
           source: str = "reference") -> Diagnostic | None:
    if address.kind not in SPECS:
        return error(f"unknown resource kind '{address.kind}' in {source}",
                     hint=did_you_mean(address.kind, SPECS))
    if address not in known:
        keys = [a.key for a in known if a.kind == address.kind]
        return error(f"undefined resource '{address}' in {source}",
                     hint=did_you_mean(address.key, keys))
    attributes = SPECS[address.kind].ATTRIBUTES
    if attribute is not None and attribute not in attributes:
        return error(
            f"'{address.kind}' has no attribute '{attribute}'",
            hint=did_you_mean(attribute, attributes)
            or f"attributes: {', '.join(sorted(attributes))}",
        )
    return None


def cycles(resources: Mapping[Address, Resource]) -> list[Diagnostic]:
    """A dependency cycle is one error listing each edge and where it is written."""
    sorter = graphlib.TopologicalSorter(
        {a: {d.address for d in r.dependencies} for a, r in resources.items()}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        nodes: list[Address] = exc.args[1][-1:0:-1]  # each node depends on the next one
        first = nodes.index(min(nodes))  # start at the first address, so the text is stable
        nodes = nodes[first:] + nodes[:first]
        edges = [(source, next(d for d in resources[source].dependencies if d.address == target))
                 for source, target in itertools.pairwise([*nodes, nodes[0]])]
        summary = "; ".join(f"{source} -> {dep.address} ({dep.span})" for source, dep in edges)
        return [error(f"dependency cycle: {summary}", edges[0][1].span,
                      hint="break the cycle by removing one of these references")]
    return []
