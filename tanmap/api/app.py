"""Build the tanmap FastAPI application (nothing is built at import time)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from tanmap import __version__
from tanmap.api.cache import ViewCache
from tanmap.api.docs import install_docs
from tanmap.api.errors import install_error_handlers
from tanmap.api.roles import load_roles
from tanmap.api.routers import (
    audit,
    audit_log,
    districts,
    history,
    indicators,
    layers,
    metrics,
    pages,
    rasters,
    results,
    rules,
    site_maps,
    sites,
    tiles,
)
from tanmap.api.settings import Settings, get_settings
from tanmap.layers.runner import MetricMemo
from tanmap.maps.build import STATIC_DIR

__all__ = ["GZIP_MIN_BYTES", "create_app"]

#: Responses smaller than this are sent as they are (gzip would not pay for its header).
GZIP_MIN_BYTES = 1000

DESCRIPTION = """
tanmap (碳 map): plan layers, coverage metrics and target audits of district carbon-peak plans
(碳达峰实施方案). GeoJSON is RFC 7946 (EPSG:4326 lon/lat). Writes need
`Authorization: Bearer <token>`: `TANMAP_API_TOKEN` (admin) or a token of the roles file
(`TANMAP_ROLES_FILE`: viewer, editor limited to kinds and districts, admin).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Return a new tanmap API application.

    中文：创建 tanmap 接口应用。

    Parameters
    ----------
    settings
        Settings to use; default: read from ``TANMAP_*`` environment variables on each request.
    """
    app = FastAPI(title="tanmap 碳 map API", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None)  # served from vendored assets instead
    app.state.stores = {}
    app.state.roles = {}
    roles_file = (settings or get_settings()).roles_file
    if roles_file is not None:
        load_roles(roles_file)  # a wrong roles file stops the start, naming file, line and key
    app.state.cards = ViewCache(max_items=64)
    app.state.pages = ViewCache(max_items=16)
    app.state.metric_memo = MetricMemo(max_items=512)  # metric outcomes by input versions
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    # Map pages and layers are large, repetitive JSON/HTML: gzip cuts them ~5-10x on the wire.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=6)

    @app.middleware("http")
    async def limit_body_size(request: Request, call_next: Any) -> Any:
        """Refuse a request whose declared body exceeds the upload limit before reading it."""
        limit = (settings or get_settings()).max_upload_mb * 1e6
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return JSONResponse(
                {"error": "InputTooLargeError",
                 "detail": f"请求过大 Request body of {int(declared) / 1e6:.1f} MB exceeds the "
                           f"{limit / 1e6:.0f} MB limit; split the layer or raise "
                           "TANMAP_MAX_UPLOAD_MB on the server."},
                status_code=413,
            )
        return await call_next(request)

    for module in (districts, layers, history, metrics, results, audit, indicators, rules, rasters,
                   sites, site_maps, audit_log, tiles,
                   pages):
        app.include_router(module.router)
    app.mount("/static/maps", StaticFiles(directory=STATIC_DIR), name="map-static")
    install_docs(app)
    return app
