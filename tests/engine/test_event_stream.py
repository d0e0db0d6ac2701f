"""`apply --format json`: one event per line on stdout, each valid against the committed
`schemas/events.schema.json` (whose freshness tests/test_project.py checks, so validating
with the models that generate it is validating with it), as Terraform's `-json` UI streams
`apply_start`, `apply_progress`, `apply_complete`, `apply_errored` and `change_summary`.
All through the real CLI and databricks-sdk against the local workspace."""

from __future__ import annotations

import json
import textwrap
import threading
import time

from provisioner.apply.event_document import EVENT_LINE

CHAIN = """\
stack: events
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/events/openai}}"}
    other:
      provider: openai
      model: gpt-4o
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/events/openai}}"}
      description: needs ${resources.external_models.chat.name}
    independent:
      provider: openai
      model: gpt-4o
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/events/openai}}"}
"""


def stream(text: str) -> list[dict]:
    """Every stdout line, each validated against the event schema."""
    lines = [json.loads(line) for line in text.splitlines()]
    for line in lines:
        EVENT_LINE.validate_python(line)
    return lines


def of(lines: list[dict], address: str) -> list[str]:
    return [line["type"] for line in lines if line.get("address") == address]


def test_an_apply_streams_plan_start_progress_done_and_summary_lines(harness):
    harness.write(CHAIN)
    result = harness.cli("apply", str(harness.root), "--auto-approve", "--format", "json")
    assert result.code == 0, result.text
    lines = stream(result.out)
    assert lines[0]["type"] == "plan" and lines[0]["summary"]["create"] == 3
    assert {c["address"] for c in lines[0]["changes"]} == {
        "external_models.chat", "external_models.other", "external_models.independent"}
    assert lines[-1] == {**lines[-1], "type": "summary", "ok": True, "done": 3, "failed": 0,
                         "skipped": 0}
    for address in ("external_models.chat", "external_models.other"):
        kinds = of(lines, address)
        assert kinds[0] == "start" and kinds[-1] == "done" and "progress" in kinds
    chat_done = next(i for i, line in enumerate(lines)
                     if line == {**line, "type": "done", "address": "external_models.chat"})
    other_start = next(i for i, line in enumerate(lines)
                       if line == {**line, "type": "start", "address": "external_models.other"})
    assert chat_done < other_start  # it refers to chat's name
    assert "creating" not in result.err and "Apply complete" not in result.text
    again = harness.cli("apply", str(harness.root), "--auto-approve", "--format", "json")
    assert [line["type"] for line in stream(again.out)] == ["plan", "summary"]


def test_a_failure_streams_failed_and_skipped_lines_and_exits_1(harness):
    harness.write(CHAIN)
    harness.configure(fail_next_update=("chat",))
    result = harness.cli("apply", str(harness.root), "--auto-approve", "--format", "json")
    assert result.code == 1
    lines = stream(result.out)
    failed = [line for line in lines if line["type"] == "failed"]
    assert [line["address"] for line in failed] == ["external_models.chat"]
    assert failed[0]["error"] and failed[0]["action"] == "create"
    skipped = [line for line in lines if line["type"] == "skipped"]
    assert [(s["address"], s["because"]) for s in skipped] == [
        ("external_models.other", "external_models.chat failed")]
    assert of(lines, "external_models.independent")[-1] == "done"
    assert lines[-1] == {**lines[-1], "type": "summary", "ok": False, "done": 1, "failed": 1,
                         "skipped": 1}


def test_json_needs_auto_approve_unless_the_plan_is_saved(harness, tmp_path):
    harness.write(CHAIN)
    refused = harness.cli("apply", str(harness.root), "--format", "json")
    assert refused.code == 1 and "--format json needs --auto-approve" in refused.err
    plan_file = tmp_path / "plan.json"
    assert harness.cli("plan", str(harness.root), "--out", str(plan_file)).code == 0
    saved = harness.cli("apply", str(plan_file), "--format", "json")
    assert saved.code == 0, saved.text
    lines = stream(saved.out)
    assert lines[0]["type"] == "plan" and lines[-1]["done"] == 3
    assert any(line["type"] == "note" and "placeholder" in line["message"] for line in lines)


def test_workers_hand_listeners_one_event_at_a_time(harness):
    """Events come from one worker thread per resource: a listener that is not thread-safe
    (as the JSON writer and the views are not) must never be entered twice at once."""
    from provisioner.cli.options import load_stack
    from provisioner.cli.session import open_session
    from provisioner.engine import runs
    from provisioner.engine.planning import make_plan

    many = "stack: events\nresources:\n  external_models:\n" + "".join(
        textwrap.indent(textwrap.dedent(f"""\
            chat-{i}:
              provider: openai
              model: gpt-4o-mini
              task: llm/v1/chat
              config: {{openai_api_key: "{{{{secrets/events/openai}}}}"}}
            """), "    ") for i in range(8))
    harness.write(many)
    inside, overlaps, seen = threading.Lock(), [], []

    def listener(event) -> None:
        if not inside.acquire(blocking=False):
            overlaps.append(event)
            return
        try:
            seen.append(event)
            time.sleep(0.002)  # long enough for a second worker to arrive meanwhile
        finally:
            inside.release()

    stack = load_stack(str(harness.root), None, (), ())
    with open_session(stack, parallelism=8) as session, session.store.locked("apply", 0):
        planned = make_plan(session, parallelism=8)
        failures = runs.apply(session, planned, confirm=runs.approved, emit=listener,
                              parallelism=8, timeouts={})
    assert failures == {}
    assert overlaps == [] and len(seen) > 16
