"""API fixtures: a store with 和平区 (120101) holding the demo's sample layers, and test clients."""

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

TOKEN = "test-token-do-not-leak"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the bundled boundaries of 和平区 and its synthetic sample layers (read-only)."""
    path = tmp_path_factory.mktemp("api-store") / "tanmap.gpkg"
    store = open_store(path, create=True)
    load_demo(store, ["120101"])
    return path


@pytest.fixture
def store_path(demo_store_path: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the demo store."""
    path = tmp_path / "tanmap.gpkg"
    shutil.copy(demo_store_path, path)
    return path


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
