"""Bad input on the command line, in saved plan files and in the environment: each is answered
with a clear message and exit 1, no traceback, no "internal error", and nothing applied.
(Bad stacks are the corpus of tests/cases/invalid/.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.chaos import STACK

from provisioner.plan.model import FORMAT_VERSION


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Path:
    """A valid stack (embedded `local` target), and variants of a real plan saved from it."""
    root = tmp_path_factory.mktemp("bad-input") / "stack"
    root.mkdir()
    (root / "stack.yaml").write_text(STACK)
    saved = provisioner(root, "plan", ".", "--out", str(root.parent / "plan.json"))
    assert saved.returncode == 0, saved.stderr
    text = (root.parent / "plan.json").read_text()
    document = json.loads(text)
    variants = {
        "truncated.json": text[: len(text) // 2],
        "newer.json": json.dumps({**document, "format_version": FORMAT_VERSION + 1}),
        "other-stack.json": json.dumps({**document, "stack": "billing"}),
        "damaged.json": json.dumps({**document, "resource_changes": {"a": 1}}),
        "not-a-plan.json": json.dumps(["just", "a", "list"]),
    }
    for name, content in variants.items():
        (root.parent / name).write_text(content)
    return root


def provisioner(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}
    return subprocess.run([sys.executable, "-m", "provisioner", *args], cwd=cwd,
                          env={**environ, **env}, capture_output=True, text=True, timeout=120)


APPLY = ("apply", ".", "--auto-approve")
CASES = {
    # name: (arguments, environment, what the message must say)
    "missing stack folder": (("plan", "no/such/folder"), {},
                             ["no stack.yaml found at 'no/such/folder'"]),
    "missing plan file": (("apply", "../nope.json"), {},
                          ["cannot read the saved plan ../nope.json: No such file"]),
    "unknown target": (("plan", ".", "-t", "staging"), {},
                       ["unknown target 'staging'", "targets: local, served"]),
    "malformed --var": (("plan", ".", "--var", "catalog"), {},
                        ["--var: 'catalog' is not of the form NAME=VALUE"]),
    "missing --var-file": (("plan", ".", "--var-file", "vars.yaml"), {},
                           ["cannot read 'vars.yaml'"]),
    "plan of another stack": (("apply", "../other-stack.json"), {},
                              ["damaged plan: it names stack 'billing', but was made from "
                               "stack 'chaos'"]),
    "plan of a newer format": (("apply", "../newer.json"), {},
                               [f"has plan format {FORMAT_VERSION + 1}; this provisioner "
                                f"applies format {FORMAT_VERSION}"]),
    "truncated plan": (("apply", "../truncated.json"), {},
                       ["../truncated.json is not a saved plan"]),
    "damaged plan": (("apply", "../damaged.json"), {},
                     ["../damaged.json is a damaged plan: resource_changes"]),
    "not a plan at all": (("apply", "../not-a-plan.json"), {},
                          ["../not-a-plan.json is not a saved plan"]),
    "--timeout of no kind": ((*APPLY, "--timeout", "serving_endpoint=60"), {},
                             ["no kind 'serving_endpoint' (did you mean 'serving_endpoints'?)"]),
    "--timeout not seconds": ((*APPLY, "--timeout", "external_models=soon"), {},
                              ["'external_models=soon' is not KIND=SECONDS"]),
    "--timeout not positive": ((*APPLY, "--timeout", "delete=-5"), {},
                               ["'delete=-5' is not KIND=SECONDS"]),
    "local settings not JSON": (APPLY, {"PROVISIONER_LOCAL_SETTINGS": "latency=5"},
                                ["PROVISIONER_LOCAL_SETTINGS is not valid", "Invalid JSON"]),
    "local settings unknown knob": (APPLY, {"PROVISIONER_LOCAL_SETTINGS": '{"latncy_ms": 5}'},
                                    ["PROVISIONER_LOCAL_SETTINGS is not valid: latncy_ms"]),
    "local settings out of range": (APPLY, {"PROVISIONER_LOCAL_SETTINGS":
                                            '{"throttle_rate": 2}'},
                                    ["throttle_rate: Input should be less than or equal to 1"]),
    "HTTP timeout not seconds": (APPLY, {"PROVISIONER_HTTP_TIMEOUT": "0"},
                                 ["PROVISIONER_HTTP_TIMEOUT='0' is not a number of seconds"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_clearly_and_nothing_is_applied(stack, name):
    args, env, expected = CASES[name]
    result = provisioner(stack, *args, **env)
    report = f"exit {result.returncode}\nstderr:\n{result.stderr}\nstdout:\n{result.stdout}"
    assert result.returncode == 1, report
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, report
    for fragment in expected:
        assert fragment in result.stderr, report
    assert not (stack / ".provisioner" / "state" / "local.json").exists(), "something applied"
