"""The walking-network layer: a road file noded into the store, topology, access points."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point, box

from tanmap.geo.errors import DataFormatError, GeographicCRSError
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import geopackage as store_mod
from tanmap.layers.store import open_store
from tanmap.layers.walk_network import (
    access_points_frame,
    import_walk_network,
    network_arrays,
    network_from_lines,
    stored_topology,
)
from tests.osm_builder import DISTRICT_CODE, EPSG, ORIGIN_X_M, ORIGIN_Y_M, district_row

X0, Y0 = ORIGIN_X_M, ORIGIN_Y_M


def _roads() -> gpd.GeoDataFrame:
    """A river at y 400-600 with one bridge at x 800; a cross street; a gap of 0.4 m; an island."""
    lines = [
        LineString([(X0, Y0 + 700), (X0 + 900, Y0 + 700)]),     # north bank street
        LineString([(X0, Y0 + 300), (X0 + 900, Y0 + 300)]),     # south bank street
        LineString([(X0 + 800, Y0 + 300), (X0 + 800, Y0 + 700)]),  # the bridge (ends on both)
        LineString([(X0 + 100, Y0 + 100), (X0 + 100, Y0 + 299.6)]),  # 0.4 m short of the street
        LineString([(X0 + 500, Y0 + 900), (X0 + 560, Y0 + 900)]),   # an island path
        LineString([(X0 + 300, Y0 + 650), (X0 + 300, Y0 + 750)]),   # crosses the north street
    ]
    return gpd.GeoDataFrame(
        {"道路名称": ["北滨路", "南滨路", "大桥", "支路", "园路", "横街"],
         "可步行": ["是", "是", "是", "是", "是", "否"]},
        geometry=lines, crs=EPSG,
    )


@pytest.fixture
def store(tmp_path: Path) -> store_mod.GeoPackageStore:
    s = open_store(tmp_path / "store.gpkg", create=True)
    s.put_district(district_row())
    assert isinstance(s, store_mod.GeoPackageStore)
    return s


def test_road_file_is_noded_with_a_topology_report() -> None:
    build = network_from_lines(_roads(), snap_tolerance_m=1.0, source="roads.shp")
    edges = build.edges
    # North street split at the cross street (300) and the bridge (800): 3 pieces; south
    # street split at the snapped side street (100) and the bridge: 3 pieces.
    assert sorted(edges.loc[edges["name"] == "北滨路", "length_m"].round(6)) == [100, 300, 500]
    assert sorted(edges.loc[edges["name"] == "南滨路", "length_m"].round(6)) == [100, 100, 700]
    assert edges.loc[edges["name"] == "横街", "walkable"].tolist() == [False, False]
    r = build.report
    assert (r.snapped, r.snap_tolerance_m) == (1, 1.0)
    assert r.n_components == 2
    assert r.disconnected_length_m == pytest.approx(60.0)
    # Dangles: both ends of the two streets, the side street's far end, the island's two ends.
    assert r.dangles == 7
    assert r.total_length_m == pytest.approx(900 + 900 + 400 + 200 + 60)


def test_without_snapping_the_side_street_is_an_island() -> None:
    r = network_from_lines(_roads(), snap_tolerance_m=0.1).report
    assert (r.snapped, r.n_components) == (0, 3)
    assert r.disconnected_length_m == pytest.approx(60.0 + 199.6)


def test_import_writes_a_versioned_layer_and_reads_back(store, tmp_path: Path) -> None:
    path = tmp_path / "roads.shp"
    _roads().to_file(path, encoding="gbk")
    build, version = import_walk_network(store, path, DISTRICT_CODE, snap_tolerance_m=1.0)
    assert version is not None
    assert version.version == 1
    assert version.n_features == len(build.edges) == 11
    stored = store.read(LayerKind.WALK_NETWORK, district=DISTRICT_CODE).to_crs(EPSG)
    assert set(stored["name"]) == {"北滨路", "南滨路", "大桥", "支路", "园路", "横街"}
    topo = stored_topology(stored)
    assert (topo.n_components, topo.dangles) == (2, 7)
    assert topo.disconnected_length_m == pytest.approx(60.0, abs=1e-3)
    _, again = import_walk_network(store, path, DISTRICT_CODE, dry_run=True)
    assert again is None
    assert store.version(LayerKind.WALK_NETWORK, DISTRICT_CODE).version == 1


def test_bad_walkable_value_names_file_row_and_fix() -> None:
    roads = _roads()
    roads.loc[2, "可步行"] = "maybe"
    with pytest.raises(DataFormatError, match=r"roads.shp row 3 field walkable: .*'maybe'"):
        network_from_lines(roads, source="roads.shp")


def test_degrees_and_no_lines_are_refused() -> None:
    with pytest.raises(GeographicCRSError):
        network_from_lines(_roads().to_crs(4326))
    points = gpd.GeoDataFrame(geometry=[Point(X0, Y0)], crs=EPSG)
    with pytest.raises(DataFormatError, match="no line geometry"):
        network_from_lines(points, source="pts.geojson")


def test_access_points_record_their_origin() -> None:
    edges = network_from_lines(_roads(), snap_tolerance_m=1.0).edges
    parks = gpd.GeoDataFrame(
        {"id": ["P1", "P2", "P3"]},
        geometry=[box(X0 + 350, Y0 + 720, X0 + 450, Y0 + 800),   # gate on the north street
                  box(X0 + 600, Y0 + 250, X0 + 700, Y0 + 350),   # the south street crosses it
                  box(X0 + 100, Y0 + 820, X0 + 150, Y0 + 860)],  # no path: nearest point
        crs=EPSG,
    )
    entrances = gpd.GeoDataFrame({"id": ["G1"], "park_id": [None]},
                                 geometry=[Point(X0 + 400, Y0 + 720)], crs=EPSG)
    ap = access_points_frame(parks, edges, entrances)
    assert list(zip(ap["park_id"], ap["origin"], ap["entrance_id"].fillna("-"), strict=True)) == [
        ("P1", "entrance", "G1"), ("P2", "boundary_crossing", "-"),
        ("P2", "boundary_crossing", "-"), ("P3", "nearest_network", "-")]
    assert ap["gap_m"].round(6).tolist() == [20.0, 0.0, 0.0, 120.0]
    assert ap["origin_zh"].tolist()[-1] == "最近路网点"
    # The cross street is not walkable: not in the graph at all.
    arrays = network_arrays(edges)
    assert len(arrays.lines) == 9
    assert np.isin(edges["name"].to_numpy()[arrays.rows],
                                               ["横街"]).sum() == 0
