"""Park coverage by walking distance on the street network (步行可达覆盖率), beside the radius.

The standards' figure is a straight radius from the park boundary (``park_coverage``). Here
the same rule's distance is walked: from park access points (entrances from data, else where
the network meets the park boundary, else the nearest network point: the ParkServe
convention) along the ``walk_network`` edges, by one multi-source Dijkstra with the cut-off
(:mod:`tanmap.geo.walking`). Both figures are computed on the same land and buildings, so the
difference is what streets, rivers and railways take away ("radius-only" land).

Method, per target:

* **buildings** (residential, inside the district): joined to their nearest edge at the
  nearest point of the footprint; served when network distance + that off-network leg <= the
  park's distance (inclusive). Legs are reported (mean, max).
* **residential land** (``land_method="nearest_edge"``, default): the same rule as buildings,
  on a grid of ``cell_m`` cells (absolute grid, clipped to each parcel): a cell counts when its
  representative point, joined to *its* nearest edge, is within the distance. Land across a
  river joins its own bank's streets, so it is not reached over the water. An estimate at the
  cell resolution (cells along the edge of the reached region count whole or not at all).
* ``land_method="along_streets"``: land within ``min(max_off_network_m, walk left)`` of a
  reached piece of street (pieces of at most ``piece_m``), measured with the exact
  ``covered_area`` kernel: a lower bound of the land a walker reaches leaving the street
  anywhere; a river narrower than ``max_off_network_m`` does not stop that leg (limit).

Per-park distances (a rule's size tiers) are walked in one search: an access point of a park
with distance ``r`` starts ``R - r`` into the walk (``R`` the largest), so one cut-off ``R``
serves every tier exactly. Parcels with their own area-type tiers use the default tiers here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.geo.coverage import covered_area, covered_mask
from tanmap.geo.metric import MetricContext, MetricDef, MetricResult, params_to_dict
from tanmap.geo.rules import AREA_TYPES, BUILTIN_RULES, CoverageRule, get_rule
from tanmap.geo.walking import (
    NetworkAttachment,
    attach,
    entrance_parks,
    graph_arrays,
    park_access_points,
    reached_lines,
    reached_pieces,
    service_area,
    walking_reach,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_CELL_M",
    "DEFAULT_MAX_OFF_NETWORK_M",
    "DEFAULT_PIECE_M",
    "DEFAULT_SERVICE_WIDTH_M",
    "LAND_METHODS",
    "METRIC_DEFS",
    "ParkWalkCoverageParams",
    "WalkCoverageReport",
    "park_walk_coverage",
]

#: Longest off-network leg (m) for land: half of a 300 m residential block (小区), so a
#: block's interior counts from the streets around it but land across a river does not.
DEFAULT_MAX_OFF_NETWORK_M = 150.0
#: Length (m) of the street pieces land is measured from (error along a street <= this).
DEFAULT_PIECE_M = 25.0
#: Half-width (m) of the drawn walking service area around reached streets (display only).
DEFAULT_SERVICE_WIDTH_M = 25.0
#: Grid cell (m) of the nearest-edge land figure: a residential block is 100-300 m, so 10 m
#: cells resolve it while a 10 km² district stays ~10^5 cells.
DEFAULT_CELL_M = 10.0
#: Land methods (see the module docstring).
LAND_METHODS: tuple[str, ...] = ("nearest_edge", "along_streets")


@dataclass(frozen=True)
class ParkWalkCoverageParams:
    """Parameters of the ``park_walk_coverage`` metric.

    中文：公园绿地步行可达覆盖率参数。
    """

    rule: str | dict[str, Any] = "gbt51346_2019"
    radius_m: float | None = None
    area_type: str = "overall"
    weight: Literal["area", "buildings", "population"] = "area"
    max_off_network_m: float = DEFAULT_MAX_OFF_NETWORK_M
    piece_m: float = DEFAULT_PIECE_M
    service_width_m: float = DEFAULT_SERVICE_WIDTH_M
    land_method: Literal["nearest_edge", "along_streets"] = "nearest_edge"
    cell_m: float = DEFAULT_CELL_M

    def __post_init__(self) -> None:
        problems = []
        if self.land_method not in LAND_METHODS:
            problems.append(f"land_method {self.land_method!r} is not one of {list(LAND_METHODS)}")
        if isinstance(self.rule, str):
            if self.rule not in BUILTIN_RULES:
                problems.append(f"rule {self.rule!r} is not one of {sorted(BUILTIN_RULES)}")
        else:
            object.__setattr__(self, "rule", get_rule(self.rule).to_mapping())
        if self.radius_m is not None and not self.radius_m > 0:
            problems.append(f"radius_m must be > 0 metres, got {self.radius_m!r}")
        for name in ("max_off_network_m", "piece_m", "cell_m"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                problems.append(f"{name} must be a finite number > 0 metres, got {value!r}")
        if not self.service_width_m >= 0:
            problems.append(f"service_width_m must be >= 0 metres, got {self.service_width_m!r}")
        if self.area_type not in AREA_TYPES:
            problems.append(f"area_type {self.area_type!r} is not one of {list(AREA_TYPES)}")
        if self.weight not in ("area", "buildings", "population"):
            problems.append(f"weight {self.weight!r} is not one of area, buildings, population")
        if problems:
            raise ValueError("; ".join(problems))

    def coverage_rule(self) -> CoverageRule:
        """Return the rule these parameters name."""
        return get_rule(self.rule)

    @property
    def required_margin_m(self) -> float:
        """Return how far beyond the district parks and streets must be loaded."""
        return max(self.coverage_rule().max_radius_m, self.radius_m or 0.0)


@dataclass(frozen=True)
class WalkCoverageReport:
    """Walking and straight-radius coverage of one district under one rule.

    Attributes
    ----------
    details
        Figures (m², counts, shares for both measures, legs, access points by origin).
    per_unit
        Per 街道/社区 table (unit_kind, unit_id, unit_name, residential_m2, radius_m2,
        walk_m2, radius_share, walk_share).
    layers
        ``radius_only`` (land the radius counts but walking does not), ``walk_service_areas``
        (reached streets buffered), ``access_points`` (with ``origin``), ``buildings_walk``
        (residential buildings with ``walk_remaining_m``, ``off_network_m``, both verdicts).
    """

    land_share_walk: float | None
    land_share_radius: float | None
    building_share_walk: float | None
    building_share_radius: float | None
    population_share_walk: float | None
    population_share_radius: float | None
    details: dict[str, Any]
    per_unit: pd.DataFrame | None
    layers: dict[str, gpd.GeoDataFrame]


def _gs(geoms: np.ndarray, crs: Any) -> gpd.GeoSeries:
    return gpd.GeoSeries(geoms, crs=crs)


def _land_cells(land: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut land into the cells of an absolute ``cell_m`` grid (clipped); return cells, parcel."""
    ok = ~shapely.is_empty(land)
    b = shapely.bounds(land)
    x0 = np.floor(np.where(ok, b[:, 0], 0) / cell_m) * cell_m
    y0 = np.floor(np.where(ok, b[:, 1], 0) / cell_m) * cell_m
    nx = np.where(ok, np.ceil((np.where(ok, b[:, 2], 0) - x0) / cell_m), 0).astype(np.int64)
    ny = np.where(ok, np.ceil((np.where(ok, b[:, 3], 0) - y0) / cell_m), 0).astype(np.int64)
    nx, ny = np.maximum(nx, ok.astype(np.int64)), np.maximum(ny, ok.astype(np.int64))
    counts = nx * ny
    parcel = np.repeat(np.arange(land.size), counts)
    k = np.arange(parcel.size) - np.repeat(np.cumsum(counts) - counts, counts)
    ix, iy = k % nx[parcel], k // nx[parcel]
    xs, ys = x0[parcel] + ix * cell_m, y0[parcel] + iy * cell_m
    boxes = shapely.box(xs, ys, xs + cell_m, ys + cell_m)
    shapely.prepare(land)
    inside = shapely.contains_properly(land[parcel], boxes)
    cells = boxes.copy()
    edge = ~inside
    cells[edge] = shapely.intersection(boxes[edge], land[parcel[edge]])
    keep = shapely.area(cells) > 0
    return cells[keep], parcel[keep]


def _cells_by_parcel(cells: np.ndarray, parcel: np.ndarray, n: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Area (m²) and union of the served cells of each parcel (cells tile it: no overlaps)."""
    area_m2 = np.bincount(parcel, weights=shapely.area(cells), minlength=n)
    geoms = np.full(n, shapely.Polygon(), dtype=object)
    order = np.argsort(parcel, kind="stable")
    bounds = np.searchsorted(parcel[order], np.arange(n + 1))
    for i in np.flatnonzero(np.diff(bounds)):
        part = cells[order[bounds[i]:bounds[i + 1]]]
        geoms[i] = shapely.coverage_union_all(part) if part.size > 1 else part[0]
    return area_m2, geoms


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def _per_unit(units: Mapping[str, gpd.GeoDataFrame], land: np.ndarray, radius: np.ndarray,
              walk: np.ndarray, homes: np.ndarray | None = None,
              home_walk: np.ndarray | None = None, home_radius: np.ndarray | None = None,
              ) -> pd.DataFrame | None:
    tables = []
    points = shapely.point_on_surface(homes) if homes is not None else None
    for kind, frame in units.items():
        ug = frame.geometry.to_numpy()
        tree = shapely.STRtree(ug)

        def per(geoms: np.ndarray, tree: Any = tree, ug: np.ndarray = ug) -> np.ndarray:
            gi, ui = tree.query(geoms, predicate="intersects")
            areas = shapely.area(shapely.intersection(geoms[gi], ug[ui]))
            return np.bincount(ui, weights=areas, minlength=ug.size)

        res, rad, wlk = per(land), per(radius), per(walk)
        safe = np.where(res > 0, res, 1.0)
        counts: dict[str, np.ndarray] = {}
        if points is not None and home_walk is not None and home_radius is not None:
            pi, ui = tree.query(points, predicate="within")
            counts = {
                "buildings": np.bincount(ui, minlength=ug.size),
                "buildings_walk": np.bincount(ui, weights=home_walk[pi], minlength=ug.size
                                              ).astype(np.int64),
                "buildings_radius": np.bincount(ui, weights=home_radius[pi], minlength=ug.size
                                                ).astype(np.int64),
            }
        tables.append(pd.DataFrame({
            "unit_kind": kind,
            "unit_id": frame["id"].astype(object).to_numpy() if "id" in frame else np.arange(
                ug.size),
            "unit_name": frame["name"].astype(object).to_numpy() if "name" in frame else None,
            "residential_m2": res, "radius_m2": rad, "walk_m2": wlk,
            "radius_share": np.where(res > 0, rad / safe, np.nan),
            "walk_share": np.where(res > 0, wlk / safe, np.nan),
            **counts,
        }))
    return pd.concat(tables, ignore_index=True) if tables else None


def park_walk_coverage(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    *,
    rule: CoverageRule | str = "gbt51346_2019",
    entrances: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    population_col: str = "population",
    district: shapely.Geometry | None = None,
    units: Mapping[str, gpd.GeoDataFrame] | None = None,
    radius_m: float | None = None,
    max_off_network_m: float = DEFAULT_MAX_OFF_NETWORK_M,
    piece_m: float = DEFAULT_PIECE_M,
    service_width_m: float = DEFAULT_SERVICE_WIDTH_M,
    land_method: str = "nearest_edge",
    cell_m: float = DEFAULT_CELL_M,
) -> WalkCoverageReport:
    """Measure park coverage by walking distance, beside the straight radius of the same rule.

    中文：公园绿地步行可达覆盖率（与服务半径口径并列，含“仅半径覆盖”差异图层）。

    Parameters
    ----------
    residential
        Residential land polygons (planning CRS).
    parks
        Parks with ``park_class`` (and ``id``), same CRS.
    edges
        ``walk_network`` edges, same CRS (``walkable`` False edges are left out).
    rule
        Coverage rule: which parks count and each one's distance (its radius, walked).
    entrances
        Park entrances (``park_id`` = park ``id``; else the park within 1 m), or None.
    buildings
        Buildings (``use_category == "residential"`` counted; all without the column).
    population_col
        Population column of buildings.
    district
        District polygon; land is clipped to it and buildings counted by representative point.
    units
        街道/社区 polygons by kind, with ``id``/``name``.
    radius_m
        One distance for every counted park instead of the rule's tiers.
    max_off_network_m, piece_m, service_width_m, land_method, cell_m
        See the module docstring.

    Raises
    ------
    ValueError
        If parks lack ``park_class``.
    GeographicCRSError, CRSMismatchError
        If the inputs are not in one projected CRS.
    """
    from tanmap.geo.crs import require_projected

    rule = get_rule(rule) if isinstance(rule, str) else rule
    crs = require_projected(residential, what="residential land")
    for frame, what in ((parks, "parks"), (edges, "walk_network")):
        if require_projected(frame, what=what) != crs:
            from tanmap.geo.errors import CRSMismatchError

            raise CRSMismatchError(f"{what} are in {frame.crs}, residential land in {crs}")
    if "park_class" not in parks.columns:
        raise ValueError("parks have no 'park_class' column; the rule counts parks by class "
                         f"({', '.join(rule.park_classes)}).")
    park_geoms = parks.geometry.to_numpy()
    counted = np.isin(parks["park_class"].astype(object).to_numpy(),
                      np.asarray(rule.park_classes, dtype=object))
    radii = rule.radius_for_area(shapely.area(park_geoms), None)
    if radius_m is not None:
        radii = np.where(np.isnan(radii), np.nan, radius_m)
    radii = np.where(counted, radii, np.nan)
    use = np.flatnonzero(~np.isnan(radii))
    parks_used, radii_used = parks.iloc[use], radii[use]
    big_r = float(radii_used.max()) if use.size else 0.0

    land = residential.geometry.to_numpy()
    if district is not None:
        land = shapely.intersection(land, district)
    land = np.where(shapely.is_missing(land), shapely.Polygon(), land)
    land_m2 = shapely.area(land)

    def col(name: str) -> np.ndarray | None:
        return edges[name].astype(object).to_numpy() if name in edges.columns else None

    net = graph_arrays(edges.geometry.to_numpy(), col("from_node"), col("to_node"),
                       col("walkable"))
    # Entrances: to counted parks by park_id, else the park they lie on (within 1 m).
    ent_geoms = ent_park = None
    if entrances is not None and len(entrances) and use.size:
        ent_geoms = entrances.geometry.to_numpy()
        ent_park = entrance_parks(
            ent_geoms,
            entrances["park_id"].tolist() if "park_id" in entrances.columns else None,
            parks_used.geometry.to_numpy(),
            parks_used["id"].tolist() if "id" in parks_used.columns else None)
    ap = park_access_points(parks_used.geometry.to_numpy(), net.lines, net.length_m,
                            ent_geoms, ent_park)
    # Smaller-distance parks start the walk R - r in: one search, one cut-off, exact per tier.
    walk_ap = replace(ap, gap_m=ap.gap_m + (big_r - radii_used[ap.park]))

    # Buildings.
    homes = buildings if buildings is not None else None
    b_walk = b_radius = np.zeros(0, dtype=bool)
    legs = np.zeros(0)
    homes_layer = None
    if homes is not None:
        if "use_category" in homes.columns:
            homes = homes[homes["use_category"].astype(object) == "residential"]
        if district is not None and len(homes):
            homes = homes[shapely.covered_by(shapely.point_on_surface(homes.geometry.to_numpy()),
                                             district)]
        hg = homes.geometry.to_numpy()
        b_radius = (covered_mask(_gs(hg, crs), parks_used.geometry, radii_used)
                    if use.size and hg.size else np.zeros(hg.size, dtype=bool))
        at = attach(hg, net.lines, net.length_m)
        legs = at.gap_m
    else:
        at = attach(np.zeros(0, dtype=object), net.lines, net.length_m)
    n_homes_at = at.edge.size
    cells = cell_parcel = np.zeros(0, dtype=object)
    if land_method == "nearest_edge" and use.size and land.size:
        cells, cell_parcel = _land_cells(land, cell_m)
        cell_at = attach(shapely.point_on_surface(cells), net.lines, net.length_m)
        at = NetworkAttachment(*(np.concatenate([getattr(at, f), getattr(cell_at, f)])
                                 for f in ("edge", "offset_m", "gap_m", "point")))
    # One search for buildings and land cells together.
    reach = walking_reach(net.from_node, net.to_node, net.length_m, net.n_nodes, walk_ap, at,
                          big_r)
    cell_walk = np.isfinite(reach.distance_m[n_homes_at:])
    if homes is not None:
        b_walk = np.isfinite(reach.distance_m[:n_homes_at])
        homes_layer = homes[["id"]].copy() if "id" in homes.columns else homes.iloc[:, :0].copy()
        homes_layer = gpd.GeoDataFrame(homes_layer, geometry=homes.geometry.to_numpy(), crs=crs)
        homes_layer["walk_remaining_m"] = np.where(
            b_walk, big_r - reach.distance_m[:n_homes_at], np.nan)
        homes_layer["off_network_m"] = legs
        homes_layer["served_walk"] = b_walk
        homes_layer["served_radius"] = b_radius

    # Land: straight radius vs walk (reached pieces, each with its walk left).
    if use.size and land.size:
        radius_area = covered_area(_gs(land, crs), parks_used.geometry, radii_used)
        pieces, left = (reached_pieces(net.lines, net.length_m, reach, piece_m)
                        if land_method == "along_streets" else (np.zeros(0, dtype=object),
                                                                np.zeros(0)))
        reach_m = np.minimum(left, max_off_network_m)
        keep = reach_m > 0
        pieces, reach_m = pieces[keep], reach_m[keep]
        if land_method == "nearest_edge":
            walk_m2, walk_geoms = _cells_by_parcel(cells[cell_walk], cell_parcel[cell_walk],
                                                   land.size)
            walk_bound = 0.0
        elif pieces.size:
            walk_area = covered_area(_gs(land, crs), _gs(pieces, crs), reach_m)
            walk_m2, walk_geoms = walk_area.covered_m2, walk_area.covered
            walk_bound = walk_area.area_error_bound_m2
        else:
            walk_m2 = np.zeros(land.size)
            walk_geoms = np.full(land.size, shapely.Polygon(), dtype=object)
            walk_bound = 0.0
        radius_m2, radius_geoms = radius_area.covered_m2, radius_area.covered
        radius_bound = radius_area.area_error_bound_m2
    else:
        walk_m2 = radius_m2 = np.zeros(land.size)
        walk_geoms = radius_geoms = np.full(land.size, shapely.Polygon(), dtype=object)
        walk_bound = radius_bound = 0.0
        pieces = np.zeros(0, dtype=object)
    # Walking can never serve land the radius does not (access points lie on or by the parks);
    # the walk figure is taken inside the radius figure so bounds of the two cannot cross.
    walk_geoms = shapely.intersection(walk_geoms, radius_geoms)
    walk_m2 = np.minimum(shapely.area(walk_geoms), walk_m2)
    gap_geoms = shapely.difference(radius_geoms, walk_geoms)

    total_m2 = float(land_m2.sum())
    pop_walk = pop_radius = None
    if homes is not None and population_col in homes.columns:
        pop = homes[population_col].astype(float).fillna(0.0).to_numpy()
        if pop.sum() > 0:
            pop_walk = float(pop[b_walk].sum() / pop.sum())
            pop_radius = float(pop[b_radius].sum() / pop.sum())
    n_homes = int(b_walk.size)
    origins = pd.Series(ap.origin, dtype=object).value_counts().to_dict() if ap.origin.size \
        else {}
    finite_legs = legs[np.isfinite(legs)]
    details: dict[str, Any] = {
        "residential_m2": total_m2,
        "walk_covered_m2": float(walk_m2.sum()),
        "radius_covered_m2": float(radius_m2.sum()),
        "radius_only_m2": float(radius_m2.sum() - walk_m2.sum()),
        "walk_share": _share(float(walk_m2.sum()), total_m2),
        "radius_share": _share(float(radius_m2.sum()), total_m2),
        "area_error_bound_m2": radius_bound + walk_bound,
        "buildings": n_homes,
        "buildings_walk": int(b_walk.sum()),
        "buildings_radius": int(b_radius.sum()),
        "building_share_walk": _share(float(b_walk.sum()), n_homes),
        "building_share_radius": _share(float(b_radius.sum()), n_homes),
        "population_share_walk": pop_walk,
        "population_share_radius": pop_radius,
        "off_network_mean_m": float(finite_legs.mean()) if finite_legs.size else None,
        "off_network_max_m": float(finite_legs.max()) if finite_legs.size else None,
        "buildings_off_network": int((~np.isfinite(legs)).sum()),
        "parks_counted": int(use.size),
        "access_points": int(ap.park.size),
        "access_points_by_origin": {str(k): int(v) for k, v in origins.items()},
        "walk_network_edges": int(net.lines.size),
        "max_walk_m": big_r,
        "land_method": land_method,
        "cell_m": cell_m if land_method == "nearest_edge" else None,
        "max_off_network_m": max_off_network_m if land_method == "along_streets" else None,
        "piece_m": piece_m if land_method == "along_streets" else None,
        "method": ("multi-source Dijkstra on the walk_network (scipy.sparse.csgraph, cut-off = "
                   "the rule's distance); buildings: nearest-edge leg added; land: "
                   + (f"{cell_m:g} m cells, nearest-edge leg added" if land_method ==
                      "nearest_edge" else f"within min({max_off_network_m:g} m, walk left) of "
                      f"reached {piece_m:g} m pieces")),
    }
    stretches, _ = reached_lines(net.lines, net.length_m, reach)
    layers = {
        "radius_only": gpd.GeoDataFrame(
            {"radius_only_m2": shapely.area(gap_geoms)},
            geometry=gpd.GeoSeries(gap_geoms, crs=crs), crs=crs,
        ).loc[lambda f: f["radius_only_m2"] > 0.01].reset_index(drop=True),
        "walk_service_areas": gpd.GeoDataFrame(
            {"width_m": [service_width_m]},
            geometry=gpd.GeoSeries([service_area(stretches, service_width_m)], crs=crs),
            crs=crs),
        "access_points": gpd.GeoDataFrame(
            {"park_id": (parks_used["id"].astype(str).to_numpy()[ap.park]
                         if "id" in parks_used.columns else ap.park),
             "origin": ap.origin, "gap_m": ap.gap_m,
             "walk_m": radii_used[ap.park] if ap.park.size else np.zeros(0)},
            geometry=gpd.GeoSeries(ap.geometry, crs=crs), crs=crs),
    }
    if homes_layer is not None:
        layers["buildings_walk"] = homes_layer
    return WalkCoverageReport(
        land_share_walk=details["walk_share"], land_share_radius=details["radius_share"],
        building_share_walk=details["building_share_walk"],
        building_share_radius=details["building_share_radius"],
        population_share_walk=pop_walk, population_share_radius=pop_radius,
        details=details,
        per_unit=_per_unit(units or {}, land, radius_geoms, walk_geoms,
                           None if homes is None else homes.geometry.to_numpy(),
                           b_walk.astype(float), b_radius.astype(float)),
        layers=layers,
    )


def _compute(frames: Mapping[str, gpd.GeoDataFrame], params: ParkWalkCoverageParams,
             context: MetricContext) -> MetricResult:
    rule = params.coverage_rule()
    units = {k: v for k, v in context.units.items() if v is not None and len(v)}
    report = park_walk_coverage(
        frames["residential_land"], frames["park"], frames["walk_network"], rule=rule,
        entrances=frames.get("park_entrance"), buildings=frames.get("building"),
        district=context.district, units=units, radius_m=params.radius_m,
        max_off_network_m=params.max_off_network_m, piece_m=params.piece_m,
        service_width_m=params.service_width_m, land_method=params.land_method,
        cell_m=params.cell_m,
    )
    missing: tuple[str, ...] = ()
    value: float | None = report.land_share_walk
    if params.weight == "buildings":
        value = report.building_share_walk
        missing = () if "building" in frames else ("building",)
    elif params.weight == "population":
        value = report.population_share_walk
        missing = () if value is not None else ("population",)
    threshold = rule.thresholds.get(params.area_type)
    details = {**report.details, "threshold": None if threshold is None else str(threshold),
               "threshold_met": (None if threshold is None or value is None
                                 else threshold.met(value)),
               "rule": {"id": rule.id, "name": rule.title_zh, "version": rule.version,
                        "citation": rule.clause}}
    return MetricResult(
        name="park_walk_coverage", value=value, unit="share", params=params_to_dict(params),
        rule=f"{rule.citation}; walked on the street network", details=details,
        per_unit=report.per_unit, layers=report.layers, missing=missing,
    )


METRIC_DEFS: tuple[MetricDef, ...] = (
    MetricDef(
        name="park_walk_coverage", zh="公园绿地步行可达覆盖率",
        en="Park coverage by walking distance",
        inputs=("residential_land", "park", "walk_network"), params=ParkWalkCoverageParams,
        compute=_compute, unit="share", optional_inputs=("building", "park_entrance"),
        margin_m=max(r.max_radius_m for r in BUILTIN_RULES.values()),
    ),
)
