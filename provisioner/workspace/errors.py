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
        return ApiError(f"timed out: {exc}", code="TIMEOUT", address=address)
    return ApiError(f"{type(exc).__name__}: {exc}", address=address)


def _status(exc: BaseException) -> int | None:
    from databricks.sdk import errors

    for cls, status in ((errors.NotFound, 404), (errors.ResourceConflict, 409),
                        (errors.BadRequest, 400), (errors.PermissionDenied, 403),
                        (errors.Unauthenticated, 401), (errors.TooManyRequests, 429),
                        (errors.InternalError, 500), (errors.TemporarilyUnavailable, 503)):
        if isinstance(exc, cls):
            return status
    return None


def is_not_found(exc: ApiError) -> bool:
    return exc.status == 404 or exc.code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


def is_conflict(exc: ApiError) -> bool:
    return exc.status == 409 and exc.code != "RESOURCE_ALREADY_EXISTS"


def is_already_exists(exc: ApiError) -> bool:
    return exc.code == "RESOURCE_ALREADY_EXISTS"


def is_retryable(exc: ApiError) -> bool:
    """Worth one more try after checking what the first attempt did (5xx, lost responses)."""
    return exc.status is not None and exc.status >= 500 or exc.code in ("TIMEOUT", "")
