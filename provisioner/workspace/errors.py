"""databricks-sdk errors -> ours, keeping the service's error code and naming the resource."""

from __future__ import annotations

from provisioner.errors import ApiError


def translate(exc: BaseException, address: str | None = None) -> ApiError:
    """An ApiError carrying the Databricks `error_code` and HTTP status when there are some."""
    from databricks.sdk.errors import DatabricksError

    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, DatabricksError):
        status = getattr(exc, "_status_code", None) or _status(exc)
        code = exc.error_code or ""
        return ApiError(str(exc), code=code, status=status, address=address)
    if isinstance(exc, TimeoutError):
        # The SDK gives up retrying with "Timed out after <budget>" raised from the last
        # failure: name that failure (which host could not be reached, what kept failing).
        cause = exc.__cause__
        reason = f": {type(cause).__name__}: {cause}" if cause is not None else ""
        return ApiError(f"gave up retrying ({exc}){reason}", code="TIMEOUT", address=address)
    return ApiError(f"{type(exc).__name__}: {exc}", address=address)


def _status(exc: BaseException) -> int | None:
    # From the submodule, not `from databricks.sdk import errors`: that would run the SDK
    # package's `__init__` (every service module) that `workspace/sdk.py` avoids.
    from databricks.sdk.errors import (
        BadRequest,
        InternalError,
        NotFound,
        PermissionDenied,
        ResourceConflict,
        TemporarilyUnavailable,
        TooManyRequests,
        Unauthenticated,
    )

    for cls, status in ((NotFound, 404), (ResourceConflict, 409), (BadRequest, 400),
                        (PermissionDenied, 403), (Unauthenticated, 401),
                        (TooManyRequests, 429), (InternalError, 500),
                        (TemporarilyUnavailable, 503)):
        if isinstance(exc, cls):
            return status
    return None


def is_not_found(exc: ApiError) -> bool:
    return exc.status == 404 or exc.code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


def is_conflict(exc: ApiError) -> bool:
    return exc.status == 409 and exc.code != "RESOURCE_ALREADY_EXISTS"


def is_already_exists(exc: ApiError) -> bool:
    return exc.code == "RESOURCE_ALREADY_EXISTS"


def is_name_held(exc: ApiError) -> bool:
    """A create refused because a delete of that name is still finishing: a vector search
    index's name stays "pending deletion" for minutes (vector-search.md §4)."""
    return "pending deletion" in str(exc)


def is_retryable(exc: ApiError) -> bool:
    """Worth one more try after checking what the first attempt did (5xx, lost responses)."""
    return exc.status is not None and exc.status >= 500 or exc.code in ("TIMEOUT", "")
