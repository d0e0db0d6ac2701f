"""Runs that meet: two applies at once on one stack and target, and saved plans applied after
the world moved on (an edit by hand, another apply) or applied twice at once."""

from __future__ import annotations

from support.chaos import CREATE, TARGET, Chaos, assert_recovers, endpoint

VECTOR_SEARCH_CREATE = ("POST", "/api/2.0/vector-search/endpoints")


def creates(chaos: Chaos) -> list[int]:
    """Statuses of every create call the workspace answered, of either kind."""
    return [r["status"] for r in chaos.requests(*CREATE) + chaos.requests(*VECTOR_SEARCH_CREATE)]


def test_two_applies_at_once_one_waits_or_fails_naming_the_holder(chaos):
    chaos.configure(serving_endpoint_create_seconds=4)
    first = chaos.start_apply()
    first.wait_for_line(r"external_models\.chat: waiting")
    refused = chaos.apply()
    assert refused.code == 1, refused.text
    assert f"(pid {first.pid}) for 'apply'" in refused.err and "--lock-timeout" in refused.err
    waiting = chaos.start_apply("--lock-timeout", "120")
    assert first.wait().code == 0
    after = waiting.wait()
    assert after.code == 0 and "No changes" in after.out, after.text
    assert creates(chaos) == [200, 200, 200], "a resource was created twice"
    assert_recovers(chaos)


def save_plan(chaos: Chaos, name: str = "plan.json") -> str:
    path = chaos.root.parent / name
    saved = chaos.cli("plan", ".", *TARGET, "--out", str(path))
    assert saved.code == 0, saved.text
    return str(path)


def assert_refused_as_stale(chaos: Chaos, plan: str, why: str) -> None:
    writes = len(chaos.writes())
    refused = chaos.cli("apply", plan, "--lock-timeout", "60")
    assert refused.code == 1, refused.text
    assert f"the saved plan {plan} is stale" in refused.err and why in refused.err, refused.err
    assert len(chaos.writes()) == writes, "a stale plan changed the workspace"


def test_a_saved_plan_is_refused_after_a_resource_is_deleted_by_hand(chaos):
    assert chaos.apply().code == 0
    chaos.write((chaos.root / "stack.yaml").read_text().replace("team: search", "team: ops"))
    plan = save_plan(chaos)
    chaos.sdk().api_client.do("DELETE", endpoint("summarize"))
    assert_refused_as_stale(chaos, plan, "external_models.summarize changed in the workspace")
    assert_recovers(chaos)


def test_one_saved_plan_applied_twice_at_once_applies_once(chaos):
    """The second apply waits for the lock, then finds the plan stale: it comes after
    another apply (the first), so it changes nothing."""
    chaos.configure(serving_endpoint_create_seconds=2)
    plan = save_plan(chaos)
    runs = [chaos.start("apply", plan, "--lock-timeout", "120") for _ in range(2)]
    results = sorted((run.wait() for run in runs), key=lambda r: r.code)
    assert [r.code for r in results] == [0, 1], [r.text for r in results]
    assert "is stale" in results[1].err and "the state changed (serial 0 →" in results[1].err
    assert creates(chaos) == [200, 200, 200]
    assert_recovers(chaos)
