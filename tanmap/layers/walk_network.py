"""Walking network layer (步行网络): build it from a road/path line file, check its topology.

The store side of :mod:`tanmap.geo.walking`: reading a bureau's road file (any format
:func:`tanmap.layers.ingest.io.read_vector` reads), noding it in the district's planning CRS,
writing the ``walk_network`` layer, and turning stored edges (from here or from the OSM import)
back into graph arrays and park access points.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from tanmap.geo.errors import DataFormatError
from tanmap.geo.walking import (
    ACCESS_ORIGINS,
    DEFAULT_SNAP_TOLERANCE_M,
    NetworkArrays,
    TopologyReport,
    entrance_parks,
    graph_arrays,
    node_lines,
    park_access_points,
    topology_report,
)
from tanmap.layers.kinds import LayerKind

if TYPE_CHECKING:
    from tanmap.layers.store.base import LayerVersion, Store

__all__ = [
    "NetworkBuild",
    "access_points_frame",
    "import_walk_network",
    "network_arrays",
    "network_from_lines",
    "stored_topology",
]

#: Attributes carried from the road file to each edge when present (after field mapping).
_CARRIED = ("name", "highway", "walkable", "barrier", "crossing", "status")

#: Road-file headers accepted for the carried attributes (道路名称, 道路等级 ...).
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "道路名称", "路名", "NAME"),
    "highway": ("highway", "道路等级", "道路类型", "等级", "type", "class", "fclass"),
    "walkable": ("walkable", "可步行", "步行"),
    "barrier": ("barrier", "障碍"),
    "crossing": ("crossing", "过街设施", "过街"),
}


@dataclass(frozen=True)
class NetworkBuild:
    """A walking network built from a line file: its edges and its topology report.

    Attributes
    ----------
    edges
        ``walk_network`` features (id, name, highway, from_node, to_node, length_m, walkable,
        barrier, crossing, source) in the CRS the lines were noded in.
    report
        Dangles, components and their lengths, snapped ends, the tolerance.
    """

    edges: gpd.GeoDataFrame
    report: TopologyReport


def _pick_columns(lines: gpd.GeoDataFrame) -> dict[str, str]:
    found: dict[str, str] = {}
    lower = {str(c).lower(): str(c) for c in lines.columns if c != lines.geometry.name}
    for field, names in _ALIASES.items():
        for name in names:
            if name.lower() in lower:
                found[field] = lower[name.lower()]
                break
    return found


def _walkable_values(values: pd.Series, source: str) -> np.ndarray:
    """``walkable`` as booleans: 是/否, yes/no, true/false, 1/0; blank = walkable."""
    truthy = {"1", "true", "yes", "y", "是", "可", "t"}
    falsy = {"0", "false", "no", "n", "否", "不可", "f"}
    out = np.ones(len(values), dtype=bool)
    for i, value in enumerate(values.tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        text = str(value).strip().lower()
        if text in falsy:
            out[i] = False
        elif text not in truthy and text != "":
            raise DataFormatError(
                f"{source} row {i + 1} field walkable: value {value!r} is not yes/no — fix: "
                "use 是/否, yes/no, true/false or 1/0 (blank = walkable)"
            )
    return out


def network_from_lines(
    lines: gpd.GeoDataFrame,
    *,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    source: str = "",
) -> NetworkBuild:
    """Node a road/path line layer into walking-network edges with a topology report.

    中文：由道路/步道线图层构建步行网络（交叉处打断、端点捕捉、拓扑报告）。

    Parameters
    ----------
    lines
        Line features in a *projected* CRS (metres): the district's planning CRS.
    snap_tolerance_m
        Line ends within this distance of another line are joined to it (m).
    source
        Text for the ``source`` field and messages (e.g. the file name).

    Raises
    ------
    GeographicCRSError
        When ``lines`` are in degrees.
    DataFormatError
        When no line geometry is left or a ``walkable`` value is not yes/no.
    """
    from tanmap.geo.crs import require_projected

    require_projected(lines, what=f"road lines {source}".strip())
    columns = _pick_columns(lines)
    net = node_lines(lines.geometry.to_numpy(), snap_tolerance_m)
    if len(net.lines) == 0:
        raise DataFormatError(
            f"{source or 'the road file'} has no line geometry to build a walking network from "
            "— fix: give LineString/MultiLineString features (roads, paths)"
        )
    rows = net.source_row
    data: dict[str, Any] = {"id": [f"e{i + 1}" for i in range(len(net.lines))]}
    for field in ("name", "highway", "barrier", "crossing"):
        if field in columns:
            col = lines[columns[field]].reset_index(drop=True)
            data[field] = [None if pd.isna(x) else str(x) for x in col.iloc[rows].tolist()]
    walkable = (_walkable_values(lines[columns["walkable"]].reset_index(drop=True), source)[rows]
                if "walkable" in columns else np.ones(rows.size, dtype=bool))
    data.update(from_node=net.from_node, to_node=net.to_node, length_m=net.length_m,
                walkable=walkable, status="existing", source=source or None)
    edges = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(net.lines, crs=lines.crs),
                             crs=lines.crs)
    usable = walkable
    report = topology_report(net.from_node[usable], net.to_node[usable], net.length_m[usable],
                             len(net.nodes_xy), snapped=net.snapped,
                             snap_tolerance_m=snap_tolerance_m)
    return NetworkBuild(edges, report)


def import_walk_network(
    store: Store,
    path: str | Path,
    district: str,
    *,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
    layer: str | None = None,
    source_crs: Any = None,
    coord_system: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
) -> tuple[NetworkBuild, LayerVersion | None]:
    """Read a road/path file, node it in the district's planning CRS and store the network.

    中文：导入道路/步道文件，构建并保存步行网络图层。

    The new version replaces the district's ``walk_network`` (one atomic write; history keeps
    the old one). ``dry_run`` builds and reports only.
    """
    from tanmap.layers.ingest.io import read_vector
    from tanmap.layers.runner import district_planning_epsg

    path = Path(path)
    row = store.district(district)
    epsg = district_planning_epsg(row)
    raw = read_vector(path, layer=layer, encoding=encoding, source_crs=source_crs,
                      coord_system=coord_system)
    build = network_from_lines(raw.to_crs(epsg), snap_tolerance_m=snap_tolerance_m,
                               source=path.name)
    if dry_run:
        return build, None
    edges = build.edges.to_crs(4326)
    version = store.write(LayerKind.WALK_NETWORK, edges, district=district,
                          source=f"{path.name} (noded, snap {snap_tolerance_m:g} m)")
    return build, version


def network_arrays(edges: gpd.GeoDataFrame) -> NetworkArrays:
    """Return the walkable edges of a ``walk_network`` frame (projected CRS) as graph arrays.

    中文：步行网络图层转为图数组（见 :func:`tanmap.geo.walking.graph_arrays`）。
    """
    from tanmap.geo.crs import require_projected

    require_projected(edges, what="walk_network edges")

    def column(name: str) -> np.ndarray | None:
        return edges[name].astype(object).to_numpy() if name in edges.columns else None

    return graph_arrays(edges.geometry.to_numpy(), column("from_node"), column("to_node"),
                        column("walkable"))


def stored_topology(edges: gpd.GeoDataFrame) -> TopologyReport:
    """Return the topology report of stored ``walk_network`` edges (projected CRS)."""
    arrays = network_arrays(edges)
    return topology_report(arrays.from_node, arrays.to_node, arrays.length_m, arrays.n_nodes)


def access_points_frame(
    parks: gpd.GeoDataFrame,
    edges: gpd.GeoDataFrame,
    entrances: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Return park access points with how each arose (``origin``), in the parks' CRS.

    中文：公园接入点图层（来源：数据出入口 / 路网与边界交点 / 最近路网点）。

    Entrances are matched to parks by ``park_id`` (= ``park.id``); entrances without one are
    given to the park they touch or lie within 1 m of.
    Columns: id, park_id, origin, origin_zh, origin_en, entrance_id, gap_m, geometry.
    """
    arrays = network_arrays(edges.to_crs(parks.crs))
    park_ids = parks["id"].astype(str).to_numpy() if "id" in parks.columns else (
        np.array([str(i) for i in range(len(parks))]))
    ent_geoms = ent_park = None
    ent_ids: np.ndarray = np.zeros(0, dtype=object)
    if entrances is not None and len(entrances):
        ent = entrances.to_crs(parks.crs)
        ent_geoms = ent.geometry.to_numpy()
        ent_ids = ent["id"].astype(str).to_numpy() if "id" in ent.columns else (
            np.array([str(i) for i in range(len(ent))]))
        ent_park = entrance_parks(
            ent_geoms, ent["park_id"].tolist() if "park_id" in ent.columns else None,
            parks.geometry.to_numpy(), park_ids.tolist())
    ap = park_access_points(parks.geometry.to_numpy(), arrays.lines, arrays.length_m,
                            ent_geoms, ent_park)
    return gpd.GeoDataFrame(
        {
            "id": [f"a{i + 1}" for i in range(ap.park.size)],
            "park_id": park_ids[ap.park] if ap.park.size else [],
            "origin": ap.origin.tolist(),
            "origin_zh": [ACCESS_ORIGINS[o][0] for o in ap.origin],
            "origin_en": [ACCESS_ORIGINS[o][1] for o in ap.origin],
            "entrance_id": [ent_ids[e] if e >= 0 else None for e in ap.entrance],
            "gap_m": ap.gap_m,
        },
        geometry=gpd.GeoSeries(ap.geometry, crs=parks.crs), crs=parks.crs,
    )
