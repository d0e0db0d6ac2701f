"""`provisioner local serve|reset|status`: provisioner/cli/local.py."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from databricks.sdk.errors import Unauthenticated

from provisioner.cli.local import local

SERVE = (sys.executable, "-m", "provisioner", "local", "serve")
"""As a user runs it: the entry point installs the Ctrl-C handling (`cli/interrupts.py`), so
the SIGINT below stops it even where the test run was started with SIGINT ignored (a
background job of a shell without job control passes that on)."""


def test_serve_prints_how_to_connect_and_stops_cleanly(tmp_path: Path, connect) -> None:
    """DESIGN "The local workspace" (`local serve` for any Databricks client): it prints the
    export lines, accepts only --token when given (401 otherwise), and stops on Ctrl-C
    without a traceback."""
    process = subprocess.Popen(
        [*SERVE, "--dir", str(tmp_path / "ws"), "--token", "t0k"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = []
        while not (lines and lines[-1].startswith("export DATABRICKS_TOKEN")):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line.strip())
        host = next(line.split("=", 1)[1] for line in lines
                    if line.startswith("export DATABRICKS_HOST="))
        assert host.startswith("http://127.0.0.1:")
        assert lines[-1] == "export DATABRICKS_TOKEN=t0k"
        assert connect(host, token="t0k").serving_endpoints.get("databricks-gte-large-en")
        with pytest.raises(Unauthenticated):
            connect(host, token="other").serving_endpoints.list()
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Stopped." in stdout
    assert "Traceback" not in stderr


def test_status_and_reset(tmp_path: Path, directory: Path, w, monkeypatch) -> None:
    """DESIGN "Files on disk": the folder defaults to $PROVISIONER_DIR/local; `status` names
    what it holds and `reset` empties it (the pay-per-token endpoints stay)."""
    monkeypatch.setenv("PROVISIONER_DIR", str(directory.parent))
    runner = CliRunner()
    w.secrets.create_scope("llm-keys")
    status = runner.invoke(local, ["status"])
    assert status.exit_code == 0
    assert "secret scopes (1): llm-keys" in status.output
    assert "databricks-gte-large-en" in status.output
    assert runner.invoke(local, ["reset"]).exit_code == 0
    assert w.secrets.list_scopes() == []
    assert "secret scopes (0)" in runner.invoke(local, ["status"]).output
    elsewhere = runner.invoke(local, ["status", "--dir", str(tmp_path / "none")])
    assert "No local workspace" in elsewhere.output
    assert not (tmp_path / "none").exists()
