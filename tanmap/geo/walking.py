"""Walking network graph maths (步行网络): noding, topology, multi-source distances, service areas.

Pure functions on arrays and shapely geometries in a *projected* CRS (metres); no I/O.

The graph is undirected and sparse: node ids ``0 .. n_nodes - 1``, one edge per row of
``(from_node, to_node, length_m)``. Shortest walking distances from *all* sources at once come
from one call of :func:`scipy.sparse.csgraph.dijkstra` with ``min_only=True`` and
``limit=cutoff_m`` (a multi-source Dijkstra that stops at the cut-off): the work is proportional
to the part of the network within the cut-off, never an all-pairs matrix.

Park access points are made nodes by splitting their edges at their exact offsets
(:func:`insert_points`); the foot of a building on its nearest edge is then reached through the
nearer end of its piece of edge, ``min(d_u + t, d_v + (l - t))`` (vectorised, no node per
building), so the partial edges at both ends are counted exactly, including two points on one
edge. Buildings join their nearest edge in bulk (:func:`nearest_edges`, windowed envelope
queries and one vectorised distance call) on threads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from tanmap.geo.errors import NetworkError
from tanmap.geo.tiles import map_tiles, spatial_tiles

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ACCESS_ORIGINS",
    "ATTACH_MAX_SEARCH_M",
    "ATTACH_SEARCH_M",
    "ATTACH_TILE_FEATURES",
    "DEFAULT_SNAP_TOLERANCE_M",
    "INSERT_ROUND_M",
    "AccessPoints",
    "EdgeFragments",
    "NetworkArrays",
    "NetworkAttachment",
    "NodedNetwork",
    "SplitNetwork",
    "TopologyReport",
    "WalkGraph",
    "WalkingReach",
    "attach",
    "build_graph",
    "edge_rank",
    "entrance_parks",
    "graph_arrays",
    "insert_points",
    "multi_source_distances",
    "nearest_edges",
    "node_lines",
    "park_access_points",
    "reached_fragments",
    "reached_lines",
    "reached_pieces",
    "service_area",
    "topology_report",
    "walking_reach",
]

#: Default snapping tolerance (m) for noding a road file: endpoints within it of another line
#: are joined to it. Survey-grade CAD road centre lines close to the centimetre; 1 m catches
#: digitising gaps without joining lanes that are really apart (carriageways are > 3 m).
DEFAULT_SNAP_TOLERANCE_M = 1.0

#: Offsets (m) closer than this to an edge end are put *on* the end node: no zero-length edges.
INSERT_ROUND_M = 1e-9

#: First window (m) of the bulk nearest-edge join (:func:`nearest_edges`): about the depth of a
#: building behind its street; features farther from every edge retry with a wider window.
ATTACH_SEARCH_M = 30.0
#: Widest window (m) before the per-feature nearest-neighbour search takes over.
ATTACH_MAX_SEARCH_M = 500.0
#: Features per thread task of :func:`attach` (smaller inputs run on one thread).
ATTACH_TILE_FEATURES = 50_000


class _UnionFind:
    """Tiny union-find on integers (path halving)."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True)
class WalkGraph:
    """An undirected walking graph: edges as arrays, adjacency as a symmetric CSR matrix.

    中文：步行网络图（节点、路段、长度）。

    Attributes
    ----------
    from_node, to_node
        Node ids of each edge (``int64``), in ``0 .. n_nodes - 1``.
    length_m
        Length of each edge in metres (> 0 after zero-length edges are merged away).
    n_nodes
        Number of nodes.
    node_of
        For each *input* node id, the graph node it became (zero-length edges merge nodes).
    """

    from_node: np.ndarray
    to_node: np.ndarray
    length_m: np.ndarray
    n_nodes: int
    node_of: np.ndarray
    matrix: sp.csr_matrix = field(repr=False)


def build_graph(
    from_node: np.ndarray, to_node: np.ndarray, length_m: np.ndarray, n_nodes: int | None = None
) -> WalkGraph:
    """Build the sparse undirected graph of a walking network.

    中文：由路段数组构建稀疏步行网络图。

    Parallel edges keep their shortest length (a CSR matrix would *add* duplicates). Edges of
    length 0 merge their two ends into one node, because scipy's sparse graphs cannot hold an
    explicit zero weight reliably.

    Parameters
    ----------
    from_node, to_node
        Integer node ids (``>= 0``) of each edge.
    length_m
        Edge lengths in metres, finite and ``>= 0``.
    n_nodes
        Number of nodes (default: the largest id + 1).

    Raises
    ------
    NetworkError
        On negative, NaN or infinite lengths, negative ids or arrays of different lengths.

    Examples
    --------
    >>> g = build_graph([0, 1, 0], [1, 2, 1], [5.0, 3.0, 4.0])
    >>> g.n_nodes, float(g.matrix[0, 1]), float(g.matrix[1, 0])
    (3, 4.0, 4.0)
    """
    u = np.asarray(from_node, dtype=np.int64)
    v = np.asarray(to_node, dtype=np.int64)
    w = np.asarray(length_m, dtype=np.float64)
    if not (u.shape == v.shape == w.shape) or u.ndim != 1:
        raise NetworkError("from_node, to_node and length_m must be 1-D arrays of one length")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise NetworkError(
            f"walking network edge {i} has length_m {float(w[i])!r}: lengths must be finite "
            "and >= 0 "
            "— fix the length or drop the edge"
        )
    if u.size and (min(int(u.min()), int(v.min())) < 0):
        raise NetworkError("walking network node ids must be >= 0")
    top = int(max(u.max(), v.max())) + 1 if u.size else 0
    n_in = top if n_nodes is None else int(n_nodes)
    if n_in < top:
        raise NetworkError(f"n_nodes={n_in} but an edge uses node {top - 1}")
    # Merge the two ends of every zero-length edge (connected components of those edges).
    zero = w == 0
    if zero.any():
        zg = sp.coo_matrix((np.ones(int(zero.sum())), (u[zero], v[zero])), shape=(n_in, n_in))
        _, labels = connected_components(zg, directed=False)
        node_of = labels.astype(np.int64)
        n = int(labels.max()) + 1 if n_in else 0
    else:
        node_of = np.arange(n_in, dtype=np.int64)
        n = n_in
    keep = ~zero
    u, v, w = node_of[u[keep]], node_of[v[keep]], w[keep]
    loop = u == v
    u, v, w = u[~loop], v[~loop], w[~loop]
    # Shortest of parallel edges: sort by (min, max, length) and keep the first of each pair.
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(a.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w = a[first], b[first], w[first]
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    matrix = sp.csr_matrix((np.concatenate([w, w]), (rows, cols)), shape=(n, n))
    return WalkGraph(a, b, w, n, node_of, matrix)


def multi_source_distances(
    graph: WalkGraph, sources: np.ndarray, cutoff_m: float = math.inf
) -> np.ndarray:
    """Return the shortest walking distance (m) from the nearest source to every node.

    中文：多源最短步行距离（带截断距离）。

    One multi-source Dijkstra (``scipy.sparse.csgraph.dijkstra(min_only=True, limit=...)``):
    nodes farther than ``cutoff_m`` from every source get ``inf``; a node exactly at the
    cut-off keeps its distance (inclusive).

    Parameters
    ----------
    graph
        The walking graph.
    sources
        Graph node ids of the sources.
    cutoff_m
        Stop distance in metres (``inf``: no cut-off).

    Examples
    --------
    >>> g = build_graph([0, 1, 2], [1, 2, 3], [100.0, 100.0, 100.0])
    >>> multi_source_distances(g, [0], cutoff_m=200.0).tolist()
    [0.0, 100.0, 200.0, inf]
    """
    src = np.unique(np.asarray(sources, dtype=np.int64))
    if cutoff_m < 0 or math.isnan(cutoff_m):
        raise NetworkError(f"cutoff_m must be >= 0, got {cutoff_m!r}")
    if graph.n_nodes == 0 or src.size == 0:
        return np.full(graph.n_nodes, math.inf)
    if src.min() < 0 or src.max() >= graph.n_nodes:
        raise NetworkError("source node id outside the graph")
    # scipy's limit is exclusive of nothing beyond it: nodes with distance > limit are inf;
    # a tiny relative slack keeps a node *at* the cut-off despite summation rounding.
    limit = cutoff_m * (1 + 1e-12) + 1e-9 if math.isfinite(cutoff_m) else np.inf
    dist = dijkstra(graph.matrix, directed=False, indices=src, min_only=True, limit=limit)
    dist = np.asarray(dist, dtype=np.float64)
    dist[dist > cutoff_m * (1 + 1e-12) + 1e-9] = math.inf
    return dist


@dataclass(frozen=True)
class SplitNetwork:
    """Edges after inserting points, and the node each inserted point became.

    Attributes
    ----------
    from_node, to_node, length_m
        The new edge arrays.
    parent_edge
        For each new edge, the input edge it is part of.
    start_m
        Offset (m) of the new edge's ``from_node`` along its parent edge.
    n_nodes
        Nodes after insertion (input nodes keep their ids; new nodes follow).
    point_node
        For each inserted point, its node id.
    """

    from_node: np.ndarray
    to_node: np.ndarray
    length_m: np.ndarray
    parent_edge: np.ndarray
    start_m: np.ndarray
    n_nodes: int
    point_node: np.ndarray


def insert_points(
    from_node: np.ndarray,
    to_node: np.ndarray,
    length_m: np.ndarray,
    n_nodes: int,
    edge: np.ndarray,
    offset_m: np.ndarray,
) -> SplitNetwork:
    """Split edges at points given by (edge, offset from its ``from_node``) and make them nodes.

    中文：在路段上插入点（出入口、建筑接入点）并拆分路段。

    Points at an offset within :data:`INSERT_ROUND_M` of an end become that end node; several
    points at one offset of one edge share one node.

    Parameters
    ----------
    from_node, to_node, length_m, n_nodes
        The network.
    edge
        Index of the edge each point lies on.
    offset_m
        Distance along that edge from its ``from_node`` (clipped to ``[0, length]``).

    Examples
    --------
    >>> s = insert_points([0], [1], [10.0], 2, [0, 0], [4.0, 10.0])
    >>> s.point_node.tolist(), s.length_m.tolist()
    ([2, 1], [4.0, 6.0])
    """
    u = np.asarray(from_node, dtype=np.int64)
    v = np.asarray(to_node, dtype=np.int64)
    w = np.asarray(length_m, dtype=np.float64)
    e = np.asarray(edge, dtype=np.int64)
    t = np.clip(np.asarray(offset_m, dtype=np.float64), 0.0, w[e] if e.size else 0.0)
    point_node = np.empty(e.size, dtype=np.int64)
    at_start = t <= INSERT_ROUND_M
    at_end = t >= w[e] - INSERT_ROUND_M if e.size else np.zeros(0, dtype=bool)
    point_node[at_start] = u[e[at_start]]
    point_node[at_end & ~at_start] = v[e[at_end & ~at_start]]
    inner = ~(at_start | at_end)
    # Unique (edge, offset) pairs of inner points, sorted along each edge (vectorised: a city
    # has a million buildings to insert).
    ie, it = e[inner], t[inner]
    order = np.lexsort((it, ie))
    se, st = ie[order], it[order]
    first = np.ones(se.size, dtype=bool)
    first[1:] = (se[1:] != se[:-1]) | (st[1:] != st[:-1])
    pe, pt = se[first], st[first]
    new_ids = n_nodes + np.arange(pe.size, dtype=np.int64)
    rank = np.cumsum(first) - 1
    sorted_nodes = new_ids[rank] if se.size else np.zeros(0, dtype=np.int64)
    inner_nodes = np.empty(ie.size, dtype=np.int64)
    inner_nodes[order] = sorted_nodes
    point_node[inner] = inner_nodes
    split = np.zeros(w.size, dtype=bool)
    split[pe] = True
    keep = np.flatnonzero(~split)
    # Runs of points on one edge: each point joins the previous one (or the edge start); the
    # last point of a run also joins the edge end.
    run_start = np.r_[True, pe[1:] != pe[:-1]] if pe.size else np.zeros(0, dtype=bool)
    run_end = np.r_[pe[1:] != pe[:-1], True] if pe.size else np.zeros(0, dtype=bool)
    prev_node = np.where(run_start, u[pe], np.r_[np.int64(-1), new_ids[:-1]])
    prev_off = np.where(run_start, 0.0, np.r_[0.0, pt[:-1]])
    last = np.flatnonzero(run_end)
    out_u = [u[keep], prev_node, new_ids[last]]
    out_v = [v[keep], new_ids, v[pe[last]]]
    out_w = [w[keep], pt - prev_off, w[pe[last]] - pt[last]]
    out_p = [keep, pe, pe[last]]
    out_s = [np.zeros(keep.size), prev_off, pt[last]]
    return SplitNetwork(
        np.concatenate(out_u), np.concatenate(out_v), np.concatenate(out_w),
        np.concatenate(out_p), np.concatenate(out_s), int(n_nodes + pe.size), point_node,
    )


@dataclass(frozen=True)
class EdgeFragments:
    """The reached part of each edge, from each of its ends.

    ``[0, head_m]`` from its start and ``[length - tail_m, length]`` from its end (both may be
    0; ``head_m + tail_m >= length`` means all of it).
    """

    head_m: np.ndarray
    tail_m: np.ndarray
    whole: np.ndarray


def reached_fragments(
    length_m: np.ndarray, dist_from_m: np.ndarray, dist_to_m: np.ndarray, cutoff_m: float
) -> EdgeFragments:
    """Return how far into each edge a walker gets from each end within ``cutoff_m``.

    中文：截断距离处的部分路段。

    Examples
    --------
    >>> f = reached_fragments(np.array([100.0]), np.array([30.0]), np.array([np.inf]), 80.0)
    >>> f.head_m.tolist(), f.tail_m.tolist(), f.whole.tolist()
    ([50.0], [0.0], [False])
    """
    w = np.asarray(length_m, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        head = np.clip(cutoff_m - np.asarray(dist_from_m, dtype=np.float64), 0.0, w)
        tail = np.clip(cutoff_m - np.asarray(dist_to_m, dtype=np.float64), 0.0, w)
    head = np.nan_to_num(head, nan=0.0)
    tail = np.nan_to_num(tail, nan=0.0)
    # An end beyond the cut-off (inf) contributes nothing; clip gave 0 already.
    whole = head + tail >= w
    return EdgeFragments(head, tail, whole)


def service_area(reached: np.ndarray, width_m: float) -> shapely.Geometry:
    """Return a walking service area: the reached network stretches buffered by ``width_m``.

    中文：步行服务范围（可达路段按宽度缓冲，非凸包）。

    Method: the stretches of :func:`reached_lines` (each edge cut at the exact remaining
    distance) are unioned and buffered by ``width_m`` (round ends). Limits: it is drawn from the
    streets, so it shows *which streets* reach a park within the distance; land beside a street
    further than ``width_m`` is not shown, and the buffer's round end may extend ``width_m``
    beyond the exact cut-off point. Land and building figures never use this shape; they use
    each target's own off-network leg (:func:`walking_reach`).

    Examples
    --------
    >>> from shapely import LineString
    >>> round(service_area(np.array([LineString([(0, 0), (40, 0)])]), 0.0).length, 6)
    40.0
    """
    pieces = np.asarray(reached, dtype=object)
    if pieces.size == 0:
        return shapely.Polygon()
    if width_m <= 0:
        return shapely.union_all(pieces)
    # Buffer each stretch, then union: GEOS buffers a city's worth of unioned lines ~100x
    # slower (4k edges: 18 s against 0.2 s) for the same shape.
    return shapely.union_all(shapely.buffer(pieces, width_m))


@dataclass(frozen=True)
class NodedNetwork:
    """A line file noded into a graph: one LineString per edge and its end nodes.

    Attributes
    ----------
    lines
        Edge geometries (LineStrings) in the input CRS.
    from_node, to_node
        End node ids (``0 .. n_nodes - 1``).
    length_m
        Geometric length of each edge (m).
    source_row
        Input row each edge came from.
    nodes_xy
        Coordinates of every node, shape ``(n_nodes, 2)``.
    snapped
        Number of line ends moved onto another line within the tolerance.
    """

    lines: np.ndarray
    from_node: np.ndarray
    to_node: np.ndarray
    length_m: np.ndarray
    source_row: np.ndarray
    nodes_xy: np.ndarray
    snapped: int
    snap_tolerance_m: float


def _parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LineString parts of (Multi)LineStrings and the input row of each."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    ok = (shapely.get_type_id(parts) == 1) & (shapely.get_num_coordinates(parts) >= 2)
    ok &= shapely.length(parts) > 0
    return parts[ok], index[ok]


def node_lines(
    geoms: np.ndarray, snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M
) -> NodedNetwork:
    """Node a road or path line file into graph edges, snapping ends within a tolerance.

    中文：道路/步道线要素打断建网（交叉处打断，端点按容差捕捉）。

    Method: (1) every line end within ``snap_tolerance_m`` of another line is moved onto it —
    to that line's nearest end when one is within the tolerance, else to the nearest point on
    it (a T-junction drawn a little short or long); (2) all lines are noded where they cross or
    touch (:func:`shapely.node`, one shared coordinate per crossing); (3) equal end coordinates
    are one node. Every crossing becomes a junction: a bridge or tunnel drawn across a street
    in the same file is joined to it (give such lines a different file, or drop them, when
    they have no stair).

    Parameters
    ----------
    geoms
        (Multi)LineStrings in a projected CRS (metres). Other geometry types are skipped.
    snap_tolerance_m
        Snapping tolerance in metres (``>= 0``).

    Examples
    --------
    >>> from shapely import LineString
    >>> cross = np.array([LineString([(0, 0), (10, 0)]), LineString([(5, -5), (5, 5)])])
    >>> net = node_lines(cross)
    >>> len(net.lines), len(net.nodes_xy)
    (4, 5)
    >>> gap = np.array([LineString([(0, 0), (10, 0)]), LineString([(5, 0.5), (5, 5)])])
    >>> node_lines(gap, 1.0).snapped, len(node_lines(gap, 0.1).lines)
    (1, 2)
    """
    if snap_tolerance_m < 0 or not math.isfinite(snap_tolerance_m):
        raise NetworkError(
            f"snap_tolerance_m must be a finite number >= 0, got {snap_tolerance_m!r}")
    parts, rows = _parts(np.asarray(geoms, dtype=object))
    empty = np.zeros(0, dtype=np.int64)
    if parts.size == 0:
        return NodedNetwork(np.zeros(0, dtype=object), empty, empty, np.zeros(0), empty,
                            np.zeros((0, 2)), 0, snap_tolerance_m)
    coords = [shapely.get_coordinates(p) for p in parts]
    snapped = 0
    if snap_tolerance_m > 0:
        parts = parts.copy()
        tree = shapely.STRtree(parts)
        # One batch query finds the few ends that may need moving: within twice the tolerance
        # of another line and not touching any (the loop below re-measures them one by one).
        ends_xy = np.array([c[k] for c in coords for k in (0, -1)])
        end_pts = shapely.points(ends_xy)
        own = np.repeat(np.arange(parts.size), 2)
        ei, li = tree.query(end_pts, predicate="dwithin", distance=2 * snap_tolerance_m)
        other = li != own[ei]
        ei, li = ei[other], li[other]
        touching = np.zeros(end_pts.size, dtype=bool)
        touching[ei[shapely.distance(end_pts[ei], parts[li]) == 0]] = True
        candidate = np.zeros(end_pts.size, dtype=bool)
        candidate[ei] = True
        candidate &= ~touching
        for flat in np.flatnonzero(candidate):
            i, end = int(flat // 2), (0, -1)[int(flat % 2)]
            xy = coords[i]
            pt = shapely.points(xy[end])
            # The tree holds the lines as first drawn; ends move by <= the tolerance, so
            # query twice as far and measure against the lines as they are now.
            near = tree.query(pt, predicate="dwithin", distance=2 * snap_tolerance_m)
            near = near[near != i]
            # A line it already meets is joined already: moving this end onto it would only
            # fold the line back along it.
            near = near[~shapely.intersects(parts[near], parts[i])]
            if near.size == 0:
                continue
            d = shapely.distance(parts[near], pt)
            if d.min() == 0 or d.min() > snap_tolerance_m:
                continue  # touching already (noding joins it) or too far
            j = int(near[np.argmin(d)])
            ends = coords[j][[0, -1]]
            de = np.hypot(*(ends - xy[end]).T)
            if de.min() <= snap_tolerance_m:
                target = ends[int(np.argmin(de))]
            else:
                # Onto the line's interior: the point is also inserted into that line as a
                # vertex, so both carry the very same coordinate and noding joins them exactly
                # (a projected point is not exactly on a sloping segment in floating point).
                along = parts[j].project(pt)
                q = parts[j].interpolate(along)
                target = np.array([q.x, q.y])
                cum = np.r_[0.0, np.cumsum(np.hypot(*np.diff(coords[j], axis=0).T))]
                k = int(np.clip(np.searchsorted(cum, along, side="right") - 1, 0,
                                len(coords[j]) - 2))
                coords[j] = np.insert(coords[j], k + 1, target, axis=0)
                parts[j] = shapely.linestrings(coords[j])
            xy[end] = target
            parts[i] = shapely.linestrings(xy)
            snapped += 1
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(list(parts))))
    noded = noded[shapely.length(noded) > 0]
    # Which input line each noded piece came from: the piece's midpoint lies on it.
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    tree = shapely.STRtree(parts)
    pair = tree.query_nearest(mids, return_distance=False, all_matches=False)
    source_row = rows[pair[1][np.argsort(pair[0])]]
    starts = shapely.get_coordinates(shapely.get_point(noded, 0))
    ends = shapely.get_coordinates(shapely.get_point(noded, -1))
    xy_all = np.vstack([starts, ends])
    nodes_xy, inverse = np.unique(xy_all, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    n = noded.size
    return NodedNetwork(
        noded, inverse[:n].astype(np.int64), inverse[n:].astype(np.int64),
        shapely.length(noded), source_row.astype(np.int64), nodes_xy, snapped, snap_tolerance_m,
    )


@dataclass(frozen=True)
class TopologyReport:
    """Topology of a walking network (拓扑检查).

    Attributes
    ----------
    n_edges, n_nodes
        Counts.
    total_length_m
        Sum of edge lengths.
    dangles
        Nodes of degree 1 (dead ends, or ends that missed a junction).
    n_components
        Connected components.
    largest_component_length_m
        Length of the largest component (by length).
    disconnected_length_m
        Length outside the largest component (islands a walker cannot reach from it).
    component_of_edge
        Component label of each edge (0 = the largest).
    snapped
        Line ends snapped onto another line while noding (0 for a prebuilt graph).
    snap_tolerance_m
        The tolerance used (None for a prebuilt graph).
    """

    n_edges: int
    n_nodes: int
    total_length_m: float
    dangles: int
    n_components: int
    largest_component_length_m: float
    disconnected_length_m: float
    component_of_edge: np.ndarray = field(repr=False)
    snapped: int = 0
    snap_tolerance_m: float | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the figures as plain JSON-ready values."""
        return {
            "n_edges": self.n_edges, "n_nodes": self.n_nodes,
            "total_length_m": self.total_length_m, "dangles": self.dangles,
            "n_components": self.n_components,
            "largest_component_length_m": self.largest_component_length_m,
            "disconnected_length_m": self.disconnected_length_m,
            "snapped": self.snapped, "snap_tolerance_m": self.snap_tolerance_m,
        }


def topology_report(
    from_node: np.ndarray, to_node: np.ndarray, length_m: np.ndarray, n_nodes: int | None = None,
    *, snapped: int = 0, snap_tolerance_m: float | None = None,
) -> TopologyReport:
    """Count dangles and disconnected components of a network and their length.

    中文：网络拓扑报告（悬挂端点、不连通分量及其长度）。

    Examples
    --------
    >>> r = topology_report([0, 1, 3], [1, 2, 4], [10.0, 10.0, 5.0])
    >>> r.dangles, r.n_components, r.disconnected_length_m
    (4, 2, 5.0)
    """
    u = np.asarray(from_node, dtype=np.int64)
    v = np.asarray(to_node, dtype=np.int64)
    w = np.asarray(length_m, dtype=np.float64)
    n = int(max(u.max(), v.max())) + 1 if n_nodes is None and u.size else int(n_nodes or 0)
    if u.size == 0:
        return TopologyReport(0, n, 0.0, 0, 0, 0.0, 0.0, np.zeros(0, dtype=np.int64),
                              snapped, snap_tolerance_m)
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    used = degree > 0
    adj = sp.coo_matrix((np.ones(u.size), (u, v)), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    edge_label = labels[u]
    comp_ids, edge_comp = np.unique(edge_label, return_inverse=True)
    comp_len = np.bincount(edge_comp, weights=w)
    # Relabel components by length, largest first (ties: lowest node id first: deterministic).
    order = np.lexsort((comp_ids, -comp_len))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    largest = float(comp_len[order[0]])
    return TopologyReport(
        n_edges=int(u.size), n_nodes=int(used.sum()), total_length_m=float(w.sum()),
        dangles=int((degree == 1).sum()), n_components=int(comp_ids.size),
        largest_component_length_m=largest, disconnected_length_m=float(w.sum() - largest),
        component_of_edge=rank[edge_comp].astype(np.int64), snapped=snapped,
        snap_tolerance_m=snap_tolerance_m,
    )


#: How an access point arose (出入口来源), the ParkServe order of preference.
ACCESS_ORIGINS: dict[str, tuple[str, str]] = {
    "entrance": ("数据出入口", "Entrance from data"),
    "boundary_crossing": ("路网与公园边界交点", "Network meets the park boundary"),
    "nearest_network": ("最近路网点", "Nearest network point"),
}


@dataclass(frozen=True)
class NetworkAttachment:
    """Where geometries join the network: nearest edge, offset along it, off-network leg.

    Attributes
    ----------
    edge
        Index of the nearest edge (-1: no edge).
    offset_m
        Distance along the edge from its ``from_node`` to the joining point, in the edge's
        ``length_m`` (scaled when the stated length differs from the drawn one).
    gap_m
        Straight distance from the geometry to the joining point (the off-network leg).
    point
        The joining points (shapely Points on the edges).
    """

    edge: np.ndarray
    offset_m: np.ndarray
    gap_m: np.ndarray
    point: np.ndarray


def _lowest_nearest(feature: np.ndarray, edge: np.ndarray, dist_m: np.ndarray,
                    rank: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep, per feature, its nearest candidate edge (among equals the lowest ``rank``).

    ``rank`` is a permutation of the edge indices (:func:`edge_rank`); None ranks edges by index.
    """
    if feature.size == 0:
        return feature, edge, dist_m
    if np.any(feature[1:] < feature[:-1]):  # STRtree answers come grouped by input already
        order = np.argsort(feature, kind="stable")
        feature, edge, dist_m = feature[order], edge[order], dist_m[order]
    starts = np.flatnonzero(np.r_[True, feature[1:] != feature[:-1]])
    counts = np.diff(np.r_[starts, feature.size])
    nearest = np.minimum.reduceat(dist_m, starts)
    at_min = dist_m == np.repeat(nearest, counts)
    key = edge if rank is None else rank[edge]
    lowest = np.minimum.reduceat(np.where(at_min, key, np.iinfo(np.int64).max), starts)
    if rank is not None:  # back from rank to edge index (rank is a permutation)
        edge_of_rank = np.empty_like(rank)
        edge_of_rank[rank] = np.arange(rank.size, dtype=rank.dtype)
        lowest = edge_of_rank[lowest]
    return feature[starts], lowest, nearest


def edge_rank(lines: np.ndarray) -> np.ndarray:
    """Return a rank of the edges by their geometry alone, for ties between equally near edges.

    中文：路段的几何排序（与行序无关），用于等距路段的取舍。

    Edges sort by their envelope, then length, then the normalised geometry's WKB, so two
    inputs holding the same edges in another row order rank them alike (an edge drawn both ways
    ranks as one). A building or cell equally near two streets then joins the same street
    whatever the order of the road file's rows.

    Examples
    --------
    >>> from shapely import LineString
    >>> a, b = LineString([(0, 0), (0, 10)]), LineString([(10, 0), (10, 10)])
    >>> edge_rank(np.array([a, b])).tolist(), edge_rank(np.array([b, a])).tolist()
    ([0, 1], [1, 0])
    """
    lines = np.asarray(lines, dtype=object)
    if lines.size == 0:
        return np.zeros(0, dtype=np.int64)
    bounds = shapely.bounds(lines)
    wkb = np.array(shapely.to_wkb(shapely.normalize(lines), hex=True), dtype=str)
    order = np.lexsort((wkb, shapely.length(lines), bounds[:, 3], bounds[:, 2], bounds[:, 1],
                        bounds[:, 0]))
    rank = np.empty(lines.size, dtype=np.int64)
    rank[order] = np.arange(lines.size, dtype=np.int64)
    return rank


def _envelope_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the distance between envelopes (rows of minx, miny, maxx, maxy): a lower bound."""
    dx = np.maximum(np.maximum(a[:, 0] - b[:, 2], b[:, 0] - a[:, 2]), 0.0)
    dy = np.maximum(np.maximum(a[:, 1] - b[:, 3], b[:, 1] - a[:, 3]), 0.0)
    return np.asarray(np.hypot(dx, dy), dtype=np.float64)


def nearest_edges(
    geoms: np.ndarray, tree: shapely.STRtree, lines: np.ndarray,
    search_m: float = ATTACH_SEARCH_M, line_bounds: np.ndarray | None = None,
    rank: np.ndarray | None = None,
) -> np.ndarray:
    """Return the index of each geometry's nearest edge (-1 for missing or empty geometries).

    中文：要素最近路段（批量）。

    Equally near edges resolve to the lowest ``rank`` (:func:`edge_rank`: by geometry, so the
    answer does not depend on the rows' order; None: the lowest index). Bulk and exact: the
    edges whose envelope lies within ``search_m`` of a feature's envelope are its candidates
    (any edge that near is one). The candidate with the nearest envelope is measured first (one
    vectorised ``shapely.distance`` call for all features); only candidates whose envelope is no
    farther than that distance can be as near, and only they are measured next. A feature whose
    nearest candidate is within ``search_m`` is done; the rest retry with a wider window, up to
    :data:`ATTACH_MAX_SEARCH_M`, then take ``STRtree.query_nearest`` (one GEOS search per
    feature, many times slower per feature than the windows).

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> lines = np.array([LineString([(0, 0), (10, 0)]), LineString([(0, 10), (10, 10)])])
    >>> nearest_edges(np.array([Point(5, 5), Point(5, 9), Point(5, 900)]),
    ...               shapely.STRtree(lines), lines, search_m=2.0).tolist()
    [0, 1, 1]
    """
    g = np.asarray(geoms, dtype=object)
    edge = np.full(g.size, -1, dtype=np.int64)
    rest = np.flatnonzero(~(shapely.is_missing(g) | shapely.is_empty(g)))
    if rest.size == 0 or len(lines) == 0:
        return edge
    lb = shapely.bounds(lines) if line_bounds is None else line_bounds
    window = float(search_m)
    while rest.size and window <= ATTACH_MAX_SEARCH_M:
        env = shapely.bounds(g[rest])
        fi, ei = tree.query(shapely.box(env[:, 0] - window, env[:, 1] - window,
                                        env[:, 2] + window, env[:, 3] + window))
        if fi.size:
            low = _envelope_gap(env[fi], lb[ei])
            # The candidate with the nearest envelope, per feature, measured first...
            f1, e1, _ = _lowest_nearest(fi, ei, low)
            best = np.full(rest.size, np.inf)
            best[f1] = shapely.distance(g[rest[f1]], lines[e1])
            measured = np.full(rest.size, -1, dtype=np.int64)
            measured[f1] = e1
            # ...then only those whose envelope is as near as that distance (ties included).
            more = (low <= best[fi]) & (ei != measured[fi])
            fi = np.concatenate([f1, fi[more]])
            ei = np.concatenate([e1, ei[more]])
            d = np.concatenate([best[f1], shapely.distance(g[rest[fi[f1.size:]]],
                                                           lines[ei[f1.size:]])])
            fi, ei, d = _lowest_nearest(fi, ei, d, rank)
            found = d <= window
            edge[rest[fi[found]]] = ei[found]
        rest = rest[edge[rest] < 0]
        window *= 4.0
    if rest.size:
        fi, ei = tree.query_nearest(g[rest], all_matches=True)
        fi, ei, _ = _lowest_nearest(fi, ei, np.zeros(fi.size), rank)
        edge[rest[fi]] = ei
    return edge


def attach(geoms: np.ndarray, lines: np.ndarray, length_m: np.ndarray, *,
           workers: int | None = None) -> NetworkAttachment:
    """Join each geometry to its nearest edge (the off-network leg).

    中文：要素接入最近路段（离网步行段）。

    The edge is the one nearest to the geometry (:func:`nearest_edges`; among equally near
    edges the first by :func:`edge_rank`, so not by row order); the joining point is
    the point of that edge nearest to the geometry's centroid (deterministic where a whole side
    of a footprint is equally near); the leg is the distance from the geometry to that point.
    Large inputs run in spatial tiles on ``workers`` threads (None: every CPU; GEOS releases
    the GIL); each feature is decided on its own, so the answer does not depend on the tiling.

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> a = attach(np.array([Point(3, 4)]), np.array([LineString([(0, 0), (10, 0)])]),
    ...            np.array([10.0]))
    >>> a.edge.tolist(), a.offset_m.tolist(), a.gap_m.tolist()
    ([0], [3.0], [4.0])
    """
    g = np.asarray(geoms, dtype=object)
    n = g.size
    lines = np.asarray(lines, dtype=object)
    edge = np.full(n, -1, dtype=np.int64)
    offset = np.zeros(n)
    gap = np.full(n, math.inf)
    point = np.full(n, None, dtype=object)
    if n == 0 or lines.size == 0:
        return NetworkAttachment(edge, offset, gap, point)
    tree = shapely.STRtree(lines)
    drawn_all = shapely.length(lines)
    stated_all = np.asarray(length_m, dtype=np.float64)
    rank = edge_rank(lines)

    def join(rows: np.ndarray) -> None:
        # Each tile writes its own rows of the output arrays (disjoint: no lock needed).
        sub = g[rows]
        e = nearest_edges(sub, tree, lines, rank=rank)
        ok = e >= 0
        rows_ok, e_ok = rows[ok], e[ok]
        lo = lines[e_ok]
        # Join where the edge is nearest to the feature's centre: a footprint alongside a
        # street has a whole side equally near, and GEOS would pick an arbitrary end of it.
        along = shapely.line_locate_point(lo, shapely.centroid(sub[ok]))
        foot = shapely.line_interpolate_point(lo, along)
        drawn, stated = drawn_all[e_ok], stated_all[e_ok]
        scale = np.divide(stated, drawn, out=np.ones_like(drawn), where=drawn > 0)
        edge[rows_ok] = e_ok
        offset[rows_ok] = along * scale
        gap[rows_ok] = shapely.distance(sub[ok], foot)
        point[rows_ok] = foot

    map_tiles(join, spatial_tiles(g, min_features=ATTACH_TILE_FEATURES), workers)
    return NetworkAttachment(edge, offset, gap, point)


@dataclass(frozen=True)
class AccessPoints:
    """Park access points (公园出入口/接入点) on the walking network.

    Attributes
    ----------
    park
        Index of the park (row) each access point belongs to.
    origin
        ``"entrance"`` (from data), ``"boundary_crossing"`` (the network meets or crosses the
        park boundary, ParkServe) or ``"nearest_network"`` (no path reaches the park).
    entrance
        Row of the entrance it came from (-1 otherwise).
    geometry
        The access point where it joins the network.
    edge, offset_m
        Its edge and offset along it.
    gap_m
        Off-network leg from the entrance / park boundary to the network (0 on crossings),
        added to every walk from it.
    """

    park: np.ndarray
    origin: np.ndarray
    entrance: np.ndarray
    geometry: np.ndarray
    edge: np.ndarray
    offset_m: np.ndarray
    gap_m: np.ndarray


def entrance_parks(
    entrance_geoms: np.ndarray,
    entrance_park_ids: Sequence[Any] | None,
    park_geoms: np.ndarray,
    park_ids: Sequence[Any] | None,
) -> np.ndarray:
    """Return the index of each entrance's park, or -1 when it has none.

    中文：入口所属公园：按 park_id 匹配；未填的归入其所在或 1 米内的公园。

    An entrance is matched by its park id where it has one (None or NaN = none given); one
    without a matching id goes to the park it touches or lies within 1 m of.

    Examples
    --------
    >>> import shapely
    >>> parks = np.array([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)])
    >>> ents = np.array([shapely.Point(10.5, 5), shapely.Point(15, 5), shapely.Point(0, 0)])
    >>> entrance_parks(ents, [None, None, "B"], parks, ["A", "B"]).tolist()
    [0, -1, 1]
    """
    index = {str(p): i for i, p in enumerate(park_ids)} if park_ids is not None else {}
    if entrance_park_ids is None:
        ent_park = np.full(len(entrance_geoms), -1, dtype=np.int64)
    else:
        ent_park = np.array([index.get(str(p), -1) if p is not None and not pd.isna(p) else -1
                             for p in entrance_park_ids], dtype=np.int64)
    loose = np.flatnonzero(ent_park < 0)
    if loose.size and len(park_geoms):
        tree = shapely.STRtree(park_geoms)
        hit = tree.query_nearest(entrance_geoms[loose], max_distance=1.0, all_matches=False)
        ent_park[loose[hit[0]]] = hit[1]
    return ent_park


def park_access_points(
    parks: np.ndarray,
    lines: np.ndarray,
    length_m: np.ndarray,
    entrances: np.ndarray | None = None,
    entrance_park: np.ndarray | None = None,
) -> AccessPoints:
    """Return where parks are entered from the walking network, and how each point arose.

    中文：公园接入点（数据出入口 / 路网与边界交点 / 最近路网点）。

    Order (ParkServe convention, Trust for Public Land): a park with entrances in the data is
    entered there (each joined to its nearest edge, the gap walked); otherwise wherever an edge
    meets or crosses its boundary; a park no edge reaches is entered at the network point
    nearest to it (the gap walked).

    Parameters
    ----------
    parks
        Park polygons (projected CRS).
    lines, length_m
        Network edges and their lengths.
    entrances
        Entrance points, or None.
    entrance_park
        Park row of each entrance (-1: not assigned to a park; such entrances are ignored).

    Examples
    --------
    >>> from shapely import LineString, box
    >>> ap = park_access_points(np.array([box(0, 0, 10, 10)]),
    ...                         np.array([LineString([(-5, 5), (5, 5)])]), np.array([10.0]))
    >>> ap.origin.tolist(), ap.offset_m.tolist(), ap.gap_m.tolist()
    (['boundary_crossing'], [5.0], [0.0])
    """
    parks = np.asarray(parks, dtype=object)
    lines = np.asarray(lines, dtype=object)
    w = np.asarray(length_m, dtype=np.float64)
    rows: list[tuple[int, str, int, object, int, float, float]] = []
    has_entrance = np.zeros(parks.size, dtype=bool)
    if entrances is not None and entrance_park is not None and len(entrances):
        ent = np.asarray(entrances, dtype=object)
        ep = np.asarray(entrance_park, dtype=np.int64)
        use = np.flatnonzero((ep >= 0) & ~shapely.is_empty(ent))
        at = attach(ent[use], lines, w)
        for k, i in enumerate(use):
            if at.edge[k] < 0:
                continue
            has_entrance[ep[i]] = True
            rows.append((int(ep[i]), "entrance", int(i), at.point[k], int(at.edge[k]),
                         float(at.offset_m[k]), float(at.gap_m[k])))
    rest = np.flatnonzero(~has_entrance & ~shapely.is_empty(parks))
    if lines.size and rest.size:
        tree = shapely.STRtree(lines)
        boundaries = shapely.boundary(parks[rest])
        pi, ei = tree.query(boundaries, predicate="intersects")
        meets = shapely.intersection(boundaries[pi], lines[ei])
        drawn = shapely.length(lines)
        crossed = np.zeros(parks.size, dtype=bool)
        for k in np.argsort(pi * (lines.size + 1) + ei, kind="stable"):
            park_row, e = int(rest[pi[k]]), int(ei[k])
            pts = shapely.get_parts(meets[k])
            # A stretch of edge along the boundary is entered at its two ends.
            pts = np.concatenate([
                shapely.points(shapely.get_coordinates(p)[[0, -1]])
                if shapely.get_type_id(p) == 1 else np.array([p], dtype=object)
                for p in pts
            ]) if pts.size else pts
            scale = w[e] / drawn[e] if drawn[e] > 0 else 1.0
            seen: set[float] = set()
            for p in pts:
                off = float(shapely.line_locate_point(lines[e], p)) * scale
                if off in seen:
                    continue
                seen.add(off)
                crossed[park_row] = True
                rows.append((park_row, "boundary_crossing", -1, p, e, off, 0.0))
        rest = rest[~crossed[rest]]
    if lines.size and rest.size:
        at = attach(parks[rest], lines, w)
        for k, nearest_row in enumerate(rest):
            rows.append((int(nearest_row), "nearest_network", -1, at.point[k], int(at.edge[k]),
                         float(at.offset_m[k]), float(at.gap_m[k])))
    rows.sort(key=lambda r: (r[0], r[4], r[5]))
    return AccessPoints(
        park=np.array([r[0] for r in rows], dtype=np.int64),
        origin=np.array([r[1] for r in rows], dtype=object),
        entrance=np.array([r[2] for r in rows], dtype=np.int64),
        geometry=np.array([r[3] for r in rows], dtype=object),
        edge=np.array([r[4] for r in rows], dtype=np.int64),
        offset_m=np.array([r[5] for r in rows], dtype=np.float64),
        gap_m=np.array([r[6] for r in rows], dtype=np.float64),
    )


@dataclass(frozen=True)
class WalkingReach:
    """Walking distances from the nearest access point to each target (建筑/地块).

    Attributes
    ----------
    distance_m
        Total walk: network distance to the target's joining point + its off-network leg
        (``inf`` beyond the cut-off or unreachable).
    network_m
        The network part (``inf`` when beyond the cut-off).
    gap_m
        The off-network leg (target to its nearest edge).
    node_distance_m
        Network distance of every node of the split graph (for service areas).
    piece_edge, piece_start_m, piece_length_m
        The network after inserting the access points: each piece's input edge, where it
        starts along it and its length (in the edge's ``length_m``).
    piece_from_m, piece_to_m
        Network distance of each piece's two ends (``inf`` beyond the cut-off).
    cutoff_m
        The cut-off used.
    """

    distance_m: np.ndarray
    network_m: np.ndarray
    gap_m: np.ndarray
    piece_edge: np.ndarray
    piece_start_m: np.ndarray
    piece_length_m: np.ndarray
    piece_from_m: np.ndarray
    piece_to_m: np.ndarray
    cutoff_m: float


def walking_reach(
    from_node: np.ndarray,
    to_node: np.ndarray,
    length_m: np.ndarray,
    n_nodes: int,
    access: AccessPoints,
    targets: NetworkAttachment,
    cutoff_m: float,
) -> WalkingReach:
    """Return exact walking distances from all access points at once, up to ``cutoff_m``.

    中文：多源步行距离（出入口到建筑，含部分路段与离网步行段）。

    Access points are inserted into their edges (:func:`insert_points`); an access point with
    an off-network leg becomes a leaf node that far from the network. One multi-source
    Dijkstra with the cut-off (:func:`multi_source_distances`) gives every node's distance; a
    target's joining point on the piece ``[a, a + l]`` of its edge at offset ``t`` is then
    ``min(d_from + (t - a), d_to + (a + l - t))`` (vectorised: the same answer as inserting it
    as a node, without a node per building), and its walk adds its own leg, counted when
    ``<= cutoff_m`` (inclusive).

    Examples
    --------
    A street 0-1-2 (100 m each); a park entered at node 0, a building 10 m off the street
    half-way along the second edge:

    >>> from shapely import Point
    >>> ap = AccessPoints(np.array([0]), np.array(["entrance"], dtype=object), np.array([0]),
    ...                   np.array([Point(0, 0)]), np.array([0]), np.array([0.0]),
    ...                   np.array([0.0]))
    >>> t = NetworkAttachment(np.array([1]), np.array([50.0]), np.array([10.0]),
    ...                       np.array([Point(150, 0)]))
    >>> walking_reach([0, 1], [1, 2], [100.0, 100.0], 3, ap, t, 160.0).distance_m.tolist()
    [160.0]
    >>> walking_reach([0, 1], [1, 2], [100.0, 100.0], 3, ap, t, 159.0).distance_m.tolist()
    [inf]
    """
    u = np.asarray(from_node, dtype=np.int64)
    v = np.asarray(to_node, dtype=np.int64)
    w = np.asarray(length_m, dtype=np.float64)
    n_src, n_tgt = access.edge.size, targets.edge.size
    split = insert_points(u, v, w, n_nodes, access.edge, access.offset_m)
    src_node = split.point_node[:n_src]
    # Access points off the network: a leaf node per point, the leg as its one edge.
    legs = np.flatnonzero(access.gap_m > 0)
    leaf = split.n_nodes + np.arange(legs.size, dtype=np.int64)
    start = src_node.copy()
    start[legs] = leaf
    graph = build_graph(
        np.concatenate([split.from_node, src_node[legs]]),
        np.concatenate([split.to_node, leaf]),
        np.concatenate([split.length_m, access.gap_m[legs]]),
        split.n_nodes + legs.size,
    )
    dist = multi_source_distances(graph, graph.node_of[start], cutoff_m)
    ends = graph.node_of
    piece_from, piece_to = dist[ends[split.from_node]], dist[ends[split.to_node]]
    network = np.full(n_tgt, math.inf)
    ok = np.flatnonzero(targets.edge >= 0)
    if ok.size and split.parent_edge.size:
        network[ok] = _partial_edge_distances(
            split, piece_from, piece_to, w, targets.edge[ok], targets.offset_m[ok])
    total = network + targets.gap_m
    total[total > cutoff_m * (1 + 1e-12) + 1e-9] = math.inf
    return WalkingReach(
        distance_m=total, network_m=network, gap_m=targets.gap_m.copy(),
        piece_edge=split.parent_edge, piece_start_m=split.start_m,
        piece_length_m=split.length_m, piece_from_m=piece_from, piece_to_m=piece_to,
        cutoff_m=float(cutoff_m),
    )


def _partial_edge_distances(
    split: SplitNetwork, piece_from_m: np.ndarray, piece_to_m: np.ndarray,
    length_m: np.ndarray, edge: np.ndarray, offset_m: np.ndarray,
) -> np.ndarray:
    """Return the network distance of points on edges from the distances of the pieces' ends.

    A point at offset ``t`` of the piece ``[a, a + l]`` of its edge (the pieces are the edges
    cut at the access points, so no walk starts inside one) is reached through either end:
    ``min(d_from + (t - a), d_to + (a + l - t))``. Offsets are clipped and rounded onto the
    edge ends as :func:`insert_points` would, so the answer is the one of a graph with the
    point inserted as a node. A point exactly at an access point (a piece end) gets its
    distance.
    """
    w_e = length_m[edge]
    t = np.clip(offset_m, 0.0, w_e)
    t = np.where(t <= INSERT_ROUND_M, 0.0, np.where(t >= w_e - INSERT_ROUND_M, w_e, t))
    # Most edges hold no access point and are one piece; the others are searched: the point's
    # piece is the last piece of its edge starting at or before it. Pieces and points are
    # sorted together by (edge, offset), pieces first on equal keys (every edge has a piece
    # starting at 0, so the last piece before a point is on the point's edge).
    n_pieces = np.bincount(split.parent_edge, minlength=length_m.size)
    whole = n_pieces[split.parent_edge] == 1
    piece_of_edge = np.full(length_m.size, -1, dtype=np.int64)
    piece_of_edge[split.parent_edge[whole]] = np.flatnonzero(whole)
    k = piece_of_edge[edge]
    cut = np.flatnonzero(k < 0)
    if cut.size:
        pieces = np.flatnonzero(~whole)
        n_p = pieces.size
        keys_edge = np.concatenate([split.parent_edge[pieces], edge[cut]])
        keys_at = np.concatenate([split.start_m[pieces], t[cut]])
        is_point = np.r_[np.zeros(n_p, dtype=np.int8), np.ones(cut.size, dtype=np.int8)]
        order = np.lexsort((is_point, keys_at, keys_edge))
        seen = np.where(order < n_p, np.arange(order.size), -1)
        last_piece = order[np.maximum.accumulate(seen)]
        at_point = order >= n_p
        k[cut[order[at_point] - n_p]] = pieces[last_piece[at_point]]
    a = split.start_m[k]
    lk = split.length_m[k]
    along = np.clip(t - a, 0.0, lk)
    return np.asarray(np.minimum(piece_from_m[k] + along, piece_to_m[k] + (lk - along)),
                      dtype=np.float64)


def reached_lines(
    lines: np.ndarray, length_m: np.ndarray, reach: WalkingReach
) -> tuple[np.ndarray, np.ndarray]:
    """Return the reached parts of the network as LineStrings, cut at the remaining distance.

    中文：截断距离内可达的路段（含部分路段）。

    Returns
    -------
    (geometries, edge)
        One LineString per reached stretch, and the input edge it lies on.
    """
    from shapely.ops import substring

    frag = reached_fragments(reach.piece_length_m, reach.piece_from_m, reach.piece_to_m,
                             reach.cutoff_m)
    lines = np.asarray(lines, dtype=object)
    w = np.asarray(length_m, dtype=np.float64)
    out: list[object] = []
    out_edge: list[int] = []
    for k in np.flatnonzero((frag.head_m > 0) | (frag.tail_m > 0)):
        e = int(reach.piece_edge[k])
        line = lines[e]
        scale = line.length / w[e] if w[e] > 0 else 0.0
        a = reach.piece_start_m[k]
        b = a + reach.piece_length_m[k]
        spans = ([(a, b)] if frag.whole[k] else
                 [(a, a + frag.head_m[k]), (b - frag.tail_m[k], b)])
        for lo, hi in spans:
            if hi > lo:
                out.append(substring(line, lo * scale, hi * scale))
                out_edge.append(e)
    return np.array(out, dtype=object), np.array(out_edge, dtype=np.int64)


@dataclass(frozen=True)
class NetworkArrays:
    """Walkable edges as graph arrays, in a projected CRS.

    Attributes
    ----------
    lines
        Edge geometries (LineStrings).
    from_node, to_node
        Graph node ids ``0 .. n_nodes - 1``.
    length_m
        Drawn edge lengths (m).
    n_nodes
        Node count.
    rows
        Input row each entry came from.
    """

    lines: np.ndarray
    from_node: np.ndarray
    to_node: np.ndarray
    length_m: np.ndarray
    n_nodes: int
    rows: np.ndarray


def graph_arrays(
    geoms: np.ndarray,
    from_ids: np.ndarray | None = None,
    to_ids: np.ndarray | None = None,
    walkable: np.ndarray | None = None,
) -> NetworkArrays:
    """Return walkable edges as graph arrays with dense node ids.

    中文：路段要素转为图数组。

    Node ids come from ``from_ids``/``to_ids`` when given and complete (OSM node ids, or the
    ids :func:`node_lines` gave), renumbered densely; otherwise from equal end coordinates.
    Lengths are the drawn lengths (a stale stored length cannot mislead); rows whose
    ``walkable`` is False, empty or non-LineString geometries are left out.

    Examples
    --------
    >>> from shapely import LineString
    >>> a = graph_arrays(np.array([LineString([(0, 0), (3, 4)]), LineString([(3, 4), (3, 9)])]))
    >>> a.from_node.tolist(), a.to_node.tolist(), a.length_m.tolist(), a.n_nodes
    ([0, 1], [1, 2], [5.0, 5.0], 3)
    """
    g = np.asarray(geoms, dtype=object)
    keep = ~shapely.is_empty(g) & (shapely.get_type_id(g) == 1) if g.size else np.zeros(
        0, dtype=bool)
    if walkable is not None:
        # Only an explicit False (or 0) leaves an edge out; None/NA = walkable.
        keep &= ~pd.Series(np.asarray(walkable, dtype=object)).isin([False]).to_numpy()
    rows = np.flatnonzero(keep)
    lines = g[rows]
    ids_ok = from_ids is not None and to_ids is not None
    if ids_ok:
        fa = np.asarray(from_ids, dtype=object)[rows]
        ta = np.asarray(to_ids, dtype=object)[rows]
        ids_ok = not bool(pd.isna(np.concatenate([fa, ta])).any())
    if ids_ok:
        ends = np.concatenate([fa, ta]).astype(np.int64)
    else:
        xy = np.vstack([shapely.get_coordinates(shapely.get_point(lines, 0)),
                        shapely.get_coordinates(shapely.get_point(lines, -1))]) if rows.size \
            else np.zeros((0, 2))
        _, ends = np.unique(xy, axis=0, return_inverse=True)
    uniq, dense = np.unique(ends, return_inverse=True)
    dense = dense.reshape(-1).astype(np.int64)
    return NetworkArrays(lines, dense[: rows.size], dense[rows.size:],
                         shapely.length(lines) if rows.size else np.zeros(0),
                         int(uniq.size), rows)


def reached_pieces(
    lines: np.ndarray, length_m: np.ndarray, reach: WalkingReach, piece_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return short pieces of the reached network and the walk left at each piece's far end.

    中文：可达路网切分为短段及每段剩余步行距离。

    Each reached stretch is cut into pieces of at most ``piece_m``; a piece's remaining
    distance is ``cutoff - (largest network distance on the piece)``, so everything within
    that remaining distance of *every* point of the piece is reached on foot: a lower bound
    of the land a walker reaches off the network (short by at most ``piece_m`` along a street).

    Examples
    --------
    >>> from shapely import LineString, Point
    >>> ap = AccessPoints(np.array([0]), np.array(["entrance"], dtype=object), np.array([0]),
    ...                   np.array([Point(0, 0)]), np.array([0]), np.array([0.0]),
    ...                   np.array([0.0]))
    >>> none = NetworkAttachment(np.zeros(0, np.int64), np.zeros(0), np.zeros(0),
    ...                          np.zeros(0, object))
    >>> r = walking_reach([0], [1], [100.0], 2, ap, none, 50.0)
    >>> g, left = reached_pieces(np.array([LineString([(0, 0), (100, 0)])]), np.array([100.0]),
    ...                          r, 20.0)
    >>> shapely.length(g).round(6).tolist(), left.round(6).tolist()
    ([20.0, 20.0, 10.0], [30.0, 10.0, 0.0])
    """
    from shapely.ops import substring

    if piece_m <= 0:
        raise NetworkError(f"piece_m must be > 0, got {piece_m!r}")
    w = reach.piece_length_m
    d_from, d_to = reach.piece_from_m, reach.piece_to_m
    cut = reach.cutoff_m
    frag = reached_fragments(w, d_from, d_to, cut)
    # Where a piece is reached from both ends, the walks meet where they are equal.
    with np.errstate(invalid="ignore"):
        meet = np.clip((d_to + w - d_from) / 2, 0.0, w)
    head = np.where(frag.whole, np.nan_to_num(meet, nan=0.0), frag.head_m)
    tail = np.where(frag.whole, w - head, frag.tail_m)
    lines = np.asarray(lines, dtype=object)
    wl = np.asarray(length_m, dtype=np.float64)
    out: list[object] = []
    left: list[float] = []
    for k in np.flatnonzero((head > 0) | (tail > 0)):
        e = int(reach.piece_edge[k])
        scale = lines[e].length / wl[e] if wl[e] > 0 else 0.0
        a0 = reach.piece_start_m[k]
        # head: from the piece start forward, distance grows from d_from.
        spans = []
        n_head = math.ceil(head[k] / piece_m) if head[k] > 0 else 0
        for i in range(n_head):
            lo, hi = i * piece_m, min((i + 1) * piece_m, head[k])
            spans.append((a0 + lo, a0 + hi, cut - (d_from[k] + hi)))
        n_tail = math.ceil(tail[k] / piece_m) if tail[k] > 0 else 0
        for i in range(n_tail):
            lo, hi = i * piece_m, min((i + 1) * piece_m, tail[k])
            spans.append((a0 + w[k] - hi, a0 + w[k] - lo, cut - (d_to[k] + hi)))
        for lo, hi, rem in spans:
            if hi > lo:
                out.append(substring(lines[e], lo * scale, hi * scale))
                left.append(max(float(rem), 0.0))
    return np.array(out, dtype=object), np.array(left, dtype=np.float64)
