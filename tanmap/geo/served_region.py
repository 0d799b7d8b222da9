"""Exact pieces of the region served by facilities (服务范围): subdivision, segments, sectors.

The region within ``r`` of a facility ``g`` is ``R = {p : distance(p, g) <= r}``. No polygon is
``R`` exactly (its boundary has circular arcs). GEOS's own buffer is drawn from a *simplified*
input ring (its ``BufferInputLineSimplifier`` may drop concave vertices shallower than 1 % of the
distance, depending on the GEOS version) and rounds each corner's arc to the nearest whole number
of steps, so neither its inscription in ``R`` nor the sagitta bound is guaranteed for
non-convex input. tanmap therefore builds the served region itself from pieces that are each
exactly inside ``R``:

* the facility itself (polygon interiors are served);
* for every boundary segment, the rectangle swept by its outward normal over ``r`` (exact:
  straight edges);
* for every convex vertex (a left turn on a counter-clockwise shell or a clockwise hole), the
  sector between the normals of its two segments, with arc vertices *on* the circle, so the chords
  lie inside it (GEOS's fillet construction, but with at most ``pi / (2 q)`` per step);
* points are disks (GEOS buffers of points are exact: no simplification applies).

Why this is the whole region: a point ``p`` outside ``g`` within ``r`` of it has a nearest point
on the boundary; if that point lies inside a segment, ``p`` is on the segment's outward normal (in
its rectangle); if it is a vertex, ``p`` is in that vertex's normal cone, which is non-empty only
at convex vertices (in its sector). Lines are treated as the closed path that goes along the line
and back, so both sides get rectangles and the two ends get half-disks (U-turn sectors).

A segment's pieces lie within ``r`` of the segment, so the region near a small piece of land needs
only the segments within ``r`` of it: the work is local whatever the facility's size or shape.

:func:`subdivide` cuts large geometries into pieces of few vertices (PostGIS ``ST_Subdivide``), so
a spatial index over the pieces answers distance queries near one city-spanning strip park as fast
as near a small garden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = [
    "MAX_PIECE_VERTICES",
    "Segments",
    "boundary_segments",
    "point_disks",
    "segment_pieces",
    "subdivide",
]

#: Largest number of vertices of one piece of a subdivided facility (PostGIS's default is 256;
#: fewer vertices make each distance test cheaper and the index tighter).
MAX_PIECE_VERTICES = 64
#: Pieces narrower than this (m) are not cut further, whatever their vertex count.
_MIN_CUT_SIZE_M = 1e-3


def subdivide(
    geoms: np.ndarray, max_vertices: int = MAX_PIECE_VERTICES
) -> tuple[np.ndarray, np.ndarray]:
    """Cut geometries into single-part pieces of at most ``max_vertices`` vertices.

    中文：要素细分（大面要素切分为小块，便于空间索引）。

    Pieces over the limit are halved across the longer side of their envelope until every piece
    fits (or is narrower than a millimetre). The union of a geometry's pieces is the geometry
    (vertices created on the cuts are rounded to the coordinate precision, ~1e-10 m); original
    vertices are kept bit for bit. Empty and missing geometries give no pieces.

    Parameters
    ----------
    geoms
        Shapely geometries (any CRS).
    max_vertices
        Largest vertex count of a piece (>= 8).

    Returns
    -------
    tuple of numpy.ndarray
        The pieces and, per piece, the position of the geometry it came from.

    Examples
    --------
    >>> import shapely
    >>> strip = shapely.box(0, 0, 1000, 10).segmentize(10)
    >>> pieces, owner = subdivide(np.array([strip, shapely.Point(1, 1)]), 64)
    >>> bool((shapely.get_num_coordinates(pieces) <= 64).all()), owner.max()
    (True, np.int64(1))
    >>> round(float(shapely.area(pieces[owner == 0]).sum()), 6)
    10000.0
    """
    if max_vertices < 8:
        raise ValueError(f"max_vertices must be >= 8, got {max_vertices}.")
    geoms = np.asarray(geoms, dtype=object)
    live = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    pieces, idx = shapely.get_parts(geoms[live], return_index=True)
    owner = np.flatnonzero(live)[idx]
    dims = shapely.get_dimensions(geoms)
    done_pieces, done_owner = [], []
    while pieces.size:
        env = shapely.bounds(pieces)
        width, height = env[:, 2] - env[:, 0], env[:, 3] - env[:, 1]
        big = (shapely.get_num_coordinates(pieces) > max_vertices) & (
            np.maximum(width, height) > _MIN_CUT_SIZE_M)
        done_pieces.append(pieces[~big])
        done_owner.append(owner[~big])
        if not big.any():
            break
        pieces, owner, env = pieces[big], owner[big], env[big]
        wide = (env[:, 2] - env[:, 0]) >= (env[:, 3] - env[:, 1])
        mid_x, mid_y = (env[:, 0] + env[:, 2]) / 2.0, (env[:, 1] + env[:, 3]) / 2.0
        # Rectangles a little larger than the envelope, so no part is lost to a shared edge.
        pad = 1.0 + np.maximum(env[:, 2] - env[:, 0], env[:, 3] - env[:, 1])
        x0, y0, x1, y1 = env[:, 0] - pad, env[:, 1] - pad, env[:, 2] + pad, env[:, 3] + pad
        first_box = np.column_stack([x0, y0, np.where(wide, mid_x, x1), np.where(wide, y1, mid_y)])
        second_box = np.column_stack([np.where(wide, mid_x, x0), np.where(wide, y0, mid_y), x1, y1])
        # Rectangle clipping is linear in the vertices (no noding), unlike a general overlay;
        # the rare invalid result (rings touching along the cut) is repaired once the pieces
        # are small (below), where checking is cheap.
        halves = np.array([shapely.clip_by_rect(g, *b) for boxes in (first_box, second_box)
                           for g, b in zip(pieces, boxes, strict=True)], dtype=object)
        half_owner = np.concatenate([owner, owner])
        parts, idx = shapely.get_parts(halves, return_index=True)
        keep = (shapely.get_dimensions(parts) == dims[half_owner[idx]]) & ~shapely.is_empty(parts)
        pieces, owner = parts[keep], half_owner[idx][keep]
    if not done_pieces:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.intp)
    pieces, owner = np.concatenate(done_pieces), np.concatenate(done_owner).astype(np.intp)
    cut = np.bincount(owner, minlength=geoms.size)[owner] > 1
    bad = np.flatnonzero(cut & ~shapely.is_valid(pieces))
    if bad.size:
        fixed, idx = shapely.get_parts(shapely.make_valid(pieces[bad]), return_index=True)
        keep = shapely.get_dimensions(fixed) == dims[owner[bad][idx]]
        pieces = np.concatenate([np.delete(pieces, bad), fixed[keep]])
        owner = np.concatenate([np.delete(owner, bad), owner[bad][idx][keep]])
    return pieces, owner


@dataclass(frozen=True)
class Segments:
    """Directed boundary segments of polygons and lines, outward side on the right.

    中文：边界线段（外法向在右侧）。

    Attributes
    ----------
    start, end
        ``(n, 2)`` coordinates of each segment.
    normal
        ``(n, 2)`` unit normal on the outward (right-hand) side.
    next_normal
        ``(n, 2)`` unit outward normal of the segment that follows at ``end``.
    turn_rad
        Left-turn angle at ``end`` in (0, pi] (a convex vertex: its sector is served), or 0 for
        a straight or right (reflex) turn.
    owner
        Position of the geometry each segment belongs to.
    """

    start: np.ndarray
    end: np.ndarray
    normal: np.ndarray
    next_normal: np.ndarray
    turn_rad: np.ndarray
    owner: np.ndarray

    def __len__(self) -> int:
        return int(self.owner.size)

    def lines(self) -> np.ndarray:
        """Return the segments as two-point LineStrings (for a spatial index)."""
        return np.asarray(shapely.linestrings(np.stack([self.start, self.end], axis=1)))

    def take(self, positions: np.ndarray) -> Segments:
        """Return the segments at ``positions``."""
        return Segments(self.start[positions], self.end[positions], self.normal[positions],
                        self.next_normal[positions], self.turn_rad[positions],
                        self.owner[positions])


def boundary_segments(geoms: np.ndarray) -> Segments:
    """Return the directed boundary segments of polygonal and linear geometries.

    中文：提取面、线要素的边界线段（含顶点转角）。

    Shells are oriented counter-clockwise and holes clockwise, so the outside of the polygon is
    on the right of every segment and a left turn is a convex vertex. A line is walked there and
    back as one closed path: both of its sides are on the right of one direction, and its two
    ends are U-turns (a half-disk each). Points and empty geometries give no segments; repeated
    consecutive vertices are dropped.

    Examples
    --------
    >>> import shapely
    >>> seg = boundary_segments(np.array([shapely.box(0, 0, 2, 1)]))
    >>> len(seg), seg.turn_rad.round(4).tolist()
    (4, [1.5708, 1.5708, 1.5708, 1.5708])
    >>> line = boundary_segments(np.array([shapely.LineString([(0, 0), (3, 0)])]))
    >>> line.normal.tolist(), line.turn_rad.round(4).tolist()
    ([[0.0, -1.0], [0.0, 1.0]], [3.1416, 3.1416])
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    type_id = shapely.get_type_id(parts)
    polys = parts[type_id == 3]
    poly_owner = owner[type_id == 3]
    lines = parts[(type_id == 1) | (type_id == 2)]
    line_owner = owner[(type_id == 1) | (type_id == 2)]
    coords_list, ring_list, owner_list = [], [], []
    n_rings = 0
    if polys.size:
        rings, r_idx = shapely.get_rings(shapely.orient_polygons(polys), return_index=True)
        coords, c_idx = shapely.get_coordinates(rings, return_index=True)
        coords_list.append(coords)
        ring_list.append(c_idx)
        owner_list.append(poly_owner[r_idx])
        n_rings = rings.size
    if lines.size:
        coords, c_idx = shapely.get_coordinates(lines, return_index=True)
        # There and back: c0 .. ck, c(k-1) .. c0 (closed, like a ring).
        order = np.argsort(c_idx, kind="stable")
        coords, c_idx = coords[order], c_idx[order]
        counts = np.bincount(c_idx, minlength=lines.size)
        starts = np.cumsum(counts) - counts
        back_len = np.maximum(counts - 1, 0)
        back_line = np.repeat(np.arange(lines.size), back_len)
        back_pos = (starts[back_line] + counts[back_line] - 2
                    - (np.arange(back_len.sum()) - np.repeat(np.cumsum(back_len) - back_len,
                                                             back_len)))
        path = np.concatenate([coords, coords[back_pos]])
        path_id = np.concatenate([c_idx, back_line])
        order = np.argsort(path_id, kind="stable")
        coords_list.append(path[order])
        ring_list.append(path_id[order] + n_rings)
        owner_list.append(line_owner)
    if not coords_list:
        empty2 = np.zeros((0, 2))
        return Segments(empty2, empty2, empty2, empty2, np.zeros(0), np.zeros(0, dtype=np.intp))
    coords = np.concatenate(coords_list)
    ring = np.concatenate(ring_list)
    ring_owner = np.concatenate(owner_list)
    # Drop repeated consecutive vertices (zero-length segments have no normal).
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = ~((ring[1:] == ring[:-1]) & np.all(coords[1:] == coords[:-1], axis=1))
    coords, ring = coords[keep], ring[keep]
    is_seg = ring[:-1] == ring[1:]
    seg_ring = ring[:-1][is_seg]
    start, end = coords[:-1][is_seg], coords[1:][is_seg]
    # Rings with fewer than two segments (a degenerate line) have no sides.
    per_ring = np.bincount(seg_ring, minlength=len(ring_owner))
    ok = per_ring[seg_ring] >= 2
    start, end, seg_ring = start[ok], end[ok], seg_ring[ok]
    delta = end - start
    length = np.hypot(delta[:, 0], delta[:, 1])
    normal = np.column_stack([delta[:, 1], -delta[:, 0]]) / length[:, None]
    # The segment after each one, wrapping around its ring.
    n = seg_ring.size
    nxt = np.arange(1, n + 1)
    last = np.r_[seg_ring[1:] != seg_ring[:-1], True] if n else np.zeros(0, dtype=bool)
    first_of_ring = np.r_[0, np.flatnonzero(last)[:-1] + 1] if n else np.zeros(0, dtype=np.intp)
    nxt[last] = first_of_ring
    nxt = nxt.astype(np.intp)
    d_out = delta[nxt]
    cross = delta[:, 0] * d_out[:, 1] - delta[:, 1] * d_out[:, 0]
    dot = delta[:, 0] * d_out[:, 0] + delta[:, 1] * d_out[:, 1]
    turn = np.where(cross > 0, np.arctan2(cross, dot), 0.0)
    turn = np.where((cross == 0) & (dot < 0), math.pi, turn)
    return Segments(start, end, normal, normal[nxt], turn, ring_owner[seg_ring].astype(np.intp))


def segment_pieces(
    segments: Segments, radii: np.ndarray, quad_segs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the rectangle of each segment and the sector at each convex end vertex.

    中文：线段外侧矩形与凸顶点扇形（均内接于真实服务范围）。

    Parameters
    ----------
    segments
        From :func:`boundary_segments`.
    radii
        One radius (m) per segment.
    quad_segs
        Arc steps per quarter circle: each arc step is at most ``pi / (2 quad_segs)``, so every
        chord lies within ``sagitta_m(r, quad_segs)`` of its circle.

    Returns
    -------
    tuple of numpy.ndarray
        Polygons (rectangles first, then sectors) and, per polygon, its segment's position.

    Examples
    --------
    The four rectangles and four quarter-disk sectors of a unit square at r = 1 with 64 steps
    per quarter: area 4 + pi minus the chords' loss (the square itself is not a piece).

    >>> import shapely
    >>> seg = boundary_segments(np.array([shapely.box(0, 0, 1, 1)]))
    >>> pieces, _ = segment_pieces(seg, np.ones(4), 64)
    >>> round(float(shapely.union_all(pieces).area), 3)
    7.141
    """
    radii = np.asarray(radii, dtype=float)
    n = len(segments)
    if n == 0:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.intp)
    r = radii[:, None]
    off_start = segments.start + r * segments.normal
    off_end = segments.end + r * segments.normal
    rect_xy = np.stack([segments.start, segments.end, off_end, off_start, segments.start], axis=1)
    rects = shapely.polygons(rect_xy)
    convex = np.flatnonzero(segments.turn_rad > 0)
    if convex.size == 0:
        return rects, np.arange(n, dtype=np.intp)
    quantum = math.pi / (2.0 * quad_segs)
    phi = segments.turn_rad[convex]
    steps = np.maximum(1, np.ceil(phi / quantum - 1e-9)).astype(np.int64)
    # Ring per sector: vertex, start of the arc, (steps - 1) inner arc points, end, vertex.
    n_pts = steps + 3
    sector = np.repeat(np.arange(convex.size), n_pts)
    k = np.arange(n_pts.sum()) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    seg = convex[sector]
    theta0 = np.arctan2(segments.normal[seg, 1], segments.normal[seg, 0])
    theta = theta0 + (k - 1) * (phi[sector] / steps[sector])
    centre = segments.end[seg]
    xy = centre + radii[seg, None] * np.column_stack([np.cos(theta), np.sin(theta)])
    # Exact shared corners with the rectangles; the centre at both ends.
    xy = np.where((k == 1)[:, None], off_end[seg], xy)
    last_arc = k == (n_pts[sector] - 2)
    next_corner = segments.end[seg] + radii[seg, None] * segments.next_normal[seg]
    xy = np.where(last_arc[:, None], next_corner, xy)
    ends = (k == 0) | (k == n_pts[sector] - 1)
    xy = np.where(ends[:, None], centre, xy)
    sectors = shapely.polygons(shapely.linearrings(xy, indices=sector))
    return (np.concatenate([rects, sectors]),
            np.concatenate([np.arange(n), convex]).astype(np.intp))


def point_disks(points: np.ndarray, radii: np.ndarray, quad_segs: int) -> np.ndarray:
    """Return the disk polygon of each point (vertices on the circle: GEOS's exact buffer).

    中文：点设施的服务圆（内接多边形）。
    """
    return np.asarray(shapely.buffer(points, radii, quad_segs=quad_segs), dtype=object)
