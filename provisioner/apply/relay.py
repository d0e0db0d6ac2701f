"""Events of many workers shown by one thread, in the order they were emitted.

Every worker's first act is to emit `Started`, and a poll emits `Waiting`: when each emit
wrote to the terminal under a lock, the holder gave up the interpreter lock for the write
and waited to get it back behind busy workers, and 100 workers starting at once queued up
to 0.2 s behind each other before their create went out (issue 20). A worker now only
queues its event.
"""

from __future__ import annotations

import queue
import threading

from provisioner.apply import events


class Relay:
    """Hands emitted events to `listener` from a thread of its own. Events emitted after
    `close` are never shown: workers an interrupt abandoned report nothing more."""

    def __init__(self, listener: events.Emit):
        self._listener = listener
        self._queue: queue.SimpleQueue[events.Event | None] = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._show, name="apply events", daemon=True)
        self._thread.start()

    def __call__(self, event: events.Event) -> None:
        self._queue.put(event)

    def close(self) -> BaseException | None:
        """Show every event emitted so far, then stop; returns what the listener raised
        (a closed pipe, say), which ended the showing."""
        self._queue.put(None)
        self._thread.join()
        return self._failure

    def _show(self) -> None:
        while (event := self._queue.get()) is not None:
            try:
                self._listener(event)
            except BaseException as exc:  # noqa: BLE001 - handed to close's caller
                self._failure = exc
                return
