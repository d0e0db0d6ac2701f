"""The live apply view: statuses are recorded as events come from the relay thread and the
table is drawn by rich's refresh, so what the terminal shows last is every resource's last
status, whatever the two threads did meanwhile."""

from __future__ import annotations

import io
import threading

from rich.console import Console

from provisioner.apply import events
from provisioner.render.progress import LiveProgress


def test_the_last_drawing_shows_every_resources_last_status():
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=120, color_system=None)
    addresses = [f"external_models.e{i:03d}" for i in range(150)]

    def emit_all(view: LiveProgress, part: list[str]) -> None:
        for address in part:
            view(events.Started(address, "create"))
            for poll in range(5):
                view(events.Waiting(address, f"NOT_READY/IN_PROGRESS {poll}"))
            view(events.Finished(address, "create", 3.0))

    with LiveProgress(console) as view:
        emitters = [threading.Thread(target=emit_all, args=(view, addresses[i::3]))
                    for i in range(3)]
        for emitter in emitters:
            emitter.start()
        for emitter in emitters:
            emitter.join()
        view(events.Note("3 endpoints share one secret"))
    last = terminal.getvalue().rsplit("resource", 1)[-1]  # the final drawing of the table
    for address in addresses:
        assert f"{address}  create done (3.0s)" in last
    assert "waiting" not in last
    assert "3 endpoints share one secret" in last
