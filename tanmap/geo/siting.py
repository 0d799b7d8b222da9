"""Where to build (设施选址): candidate sites, coverage matrices and exact set / maximal cover.

Three models, all with the facilities that already exist kept and counted:

* **set cover** (LSCP, Toregas et al. 1971; 最少新增设施数): the fewest new sites (or the
  cheapest) that bring the covered share of the demand weight to a target, e.g. 100 % of
  residential land within 300 m of a park or garden;
* **maximal cover** (MCLP, Church & ReVelle 1974; 给定数量最大覆盖): the ``p`` new sites that
  cover the most demand weight not covered yet;
* **per-unit cover** (每个街道/社区至少 k 处): the fewest new sites so that every planning unit
  holds at least ``k`` facilities (existing ones inside it count).

Coverage is the exact straight-line distance test of :mod:`tanmap.geo.coverage`:
``distance(demand, site) <= radius`` (GEOS ``dwithin``, inclusive; no buffer polygon), collected
into a ``scipy.sparse`` demand x candidate matrix; demand the existing facilities already serve
comes from :func:`tanmap.geo.coverage.covered_mask`. The models are mixed-integer programs
solved to proven optimality by HiGHS (``highspy``); each result carries the objective, the
optimality gap, the solve time and the greedy answer with its gap to the optimum.

Demand rows that see exactly the same candidates are merged (their weights summed) before the
model is built: the optimum is unchanged and a city of 50,000 demand cells usually collapses to
a few thousand rows.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from tanmap.geo.coverage import covered_mask
from tanmap.geo.crs import require_projected, require_same_crs
from tanmap.geo.errors import UnreachableTargetError
from tanmap.geo.walking import (
    attach,
    build_graph,
    insert_points,
    multi_source_distances,
    park_access_points,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tanmap.geo.walking import NetworkArrays

__all__ = [
    "CANDIDATE_ORIGINS",
    "POCKET_GARDEN_AREA_M2",
    "SIZE_RULES_M2",
    "GreedyResult",
    "SitingProblem",
    "SitingResult",
    "backup_cover",
    "build_problem",
    "coverage_matrix",
    "gap_area",
    "generate_candidates",
    "max_cover",
    "network_coverage_matrix",
    "per_unit_cover",
    "set_cover",
    "units_of",
]

#: Pocket gardens (口袋公园) are 400-10,000 m² (MOHURD 2022 通知 on 口袋公园建设; 2024 建设指南).
POCKET_GARDEN_AREA_M2: tuple[float, float] = (400.0, 10_000.0)
#: Size rule per facility kind (LayerKind value): (smallest, largest) lot area in m²; kinds
#: without an entry (chargers, recycling points, transfer stations) have no size rule.
SIZE_RULES_M2: dict[str, tuple[float, float]] = {"pocket_garden": POCKET_GARDEN_AREA_M2}
#: How a candidate site arose (``origin`` field): a bureau's file of lots, or generated.
CANDIDATE_ORIGINS: tuple[str, ...] = ("file", "grid")
#: Relative slack when checking a share target against the covered weight (float sums).
_SHARE_TOL = 1e-9
#: Relative greedy gaps below this are float noise in summed weights: reported as 0.
_GAP_ZERO = 1e-9

Model = Literal["set_cover", "max_cover", "per_unit"]


# --------------------------------------------------------------------------- candidates


def gap_area(
    uncovered: gpd.GeoSeries, radius_m: float, *, within: shapely.Geometry | None = None
) -> shapely.Geometry:
    """Return where a new site could serve demand that no facility serves yet.

    中文：服务盲区（可为未覆盖需求提供服务的新选址范围）。

    The union of the disks of ``radius_m`` around every uncovered demand feature (a site
    anywhere in it is within the radius of some unserved demand), clipped to ``within``.

    Parameters
    ----------
    uncovered
        Demand features nobody serves, in a projected CRS (metres).
    radius_m
        Service radius of the facility to site (m, > 0).
    within
        The district (or zone) polygon in the same CRS; None = no clipping.

    Examples
    --------
    >>> from shapely import Point
    >>> gap = gap_area(gpd.GeoSeries([Point(0, 0)], crs=4548), 10.0)
    >>> round(gap.area / (math.pi * 100), 3)  # a 64-gon inscribed in the disk
    0.998
    """
    require_projected(uncovered, what="uncovered demand")
    if not radius_m > 0 or not math.isfinite(radius_m):
        raise ValueError(f"radius_m must be a finite distance > 0 in metres; got {radius_m}.")
    geoms = np.asarray(uncovered.array, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if geoms.size == 0:
        return shapely.Polygon()
    area = shapely.union_all(shapely.buffer(geoms, radius_m, quad_segs=16))
    return area if within is None else shapely.intersection(area, within)


def generate_candidates(
    area: shapely.Geometry,
    spacing_m: float,
    *,
    crs: Any,
    exclusions: gpd.GeoSeries | None = None,
    size_rule_m2: tuple[float, float] | None = None,
    detail: str = "",
) -> gpd.GeoDataFrame:
    """Return candidate lots: grid cells of ``spacing_m`` inside ``area`` minus the exclusions.

    中文：生成候选地块（盲区内规则网格，扣除水域、生态保护红线、现状建筑等）。

    Each cell of a square grid (anchored at multiples of ``spacing_m``, so the same area gives
    the same cells) is clipped to ``area`` and the exclusions are cut out; what is left is a
    candidate lot when its area is at least the size rule's minimum. The kind's maximum is met
    by construction: ``spacing_m**2`` may not exceed it.

    Parameters
    ----------
    area
        Where sites may go (e.g. :func:`gap_area`), a polygon in a projected CRS (metres).
    spacing_m
        Grid spacing (m, > 0).
    crs
        The projected CRS of ``area`` (and of ``exclusions``).
    exclusions
        Land no site may take: water, ecological red lines (生态保护红线), existing buildings and
        parks, ...; None = none.
    size_rule_m2
        (smallest, largest) lot area in m², e.g. :data:`POCKET_GARDEN_AREA_M2`; None = none.
    detail
        Text recorded in each candidate's ``origin_detail`` (how it arose) after the grid.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (G0001, ...), ``area_m2``, ``origin`` ("grid"), ``origin_detail``, polygons in
        ``crs``, in grid order (south to north, west to east).

    Raises
    ------
    ValueError
        For a spacing that is not positive, or cells larger than the size rule's maximum.

    Examples
    --------
    >>> from shapely import box
    >>> lots = generate_candidates(box(0, 0, 200, 100), 100.0, crs=4548,
    ...     exclusions=gpd.GeoSeries([box(150, 0, 200, 100)], crs=4548),
    ...     size_rule_m2=(400.0, 10_000.0))
    >>> lots[["id", "area_m2"]].to_dict("records")
    [{'id': 'G0001', 'area_m2': 10000.0}, {'id': 'G0002', 'area_m2': 5000.0}]
    """
    if not spacing_m > 0 or not math.isfinite(spacing_m):
        raise ValueError(f"spacing_m must be a finite distance > 0 in metres; got {spacing_m}.")
    low_m2, high_m2 = size_rule_m2 if size_rule_m2 is not None else (0.0, math.inf)
    if spacing_m**2 > high_m2:
        raise ValueError(
            f"grid cells of {spacing_m:g} m are {spacing_m**2:g} m², above the kind's largest "
            f"site ({high_m2:g} m²); use a spacing of at most {math.sqrt(high_m2):g} m.")
    probe = gpd.GeoSeries([area], crs=crs)
    require_projected(probe, what="candidate area")
    rule = "" if size_rule_m2 is None else f"; size {low_m2:g}-{high_m2:g} m²"
    how = f"grid {spacing_m:g} m{rule}" + (f"; {detail}" if detail else "")
    empty = gpd.GeoDataFrame(
        {"id": pd.Series(dtype=str), "area_m2": pd.Series(dtype=float),
         "origin": pd.Series(dtype=str), "origin_detail": pd.Series(dtype=str)},
        geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    if area is None or shapely.is_empty(area):
        return empty
    west, south, east, north = shapely.bounds(area)
    xs = np.arange(math.floor(west / spacing_m), math.ceil(east / spacing_m)) * spacing_m
    ys = np.arange(math.floor(south / spacing_m), math.ceil(north / spacing_m)) * spacing_m
    gx, gy = np.meshgrid(xs, ys)
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + spacing_m, gy.ravel() + spacing_m)
    shapely.prepare(area)
    cells = cells[shapely.intersects(area, cells)]
    pieces = shapely.intersection(cells, area)
    if exclusions is not None and len(exclusions):
        require_same_crs(probe, exclusions, what_a="candidate area", what_b="exclusions")
        ex = np.asarray(exclusions.array, dtype=object)
        ex = ex[~(shapely.is_missing(ex) | shapely.is_empty(ex))]
        tree = shapely.STRtree(ex)
        cell_idx, ex_idx = tree.query(pieces, predicate="intersects")
        for i in np.unique(cell_idx):
            cut = shapely.union_all(ex[ex_idx[cell_idx == i]])
            pieces[i] = shapely.difference(pieces[i], cut)
    # Keep only the areal part (a clip may leave slivers of lines or points on the edges).
    pieces = np.asarray([_polygonal(p) for p in pieces], dtype=object)
    areas = shapely.area(pieces)
    keep = (areas >= low_m2) & (areas > 0)
    if not keep.any():
        return empty
    n = int(keep.sum())
    width = max(4, len(str(n)))
    return gpd.GeoDataFrame(
        {"id": [f"G{i:0{width}d}" for i in range(1, n + 1)],
         "area_m2": np.round(areas[keep], 2), "origin": "grid", "origin_detail": how},
        geometry=gpd.GeoSeries(pieces[keep], crs=crs), crs=crs)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Return the polygons of ``geom`` (dropping lines and points of a collection)."""
    if shapely.get_type_id(geom) in (3, 6):  # Polygon, MultiPolygon
        return geom
    parts = shapely.get_parts(geom)
    polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    return shapely.union_all(polys) if polys.size else shapely.Polygon()


def units_of(sites: gpd.GeoSeries, units: gpd.GeoSeries, unit_ids: Sequence[str]) -> np.ndarray:
    """Return, per site, the id of the planning unit (街道/社区) holding it (None = none).

    中文：选址所属单元（按代表点落入的街道/社区）。

    A site belongs to the unit that covers its representative point (``point_on_surface``,
    inside the site even for concave lots); the first unit wins where units overlap.

    Examples
    --------
    >>> from shapely import Point, box
    >>> units = gpd.GeoSeries([box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=4548)
    >>> units_of(gpd.GeoSeries([Point(5, 5), Point(15, 5), Point(50, 5)], crs=4548),
    ...          units, ["A", "B"]).tolist()
    ['A', 'B', None]
    """
    require_same_crs(sites, units, what_a="sites", what_b="units")
    ids = np.asarray(list(unit_ids), dtype=object)
    if ids.size != len(units):
        raise ValueError(f"{ids.size} unit ids for {len(units)} units; give one id per unit.")
    out = np.full(len(sites), None, dtype=object)
    geoms = np.asarray(sites.array, dtype=object)
    live = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if live.size == 0 or len(units) == 0:
        return out
    points = shapely.point_on_surface(geoms[live])
    site_idx, unit_idx = shapely.STRtree(np.asarray(units.array, dtype=object)).query(
        points, predicate="covered_by")
    order = np.lexsort((unit_idx, site_idx))
    site_idx, unit_idx = site_idx[order], unit_idx[order]
    first = np.r_[True, site_idx[1:] != site_idx[:-1]] if site_idx.size else site_idx
    out[live[site_idx[first]]] = ids[unit_idx[first]]
    return out


# --------------------------------------------------------------------------- the problem


def coverage_matrix(
    demand: gpd.GeoSeries, candidates: gpd.GeoSeries, radius_m: float
) -> sp.csr_array:
    """Return the demand x candidate coverage matrix (True = within ``radius_m``).

    中文：覆盖矩阵（需求单元 × 候选选址，直线距离 ≤ 服务半径）。

    Entry (i, j) is ``distance(demand[i], candidates[j]) <= radius_m``: the exact GEOS distance,
    inclusive at the radius, the same test as :func:`tanmap.geo.coverage.covered_mask`.

    Examples
    --------
    >>> from shapely import Point
    >>> homes = gpd.GeoSeries([Point(0, 0), Point(300, 0)], crs=4548)
    >>> sites = gpd.GeoSeries([Point(0, 300), Point(300, 300.001)], crs=4548)
    >>> coverage_matrix(homes, sites, 300.0).toarray()
    array([[ True, False],
           [False, False]])
    """
    require_projected(demand, what="demand")
    require_same_crs(demand, candidates, what_a="demand", what_b="candidates")
    if not radius_m >= 0 or not math.isfinite(radius_m):
        raise ValueError(f"radius_m must be a finite distance >= 0 in metres; got {radius_m}.")
    d_geoms = np.asarray(demand.array, dtype=object)
    c_geoms = np.asarray(candidates.array, dtype=object)
    shape = (d_geoms.size, c_geoms.size)
    c_ok = ~(shapely.is_missing(c_geoms) | shapely.is_empty(c_geoms))
    d_ok = ~(shapely.is_missing(d_geoms) | shapely.is_empty(d_geoms))
    if not c_ok.any() or not d_ok.any():
        return sp.csr_array(shape, dtype=bool)
    c_pos, d_pos = np.flatnonzero(c_ok), np.flatnonzero(d_ok)
    tree = shapely.STRtree(c_geoms[c_pos])
    if radius_m == 0:
        rows, cols = tree.query(d_geoms[d_pos], predicate="intersects")
    else:
        rows, cols = tree.query(d_geoms[d_pos], predicate="dwithin", distance=radius_m)
    data = np.ones(rows.size, dtype=bool)
    return sp.csr_array((data, (d_pos[rows], c_pos[cols])), shape=shape)


def network_coverage_matrix(
    demand: gpd.GeoSeries,
    facilities: gpd.GeoSeries,
    radius_m: float | Sequence[float] | np.ndarray,
    network: NetworkArrays,
) -> sp.csr_array:
    """Return the demand x facility coverage matrix by *walking* distance (True = within).

    中文：步行距离覆盖矩阵（需求单元 × 设施，沿步行网络的距离 ≤ 服务半径）。

    Reuses the walking-reach machinery of :mod:`tanmap.geo.walking` (issue 11): a facility is
    entered where the network meets or crosses its boundary, else at the nearest network point
    (the gap walked, :func:`~tanmap.geo.walking.park_access_points`; a point facility is
    entered at its nearest network point); a demand unit joins its nearest edge
    (:func:`~tanmap.geo.walking.attach`, its off-network leg added). All access and joining
    points are inserted into their edges once (:func:`~tanmap.geo.walking.insert_points`), then
    one cut-off Dijkstra per facility from its access points gives the walk to every demand
    unit; (i, j) is True when network distance + leg <= the facility's radius (inclusive).

    Parameters
    ----------
    demand, facilities
        Geometries in one projected CRS (metres), the network's.
    radius_m
        One radius or one per facility (m); NaN = the facility serves nobody.
    network
        Walkable edges as graph arrays (:func:`tanmap.geo.walking.graph_arrays`).

    Examples
    --------
    A street from (0, 0) to (1000, 0); a home 10 m off it at x = 400, a site on it at x = 0
    and another 50 m off it at x = 900 (walk 50 + 500 + 10 = 560 m):

    >>> from shapely import LineString, Point
    >>> from tanmap.geo.walking import graph_arrays
    >>> net = graph_arrays(np.array([LineString([(0, 0), (1000, 0)])]))
    >>> homes = gpd.GeoSeries([Point(400, 10)], crs=4548)
    >>> sites = gpd.GeoSeries([Point(0, 0), Point(900, 50)], crs=4548)
    >>> network_coverage_matrix(homes, sites, 500.0, net).toarray()
    array([[ True, False]])
    >>> network_coverage_matrix(homes, sites, 560.0, net).toarray()
    array([[ True,  True]])
    """
    require_projected(demand, what="demand")
    require_same_crs(demand, facilities, what_a="demand", what_b="facilities")
    d_geoms = np.asarray(demand.array, dtype=object)
    f_geoms = np.asarray(facilities.array, dtype=object)
    shape = (d_geoms.size, f_geoms.size)
    radius = np.broadcast_to(np.asarray(radius_m, dtype=float), (f_geoms.size,)).copy()
    if (radius[~np.isnan(radius)] < 0).any() or np.isinf(radius).any():
        raise ValueError("radius_m must be finite distances >= 0 in metres (NaN: not counted).")
    f_ok = ~(shapely.is_missing(f_geoms) | shapely.is_empty(f_geoms)) & ~np.isnan(radius)
    d_ok = ~(shapely.is_missing(d_geoms) | shapely.is_empty(d_geoms))
    if network.lines.size == 0 or not f_ok.any() or not d_ok.any():
        return sp.csr_array(shape, dtype=bool)
    f_pos = np.flatnonzero(f_ok)
    access = park_access_points(f_geoms[f_pos], network.lines, network.length_m)
    d_pos = np.flatnonzero(d_ok)
    joins = attach(d_geoms[d_pos], network.lines, network.length_m)
    t_ok = joins.edge >= 0
    n_src = access.edge.size
    split = insert_points(network.from_node, network.to_node, network.length_m,
                          network.n_nodes, np.concatenate([access.edge, joins.edge[t_ok]]),
                          np.concatenate([access.offset_m, joins.offset_m[t_ok]]))
    # As in walking_reach: an access point off the network is a leaf that far out.
    src_node = split.point_node[:n_src]
    legs = np.flatnonzero(access.gap_m > 0)
    leaf = split.n_nodes + np.arange(legs.size, dtype=np.int64)
    start = src_node.copy()
    start[legs] = leaf
    graph = build_graph(np.concatenate([split.from_node, src_node[legs]]),
                        np.concatenate([split.to_node, leaf]),
                        np.concatenate([split.length_m, access.gap_m[legs]]),
                        split.n_nodes + legs.size)
    tgt_rows = d_pos[t_ok]
    tgt_node = graph.node_of[split.point_node[n_src:]]
    tgt_leg = joins.gap_m[t_ok]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for k, j in enumerate(f_pos):
        starts = graph.node_of[start[access.park == k]]
        if starts.size == 0:
            continue
        cut = float(radius[j])
        walk = multi_source_distances(graph, starts, cut)[tgt_node] + tgt_leg
        hit = np.flatnonzero(walk <= cut * (1 + 1e-12) + 1e-9)
        rows.append(tgt_rows[hit])
        cols.append(np.full(hit.size, j, dtype=np.int64))
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return sp.csr_array((np.ones(r.size, dtype=bool), (r, c)), shape=shape)


@dataclass(frozen=True)
class SitingProblem:
    """A coverage siting instance: who covers whom, what each demand unit weighs.

    中文：选址问题（覆盖矩阵、需求权重、现状设施已覆盖的需求）。

    Attributes
    ----------
    coverage
        Demand x candidate boolean ``scipy.sparse.csr_array``.
    weight
        Demand weight per row (residential m², buildings, residents ...; >= 0).
    existing_covered
        Per demand row: already served by an existing facility (kept and counted).
    demand_ids, candidate_ids
        Ids for messages and outputs.
    cost
        Cost per candidate (e.g. 万元), or None.
    """

    coverage: sp.csr_array
    weight: np.ndarray
    existing_covered: np.ndarray
    demand_ids: tuple[str, ...]
    candidate_ids: tuple[str, ...]
    cost: np.ndarray | None = None

    def __post_init__(self) -> None:
        n_d, n_c = self.coverage.shape
        if self.weight.shape != (n_d,) or self.existing_covered.shape != (n_d,):
            raise ValueError(f"weights and existing_covered need {n_d} values (one per demand).")
        if len(self.demand_ids) != n_d or len(self.candidate_ids) != n_c:
            raise ValueError("one id per demand row and one per candidate is needed.")
        bad = ~np.isfinite(self.weight) | (self.weight < 0)
        if bad.any():
            first = self.demand_ids[int(np.flatnonzero(bad)[0])]
            raise ValueError(
                f"demand weights must be finite and >= 0; demand {first} has "
                f"{self.weight[bad][0]!r}. Fix or drop that feature.")
        if self.cost is not None:
            if self.cost.shape != (n_c,):
                raise ValueError(f"cost needs {n_c} values (one per candidate).")
            bad = ~np.isfinite(self.cost) | (self.cost < 0)
            if bad.any():
                first = self.candidate_ids[int(np.flatnonzero(bad)[0])]
                raise ValueError(
                    f"candidate costs must be finite and >= 0; candidate {first} has "
                    f"{self.cost[bad][0]!r}. Give its cost or drop the candidate.")

    @property
    def total_weight(self) -> float:
        """Return the weight of all demand."""
        return float(self.weight.sum())

    @property
    def existing_weight(self) -> float:
        """Return the weight the existing facilities serve."""
        return float(self.weight[self.existing_covered].sum())

    def covered_by(self, chosen: Sequence[int] | np.ndarray) -> np.ndarray:
        """Return per demand row whether the existing facilities or ``chosen`` serve it."""
        pick = np.zeros(self.coverage.shape[1], dtype=float)
        pick[np.asarray(chosen, dtype=int)] = 1.0
        return np.asarray(self.existing_covered | (self.coverage @ pick > 0), dtype=bool)


def build_problem(
    demand: gpd.GeoSeries,
    candidates: gpd.GeoSeries,
    radius_m: float,
    *,
    existing: gpd.GeoSeries | None = None,
    existing_radius_m: float | Sequence[float] | np.ndarray | None = None,
    weight: Sequence[float] | np.ndarray | None = None,
    demand_ids: Sequence[str] | None = None,
    candidate_ids: Sequence[str] | None = None,
    cost: Sequence[float] | np.ndarray | None = None,
    network: NetworkArrays | None = None,
) -> SitingProblem:
    """Return the siting problem of ``demand`` served within ``radius_m`` of a site.

    中文：构建选址问题（现状设施保留并计入覆盖）。

    Parameters
    ----------
    demand
        Demand units (residential land cells, buildings, ...) in a projected CRS (metres).
    candidates
        Candidate sites in the same CRS.
    radius_m
        Service radius of a new site (m).
    existing
        Existing facilities (always kept); None = none.
    existing_radius_m
        Their radius: one value or one per facility (tiered park rules); None = ``radius_m``.
    weight
        Demand weight per unit; None = 1 each.
    demand_ids, candidate_ids
        Ids for messages; None = ``D1..``, ``C1..``.
    cost
        Cost per candidate (for a budget or the cheapest cover); None = no costs.
    network
        Walkable edges (:func:`tanmap.geo.walking.graph_arrays`): distances are walked along
        them (:func:`network_coverage_matrix`), for new and existing sites alike; None = the
        straight-line distance.

    Examples
    --------
    >>> from shapely import Point
    >>> homes = gpd.GeoSeries([Point(0, 0), Point(1000, 0)], crs=4548)
    >>> park = gpd.GeoSeries([Point(0, 100)], crs=4548)
    >>> lots = gpd.GeoSeries([Point(1000, 200)], crs=4548)
    >>> problem = build_problem(homes, lots, 300.0, existing=park)
    >>> problem.existing_covered.tolist(), problem.coverage.toarray().ravel().tolist()
    ([True, False], [False, True])
    """
    matrix = (coverage_matrix(demand, candidates, radius_m) if network is None
              else network_coverage_matrix(demand, candidates, radius_m, network))
    n_d, n_c = matrix.shape
    if existing is not None and len(existing):
        radius = radius_m if existing_radius_m is None else existing_radius_m
        if network is None:
            served = covered_mask(demand, existing, radius)
        else:
            walked = network_coverage_matrix(demand, existing, radius, network)
            served = np.diff(walked.indptr) > 0
    else:
        served = np.zeros(n_d, dtype=bool)
    w = np.ones(n_d) if weight is None else np.asarray(weight, dtype=float)
    d_ids = tuple(f"D{i + 1}" for i in range(n_d)) if demand_ids is None else tuple(
        str(i) for i in demand_ids)
    c_ids = tuple(f"C{j + 1}" for j in range(n_c)) if candidate_ids is None else tuple(
        str(j) for j in candidate_ids)
    return SitingProblem(matrix, w, served, d_ids, c_ids,
                         None if cost is None else np.asarray(cost, dtype=float))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GreedyResult:
    """The greedy answer beside the optimum.

    中文：贪心算法结果及其与最优解的差距。

    ``gap`` is relative to the optimum: (greedy - optimum) / optimum for set cover (more sites),
    (optimum - greedy) / optimum for maximal cover (less weight); 0 = greedy is optimal.
    ``reached`` is False when greedy never meets the target (set cover within a budget).
    """

    chosen: tuple[int, ...]
    objective: float
    gap: float
    reached: bool = True


@dataclass(frozen=True)
class SitingResult:
    """The optimal new sites of one model, with their figures.

    中文：选址结果（目标值、最优性差距、求解时间、覆盖率变化、贪心对照）。

    Attributes
    ----------
    model
        "set_cover", "max_cover" or "per_unit".
    chosen
        Positions of the new sites in the candidate list, ranked by gain (the site adding the
        most first, each next one given those before it).
    gain
        Demand weight each chosen site adds, in ``chosen`` order (per-unit: units served).
    objective
        Sites (set cover, per unit; or cost with ``minimize="cost"``) or covered weight
        (maximal cover, existing facilities included).
    bound
        The solver's best bound on the objective.
    mip_gap
        Relative optimality gap reported by HiGHS (0 = proven optimal).
    solve_s
        Wall time of the MILP solve in seconds.
    status
        HiGHS model status ("Optimal", "Time limit reached", ...).
    total_weight, existing_weight, covered_weight
        All demand, what existing facilities serve, what they and the new sites serve.
    cost
        Total cost of the new sites, None without costs.
    greedy
        The greedy answer and its gap, None where no greedy applies.
    extra
        Model-specific figures (per unit: ``deficit_before`` = units short -> how many).
    """

    model: Model
    chosen: tuple[int, ...]
    gain: tuple[float, ...]
    objective: float
    bound: float
    mip_gap: float
    solve_s: float
    status: str
    total_weight: float
    existing_weight: float
    covered_weight: float
    cost: float | None = None
    greedy: GreedyResult | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def share_before(self) -> float:
        """Return the covered share with existing facilities only (0-1)."""
        return self.existing_weight / self.total_weight if self.total_weight else 1.0

    @property
    def share_after(self) -> float:
        """Return the covered share with the new sites (0-1)."""
        return self.covered_weight / self.total_weight if self.total_weight else 1.0


# --------------------------------------------------------------------------- HiGHS


def _highs() -> Any:
    """Return a ``highspy.Highs`` that logs nothing (HiGHS' one-off banner aside).

    HiGHS prints a banner to the C stdout when the first instance of a process is built;
    ``tanmap.layers.siting.silence_solver_banner`` takes that first construction where output
    matters (the CLI's ``--json``), since geo/ does no file-descriptor work.
    """
    import highspy

    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.setOptionValue("output_flag", False)
    return solver


@dataclass(frozen=True)
class _Milp:
    """A MILP in HiGHS' terms: columns, rows (CSR) and which columns are integer."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    rows: sp.csr_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    maximize: bool = False


@dataclass(frozen=True)
class _Solved:
    x: np.ndarray
    objective: float
    bound: float
    mip_gap: float
    solve_s: float
    status: str
    feasible: bool


def _solve(milp: _Milp, *, time_limit_s: float | None, threads: int | None) -> _Solved:
    import highspy

    solver = _highs()
    lp = highspy.HighsLp()
    n_col, n_row = milp.cost.size, milp.rows.shape[0]
    lp.num_col_, lp.num_row_ = n_col, n_row
    lp.col_cost_ = milp.cost.astype(float)
    lp.col_lower_ = milp.col_lower.astype(float)
    lp.col_upper_ = milp.col_upper.astype(float)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.where(np.isinf(milp.row_lower), -inf, milp.row_lower).astype(float)
    lp.row_upper_ = np.where(np.isinf(milp.row_upper), inf, milp.row_upper).astype(float)
    rows = sp.csr_array(milp.rows, dtype=float)
    rows.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_col, n_row
    lp.a_matrix_.start_ = rows.indptr.astype(np.int32)
    lp.a_matrix_.index_ = rows.indices.astype(np.int32)
    lp.a_matrix_.value_ = rows.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                       for b in milp.integer]
    lp.sense_ = highspy.ObjSense.kMaximize if milp.maximize else highspy.ObjSense.kMinimize
    solver.passModel(lp)
    solver.setOptionValue("mip_rel_gap", 0.0)
    solver.setOptionValue("mip_abs_gap", 1e-9)
    if time_limit_s is not None:
        solver.setOptionValue("time_limit", float(time_limit_s))
    if threads is not None:
        solver.setOptionValue("threads", int(threads))
    start = time.perf_counter()
    solver.run()
    elapsed = time.perf_counter() - start
    status = solver.getModelStatus()
    text = solver.modelStatusToString(status)
    info = solver.getInfo()
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(solver.getSolution().col_value, dtype=float) if feasible else np.zeros(n_col)
    gap = float(info.mip_gap) if feasible else math.inf
    return _Solved(x, float(info.objective_function_value), float(info.mip_dual_bound),
                   0.0 if gap < 1e-12 else gap, elapsed, text, feasible)


def _groups(problem: SitingProblem) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Merge the not-yet-served demand rows that see the same candidates.

    Returns the merged coverage rows (groups x candidates), the summed weight per group and,
    per demand row, its group (-1 = served already or by no candidate).
    """
    matrix = problem.coverage
    n_d = matrix.shape[0]
    open_rows = np.flatnonzero(~problem.existing_covered & (np.diff(matrix.indptr) > 0)
                               & (problem.weight > 0))
    group_of = np.full(n_d, -1, dtype=np.int64)
    if open_rows.size == 0:
        return sp.csr_array((0, matrix.shape[1]), dtype=bool), np.zeros(0), group_of
    sub = matrix[open_rows]
    sub.sort_indices()
    keys = [sub.indices[sub.indptr[k]:sub.indptr[k + 1]].tobytes()
            for k in range(open_rows.size)]
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
    group_of[open_rows] = codes
    first = np.unique(codes, return_index=True)[1]
    rows = sub[first]
    weights = np.bincount(codes, weights=problem.weight[open_rows], minlength=len(uniques))
    return rows, weights, group_of


def _rank(problem: SitingProblem, chosen: np.ndarray) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Order chosen sites by marginal gain (largest first; ties keep candidate order)."""
    picked = np.asarray(chosen, dtype=int)
    if picked.size == 0:
        return (), ()
    sub = sp.csc_array(problem.coverage[:, picked], dtype=float)
    open_w = np.where(problem.existing_covered, 0.0, problem.weight)
    left = np.ones(picked.size, dtype=bool)
    order: list[int] = []
    gains: list[float] = []
    for _ in range(picked.size):
        gain = np.where(left, np.asarray(sub.T @ open_w, dtype=float), -1.0)
        k = int(np.argmax(gain))
        order.append(int(picked[k]))
        gains.append(max(float(gain[k]), 0.0))
        left[k] = False
        open_w[sub.indices[sub.indptr[k]:sub.indptr[k + 1]]] = 0.0
    return tuple(order), tuple(gains)


def _greedy(
    rows: sp.csr_array, weights: np.ndarray, cost: np.ndarray | None, *,
    need: float, count: int | None, budget: float | None,
) -> tuple[list[int], float]:
    """Pick the site adding the most weight until ``need`` is met or ``count`` sites are chosen.

    With a budget, sites that no longer fit are skipped. Returns the sites and the weight added.
    """
    columns = rows.tocsc()
    open_w = weights.astype(float).copy()
    chosen: list[int] = []
    added, spent = 0.0, 0.0
    n_c = rows.shape[1]
    gains = np.asarray(rows.T @ open_w, dtype=float).ravel() if rows.shape[0] else np.zeros(n_c)
    usable = np.ones(n_c, dtype=bool)
    while added < need * (1 - _SHARE_TOL) and (count is None or len(chosen) < count):
        if budget is not None and cost is not None:
            usable &= spent + cost <= budget * (1 + _SHARE_TOL)
        score = np.where(usable, gains, -1.0)
        j = int(np.argmax(score))
        if score[j] <= 0:
            break
        chosen.append(j)
        usable[j] = False
        spent += 0.0 if cost is None else float(cost[j])
        hit = columns.indices[columns.indptr[j]:columns.indptr[j + 1]]
        hit = hit[open_w[hit] > 0]
        added += float(open_w[hit].sum())
        # The rows just served stop counting for every site that sees them.
        gains -= np.asarray(rows[hit].T @ open_w[hit], dtype=float).ravel()
        open_w[hit] = 0.0
    return chosen, added


def _pct(share: float) -> str:
    """Return a share as a percentage that never rounds a shortfall up to 100 %.

    >>> _pct(0.99998), _pct(0.5)
    ('99.998%', '50.0%')
    """
    digits = 1
    while share < 1 and round(share * 100, digits) >= 100 and digits < 6:
        digits += 1
    return f"{share * 100:.{digits}f}%"


def _name(ids: Sequence[str], rows: np.ndarray, weights: np.ndarray, *, limit: int = 10) -> str:
    order = rows[np.argsort(-weights[rows], kind="stable")]
    named = ", ".join(ids[int(i)] for i in order[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return f"{named}{more}"


# --------------------------------------------------------------------------- models


def set_cover(
    problem: SitingProblem,
    *,
    target_share: float = 1.0,
    budget: float | None = None,
    minimize: Literal["count", "cost"] = "count",
    time_limit_s: float | None = None,
    threads: int | None = None,
) -> SitingResult:
    """Return the fewest new sites that bring the covered share to ``target_share``.

    中文：最少设施覆盖模型（集合覆盖，现状设施保留并计入）。

    Parameters
    ----------
    problem
        From :func:`build_problem`.
    target_share
        Share of the demand weight to serve (0-1], existing facilities included.
    budget
        Largest total cost of the new sites (needs ``problem.cost``); None = no budget.
    minimize
        "count" (number of new sites) or "cost" (their total cost).
    time_limit_s
        Stop the solver after this many seconds (the result then says so and has a gap > 0).
    threads
        Solver threads (None = HiGHS' default).

    Raises
    ------
    UnreachableTargetError
        When demand that no candidate can serve keeps the share below the target (the message
        and ``unreachable`` name it), or the budget cannot buy the target.
    ValueError
        For a target outside (0, 1], or a budget or cost objective without costs.

    Examples
    --------
    >>> from shapely import Point
    >>> homes = gpd.GeoSeries([Point(0, 0), Point(100, 0), Point(200, 0)], crs=4548)
    >>> lots = gpd.GeoSeries([Point(50, 0), Point(150, 0), Point(100, 0)], crs=4548)
    >>> result = set_cover(build_problem(homes, lots, 100.0))
    >>> result.chosen, result.objective, result.mip_gap
    ((2,), 1.0, 0.0)
    """
    if not 0 < target_share <= 1:
        raise ValueError(f"target_share must be in (0, 1] (a share, not a percentage); "
                         f"got {target_share}.")
    cost = _check_cost(problem, budget=budget, minimize=minimize)
    rows, weights, group_of = _groups(problem)
    total = problem.total_weight
    need = target_share * total - problem.existing_weight
    n_c = problem.coverage.shape[1]
    reachable = problem.existing_weight + float(weights.sum())
    if reachable < target_share * total * (1 - _SHARE_TOL):
        dead = np.flatnonzero(~problem.existing_covered & (group_of < 0)
                              & (problem.weight > 0))
        best = reachable / total if total else 1.0
        raise UnreachableTargetError(
            f"the target of {_pct(target_share)} cannot be reached: at most {_pct(best)} of the "
            f"demand can be served, because no candidate site is within reach of "
            f"{dead.size} demand unit(s): {_name(problem.demand_ids, dead, problem.weight)}. "
            "Add candidate sites near them (a lot file, or a finer grid), widen the candidate "
            "area, or lower the target.",
            unreachable=tuple(problem.demand_ids[int(i)] for i in dead), best_share=best)
    if need <= total * _SHARE_TOL:
        return _result(problem, "set_cover", np.zeros(0, dtype=int), objective=0.0, bound=0.0,
                       solved=None, greedy=GreedyResult((), 0.0, 0.0))
    full = target_share >= 1.0
    n_g = weights.size
    obj_x = np.ones(n_c) if cost is None or minimize == "count" else cost
    if full:
        # Every open group needs a site: sum_j a_gj x_j >= 1.
        matrix = sp.csr_array(rows, dtype=float)
        milp = _Milp(obj_x, np.zeros(n_c), np.ones(n_c), np.ones(n_c, dtype=bool), matrix,
                     np.ones(n_g), np.full(n_g, np.inf))
    else:
        # y_g <= sum_j a_gj x_j; sum_g (w_g / total) y_g >= need / total.
        link = sp.hstack([-sp.csr_array(rows, dtype=float), sp.identity(n_g, format="csr")],
                         format="csr")
        share = sp.csr_array(np.r_[np.zeros(n_c), weights / total][None, :])
        matrix = sp.vstack([link, share], format="csr")
        milp = _Milp(np.r_[obj_x, np.zeros(n_g)], np.zeros(n_c + n_g), np.ones(n_c + n_g),
                     np.r_[np.ones(n_c, dtype=bool), np.zeros(n_g, dtype=bool)], matrix,
                     np.r_[np.full(n_g, -np.inf), need / total * (1 - _SHARE_TOL)],
                     np.r_[np.zeros(n_g), np.inf])
    milp = _with_budget(milp, cost, budget)
    solved = _solve(milp, time_limit_s=time_limit_s, threads=threads)
    if not solved.feasible:
        raise _budget_error(problem, target_share, budget, solved.status)
    chosen = np.flatnonzero(solved.x[:n_c] > 0.5)
    greedy_sites, added = _greedy(rows, weights, cost, need=need, count=None, budget=budget)
    reached = added >= need * (1 - _SHARE_TOL)
    g_obj = float(len(greedy_sites)) if minimize == "count" else float(
        cost[greedy_sites].sum()) if cost is not None else 0.0
    optimum = solved.objective
    gap = (g_obj - optimum) / optimum if reached and optimum > 0 else (0.0 if reached
                                                                        else math.inf)
    gap = 0.0 if abs(gap) < _GAP_ZERO else gap
    return _result(problem, "set_cover", chosen, objective=optimum, bound=solved.bound,
                   solved=solved, greedy=GreedyResult(tuple(greedy_sites), g_obj, gap, reached))


def max_cover(
    problem: SitingProblem,
    count: int,
    *,
    budget: float | None = None,
    time_limit_s: float | None = None,
    threads: int | None = None,
) -> SitingResult:
    """Return the ``count`` new sites (at most) that serve the most demand weight.

    中文：最大覆盖模型（给定新增数量，现状设施保留并计入）。

    The objective is the covered weight, existing facilities included; fewer than ``count``
    sites are chosen only when more would add nothing (or the budget runs out).

    Parameters
    ----------
    problem
        From :func:`build_problem`.
    count
        Most new sites (p >= 0).
    budget
        Largest total cost of the new sites (needs ``problem.cost``); None = no budget.
    time_limit_s, threads
        Solver time limit (s) and threads, as in :func:`set_cover`.

    Raises
    ------
    ValueError
        For a negative count, or a budget without costs.

    Examples
    --------
    >>> from shapely import Point
    >>> homes = gpd.GeoSeries([Point(0, 0), Point(100, 0), Point(200, 0)], crs=4548)
    >>> lots = gpd.GeoSeries([Point(0, 50), Point(200, 50)], crs=4548)
    >>> result = max_cover(build_problem(homes, lots, 60.0, weight=[1, 5, 2]), 1)
    >>> result.chosen, result.covered_weight, result.total_weight
    ((1,), 2.0, 8.0)
    """
    if count < 0 or int(count) != count:
        raise ValueError(f"count must be a whole number >= 0 of new sites; got {count}.")
    cost = _check_cost(problem, budget=budget, minimize="count")
    rows, weights, _ = _groups(problem)
    n_c, n_g = problem.coverage.shape[1], weights.size
    total = problem.total_weight
    if count == 0 or n_g == 0 or total == 0:
        return _result(problem, "max_cover", np.zeros(0, dtype=int),
                       objective=problem.existing_weight, bound=problem.existing_weight,
                       solved=None, greedy=GreedyResult((), problem.existing_weight, 0.0))
    link = sp.hstack([-sp.csr_array(rows, dtype=float), sp.identity(n_g, format="csr")],
                     format="csr")
    sites = sp.csr_array(np.r_[np.ones(n_c), np.zeros(n_g)][None, :])
    matrix = sp.vstack([link, sites], format="csr")
    milp = _Milp(np.r_[np.zeros(n_c), weights / total], np.zeros(n_c + n_g), np.ones(n_c + n_g),
                 np.r_[np.ones(n_c, dtype=bool), np.zeros(n_g, dtype=bool)], matrix,
                 np.r_[np.full(n_g, -np.inf), -np.inf], np.r_[np.zeros(n_g), float(count)],
                 maximize=True)
    milp = _with_budget(milp, cost, budget)
    solved = _solve(milp, time_limit_s=time_limit_s, threads=threads)
    chosen = np.flatnonzero(solved.x[:n_c] > 0.5)
    existing = problem.existing_weight
    optimum = float(problem.weight[problem.covered_by(chosen)].sum())
    greedy_sites, added = _greedy(rows, weights, cost, need=math.inf, count=int(count),
                                  budget=budget)
    g_obj = existing + added
    gap = (optimum - g_obj) / optimum if optimum > 0 else 0.0
    gap = 0.0 if gap < _GAP_ZERO else gap
    return _result(problem, "max_cover", chosen, objective=optimum,
                   bound=existing + solved.bound * total, solved=solved,
                   greedy=GreedyResult(tuple(greedy_sites), g_obj, max(gap, 0.0)))


def backup_cover(
    problem: SitingProblem,
    chosen: Sequence[int] | np.ndarray,
    count: int,
    *,
    time_limit_s: float | None = None,
    threads: int | None = None,
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Return up to ``count`` more sites that serve a *second* time the most demand weight.

    中文：备用覆盖（二次覆盖）：覆盖已满足后，其余新增设施优先布置在仅被一处设施覆盖的需求附近。

    When a plan asks for N facilities ("计划打造 20 个口袋花园") and fewer already serve all the
    demand they can reach, the rest still have to go somewhere: this second stage places them
    where the most demand weight is served only once (by an existing facility or a chosen
    site), the backup-coverage criterion of Hogan & ReVelle (1986). It is an exact maximal
    cover (:func:`max_cover`) over the other candidates, with "served twice" as served (demand
    not served yet, if any candidate reaches it, counts too); sites adding nothing are left
    out.

    Parameters
    ----------
    problem
        From :func:`build_problem`.
    chosen
        Candidate positions already chosen (the first stage).
    count
        Most further sites.

    Returns
    -------
    tuple
        Candidate positions ranked by the weight they serve a second time, and those weights.

    Examples
    --------
    >>> from shapely import Point
    >>> homes = gpd.GeoSeries([Point(0, 0), Point(100, 0)], crs=4548)
    >>> lots = gpd.GeoSeries([Point(50, 0), Point(0, 10), Point(100, 10)], crs=4548)
    >>> problem = build_problem(homes, lots, 60.0, weight=[1, 3])
    >>> backup_cover(problem, [0], 1)
    ((2,), (3.0,))
    """
    picked = np.asarray(chosen, dtype=int)
    n_c = problem.coverage.shape[1]
    once = np.asarray(problem.coverage[:, picked].sum(axis=1), dtype=int).ravel() \
        if picked.size else np.zeros(problem.coverage.shape[0], dtype=int)
    times = problem.existing_covered.astype(int) + once
    rest = np.setdiff1d(np.arange(n_c), picked)
    if count <= 0 or rest.size == 0:
        return (), ()
    second = SitingProblem(sp.csr_array(problem.coverage[:, rest]), problem.weight, times >= 2,
                           problem.demand_ids,
                           tuple(problem.candidate_ids[int(j)] for j in rest))
    result = max_cover(second, int(count), time_limit_s=time_limit_s, threads=threads)
    return tuple(int(rest[j]) for j in result.chosen), result.gain


def per_unit_cover(
    candidate_units: Sequence[str | None] | np.ndarray,
    existing_units: Sequence[str | None] | np.ndarray,
    unit_ids: Sequence[str],
    min_count: int = 1,
    *,
    cost: Sequence[float] | np.ndarray | None = None,
    budget: float | None = None,
    time_limit_s: float | None = None,
) -> SitingResult:
    """Return the fewest new sites so that every unit holds at least ``min_count`` facilities.

    中文：按单元配置模型（每个街道/社区至少 k 处，现状设施计入）。

    Parameters
    ----------
    candidate_units, existing_units
        Unit id per candidate / existing facility (:func:`units_of`; None = in no unit).
    unit_ids
        Every planning unit (街道/社区) that must be served.
    min_count
        Facilities each unit needs (k >= 1), e.g. one transfer station per 街道.
    cost, budget
        Cost per candidate and the largest total; the cheapest sites are taken with costs.

    Raises
    ------
    UnreachableTargetError
        Naming the units with fewer candidates than they lack (``unreachable``), or when the
        budget cannot pay for the cheapest complete answer.

    Examples
    --------
    >>> result = per_unit_cover(["A", "A", "B"], ["B"], ["A", "B"], 1)
    >>> result.chosen, result.objective, result.extra["deficit_before"]
    ((0,), 1.0, {'A': 1})
    """
    if min_count < 1 or int(min_count) != min_count:
        raise ValueError(f"min_count must be a whole number >= 1; got {min_count}.")
    cand = np.asarray(list(candidate_units), dtype=object)
    costs = None if cost is None else np.asarray(cost, dtype=float)
    if budget is not None and costs is None:
        raise ValueError("a budget needs a cost per candidate (the candidate_site cost field).")
    units = [str(u) for u in unit_ids]
    have = pd.Series(list(existing_units), dtype=object).value_counts()
    deficit = {u: int(min_count - have.get(u, 0)) for u in units
               if min_count - have.get(u, 0) > 0}
    pool = {u: np.flatnonzero(cand == u) for u in deficit}
    short = [u for u, need in deficit.items() if pool[u].size < need]
    if short:
        detail = ", ".join(f"{u} (needs {deficit[u]}, {pool[u].size} candidate(s))"
                           for u in short[:10])
        raise UnreachableTargetError(
            f"{len(short)} unit(s) cannot reach {min_count} facilities: {detail}. Add "
            "candidate sites inside them (a lot file) or lower the count per unit.",
            unreachable=tuple(short))
    n_c = cand.size
    extra = {"deficit_before": deficit, "units": len(units), "min_count": int(min_count)}
    if not deficit:
        return SitingResult("per_unit", (), (), 0.0, 0.0, 0.0, 0.0, "Optimal", len(units),
                            len(units), len(units), 0.0 if costs is not None else None,
                            GreedyResult((), 0.0, 0.0), extra)
    unit_rows = sp.csr_array(np.vstack([(cand == u).astype(float) for u in deficit]))
    obj = np.ones(n_c) if costs is None else costs
    milp = _Milp(obj, np.zeros(n_c), np.ones(n_c), np.ones(n_c, dtype=bool), unit_rows,
                 np.asarray(list(deficit.values()), dtype=float), np.full(len(deficit), np.inf))
    milp = _with_budget(milp, costs, budget)
    solved = _solve(milp, time_limit_s=time_limit_s, threads=None)
    if not solved.feasible:
        cheapest = sum(float(np.sort(obj[pool[u]])[:need].sum()) for u, need in deficit.items())
        raise UnreachableTargetError(
            f"the budget of {budget:g} cannot pay for the sites every unit needs; the cheapest "
            f"complete answer costs {cheapest:g}. Raise the budget or lower the count per unit.",
            unreachable=tuple(deficit))
    chosen = np.flatnonzero(solved.x > 0.5)
    # Greedy = the cheapest sites of each unit in turn; optimal here (units do not share sites).
    greedy = [int(j) for u, need in deficit.items()
              for j in pool[u][np.argsort(obj[pool[u]], kind="stable")][:need]]
    g_obj = float(obj[greedy].sum())
    gap = (g_obj - solved.objective) / solved.objective if solved.objective else 0.0
    served_before = len(units) - len(deficit)
    order = tuple(sorted((int(j) for j in chosen), key=lambda j: str(cand[j])))
    gain = tuple(1.0 for _ in order)
    return SitingResult("per_unit", order, gain, solved.objective, solved.bound, solved.mip_gap,
                        solved.solve_s, solved.status, float(len(units)), float(served_before),
                        float(len(units)), None if costs is None else float(costs[chosen].sum()),
                        GreedyResult(tuple(greedy), g_obj, max(gap, 0.0)), extra)


def _check_cost(problem: SitingProblem, *, budget: float | None,
                minimize: str) -> np.ndarray | None:
    if minimize not in ("count", "cost"):
        raise ValueError(f"minimize must be 'count' or 'cost'; got {minimize!r}.")
    if (budget is not None or minimize == "cost") and problem.cost is None:
        raise ValueError("a budget or a cost objective needs a cost per candidate (the "
                         "candidate_site cost field); give cost= to build_problem.")
    if budget is not None and not (budget >= 0 and math.isfinite(budget)):
        raise ValueError(f"budget must be a finite amount >= 0; got {budget}.")
    return problem.cost


def _with_budget(milp: _Milp, cost: np.ndarray | None, budget: float | None) -> _Milp:
    if budget is None or cost is None:
        return milp
    row = np.zeros(milp.cost.size)
    row[:cost.size] = cost
    return _Milp(milp.cost, milp.col_lower, milp.col_upper, milp.integer,
                 sp.vstack([milp.rows, sp.csr_array(row[None, :])], format="csr"),
                 np.r_[milp.row_lower, -np.inf], np.r_[milp.row_upper, budget],
                 milp.maximize)


def _budget_error(problem: SitingProblem, target_share: float, budget: float | None,
                  status: str) -> UnreachableTargetError:
    if budget is None:
        return UnreachableTargetError(
            f"the solver found no answer reaching {_pct(target_share)} (HiGHS: {status}); "
            "allow more time (time_limit_s) or lower the target.")
    cheapest = set_cover(problem, target_share=target_share, minimize="cost")
    return UnreachableTargetError(
        f"the budget of {budget:g} cannot buy {_pct(target_share)} coverage; the cheapest set "
        f"of sites that does costs {cheapest.objective:g}. Raise the budget, lower the "
        "target, or run maximal cover within the budget.")


def _result(problem: SitingProblem, model: Model, chosen: np.ndarray, *, objective: float,
            bound: float, solved: _Solved | None, greedy: GreedyResult) -> SitingResult:
    order, gains = _rank(problem, chosen)
    # A site adding nothing given the higher-ranked ones is dropped (maximal cover may pick
    # such sites when fewer than p are worth building; zero-cost ones may ride along).
    keep = sum(1 for g in gains if g > 0)
    order, gains = order[:keep], gains[:keep]
    chosen = np.asarray(order, dtype=int)
    covered = float(problem.weight[problem.covered_by(chosen)].sum())
    cost = None if problem.cost is None else float(problem.cost[chosen].sum())
    return SitingResult(
        model, order, gains, objective, bound,
        0.0 if solved is None else solved.mip_gap,
        0.0 if solved is None else solved.solve_s,
        "Optimal" if solved is None else solved.status,
        problem.total_weight, problem.existing_weight, covered, cost, greedy)
