"""The local workspace: an embedded emulator of the Databricks REST APIs the provisioner uses.

Standard library and pydantic only; nothing from the rest of `provisioner` (an import-linter
contract enforces it), so the emulator can be reasoned about, and tested, on its own.
"""

from __future__ import annotations

from provisioner.local.settings import FaultRule, RateLimit, Settings
from provisioner.local.workspace import LocalWorkspace

__all__ = ["FaultRule", "LocalWorkspace", "RateLimit", "Settings"]
