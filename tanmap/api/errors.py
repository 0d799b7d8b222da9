"""One table mapping tanmap errors to HTTP status codes, and the handlers that apply it."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tanmap.api.roles import RolesFileError
from tanmap.geo.errors import (
    CatalogError,
    CoverageRuleError,
    CRSError,
    DataFormatError,
    InputTooLargeError,
    LayerNotFoundError,
    LayerValidationError,
    MetricParameterError,
    MissingDependencyError,
    StoreError,
    TanmapError,
    UnitError,
    UnknownIndicatorError,
    UnknownMetricError,
    UnreachableTargetError,
    VersionConflictError,
)
from tanmap.layers.advice import for_interface

__all__ = ["STATUS_BY_ERROR", "client_message", "install_error_handlers", "status_for"]

log = logging.getLogger("tanmap.api")

#: Deliberate errors -> HTTP status. The first matching class (most specific first) wins.
STATUS_BY_ERROR: tuple[tuple[type[TanmapError], int], ...] = (
    (InputTooLargeError, 413),
    (CatalogError, 500),  # a broken bundled catalog is our fault, not the client's
    (LayerValidationError, 422),
    (DataFormatError, 422),
    (CRSError, 422),
    (MetricParameterError, 422),
    (CoverageRuleError, 422),
    (UnitError, 422),
    (UnreachableTargetError, 422),
    (UnknownIndicatorError, 422),
    (UnknownMetricError, 404),
    (LayerNotFoundError, 404),
    (VersionConflictError, 409),
    (StoreError, 503),
    (RolesFileError, 503),
    (MissingDependencyError, 503),  # e.g. the PDF card's CJK font is not installed on the server
)


#: Absolute file paths (POSIX or Windows) in a message: they are internals, not for clients.
_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:\\|/)(?:[^\s'\",;:()]+[/\\])+[^\s'\",;:()]*")


def client_message(exc: BaseException) -> str:
    """Return the message of a deliberate error with server file paths replaced by ``<path>``.

    Option advice is spelled as query parameters (``repair=true``, not ``--repair``).

    Examples
    --------
    >>> client_message(ValueError("district '9' is not in store /srv/x/t.gpkg (districts: 1)"))
    "district '9' is not in store <path> (districts: 1)"
    """
    return for_interface(_PATH.sub("<path>", str(exc)), "http")


def status_for(exc: TanmapError) -> int:
    """Return the HTTP status of a tanmap error (400 when no row of the table matches)."""
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400


def _issues(exc: TanmapError) -> list[dict[str, object]] | None:
    issues = getattr(exc, "issues", None)
    if not issues:
        return None
    out = []
    for issue in issues:
        item = {k: getattr(issue, k, None)
                for k in ("row", "feature_id", "column", "problem", "fix", "severity", "code")}
        out.append({k: for_interface(_PATH.sub("<path>", v), "http") if isinstance(v, str) else v
                    for k, v in item.items()})
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Map TanmapError subclasses to 4xx JSON bodies and anything else to a generic 500."""

    @app.exception_handler(TanmapError)
    async def _tanmap_error(request: Request, exc: TanmapError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            log.error("server-side tanmap error on %s: %s", request.url.path, exc)
            return JSONResponse({"error": type(exc).__name__,
                                 "detail": "内部错误 Internal error: see the server log."},
                                status_code=status)
        body: dict[str, object] = {"error": type(exc).__name__, "detail": client_message(exc)}
        issues = _issues(exc)
        if issues is not None:
            body["issues"] = issues
        return JSONResponse(body, status_code=status)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"error": "InternalServerError",
                             "detail": "内部错误 Internal error: see the server log."},
                            status_code=500)
