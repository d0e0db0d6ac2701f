"""Apply a stack to the local workspace and serve it, so LangChain code can call it unchanged:
only DATABRICKS_HOST and DATABRICKS_TOKEN point at loopback instead of a real workspace."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RAG = Path(os.environ.get("EXAMPLE_STACK") or ROOT / "stacks" / "rag-assistant")
"""The stack to apply; tests point EXAMPLE_STACK at a copy."""
SQL_AGENT = Path(os.environ.get("EXAMPLE_SQL_STACK") or ROOT / "stacks" / "sql-agent")
"""The stack with the SQL warehouse and the experiment chains are traced into."""
TLS_ADDRESS = os.environ.get("EXAMPLE_TLS_ADDRESS", "127.0.0.1")
"""The loopback address `served(tls=True)` listens on (port 443); tests pick their own."""
TOKEN = "local-example-token"
DOCUMENTS = [
    {"id": 1, "text": "Databricks is a data intelligence platform built on a lakehouse."},
    {"id": 2, "text": "Vector search indexes keep a Delta table embedded for retrieval."},
    {"id": 3, "text": "Model serving endpoints host models behind a REST API."},
]


INSTALLED = ROOT / ".venv" / "bin" / "provisioner"
"""Where the README's first command installs provisioner."""
PROVISIONER = (os.environ.get("PROVISIONER")
               or (str(INSTALLED) if INSTALLED.is_file() else "provisioner")).split()
"""How to run provisioner: the LangChain packages live in a virtual environment of their
own (their pins clash with provisioner's), so by default the CLI of the repository's .venv,
else `provisioner` on PATH; PROVISIONER names another (tests: this interpreter's)."""


def provisioner(*args: str) -> None:
    """Run the CLI; its report goes to stderr so that stdout is the example's own output."""
    subprocess.run([*PROVISIONER, *args], check=True, cwd=ROOT, stdout=sys.stderr)


@contextlib.contextmanager
def served(stack: Path = RAG, *, tls: bool = False) -> Iterator[str]:
    """Apply `stack` offline, then serve its local workspace; yields the workspace URL with
    DATABRICKS_HOST / DATABRICKS_TOKEN set for the LangChain clients (and, for the RAG stack,
    the documents its index syncs from).

    With `tls`, HTTPS on port 443 of TLS_ADDRESS, as a workspace is served: clients that
    take only a host name (the SQL connector's SQLAlchemy dialect drops a URL's port) reach
    it unchanged, trusting its certificate through REQUESTS_CA_BUNDLE and SSL_CERT_FILE."""
    provisioner("apply", str(stack), "--auto-approve")
    listen = ["--tls", "--host", TLS_ADDRESS, "--port", "443"] if tls else ["--port", "0"]
    server = subprocess.Popen(
        [*PROVISIONER, "local", "serve", str(stack), *listen, "--token", TOKEN],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        exports = _exports(server)
        url = exports["DATABRICKS_HOST"]
        os.environ.update(DATABRICKS_HOST=url, DATABRICKS_TOKEN=TOKEN,
                          MLFLOW_DISABLE_TELEMETRY="true")
        if "REQUESTS_CA_BUNDLE" in exports:
            os.environ.update(REQUESTS_CA_BUNDLE=exports["REQUESTS_CA_BUNDLE"],
                              SSL_CERT_FILE=exports["REQUESTS_CA_BUNDLE"])
        if stack == RAG:
            _seed_documents(url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)  # MLflow, when loaded, flushes its queues at exit


def _exports(server: subprocess.Popen[str]) -> dict[str, str]:
    """The `export NAME=value` lines `local serve` prints before it serves."""
    exports = {}
    for line in server.stdout or ():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = shlex.split(value)[0]
        elif line.startswith("Press Ctrl-C"):
            return exports
    raise RuntimeError("provisioner local serve did not print its URL")


def put_table(url: str, name: str, rows: list[dict]) -> None:
    """A Delta table of the local workspace (a *table stand-in*): its rows, set directly."""
    request = urllib.request.Request(
        f"{url}/_local/tables/{name}", method="PUT", data=json.dumps({"rows": rows}).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


def _seed_documents(url: str) -> None:
    """The Delta table the index syncs from."""
    put_table(url, "main.rag.docs", DOCUMENTS)
    sync = urllib.request.Request(
        f"{url}/api/2.0/vector-search/indexes/main.rag.docs_index/sync", method="POST",
        data=b"{}", headers={"Authorization": f"Bearer {TOKEN}",
                             "Content-Type": "application/json"})
    urllib.request.urlopen(sync).read()
