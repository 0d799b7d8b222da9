"""Layer validation (图层数据校验): collect every problem, repair geometry, coerce dtypes."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from tanmap.geo.crs import (
    looks_like_degrees,
    looks_swapped,
    outside_area_of_use,
    parse_crs,
    planning_epsg,
    require_projected,
)
from tanmap.geo.errors import CRSError, GeographicCRSError
from tanmap.layers.advice import option_hint
from tanmap.layers.kinds import CHOICE_LABELS, FieldSpec, GeometryFamily, LayerSpec

__all__ = [
    "BOOL_FALSE_TEXT",
    "BOOL_TRUE_TEXT",
    "Issue",
    "RepairNote",
    "coerce_types",
    "feature_ids",
    "parse_number",
    "repair_geometries",
    "validate",
]

Severity = Literal["error", "warning"]

#: Text accepted as boolean true in ``bool`` fields (compared after ``strip().lower()``).
BOOL_TRUE_TEXT: frozenset[str] = frozenset({"true", "t", "yes", "y", "1", "1.0", "是", "有"})
#: Text accepted as boolean false in ``bool`` fields (compared after ``strip().lower()``).
BOOL_FALSE_TEXT: frozenset[str] = frozenset({"false", "f", "no", "n", "0", "0.0", "否", "无"})


class _Where(TypedDict):
    source: str
    row: int | None
    feature_id: str | None
    column: str | None


_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_FAMILY_DIM = {GeometryFamily.POINT: 0, GeometryFamily.LINE: 1, GeometryFamily.POLYGON: 2}
_DIM_FAMILY = {v: k for k, v in _FAMILY_DIM.items()}
_REPAIR_FIX = (
    f"import again with {option_hint('repair')} to apply shapely.make_valid, "
    "or redraw the feature in a GIS"
)


@dataclass(frozen=True, kw_only=True)
class Issue:
    """One problem found in a layer.

    中文：数据校验问题（文件、行、编号、字段、问题、修改建议）。

    Parameters
    ----------
    source
        File name (or other label) of the layer.
    row
        1-based feature number in file order, or None for a layer-level problem.
    feature_id
        Value of the feature's ``id`` field, if known.
    column
        Field the problem concerns, or None.
    problem
        What is wrong, with the offending value.
    fix
        How to fix it.
    severity
        ``"error"`` (the layer is rejected) or ``"warning"`` (loaded, but suspicious).
    code
        Short machine-readable code, e.g. ``"invalid_geometry"``.

    Examples
    --------
    >>> str(Issue(source="parks.geojson", row=3, feature_id="P-03", column="area_m2",
    ...           problem="value -5 < minimum 0", fix="correct the value", code="below_minimum"))
    'parks.geojson row 3 (id P-03) field area_m2: value -5 < minimum 0 — fix: correct the value'
    """

    source: str
    row: int | None
    feature_id: str | None
    column: str | None
    problem: str
    fix: str
    severity: Severity = "error"
    code: str

    def __str__(self) -> str:
        where = [self.source or "layer"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.feature_id is not None:
            where.append(f"(id {self.feature_id})")
        if self.column is not None:
            where.append(f"field {self.column}")
        head = "warning: " if self.severity == "warning" else ""
        return f"{head}{' '.join(where)}: {self.problem} — fix: {self.fix}"


@dataclass(frozen=True, kw_only=True)
class RepairNote:
    """What :func:`repair_geometries` changed in one feature.

    中文：几何修复记录（修复前后面积）。

    Parameters
    ----------
    source
        File name (or other label) of the layer.
    row
        1-based feature number.
    feature_id
        Value of the feature's ``id`` field, if known.
    reason
        ``shapely.is_valid_reason`` of the original geometry.
    type_before, type_after
        Geometry types before and after the repair.
    area_before_m2, area_after_m2
        Areas in m², measured in ``area_crs``; shapely's area of an invalid polygon (e.g. a
        symmetric bow-tie gives 0). None if the layer has no CRS (or, in degrees, lies where
        no planning CRS is defined, e.g. near a pole).
    parts_dropped
        Number of parts of another dimension dropped (e.g. stray lines from a polygon repair).
    area_crs
        The metric CRS the areas were measured in, e.g. ``"EPSG:4548"``.

    Examples
    --------
    >>> print(RepairNote(source="parks.geojson", row=2, feature_id="P-02",
    ...                  reason="Self-intersection[1 1]", type_before="Polygon",
    ...                  type_after="MultiPolygon", area_before_m2=0.0, area_after_m2=12345.678,
    ...                  parts_dropped=0, area_crs="EPSG:4548"))
    parks.geojson row 2 (id P-02): repaired Self-intersection[1 1]: Polygon -> MultiPolygon, \
area 0 m² -> 12,345.7 m² (EPSG:4548)
    """

    source: str
    row: int
    feature_id: str | None
    reason: str
    type_before: str
    type_after: str
    area_before_m2: float | None
    area_after_m2: float | None
    parts_dropped: int
    area_crs: str | None = None

    def __str__(self) -> str:
        fid = f" (id {self.feature_id})" if self.feature_id is not None else ""
        dropped = f", dropped {self.parts_dropped} part(s)" if self.parts_dropped else ""
        if self.area_before_m2 is None or self.area_after_m2 is None:
            area = "area not measured (no CRS, or no metric CRS for the place)"
        else:
            area = (f"area {_m2_text(self.area_before_m2)} -> {_m2_text(self.area_after_m2)} "
                    f"({self.area_crs})")
        return (
            f"{self.source or 'layer'} row {self.row}{fid}: repaired {self.reason}: "
            f"{self.type_before} -> {self.type_after}, {area}{dropped}"
        )


#: Areas below this (m²) print as 0: reprojection leaves such crumbs of a zero-area bow-tie.
_AREA_ZERO_M2 = 0.005


def _m2_text(area_m2: float) -> str:
    """Return ``12,345.7 m²``, ``0.18 m²`` below 1 m², ``0 m²`` below 0.005 m²."""
    if abs(area_m2) < _AREA_ZERO_M2:
        return "0 m²"
    return f"{area_m2:,.1f} m²" if abs(area_m2) >= 1 else f"{area_m2:.2f} m²"


# --------------------------------------------------------------------------- value parsing


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _parse_int(value: Any) -> int | None:
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return int(value) if math.isfinite(value) and float(value).is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = _parse_float(text)
            return int(number) if number is not None and number.is_integer() else None
    return None


def _parse_float(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()  # full-width digits (１２３)
        if _THOUSANDS.fullmatch(text):  # spreadsheet text such as "1,234.5"
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def parse_number(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None if it is not a number.

    中文：数值解析（含千分位、全角数字）。

    Accepts numbers and text such as ``" 12.5 "``, ``"1,234.5"`` (thousands separators) and
    full-width digits; the same rule :func:`validate` and :func:`coerce_types` apply.

    Examples
    --------
    >>> parse_number("1,234.5"), parse_number("１２"), parse_number("12,34"), parse_number(True)
    (1234.5, 12.0, None, None)
    """
    return _parse_float(value)


def _parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in BOOL_TRUE_TEXT:
            return True
        if text in BOOL_FALSE_TEXT:
            return False
    return None


def _parse_str(value: Any) -> str | None:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        # Spreadsheets turn codes such as 120101 into 120101.0; the code is the integer.
        return str(int(value))
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    return str(value).strip()


_PARSERS = {"int": _parse_int, "float": _parse_float, "bool": _parse_bool, "str": _parse_str}
_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true/false (是/否, 1/0)",
    "str": "text",
}


def _choice_aliases(fspec: FieldSpec) -> dict[str, str]:
    """Map each accepted spelling of a coded value (code, 中文 label, English label) to the code."""
    aliases: dict[str, str] = {}
    for code in fspec.choices or ():
        zh, en = CHOICE_LABELS.get(code, (code, code))
        aliases.setdefault(zh, code)
        aliases.setdefault(en.lower(), code)
    for code in fspec.choices or ():
        aliases[code] = code
    return aliases


def _parse_column(series: pd.Series, fspec: FieldSpec) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Return (parsed values with None for null/bad, null mask, bad-type mask)."""
    parse = _PARSERS[fspec.dtype]
    values: list[Any] = []
    null = np.zeros(len(series), dtype=bool)
    bad = np.zeros(len(series), dtype=bool)
    for i, raw in enumerate(series.tolist()):
        if _is_null(raw):
            null[i] = True
            values.append(None)
            continue
        parsed = parse(raw)
        if parsed is None:
            bad[i] = True
        values.append(parsed)
    return values, null, bad


# --------------------------------------------------------------------------- validate


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def feature_ids(gdf: pd.DataFrame) -> list[str | None]:
    """Return each feature's ``id`` as text (None where absent or empty), in row order.

    中文：要素编号列表。
    """
    if "id" not in gdf.columns:
        return [None] * len(gdf)
    return [None if _is_null(v) else _parse_str(v) for v in gdf["id"].tolist()]


def _crs_checks(gdf: gpd.GeoDataFrame, source: str, ids: list[str | None]) -> list[Issue]:
    """Check the CRS is set and the coordinates are plausible for it (axis order, units, area)."""
    if gdf.crs is None:
        return [Issue(
            source=source, row=None, feature_id=None, column=None, code="missing_crs",
            problem="layer has no coordinate reference system (CRS); tanmap never guesses one",
            fix=f"declare the source CRS, e.g. {option_hint('source_crs', 'EPSG:4326')}, or "
                "add a .prj next to the Shapefile",
        )]
    geoms = gdf.geometry.array
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return []
    coords, owner = shapely.get_coordinates(np.asarray(geoms)[present], return_index=True)
    rows = np.flatnonzero(present)[owner]
    finite = np.isfinite(coords).all(axis=1)
    if not finite.all():
        return [
            Issue(source=source, row=int(r) + 1, feature_id=ids[r], column=None,
                  code="bad_coordinates",
                  problem="coordinates contain NaN or infinite values (e.g. x={:.6g}, y={:.6g})"
                          .format(*coords[~finite & (rows == r)][0]),
                  fix="correct or delete this feature's missing coordinates")
            for r in np.unique(rows[~finite])
        ]
    xmin, ymin = coords.min(axis=0)
    xmax, ymax = coords.max(axis=0)
    crs = CRS.from_user_input(gdf.crs)
    name = crs.to_string()
    looks_degrees = looks_like_degrees(coords[:, 0], coords[:, 1])
    issues: list[Issue] = []
    if crs.is_geographic:
        if looks_swapped(coords[:, 0], coords[:, 1]):
            issues.append(Issue(
                source=source, row=None, feature_id=None, column=None, code="swapped_axes",
                problem=f"x (longitude) spans {xmin:.6g}..{xmax:.6g} and y (latitude) spans "
                        f"{ymin:.6g}..{ymax:.6g}: latitude and longitude look swapped for China",
                fix="swap the axes so that x = longitude and y = latitude "
                    "(e.g. swap the lon/lat columns, or shapely.ops.transform(lambda x, y: (y, x), "
                    "geom))",
            ))
        elif not looks_degrees:
            issues.append(Issue(
                source=source, row=None, feature_id=None, column=None, code="metres_as_degrees",
                problem=f"CRS is {name} (degrees) but coordinates span x {xmin:.6g}..{xmax:.6g}, "
                        f"y {ymin:.6g}..{ymax:.6g}, outside ±180/±90: they look like metres",
                fix="declare the projected CRS the coordinates are in, e.g. "
                    f"{option_hint('source_crs', 'EPSG:4548')} (CGCS2000 / 3-degree "
                    "Gauss-Kruger CM 117E)",
            ))
    elif crs.is_projected and looks_degrees:
        issues.append(Issue(
            source=source, row=None, feature_id=None, column=None, code="degrees_as_metres",
            problem=f"CRS is {name} (projected, metres) but all coordinates lie within "
                    f"x {xmin:.6g}..{xmax:.6g}, y {ymin:.6g}..{ymax:.6g}: they look like degrees",
            fix="declare the geographic CRS the coordinates are in, e.g. "
                f"{option_hint('source_crs', 'EPSG:4326')} (WGS84) or EPSG:4490 (CGCS2000)",
        ))
    elif crs.is_projected:
        issues += _area_of_use_checks(crs, coords, rows, source, ids)
    return issues


def _area_of_use_checks(crs: CRS, coords: np.ndarray, rows: np.ndarray, source: str,
                        ids: list[str | None]) -> list[Issue]:
    """One issue per feature with coordinates far outside the projected CRS's area of use."""
    far = outside_area_of_use(coords[:, 0], coords[:, 1], crs)
    area = crs.area_of_use
    where = "" if area is None else (
        f" ({area.name.rstrip('.')}: {area.west:g}..{area.east:g} °E, "
        f"{area.south:g}..{area.north:g} °N)")
    issues = []
    for r in np.unique(rows[far]):
        x, y = coords[far & (rows == r)][0]
        issues.append(Issue(
            source=source, row=int(r) + 1, feature_id=ids[r], column=None,
            code="outside_area_of_use",
            problem=f"coordinates such as x={x:.6g}, y={y:.6g} lie far outside the area of use "
                    f"of {crs.to_string()}{where}",
            fix="correct this feature's coordinates (a typo or wrong unit?), or declare the CRS "
                "they are really in, e.g. --source-crs EPSG:4549 (API: source_crs=...)",
        ))
    return issues


def _geometry_checks(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, source: str, ids: list[str | None]
) -> list[Issue]:
    geoms = np.asarray(gdf.geometry.array)
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    present = ~(missing | empty)
    types = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    allowed = spec.geometry.geom_types
    wrong = present & ~np.isin(types, list(allowed))
    valid = np.ones(len(geoms), dtype=bool)
    valid[present] = shapely.is_valid(geoms[present])
    invalid = present & ~valid
    reasons = np.empty(len(geoms), dtype=object)
    if invalid.any():
        reasons[invalid] = shapely.is_valid_reason(geoms[invalid])
        # A collapsed footprint (all points on a line) is reported by GEOS as a
        # self-intersection; say plainly that it has no area.
        flat = np.zeros(len(geoms), dtype=bool)
        polygonal = invalid & (shapely.get_dimensions(geoms) == 2)
        with np.errstate(invalid="ignore"):  # NaN coordinates are reported separately
            flat[polygonal] = shapely.area(shapely.convex_hull(geoms[polygonal])) == 0
        for pos in np.flatnonzero(flat):
            reasons[pos] = f"zero area (degenerate polygon; GEOS: {reasons[pos]})"
    expected = " or ".join(sorted(allowed))
    issues: list[Issue] = []
    for i in range(len(geoms)):
        base: _Where = {"source": source, "row": i + 1, "feature_id": ids[i], "column": None}
        if missing[i] or empty[i]:
            issues.append(Issue(
                **base, code="empty_geometry",
                problem="geometry is " + ("missing (null)" if missing[i] else "empty"),
                fix="draw the feature's geometry or delete the feature",
            ))
            continue
        if wrong[i]:
            issues.append(Issue(
                **base, code="wrong_geometry_type",
                problem=f"geometry type {types[i]} found; {spec.zh_name} ({spec.kind.value}) "
                        f"layers take {expected}",
                fix=f"export the layer as {spec.geometry.value} features ({expected})",
            ))
        if invalid[i]:
            issues.append(Issue(
                **base, code="invalid_geometry",
                problem=f"geometry is invalid: {reasons[i]}", fix=_REPAIR_FIX,
            ))
    return issues


def _field_checks(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, source: str, ids: list[str | None]
) -> list[Issue]:
    issues: list[Issue] = []
    n = len(gdf)
    present = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
    for fspec in spec.all_fields:
        if fspec.name not in gdf.columns:
            if fspec.required:
                issues.append(Issue(
                    source=source, row=None, feature_id=None, column=fspec.name,
                    code="missing_field",
                    problem=f"required field {fspec.name} ({fspec.zh} {fspec.en}) is missing; "
                            f"columns present: {present or '(none)'}",
                    fix=f"add a column named {fspec.name!r} (rename the matching column)",
                ))
            continue
        raw = gdf[fspec.name].tolist()
        values, null, bad = _parse_column(gdf[fspec.name], fspec)
        aliases = _choice_aliases(fspec) if fspec.choices else {}
        for i in range(n):
            base: _Where = {
                "source": source, "row": i + 1, "feature_id": ids[i], "column": fspec.name,
            }
            if null[i]:
                if fspec.required:
                    issues.append(Issue(
                        **base, code="null_required",
                        problem=f"required field {fspec.name} ({fspec.zh}) is empty",
                        fix="fill in a value",
                    ))
                continue
            if bad[i]:
                issues.append(Issue(
                    **base, code="bad_type",
                    problem=f"value {raw[i]!r} is not {_TYPE_WORDS[fspec.dtype]}",
                    fix=f"enter {_TYPE_WORDS[fspec.dtype]} in {fspec.name}",
                ))
                continue
            value = values[i]
            if fspec.choices and str(value) not in aliases and str(value).lower() not in aliases:
                issues.append(Issue(
                    **base, code="not_in_choices",
                    problem=f"value {value!r} is not one of {', '.join(fspec.choices)}",
                    fix="use one of the codes (or its Chinese label: "
                        + ", ".join(f"{c}={CHOICE_LABELS.get(c, (c,))[0]}"
                                    for c in fspec.choices) + ")",
                ))
            if fspec.dtype in ("int", "float"):
                if fspec.minimum is not None and value < fspec.minimum:
                    issues.append(Issue(
                        **base, code="below_minimum",
                        problem=f"value {_fmt(value)} < minimum {_fmt(fspec.minimum)}",
                        fix=f"correct the value (allowed {_range(fspec)})",
                    ))
                if fspec.maximum is not None and value > fspec.maximum:
                    issues.append(Issue(
                        **base, code="above_maximum",
                        problem=f"value {_fmt(value)} > maximum {_fmt(fspec.maximum)}",
                        fix=f"correct the value (allowed {_range(fspec)})",
                    ))
    return issues


def _range(fspec: FieldSpec) -> str:
    low = "-inf" if fspec.minimum is None else _fmt(fspec.minimum)
    high = "inf" if fspec.maximum is None else _fmt(fspec.maximum)
    unit = f" {fspec.unit}" if fspec.unit else ""
    return f"{low}..{high}{unit}"


def _duplicate_ids(source: str, ids: list[str | None]) -> list[Issue]:
    rows_by_id: dict[str, list[int]] = {}
    for i, fid in enumerate(ids):
        if fid is not None:
            rows_by_id.setdefault(fid, []).append(i + 1)
    return [
        Issue(
            source=source, row=rows[0], feature_id=fid, column="id", code="duplicate_id",
            problem=f"id {fid} appears {len(rows)} times, in rows {', '.join(map(str, rows))}",
            fix="give every feature a unique id",
        )
        for fid, rows in rows_by_id.items()
        if len(rows) > 1
    ]


def _district_geometry(district: Any, crs: Any) -> BaseGeometry:
    if isinstance(district, BaseGeometry):
        return district
    if isinstance(district, gpd.GeoDataFrame):
        district = district.geometry
    if isinstance(district, gpd.GeoSeries):
        if district.crs is not None and crs is not None:
            district = district.to_crs(crs)
        return shapely.union_all(np.asarray(district.array))
    raise TypeError(
        f"district must be a shapely geometry (in the layer's CRS) or a GeoSeries/GeoDataFrame, "
        f"got {type(district).__name__}"
    )


def _district_checks(
    gdf: gpd.GeoDataFrame, district: Any, source: str, ids: list[str | None]
) -> list[Issue]:
    boundary = _district_geometry(district, gdf.crs)
    geoms = np.asarray(gdf.geometry.array)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    inside = np.ones(len(geoms), dtype=bool)
    inside[present] = shapely.intersects(geoms[present], boundary)
    return [
        Issue(
            source=source, row=int(i) + 1, feature_id=ids[i], column=None, severity="warning",
            code="outside_district",
            problem="feature lies entirely outside the district boundary",
            fix="check the feature's coordinates and CRS, or that the layer is for this district",
        )
        for i in np.flatnonzero(~inside)
    ]


def validate(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    *,
    source: str = "",
    district: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | None = None,
) -> list[Issue]:
    """Return every problem of ``gdf`` against ``spec``; never stops at the first.

    中文：图层数据校验（坐标系、几何类型、几何有效性、必填字段、类型、取值范围、编号唯一、范围）。

    Checks, in this order: empty layer; CRS missing, coordinates that look like metres in a
    geographic CRS (or degrees in a projected one), latitude/longitude swapped for China;
    null/empty geometry, geometry type outside the spec's family, invalid geometry (with
    ``shapely.is_valid_reason``); required fields missing or null; values of the wrong type;
    values outside the choices or the minimum/maximum; duplicate ids; and, when ``district``
    is given, features entirely outside it (warnings).

    Parameters
    ----------
    gdf
        The layer as read, in its source CRS.
    spec
        Schema of the layer kind (``tanmap.layers.kinds.SPECS[kind]``).
    source
        File name used in the issues.
    district
        District boundary: a shapely geometry in ``gdf``'s CRS, or a GeoSeries/GeoDataFrame with
        a CRS (reprojected to ``gdf``'s CRS).

    Returns
    -------
    list[Issue]
        Errors and warnings; empty when the layer is clean. Row numbers are 1-based.

    Raises
    ------
    TypeError
        If ``district`` is of an unsupported type.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from tanmap.layers.kinds import SPECS, LayerKind
    >>> parks = gpd.GeoDataFrame({"id": ["P-1"], "park_class": ["G12"], "area_m2": [-5]},
    ...                          geometry=[box(0, 0, 1, 1)], crs="EPSG:4548")
    >>> [i.code for i in validate(parks, SPECS[LayerKind.PARK], source="parks.geojson")]
    ['degrees_as_metres', 'below_minimum']
    """
    if len(gdf) == 0:
        return [Issue(
            source=source, row=None, feature_id=None, column=None, code="empty_layer",
            problem=f"layer has no features; expected {spec.zh_name} ({spec.kind.value})",
            fix="check the file, its layer name and any filter applied when exporting; if the "
                "district really has none, record that instead (tanmap import-empty "
                f"{spec.kind.value} --district ADCODE; API POST "
                f".../layers/{spec.kind.value}/empty)",
        )]
    ids = feature_ids(gdf)
    issues = _crs_checks(gdf, source, ids)
    # "Invalid Coordinate[inf inf]" only repeats a bad_coordinates issue, and repair cannot fix it.
    bad_rows = {i.row for i in issues if i.code == "bad_coordinates"}
    issues += [i for i in _geometry_checks(gdf, spec, source, ids)
               if not (i.code == "invalid_geometry" and i.row in bad_rows)]
    issues += _field_checks(gdf, spec, source, ids)
    issues += _duplicate_ids(source, ids)
    if district is not None:
        issues += _district_checks(gdf, district, source, ids)
    return issues


# --------------------------------------------------------------------------- repair


def repair_geometries(
    gdf: gpd.GeoDataFrame,
    family: GeometryFamily | LayerSpec | None = None,
    *,
    source: str = "",
    area_crs: Any = None,
) -> tuple[gpd.GeoDataFrame, list[RepairNote]]:
    """Repair invalid geometries with ``shapely.make_valid``, keeping only the family's parts.

    中文：几何修复（自相交等无效几何）。

    Only invalid features change. The repaired geometry keeps the parts of the layer's family
    (e.g. a polygon repair drops stray lines and points) and is a single or Multi- geometry.

    Parameters
    ----------
    gdf
        Layer in any CRS; not modified.
    family
        Geometry family to keep, or a ``LayerSpec`` (its family); None keeps, per feature, the
        dimension of the original geometry.
    source
        File name used in the notes.
    area_crs
        Projected CRS in metres to measure the areas of the notes in, e.g. the district's
        planning CRS. Default: the layer's CRS if it is one, else the planning CRS of the
        repaired features' location (:func:`tanmap.geo.crs.planning_epsg`).

    Returns
    -------
    tuple[GeoDataFrame, list[RepairNote]]
        A repaired copy and one note per changed feature (areas in m²).

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> fixed, notes = repair_geometries(gpd.GeoDataFrame(geometry=[bowtie], crs=4548))
    >>> fixed.geometry.iloc[0].geom_type, fixed.geometry.iloc[0].area
    ('MultiPolygon', 2.0)
    >>> notes[0].area_before_m2, notes[0].area_after_m2, notes[0].area_crs
    (0.0, 2.0, 'EPSG:4548')
    """
    if isinstance(family, LayerSpec):
        family = family.geometry
    out = gdf.copy()
    geoms = np.asarray(out.geometry.array)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    invalid_pos = np.flatnonzero(present & ~shapely.is_valid(geoms))
    if len(invalid_pos) == 0:
        return out, []
    bad = geoms[invalid_pos]
    reasons = shapely.is_valid_reason(bad)
    dims = (np.full(len(bad), _FAMILY_DIM[family]) if family is not None
            else shapely.get_dimensions(bad))
    made = shapely.make_valid(bad)
    parts, owner = shapely.get_parts(made, return_index=True)
    # Collections nest one level at most after make_valid, but flatten defensively.
    while np.any(shapely.get_type_id(parts) >= 4):
        parts, sub = shapely.get_parts(parts, return_index=True)
        owner = owner[sub]
    keep = shapely.get_dimensions(parts) == dims[owner]
    repaired = np.empty(len(bad), dtype=object)
    n_dropped = np.bincount(owner[~keep], minlength=len(bad))
    for j in range(len(bad)):
        mine = parts[keep & (owner == j)]
        repaired[j] = _assemble(mine, int(dims[j]))
    ids = feature_ids(out)
    metric = _metric_crs(bad, out.crs, area_crs)
    before_m2, after_m2 = (_areas_m2(g, out.crs, metric) for g in (bad, repaired))
    notes = [
        RepairNote(
            source=source, row=int(pos) + 1, feature_id=ids[pos], reason=str(reasons[j]),
            type_before=bad[j].geom_type, type_after=repaired[j].geom_type,
            area_before_m2=None if before_m2 is None else float(before_m2[j]),
            area_after_m2=None if after_m2 is None else float(after_m2[j]),
            parts_dropped=int(n_dropped[j]),
            area_crs=None if metric is None else metric.to_string(),
        )
        for j, pos in enumerate(invalid_pos)
    ]
    new = geoms.copy()
    new[invalid_pos] = repaired
    out[out.geometry.name] = gpd.GeoSeries(new, index=out.index, crs=out.crs)
    return out, notes


def _metric_crs(geoms: np.ndarray, crs: Any, area_crs: Any) -> CRS | None:
    """Return the metric CRS to measure repaired areas in (see ``repair_geometries``)."""
    if area_crs is not None:
        chosen = parse_crs(area_crs)
        require_projected(gpd.GeoSeries([], crs=chosen), what="area_crs")
        return chosen
    if crs is None:
        return None
    try:
        return require_projected(gpd.GeoSeries([], crs=crs), what="layer")
    except GeographicCRSError:
        pass
    # Degrees (or feet, Web Mercator): the planning zone where the repaired features are.
    west, south, east, north = gpd.GeoSeries(geoms, crs=crs).to_crs(4326).total_bounds
    if not np.isfinite([west, south, east, north]).all():
        return None
    try:
        return CRS.from_epsg(planning_epsg((west + east) / 2, (south + north) / 2))
    except CRSError:  # e.g. polar: no UTM zone; the repair itself still stands
        return None


def _areas_m2(geoms: np.ndarray, crs: Any, metric: CRS | None) -> np.ndarray | None:
    if metric is None:
        return None
    return np.asarray(gpd.GeoSeries(geoms, crs=crs).to_crs(metric).area, dtype=float)


def _assemble(parts: np.ndarray, dim: int) -> BaseGeometry:
    """Combine same-dimension parts into a single or Multi- geometry (empty if none)."""
    family = _DIM_FAMILY[dim]
    if len(parts) == 1:
        return parts[0]
    if family is GeometryFamily.POLYGON:
        return shapely.multipolygons(parts) if len(parts) else shapely.from_wkt("POLYGON EMPTY")
    if family is GeometryFamily.LINE:
        return (shapely.multilinestrings(parts) if len(parts)
                else shapely.from_wkt("LINESTRING EMPTY"))
    return shapely.multipoints(parts) if len(parts) else shapely.from_wkt("POINT EMPTY")


# --------------------------------------------------------------------------- coerce

_DTYPES = {"int": "Int64", "float": "float64", "bool": "boolean", "str": "str"}


def coerce_types(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Return a copy with the spec's columns in proper dtypes.

    中文：字段类型转换（整数、小数、是/否、文本）。

    ``int`` -> ``Int64`` (nullable), ``float`` -> ``float64`` (NaN for null), ``bool`` ->
    ``boolean`` (accepts true/false, 是/否, yes/no, 1/0), ``str`` -> ``str`` (integral floats such
    as ``120101.0`` become ``"120101"``). Coded values given as their Chinese or English label
    (e.g. ``现状``) become the code (``existing``). Columns not in the spec are left as they are.

    Parameters
    ----------
    gdf
        A layer that passed :func:`validate` (no ``bad_type`` issues).
    spec
        Schema of the layer kind.

    Raises
    ------
    ValueError
        If a value cannot be converted; run :func:`validate` first for the full list.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> from tanmap.layers.kinds import SPECS, LayerKind
    >>> gdf = gpd.GeoDataFrame({"id": [1.0], "status": ["现状"], "open_access": ["是"]},
    ...                        geometry=[Point(0, 0)], crs=4326)
    >>> out = coerce_types(gdf, SPECS[LayerKind.PARK])
    >>> out.loc[0, "id"], out.loc[0, "status"], bool(out.loc[0, "open_access"])
    ('1', 'existing', True)
    """
    out = gdf.copy()
    for fspec in spec.all_fields:
        if fspec.name not in out.columns:
            continue
        values, _null, bad = _parse_column(out[fspec.name], fspec)
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 1
            raise ValueError(
                f"field {fspec.name}: row {row} value {out[fspec.name].iloc[row - 1]!r} is not "
                f"{_TYPE_WORDS[fspec.dtype]}; run validate() for every problem"
            )
        if fspec.choices:
            aliases = _choice_aliases(fspec)
            values = [
                None if v is None else aliases.get(v, aliases.get(v.lower(), v)) for v in values
            ]
        dtype = _DTYPES[fspec.dtype]
        if fspec.dtype == "float":
            series = pd.Series([np.nan if v is None else v for v in values], index=out.index,
                               dtype=dtype)
        else:
            series = pd.Series(values, index=out.index, dtype=object).astype(dtype)
        out[fspec.name] = series
    return out
