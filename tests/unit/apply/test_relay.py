"""Workers' events are shown by one thread, in order: emitting never waits on the listener
(the terminal), and what is emitted after the run closed its relay is never shown."""

from __future__ import annotations

import threading

from provisioner.apply import events
from provisioner.apply.relay import Relay


def test_an_emit_returns_while_the_listener_is_still_writing():
    writing, release, shown = threading.Event(), threading.Event(), []

    def listener(event: events.Event) -> None:
        writing.set()
        release.wait()
        shown.append(event)

    relay = Relay(listener)
    relay(events.Started("a.x", "create"))
    writing.wait()
    relay(events.Started("a.y", "create"))  # the listener is blocked: this only queues
    relay(events.Finished("a.x", "create", 1.0))
    assert shown == []
    release.set()
    assert relay.close() is None
    assert shown == [events.Started("a.x", "create"), events.Started("a.y", "create"),
                     events.Finished("a.x", "create", 1.0)]


def test_events_of_workers_at_once_are_each_shown_once_in_each_workers_order():
    shown: list[events.Event] = []
    relay = Relay(shown.append)

    def worker(number: int) -> None:
        for step in range(50):
            relay(events.Waiting(f"a.{number}", str(step)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    relay.close()
    for number in range(8):
        assert [e.status for e in shown if e.address == f"a.{number}"] == [
            str(step) for step in range(50)]


def test_nothing_emitted_after_close_is_shown_and_a_listener_failure_is_returned():
    shown: list[events.Event] = []

    def listener(event: events.Event) -> None:
        if isinstance(event, events.Note):
            raise BrokenPipeError("stdout closed")
        shown.append(event)

    relay = Relay(listener)
    relay(events.Started("a.x", "create"))
    relay(events.Note("hello"))
    relay(events.Started("a.y", "create"))  # after the failure: the showing has ended
    failed = relay.close()
    relay(events.Started("a.z", "create"))
    assert isinstance(failed, BrokenPipeError)
    assert shown == [events.Started("a.x", "create")]
