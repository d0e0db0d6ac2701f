"""databricks-sdk, loaded only in the parts the engine uses.

`import databricks.sdk` runs the package's `__init__`, which imports every service module of
the SDK: 1.4 s, two thirds of the time to plan an empty stack. The engine uses only `Config`
and the API client (`workspace/rest.py` sends REST JSON through it), so `core()` imports
those modules without that `__init__`, and `Client` builds the typed `WorkspaceClient` only
when something asks for more (tests and examples use `client.secrets`, ...).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

PACKAGE = "databricks.sdk"
NEEDED = ("databricks.sdk.core", "databricks.sdk.errors")
_lock = threading.Lock()


def core() -> ModuleType:
    """`databricks.sdk.core` (and `.errors`), without the package's `__init__` if it has not
    run yet. A submodule's import needs its package in `sys.modules`, so an unexecuted
    stand-in holds the place meanwhile and is removed after: a later `import databricks.sdk`
    runs the real `__init__`, which finds these modules already loaded. Should the SDK ever
    refuse this, the ordinary import runs instead."""
    with _lock:
        if PACKAGE not in sys.modules and not all(m in sys.modules for m in NEEDED):
            spec = importlib.util.find_spec(PACKAGE)
            if spec is not None and spec.submodule_search_locations is not None:
                sys.modules[PACKAGE] = importlib.util.module_from_spec(spec)
                try:
                    for name in NEEDED:
                        importlib.import_module(name)
                except ImportError:
                    pass  # the ordinary import below loads whatever is missing
                finally:
                    del sys.modules[PACKAGE]
        return importlib.import_module(NEEDED[0])


class Client:
    """What the engine uses of a `WorkspaceClient` — `config` and `api_client` — at once;
    any other attribute (the typed services) builds the real `WorkspaceClient` on first use."""

    def __init__(self, config: Config):
        self.config = config
        self.api_client = core().ApiClient(config)
        self._typed: WorkspaceClient | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._workspace_client(), name)

    def _workspace_client(self) -> WorkspaceClient:
        with _lock:
            if self._typed is None:
                from databricks.sdk import WorkspaceClient

                self._typed = WorkspaceClient(config=self.config)
            return self._typed
