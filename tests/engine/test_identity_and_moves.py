"""Identity and moves: a renamed key keeps its object (implicitly, by `moved:` or by `state mv`,
as Terraform's refactoring does), an object re-created by someone else is never deleted as
ours, a stack can always destroy itself, `--only` on a destroy takes what depends on the
named resources, and an index whose endpoint was re-created is re-created on it. All through
the real CLI against the local workspace."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path

from support.harness import sdk_client, served_workspace, writes
from support.stacks import indexed_stack

CHAT = """\
stack: identity
resources:
  external_models:
    {key}:
      name: chat
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {{openai_api_key: "{{{{secrets/identity/openai}}}}"}}
"""
SERVING = "/api/2.0/serving-endpoints"
VS = "  vector_search_endpoints:\n    vs: {endpoint_type: STANDARD}\n"


def ids(harness) -> dict[str, str]:
    with harness.workspace() as (client, _):
        return {e["name"]: e["id"] for e in client.api_client.do("GET", SERVING)["endpoints"]
                if not e["name"].startswith("databricks-")}


def recorded(harness) -> dict[str, dict]:
    return json.loads((harness.state_dir / "local.json").read_text())["resources"]


def test_a_renamed_key_moves_the_state_entry_and_keeps_the_object(harness):
    harness.write(CHAT.format(key="chat"))
    harness.apply()
    before = ids(harness)
    harness.write(CHAT.format(key="assistant"))
    plan = harness.plan()
    [change] = plan["resource_changes"]
    assert (change["address"], change["action"], change["previous_address"]) == (
        "external_models.assistant", "no-op", "external_models.chat")
    text = harness.cli("plan", str(harness.root)).out
    assert "external_models.assistant has moved from external_models.chat" in text
    assert "0 to destroy, 0 to adopt, 1 to move" in text
    comment = harness.cli("plan", str(harness.root), "--format", "markdown").out
    assert "moved from `external_models.chat`" in comment
    harness.apply()
    assert ids(harness) == before
    assert set(recorded(harness)) == {"external_models.assistant"}
    harness.assert_converged()


def test_a_moved_block_moves_an_entry_whose_name_changes_too(harness):
    """A name written from a variable the rename also changed: only `moved:` can tell."""
    harness.write(CHAT.format(key="chat"))
    harness.apply()
    harness.write(CHAT.format(key="assistant").replace("name: chat", "name: assistant")
                  + "moved:\n  - {from: external_models.chat, to: external_models.assistant}\n")
    change = harness.changes()["external_models.assistant"]
    assert (change["action"], change["previous_address"]) == (
        "replace", "external_models.chat"), change
    assert "external_models.chat" not in harness.changes(), "the old address is deleted too"
    harness.apply()
    assert set(ids(harness)) == {"assistant"}
    assert set(recorded(harness)) == {"external_models.assistant"}
    harness.assert_converged()


def test_moved_blocks_are_checked_where_they_are_written(harness):
    harness.write(CHAT.format(key="assistant") + "moved:\n"
                  "  - {from: external_models.chat, to: external_models.asistant}\n"
                  "  - {from: external_models.assistant, to: external_models.assistant}\n"
                  "  - {from: vector_search_endpoints.a, to: external_models.assistant}\n"
                  "  - {from: nonsense, to: external_models.assistant}\n")
    result = harness.cli("validate", str(harness.root))
    assert result.code == 1 and "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if "error:" in line]
    assert any(":11:" in line and "moved.to: external_models.asistant is not declared"
               in line for line in lines), lines
    assert "did you mean 'external_models.assistant'?" in result.err
    assert any(":12:" in line and "external_models.assistant is still declared" in line
               for line in lines), lines
    assert any(":13:" in line and "cannot move vector_search_endpoints.a to "
               "external_models.assistant" in line for line in lines), lines
    assert any(":14:" in line and "'nonsense' is not an address" in line for line in lines)


def test_state_mv_moves_an_entry_and_refuses_what_cannot_be(harness):
    harness.write(CHAT.format(key="chat"))
    harness.apply()
    before = ids(harness)
    moved = harness.cli("state", "mv", "external_models.chat", "external_models.assistant",
                        str(harness.root))
    assert moved.code == 0 and "the workspace is unchanged" in moved.out, moved.text
    harness.write(CHAT.format(key="assistant"))
    harness.assert_converged()
    assert [c["previous_address"] for c in harness.plan()["resource_changes"]] == [None]
    for source, destination, why in [
            ("external_models.chat", "external_models.x", "the state has no resource"),
            ("external_models.assistant", "vector_search_endpoints.x", "cannot move"),
            ("external_models.assistant", "external_model.x", "did you mean"),
            ("external_models.assistant", "nonsense", "not an address")]:
        refused = harness.cli("state", "mv", source, destination, str(harness.root))
        assert refused.code == 1 and why in refused.err, refused.text
    assert ids(harness) == before


def test_an_object_re_created_outside_the_stack_is_never_deleted_as_ours(harness):
    harness.write(CHAT.format(key="chat") + VS)
    harness.apply()
    with harness.workspace() as (client, _):
        client.api_client.do("DELETE", f"{SERVING}/chat")
        theirs = client.api_client.do("POST", SERVING, body={
            "name": "chat", "config": {"served_entities": [{"name": "theirs", "external_model": {
                "name": "gpt-4o-mini", "provider": "openai", "task": "llm/v1/chat",
                "openai_config": {"openai_api_key": "{{secrets/identity/openai}}"}}}]}})["id"]
    change = harness.changes()["external_models.chat"]
    assert (change["action"], change["reason"]) == ("adopt", "not_ours"), change
    assert "re-created outside this stack" in change["notes"][0]
    harness.write("stack: identity\nresources:\n" + VS)
    change = harness.changes()["external_models.chat"]
    assert (change["action"], change["reason"]) == ("delete", "not_ours"), change
    assert "not ours, so it stays" in change["notes"][0]
    harness.apply()
    assert ids(harness) == {"chat": theirs}
    assert set(recorded(harness)) == {"vector_search_endpoints.vs"}
    harness.assert_converged()


def test_rag_assistant_destroys_itself_endpoints_before_the_versions_they_serve(harness):
    """The shipped stack serves its own model: once its guards are lifted (prevent_destroy
    off, delete_versions on) the endpoint goes first, then the model with its versions."""
    source = Path(__file__).resolve().parents[2] / "stacks" / "rag-assistant"
    shutil.copytree(source / "chains", harness.root / "chains")
    text = (source / "stack.yaml").read_text()
    harness.write(text)
    harness.apply()
    unguarded = (text.replace("lifecycle: {prevent_destroy: true}", "lifecycle: {}")
                 .replace("aliases: [champion]",
                          "aliases: [champion]\n      lifecycle: {delete_versions: true}"))
    harness.write(unguarded)
    harness.apply()
    destroyed = harness.cli("destroy", str(harness.root), "--auto-approve")
    assert destroyed.code == 0, destroyed.text
    order = re.findall(r"(\S+): delete done in ", destroyed.err)
    assert order.index("serving_endpoints.rag-assistant") < order.index(
        "registered_models.rag_chain"), destroyed.err
    assert recorded(harness) == {}
    assert ids(harness) == {}
    assert harness.changes("--destroy") == {}


def test_a_destroy_of_some_resources_takes_what_depends_on_them(harness):
    harness.write(CHAT.format(key="chat") + """\
    summarize:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/identity/openai}}"}
      description: summarises for ${resources.external_models.chat.name}
  vector_search_endpoints:
    vs: {endpoint_type: STANDARD}
""")
    harness.apply()
    planned = harness.changes("--destroy", "--only", "external_models.chat")
    assert {a: c["action"] for a, c in planned.items()} == {
        "external_models.chat": "delete", "external_models.summarize": "delete"}
    assert harness.cli("destroy", str(harness.root), "--only", "external_models.chat",
                       "--auto-approve").code == 0
    assert set(recorded(harness)) == {"vector_search_endpoints.vs"}


INDEXED = indexed_stack("identity")


def test_an_index_whose_endpoint_was_re_created_is_re_created_on_it(harness):
    """An index is bound to its endpoint's instance (vector-search.md §4): the Databricks CLI
    records the endpoint's id and re-creates the index when it changes."""
    harness.write(INDEXED)
    harness.apply()
    assert recorded(harness)["vector_search_indexes.docs"]["bound_to"] == {
        "vector_search_endpoints.vs": recorded(harness)["vector_search_endpoints.vs"]["id"]}
    with harness.workspace() as (client, _):
        client.api_client.do("DELETE", "/api/2.0/vector-search/endpoints/vs")
        client.api_client.do("POST", "/api/2.0/vector-search/endpoints",
                             body={"name": "vs", "endpoint_type": "STANDARD"})
    changes = harness.changes()
    assert (changes["vector_search_indexes.docs"]["action"],
            changes["vector_search_indexes.docs"]["reason"]) == ("replace", "bound_to_replaced")
    harness.apply()
    harness.assert_converged()
    with harness.workspace() as (client, _):
        found = client.api_client.do("GET", "/api/2.0/vector-search/indexes/main.rag.docs_index")
        endpoint = client.api_client.do("GET", "/api/2.0/vector-search/endpoints/vs")
    assert found["endpoint_name"] == "vs"
    assert recorded(harness)["vector_search_indexes.docs"]["bound_to"] == {
        "vector_search_endpoints.vs": endpoint["id"]}


def test_a_name_taken_since_the_plan_is_adopted_not_created_again(harness, tmp_path,
                                                                   monkeypatch):
    """What the plan saw absent is created without reading it again first; when someone took
    the name meanwhile (here while the plan waited for its confirmation), the create's 409
    (RESOURCE_ALREADY_EXISTS, serving-endpoints.md §5) says so and the endpoint is adopted
    as a plan would adopt it: never recorded `creating`, so never replaced later as a failed
    create of ours."""
    harness.write(CHAT.format(key="chat") + "targets:\n  served: {}\n")
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        client = sdk_client(local)
        client.secrets.create_scope("identity")
        client.secrets.put_secret("identity", "openai", string_value="sk-test")
        theirs: list[str] = []

        class Reviewer(io.StringIO):
            """A terminal whose answer comes after someone else made the endpoint."""

            def isatty(self) -> bool:
                return True

            def readline(self, *args) -> str:
                theirs.append(client.api_client.do("POST", SERVING, body={
                    "name": "chat", "config": {"served_entities": [{"external_model": {
                        "name": "gpt-4o-mini", "provider": "openai", "task": "llm/v1/chat",
                        "openai_config": {"openai_api_key": "{{secrets/identity/openai}}"}}}]}
                })["id"])
                return "yes\n"

        monkeypatch.setattr(sys, "stdin", Reviewer())
        before = len(local.request_log())
        applied = harness.cli("apply", str(harness.root), "-t", "served")
        assert applied.code == 0, applied.text
        posts = [w for w in writes(local, before) if w[0] == "POST"]
        assert posts == [("POST", SERVING)] * 2, "theirs, then our create refused"
        entry = json.loads((harness.state_dir / "served.json").read_text())[
            "resources"]["external_models.chat"]
        assert (entry["id"], entry["status"]) == (theirs[0], "ready")
        endpoints = client.api_client.do("GET", SERVING)["endpoints"]
        assert [e["id"] for e in endpoints if e["name"] == "chat"] == theirs
        assert harness.changes("-t", "served") == {}
