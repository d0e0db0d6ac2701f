"""`generate` then `apply` adopts everything and the next plan is empty, for every kind that
generates; `import` records one existing resource. Against a served workspace: the stack
that made the resources and the one generated from them are two folders on one workspace."""

from __future__ import annotations

import json

import pytest
import yaml
from support.harness import Harness, served_workspace

from provisioner.kinds.registry import all_kinds, handler_for
from provisioner.kinds.serving_endpoints import RULES as SERVING_RULES
from provisioner.plan.generate import _key, _literal, _strip

SOURCE = """\
stack: source
targets:
  served: {}
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/gen/openai}}"}
      tags: {team: search}
      permissions: [{group_name: users, level: CAN_QUERY}]
      ai_gateway: {usage_tracking_config: {enabled: true}}
  foundation_models:
    llama:
      model: system.ai.meta_llama_v3_1_8b_instruct
      version: "1"
      throughput: {min: 0, max: 19000}
  serving_endpoints:
    split:
      description: "{% raw %}A/B of {{ sizes }}{% endraw %}"
      served_entities:
        - name: small
          entity_name: system.ai.meta_llama_v3_1_8b_instruct
          entity_version: "1"
          workload_size: Small
          scale_to_zero_enabled: true
        - entity_name: system.ai.meta_llama_v3_3_70b_instruct
          entity_version: "1"
          workload_size: Medium
          scale_to_zero_enabled: false
      traffic_config:
        routes:
          - {served_entity_name: small, traffic_percentage: 80}
          - {served_entity_name: meta_llama_v3_3_70b_instruct-1, traffic_percentage: 20}
  vector_search_endpoints:
    docs-vs:
      endpoint_type: STANDARD
      target_qps: 20
      custom_tags: {team: search}
      permissions: [{group_name: users, level: CAN_USE}]
  vector_search_indexes:
    docs:
      name: main.gen.docs_index
      endpoint_name: ${resources.vector_search_endpoints.docs-vs.name}
      primary_key: id
      index_type: DELTA_SYNC
      delta_sync_index_spec:
        source_table: main.gen.docs
        pipeline_type: TRIGGERED
        columns_to_sync: [id, text]
        embedding_source_columns:
          - {name: text, embedding_model_endpoint_name: databricks-bge-large-en}
    direct:
      name: main.gen.direct_index
      endpoint_name: ${resources.vector_search_endpoints.docs-vs.name}
      primary_key: id
      index_type: DIRECT_ACCESS
      direct_access_index_spec:
        schema_json: {id: integer, text: string, vector: "array<float>"}
        embedding_vector_columns: [{name: vector, embedding_dimension: 8}]
  sql_warehouses:
    bi:
      cluster_size: Small
      auto_stop_mins: 30
      tags: {custom_tags: {team: bi}}
      permissions: [{group_name: users, level: CAN_USE}]
  experiments:
    traces:
      name: /Shared/gen-traces
      tags: {team: search}
      permissions: [{group_name: users, level: CAN_EDIT}]
"""
SERVED = ("-t", "served")
ADOPTER = "stack: adopter\ntargets:\n  served: {}\n"


@pytest.fixture
def workspace(harness, tmp_path, monkeypatch):
    """The source stack applied to a served workspace; yields its client."""
    from provisioner.workspace.client import WorkspaceAuth, connect

    harness.write(SOURCE)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        client = connect(WorkspaceAuth(host=local.url, token="test"))
        client.secrets.create_scope("gen")
        client.secrets.put_secret("gen", "openai", string_value="sk-test")
        harness.apply(*SERVED)
        yield client


def live_names(client) -> set[str]:
    """What the workspace holds, asked of the SDK: what generate must have written."""
    endpoints = {e.name for e in client.serving_endpoints.list()
                 if not e.name.startswith("databricks-")}
    vector = {e.name for e in client.vector_search_endpoints.list_endpoints()}
    indexes = {i.name for e in vector for i in client.vector_search_indexes.list_indexes(e)}
    warehouses = {w.name for w in client.warehouses.list()}
    experiments = {e.name for e in client.experiments.search_experiments()}
    return endpoints | vector | indexes | warehouses | experiments


def test_generate_then_apply_adopts_everything_and_converges(harness, workspace, tmp_path,
                                                            capsys, monkeypatch):
    adopter = tmp_path / "adopter"
    adopter.mkdir()
    (adopter / "stack.yaml").write_text(ADOPTER)
    generated = tmp_path / "generated" / "stack.yaml"
    result = harness.cli("generate", str(adopter), *SERVED, "-o", str(generated))
    assert result.code == 0, result.text
    assert "note:" not in result.err
    text = generated.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    document = yaml.safe_load(text)
    generating = {k for k in all_kinds() if handler_for(k).generates}
    assert set(document["resources"]) == generating

    again = Harness(generated.parent, capsys, monkeypatch)
    first = again.changes(*SERVED)
    assert {c["action"] for c in first.values()} == {"adopt"}
    assert [f for c in first.values() for f in c["fields"]] == []
    again.apply(*SERVED)
    again.assert_converged()
    assert again.changes(*SERVED) == {}
    listed = again.cli("state", "list", str(generated.parent), *SERVED).out
    assert {line.split("\t")[1] for line in listed.splitlines()} == live_names(workspace)


def test_generate_leaves_out_what_the_stack_declares(harness, workspace):
    result = harness.cli("generate", str(harness.root), *SERVED)
    assert result.code == 0, result.text
    assert yaml.safe_load(result.out)["resources"] == {}
    assert result.err.count("already in the stack") == len(live_names(workspace))


def test_generate_filters_by_kind_and_name(harness, workspace, tmp_path):
    adopter = tmp_path / "adopter"
    adopter.mkdir()
    (adopter / "stack.yaml").write_text(ADOPTER)
    result = harness.cli("generate", str(adopter), *SERVED, "--kind", "vector_search_indexes",
                         "--name", "direct")
    assert result.code == 0, result.text
    resources = yaml.safe_load(result.out)["resources"]
    assert list(resources) == ["vector_search_indexes"]
    assert [r["name"] for r in resources["vector_search_indexes"].values()] == [
        "main.gen.direct_index"]


def test_generate_refuses_what_it_cannot_do(harness, tmp_path):
    harness.write(ADOPTER)
    (tmp_path / "taken.yaml").write_text("keep me\n")
    kind = harness.cli("generate", str(harness.root), "--kind", "registered_models")
    assert kind.code == 1 and "not a kind generate writes" in kind.err
    taken = harness.cli("generate", str(harness.root), "-o", str(tmp_path / "taken.yaml"))
    assert taken.code == 1 and "exists" in taken.err
    assert (tmp_path / "taken.yaml").read_text() == "keep me\n"
    regex = harness.cli("generate", str(harness.root), "--name", "(")
    assert regex.code == 1 and "not a regular expression" in regex.err


def test_import_records_an_existing_resource_and_the_plan_compares_it(harness, workspace):
    assert harness.cli("state", "rm", "serving_endpoints.split", str(harness.root),
                       *SERVED).code == 0
    imported = harness.cli("import", "serving_endpoints.split", "split", str(harness.root),
                           *SERVED)
    assert imported.code == 0, imported.text
    state = json.loads(harness.cli("state", "show", "serving_endpoints.split",
                                   str(harness.root), *SERVED).out)
    assert state["name"] == "split" and state["id"]
    assert state["last_applied"]["traffic_config"]["routes"][0]["traffic_percentage"] == 80
    assert harness.changes(*SERVED) == {}


def test_import_refuses_what_it_cannot_record(harness, workspace):
    def refused(*args: str) -> str:
        result = harness.cli("import", *args, str(harness.root), *SERVED)
        assert result.code == 1
        return result.err

    assert "already in the state" in refused("serving_endpoints.split", "split")
    assert "did you mean 'serving_endpoints.split'" in refused("serving_endpoints.splt", "x")
    harness.cli("state", "rm", "external_models.chat", str(harness.root), *SERVED)
    assert "names external_models.chat 'chat', not 'split'" in refused(
        "external_models.chat", "split")
    harness.write(SOURCE.replace("    chat:\n", "    chat:\n      name: nowhere\n", 1))
    assert "no external_models named 'nowhere'" in refused("external_models.chat", "nowhere")


def test_server_defaults_go_and_set_values_stay():
    """The kind's rules decide: a computed default (entity name, the lone route) or a listed
    one (route_optimized false) is dropped; a value the service would not have chosen stays."""
    live = {"name": "e", "route_optimized": False, "description": "",
            "served_entities": [{"name": "m-1", "entity_name": "c.s.m", "entity_version": "1"},
                                {"name": "mine", "entity_name": "c.s.n", "entity_version": "2"}],
            "traffic_config": {"routes": [
                {"served_entity_name": "m-1", "traffic_percentage": 50},
                {"served_entity_name": "mine", "traffic_percentage": 50}]}}
    hidden: list[str] = []
    stripped = _strip(live, (), SERVING_RULES, hidden)
    assert stripped == {"name": "e", "served_entities": [
        {"entity_name": "c.s.m", "entity_version": "1"},
        {"name": "mine", "entity_name": "c.s.n", "entity_version": "2"}],
        "traffic_config": live["traffic_config"]}
    alone = {"name": "e", "served_entities": live["served_entities"][:1],
             "traffic_config": {"routes": [{"served_entity_name": "m-1",
                                            "served_model_name": "m-1",
                                            "traffic_percentage": 100}]}}
    assert "traffic_config" not in _strip(alone, (), SERVING_RULES, hidden)
    assert hidden == []


def test_sensitive_values_are_left_out_and_said_so():
    live = {"served_entities": [{"name": "m", "environment_vars": {
        "TOKEN": "plain", "KEY": "{{secrets/s/k}}"}}]}
    hidden: list[str] = []
    stripped = _strip(live, (), SERVING_RULES, hidden)
    assert stripped["served_entities"][0]["environment_vars"] == {"KEY": "{{secrets/s/k}}"}
    assert hidden == ["served_entities[0].environment_vars.TOKEN"]


def test_template_text_is_kept_literal_and_keys_are_valid():
    assert _literal({"d": "a {{ b }}", "k": "{{secrets/s/k}}"}) == {
        "d": "a {{ '{' }}{{ '{' }} b }}", "k": "{{secrets/s/k}}"}
    assert _key("main.rag.docs_index", {}) == "docs_index"
    assert _key("main.rag.docs_index", {"docs_index": 1}) == "main_rag_docs_index"
    assert _key("-odd name", {}) == "r_-odd_name"
