"""Each reliability scenario gets its own served local workspace (with the stack's secret) and
stack folder; CLI runs still going at the end are killed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.chaos import Chaos, put_secret, served


@pytest.fixture
def chaos(tmp_path) -> Iterator[Chaos]:
    local = served(tmp_path / "workspace")
    try:
        put_secret(local)
        scenario = Chaos(tmp_path / "stack", local, {})
        yield scenario
        for run in scenario.runs:
            run.stop()
    finally:
        local.stop()
