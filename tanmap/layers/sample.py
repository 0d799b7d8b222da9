"""Deterministic synthetic sample layers (示例数据) inside a real district boundary.

No package ships 街道 boundaries, building footprints or facility points for Chinese districts, so
the demo fills each district's real (bundled) boundary with plausible *synthetic* plan layers. Every
feature carries ``source = "示例数据 synthetic sample (tanmap generator vN, seed S)"``; maps built
from them show a 示例数据 banner. They are never to be presented as real data.

Geometry is generated in the district's planning CRS (metres) from a rotated street grid: blocks
become residential land with slab buildings, public/commercial blocks, parks (G11–G14, G3) and
squares; grid edges become heating pipes; grid nodes carry bus stops and charging stations;
Voronoi cells give sub-districts (街道) and communities (社区).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.layers.kinds import LayerKind

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "GENERATOR_VERSION",
    "PROFILES",
    "PV_KWP_PER_PANEL_M2",
    "SAMPLE_LABEL",
    "SampleProfile",
    "generate_sample",
    "profile_for",
    "sample_for_bundled",
    "sample_source",
]

#: Bump when the generated layers change for the same seed.
GENERATOR_VERSION = 2

#: Text of the 示例数据 label (also the prefix of every ``source`` value).
SAMPLE_LABEL = "示例数据 synthetic sample"

#: Module power per panel area (kWp/m²): ~ 400 Wp modules of ~2 m²; DOMAIN.md §4 gives
#: 0.10–0.15 kWp per m² of *gross* roof, i.e. panels cover ~60 % of the usable roof.
PV_KWP_PER_PANEL_M2 = 0.20
#: Share of a roof that panels cover (see above).
PV_PANEL_SHARE_OF_ROOF = 0.6

#: Provinces (first two adcode digits) with municipal district heating (北方集中供暖):
#: 北京 天津 河北 山西 内蒙古 辽宁 吉林 黑龙江 山东 河南 陕西 甘肃 青海 宁夏 新疆.
NORTHERN_HEATING_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "37", "41", "61", "62", "63", "64", "65"}
)


@dataclass(frozen=True)
class SampleProfile:
    """How a district's sample is shaped.

    中文：示例数据生成参数（城区范围、街坊尺度、生态屏障区、道路）。

    Parameters
    ----------
    core_area_km2
        Area of the built-up core; None when the whole district is urban (和平, 黄浦).
    block_pitch_m
        Street-grid spacing (block + street), metres.
    eco_zone
        Whether to generate an ecological barrier zone (生态屏障区, control levels 1–3).
    land_cover
        Whether to generate land-cover polygons outside the core.
    routes
        Route classes crossing the district (``"expressway"``, ``"national"``).
    heating
        Whether the district has a municipal heating network (north of the Huai river).
    """

    core_area_km2: float | None
    block_pitch_m: float
    eco_zone: bool = False
    land_cover: bool = False
    routes: tuple[str, ...] = ()
    heating: bool = True


#: Profiles of the five seed districts (DOMAIN.md §1).
PROFILES: dict[str, SampleProfile] = {
    "120101": SampleProfile(None, 170.0),                                     # 和平: dense core
    "120104": SampleProfile(None, 200.0),                                     # 南开
    "120110": SampleProfile(40.0, 210.0, eco_zone=True, land_cover=True,      # 东丽: barrier zone
                            routes=("expressway",)),
    "430781": SampleProfile(18.0, 200.0, land_cover=True,                     # 津市: county city
                            routes=("expressway", "national", "trunk"), heating=False),
    "310101": SampleProfile(None, 170.0, heating=False),                      # 黄浦: dense, south
}


def profile_for(adcode: str, area_km2: float) -> SampleProfile:
    """Return the sample profile of a district (a seed profile or one derived from its area).

    中文：按区县取示例数据参数。

    Examples
    --------
    >>> profile_for("120110", 477.0).eco_zone
    True
    >>> profile_for("999999", 12.0).core_area_km2 is None
    True
    >>> profile_for("999999", 500.0).core_area_km2
    25.0
    """
    if adcode in PROFILES:
        return PROFILES[adcode]
    heating = adcode[:2] in NORTHERN_HEATING_PROVINCES
    if area_km2 <= 60.0:
        return SampleProfile(None, 190.0, heating=heating)
    return SampleProfile(25.0, 210.0, land_cover=True, routes=("national",), heating=heating)


def sample_source(seed: int) -> str:
    """Return the ``source`` value of every sample feature.

    Examples
    --------
    >>> sample_source(7)
    '示例数据 synthetic sample (tanmap generator v2, seed 7)'
    """
    return f"{SAMPLE_LABEL} (tanmap generator v{GENERATOR_VERSION}, seed {seed})"


# --------------------------------------------------------------------------- geometry helpers


def _polygons_only(geoms: np.ndarray, min_area_m2: float) -> tuple[np.ndarray, np.ndarray]:
    """Explode to single polygons of at least ``min_area_m2``; return (parts, source index)."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) >= min_area_m2)
    return parts[keep], idx[keep]


def _lines_only(geoms: np.ndarray, min_length_m: float) -> tuple[np.ndarray, np.ndarray]:
    parts, idx = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) >= min_length_m)
    return parts[keep], idx[keep]


def _points_in(area: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` uniformly random points (x, y array) inside ``area`` (rejection sampling)."""
    west, south, east, north = area.bounds
    shapely.prepare(area)
    out = np.empty((0, 2))
    while len(out) < n:
        xy = rng.uniform((west, south), (east, north), size=(max(4 * n, 64), 2))
        out = np.vstack([out, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
    return out[:n]


def _voronoi_cells(area: BaseGeometry, seeds_xy: np.ndarray, relax: int = 2) -> np.ndarray:
    """Return Voronoi cells of the seeds clipped to ``area``, smoothed by Lloyd relaxation."""
    xy = seeds_xy
    cells = np.empty(0, dtype=object)
    for _ in range(relax + 1):
        regions = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=area)
        )
        # voronoi_polygons returns cells in no guaranteed order: sort them back to the seeds.
        tree = shapely.STRtree(regions)
        hit = tree.query(shapely.points(xy), predicate="within")
        order = np.full(len(xy), -1)
        order[hit[0]] = hit[1]
        regions = regions[order]
        cells = shapely.intersection(regions, area)
        centroids = shapely.get_coordinates(shapely.centroid(cells))
        xy = np.where(np.isfinite(centroids), centroids, xy)
    return cells


def _rotated_boxes(
    centres: np.ndarray, half_w: np.ndarray | float, half_h: np.ndarray | float, angle: float
) -> np.ndarray:
    """Return rectangles (width 2·half_w, height 2·half_h) centred on ``centres``, rotated."""
    n = len(centres)
    hw = np.broadcast_to(half_w, n)
    hh = np.broadcast_to(half_h, n)
    corners = np.stack(
        [np.stack(p, axis=-1) for p in ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh), (-hw, -hh))],
        axis=1,
    )
    c, s = np.cos(angle), np.sin(angle)
    rotated = corners @ np.array([[c, s], [-s, c]])
    boxes: np.ndarray = shapely.polygons(rotated + centres[:, None, :])
    return boxes


def _rotate_xy(xy: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    rotated: np.ndarray = xy @ np.array([[c, s], [-s, c]])
    return rotated


# --------------------------------------------------------------------------- frames


class _Ids:
    """Issue ids ``<PREFIX>-<adcode>-<n>`` unique across the whole sample."""

    def __init__(self, adcode: str) -> None:
        self.adcode = adcode

    def __call__(self, prefix: str, n: int) -> list[str]:
        width = max(4, len(str(n)))
        return [f"{prefix}-{self.adcode}-{i + 1:0{width}d}" for i in range(n)]


def _frame(
    columns: dict[str, Any], geoms: np.ndarray, crs: int, adcode: str, source: str
) -> gpd.GeoDataFrame:
    data = dict(columns)
    data.setdefault("status", ["existing"] * len(geoms))
    data["district"] = [adcode] * len(geoms)
    data["source"] = [source] * len(geoms)
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    for col in ("planned_year", "completion_year", "installation_year", "renewal_year",
                "floors", "fast_piles", "slow_piles", "control_level"):
        if col in frame.columns:
            frame[col] = pd.array(frame[col], dtype="Int64")
    return frame


def _years(mask: np.ndarray, values: np.ndarray) -> list[int | None]:
    return [int(v) if m else None for m, v in zip(mask, values, strict=True)]


# --------------------------------------------------------------------------- generator


@dataclass
class _Grid:
    """The rotated street grid of the built-up core."""

    nodes_xy: np.ndarray   # (n, 2) block centres
    ij: np.ndarray         # (n, 2) integer grid indices
    angle: float
    pitch_m: float
    origin_xy: np.ndarray


def _core(district: BaseGeometry, profile: SampleProfile, rng: np.random.Generator) -> BaseGeometry:
    if profile.core_area_km2 is None:
        return district
    radius_m = float(np.sqrt(profile.core_area_km2 * 1e6 / np.pi))
    inner = district.buffer(-min(radius_m, 2000.0))
    where = inner if not inner.is_empty else district
    centre = _points_in(where, 1, rng)[0]
    return shapely.Point(centre).buffer(radius_m, quad_segs=16).intersection(district)


def _grid(core: BaseGeometry, pitch_m: float, rng: np.random.Generator) -> _Grid:
    angle = float(rng.uniform(-0.35, 0.35))
    origin = np.asarray(core.centroid.coords[0])
    west, south, east, north = core.bounds
    half = 0.75 * max(east - west, north - south) / pitch_m + 2
    ii, jj = np.meshgrid(np.arange(-half, half + 1), np.arange(-half, half + 1), indexing="ij")
    ij = np.column_stack([ii.ravel(), jj.ravel()]).astype(int)
    xy = origin + _rotate_xy(ij * pitch_m, angle)
    inside = shapely.contains_xy(core, xy[:, 0], xy[:, 1])
    return _Grid(xy[inside], ij[inside], angle, pitch_m, origin)


def generate_sample(
    adcode: str,
    district_geom_wgs84: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame,
    planning_epsg: int,
    *,
    seed: int = 0,
    profile: SampleProfile | None = None,
) -> dict[LayerKind, gpd.GeoDataFrame]:
    """Return synthetic plan layers (示例数据) filling a real district boundary.

    中文：生成示例数据图层（街道、社区、居住用地、建筑、公园、口袋公园、充电站、供热管网、屋顶光伏、
    回收点、中转站、绿道、公交站、生态屏障区、土地覆盖、道路）。

    Deterministic: the same ``adcode``, boundary, ``planning_epsg`` and ``seed`` give identical
    layers. Counts scale with the district's area (a few thousand buildings for a dense urban
    district). Some communities lack a recycling point and some 街道 a transfer station, so
    per-unit rules fail somewhere; some residential blocks lie beyond 500 m of any park.

    Parameters
    ----------
    adcode
        District code (行政区划代码), e.g. ``"120101"``; picks the profile (``PROFILES``).
    district_geom_wgs84
        The district boundary in EPSG:4326 lon/lat (a shapely geometry, or a GeoSeries /
        GeoDataFrame in any CRS, which is reprojected).
    planning_epsg
        EPSG code of the district's planning CRS (metres), e.g. 4548.
    seed
        Random seed; recorded in every feature's ``source``.
    profile
        Override the district's sample profile.

    Returns
    -------
    dict[LayerKind, GeoDataFrame]
        Layers in EPSG:4326, each valid against ``tanmap.layers.kinds.SPECS``.

    Raises
    ------
    ValueError
        If the boundary is empty or not a polygon.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> layers = generate_sample("120101", box(117.19, 39.11, 117.21, 39.125), 4548, seed=1)
    >>> sorted(k.value for k in layers)[:4]
    ['building', 'bus_stop', 'charging_station', 'community']
    >>> layers[LayerKind.PARK]["source"].iloc[0]
    '示例数据 synthetic sample (tanmap generator v2, seed 1)'
    """
    district = _district_metric(district_geom_wgs84, planning_epsg)
    area_km2 = district.area / 1e6
    profile = profile or profile_for(adcode, area_km2)
    source = sample_source(seed)
    ids = _Ids(adcode)
    root = np.random.SeedSequence([int(seed), int(adcode) if adcode.isdigit() else 0])
    rngs = {name: np.random.default_rng(s) for name, s in zip(_STEPS, root.spawn(len(_STEPS)),
                                                                strict=True)}
    crs = int(planning_epsg)

    def frame(columns: dict[str, Any], geoms: np.ndarray) -> gpd.GeoDataFrame:
        return _frame(columns, geoms, crs, adcode, source)

    core = _core(district, profile, rngs["core"])
    grid = _grid(core, profile.block_pitch_m, rngs["grid"])
    out: dict[LayerKind, gpd.GeoDataFrame] = {}

    subdistricts = _subdistricts(district, area_km2, rngs["units"], ids, frame)
    out[LayerKind.SUBDISTRICT] = subdistricts
    communities = _communities(district, core, subdistricts, rngs["units"], ids, frame)
    out[LayerKind.COMMUNITY] = communities

    blocks = _blocks(grid, district, core, rngs["blocks"])
    out.update(_block_layers(blocks, grid, rngs["blocks"], ids, frame))
    out[LayerKind.POCKET_GARDEN] = _pocket_gardens(
        district, blocks, grid, rngs["gardens"], ids, frame
    )
    out[LayerKind.PV_ROOFTOP] = _pv(out[LayerKind.BUILDING], rngs["pv"], ids, frame)
    if profile.heating:
        out[LayerKind.HEATING_PIPE] = _heating(grid, core, rngs["heating"], ids, frame)
    routes = _routes(district, core, profile, rngs["routes"], ids, frame)
    if len(routes):
        out[LayerKind.ROUTE] = routes
    out[LayerKind.CHARGING_STATION] = _charging(
        district, grid, routes, area_km2, rngs["charging"], ids, frame
    )
    points = _per_unit_points(communities, 0.15, "RP", "示例回收点", rngs["recycling"], ids, frame)
    # Every third point is also a 两网衔接网点 (linked to household-waste collection).
    out[LayerKind.RECYCLING_POINT] = points.assign(two_network=np.arange(len(points)) % 3 == 0)
    recyclables = _per_unit_points(
        subdistricts, 0.2, "TS", "示例再生资源回收中转站", rngs["transfer"], ids, frame
    )
    out[LayerKind.TRANSFER_STATION] = pd.concat(
        [recyclables.assign(station_type="recyclables"),
         _waste_transfer_station(subdistricts, ids, frame)], ignore_index=True)
    out[LayerKind.GREENWAY] = _greenways(core, grid, rngs["greenways"], ids, frame)
    out[LayerKind.BUS_STOP] = _bus_stops(district, grid, rngs["bus"], ids, frame)
    out[LayerKind.SPONGE_AREA] = _sponge(blocks, rngs["sponge"], ids, frame)
    if profile.eco_zone:
        out[LayerKind.ECO_ZONE] = _eco_zone(district, core, ids, frame)
    if profile.land_cover:
        out[LayerKind.LAND_COVER] = _land_cover(
            district, core, out.get(LayerKind.ECO_ZONE), rngs["land"], ids, frame
        )
    out[LayerKind.PLANNING_ZONE] = _planning_zones(district, core, ids, frame)
    return {kind: _to_storage(gdf) for kind, gdf in out.items() if len(gdf)}


def _to_storage(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326; repair the rare sliver that reprojection makes self-touching."""
    out = gdf.to_crs(4326)
    invalid = ~out.geometry.is_valid.to_numpy()
    if invalid.any():
        geoms = out.geometry.to_numpy().copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure",
                                            keep_collapsed=False)
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))
    return out


_STEPS = ("core", "grid", "units", "blocks", "gardens", "pv", "heating", "routes", "charging",
          "recycling", "transfer", "greenways", "bus", "sponge", "land")

_Frame = Callable[[dict[str, Any], np.ndarray], gpd.GeoDataFrame]


def _district_metric(
    geom: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame, planning_epsg: int
) -> BaseGeometry:
    if isinstance(geom, gpd.GeoDataFrame | gpd.GeoSeries):
        series = geom.geometry if isinstance(geom, gpd.GeoDataFrame) else geom
        if series.crs is None:
            series = series.set_crs(4326)
        merged = series.to_crs(planning_epsg).union_all()
    else:
        merged = gpd.GeoSeries([geom], crs=4326).to_crs(planning_epsg).iloc[0]
    if merged is None or merged.is_empty or merged.geom_type not in ("Polygon", "MultiPolygon"):
        kind = "empty" if merged is None or merged.is_empty else merged.geom_type
        raise ValueError(
            f"district boundary must be a non-empty (Multi)Polygon in EPSG:4326, got {kind}; "
            "pass the district row's geometry, e.g. bundled_district(adcode).geometry.iloc[0]"
        )
    return shapely.make_valid(merged)


def _subdistricts(
    district: BaseGeometry, area_km2: float, rng: np.random.Generator, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    n = int(np.clip(round(4 + np.sqrt(area_km2)), 6, 12))
    cells = _voronoi_cells(district, _points_in(district, n, rng))
    parts, idx = _polygons_only(cells, 1.0)
    # A cell cut in two by the boundary keeps only its largest piece as the 街道 polygon.
    order = np.lexsort((-shapely.area(parts), idx))
    first = np.unique(idx[order], return_index=True)[1]
    geoms = parts[order][first]
    k = len(geoms)
    codes = [f"{ids.adcode}{i + 1:03d}" for i in range(k)]
    return frame(
        {"id": ids("SD", k), "name": [f"示例街道{i + 1}" for i in range(k)], "code": codes},
        geoms,
    )


def _communities(
    district: BaseGeometry,
    core: BaseGeometry,
    subdistricts: gpd.GeoDataFrame,
    rng: np.random.Generator,
    ids: _Ids,
    frame: _Frame,
) -> gpd.GeoDataFrame:
    n_core = int(np.clip(core.area / 0.6e6, 4 * len(subdistricts), 160))
    n_rest = int(np.clip((district.area - core.area) / 15e6, 0, 40))
    seeds = np.vstack([_points_in(core, n_core, rng),
                       _points_in(district, n_rest, rng) if n_rest else np.empty((0, 2))])
    cells = _voronoi_cells(district, seeds, relax=1)
    # Cut each cell by the 街道 it overlaps: communities nest inside sub-districts.
    tree = shapely.STRtree(subdistricts.geometry.values)
    ci, si = tree.query(cells, predicate="intersects")
    pieces = shapely.intersection(cells[ci], subdistricts.geometry.values[si])
    parts, idx = _polygons_only(pieces, 20_000.0)
    sub = si[idx]
    k = len(parts)
    sub_ids = subdistricts["id"].to_numpy()[sub]
    # Units outside the urban core are villages (村委会), those inside urban communities.
    urban = shapely.covers(core, shapely.point_on_surface(parts))
    return frame(
        {
            "id": ids("CM", k),
            "name": [f"示例{'社区' if u else '村'}{i + 1}" for i, u in enumerate(urban)],
            "code": [f"{ids.adcode}{s + 1:03d}{i + 1:03d}" for i, s in enumerate(sub)],
            "subdistrict": list(sub_ids),
            "community_type": ["community" if u else "village" for u in urban],
        },
        parts,
    )


@dataclass
class _Blocks:
    geoms: np.ndarray       # block polygons (street setback applied), clipped to the district
    centres: np.ndarray     # (n, 2)
    use: np.ndarray         # "residential" / "public" / "commercial" / "park" / "open"
    old_city: np.ndarray    # bool: nearer the core centre
    angle: float


def _blocks(
    grid: _Grid, district: BaseGeometry, core: BaseGeometry, rng: np.random.Generator
) -> _Blocks:
    n = len(grid.nodes_xy)
    half = 0.5 * grid.pitch_m - 10.0  # 20 m streets
    geoms = shapely.intersection(_rotated_boxes(grid.nodes_xy, half, half, grid.angle), district)
    use = rng.choice(
        np.array(["residential", "public", "commercial", "park", "open"]),
        size=n, p=[0.48, 0.12, 0.10, 0.08, 0.22],
    )
    dist = np.hypot(*(grid.nodes_xy - grid.origin_xy).T)
    radius = np.sqrt(core.area / np.pi)
    return _Blocks(geoms, grid.nodes_xy, use, dist < 0.55 * radius, grid.angle)


def _block_layers(
    blocks: _Blocks, grid: _Grid, rng: np.random.Generator, ids: _Ids, frame: _Frame
) -> dict[LayerKind, gpd.GeoDataFrame]:
    out: dict[LayerKind, gpd.GeoDataFrame] = {}
    half = 0.5 * grid.pitch_m - 10.0

    # Residential land (居住用地): the residential blocks.
    res = np.flatnonzero(blocks.use == "residential")
    res_geoms, res_src = _polygons_only(blocks.geoms[res], 2_000.0)
    res_idx = res[res_src]
    area = shapely.area(res_geoms)
    area_type = np.where(blocks.old_city[res_idx], "old_city", "new_area")
    historic = rng.random(len(res_idx)) < 0.04
    area_type = np.where(historic & blocks.old_city[res_idx], "historic", area_type)
    out[LayerKind.RESIDENTIAL_LAND] = frame(
        {
            "id": ids("RL", len(res_geoms)),
            "name": [f"示例居住用地{i + 1}" for i in range(len(res_geoms))],
            "area_type": list(area_type),
            "population": np.round(area * rng.uniform(0.02, 0.06, len(area))).tolist(),
            "area_m2": np.round(area, 1).tolist(),
        },
        res_geoms,
    )

    # Buildings: slabs in residential blocks, larger blocks in public/commercial ones.
    slab_offsets = np.array([(x, y) for x in (-0.55, 0.0, 0.55) for y in (-0.66, -0.22, 0.22,
                                                                              0.66)]) * half
    res_centres = (blocks.centres[res_idx][:, None, :]
                   + _rotate_xy(slab_offsets, blocks.angle)[None, :, :]).reshape(-1, 2)
    res_block = np.repeat(res_idx, len(slab_offsets))
    keep = rng.random(len(res_centres)) > 0.15
    res_centres, res_block = res_centres[keep], res_block[keep]
    pub = np.flatnonzero(np.isin(blocks.use, ("public", "commercial")))
    big_offsets = np.array([(x, y) for x in (-0.45, 0.45) for y in (-0.45, 0.45)]) * half
    pub_centres = (blocks.centres[pub][:, None, :]
                   + _rotate_xy(big_offsets, blocks.angle)[None, :, :]).reshape(-1, 2)
    pub_block = np.repeat(pub, len(big_offsets))
    keep = rng.random(len(pub_centres)) > 0.25
    pub_centres, pub_block = pub_centres[keep], pub_block[keep]
    n_res, n_pub = len(res_centres), len(pub_centres)
    half_w = np.concatenate([rng.uniform(0.18, 0.24, n_res) * half,
                             rng.uniform(0.22, 0.38, n_pub) * half])
    half_h = np.concatenate([np.full(n_res, 7.0), rng.uniform(0.15, 0.35, n_pub) * half])
    footprints = _rotated_boxes(np.vstack([res_centres, pub_centres]), half_w, half_h,
                                blocks.angle)
    block_of = np.concatenate([res_block, pub_block])
    inside = shapely.within(footprints, blocks.geoms[block_of])
    footprints, block_of = footprints[inside], block_of[inside]
    is_res = np.concatenate([np.ones(n_res, bool), np.zeros(n_pub, bool)])[inside]
    use_block = blocks.use[block_of]
    n = len(footprints)
    pub_cat = rng.choice(np.array(["party_gov", "public", "public", "public", "other"]), size=n)
    category = np.where(is_res, "residential",
                        np.where(use_block == "commercial", "commercial_industrial", pub_cat))
    is_new = rng.random(n) < 0.1
    completion = np.where(is_new, rng.integers(2021, 2025, n), rng.integers(1950, 2021, n))
    floors = np.where(is_res, rng.integers(3, 26, n), rng.integers(2, 12, n))
    roof = shapely.area(footprints)
    public_institution = (category == "party_gov") | ((category == "public")
                                                       & (rng.random(n) < 0.8))
    out[LayerKind.BUILDING] = frame(
        {
            "id": ids("BD", n),
            "name": [f"示例建筑{i + 1}" for i in range(n)],
            "completion_year": completion.tolist(),
            "use_category": list(category),
            "roof_area_m2": np.round(roof, 1).tolist(),
            "is_new": is_new.tolist(),
            "public_institution": public_institution.tolist(),
            "floors": floors.tolist(),
            "population": np.where(is_res, np.round(roof * floors / 35.0), 0.0).tolist(),
        },
        footprints,
    )

    # Parks: G12 community parks fill park blocks; every ~4th park block is a G11 comprehensive
    # park; G14 gardens, G3 squares and a G13 specialised park sit in open blocks.
    park = np.flatnonzero(blocks.use == "park")
    park_class = np.where(np.arange(len(park)) % 4 == 0, "G11", "G12")
    if len(park) > 6:
        park_class[3] = "G13"
    open_ = np.flatnonzero(blocks.use == "open")
    small = open_[rng.random(len(open_)) < 0.35]
    small_class = rng.choice(np.array(["G14", "G14", "G3"]), size=len(small))
    small_half = np.where(small_class == "G3", rng.uniform(25, 40, len(small)),
                          rng.uniform(18, 35, len(small)))
    small_geoms = _rotated_boxes(blocks.centres[small], small_half, small_half, blocks.angle)
    geoms = np.concatenate([shapely.buffer(blocks.geoms[park], -5.0, join_style="mitre"),
                            shapely.intersection(small_geoms, blocks.geoms[small])])
    classes = np.concatenate([park_class, small_class])
    parts, src = _polygons_only(geoms, 300.0)
    classes = classes[src]
    k = len(parts)
    names = {"G11": "综合公园", "G12": "社区公园", "G13": "专类公园", "G14": "游园", "G3": "广场"}
    area = shapely.area(parts)
    out[LayerKind.PARK] = frame(
        {
            "id": ids("PK", k),
            "name": [f"示例{names[c]}{i + 1}" for i, c in enumerate(classes)],
            "park_class": list(classes),
            "area_m2": np.round(area, 1).tolist(),
            "open_access": (rng.random(k) < 0.95).tolist(),
        },
        parts,
    )
    return out


def _pocket_gardens(
    district: BaseGeometry,
    blocks: _Blocks, grid: _Grid, rng: np.random.Generator, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    # In street corners (grid nodes offset half a pitch), 400–3600 m² (MOHURD pocket-park range).
    n = int(np.clip(len(blocks.centres) // 12, 6, 40))
    pick = rng.choice(len(blocks.centres), size=min(n, len(blocks.centres)), replace=False)
    corner = _rotate_xy(np.array([[0.5, 0.5]]) * grid.pitch_m, blocks.angle)
    centres = blocks.centres[pick] + corner
    half = rng.uniform(10, 30, len(pick))
    geoms = _rotated_boxes(centres, half, half, blocks.angle)
    geoms = geoms[shapely.covered_by(geoms, district)]
    k = len(geoms)
    planned = rng.random(k) < 0.25
    gtype = rng.choice(np.array(["pocket_park", "pocket_garden", "street_garden"]), size=k)
    return frame(
        {
            "id": ids("PG", k),
            "name": [f"示例口袋公园{i + 1}" for i in range(k)],
            "status": np.where(planned, "planned", "completed").tolist(),
            "planned_year": _years(planned, np.full(k, 2025)),
            "completion_year": _years(~planned, rng.integers(2021, 2025, k)),
            "garden_type": list(gtype),
            "area_m2": np.round(shapely.area(geoms), 1).tolist(),
        },
        geoms,
    )


def _pv(
    buildings: gpd.GeoDataFrame, rng: np.random.Generator, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    cat = buildings["use_category"].to_numpy()
    candidates = np.flatnonzero(np.isin(cat, ("party_gov", "public", "commercial_industrial")))
    draw = rng.random(len(candidates))
    chosen = candidates[draw < 0.55]
    planned = draw[draw < 0.55] >= 0.4
    geoms = shapely.buffer(buildings.geometry.to_numpy()[chosen], -1.5, join_style="mitre")
    roof = buildings["roof_area_m2"].to_numpy()[chosen].astype(float)
    panel = np.round(roof * PV_PANEL_SHARE_OF_ROOF, 1)
    k = len(chosen)
    return frame(
        {
            "id": ids("PV", k),
            "name": [f"示例屋顶光伏{i + 1}" for i in range(k)],
            "status": np.where(planned, "planned", "existing").tolist(),
            "planned_year": _years(planned, np.full(k, 2025)),
            "completion_year": _years(~planned, rng.integers(2016, 2025, k)),
            "capacity_kwp": np.round(panel * PV_KWP_PER_PANEL_M2, 1).tolist(),
            "panel_area_m2": panel.tolist(),
            "building_id": list(buildings["id"].to_numpy()[chosen]),
        },
        geoms,
    )


def _street_segments(grid: _Grid) -> tuple[np.ndarray, np.ndarray]:
    """Return street centre-line segments between grid nodes (x0, y0, x1, y1) and midpoints."""
    corner = _rotate_xy(np.array([[0.5, 0.5]]) * grid.pitch_m, grid.angle)
    start = grid.nodes_xy + corner  # street crossings: block corners
    east = start + _rotate_xy(np.array([[grid.pitch_m, 0.0]]), grid.angle)
    north = start + _rotate_xy(np.array([[0.0, grid.pitch_m]]), grid.angle)
    a = np.vstack([start, start])
    b = np.vstack([east, north])
    return np.stack([a, b], axis=1), (a + b) / 2


def _heating(
    grid: _Grid, core: BaseGeometry, rng: np.random.Generator, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    segments, mid = _street_segments(grid)
    keep = shapely.contains_xy(core, mid[:, 0], mid[:, 1]) & (rng.random(len(mid)) < 0.55)
    geoms = shapely.linestrings(segments[keep])
    k = len(geoms)
    installed = rng.integers(1975, 2023, k)
    # Pipes past the 和平 plan's 30-year threshold are partly renewed already.
    renewed = (installed <= 1995) & (rng.random(k) < 0.4)
    renewal_year = rng.integers(2019, 2025, k)
    planned = (installed <= 1995) & ~renewed & (rng.random(k) < 0.3)
    status = np.where(renewed, "renewed", "existing")
    return frame(
        {
            "id": ids("HP", k),
            "name": [f"示例供热管线{i + 1}" for i in range(k)],
            "status": status.tolist(),
            "planned_year": _years(planned, np.full(k, 2025)),
            "installation_year": installed.tolist(),
            "renewal_year": _years(renewed, renewal_year),
            "dn_mm": rng.choice(np.array([100.0, 150.0, 200.0, 300.0, 400.0, 600.0]), k).tolist(),
            "length_m": np.round(shapely.length(geoms), 1).tolist(),
            "insulation": rng.choice(np.array(["预制直埋保温", "岩棉", "聚氨酯"]), k).tolist(),
            "operator": ["示例供热公司"] * k,
        },
        geoms,
    )


def _routes(
    district: BaseGeometry,
    core: BaseGeometry,
    profile: SampleProfile,
    rng: np.random.Generator,
    ids: _Ids,
    frame: _Frame,
) -> gpd.GeoDataFrame:
    if not profile.routes:
        return frame({"id": [], "route_class": []}, np.empty(0, dtype=object))
    west, south, east, north = district.bounds
    span = 2 * max(east - west, north - south)
    centre = np.asarray(core.centroid.coords[0])
    geoms: list[BaseGeometry] = []
    classes: list[str] = []
    refs: list[str] = []
    for i, route_class in enumerate(profile.routes):
        angle = rng.uniform(0, np.pi) if i else rng.uniform(-0.6, 0.6)
        through = centre + rng.uniform(-1500, 1500, 2)
        d = np.array([np.cos(angle), np.sin(angle)]) * span / 2
        line = shapely.LineString([through - d, through + d]).intersection(district)
        parts, _ = _lines_only(np.array([line]), 200.0)
        geoms.extend(parts)
        classes.extend([route_class] * len(parts))
        refs.extend([f"示例{'G' if route_class == 'expressway' else 'G1'}{i + 1}"] * len(parts))
    k = len(geoms)
    return frame(
        {"id": ids("RT", k), "name": [f"示例道路{i + 1}" for i in range(k)],
         "route_class": classes, "ref": refs},
        np.array(geoms, dtype=object),
    )


def _charging(
    district: BaseGeometry,
    grid: _Grid,
    routes: gpd.GeoDataFrame,
    area_km2: float,
    rng: np.random.Generator,
    ids: _Ids,
    frame: _Frame,
) -> gpd.GeoDataFrame:
    n_urban = int(np.clip(len(grid.nodes_xy) // 8, 5, 150))
    pick = rng.choice(len(grid.nodes_xy), size=min(n_urban, len(grid.nodes_xy)), replace=False)
    corner = _rotate_xy(np.array([[0.5, 0.0]]) * grid.pitch_m, grid.angle)
    xy = grid.nodes_xy[pick] + corner
    xy = xy[shapely.contains_xy(district, xy[:, 0], xy[:, 1])]
    # Along routes: a station every ~15 km of chainage (service areas / 国省干线 roadside).
    route_pts = np.empty((0, 2))
    for line in routes.geometry.to_numpy():
        dist = np.arange(rng.uniform(2000, 6000), shapely.length(line), 15_000.0)
        route_pts = np.vstack([route_pts,
                               shapely.get_coordinates(shapely.line_interpolate_point(line, dist))])
    all_xy = np.vstack([xy, route_pts])
    k = len(all_xy)
    on_route = np.arange(k) >= len(xy)
    access = np.where(on_route | (rng.random(k) < 0.7), "public", "dedicated")
    fast = rng.integers(0, 9, k) + np.where(on_route, 4, 0)
    slow = rng.integers(2, 16, k)
    planned = rng.random(k) < 0.15
    return frame(
        {
            "id": ids("CS", k),
            "name": [f"示例充电站{i + 1}" for i in range(k)],
            "status": np.where(planned, "planned", "existing").tolist(),
            "planned_year": _years(planned, np.full(k, 2025)),
            "completion_year": _years(~planned, rng.integers(2016, 2025, k)),
            "access": list(access),
            "fast_piles": fast.tolist(),
            "slow_piles": slow.tolist(),
            "power_kw": (fast * 60.0 + slow * 7.0).tolist(),
        },
        shapely.points(all_xy),
    )


def _per_unit_points(
    units: gpd.GeoDataFrame,
    missing_share: float,
    prefix: str,
    name: str,
    rng: np.random.Generator,
    ids: _Ids,
    frame: _Frame,
) -> gpd.GeoDataFrame:
    # Leave some units without a facility, so per-unit rules (每社区一处回收点) fail somewhere.
    has = rng.random(len(units)) >= missing_share
    if len(units) and has.all():
        has[rng.integers(len(units))] = False
    geoms = shapely.point_on_surface(units.geometry.to_numpy()[has])
    k = len(geoms)
    return frame({"id": ids(prefix, k), "name": [f"{name}{i + 1}" for i in range(k)]}, geoms)


def _waste_transfer_station(
    subdistricts: gpd.GeoDataFrame, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    # One household-waste transfer station (生活垃圾转运站, 和平 专栏4 "新建...1座"), completed in
    # 2024 near the first 街道's centre: a different type from the recyclables stations.
    geoms = shapely.point_on_surface(subdistricts.geometry.to_numpy()[:1])
    return frame({"id": ids("TW", len(geoms)), "name": ["示例生活垃圾转运站1"][:len(geoms)],
                  "status": ["completed"] * len(geoms), "completion_year": [2024] * len(geoms),
                  "station_type": ["household_waste"] * len(geoms)}, geoms)


def _planning_zones(
    district: BaseGeometry, core: BaseGeometry, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    # 建成区 and 中心城区 = the urban core (the whole district when it is all urban); 城区核心区 =
    # the inner part of the core around its centre (60 % of the core's equivalent radius).
    radius_m = float(np.sqrt(core.area / np.pi))
    inner = core.intersection(core.centroid.buffer(0.6 * radius_m, quad_segs=16))
    if inner.is_empty:
        inner = core
    geoms = np.array([core, core, inner], dtype=object)
    return frame({"id": ids("PZ", 3), "name": ["示例建成区", "示例中心城区", "示例城区核心区"],
                  "zone_type": ["built_up", "central_urban", "core_area"]}, geoms)


def _greenways(
    core: BaseGeometry, grid: _Grid, rng: np.random.Generator, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    # A meandering riverside greenway across the core, cut into ~1 km sections, one of them
    # not yet connected (贯通), plus urban greenways along two street rows.
    radius = np.sqrt(core.area / np.pi)
    t = np.linspace(-1.2 * radius, 1.2 * radius, 241)
    wave = 0.15 * radius * np.sin(t / radius * np.pi * rng.uniform(1.0, 2.0))
    river = grid.origin_xy + _rotate_xy(np.column_stack([t, wave]), grid.angle + 0.4)
    sections = [shapely.LineString(river[i:i + 21]) for i in range(0, 240, 20)]
    rows = []
    for row in rng.choice(np.arange(-3, 4), size=2, replace=False):
        x = np.array([-1.2 * radius, 1.2 * radius])
        y = np.full(2, (row + 0.5) * grid.pitch_m)
        rows.append(shapely.LineString(grid.origin_xy
                                       + _rotate_xy(np.column_stack([x, y]), grid.angle)))
    geoms = shapely.intersection(np.array(sections + rows, dtype=object), core)
    gtype = np.array(["riverside"] * len(sections) + ["urban"] * len(rows))
    parts, src = _lines_only(geoms, 100.0)
    gtype = gtype[src]
    k = len(parts)
    connected = np.ones(k, bool)
    if k:
        connected[rng.integers(k)] = False
    return frame(
        {
            "id": ids("GW", k),
            "name": [f"示例绿道{i + 1}" for i in range(k)],
            "greenway_type": list(gtype),
            "connected": connected.tolist(),
            "length_m": np.round(shapely.length(parts), 1).tolist(),
        },
        parts,
    )


def _bus_stops(
    district: BaseGeometry, grid: _Grid, rng: np.random.Generator, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    i, j = grid.ij.T
    on_line = ((i % 2 == 0) & (j % 3 == 0)) | ((i % 3 == 0) & (j % 2 == 1))
    keep = on_line & (rng.random(len(i)) > 0.2)
    corner = _rotate_xy(np.array([[0.5, 0.5]]) * grid.pitch_m, grid.angle)
    xy = grid.nodes_xy[keep] + corner
    geoms = shapely.points(xy[shapely.contains_xy(district, xy[:, 0], xy[:, 1])])
    k = len(geoms)
    return frame({"id": ids("BS", k), "name": [f"示例公交站{i + 1}" for i in range(k)]}, geoms)


def _sponge(
    blocks: _Blocks, rng: np.random.Generator, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    chosen = rng.random(len(blocks.geoms)) < 0.45
    parts, _ = _polygons_only(blocks.geoms[chosen], 1_000.0)
    k = len(parts)
    return frame(
        {"id": ids("SP", k), "name": [f"示例海绵城市达标区{i + 1}" for i in range(k)],
         "status": ["completed"] * k, "area_m2": np.round(shapely.area(parts), 1).tolist()},
        parts,
    )


def _eco_zone(
    district: BaseGeometry, core: BaseGeometry, ids: _Ids, frame: _Frame
) -> gpd.GeoDataFrame:
    # Control levels by distance from the built-up core: level 3 (三级) nearest, level 1 (一级,
    # strictest, ~61 % of Tianjin's barrier zone) farthest.
    zone = district.difference(core.buffer(1000.0))
    bands = [
        (3, zone.intersection(core.buffer(3000.0))),
        (2, zone.intersection(core.buffer(5000.0)).difference(core.buffer(3000.0))),
        (1, zone.difference(core.buffer(5000.0))),
    ]
    levels = np.array([lvl for lvl, _ in bands])
    parts, src = _polygons_only(np.array([g for _, g in bands], dtype=object), 10_000.0)
    k = len(parts)
    return frame(
        {"id": ids("EZ", k), "name": [f"示例生态屏障区{i + 1}" for i in range(k)],
         "control_level": levels[src].tolist()},
        parts,
    )


_COVER_CLASSES = np.array(["water", "wetland", "forest", "shrub", "grass", "farmland", "built",
                           "bare"])
_COVER_P_LEVEL1 = np.array([0.14, 0.14, 0.30, 0.04, 0.14, 0.18, 0.04, 0.02])
_COVER_P_OTHER = np.array([0.08, 0.04, 0.16, 0.03, 0.10, 0.34, 0.22, 0.03])


def _land_cover(
    district: BaseGeometry,
    core: BaseGeometry,
    eco: gpd.GeoDataFrame | None,
    rng: np.random.Generator,
    ids: _Ids,
    frame: _Frame,
) -> gpd.GeoDataFrame:
    cell_m = 600.0
    west, south, east, north = district.bounds
    xs = np.arange(west + cell_m / 2, east, cell_m)
    ys = np.arange(south + cell_m / 2, north, cell_m)
    xy = np.array(np.meshgrid(xs, ys)).reshape(2, -1).T
    cells = shapely.box(xy[:, 0] - cell_m / 2, xy[:, 1] - cell_m / 2,
                        xy[:, 0] + cell_m / 2, xy[:, 1] + cell_m / 2)
    rural = district.difference(core)
    parts, _ = _polygons_only(shapely.intersection(cells, rural), 5_000.0)
    level1 = np.zeros(len(parts), bool)
    if eco is not None and len(eco):
        strict = eco.loc[eco["control_level"] == 1].geometry.union_all()
        level1 = shapely.intersects(strict, shapely.point_on_surface(parts))
    u = rng.random(len(parts))
    idx1 = np.searchsorted(np.cumsum(_COVER_P_LEVEL1), u * _COVER_P_LEVEL1.sum())
    idx0 = np.searchsorted(np.cumsum(_COVER_P_OTHER), u * _COVER_P_OTHER.sum())
    cover = _COVER_CLASSES[np.where(level1, idx1, idx0)]
    k = len(parts)
    forest = cover == "forest"
    closure = np.round(rng.uniform(0.1, 0.8, k), 2)
    area_ha = shapely.area(parts) / 1e4
    stock = np.round(area_ha * rng.uniform(40.0, 110.0, k), 1)
    return frame(
        {
            "id": ids("LC", k),
            "name": [f"示例地块{i + 1}" for i in range(k)],
            "cover_class": list(cover),
            "canopy_closure": [float(c) if f else None for c, f in zip(closure, forest,
                                                                        strict=True)],
            "stock_m3": [float(s) if f else None for s, f in zip(stock, forest, strict=True)],
        },
        parts,
    )


def sample_for_bundled(adcode: str, *, seed: int = 0) -> dict[LayerKind, gpd.GeoDataFrame]:
    """Return the sample layers of a bundled district (boundary and planning CRS from the bundle).

    中文：为内置区县边界生成示例数据。

    Raises
    ------
    UnknownDistrictError
        If ``adcode`` is not a bundled district.
    """
    from tanmap.layers.boundaries import bundled_district

    row = bundled_district(adcode)
    return generate_sample(
        adcode, row.geometry.iloc[0], int(row["planning_epsg"].iloc[0]), seed=seed
    )
