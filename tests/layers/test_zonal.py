"""Raster zonal statistics: a 4 x 4 land-cover raster agrees with the equivalent polygons."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely.geometry import Point, box

from tanmap.geo.eco import METRIC_DEFS as ECO_DEFS
from tanmap.geo.eco import class_areas_m2
from tanmap.geo.errors import GeographicCRSError, MissingCRSError
from tanmap.geo.metric import MetricContext
from tanmap.geo.pv import IRRADIATION_COLUMN
from tanmap.geo.pv import METRIC_DEFS as PV_DEFS
from tanmap.layers.raster.zonal import (
    WORLDCOVER_CLASSES,
    eco_shares_from_raster,
    raster_class_areas_m2,
    sample_irradiation_kwh_m2,
    with_irradiation,
)

if TYPE_CHECKING:
    from pathlib import Path

CRS = 4548
X0, Y0, CELL = 500_000.0, 4_330_040.0, 10.0  # top-left corner, 10 m cells: 40 x 40 m

#: WorldCover codes, rows top to bottom: 80 water, 10 tree, 40 crop, 50 built, 30 grass.
CODES = np.array([
    [80, 80, 10, 10],
    [80, 10, 10, 40],
    [30, 30, 40, 40],
    [50, 50, 50, 0],   # the last cell is nodata
], dtype="uint8")


def write_raster(path: Path, data: np.ndarray, crs: object = CRS, nodata: float | None = 0):
    """Write ``data`` as a north-up GeoTIFF with 10 m cells from (X0, Y0)."""
    with rasterio.open(path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1],
                       count=1, dtype=data.dtype, crs=crs, nodata=nodata,
                       transform=Affine(CELL, 0, X0, 0, -CELL, Y0)) as dst:
        dst.write(data, 1)
    return path


def cell_polygons(data: np.ndarray) -> gpd.GeoDataFrame:
    """The raster as one square polygon per valid cell, with its cover class."""
    rows = []
    for r in range(data.shape[0]):
        for c in range(data.shape[1]):
            if data[r, c] == 0:
                continue
            x, y = X0 + c * CELL, Y0 - (r + 1) * CELL
            rows.append((WORLDCOVER_CLASSES[int(data[r, c])], box(x, y, x + CELL, y + CELL)))
    return gpd.GeoDataFrame({"cover_class": [r[0] for r in rows]},
                            geometry=[r[1] for r in rows], crs=CRS)


@pytest.fixture
def land_raster(tmp_path) -> Path:
    """4 x 4 land-cover raster (CODES) in EPSG:4548."""
    return write_raster(tmp_path / "cover.tif", CODES)


@pytest.fixture
def eco_zones() -> gpd.GeoDataFrame:
    """一级: the top-left 25 x 25 m (cuts cells in half); 二级: the bottom 40 x 10 m row."""
    return gpd.GeoDataFrame(
        {"control_level": [1, 2]},
        geometry=[box(X0, Y0 - 25, X0 + 25, Y0), box(X0, Y0 - 40, X0 + 40, Y0 - 30)], crs=CRS)


def test_class_areas_by_exact_cell_fractions(land_raster, eco_zones):
    """Zone 1 covers 2.5 x 2.5 cells (625 m²).

    Row 0: water 2 cells, forest 0.5; row 1: water 1, forest 1.5; half of row 2: grass 2 x 0.5,
    farmland 0.25 x 1 cell. Zone 2 is the bottom row: 3 built cells, then the nodata cell.
    """
    areas = raster_class_areas_m2(eco_zones, land_raster)
    assert areas.loc[0].to_dict() == pytest.approx(
        {"built": 0.0, "farmland": 25.0, "forest": 200.0, "grass": 100.0, "water": 300.0})
    assert areas.loc[1].to_dict() == pytest.approx(
        {"built": 300.0, "farmland": 0.0, "forest": 0.0, "grass": 0.0, "water": 0.0})


def test_raster_and_polygon_paths_agree(land_raster, eco_zones):
    raster = raster_class_areas_m2(eco_zones, land_raster)
    polygons = class_areas_m2(eco_zones.geometry, cell_polygons(CODES))
    assert raster.to_dict("records") == [pytest.approx(r) for r in polygons.to_dict("records")]


def test_eco_shares_agree_with_the_polygon_metric(land_raster, eco_zones):
    shares = eco_shares_from_raster(eco_zones, land_raster)
    metric = next(d for d in ECO_DEFS if d.name == "blue_green_share")
    context = MetricContext(adcode="120110", district=box(X0 - 1, Y0 - 41, X0 + 41, Y0 + 1),
                            planning_epsg=CRS, audit_year=2025)
    polygon = metric.compute({"eco_zone": eco_zones, "land_cover": cell_polygons(CODES)},
                             metric.params(), context)
    assert shares.loc["level_1", "blue_green_share"] == pytest.approx(600 / 625)  # not farmland
    assert shares.loc["level_2", "blue_green_share"] == pytest.approx(0.0)  # built + nodata
    assert shares.loc["level_1", "forest_share"] == pytest.approx(200 / 625)
    for level in ("all", "level_1", "level_2"):
        assert shares.loc[level, "blue_green_share"] == pytest.approx(
            polygon.details["share_by_level"][level])


def test_farmland_switch_on_the_raster_path(land_raster):
    zone = gpd.GeoDataFrame({"control_level": [1]}, geometry=[box(X0 + 30, Y0 - 30, X0 + 40,
                                                                   Y0 - 10)], crs=CRS)
    assert eco_shares_from_raster(zone, land_raster).loc["all", "blue_green_share"] == 0.0
    assert eco_shares_from_raster(zone, land_raster, count_farmland=True).loc[
        "all", "blue_green_share"] == pytest.approx(1.0)


def test_unmapped_codes_are_kept_visible(tmp_path, eco_zones):
    path = write_raster(tmp_path / "odd.tif", np.full((4, 4), 77, dtype="uint8"))
    areas = raster_class_areas_m2(eco_zones.iloc[[1]], path)
    assert areas.columns.tolist() == ["unmapped:77"]
    assert areas.iloc[0, 0] == pytest.approx(400.0)


def test_zones_in_another_crs_are_reprojected(land_raster, eco_zones):
    lonlat = eco_zones.to_crs(4490)
    areas = raster_class_areas_m2(lonlat, land_raster)
    assert areas.loc[1, "built"] == pytest.approx(300.0, rel=1e-6)


def test_degree_raster_is_rejected_with_the_real_remedies(tmp_path, eco_zones):
    path = write_raster(tmp_path / "deg.tif", CODES, crs=4326)
    with pytest.raises(GeographicCRSError, match="degrees") as info:
        raster_class_areas_m2(eco_zones, path)
    text = str(info.value)
    assert "to_crs(" not in text  # rasters have no to_crs
    assert "A raster has no to_crs: reproject the file, e.g. `gdalwarp -t_srs EPSG:4548 -r near " \
           "in.tif out.tif`" in text
    assert "rasterio.warp.reproject" in text
    assert "target_crs='EPSG:4548'" in text


def test_degree_raster_is_warped_with_target_crs(tmp_path):
    """A 40 x 40 raster of 0.0001° cells (8.6 m x 11.1 m at 39.1°N) in EPSG:4326: water in the
    west half, tree cover in the east half. A 200 m square zone centred on the split, warped
    to EPSG:4548 in memory (nearest neighbour), gets each class's share of the exact overlay
    within one cell width along the 200 m split line (8.7 m x 200 m = 1,740 m²)."""
    lon0, lat0, cell_deg = 117.0, 39.1, 0.0001
    data = np.full((40, 40), 80, dtype="uint8")
    data[:, 20:] = 10
    path = tmp_path / "deg.tif"
    with rasterio.open(path, "w", driver="GTiff", height=40, width=40, count=1, dtype="uint8",
                       crs=4326, nodata=0,
                       transform=Affine(cell_deg, 0, lon0, 0, -cell_deg, lat0)) as dst:
        dst.write(data, 1)
    split = lon0 + 20 * cell_deg
    west = gpd.GeoSeries([box(lon0, lat0 - 0.004, split, lat0)], crs=4326).to_crs(CRS).iloc[0]
    centre = gpd.GeoSeries([Point(split, lat0 - 0.002)], crs=4326).to_crs(CRS).iloc[0]
    zone = gpd.GeoSeries([centre.buffer(100, cap_style="square")], crs=CRS)
    areas = raster_class_areas_m2(zone, path, target_crs="EPSG:4548")
    exact_water = zone.iloc[0].intersection(west).area
    assert exact_water == pytest.approx(20_000, rel=0.01)
    assert areas.loc[0, "water"] == pytest.approx(exact_water, abs=1_740)
    assert areas.loc[0, "water"] + areas.loc[0, "forest"] == pytest.approx(40_000, rel=1e-6)


def test_raster_without_crs_is_rejected(tmp_path, eco_zones):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", height=4, width=4, count=1, dtype="uint8",
                       transform=Affine(CELL, 0, X0, 0, -CELL, Y0)) as dst:
        dst.write(CODES, 1)
    with pytest.raises(MissingCRSError, match="has no CRS; tanmap does not guess one"):
        raster_class_areas_m2(eco_zones, path)


def test_zones_without_crs_are_rejected(land_raster):
    with pytest.raises(MissingCRSError, match="zones have no CRS"):
        raster_class_areas_m2(gpd.GeoSeries([box(X0, Y0 - 10, X0 + 10, Y0)]), land_raster)


# ------------------------------------------------------------------ irradiation


@pytest.fixture
def irradiation_raster(tmp_path) -> Path:
    """Annual kWh/m²: 1000 in the left half, 1600 in the right half, NaN bottom-right cell."""
    data = np.array([[1000, 1000, 1600, 1600]] * 4, dtype="float32")
    data[3, 3] = np.nan
    return write_raster(tmp_path / "irr.tif", data, nodata=np.nan)


def test_sample_irradiation_per_building(irradiation_raster):
    buildings = gpd.GeoDataFrame(
        {"id": ["inside", "straddle", "outside", "nodata"]},
        geometry=[box(X0 + 1, Y0 - 9, X0 + 9, Y0 - 1),        # one 1000 cell
                  box(X0 + 15, Y0 - 10, X0 + 25, Y0),         # half 1000, half 1600
                  box(X0 + 100, Y0 - 10, X0 + 110, Y0),       # off the raster
                  box(X0 + 32, Y0 - 38, X0 + 38, Y0 - 32)],   # inside the NaN cell
        index=[10, 11, 12, 13], crs=CRS)
    values = sample_irradiation_kwh_m2(buildings, irradiation_raster)
    assert values.index.tolist() == [10, 11, 12, 13]
    assert values.iloc[:2].tolist() == pytest.approx([1000.0, 1300.0])
    assert values.iloc[2:].isna().all()


def test_degree_irradiation_raster_is_warped_with_target_crs(tmp_path):
    """A uniform 1500 kWh/m² raster in EPSG:4326: refused with the bilinear remedy, then read
    through target_crs, where a building inside it gets exactly 1500."""
    path = tmp_path / "ghi.tif"
    with rasterio.open(path, "w", driver="GTiff", height=20, width=20, count=1, dtype="float32",
                       crs=4326, transform=Affine(0.0001, 0, 117.0, 0, -0.0001, 39.1)) as dst:
        dst.write(np.full((20, 20), 1500.0, dtype="float32"), 1)
    centre = gpd.GeoSeries([Point(117.001, 39.099)], crs=4326).to_crs(CRS).iloc[0]
    buildings = gpd.GeoDataFrame(geometry=[centre.buffer(5, cap_style="square")], crs=CRS)
    with pytest.raises(GeographicCRSError, match=r"gdalwarp -t_srs EPSG:4548 -r bilinear"):
        sample_irradiation_kwh_m2(buildings, path)
    out = with_irradiation(buildings, path, target_crs=4548)
    assert out[IRRADIATION_COLUMN].tolist() == pytest.approx([1500.0])


def test_sampled_irradiation_feeds_pv_potential(irradiation_raster):
    """A 10 x 10 m party_gov roof in a 1600 cell: 50 m² x 0.12 = 6 kWp x 1600 x 0.8."""
    buildings = gpd.GeoDataFrame({"use_category": ["party_gov"]},
                                 geometry=[box(X0 + 30, Y0 - 10, X0 + 40, Y0)], crs=CRS)
    enriched = with_irradiation(buildings, irradiation_raster)
    assert enriched[IRRADIATION_COLUMN].tolist() == [1600.0]
    assert IRRADIATION_COLUMN not in buildings.columns
    metric = next(d for d in PV_DEFS if d.name == "pv_potential")
    context = MetricContext(adcode="120101", district=box(X0, Y0 - 40, X0 + 40, Y0),
                            planning_epsg=CRS, audit_year=2025)
    res = metric.compute({"building": enriched}, metric.params(), context)
    assert res.value == pytest.approx(6.0)
    assert res.details["annual_yield_kwh"] == pytest.approx(7680.0)
    assert res.details["yield_basis"].startswith("irradiation raster for 1 building")
