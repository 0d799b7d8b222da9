"""Benchmark tanmap's siting models (HiGHS via highspy) against spopt's default path (PuLP + CBC).

    python benchmarks/siting.py [--size small|issue] [--radius-m 800] [--count 50] [--seed 1]

One deterministic synthetic instance (示例数据, numpy seeded, EPSG:4548 metres): demand points
with integer weights (1-99), candidate sites and existing facilities scattered over a square
city (20 km a side for ``issue``). Both engines solve, to proven optimality and on the same
instance:

* set cover (LSCP): the fewest new sites so that every demand point is within the radius of an
  existing facility or a new site (existing facilities fixed open: spopt
  ``predefined_facilities_arr``);
* maximal cover (MCLP): the best ``count`` new sites (spopt: ``p_facilities`` = existing +
  count, the existing ones predefined).

tanmap's time runs from the points to the answer (``build_problem``: exact coverage matrix,
existing coverage; then the MILP); spopt's from the same points (a dense ``cdist`` cost matrix,
``from_cost_matrix``, ``solve(PULP_CBC_CMD)``). The objectives must agree (the script exits
with status 1 otherwise); the greedy answer and its gap are printed beside tanmap's.

Sizes: ``issue`` = 50,000 demand points, 2,000 candidates, 500 existing facilities (issue 12);
``small`` = 5,000 / 400 / 100 (a quick check).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = {"small": (5_000, 400, 100, 6_000.0), "issue": (50_000, 2_000, 500, 20_000.0)}
X0_M, Y0_M = 500_000.0, 4_330_000.0
SPEED_BAR = 5.0


def instance(size: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return demand xy, weights, candidate xy and existing xy (metres, EPSG:4548)."""
    n_demand, n_cand, n_exist, side_m = SIZES[size]
    rng = np.random.default_rng(seed)

    def xy(n: int) -> np.ndarray:
        return np.column_stack([X0_M + rng.random(n) * side_m, Y0_M + rng.random(n) * side_m])

    return xy(n_demand), rng.integers(1, 100, n_demand).astype(float), xy(n_cand), xy(n_exist)


def run_tanmap(demand: np.ndarray, weight: np.ndarray, cands: np.ndarray, existing: np.ndarray,
               radius_m: float, count: int) -> dict[str, tuple[float, float, int, float, float]]:
    import geopandas as gpd
    import shapely

    from tanmap.geo.siting import build_problem, max_cover, set_cover
    from tanmap.layers.siting import silence_solver_banner

    silence_solver_banner()

    def series(a: np.ndarray) -> gpd.GeoSeries:
        return gpd.GeoSeries(shapely.points(a[:, 0], a[:, 1]), crs=4548)

    out = {}
    start = time.perf_counter()
    problem = build_problem(series(demand), series(cands), radius_m, existing=series(existing),
                            weight=weight)
    built = time.perf_counter() - start
    for model in ("set_cover", "max_cover"):
        start = time.perf_counter()
        result = set_cover(problem) if model == "set_cover" else max_cover(problem, count)
        elapsed = built + time.perf_counter() - start
        objective = (float(len(result.chosen)) if model == "set_cover"
                     else result.covered_weight)
        assert result.greedy is not None
        out[model] = (elapsed, objective, len(result.chosen), result.mip_gap,
                      result.greedy.gap)
        print(f"  tanmap {model}: {elapsed:.2f} s (matrix {built:.2f} s, HiGHS "
              f"{result.solve_s:.2f} s), objective {objective:,.0f}, gap {result.mip_gap:.1e}; "
              f"greedy {result.greedy.objective:,.0f} (gap {result.greedy.gap:.2%})", flush=True)
    return out


def run_spopt(demand: np.ndarray, weight: np.ndarray, cands: np.ndarray, existing: np.ndarray,
              radius_m: float, count: int) -> dict[str, tuple[float, float]]:
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import LSCP, MCLP

    sites = np.vstack([existing, cands])
    fixed = np.r_[np.ones(len(existing), dtype=int), np.zeros(len(cands), dtype=int)]
    out = {}
    for model in ("set_cover", "max_cover"):
        start = time.perf_counter()
        cost = cdist(demand, sites)
        if model == "set_cover":
            lp = LSCP.from_cost_matrix(cost, radius_m, predefined_facilities_arr=fixed)
        else:
            lp = MCLP.from_cost_matrix(cost, weight, radius_m,
                                       p_facilities=len(existing) + count,
                                       predefined_facilities_arr=fixed)
        del cost
        lp = lp.solve(pulp.PULP_CBC_CMD(msg=False))
        elapsed = time.perf_counter() - start
        status = pulp.LpStatus[lp.problem.status]
        if model == "set_cover":
            objective = float(pulp.value(lp.problem.objective)) - len(existing)
        else:
            open_sites = np.array([v.value() > 0.5 for v in lp.fac_vars])
            served = (cdist(demand, sites[open_sites]) <= radius_m).any(axis=1)
            objective = float(weight[served].sum())
        out[model] = (elapsed, objective)
        print(f"  spopt  {model}: {elapsed:.2f} s ({status}), objective {objective:,.0f}",
              flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="issue")
    parser.add_argument("--radius-m", type=float, default=800.0)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", default="tanmap,spopt")
    args = parser.parse_args(argv)
    demand, weight, cands, existing = instance(args.size, args.seed)
    # Set cover needs every demand point within reach of some site: drop the few that are not
    # (the same instance for both engines; tanmap would name them in an UnreachableTargetError).
    from scipy.spatial import cKDTree

    sites = cKDTree(np.vstack([existing, cands]))
    reach, _ = sites.query(demand, distance_upper_bound=args.radius_m)
    keep = np.isfinite(reach)
    if not keep.all():
        print(f"dropping {int((~keep).sum())} demand points no site can reach", flush=True)
    demand, weight = demand[keep], weight[keep]
    print(f"siting benchmark ({args.size}): {len(demand):,} demand, {len(cands):,} candidates, "
          f"{len(existing):,} existing, radius {args.radius_m:g} m, p = {args.count}", flush=True)
    engines = args.engines.split(",")
    ours = run_tanmap(demand, weight, cands, existing, args.radius_m, args.count)
    if "spopt" not in engines:
        return 0
    theirs = run_spopt(demand, weight, cands, existing, args.radius_m, args.count)
    status = 0
    print("\n| model | tanmap (s) | spopt PuLP+CBC (s) | speed-up | objective | greedy gap |")
    print("|---|---|---|---|---|---|")
    for model in ("set_cover", "max_cover"):
        t_ours, obj_ours, _, _, greedy_gap = ours[model]
        t_theirs, obj_theirs = theirs[model]
        agree = abs(obj_ours - obj_theirs) <= 1e-6 * max(1.0, abs(obj_ours))
        status |= 0 if agree else 1
        speed = t_theirs / t_ours
        bar = "" if speed >= SPEED_BAR else f" (below the {SPEED_BAR:g}x bar)"
        print(f"| {model} | {t_ours:.2f} | {t_theirs:.2f} | {speed:.1f}x{bar} | "
              f"{obj_ours:,.0f}{'' if agree else f' vs {obj_theirs:,.0f} DISAGREE'} | "
              f"{greedy_gap:.2%} |")
    return status


if __name__ == "__main__":
    sys.exit(main())
