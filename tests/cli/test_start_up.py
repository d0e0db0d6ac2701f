"""What the `provisioner` process does before any command runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = """\
from pathlib import Path
import os
Path(os.environ["PLUGIN_MARK"]).write_text("loaded")

class Plugin:
    def new_schema_validator(self, *args, **kwargs):
        return None, None, None

plugin = Plugin()
"""


@pytest.fixture
def pydantic_plugin(tmp_path: Path) -> Path:
    """A distribution on the path that registers a pydantic plugin (the `pydantic` entry
    point group, as pydantic documents it); importing it leaves a mark."""
    (tmp_path / "marking_plugin.py").write_text(PLUGIN)
    info = tmp_path / "marking_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: marking-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nmarking = marking_plugin:plugin\n")
    return tmp_path


def _validate(plugin_dir: Path, **env: str) -> Path:
    mark = plugin_dir / "mark"
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    result = subprocess.run(
        [sys.executable, "-m", "provisioner", "validate", "stacks/rag-assistant"], cwd=ROOT,
        capture_output=True, text=True,
        env={**environ, "PYTHONPATH": str(plugin_dir), "PLUGIN_MARK": str(mark), **env})
    assert result.returncode == 0, result.stderr
    return mark


def test_the_cli_skips_pydantic_plugins_unless_the_user_asks(pydantic_plugin):
    """The entry-point scan costs 70-100 ms of every command's start-up (cli/main.py); a user
    who wants plugins sets PYDANTIC_DISABLE_PLUGINS to something else (here, nothing)."""
    assert not _validate(pydantic_plugin).exists()
    assert _validate(pydantic_plugin, PYDANTIC_DISABLE_PLUGINS="").read_text() == "loaded"
