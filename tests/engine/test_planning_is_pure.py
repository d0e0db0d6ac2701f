"""`build_plan(stack, state, live, documents, created=...)` is pure: everything it decides
from comes in as an argument (the desired documents computed once before reading, the live
reads, the time), so the same inputs give the same plan, and no handler is asked again.
Model: SQLMesh's PlanBuilder (inputs in, frozen Plan out). Live reads come from the local
workspace through the real SDK, after a real apply and an out-of-band edit."""

from __future__ import annotations

import copy

from provisioner.addresses import Address
from provisioner.cli.options import load_stack
from provisioner.cli.session import open_session
from provisioner.plan.planner import (
    build_plan,
    desired_documents,
    file_digests,
    known_before_apply,
    read_live,
    subjects,
)

STACK = """\
stack: pure
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key_plaintext: sk-pure-0123456789abcdef0123456789abcdef}
      tags: {team: search}
    other:
      provider: openai
      model: gpt-4o
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/pure/openai}}"}
      description: next to ${resources.external_models.chat.name}
"""
CHAT = Address("external_models", "chat")


def inputs(harness):
    """The stack, state, live reads and documents of a plan, read once."""
    stack = load_stack(str(harness.root), None, (), ())
    with open_session(stack, parallelism=4) as session:
        state = session.store.load()
        documents = desired_documents(stack, file_digests(stack))
        live = read_live(session.client, subjects(stack, state, known_before_apply(documents)),
                         4)
    return stack, state, live, documents


def test_the_same_inputs_give_the_same_plan(harness):
    harness.write(STACK)
    harness.apply()
    with harness.workspace() as (client, _):
        client.api_client.do("PATCH", "/api/2.0/serving-endpoints/chat/tags",
                             body={"add_tags": [{"key": "team", "value": "platform"}]})
    harness.write(STACK.replace("gpt-4o\n", "gpt-4o-mini\n"))
    stack, state, live, documents = inputs(harness)
    kept = copy.deepcopy(documents)
    first = build_plan(stack, state, live, documents, created="2026-01-01T00:00:00+00:00")
    second = build_plan(stack, state, live, documents, created="2026-01-01T00:00:00+00:00")
    assert first.plan.to_document() == second.plan.to_document()
    assert first.plan == second.plan and first.desired == second.desired
    assert documents == kept  # inputs are not changed by planning
    changes = {c.address: c for c in first.plan.changes}
    assert changes["external_models.chat"].action == "update"  # the tag moved back
    assert changes["external_models.other"].action == "update"  # the stack moved it
    assert first.plan.created == "2026-01-01T00:00:00+00:00"


def test_the_plan_is_made_from_the_documents_given_not_from_the_handlers(harness):
    harness.write(STACK)
    harness.apply()
    stack, state, live, documents = inputs(harness)
    settled = build_plan(stack, state, live, documents)
    assert not settled.plan.has_changes
    edited = copy.deepcopy(documents)
    edited[CHAT]["tags"] = [{"key": "team", "value": "assistants"}]
    planned = build_plan(stack, state, live, edited)
    chat = next(c for c in planned.plan.changes if c.address == str(CHAT))
    assert [(f.path, f.after) for f in chat.fields] == [("tags[key=team].value", "assistants")]
    assert chat.desired["tags"] == [{"key": "team", "value": "assistants"}]
    assert planned.desired[CHAT] == edited[CHAT]


MODEL_STACK = """\
stack: pure
resources:
  registered_models:
    chain:
      name: main.models.chain
      flavor: langchain
      code: chain.py
      config: [chain.yaml]
      input_example: hello
"""
MODEL = Address("registered_models", "chain")


def test_file_contents_are_inputs_read_before_planning(tmp_path):
    """A registered model's desired document is made from the digests given, not from the
    files: editing a file after they were read changes nothing until they are read again,
    and a file that becomes the model's config as well as its code is a new version."""
    (tmp_path / "stack.yaml").write_text(MODEL_STACK)
    (tmp_path / "chain.py").write_text("chain = 1\n")
    (tmp_path / "chain.yaml").write_text("k: v\n")
    stack = load_stack(str(tmp_path), None, (), ())
    digests = file_digests(stack)
    assert set(digests) == {"chain.py", "chain.yaml"}
    first = desired_documents(stack, digests)
    (tmp_path / "chain.py").write_text("chain = 2\n")
    assert desired_documents(stack, digests) == first
    again = desired_documents(stack, file_digests(stack))
    assert again[MODEL]["version"] != first[MODEL]["version"]
    assert first[MODEL]["source"] == {"code": "chain.py", "config": ["chain.yaml"],
                                      "requirements": None, "signature": None,
                                      "input_example": "hello"}
    (tmp_path / "stack.yaml").write_text(MODEL_STACK.replace("[chain.yaml]", "[chain.py]"))
    as_config = load_stack(str(tmp_path), None, (), ())
    (tmp_path / "stack.yaml").write_text(MODEL_STACK.replace("      config: [chain.yaml]\n", ""))
    without = load_stack(str(tmp_path), None, (), ())
    assert (desired_documents(as_config, file_digests(as_config))[MODEL]["version"]
            ["content_hash"] != desired_documents(without, file_digests(without))[MODEL]
            ["version"]["content_hash"])
