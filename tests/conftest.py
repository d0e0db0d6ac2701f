"""Fixtures shared by every suite."""

from __future__ import annotations

import pytest
from support.harness import Harness


@pytest.fixture
def harness(tmp_path, capsys, monkeypatch) -> Harness:
    """A temporary stack folder driven through the real CLI and local workspace."""
    monkeypatch.delenv("PROVISIONER_DIR", raising=False)
    return Harness(tmp_path / "stack", capsys, monkeypatch)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite tests/scenarios/goldens from the current outputs")
