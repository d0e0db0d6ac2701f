"""Reliability scenarios: the real CLI in a subprocess (`python -m provisioner`) against a local
workspace served by the test process, so the workspace, its fault knobs and its request log
outlive a CLI that is killed or interrupted.

The stack's target `served` has no `workspace:` block: the CLI reaches the workspace through
DATABRICKS_HOST / DATABRICKS_TOKEN, as it would reach a real one.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.local import FaultRule, LocalWorkspace, Settings
from provisioner.state.document import StateDocument
from support.harness import FAST

TARGET = ("-t", "served")
CLI_TIMEOUT = 120.0

STACK = """\
stack: chaos
targets:
  served: {}
resources:
  external_models:
    chat:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/chaos/openai}}"}
      tags: {team: search}
    summarize:
      provider: openai
      model: gpt-4o-mini
      task: llm/v1/chat
      config: {openai_api_key: "{{secrets/chaos/openai}}"}
      description: summarises for ${resources.external_models.chat.name}
  vector_search_endpoints:
    docs: {endpoint_type: STANDARD}
"""
"""Two endpoints, the second depending on the first, and an independent vector search
endpoint: enough for "a failure stops only its dependents" and for concurrency."""

CREATE = ("POST", "/api/2.0/serving-endpoints")


def without(stack_yaml: str, key: str) -> str:
    """The stack with the resource `key` (and everything indented under it) removed."""
    lines, skipping = [], False
    for line in stack_yaml.splitlines(keepends=True):
        indent = len(line) - len(line.lstrip())
        if line.strip() == f"{key}:" or line.strip().startswith(f"{key}: "):
            skipping, depth = True, indent
            continue
        if skipping and indent > depth:
            continue
        skipping = False
        lines.append(line)
    return "".join(lines)


def endpoint(name: str) -> str:
    return f"/api/2.0/serving-endpoints/{name}"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return f"exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}"


class Running:
    """A CLI run in the background whose stderr lines (apply's progress) can be waited for."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]):
        self.process = subprocess.Popen(args, cwd=cwd, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._lines: list[str] = []
        self._out: list[str] = []
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(stream, sink), daemon=True)
                         for stream, sink in ((self.process.stderr, self._lines),
                                              (self.process.stdout, self._out))]
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self, stream: Any, sink: list[str]) -> None:
        for line in stream:
            with self._changed:
                sink.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, pattern: str, timeout: float = 60.0) -> str:
        """The first stderr line matching `pattern`; fails if the run ends or time runs out."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self._lines:
                    if re.search(pattern, line):
                        return line
                if self.process.poll() is not None and not self._readers[0].is_alive():
                    raise AssertionError(f"the run ended before {pattern!r}:\n{self.err}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line {pattern!r} in {timeout}s:\n{self.err}")
                self._changed.wait(min(left, 0.2))

    def send(self, sig: signal.Signals) -> float:
        """Send `sig`; returns the monotonic time it was sent."""
        self.process.send_signal(sig)
        return time.monotonic()

    def wait(self, timeout: float = CLI_TIMEOUT) -> Result:
        code = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(10)
        return Result(code, "".join(self._out), self.err)

    @property
    def err(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Chaos:
    """A stack folder, the local workspace it targets, and the CLI run against both."""

    def __init__(self, root: Path, local: LocalWorkspace, extra_env: dict[str, str]):
        self.root = root
        self.local = local
        self.extra_env = extra_env
        self.runs: list[Running] = []
        self.setup_calls = len(local.request_log())
        """Calls made before the scenario (e.g. putting its secret): not the tool's."""
        self.write(STACK)

    # -- the stack and the CLI -------------------------------------------------------------

    def write(self, stack_yaml: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "stack.yaml").write_text(textwrap.dedent(stack_yaml))

    @property
    def env(self) -> dict[str, str]:
        """The caller's environment without provisioner or Databricks settings, pointed at
        the served workspace."""
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith(("PROVISIONER_", "DATABRICKS_"))}
        return {**inherited, "DATABRICKS_HOST": self.local.url,
                "DATABRICKS_TOKEN": "chaos-token", **self.extra_env}

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "provisioner", *args]

    def cli(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = CLI_TIMEOUT) -> Result:
        done = subprocess.run(self.command(*args), cwd=self.root, env=env or self.env,
                              capture_output=True, text=True, timeout=timeout)
        return Result(done.returncode, done.stdout, done.stderr)

    def start(self, *args: str) -> Running:
        running = Running(self.command(*args), self.root, self.env)
        self.runs.append(running)
        return running

    def apply(self, *args: str) -> Result:
        return self.cli("apply", ".", *TARGET, "--auto-approve", *args)

    def start_apply(self, *args: str) -> Running:
        return self.start("apply", ".", *TARGET, "--auto-approve", *args)

    def plan_document(self, *args: str) -> dict[str, Any]:
        result = self.cli("plan", ".", *TARGET, "--format", "json", *args)
        assert result.code == 0, result.text
        return json.loads(result.out)

    # -- what the tool wrote ---------------------------------------------------------------

    @property
    def state_dir(self) -> Path:
        return self.root / ".provisioner" / "state"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "served.json"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "served.lock"

    def state(self) -> dict[str, Any]:
        """The state document, checked against the committed schema ({} when none)."""
        if not self.state_file.exists():
            return {}
        text = self.state_file.read_text()
        StateDocument.model_validate_json(text)
        return json.loads(text)

    # -- the workspace ---------------------------------------------------------------------

    def configure(self, **knobs: Any) -> None:
        self.local.configure(**knobs)

    def calm(self) -> None:
        """No faults, no latency, no waiting: the workspace as recovery finds it."""
        self.local.configure(**{**FAST, "fault_rules": (), "fail_next_update": (),
                                "throttle_rate": 0.0, "server_error_rate": 0.0,
                                "latency_ms": 0.0, "retry_after_seconds": 0})

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict]:
        return [r for r in self.local.request_log()
                if (method is None or r["method"] == method)
                and (path is None or re.fullmatch(path, r["path"]))]

    def writes(self) -> list[dict]:
        """Calls that change the workspace, whatever their answer."""
        return [r for r in self.local.request_log()[self.setup_calls:]
                if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]

    def wait_for_request(self, method: str, path: str, *, status: int | None = None,
                         after: int = 0, where: Callable[[dict], bool] = lambda _: True,
                         timeout: float = 60.0) -> dict:
        """The first logged call (from the `after`-th on) matching; the log records a call
        when it is answered."""
        deadline = time.monotonic() + timeout
        while True:
            for entry in self.local.request_log()[after:]:
                if (entry["method"] == method and re.fullmatch(path, entry["path"])
                        and (status is None or entry["status"] == status) and where(entry)):
                    return entry
            if time.monotonic() > deadline:
                calls = "\n".join(f"{c['method']} {c['path']} {c['status']} "
                                  f"{c['elapsed']:.1f}s" for c in self.local.request_log()[-20:])
                raise AssertionError(f"no {method} {path} ({status}) in {timeout}s; the last "
                                     f"calls:\n{calls}\n{self.runs[-1].err if self.runs else ''}")
            time.sleep(0.02)

    def sdk(self) -> Any:
        from provisioner.workspace.client import WorkspaceAuth, connect

        return connect(WorkspaceAuth(host=self.local.url, token="by-hand"))

    def inventory(self) -> dict[tuple[str, str], str]:
        """(kind the stack calls it, name) -> id of every resource the stack's kinds could
        have made; the pay-per-token endpoints the workspace comes with are not ours."""
        client = self.sdk()
        found = {}
        for item in client.api_client.do("GET", "/api/2.0/serving-endpoints").get("endpoints",
                                                                                 []):
            if not item["name"].startswith("databricks-"):
                found[("serving_endpoint", item["name"])] = item["id"]
        listed = client.api_client.do("GET", "/api/2.0/vector-search/endpoints")
        for item in listed.get("endpoints", []):
            found[("vector_search_endpoint", item["name"])] = item["id"]
        return found

    def declared(self) -> dict[str, tuple[str, str]]:
        """Address -> (kind, name) of every resource the stack on disk declares."""
        from provisioner.kinds.registry import handler_for
        from provisioner.stack.loader import Options, load

        stack = load(str(self.root), Options(target=TARGET[1]))
        return {str(a): (handler_for(a.kind).provides, r.name)
                for a, r in stack.resources.items()}


def assert_recovers(chaos: Chaos) -> None:
    """The invariant every scenario ends with: with the faults gone, one more apply
    converges and the plan after it is empty, with no drift (the state knows what was
    applied); the workspace then holds exactly the stack's resources, and what already existed
    before this apply was neither re-created nor deleted (so nothing was ever made twice); no
    lock is left and the state matches its schema."""
    chaos.calm()
    before = chaos.inventory()
    applied = chaos.apply()
    assert applied.code == 0, applied.text
    planned = chaos.cli("plan", ".", *TARGET, "--format", "json", "--detailed-exitcode")
    assert planned.code == 0, f"the plan after a converged apply is not empty:\n{planned.text}"
    drifted = {c["address"]: c["drift"] for c in json.loads(planned.out)["resource_changes"]
               if c.get("drift")}
    assert drifted == {}, f"the state lost track of what was applied: {drifted}"
    after = chaos.inventory()
    declared = chaos.declared()
    assert set(after) == set(declared.values()), after
    kept = before.keys() & after.keys()
    assert {k: before[k] for k in kept} == {k: after[k] for k in kept}, "re-created"
    assert set(chaos.state()["resources"]) == set(declared)
    assert not chaos.lock_file.exists()


def assert_lock_released_by_the_kernel(chaos: Chaos, dead_pid: int) -> None:
    """A run was killed holding the lock: the file it wrote names it, but the kernel released
    its OS lock, so the next run takes it without anyone running `force-unlock`."""
    assert json.loads(chaos.lock_file.read_text())["pid"] == dead_pid
    from provisioner.state.local import LocalBackend

    assert LocalBackend(chaos.state_dir, TARGET[1]).read_lock() is None


def put_secret(local: LocalWorkspace, scope: str = "chaos", key: str = "openai") -> None:
    from provisioner.workspace.client import WorkspaceAuth, connect

    client = connect(WorkspaceAuth(host=local.url, token="setup"))
    client.secrets.create_scope(scope)
    client.secrets.put_secret(scope, key, string_value="sk-placeholder")


def lost(method: str, path: str, *, status: int = 503) -> FaultRule:
    """The call is performed, its answer replaced by `status` (503 makes the SDK retry it
    after Retry-After)."""
    code = {500: "INTERNAL_ERROR", 503: "TEMPORARILY_UNAVAILABLE"}[status]
    return FaultRule(method=method, path=path, status=status, error_code=code,
                     lose_response=True)


def served(directory: Path, **settings: Any) -> LocalWorkspace:
    workspace = LocalWorkspace(directory, settings=Settings(**{**FAST, **settings}))
    workspace.start()
    return workspace


SIGNALS = {"kill": signal.SIGKILL, "interrupt": signal.SIGINT}
