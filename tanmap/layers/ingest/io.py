"""Vector file readers and writers (矢量数据读写): GeoJSON, GPKG, Shapefile, CSV/XLSX points."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import shutil
import stat
import tempfile
import threading
import time
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
from tanmap.layers.ingest.fieldmap import (
    AppliedMapping,
    FieldMap,
    apply_field_map,
    load_field_map,
    missing_field_fix,
    unmapped_issues,
)
from tanmap.layers.ingest.validation import (
    Issue,
    RepairNote,
    coerce_types,
    feature_ids,
    repair_geometries,
    validate,
)
from tanmap.layers.kinds import GeometryFamily, LayerKind, LayerSpec, spec_for

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pyproj

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DETECTED_ENCODING_ATTR",
    "EMPTY_GEOMETRY_TYPES",
    "LAT_NAMES",
    "LOCATION_NAMES",
    "LON_NAMES",
    "REJECT_COLUMNS",
    "SHP_FIELD_MAX_BYTES",
    "VECTOR_FORMATS",
    "WKT_NAMES",
    "ZIP_MEMBER_MODE",
    "LayerLoadError",
    "LoadResult",
    "ShapefileReport",
    "closed_lines_as_polygons",
    "default_rejects_path",
    "detect_dbf_encoding",
    "export_target",
    "is_rfc7946_crs",
    "load",
    "read_vector",
    "require_rfc7946_crs",
    "shapefile_field_names",
    "write_geojson",
    "write_gpkg",
    "write_layer",
    "write_rejects",
    "write_shapefile_zip",
]

#: Default size limit of one input file (a zip, or a Shapefile's .shp + .dbf + .shx), in bytes.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
#: Column names recognised as longitude (compared case-insensitively, in this priority).
LON_NAMES: tuple[str, ...] = ("lon", "lng", "longitude", "long", "经度", "x")
#: Column names recognised as latitude (compared case-insensitively, in this priority).
LAT_NAMES: tuple[str, ...] = ("lat", "latitude", "纬度", "y")
#: Columns holding both coordinates as one "lng,lat" text (Amap/Baidu POI exports), used when
#: no separate lon/lat columns are found (compared case-insensitively, in this priority).
LOCATION_NAMES: tuple[str, ...] = ("location", "lnglat", "lng_lat", "经纬度", "坐标")
#: Columns holding a WKT geometry (a rejects CSV, a database dump), used when a table has no
#: coordinate columns (compared case-insensitively).
WKT_NAMES: tuple[str, ...] = ("wkt", "geometry", "geom", "the_geom", "shape")
#: ``GeoDataFrame.attrs`` key of a DBF encoding that was detected, not declared (no .cpg).
DETECTED_ENCODING_ATTR = "tanmap_detected_encoding"
#: dBase III field names hold at most 10 bytes (in the file's encoding).
SHP_FIELD_MAX_BYTES = 10
#: Columns added to rejected features: 1-based feature number, issue codes, problems and fixes.
REJECT_COLUMNS: tuple[str, str, str] = ("reject_row", "reject_codes", "reject_problems")
#: Geometry type written for a layer without features, per geometry family (``family.value``).
EMPTY_GEOMETRY_TYPES: Mapping[str, str] = {
    GeometryFamily.POINT.value: "Point", GeometryFamily.LINE.value: "MultiLineString",
    GeometryFamily.POLYGON.value: "MultiPolygon",
}
#: Output formats of :func:`write_layer` and the file suffix each writes.
VECTOR_FORMATS: Mapping[str, str] = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip"}
#: Permissions of the files inside an exported zip (rw-r--r--, as ``zip`` gives them).
ZIP_MEMBER_MODE = 0o644
#: File suffixes each output format may be written to (:func:`export_target`).
_FORMAT_SUFFIXES: Mapping[str, tuple[str, ...]] = {
    "geojson": (".geojson", ".json"), "gpkg": (".gpkg",), "shp": (".zip",),
}

_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_READERS = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".csv", ".xlsx", ".xlsm", ".gdb",
            ".dxf"}
#: Columns of GDAL's DXF reader that only describe the drawing (the CAD layer is chosen first).
_DXF_BOOKKEEPING = ("Layer", "PaperSpace", "SubClasses", "Linetype")
_GDAL_OPTION_LOCK = threading.Lock()
_DBF_SAMPLE_BYTES = 1024 * 1024
_PYOGRIO_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)
_GEOJSON_EPSG = frozenset({4326, 4490})
_GEOJSON_TYPES = frozenset({"FeatureCollection", "Feature", "Point", "MultiPoint", "LineString",
                            "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"})
_FORMAT_NAMES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage",
                 ".shp": "Shapefile", ".zip": "zipped Shapefile"}
_SOURCE_CRS_HINT = option_hint("source_crs", "EPSG:xxxx")


class LayerLoadError(LayerValidationError):
    """A layer file failed validation; ``mapping`` tells how its headers were read.

    中文：图层文件校验未通过（附已应用的字段映射）。

    Parameters
    ----------
    what, issues
        As for :class:`~tanmap.geo.errors.LayerValidationError`.
    mapping
        The field mapping applied before validation (a wrong mapping often explains the
        errors), or None.
    """

    def __init__(self, what: str, issues: list[Issue], *,
                 mapping: AppliedMapping | None = None) -> None:
        super().__init__(what, issues)
        self.mapping = mapping


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
    mapping
        The field mapping applied (headers renamed, values recoded, unmapped headers).
    rejected
        With ``skip_invalid=True``: the features left out, as read (original headers and
        geometry, source CRS), with ``reject_row`` (1-based), ``reject_codes`` and
        ``reject_problems``; None otherwise.
    rejects
        The errors of the rejected features, one per (feature, problem): a duplicated id gives
        one issue per feature carrying it.
    """

    gdf: gpd.GeoDataFrame
    warnings: list[Issue] = field(default_factory=list)
    repairs: list[RepairNote] = field(default_factory=list)
    mapping: AppliedMapping | None = None
    rejected: gpd.GeoDataFrame | None = None
    rejects: list[Issue] = field(default_factory=list)


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
    # A UTF-8 name cut at 10 bytes ends inside a character; judge UTF-8 without that tail.
    for candidate, codec, sample in (("UTF-8", "utf-8", _dbf_text_bytes(dbf, trim_utf8=True)),
                                     ("GB18030", "gb18030", text)):
        try:
            sample.decode(codec)
        except UnicodeDecodeError:
            continue
        return candidate
    best = from_bytes(text).best()
    return best.encoding.upper() if best is not None else "ISO-8859-1"


def _dbf_text_bytes(dbf: bytes, *, trim_utf8: bool = False) -> bytes:
    """Return the field names and record bytes of a DBF (the parts that carry text)."""
    if len(dbf) < 32:
        return b""
    header_len = int.from_bytes(dbf[8:10], "little")
    names = []
    for start in range(32, min(header_len, len(dbf)) - 31, 32):
        if dbf[start] == 0x0D:  # header terminator
            break
        name = dbf[start:start + 11].split(b"\0", 1)[0]
        names.append(_trim_utf8_tail(name) if trim_utf8 else name)
    records = dbf[header_len:header_len + _DBF_SAMPLE_BYTES].rstrip(b"\x1a")
    return b"\n".join(names) + b"\n" + records


def _trim_utf8_tail(name: bytes) -> bytes:
    """Drop an incomplete UTF-8 sequence that a 10-byte DBF field name was cut in.

    GDAL and others cut UTF-8 names at 10 bytes, mid-character: ``所属区县代码`` becomes
    ``所属区`` plus one stray byte. That name is still UTF-8, not GBK.

    Examples
    --------
    >>> _trim_utf8_tail("所属区县代码".encode()[:10]).decode()
    '所属区'
    """
    if len(name) < SHP_FIELD_MAX_BYTES:
        return name
    for back in range(1, 4):
        lead = name[-back]
        if lead < 0x80:
            return name
        if lead >= 0xC0:  # a lead byte: complete only if followed by all its continuations
            needed = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
            return name[:-back] if needed > back else name
    return name


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
    except UnicodeDecodeError as err:
        if encoding is None or display.suffix.lower() not in {".shp", ".zip"}:
            raise DataFormatError(
                f"cannot decode the text of {display.name}: {err}. Pass its encoding "
                "(--encoding GBK / UTF-8)."
            ) from err
        return _read_cut_text(path, layer=layer, encoding=encoding)


def _read_cut_text(path: str, *, layer: str | None, encoding: str) -> gpd.GeoDataFrame:
    """Read a Shapefile whose names or values were cut inside a multi-byte character.

    GDAL hands the raw bytes over as ISO-8859-1 (one character per byte, lossless); they are
    decoded here with ``encoding``, dropping the stray bytes of a cut field name and marking a
    cut value with U+FFFD.
    """
    gdf = pyogrio.read_dataframe(path, layer=layer, encoding="ISO-8859-1")

    def fix(text: Any, errors: str) -> Any:
        if not isinstance(text, str):
            return text
        return text.encode("latin-1").decode(encoding, errors=errors)

    geometry = gdf.geometry.name
    for column in gdf.columns:
        dtype = gdf[column].dtype
        if column != geometry and (pd.api.types.is_object_dtype(dtype)
                                   or pd.api.types.is_string_dtype(dtype)):
            gdf[column] = gdf[column].map(lambda v: fix(v, "replace"))
    return gdf.rename(columns={c: fix(c, "ignore") for c in gdf.columns if c != geometry})


def _read_shapefile(path: Path, *, layer: str | None, encoding: str | None,
                    max_bytes: int) -> gpd.GeoDataFrame:
    detected: str | None = None
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
                encoding = detected = _detected_encoding(fh.read(_DBF_SAMPLE_BYTES))
    return _mark_detected(_read_ogr(str(path), path, layer=layer, encoding=encoding), detected)


def _read_zip(path: Path, *, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    detected: str | None = None
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.startswith("__MACOSX/")]
            shps = sorted(n for n in names if n.lower().endswith(".shp"))
            gdbs = sorted({m.group(1) for n in names
                           if (m := re.match(r"^(.*?\.gdb)/", n, re.IGNORECASE))})
            if not shps and gdbs:
                if len(gdbs) > 1:
                    raise DataFormatError(
                        f"{path.name} holds {len(gdbs)} File Geodatabases: {', '.join(gdbs)}; "
                        "zip one .gdb folder per file."
                    )
                return _read_gdb(f"/vsizip/{path.resolve()}/{gdbs[0]}", path, layer=layer)
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
                        encoding = detected = _detected_encoding(fh.read(_DBF_SAMPLE_BYTES))
            listing = by_lower.get(str(Path(base).parent / "fields.csv").lower().lstrip("./"))
            originals = _field_listing(zf.read(listing)) if listing else {}
    except zipfile.BadZipFile as err:
        raise DataFormatError(f"cannot read {path.name}: not a valid zip file ({err}).") from err
    gdf = _read_ogr(f"/vsizip/{path.resolve()}/{member}", path, layer=None, encoding=encoding)
    # tanmap's own Shapefile export lists the full names of the fields it cut to 10 bytes.
    gdf = gdf.rename(columns={k: v for k, v in originals.items() if k in gdf.columns})
    return _mark_detected(gdf, detected)


def _field_listing(raw: bytes) -> dict[str, str]:
    """Return DBF name -> original name from a ``fields.csv`` written by write_shapefile_zip."""
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        return {}
    if not rows or [c.strip() for c in rows[0]] != ["field", "original"]:
        return {}
    return {r[0]: r[1] for r in rows[1:] if len(r) == 2 and r[0] and r[1]}


def _tree_size(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def _read_gdb(source: str, display: Path, *, layer: str | None) -> gpd.GeoDataFrame:
    """Read one feature class of an Esri File Geodatabase folder (GDAL OpenFileGDB)."""
    try:
        listed = pyogrio.list_layers(source)
    except _PYOGRIO_ERRORS as err:
        raise DataFormatError(
            f"cannot read {display.name} as a File Geodatabase: {err}. Give the .gdb folder "
            "itself (or a zip of it)."
        ) from err
    spatial = [str(name) for name, gtype in listed if gtype is not None]
    chosen = _pick(spatial, layer, what="layer", path=display, option="layer")
    return _read_ogr(source, display, layer=chosen, encoding=None)


def _read_dxf(path: Path, *, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    """Read the entities of one CAD layer of a DXF drawing (GDAL DXF driver)."""
    # GDAL decodes DXF text by the drawing's $DWGCODEPAGE (ANSI_936 = GBK); DXF_ENCODING
    # overrides it. The option is process-wide: hold a lock while it is set.
    with _GDAL_OPTION_LOCK:
        previous = pyogrio.get_gdal_config_option("DXF_ENCODING")
        if encoding is not None:
            pyogrio.set_gdal_config_options({"DXF_ENCODING": encoding})
        try:
            gdf = _read_ogr(str(path), path, layer=None, encoding=None)
        finally:
            pyogrio.set_gdal_config_options({"DXF_ENCODING": previous})
    if "Layer" not in gdf.columns:
        return gdf
    cad = gdf["Layer"].astype(object).where(gdf["Layer"].notna(), "")
    counts = cad[~gdf.geometry.isna()].value_counts()
    names = sorted(str(n) for n in counts.index)
    if layer is None and len(names) > 1:
        listing = ", ".join(f"{n} ({int(counts[n])})" for n in names)
        raise DataFormatError(
            f"{path.name} holds {len(names)} CAD layers (图层): {listing}; choose one with "
            "--layer (Python: layer=...)."
        )
    chosen = _pick(names, layer, what="CAD layer", path=path, option="layer")
    out = gdf[(cad == chosen).to_numpy()]
    return out.drop(columns=[c for c in _DXF_BOOKKEEPING if c in out.columns])


def closed_lines_as_polygons(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Turn closed LineStrings (CAD polylines) into Polygons; return the copy and the count.

    中文：闭合多段线转面（CAD 图纸）。

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> ring = LineString([(0, 0), (2, 0), (2, 2), (0, 0)])
    >>> out, n = closed_lines_as_polygons(gpd.GeoDataFrame(geometry=[ring], crs=4548))
    >>> out.geometry.iloc[0].geom_type, out.geometry.iloc[0].area, n
    ('Polygon', 2.0, 1)
    """
    geoms = np.asarray(gdf.geometry.array)
    lines = shapely.get_type_id(geoms) == 1
    closed = np.zeros(len(geoms), dtype=bool)
    closed[lines] = shapely.is_closed(geoms[lines]) & (
        shapely.get_num_coordinates(geoms[lines]) >= 4
    )
    if not closed.any():
        return gdf, 0
    new = geoms.copy()
    coords, owner = shapely.get_coordinates(geoms[closed], return_index=True)
    new[closed] = shapely.polygons(shapely.linearrings(coords, indices=owner))
    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(new, index=out.index, crs=out.crs)
    return out, int(closed.sum())


def _detected_encoding(dbf: bytes) -> str:
    encoding = detect_dbf_encoding(dbf)
    # Pure ASCII reads the same in every encoding: nothing worth reporting.
    return encoding if not _dbf_text_bytes(dbf).isascii() else ""


def _mark_detected(gdf: gpd.GeoDataFrame, detected: str | None) -> gpd.GeoDataFrame:
    """Record a detected (not declared) DBF encoding in ``gdf.attrs`` for :func:`load`."""
    if detected:
        gdf.attrs[DETECTED_ENCODING_ATTR] = detected
    return gdf


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
    source_crs: Any, coord_system: str | None, allow_missing_coordinates: bool = False,
) -> gpd.GeoDataFrame:
    columns = [str(c) for c in table.columns]
    table.columns = columns
    wkt = _wkt_column(columns) if lon_col is None and lat_col is None else None
    if wkt is not None:
        return _wkt_table(path, table, wkt, source_crs=source_crs, coord_system=coord_system)
    location = _location_column(columns) if lon_col is None and lat_col is None else None
    if location is not None:
        x_text, y_text = _split_location(table[location])
        table = table.assign(**{_LOCATION_X: x_text, _LOCATION_Y: y_text})
        xcol, ycol = _LOCATION_X, _LOCATION_Y
    else:
        xcol = _find_column(columns, lon_col, LON_NAMES, what="longitude (x)",
                            option="lon_col", path=path)
        ycol = _find_column(columns, lat_col, LAT_NAMES, what="latitude (y)",
                            option="lat_col", path=path)
    if source_crs is None and coord_system is None:
        raise MissingCRSError(
            f"{path.name} is a coordinate table with no CRS; tanmap never guesses one. Declare "
            f"the source system with {option_hint('coord_system', 'wgs84|gcj02|bd09|cgcs2000')} "
            "(Amap/Gaode and "
            f"Tencent: gcj02, Baidu: bd09), or a CRS with {_SOURCE_CRS_HINT}."
        )
    x = pd.to_numeric(table[xcol].astype(object).map(_strip), errors="coerce").to_numpy(
        float, copy=True)
    y = pd.to_numeric(table[ycol].astype(object).map(_strip), errors="coerce").to_numpy(
        float, copy=True)
    bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
    if bad.size and not allow_missing_coordinates:
        shown = ", ".join(
            f"row {i + 1} ({location}={table[location].iloc[i]!r})" if location is not None
            else f"row {i + 1} ({xcol}={table[xcol].iloc[i]!r}, {ycol}={table[ycol].iloc[i]!r})"
            for i in bad[:10]
        )
        more = f" and {bad.size - 10} more" if bad.size > 10 else ""
        raise DataFormatError(
            f"{path.name}: {bad.size} row(s) without numeric coordinates: {shown}{more}. "
            "Fill in or delete those rows (rows count data lines, header excluded)."
        )
    attrs = table.drop(columns=[xcol, ycol] + ([location] if location is not None else []))
    crs = _table_crs(path, source_crs, coord_system)
    x[bad], y[bad] = 0.0, 0.0  # placeholders: those rows get no geometry below
    if coord_system is not None and _system_key(coord_system) in {"gcj02", "bd09"}:
        x, y = to_wgs84(x, y, coord_system)
    points = np.array(gpd.points_from_xy(x, y), dtype=object)
    points[bad] = None
    return gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(points, index=attrs.index), crs=crs)


def _wkt_column(columns: list[str]) -> str | None:
    """Return the WKT column of a table that has no coordinate columns at all."""
    lowered = {c.strip().lower(): c for c in columns}
    if any(n in lowered for n in (*LON_NAMES, *LAT_NAMES, *LOCATION_NAMES)):
        return None
    return next((lowered[n] for n in WKT_NAMES if n in lowered), None)


def _wkt_table(path: Path, table: pd.DataFrame, column: str, *, source_crs: Any,
               coord_system: str | None) -> gpd.GeoDataFrame:
    """Return a table with a WKT column as features (unparsable WKT -> null geometry)."""
    if source_crs is None and coord_system is None:
        raise MissingCRSError(
            f"{path.name} holds WKT geometry ({column}) but no CRS; tanmap never guesses one. "
            f"Declare it with {_SOURCE_CRS_HINT} (a rejects file keeps its input's CRS)."
        )
    text = table[column].astype(object).where(table[column].notna(), None).to_numpy()
    geoms = shapely.from_wkt(text, on_invalid="ignore")
    gdf = gpd.GeoDataFrame(table.drop(columns=[column]), geometry=geoms,
                           crs=_table_crs(path, source_crs, coord_system))
    if coord_system is not None and _system_key(coord_system) in {"gcj02", "bd09"}:
        gdf = gdf.set_geometry(transform_geometries(
            gdf.geometry, lambda x, y: to_wgs84(x, y, coord_system)))
    return gdf


def _location_column(columns: list[str]) -> str | None:
    """Return the combined "lng,lat" column when the table has no separate lon/lat columns."""
    lowered = {c.strip().lower(): c for c in columns}
    if any(n in lowered for n in LON_NAMES) and any(n in lowered for n in LAT_NAMES):
        return None
    return next((lowered[n] for n in LOCATION_NAMES if n in lowered), None)


_LOCATION_X, _LOCATION_Y = "\0location_x", "\0location_y"
_LOCATION_TEXT = re.compile(
    r"^\s*[\[(]?\s*(?P<x>[-+]?\d+(?:\.\d*)?)\s*[,，;\s]\s*(?P<y>[-+]?\d+(?:\.\d*)?)\s*[\])]?\s*$"
)
_LOCATION_KEYS = re.compile(
    r"[\"']?(?P<key>lng|lon|lat)[\"']?\s*[:=]\s*(?P<value>[-+]?\d+(?:\.\d*)?)", re.IGNORECASE
)


def _split_location(values: pd.Series) -> tuple[list[float | None], list[float | None]]:
    """Split "lng,lat" texts (Amap/Baidu POI ``location``) into x and y (None if unparsable).

    Accepts ``"116.397,39.908"`` (Amap), the same with ``;``/space/full-width comma, and
    Baidu's ``{"lng": 116.40, "lat": 39.91}``.

    Examples
    --------
    >>> _split_location(pd.Series(["116.397,39.908", '{"lat": 39.9, "lng": 116.4}', "x"]))
    ([116.397, 116.4, None], [39.908, 39.9, None])
    """
    xs: list[float | None] = []
    ys: list[float | None] = []
    for value in values.tolist():
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
        keyed = {m["key"].lower(): float(m["value"]) for m in _LOCATION_KEYS.finditer(text)}
        plain = _LOCATION_TEXT.match(text)
        if "lat" in keyed and ("lng" in keyed or "lon" in keyed):
            xs.append(keyed.get("lng", keyed.get("lon")))
            ys.append(keyed["lat"])
        elif plain is not None:
            xs.append(float(plain["x"]))
            ys.append(float(plain["y"]))
        else:
            xs.append(None)
            ys.append(None)
    return xs, ys


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
    allow_missing_coordinates: bool = False,
) -> gpd.GeoDataFrame:
    """Read a vector file or a lon/lat point table into a GeoDataFrame with a CRS.

    中文：读取矢量数据（GeoJSON、GeoPackage、Shapefile、CSV/Excel 坐标表）。

    Parameters
    ----------
    path
        ``.geojson``/``.json``, ``.gpkg``, ``.shp`` (with .shx/.dbf beside it), ``.zip`` (a zipped
        Shapefile or File Geodatabase), a ``.gdb`` folder (Esri File Geodatabase), ``.dxf`` (CAD
        drawing), ``.csv`` or ``.xlsx`` (points from lon/lat columns, or one ``location``
        column ``"lng,lat"`` as in Amap/Baidu POI exports).
    layer
        GeoPackage layer, File Geodatabase feature class, CAD layer of a DXF (its ``Layer``
        value), Shapefile name inside a zip (without ``.shp``) or Excel sheet; needed only when
        the file holds several (the error lists them).
    encoding
        Text encoding of a Shapefile's DBF, a CSV or a DXF. Default: the ``.cpg``, else
        detected (UTF-8, else GB18030/GBK); a DXF's own ``$DWGCODEPAGE``.
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
    allow_missing_coordinates
        Give table rows without numeric coordinates a null geometry instead of refusing the
        table (``load(..., skip_invalid=True)`` then rejects those rows).

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
    _check_size(path, max_bytes, _tree_size(path) if path.is_dir() else None)
    _require_content(path)
    if suffix in {".csv", ".xlsx", ".xlsm"}:
        table = _read_table(path, layer=layer, encoding=encoding)
        return _points_from_table(path, table, lon_col=lon_col, lat_col=lat_col,
                                  source_crs=source_crs, coord_system=coord_system,
                                  allow_missing_coordinates=allow_missing_coordinates)
    if suffix == ".zip":
        gdf = _read_zip(path, layer=layer, encoding=encoding)
    elif suffix == ".gpkg":
        gdf = _read_gpkg(path, layer=layer)
    elif suffix == ".gdb":
        gdf = _read_gdb(str(path), path, layer=layer)
    elif suffix == ".dxf":
        gdf = _read_dxf(path, layer=layer, encoding=encoding)
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
    field_map: FieldMap | str | os.PathLike[str] | None = None,
    skip_invalid: bool = False,
    **read_opts: Any,
) -> LoadResult:
    """Read, map fields, optionally repair, validate, coerce and reproject one layer file.

    中文：导入图层（读取 → 字段映射 → 几何修复 → 校验 → 类型转换 → 坐标转换）。

    Headers and values are mapped first (:func:`tanmap.layers.ingest.fieldmap.apply_field_map`:
    built-in Chinese aliases, or ``field_map``); headers that fit no field give
    ``unmapped_column`` warnings. A DXF read for a polygon kind has its closed polylines
    turned into polygons.

    Parameters
    ----------
    kind
        Layer kind (``LayerKind`` or its value, e.g. ``"park"``).
    path
        The file (see :func:`read_vector`).
    target_crs
        CRS of the result; storage is EPSG:4326.
    repair
        Apply :func:`~tanmap.layers.ingest.validation.repair_geometries` before validating.
    district
        District boundary for the outside-district warning: a GeoSeries/GeoDataFrame with a CRS,
        or a shapely geometry in ``target_crs``.
    field_map
        A mapping file (YAML/JSON) or :class:`~tanmap.layers.ingest.fieldmap.FieldMap`; None
        uses the built-in aliases only.
    skip_invalid
        Keep the valid features and return the others in ``rejected`` (with their problems)
        instead of raising. Layer-level problems (no CRS, a required field missing, swapped
        axes, no features) still raise.
    **read_opts
        Passed to :func:`read_vector` (``layer``, ``encoding``, ``source_crs``,
        ``coord_system``, ``lon_col``, ``lat_col``, ``max_bytes``).

    Returns
    -------
    LoadResult
        The layer in ``target_crs``, warnings, repair notes, the mapping applied and (with
        ``skip_invalid``) the rejected features.

    Raises
    ------
    LayerLoadError
        A :class:`~tanmap.geo.errors.LayerValidationError` with every error found
        (``issues``) and the field mapping applied (``mapping``), if any (with
        ``skip_invalid``: layer-level errors only).
    MissingCRSError, DataFormatError, InputTooLargeError, CRSError
        From :func:`read_vector`; ``DataFormatError`` also for a mapping file that does not
        fit the kind.
    ValueError
        If ``kind`` is unknown.
    """
    spec: LayerSpec = spec_for(kind)
    path = Path(path)
    target = parse_crs(target_crs)
    fmap = (load_field_map(field_map) if isinstance(field_map, str | os.PathLike)
            else field_map)
    raw = read_vector(path, **{"allow_missing_coordinates": skip_invalid, **read_opts})
    detected = raw.attrs.get(DETECTED_ENCODING_ATTR)
    n_closed = 0
    if path.suffix.lower() == ".dxf" and spec.geometry is GeometryFamily.POLYGON:
        raw, n_closed = closed_lines_as_polygons(raw)
    gdf, applied = apply_field_map(raw, spec, fmap, source=path.name)
    if n_closed:
        applied = dataclasses.replace(applied, notes=(
            *applied.notes, f"DXF: {n_closed} closed polyline(s) read as polygons"))
    repairs: list[RepairNote] = []
    if repair:
        gdf, repairs = repair_geometries(gdf, spec, source=path.name)
    if isinstance(district, BaseGeometry):
        district = gpd.GeoSeries([district], crs=target)
    issues = validate(gdf, spec, source=path.name, district=district)
    issues = [_with_mapping_hint(i, spec, applied) for i in issues]
    issues += unmapped_issues(applied, spec, source=path.name)
    if detected:
        issues.append(_encoding_note(path, detected))
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    rejected: gpd.GeoDataFrame | None = None
    rejects: list[Issue] = []
    if errors and skip_invalid and all(i.row is not None for i in errors):
        bad = _rejected_positions(gdf, errors)
        rejected = _rejected_frame(raw, bad)
        rejects = [dataclasses.replace(i, row=pos + 1) for pos in sorted(bad) for i in bad[pos]]
        errors = []
        keep = np.ones(len(gdf), dtype=bool)
        keep[list(bad)] = False
        gdf = gdf.iloc[np.flatnonzero(keep)]
        warnings = [w for w in warnings if w.row is None or w.row - 1 not in bad]
    if errors:
        raise LayerLoadError(f"{path.name} ({spec.zh_name} {spec.kind.value})", errors,
                             mapping=applied)
    out = coerce_types(gdf, spec).to_crs(target)
    warnings += _area_unit_warnings(out, spec, path.name, applied)
    return LoadResult(out, warnings, repairs, applied, rejected, rejects)


#: Area units a bureau's 面积 column is often in, with their size in m² (1 亩 = 10000/15 m²).
_AREA_UNITS_M2: tuple[tuple[str, float], ...] = (
    ("公顷 ha", 1e4), ("亩 mu", 1e4 / 15), ("平方公里 km²", 1e6), ("万平方米", 1e4),
)
#: A typed-in area this far (factor) from the drawn area, for most features, is a unit problem.
_AREA_RATIO_TOLERANCE = 5.0


def _area_unit_warnings(gdf: gpd.GeoDataFrame, spec: LayerSpec, source: str,
                        applied: AppliedMapping) -> list[Issue]:
    """Warn when ``area_m2`` is, for most features, far from the drawn area (a unit slip)."""
    if spec.geometry is not GeometryFamily.POLYGON or "area_m2" not in gdf.columns:
        return []
    given = gdf["area_m2"].to_numpy(dtype=float, na_value=np.nan)
    usable = np.isfinite(given) & (given > 0)
    if usable.sum() == 0 or gdf.crs is None:
        return []
    metric = gdf.loc[usable].to_crs(gdf.estimate_utm_crs()) if gdf.crs.is_geographic else \
        gdf.loc[usable]
    drawn = shapely.area(np.asarray(metric.geometry.array))
    ratio = given[usable][drawn > 0] / drawn[drawn > 0]
    if ratio.size == 0:
        return []
    median = float(np.median(ratio))
    if 1 / _AREA_RATIO_TOLERANCE <= median <= _AREA_RATIO_TOLERANCE:
        return []
    header = next((c.header for c in applied.columns if c.field == "area_m2"), "area_m2")
    guess = min(_AREA_UNITS_M2, key=lambda u: abs(np.log(median * u[1])))
    likely = (f"; they look like {guess[0]} (x{guess[1]:g} m²)"
              if abs(np.log(median * guess[1])) < np.log(2) else "")
    return [Issue(
        source=source, row=None, feature_id=None, column="area_m2", severity="warning",
        code="area_unit_mismatch",
        problem=f"column {header!r} (area_m2) is on median {median:.3g} x the drawn area of "
                f"the features{likely}",
        fix="name the unit in the header, e.g. 面积（公顷） or 面积（亩）, so it is converted, or "
            "correct the values (m²); metrics use the drawn geometry, not this column",
    )]


def _with_mapping_hint(issue: Issue, spec: LayerSpec, applied: AppliedMapping) -> Issue:
    """Point a missing field or an unknown code at the mapping that would fix it."""
    if issue.code == "missing_field" and issue.column:
        return dataclasses.replace(issue, fix=missing_field_fix(spec, issue.column, applied))
    if issue.code == "not_in_choices" and issue.column:
        return dataclasses.replace(issue, fix=(
            f"{issue.fix}; or recode the file's values with a mapping file (--map mapping.yaml "
            f"with 'values: {{{issue.column}: {{<value in the file>: <code>}}}}')"))
    return issue


def _rejected_positions(gdf: gpd.GeoDataFrame, errors: list[Issue]) -> dict[int, list[Issue]]:
    """Return 0-based position -> errors of each rejected feature.

    A duplicated id rejects every feature carrying it: which one is right cannot be known.
    """
    positions_of: dict[str | None, list[int]] = {}
    for pos, fid in enumerate(feature_ids(gdf)):
        positions_of.setdefault(fid, []).append(pos)
    bad: dict[int, list[Issue]] = {}
    for issue in errors:
        rows = (positions_of.get(issue.feature_id, []) if issue.code == "duplicate_id"
                else [int(issue.row or 0) - 1])
        for pos in rows:
            bad.setdefault(pos, []).append(issue)
    return bad


def _rejected_frame(raw: gpd.GeoDataFrame, bad: dict[int, list[Issue]]) -> gpd.GeoDataFrame:
    """Return the rejected features as read (original headers and geometry) + their problems."""
    positions = sorted(bad)
    # A rejects file imported again after a fix carries these columns already: replace them.
    out = raw.iloc[positions].drop(columns=[c for c in REJECT_COLUMNS if c in raw.columns])
    out.insert(0, REJECT_COLUMNS[0], [p + 1 for p in positions])
    out.insert(1, REJECT_COLUMNS[1], [",".join(dict.fromkeys(i.code for i in bad[p]))
                                      for p in positions])
    out.insert(2, REJECT_COLUMNS[2], [
        "; ".join(f"{i.column + ': ' if i.column else ''}{i.problem} — fix: {i.fix}"
                  for i in bad[p]) for p in positions
    ])
    return out.reset_index(drop=True)


def default_rejects_path(path: str | os.PathLike[str]) -> Path:
    """Return where the rejects of ``path`` go by default: ``<stem>.rejects.geojson`` beside it.

    中文：剔除要素文件的默认位置（与输入文件同目录）。

    Examples
    --------
    >>> default_rejects_path("data/楼栋.shp").as_posix()
    'data/楼栋.rejects.geojson'
    """
    path = Path(path)
    return path.with_name(f"{path.stem}.rejects.geojson")


def write_rejects(rejected: gpd.GeoDataFrame, path: str | os.PathLike[str]) -> Path:
    """Write rejected features with their problems (``reject_row``, ``reject_codes``, ...).

    中文：写出被剔除的要素及其问题（GeoJSON、GeoPackage 或 CSV）。

    The features keep their original headers, values, geometry and CRS, so the file can be
    opened next to the input in a GIS, fixed and imported again. ``.csv`` writes the geometry as
    WKT (UTF-8 with BOM, for Excel), ``.gpkg`` a GeoPackage, anything else GeoJSON.

    Parameters
    ----------
    rejected
        :attr:`LoadResult.rejected`.
    path
        Output file (replaced atomically).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = pd.DataFrame(rejected.drop(columns=rejected.geometry.name))
        table["wkt"] = [None if g is None else g.wkt for g in rejected.geometry]
        _atomic_write(path, lambda tmp: tmp.write_text(
            table.to_csv(index=False), encoding="utf-8-sig"))
        return path
    driver = "GPKG" if suffix == ".gpkg" else "GeoJSON"
    _atomic_write(path, lambda tmp: pyogrio.write_dataframe(
        rejected, tmp, driver=driver, layer=path.stem if driver == "GPKG" else None,
        geometry_type="Unknown",
        layer_options={"WRITE_NAME": "NO"} if driver == "GeoJSON" else None,
    ))
    return path


def _encoding_note(path: Path, encoding: str) -> Issue:
    """Return the warning that names the DBF encoding detected for a Shapefile without .cpg."""
    return Issue(
        source=path.name, row=None, feature_id=None, column=None, severity="warning",
        code="encoding_detected",
        problem=f"the Shapefile has no .cpg; its text was detected as {encoding}"
                + (" (GBK)" if encoding == "GB18030" else "") + " and read so",
        fix="if names look garbled, pass the right encoding (--encoding GBK or UTF-8; API: "
            "encoding=...), or put a .cpg file with the encoding name next to the .shp",
    )


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
               crs: Any = None, geometry_type: str | None = None) -> Path:
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
    geometry_type
        Geometry type of the layer when ``gdf`` has no features (an empty, known-empty layer),
        e.g. ``"MultiPolygon"`` (see :data:`EMPTY_GEOMETRY_TYPES`); ignored otherwise.

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
                            promote_to_multi=_promote(out) or None,
                            geometry_type=geometry_type if len(out) == 0 else None)
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
    geometry_type: str | None = None,
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
    geometry_type
        Geometry type of the Shapefile when ``gdf`` has no features (GDAL would otherwise pick
        one), e.g. ``"MultiPolygon"``; ignored otherwise.

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
    # "parks.shp.zip" holds parks.shp, not parks.shp.shp.
    stem = path.stem[:-4] if path.stem.lower().endswith(".shp") else path.stem
    with tempfile.TemporaryDirectory(prefix="tanmap-shp-") as tmp_dir:
        shp = Path(tmp_dir) / f"{stem}.shp"
        pyogrio.write_dataframe(out, shp, driver="ESRI Shapefile", encoding=cpg,
                                promote_to_multi=_promote(out) or None,
                                geometry_type=geometry_type if len(out) == 0 else None)
        shp.with_suffix(".cpg").write_text(cpg, encoding="ascii")
        listing = io.StringIO()
        writer = csv.writer(listing, lineterminator="\n")
        writer.writerow(["field", "original"])
        writer.writerows((short, original) for original, short in mapping.items())

        def write_zip(tmp: Path) -> None:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for suffix in _SHP_SIDECARS:
                    member = shp.with_suffix(suffix)
                    info = _zip_member(f"{stem}{suffix}", member.stat().st_size)
                    with member.open("rb") as src, zf.open(info, "w") as dst:
                        shutil.copyfileobj(src, dst)
                text = ("\ufeff" + listing.getvalue()).encode("utf-8")
                zf.writestr(_zip_member("fields.csv", len(text)), text)

        _atomic_write(path, write_zip)
    return ShapefileReport(path=path, field_names=mapping, encoding=cpg, n_features=len(out),
                           crs=out.crs.to_string())


def _zip_member(name: str, size: int) -> zipfile.ZipInfo:
    """Return a zip entry of a regular file readable by everyone (``writestr`` alone gives 0600)."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | ZIP_MEMBER_MODE) << 16
    info.file_size = size
    return info


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


def export_target(path: str | os.PathLike[str], fmt: str | None = None) -> tuple[Path, str]:
    """Return the output path and format of an export, each derived from the other if missing.

    中文：导出文件名与格式（扩展名与格式必须一致）。

    A file whose extension contradicts its format (a zip named ``.shp``, a GeoPackage named
    ``.geojson``) is refused: GIS software picks the reader by extension and cannot open it.

    Parameters
    ----------
    path
        Output file. Without an extension, the format's own (:data:`VECTOR_FORMATS`) is added.
    fmt
        ``"geojson"``, ``"gpkg"`` or ``"shp"`` (a zipped Shapefile); None derives it from the
        extension (``.geojson``/``.json``, ``.gpkg``, ``.zip``).

    Returns
    -------
    tuple[Path, str]
        The path to write and the format.

    Raises
    ------
    ValueError
        If ``fmt`` is not a known format.
    DataFormatError
        If the extension does not fit ``fmt``, or ``fmt`` is None and the extension names no
        format (the message gives the file name to use instead).

    Examples
    --------
    >>> export_target("parks.gpkg")
    (PosixPath('parks.gpkg'), 'gpkg')
    >>> export_target("parks", "shp")
    (PosixPath('parks.zip'), 'shp')
    >>> export_target("parks.geojson", "gpkg")
    Traceback (most recent call last):
    ...
    tanmap.geo.errors.DataFormatError: cannot write the layer as GeoPackage to parks.geojson: \
the file would be a GeoPackage named .geojson, which GIS software cannot open. Name it \
parks.gpkg, or write GeoJSON with --format geojson.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    by_suffix = {s: f for f, suffixes in _FORMAT_SUFFIXES.items() for s in suffixes}
    if fmt is not None and fmt not in VECTOR_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(VECTOR_FORMATS)}")
    known = ", ".join(f"{s} ({f})" for s, f in by_suffix.items())
    if fmt is None:
        if suffix not in by_suffix:
            raise DataFormatError(
                f"cannot tell the format of {path.name} from its extension "
                f"{suffix or '(none)'!r}; use one of {known}, or give the format "
                "(--format geojson|gpkg|shp)."
            )
        return path, by_suffix[suffix]
    if not suffix:
        return path.with_name(path.name + VECTOR_FORMATS[fmt]), fmt
    if suffix not in _FORMAT_SUFFIXES[fmt]:
        labels = {"geojson": "GeoJSON", "gpkg": "GeoPackage", "shp": "zipped Shapefile"}
        what = "a zip" if fmt == "shp" else f"a {labels[fmt]}"
        other = by_suffix.get(suffix)
        hint = (f", or write {labels[other]} with --format {other}" if other else
                " (a Shapefile is several files, .shp .shx .dbf .prj .cpg, delivered together "
                "in one zip)" if fmt == "shp" else "")
        raise DataFormatError(
            f"cannot write the layer as {labels[fmt]} to {path.name}: the file would be {what} "
            f"named {suffix}, which GIS software cannot open. Name it "
            f"{path.with_suffix(VECTOR_FORMATS[fmt]).name}{hint}."
        )
    return path, fmt


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
    DataFormatError
        If the file name's extension does not fit ``fmt`` (see :func:`export_target`).
    """
    path, fmt = export_target(path, fmt)
    if fmt == "geojson":
        return write_geojson(gdf, path, **opts)
    if fmt == "gpkg":
        opts.setdefault("layer", Path(path).stem)
        return write_gpkg(gdf, path, **opts)
    if fmt == "shp":
        return write_shapefile_zip(gdf, path, **opts)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(VECTOR_FORMATS)}")
