"""Apply progress: plain timestamped lines (CI, pipes) or a live rich view on a terminal."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from provisioner.apply import events
from provisioner.render.safe import visible

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

ACTIVE = {"create": "creating", "update": "updating", "replace": "replacing",
          "delete": "deleting", "adopt": "adopting"}


class PlainProgress:
    """One line per event, prefixed with the wall-clock time."""

    def __init__(self, write: Callable[[str], None]):
        self.write = write
        self._last_wait: dict[str, str] = {}

    def __call__(self, event: events.Event) -> None:
        line = self._line(event)
        if line:
            self.write(f"[{time.strftime('%H:%M:%S')}] {line}")

    def _line(self, event: events.Event) -> str | None:
        match event:
            case events.Started(address, action):
                return f"{address}: {ACTIVE.get(action, action)}…"
            case events.Waiting(address, status):
                if self._last_wait.get(address) == status:
                    return None  # polls repeat; say each state once
                self._last_wait[address] = status
                return f"{address}: waiting ({visible(status)})"
            case events.Finished(address, action, elapsed):
                return f"{address}: {action} done in {elapsed:.1f}s"
            case events.Failed(address, action, error, _):
                return f"{address}: {action} FAILED: {visible(error)}"
            case events.Skipped(address, action, because):
                return f"{address}: {action} skipped ({because})"
            case events.Note(message):
                return visible(message)
        return None


class LiveProgress:
    """A rich table of resources and their status, redrawn eight times a second. An event
    only records the status: building the table for each of an apply's thousands of events
    (every poll is one) cost CPU in proportion to the resources, on the workers' core."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.live import Live

        self._status: dict[str, str] = {}
        self._notes: list[str] = []
        self._lock = threading.Lock()
        self._live = Live(console=console or Console(stderr=True), refresh_per_second=8,
                          transient=False, get_renderable=self._table)
        self._shown = False

    def __enter__(self) -> LiveProgress:
        """Shown from the first event on: a confirmation prompt may come first."""
        return self

    def __exit__(self, *exc: object) -> None:
        if self._shown:
            self._live.__exit__(*exc)  # its last refresh shows the final statuses

    def __call__(self, event: events.Event) -> None:
        from rich.markup import escape

        with self._lock:
            match event:
                case events.Started(address, action):
                    self._status[address] = f"[yellow]{ACTIVE.get(action, action)}…"
                case events.Waiting(address, status):
                    self._status[address] = f"[yellow]waiting: {escape(visible(status))}"
                case events.Finished(address, action, elapsed):
                    self._status[address] = f"[green]{action} done ({elapsed:.1f}s)"
                case events.Failed(address, action, error, _):
                    self._status[address] = f"[red]{action} failed: {escape(visible(error))}"
                case events.Skipped(address, action, because):
                    self._status[address] = f"[dim]skipped ({because})"
                case events.Note(message):
                    self._notes.append(escape(visible(message)))
        if not self._shown:
            self._shown = True
            self._live.__enter__()

    def _table(self) -> Table:
        """Called by the live view's refresh thread, while events may still come."""
        from rich.table import Table

        with self._lock:
            rows, notes = sorted(self._status.items()), list(self._notes)
        table = Table(show_header=True, header_style="bold", box=None)
        table.add_column("resource")
        table.add_column("status")
        for address, status in rows:
            table.add_row(address, status)
        for note in notes:
            table.add_row("", f"[cyan]{note}")
        return table
