"""Raster layers: import -> store (COG, versioned) -> zonal statistics -> export -> delete.

The store: district 120199 (EPSG:4548, local metres from (X0, Y0)); 街道 W = [0, 20] x [0, 40]
and E = [20, 40] x [0, 40]; eco zone Z = [15, 25] x [0, 10] (level 1). The land-cover raster
has 10 m cells over [0, 40] x [0, 40], codes by row from the north:
    10 10 80 80
    10 10 80 80
    40 40 50 50
    40 40 50 50
so W holds 400 m² forest (10) and 400 m² farmland (40), E 400 m² water (80) and 400 m² built
(50), and Z half a farmland cell and half a built cell: 50 m² each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from tanmap.geo.errors import DataFormatError, LayerNotFoundError, MissingCRSError
from tanmap.layers.raster.rasters import (
    delete_raster,
    eco_shares,
    export_raster,
    import_raster,
    raster_history,
    raster_versions,
    zonal_stats,
)
from tanmap.layers.store import GeoPackageStore, open_store
from tests.layers.test_runner import ADCODE, EPSG, X0, Y0, metre_frame

if TYPE_CHECKING:
    from pathlib import Path

def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """North-up transform (rasterio's from_origin warns under the installed affine)."""
    return Affine(xsize, 0, west, 0, -ysize, north)


CODES = np.array([[10, 10, 80, 80], [10, 10, 80, 80], [40, 40, 50, 50], [40, 40, 50, 50]],
                 dtype=np.uint8)


def _tif(path: Path, data: np.ndarray, *, crs: str | None, transform: object,
         nodata: float | None = None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype, crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    """The district, its two 街道 and one eco zone (module docstring)."""
    store = open_store(tmp_path / "t.gpkg", create=True)
    store.put_district(metre_frame(
        [{"adcode": ADCODE, "name": "测试区", "planning_epsg": EPSG}], [box(0, 0, 1000, 1000)]))
    store.write("subdistrict", metre_frame(
        [{"id": "W", "name": "西街道"}, {"id": "E", "name": "东街道"}],
        [box(0, 0, 20, 40), box(20, 0, 40, 40)]), district=ADCODE, source="test")
    store.write("eco_zone", metre_frame(
        [{"id": "Z", "name": "一级区", "control_level": 1}], [box(15, 0, 25, 10)]),
        district=ADCODE, source="test")
    return store


@pytest.fixture
def land_cover(tmp_path: Path) -> Path:
    """The 4 x 4 land-cover raster of the module docstring (EPSG:4548)."""
    return _tif(tmp_path / "lc.tif", CODES, crs=f"EPSG:{EPSG}",
                transform=from_origin(X0, Y0 + 40, 10, 10))


def test_round_trip_import_zonal_export_delete(store: GeoPackageStore, land_cover: Path,
                                               tmp_path: Path) -> None:
    v1 = import_raster(store, "land_cover", ADCODE, land_cover, source="手绘测试栅格")
    assert (v1.version, v1.width, v1.height, v1.dtype, v1.source) == (
        1, 4, 4, "uint8", "手绘测试栅格")
    assert v1.crs == f"EPSG:{EPSG}"
    with rasterio.open(tmp_path / "t.gpkg.rasters" / v1.file) as cog:
        assert cog.profile["driver"] == "GTiff"
        assert cog.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"

    by_street = zonal_stats(store, "land_cover", ADCODE).set_index("zone_id")
    assert by_street.loc["W", ["farmland", "forest"]].tolist() == pytest.approx([400.0, 400.0])
    assert by_street.loc["E", ["built", "water"]].tolist() == pytest.approx([400.0, 400.0])
    assert by_street.loc["W", "water"] == 0.0
    eco = zonal_stats(store, "land_cover", ADCODE, by="eco_zone").set_index("zone_id")
    assert eco.loc["Z", ["built", "farmland"]].tolist() == pytest.approx([50.0, 50.0])
    assert eco.loc["Z", "control_level"] == 1

    out = export_raster(store, "land_cover", ADCODE, tmp_path / "out" / "lc.tif")
    with rasterio.open(out) as back:
        assert (back.read(1) == CODES).all()
        assert back.crs.to_epsg() == EPSG

    v2 = import_raster(store, "land_cover", ADCODE, land_cover)
    assert v2.version == 2
    gone = delete_raster(store, "land_cover", ADCODE)
    assert (gone.version, gone.deleted) == (3, True)
    assert raster_versions(store, ADCODE) == []
    assert [v.version for v in raster_history(store, "land_cover", ADCODE)] == [1, 2, 3]
    with pytest.raises(LayerNotFoundError, match="has no land_cover raster"):
        zonal_stats(store, "land_cover", ADCODE)


def test_irradiation_in_degrees_is_warped_for_statistics(store: GeoPackageStore,
                                                         tmp_path: Path) -> None:
    """A uniform 1,300 kWh/m² raster in EPSG:4326 covering the district: every mean is 1300."""
    import pyproj

    lon, lat = pyproj.Transformer.from_crs(EPSG, 4326, always_xy=True).transform(X0, Y0)
    data = np.full((20, 20), 1300.0, dtype=np.float32)
    path = _tif(tmp_path / "irr.tif", data, crs="EPSG:4326",
                transform=from_origin(lon - 0.001, lat + 0.002, 0.0002, 0.0002))
    import_raster(store, "irradiation", ADCODE, path)
    stats = zonal_stats(store, "irradiation", ADCODE).set_index("zone_id")
    assert stats["mean"].tolist() == pytest.approx([1300.0, 1300.0])
    assert stats.loc["W", "min"] == pytest.approx(1300.0)


def test_bad_rasters_are_refused_and_nothing_is_stored(store: GeoPackageStore,
                                                       tmp_path: Path) -> None:
    no_crs = _tif(tmp_path / "nocrs.tif", CODES, crs=None, transform=from_origin(0, 40, 10, 10))
    with pytest.raises(MissingCRSError, match="has no CRS; tanmap does not guess"):
        import_raster(store, "land_cover", ADCODE, no_crs)
    floats = _tif(tmp_path / "f.tif", CODES.astype(np.float32), crs=f"EPSG:{EPSG}",
                  transform=from_origin(X0, Y0 + 40, 10, 10))
    with pytest.raises(DataFormatError, match="class codes are integers"):
        import_raster(store, "land_cover", ADCODE, floats)
    text = tmp_path / "x.tif"
    text.write_text("not a raster", encoding="utf-8")
    with pytest.raises(DataFormatError, match="not a raster GDAL can read"):
        import_raster(store, "elevation", ADCODE, text)
    with pytest.raises(ValueError, match="unknown raster kind 'forest'"):
        import_raster(store, "forest", ADCODE, text)
    assert raster_versions(store) == []
    with pytest.raises(DataFormatError, match=r"name it \.tif"):
        export_raster(store, "land_cover", ADCODE, tmp_path / "x.png")


def test_eco_shares_from_the_stored_raster(store: GeoPackageStore, land_cover: Path) -> None:
    """Whole district 1,000,000 m²: 400 m² forest, 800 m² blue-green (forest + water); eco zone
    Z (100 m²): 50 m² farmland, so 50 % blue-green only when farmland counts."""
    import_raster(store, "land_cover", ADCODE, land_cover)
    table = eco_shares(store, ADCODE)
    assert table.loc["district", "zone_area_m2"] == pytest.approx(1_000_000.0)
    assert table.loc["district", "forest_share"] == pytest.approx(400 / 1_000_000)
    assert table.loc["district", "blue_green_share"] == pytest.approx(800 / 1_000_000)
    assert table.loc["level_1", "blue_green_share"] == pytest.approx(0.0)
    farm = eco_shares(store, ADCODE, count_farmland=True)
    assert farm.loc["level_1", "blue_green_share"] == pytest.approx(0.5)


@pytest.mark.parametrize("crs", ["projected", "degrees"])
def test_raster_image_is_placed_in_wgs84(store: GeoPackageStore, tmp_path: Path,
                                         land_cover: Path, crs: str) -> None:
    """The 40 m land-cover square (EPSG:4548) and a 0.001° square in EPSG:4326: the image's
    WGS84 bounds are the raster's own corners (within 1 m); every class has its colour."""
    import pyproj

    from tanmap.layers.raster.rasters import WORLDCOVER_COLORS, raster_image

    to_ll = pyproj.Transformer.from_crs(EPSG, 4326, always_xy=True)
    if crs == "projected":
        path = land_cover
        west, south = to_ll.transform(X0, Y0)
        east, north = to_ll.transform(X0 + 40, Y0 + 40)
    else:
        west, north = to_ll.transform(X0, Y0 + 40)
        east, south = west + 0.001, north - 0.001
        path = _tif(tmp_path / "ll.tif", np.kron(CODES, np.ones((5, 5), dtype=np.uint8)),
                    crs="EPSG:4326", transform=from_origin(west, north, 0.00005, 0.00005))
    import_raster(store, "land_cover", ADCODE, path)
    image = raster_image(store, "land_cover", ADCODE)
    geod = pyproj.Geod(ellps="WGS84")
    for (x0, y0), (x1, y1) in [((image.bounds[0], image.bounds[1]), (west, south)),
                               ((image.bounds[2], image.bounds[3]), (east, north))]:
        assert geod.inv(x0, y0, x1, y1)[2] < 1.0
    assert [c for c, _ in image.legend] == [WORLDCOVER_COLORS[k] for k in (10, 40, 50, 80)]
    assert image.rgba.shape[2] == 4
    # North-west pixel: forest (dark green); south-east: built (red).
    assert tuple(image.rgba[0, 0]) == (0, 100, 0, 255)
    assert tuple(image.rgba[-1, -1]) == (250, 0, 0, 255)


def test_pv_potential_samples_the_stored_irradiation_raster(store: GeoPackageStore,
                                                            tmp_path: Path) -> None:
    """One 10 m x 10 m 党政机关 roof under a uniform 1,300 kWh/m² raster (EPSG:4548): 50 m²
    usable x 0.12 kWp/m² = 6 kWp; 6 x 1,300 x 0.8 = 6,240 kWh a year."""
    from tanmap.layers.runner import run_metric

    store.write("building", metre_frame(
        [{"id": "g", "use_category": "party_gov"}], [box(100, 100, 110, 110)]),
        district=ADCODE, source="test")
    # clear_sky: the rest of the roofs must not depend on the bundled climatology
    params = {"irradiation_raster": True, "irradiation": "clear_sky"}
    missing = run_metric(store, "pv_potential", ADCODE, params, year=2025).result
    assert missing.missing == ("raster:irradiation",)
    path = _tif(tmp_path / "irr.tif", np.full((30, 30), 1300.0, dtype=np.float32),
                crs=f"EPSG:{EPSG}", transform=from_origin(X0, Y0 + 300, 10, 10))
    import_raster(store, "irradiation", ADCODE, path, source="测试辐照")
    res = run_metric(store, "pv_potential", ADCODE, params, year=2025).result
    assert res.value == pytest.approx(6.0)
    assert res.details["annual_yield_kwh"] == pytest.approx(6240.0)
    assert res.details["irradiation_source"] == "stored irradiation raster v1, 测试辐照"
    assert res.details["yield_basis"].startswith(
        "irradiation raster (stored irradiation raster v1, 测试辐照) for 1 building(s) (PR 0.8)")
    assert res.details["clear_sky_kwh_per_kwp"] > 1300 * 0.8
