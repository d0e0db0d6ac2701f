"""The readiness poll's schedule, against a clock the test moves: reads start at times fixed
from the start of the wait, so a round trip never pushes the next read later; readiness is
seen at most LATENESS (5 %, or FIRST_INTERVAL) after it comes; a long wait polls every
MAX_INTERVAL.
"""

from __future__ import annotations

import itertools

import pytest

from provisioner.kinds import waiting
from provisioner.kinds.waiting import (
    FIRST_INTERVAL,
    LATENESS,
    MAX_INTERVAL,
    PollTimeout,
    poll,
    read_times,
)


class Clock:
    """Time that passes only when slept or when a read takes its round trip."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "poll never sleeps for nothing"
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(waiting, "time", fake)
    return fake


def reads_until(clock: Clock, ready_at: float, *, round_trip: float,
                timeout: float = 3600.0) -> list[float]:
    """Poll a resource that becomes ready `ready_at` seconds into the wait; the times (from
    the start) at which each read began."""
    started, begun = clock.now, []

    def read() -> bool:
        begun.append(clock.now - started)
        clock.now += round_trip
        return clock.now - started >= ready_at  # the answer reflects the end of the trip

    poll(read, bool, timeout=timeout, what="it")
    return begun


def test_reads_keep_their_times_whatever_a_round_trip_takes(clock):
    """Sleeping an interval after each answer made 8 reads of 50 ms add 0.4 s to a 3 s wait:
    the schedule is absolute, so the reads start at the same times at any latency."""
    quick = reads_until(clock, 3.0, round_trip=0.0)
    slow = reads_until(clock, 3.0, round_trip=0.05)
    assert slow == pytest.approx(quick[:len(slow)])
    assert quick == pytest.approx(list(itertools.islice(read_times(), len(quick))))


@pytest.mark.parametrize("ready_at", [0.5, 3.0, 7.3, 41.0, 600.0])
def test_readiness_is_seen_at_most_lateness_late(clock, ready_at):
    begun = reads_until(clock, ready_at, round_trip=0.0)
    late = begun[-1] - ready_at
    assert 0 <= late <= max(FIRST_INTERVAL, LATENESS * ready_at * 1.01)
    assert begun[-2] < ready_at  # the read before it found it not ready yet


def test_a_three_second_readiness_is_seen_within_a_first_interval(clock):
    """The apply benchmark's readiness (issue 20): at 3 s the interval is still the first
    one, so the last of many endpoints is seen at most FIRST_INTERVAL late."""
    begun = reads_until(clock, 3.0, round_trip=0.05)
    assert begun[-1] + 0.05 - 3.0 <= FIRST_INTERVAL
    assert len(begun) <= 3.0 / FIRST_INTERVAL + 1


def test_a_twenty_minute_wait_reads_a_few_hundred_times_not_thousands(clock):
    begun = reads_until(clock, 20 * 60.0, round_trip=0.05)
    assert 200 < len(begun) < 300
    gaps = [b - a for a, b in itertools.pairwise(begun)]
    assert max(gaps) == pytest.approx(MAX_INTERVAL)


def test_a_read_that_outlasts_its_interval_is_not_caught_up_on(clock):
    """A slow answer (an SDK retry, say) does not make the reads it overran come back to
    back: the next read is at the first scheduled time still ahead."""
    begun = reads_until(clock, 30.0, round_trip=2.0)
    gaps = [b - a for a, b in itertools.pairwise(begun)]
    assert min(gaps) > 2.0
    schedule = list(itertools.takewhile(lambda at: at <= 40.0, read_times()))
    assert all(any(at == pytest.approx(time) for time in schedule) for at in begun)


def test_the_last_read_is_at_the_deadline_then_it_times_out(clock):
    started, begun = clock.now, []

    def read() -> bool:
        begun.append(clock.now - started)
        return False

    with pytest.raises(PollTimeout, match="timed out after 10s waiting for it"):
        poll(read, bool, timeout=10.0, what="it")
    assert begun[-1] == pytest.approx(10.0)
    assert begun[-2] < 10.0
