"""Metric definitions and results: the contract between geo/ computations and their callers.

Each geo/ module that computes plan metrics exposes a tuple ``METRIC_DEFS`` of :class:`MetricDef`;
``tanmap.geo.registry`` gathers them into one read-only mapping by name. The CLI, the API and the
audit engine look metrics up there, load the input layers named by ``inputs`` from the store (in the
district's planning CRS), and call ``compute``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

if typing.TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "ClassAreaSource",
    "MetricContext",
    "MetricDef",
    "MetricResult",
    "params_from_mapping",
    "params_to_dict",
]


class ClassAreaSource(Protocol):
    """Land-cover class areas per zone from outside the vector layers (a class raster).

    中文：地类面积来源（如土地覆盖栅格），由调用方（tanmap.layers）提供，geo/ 不读文件。

    Called with zones in the planning CRS; returns a DataFrame indexed like the zones, one column
    per class (``cover_class`` values), m² in the planning CRS. ``label`` names the source for
    the result (kind, version, file or data set).
    """

    label: str

    def __call__(self, zones: gpd.GeoSeries) -> pd.DataFrame:
        """Return the class areas (m²) inside each zone."""
        ...  # pragma: no cover


@dataclass(frozen=True)
class MetricContext:
    """What a metric knows about the place and time it is evaluated for.

    中文：指标计算上下文（区县、规划坐标系、评估年份）。

    Parameters
    ----------
    adcode
        District code (行政区划代码), e.g. ``"120101"``.
    district
        District boundary in the planning CRS (metres).
    planning_epsg
        EPSG code of the planning CRS (CGCS2000 3° Gauss–Krüger zone), e.g. 4548.
    audit_year
        Year the figures are evaluated for (features completed after it are not counted by the
        caller's filtering).
    units
        Optional sub-district (街道) and community (社区) polygons in the planning CRS, keyed by
        layer kind value (``"subdistrict"``, ``"community"``); each has ``id`` and ``name``.
    land_cover_areas
        Class areas from the district's land-cover raster, when the caller chose the raster
        path (``land_cover_source``) of ``forest_cover`` / ``blue_green_share``; None: the
        vector ``land_cover`` layer is used.
    """

    adcode: str
    district: BaseGeometry
    planning_epsg: int
    audit_year: int
    units: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    land_cover_areas: ClassAreaSource | None = None


@dataclass(frozen=True)
class MetricResult:
    """The outcome of one metric evaluation.

    中文：指标计算结果。

    Parameters
    ----------
    name
        Metric name (key in the registry).
    value
        The headline figure, in ``unit``; None when the inputs do not allow a figure (no data).
    unit
        ``"share"`` (0–1), ``"count"``, ``"km"``, ``"m"``, ``"m2"``, ``"kWp"``, ``"kWh"``,
        ``"tCO2"``...
    params
        Every parameter actually used, as plain JSON-serialisable values.
    rule
        Name and version of the rule set, e.g. ``"GB/T 51346-2019 cl. 4.3.4 (v1)"``, or None.
    details
        Further named figures (JSON-serialisable), e.g. ``{"covered_m2": ..., "total_m2": ...}``.
    per_unit
        Optional per-unit table (one row per 街道/社区) with ``unit_id``, ``unit_name`` and figures.
    layers
        Optional result geometries by name (e.g. ``{"gaps": <uncovered residential land>}``),
        in the planning CRS.
    missing
        Names of the inputs (layer kinds or fields) whose absence made ``value`` None.
    """

    name: str
    value: float | None
    unit: str
    params: Mapping[str, Any] = field(default_factory=dict)
    rule: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    per_unit: pd.DataFrame | None = None
    layers: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricDef:
    """Declaration of one metric: its names, inputs, parameters and computation.

    中文：指标定义。

    Parameters
    ----------
    name
        Registry key, snake_case, e.g. ``"park_coverage"``.
    zh, en
        Display names.
    inputs
        Layer kinds (``LayerKind`` values as strings) that must be present.
    optional_inputs
        Layer kinds used when present.
    params
        A frozen dataclass type; its fields (with defaults) are the metric's parameters.
    compute
        ``compute(frames, params, context) -> MetricResult``; ``frames`` maps layer kind values to
        GeoDataFrames in the planning CRS (a missing optional input is absent from the mapping).
    unit
        Unit of ``MetricResult.value``.
    margin_m
        How far beyond the district boundary input features are loaded (services cross borders).
    param_inputs
        Names of parameters whose value is a layer kind (a string, a tuple of strings, or None) that
        is a further required input, for generic metrics such as ``feature_count(kind=...)``; the
        caller loads ``required_inputs(params)``.
    """

    name: str
    zh: str
    en: str
    inputs: tuple[str, ...]
    params: type
    compute: Callable[[Mapping[str, gpd.GeoDataFrame], Any, MetricContext], MetricResult]
    unit: str
    optional_inputs: tuple[str, ...] = ()
    margin_m: float = 0.0
    param_inputs: tuple[str, ...] = ()

    def margin_for(self, params: Any) -> float:
        """Return how far beyond the district inputs are loaded for ``params``.

        中文：按参数确定的外扩加载距离（米）。

        ``margin_m``, or more when the parameters reach further: a parameter object with a
        ``required_margin_m`` property (a user rule with a 1 km radius) widens it.
        """
        extra = getattr(params, "required_margin_m", None)
        return self.margin_m if extra is None else max(self.margin_m, float(extra))

    def required_inputs(self, params: Any) -> tuple[str, ...]:
        """Return ``inputs`` plus the layer kinds named by the ``param_inputs`` parameters.

        中文：按参数确定的必需输入图层。
        """
        kinds = list(self.inputs)
        for pname in self.param_inputs:
            value = getattr(params, pname)
            values = value if isinstance(value, tuple | list) else (value,)
            for v in values:
                if v is not None and str(v) not in kinds:
                    kinds.append(str(v))
        return tuple(kinds)


def _coerce(name: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(name, value, arg)
            except (TypeError, ValueError) as err:
                errors.append(str(err))
        raise ValueError(f"parameter {name!r}: {value!r} fits none of {hint}")
    if origin is typing.Literal:
        if value not in args:
            raise ValueError(f"parameter {name!r}: {value!r} is not one of {list(args)}")
        return value
    if origin in (tuple, list):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise TypeError(f"parameter {name!r}: expected a list, got {type(value).__name__}")
        inner = args[0] if args else Any
        return tuple(_coerce(name, v, inner) for v in value)
    if origin is dict or hint is dict:
        if not isinstance(value, Mapping):
            raise TypeError(f"parameter {name!r}: expected a mapping, got {value!r}")
        return dict(value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "1", "yes", "false", "0", "no"}:
            return value.lower() in {"true", "1", "yes"}
        raise TypeError(f"parameter {name!r}: expected true/false, got {value!r}")
    if hint is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise TypeError(f"parameter {name!r}: expected a whole number, got {value!r}")
        return int(value)
    if hint is float:
        if isinstance(value, bool):
            raise TypeError(f"parameter {name!r}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"parameter {name!r}: expected text, got {value!r}")
        return value
    return value


def params_from_mapping(params_type: type, values: Mapping[str, Any] | None) -> Any:
    """Build a parameter dataclass from plain values, checking names and types.

    中文：校验并构造指标参数。

    Parameters
    ----------
    params_type
        A dataclass type whose fields have defaults.
    values
        Parameter values (from JSON, YAML or the command line; strings are converted).

    Raises
    ------
    ValueError
        For an unknown parameter name (the message lists the known ones) or a value that cannot be
        converted, or one the dataclass's ``__post_init__`` rejects.
    TypeError
        For a value of the wrong type.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class P:
    ...     radius_m: float = 500.0
    ...     classes: tuple[str, ...] = ("G11",)
    >>> params_from_mapping(P, {"radius_m": "300", "classes": "G11,G12"})
    P(radius_m=300.0, classes=('G11', 'G12'))
    """
    values = dict(values or {})
    hints = typing.get_type_hints(params_type)
    known = {f.name for f in dataclasses.fields(params_type)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for {params_type.__name__}; known: {sorted(known)}"
        )
    kwargs = {k: _coerce(k, v, hints[k]) for k, v in values.items()}
    return params_type(**kwargs)


def params_to_dict(params: Any) -> dict[str, Any]:
    """Return the parameters of a dataclass as JSON-serialisable plain values.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class P:
    ...     radius_m: float = 500.0
    ...     classes: tuple[str, ...] = ("G11",)
    >>> params_to_dict(P())
    {'radius_m': 500.0, 'classes': ['G11']}
    """
    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return params_to_dict(v)
        if isinstance(v, tuple | list):
            return [plain(x) for x in v]
        if isinstance(v, Mapping):
            return {str(k): plain(x) for k, x in v.items()}
        return v

    return {f.name: plain(getattr(params, f.name)) for f in dataclasses.fields(params)}
