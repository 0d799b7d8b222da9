"""Layer history (版本历史) and revert (回退): who changed what, and exact, atomic restores.

Every test runs on GeoPackage and PostGIS (tests/conftest.py) but those marked ``gpkg_only``.
"""

from __future__ import annotations

import getpass
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, box

from tanmap.geo.errors import LayerNotFoundError, StoreError, VersionConflictError
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import GeoPackageStore, Store, open_store
from tanmap.layers.store import geopackage as store_mod
from tanmap.layers.store import postgis as pg_mod

HEPING = "120101"
NANKAI = "120104"
STATION = LayerKind.CHARGING_STATION


def district_row(adcode: str, west: float) -> gpd.GeoDataFrame:
    """The lon/lat box [west, west + 0.5] x [38.8, 39.4]."""
    return gpd.GeoDataFrame({"adcode": [adcode], "name": [adcode], "planning_epsg": [4548]},
                            geometry=[box(west, 38.8, west + 0.5, 39.4)], crs=4326)


@pytest.fixture
def store(new_store_location: Callable[[str], str | Path]) -> Store:
    """HEPING (116.8–117.3 °E) and NANKAI (117.3–117.8 °E), no plan layers."""
    s = open_store(new_store_location("h.gpkg"), create=True)
    s.put_district(district_row(HEPING, 116.8))
    s.put_district(district_row(NANKAI, 117.3))
    return s


def stations(*items: tuple[str, float, int]) -> gpd.GeoDataFrame:
    """Public stations (id, lon, fast piles) on the parallel 39.0 °N."""
    return gpd.GeoDataFrame(
        {"id": [i for i, _, _ in items], "access": ["public"] * len(items),
         "fast_piles": [n for _, _, n in items]},
        geometry=[Point(x, 39.0) for _, x, _ in items], crs=4326,
    )


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store_state(s: Any) -> Any:
    """The whole observable state: the file's bytes, or every version record and history."""
    if isinstance(s, GeoPackageStore):
        return file_digest(s.path)
    return s.layers(), [s.history(v.kind, v.district) for v in s.layers()]


def execute_sql(s: Any, sql: str) -> None:
    """Run ``sql`` in the store's database, behind the store's back."""
    if isinstance(s, GeoPackageStore):
        with sqlite3.connect(s.path) as con:
            con.execute(sql)
        con.close()
        return
    import psycopg

    with psycopg.connect(s.url) as conn:
        conn.execute(sql)


def test_history_says_who_when_and_what_changed(store: Store) -> None:
    store.write(STATION, stations(("a", 117.0, 1), ("b", 117.1, 2), ("c", 117.2, 3)),
                district=HEPING, source="v1.geojson", author="alice")
    # b gets a pile more, c is removed, d is new; a is unchanged.
    store.write(STATION, stations(("a", 117.0, 1), ("b", 117.1, 3), ("d", 117.25, 1)),
                district=HEPING, source="v2.geojson", author="bob")
    store.write(STATION, stations(("e", 117.05, 4)), district=HEPING, mode="append",
                source="e.csv", author="carol")
    history = store.history(STATION, HEPING)
    assert [(h.version, h.author, h.source) for h in history] == [
        (1, "alice", "v1.geojson"), (2, "bob", "v2.geojson"), (3, "carol", "e.csv")]
    assert [(h.added, h.removed, h.changed) for h in history] == [(3, 0, 0), (1, 1, 1), (1, 0, 0)]
    assert [h.n_features for h in history] == [3, 3, 4]
    assert [h.current for h in history] == [False, False, True]
    assert all(h.restorable for h in history)
    assert history[-1].checksum == store.version(STATION, HEPING).checksum
    assert history[0].updated_at.endswith("Z")
    assert store.history(STATION, NANKAI) == []


def test_default_author_is_the_system_user(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "planner01")
    store.write(STATION, stations(("a", 117.0, 1)), district=HEPING)
    assert store.history(STATION, HEPING)[0].author == "planner01"


def test_revert_restores_exactly_as_a_new_version(store: Store) -> None:
    v1 = store.write(STATION, stations(("a", 117.0, 1), ("b", 117.1, 2), ("c", 117.2, 3)),
                     district=HEPING, author="alice")
    first = store.read(STATION, district=HEPING)
    store.write(STATION, stations(("x", 117.4, 9)), district=NANKAI)
    store.write(STATION, stations(("b", 117.15, 5)), district=HEPING)
    store.write(STATION, stations(("f", 117.22, 1)), district=HEPING, mode="append")
    nankai = store.read(STATION, district=NANKAI)

    reverted = store.revert(STATION, HEPING, 1, author="dave")
    assert reverted.version == 4
    assert reverted.source == "revert to version 1"
    assert reverted.checksum == v1.checksum
    assert reverted.n_features == 3
    assert_geodataframe_equal(store.read(STATION, district=HEPING), first)
    assert_geodataframe_equal(store.read(STATION, district=NANKAI), nankai)
    # The spatial index was rebuilt for the restored rows: a box around b and c finds them.
    near = store.read(STATION, bbox=(117.05, 38.9, 117.25, 39.1))
    assert sorted(near["id"]) == ["b", "c"]

    last = store.history(STATION, HEPING)[-1]
    assert (last.version, last.author, last.reverted_from) == (4, "dave", 1)
    # From {b (moved), f} back to {a, b, c}: a and c come back, f goes, b changes back.
    assert (last.added, last.removed, last.changed) == (2, 1, 1)
    # A revert is itself undoable.
    again = store.revert(STATION, HEPING, 3)
    assert sorted(store.read(STATION, district=HEPING)["id"]) == ["b", "f"]
    assert again.checksum == store.history(STATION, HEPING)[2].checksum


def test_revert_refuses_what_it_cannot_do(store: Store) -> None:
    with pytest.raises(LayerNotFoundError, match="never been written"):
        store.revert(STATION, HEPING, 1)
    store.write(STATION, stations(("a", 117.0, 1)), district=HEPING)
    store.write(STATION, stations(("b", 117.0, 1)), district=HEPING)
    with pytest.raises(VersionConflictError, match="version 2 is already the current version"):
        store.revert(STATION, HEPING, 2)
    with pytest.raises(LayerNotFoundError,
                       match=r"version 7 .* is not kept; versions that can be restored: 1 "):
        store.revert(STATION, HEPING, 7)


def test_failure_mid_revert_leaves_the_store_unchanged(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write(STATION, stations(("a", 117.0, 1), ("b", 117.1, 2)), district=HEPING)
    store.write(STATION, stations(("c", 117.2, 3)), district=HEPING)
    before = store_state(store)
    calls: list[int] = []
    real_digest = pg_mod._digest

    def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if isinstance(store, GeoPackageStore) or len(calls) > 1:
            raise RuntimeError("disk full")
        return real_digest(*args, **kwargs)  # PostGIS: the digest of the outgoing rows

    # Fails after the rows were deleted and copied back, before the version record is written.
    monkeypatch.setattr(store_mod, "_stored_digest", broken)
    monkeypatch.setattr(pg_mod, "_digest", broken)
    with pytest.raises(StoreError, match=r"RuntimeError: disk full\); nothing was changed"):
        store.revert(STATION, HEPING, 1)
    monkeypatch.undo()
    assert store_state(store) == before
    assert store.version(STATION, HEPING).version == 2
    assert list(store.read(STATION, district=HEPING)["id"]) == ["c"]
    if isinstance(store, GeoPackageStore):
        assert not list(store.path.parent.glob("*.tmp.gpkg"))


def test_a_revert_that_would_not_reproduce_the_checksum_changes_nothing(
    store: Store,
) -> None:
    store.write(STATION, stations(("a", 117.0, 1)), district=HEPING)
    store.write(STATION, stations(("b", 117.1, 2)), district=HEPING)
    # tamper with the kept copy of version 1
    execute_sql(store, "UPDATE tanmap_archive_charging_station SET fast_piles = 99")
    before = store_state(store)
    with pytest.raises(StoreError, match="did not reproduce its checksum"):
        store.revert(STATION, HEPING, 1)
    assert store_state(store) == before
    assert store.version(STATION, HEPING).version == 2


def test_old_versions_are_kept_per_district(store: Store) -> None:
    store.write(STATION, stations(("a", 117.0, 1)), district=HEPING)
    store.write(STATION, stations(("x", 117.4, 1)), district=NANKAI)
    store.write(STATION, stations(("y", 117.5, 1)), district=NANKAI)
    store.write(STATION, stations(("b", 117.1, 1)), district=HEPING)
    store.revert(STATION, NANKAI, 1)
    assert list(store.read(STATION, district=NANKAI)["id"]) == ["x"]
    assert list(store.read(STATION, district=HEPING)["id"]) == ["b"]


@pytest.mark.gpkg_only
def test_a_store_from_before_history_gains_it_on_the_next_write(store: GeoPackageStore) -> None:
    old = store.write(STATION, stations(("a", 117.0, 1), ("b", 117.1, 2)), district=HEPING)
    with sqlite3.connect(store.path) as con:  # as a store written by an older tanmap
        con.execute("DROP TABLE IF EXISTS tanmap_history")
        con.execute("DROP TABLE IF EXISTS tanmap_archive_charging_station")
        con.execute("DELETE FROM gpkg_contents WHERE table_name = 'tanmap_history'")
    (only,) = store.history(STATION, HEPING)
    assert (only.version, only.author, only.added, only.current) == (1, "", None, True)

    store.write(STATION, stations(("c", 117.2, 3)), district=HEPING, author="eve")
    first, second = store.history(STATION, HEPING)
    assert (first.version, first.restorable, first.checksum) == (1, True, old.checksum)
    assert (second.added, second.removed, second.changed) == (1, 2, 0)
    assert store.revert(STATION, HEPING, 1).checksum == old.checksum


@pytest.mark.gpkg_only
def test_kept_versions_are_not_listed_as_gis_layers(store: GeoPackageStore) -> None:
    store.write(STATION, stations(("a", 117.0, 1)), district=HEPING)
    store.write(STATION, stations(("b", 117.0, 1)), district=HEPING)
    layers = {name for name, _ in pyogrio.list_layers(store.path)}
    assert "charging_station" in layers
    assert not any(name.startswith("tanmap_archive") for name in layers)


def test_restored_polygons_are_found_by_bounding_box(store: Store) -> None:
    """Polygons carry an envelope in their GeoPackage header; the R-tree is rebuilt from it."""
    parks = gpd.GeoDataFrame(
        {"id": ["P1", "P2"], "park_class": ["G12", "G12"]},
        geometry=[box(117.00, 39.00, 117.01, 39.01), box(117.20, 39.20, 117.21, 39.21)], crs=4326)
    store.write("park", parks, district=HEPING)
    store.write("park", parks.iloc[[0]], district=HEPING)
    store.revert("park", HEPING, 1)
    assert list(store.read("park", bbox=(117.195, 39.195, 117.215, 39.215))["id"]) == ["P2"]
    assert list(store.read("park", bbox=(116.99, 38.99, 117.005, 39.005))["id"]) == ["P1"]
    assert store.read("park", bbox=(117.1, 39.1, 117.15, 39.15)).empty


def test_read_version_gives_each_kept_version_as_read_does(store: Store) -> None:
    """Version 1 (archived) and 2 (current) come back with the kind's columns and dtypes."""
    one = stations(("a", 117.0, 1), ("b", 117.1, 2))
    store.write(STATION, one, district=HEPING)
    store.write(STATION, stations(("c", 117.2, 3)), district=HEPING)
    first = store.read_version(STATION, HEPING, 1)
    assert first["id"].tolist() == ["a", "b"]
    assert first["fast_piles"].tolist() == [1, 2]
    assert str(first["fast_piles"].dtype) == "Int64"
    assert first.geometry.to_wkt().tolist() == ["POINT (117 39)", "POINT (117.1 39)"]
    assert_geodataframe_equal(store.read_version(STATION, HEPING, 2),
                              store.read(STATION, district=HEPING))
    rewritten = store.write(STATION, first, district=HEPING)  # a kept version, written again
    assert rewritten.checksum == store.history(STATION, HEPING)[0].checksum
    with pytest.raises(LayerNotFoundError, match=r"version 9 .* is not kept"):
        store.read_version(STATION, HEPING, 9)
