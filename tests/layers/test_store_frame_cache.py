"""The GeoPackage store's frame cache: whole-layer reads answered from memory until a write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shapely.geometry import Point

from tests.layers.test_runner import ADCODE, build_store, metre_frame

if TYPE_CHECKING:
    from pathlib import Path


def test_a_write_is_seen_by_the_next_read(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    assert sorted(store.read("recycling_point", district=ADCODE)["id"]) == ["r1", "r2"]
    store.write("recycling_point", metre_frame(
        [{"id": "r3", "status": "existing"}], [Point(10, 10)],
    ), district=ADCODE, source="replaced")
    assert list(store.read("recycling_point", district=ADCODE)["id"]) == ["r3"]


def test_a_write_through_another_store_object_is_seen(tmp_path: Path) -> None:
    # Another process (a second server worker) writes the same file.
    from tanmap.layers.store import open_store

    store = build_store(tmp_path)
    store.read("recycling_point", district=ADCODE)
    other = open_store(store.path)
    other.write("recycling_point", metre_frame(
        [{"id": "r8", "status": "existing"}, {"id": "r9", "status": "existing"}],
        [Point(10, 10), Point(20, 20)],
    ), district=ADCODE, source="written elsewhere")
    assert sorted(store.read("recycling_point", district=ADCODE)["id"]) == ["r8", "r9"]


def test_callers_get_copies(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    first = store.read("recycling_point", district=ADCODE)
    first.loc[:, "id"] = "changed by a caller"
    again = store.read("recycling_point", district=ADCODE)
    assert sorted(again["id"]) == ["r1", "r2"]
    assert again is not first


def test_bbox_reads_are_not_cached(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    store.read("recycling_point", district=ADCODE)
    west, south, east, north = store.district(ADCODE).geometry.bounds
    kept = store._frames.keys()
    assert kept == {("recycling_point", ADCODE), ("district", ADCODE)}
    near_r1 = store.read("recycling_point", district=ADCODE,
                         bbox=(west, south + (north - south) * 0.8,
                               west + (east - west) * 0.3, north))
    assert list(near_r1["id"]) == ["r1"]  # r1 at (100, 900) m, r2 at (700, 900) m
    assert store._frames.keys() == kept
