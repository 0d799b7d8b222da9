"""Deterministic synthetic city (示例数据, synthetic) for the coverage benchmark.

A square city of street blocks (pitch 250 m, blocks 220 m). About 60 % of the blocks are residential
land (居住用地); building footprints sit on a 12 x 12 sub-grid of every block (no overlaps); parks
(公园绿地) are clustered so that some residential land stays uncovered; charging stations are
uniform points. Everything is in EPSG:4548 (CGCS2000 3° GK, CM 117°E, Tianjin), so distances are
metres. The same size, seed and park style give the same city, bit for bit.

Park styles (``parks=``):

* ``"realistic"`` (the default): irregular star-shaped parks of 8–40 vertices (concave), 500 m² to
  20 ha; 10 % with a lake (a hole); 5 % multipolygons (a park in two parts); 5 % with a gently
  curved shore of 160–240 vertices (shallow concave vertices: the case where GEOS's buffer
  simplifies its input); and one meandering riverside strip park, 60 m wide, whose bounding box
  spans the whole city (about 8,750 vertices).
* ``"boxes"``: the earlier city (rectangles, 30 % rotated, 10 % with a rectangular hole).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["SIZES", "CitySize", "SyntheticCity", "city_digest", "make_city"]

CRS = "EPSG:4548"
#: False origin near Tianjin's 和平区 in EPSG:4548 (metres).
ORIGIN_X_M, ORIGIN_Y_M = 500_000.0, 4_320_000.0
BLOCK_PITCH_M = 250.0
BLOCK_SIZE_M = 220.0
SUBGRID = 12
BUILDINGS_PER_KM2 = 1600.0
RESIDENTIAL_BLOCK_SHARE = 0.6
PARKS_PER_CLUSTER = 80
CLUSTER_SPREAD_M = 400.0
PARK_CLASSES = np.array(["G11", "G12", "G13", "G14", "G1", "G3"])
PARK_CLASS_P = np.array([0.15, 0.35, 0.1, 0.25, 0.05, 0.1])
OTHER_USES = np.array(["public", "commercial_industrial", "other", "party_gov"])


@dataclass(frozen=True)
class CitySize:
    """Feature counts of one benchmark size."""

    buildings: int
    parks: int
    stations: int


SIZES: dict[str, CitySize] = {
    "tiny": CitySize(2_000, 20, 40),
    "small": CitySize(20_000, 200, 400),
    "medium": CitySize(200_000, 2_000, 4_000),
    "large": CitySize(1_000_000, 10_000, 20_000),
    "xlarge": CitySize(4_000_000, 40_000, 80_000),
}
#: Park styles of :func:`make_city`.
PARK_STYLES = ("realistic", "boxes")
#: Realistic parks: vertex counts, shares with a lake / in two parts / with a curved shore.
STAR_VERTICES = (8, 40)
LAKE_SHARE, MULTI_SHARE, CURVED_SHARE = 0.10, 0.05, 0.05
CURVED_VERTICES = (160, 240)
STRIP_WIDTH_M = 60.0
STRIP_POINTS = 4_376


@dataclass(frozen=True)
class SyntheticCity:
    """The layers of one synthetic city (EPSG:4548)."""

    size: str
    residential: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    district: shapely.Polygon


def make_city(size: str = "small", seed: int = 20231, parks: str = "realistic") -> SyntheticCity:
    """Return the synthetic city of ``size`` (tiny/small/medium/large/xlarge) for ``seed``."""
    if parks not in PARK_STYLES:
        raise ValueError(f"parks must be one of {PARK_STYLES}, got {parks!r}")
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    side_m = np.sqrt(spec.buildings / BUILDINGS_PER_KM2) * 1000.0
    n_side = int(np.ceil(side_m / BLOCK_PITCH_M))
    # Capacity: SUBGRID² cells per block; enlarge the grid until the buildings fit in 70 % of cells.
    while n_side * n_side * SUBGRID * SUBGRID * 0.7 < spec.buildings:
        n_side += 1
    side_m = n_side * BLOCK_PITCH_M
    bx, by = np.meshgrid(np.arange(n_side), np.arange(n_side), indexing="ij")
    bx, by = bx.ravel(), by.ravel()
    x0 = ORIGIN_X_M + bx * BLOCK_PITCH_M
    y0 = ORIGIN_Y_M + by * BLOCK_PITCH_M
    residential_block = rng.random(bx.size) < RESIDENTIAL_BLOCK_SHARE
    centre = ORIGIN_X_M + side_m / 2, ORIGIN_Y_M + side_m / 2
    dist_centre = np.hypot(x0 + BLOCK_SIZE_M / 2 - centre[0], y0 + BLOCK_SIZE_M / 2 - centre[1])
    area_type = np.where(dist_centre < side_m / 4, "old_city", "new_area")

    res_idx = np.flatnonzero(residential_block)
    residential = gpd.GeoDataFrame(
        {
            "id": [f"R{i}" for i in range(res_idx.size)],
            "area_type": area_type[res_idx],
            "population": rng.integers(500, 5000, res_idx.size).astype(float),
        },
        geometry=shapely.box(x0[res_idx], y0[res_idx], x0[res_idx] + BLOCK_SIZE_M,
                             y0[res_idx] + BLOCK_SIZE_M),
        crs=CRS,
    )

    # Buildings: distinct (block, cell) slots, a footprint of 8–15 m inside an 18.3 m cell.
    cells = rng.choice(bx.size * SUBGRID * SUBGRID, size=spec.buildings, replace=False)
    cells.sort()
    block, cell = np.divmod(cells, SUBGRID * SUBGRID)
    cx, cy = np.divmod(cell, SUBGRID)
    cell_m = BLOCK_SIZE_M / SUBGRID
    w = rng.uniform(8.0, 15.0, spec.buildings)
    h = rng.uniform(8.0, 15.0, spec.buildings)
    left = x0[block] + cx * cell_m + rng.uniform(0, 1, spec.buildings) * (cell_m - w)
    bottom = y0[block] + cy * cell_m + rng.uniform(0, 1, spec.buildings) * (cell_m - h)
    is_res = residential_block[block]
    use = np.where(is_res, "residential", OTHER_USES[rng.integers(0, OTHER_USES.size, block.size)])
    floors = rng.integers(2, 30, spec.buildings)
    buildings = gpd.GeoDataFrame(
        {
            "id": [f"B{i}" for i in range(spec.buildings)],
            "use_category": use,
            "floors": floors,
            "population": np.where(is_res, np.round(w * h * floors / 35.0), 0.0),
        },
        geometry=shapely.box(left, bottom, left + w, bottom + h),
        crs=CRS,
    )

    # Parks: clustered around centres; lognormal areas.
    n_clusters = max(1, spec.parks // PARKS_PER_CLUSTER)
    centres = rng.uniform(0, side_m, (n_clusters, 2)) + np.array([ORIGIN_X_M, ORIGIN_Y_M])
    which = rng.integers(0, n_clusters, spec.parks)
    pc = centres[which] + rng.normal(0, CLUSTER_SPREAD_M, (spec.parks, 2))
    if parks == "boxes":
        parks_geom = _box_parks(rng, pc, spec.parks)
    else:
        parks_geom = _realistic_parks(rng, pc, spec.parks, side_m)
    parks_gdf = gpd.GeoDataFrame(
        {
            "id": [f"P{i}" for i in range(spec.parks)],
            "park_class": rng.choice(PARK_CLASSES, spec.parks, p=PARK_CLASS_P),
        },
        geometry=parks_geom,
        crs=CRS,
    )

    st_xy = rng.uniform(0, side_m, (spec.stations, 2)) + np.array([ORIGIN_X_M, ORIGIN_Y_M])
    stations = gpd.GeoDataFrame(
        {"id": [f"S{i}" for i in range(spec.stations)], "access": "public"},
        geometry=shapely.points(st_xy),
        crs=CRS,
    )
    district = shapely.box(ORIGIN_X_M, ORIGIN_Y_M, ORIGIN_X_M + side_m, ORIGIN_Y_M + side_m)
    return SyntheticCity(size, residential, buildings, parks_gdf, stations, district)


def _box_parks(rng: np.random.Generator, pc: np.ndarray, n: int) -> np.ndarray:
    """Rectangles, 30 % rotated, 10 % with a rectangular lake (the earlier benchmark parks)."""
    area = np.clip(rng.lognormal(np.log(6000.0), 1.0, n), 500.0, 400_000.0)
    aspect = rng.uniform(0.5, 2.0, n)
    pw, ph = np.sqrt(area * aspect), np.sqrt(area / aspect)
    outer = shapely.box(pc[:, 0] - pw / 2, pc[:, 1] - ph / 2, pc[:, 0] + pw / 2, pc[:, 1] + ph / 2)
    lake = rng.random(n) < 0.1
    with_hole = shapely.box(pc[:, 0] - pw / 5, pc[:, 1] - ph / 5, pc[:, 0] + pw / 5,
                            pc[:, 1] + ph / 5)
    parks_geom = np.where(lake, shapely.difference(outer, with_hole), outer)
    rotated = rng.random(n) < 0.3
    angle = rng.uniform(0, 90, n)
    return np.where(rotated, _rotate(parks_geom, angle, pc), parks_geom)


def _stars(rng: np.random.Generator, centres: np.ndarray, radius_m: np.ndarray,
           n_vertices: np.ndarray, jitter: float, smooth: bool = False) -> np.ndarray:
    """Star-shaped polygons: sorted angles, radii in [1 - jitter, 1] x radius (vectorised)."""
    total = int(n_vertices.sum())
    poly = np.repeat(np.arange(centres.shape[0]), n_vertices)
    k = np.arange(total) - np.repeat(np.cumsum(n_vertices) - n_vertices, n_vertices)
    base = 2 * np.pi * k / n_vertices[poly]
    if smooth:
        # A gently curved shore: low-frequency waves, so neighbouring vertices are nearly in line.
        phase = rng.uniform(0, 2 * np.pi, (centres.shape[0], 3))
        wave = sum(np.sin((j + 2) * base + phase[poly, j]) for j in range(3)) / 3.0
        scale = 1.0 - jitter * (0.5 + 0.5 * wave)
        angle = base
    else:
        angle = base + rng.uniform(0, 1, total) * 2 * np.pi / n_vertices[poly] * 0.8
        scale = 1.0 - jitter * rng.random(total)
    xy = centres[poly] + (radius_m[poly] * scale)[:, None] * np.column_stack(
        [np.cos(angle), np.sin(angle)])
    return np.asarray(shapely.polygons(shapely.linearrings(xy, indices=poly)))


def _realistic_parks(rng: np.random.Generator, pc: np.ndarray, n: int,
                     side_m: float) -> np.ndarray:
    """Irregular, concave, holed, two-part and curved parks, and one city-spanning strip."""
    area = np.clip(rng.lognormal(np.log(6000.0), 1.0, n), 500.0, 200_000.0)
    # A star with radii in [0.55, 1] R has about 0.6 pi R^2 of area.
    radius = np.sqrt(area / (0.6 * np.pi))
    style = rng.random(n)
    curved = style < CURVED_SHARE
    n_vertices = np.where(curved, rng.integers(*CURVED_VERTICES, n),
                          rng.integers(STAR_VERTICES[0], STAR_VERTICES[1] + 1, n))
    stars = np.where(curved, None, None)
    plain = ~curved
    stars[plain] = _stars(rng, pc[plain], radius[plain], n_vertices[plain], 0.45)
    stars[curved] = _stars(rng, pc[curved], radius[curved], n_vertices[curved], 0.2,
                           smooth=True)
    lake = (style >= CURVED_SHARE) & (style < CURVED_SHARE + LAKE_SHARE)
    lakes = _stars(rng, pc[lake], radius[lake] * 0.3, np.full(lake.sum(), 12), 0.3)
    stars[lake] = shapely.difference(stars[lake], lakes)
    multi = (style >= CURVED_SHARE + LAKE_SHARE) & (style < CURVED_SHARE + LAKE_SHARE + MULTI_SHARE)
    angle = rng.uniform(0, 2 * np.pi, multi.sum())
    offset = (radius[multi] * 2.5)[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    satellites = _stars(rng, pc[multi] + offset, radius[multi] * 0.5,
                        rng.integers(6, 16, multi.sum()), 0.4)
    stars[multi] = shapely.multipolygons(np.column_stack([stars[multi], satellites]))
    # The riverside strip park: a meandering band across the whole city (replaces park 0).
    x = np.linspace(ORIGIN_X_M, ORIGIN_X_M + side_m, STRIP_POINTS)
    t = (x - ORIGIN_X_M) / side_m
    y = ORIGIN_Y_M + side_m * (0.5 + 0.18 * np.sin(2 * np.pi * 3 * t) + 0.05 * np.sin(
        2 * np.pi * 11 * t))
    dy = np.gradient(y, x)
    nx, ny = -dy / np.hypot(1, dy), 1 / np.hypot(1, dy)
    half = STRIP_WIDTH_M / 2
    left = np.column_stack([x + nx * half, y + ny * half])
    right = np.column_stack([x - nx * half, y - ny * half])[::-1]
    stars[0] = shapely.make_valid(shapely.Polygon(np.concatenate([left, right])))
    return np.asarray(shapely.make_valid(stars))


def _rotate(geoms: np.ndarray, angle_deg: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Rotate each geometry about its centre (vectorised affine transform of the coordinates)."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    theta = np.radians(angle_deg[index])
    dx, dy = coords[:, 0] - centres[index, 0], coords[:, 1] - centres[index, 1]
    new = np.column_stack([
        centres[index, 0] + dx * np.cos(theta) - dy * np.sin(theta),
        centres[index, 1] + dx * np.sin(theta) + dy * np.cos(theta),
    ])
    return shapely.set_coordinates(geoms.copy(), new)


def star_parks(rng: np.random.Generator, centres: np.ndarray, radius_m: np.ndarray,
               lake_share: float = 0.1) -> np.ndarray:
    """Irregular concave parks (stars of 8-24 vertices), ``lake_share`` of them with a lake."""
    n = centres.shape[0]
    stars = _stars(rng, centres, radius_m, rng.integers(8, 25, n), 0.45)
    lake = rng.random(n) < lake_share
    if lake.any():
        lakes = _stars(rng, centres[lake], radius_m[lake] * 0.25, np.full(lake.sum(), 10), 0.3)
        stars[lake] = shapely.difference(stars[lake], lakes)
    return np.asarray(shapely.make_valid(stars))


def concave_footprints(rng: np.random.Generator, x: np.ndarray, y: np.ndarray,
                       cell_m: float | np.ndarray, courtyard_share: float = 0.1) -> np.ndarray:
    """Building footprints inside cells [x, x + cell_m] x [y, y + cell_m]: rotated L shapes
    (concave, a corner notch of 30-50 %), ``courtyard_share`` of them blocks with a courtyard
    (a hole); each stays inside its cell (0.7 of the cell, rotated about its centre)."""
    n = x.size
    a = cell_m * rng.uniform(0.55, 0.7, n)
    b = cell_m * rng.uniform(0.55, 0.7, n)
    nx, ny = a * rng.uniform(0.3, 0.5, n), b * rng.uniform(0.3, 0.5, n)
    ox, oy = x + (cell_m - a) / 2, y + (cell_m - b) / 2
    rel = np.stack([np.zeros(n), np.zeros(n), a, np.zeros(n), a, b - ny, a - nx, b - ny,
                    a - nx, b, np.zeros(n), b], axis=1).reshape(n, 6, 2)
    xy = rel + np.stack([ox, oy], axis=1)[:, None, :]
    geoms = np.asarray(shapely.polygons(xy))
    court = rng.random(n) < courtyard_share
    if court.any():
        outer = shapely.box(ox[court], oy[court], ox[court] + a[court], oy[court] + b[court])
        inner = shapely.box(ox[court] + a[court] * 0.3, oy[court] + b[court] * 0.3,
                            ox[court] + a[court] * 0.7, oy[court] + b[court] * 0.7)
        geoms[court] = shapely.difference(outer, inner)
    centres = np.column_stack([x + cell_m / 2, y + cell_m / 2])
    return _rotate(geoms, rng.uniform(0, 90, n), centres)


def city_digest(city: SyntheticCity) -> str:
    """Return a SHA-256 of every layer's WKB and attributes (determinism check)."""
    digest = hashlib.sha256()
    for frame in (city.residential, city.buildings, city.parks, city.stations):
        digest.update(b"".join(shapely.to_wkb(frame.geometry.values, hex=False)))
        digest.update(pd.util.hash_pandas_object(frame.drop(columns="geometry"),
                                                 index=True).to_numpy().tobytes())
    return digest.hexdigest()
