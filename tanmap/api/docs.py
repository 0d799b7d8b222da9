"""Serve /docs (Swagger UI) and /redoc from vendored assets, so they work with no network."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_STATIC_DIR", "DOCS_STATIC_URL", "install_docs"]

#: Vendored swagger-ui-dist and redoc files (see static/README.md for versions and checksums).
DOCS_STATIC_DIR = Path(__file__).parent / "static"
#: URL prefix the vendored files are served under.
DOCS_STATIC_URL = "/static/docs"


def install_docs(app: FastAPI) -> None:
    """Add ``/docs`` and ``/redoc`` pages that load only local scripts and styles.

    中文：离线接口文档（Swagger UI、ReDoc，本地资源）。

    The app must be built with ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are off.
    """
    app.mount(DOCS_STATIC_URL, StaticFiles(directory=DOCS_STATIC_DIR), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — Swagger UI",
            swagger_js_url=f"{DOCS_STATIC_URL}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC_URL}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC_URL}/swagger-ui/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} — ReDoc",
            redoc_js_url=f"{DOCS_STATIC_URL}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_STATIC_URL}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
