"""Raster layers (栅格图层) next to the store: land cover, irradiation, elevation, versioned.

中文：栅格图层（土地覆盖、太阳辐照、高程）的导入、版本、导出、删除与分区统计。

A store ``project.gpkg`` keeps its rasters in ``project.gpkg.rasters/<district>/<kind>/vN.tif``
as Cloud-Optimised GeoTIFFs (GDAL's COG driver, deflate), with ``versions.json`` listing every
version (kind, district, version, time, source, sha256, CRS, size, bounds, dtype, nodata,
deleted). Writes take a lock file and replace the index atomically; old versions are kept, so
a deletion is a version too. Rasters keep their own CRS; statistics warp in memory when needed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
import warnings
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import rasterio
import rasterio.shutil
from affine import Affine
from exactextract import exact_extract
from exactextract.raster import RasterioRasterSource

from tanmap.geo.errors import (
    DataFormatError,
    LayerNotFoundError,
    MissingCRSError,
    StoreError,
)
from tanmap.layers.kinds import LayerKind
from tanmap.layers.raster.zonal import (
    WORLDCOVER_CLASSES,
    raster_class_areas_m2,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from tanmap.layers.store.base import Store

__all__ = [
    "RASTER_LABELS",
    "WORLDCOVER_COLORS",
    "RasterClassAreas",
    "RasterImage",
    "RasterKind",
    "RasterVersion",
    "delete_raster",
    "eco_shares",
    "export_raster",
    "import_raster",
    "land_cover_areas",
    "raster_dir",
    "raster_history",
    "raster_image",
    "raster_path",
    "raster_versions",
    "zonal_stats",
]

#: Seconds a writer waits for another writer's raster lock.
LOCK_TIMEOUT_S = 30.0


class RasterKind(StrEnum):
    """Kinds of raster tanmap stores.

    中文：栅格类型。
    """

    LAND_COVER = "land_cover"      # 土地覆盖（分类码，如 ESA WorldCover）
    IRRADIATION = "irradiation"    # 年太阳辐照量 kWh/m²
    ELEVATION = "elevation"        # 高程 m


#: (中文, English, unit of the cell values or None for class codes).
RASTER_LABELS: Mapping[RasterKind, tuple[str, str, str | None]] = {
    RasterKind.LAND_COVER: ("土地覆盖栅格", "Land-cover raster", None),
    RasterKind.IRRADIATION: ("太阳辐照栅格", "Irradiation raster", "kWh/m²"),
    RasterKind.ELEVATION: ("高程栅格", "Elevation raster", "m"),
}


@dataclass(frozen=True)
class RasterVersion:
    """One stored version of a raster layer.

    中文：栅格图层版本。
    """

    kind: str
    district: str
    version: int
    updated_at: str
    source: str
    checksum: str
    crs: str
    width: int
    height: int
    bounds: tuple[float, float, float, float]
    dtype: str
    nodata: float | None
    deleted: bool = False
    file: str = ""


def raster_dir(store: Store | str | Path) -> Path:
    """Return the raster directory beside a store file (``<store>.rasters``).

    A PostGIS store keeps its rasters in its ``raster_dir`` (``TANMAP_RASTER_DIR``).

    中文：栅格文件目录。

    Examples
    --------
    >>> raster_dir("/data/project.gpkg").name
    'project.gpkg.rasters'
    """
    if not isinstance(store, str | Path) and not hasattr(store, "path"):
        return Path(store.raster_dir)  # type: ignore[attr-defined]  # a database store
    path = Path(store) if isinstance(store, str | Path) else Path(store.path)
    return path.with_name(path.name + ".rasters")


def _kind(kind: RasterKind | str) -> RasterKind:
    try:
        return RasterKind(kind)
    except ValueError as err:
        raise ValueError(f"unknown raster kind {kind!r}; use one of "
                         f"{', '.join(k.value for k in RasterKind)}") from err


def _read_index(root: Path) -> list[RasterVersion]:
    index = root / "versions.json"
    if not index.exists():
        return []
    rows = json.loads(index.read_text(encoding="utf-8"))
    return [RasterVersion(**{**r, "bounds": tuple(r["bounds"])}) for r in rows]


def _write_index(root: Path, versions: list[RasterVersion]) -> None:
    tmp = root / f".versions.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps([asdict(v) for v in versions], ensure_ascii=False, indent=1),
                   encoding="utf-8")
    os.replace(tmp, root / "versions.json")


@contextlib.contextmanager
def _lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+b") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(f"rasters of {root} are locked by another writer; retry "
                                     "when it has finished") from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_source(kind: RasterKind, path: Path) -> None:
    if not path.is_file():
        raise DataFormatError(f"raster file {path.name} not found; check the path")
    try:
        src_ctx = rasterio.open(path)
    except rasterio.errors.RasterioIOError as err:
        raise DataFormatError(f"{path.name} is not a raster GDAL can read (GeoTIFF expected)"
                              ) from err
    with src_ctx as src:
        if src.crs is None:
            raise MissingCRSError(
                f"raster {path.name} has no CRS; tanmap does not guess one. Assign it, e.g. "
                "`gdal_edit.py -a_srs EPSG:4548 file.tif`.")
        if src.count != 1:
            raise DataFormatError(f"raster {path.name} has {src.count} bands; a {kind.value} "
                                  "raster has one (extract it: `gdal_translate -b 1`)")
        if src.transform.b != 0 or src.transform.d != 0:
            raise DataFormatError(f"raster {path.name} is rotated; warp it north-up (gdalwarp)")
        if kind is RasterKind.LAND_COVER and not np.issubdtype(np.dtype(src.dtypes[0]),
                                                               np.integer):
            raise DataFormatError(
                f"land-cover raster {path.name} holds {src.dtypes[0]} values; class codes are "
                "integers (e.g. ESA WorldCover 10 = tree cover)")


def import_raster(store: Store, kind: RasterKind | str, district: str, path: str | Path, *,
                  source: str = "") -> RasterVersion:
    """Store a raster file as the next version of (kind, district), as a COG.

    中文：导入栅格（转为云优化 GeoTIFF，记录版本）。

    Raises
    ------
    UnknownDistrictError
        The store has no such district.
    MissingCRSError
        The raster has no CRS.
    DataFormatError
        Not readable, several bands, rotated, or a land-cover raster of non-integer values.
    """
    rkind = _kind(kind)
    store.district(district)  # raises UnknownDistrictError
    file = Path(path)
    _check_source(rkind, file)
    root = raster_dir(store)
    with _lock(root):
        versions = _read_index(root)
        number = 1 + max((v.version for v in versions
                          if v.kind == rkind.value and v.district == district), default=0)
        folder = root / district / rkind.value
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"v{number}.tif"
        tmp = folder / f".v{number}.{uuid.uuid4().hex}.tmp.tif"
        try:
            with rasterio.open(file) as src:
                rasterio.shutil.copy(src, tmp, driver="COG", compress="DEFLATE")
            with rasterio.open(tmp) as cog:
                info = (cog.crs.to_string(), cog.width, cog.height, tuple(cog.bounds),
                        cog.dtypes[0], cog.nodata)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        version = RasterVersion(
            kind=rkind.value, district=district, version=number,
            updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source=source or file.name, checksum=_sha256(target), crs=info[0],
            width=int(info[1]), height=int(info[2]),
            bounds=tuple(float(b) for b in info[3]),  # type: ignore[arg-type]
            dtype=str(info[4]), nodata=None if info[5] is None else float(info[5]),
            file=str(target.relative_to(root)),
        )
        _write_index(root, [*versions, version])
    return version


def raster_history(store: Store, kind: RasterKind | str, district: str) -> list[RasterVersion]:
    """Return every version of (kind, district), oldest first (deletions included).

    中文：栅格图层版本历史。
    """
    rkind = _kind(kind)
    return [v for v in _read_index(raster_dir(store))
            if v.kind == rkind.value and v.district == district]


def raster_versions(store: Store, district: str | None = None) -> list[RasterVersion]:
    """Return the current version of every raster layer (deleted ones left out).

    中文：当前栅格图层列表。
    """
    latest: dict[tuple[str, str], RasterVersion] = {}
    for v in _read_index(raster_dir(store)):
        if district is None or v.district == district:
            latest[(v.district, v.kind)] = v
    return [v for _, v in sorted(latest.items()) if not v.deleted]


def raster_path(store: Store, kind: RasterKind | str, district: str) -> Path:
    """Return the file of the current version of (kind, district).

    中文：当前栅格文件路径。

    Raises
    ------
    LayerNotFoundError
        No current version (never imported, or deleted).
    """
    rkind = _kind(kind)
    history = raster_history(store, rkind, district)
    if not history or history[-1].deleted:
        raise LayerNotFoundError(
            f"district {district} has no {rkind.value} raster; import one with "
            f"`tanmap raster import {rkind.value} FILE.tif --district {district}`")
    return raster_dir(store) / history[-1].file


def export_raster(store: Store, kind: RasterKind | str, district: str,
                  out: str | Path) -> Path:
    """Copy the current raster of (kind, district) to ``out`` (a ``.tif``).

    中文：导出栅格。

    Raises
    ------
    DataFormatError
        ``out`` does not end in ``.tif`` / ``.tiff``.
    """
    target = Path(out)
    if target.suffix.lower() not in (".tif", ".tiff"):
        raise DataFormatError(f"{target.name}: rasters export as GeoTIFF; name it .tif")
    source = raster_path(store, kind, district)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    return target


def delete_raster(store: Store, kind: RasterKind | str, district: str, *,
                  source: str = "") -> RasterVersion:
    """Record that (kind, district) has no raster now: a new version marked deleted.

    中文：删除栅格（作为新版本记录，旧版本文件保留）。

    Raises
    ------
    LayerNotFoundError
        Nothing current to delete.
    """
    rkind = _kind(kind)
    raster_path(store, rkind, district)  # raises when there is nothing current
    root = raster_dir(store)
    with _lock(root):
        versions = _read_index(root)
        last = [v for v in versions if v.kind == rkind.value and v.district == district][-1]
        gone = RasterVersion(**{
            **asdict(last), "version": last.version + 1, "deleted": True,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": source or "deleted", "bounds": last.bounds})
        _write_index(root, [*versions, gone])
    return gone


def zonal_stats(store: Store, kind: RasterKind | str, district: str, *,
                by: str = "subdistrict",
                class_codes: Mapping[int, str] = WORLDCOVER_CLASSES) -> pd.DataFrame:
    """Return zonal statistics of the district's raster per 街道 or per ecological zone.

    中文：栅格分区统计（按街道或生态屏障区；精确像元覆盖比例）。

    Land cover: the area (m²) of each class per zone; irradiation and elevation: the
    area-weighted mean, minimum and maximum of the cells. A raster in degrees is warped in
    memory to the district's planning CRS.

    Returns
    -------
    DataFrame
        ``zone_id``, ``zone_name`` (and ``control_level`` for eco zones) then the figures.

    Raises
    ------
    LayerNotFoundError
        No current raster, or the store has no zone layer ``by``.
    ValueError
        ``by`` is not ``subdistrict`` or ``eco_zone``.
    """
    rkind = _kind(kind)
    if by not in ("subdistrict", "eco_zone"):
        raise ValueError(f"by must be 'subdistrict' or 'eco_zone', got {by!r}")
    path = raster_path(store, rkind, district)
    zone_kind = LayerKind(by)
    if store.version(zone_kind, district) is None:
        raise LayerNotFoundError(
            f"district {district} has no {by} layer to summarise the raster by; import it "
            f"first (tanmap import {by} FILE --district {district})")
    zones = store.read(zone_kind, district=district)
    epsg = int(store.district(district)["planning_epsg"])
    head = pd.DataFrame({"zone_id": zones["id"].astype(str).to_numpy(),
                         "zone_name": zones.get("name", zones["id"]).astype(str).to_numpy()})
    if "control_level" in zones.columns:
        head["control_level"] = zones["control_level"].to_numpy()
    with rasterio.open(path) as src:
        warp = f"EPSG:{epsg}" if src.crs.is_geographic else None
    if rkind is RasterKind.LAND_COVER:
        areas = raster_class_areas_m2(zones, path, class_codes=class_codes, target_crs=warp)
        return pd.concat([head, areas.reset_index(drop=True)], axis=1)
    return pd.concat([head, _value_stats(zones, path, warp)], axis=1)


def eco_shares(store: Store, district: str, *, count_farmland: bool = False,
               class_codes: Mapping[int, str] = WORLDCOVER_CLASSES) -> pd.DataFrame:
    """Return 森林覆盖率 and 蓝绿空间占比 from the district's land-cover raster.

    中文：基于土地覆盖栅格的森林覆盖率与蓝绿空间占比（全区及各管控等级生态屏障区）。

    The same figures as the raster path of the ``forest_cover`` and ``blue_green_share``
    metrics (one :class:`RasterClassAreas`, zones clipped to the district): row ``district``
    (the whole district) and, when the store has eco zones, ``all`` and ``level_1``... Tree
    cover counts as forest: a class raster has no 郁闭度, so the >= 0.2 canopy rule cannot be
    applied.

    Raises
    ------
    LayerNotFoundError
        No current land-cover raster.
    """
    import geopandas as gpd
    import shapely

    from tanmap.geo.eco import CONTROL_LEVELS, FOREST_CLASSES, blue_green_classes, class_share

    raster_path(store, RasterKind.LAND_COVER, district)  # raises when there is none
    row = store.district(district)
    epsg = int(row["planning_epsg"])
    source = land_cover_areas(store, district, planning_epsg=epsg, class_codes=class_codes)
    if source is None:  # a store that keeps no rasters beside it
        raise LayerNotFoundError(f"district {district} has no land_cover raster")
    boundary = gpd.GeoSeries([row.geometry], crs=4326).to_crs(epsg).iloc[0]
    names, geoms = ["district"], [boundary]
    if store.version(LayerKind.ECO_ZONE, district) is not None:
        eco = store.read(LayerKind.ECO_ZONE, district=district).to_crs(epsg)
        if len(eco):
            levels = pd.to_numeric(eco["control_level"], errors="coerce")
            names.append("all")
            geoms.append(shapely.intersection(eco.geometry.union_all(), boundary))
            for lv in CONTROL_LEVELS:
                part = eco.loc[(levels == lv).to_numpy()]
                if len(part):
                    names.append(f"level_{lv}")
                    geoms.append(shapely.intersection(part.geometry.union_all(), boundary))
    zones = gpd.GeoSeries(geoms, index=names, crs=epsg)
    areas = source(zones)
    zone_m2 = zones.area
    classes = blue_green_classes(count_farmland=count_farmland)
    out = pd.DataFrame({
        "zone_area_m2": zone_m2,
        "blue_green_share": [class_share(areas.loc[n].to_dict(), float(zone_m2[n]), classes)
                             for n in names],
        "forest_share": [class_share(areas.loc[n].to_dict(), float(zone_m2[n]), FOREST_CLASSES)
                         for n in names],
    }, index=names)
    return out.join(areas).fillna({c: 0.0 for c in areas.columns})


@dataclass(frozen=True)
class RasterClassAreas:
    """The raster path of ``forest_cover`` / ``blue_green_share``: class areas from a raster.

    中文：土地覆盖栅格的分区地类面积（供森林覆盖率、蓝绿空间占比指标使用）。

    Implements :class:`tanmap.geo.metric.ClassAreaSource`: called with zones in the planning
    CRS, it returns the class areas (m²) per zone by exact cell fractions
    (:func:`tanmap.layers.raster.zonal.raster_class_areas_m2`). A raster in degrees is warped in
    memory to the planning CRS (nearest neighbour); a raster in another projected CRS keeps its
    cells and its areas are scaled per zone by (zone area in the planning CRS / in the raster's
    CRS), so shares use one measure of area.
    """

    path: Path
    planning_epsg: int
    label: str
    class_codes: Mapping[int, str] = field(default_factory=lambda: dict(WORLDCOVER_CLASSES))

    def __call__(self, zones: Any) -> pd.DataFrame:
        """Return the class areas (m²) inside each zone (rows follow ``zones``)."""
        import geopandas as gpd
        from pyproj import CRS

        series = gpd.GeoSeries(zones.geometry if hasattr(zones, "geometry") else zones)
        keep = ~(series.is_empty | series.isna())
        out = pd.DataFrame(index=series.index)
        if not keep.any():
            return out
        part = series.loc[keep]
        with rasterio.open(self.path) as src:
            crs = src.crs
        warp = f"EPSG:{self.planning_epsg}" if crs.is_geographic else None
        areas = raster_class_areas_m2(part, self.path, class_codes=self.class_codes,
                                      target_crs=warp)
        if warp is None and not CRS(crs.to_wkt()).equals(CRS.from_epsg(self.planning_epsg)):
            native = part.to_crs(crs.to_wkt()).area.to_numpy()
            scale = np.divide(part.area.to_numpy(), native, out=np.ones_like(native),
                              where=native > 0)
            areas = areas.mul(scale, axis=0)
        return areas.reindex(series.index).fillna(0.0)


def land_cover_areas(store: Store, district: str, *, planning_epsg: int | None = None,
                     class_codes: Mapping[int, str] = WORLDCOVER_CLASSES
                     ) -> RasterClassAreas | None:
    """Return the class-area source of the district's current land-cover raster, or None.

    中文：区县当前土地覆盖栅格的地类面积来源（无栅格时为 None）。

    None when the store keeps no rasters (no file beside it) or the district has no current
    land-cover raster.
    """
    if not hasattr(store, "path"):
        return None
    history = raster_history(store, RasterKind.LAND_COVER, district)
    if not history or history[-1].deleted:
        return None
    v = history[-1]
    epsg = (int(store.district(district)["planning_epsg"]) if planning_epsg is None
            else int(planning_epsg))
    label = (f"land-cover raster 土地覆盖栅格 v{v.version} ({v.source}; {v.crs}, "
             f"{v.width}x{v.height} cells, sha256 {v.checksum[:12]})")
    return RasterClassAreas(raster_dir(store) / v.file, epsg, label, dict(class_codes))


def _value_stats(zones: Any, path: Path, warp: str | None) -> pd.DataFrame:
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    with contextlib.ExitStack() as stack:
        src = stack.enter_context(rasterio.open(path))
        if warp is not None:
            src = stack.enter_context(WarpedVRT(src, crs=warp, resampling=Resampling.bilinear))
        frame = zones[[zones.geometry.name]].assign(_pos=np.arange(len(zones))).to_crs(
            src.crs.to_wkt())
        out = pd.DataFrame(np.nan, index=range(len(zones)), columns=["mean", "min", "max"])
        if len(frame):
            stats = exact_extract(RasterioRasterSource(src, band_idx=1), frame,
                                  ["mean", "min", "max"], include_cols=["_pos"],
                                  output="pandas")
            for col in ("mean", "min", "max"):
                out.loc[stats["_pos"].to_numpy(dtype=int), col] = pd.to_numeric(
                    stats[col], errors="coerce").to_numpy()
    return out


#: ESA WorldCover 2021 legend colours by code (the product's own palette).
WORLDCOVER_COLORS: Mapping[int, str] = {
    10: "#006400", 20: "#ffbb22", 30: "#ffff4c", 40: "#f096ff", 50: "#fa0000", 60: "#b4b4b4",
    70: "#f0f0f0", 80: "#0064c8", 90: "#0096a0", 95: "#00cf75", 100: "#fae6a0",
}
#: Sequential ramp (viridis, 5 stops) for irradiation and elevation.
_VALUE_RAMP: tuple[str, ...] = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


@dataclass(frozen=True)
class RasterImage:
    """A raster drawn for a web map: RGBA pixels on a Web-Mercator grid and WGS84 bounds.

    中文：用于网页地图的栅格图像（Web 墨卡托像元网格、WGS84 范围、图例）。

    Attributes
    ----------
    kind
        Raster kind value.
    rgba
        ``(rows, cols, 4)`` uint8; transparent where there is no data.
    bounds
        (west, south, east, north) in EPSG:4326 of the image's Web-Mercator grid, so a Leaflet
        image overlay stretched between them places every pixel where it belongs.
    legend
        ``(colour, label)`` rows.
    source
        The version's source.
    """

    kind: str
    rgba: np.ndarray
    bounds: tuple[float, float, float, float]
    legend: tuple[tuple[str, str], ...]
    source: str


def _hex_rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def raster_image(store: Store, kind: RasterKind | str, district: str, *,
                 max_px: int = 1024,
                 class_codes: Mapping[int, str] = WORLDCOVER_CLASSES) -> RasterImage:
    """Return the district's current raster warped to Web Mercator and coloured for display.

    中文：栅格图层上图（重投影至 Web 墨卡托并着色）。

    Land cover keeps its codes (nearest neighbour) and the WorldCover colours; irradiation and
    elevation are bilinear and coloured in five quantile classes. The longer side is at most
    ``max_px`` pixels.

    Raises
    ------
    LayerNotFoundError
        No current raster.
    """
    from pyproj import Transformer
    from rasterio.enums import Resampling
    from rasterio.warp import calculate_default_transform, reproject, transform_bounds

    rkind = _kind(kind)
    path = raster_path(store, rkind, district)
    source = raster_history(store, rkind, district)[-1].source
    categorical = rkind is RasterKind.LAND_COVER
    with rasterio.open(path) as src, warnings.catch_warnings():
        # rasterio's warp helpers still multiply Affine matrices with `*` (affine >= 2.5 warns).
        warnings.filterwarnings("ignore", message=r"Use `@` matmul",
                                category=PendingDeprecationWarning)
        _, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds)
        scale = max(width, height) / max_px if max(width, height) > max_px else 1.0
        width, height = max(1, round(width / scale)), max(1, round(height / scale))
        # The exact Web-Mercator envelope of the raster, split into whole pixels.
        west, south, east, north = transform_bounds(src.crs, "EPSG:3857", *src.bounds,
                                                    densify_pts=21)
        dst_transform = Affine((east - west) / width, 0.0, west, 0.0, (south - north) / height,
                               north)
        nodata = src.nodata
        fill = np.nan if not categorical else (0 if nodata is None else nodata)
        data = np.full((height, width), fill,
                       dtype=np.float64 if not categorical else np.int64)
        reproject(
            source=rasterio.band(src, 1), destination=data, src_transform=src.transform,
            src_crs=src.crs, src_nodata=nodata, dst_transform=dst_transform,
            dst_crs="EPSG:3857", dst_nodata=fill,
            resampling=Resampling.nearest if categorical else Resampling.bilinear)
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    legend: list[tuple[str, str]] = []
    if categorical:
        valid = data != fill  # outside the raster, nodata, or code 0 (no WorldCover class)
        for code in sorted(int(c) for c in np.unique(data[valid])):
            color = WORLDCOVER_COLORS.get(code, "#7f7f7f")
            rgba[data == code] = (*_hex_rgb(color), 255)
            legend.append((color, f"{code} {class_codes.get(code, 'unmapped')}"))
    else:
        valid = np.isfinite(data)
        if nodata is not None:
            valid &= data != nodata
        values = data[valid]
        if values.size:
            edges = np.unique(np.quantile(values, np.linspace(0, 1, len(_VALUE_RAMP) + 1)))
            cls = np.clip(np.searchsorted(edges, data, side="right") - 1, 0,
                          max(len(edges) - 2, 0))
            for i in range(max(len(edges) - 1, 1)):
                color = _VALUE_RAMP[min(i, len(_VALUE_RAMP) - 1)]
                rgba[valid & (cls == i)] = (*_hex_rgb(color), 255)
                hi = edges[min(i + 1, len(edges) - 1)]
                legend.append((color, f"{edges[i]:,.0f}–{hi:,.0f} {RASTER_LABELS[rkind][2]}"))
    to_lonlat = Transformer.from_crs(3857, 4326, always_xy=True)
    lon0, lat0 = to_lonlat.transform(west, south)
    lon1, lat1 = to_lonlat.transform(east, north)
    return RasterImage(rkind.value, rgba, (float(lon0), float(lat0), float(lon1), float(lat1)),
                       tuple(legend), source)
