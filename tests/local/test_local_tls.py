"""`local serve --tls`: HTTPS with a self-signed certificate whose path is printed, so clients
that speak only HTTPS reach the local workspace (provisioner/local/tls.py)."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config

from provisioner.local import LocalWorkspace

SERVE = (sys.executable, "-m", "provisioner", "local", "serve")
"""As a user runs it: the entry point installs the Ctrl-C handling (`cli/interrupts.py`), so
the SIGINT below stops it even where the test run was started with SIGINT ignored (a
background job of a shell without job control passes that on)."""


def test_serve_tls_prints_the_certificate_clients_trust(tmp_path: Path, monkeypatch) -> None:
    process = subprocess.Popen(
        [*SERVE, "--tls", "--dir", str(tmp_path / "ws")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        while not (lines and lines[-1].startswith("export REQUESTS_CA_BUNDLE=")):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line.strip())
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines
                       if line.startswith("export "))
        assert exports["DATABRICKS_HOST"].startswith("https://127.0.0.1:")
        assert Path(exports["REQUESTS_CA_BUNDLE"]) == (tmp_path / "ws/tls/cert.pem").resolve()
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", exports["REQUESTS_CA_BUNDLE"])
        w = WorkspaceClient(config=Config(host=exports["DATABRICKS_HOST"], token="t"))
        warehouse = w.warehouses.create(name="bi", cluster_size="Small").result()
        assert warehouse.odbc_params.protocol == "https"
        assert "ssl=1" in warehouse.jdbc_url
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0 and "Traceback" not in stderr


def test_an_untrusting_client_is_refused_and_the_certificate_is_kept(tmp_path: Path):
    with LocalWorkspace(tmp_path, tls=True) as workspace:
        first = workspace.certificate.read_bytes()
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(workspace.url + "/.well-known/databricks-config",
                                   context=ssl.create_default_context(), timeout=10)
        trusting = ssl.create_default_context(cafile=str(workspace.certificate))
        with urllib.request.urlopen(workspace.url + "/.well-known/databricks-config",
                                    context=trusting, timeout=10) as answer:
            assert answer.status == 200
    with LocalWorkspace(tmp_path, tls=True) as again:
        assert again.certificate.read_bytes() == first  # clients keep trusting it
