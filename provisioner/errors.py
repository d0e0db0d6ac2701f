"""Error types: user errors carry diagnostics, API errors name a resource, the rest is ours."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provisioner.diagnostics import Diagnostic


class ProvisionerError(Exception):
    """Base of every error the tool raises on purpose."""


class UserError(ProvisionerError):
    """Bad input: reported as diagnostics, exit code 1, never a traceback."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.summary for d in self.diagnostics))


class ApiError(ProvisionerError):
    """A workspace call failed; `address` names the resource it was for, when known."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None,
                 address: str | None = None):
        self.code = code
        self.status = status
        self.address = address
        super().__init__(message)


class InternalError(ProvisionerError):
    """A bug of ours: reported with a request to file an issue."""
