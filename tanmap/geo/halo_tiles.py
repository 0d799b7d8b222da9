"""Park coverage of a very large district in spatial tiles with a halo (分块计算，含缓冲带).

A district too large for one task is cut into square tiles. Every land parcel and every building
belongs to exactly one tile, the one holding its representative point (``point_on_surface``, which
lies inside the feature, unlike a centroid); a tile's parks are every park whose envelope meets
the envelope of the tile's own features grown by the halo, the largest service radius in use plus
:data:`HALO_PAD_M`. A park within the radius of a feature is therefore always among its tile's
parks, so each tile decides its own features exactly as the whole district would
(:func:`tanmap.geo.coverage.covered_area` and :func:`~tanmap.geo.coverage.covered_mask` decide
each feature on its own). :func:`park_tile` returns per-feature figures; :func:`reduce_park_tiles`
puts them back in the district's feature order and sums them there, so the district's figures are
the same, bit for bit, as :func:`tanmap.geo.coverage.park_coverage` gives in one piece.

Everything here is a pure function of in-memory data (no I/O): a Dask worker receives a
:class:`ParkTile` and returns a :class:`ParkTileResult` (``tanmap.layers.scaleout``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from tanmap.geo.building_geometry import building_test_geometries
from tanmap.geo.coverage import (
    DEFAULT_TOLERANCE_M,
    _park_radii,
    area_type_shares,
    covered_area,
    covered_mask,
)
from tanmap.geo.crs import require_projected

if TYPE_CHECKING:
    import pandas as pd
    from shapely.geometry.base import BaseGeometry

    from tanmap.geo.rules import CoverageRule

__all__ = [
    "HALO_PAD_M",
    "TILED_BUILDING_TESTS",
    "ParkTile",
    "ParkTileResult",
    "park_tile",
    "park_tiles",
    "reduce_park_tiles",
    "tile_keys",
]

#: Added to the largest service radius to make the halo: parks a little beyond reach are carried
#: along, so every park any kernel might look at near a feature is in its tile (m).
HALO_PAD_M = 50.0
#: Building tests the tiled path supports (an entrance test needs the entrance layer per tile).
TILED_BUILDING_TESTS: tuple[str, ...] = ("footprint", "centroid")


def tile_keys(geoms: np.ndarray, tile_m: float) -> np.ndarray:
    """Return each geometry's tile: the ``tile_m`` square holding its representative point.

    中文：按代表点划分分块（每个要素只属于一个分块）。

    Tiles are anchored at the CRS origin, so the tiling does not depend on which features are
    present. Empty or missing geometries go to tile ``(0, 0)``.

    Examples
    --------
    >>> from shapely import box
    >>> tile_keys(np.array([box(0, 0, 10, 10), box(990, 0, 1010, 10)]), 1000.0).tolist()
    [[0, 0], [1, 0]]
    """
    if not tile_m > 0:
        raise ValueError(f"tile_m must be > 0 metres, got {tile_m!r}")
    points = shapely.point_on_surface(geoms)
    xy = np.zeros((geoms.size, 2))
    ok = ~(shapely.is_missing(points) | shapely.is_empty(points))
    if ok.any():
        xy[ok] = shapely.get_coordinates(points[ok])
    return np.floor(xy / tile_m).astype(np.int64)


@dataclass(frozen=True)
class ParkTile:
    """One tile's inputs: its own land and buildings, the parks of its halo.

    中文：一个分块的输入（本块居住用地与建筑，及缓冲带内的公园）。

    ``land_pos`` and ``building_pos`` are the positions of the tile's features in the district's
    frames; the geometries are in the planning CRS (metres).
    """

    key: tuple[int, int]
    land_pos: np.ndarray
    land: gpd.GeoDataFrame
    building_pos: np.ndarray
    buildings: gpd.GeoDataFrame | None
    parks: gpd.GeoDataFrame
    district: BaseGeometry | None
    rule: CoverageRule
    radius_m: float | None
    building_test: str
    tolerance_m: float


@dataclass(frozen=True)
class ParkTileResult:
    """Per-feature figures of one tile, keyed by the features' positions in the district.

    中文：分块计算结果（逐要素）。
    """

    land_pos: np.ndarray
    land_m2: np.ndarray
    full_m2: np.ndarray
    covered_m2: np.ndarray
    building_pos: np.ndarray
    counted: np.ndarray
    served: np.ndarray


def _envelope_meets(bounds: np.ndarray, box: np.ndarray) -> np.ndarray:
    meets: np.ndarray = ~((bounds[:, 2] < box[0]) | (bounds[:, 0] > box[2])
                          | (bounds[:, 3] < box[1]) | (bounds[:, 1] > box[3]))
    return meets


def park_tiles(
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    rule: CoverageRule,
    tile_m: float,
    buildings: gpd.GeoDataFrame | None = None,
    district: BaseGeometry | None = None,
    radius_m: float | None = None,
    building_test: str = "footprint",
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> list[ParkTile]:
    """Cut a district's park-coverage inputs into tiles with a halo.

    中文：将区县公园覆盖率计算的输入划分为带缓冲带的分块。

    Parameters
    ----------
    residential, parks, buildings, district, radius_m, tolerance_m
        As for :func:`tanmap.geo.coverage.park_coverage` (planning CRS, metres).
    rule
        The coverage rule.
    tile_m
        Side of the square tiles (m).
    building_test
        ``"footprint"`` or ``"centroid"``.

    Returns
    -------
    list of ParkTile
        Non-empty tiles, south to north then west to east.

    Raises
    ------
    ValueError
        For an unsupported building test or a non-positive tile size.
    """
    require_projected(residential, what="residential")
    if building_test not in TILED_BUILDING_TESTS:
        raise ValueError(f"the tiled path supports building_test {list(TILED_BUILDING_TESTS)}, "
                         f"not {building_test!r}; run the district untiled")
    land = np.asarray(residential.geometry.array, dtype=object)
    keys = [tile_keys(land, tile_m)]
    homes = (np.asarray(buildings.geometry.array, dtype=object) if buildings is not None
             else np.empty(0, dtype=object))
    keys.append(tile_keys(homes, tile_m))
    all_keys = np.unique(np.concatenate([k for k in keys if len(k)]).reshape(-1, 2), axis=0)
    all_keys = all_keys[np.lexsort((all_keys[:, 0], all_keys[:, 1]))]
    radii = _park_radii(parks, rule, None, radius_m)
    tiered = [_park_radii(parks, rule, t, radius_m) for t in rule.area_type_tiers]
    finite = [r[np.isfinite(r)] for r in (radii, *tiered)]
    halo_m = max((float(r.max()) for r in finite if r.size), default=0.0) + HALO_PAD_M
    park_bounds = shapely.bounds(np.asarray(parks.geometry.array, dtype=object))
    land_bounds = shapely.bounds(land)
    home_bounds = shapely.bounds(homes)
    tiles = []
    for kx, ky in all_keys:
        land_pos = np.flatnonzero((keys[0][:, 0] == kx) & (keys[0][:, 1] == ky))
        building_pos = np.flatnonzero((keys[1][:, 0] == kx) & (keys[1][:, 1] == ky))
        own = np.concatenate([land_bounds[land_pos], home_bounds[building_pos]])
        own = own[np.isfinite(own).all(axis=1)]
        if own.size:
            box = np.array([own[:, 0].min() - halo_m, own[:, 1].min() - halo_m,
                            own[:, 2].max() + halo_m, own[:, 3].max() + halo_m])
            park_pos = np.flatnonzero(_envelope_meets(park_bounds, box))
        else:
            park_pos = np.empty(0, dtype=np.int64)
        tiles.append(ParkTile(
            key=(int(kx), int(ky)), land_pos=land_pos, land=residential.iloc[land_pos],
            building_pos=building_pos,
            buildings=None if buildings is None else buildings.iloc[building_pos],
            parks=parks.iloc[park_pos], district=district, rule=rule, radius_m=radius_m,
            building_test=building_test, tolerance_m=tolerance_m,
        ))
    return tiles


def park_tile(tile: ParkTile) -> ParkTileResult:
    """Decide one tile's land and buildings exactly (the work a Dask worker does).

    中文：计算一个分块（逐地块覆盖面积、逐建筑是否覆盖）。
    """
    rule, parks = tile.rule, tile.parks
    land = np.asarray(tile.land.geometry.array, dtype=object)
    full_m2 = shapely.area(land)
    if tile.district is not None:
        land = shapely.intersection(land, tile.district)
    area_types = (tile.land["area_type"].astype(object).fillna("other").to_numpy()
                  if "area_type" in tile.land.columns else np.full(land.size, "other", object))
    land_m2 = shapely.area(np.where(shapely.is_missing(land), shapely.Polygon(), land))
    covered_m2 = np.zeros(land.size)
    special = np.isin(area_types, np.asarray(list(rule.area_type_tiers), dtype=object))
    groups: dict[str | None, np.ndarray] = {None: np.flatnonzero(~special)}
    for key in rule.area_type_tiers:
        groups[key] = np.flatnonzero(area_types == key)
    default_radii = _park_radii(parks, rule, None, tile.radius_m)
    for tier_key, idx in groups.items():
        if idx.size == 0:
            continue
        radii = (default_radii if tier_key is None
                 else _park_radii(parks, rule, tier_key, tile.radius_m))
        sub = gpd.GeoSeries(land[idx], crs=tile.land.crs)
        covered_m2[idx] = covered_area(sub, parks, radii, tolerance_m=tile.tolerance_m).covered_m2

    homes = tile.buildings
    n_b = 0 if homes is None else len(homes)
    counted = np.zeros(n_b, dtype=bool)
    served = np.zeros(n_b, dtype=bool)
    if homes is not None and n_b:
        counted[:] = True
        if "use_category" in homes.columns:
            counted &= (homes["use_category"].astype(object) == "residential").to_numpy()
        if tile.district is not None:
            counted &= shapely.covered_by(
                shapely.point_on_surface(np.asarray(homes.geometry.array, dtype=object)),
                tile.district)
        tests = building_test_geometries(homes[counted], tile.building_test, None)
        served[counted] = covered_mask(tests.geometry, parks, default_radii)
    return ParkTileResult(land_pos=tile.land_pos, land_m2=land_m2, full_m2=full_m2,
                          covered_m2=covered_m2,
                          building_pos=tile.building_pos, counted=counted, served=served)


def reduce_park_tiles(
    results: list[ParkTileResult],
    residential: pd.DataFrame,
    parks: gpd.GeoDataFrame,
    *,
    rule: CoverageRule,
    buildings: pd.DataFrame | None = None,
    area_type: str = "overall",
    radius_m: float | None = None,
    building_test: str = "footprint",
    population_col: str = "population",
) -> dict[str, Any]:
    """Combine the tiles' figures in the district's feature order: the headline park figures.

    中文：汇总各分块结果（按区县要素原顺序求和，结果与整体计算逐位一致）。

    Parameters
    ----------
    results
        One result per tile (any order).
    residential, buildings
        The district's attribute rows (geometry not needed), in the order the tiles refer to.
    parks, rule, area_type, radius_m, building_test, population_col
        As for :func:`tanmap.geo.coverage.park_coverage`.

    Returns
    -------
    dict
        ``share``, ``building_share``, ``population_share`` and the details of
        :func:`~tanmap.geo.coverage.park_coverage` that do not need geometry (``residential_m2``,
        ``covered_m2``, ``by_area_type``, ``extra_buildings_total`` ...), plus ``tiles``.
    """
    n = len(residential)
    land_m2, full_m2, covered_m2 = np.zeros(n), np.zeros(n), np.zeros(n)
    n_b = 0 if buildings is None else len(buildings)
    counted, served = np.zeros(n_b, dtype=bool), np.zeros(n_b, dtype=bool)
    seen = np.zeros(n, dtype=np.int64)
    seen_b = np.zeros(n_b, dtype=np.int64)
    for r in results:
        land_m2[r.land_pos], covered_m2[r.land_pos] = r.land_m2, r.covered_m2
        full_m2[r.land_pos] = r.full_m2
        counted[r.building_pos], served[r.building_pos] = r.counted, r.served
        seen[r.land_pos] += 1
        seen_b[r.building_pos] += 1
    if (seen != 1).any() or (seen_b != 1).any():
        raise ValueError("tiles must cover every feature exactly once "
                         f"(land: {int((seen != 1).sum())}, buildings: "
                         f"{int((seen_b != 1).sum())} features off)")
    area_types = (residential["area_type"].astype(object).fillna("other").to_numpy()
                  if "area_type" in residential.columns else np.full(n, "other", object))
    headline_threshold = rule.threshold(area_type)
    total_m2, cov_total = float(land_m2.sum()), float(covered_m2.sum())
    _, by_area_type, headline = area_type_shares(land_m2, covered_m2, area_types, rule,
                                                 area_type)

    building_share = population_share = population_source = None
    b_total = b_cov = 0
    if buildings is not None:
        homes = buildings[counted]
        hit = served[counted]
        b_total, b_cov = len(homes), int(hit.sum())
        building_share = b_cov / b_total if b_total else None
        if population_col in homes.columns:
            pop = homes[population_col].astype(float).fillna(0.0).to_numpy()
            if pop.sum() > 0:
                population_share = float(pop[hit].sum() / pop.sum())
                population_source = "building"
    if population_source is None and population_col in residential.columns:
        pop = residential[population_col].astype(float).fillna(0.0).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            safe_m2 = np.where(full_m2 > 0, full_m2, 1.0)
            in_district = np.where(full_m2 > 0, pop * land_m2 / safe_m2, 0.0)
            served_pop = np.where(land_m2 > 0, in_district * covered_m2 / np.where(
                land_m2 > 0, land_m2, 1), 0)
        if in_district.sum() > 0:
            population_share = float(served_pop.sum() / in_district.sum())
            population_source = "residential_land"
    counted_parks = ~np.isnan(_park_radii(parks, rule, None, radius_m))
    return {
        "share": headline,
        "building_share": building_share,
        "population_share": population_share,
        "residential_m2": total_m2,
        "covered_m2": cov_total,
        "uncovered_m2": total_m2 - cov_total,
        "area_type": area_type,
        "threshold": str(headline_threshold),
        "threshold_met": None if headline is None else headline_threshold.met(headline),
        "parks_counted": int(counted_parks.sum()),
        "parks_not_counted": int((~counted_parks).sum()),
        "by_area_type": by_area_type.to_dict(orient="records"),
        "extra_building_share": building_share,
        "extra_buildings_total": b_total,
        "extra_buildings_covered": b_cov,
        "extra_building_test": building_test,
        "extra_population_share": population_share,
        "extra_population_source": population_source,
        "tiles": len(results),
    }
