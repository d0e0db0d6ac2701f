"""State documents, generated: every state survives its own JSON, and a damaged document
(truncated, a byte changed, a value swapped for any other JSON) is either still whole or
refused with a UserError, never another exception."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.errors import UserError
from provisioner.state.model import ResourceState, State

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                max_size=12)
scalars = st.none() | st.booleans() | st.integers(-2**53, 2**53) | names
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(names, inner, max_size=3), max_leaves=8)
documents = st.dictionaries(names, json_values, max_size=4)
addresses = st.builds(lambda kind, key: f"{kind}.{key}",
                      st.sampled_from(["serving_endpoints", "external_models",
                                       "vector_search_indexes"]),
                      st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True))
resources = st.builds(ResourceState, kind=names, name=names, id=st.none() | names,
                      last_applied=documents, outputs=documents,
                      depends_on=st.lists(addresses, max_size=3).map(tuple),
                      prevent_destroy=st.booleans(),
                      status=st.sampled_from(["creating", "ready", "failed"]),
                      bound_to=st.dictionaries(addresses, names, max_size=2))
entries = st.dictionaries(addresses, resources, max_size=4).map(
    lambda found: {a: dataclasses.replace(r, kind=a.partition(".")[0]) for a, r in found.items()})
"""An entry's kind is its address's (a state saying otherwise is damaged)."""
states = st.builds(State, stack=names, target=names, lineage=st.just("") | st.uuids().map(str),
                   serial=st.integers(0, 10**6), resources=entries)


@given(states)
def test_a_state_survives_its_own_json(state):
    assert State.from_json(state.to_json(), "state.json") == state


@given(states)
def test_each_entry_is_one_line_of_the_document(state):
    """A diff of two states names the entries that changed; and the document is written by
    json's C encoder (an indented one takes its pure-Python encoder, 5x the CPU per write)."""
    lines = state.to_json().splitlines()
    for address, entry in state.resources.items():
        key = f"    {json.dumps(address)}: "
        [line] = [line for line in lines if line.startswith(key)]
        assert json.loads(line.removeprefix(key).rstrip(",")) == json.loads(
            json.dumps(entry.to_dict()))


def parse(text: str) -> State | None:
    """The contract: a state, or a UserError; anything else fails the test."""
    try:
        return State.from_json(text, "state.json")
    except UserError:
        return None


@given(states, st.data())
def test_a_truncated_or_altered_document_is_whole_or_a_user_error(state, data):
    text = state.to_json()
    cut = data.draw(st.integers(0, len(text)))
    parse(text[:cut])
    at = data.draw(st.integers(0, len(text) - 1))
    parse(text[:at] + data.draw(st.characters(codec="utf-8")) + text[at + 1:])


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@settings(max_examples=300)
@given(states, st.data())
def test_any_value_replaced_by_any_json_is_whole_or_a_user_error(state, data):
    document = json.loads(state.to_json())
    path = data.draw(st.sampled_from(list(_paths(document))))
    replacement = data.draw(json_values)
    if not path:
        document = replacement
    else:
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = replacement
    parsed = parse(json.dumps(document))
    if parsed is not None:  # accepted: then it is a state like any other
        assert State.from_json(parsed.to_json(), "state.json") == parsed
