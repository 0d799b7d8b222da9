"""API fixtures: a store with 和平区 (120101) holding the demo's sample layers, and test clients.

The store fixtures are parametrised over both backends (``api_backend``): every API test runs on
a GeoPackage file and on a PostGIS database of the session's throwaway cluster
(tests/pg_cluster.py). Browser tests run on GeoPackage only (tests/conftest.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tanmap.api.app import create_app
from tanmap.api.settings import Settings
from tanmap.layers.demo import load_demo
from tanmap.layers.store import open_store
from tests.pg_cluster import BACKENDS, TEMPLATE, Cluster

#: The PostGIS database holding the demo store; per-test copies are made from it.
DEMO_DB = "tanmap_api_demo"

TOKEN = "test-token-do-not-leak"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="session", params=BACKENDS)
def api_backend(request: pytest.FixtureRequest) -> str:
    """The store backend the API runs on: ``gpkg`` or ``postgis`` (every API test runs on both)."""
    return str(request.param)


@pytest.fixture(scope="session")
def demo_template(
    api_backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Path | str:
    """和平区 with its sample layers, loaded once per backend (the source of every copy below)."""
    if api_backend == "gpkg":
        path = tmp_path_factory.mktemp("api-store") / "tanmap.gpkg"
        load_demo(open_store(path, create=True), ["120101"])
        return path
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    cluster.execute(f'DROP DATABASE IF EXISTS "{DEMO_DB}" WITH (FORCE)')  # if set up again
    cluster.execute(f'CREATE DATABASE "{DEMO_DB}" TEMPLATE "{TEMPLATE}"')
    url = cluster.url(DEMO_DB)
    load_demo(open_store(url, create=True), ["120101"])
    return url


@pytest.fixture(scope="session")
def demo_store_path(demo_template: Path | str, request: pytest.FixtureRequest) -> Path | str:
    """A store with the bundled boundaries of 和平区 and its synthetic sample layers (read-only).

    A ``*.gpkg`` path, or the URL of a PostGIS database copied from the demo database.
    """
    if isinstance(demo_template, Path):
        return demo_template
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database(template=DEMO_DB)


@pytest.fixture
def store_path(
    demo_template: Path | str, tmp_path: Path, request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path | str]:
    """A private, writable copy of the demo store (file copy, or CREATE DATABASE ... TEMPLATE).

    A PostGIS copy keeps its rasters in the test's temporary directory (``TANMAP_RASTER_DIR``).
    """
    if isinstance(demo_template, Path):
        path = tmp_path / "tanmap.gpkg"
        shutil.copy(demo_template, path)
        yield path
        return
    monkeypatch.setenv("TANMAP_RASTER_DIR", str(tmp_path / "rasters"))
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    url = cluster.new_database(template=DEMO_DB)
    yield url
    cluster.drop_database(url)


@pytest.fixture
def client(store_path: Path) -> Iterator[TestClient]:
    """A client of an app with a write token and a 1 MB upload limit."""
    app = create_app(Settings(store=str(store_path), api_token=TOKEN, max_upload_mb=1))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def ro_client(demo_store_path: Path) -> Iterator[TestClient]:
    """A session-wide client for read-only requests (shares the audit cache)."""
    app = create_app(Settings(store=str(demo_store_path), api_token=TOKEN))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
