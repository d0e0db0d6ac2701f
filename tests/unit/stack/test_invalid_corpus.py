"""The bad-input corpus: every folder of `tests/cases/invalid/` is a stack that `provisioner
validate` must refuse with exit 1, the diagnostics of its `expected.txt`, and no traceback.

A case folder holds `stack.yaml` (and the files it includes), `expected.txt` (diagnostic lines
as printed, paths relative to the folder, in order; hint lines where they matter) and
optionally `args.txt` (extra CLI arguments, one per line). Inputs too big or too binary to
commit are generated here instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[2] / "cases" / "invalid"
FOLDERS = sorted(p for p in CASES.iterdir() if p.is_dir())
MIN_CASES = 70

GENERATED = {
    # name: (stack.yaml bytes, expected lines)
    "oversized-file": (b"stack: big\n#" + b"x" * (5 * 1024 * 1024) + b"\n",
                       ["stack.yaml:1:1: error: file is larger than 2 MB"]),
    "binary-junk": (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 16,
                    ["stack.yaml:1:8: error: file is binary, not YAML text"]),
    "binary-after-text": (b"stack: junk\nresources:\n  \x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                          ["stack.yaml:5:1: error: file is binary, not YAML text"]),
}


def validate(folder: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """`provisioner validate .` in `folder`, with no PROVISIONER_* settings from outside."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}
    return subprocess.run([sys.executable, "-m", "provisioner", "validate", ".", *args],
                          cwd=folder, env=environ, capture_output=True, text=True, timeout=60)


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def assert_refused_with(result: subprocess.CompletedProcess[str], expected: list[str]) -> None:
    """Exit 1, no traceback or internal error, and each expected line, in this order."""
    report = f"exit {result.returncode}\nstderr:\n{result.stderr}\nstdout:\n{result.stdout}"
    assert result.returncode == 1, report
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, report
    rest = result.stderr.splitlines()
    for line in expected:
        assert line in rest, f"missing, or out of order: {line!r}\n{report}"
        rest = rest[rest.index(line) + 1:]


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_invalid_stack_is_refused_with_its_diagnostics(folder: Path):
    expected = lines_of(folder / "expected.txt")
    assert expected and not expected[0].startswith("  hint:"), "expected.txt needs an error line"
    assert_refused_with(validate(folder, lines_of(folder / "args.txt")), expected)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_invalid_file_is_refused(name: str, tmp_path: Path):
    content, expected = GENERATED[name]
    (tmp_path / "stack.yaml").write_bytes(content)
    assert_refused_with(validate(tmp_path, []), expected)


def test_the_corpus_covers_enough_cases():
    assert len(FOLDERS) >= MIN_CASES
