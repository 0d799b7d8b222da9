"""/docs and /redoc work offline: every script and style they load is served by the app itself."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_local_assets(ro_client: TestClient, page: str) -> None:
    html = ro_client.get(page).text
    urls = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    urls += re.findall(r"url:\s*'([^']+)'", html)  # swagger-ui's openapi url
    assert urls, html
    assert not [u for u in urls if "://" in u or u.startswith("//")], urls
    assert "fonts.googleapis" not in html
    assert "cdn.jsdelivr" not in html
    for url in urls:
        if url.startswith("/static/docs/"):
            response = ro_client.get(url)
            assert response.status_code == 200, url
            assert len(response.content) > 500, url


def test_docs_assets_are_the_vendored_bundles(ro_client: TestClient) -> None:
    js = ro_client.get("/static/docs/swagger-ui/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert "SwaggerUIBundle" in js.text[:2_000_000]
    redoc = ro_client.get("/static/docs/redoc/redoc.standalone.js")
    assert redoc.status_code == 200
    assert "Redoc" in redoc.text


def test_large_responses_are_gzipped(ro_client: TestClient) -> None:
    response = ro_client.get("/static/docs/swagger-ui/swagger-ui.css",
                             headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"
    raw = ro_client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
