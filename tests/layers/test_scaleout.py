"""Scale-out on Dask (tanmap.layers.scaleout): the same answers as the single-process path.

Three adjacent 3 km x 3 km districts near Tianjin (EPSG:4548) with residential blocks, residential
buildings with population, and parks near the borders (a park across a border serves residents on
the other side). Metrics run per district on a LocalCluster of 2 workers and in tiles with a halo;
every figure must equal ``run_metric`` district by district.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pytest
from shapely import affinity
from shapely.geometry import box

from tanmap.geo.halo_tiles import HALO_PAD_M, park_tile, park_tiles, tile_keys
from tanmap.geo.rules import get_rule
from tanmap.layers.partitions import GeoParquetPartitions, write_districts, write_partition
from tanmap.layers.runner import compute_prepared, prepare_metric, run_metric
from tanmap.layers.scaleout import (
    audit_many,
    cluster_client,
    metric_many,
    resolve_districts,
    tiled_park_coverage,
)
from tanmap.layers.store import open_store

if TYPE_CHECKING:
    from pathlib import Path

EPSG = 4548
X0, Y0 = 500_000.0, 4_330_000.0
SIDE_M = 3000.0
CODES = ("120191", "120192", "120193")
YEAR = 2024


def _frame(rows: list[dict[str, Any]], geoms: list[Any]) -> gpd.GeoDataFrame:
    shifted = [affinity.translate(g, X0, Y0) for g in geoms]
    return gpd.GeoDataFrame(rows, geometry=shifted, crs=EPSG).to_crs(4326)


def _layers(i: int, rng: np.random.Generator) -> dict[str, gpd.GeoDataFrame]:
    x0 = i * SIDE_M
    land_rows, land_geoms, b_rows, b_geoms = [], [], [], []
    for gx in range(15):
        for gy in range(15):
            if rng.random() > 0.6:
                continue
            bx, by = x0 + gx * 200 + 25, gy * 200 + 25
            # The first column sticks 40 m out of the district: it is clipped to the boundary.
            west = bx - 65 if gx == 0 and i > 0 else bx
            land_rows.append({"id": f"r{i}-{gx}-{gy}",
                              "area_type": "old_city" if gx < 5 else "new_area",
                              "population": float(rng.integers(50, 500))})
            land_geoms.append(box(west, by, bx + 150, by + 150))
            for k in range(4):
                hx, hy = bx + 10 + 70 * (k % 2), by + 10 + 70 * (k // 2)
                b_rows.append({"id": f"b{i}-{gx}-{gy}-{k}", "use_category": "residential",
                               "population": float(rng.integers(10, 200))})
                b_geoms.append(box(hx, hy, hx + 40, hy + 40))
    park_rows, park_geoms = [], []
    # Parks by each border (east and west), and a few inside.
    for j, (px, py) in enumerate([(x0 + 60, 400), (x0 + SIDE_M - 200, 2200),
                                  (x0 + 1400, 1500), (x0 + 2300, 700)]):
        size = float(rng.uniform(60, 160))
        park_rows.append({"id": f"p{i}-{j}", "park_class": "G12" if j % 2 else "G14"})
        park_geoms.append(box(px, py, px + size, py + size * 0.8))
    return {
        "residential_land": _frame(land_rows, land_geoms),
        "building": _frame(b_rows, b_geoms),
        "park": _frame(park_rows, park_geoms),
    }


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Return (GeoPackage store, GeoParquet partitions folder) holding the same 3 districts."""
    root = tmp_path_factory.mktemp("scaleout")
    store = open_store(root / "p.gpkg", create=True)
    rng = np.random.default_rng(7)
    rows = []
    for i, code in enumerate(CODES):
        row = _frame([{"adcode": code, "name": f"测试{i}区", "name_en": f"Test {i}",
                       "planning_epsg": EPSG}],
                     [box(i * SIDE_M, 0, (i + 1) * SIDE_M, SIDE_M)])
        store.put_district(row)
        rows.append(row)
        for kind, frame in _layers(i, rng).items():
            store.write(kind, frame, district=code, source="scaleout test")
            write_partition(root / "parts", kind, code, store.read(kind, district=code))
    write_districts(root / "parts", store.districts())
    return root / "p.gpkg", root / "parts"


def _figures(outcome: Any) -> dict[str, Any]:
    r = outcome.result
    keys = ("residential_m2", "covered_m2", "uncovered_m2", "by_area_type", "threshold_met",
            "parks_counted", "parks_not_counted", "extra_buildings_total",
            "extra_buildings_covered", "extra_building_share", "extra_population_share",
            "extra_population_source")
    return {"value": r.value, **{k: r.details[k] for k in keys}}


def test_resolve_districts(province: tuple[Path, Path], tmp_path: Path) -> None:
    store = open_store(province[0])
    assert resolve_districts(store, "ALL") == list(CODES)
    listing = tmp_path / "d.txt"
    listing.write_text("# districts\n120193\n\n120191  # west\n120193\n", encoding="utf-8")
    assert resolve_districts(store, str(listing)) == ["120193", "120191"]
    assert resolve_districts(store, "120192, 120191") == ["120192", "120191"]
    with pytest.raises(ValueError, match="not in the store: 999999"):
        resolve_districts(store, "120191,999999")
    with pytest.raises(ValueError, match="names no district"):
        resolve_districts(store, " , ")


def test_partitions_read_like_the_store(province: tuple[Path, Path]) -> None:
    store, parts = open_store(province[0]), GeoParquetPartitions(province[1])
    assert list(parts.districts()["adcode"]) == list(CODES)
    assert parts.version("building", CODES[1]).n_features == len(
        store.read("building", district=CODES[1]))
    assert parts.version("pocket_garden", CODES[1]) is None
    bbox = store.districts().iloc[[1]].total_bounds
    from tanmap.geo.crs import Bounds

    b = Bounds(*bbox)
    assert sorted(parts.read("park", bbox=b)["id"]) == sorted(store.read("park", bbox=b)["id"])
    for code in CODES:
        same = run_metric(parts, "park_coverage", code, year=YEAR)
        assert _figures(same) == _figures(run_metric(store, "park_coverage", code, year=YEAR))


def test_tiles_cover_each_feature_once_and_carry_the_halo(province: tuple[Path, Path]) -> None:
    prepared = prepare_metric(open_store(province[0]), "park_coverage", CODES[1], year=YEAR)
    land, parks = prepared.frames["residential_land"], prepared.frames["park"]
    tiles = park_tiles(land, parks, rule=get_rule("gbt51346_2019"), tile_m=700.0,
                       buildings=prepared.frames["building"],
                       district=prepared.context.district)
    assert len(tiles) > 4
    positions = np.sort(np.concatenate([t.land_pos for t in tiles]))
    assert positions.tolist() == list(range(len(land)))
    b_positions = np.sort(np.concatenate([t.building_pos for t in tiles]))
    assert b_positions.tolist() == list(range(len(prepared.frames["building"])))
    # Every park within 500 m of a tile's feature is among the tile's parks.
    for t in tiles:
        own = list(t.land.geometry) + list(t.buildings.geometry)
        near = {pid for pid, g in zip(parks["id"], parks.geometry, strict=True)
                if any(g.distance(f) <= 500.0 + HALO_PAD_M for f in own)}
        assert near <= set(t.parks["id"])


def test_tile_keys_use_the_representative_point() -> None:
    # A parcel straddling x = 500 with most of it east: its point inside is east (tile 1);
    # a U-shaped parcel whose centroid (250, 375) lies in its gap, in tile (0, 0): its point on
    # the surface lies in one of its arms, not in the gap.
    straddle = box(450, 0, 900, 100)
    u_shape = box(0, 0, 500, 100).union(box(0, 0, 100, 900)).union(box(400, 0, 500, 900))
    keys = tile_keys(np.array([straddle, u_shape, box(0, 0, 0, 0)]), 500.0)
    assert keys[0].tolist() == [1, 0]
    assert keys[2].tolist() == [0, 0]
    import shapely

    point = shapely.point_on_surface(u_shape)
    assert u_shape.contains(point)
    assert keys[1].tolist() == [int(point.x // 500), int(point.y // 500)]
    with pytest.raises(ValueError, match="tile_m"):
        tile_keys(np.array([straddle]), 0.0)


@pytest.mark.parametrize(("weight", "tile_m"), [pytest.param("area", 350.0, marks=pytest.mark.slow),
                                               ("buildings", 700.0),
                                               ("population", 700.0), ("area", 5000.0)])
def test_tiled_equals_untiled(province: tuple[Path, Path], weight: str, tile_m: float) -> None:
    store = open_store(province[0])
    for code in CODES:
        prepared = prepare_metric(store, "park_coverage", code, {"weight": weight}, year=YEAR)
        whole, tiled = compute_prepared(prepared), tiled_park_coverage(prepared, tile_m)
        assert tiled.result.details["tiled"] is True
        assert _figures(tiled) == _figures(whole)
        assert tiled.result.value is not None


def test_tiled_refuses_what_it_cannot_tile(province: tuple[Path, Path]) -> None:
    prepared = prepare_metric(open_store(province[0]), "facility_coverage", CODES[0],
                              {"kind": "park"}, year=YEAR)
    with pytest.raises(ValueError, match="park_coverage"):
        tiled_park_coverage(prepared)


def test_park_tile_is_pure(province: tuple[Path, Path]) -> None:
    prepared = prepare_metric(open_store(province[0]), "park_coverage", CODES[0], year=YEAR)
    tile = park_tiles(prepared.frames["residential_land"], prepared.frames["park"],
                      rule=get_rule("gbt51346_2019"), tile_m=1000.0,
                      buildings=prepared.frames["building"],
                      district=prepared.context.district)[0]
    before = tile.land.copy()
    first, second = park_tile(tile), park_tile(tile)
    assert first.covered_m2.tolist() == second.covered_m2.tolist()
    assert tile.land.equals(before)


def test_metric_many_on_threads_equals_run_metric(province: tuple[Path, Path]) -> None:
    store = open_store(province[0])
    with cluster_client(workers=2, processes=False) as client:
        many = metric_many(client, province[0], "park_coverage", list(CODES), year=YEAR)
    for code, outcome in zip(CODES, many, strict=True):
        single = run_metric(store, "park_coverage", code, year=YEAR)
        # Every figure, parameter, per-unit row and lineage entry, serialised.
        assert json.dumps(outcome.to_dict()) == json.dumps(single.to_dict())
        assert outcome.result.layers == {}


@pytest.mark.slow
def test_metric_many_on_processes_partitions_and_tiles(province: tuple[Path, Path]) -> None:
    store = open_store(province[0])
    with cluster_client(workers=2, processes=True) as client:
        parts = metric_many(client, province[1], "park_coverage", list(CODES),
                            {"weight": "buildings"}, year=YEAR)
        tiled = metric_many(client, province[0], "park_coverage", list(CODES),
                            {"weight": "population"}, year=YEAR, tile_above=550, tile_m=700.0)
    for code, outcome in zip(CODES, parts, strict=True):
        single = run_metric(store, "park_coverage", code, {"weight": "buildings"}, year=YEAR)
        assert _figures(outcome) == _figures(single)
    # Buildings of each district: 512, 584, 496: the middle one alone is cut into tiles.
    assert [o.result.details.get("tiled", False) for o in tiled] == [False, True, False]
    assert tiled[1].result.details["tiles"] > 1
    for code, outcome in zip(CODES, tiled, strict=True):
        single = run_metric(store, "park_coverage", code, {"weight": "population"}, year=YEAR)
        assert _figures(outcome) == _figures(single)


@pytest.mark.slow
def test_audit_many_equals_audit_district(tmp_path: Path) -> None:
    from tanmap.layers.audit import audit_district
    from tanmap.layers.demo import load_demo

    store = open_store(tmp_path / "demo.gpkg", create=True)
    codes = ["120101", "120104"]
    load_demo(store, codes)
    with cluster_client(workers=2, processes=True) as client:
        cards = audit_many(client, tmp_path / "demo.gpkg", codes, year=YEAR)
    for code, card in zip(codes, cards, strict=True):
        single = audit_district(store, code, year=YEAR)
        assert [r.to_dict() for r in card.rows] == [r.to_dict() for r in single.rows]
        assert [u.to_dict() for u in card.unit_rows] == [u.to_dict() for u in single.unit_rows]


def test_partitions_refuse_bad_input(province: tuple[Path, Path], tmp_path: Path) -> None:
    from tanmap.geo.errors import UnknownDistrictError

    with pytest.raises(FileNotFoundError, match="not a partitioned dataset"):
        GeoParquetPartitions(tmp_path)
    parts = GeoParquetPartitions(f"parquet:{province[1]}")
    with pytest.raises(UnknownDistrictError, match="999999"):
        parts.district("999999")
    twice = parts.districts().iloc[[0, 0]]
    with pytest.raises(ValueError, match="repeated adcode"):
        write_districts(tmp_path, twice)
    assert parts.read("park", district="999999").empty
    # Workers get the location, not the cached tables.
    import pickle

    assert pickle.loads(pickle.dumps(parts)).root == parts.root
