"""Target evaluation logic for the plan audit (规划目标评估): status, gap and "as of" filtering."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "COMPARISONS",
    "EXISTING_STATUSES",
    "PLANNED_STATUSES",
    "REL_TOLERANCE",
    "STATUS_ORDER",
    "Comparison",
    "Status",
    "apply_planned_renewals",
    "compare",
    "evaluate",
    "filter_as_of",
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
      is not counted: nothing says it will be done in time).

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
