"""Heating network metrics on 1 km pipes laid along the x axis (EPSG:4548)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

from tanmap.geo.errors import GeographicCRSError, MetricParameterError
from tanmap.geo.heating import (
    METRIC_DEFS,
    age_band_lengths,
    pipe_ages,
    pipe_lengths_m,
    renewal_status,
)
from tanmap.geo.metric import MetricContext, params_from_mapping

CRS = 4548
DEFS = {d.name: d for d in METRIC_DEFS}
OLD, PROGRESS = DEFS["heating_old_pipes"], DEFS["heating_renewal_progress"]

#: id, installation_year, renewal_year, status, length_m (geometry is always 1000 m)
ROWS = [
    ("p1", 1990, None, "existing", None),    # 35 years old
    ("p2", 2000, None, "existing", 2500.0),  # 25 years, surveyed length 2.5 km
    ("p3", 1995, 2015, "renewed", None),     # renewed 10 years ago
    ("p4", 2005, None, "existing", None),    # exactly 20 years old
    ("p5", 1980, None, "planned", None),     # not in service
    ("p6", 1990, 2027, "existing", None),    # renewal planned after the audit year
]


@pytest.fixture
def pipes() -> gpd.GeoDataFrame:
    """Six pipes, each the 1000 m line (0, 10 i) - (1000, 10 i)."""
    frame = pd.DataFrame(ROWS, columns=["id", "installation_year", "renewal_year", "status",
                                        "length_m"])
    geoms = [LineString([(0, 10 * i), (1000, 10 * i)]) for i in range(len(frame))]
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)


@pytest.fixture
def halves() -> dict[str, gpd.GeoDataFrame]:
    """Two 街道 splitting every pipe at x = 500."""
    return {"subdistrict": gpd.GeoDataFrame(
        {"id": ["w", "e"], "name": ["西街", "东街"]},
        geometry=[box(-1, -1, 500, 100), box(500, -1, 1001, 100)], crs=CRS)}


def ctx(units=None, year=2025) -> MetricContext:
    return MetricContext(adcode="120101", district=box(-10, -10, 2000, 2000), planning_epsg=CRS,
                         audit_year=year, units=units or {})


def test_lengths_prefer_the_surveyed_length(pipes):
    assert pipe_lengths_m(pipes).tolist() == [1000.0, 2500.0, 1000.0, 1000.0, 1000.0, 1000.0]


def test_ages_since_installation_and_since_renewal(pipes):
    assert pipe_ages(pipes, 2025).tolist() == [35.0, 25.0, 10.0, 20.0, 45.0, 35.0]
    assert pipe_ages(pipes, 2025, since_renewal=False).tolist() == [
        35.0, 25.0, 30.0, 20.0, 45.0, 35.0]
    assert renewal_status(pipes, 2025).tolist() == [False, False, True, False, False, False]
    assert renewal_status(pipes, 2027).tolist() == [False, False, True, False, False, True]


def test_age_bands(pipes):
    in_service = pipes[pipes["status"] != "planned"]
    assert age_band_lengths(in_service, 2025) == {
        "0–9": 0.0, "10–19": 1.0, "20–29": 3.5, "≥30": 2.0, "unknown": 0.0}


@pytest.mark.parametrize(("threshold", "km"), [(20, 5.5), (30, 2.0), (36, 0.0)],
                         ids=["national-20", "heping-30", "none-older"])
def test_old_pipes_not_renewed(pipes, threshold, km):
    """20 years: p1 + p2 (2.5 km) + p4 (exactly 20) + p6; 30 years: p1 + p6."""
    res = OLD.compute({"heating_pipe": pipes},
                      params_from_mapping(OLD.params, {"age_threshold_years": threshold}), ctx())
    assert res.value == pytest.approx(km)
    assert res.details["network_km"] == pytest.approx(6.5)


def test_old_pipes_per_subdistrict(pipes, halves):
    res = OLD.compute({"heating_pipe": pipes}, OLD.params(), ctx(halves))
    assert res.per_unit["unit_name"].tolist() == ["西街", "东街"]
    assert res.per_unit["old_km"].tolist() == pytest.approx([2.75, 2.75])
    assert res.per_unit["network_km"].tolist() == pytest.approx([3.25, 3.25])
    assert sorted(res.layers["old_pipes"]["id"]) == ["p1", "p2", "p4", "p6"]


@pytest.mark.parametrize(("threshold", "share", "due_km"), [(20, 1 / 6.5, 6.5), (30, 1 / 3, 3.0)],
                         ids=["national-20", "heping-30"])
def test_renewal_progress(pipes, threshold, share, due_km):
    res = PROGRESS.compute(
        {"heating_pipe": pipes},
        params_from_mapping(PROGRESS.params, {"age_threshold_years": threshold, "target_km": 2}),
        ctx())
    assert res.value == pytest.approx(share)
    assert res.details["candidate_km"] == pytest.approx(due_km)
    assert res.details["renewed_km"] == 1.0
    assert res.details["target_progress"] == 0.5


def test_progress_after_the_planned_renewal(pipes):
    """By 2027 p6 is renewed too: (p3 + p6) / (p1 + p3 + p6) at 30 years."""
    res = PROGRESS.compute({"heating_pipe": pipes},
                           params_from_mapping(PROGRESS.params, {"age_threshold_years": 30}),
                           ctx(year=2027))
    assert res.value == pytest.approx(2 / 3)


def test_progress_per_subdistrict(pipes, halves):
    res = PROGRESS.compute({"heating_pipe": pipes}, PROGRESS.params(), ctx(halves))
    assert res.per_unit["share"].tolist() == pytest.approx([1 / 6.5, 1 / 6.5])


def test_no_candidates_and_no_layer(pipes):
    young = pipes.assign(installation_year=2020, renewal_year=None, status="existing")
    res = PROGRESS.compute({"heating_pipe": young}, PROGRESS.params(), ctx())
    assert (res.value, res.details["candidate_km"]) == (None, 0.0)
    missing = OLD.compute({}, OLD.params(), ctx())
    assert (missing.value, missing.missing) == (None, ("heating_pipe",))


def test_empty_layer_gives_zero_km(pipes):
    res = OLD.compute({"heating_pipe": pipes.iloc[:0]}, OLD.params(), ctx())
    assert res.value == 0.0


def test_threshold_must_be_positive():
    with pytest.raises(MetricParameterError, match="age_threshold_years must be > 0"):
        params_from_mapping(OLD.params, {"age_threshold_years": 0})


def test_degrees_are_rejected(pipes):
    with pytest.raises(GeographicCRSError, match="degrees"):
        pipe_lengths_m(pipes.set_crs(4326, allow_override=True))


@settings(max_examples=30, deadline=None)
@given(order=st.permutations(range(6)), t1=st.integers(1, 50), t2=st.integers(1, 50))
def test_invariants(order, t1, t2):
    frame = pd.DataFrame(ROWS, columns=["id", "installation_year", "renewal_year", "status",
                                        "length_m"])
    base = gpd.GeoDataFrame(frame, geometry=[LineString([(0, 10 * i), (1000, 10 * i)])
                                             for i in range(6)], crs=CRS)
    shuffled = base.iloc[list(order)]
    lo, hi = sorted((t1, t2))
    km = [OLD.compute({"heating_pipe": f}, OLD.params(age_threshold_years=t), ctx()).value
          for f in (base, shuffled) for t in (lo, hi)]
    assert km[0] == pytest.approx(km[2])
    assert km[1] == pytest.approx(km[3])
    assert km[0] >= km[1]  # a lower threshold never finds fewer old pipes
    share = PROGRESS.compute({"heating_pipe": shuffled}, PROGRESS.params(age_threshold_years=lo),
                             ctx()).value
    assert share is None or 0.0 <= share <= 1.0


def _reference_old_km(rows, year, threshold) -> float:
    """Obvious loop over (installation, renewal, status, length_m) tuples."""
    total = 0.0
    for installed, renewed, status, length_m in rows:
        if status not in ("existing", "completed", "renewed"):
            continue
        done = status == "renewed" or (renewed is not None and renewed <= year)
        start = renewed if renewed is not None and renewed <= year else installed
        if not done and year - start >= threshold:
            total += length_m
    return total / 1000


pipe_rows = st.tuples(st.integers(1950, 2030), st.one_of(st.none(), st.integers(1990, 2035)),
                      st.sampled_from(["existing", "completed", "renewed", "planned"]),
                      st.integers(1, 5000))


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(pipe_rows, max_size=12), year=st.integers(2000, 2035),
       threshold=st.integers(1, 40))
def test_old_pipes_agree_with_the_obvious_loop(rows, year, threshold):
    frame = gpd.GeoDataFrame(
        {"installation_year": [r[0] for r in rows],
         "renewal_year": pd.array([r[1] for r in rows], dtype="Int64"),
         "status": [r[2] for r in rows], "length_m": [float(r[3]) for r in rows]},
        geometry=[LineString([(0, i), (10, i)]) for i in range(len(rows))], crs=CRS)
    res = OLD.compute({"heating_pipe": frame}, OLD.params(age_threshold_years=threshold),
                      ctx(year=year))
    assert res.value == pytest.approx(_reference_old_km(rows, year, threshold))
