"""Raster zonal statistics (分区统计) by exact cell fractions: land-cover areas, irradiation."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from exactextract import exact_extract
from exactextract.raster import RasterioRasterSource
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT

from tanmap.geo.crs import parse_crs, require_projected
from tanmap.geo.eco import CONTROL_LEVELS, FOREST_CLASSES, blue_green_classes, class_share
from tanmap.geo.errors import GeographicCRSError, MissingCRSError
from tanmap.geo.pv import IRRADIATION_COLUMN

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rasterio.io import DatasetReader

__all__ = [
    "WORLDCOVER_CLASSES",
    "eco_shares_from_raster",
    "raster_class_areas_m2",
    "sample_irradiation_kwh_m2",
    "with_irradiation",
]

#: ESA WorldCover 2021 v200 legend -> tanmap land-cover classes (kinds.py ``cover_class``).
#: Tree cover (10) is "forest": WorldCover has no canopy-closure field, so the raster path cannot
#: apply the 郁闭度 >= 0.2 rule; state this when reporting 森林覆盖率 from a raster.
WORLDCOVER_CLASSES: Mapping[int, str] = {
    10: "forest",     # Tree cover
    20: "shrub",      # Shrubland
    30: "grass",      # Grassland
    40: "farmland",   # Cropland
    50: "built",      # Built-up
    60: "bare",       # Bare / sparse vegetation
    70: "other",      # Snow and ice
    80: "water",      # Permanent water bodies
    90: "wetland",    # Herbaceous wetland
    95: "wetland",    # Mangroves
    100: "other",     # Moss and lichen
}

RasterLike = str | Path | Any  # a path or an open rasterio dataset


def _open(stack: ExitStack, raster: RasterLike, target_crs: Any = None,
          resampling: Resampling = Resampling.nearest) -> DatasetReader:
    src = stack.enter_context(rasterio.open(raster)) if isinstance(raster, str | Path) else raster
    if target_crs is None:
        return src
    if src.crs is None:
        _check_raster(src, "input")  # raises MissingCRSError: nothing to warp from
    target = parse_crs(target_crs)
    require_projected(gpd.GeoSeries([], crs=target), what="target_crs")
    # An in-memory warp (GDAL VRT): no file is written; cells become square in metres.
    return stack.enter_context(WarpedVRT(src, crs=target.to_wkt(), resampling=resampling))


def _check_raster(src: DatasetReader, what: str) -> None:
    if src.crs is None:
        raise MissingCRSError(
            f"{what} raster {src.name!r} has no CRS; tanmap does not guess one. Assign it, e.g. "
            "`gdal_edit.py -a_srs EPSG:4548 file.tif`."
        )
    # Cell areas are only constant in a projected CRS in metres.
    try:
        require_projected(gpd.GeoSeries([], crs=src.crs.to_wkt()), what=f"{what} raster")
    except GeographicCRSError as err:
        method = ("near", "nearest neighbour keeps class codes") if what == "land-cover" else \
            ("bilinear", "bilinear suits continuous values")
        raise GeographicCRSError(
            f"{what} raster {src.name!r} is in {src.crs.to_string()}"
            f"{' (degrees)' if src.crs.is_geographic else ''}, not an equal-scale projected CRS "
            "in metres, so its cells differ in area. A raster has no to_crs: reproject the file, "
            f"e.g. `gdalwarp -t_srs EPSG:4548 -r {method[0]} in.tif out.tif` ({method[1]}; use "
            "the district's planning CRS) or rasterio.warp.reproject, or let tanmap warp it on "
            "the fly with target_crs='EPSG:4548'."
        ) from err
    if src.transform.b != 0 or src.transform.d != 0:
        raise ValueError(
            f"{what} raster {src.name!r} is rotated ({src.transform}); warp it to a north-up grid "
            "first (gdalwarp)."
        )


def _zones_in(zones: gpd.GeoDataFrame, src: DatasetReader) -> gpd.GeoDataFrame:
    if zones.crs is None:
        raise MissingCRSError("zones have no CRS; call .set_crs(<source CRS>) first.")
    frame = gpd.GeoDataFrame({"_pos": np.arange(len(zones))}, geometry=zones.geometry.to_numpy(),
                             crs=zones.crs)
    return frame.to_crs(src.crs.to_wkt())


def raster_class_areas_m2(
    zones: gpd.GeoDataFrame | gpd.GeoSeries,
    raster: RasterLike,
    *,
    class_codes: Mapping[int, str] = WORLDCOVER_CLASSES,
    band: int = 1,
    target_crs: Any = None,
) -> pd.DataFrame:
    """Return the area (m²) of each land-cover class inside each zone, from a class raster.

    中文：基于土地覆盖栅格的分区各地类面积（精确像元覆盖比例）。

    Cells are weighted by the exact fraction of their area inside the zone (exactextract), so
    the result equals the polygon overlay of the cell squares. Codes missing from
    ``class_codes`` are kept as ``"unmapped:<code>"`` columns; nodata cells are not counted.

    Parameters
    ----------
    zones
        Zone polygons in any CRS (reprojected to the raster's).
    raster
        Path of a single-band integer class raster in a projected CRS (metres), or an open
        rasterio dataset.
    class_codes
        Raster code -> class name (``cover_class`` values); default ESA WorldCover.
    band
        Band number (1-based).
    target_crs
        Warp the raster to this projected CRS first (in memory, nearest neighbour, which keeps
        the class codes), e.g. the district's planning CRS for a raster in EPSG:4326. Areas are
        then those of the warped cells, accurate to about one cell along class edges.

    Returns
    -------
    DataFrame
        Indexed like ``zones``; one column per class, m².

    Raises
    ------
    MissingCRSError
        If the raster or the zones have no CRS.
    GeographicCRSError
        If the raster is in degrees (cell areas would vary) and no ``target_crs`` is given;
        the message names the remedies (gdalwarp, rasterio, ``target_crs``).
    ValueError
        If the raster is rotated.
    """
    zones_gdf = zones if isinstance(zones, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=zones)
    with ExitStack() as stack:
        src = _open(stack, raster, target_crs)
        _check_raster(src, "land-cover")
        cell_m2 = abs(src.transform.a * src.transform.e)
        frame = _zones_in(zones_gdf, src)
        rows: list[dict[str, float]] = [{} for _ in range(len(frame))]
        if len(frame):
            stats = exact_extract(
                RasterioRasterSource(src, band_idx=band), frame,
                ["unique", "frac", "count"], include_cols=["_pos"], output="pandas",
            )
            for pos, codes, fracs, count in zip(stats["_pos"], stats["unique"], stats["frac"],
                                                stats["count"], strict=True):
                row = rows[int(pos)]
                for code, frac in zip(np.asarray(codes).tolist(), np.asarray(fracs).tolist(),
                                      strict=True):
                    cls = class_codes.get(int(code), f"unmapped:{int(code)}")
                    row[cls] = row.get(cls, 0.0) + float(frac) * float(count) * cell_m2
    table = pd.DataFrame(rows, index=zones_gdf.index).fillna(0.0)
    return table.reindex(columns=sorted(table.columns), fill_value=0.0)


def eco_shares_from_raster(
    eco_zones: gpd.GeoDataFrame,
    raster: RasterLike,
    *,
    class_codes: Mapping[int, str] = WORLDCOVER_CLASSES,
    count_farmland: bool = False,
    target_crs: Any = None,
) -> pd.DataFrame:
    """Return 蓝绿空间占比 and forest share per control level (and overall) from a class raster.

    中文：基于土地覆盖栅格计算各管控等级蓝绿空间占比与森林覆盖率。

    Zones are dissolved per ``control_level`` first, so overlaps count once. ``target_crs``
    warps a raster in degrees first (see :func:`raster_class_areas_m2`).

    Returns
    -------
    DataFrame
        Index ``"all"``, ``"level_1"``...; columns ``zone_area_m2``, ``blue_green_share``,
        ``forest_share`` and the class areas (m²).
    """
    levels = pd.to_numeric(eco_zones["control_level"], errors="coerce")
    names, geoms = ["all"], [eco_zones.geometry.union_all()]
    for lv in CONTROL_LEVELS:
        part = eco_zones.loc[(levels == lv).to_numpy()]
        if len(part):
            names.append(f"level_{lv}")
            geoms.append(part.geometry.union_all())
    zones = gpd.GeoSeries(geoms, index=names, crs=eco_zones.crs)
    areas = raster_class_areas_m2(zones, raster, class_codes=class_codes, target_crs=target_crs)
    require_projected(zones, what="eco zones")
    zone_m2 = zones.area
    classes = blue_green_classes(count_farmland=count_farmland)
    out = pd.DataFrame({
        "zone_area_m2": zone_m2,
        "blue_green_share": [class_share(areas.loc[n].to_dict(), zone_m2[n], classes)
                             for n in names],
        "forest_share": [class_share(areas.loc[n].to_dict(), zone_m2[n], FOREST_CLASSES)
                         for n in names],
    }, index=names)
    return out.join(areas)


def sample_irradiation_kwh_m2(
    buildings: gpd.GeoDataFrame, raster: RasterLike, *, band: int = 1, target_crs: Any = None
) -> pd.Series:
    """Return each building's mean annual irradiation (kWh/m²) from a raster (exact fractions).

    中文：按建筑轮廓提取年太阳辐照量（千瓦时/平方米）。

    The raster holds annual plane-of-array (or global horizontal, as the user states)
    irradiation in kWh/m² per cell; a footprint inside one cell gets that cell's value. NaN where
    the footprint covers no valid cell. ``target_crs`` warps a raster in degrees to that
    projected CRS first (in memory, bilinear).

    Raises
    ------
    MissingCRSError
        If the raster or the buildings have no CRS.
    GeographicCRSError
        If the raster is in degrees and no ``target_crs`` is given.
    """
    out = pd.Series(np.nan, index=buildings.index, dtype=float, name=IRRADIATION_COLUMN)
    with ExitStack() as stack:
        src = _open(stack, raster, target_crs, Resampling.bilinear)
        _check_raster(src, "irradiation")
        frame = _zones_in(buildings, src)
        if len(frame) == 0:
            return out
        stats = exact_extract(RasterioRasterSource(src, band_idx=band), frame, ["mean"],
                              include_cols=["_pos"], output="pandas")
    values = np.full(len(buildings), np.nan)
    values[stats["_pos"].to_numpy(dtype=int)] = pd.to_numeric(stats["mean"], errors="coerce")
    out[:] = values
    return out


def with_irradiation(buildings: gpd.GeoDataFrame, raster: RasterLike, *,
                     target_crs: Any = None) -> gpd.GeoDataFrame:
    """Return a copy of ``buildings`` with the sampled ``irradiation_kwh_m2`` column.

    中文：为建筑附加年辐照量字段（供屋顶光伏潜力计算）。
    """
    out = buildings.copy()
    out[IRRADIATION_COLUMN] = sample_irradiation_kwh_m2(buildings, raster, target_crs=target_crs)
    return out
