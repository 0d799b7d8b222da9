"""Vector file readers and writers (矢量数据读写): GeoJSON, GPKG, Shapefile, CSV/XLSX points."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from charset_normalizer import from_bytes
from shapely.geometry.base import BaseGeometry

from tanmap.geo.chinacoords import to_wgs84, transform_geometries
from tanmap.geo.crs import parse_crs
from tanmap.geo.errors import (
    CRSError,
    DataFormatError,
    InputTooLargeError,
    LayerValidationError,
    MissingCRSError,
)
from tanmap.layers.advice import option_hint
from tanmap.layers.kinds import LayerKind, LayerSpec, spec_for
from tanmap.layers.validation import (
    Issue,
    RepairNote,
    coerce_types,
    repair_geometries,
    validate,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pyproj

__all__ = [
    "DEFAULT_MAX_BYTES",
    "LAT_NAMES",
    "LON_NAMES",
    "SHP_FIELD_MAX_BYTES",
    "VECTOR_FORMATS",
    "LoadResult",
    "ShapefileReport",
    "detect_dbf_encoding",
    "is_rfc7946_crs",
    "load",
    "read_vector",
    "require_rfc7946_crs",
    "shapefile_field_names",
    "write_geojson",
    "write_gpkg",
    "write_layer",
    "write_shapefile_zip",
]

#: Default size limit of one input file (a zip, or a Shapefile's .shp + .dbf + .shx), in bytes.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
#: Column names recognised as longitude (compared case-insensitively, in this priority).
LON_NAMES: tuple[str, ...] = ("lon", "lng", "longitude", "long", "经度", "x")
#: Column names recognised as latitude (compared case-insensitively, in this priority).
LAT_NAMES: tuple[str, ...] = ("lat", "latitude", "纬度", "y")
#: dBase III field names hold at most 10 bytes (in the file's encoding).
SHP_FIELD_MAX_BYTES = 10
#: Output formats of :func:`write_layer` and the file suffix each writes.
VECTOR_FORMATS: Mapping[str, str] = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip"}

_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_READERS = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".csv", ".xlsx", ".xlsm"}
_DBF_SAMPLE_BYTES = 1024 * 1024
_PYOGRIO_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)
_GEOJSON_EPSG = frozenset({4326, 4490})
_GEOJSON_TYPES = frozenset({"FeatureCollection", "Feature", "Point", "MultiPoint", "LineString",
                            "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"})
_FORMAT_NAMES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage",
                 ".shp": "Shapefile", ".zip": "zipped Shapefile"}
_SOURCE_CRS_HINT = option_hint("source_crs", "EPSG:xxxx")


@dataclass(frozen=True)
class LoadResult:
    """A validated, type-coerced layer and what was noticed on the way.

    中文：图层导入结果（数据、警告、几何修复记录）。

    Parameters
    ----------
    gdf
        The layer in the target CRS, spec columns in proper dtypes.
    warnings
        Issues of severity ``"warning"`` (e.g. features outside the district).
    repairs
        One note per geometry repaired (only with ``repair=True``).
    """

    gdf: gpd.GeoDataFrame
    warnings: list[Issue] = field(default_factory=list)
    repairs: list[RepairNote] = field(default_factory=list)


@dataclass(frozen=True)
class ShapefileReport:
    """What :func:`write_shapefile_zip` wrote.

    中文：Shapefile 导出报告（字段名截断对照）。

    Parameters
    ----------
    path
        The zip written.
    field_names
        Original column name -> DBF field name (at most 10 bytes in ``encoding``); also written
        as ``fields.csv`` (UTF-8 with BOM, columns ``field,original``) inside the zip.
    encoding
        DBF text encoding, also written to the ``.cpg``.
    n_features
        Number of features written.
    crs
        CRS of the Shapefile (its ``.prj``), e.g. ``"EPSG:4548"``.
    """

    path: Path
    field_names: dict[str, str]
    encoding: str
    n_features: int
    crs: str


# --------------------------------------------------------------------------- helpers


def _check_size(path: Path, max_bytes: int, files: list[Path] | None = None) -> None:
    files = files or [path]
    size = sum(f.stat().st_size for f in files if f.exists())
    if size > max_bytes:
        raise InputTooLargeError(
            f"{path.name} is {size / 2**20:.1f} MiB, over the limit of {max_bytes / 2**20:.1f} "
            "MiB. Split the file (e.g. by district) or raise the limit (max_bytes=...)."
        )


def detect_dbf_encoding(dbf: bytes) -> str:
    r"""Guess the text encoding of a dBase (.dbf) file: UTF-8, else GB18030 (GBK), else a guess.

    中文：识别 DBF 编码（UTF-8 或 GBK）。

    Many bureau Shapefiles are GBK without a ``.cpg``; GDAL then reads them as ISO-8859-1 and the
    Chinese comes out garbled. Field names and records are decoded strictly as UTF-8 first
    (random GBK text is almost never valid UTF-8), then as GB18030 (a superset of GBK), and only
    then charset-normalizer guesses. Pure ASCII is reported as UTF-8.

    Parameters
    ----------
    dbf
        The bytes of the .dbf (the first MiB is enough).

    Returns
    -------
    str
        ``"UTF-8"``, ``"GB18030"`` or charset-normalizer's best guess (``"ISO-8859-1"`` if none).

    Examples
    --------
    One text field ``名称`` and one record `` 公园``, encoded both ways:

    >>> header = bytes(8) + (65).to_bytes(2, "little") + bytes(22)
    >>> def dbf(enc):
    ...     field = "名称".encode(enc).ljust(11, b"\0") + b"C" + bytes(20)
    ...     return header + field + b"\r" + " 公园".encode(enc)
    >>> detect_dbf_encoding(dbf("gbk")), detect_dbf_encoding(dbf("utf-8"))
    ('GB18030', 'UTF-8')
    """
    text = _dbf_text_bytes(dbf)
    for candidate, codec in (("UTF-8", "utf-8"), ("GB18030", "gb18030")):
        try:
            text.decode(codec)
        except UnicodeDecodeError:
            continue
        return candidate
    best = from_bytes(text).best()
    return best.encoding.upper() if best is not None else "ISO-8859-1"


def _dbf_text_bytes(dbf: bytes) -> bytes:
    """Return the field names and record bytes of a DBF (the parts that carry text)."""
    if len(dbf) < 32:
        return b""
    header_len = int.from_bytes(dbf[8:10], "little")
    names = []
    for start in range(32, min(header_len, len(dbf)) - 31, 32):
        if dbf[start] == 0x0D:  # header terminator
            break
        names.append(dbf[start:start + 11].split(b"\0", 1)[0])
    records = dbf[header_len:header_len + _DBF_SAMPLE_BYTES].rstrip(b"\x1a")
    return b"\n".join(names) + b"\n" + records


def _pick(options: list[str], wanted: str | None, *, what: str, path: Path, option: str) -> str:
    if wanted is not None:
        if wanted not in options:
            raise DataFormatError(
                f"{path.name} has no {what} {wanted!r}; it has: {', '.join(options) or '(none)'}."
            )
        return wanted
    if len(options) == 1:
        return options[0]
    if not options:
        raise DataFormatError(f"{path.name} holds no {what} with features.")
    raise DataFormatError(
        f"{path.name} holds {len(options)} {what}s: {', '.join(options)}; choose one with "
        f"{option_hint(option, 'NAME')}."
    )


def _require_content(path: Path) -> None:
    """Refuse an empty (0-byte) file with a message of our own rather than GDAL's."""
    if path.stat().st_size == 0:
        raise DataFormatError(
            f"{path.name} is empty (0 bytes; 文件为空): the export, copy or upload did not "
            "finish. Export the layer again from the GIS and check the file's size."
        )


def _json_problem(path: Path) -> str:
    """Say why a .geojson/.json file is not GeoJSON, in the user's terms (never GDAL's text)."""
    try:
        data = json.loads(path.read_bytes())
    except UnicodeDecodeError:
        return "it is not UTF-8 text (RFC 7946 GeoJSON is UTF-8); save it as UTF-8"
    except json.JSONDecodeError as err:
        return (f"it is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); the "
                "file is cut short or damaged, so export it again")
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in _GEOJSON_TYPES:
        return (f"it is JSON but not GeoJSON ('type' is {kind!r}); expected a FeatureCollection "
                "with 'features'")
    return "GDAL could not read its features; check the geometries with a GIS"


def _read_ogr(
    path: str, display: Path, *, layer: str | None, encoding: str | None
) -> gpd.GeoDataFrame:
    try:
        return pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except _PYOGRIO_ERRORS as err:
        suffix = display.suffix.lower()
        if suffix in {".geojson", ".json"}:
            why = _json_problem(display)
        elif suffix == ".gpkg":
            why = "it is not a GeoPackage (SQLite) database, or it is damaged"
        else:
            why = ("the Shapefile is damaged or incomplete; a Shapefile needs its .shp, .shx "
                   "and .dbf from the same export")
        # GDAL's own text stays in the chained exception (and the server log), not the message.
        raise DataFormatError(
            f"cannot read {display.name} ({_FORMAT_NAMES.get(suffix, 'vector file')}): {why}."
        ) from err


def _read_shapefile(path: Path, *, layer: str | None, encoding: str | None,
                    max_bytes: int) -> gpd.GeoDataFrame:
    siblings = [path.with_suffix(s) for s in _SHP_SIDECARS]
    _check_size(path, max_bytes, siblings)
    _require_content(path)
    missing = [s for s in (".shx", ".dbf") if not path.with_suffix(s).exists()]
    if missing:
        raise DataFormatError(
            f"{path.name} is incomplete: {', '.join(path.stem + s for s in missing)} missing. "
            "A Shapefile needs its .shp, .shx and .dbf together (zip them to keep them together)."
        )
    if encoding is None:
        cpg = path.with_suffix(".cpg")
        if cpg.exists():
            encoding = cpg.read_text(encoding="ascii", errors="replace").strip() or None
        else:
            with path.with_suffix(".dbf").open("rb") as fh:
                encoding = detect_dbf_encoding(fh.read(_DBF_SAMPLE_BYTES))
    return _read_ogr(str(path), path, layer=layer, encoding=encoding)


def _read_zip(path: Path, *, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.startswith("__MACOSX/")]
            shps = sorted(n for n in names if n.lower().endswith(".shp"))
            stems = [Path(n).stem for n in shps]
            stem = _pick(stems, layer, what="Shapefile", path=path, option="layer")
            member = shps[stems.index(stem)]
            base = member[:-4]
            by_lower = {n.lower(): n for n in names}
            for sidecar in (".shx", ".dbf"):
                if (base + sidecar).lower() not in by_lower:
                    raise DataFormatError(
                        f"{path.name}: {base}{sidecar} missing next to {member}; a Shapefile "
                        "needs its .shp, .shx and .dbf."
                    )
            if encoding is None:
                cpg = by_lower.get((base + ".cpg").lower())
                if cpg is not None:
                    encoding = zf.read(cpg).decode("ascii", errors="replace").strip() or None
                else:
                    with zf.open(by_lower[(base + ".dbf").lower()]) as fh:
                        encoding = detect_dbf_encoding(fh.read(_DBF_SAMPLE_BYTES))
    except zipfile.BadZipFile as err:
        raise DataFormatError(f"cannot read {path.name}: not a valid zip file ({err}).") from err
    return _read_ogr(f"/vsizip/{path.resolve()}/{member}", path, layer=None, encoding=encoding)


def _read_gpkg(path: Path, *, layer: str | None) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            # GDAL warns before failing on a SQLite file that is not a GeoPackage; we say why.
            warnings.simplefilter("ignore", RuntimeWarning)
            listed = pyogrio.list_layers(str(path))
    except _PYOGRIO_ERRORS as err:
        raise DataFormatError(
            f"cannot read {path.name} (GeoPackage): it is not a GeoPackage (SQLite) database, "
            "or it is damaged; export the layer again as GeoPackage from the GIS."
        ) from err
    spatial = [str(name) for name, gtype in listed if gtype is not None]
    chosen = _pick(spatial, layer, what="layer", path=path, option="layer")
    return _read_ogr(str(path), path, layer=chosen, encoding=None)


def _decode_text(raw: bytes, encoding: str | None, path: Path) -> str:
    if encoding is not None:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as err:
            raise DataFormatError(f"cannot decode {path.name} as {encoding}: {err}.") from err
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    best = from_bytes(raw).best()
    if best is None:
        raise DataFormatError(
            f"cannot tell the text encoding of {path.name}; pass it, e.g. "
            f"{option_hint('encoding', 'gbk')} or utf-8."
        )
    return str(best)


def _find_column(columns: list[str], wanted: str | None, names: tuple[str, ...], *, what: str,
                 option: str, path: Path) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise DataFormatError(
                f"{path.name} has no column {wanted!r} for {what}; columns: {', '.join(columns)}."
            )
        return wanted
    lowered = {c.strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    raise DataFormatError(
        f"{path.name}: no {what} column found among {', '.join(columns)}; expected one of "
        f"{', '.join(names)}. Name it with {option_hint(option, 'COLUMN')}."
    )


def _read_table(path: Path, *, layer: str | None, encoding: str | None) -> pd.DataFrame:
    if path.suffix.lower() == ".csv":
        text = _decode_text(path.read_bytes(), encoding, path)
        try:
            # Read as text: codes such as "001" keep their zeros; coerce_types types the columns.
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            raise DataFormatError(f"cannot read {path.name} as CSV: {err}.") from err
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object)
    except (ValueError, OSError, zipfile.BadZipFile, KeyError) as err:
        raise DataFormatError(f"cannot read {path.name} as an Excel workbook: {err}.") from err
    filled = [name for name, df in sheets.items() if not df.dropna(how="all").empty]
    chosen = _pick(filled if layer is None else list(sheets), layer, what="sheet", path=path,
                   option="layer")
    return sheets[chosen]


def _points_from_table(
    path: Path, table: pd.DataFrame, *, lon_col: str | None, lat_col: str | None,
    source_crs: Any, coord_system: str | None,
) -> gpd.GeoDataFrame:
    columns = [str(c) for c in table.columns]
    table.columns = columns
    xcol = _find_column(columns, lon_col, LON_NAMES, what="longitude (x)", option="lon_col",
                        path=path)
    ycol = _find_column(columns, lat_col, LAT_NAMES, what="latitude (y)", option="lat_col",
                        path=path)
    if source_crs is None and coord_system is None:
        raise MissingCRSError(
            f"{path.name} is a coordinate table with no CRS; tanmap never guesses one. Declare "
            f"the source system with {option_hint('coord_system', 'wgs84|gcj02|bd09|cgcs2000')} "
            "(Amap/Gaode and "
            f"Tencent: gcj02, Baidu: bd09), or a CRS with {_SOURCE_CRS_HINT}."
        )
    x = pd.to_numeric(table[xcol].astype(object).map(_strip), errors="coerce").to_numpy(float)
    y = pd.to_numeric(table[ycol].astype(object).map(_strip), errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
    if bad.size:
        shown = ", ".join(
            f"row {i + 1} ({xcol}={table[xcol].iloc[i]!r}, {ycol}={table[ycol].iloc[i]!r})"
            for i in bad[:10]
        )
        more = f" and {bad.size - 10} more" if bad.size > 10 else ""
        raise DataFormatError(
            f"{path.name}: {bad.size} row(s) without numeric coordinates: {shown}{more}. "
            "Fill in or delete those rows (rows count data lines, header excluded)."
        )
    attrs = table.drop(columns=[xcol, ycol])
    crs = _table_crs(path, source_crs, coord_system)
    if coord_system is not None and _system_key(coord_system) in {"gcj02", "bd09"}:
        x, y = to_wgs84(x, y, coord_system)
    return gpd.GeoDataFrame(attrs, geometry=gpd.points_from_xy(x, y), crs=crs)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _system_key(system: str) -> str:
    return system.lower().replace("-", "").replace("_", "")


def _table_crs(path: Path, source_crs: Any, coord_system: str | None) -> pyproj.CRS:
    if coord_system is None:
        return parse_crs(source_crs)
    to_wgs84(np.empty(0), np.empty(0), coord_system)  # checks the name (CRSError lists them)
    key = _system_key(coord_system)
    lonlat = parse_crs("cgcs2000" if key == "cgcs2000" else "wgs84")
    if source_crs is not None:
        crs = parse_crs(source_crs)
        if not crs.is_geographic:
            raise CRSError(
                f"{path.name}: coord_system {coord_system!r} is a lon/lat system but source_crs "
                f"{crs.to_string()} is projected; give one or the other."
            )
    return lonlat


def _apply_crs(gdf: gpd.GeoDataFrame, path: Path, source_crs: Any,
               coord_system: str | None) -> gpd.GeoDataFrame:
    if source_crs is not None:
        gdf = gdf.set_crs(parse_crs(source_crs), allow_override=True)
    if gdf.crs is None:
        hint = (" (a Shapefile's CRS lives in its .prj, which is missing)"
                if path.suffix.lower() in {".shp", ".zip"} else "")
        raise MissingCRSError(
            f"{path.name} has no coordinate reference system{hint}; tanmap never guesses one. "
            f"Declare it with {_SOURCE_CRS_HINT}, e.g. EPSG:4490 (CGCS2000 lon/lat) or "
            "EPSG:4548 (CGCS2000 GK CM 117E)."
        )
    if coord_system is not None and _system_key(coord_system) in {"gcj02", "bd09"}:
        if not gdf.crs.is_geographic:
            raise CRSError(
                f"{path.name}: coord_system {coord_system!r} applies to lon/lat data, but the file "
                f"is in {gdf.crs.to_string()} (projected)."
            )
        # Validate the name before touching geometry (to_wgs84 raises with the known names).
        to_wgs84(np.empty(0), np.empty(0), coord_system)
        geoms = transform_geometries(
            gdf.geometry, lambda x, y: to_wgs84(x, y, coord_system)
        )
        gdf = gdf.set_geometry(geoms)
    elif coord_system is not None:
        to_wgs84(np.empty(0), np.empty(0), coord_system)  # checks the name
    return gdf


# --------------------------------------------------------------------------- readers


def is_rfc7946_crs(crs: Any) -> bool:
    """Return whether ``crs`` is one GeoJSON may be in: WGS84 lon/lat, or CGCS2000 lon/lat.

    中文：GeoJSON 允许的坐标系（WGS84 经纬度；CGCS2000 经纬度与之相差厘米级，亦接受）。

    RFC 7946 §4 fixes GeoJSON to WGS84 lon/lat; EPSG:4490 (CGCS2000) differs from it by
    centimetres and is China's national datum, so a file declaring it is read too.

    Examples
    --------
    >>> is_rfc7946_crs("OGC:CRS84"), is_rfc7946_crs(4490), is_rfc7946_crs(4548)
    (True, True, False)
    """
    parsed = parse_crs(crs)
    if parsed.is_geographic and parsed.to_epsg() in _GEOJSON_EPSG:
        return True
    return bool(parsed.to_authority() == ("OGC", "CRS84"))


def require_rfc7946_crs(crs: Any, *, what: str) -> None:
    """Raise :class:`CRSError` unless a GeoJSON's declared CRS is WGS84/CGCS2000 lon/lat.

    中文：GeoJSON 须为 WGS84 经纬度（RFC 7946）；声明其他坐标系时拒绝导入。

    The CLI, the HTTP upload and the HTTP feature import all apply this one rule. A caller who
    is sure of the declared CRS confirms it with ``source_crs`` (``--source-crs``).

    Parameters
    ----------
    crs
        The CRS the GeoJSON declares (its ``crs`` member), or None when it declares none.
    what
        The file or request named in the message.

    Raises
    ------
    CRSError
        If ``crs`` is set and is not WGS84/CRS84 or CGCS2000 lon/lat.
    """
    if crs is None or is_rfc7946_crs(crs):
        return
    name = parse_crs(crs).to_string()
    raise CRSError(
        f"{what}: the GeoJSON declares crs {name}, but RFC 7946 GeoJSON is WGS84 lon/lat "
        "(EPSG:4326); tanmap does not read other GeoJSON CRSs silently. Reproject it to "
        "EPSG:4326 (e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson), send a GeoPackage or "
        "zipped Shapefile, which carry their CRS, or confirm it with "
        f"{option_hint('source_crs', name)}."
    )


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    encoding: str | None = None,
    source_crs: Any = None,
    coord_system: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> gpd.GeoDataFrame:
    """Read a vector file or a lon/lat point table into a GeoDataFrame with a CRS.

    中文：读取矢量数据（GeoJSON、GeoPackage、Shapefile、CSV/Excel 坐标表）。

    Parameters
    ----------
    path
        ``.geojson``/``.json``, ``.gpkg``, ``.shp`` (with .shx/.dbf beside it), ``.zip`` (a zipped
        Shapefile), ``.csv`` or ``.xlsx`` (points from lon/lat columns).
    layer
        GeoPackage layer, Shapefile name inside a zip (without ``.shp``) or Excel sheet; needed
        only when the file holds several (the error lists them).
    encoding
        Text encoding of a Shapefile's DBF or a CSV. Default: the ``.cpg``, else detected
        (UTF-8, else GB18030/GBK).
    source_crs
        CRS of the coordinates (``"EPSG:4548"``, ``4490``, ``"cgcs2000"``...). Required when the
        file has none (a Shapefile without .prj, a CSV in metres); overrides the file's own.
    coord_system
        ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"`` (Amap/Gaode, Tencent) or ``"bd09"`` (Baidu) for
        lon/lat data; GCJ-02 and BD-09 are converted to WGS84 (EPSG:4326).
    lon_col, lat_col
        Coordinate columns of a CSV/XLSX; default: the first of :data:`LON_NAMES` /
        :data:`LAT_NAMES` present (case-insensitive). The columns are dropped from the result.
    max_bytes
        Refuse inputs larger than this (bytes).

    Returns
    -------
    GeoDataFrame
        In the file's (or declared) CRS; GCJ-02/BD-09 input comes back in EPSG:4326.

    Raises
    ------
    MissingCRSError
        If the file has no CRS and none was declared.
    DataFormatError
        If the file is missing, of an unknown type, unreadable, or its layer/sheet/columns are
        ambiguous or absent (the message lists the choices).
    InputTooLargeError
        If the input exceeds ``max_bytes``.
    CRSError
        If ``source_crs`` or ``coord_system`` is not understood or they contradict each other.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"cannot read {path.name}: no such file ({path}).")
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise DataFormatError(
            f"cannot read {path.name}: unknown file type {suffix or '(none)'!r}; tanmap reads "
            f"{', '.join(sorted(_READERS))}."
        )
    if suffix == ".shp":
        gdf = _read_shapefile(path, layer=layer, encoding=encoding, max_bytes=max_bytes)
        return _apply_crs(gdf, path, source_crs, coord_system)
    _check_size(path, max_bytes)
    _require_content(path)
    if suffix in {".csv", ".xlsx", ".xlsm"}:
        table = _read_table(path, layer=layer, encoding=encoding)
        return _points_from_table(path, table, lon_col=lon_col, lat_col=lat_col,
                                  source_crs=source_crs, coord_system=coord_system)
    if suffix == ".zip":
        gdf = _read_zip(path, layer=layer, encoding=encoding)
    elif suffix == ".gpkg":
        gdf = _read_gpkg(path, layer=layer)
    else:
        gdf = _read_ogr(str(path), path, layer=layer, encoding=encoding)
        if source_crs is None:
            require_rfc7946_crs(gdf.crs, what=path.name)
    return _apply_crs(gdf, path, source_crs, coord_system)


def load(
    kind: LayerKind | str,
    path: str | os.PathLike[str],
    *,
    target_crs: Any = "EPSG:4326",
    repair: bool = False,
    district: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    **read_opts: Any,
) -> LoadResult:
    """Read, optionally repair, validate, coerce and reproject one layer file.

    中文：导入图层（读取 → 几何修复 → 校验 → 类型转换 → 坐标转换）。

    Parameters
    ----------
    kind
        Layer kind (``LayerKind`` or its value, e.g. ``"park"``).
    path
        The file (see :func:`read_vector`).
    target_crs
        CRS of the result; storage is EPSG:4326.
    repair
        Apply :func:`~tanmap.layers.validation.repair_geometries` before validating.
    district
        District boundary for the outside-district warning: a GeoSeries/GeoDataFrame with a CRS,
        or a shapely geometry in ``target_crs``.
    **read_opts
        Passed to :func:`read_vector` (``layer``, ``encoding``, ``source_crs``,
        ``coord_system``, ``lon_col``, ``lat_col``, ``max_bytes``).

    Returns
    -------
    LoadResult
        The layer in ``target_crs``, warnings and repair notes.

    Raises
    ------
    LayerValidationError
        With every error found (``issues``), if any.
    MissingCRSError, DataFormatError, InputTooLargeError, CRSError
        From :func:`read_vector`.
    ValueError
        If ``kind`` is unknown.
    """
    spec: LayerSpec = spec_for(kind)
    path = Path(path)
    target = parse_crs(target_crs)
    gdf = read_vector(path, **read_opts)
    repairs: list[RepairNote] = []
    if repair:
        gdf, repairs = repair_geometries(gdf, spec, source=path.name)
    if isinstance(district, BaseGeometry):
        district = gpd.GeoSeries([district], crs=target)
    issues = validate(gdf, spec, source=path.name, district=district)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise LayerValidationError(what=f"{path.name} ({spec.zh_name} {spec.kind.value})",
                                   issues=errors)
    out = coerce_types(gdf, spec).to_crs(target)
    return LoadResult(out, [i for i in issues if i.severity == "warning"], repairs)


# --------------------------------------------------------------------------- writers


def _require_crs(gdf: gpd.GeoDataFrame, what: str) -> None:
    if gdf.crs is None:
        raise MissingCRSError(
            f"cannot write {what}: the layer has no CRS; call gdf.set_crs(<source CRS>) first."
        )


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder, then rename (no half-written files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _promote(gdf: gpd.GeoDataFrame) -> bool:
    types = set(gdf.geom_type.dropna())
    return len(types) > 1


def write_geojson(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], *,
                  precision: int = 7) -> Path:
    """Write RFC 7946 GeoJSON: EPSG:4326 lon/lat, right-hand rule, ``precision`` decimals.

    中文：导出 GeoJSON（RFC 7946，WGS84 经纬度，外环逆时针）。

    Polygon exteriors are written counter-clockwise and holes clockwise
    (``shapely.orient_polygons``); 7 decimals of a degree are about 1 cm.

    Parameters
    ----------
    gdf
        Layer in any CRS (reprojected to EPSG:4326).
    path
        Output file (replaced atomically if it exists).
    precision
        Decimal places of the coordinates.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    MissingCRSError
        If ``gdf`` has no CRS.
    """
    path = Path(path)
    _require_crs(gdf, path.name)
    out = gdf.to_crs(4326)
    out = out.set_geometry(
        gpd.GeoSeries(shapely.orient_polygons(np.asarray(out.geometry.array), exterior_cw=False),
                      index=out.index, crs=out.crs)
    )
    _atomic_write(path, lambda tmp: pyogrio.write_dataframe(
        out, tmp, driver="GeoJSON",
        layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": str(precision),
                       "WRITE_NAME": "NO"},
    ))
    return path


def write_gpkg(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], *, layer: str,
               crs: Any = None) -> Path:
    """Write (or replace) one layer of a GeoPackage, in its CRS or ``crs``.

    中文：导出 GeoPackage 图层（可指定坐标系，如 CGCS2000 高斯投影）。

    Parameters
    ----------
    gdf
        Layer with a CRS.
    path
        GeoPackage file; other layers in it are kept, a layer of the same name is replaced.
    layer
        Layer name.
    crs
        Reproject to this CRS first (e.g. ``"EPSG:4548"``); default: keep the layer's CRS.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    MissingCRSError
        If ``gdf`` has no CRS.
    """
    path = Path(path)
    _require_crs(gdf, path.name)
    out = gdf.to_crs(parse_crs(crs)) if crs is not None else gdf
    path.parent.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(out, path, layer=layer, driver="GPKG",
                            promote_to_multi=_promote(out) or None)
    return path


def shapefile_field_names(columns: list[str], *, encoding: str = "utf-8") -> dict[str, str]:
    """Map column names to unique DBF field names of at most 10 bytes in ``encoding``.

    中文：Shapefile 字段名截断（不超过 10 字节，中文按编码计字节）。

    Names are cut at a character boundary (a Chinese character is 3 bytes in UTF-8, 2 in GBK);
    a cut name that repeats an earlier one ends in ``_1``, ``_2``... instead.

    Examples
    --------
    >>> names = ["installation_year", "installation_no", "供热管网名称", "id"]
    >>> list(shapefile_field_names(names).values())
    ['installati', 'installa_1', '供热管', 'id']
    >>> shapefile_field_names(["供热管网名称"], encoding="gbk")
    {'供热管网名称': '供热管网名'}
    """
    def cut(name: str, limit: int) -> str:
        while len(name.encode(encoding)) > limit:
            name = name[:-1]
        return name

    used: set[str] = set()
    mapping: dict[str, str] = {}
    for column in columns:
        short = cut(column, SHP_FIELD_MAX_BYTES)
        n = 0
        while short.lower() in used:  # DBF field names are case-insensitive
            n += 1
            suffix = f"_{n}"
            short = cut(column, SHP_FIELD_MAX_BYTES - len(suffix)) + suffix
        used.add(short.lower())
        mapping[column] = short
    return mapping


def write_shapefile_zip(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    crs: Any = None,
    encoding: Literal["utf-8", "gbk"] = "utf-8",
) -> ShapefileReport:
    """Write a zipped Shapefile (.shp .shx .dbf .prj .cpg + fields.csv).

    中文：导出 Shapefile 压缩包（含 .prj、.cpg，字段名截断对照表 fields.csv）。

    Parameters
    ----------
    gdf
        Layer with a CRS and one geometry family (Multi- parts are promoted together).
    path
        Output ``.zip`` (replaced atomically); the Shapefile inside is named after its stem.
    crs
        Reproject first (e.g. ``"EPSG:4548"``); default: keep the layer's CRS.
    encoding
        DBF text encoding, ``"utf-8"`` (default) or ``"gbk"`` (older Chinese GIS software);
        written to the ``.cpg`` as ``UTF-8`` or ``GBK``.

    Returns
    -------
    ShapefileReport
        The zip, the field-name mapping, encoding, feature count and CRS.

    Raises
    ------
    MissingCRSError
        If ``gdf`` has no CRS.
    DataFormatError
        If the layer mixes geometry families, or text cannot be encoded in ``encoding``.
    ValueError
        If ``encoding`` is neither ``"utf-8"`` nor ``"gbk"``.
    """
    path = Path(path)
    codec = encoding.lower()
    if codec not in {"utf-8", "gbk"}:
        raise ValueError(f"encoding must be 'utf-8' or 'gbk', got {encoding!r}")
    cpg = "UTF-8" if codec == "utf-8" else "GBK"
    _require_crs(gdf, path.name)
    out = gdf.to_crs(parse_crs(crs)) if crs is not None else gdf.copy()
    dims = set(shapely.get_dimensions(np.asarray(out.geometry.array))[
        ~shapely.is_missing(np.asarray(out.geometry.array))].tolist())
    if len(dims) > 1:
        raise DataFormatError(
            f"cannot write {path.name}: a Shapefile holds one geometry family, but the layer "
            f"mixes {', '.join(sorted(set(out.geom_type.dropna())))}. Split it by geometry type."
        )
    geom_name = out.geometry.name
    columns = [str(c) for c in out.columns if c != geom_name]
    mapping = shapefile_field_names(columns, encoding=codec)
    if codec == "gbk":
        _check_encodable(out, columns, codec, path)
    out = out.rename(columns=mapping)
    stem = path.stem
    with tempfile.TemporaryDirectory(prefix="tanmap-shp-") as tmp_dir:
        shp = Path(tmp_dir) / f"{stem}.shp"
        pyogrio.write_dataframe(out, shp, driver="ESRI Shapefile", encoding=cpg,
                                promote_to_multi=_promote(out) or None)
        shp.with_suffix(".cpg").write_text(cpg, encoding="ascii")
        listing = io.StringIO()
        writer = csv.writer(listing, lineterminator="\n")
        writer.writerow(["field", "original"])
        writer.writerows((short, original) for original, short in mapping.items())

        def write_zip(tmp: Path) -> None:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for suffix in _SHP_SIDECARS:
                    zf.write(shp.with_suffix(suffix), f"{stem}{suffix}")
                zf.writestr("fields.csv", "\ufeff" + listing.getvalue())

        _atomic_write(path, write_zip)
    return ShapefileReport(path=path, field_names=mapping, encoding=cpg, n_features=len(out),
                           crs=out.crs.to_string())


def _check_encodable(gdf: gpd.GeoDataFrame, columns: list[str], codec: str, path: Path) -> None:
    problems = []
    for column in columns:
        try:
            column.encode(codec)
        except UnicodeEncodeError:
            problems.append(f"field name {column!r}")
        values = gdf[column]
        if values.dtype.kind in "biufcmM" or isinstance(values.dtype, pd.BooleanDtype):
            continue
        for row, value in enumerate(values.tolist(), start=1):
            if isinstance(value, str):
                try:
                    value.encode(codec)
                except UnicodeEncodeError:
                    problems.append(f"row {row} field {column} value {value!r}")
    if problems:
        raise DataFormatError(
            f"cannot write {path.name} in {codec.upper()}: {len(problems)} text value(s) have "
            f"characters GBK lacks: {'; '.join(problems[:10])}. Write UTF-8 instead "
            "(encoding='utf-8') or replace those characters."
        )


def write_layer(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], fmt: str,
                **opts: Any) -> Path | ShapefileReport:
    """Write a layer as ``fmt``: ``"geojson"``, ``"gpkg"`` or ``"shp"`` (a zipped Shapefile).

    中文：按格式导出图层。

    Parameters
    ----------
    gdf
        Layer with a CRS.
    path
        Output file.
    fmt
        One of :data:`VECTOR_FORMATS`.
    **opts
        Passed to the writer (``precision``; ``layer``, ``crs``; ``crs``, ``encoding``). For
        ``"gpkg"``, ``layer`` defaults to the file's stem.

    Returns
    -------
    Path or ShapefileReport
        What the writer returns.

    Raises
    ------
    ValueError
        If ``fmt`` is not a known format (the message lists them).
    """
    if fmt == "geojson":
        return write_geojson(gdf, path, **opts)
    if fmt == "gpkg":
        opts.setdefault("layer", Path(path).stem)
        return write_gpkg(gdf, path, **opts)
    if fmt == "shp":
        return write_shapefile_zip(gdf, path, **opts)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(VECTOR_FORMATS)}")
