"""Park and facility service-radius coverage (服务半径覆盖率): exact distance tests, bounded areas.

Two kinds of figure, two methods:

* **Which features are served** (a building, a bus stop's residents, a point) is decided by the
  exact distance test ``distance(target, facility) <= radius`` (GEOS ``dwithin`` / nearest with a
  maximum distance, inclusive). No buffer polygon is involved, so a point exactly at the radius is
  covered and a buffer with few segments cannot leak into the answer.
* **How much land is served** (m² of residential land within the radius) needs the area of the
  intersection of polygons with the region within the radius of the facilities, which no
  polygon represents exactly. tanmap builds that region from pieces that are each inscribed in
  it (:mod:`tanmap.geo.served_region`: the facility itself, a rectangle per boundary segment, a
  sector per convex vertex with its arc vertices *on* the circle), so the figure is a guaranteed
  lower bound. The number of arc steps per quarter circle, ``q``, is chosen from ``tolerance_m``
  so that the largest radial gap (the chord sagitta ``r (1 - cos(pi / (4 q)))``) is at most
  ``tolerance_m`` (5 cm by default: ``q = 56`` at 500 m). The result carries the first-order
  area bound ``sagitta x length of the region's boundary inside the land``
  (``area_error_bound_m2``): the true area lies in ``[covered_m2, covered_m2 + bound]``.

No city-wide union is formed: land wholly within reach or wholly beyond it is decided exactly
from grid-cell distances (large land is quartered first), and only the land the edge of the
served region crosses gets a local union of the pieces near it (see :func:`covered_area`).
Facilities are indexed as small pieces, so the cost does not depend on their shapes, and the
work runs in spatial tiles on threads (:mod:`tanmap.geo.tiles`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.geo.building_geometry import BUILDING_TESTS, BuildingTest, building_test_geometries
from tanmap.geo.crs import require_projected, require_same_crs
from tanmap.geo.metric import MetricContext, MetricDef, MetricResult, params_to_dict
from tanmap.geo.rules import AREA_TYPES, BUILTIN_RULES, CoverageRule, get_rule
from tanmap.geo.served_region import (
    boundary_segments,
    point_disks,
    segment_pieces,
    subdivide,
)
from tanmap.geo.tiles import MIN_FEATURES_PER_TILE, both, map_tiles, spatial_tiles
from tanmap.geo.units import zone_geometry

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from shapely.geometry.base import BaseGeometry

__all__ = [
    "DEFAULT_TOLERANCE_M",
    "DISPLAY_QUAD_SEGS",
    "METRIC_DEFS",
    "POCKET_GARDEN_RADIUS_M",
    "CoverageReport",
    "CoveredArea",
    "FacilityCoverage",
    "FacilityCoverageParams",
    "ParkCoverageParams",
    "area_type_shares",
    "covered_area",
    "covered_mask",
    "facility_coverage",
    "marginal_area",
    "nearest_distance_m",
    "park_coverage",
    "quad_segs_for_tolerance",
    "sagitta_m",
    "service_areas",
]

#: Largest radial gap allowed between a buffer polygon and the true circle (m).
DEFAULT_TOLERANCE_M = 0.05
#: Segments per quarter circle of buffers drawn on maps (display only, never measured).
DISPLAY_QUAD_SEGS = 16
#: Service radius of pocket gardens (口袋公园) in the "pocket-park-augmented" figure: the 5-minute
#: life circle of GB 50180-2018 (300 m) [verify: no standard sets a pocket-park radius].
POCKET_GARDEN_RADIUS_M = 300.0
#: Below this many targets, covered_mask runs the exact test on every target directly.
GRID_MIN_TARGETS = 5_000
#: Cell sizes (m) of the successive distance grids that decide most targets of covered_mask.
GRID_CELLS_M: tuple[float, ...] = (400.0, 100.0, 25.0)
#: A grid level is skipped when it has more than this many cells per undecided target.
GRID_SHARE_MIN = 0.5
#: From this many targets on, nearest distances to points go through a k-d tree (scipy).
KD_MIN_TARGETS = 1_000
#: Neighbours fetched per target from the k-d tree before the exact distance test.
KD_NEIGHBOURS = 8
#: Statuses that count as built (现状/建成/已改造); null status counts as existing.
BUILT_STATUSES: tuple[str, ...] = ("existing", "completed", "renewed")
#: Facility kinds (LayerKind values) the generic facility coverage metric accepts.
FACILITY_KINDS: tuple[str, ...] = (
    "bus_stop", "recycling_point", "transfer_station", "charging_station", "park",
    "pocket_garden", "greenway",
)
#: Largest service radius the facility metric loads neighbours for (Tianjin outer districts'
#: 5 km charging radius, DOMAIN.md §3).
FACILITY_MARGIN_M = 5000.0

Geoms: TypeAlias = gpd.GeoSeries | gpd.GeoDataFrame


def _geoms(obj: Geoms) -> np.ndarray:
    """Return the geometries of a GeoSeries/GeoDataFrame as a numpy object array."""
    if isinstance(obj, gpd.GeoDataFrame):
        obj = obj.geometry
    if not isinstance(obj, gpd.GeoSeries):
        raise TypeError(
            f"expected a GeoSeries or GeoDataFrame, got {type(obj).__name__}; wrap shapely "
            "geometries as gpd.GeoSeries(geoms, crs=<planning EPSG>)."
        )
    return np.asarray(obj.array, dtype=object)


def _radii(radius_m: float | Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """Return one radius per facility (NaN = facility not counted), validating values."""
    radii = np.asarray(radius_m, dtype=float)
    if radii.ndim == 0:
        radii = np.full(n, float(radii))
    if radii.shape != (n,):
        raise ValueError(
            f"radius_m has {radii.size} values but there are {n} facilities; give one radius "
            "or one per facility."
        )
    bad = np.isinf(radii) | (radii < 0)
    if bad.any():
        raise ValueError(
            f"radius_m must be a finite distance >= 0 in metres (NaN = not counted); got "
            f"{radii[bad][:3].tolist()}."
        )
    return radii


def _check(targets: Geoms, facilities: Geoms, *, what_t: str, what_f: str) -> None:
    # One CRS check suffices once both are known to share it (the check is not free).
    require_projected(targets, what=what_t)
    require_same_crs(targets, facilities, what_a=what_t, what_b=what_f)


def covered_mask(
    targets: Geoms,
    facilities: Geoms,
    radius_m: float | Sequence[float] | np.ndarray,
    *,
    workers: int | None = None,
) -> np.ndarray:
    """Return, per target, whether it lies within the radius of at least one facility.

    中文：服务半径覆盖判定（逐要素，精确距离判定）。

    A target is covered when ``distance(target, facility) <= radius`` for some facility: for
    polygons, any part of the target within the radius of any part of the facility. The test is
    the exact GEOS distance, inclusive at the radius; no buffer polygon is used. Facilities are
    indexed as pieces of at most ``MAX_PIECE_VERTICES`` vertices (``served_region.subdivide``), so
    one city-spanning strip park costs each query only its nearby pieces. With many targets,
    exact distances from grid-cell centres first decide most of them by the triangle inequality
    (``_grid_filter``); only those near the radius get the per-target test, and a target within a
    micrometre of the radius of a cut piece is tested against the whole facility, so the answer
    is the same. Targets are processed in spatial tiles on ``workers`` threads; the answer does
    not depend on the number of workers.

    Parameters
    ----------
    targets, facilities
        Geometries in the same *projected* CRS (metres). Empty or missing geometries are never
        covered and never cover.
    radius_m
        One service radius (m, >= 0) or one per facility (tiered rules); NaN marks a facility
        that does not count.
    workers
        Threads to use (None = every CPU this process may use).

    Returns
    -------
    numpy.ndarray
        Booleans aligned with the rows of ``targets``.

    Raises
    ------
    GeographicCRSError, MissingCRSError, CRSMismatchError
        If the inputs are not in one projected CRS.
    ValueError
        For a negative or infinite radius, or a radius array of the wrong length.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> park = gpd.GeoSeries([box(0, 0, 100, 100)], crs=4548)
    >>> homes = gpd.GeoSeries([Point(50, 600), Point(50, 600.001)], crs=4548)
    >>> covered_mask(homes, park, 500.0)
    array([ True, False])
    """
    _check(targets, facilities, what_t="targets", what_f="facilities")
    target_geoms, facility_geoms = _geoms(targets), _geoms(facilities)
    radii = _radii(radius_m, facility_geoms.size)
    covered = np.zeros(target_geoms.size, dtype=bool)
    usable = ~(shapely.is_missing(facility_geoms) | shapely.is_empty(facility_geoms))
    usable &= ~np.isnan(radii)
    live = np.flatnonzero(~(shapely.is_missing(target_geoms) | shapely.is_empty(target_geoms)))
    if not usable.any() or live.size == 0:
        return covered
    index, tiles = both(
        lambda: _PieceIndex.build(facility_geoms[usable], radii[usable]),
        lambda: spatial_tiles(target_geoms[live], min_features=_tile_size(live.size)),
        workers)
    results = map_tiles(lambda tile: _mask_tile(target_geoms[live[tile]], index), tiles, workers)
    for tile, result in zip(tiles, results, strict=True):
        covered[live[tile]] = result
    return covered


#: Tiles per call the kernels aim for (enough to keep two or more cores busy); fixed, so the
#: tiling, and with it every figure, does not depend on the number of workers.
TILES_PER_CALL = 16
#: Fewest features in a tile of the area kernel (land parts multiply when they are split).
AREA_TILE_MIN = 256


def _tile_size(n: int, floor: int | None = None) -> int:
    """Return the fewest features per tile for ``n`` features."""
    return max(MIN_FEATURES_PER_TILE if floor is None else floor, -(-n // TILES_PER_CALL))


#: Distances within this band (m) of the radius, measured to a cut piece of a facility, are
#: re-measured to the whole facility (cut vertices are rounded to ~1e-10 m).
_PIECE_BAND_M = 1e-6


@dataclass(frozen=True)
class _RadiusGroup:
    """The facility pieces of one service radius, with their spatial index."""

    radius_m: float
    tree: shapely.STRtree
    pieces: np.ndarray
    owner: np.ndarray  # piece -> facility position in _PieceIndex.geoms


@dataclass(frozen=True)
class _PieceIndex:
    """Usable facilities cut into small pieces and indexed per radius (largest radius first)."""

    geoms: np.ndarray
    radii: np.ndarray
    cut: np.ndarray  # per facility: indexed as more than one piece
    groups: tuple[_RadiusGroup, ...]

    @classmethod
    def build(cls, geoms: np.ndarray, radii: np.ndarray) -> _PieceIndex:
        pieces, owner = subdivide(geoms)
        # Whole facilities that were cut are measured prepared (indexed facets) when a distance
        # falls in the band; copies, so the caller's geometries are left untouched.
        cut = np.bincount(owner, minlength=geoms.size) > 1
        geoms = geoms.copy()
        if cut.any():
            geoms[cut] = shapely.from_wkb(shapely.to_wkb(geoms[cut]))
            shapely.prepare(geoms[cut])
        groups = []
        for radius in np.unique(radii)[::-1]:
            mine = radii[owner] == radius
            groups.append(_RadiusGroup(float(radius), shapely.STRtree(pieces[mine]),
                                       pieces[mine], owner[mine]))
        return cls(geoms, radii, cut, tuple(groups))

    def within(self, targets: np.ndarray, group: _RadiusGroup) -> np.ndarray:
        """Return, per target, whether it is within the group's radius (exact test)."""
        out = np.zeros(targets.size, dtype=bool)
        if targets.size == 0:
            return out
        radius = group.radius_m
        if radius == 0:
            t_idx, p_idx = group.tree.query(targets, predicate="intersects")
        else:
            (t_idx, p_idx), dist = group.tree.query_nearest(
                targets, max_distance=radius + _PIECE_BAND_M, return_distance=True,
                all_matches=False)
            sure = dist <= radius - _PIECE_BAND_M
            out[t_idx[sure]] = True
            unsure = np.unique(t_idx[~sure])
            if unsure.size == 0:
                return out
            t_idx, p_idx = group.tree.query(targets[unsure], predicate="dwithin",
                                            distance=radius + _PIECE_BAND_M)
            t_idx = unsure[t_idx]
        # The exact test on whole facilities (GEOS distance, inclusive at the radius).
        pairs = np.unique(np.column_stack([t_idx, group.owner[p_idx]]), axis=0)
        if pairs.size:
            t, f = pairs[:, 0], pairs[:, 1]
            hit = (shapely.intersects(targets[t], self.geoms[f]) if radius == 0
                   else shapely.dwithin(targets[t], self.geoms[f], radius))
            out[t[hit]] = True
        return out


def _mask_tile(targets: np.ndarray, index: _PieceIndex) -> np.ndarray:
    """Return covered flags of one tile of (non-empty) targets."""
    covered = np.zeros(targets.size, dtype=bool)
    # Largest radius first: each later (smaller) group only tests targets still uncovered.
    for group in index.groups:
        todo = np.flatnonzero(~covered)
        if todo.size == 0:
            break
        if group.radius_m > 0 and todo.size >= GRID_MIN_TARGETS:
            sure, maybe = _grid_filter(targets[todo], group.tree, group.radius_m)
            covered[todo[sure]] = True
            todo = todo[maybe]
        if todo.size:
            covered[todo] = index.within(targets[todo], group)
    return covered


def _grid_filter(
    targets: np.ndarray, tree: shapely.STRtree, radius_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Decide most targets from distances of grid-cell centres; return (covered, undecided).

    Distance to the facilities is 1-Lipschitz. Every point of a target lies within ``h`` (half
    its envelope's diagonal) of its envelope centre ``v``; for ``v`` in a grid cell with centre
    ``c`` and exact distance ``D = dist(c, facilities)``:
    ``D - |v - c| - h <= dist(target) <= D + |v - c| + h``. Targets whose bounds fall clearly on
    one side of the radius are decided; the others go to the next, finer grid, and those left
    after the finest grid to the exact distance test. Decisions keep a micrometre margin.
    """
    env = shapely.bounds(targets)
    vertex = (env[:, :2] + env[:, 2:]) / 2.0
    reach = np.hypot(env[:, 2] - env[:, 0], env[:, 3] - env[:, 1]) / 2.0
    margin_m = 1e-6
    covered = np.zeros(targets.size, dtype=bool)
    undecided = np.arange(targets.size)
    for cell_m in GRID_CELLS_M:
        if undecided.size == 0:
            break
        v = vertex[undecided]
        cell = np.floor(v / cell_m)
        # One integer key per cell (hash factorisation is O(n), unlike a row-wise unique).
        key = (cell[:, 0] - cell[:, 0].min()) * (cell[:, 1].max() - cell[:, 1].min() + 1)
        inverse, uniques = pd.factorize(key + (cell[:, 1] - cell[:, 1].min()))
        if uniques.size > GRID_SHARE_MIN * v.shape[0] and cell_m != GRID_CELLS_M[-1]:
            # Hardly any cell is shared (sparse targets, e.g. parts along the served edge):
            # a coarse cell would cost a query per target and decide little; go finer.
            continue
        first_of = np.zeros(uniques.size, dtype=np.int64)
        first_of[inverse[::-1]] = np.arange(inverse.size)[::-1]
        centres = (cell[first_of] + 0.5) * cell_m
        offset = np.hypot(*(v - centres[inverse]).T)
        # Cells farther than the radius plus the worst offset and reach are simply "far".
        cut = radius_m + cell_m + float(reach[undecided].max()) + 1.0
        d_cell = np.full(uniques.size, np.inf)
        (hit, _), dist = tree.query_nearest(shapely.points(centres), max_distance=cut,
                                            return_distance=True, all_matches=False)
        d_cell[hit] = dist
        d = d_cell[inverse]
        upper = d + offset + reach[undecided]
        lower = d - offset - reach[undecided]
        yes = upper <= radius_m - margin_m
        no = lower > radius_m + margin_m
        covered[undecided[yes]] = True
        undecided = undecided[~(yes | no)]
    return np.flatnonzero(covered), undecided


def nearest_distance_m(
    targets: Geoms,
    facilities: Geoms,
    *,
    max_distance_m: float | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """Return, per target, the exact distance (m) to the nearest facility.

    中文：最近设施距离（如最近充电站距离）。

    Distances are exact (GEOS). For many targets and point facilities, a k-d tree over the
    points narrows each target to a few candidates first (see ``_nearest_point_distance``);
    other facilities are indexed as small pieces (``served_region.subdivide``), and a target
    whose nearest piece belongs to a cut facility is measured again against the whole ones
    within a micrometre. Targets are processed in spatial tiles on ``workers`` threads.

    Parameters
    ----------
    targets, facilities
        Geometries in the same projected CRS (metres).
    max_distance_m
        Optional search cut-off; targets with no facility that close get ``inf``.
    workers
        Threads to use (None = every CPU this process may use).

    Returns
    -------
    numpy.ndarray
        Float distances aligned with ``targets``; ``inf`` when there is no facility (in range),
        NaN for empty targets.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> stations = gpd.GeoSeries([Point(0, 0), Point(100, 0)], crs=4548)
    >>> homes = gpd.GeoSeries([box(30, 40, 40, 50), Point(100, 5)], crs=4548)
    >>> nearest_distance_m(homes, stations).tolist()
    [50.0, 5.0]
    """
    _check(targets, facilities, what_t="targets", what_f="facilities")
    target_geoms, facility_geoms = _geoms(targets), _geoms(facilities)
    out = np.full(target_geoms.size, np.inf)
    empty = shapely.is_missing(target_geoms) | shapely.is_empty(target_geoms)
    out[empty] = np.nan
    fac = facility_geoms[~(shapely.is_missing(facility_geoms) | shapely.is_empty(facility_geoms))]
    live = np.flatnonzero(~empty)
    if fac.size == 0 or live.size == 0:
        return out
    tiles = spatial_tiles(target_geoms[live], min_features=_tile_size(live.size))
    if live.size >= KD_MIN_TARGETS and bool((shapely.get_type_id(fac) == 0).all()):
        from scipy.spatial import cKDTree

        kd_tree = cKDTree(shapely.get_coordinates(fac))
        results = map_tiles(
            lambda tile: _nearest_point_distance(target_geoms[live[tile]], fac, kd_tree),
            tiles, workers)
    else:
        index = _PieceIndex.build(fac, np.zeros(fac.size))
        results = map_tiles(lambda tile: _nearest_piece_distance(target_geoms[live[tile]], index),
                            tiles, workers)
    for tile, dist in zip(tiles, results, strict=True):
        out[live[tile]] = dist
    if max_distance_m is not None:
        out[out > max_distance_m] = np.inf
    return out


def _nearest_piece_distance(targets: np.ndarray, index: _PieceIndex) -> np.ndarray:
    """Return the exact distance from each target to the nearest facility of ``index``."""
    group = index.groups[0]
    out = np.full(targets.size, np.inf)
    (t_idx, p_idx), dist = group.tree.query_nearest(targets, return_distance=True,
                                                     all_matches=False)
    out[t_idx] = dist
    # A cut facility's pieces carry rounded cut vertices: measure the whole facilities whose
    # pieces come within a micrometre of the nearest one.
    again = t_idx[index.cut[group.owner[p_idx]]]
    if again.size:
        tt, pp = group.tree.query(targets[again], predicate="dwithin",
                                  distance=out[again] + _PIECE_BAND_M)
        pairs = np.unique(np.column_stack([again[tt], group.owner[pp]]), axis=0)
        exact = shapely.distance(targets[pairs[:, 0]], index.geoms[pairs[:, 1]])
        best = np.full(targets.size, np.inf)
        np.minimum.at(best, pairs[:, 0], exact)
        out[again] = best[again]
    return out


def _nearest_point_distance(
    targets: np.ndarray, points: np.ndarray, kd_tree: Any
) -> np.ndarray:
    """Return the exact distance from each target to the nearest of ``points``.

    A k-d tree over the point coordinates gives, for each target's envelope centre ``c``
    (every point of the target within ``h``, the half diagonal, of it), its ``k`` nearest
    points. For any point ``s``: ``|c - s| - h <= dist(target, s) <= |c - s| + h``, so the
    nearest point ``s*`` has ``|c - s*| <= d1 + 2 h`` (``d1`` = distance from ``c`` to its
    nearest point): only those candidates get the exact GEOS distance; targets whose ``k``
    neighbours do not reach past that limit fall back to the STRtree nearest search.
    """
    xy = kd_tree.data
    env = shapely.bounds(targets)
    vertex = (env[:, :2] + env[:, 2:]) / 2.0
    reach = np.hypot(env[:, 2] - env[:, 0], env[:, 3] - env[:, 1])  # = 2 h
    out = np.full(len(vertex), np.inf)
    todo = np.arange(len(vertex))
    # Two neighbours settle almost every target; the few with a close second point ask for more.
    for k in sorted({min(2, xy.shape[0]), min(KD_NEIGHBOURS, xy.shape[0])}):
        if todo.size == 0:
            break
        dist, idx = kd_tree.query(vertex[todo], k=k, workers=1)
        dist, idx = dist.reshape(todo.size, k), idx.reshape(todo.size, k)
        limit = dist[:, 0] + reach[todo] + 1e-9 * (1.0 + dist[:, 0])
        complete = (dist[:, -1] > limit) if k < xy.shape[0] else np.ones(todo.size, dtype=bool)
        rows, cols = np.nonzero((dist <= limit[:, None]) & complete[:, None])
        if rows.size:
            exact = shapely.distance(targets[todo[rows]], points[idx[rows, cols]])
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            out[todo[rows[starts]]] = np.minimum.reduceat(exact, starts)
        todo = todo[~complete]
    if todo.size:
        (hit, _), d = shapely.STRtree(points).query_nearest(
            targets[todo], return_distance=True, all_matches=False)
        out[todo[hit]] = d
    return out


def service_areas(
    facilities: Geoms,
    radius_m: float | Sequence[float] | np.ndarray,
    *,
    quad_segs: int = DISPLAY_QUAD_SEGS,
) -> gpd.GeoSeries:
    """Return the service-area polygons (缓冲区) of facilities, FOR DISPLAY ONLY.

    中文：服务范围（缓冲区，仅用于地图显示）。

    The polygons approximate circles with ``quad_segs`` segments per quarter and under-count
    near the arcs; never measure with them: use :func:`covered_mask` (features) or
    :func:`covered_area` (land area, with an error bound).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> areas = service_areas(gpd.GeoSeries([Point(0, 0)], crs=4548), 500.0, quad_segs=1)
    >>> float(areas.area.iloc[0])  # a square inscribed in the 500 m circle
    500000.0
    """
    require_projected(facilities, what="facilities")
    geoms = _geoms(facilities)
    radii = _radii(radius_m, geoms.size)
    index = facilities.index
    keep = ~np.isnan(radii)
    out = shapely.buffer(geoms[keep], radii[keep], quad_segs=quad_segs)
    return gpd.GeoSeries(out, index=index[keep], crs=facilities.crs)


def quad_segs_for_tolerance(radius_m: float, tolerance_m: float = DEFAULT_TOLERANCE_M) -> int:
    """Return the segments per quarter circle keeping the sagitta at most ``tolerance_m``.

    中文：按容差确定缓冲区圆弧分段数。

    Examples
    --------
    >>> quad_segs_for_tolerance(500.0, 0.05)
    56
    >>> sagitta_m(500.0, 56) <= 0.05 < sagitta_m(500.0, 55)
    True
    """
    if not tolerance_m > 0:
        raise ValueError(f"tolerance_m must be > 0 metres, got {tolerance_m!r}.")
    if radius_m <= tolerance_m:
        return 1
    return max(1, math.ceil(math.pi / (4.0 * math.acos(1.0 - tolerance_m / radius_m))))


def sagitta_m(radius_m: float, quad_segs: int) -> float:
    """Return the largest gap (m) between a GEOS round buffer and its true circle.

    GEOS splits a round join into arcs of at most ``pi / (2 q)``, with vertices on the circle;
    each chord lies at most ``r (1 - cos(pi / (4 q)))`` inside it.

    Examples
    --------
    >>> round(sagitta_m(500.0, 8), 3)
    2.408
    """
    return float(radius_m) * (1.0 - math.cos(math.pi / (4.0 * quad_segs)))


def _grouped_union(geoms: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Union ``geoms`` per group in few vectorised calls.

    Groups are bucketed by size (powers of two) and each bucket is one None-padded 2-D array
    unioned along its rows, so the padding never exceeds the data (one huge group does not make
    every row wide).
    """
    out = np.full(n_groups, shapely.GeometryCollection(), dtype=object)
    if geoms.size == 0:
        return out
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    width = np.where(counts > 0, 2 ** np.ceil(np.log2(np.maximum(counts, 1))), 0).astype(np.int64)
    for w in np.unique(width[width > 0]):
        rows = np.flatnonzero(width == w)
        row_of = np.full(n_groups, -1)
        row_of[rows] = np.arange(rows.size)
        mine = row_of[g] >= 0
        grid = np.full((rows.size, int(w)), None, dtype=object)
        grid[row_of[g[mine]], (np.arange(g.size) - starts[g])[mine]] = geoms[order][mine]
        out[rows] = shapely.union_all(grid, axis=1)
    return out


def _region_pieces(
    geoms: np.ndarray, radii: np.ndarray, quad_segs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return polygons whose union is the (inscribed) served region of each geometry, and owners.

    Points get GEOS disks (exact: vertices on the circle); polygons and lines their own polygonal
    parts plus the rectangles and convex-vertex sectors of ``served_region`` (never GEOS's buffer
    of a non-convex shape, whose input simplification can reach past the radius).
    """
    type_id = shapely.get_type_id(geoms)
    pos = np.arange(geoms.size)
    points = (type_id == 0) | (type_id == 4)
    out, owners = [point_disks(geoms[points], radii[points], quad_segs)], [pos[points]]
    shaped = pos[~points]
    if shaped.size:
        parts, part_owner = shapely.get_parts(geoms[shaped], return_index=True)
        polygonal = shapely.get_type_id(parts) == 3
        out.append(parts[polygonal])
        owners.append(shaped[part_owner[polygonal]])
        segments = boundary_segments(geoms[shaped])
        seg_owner = shaped[segments.owner]
        pieces, seg_of_piece = segment_pieces(segments, radii[seg_owner], quad_segs)
        out.append(pieces)
        owners.append(seg_owner[seg_of_piece])
    return np.concatenate(out), np.concatenate(owners).astype(np.intp)


@dataclass(frozen=True)
class CoveredArea:
    """Covered and uncovered parts of land polygons (per polygon) with the area error bound.

    中文：覆盖面积（逐地块覆盖部分、未覆盖部分及误差上界）。

    Attributes
    ----------
    land_m2, covered_m2
        Per land polygon: its area and the area within the radius (a lower bound, see module).
    covered, gaps
        Per land polygon: the covered part and the uncovered part (geometries). A large polygon
        measured in parts has its parts dissolved on first access (areas never need it).
    quad_segs
        Segments per quarter circle used for the buffers.
    max_radial_error_m
        Largest gap between the buffers and the true circles (<= ``tolerance_m``).
    area_error_bound_m2
        First-order bound on the missing area: true covered area <= covered + bound.
    bound_m2
        The same bound per land polygon (they sum to ``area_error_bound_m2``).
    """

    land_m2: np.ndarray
    covered_m2: np.ndarray
    _covered: np.ndarray
    _gaps: np.ndarray
    quad_segs: int
    max_radial_error_m: float
    area_error_bound_m2: float
    #: Rows measured in parts, not yet dissolved: (rows, covered parts, their rows, gap parts,
    #: their rows).
    _pending: tuple[np.ndarray, ...] | None = field(default=None, repr=False)
    #: Per land polygon: its share of ``area_error_bound_m2`` (None when not computed).
    bound_m2: np.ndarray | None = field(default=None, repr=False)

    @cached_property
    def covered(self) -> np.ndarray:
        """Return the covered part of each land polygon."""
        return self._dissolved(self._covered, 1)

    @cached_property
    def gaps(self) -> np.ndarray:
        """Return the uncovered part of each land polygon."""
        return self._dissolved(self._gaps, 3)

    def _dissolved(self, geoms: np.ndarray, which: int) -> np.ndarray:
        if self._pending is None or self._pending[0].size == 0:
            return geoms
        rows = self._pending[0]
        parts, part_rows = self._pending[which], self._pending[which + 1]
        renumber = np.full(geoms.size, -1)
        renumber[rows] = np.arange(rows.size)
        out = geoms.copy()
        out[rows] = _drop_slivers(_grouped_union(parts, renumber[part_rows], rows.size))
        return out

    @property
    def share(self) -> float | None:
        """Return covered / land area over all polygons, or None when there is no land."""
        total = float(self.land_m2.sum())
        return float(self.covered_m2.sum()) / total if total > 0 else None


def covered_area(
    land: Geoms,
    facilities: Geoms,
    radius_m: float | Sequence[float] | np.ndarray,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    quad_segs: int | None = None,
    workers: int | None = None,
) -> CoveredArea:
    """Return the area of each land polygon within the radius of any facility.

    中文：覆盖面积（居住用地在服务半径内的面积，精确到给定容差）。

    Each land polygon (or, for a large one, each quarter of it down to ``SPLIT_MIN_M``) falls in
    one of three classes, all decided by exact tests:

    * wholly served: every point within the radius, proved either from grid-cell distances
      (the triangle inequality of ``_grid_filter``) or because every vertex lies within the
      radius of one convex part of a facility (a point, a boundary segment, a convex polygon):
      distance to a convex set is a convex function, so its maximum over the polygon is at a
      vertex. Its area counts exactly;
    * farther than the radius from every facility: not served, 0 exactly;
    * otherwise: the pieces of the served region near it (``served_region``: the facility
      itself, a rectangle per boundary segment within reach and a sector per convex vertex, all
      inscribed in the true region) are clipped to its padded envelope, unioned there and
      intersected with it. This figure is a lower bound; the bound adds
      ``sagitta x length of the union's boundary within the envelope``.

    No union over the whole city is ever formed and no buffer of a whole park is drawn, so the
    work grows with the length of the served region's edge, whatever the parks' shapes. Land is
    processed in spatial tiles on ``workers`` threads; the answer does not depend on the number
    of workers.

    Parameters
    ----------
    land
        Polygons (e.g. residential land 居住用地, already clipped to the district), projected CRS.
    facilities
        Facility geometries (park polygons, points...) in the same CRS.
    radius_m
        One radius (m) or one per facility; NaN = not counted.
    tolerance_m
        Largest radial gap between buffer polygons and true circles (m); sets ``quad_segs``.
    quad_segs
        Segments per quarter circle, overriding ``tolerance_m``.
    workers
        Threads to use (None = every CPU this process may use).

    Returns
    -------
    CoveredArea

    Examples
    --------
    A 100 m point-disk over a 1 km square: the area is π·100² = 31415.93 m², minus at most the
    reported bound.

    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> land = gpd.GeoSeries([box(-500, -500, 500, 500)], crs=4548)
    >>> res = covered_area(land, gpd.GeoSeries([Point(0, 0)], crs=4548), 100.0)
    >>> true = math.pi * 100 ** 2
    >>> bool(0 <= true - res.covered_m2[0] <= res.area_error_bound_m2 < 32)
    True
    """
    _check(land, facilities, what_t="land", what_f="facilities")
    land_geoms, facility_geoms = _geoms(land), _geoms(facilities)
    radii = _radii(radius_m, facility_geoms.size)
    n = land_geoms.size
    land_geoms = np.where(shapely.is_missing(land_geoms), shapely.Polygon(), land_geoms)
    land_m2 = shapely.area(land_geoms).astype(float)
    usable = ~(shapely.is_missing(facility_geoms) | shapely.is_empty(facility_geoms))
    usable &= ~np.isnan(radii)
    max_r = float(radii[usable].max()) if usable.any() else 0.0
    q = quad_segs if quad_segs is not None else quad_segs_for_tolerance(max(max_r, 1.0),
                                                                        tolerance_m)
    error_m = sagitta_m(max_r, q)
    covered_m2 = np.zeros(n)
    covered = np.full(n, shapely.GeometryCollection(), dtype=object)
    gaps = land_geoms.copy()
    live = np.flatnonzero(~shapely.is_empty(land_geoms))
    if not usable.any() or live.size == 0:
        return CoveredArea(land_m2, covered_m2, covered, gaps, q, error_m, 0.0)

    ctx, tiles = both(
        lambda: _AreaContext.build(facility_geoms[usable], radii[usable], q, error_m),
        lambda: spatial_tiles(land_geoms[live],
                              min_features=_tile_size(live.size, AREA_TILE_MIN)),
        workers)
    results = map_tiles(lambda tile: _area_tile(land_geoms[live[tile]], ctx), tiles, workers)
    bound_per_land = np.zeros(n)
    pending: list[list[np.ndarray]] = [[], [], [], [], []]
    for tile, (t_m2, t_covered, t_gaps, t_bound, t_pending) in zip(tiles, results, strict=True):
        rows = live[tile]
        covered_m2[rows] = t_m2
        covered[rows] = t_covered
        gaps[rows] = t_gaps
        bound_per_land[rows] = t_bound
        mixed, cov_parts, cov_rows, gap_parts, gap_rows = t_pending
        for k, value in enumerate((rows[mixed], cov_parts, rows[cov_rows], gap_parts,
                                   rows[gap_rows])):
            pending[k].append(value)
    # Summed in land order, so the figure does not depend on the tiling or the workers.
    return CoveredArea(land_m2, covered_m2, covered, gaps, q, error_m,
                       float(np.sum(bound_per_land)),
                       tuple(np.concatenate(p) for p in pending), bound_per_land)


#: Land parts left undecided by the grid are split into quarters while their envelope's diagonal
#: exceeds this (m), so a large parcel is measured exactly where the served edge crosses it.
SPLIT_MIN_M = 180.0
#: Most times an undecided land part is split into quarters.
SPLIT_MAX_DEPTH = 8


@dataclass(frozen=True)
class _AreaContext:
    """What every tile of :func:`covered_area` shares (read only)."""

    index: _PieceIndex
    quad_segs: int
    error_m: float

    @classmethod
    def build(cls, geoms: np.ndarray, radii: np.ndarray, quad_segs: int,
              error_m: float) -> _AreaContext:
        return cls(_PieceIndex.build(geoms, radii), quad_segs, error_m)


def _classify(parts: np.ndarray, ctx: _AreaContext) -> np.ndarray:
    """Return 1 (wholly within reach), 0 (beyond every radius) or -1 (undecided) per part."""
    status = np.full(parts.size, -1, dtype=np.int8)
    beyond_all = np.ones(parts.size, dtype=bool)
    for group in ctx.index.groups:
        todo = np.flatnonzero(status != 1)
        if todo.size == 0:
            break
        if group.radius_m == 0:
            beyond_all[todo] = False  # touching is for the exact path
            continue
        sure, maybe = _grid_filter(parts[todo], group.tree, group.radius_m)
        status[todo[sure]] = 1
        beyond = np.ones(todo.size, dtype=bool)
        beyond[sure] = False
        beyond[maybe] = False
        beyond_all[todo[~beyond]] = False
    status[(status != 1) & beyond_all] = 0
    return status


def _quarters(parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split each part into the (non-empty) quarters of its envelope; return parts and owners."""
    env = shapely.bounds(parts)
    mid = (env[:, :2] + env[:, 2:]) / 2.0
    pad = 1.0 + np.maximum(env[:, 2] - env[:, 0], env[:, 3] - env[:, 1])
    x = [env[:, 0] - pad, mid[:, 0], env[:, 2] + pad]
    y = [env[:, 1] - pad, mid[:, 1], env[:, 3] + pad]
    boxes = [shapely.box(x[i], y[j], x[i + 1], y[j + 1]) for i in (0, 1) for j in (0, 1)]
    pieces = np.concatenate([shapely.intersection(parts, b) for b in boxes])
    owner = np.tile(np.arange(parts.size), 4)
    keep = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)
    return pieces[keep], owner[keep]


def _area_tile(
    land: np.ndarray, ctx: _AreaContext
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Return covered m², covered and gap geometries, and area bounds of one tile of land."""
    n = land.size
    # 1. Decide whole polygons, then quarters of the undecided large ones, from grid distances.
    parts, owner = land, np.arange(n)
    decided_parts, decided_owner, decided_full = [], [], []
    exact_parts, exact_owner = [], []
    for depth in range(SPLIT_MAX_DEPTH + 1):
        status = _classify(parts, ctx)
        done = status >= 0
        decided_parts.append(parts[done])
        decided_owner.append(owner[done])
        decided_full.append(status[done] == 1)
        env = shapely.bounds(parts)
        diag = np.hypot(env[:, 2] - env[:, 0], env[:, 3] - env[:, 1])
        split = ~done & (diag > SPLIT_MIN_M) & (depth < SPLIT_MAX_DEPTH)
        stay = ~done & ~split
        exact_parts.append(parts[stay])
        exact_owner.append(owner[stay])
        if not split.any():
            break
        quarter, q_owner = _quarters(parts[split])
        parts, owner = quarter, owner[split][q_owner]
    d_parts, d_owner = np.concatenate(decided_parts), np.concatenate(decided_owner)
    d_full = np.concatenate(decided_full)
    x_parts, x_owner = np.concatenate(exact_parts), np.concatenate(exact_owner)

    # 2. The exact path for the parts the grid could not decide.
    x_m2, x_covered, x_gaps, x_bound = _exact_parts(x_parts, ctx)

    # 3. Back to land polygons: a polygon whose every part is wholly served counts exactly.
    all_parts = np.concatenate([d_parts, x_parts])
    all_owner = np.concatenate([d_owner, x_owner])
    part_area = shapely.area(all_parts)
    part_m2 = np.concatenate([np.where(d_full, part_area[:d_parts.size], 0.0), x_m2])
    part_full = np.concatenate([d_full, x_m2 >= part_area[d_parts.size:]])
    part_none = np.concatenate([~d_full, (x_m2 <= 0) & (x_bound <= 0)])
    empty = shapely.Polygon()
    part_cov = np.concatenate([np.where(d_full, d_parts, empty), x_covered])
    part_gap = np.concatenate([np.where(d_full, empty, d_parts), x_gaps])
    n_parts = np.bincount(all_owner, minlength=n)
    all_full = np.bincount(all_owner, weights=part_full, minlength=n) == n_parts
    all_none = np.bincount(all_owner, weights=part_none, minlength=n) == n_parts
    covered_m2 = np.bincount(all_owner, weights=part_m2, minlength=n)
    bound = np.bincount(x_owner, weights=x_bound, minlength=n)
    covered_m2 = np.where(all_full, shapely.area(land), covered_m2)
    covered_m2 = np.minimum(np.where(all_none, 0.0, covered_m2), shapely.area(land))
    covered = np.full(n, shapely.GeometryCollection(), dtype=object)
    gaps = np.full(n, empty, dtype=object)
    covered[all_full] = land[all_full]
    gaps[all_none] = land[all_none]
    whole = n_parts == 1
    single = whole & ~all_full & ~all_none
    first = np.full(n, -1)
    first[all_owner[::-1]] = np.arange(all_owner.size)[::-1]
    covered[single] = part_cov[first[single]]
    gaps[single] = part_gap[first[single]]
    # Land measured in parts keeps them; CoveredArea dissolves them only if asked.
    mixed = np.flatnonzero(~whole & ~all_full & ~all_none)
    in_mixed = np.zeros(n, dtype=bool)
    in_mixed[mixed] = True
    sel = in_mixed[all_owner]
    pending = (mixed, part_cov[sel], all_owner[sel], part_gap[sel], all_owner[sel])
    return covered_m2, covered, gaps, bound, pending


#: Undecided land parts are measured in groups by square cell of this side (m), anchored at
#: whole multiples of it: one local union serves every part of a cell.
EXACT_CELL_M = 100.0
#: Parts whose envelope diagonal is larger than this (m) are measured on their own.
EXACT_PART_MAX_M = 2.0 * SPLIT_MIN_M


def _convex_facilities(geoms: np.ndarray) -> np.ndarray:
    """Return whether each geometry is a point or a convex polygon without holes."""
    type_id = shapely.get_type_id(geoms)
    area = shapely.area(geoms)
    convex = (type_id == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    convex &= shapely.area(shapely.convex_hull(geoms)) - area <= 1e-9 * np.maximum(area, 1.0)
    return np.asarray(convex | (type_id == 0), dtype=bool)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (row, k) for k in range(counts[row]) over all rows (a ragged arange)."""
    row = np.repeat(np.arange(counts.size), counts)
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return row, k


def _all_vertices_within(
    parts: np.ndarray, pair_part: np.ndarray, things: np.ndarray, radii: np.ndarray
) -> np.ndarray:
    """Return, per pair (part, convex thing), whether every vertex of the part is in reach."""
    if pair_part.size == 0:
        return np.zeros(0, dtype=bool)
    coords, c_owner = shapely.get_coordinates(parts, return_index=True)
    counts = np.bincount(c_owner, minlength=parts.size)
    first = np.cumsum(counts) - counts
    pair_of_vertex, k = _expand(counts[pair_part])
    points = shapely.points(coords[first[pair_part][pair_of_vertex] + k])
    ok = shapely.dwithin(points, things[pair_of_vertex], radii[pair_of_vertex])
    per_pair = np.bincount(pair_of_vertex, weights=~ok, minlength=pair_part.size)
    return np.asarray(per_pair == 0, dtype=bool)


def _cells_of(parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group parts by absolute square cell (large parts alone); return boxes and cell of part.

    Each box is the envelope of its cell's parts, so a union over the box serves all of them
    and covers no more ground than they need.
    """
    env = shapely.bounds(parts)
    diag = np.hypot(env[:, 2] - env[:, 0], env[:, 3] - env[:, 1])
    centre = (env[:, :2] + env[:, 2:]) / 2.0
    key = np.floor(centre / EXACT_CELL_M)
    alone = diag > EXACT_PART_MAX_M
    # Large parts get a cell of their own (a key no grid cell has).
    key[alone] = np.column_stack([np.full(alone.sum(), np.inf), np.arange(alone.sum())])
    _, cell = np.unique(key, axis=0, return_inverse=True)
    cell = cell.ravel().astype(np.intp)
    n_cells = int(cell.max()) + 1
    boxes = np.empty((n_cells, 4))
    boxes[:, :2] = np.inf
    boxes[:, 2:] = -np.inf
    np.minimum.at(boxes[:, 0], cell, env[:, 0])
    np.minimum.at(boxes[:, 1], cell, env[:, 1])
    np.maximum.at(boxes[:, 2], cell, env[:, 2])
    np.maximum.at(boxes[:, 3], cell, env[:, 3])
    return boxes, cell


def _served_in_boxes(
    boxes: np.ndarray, ctx: _AreaContext
) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """Return the inscribed served region clipped to each box (padded), and convex things.

    The region is the union of the pieces within reach of the box: facility interiors (indexed
    pieces), point disks, and the rectangles and convex-vertex sectors of the boundary segments
    of those pieces (``served_region``). The things are (box, geometry, radius) arrays of convex
    parts of facilities near the box (points, boundary segments, uncut convex facilities), for
    the vertex test of wholly served parts.
    """
    index = ctx.index
    n_boxes = boxes.shape[0]
    pad_m = max(1.0, 20.0 * ctx.error_m)
    clip = shapely.box(boxes[:, 0] - pad_m, boxes[:, 1] - pad_m, boxes[:, 2] + pad_m,
                       boxes[:, 3] + pad_m)
    query_boxes = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
    region: list[np.ndarray] = []
    region_box: list[np.ndarray] = []
    things: list[tuple[Any, ...]] = []
    for group in index.groups:
        reach = group.radius_m + _PIECE_BAND_M
        b_idx, g_idx = group.tree.query(query_boxes, predicate="dwithin", distance=reach)
        pieces, owner = group.pieces[g_idx], group.owner[g_idx]
        piece_type = shapely.get_type_id(pieces)
        polygonal = piece_type == 3
        region.append(pieces[polygonal])
        region_box.append(b_idx[polygonal])
        is_point = (piece_type == 0) | (piece_type == 4)
        region.append(point_disks(pieces[is_point], np.full(is_point.sum(), group.radius_m),
                                  ctx.quad_segs))
        region_box.append(b_idx[is_point])
        uncut = ~index.cut[owner]
        convex = np.zeros(pieces.size, dtype=bool)
        convex[uncut] = _convex_facilities(pieces[uncut])
        convex |= piece_type == 0
        nan2 = np.full((int(convex.sum()), 2), np.nan)
        things.append((b_idx[convex], pieces[convex], np.full(convex.sum(), group.radius_m),
                       nan2, nan2))
        # Boundary segments of the pieces near each box (cut edges lie inside the facility,
        # so their pieces are inside the served region too).
        uniq, inverse = np.unique(g_idx[~is_point], return_inverse=True)
        segments = boundary_segments(group.pieces[uniq])
        if len(segments) == 0:
            continue
        order = np.argsort(segments.owner, kind="stable")
        counts = np.bincount(segments.owner, minlength=uniq.size)
        starts = np.cumsum(counts) - counts
        pair_box = b_idx[~is_point]
        row, k = _expand(counts[inverse.ravel()])
        seg = order[starts[inverse.ravel()][row] + k]
        seg_box = pair_box[row]
        # Keep the segments whose envelope is within reach of the box (a cheap superset).
        lo = np.minimum(segments.start[seg], segments.end[seg])
        hi = np.maximum(segments.start[seg], segments.end[seg])
        box_of = boxes[seg_box]
        gap_x = np.maximum(0.0, np.maximum(box_of[:, 0] - hi[:, 0], lo[:, 0] - box_of[:, 2]))
        gap_y = np.maximum(0.0, np.maximum(box_of[:, 1] - hi[:, 1], lo[:, 1] - box_of[:, 3]))
        keep = np.hypot(gap_x, gap_y) <= reach
        seg, seg_box = seg[keep], seg_box[keep]
        things.append((seg_box, np.full(seg.size, None, dtype=object),
                       np.full(seg.size, group.radius_m), segments.start[seg], segments.end[seg]))
        # Pieces are drawn only where their envelope can meet the box: the rectangle's corners
        # bound it exactly; a convex vertex's sector lies within its disk's envelope.
        radius = group.radius_m
        box_of = boxes[seg_box]
        offset = radius * segments.normal[seg]
        corners = np.stack([segments.start[seg], segments.end[seg],
                            segments.start[seg] + offset, segments.end[seg] + offset])
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        rect_meets = _envelopes_meet(lo, hi, box_of, pad_m)
        end = segments.end[seg]
        sector_meets = (segments.turn_rad[seg] > 0) & _envelopes_meet(
            end - radius, end + radius, box_of, pad_m)
        use = rect_meets | sector_meets
        seg, seg_box = seg[use], seg_box[use]
        used, used_inverse = np.unique(seg, return_inverse=True)
        seg_pieces, of_seg = segment_pieces(segments.take(used),
                                            np.full(used.size, radius), ctx.quad_segs)
        p_order = np.argsort(of_seg, kind="stable")
        p_counts = np.bincount(of_seg, minlength=used.size)
        p_starts = np.cumsum(p_counts) - p_counts
        row, k = _expand(p_counts[used_inverse.ravel()])
        region.append(seg_pieces[p_order[p_starts[used_inverse.ravel()][row] + k]])
        region_box.append(seg_box[row])
    if not region:
        return np.full(n_boxes, shapely.GeometryCollection(), dtype=object), things
    region_geoms = np.concatenate(region)
    region_of = np.concatenate(region_box).astype(np.intp)
    # Only the pieces that meet their (padded) box are clipped and unioned: first by envelope,
    # then by the exact predicate.
    env = shapely.bounds(region_geoms)
    meets = _envelopes_meet(env[:, :2], env[:, 2:], boxes[region_of], pad_m)
    region_geoms, region_of = region_geoms[meets], region_of[meets]
    meets = shapely.intersects(region_geoms, clip[region_of])
    region_geoms, region_of = region_geoms[meets], region_of[meets]
    clipped = shapely.intersection(region_geoms, clip[region_of])
    return _drop_slivers(_grouped_union(clipped, region_of, n_boxes)), things


#: Holes smaller than this (m²) in a union of served pieces are rounding slivers where pieces
#: meet along shared edges, not places out of reach: they are closed.
SLIVER_M2 = 1e-6


def _drop_slivers(geoms: np.ndarray) -> np.ndarray:
    """Return the geometries with interior rings smaller than ``SLIVER_M2`` removed."""
    out = np.asarray(geoms, dtype=object).copy()
    if out.size == 0:
        return out
    for i in np.flatnonzero(shapely.get_num_interior_rings(out) > 0):
        out[i] = _without_slivers(out[i])
    for i in np.flatnonzero(shapely.get_type_id(out) == 6):
        parts = shapely.get_parts(out[i])
        if (shapely.get_num_interior_rings(parts) > 0).any():
            out[i] = shapely.multipolygons([_without_slivers(p) for p in parts])
    return out


def _without_slivers(polygon: Any) -> Any:
    if shapely.get_type_id(polygon) != 3:
        return polygon
    holes = [ring for ring in polygon.interiors if shapely.Polygon(ring).area >= SLIVER_M2]
    if len(holes) == len(polygon.interiors):
        return polygon
    return shapely.Polygon(polygon.exterior, holes)


def _envelopes_meet(lo: np.ndarray, hi: np.ndarray, boxes: np.ndarray, pad_m: float) -> np.ndarray:
    """Return whether envelopes [lo, hi] meet boxes (x0, y0, x1, y1) grown by ``pad_m``."""
    return np.asarray(
        (lo[:, 0] <= boxes[:, 2] + pad_m) & (hi[:, 0] >= boxes[:, 0] - pad_m)
        & (lo[:, 1] <= boxes[:, 3] + pad_m) & (hi[:, 1] >= boxes[:, 1] - pad_m), dtype=bool)


def _exact_parts(
    parts: np.ndarray, ctx: _AreaContext
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return covered m², covered and gap geometries, and bounds of parts near the served edge."""
    m = parts.size
    m2 = np.zeros(m)
    empty = shapely.Polygon()
    covered = np.full(m, empty, dtype=object)
    gaps = parts.copy()
    bound = np.zeros(m)
    if m == 0:
        return m2, covered, gaps, bound
    boxes, cell = _cells_of(parts)
    served_box, things = _served_in_boxes(boxes, ctx)
    served = served_box[cell]
    part_m2 = shapely.area(parts)
    whole = shapely.contains(served, parts)
    m2[whole] = part_m2[whole]
    covered[whole] = parts[whole]
    gaps[whole] = empty
    edge = np.flatnonzero(~whole)
    served_edge = served[edge]
    inter = shapely.intersection(parts[edge], served_edge)
    covered[edge] = inter
    gaps[edge] = shapely.difference(parts[edge], served_edge)
    m2[edge] = np.minimum(shapely.area(inter), part_m2[edge])
    # First-order bound: the true region exceeds the inscribed pieces only within `error_m` of
    # their boundary, so the missing area is at most error_m x the length of that boundary near
    # the part (its envelope grown by error_m).
    e = ctx.error_m
    env = shapely.bounds(parts[edge])
    near_box = shapely.box(env[:, 0] - e, env[:, 1] - e, env[:, 2] + e, env[:, 3] + e)
    lengths = shapely.length(shapely.intersection(shapely.boundary(served_edge), near_box))
    bound[edge] = e * np.nan_to_num(lengths)  # NaN = no edge
    # Parts that may be wholly served (missing no more than their bound): wholly served exactly
    # when every vertex is within reach of one convex part of a facility (distance to a convex
    # set is convex, so its maximum over the part is at a vertex).
    maybe = edge[m2[edge] + bound[edge] >= part_m2[edge] * (1.0 - 1e-12)]
    if maybe.size and things:
        cell_things = np.concatenate([t[0] for t in things]).astype(np.intp)
        thing_geoms = np.concatenate([t[1] for t in things])
        thing_radii = np.concatenate([t[2] for t in things])
        thing_start = np.concatenate([t[3] for t in things])
        thing_end = np.concatenate([t[4] for t in things])
        order = np.argsort(cell_things, kind="stable")
        counts = np.bincount(cell_things, minlength=boxes.shape[0])
        starts = np.cumsum(counts) - counts
        row, k = _expand(counts[cell[maybe]])
        pair_thing = order[starts[cell[maybe]][row] + k]
        pair_part = maybe[row]
        # Segments become two-point lines only here, for the few parts that need the test.
        seg_pairs = np.flatnonzero(thing_geoms[pair_thing] == None)  # noqa: E711
        thing_geoms = thing_geoms.copy()
        lines_needed = np.unique(pair_thing[seg_pairs])
        thing_geoms[lines_needed] = shapely.linestrings(
            np.stack([thing_start[lines_needed], thing_end[lines_needed]], axis=1))
        # Necessary: the part's centroid is within reach too (a convex combination).
        ok = shapely.dwithin(shapely.centroid(parts[pair_part]), thing_geoms[pair_thing],
                             thing_radii[pair_thing])
        pair_part, pair_thing = pair_part[ok], pair_thing[ok]
        full = _all_vertices_within(parts, pair_part, thing_geoms[pair_thing],
                                    thing_radii[pair_thing])
        wholly = np.unique(pair_part[full])
        m2[wholly] = part_m2[wholly]
        covered[wholly] = parts[wholly]
        gaps[wholly] = empty
        bound[wholly] = 0.0
    return m2, covered, gaps, bound


def marginal_area(
    land: Geoms,
    facilities: Geoms,
    radius_m: float | Sequence[float] | np.ndarray,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    quad_segs: int | None = None,
) -> np.ndarray:
    """Return, per facility, the land area (m²) within its radius and no other facility's.

    中文：各设施的边际贡献（仅由该设施覆盖的居住用地面积）。

    Parameters
    ----------
    land, facilities, radius_m, tolerance_m, quad_segs
        As for :func:`covered_area`.

    Returns
    -------
    numpy.ndarray
        Aligned with ``facilities``; 0 for facilities that do not count (NaN radius).

    Examples
    --------
    Two 100 m point-disks 100 m apart over a large square: each covers its own lune alone.

    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> land = gpd.GeoSeries([box(-1000, -1000, 1000, 1000)], crs=4548)
    >>> pts = gpd.GeoSeries([Point(0, 0), Point(100, 0)], crs=4548)
    >>> lune = math.pi * 100**2 - 2 * (100**2 * math.acos(0.5) - 50 * math.sqrt(100**2 - 50**2))
    >>> bool(np.allclose(marginal_area(land, pts, 100.0), lune, rtol=1e-3))
    True
    """
    _check(land, facilities, what_t="land", what_f="facilities")
    land_geoms, facility_geoms = _geoms(land), _geoms(facilities)
    radii = _radii(radius_m, facility_geoms.size)
    out = np.zeros(facility_geoms.size)
    usable = ~(shapely.is_missing(facility_geoms) | shapely.is_empty(facility_geoms))
    usable &= ~np.isnan(radii)
    land_geoms = land_geoms[~(shapely.is_missing(land_geoms) | shapely.is_empty(land_geoms))]
    if not usable.any() or land_geoms.size == 0:
        return out
    pos = np.flatnonzero(usable)
    q = quad_segs or quad_segs_for_tolerance(max(float(radii[pos].max()), 1.0), tolerance_m)
    parts, owners = _region_pieces(facility_geoms[pos], radii[pos], q)
    buffers = _grouped_union(parts, owners, pos.size)
    # Per land polygon, the served parts of the facilities reaching it; a facility's own part
    # is its part minus the union of the others', which come from prefix and suffix unions
    # (3k unions for k facilities instead of k^2), level by level across all land polygons.
    l_idx, f_idx = shapely.STRtree(buffers).query(land_geoms, predicate="intersects")
    if l_idx.size == 0:
        return out
    order = np.lexsort((f_idx, l_idx))
    l_idx, f_idx = l_idx[order], f_idx[order]
    pieces = shapely.intersection(land_geoms[l_idx], buffers[f_idx])
    # A land polygon that two facilities each serve wholly is nobody's own; one that a single
    # facility serves wholly is that facility's own, less what the others serve.
    land_m2 = shapely.area(land_geoms)
    whole = shapely.area(pieces) >= land_m2[l_idx] * (1.0 - 1e-12)
    n_whole = np.bincount(l_idx, weights=whole, minlength=land_geoms.size)
    single = (n_whole == 1)[l_idx]
    if single.any():
        rest = single & ~whole
        owner_of = np.full(land_geoms.size, -1)
        owner_of[l_idx[single & whole]] = f_idx[single & whole]
        lands = np.flatnonzero(n_whole == 1)
        renumber = np.full(land_geoms.size, -1)
        renumber[lands] = np.arange(lands.size)
        served_by_others = _grouped_union(pieces[rest], renumber[l_idx[rest]], lands.size)
        own = shapely.area(shapely.difference(land_geoms[lands], served_by_others))
        np.add.at(out, pos[owner_of[lands]], own)
    keep = (n_whole == 0)[l_idx]
    l_idx, f_idx, pieces = l_idx[keep], f_idx[keep], pieces[keep]
    if l_idx.size == 0:
        return out
    starts = np.flatnonzero(np.r_[True, l_idx[1:] != l_idx[:-1]])
    counts = np.diff(np.r_[starts, l_idx.size])
    column = np.arange(l_idx.size) - np.repeat(starts, counts)
    width = int(counts.max())
    empty = shapely.Polygon()
    grid = np.full((starts.size, width), empty, dtype=object)
    row = np.repeat(np.arange(starts.size), counts)
    grid[row, column] = pieces
    prefix = grid.copy()
    suffix = grid.copy()
    for j in range(1, width):
        prefix[:, j] = shapely.union(prefix[:, j - 1], grid[:, j])
        suffix[:, width - 1 - j] = shapely.union(suffix[:, width - j], grid[:, width - 1 - j])
    before = np.column_stack([np.full(starts.size, empty, dtype=object), prefix[:, :-1]])
    after = np.column_stack([suffix[:, 1:], np.full(starts.size, empty, dtype=object)])
    others = shapely.union(before[row, column], after[row, column])
    only = shapely.difference(pieces, others)
    out[pos] += np.bincount(f_idx, weights=shapely.area(only), minlength=pos.size)
    return out


def _unit_table(
    unit_frame: gpd.GeoDataFrame,
    land_geoms: np.ndarray,
    covered_geoms: np.ndarray,
    threshold_met: Any,
    land_bound_m2: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return residential / covered m² per unit (街道/社区) from per-parcel geometries.

    A unit's ``error_bound_m2`` is the area bound of every land polygon that touches it (a
    polygon split between units counts whole in each: an upper bound). ``met_within_error_bound``
    marks a unit below its threshold whose figure plus its bound reaches it: a verdict inside
    the error bound, not a bare failure.
    """
    unit_geoms = _geoms(unit_frame)
    n = unit_geoms.size
    tree = shapely.STRtree(unit_geoms)

    def per_unit(geoms: np.ndarray) -> np.ndarray:
        g_idx, u_idx = tree.query(geoms, predicate="intersects")
        areas = shapely.area(shapely.intersection(geoms[g_idx], unit_geoms[u_idx]))
        return np.bincount(u_idx, weights=areas, minlength=n)

    res_m2, cov_m2 = per_unit(land_geoms), per_unit(covered_geoms)
    bound: np.ndarray = np.zeros(n)
    if land_bound_m2 is not None and land_geoms.size:
        g_idx, u_idx = tree.query(land_geoms, predicate="intersects")
        bound = np.bincount(u_idx, weights=land_bound_m2[g_idx], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe_res = np.where(res_m2 > 0, res_m2, 1.0)
        share = np.where(res_m2 > 0, cov_m2 / safe_res, np.nan)
        upper = np.where(res_m2 > 0, np.minimum(1.0, (cov_m2 + bound) / safe_res), np.nan)
    met = [None if np.isnan(s) else bool(threshold_met(s)) for s in share]
    within = [m is False and bool(threshold_met(u)) for m, u in zip(met, upper, strict=True)]
    ids = unit_frame["id"] if "id" in unit_frame else pd.Series(unit_frame.index)
    names = unit_frame["name"] if "name" in unit_frame else pd.Series([None] * n)
    return pd.DataFrame({
        "unit_id": np.asarray(ids, dtype=object),
        "unit_name": np.asarray(names, dtype=object),
        "residential_m2": res_m2,
        "covered_m2": cov_m2,
        "share": share,
        "threshold_met": met,
        "error_bound_m2": bound,
        "met_within_error_bound": within,
    })


@dataclass(frozen=True)
class CoverageReport:
    """Everything :func:`park_coverage` measures.

    中文：公园绿地服务半径覆盖率报告。

    Attributes
    ----------
    rule
        The rule applied (after any radius override).
    area_type
        The area type whose threshold is the headline (``"overall"``...).
    share
        Covered share of residential land area (the standard figure); None without land.
    residential_m2, covered_m2, area_error_bound_m2
        Totals within the district; the true covered area lies in
        ``[covered_m2, covered_m2 + area_error_bound_m2]``.
    threshold_met
        Whether ``share`` meets the rule's threshold for ``area_type``.
    by_area_type
        One row per area type present plus ``"overall"``: residential_m2, covered_m2, share,
        threshold, met (None where the rule states no threshold).
    building_share, buildings_total, buildings_covered
        Extra: residential buildings whose footprint is within the radius (exact distance);
        None without a building layer.
    population_share, population_source
        Extra: population-weighted share (from buildings' or residential land's population).
    augmented_share, augmented_covered_m2
        Pocket-park-augmented figure (口袋公园计入), None unless pocket gardens were given.
    per_unit
        Per unit layer name (``"subdistrict"``, ``"community"``): unit table.
    gaps
        Uncovered residential land (one row per parcel with a gap).
    parks
        The parks with ``counted``, ``radius_m`` and ``marginal_m2`` (land covered only by it).
    service_areas
        Display-only buffers of the counted parks.
    details
        The remaining figures, JSON-serialisable.
    """

    rule: CoverageRule
    area_type: str
    share: float | None
    residential_m2: float
    covered_m2: float
    area_error_bound_m2: float
    threshold_met: bool | None
    by_area_type: pd.DataFrame
    building_share: float | None
    buildings_total: int
    buildings_covered: int
    population_share: float | None
    population_source: str | None
    augmented_share: float | None
    augmented_covered_m2: float | None
    per_unit: Mapping[str, pd.DataFrame]
    gaps: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame
    details: Mapping[str, Any] = field(default_factory=dict)


def area_type_shares(
    land_m2: np.ndarray, covered_m2: np.ndarray, area_types: np.ndarray, rule: Any,
    area_type: str,
) -> tuple[float | None, pd.DataFrame, float | None]:
    """Return (overall share, per-area-type table, headline share) of covered residential land.

    中文：按片区类型（新区/旧区等）汇总居住用地覆盖率。

    The table has one row for ``overall`` and one per area type (``residential_m2``,
    ``covered_m2``, ``share``, the rule's ``threshold`` and whether it is ``met``); the headline
    is the overall share, or the share of ``area_type`` when one is named. Used by park coverage
    and by its tiled run (:mod:`tanmap.geo.halo_tiles`), so both sum the same way.
    """
    n = len(land_m2)
    total_m2, cov_total = float(land_m2.sum()), float(covered_m2.sum())
    share = cov_total / total_m2 if total_m2 > 0 else None
    rows = []
    for kind in ["overall", *sorted(set(area_types.tolist()))]:
        sel = np.ones(n, bool) if kind == "overall" else area_types == kind
        res_k, cov_k = float(land_m2[sel].sum()), float(covered_m2[sel].sum())
        share_k = cov_k / res_k if res_k > 0 else None
        thr = rule.thresholds.get(kind)
        rows.append({
            "area_type": kind, "residential_m2": res_k, "covered_m2": cov_k, "share": share_k,
            "threshold": None if thr is None else str(thr),
            "met": None if thr is None or share_k is None else thr.met(share_k),
        })
    by_area_type = pd.DataFrame(rows)
    if area_type == "overall":
        return share, by_area_type, share
    match = by_area_type.loc[by_area_type["area_type"] == area_type, "share"]
    return share, by_area_type, (None if match.empty or pd.isna(match.iloc[0])
                                 else float(match.iloc[0]))


def _park_radii(
    parks: gpd.GeoDataFrame, rule: CoverageRule, area_type: str | None, radius_m: float | None
) -> np.ndarray:
    """Return each park's radius under ``rule`` (NaN = not counted)."""
    if "park_class" not in parks.columns:
        raise ValueError(
            "parks have no 'park_class' column; the rule counts parks by class "
            f"({', '.join(rule.park_classes)}). Add the GB/T 51346-2019 class of each park "
            "(G11 综合公园, G12 社区公园, G13 专类公园, G14 游园, G3 广场...)."
        )
    classes = parks["park_class"].astype(object).to_numpy()
    counted = np.isin(classes, np.asarray(rule.park_classes, dtype=object))
    radii = rule.radius_for_area(shapely.area(_geoms(parks)), area_type)
    if radius_m is not None:
        radii = np.where(np.isnan(radii), np.nan, radius_m)
    return np.where(counted, radii, np.nan)


def park_coverage(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    rule: CoverageRule | str = "gbt51346_2019",
    buildings: gpd.GeoDataFrame | None = None,
    population_col: str = "population",
    pocket_gardens: gpd.GeoDataFrame | None = None,
    pocket_radius_m: float = POCKET_GARDEN_RADIUS_M,
    units: Mapping[str, gpd.GeoDataFrame] | None = None,
    district: BaseGeometry | None = None,
    area_type: str = "overall",
    radius_m: float | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    building_test: BuildingTest = "footprint",
    building_entrances: gpd.GeoDataFrame | None = None,
) -> CoverageReport:
    """Measure park service-radius coverage of residential land under a rule set.

    中文：公园绿地服务半径覆盖率（按居住用地面积；附建筑数、人口加权及口袋公园计入口径）。

    Parameters
    ----------
    residential
        Residential land (居住用地) polygons in the planning CRS; optional ``area_type``
        (``old_city``/``new_area``/``historic``/``other``) and ``population_col`` columns.
    parks
        Parks and squares (公园绿地与广场) with ``park_class``, same CRS. Their size (m²) is
        their polygon area (holes excluded); distance is from the polygon boundary. Parks
        outside the district count: load a margin of neighbours.
    rule
        A :class:`CoverageRule` or a built-in rule id.
    buildings
        Optional buildings; those with ``use_category == "residential"`` (all, if the column is
        absent) whose representative point lies in the district give the building-count and
        (with ``population_col``) population-weighted extras. A building is covered when its
        footprint is within the radius of a counted park (exact polygon-to-polygon distance).
        Buildings use the rule's default tiers.
    population_col
        Population column of buildings (preferred) or residential land.
    pocket_gardens
        Optional pocket gardens (口袋公园) for the pocket-park-augmented figure, each serving
        ``pocket_radius_m`` regardless of size.
    pocket_radius_m
        Pocket-garden radius (m), default 300 m [verify].
    units
        Unit layers by name (``{"subdistrict": ..., "community": ...}``) with ``id``/``name``.
    district
        District boundary (planning CRS); clips the residential land (not the parks). None = no
        clipping.
    area_type
        Which threshold is the headline: ``"overall"`` (whole district) or an area type.
    radius_m
        Override every tier's radius (parks below the smallest tier still do not count).
    tolerance_m
        Radial tolerance of the area computation (see module docstring).
    building_test
        Which geometry of a building is tested for the building extras: ``"footprint"``
        (default), ``"centroid"`` or ``"entrance"`` (any of its entrances within the radius;
        see :mod:`tanmap.geo.building_geometry`). Which buildings are counted (residential,
        inside the district) does not depend on it.
    building_entrances
        Entrance points with ``building_id`` (the ``building_entrance`` layer), for
        ``building_test="entrance"``.

    Returns
    -------
    CoverageReport

    Raises
    ------
    CoverageRuleError
        For an unknown rule id or an area type the rule has no threshold for.
    ValueError
        If parks lack ``park_class`` or a radius is invalid.
    GeographicCRSError, MissingCRSError, CRSMismatchError
        If the inputs are not in one projected CRS.
    """
    rule = get_rule(rule) if isinstance(rule, str) else rule
    headline_threshold = rule.threshold(area_type)
    _check(residential, parks, what_t="residential", what_f="parks")
    if radius_m is not None and not radius_m > 0:
        raise ValueError(f"radius_m override must be > 0 metres, got {radius_m!r}.")
    land = _geoms(residential)
    if district is not None:
        land = shapely.intersection(land, district)
    area_types = (residential["area_type"].astype(object).fillna("other").to_numpy()
                  if "area_type" in residential.columns else np.full(land.size, "other", object))

    # Parcels whose area type has its own tiers (国家园林城市 historic districts) are measured with
    # those; the others with the default tiers.
    groups: dict[str | None, np.ndarray] = {}
    special = np.isin(area_types, np.asarray(list(rule.area_type_tiers), dtype=object))
    groups[None] = np.flatnonzero(~special)
    for key in rule.area_type_tiers:
        groups[key] = np.flatnonzero(area_types == key)

    n = land.size
    covered_m2 = np.zeros(n)
    covered_geoms = np.full(n, shapely.GeometryCollection(), dtype=object)
    gap_geoms = land.copy()
    marginal = np.zeros(len(parks))
    bound_m2 = 0.0
    land_bound_m2 = np.zeros(n)
    max_error_m = 0.0
    quad_segs = 0
    land_m2 = shapely.area(np.where(shapely.is_missing(land), shapely.Polygon(), land))
    default_radii = _park_radii(parks, rule, None, radius_m)
    for tier_key, idx in groups.items():
        if idx.size == 0:
            continue
        radii = (default_radii if tier_key is None
                 else _park_radii(parks, rule, tier_key, radius_m))
        sub = gpd.GeoSeries(land[idx], crs=residential.crs)
        res = covered_area(sub, parks, radii, tolerance_m=tolerance_m)
        covered_m2[idx], covered_geoms[idx], gap_geoms[idx] = res.covered_m2, res.covered, res.gaps
        bound_m2 += res.area_error_bound_m2
        if res.bound_m2 is not None:
            land_bound_m2[idx] = res.bound_m2
        max_error_m = max(max_error_m, res.max_radial_error_m)
        quad_segs = max(quad_segs, res.quad_segs)
        marginal += marginal_area(sub, parks, radii, tolerance_m=tolerance_m)

    total_m2, cov_total = float(land_m2.sum()), float(covered_m2.sum())
    _, by_area_type, headline_share = area_type_shares(land_m2, covered_m2, area_types, rule,
                                                       area_type)
    threshold_met = None if headline_share is None else headline_threshold.met(headline_share)

    # Extras: building count and population (labelled as such in details).
    building_share: float | None = None
    population_share: float | None = None
    population_source: str | None = None
    b_total = b_cov = 0
    b_without_entrance = e_unmatched = 0
    if buildings is not None:
        _check(buildings, parks, what_t="buildings", what_f="parks")
        homes = buildings
        if "use_category" in homes.columns:
            homes = homes[homes["use_category"].astype(object) == "residential"]
        if district is not None:
            inside = shapely.covered_by(shapely.point_on_surface(_geoms(homes)), district)
            homes = homes[inside]
        tests = building_test_geometries(homes, building_test, building_entrances)
        served = covered_mask(tests.geometry, parks, default_radii)
        b_without_entrance, e_unmatched = tests.without_entrance, tests.entrances_unmatched
        b_total, b_cov = len(homes), int(served.sum())
        building_share = b_cov / b_total if b_total else None
        if population_col in homes.columns:
            pop = homes[population_col].astype(float).fillna(0.0).to_numpy()
            if pop.sum() > 0:
                population_share = float(pop[served].sum() / pop.sum())
                population_source = "building"
    if population_source is None and population_col in residential.columns:
        pop = residential[population_col].astype(float).fillna(0.0).to_numpy()
        full_m2 = shapely.area(_geoms(residential))
        with np.errstate(invalid="ignore", divide="ignore"):
            # Population is assumed uniform within each parcel (area-proportional).
            safe_m2 = np.where(full_m2 > 0, full_m2, 1.0)
            in_district = np.where(full_m2 > 0, pop * land_m2 / safe_m2, 0.0)
            served_pop = np.where(land_m2 > 0, in_district * covered_m2 / np.where(
                land_m2 > 0, land_m2, 1), 0)
        if in_district.sum() > 0:
            population_share = float(served_pop.sum() / in_district.sum())
            population_source = "residential_land"

    augmented_share = augmented_m2 = None
    if pocket_gardens is not None:
        _check(residential, pocket_gardens, what_t="residential", what_f="pocket_gardens")
        both = gpd.GeoSeries(
            np.concatenate([_geoms(parks), _geoms(pocket_gardens)]), crs=parks.crs
        )
        radii = np.concatenate([default_radii, np.full(len(pocket_gardens), pocket_radius_m)])
        aug = covered_area(gpd.GeoSeries(land, crs=residential.crs), both, radii,
                           tolerance_m=tolerance_m)
        augmented_m2 = float(aug.covered_m2.sum())
        augmented_share = augmented_m2 / total_m2 if total_m2 > 0 else None

    per_unit = {
        name: _unit_table(frame, land, covered_geoms, headline_threshold.met, land_bound_m2)
        for name, frame in (units or {}).items()
    }

    gap_m2 = shapely.area(gap_geoms)
    has_gap = gap_m2 > 0
    gaps = gpd.GeoDataFrame(
        {
            "residential_id": np.asarray(residential.get("id", residential.index),
                                         dtype=object)[has_gap],
            "area_type": area_types[has_gap],
            "gap_m2": gap_m2[has_gap],
        },
        geometry=gap_geoms[has_gap], crs=residential.crs,
    )
    park_table = gpd.GeoDataFrame(
        {
            "park_id": np.asarray(parks.get("id", parks.index), dtype=object),
            "park_class": parks["park_class"].astype(object).to_numpy(),
            "area_m2": shapely.area(_geoms(parks)),
            "counted": ~np.isnan(default_radii),
            "radius_m": default_radii,
            "marginal_m2": marginal,
        },
        geometry=_geoms(parks), crs=parks.crs,
    )
    counted = ~np.isnan(default_radii)
    areas = gpd.GeoDataFrame(
        {"park_id": park_table["park_id"].to_numpy()[counted], "radius_m": default_radii[counted]},
        geometry=np.asarray(service_areas(parks[counted], default_radii[counted]).array),
        crs=parks.crs,
    )
    details = {
        "residential_m2": total_m2,
        "covered_m2": cov_total,
        "uncovered_m2": total_m2 - cov_total,
        "area_error_bound_m2": bound_m2,
        "max_radial_error_m": max_error_m,
        "quad_segs": quad_segs,
        "area_type": area_type,
        "threshold": str(headline_threshold),
        "threshold_met": threshold_met,
        "parks_counted": int(counted.sum()),
        "parks_not_counted": int((~counted).sum()),
        "by_area_type": by_area_type.to_dict(orient="records"),
        "extra_building_share": building_share,
        "extra_buildings_total": b_total,
        "extra_buildings_covered": b_cov,
        "extra_building_test": building_test,
        "extra_buildings_without_entrance": b_without_entrance,
        "extra_entrances_unmatched": e_unmatched,
        "extra_population_share": population_share,
        "extra_population_source": population_source,
        "pocket_augmented_share": augmented_share,
        "pocket_augmented_covered_m2": augmented_m2,
        "pocket_radius_m": pocket_radius_m if pocket_gardens is not None else None,
        "rule_verify": list(rule.verify),
    }
    return CoverageReport(
        rule=rule, area_type=area_type, share=headline_share, residential_m2=total_m2,
        covered_m2=cov_total, area_error_bound_m2=bound_m2, threshold_met=threshold_met,
        by_area_type=by_area_type, building_share=building_share, buildings_total=b_total,
        buildings_covered=b_cov, population_share=population_share,
        population_source=population_source, augmented_share=augmented_share,
        augmented_covered_m2=augmented_m2, per_unit=per_unit, gaps=gaps, parks=park_table,
        service_areas=areas, details=details,
    )


@dataclass(frozen=True)
class FacilityCoverage:
    """Result of :func:`facility_coverage`.

    中文：设施服务半径覆盖结果。
    """

    share: float | None
    covered_m2: float
    total_m2: float
    area_error_bound_m2: float
    gaps: gpd.GeoDataFrame


def facility_coverage(
    targets: gpd.GeoDataFrame | gpd.GeoSeries | None,
    facilities: Geoms,
    radius_m: float,
    *,
    zone: BaseGeometry | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> FacilityCoverage:
    """Return the share of land (or of a zone) within ``radius_m`` of any facility.

    中文：设施服务半径覆盖率（公交站点500米、回收点、充电设施等）。

    Parameters
    ----------
    targets
        Land polygons forming the denominator (e.g. residential land); None to use ``zone``.
    facilities
        Facility geometries (bus stops, recycling points, charging stations...), same CRS.
    radius_m
        Service radius (m).
    zone
        Optional area: clips ``targets``, or is the denominator itself when ``targets`` is None.
    tolerance_m
        Radial tolerance of the area computation.

    Raises
    ------
    ValueError
        If neither ``targets`` nor ``zone`` is given, or the radius is invalid.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point, box
    >>> stops = gpd.GeoSeries([Point(0, 0)], crs=4548)
    >>> land = gpd.GeoSeries([box(0, 0, 10, 10), box(1000, 0, 1010, 10)], crs=4548)
    >>> facility_coverage(land, stops, 500.0).share
    0.5
    """
    if targets is None:
        if zone is None:
            raise ValueError(
                "facility_coverage needs targets (land polygons) or a zone polygon as the "
                "denominator; pass zone=<district polygon> to measure the district's area."
            )
        targets = gpd.GeoSeries([zone], crs=facilities.crs)
        zone = None
    land = _geoms(targets)
    if zone is not None:
        land = shapely.intersection(land, zone)
    land_series = gpd.GeoSeries(land, crs=targets.crs)
    res = covered_area(land_series, facilities, radius_m, tolerance_m=tolerance_m)
    gap_m2 = shapely.area(res.gaps)
    keep = gap_m2 > 0
    gaps = gpd.GeoDataFrame({"gap_m2": gap_m2[keep]}, geometry=res.gaps[keep], crs=targets.crs)
    return FacilityCoverage(res.share, float(res.covered_m2.sum()), float(res.land_m2.sum()),
                            res.area_error_bound_m2, gaps)


# --- metric definitions --------------------------------------------------------------------------

@dataclass(frozen=True)
class ParkCoverageParams:
    """Parameters of the ``park_coverage`` metric.

    中文：公园绿地服务半径覆盖率参数。

    ``rule`` is a built-in rule id or a user rule as a mapping (name, version, citation,
    park_classes, tiers, thresholds ...; see :func:`tanmap.geo.rules.rule_from_mapping`); a
    mapping is validated and kept in its normalised form, so the result's parameters carry the
    whole rule that was applied.
    """

    rule: str | dict[str, Any] = "gbt51346_2019"
    radius_m: float | None = None
    include_pocket_gardens: bool = False
    pocket_radius_m: float = POCKET_GARDEN_RADIUS_M
    area_type: str = "overall"
    weight: Literal["area", "buildings", "population"] = "area"
    building_test: Literal["footprint", "centroid", "entrance"] = "footprint"

    def __post_init__(self) -> None:
        problems = []
        if self.building_test not in BUILDING_TESTS:
            problems.append(f"building_test {self.building_test!r} is not one of "
                            f"{list(BUILDING_TESTS)}")
        if isinstance(self.rule, str):
            if self.rule not in BUILTIN_RULES:
                problems.append(f"rule {self.rule!r} is not one of {sorted(BUILTIN_RULES)}; "
                                "or give a user rule (a mapping, e.g. from --rule-file)")
        else:
            # CoverageRuleError (a ValueError) lists every problem of the user rule.
            object.__setattr__(self, "rule", get_rule(self.rule).to_mapping())
        if self.radius_m is not None and not self.radius_m > 0:
            problems.append(f"radius_m must be > 0 metres, got {self.radius_m!r}")
        if not self.pocket_radius_m > 0:
            problems.append(f"pocket_radius_m must be > 0 metres, got {self.pocket_radius_m!r}")
        if self.area_type not in AREA_TYPES:
            problems.append(f"area_type {self.area_type!r} is not one of {list(AREA_TYPES)}")
        if problems:
            raise ValueError("; ".join(problems))

    def coverage_rule(self) -> CoverageRule:
        """Return the rule these parameters name (built-in or user)."""
        return get_rule(self.rule)

    @property
    def entrance_kind(self) -> str | None:
        """Return the entrance layer kind the ``"entrance"`` building test needs, else None."""
        return "building_entrance" if self.building_test == "entrance" else None

    @property
    def required_margin_m(self) -> float:
        """Return how far beyond the district parks must be loaded: the largest radius used."""
        radii = [self.coverage_rule().max_radius_m, self.radius_m or 0.0]
        if self.include_pocket_gardens:
            radii.append(self.pocket_radius_m)
        return max(radii)


@dataclass(frozen=True)
class FacilityCoverageParams:
    """Parameters of the ``facility_coverage`` metric.

    中文：设施服务半径覆盖率参数。
    """

    kind: str = "bus_stop"
    radius_m: float = 500.0
    statuses: tuple[str, ...] = BUILT_STATUSES
    denominator: Literal["residential_land", "district"] = "residential_land"
    #: Restrict to the planning zone of this ``zone_type`` (e.g. ``central_urban`` for a clause
    #: on the 中心城区); None: the whole district.
    zone_type: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in FACILITY_KINDS:
            problems.append(f"kind {self.kind!r} is not one of {list(FACILITY_KINDS)}")
        if not self.radius_m > 0:
            problems.append(f"radius_m must be > 0 metres, got {self.radius_m!r}")
        if problems:
            raise ValueError("; ".join(problems))


def _by_status(frame: gpd.GeoDataFrame, statuses: Sequence[str]) -> gpd.GeoDataFrame:
    """Keep features whose status is in ``statuses`` (a null status counts as existing)."""
    if "status" not in frame.columns:
        return frame
    status = frame["status"].astype(object).fillna("existing")
    return frame[status.isin(list(statuses)).to_numpy()]


def _units(context: MetricContext) -> dict[str, gpd.GeoDataFrame]:
    return {k: v for k, v in context.units.items() if v is not None and len(v)}


def _rule_summary(rule: CoverageRule) -> dict[str, Any]:
    """Return what a card shows of the rule: id, name, version, citation, source, tiers."""
    return {
        "id": rule.id, "name": rule.title_zh, "name_en": rule.title_en, "version": rule.version,
        "citation": rule.clause, "source": rule.source,
        "tiers": [str(t) for t in rule.tiers],
        "thresholds": {k: str(t) for k, t in rule.thresholds.items()},
    }


def _compute_park_coverage(
    frames: Mapping[str, gpd.GeoDataFrame], params: ParkCoverageParams, context: MetricContext
) -> MetricResult:
    rule = params.coverage_rule()
    report = park_coverage(
        frames["residential_land"], frames["park"], rule=rule,
        buildings=frames.get("building"),
        pocket_gardens=frames.get("pocket_garden") if params.include_pocket_gardens else None,
        pocket_radius_m=params.pocket_radius_m, units=_units(context),
        district=context.district, area_type=params.area_type, radius_m=params.radius_m,
        building_test=params.building_test, building_entrances=frames.get("building_entrance"),
    )
    missing: tuple[str, ...] = ()
    value: float | None
    if params.weight == "area":
        value = report.share
    elif params.weight == "buildings":
        value = report.building_share
        missing = () if "building" in frames else ("building",)
    else:
        value = report.population_share
        missing = () if report.population_source else ("population",)
    if params.include_pocket_gardens and "pocket_garden" not in frames:
        missing = (*missing, "pocket_garden")
    tables = [t.assign(unit_kind=name) for name, t in report.per_unit.items()]
    per_unit = pd.concat(tables, ignore_index=True) if tables else None
    details = {**report.details, "rule": _rule_summary(rule)}
    return MetricResult(
        name="park_coverage", value=value, unit="share", params=params_to_dict(params),
        rule=rule.citation, details=details, per_unit=per_unit,
        layers={"gaps": report.gaps, "service_areas": report.service_areas}, missing=missing,
    )


def _compute_facility_coverage(
    frames: Mapping[str, gpd.GeoDataFrame], params: FacilityCoverageParams, context: MetricContext
) -> MetricResult:
    needed = [params.kind] + (["residential_land"] if params.denominator == "residential_land"
                              else [])
    missing = tuple(k for k in needed if k not in frames)
    zone = context.district
    if params.zone_type is not None and not missing:
        zone = zone_geometry(frames.get("planning_zone"), params.zone_type, context.district)
        if zone is None:
            missing = (f"planning_zone.zone_type={params.zone_type}",)
    if missing or zone is None:
        return MetricResult(name="facility_coverage", value=None, unit="share",
                            params=params_to_dict(params), missing=missing)
    facilities = _by_status(frames[params.kind], params.statuses)
    targets = frames["residential_land"] if params.denominator == "residential_land" else None
    result = facility_coverage(targets, facilities, params.radius_m, zone=zone)
    layers = {
        "gaps": result.gaps,
        "service_areas": gpd.GeoDataFrame(
            geometry=service_areas(facilities, params.radius_m), crs=facilities.crs
        ),
    }
    return MetricResult(
        name="facility_coverage", value=result.share, unit="share", params=params_to_dict(params),
        rule=f"service radius {params.radius_m:g} m (tanmap rule v1)",
        details={"covered_m2": result.covered_m2, "total_m2": result.total_m2,
                 "area_error_bound_m2": result.area_error_bound_m2,
                 "facilities": len(facilities)},
        layers=layers,
    )


METRIC_DEFS: tuple[MetricDef, ...] = (
    MetricDef(
        name="park_coverage", zh="公园绿地服务半径覆盖率", en="Park service-radius coverage",
        inputs=("residential_land", "park"), params=ParkCoverageParams,
        compute=_compute_park_coverage, unit="share",
        optional_inputs=("pocket_garden", "building"),
        margin_m=max(r.max_radius_m for r in BUILTIN_RULES.values()),
        param_inputs=("entrance_kind",),
    ),
    MetricDef(
        name="facility_coverage", zh="设施服务半径覆盖率", en="Facility service-radius coverage",
        inputs=(), params=FacilityCoverageParams, compute=_compute_facility_coverage,
        unit="share", optional_inputs=("residential_land", "planning_zone"),
        margin_m=FACILITY_MARGIN_M,
        param_inputs=("kind",),
    ),
)
