"""Siting models (设施选址): hand-checkable instances, brute-force cross-checks, invariants."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

from tanmap.geo.coverage import covered_mask
from tanmap.geo.errors import GeographicCRSError, UnreachableTargetError
from tanmap.geo.siting import (
    POCKET_GARDEN_AREA_M2,
    SitingProblem,
    build_problem,
    coverage_matrix,
    gap_area,
    generate_candidates,
    max_cover,
    per_unit_cover,
    set_cover,
    units_of,
)
from tests.strategies import EPSG_M, points_m

LINE_X_M = [0.0, 100.0, 200.0, 300.0]
LINE_W = [1.0, 2.0, 2.0, 1.0]
SITE_X_M = [50.0, 150.0, 250.0]
RADIUS_M = 60.0


def _points(xs: list[float], y: float = 0.0) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(x, y) for x in xs], crs=EPSG_M)


@pytest.fixture
def line() -> dict[str, gpd.GeoSeries]:
    """Homes at x = 0, 100, 200, 300 m (weights 1, 2, 2, 1); lots at x = 50, 150, 250 m.

    With a 60 m radius lot 50 serves homes 0 and 100 (weight 3), lot 150 homes 100 and 200
    (weight 4, the greedy first pick), lot 250 homes 200 and 300 (weight 3). Two lots, 50 and
    250, serve everyone: greedy needs three for that and covers only 5 of 6 with two.
    """
    return {"homes": _points(LINE_X_M), "lots": _points(SITE_X_M)}


def test_max_cover_beats_greedy_on_the_line(line: dict[str, gpd.GeoSeries]) -> None:
    problem = build_problem(line["homes"], line["lots"], RADIUS_M, weight=LINE_W)
    result = max_cover(problem, 2)
    assert sorted(result.chosen) == [0, 2]
    assert result.objective == 6.0
    assert result.share_after == 1.0
    assert result.mip_gap == 0.0
    assert result.status == "Optimal"
    assert result.solve_s >= 0.0
    assert result.greedy is not None
    assert result.greedy.chosen[0] == 1  # lot 150 first
    assert result.greedy.objective == 5.0
    assert result.greedy.gap == pytest.approx(1 / 6)


def test_set_cover_beats_greedy_on_the_line(line: dict[str, gpd.GeoSeries]) -> None:
    problem = build_problem(line["homes"], line["lots"], RADIUS_M, weight=LINE_W)
    result = set_cover(problem)
    assert sorted(result.chosen) == [0, 2]
    assert result.objective == 2.0
    assert result.greedy is not None
    assert sorted(result.greedy.chosen) == [0, 1, 2]
    assert result.greedy.objective == 3.0
    assert result.greedy.gap == pytest.approx(0.5)
    # Ranked by gain: both add 3 of weight; the tie keeps candidate order.
    assert result.gain == (3.0, 3.0)


def test_set_cover_on_a_written_matrix() -> None:
    """Demand 0..3 (weights 1, 2, 2, 3); C0 = {1}, C1 = {0, 3}, C2 = {1, 2}, C3 = {1, 3}.

    Greedy takes C3 (5), then C2 (2), then C1 (1): three sites; C1 + C2 cover all with two.
    """
    rows = [(1, 0), (0, 1), (3, 1), (1, 2), (2, 2), (1, 3), (3, 3)]
    matrix = sp.csr_array((np.ones(len(rows), dtype=bool), tuple(zip(*rows, strict=True))),
                          shape=(4, 4))
    problem = SitingProblem(matrix, np.array([1.0, 2.0, 2.0, 3.0]), np.zeros(4, dtype=bool),
                            ("a", "b", "c", "d"), ("C0", "C1", "C2", "C3"))
    result = set_cover(problem)
    assert sorted(result.chosen) == [1, 2]
    assert result.greedy is not None
    assert result.greedy.chosen == (3, 2, 1)


def test_existing_sites_are_kept_and_counted(line: dict[str, gpd.GeoSeries]) -> None:
    """A park at x = 0 already serves home 0 (weight 1 of 6)."""
    problem = build_problem(line["homes"], line["lots"], RADIUS_M, weight=LINE_W,
                            existing=_points([0.0]))
    assert problem.existing_covered.tolist() == [True, False, False, False]
    one = max_cover(problem, 1)
    assert one.chosen == (1,)
    assert one.share_before == pytest.approx(1 / 6)
    assert one.covered_weight == 5.0
    full = set_cover(problem)
    assert full.objective == 2.0
    assert 2 in full.chosen
    assert full.covered_weight == 6.0


def test_existing_radius_per_facility(line: dict[str, gpd.GeoSeries]) -> None:
    """The park at x = 150 serves with 60 m (homes 100, 200), the one at 300 with 0 m (none)."""
    problem = build_problem(line["homes"], line["lots"], RADIUS_M, weight=LINE_W,
                            existing=_points([150.0, 1000.0]), existing_radius_m=[60.0, 0.0])
    assert problem.existing_covered.tolist() == [False, True, True, False]


def test_partial_target(line: dict[str, gpd.GeoSeries]) -> None:
    problem = build_problem(line["homes"], line["lots"], RADIUS_M, weight=LINE_W)
    half = set_cover(problem, target_share=0.6)  # 3.6 of 6: lot 150 alone gives 4
    assert half.chosen == (1,)
    assert half.share_after == pytest.approx(4 / 6)
    assert set_cover(problem, target_share=0.7).objective == 2.0  # 4.2 of 6


def test_target_met_already_needs_no_site(line: dict[str, gpd.GeoSeries]) -> None:
    problem = build_problem(line["homes"], line["lots"], RADIUS_M, weight=LINE_W,
                            existing=_points([150.0]))
    result = set_cover(problem, target_share=0.5)
    assert result.chosen == ()
    assert result.objective == 0.0


def test_budget_is_respected(line: dict[str, gpd.GeoSeries]) -> None:
    problem = build_problem(line["homes"], line["lots"], RADIUS_M, weight=LINE_W,
                            cost=[1.0, 5.0, 1.0])
    assert sorted(max_cover(problem, 2, budget=2.0).chosen) == [0, 2]
    tight = max_cover(problem, 2, budget=1.5)
    assert len(tight.chosen) == 1
    assert tight.cost is not None
    assert tight.cost <= 1.5
    assert tight.covered_weight == 3.0
    assert tight.greedy is not None
    assert tight.greedy.objective == 3.0  # lot 150 does not fit the budget
    cheap = set_cover(problem, minimize="cost")
    assert cheap.objective == 2.0
    assert cheap.cost == 2.0


def test_budget_too_small_gives_the_cheapest_cost(line: dict[str, gpd.GeoSeries]) -> None:
    problem = build_problem(line["homes"], line["lots"], RADIUS_M, weight=LINE_W,
                            cost=[1.0, 5.0, 1.0])
    with pytest.raises(UnreachableTargetError, match=r"budget of 1.*costs 2"):
        set_cover(problem, budget=1.0)


def test_budget_needs_costs(line: dict[str, gpd.GeoSeries]) -> None:
    problem = build_problem(line["homes"], line["lots"], RADIUS_M, weight=LINE_W)
    with pytest.raises(ValueError, match="cost per candidate"):
        max_cover(problem, 1, budget=3.0)


def test_unreachable_demand_is_named() -> None:
    homes = _points([0.0, 100.0, 5000.0])
    ids = ["H-1", "H-2", "远处小区"]
    problem = build_problem(homes, _points([50.0]), RADIUS_M, demand_ids=ids,
                            weight=[1.0, 1.0, 2.0])
    with pytest.raises(UnreachableTargetError, match=r"at most 50\.0%.*1 demand unit.*远处小区") \
            as err:
        set_cover(problem)
    assert err.value.unreachable == ("远处小区",)
    assert err.value.best_share == 0.5
    assert set_cover(problem, target_share=0.5).chosen == (0,)


def test_per_unit_cover_counts_existing_and_names_short_units() -> None:
    result = per_unit_cover(["A", "A", "B", None], ["C"], ["A", "B", "C"], 1,
                            cost=[3.0, 1.0, 2.0, 0.0])
    assert sorted(result.chosen) == [1, 2]
    assert result.objective == 3.0  # cost 1 + 2
    assert result.extra["deficit_before"] == {"A": 1, "B": 1}
    with pytest.raises(UnreachableTargetError, match=r"B \(needs 2, 1 candidate") as err:
        per_unit_cover(["A", "A", "B"], [], ["A", "B"], 2)
    assert err.value.unreachable == ("B",)
    with pytest.raises(UnreachableTargetError, match="cheapest complete answer costs 3"):
        per_unit_cover(["A", "A", "B"], [], ["A", "B"], 1, cost=[3, 1, 2], budget=2.0)


def test_units_of_concave_lot() -> None:
    """An L-shaped lot whose centroid lies outside it still belongs to its unit."""
    lot = box(0, 0, 100, 10).union(box(0, 0, 10, 100))
    units = gpd.GeoSeries([box(-1, -1, 101, 101)], crs=EPSG_M)
    assert units_of(gpd.GeoSeries([lot], crs=EPSG_M), units, ["U"]).tolist() == ["U"]


def test_coverage_matrix_is_inclusive_and_refuses_degrees() -> None:
    homes = _points([0.0])
    lots = _points([60.0, 60.000001])
    assert coverage_matrix(homes, lots, 60.0).toarray().tolist() == [[True, False]]
    with pytest.raises(GeographicCRSError):
        coverage_matrix(homes.to_crs(4326), lots.to_crs(4326), 60.0)


@settings(max_examples=40, deadline=None)
@given(homes=st.lists(points_m(), min_size=1, max_size=40),
       lots=st.lists(points_m(), min_size=1, max_size=20),
       radius_m=st.floats(min_value=0.0, max_value=3000.0))
def test_coverage_matrix_agrees_with_covered_mask(homes: list[Point], lots: list[Point],
                                                  radius_m: float) -> None:
    h, s = gpd.GeoSeries(homes, crs=EPSG_M), gpd.GeoSeries(lots, crs=EPSG_M)
    matrix = coverage_matrix(h, s, radius_m)
    assert (matrix.toarray().any(axis=1) == covered_mask(h, s, radius_m)).all()


# ----------------------------------------------------------------- brute force, invariants


@st.composite
def instances(draw: st.DrawFn) -> SitingProblem:
    """Random small instances: up to 7 demand rows x 6 candidates, integer weights."""
    n_d = draw(st.integers(1, 7))
    n_c = draw(st.integers(1, 6))
    cells = draw(st.lists(st.booleans(), min_size=n_d * n_c, max_size=n_d * n_c))
    weight = draw(st.lists(st.integers(0, 9), min_size=n_d, max_size=n_d))
    existing = draw(st.lists(st.booleans(), min_size=n_d, max_size=n_d))
    cost = draw(st.lists(st.integers(0, 5), min_size=n_c, max_size=n_c))
    matrix = sp.csr_array(np.asarray(cells, dtype=bool).reshape(n_d, n_c))
    return SitingProblem(matrix, np.asarray(weight, dtype=float), np.asarray(existing),
                         tuple(f"D{i}" for i in range(n_d)), tuple(f"C{j}" for j in range(n_c)),
                         np.asarray(cost, dtype=float))


def _covered(problem: SitingProblem, chosen: tuple[int, ...]) -> float:
    return float(problem.weight[problem.covered_by(list(chosen))].sum())


def _subsets(n: int) -> list[tuple[int, ...]]:
    return [c for k in range(n + 1) for c in itertools.combinations(range(n), k)]


@settings(max_examples=60, deadline=None)
@given(problem=instances(), target=st.sampled_from([0.3, 0.5, 0.8, 1.0]))
def test_set_cover_matches_brute_force(problem: SitingProblem, target: float) -> None:
    total = problem.total_weight
    ok = [c for c in _subsets(problem.coverage.shape[1])
          if _covered(problem, c) >= target * total - 1e-9]
    if not ok:
        with pytest.raises(UnreachableTargetError):
            set_cover(problem, target_share=target)
        return
    result = set_cover(problem, target_share=target)
    assert result.objective == min(len(c) for c in ok)
    assert len(result.chosen) == result.objective
    assert result.covered_weight >= target * total - 1e-9
    assert problem.covered_by(list(result.chosen))[problem.existing_covered].all()
    assert result.greedy is not None
    assert result.greedy.objective >= result.objective  # optimum never above greedy
    assert result.mip_gap == 0.0


@settings(max_examples=60, deadline=None)
@given(problem=instances(), count=st.integers(0, 3),
       budget=st.one_of(st.none(), st.integers(0, 8)))
def test_max_cover_matches_brute_force(problem: SitingProblem, count: int,
                                       budget: int | None) -> None:
    assert problem.cost is not None
    best = max(_covered(problem, c) for c in _subsets(problem.coverage.shape[1])
               if len(c) <= count and (budget is None or problem.cost[list(c)].sum() <= budget))
    result = max_cover(problem, count, budget=None if budget is None else float(budget))
    assert result.objective == pytest.approx(best)
    assert len(result.chosen) <= count
    if budget is not None:
        assert result.cost is not None
        assert result.cost <= budget
    assert result.covered_weight >= problem.existing_weight  # existing never dropped
    assert sum(result.gain) == pytest.approx(result.covered_weight - problem.existing_weight)
    assert list(result.gain) == sorted(result.gain, reverse=True)
    assert all(g > 0 for g in result.gain)
    assert result.greedy is not None
    assert result.greedy.objective <= result.objective + 1e-9  # optimum never below greedy


@settings(max_examples=40, deadline=None)
@given(problem=instances(), extra=st.lists(st.booleans(), min_size=7, max_size=7),
       count=st.integers(1, 3))
def test_adding_a_candidate_never_worsens(problem: SitingProblem, extra: list[bool],
                                          count: int) -> None:
    n_d = problem.coverage.shape[0]
    column = sp.csr_array(np.asarray(extra[:n_d], dtype=bool)[:, None])
    bigger = SitingProblem(sp.hstack([problem.coverage, column], format="csr"), problem.weight,
                           problem.existing_covered, problem.demand_ids,
                           (*problem.candidate_ids, "new"))
    assert max_cover(bigger, count).objective >= max_cover(problem, count).objective - 1e-9
    try:
        before = set_cover(problem).objective
    except UnreachableTargetError:
        return
    assert set_cover(bigger).objective <= before


# ----------------------------------------------------------------- candidates


def test_generated_candidates_respect_exclusions_and_size_rule() -> None:
    """A 300 x 100 m gap on a 100 m grid; a lake takes cell 2 but 10 x 100 m; a building
    takes all of cell 3 but a 10 x 30 m strip (300 m² < 400 m²: dropped)."""
    lake = box(110, 0, 200, 100)
    building = box(200, 0, 300, 100).difference(box(290, 0, 300, 30))
    lots = generate_candidates(
        box(0, 0, 300, 100), 100.0, crs=EPSG_M,
        exclusions=gpd.GeoSeries([lake, building], crs=EPSG_M),
        size_rule_m2=POCKET_GARDEN_AREA_M2, detail="gaps of park coverage 300 m")
    assert lots["id"].tolist() == ["G0001", "G0002"]
    assert lots["area_m2"].tolist() == [10_000.0, 1_000.0]
    assert (lots["origin"] == "grid").all()
    assert lots["origin_detail"].iloc[0] == (
        "grid 100 m; size 400-10000 m²; gaps of park coverage 300 m")
    assert not lots.intersection(lake).area.any()


def test_generated_cells_above_the_size_rule_are_refused() -> None:
    with pytest.raises(ValueError, match=r"spacing of at most 100 m"):
        generate_candidates(box(0, 0, 300, 100), 150.0, crs=EPSG_M,
                            size_rule_m2=POCKET_GARDEN_AREA_M2)


def test_no_gap_no_candidates() -> None:
    lots = generate_candidates(gap_area(gpd.GeoSeries([], crs=EPSG_M), 300.0), 50.0, crs=EPSG_M)
    assert len(lots) == 0
    assert list(lots.columns) == ["id", "area_m2", "origin", "origin_detail", "geometry"]


def test_gap_area_is_clipped_to_the_district() -> None:
    gap = gap_area(_points([0.0]), 100.0, within=box(0, -200, 200, 200))
    assert gap.area == pytest.approx(math.pi * 100**2 / 2, rel=2e-3)


# --------------------------------------------------------------------------- walking distance


def _grid_network(n: int = 4, step_m: float = 100.0) -> tuple[np.ndarray, object]:
    """A street grid of n x n nodes, ``step_m`` apart, as graph arrays."""
    from shapely import LineString

    from tanmap.geo.walking import graph_arrays

    lines = []
    for i in range(n):
        for j in range(n - 1):
            lines.append(LineString([(j * step_m, i * step_m), ((j + 1) * step_m, i * step_m)]))
            lines.append(LineString([(i * step_m, j * step_m), (i * step_m, (j + 1) * step_m)]))
    geoms = np.array(lines, dtype=object)
    return geoms, graph_arrays(geoms)


def test_walking_coverage_follows_the_streets() -> None:
    """A U-shaped street: home and site 20 m apart across a gap, 420 m apart on foot."""
    from shapely import LineString

    from tanmap.geo.siting import network_coverage_matrix
    from tanmap.geo.walking import graph_arrays

    u = np.array([LineString([(0, 0), (0, 200)]), LineString([(0, 200), (20, 200)]),
                  LineString([(20, 200), (20, 0)])], dtype=object)
    net = graph_arrays(u)
    homes = gpd.GeoSeries([Point(-5, 0)], crs=EPSG_M)   # 5 m off the west street's end
    sites = gpd.GeoSeries([Point(25, 0)], crs=EPSG_M)   # 5 m off the east street's end
    assert coverage_matrix(homes, sites, 300.0).toarray().tolist() == [[True]]
    walk_m = 5 + 200 + 20 + 200 + 5
    assert network_coverage_matrix(homes, sites, walk_m - 0.01, net).toarray().tolist() == [
        [False]]
    assert network_coverage_matrix(homes, sites, walk_m, net).toarray().tolist() == [[True]]
    # A per-facility NaN radius serves nobody (a park too small for any tier).
    assert network_coverage_matrix(homes, sites, [np.nan], net).nnz == 0


def test_walking_coverage_matches_walking_reach_per_facility() -> None:
    """Each column equals geo.walking.walking_reach from that facility alone (same access points,
    same joins), on a grid with homes and parks scattered off the streets."""
    from tanmap.geo.siting import network_coverage_matrix
    from tanmap.geo.walking import attach, park_access_points, walking_reach

    _lines, net = _grid_network(5, 100.0)
    rng = np.random.default_rng(7)
    homes = gpd.GeoSeries([Point(x, y) for x, y in rng.uniform(-20, 420, (40, 2))], crs=EPSG_M)
    parks = gpd.GeoSeries([box(x, y, x + 30, y + 20) for x, y in rng.uniform(0, 380, (6, 2))]
                          + [Point(210, 55)], crs=EPSG_M)
    radius = 260.0
    matrix = network_coverage_matrix(homes, parks, radius, net).toarray()
    joins = attach(homes.to_numpy(), net.lines, net.length_m)
    for j in range(len(parks)):
        ap = park_access_points(parks.to_numpy()[j:j + 1], net.lines, net.length_m)
        reach = walking_reach(net.from_node, net.to_node, net.length_m, net.n_nodes, ap, joins,
                              radius)
        assert matrix[:, j].tolist() == (reach.distance_m <= radius).tolist(), j
    assert 0 < matrix.sum() < matrix.size  # the instance tells covered from not


def test_walking_problem_keeps_existing_sites_by_walk() -> None:
    """An existing garden 150 m walk from home A serves it; home B is 350 m away on foot."""
    from shapely import LineString

    from tanmap.geo.walking import graph_arrays

    street = np.array([LineString([(0, 0), (500, 0)])], dtype=object)
    net = graph_arrays(street)
    homes = gpd.GeoSeries([Point(150, 0), Point(350, 0)], crs=EPSG_M)
    garden = gpd.GeoSeries([Point(0, 0)], crs=EPSG_M)
    lots = gpd.GeoSeries([Point(500, 0)], crs=EPSG_M)
    problem = build_problem(homes, lots, 200.0, existing=garden, network=net)
    assert problem.existing_covered.tolist() == [True, False]
    assert problem.coverage.toarray().tolist() == [[False], [True]]


# --------------------------------------------------------------------------- backup cover


def test_backup_cover_matches_brute_force() -> None:
    """Second stage: among the other lots, the pair serving the most once-served weight twice."""
    from tanmap.geo.siting import backup_cover

    rng = np.random.default_rng(3)
    homes = gpd.GeoSeries([Point(x, y) for x, y in rng.uniform(0, 600, (25, 2))], crs=EPSG_M)
    lots = gpd.GeoSeries([Point(x, y) for x, y in rng.uniform(0, 600, (9, 2))], crs=EPSG_M)
    weight = rng.integers(1, 9, 25).astype(float)
    existing = gpd.GeoSeries([Point(300, 300)], crs=EPSG_M)
    problem = build_problem(homes, lots, 200.0, existing=existing, weight=weight)
    first = max_cover(problem, 3)
    extra, gains = backup_cover(problem, first.chosen, 2)
    assert not set(extra) & set(first.chosen)
    matrix = problem.coverage.toarray()
    times = problem.existing_covered.astype(int) + matrix[:, list(first.chosen)].sum(axis=1)
    open_rows = times < 2  # served once, or not yet (then a first service counts too)
    assert (times == 0).any()
    assert (times == 1).any()

    def second(sites: tuple[int, ...]) -> float:
        hit = matrix[:, list(sites)].any(axis=1) if sites else np.zeros(len(weight), bool)
        return float(weight[open_rows & hit].sum())

    rest = [j for j in range(len(lots)) if j not in first.chosen]
    best = max(second(c) for c in itertools.combinations(rest, 2))
    assert second(extra) == pytest.approx(best)
    assert sum(gains) == pytest.approx(best)
    assert list(gains) == sorted(gains, reverse=True)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), radius=st.floats(20.0, 400.0))
def test_walking_never_reaches_farther_than_the_crow_flies(seed: int, radius: float) -> None:
    """A walk (legs + streets) is never shorter than the straight distance, so the walking
    matrix is a subset of the straight one (points and polygons alike)."""
    from tanmap.geo.siting import network_coverage_matrix

    _lines, net = _grid_network(4, 120.0)
    rng = np.random.default_rng(seed)
    homes = gpd.GeoSeries([Point(x, y) for x, y in rng.uniform(-30, 400, (15, 2))], crs=EPSG_M)
    sites = gpd.GeoSeries([box(x, y, x + 25, y + 25) for x, y in rng.uniform(0, 360, (3, 2))]
                          + [Point(x, y) for x, y in rng.uniform(0, 360, (3, 2))], crs=EPSG_M)
    walk = network_coverage_matrix(homes, sites, radius, net).toarray()
    straight = coverage_matrix(homes, sites, radius).toarray()
    assert not (walk & ~straight).any()
