"""Tests of the pure audit logic: status, gap sign convention, "as of" filtering."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point

from tanmap.geo.audit import (
    STATUS_ORDER,
    Status,
    apply_planned_renewals,
    compare,
    evaluate,
    filter_as_of,
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
