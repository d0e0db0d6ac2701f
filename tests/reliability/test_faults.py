"""The workspace misbehaving: throttling storms, server-error bursts, lost answers, slow
answers, endpoints that never get ready or fail, a workspace that goes away mid-apply or
refuses the credentials. Nothing is ever created twice, nothing is deleted because it
failed, and every scenario recovers."""

from __future__ import annotations

import pytest
from support.chaos import (
    CREATE,
    STACK,
    assert_recovers,
    endpoint,
    lost,
    served,
    without,
)

from provisioner.local import FaultRule, LocalWorkspace


def test_a_throttling_storm_is_waited_out_as_retry_after_says(chaos):
    storm = FaultRule(method="POST", path=CREATE[1], status=429,
                      error_code="REQUEST_LIMIT_EXCEEDED", times=3)
    chaos.configure(fault_rules=(storm,), throttle_rate=0.2, seed=3, retry_after_seconds=1)
    applied = chaos.apply()
    assert applied.code == 0, applied.text
    calls = chaos.requests(*CREATE)
    throttled = [c for c in calls if c["status"] == 429]
    assert len(throttled) >= 3
    for call, following in zip(calls, calls[1:], strict=False):
        if call["status"] == 429:
            assert following["time"] - call["time"] >= 1.0, "Retry-After was not honoured"
    assert [c["status"] for c in calls if c["status"] != 429] == [200, 200]
    assert_recovers(chaos)


def test_a_third_of_all_calls_throttled_fails_nothing(chaos):
    """Every call, reads included, has a 30 % chance of a 429 (Retry-After: 0): the plan, the
    apply and the plan after it all succeed, each 429 sent again by the adaptive window
    (`workspace/concurrency.py`) and none reported."""
    chaos.configure(throttle_rate=0.3, retry_after_seconds=0, seed=5)
    applied = chaos.apply()
    assert applied.code == 0, applied.text
    planned = chaos.cli("plan", ".", "-t", "served", "--detailed-exitcode")
    assert planned.code == 0, planned.text
    assert "429" not in applied.text + planned.text
    assert sum(1 for c in chaos.requests() if c["status"] == 429) >= 5
    assert_recovers(chaos)


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_bursts_never_create_twice(chaos, status):
    chaos.configure(server_error_rate=0.25, server_error_status=status, seed=11,
                    retry_after_seconds=0)
    applied = chaos.apply()
    assert applied.code in (0, 1) and "Traceback" not in applied.err, applied.text
    assert "internal error" not in applied.err, applied.text
    if applied.code == 1:
        assert "FAILED" in applied.err or "error:" in applied.err, applied.text
    assert_recovers(chaos)
    assert [c["status"] for c in chaos.requests(*CREATE) if c["status"] < 400] == [200, 200]


def test_lost_answers_to_every_kind_of_write_are_checked_before_resending(chaos):
    """Creates, a config update, a tag update and a delete are each performed but answered
    with an error (500: not retried by the SDK; 503: retried by it). The apply still
    finishes, and nothing was sent twice that the workspace had already done."""
    chaos.configure(fault_rules=(lost(*CREATE, status=500),
                                 lost("POST", "/api/2.0/vector-search/endpoints", status=500)))
    first = chaos.apply()
    assert first.code == 0, first.text
    assert len(chaos.requests(*CREATE)) == 2, "a create was sent again"
    assert len(chaos.requests("POST", "/api/2.0/vector-search/endpoints")) == 1
    chaos.write(without(STACK, "summarize").replace("model: gpt-4o-mini", "model: gpt-4o")
                .replace("team: search", "team: ops"))
    chaos.configure(fault_rules=(lost("PUT", endpoint("chat") + "/config", status=500),
                                 lost("PATCH", endpoint("chat") + "/tags", status=500),
                                 lost("DELETE", endpoint("summarize"), status=500)))
    second = chaos.apply()
    assert second.code == 0, second.text
    assert len(chaos.requests("PUT", endpoint("chat") + "/config")) == 1
    assert len(chaos.requests("DELETE", endpoint("summarize"))) == 1
    assert_recovers(chaos)


def test_answers_slower_than_the_http_timeout_are_retried_without_duplicates(chaos):
    """With PROVISIONER_HTTP_TIMEOUT=1 the workspace turns slow (2 s) twice: as the first
    create is resent (the create is done, its answer comes too late, the SDK sends it again
    and is told it exists), then during the readiness wait (the reads time out). Each time
    the test waits for the workspace to log the slow call before making it fast again."""
    chaos.extra_env["PROVISIONER_HTTP_TIMEOUT"] = "1"
    chaos.configure(fault_rules=(FaultRule(method="POST", path=CREATE[1], status=503),),
                    retry_after_seconds=2, serving_endpoint_create_seconds=8)
    run = chaos.start_apply()
    chaos.wait_for_request(*CREATE, status=503)
    chaos.configure(latency_ms=2000)
    chaos.wait_for_request(*CREATE, status=200)
    chaos.configure(latency_ms=0)
    refused = chaos.wait_for_request(*CREATE, status=409)
    after = chaos.local.request_log().index(refused)
    chaos.wait_for_request("GET", endpoint("chat"), after=after)
    chaos.configure(latency_ms=2000)
    chaos.wait_for_request("GET", "/api/.*", after=after,
                           where=lambda call: call["elapsed"] >= 2.0)
    chaos.configure(latency_ms=0, serving_endpoint_create_seconds=0.2)
    result = run.wait()
    assert result.code == 0, result.text
    statuses = [c["status"] for c in chaos.requests(*CREATE)]
    assert statuses.count(200) == 2, statuses
    assert any(r["elapsed"] >= 2.0 and r["time"] > refused["time"]
               for r in chaos.requests("GET")), "no read timed out during the wait"
    assert_recovers(chaos)


def test_an_endpoint_stuck_in_progress_times_out_and_is_kept(chaos):
    chaos.configure(serving_endpoint_create_seconds=8)
    result = chaos.apply("--timeout", "external_models=1")
    assert result.code == 1, result.text
    assert "external_models.chat: create FAILED: timed out after 1s" in result.err
    assert ("external_models.summarize: create skipped (external_models.chat failed)"
            in result.err)
    assert "vector_search_endpoints.docs: create done" in result.err
    assert ("serving_endpoint", "chat") in chaos.inventory()
    assert chaos.requests("DELETE") == []
    statuses = {a: r["status"] for a, r in chaos.state()["resources"].items()}
    assert statuses == {"vector_search_endpoints.docs": "ready",
                        "external_models.chat": "creating"}, "made, so recorded"
    assert_recovers(chaos)


def test_an_update_ending_update_failed_is_reported_and_kept(chaos):
    assert chaos.apply().code == 0
    chaos.write(STACK.replace("model: gpt-4o-mini", "model: gpt-4o", 1)
                .replace("description: summarises", "tags: {v: '2'}\n      description: "
                         "summarises")
                + "    other: {endpoint_type: STANDARD}\n")
    chaos.configure(fail_next_update=("chat",))
    result = chaos.apply()
    assert result.code == 1, result.text
    assert "external_models.chat: update FAILED" in result.err
    assert "UPDATE_FAILED" in result.err
    assert ("external_models.summarize: update skipped (external_models.chat failed)"
            in result.err)
    assert "vector_search_endpoints.other: create done" in result.err
    live = chaos.sdk().api_client.do("GET", endpoint("chat"))
    assert live["config"]["served_entities"][0]["external_model"]["name"] == "gpt-4o-mini"
    assert chaos.requests("DELETE") == []
    assert_recovers(chaos)


def test_the_workspace_going_away_mid_apply_fails_clearly_and_recovers(chaos, tmp_path):
    chaos.extra_env["PROVISIONER_RETRY_TIMEOUT"] = "3"
    chaos.configure(serving_endpoint_create_seconds=3)
    run = chaos.start_apply()
    run.wait_for_line(r"external_models\.chat: waiting \(NOT_READY/IN_PROGRESS\)")
    url = chaos.local.url
    chaos.local.stop()
    result = run.wait()
    assert result.code == 1 and "Traceback" not in result.err, result.text
    failed = next(line for line in result.err.splitlines() if "chat: create FAILED" in line)
    assert "gave up retrying" in failed and url.split("//")[1].split(":")[0] in failed, failed
    assert "external_models.summarize: create skipped" in result.err
    assert not chaos.lock_file.exists()
    chaos.local = served(tmp_path / "workspace")
    assert_recovers(chaos)


@pytest.mark.parametrize("refusal", ["401 bad token", "403 on every call"])
def test_refused_credentials_write_nothing(chaos, tmp_path, refusal):
    guarded = LocalWorkspace(tmp_path / "workspace", token="the-right-token")
    guarded.start()
    if refusal.startswith("403"):
        guarded.configure(fault_rules=(FaultRule(path="/api/.*", status=403,
                                                 error_code="PERMISSION_DENIED",
                                                 message="User is not authorized.",
                                                 times=1000),))
        chaos.extra_env["DATABRICKS_TOKEN"] = "the-right-token"
    open_workspace, chaos.local = chaos.local, guarded
    try:
        refused = chaos.apply()
        assert refused.code == 1, refused.text
        assert "Traceback" not in refused.err and "internal error" not in refused.err
        expected = "Invalid access token" if refusal.startswith("401") else "not authorized"
        assert expected in refused.err, refused.text
        assert [r for r in guarded.request_log() if r["method"] != "GET"] == []
        assert not chaos.state_file.exists() and not chaos.lock_file.exists()
    finally:
        guarded.stop()
        chaos.local = open_workspace
    chaos.extra_env.pop("DATABRICKS_TOKEN", None)
    assert_recovers(chaos)
