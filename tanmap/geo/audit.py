"""Target evaluation logic for the plan audit (规划目标评估): status, gap and "as of" filtering."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Mapping

    import geopandas as gpd

__all__ = [
    "COMPARISONS",
    "EXACT",
    "EXISTING_STATUSES",
    "PLANNED_STATUSES",
    "REL_TOLERANCE",
    "STATUS_ORDER",
    "Comparison",
    "ErrorBound",
    "Status",
    "Verdict",
    "apply_planned_renewals",
    "compare",
    "error_bound_of",
    "evaluate",
    "filter_as_of",
    "judge",
    "target_gap",
]

Comparison = Literal[">=", ">", "<=", "<", "=="]

#: The comparisons a plan target may use (目标比较方式).
COMPARISONS: tuple[str, ...] = (">=", ">", "<=", "<", "==")

#: Relative tolerance when comparing a measured figure with its target: shares computed from
#: areas carry floating-point noise (0.8999999999 for 0.9), which must not flip a status.
REL_TOLERANCE = 1e-9

#: Feature statuses that count as built at the audit year (现状/建成/已改造).
EXISTING_STATUSES: frozenset[str] = frozenset({"existing", "completed", "renewed"})

#: Feature statuses of projects not yet finished (规划/在建).
PLANNED_STATUSES: frozenset[str] = frozenset({"planned", "under_construction"})


class Status(StrEnum):
    """Audit status of one plan target.

    中文：目标评估状态（达标 / 未达标 / 按计划可达标 / 数据不足）。

    Examples
    --------
    >>> Status.ON_TRACK.zh, Status.ON_TRACK.en
    ('按计划可达标', 'On track')
    >>> sorted([Status.MET, Status.NO_DATA, Status.NOT_MET], key=lambda s: s.rank)
    [<Status.NOT_MET: 'not_met'>, <Status.NO_DATA: 'no_data'>, <Status.MET: 'met'>]
    """

    MET = "met"                # 达标
    NOT_MET = "not_met"        # 未达标
    ON_TRACK = "on_track"      # 按计划可达标
    NO_DATA = "no_data"        # 数据不足

    @property
    def zh(self) -> str:
        """Return the Chinese label."""
        return _LABELS[self][0]

    @property
    def en(self) -> str:
        """Return the English label."""
        return _LABELS[self][1]

    def label(self, lang: str = "zh") -> str:
        """Return the label in ``lang`` ("zh" or "en")."""
        return self.en if lang == "en" else self.zh

    @property
    def rank(self) -> int:
        """Return the sort rank on a card (problems first: not met, no data, on track, met)."""
        return STATUS_ORDER.index(self)


_LABELS: dict[Status, tuple[str, str]] = {
    Status.MET: ("达标", "Met"),
    Status.NOT_MET: ("未达标", "Not met"),
    Status.ON_TRACK: ("按计划可达标", "On track"),
    Status.NO_DATA: ("数据不足", "No data"),
}

#: Order of statuses on a report card: what needs action comes first.
STATUS_ORDER: tuple[Status, ...] = (Status.NOT_MET, Status.NO_DATA, Status.ON_TRACK, Status.MET)


def _check_comparison(comparison: str) -> None:
    if comparison not in COMPARISONS:
        raise ValueError(
            f"unknown comparison {comparison!r}; use one of {', '.join(COMPARISONS)} "
            "(e.g. '>=' for 'at least')"
        )


def compare(measured: float, comparison: str, target_value: float) -> bool:
    """Return whether ``measured`` satisfies ``comparison`` against ``target_value``.

    中文：判断实测值是否满足目标。

    Equality and the non-strict comparisons allow a relative tolerance of
    :data:`REL_TOLERANCE`, so floating-point noise in computed shares does not flip a status;
    the strict comparisons (``>``, ``<``) do not.

    Raises
    ------
    ValueError
        If ``comparison`` is not one of :data:`COMPARISONS`.

    Examples
    --------
    >>> compare(0.9, ">=", 0.9), compare(0.9, ">", 0.9), compare(0.3 - 0.2 + 0.8, ">=", 0.9)
    (True, False, True)
    >>> compare(12.0, "<=", 10.0)
    False
    """
    _check_comparison(comparison)
    tol = REL_TOLERANCE * max(abs(measured), abs(target_value))
    if comparison == ">=":
        return measured >= target_value - tol
    if comparison == ">":
        return measured > target_value
    if comparison == "<=":
        return measured <= target_value + tol
    if comparison == "<":
        return measured < target_value
    return math.isclose(measured, target_value, rel_tol=REL_TOLERANCE, abs_tol=0.0)


def target_gap(measured: float | None, comparison: str, target_value: float) -> float | None:
    """Return how far ``measured`` falls short of the target (缺口).

    中文：目标缺口（正数为差距，负数或零为已超出）。

    Sign convention: a **positive gap is a shortfall** in the target's unit, a gap of zero or
    less means the figure is at or beyond the target. For "at least" targets (``>=``, ``>``)
    gap = target − measured; for "at most" targets (``<=``, ``<``) gap = measured − target;
    for ``==`` it is the absolute difference. None when nothing was measured.

    Raises
    ------
    ValueError
        If ``comparison`` is not one of :data:`COMPARISONS`.

    Examples
    --------
    >>> target_gap(0.75, ">=", 0.9)
    0.15
    >>> target_gap(12.0, "<=", 10.0), target_gap(8.0, "<=", 10.0), target_gap(None, ">=", 1.0)
    (2.0, -2.0, None)
    """
    _check_comparison(comparison)
    if measured is None:
        return None
    if comparison in (">=", ">"):
        gap = target_value - measured
    elif comparison in ("<=", "<"):
        gap = measured - target_value
    else:
        gap = abs(measured - target_value)
    # Round away binary noise (0.9 - 0.75 = 0.15000000000000002) without hiding real figures.
    return round(gap, 12)


def evaluate(
    target_value: float,
    comparison: str,
    measured_now: float | None,
    measured_planned: float | None = None,
) -> tuple[Status, float | None]:
    """Return the status of a target and its gap (positive = shortfall) at the audit date.

    中文：目标评估：达标 / 未达标 / 按计划可达标 / 数据不足，以及缺口。

    Parameters
    ----------
    target_value
        The plan's target figure, in the metric's unit.
    comparison
        One of :data:`COMPARISONS`.
    measured_now
        The figure from what exists at the audit date; None when the data do not allow one.
    measured_planned
        The figure when projects planned for completion by the deadline are counted too; None
        when there is no deadline or no planned-projects figure.

    Returns
    -------
    tuple
        ``(status, gap)``; the gap (see :func:`target_gap`) is always that of ``measured_now``.

    Raises
    ------
    ValueError
        If ``comparison`` is not one of :data:`COMPARISONS`.

    Examples
    --------
    >>> evaluate(0.9, ">=", 0.95)
    (<Status.MET: 'met'>, -0.05)
    >>> evaluate(20, ">=", 15, 21)
    (<Status.ON_TRACK: 'on_track'>, 5)
    >>> evaluate(20, ">=", 15, 18)
    (<Status.NOT_MET: 'not_met'>, 5)
    >>> evaluate(20, ">=", None, 25)
    (<Status.NO_DATA: 'no_data'>, None)
    """
    _check_comparison(comparison)
    if measured_now is None or _is_nan(measured_now):
        return Status.NO_DATA, None
    gap = target_gap(measured_now, comparison, target_value)
    if compare(measured_now, comparison, target_value):
        return Status.MET, gap
    if (
        measured_planned is not None
        and not _is_nan(measured_planned)
        and compare(measured_planned, comparison, target_value)
    ):
        return Status.ON_TRACK, gap
    return Status.NOT_MET, gap


@dataclass(frozen=True)
class ErrorBound:
    """How far a metric's figure may be from the true value, in the figure's unit.

    中文：指标误差界（与指标同单位）。

    Parameters
    ----------
    value
        The bound (>= 0); 0 for figures computed exactly (counts, lengths, user-entered values).
    side
        ``"above"``: the figure is a lower bound, the true value lies in ``[v, v + value]``
        (covered areas measured with inscribed buffers); ``"both"``: ``[v - value, v + value]``.
    basis
        What the bound comes from, e.g. ``"area_error_bound_m2 / residential_m2"`` or ``"exact"``.
    """

    value: float
    side: Literal["above", "both"] = "above"
    basis: str = "exact"


#: The bound of a figure computed exactly (counts, lengths, indicators entered by the user).
EXACT = ErrorBound(0.0, "both", "exact")

#: Denominator (in details) of each area-share metric whose covered area has an error bound.
_SHARE_DENOMINATORS: dict[str, tuple[str, ...]] = {
    "park_coverage": ("residential_m2",),
    "facility_coverage": ("total_m2",),
    "charging_service_radius": ("zone_area_m2", "residential_area_m2"),
}


def error_bound_of(
    metric: str, unit: str, params: Mapping[str, Any], details: Mapping[str, Any]
) -> ErrorBound:
    """Return the error bound of a metric's figure from its parameters and details.

    中文：由指标结果推得误差界（覆盖面积以内接缓冲区计算，为下界）。

    Covered areas are lower bounds within ``details["area_error_bound_m2"]`` (see
    ``tanmap.geo.coverage.covered_area``); a share's bound is that area over the share's
    denominator. For a sub-class of land (``area_type``) the whole bound is divided by that
    class's area, which can only overstate it. A metric may also state ``details["error_bound"]``
    directly, in its own unit. Everything else is exact.

    Examples
    --------
    >>> b = error_bound_of("park_coverage", "share", {"weight": "area"},
    ...                    {"area_error_bound_m2": 5.0, "residential_m2": 1000.0})
    >>> b.value, b.side
    (0.005, 'above')
    >>> error_bound_of("feature_count", "count", {}, {}) == EXACT
    True
    """
    stated = details.get("error_bound")
    if isinstance(stated, int | float) and math.isfinite(stated) and stated >= 0:
        side = details.get("error_bound_side", "both")
        return ErrorBound(float(stated), "above" if side == "above" else "both", "stated")
    bound_m2 = details.get("area_error_bound_m2")
    if not isinstance(bound_m2, int | float) or not bound_m2 > 0:
        return EXACT
    if unit == "m2":
        return ErrorBound(float(bound_m2), "above", "area_error_bound_m2")
    keys = _SHARE_DENOMINATORS.get(metric)
    if unit != "share" or keys is None:
        return EXACT
    if metric == "park_coverage" and params.get("weight", "area") != "area":
        return EXACT  # served buildings and residents are decided exactly (covered_mask)
    key = keys[0]
    if metric == "charging_service_radius" and params.get("weight") == "residential_land":
        key = keys[1]
    total = details.get(key)
    area_type = params.get("area_type", "overall")
    if metric == "park_coverage" and area_type not in (None, "overall"):
        rows = [r for r in details.get("by_area_type", ()) if r.get("area_type") == area_type]
        total = rows[0].get("residential_m2") if rows else None
    if not isinstance(total, int | float) or not total > 0:
        return EXACT
    return ErrorBound(float(bound_m2) / float(total), "above", f"area_error_bound_m2 / {key}")


@dataclass(frozen=True)
class Verdict:
    """A target's status with its gap and the error bound of the measured figure.

    中文：评估结论（状态、缺口、误差界；缺口在误差界内时注明“误差范围内”）。

    ``within_error_bound`` is True when the true value could lie on either side of the target
    given the bound: the status is then 达标（误差范围内） ("met within error bound") and the card
    shows the bound beside the gap, never a bare pass or fail.
    """

    status: Status
    gap: float | None
    error_bound: float | None = None
    within_error_bound: bool = False

    def label(self, lang: str = "zh") -> str:
        """Return the status label, qualified when the gap lies within the error bound.

        Examples
        --------
        >>> Verdict(Status.MET, 1e-6, 2e-6, True).label(), Verdict(Status.MET, 0.0).label("en")
        ('达标（误差范围内）', 'Met')
        """
        if not self.within_error_bound:
            return self.status.label(lang)
        return "Met within error bound" if lang == "en" else "达标（误差范围内）"


def _interval(measured: float, bound: ErrorBound) -> tuple[float, float]:
    low = measured if bound.side == "above" else measured - bound.value
    return low, measured + bound.value


def _possibly(comparison: str, target_value: float, low: float, high: float) -> tuple[bool, bool]:
    """Return (certainly met, possibly met) for a true value somewhere in [low, high]."""
    if comparison in (">=", ">"):
        return compare(low, comparison, target_value), compare(high, comparison, target_value)
    if comparison in ("<=", "<"):
        return compare(high, comparison, target_value), compare(low, comparison, target_value)
    certain = low == high and compare(low, comparison, target_value)
    return certain, low <= target_value <= high or certain


def judge(
    target_value: float,
    comparison: str,
    measured_now: float | None,
    measured_planned: float | None = None,
    *,
    bound: ErrorBound = EXACT,
    planned_bound: ErrorBound | None = None,
) -> Verdict:
    """Return the verdict on a target, taking the measured figure's error bound into account.

    中文：考虑误差界的目标评估（缺口在误差界内时为“达标（误差范围内）”）。

    As :func:`evaluate`, except that the measured figure stands for an interval (see
    :class:`ErrorBound`): when the target is met for some value in the interval but not for
    all, the status is met *within the error bound* (``within_error_bound=True``). A figure
    certainly meeting the target is a bare 达标; one that cannot meet it even at the edge of the
    bound falls through to on track / not met as in :func:`evaluate`.

    Raises
    ------
    ValueError
        If ``comparison`` is not one of :data:`COMPARISONS`, or a bound is negative.

    Examples
    --------
    和平: 4.33 m² of 2,886,667 m² uncovered, error bound 5.95 m² (a lower bound):

    >>> v = judge(1.0, ">=", 1 - 4.33 / 2_886_667, bound=ErrorBound(5.95 / 2_886_667))
    >>> v.status.value, v.within_error_bound, v.label()
    ('met', True, '达标（误差范围内）')
    >>> judge(0.9, ">=", 0.95, bound=ErrorBound(0.01)).within_error_bound
    False
    >>> judge(0.9, ">=", 0.85, bound=ErrorBound(0.01)).status.value
    'not_met'
    """
    for b in (bound, planned_bound):
        if b is not None and not b.value >= 0:
            raise ValueError(f"an error bound must be >= 0, got {b.value}")
    status, gap = evaluate(target_value, comparison, measured_now, measured_planned)
    if status is Status.NO_DATA or measured_now is None:
        return Verdict(status, gap, None)
    value = bound.value
    if value == 0:
        return Verdict(status, gap, 0.0)
    certain, possible = _possibly(comparison, target_value, *_interval(measured_now, bound))
    if certain:
        return Verdict(Status.MET, gap, value)
    if possible:
        return Verdict(Status.MET, gap, value, within_error_bound=True)
    if measured_planned is not None and status is not Status.ON_TRACK:
        pb = planned_bound or bound
        _, planned_possible = _possibly(comparison, target_value,
                                        *_interval(measured_planned, pb))
        if planned_possible:
            return Verdict(Status.ON_TRACK, gap, value)
    return Verdict(status, gap, value)


def _is_nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def filter_as_of(
    features: gpd.GeoDataFrame | pd.DataFrame,
    year: int,
    include_planned_until: int | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Return the features that count at ``year`` (and those planned by a deadline).

    中文：按评估年份筛选要素（现状/建成/已改造；可选计入规划期内的规划/在建项目）。

    A feature counts when

    * its ``status`` is existing / completed / renewed (or missing: data without a status are
      taken as the current state) and its ``completion_year`` is at most ``year`` or null; or
    * ``include_planned_until`` is given, its status is planned / under_construction and its
      ``planned_year`` is at most ``include_planned_until`` (a planned project without a year
      is not counted: nothing says it will be done in time); its empty ``completion_year``
      becomes the planned year, so "completed since" filters count it.

    A frame without a ``status`` column (e.g. sub-district units) is returned unchanged.
    The input is not modified; the result keeps the input's index and CRS.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "id": ["a", "b", "c", "d", "e"],
    ...     "status": ["existing", "completed", "completed", "planned", "planned"],
    ...     "completion_year": [None, 2020, 2027, None, None],
    ...     "planned_year": [None, None, None, 2025, 2031],
    ... })
    >>> filter_as_of(df, 2024)["id"].tolist()
    ['a', 'b']
    >>> filter_as_of(df, 2024, include_planned_until=2030)["id"].tolist()
    ['a', 'b', 'd']
    >>> filter_as_of(df, 2024, include_planned_until=2030)["completion_year"].tolist()
    [nan, 2020.0, 2025.0]
    """
    if "status" not in features.columns:
        return features.copy()
    status = features["status"].astype("object")
    n = len(features)
    completion = _years(features, "completion_year", n)
    planned_year = _years(features, "planned_year", n)
    is_existing = status.isna().to_numpy() | status.isin(EXISTING_STATUSES).to_numpy()
    built_in_time = completion.isna().to_numpy() | (completion <= year).to_numpy()
    keep = is_existing & built_in_time
    if include_planned_until is not None:
        is_planned = status.isin(PLANNED_STATUSES).to_numpy()
        due = (planned_year <= include_planned_until).fillna(False).to_numpy(dtype=bool)
        keep = keep | (is_planned & due)
        out = features.loc[keep].copy()
        # A project counted as done by its planned year is completed then: "built since
        # 2023" filters (completion_year) count it, as they count a finished one.
        if "completion_year" in out.columns and "planned_year" in out.columns:
            take = (is_planned & due)[keep] & out["completion_year"].isna().to_numpy()
            if take.any():
                out["completion_year"] = out["completion_year"].astype("object")
                out.loc[take, "completion_year"] = out.loc[take, "planned_year"]
                out["completion_year"] = pd.to_numeric(out["completion_year"])
        return out
    return features.loc[keep].copy()


def apply_planned_renewals(
    features: gpd.GeoDataFrame | pd.DataFrame, include_planned_until: int | None
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Return the features with renewals planned by ``include_planned_until`` taken as done.

    中文：计入规划期内计划实施的改造（如老旧供热管网更新改造）。

    An asset in service (status existing/completed or missing) that has no ``renewal_year`` but
    a ``planned_year`` at most ``include_planned_until`` is a planned renewal (改造计划) of an
    existing asset: its ``renewal_year`` is set to the planned year, so renewal metrics count it
    in the scenario. Frames without a ``renewal_year`` column, and calls with
    ``include_planned_until=None``, are returned unchanged (as a copy).

    Examples
    --------
    >>> pipes = pd.DataFrame({
    ...     "status": ["existing", "existing", "renewed", "planned"],
    ...     "renewal_year": [None, None, 2020, None],
    ...     "planned_year": [2025, 2031, None, 2025],
    ... })
    >>> apply_planned_renewals(pipes, 2030)["renewal_year"].tolist()
    [2025.0, nan, 2020.0, nan]
    """
    out = features.copy()
    if include_planned_until is None or "renewal_year" not in out.columns:
        return out
    n = len(out)
    status = out["status"].astype("object") if "status" in out.columns else pd.Series(
        [None] * n, index=out.index, dtype="object")
    in_service = (status.isna() | status.isin(EXISTING_STATUSES - {"renewed"})).to_numpy()
    renewal = _years(out, "renewal_year", n)
    planned_year = _years(out, "planned_year", n)
    due = (planned_year <= include_planned_until).fillna(False).to_numpy(dtype=bool)
    take = in_service & renewal.isna().to_numpy() & due
    renewal[take] = planned_year[take]
    out["renewal_year"] = renewal.to_numpy()
    return out


def _years(features: pd.DataFrame, column: str, n: int) -> pd.Series:
    if column not in features.columns:
        return pd.Series([float("nan")] * n, index=features.index, dtype="float64")
    return pd.to_numeric(features[column], errors="coerce").astype("float64")
