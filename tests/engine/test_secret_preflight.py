"""Preflight asks the workspace which referenced secrets exist by listing each used scope's
keys, never a value. A scope that does not exist answers RESOURCE_DOES_NOT_EXIST (SDK 0.156
`SecretsAPI.list_secrets`: "Throws RESOURCE_DOES_NOT_EXIST if no such secret scope exists"),
so no list of scopes comes first: one round trip per scope."""

from __future__ import annotations

from tests.support.harness import sdk_client, served_workspace

STACK = """\
stack: secrets
targets:
  served: {}
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/team/openai}}"}
    other:
      provider: openai
      model: gpt-4o
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/nowhere/openai}}"}
"""


def test_a_missing_key_and_a_missing_scope_are_each_named(harness, tmp_path, monkeypatch):
    harness.write(STACK)
    with served_workspace(tmp_path / "ws", monkeypatch) as local:
        client = sdk_client(local)
        client.secrets.create_scope("team")
        client.secrets.put_secret("team", "other-key", string_value="not this one")
        before = len(local.request_log())
        refused = harness.cli("plan", str(harness.root), "-t", "served")
        asked = [(e["method"], e["path"]) for e in local.request_log()[before:]
                 if "/secrets/" in e["path"]]
        client.secrets.put_secret("team", "openai", string_value="sk-team")
        again = harness.cli("plan", str(harness.root), "-t", "served")
    assert refused.code == 1
    assert "secret {{secrets/team/openai}} does not exist in the workspace" in refused.err
    assert "secret {{secrets/nowhere/openai}} does not exist in the workspace" in refused.err
    assert asked == [("GET", "/api/2.0/secrets/list")] * 2, "each scope's keys, once"
    assert again.code == 1
    assert "team/openai" not in again.err
    assert "secret {{secrets/nowhere/openai}} does not exist in the workspace" in again.err
