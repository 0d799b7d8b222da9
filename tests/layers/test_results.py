"""Result layers of a metric run: hand-checkable gaps and failing units, exported in 3 formats."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point, box

from tanmap.geo.errors import LayerNotFoundError
from tanmap.layers.results import FAILING_UNITS, UNITS, export_result_layer, result_layers
from tanmap.layers.runner import run_metric
from tanmap.layers.store import GeoPackageStore, open_store

CODE = "T01"
EPSG = 4548
#: The district: the 1 km square [X0, X0 + 1000] x [Y0, Y0 + 1000] in EPSG:4548 metres.
X0, Y0 = 500_000.0, 4_330_000.0
#: Quarter of a 500 m disc: what one station at a corner serves inside the square.
QUARTER_DISC_M2 = math.pi * 500.0**2 / 4


def metres(geoms: list, **columns: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=EPSG).to_crs(4326)


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    """The square district, split into two 街道 (west W, east E) with one community each;
    one public charging station at the south-west corner; one recycling point in W only."""
    s = open_store(tmp_path / "r.gpkg", create=True)
    assert isinstance(s, GeoPackageStore)
    s.put_district(metres([box(X0, Y0, X0 + 1000, Y0 + 1000)], adcode=[CODE], name=["试验区"],
                          planning_epsg=[EPSG]))
    halves = [box(X0, Y0, X0 + 500, Y0 + 1000), box(X0 + 500, Y0, X0 + 1000, Y0 + 1000)]
    s.write("subdistrict", metres(halves, id=["W", "E"], name=["西街道", "东街道"]), district=CODE)
    s.write("community", metres(halves, id=["CW", "CE"], name=["西社区", "东社区"],
                                subdistrict=["W", "E"]), district=CODE)
    s.write("charging_station", metres([Point(X0, Y0)], id=["S1"], access=["public"]),
            district=CODE)
    s.write("recycling_point", metres([Point(X0 + 250, Y0 + 500)], id=["R1"]), district=CODE)
    return s


def test_charging_gap_is_the_square_minus_a_quarter_disc(store: GeoPackageStore) -> None:
    outcome = run_metric(store, "charging_service_radius", CODE, {"radius_m": 500})
    layers = result_layers(store, outcome)
    assert {"gaps", "service_areas", UNITS} <= set(layers)
    gap_m2 = float(layers["gaps"].to_crs(EPSG).area.sum())
    served_m2 = float(layers["service_areas"].to_crs(EPSG).area.sum())
    assert gap_m2 == pytest.approx(1_000_000 - QUARTER_DISC_M2, rel=1e-3)
    assert served_m2 == pytest.approx(QUARTER_DISC_M2, rel=1e-3)
    assert layers["gaps"].crs.to_epsg() == 4326
    assert list(layers["gaps"]["metric"]) == ["charging_service_radius"]
    units = layers[UNITS].set_index("unit_id")
    # The quarter disc lies in the west half: W is ~39 % served, E not at all.
    assert units.loc["W", "share"] == pytest.approx(QUARTER_DISC_M2 / 500_000, rel=1e-3)
    assert units.loc["E", "share"] == pytest.approx(0.0, abs=1e-9)


def test_failing_units_are_the_units_without_a_point(store: GeoPackageStore) -> None:
    outcome = run_metric(store, "per_unit_min_count", CODE,
                         {"kind": "recycling_point", "unit_kind": "community", "min_count": 1})
    layers = result_layers(store, outcome)
    assert sorted(layers[UNITS]["unit_id"]) == ["CE", "CW"]
    failing = layers[FAILING_UNITS]
    assert list(failing["unit_id"]) == ["CE"]
    assert list(failing["unit_name"]) == ["东社区"]
    assert float(failing.to_crs(EPSG).area.iloc[0]) == pytest.approx(500_000, rel=1e-6)
    assert failing.columns[-1] == "geometry"


@pytest.mark.parametrize(("fmt", "suffix"), [("geojson", ".geojson"), ("gpkg", ".gpkg"),
                                             ("shp", ".zip")])
def test_export_writes_each_format(store: GeoPackageStore, tmp_path: Path, fmt: str,
                                   suffix: str) -> None:
    outcome = run_metric(store, "per_unit_min_count", CODE,
                         {"kind": "recycling_point", "unit_kind": "community"})
    path = tmp_path / f"failing{suffix}"
    opts = {"crs": "EPSG:4548"} if fmt != "geojson" else {}
    frame, _ = export_result_layer(store, outcome, FAILING_UNITS, path, fmt, **opts)
    assert len(frame) == 1
    if fmt == "shp":
        with zipfile.ZipFile(path) as zf:
            assert any(n.endswith(".shp") for n in zf.namelist())
        back = gpd.read_file(f"zip://{path}")
    else:
        back = gpd.read_file(path)
    if fmt == "gpkg":
        assert [name for name, _ in pyogrio.list_layers(path)] == [
            "per_unit_min_count_failing_units"]
    assert list(back["unit_id"]) == ["CE"]
    assert back.crs.to_epsg() == (4326 if fmt == "geojson" else 4548)
    # GeoJSON keeps 7 decimals (~1 cm): up to ~10 m² on a 500 m x 1000 m rectangle.
    rel = 2e-5 if fmt == "geojson" else 1e-6
    assert float(back.to_crs(EPSG).area.iloc[0]) == pytest.approx(500_000, rel=rel)


def test_unknown_result_layer_lists_the_ones_there_are(store: GeoPackageStore,
                                                       tmp_path: Path) -> None:
    outcome = run_metric(store, "charging_service_radius", CODE, {"radius_m": 500})
    with pytest.raises(LayerNotFoundError,
                       match=r"has no result layer 'gapz'; it has: gaps \(1\), service_areas"):
        export_result_layer(store, outcome, "gapz", tmp_path / "x.geojson", "geojson")
