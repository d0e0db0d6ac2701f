"""Apply events as JSON lines (`apply --format json`), shaped by `apply.event_document`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from provisioner.apply import events
from provisioner.apply.event_document import EVENTS_FORMAT_VERSION


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class JsonEvents:
    """Writes one line per event. A wait's polls repeat its status: each status is written
    once per resource, as the plain view does."""

    def __init__(self, write: Callable[[str], None], clock: Callable[[], str] = _now):
        self._write = write
        self._clock = clock
        self._last_status: dict[str, str] = {}

    def plan(self, document: dict[str, Any]) -> None:
        """The first line: what the plan being applied will do."""
        self._line("plan", format_version=EVENTS_FORMAT_VERSION,
                   operation=document["operation"], summary=document["summary"],
                   changes=[{"address": c["address"], "action": c["action"]}
                            for c in document["resource_changes"] if c["action"] != "no-op"])

    def summary(self, counted: events.Summary) -> None:
        """The last line."""
        self._line("summary", ok=counted.ok, done=counted.finished, failed=counted.failed,
                   skipped=counted.skipped)

    def __call__(self, event: events.Event) -> None:
        match event:
            case events.Started(address, action):
                self._line("start", address=address, action=action)
            case events.Waiting(address, status):
                if self._last_status.get(address) != status:
                    self._last_status[address] = status
                    self._line("progress", address=address, status=status)
            case events.Finished(address, action, elapsed):
                self._line("done", address=address, action=action, elapsed=round(elapsed, 3))
            case events.Failed(address, action, error, code):
                self._line("failed", address=address, action=action, error=error, code=code)
            case events.Skipped(address, action, because):
                self._line("skipped", address=address, action=action, because=because)
            case events.Note(message):
                self._line("note", message=message)

    def _line(self, kind: str, **fields: Any) -> None:
        self._write(json.dumps({"type": kind, "timestamp": self._clock(), **fields}))
