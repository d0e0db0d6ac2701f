"""Canary secrets through a whole lifecycle: a `*_plaintext` key and a plain environment
variable (not a secret reference) are applied, planned in every format, saved in a plan,
changed by hand and reported as drift, shown from the state and destroyed. No output, plan,
state file, lock, backup or emulator request log contains either canary.

The emulator's own store is the one documented exception: like the service, which returns
environment variables on GET, it keeps environment variable values; `*_plaintext` keys it
checks and discards (docs/local-workspace.md, "Data on disk"). Both halves are checked.
"""

from __future__ import annotations

import json
import secrets

from support.chaos import TARGET, endpoint

STACK = """\
stack: secrets
targets:
  served: {{}}
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {{openai_api_key_plaintext: {key}}}
  serving_endpoints:
    tuned:
      served_entities:
        - entity_name: system.ai.meta_llama_v3_1_8b_instruct
          entity_version: "1"
          min_provisioned_throughput: 0
          max_provisioned_throughput: 19000
          environment_vars:
            PLAIN_VALUE: {variable}
            FROM_SCOPE: "{{{{secrets/chaos/openai}}}}"
"""


def test_canary_secrets_appear_nowhere_we_write(chaos, tmp_path):
    key = f"sk-CANARY-{secrets.token_hex(12)}"
    variable = f"env-CANARY-{secrets.token_hex(12)}"
    by_hand = f"env-CANARY-{secrets.token_hex(12)}"
    canaries = (key, variable, by_hand)
    chaos.write(STACK.format(key=key, variable=variable))
    plan_file = tmp_path / "plan.json"
    said = []

    def run(*args: str, expect: tuple[int, ...] = (0,)) -> str:
        result = chaos.cli(*args)
        assert result.code in expect, result.text
        said.append(f"$ provisioner {' '.join(args)}\n{result.out}{result.err}")
        return result.out

    run("apply", ".", *TARGET, "--auto-approve")
    _set_variable_by_hand(chaos, by_hand)
    run("plan", ".", *TARGET, "--out", str(plan_file), expect=(0,))
    formats = {fmt: run("plan", ".", *TARGET, "--format", fmt) for fmt in ("json", "markdown")}
    planned = json.loads(formats["json"])
    assert [f["after"] for c in planned["resource_changes"] for f in c["fields"]
            if f["path"].endswith("PLAIN_VALUE")] == ["(sensitive)"]
    drifted = json.loads(run("drift", ".", *TARGET, "--format", "json", expect=(0, 2)))
    assert [(d["before"], d["after"]) for f in drifted["findings"] for d in f["fields"]
            if d["path"].endswith("PLAIN_VALUE")] == [("(sensitive)", "(sensitive)")]
    for address in ("external_models.chat", "serving_endpoints.tuned"):
        run("state", "show", address, ".", *TARGET)
    run("destroy", ".", *TARGET, "--auto-approve")

    written = {str(p): p.read_bytes() for p in [*chaos.root.rglob("*"), plan_file]
               if p.is_file() and p.name != "stack.yaml"}  # the one file the user wrote
    written["request log"] = json.dumps(chaos.local.request_log()).encode()
    leaks = {(name, canary) for name, content in written.items() for canary in canaries
             if canary.encode() in content}
    leaks |= {(text.split("\n", 1)[0], canary) for text in said for canary in canaries
              if canary in text}
    assert leaks == set()

    store = {p.name: p.read_bytes() for p in chaos.local.directory.rglob("workspace.db*")}
    assert not any(key.encode() in content for content in store.values())
    assert any(by_hand.encode() in content for content in store.values()), (
        "the emulator keeps environment variables as the service does: if it stopped, "
        "update this test and docs/local-workspace.md")


def _set_variable_by_hand(chaos, value: str) -> None:
    """Someone changes the plain environment variable in the workspace UI."""
    client = chaos.sdk()
    live = client.api_client.do("GET", endpoint("tuned"))
    entity = {k: v for k, v in live["config"]["served_entities"][0].items()
              if k not in ("state", "creator", "creation_timestamp", "foundation_model")}
    entity["environment_vars"] = {**entity["environment_vars"], "PLAIN_VALUE": value}
    client.api_client.do("PUT", endpoint("tuned") + "/config", body={"served_entities": [entity]})
