"""Tests of the pure audit logic: status, gap sign convention, "as of" filtering."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point

from tanmap.geo.audit import (
    EXACT,
    STATUS_ORDER,
    ErrorBound,
    Status,
    Verdict,
    apply_planned_renewals,
    compare,
    error_bound_of,
    evaluate,
    filter_as_of,
    judge,
    target_gap,
)


@pytest.mark.parametrize(
    ("status", "zh", "en"),
    [
        (Status.MET, "达标", "Met"),
        (Status.NOT_MET, "未达标", "Not met"),
        (Status.ON_TRACK, "按计划可达标", "On track"),
        (Status.NO_DATA, "数据不足", "No data"),
    ],
    ids=["met", "not_met", "on_track", "no_data"],
)
def test_status_labels(status: Status, zh: str, en: str) -> None:
    assert status.zh == zh
    assert status.en == en
    assert status.label("zh") == zh
    assert status.label("en") == en


def test_status_order_puts_problems_first() -> None:
    assert [s.value for s in STATUS_ORDER] == ["not_met", "no_data", "on_track", "met"]
    assert Status.MET.rank == 3
    assert Status.NOT_MET.rank == 0


@pytest.mark.parametrize(
    ("target", "cmp", "now", "planned", "status", "gap"),
    [
        (0.9, ">=", 0.95, None, Status.MET, -0.05),
        (0.9, ">=", 0.9, None, Status.MET, 0.0),
        (0.9, ">", 0.9, 0.95, Status.ON_TRACK, 0.0),
        (0.9, ">=", 0.75, None, Status.NOT_MET, 0.15),
        (20.0, ">=", 15.0, 21.0, Status.ON_TRACK, 5.0),
        (20.0, ">=", 15.0, 19.0, Status.NOT_MET, 5.0),
        (20.0, ">=", None, 25.0, Status.NO_DATA, None),
        (20.0, ">=", float("nan"), None, Status.NO_DATA, None),
        (10.0, "<=", 12.0, 9.0, Status.ON_TRACK, 2.0),
        (10.0, "<=", 8.0, None, Status.MET, -2.0),
        (10.0, "<", 10.0, None, Status.NOT_MET, 0.0),
        (3.0, "==", 3.0, None, Status.MET, 0.0),
        (3.0, "==", 2.0, None, Status.NOT_MET, 1.0),
        (3.0, "==", 4.0, None, Status.NOT_MET, 1.0),
    ],
    ids=[
        "share-met", "share-exactly-at-target", "strict-greater-on-track", "share-not-met",
        "count-on-track", "count-planned-too-few", "no-data", "nan-is-no-data",
        "at-most-on-track", "at-most-met", "strict-less-at-target", "equal-met", "equal-below",
        "equal-above",
    ],
)
def test_evaluate_table(
    target: float, cmp: str, now: float | None, planned: float | None, status: Status,
    gap: float | None,
) -> None:
    got_status, got_gap = evaluate(target, cmp, now, planned)
    assert got_status is status
    assert got_gap == gap


def test_float_noise_does_not_flip_status() -> None:
    # 0.1 + 0.2 = 0.30000000000000004 and 0.7 + 0.2 = 0.8999999999999999.
    assert evaluate(0.9, ">=", 0.7 + 0.2)[0] is Status.MET
    assert evaluate(0.3, "<=", 0.1 + 0.2)[0] is Status.MET
    assert compare(0.1 + 0.2, "==", 0.3)


def test_unknown_comparison_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"unknown comparison '=>'; use one of >=, >"):
        evaluate(1.0, "=>", 1.0)
    with pytest.raises(ValueError, match="unknown comparison"):
        target_gap(1.0, "ge", 1.0)


@given(
    target=st.floats(-1e6, 1e6), now=st.floats(-1e6, 1e6),
    cmp=st.sampled_from([">=", ">", "<=", "<"]),
)
def test_positive_gap_means_not_met(target: float, now: float, cmp: str) -> None:
    status, gap = evaluate(target, cmp, now)
    assert gap is not None
    if gap > 1e-6 * max(1.0, abs(target), abs(now)):
        assert status is Status.NOT_MET
    if gap < -1e-6 * max(1.0, abs(target), abs(now)):
        assert status is Status.MET


@given(
    target=st.floats(0, 100), now=st.floats(0, 100), planned=st.floats(0, 100),
    cmp=st.sampled_from([">=", ">", "<=", "<", "=="]),
)
def test_planned_figure_never_demotes_a_met_target(
    target: float, now: float, planned: float, cmp: str
) -> None:
    alone, _ = evaluate(target, cmp, now)
    with_plan, _ = evaluate(target, cmp, now, planned)
    if alone is Status.MET:
        assert with_plan is Status.MET
    else:
        assert with_plan in (Status.NOT_MET, Status.ON_TRACK)


@pytest.fixture
def projects() -> gpd.GeoDataFrame:
    """Six points on a 1 m grid in EPSG:4548 with every status/year combination that matters.

    a existing (no year), b completed 2020, c completed 2027 (after the audit year 2024),
    d planned 2025, e under construction 2031, f planned with no year.
    """
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "status": ["existing", "completed", "completed", "planned", "under_construction",
                       "planned"],
            "completion_year": [None, 2020, 2027, None, None, None],
            "planned_year": [None, None, None, 2025, 2031, None],
        },
        geometry=[Point(x, 0) for x in range(6)],
        crs=4548,
    )


@pytest.mark.parametrize(
    ("year", "until", "ids"),
    [
        (2024, None, ["a", "b"]),
        (2019, None, ["a"]),
        (2030, None, ["a", "b", "c"]),
        (2024, 2025, ["a", "b", "d"]),
        (2024, 2030, ["a", "b", "d"]),
        (2024, 2031, ["a", "b", "d", "e"]),
        (2030, 2030, ["a", "b", "c", "d"]),
    ],
    ids=["2024", "2019", "2030", "2024+plan2025", "2024+plan2030", "2024+plan2031",
         "scenario2030"],
)
def test_filter_as_of(projects: gpd.GeoDataFrame, year: int, until: int | None,
                      ids: list[str]) -> None:
    out = filter_as_of(projects, year, include_planned_until=until)
    assert out["id"].tolist() == ids
    assert out.crs == projects.crs
    assert len(projects) == 6  # input untouched


def test_filter_as_of_keeps_features_without_status() -> None:
    units = gpd.GeoDataFrame({"id": ["s1"], "name": ["示例街道1"]},
                             geometry=[Point(0, 0)], crs=4548)
    assert filter_as_of(units, 2024)["id"].tolist() == ["s1"]
    nulls = pd.DataFrame({"id": ["x", "y"], "status": [None, "renewed"]})
    assert filter_as_of(nulls, 2024)["id"].tolist() == ["x", "y"]


def test_filter_as_of_on_string_dtype_columns() -> None:
    df = pd.DataFrame({
        "id": pd.array(["p", "q"], dtype="string"),
        "status": pd.array(["planned", "existing"], dtype="string"),
        "planned_year": pd.array([2025, None], dtype="Int64"),
        "completion_year": pd.array([None, 2010], dtype="Int64"),
    })
    assert filter_as_of(df, 2024, 2025)["id"].tolist() == ["p", "q"]
    assert filter_as_of(df, 2009)["id"].tolist() == []


@given(year=st.integers(1990, 2040), extra=st.integers(0, 20))
def test_filter_as_of_monotone_in_planning_horizon(year: int, extra: int) -> None:
    df = pd.DataFrame({
        "status": ["planned"] * 5 + ["existing"] * 5,
        "planned_year": [2020, 2025, 2030, 2035, None] + [None] * 5,
        "completion_year": [None] * 5 + [2000, 2010, 2020, 2030, None],
    })
    fewer = filter_as_of(df, year, year)
    more = filter_as_of(df, year, year + extra)
    assert set(fewer.index) <= set(more.index)
    assert set(filter_as_of(df, year).index) <= set(fewer.index)


def test_apply_planned_renewals() -> None:
    """Pipe a: existing, renewal planned 2025; b: renewal planned 2031 (after the horizon);
    c: renewed 2020; d: a new pipe planned 2025 (status planned: not a renewal)."""
    pipes = pd.DataFrame({
        "id": ["a", "b", "c", "d"],
        "status": ["existing", "existing", "renewed", "planned"],
        "renewal_year": pd.array([None, None, 2020, None], dtype="Int64"),
        "planned_year": pd.array([2025, 2031, None, 2025], dtype="Int64"),
    })
    out = apply_planned_renewals(pipes, 2030)
    assert out["renewal_year"].fillna(0).tolist() == [2025.0, 0.0, 2020.0, 0.0]
    assert out["renewal_year"].isna().tolist() == [False, True, False, True]
    assert pipes["renewal_year"].isna().tolist() == [True, True, False, True]  # input untouched
    assert apply_planned_renewals(pipes, None)["renewal_year"].isna().sum() == 3
    gardens = pd.DataFrame({"status": ["existing"], "planned_year": [2025]})
    assert apply_planned_renewals(gardens, 2030).equals(gardens)


# --------------------------------------------------------------------- verdicts and error bounds

#: 和平 (issue 10): residential land 2,886,667 m², 4.33 m² uncovered, error bound 5.95 m².
HEPING_M2, HEPING_GAP_M2, HEPING_BOUND_M2 = 2_886_667.0, 4.33, 5.95


def test_heping_new_area_coverage_is_met_within_error_bound_not_a_bare_fail() -> None:
    measured = 1 - HEPING_GAP_M2 / HEPING_M2  # 0.9999985
    bound = error_bound_of("park_coverage", "share", {"weight": "area", "area_type": "overall"},
                           {"area_error_bound_m2": HEPING_BOUND_M2,
                            "residential_m2": HEPING_M2})
    assert bound == ErrorBound(HEPING_BOUND_M2 / HEPING_M2, "above",
                               "area_error_bound_m2 / residential_m2")
    verdict = judge(1.0, ">=", measured, bound=bound)
    assert evaluate(1.0, ">=", measured)[0] is Status.NOT_MET  # the bare verdict it replaces
    assert (verdict.status, verdict.within_error_bound) == (Status.MET, True)
    assert verdict.gap == pytest.approx(HEPING_GAP_M2 / HEPING_M2)
    assert verdict.error_bound == pytest.approx(2.0612e-6, rel=1e-3)
    assert (verdict.label("zh"), verdict.label("en")) == ("达标（误差范围内）",
                                                          "Met within error bound")


@pytest.mark.parametrize(
    ("target", "comparison", "measured", "bound", "status", "within"),
    [
        # A lower bound (true value in [m, m + b]):
        (0.9, ">=", 0.95, ErrorBound(0.1), Status.MET, False),       # certainly met
        (0.9, ">=", 0.85, ErrorBound(0.1), Status.MET, True),        # 0.85–0.95 straddles 0.9
        (0.9, ">=", 0.79, ErrorBound(0.1), Status.NOT_MET, False),   # at best 0.89
        (0.9, ">=", 0.80, ErrorBound(0.1), Status.MET, True),        # at best exactly 0.9
        (10.0, "<=", 9.5, ErrorBound(1.0), Status.MET, True),        # 9.5–10.5 straddles 10
        (10.0, "<=", 8.0, ErrorBound(1.0), Status.MET, False),       # at worst 9
        (10.0, "<=", 10.5, ErrorBound(1.0), Status.NOT_MET, False),  # at best 10.5
        # A symmetric bound (true value in [m − b, m + b]):
        (0.9, ">=", 0.92, ErrorBound(0.05, "both"), Status.MET, True),
        (0.9, ">=", 0.86, ErrorBound(0.05, "both"), Status.MET, True),
        (0.9, ">=", 0.84, ErrorBound(0.05, "both"), Status.NOT_MET, False),
        (1.0, "==", 0.98, ErrorBound(0.05, "both"), Status.MET, True),
        (1.0, "==", 0.9, ErrorBound(0.05, "both"), Status.NOT_MET, False),
        # Exact figures keep the plain verdict:
        (0.9, ">=", 0.8999, EXACT, Status.NOT_MET, False),
        (0.9, ">=", 0.9, EXACT, Status.MET, False),
    ],
    ids=["lower-met", "lower-straddles", "lower-short", "lower-edge", "le-straddles",
         "le-met", "le-short", "both-met-but-could-fail", "both-straddles", "both-short",
         "eq-straddles", "eq-short", "exact-short", "exact-met"],
)
def test_judge_with_error_bounds(target: float, comparison: str, measured: float,
                                 bound: ErrorBound, status: Status, within: bool) -> None:
    verdict = judge(target, comparison, measured, bound=bound)
    assert (verdict.status, verdict.within_error_bound) == (status, within)
    assert verdict.gap == target_gap(measured, comparison, target)


def test_judge_on_track_and_no_data_keep_their_meaning() -> None:
    assert judge(20, ">=", 15, 21, bound=ErrorBound(0.5)).status is Status.ON_TRACK
    # The planned figure 19.6 reaches 20 within its bound: still on track, not a bare fail.
    assert judge(20, ">=", 15, 19.6, bound=ErrorBound(0.5)).status is Status.ON_TRACK
    assert judge(20, ">=", 15, 19.0, bound=ErrorBound(0.5)).status is Status.NOT_MET
    assert judge(20, ">=", None, 25, bound=ErrorBound(0.5)) == Verdict(Status.NO_DATA, None)


def test_judge_rejects_a_negative_bound() -> None:
    with pytest.raises(ValueError, match="an error bound must be >= 0, got -1"):
        judge(1.0, ">=", 0.5, bound=ErrorBound(-1.0))


@pytest.mark.parametrize(
    ("metric", "unit", "params", "details", "expected"),
    [
        ("facility_coverage", "share", {}, {"area_error_bound_m2": 5.0, "total_m2": 500.0},
         ErrorBound(0.01, "above", "area_error_bound_m2 / total_m2")),
        ("charging_service_radius", "share", {"weight": "zone"},
         {"area_error_bound_m2": 20.0, "zone_area_m2": 1000.0, "residential_area_m2": 100.0},
         ErrorBound(0.02, "above", "area_error_bound_m2 / zone_area_m2")),
        ("charging_service_radius", "share", {"weight": "residential_land"},
         {"area_error_bound_m2": 20.0, "zone_area_m2": 1000.0, "residential_area_m2": 100.0},
         ErrorBound(0.2, "above", "area_error_bound_m2 / residential_area_m2")),
        ("park_coverage", "share", {"weight": "area", "area_type": "new_area"},
         {"area_error_bound_m2": 4.0, "residential_m2": 1000.0,
          "by_area_type": [{"area_type": "new_area", "residential_m2": 100.0}]},
         ErrorBound(0.04, "above", "area_error_bound_m2 / residential_m2")),
        ("park_coverage", "share", {"weight": "buildings"},
         {"area_error_bound_m2": 4.0, "residential_m2": 1000.0}, EXACT),
        ("feature_count", "count", {}, {"by_status": {}}, EXACT),
        ("indicator", "share", {"key": "k"}, {"key": "k"}, EXACT),
        ("custom", "km", {}, {"error_bound": 0.25}, ErrorBound(0.25, "both", "stated")),
    ],
    ids=["facility", "charging-zone", "charging-residential", "park-area-type",
         "park-buildings-exact", "count-exact", "indicator-exact", "stated"],
)
def test_error_bound_of_each_metric(metric: str, unit: str, params: dict[str, object],
                                    details: dict[str, object], expected: ErrorBound) -> None:
    got = error_bound_of(metric, unit, params, details)
    assert (got.value, got.side, got.basis) == (pytest.approx(expected.value), expected.side,
                                                expected.basis)


shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
bounds = st.floats(min_value=0.0, max_value=0.2, allow_nan=False)


@given(target=shares, measured=shares, b=bounds, extra=bounds,
       side=st.sampled_from(["above", "both"]), comparison=st.sampled_from([">=", "<="]))
def test_judge_invariants(target: float, measured: float, b: float, extra: float, side: str,
                          comparison: str) -> None:
    """A zero bound gives the plain verdict; a bound never turns a pass into a fail; a wider
    bound never turns "met (within the bound)" into "not met"."""
    plain = evaluate(target, comparison, measured)[0]
    assert judge(target, comparison, measured).status is plain
    narrow = judge(target, comparison, measured, bound=ErrorBound(b, side))
    wide = judge(target, comparison, measured, bound=ErrorBound(b + extra, side))
    if plain is Status.MET:
        assert narrow.status is Status.MET
    if narrow.status is Status.MET:
        assert wide.status is Status.MET
    if narrow.within_error_bound:
        assert narrow.gap is not None
        assert abs(narrow.gap) <= b + 1e-12
