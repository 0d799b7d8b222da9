"""Store backends for the tests: every store test runs on GeoPackage and on PostGIS.

``store_backend`` is parametrised (``gpkg``, ``postgis``); ``new_store_location(name)`` gives a
fresh, empty store location of that backend: a file in the test's temporary directory, or a new
schema (a URL whose ``search_path`` names it) in the session's throwaway PostgreSQL cluster
(tests/pg_cluster.py). Tests marked ``gpkg_only`` test GeoPackage internals (the lock file,
copy-on-write, the file format) and run on GeoPackage alone; so do the browser tests (the pages
do not depend on the backend, and one run of the slow browser tests is enough).

Without PostgreSQL/PostGIS installed the PostGIS cases are skipped locally and fail under CI
(``CI`` set): ``make postgis`` installs them, and ``make test`` depends on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.pg_cluster import BACKENDS, Cluster, missing_reason, throwaway_cluster

# Property tests check invariants, not speed: speed is measured in benchmarks/, never in a test.
# Hypothesis' default 200 ms deadline per example failed on a loaded 2-core machine (273 ms).
settings.register_profile("tanmap", deadline=None)
settings.load_profile("tanmap")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "gpkg_only: tests GeoPackage internals; runs on the GeoPackage backend only"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the PostGIS variant of tests marked ``gpkg_only`` or ``browser``."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec else {}
        backend = params.get("store_backend") or params.get("api_backend")
        if backend == "postgis" and (item.get_closest_marker("gpkg_only")
                                     or item.get_closest_marker("browser")):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL + PostGIS cluster on 127.0.0.1 for the whole session."""
    reason = missing_reason()
    if reason:
        message = f"{reason}: `make postgis` installs PostgreSQL + PostGIS (Debian packages)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them: never skip there
        pytest.skip(message)
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture(params=BACKENDS)
def store_backend(request: pytest.FixtureRequest) -> str:
    """The store backend of this test run: ``gpkg`` or ``postgis``."""
    return str(request.param)


@pytest.fixture
def new_store_location(
    store_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], str | Path]]:
    """Return ``make(name)``: a fresh empty store location (file path or database URL)."""
    made: list[str] = []
    cluster: Cluster | None = None
    if store_backend == "postgis":
        cluster = request.getfixturevalue("pg_cluster")

    def make(name: str) -> str | Path:
        if cluster is None:
            return tmp_path / name
        url = cluster.new_schema()
        made.append(url)
        return url

    yield make
    if cluster is not None:
        for url in made:
            cluster.drop(url)
