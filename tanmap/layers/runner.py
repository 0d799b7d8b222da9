"""Run a registered metric on the store (指标计算): load inputs, filter as of a year, call geo/."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from tanmap import __version__
from tanmap.geo.audit import apply_planned_renewals, filter_as_of
from tanmap.geo.crs import Bounds
from tanmap.geo.crs import district_planning_epsg as epsg_of_geometry
from tanmap.geo.errors import MetricParameterError, UnknownMetricError
from tanmap.geo.metric import (
    MetricContext,
    MetricDef,
    MetricResult,
    params_from_mapping,
    params_to_dict,
)
from tanmap.geo.registry import METRICS

if TYPE_CHECKING:
    from tanmap.layers.store.base import Store

__all__ = [
    "INDICATOR_METRIC",
    "UNIT_KINDS",
    "MetricMemo",
    "PreparedMetric",
    "ReadCache",
    "RunOutcome",
    "compute_prepared",
    "current_year",
    "district_planning_epsg",
    "jsonable",
    "prepare_metric",
    "run_metric",
    "use_metric_memo",
]

#: The metric whose value is a tracked, user-entered indicator (指标台账), read from the store.
INDICATOR_METRIC = "indicator"

#: Unit layers handed to every metric through ``MetricContext.units`` (街道, 社区).
UNIT_KINDS: tuple[str, ...] = ("subdistrict", "community")


class ReadCache:
    """A read-only, memoising view of a store for one batch of metric runs (one audit).

    中文：读取缓存（一次评估内重复读取同一图层时只读一次）。

    ``read``, ``version``, ``district`` and ``indicators`` are answered from memory after the
    first call with the same arguments; everything else goes to the wrapped store. Use it only
    while the store does not change (a fresh cache per audit); callers must not modify the
    frames it returns (tanmap's runner and geo/ functions never do).
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _get(self, key: tuple[Any, ...], call: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = call()
        return self._memo[key]

    def memo(self, key: tuple[Any, ...], call: Any) -> Any:
        """Return ``call()``, computed once per ``key`` for this cache (a derived read)."""
        return self._get(("memo", *key), call)

    def read(self, kind: Any, *, district: str | None = None,
             bbox: Bounds | None = None) -> gpd.GeoDataFrame:
        """Return ``store.read(...)``, memoised."""
        key = ("read", str(kind), district, None if bbox is None else tuple(bbox))
        return self._get(key, lambda: self._store.read(kind, district=district, bbox=bbox))

    def version(self, kind: Any, district: str) -> Any:
        """Return ``store.version(...)``, memoised."""
        return self._get(("version", str(kind), district),
                         lambda: self._store.version(kind, district))

    def district(self, adcode: str) -> Any:
        """Return ``store.district(...)``, memoised."""
        return self._get(("district", adcode), lambda: self._store.district(adcode))

    def indicators(self, district: str) -> pd.DataFrame:
        """Return ``store.indicators(...)``, memoised."""
        return self._get(("indicators", district), lambda: self._store.indicators(district))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def current_year() -> int:
    """Return the current calendar year (UTC), the default audit year."""
    return datetime.now(UTC).year


@dataclass(frozen=True)
class RunOutcome:
    """A metric result plus where its inputs came from.

    中文：指标计算结果及数据来源（图层版本、时间戳）。

    Parameters
    ----------
    result
        The metric's :class:`~tanmap.geo.metric.MetricResult`.
    lineage
        One dict per input layer actually used: ``kind``, ``district``, ``version``,
        ``updated_at`` (ISO 8601 UTC), ``n_features``, ``source`` (indicator values give
        ``kind="indicator:<key>"``, the value's ``year`` and ``entered_at``).
    district, year, include_planned_until, planning_epsg
        What the metric was evaluated for: district adcode, audit year, the planning horizon for
        planned projects (None: built features only) and the planning CRS.
    metric_zh, metric_en
        Display names of the metric.
    """

    result: MetricResult
    lineage: list[dict[str, Any]] = field(default_factory=list)
    district: str = ""
    year: int = 0
    include_planned_until: int | None = None
    planning_epsg: int = 0
    metric_zh: str = ""
    metric_en: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return every parameter, the rule and its version, the figures and the lineage as JSON.

        中文：导出为 JSON（参数、规则版本、结果、数据来源）。
        """
        r = self.result
        out: dict[str, Any] = jsonable({
            "metric": r.name,
            "metric_zh": self.metric_zh,
            "metric_en": self.metric_en,
            "district": self.district,
            "year": self.year,
            "include_planned_until": self.include_planned_until,
            "planning_epsg": self.planning_epsg,
            "value": r.value,
            "unit": r.unit,
            "params": dict(r.params),
            "rule": r.rule,
            "details": dict(r.details),
            "per_unit": r.per_unit,
            "missing": list(r.missing),
            "lineage": self.lineage,
        })
        return out


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON data (NaN -> None, numpy -> Python, frames -> rows).

    中文：转换为可序列化 JSON 的值。

    Examples
    --------
    >>> jsonable({"a": np.float64(1.5), "b": (1, float("nan")), "c": np.int64(2)})
    {'a': 1.5, 'b': [1, None], 'c': 2}
    """
    if isinstance(value, gpd.GeoDataFrame):
        value = pd.DataFrame(value.drop(columns=value.geometry.name))
    if isinstance(value, pd.DataFrame):
        return [jsonable(rec) for rec in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return jsonable(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if hasattr(value, "wkt"):  # a shapely geometry in details: WKT keeps the JSON readable
        return str(value.wkt)
    return str(value)


def district_planning_epsg(row: Any) -> int:
    """Return the district's planning CRS: its stored ``planning_epsg``, or that of its centroid.

    中文：区县规划坐标系（CGCS2000 3° 高斯-克吕格带）。
    """
    stored = row.get("planning_epsg") if hasattr(row, "get") else None
    if stored is not None and not pd.isna(stored):
        return int(stored)
    return int(epsg_of_geometry(row.geometry))


def _lineage_entry(version: Any) -> dict[str, Any]:
    entry: dict[str, Any] = jsonable(dataclasses.asdict(version))
    entry["kind"] = str(version.kind)
    return entry


@functools.lru_cache(maxsize=64)
def _to_lonlat(epsg: int) -> Transformer:
    """Return the planning CRS -> lon/lat transformer (built once: ~0.1 s each; thread-safe)."""
    return Transformer.from_crs(epsg, 4326, always_xy=True)


def _expanded_bounds(district_m: gpd.GeoSeries, margin_m: float, epsg: int) -> Bounds:
    # Expand in metres in the planning CRS, then take the lon/lat envelope of the expanded box
    # (densified edges: a straight edge in Gauss–Krüger is slightly curved in lon/lat).
    west, south, east, north = district_m.total_bounds
    to_lonlat = _to_lonlat(epsg)
    w, s, e, n = to_lonlat.transform_bounds(
        west - margin_m, south - margin_m, east + margin_m, north + margin_m, densify_pts=21
    )
    return Bounds(w, s, e, n)


def _load_kind(
    store: Store,
    kind: str,
    district: str,
    district_m: gpd.GeoSeries,
    margin_m: float,
    epsg: int,
) -> tuple[gpd.GeoDataFrame, list[Any]]:
    """Return the district's ``kind`` features + neighbours' within ``margin_m`` (planning CRS).

    Through a :class:`ReadCache` (one audit) the result is memoised: the targets of a card that
    read the same layer with the same margin reproject it once.
    """
    if isinstance(store, ReadCache):
        loaded: tuple[gpd.GeoDataFrame, list[Any]] = store.memo(
            ("load", kind, district, float(margin_m), epsg),
            lambda: _read_kind(store, kind, district, district_m, margin_m, epsg))
        return loaded
    return _read_kind(store, kind, district, district_m, margin_m, epsg)


def _read_kind(
    store: Store,
    kind: str,
    district: str,
    district_m: gpd.GeoSeries,
    margin_m: float,
    epsg: int,
) -> tuple[gpd.GeoDataFrame, list[Any]]:
    own = store.read(kind, district=district).to_crs(epsg)
    versions = [store.version(kind, district)]
    if margin_m <= 0:
        return own, versions
    nearby = store.read(kind, bbox=_expanded_bounds(district_m, margin_m, epsg))
    if "district" in nearby.columns:
        nearby = nearby[nearby["district"].astype("object") != district]
    if len(nearby) == 0:
        return own, versions
    nearby = nearby.to_crs(epsg)
    nearby = nearby[nearby.geometry.dwithin(district_m.iloc[0], margin_m)]
    if len(nearby) == 0:
        return own, versions
    for other in sorted({str(d) for d in nearby.get("district", pd.Series(dtype=object)).dropna()}):
        versions.append(store.version(kind, other))
    frame = pd.concat([own, nearby], ignore_index=True) if len(own) else nearby
    return gpd.GeoDataFrame(frame, geometry=own.geometry.name, crs=epsg), versions


def _indicator_value(
    store: Store, district: str, key: str, year: int, unit: str | None = None
) -> tuple[float | None, dict[str, Any] | None]:
    """Return the latest value of indicator ``key`` for a year <= ``year``, and its lineage.

    With ``unit`` (the target's), a value stored in another unit is converted to it (see
    :func:`tanmap.layers.indicators.stored_value_in`).
    """
    table = store.indicators(district)
    if len(table) == 0:
        return None, None
    rows = table[(table["key"].astype("object") == key)
                 & (pd.to_numeric(table["year"], errors="coerce") <= year)]
    if len(rows) == 0:
        return None, None
    rows = rows.sort_values(["year", "entered_at"], kind="stable")
    last = rows.iloc[-1]
    entry = {
        "kind": f"indicator:{key}",
        "district": district,
        "version": None,
        "updated_at": jsonable(last["entered_at"]),
        "n_features": 1,
        "source": jsonable(last.get("source")),
        "year": int(last["year"]),
        "unit": jsonable(last.get("unit")),
    }
    value = float(last["value"])
    stored_unit = last.get("unit")
    if unit and isinstance(stored_unit, str) and stored_unit:
        from tanmap.layers.indicators import stored_value_in

        converted = stored_value_in(key, value, stored_unit, unit)
        if converted != value or stored_unit != unit:
            entry["stored_value"] = value
        value = converted
    return value, entry


def _params(mdef: MetricDef, params: Mapping[str, Any] | None) -> Any:
    try:
        return params_from_mapping(mdef.params, params)
    except (TypeError, ValueError) as err:
        raise MetricParameterError(
            f"metric {mdef.name!r} ({mdef.zh}): {err}. "
            f"Run `tanmap metric --list` to see each metric's parameters."
        ) from err


class MetricMemo:
    """Remember metric outcomes keyed by the versions of the layers they read (incremental audit).

    中文：指标结果缓存（按输入图层版本；只重算输入变化了的指标）。

    The key of a run is the store, metric, district, parameters, year, planning horizon and
    planning CRS plus the current version of every layer the metric may read: its inputs and
    the unit layers, in every district (neighbours within the metric's margin count), and the
    district's rasters. A write to a layer therefore recomputes only the metrics that read it;
    an audit after a write to ``recycling_point`` reuses every other row. Runs with another
    metric registry and the ``indicator`` metric (values, not layers) are not remembered, nor
    is an outcome whose lineage shows a write landed while it was computed.

    Use it through :func:`use_metric_memo`; callers must not modify the outcomes it returns.
    """

    def __init__(self, max_items: int = 512) -> None:
        if max_items < 1:
            raise ValueError(f"max_items must be >= 1, got {max_items}")
        self.max_items = max_items
        self._items: OrderedDict[tuple[Any, ...], RunOutcome] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def key(self, store: Store, name: str, district: str, params: Mapping[str, Any] | None,
            *, year: int, include_planned_until: int | None,
            planning_epsg: int | None) -> tuple[Any, ...] | None:
        """Return the memo key of a run, or None when the run is not remembered."""
        if name not in METRICS or name == INDICATOR_METRIC:
            return None
        mdef = METRICS[name]
        p = _params(mdef, params)
        # The district boundary counts too: a re-imported boundary changes what is inside.
        kinds = {*mdef.required_inputs(p), *mdef.optional_inputs, *UNIT_KINDS, "district"}
        base = getattr(store, "_store", store)  # a ReadCache reads the same store
        # Version and checksum: a store file replaced from elsewhere (a restored copy) may
        # repeat version numbers with other features; its checksums differ.
        versions = tuple(sorted((str(v.kind), str(v.district), int(v.version), str(v.checksum))
                                for v in base.layers() if str(v.kind) in kinds))
        extra: list[Any] = []
        if any(k in kinds for k in ("land_cover", "building")):
            from tanmap.layers.raster.rasters import raster_versions

            extra.extend((str(v.kind), v.version) for v in raster_versions(base, district))
        climatology = getattr(p, "climatology_file", "")
        if climatology:
            path = Path(str(climatology))
            extra.append((str(path), path.stat().st_mtime_ns if path.exists() else None))
        where = (type(base).__name__, str(getattr(base, "path", "") or id(base)))
        return (where, name, district, json.dumps(params_to_dict(p), sort_keys=True,
                                                  default=str),
                year, include_planned_until, planning_epsg, versions, tuple(extra))

    def run(self, store: Store, name: str, district: str,
            params: Mapping[str, Any] | None = None, *, year: int | None = None,
            include_planned_until: int | None = None,
            planning_epsg: int | None = None) -> RunOutcome:
        """Return :func:`run_metric`'s outcome, from memory when no input layer changed."""
        year = current_year() if year is None else int(year)
        key = self.key(store, name, district, params, year=year,
                       include_planned_until=include_planned_until,
                       planning_epsg=planning_epsg)
        if key is not None:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key]
        outcome = compute_prepared(prepare_metric(
            store, name, district, params, year=year,
            include_planned_until=include_planned_until, planning_epsg=planning_epsg))
        if key is None:
            return outcome
        read = {(str(e.get("kind")), str(e.get("district")), e.get("version"))
                for e in outcome.lineage
                if e.get("version") is not None and ":" not in str(e.get("kind"))}
        if not read <= {(k, d, v) for k, d, v, _ in key[7]}:
            return outcome  # a layer changed while the metric ran: do not remember it
        with self._lock:
            self.misses += 1
            self._items[key] = outcome
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
        return outcome


_MEMO: ContextVar[MetricMemo | None] = ContextVar("tanmap_metric_memo", default=None)


@contextlib.contextmanager
def use_metric_memo(memo: MetricMemo | None) -> Iterator[MetricMemo | None]:
    """Make :func:`run_metric` use ``memo`` in this thread / context (None: no memo).

    中文：在当前上下文中启用指标结果缓存。
    """
    token = _MEMO.set(memo)
    try:
        yield memo
    finally:
        _MEMO.reset(token)


def run_metric(
    store: Store,
    name: str,
    district: str,
    params: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    include_planned_until: int | None = None,
    planning_epsg: int | None = None,
    metrics: Mapping[str, MetricDef] | None = None,
) -> RunOutcome:
    """Evaluate metric ``name`` for ``district`` on the store's layers.

    中文：在项目库上计算某区县的指标。

    ``compute_prepared(prepare_metric(...))``: see :func:`prepare_metric` for how the inputs are
    loaded and for the parameters and errors. Inside :func:`use_metric_memo` an outcome whose
    input layers did not change is taken from the memo.
    """
    memo = _MEMO.get()
    if memo is not None and metrics is None:
        return memo.run(store, name, district, params, year=year,
                        include_planned_until=include_planned_until,
                        planning_epsg=planning_epsg)
    return compute_prepared(prepare_metric(
        store, name, district, params, year=year, include_planned_until=include_planned_until,
        planning_epsg=planning_epsg, metrics=metrics,
    ))


def prepare_metric(
    store: Store,
    name: str,
    district: str,
    params: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    include_planned_until: int | None = None,
    planning_epsg: int | None = None,
    metrics: Mapping[str, MetricDef] | None = None,
) -> PreparedMetric:
    """Load everything metric ``name`` needs for ``district``: the I/O half of :func:`run_metric`.

    中文：读取某区县指标计算所需的全部输入（图层、参数、上下文）。

    The result is plain data (frames in the planning CRS, the parameter object, the context and
    the lineage): :func:`compute_prepared` turns it into the :class:`RunOutcome` without touching
    the store, so it can be shipped to another process or machine (``tanmap.layers.scaleout``).

    Each input layer (``MetricDef.required_inputs(params)`` plus the optional inputs) is read
    for the district, plus the features of other districts within ``MetricDef.margin_m`` of its
    boundary (a park across the border still serves residents inside); it is filtered "as of"
    ``year`` (:func:`tanmap.geo.audit.filter_as_of`) and reprojected to the planning CRS. The
    district's 街道 and 社区 layers, when present, go to the metric as ``context.units``.

    A required layer that was never loaded for the district does not raise: the result has
    ``value=None`` and names the layer in ``missing`` (数据不足). The ``indicator`` metric takes its
    value from the store's tracked indicators (latest year <= ``year``) unless ``params`` give one.

    Parameters
    ----------
    store
        The project store.
    name
        Registered metric name (see ``tanmap metric --list``).
    district
        District adcode, e.g. ``"120101"``.
    params
        Metric parameters as plain values (strings are converted); defaults otherwise.
    year
        Audit year; defaults to the current year.
    include_planned_until
        Also count planned / under-construction features due by this year (scenario view).
    planning_epsg
        Override the district's planning CRS (a projected CRS in metres).
    metrics
        Metric definitions by name; defaults to the registry :data:`tanmap.geo.registry.METRICS`.

    Raises
    ------
    UnknownMetricError
        If ``name`` is not a known metric (the message lists the known ones).
    MetricParameterError
        If a parameter name is unknown or a value cannot be converted.
    UnknownDistrictError
        If the district is not in the store.
    """
    catalog = METRICS if metrics is None else metrics
    if name not in catalog:
        raise UnknownMetricError(
            f"unknown metric {name!r}; known metrics: {', '.join(sorted(catalog)) or '(none)'}"
        )
    mdef = catalog[name]
    year = current_year() if year is None else int(year)
    row = store.district(district)
    epsg = int(planning_epsg) if planning_epsg is not None else district_planning_epsg(row)
    district_m = gpd.GeoSeries([row.geometry], crs=4326).to_crs(epsg)
    lineage: list[dict[str, Any]] = []
    missing: list[str] = []

    values = dict(params or {})
    if name == INDICATOR_METRIC and values.get("value") is None and "key" in values:
        value, entry = _indicator_value(store, district, str(values["key"]), year,
                                        unit=str(values.get("unit") or "") or None)
        if value is not None and entry is not None:
            values["value"] = value
            lineage.append(entry)
    p = _params(mdef, values)

    frames: dict[str, gpd.GeoDataFrame] = {}
    required = mdef.required_inputs(p)
    optional = tuple(k for k in mdef.optional_inputs if k not in required)
    land_cover = None
    source = getattr(p, "land_cover_source", None)
    if source is not None:
        land_cover, raster_entry = _land_cover_raster(store, district, str(source), epsg)
        if raster_entry is not None or source == "raster":
            # The raster path reads no vector land cover (even to report it missing).
            required = tuple(k for k in required if k != "land_cover")
            optional = tuple(k for k in optional if k != "land_cover")
        if raster_entry is not None:
            lineage.append(raster_entry)
        elif source == "raster":
            missing.append("raster:land_cover")
    not_loaded = [k for k in required if store.version(k, district) is None]
    if not_loaded:
        # The result is 数据不足 whatever the other inputs hold: name the missing layers and read
        # nothing (reading and reprojecting a 1M-building layer takes a minute, for no figure).
        lineage.extend(_lineage_entry(v) for v in (store.version(k, district) for k in (
            *required, *optional)) if v is not None)
        return PreparedMetric(
            name=name, mdef=mdef, params=p, frames={}, context=MetricContext(
                adcode=district, district=district_m.iloc[0], planning_epsg=epsg,
                audit_year=year, units={}, land_cover_areas=land_cover,
            ), lineage=lineage, missing=(*missing, *not_loaded),
            include_planned_until=include_planned_until,
        )
    for kind in (*required, *optional):
        if store.version(kind, district) is None:
            if kind in required:
                missing.append(kind)
            continue
        frame, versions = _load_kind(store, kind, district, district_m, mdef.margin_for(p), epsg)
        frames[kind] = apply_planned_renewals(
            filter_as_of(frame, year, include_planned_until), include_planned_until
        )
        lineage.extend(_lineage_entry(v) for v in versions if v is not None)

    raster_sampled = False
    if getattr(p, "irradiation_raster", False) and "building" in frames:
        p, sampled = _sample_stored_irradiation(store, district, frames["building"], p, epsg)
        if sampled is None:
            missing.append("raster:irradiation")
        else:
            frames["building"] = sampled
            raster_sampled = True
    if hasattr(p, "climatology_file") and not missing:
        p, absent = _apply_climatology(p, district, row.geometry, raster_sampled)
        if absent:
            missing.append(absent)

    units: dict[str, gpd.GeoDataFrame] = {}
    unit_lineage: list[dict[str, Any]] = []
    for kind in UNIT_KINDS:
        version = store.version(kind, district)
        if version is not None:
            units[kind] = store.read(kind, district=district).to_crs(epsg)
            unit_lineage.append(_lineage_entry(version))

    return PreparedMetric(
        name=name, mdef=mdef, params=p, frames=frames, context=MetricContext(
            adcode=district, district=district_m.iloc[0], planning_epsg=epsg,
            audit_year=year, units=units, land_cover_areas=land_cover,
        ), lineage=lineage, unit_lineage=unit_lineage, missing=tuple(missing),
        include_planned_until=include_planned_until,
    )


@dataclass(frozen=True)
class PreparedMetric:
    """The inputs of one metric run, loaded and ready: plain data a worker can receive.

    中文：已读取的指标计算输入（可发送到其他进程或计算节点）。

    Parameters
    ----------
    name
        The metric's name in the registry it was looked up in.
    mdef
        The metric definition (its ``compute`` is a module-level function, so it pickles).
    params
        The metric's parameter object.
    frames
        Input layers by kind, in the planning CRS, filtered as of the audit year.
    context
        District, planning CRS, audit year and unit layers.
    lineage, unit_lineage
        Input layer versions read (unit layers apart: they count only with a per-unit table).
    missing
        Required layers never loaded for the district (the result will be 数据不足).
    include_planned_until
        The scenario year, or None.
    """

    name: str
    mdef: MetricDef
    params: Any
    frames: Mapping[str, gpd.GeoDataFrame]
    context: MetricContext
    lineage: list[dict[str, Any]] = field(default_factory=list)
    unit_lineage: list[dict[str, Any]] = field(default_factory=list)
    missing: tuple[str, ...] = ()
    include_planned_until: int | None = None


def compute_prepared(prepared: PreparedMetric) -> RunOutcome:
    """Compute a prepared metric: the pure half of :func:`run_metric` (no store, no I/O).

    中文：由已读取的输入计算指标（纯计算，不访问项目库）。
    """
    mdef, p, frames, context = (prepared.mdef, prepared.params, prepared.frames,
                                prepared.context)
    name, missing, lineage = prepared.name, list(prepared.missing), list(prepared.lineage)
    unit_lineage = prepared.unit_lineage
    if missing:
        result = MetricResult(
            name=name, value=None, unit=mdef.unit, params=params_to_dict(p),
            missing=tuple(missing),
        )
    else:
        result = mdef.compute(frames, p, context)
        if result.rule is None:
            # Metrics without a named standard are defined by tanmap's own code: its version is
            # the rule version, so a card always says which rule produced a figure.
            result = dataclasses.replace(result, rule=f"{mdef.zh} {name} (tanmap {__version__})")
        if result.per_unit is not None:
            lineage.extend(e for e in unit_lineage if e["kind"] not in frames)
    return RunOutcome(
        result=result, lineage=lineage, district=context.adcode, year=context.audit_year,
        include_planned_until=prepared.include_planned_until,
        planning_epsg=context.planning_epsg,
        metric_zh=mdef.zh, metric_en=mdef.en,
    )


def _apply_climatology(params: Any, district: str, boundary_wgs84: Any,
                       raster_sampled: bool) -> tuple[Any, str | None]:
    """Give ``pv_potential`` the monthly irradiation of the district's city, when it has one.

    ``irradiation``: ``auto`` uses the climatology when a site stands for the district (by
    adcode prefix, else the nearest within ``FAR_SITE_KM``) and leaves the clear-sky upper bound
    otherwise; ``climatology`` reports ``climatology:irradiation`` missing instead;
    ``clear_sky`` and measured months given by the caller are left alone. The user's
    ``climatology_file`` replaces the bundled one. Returns the parameters and a missing item.
    """
    from tanmap.layers.raster.climatology import (
        bundled_climatology,
        climatology_for,
        read_climatology,
    )

    if params.monthly_ghi_kwh_m2 is not None or params.irradiation == "clear_sky":
        return params, None
    sites = (read_climatology(params.climatology_file) if params.climatology_file
             else bundled_climatology())
    centre = boundary_wgs84.centroid
    match = climatology_for(sites, district, float(centre.x), float(centre.y))
    if match is None:
        return params, ("climatology:irradiation" if params.irradiation == "climatology"
                        else None)
    site = match.site
    label = site.label(match.distance_km if match.by == "distance" else None)
    if raster_sampled:
        label = f"{params.irradiation_source} where sampled; elsewhere {label}"
    return dataclasses.replace(
        params, monthly_ghi_kwh_m2=site.monthly_ghi_kwh_m2, irradiation_source=label,
        monthly_air_temperature_c=(params.monthly_air_temperature_c
                                   or site.monthly_air_temperature_c)), None


def _land_cover_raster(store: Store, district: str, source: str,
                       epsg: int) -> tuple[Any, dict[str, Any] | None]:
    """Resolve ``land_cover_source`` (geo.eco.LAND_COVER_SOURCES) to the raster path or not.

    ``auto``: the vector layer when it has features, else the current land-cover raster, else
    the vector layer; ``raster`` / ``vector`` force one. Returns the class-area source and its
    lineage entry, or (None, None) for the vector path.
    """
    if source == "vector":
        return None, None
    if source == "auto":
        version = store.version("land_cover", district)
        if version is not None and version.n_features > 0:
            return None, None
    from tanmap.layers.raster.rasters import RasterKind, land_cover_areas, raster_history

    areas = land_cover_areas(store, district, planning_epsg=epsg)
    if areas is None:
        return None, None
    v = raster_history(store, RasterKind.LAND_COVER, district)[-1]
    entry = {"kind": f"raster:{v.kind}", "district": v.district, "version": v.version,
             "updated_at": v.updated_at, "n_features": None, "source": v.source,
             "checksum": v.checksum}
    return areas, entry


def _sample_stored_irradiation(store: Store, district: str, buildings: gpd.GeoDataFrame,
                               params: Any, epsg: int) -> tuple[Any, gpd.GeoDataFrame | None]:
    """Attach the stored irradiation raster's annual kWh/m² to the buildings (or None)."""
    import rasterio

    from tanmap.layers.raster.rasters import (
        RasterKind,
        raster_history,
        raster_path,
        raster_versions,
    )
    from tanmap.layers.raster.zonal import with_irradiation

    if not hasattr(store, "path") or not any(
            v.kind == RasterKind.IRRADIATION for v in raster_versions(store, district)):
        return params, None
    version = raster_history(store, RasterKind.IRRADIATION, district)[-1]
    path = raster_path(store, RasterKind.IRRADIATION, district)
    with rasterio.open(path) as src:
        warp = f"EPSG:{epsg}" if src.crs.is_geographic else None
    named = params.irradiation_source or (
        f"stored irradiation raster v{version.version}, {version.source}")
    return (dataclasses.replace(params, irradiation_source=named),
            with_irradiation(buildings, path, target_crs=warp))
