"""A vectorised Mapbox Vector Tile (MVT 2.1) encoder: numpy command streams, minimal protobuf.

Every per-vertex and per-feature step is a numpy array operation: the coordinates of all the
features of a tile come out of ``shapely.to_ragged_array`` at once, are rounded to the tile grid,
cleaned (repeated points, rings that collapse), oriented, zig-zag delta encoded into the MVT
command stream and written as protobuf varints; string values are copied into the value table
with array indexing, and only non-string values (few distinct ones) are encoded one by one. On a
zoom-14 tile of 6,000 footprints with distinct ids and names this is 4–5x faster than the
pure-Python ``mapbox-vector-tile`` encoder (``benchmarks/tiles.py`` measures both on the same
features), whose decoder the tests use to check every kind of tile this module writes
(``tests/layers/test_mvt_encoder.py``).

The format follows the Mapbox Vector Tile specification 2.1 (§4.3 geometry encoding: MoveTo /
LineTo / ClosePath commands, zig-zag parameters, cursor carried across parts; §4.3.4.4 exterior
rings of positive and interior rings of negative surveyor's-formula area in tile coordinates,
y down; §4.4 key and value tables) and the protobuf wire format (varints, length-delimited
fields, packed repeated ``uint32``).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

__all__ = ["EXTENT", "encode_layer", "varint_bytes"]

#: Default tile extent (the MVT default): coordinates 0..4096 across the tile.
EXTENT = 4096

_MOVE_TO, _LINE_TO, _CLOSE_PATH = 1, 2, 7
_POINT, _LINESTRING, _POLYGON = 1, 2, 3  # MVT GeomType
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
#: shapely type id -> MVT geometry type (GeometryCollections are split first).
_FAMILY = {0: _POINT, 4: _POINT, 1: _LINESTRING, 2: _LINESTRING, 5: _LINESTRING,
           3: _POLYGON, 6: _POLYGON}
_I = np.int64
#: Largest tile coordinate accepted: command parameters are zig-zag encoded 32-bit integers.
_MAX_COORD = 2**30


def _command(cmd: int, count: int | np.ndarray) -> Any:
    return (np.asarray(count, dtype=_I) << 3) | cmd


def _zigzag(v: np.ndarray) -> np.ndarray:
    return (v << 1) ^ (v >> 63)


def _varint_len(v: np.ndarray) -> np.ndarray:
    """Return the bytes each unsigned value of ``v`` (uint64) takes as a protobuf varint."""
    v = np.asarray(v, dtype=np.uint64)
    n = np.ones(v.shape, dtype=_I)
    for k in range(1, 10):
        n += v >= np.uint64(1 << (7 * k))
    return n


def varint_bytes(values: np.ndarray) -> bytes:
    """Return the protobuf varints of ``values`` (unsigned, below 2**64), concatenated.

    中文：protobuf 变长整数编码（批量）。

    Examples
    --------
    >>> varint_bytes(np.array([1, 150, 300])).hex()
    '019601ac02'
    """
    v = np.asarray(values).astype(np.uint64)
    if not len(v):
        return b""
    n = _varint_len(v)
    width = int(n.max())
    shifts = np.arange(width, dtype=np.uint64) * np.uint64(7)
    groups = ((v[:, None] >> shifts) & np.uint64(0x7F)).astype(np.uint8)
    k = np.arange(width)
    groups |= np.where(k[None, :] < (n - 1)[:, None], 0x80, 0).astype(np.uint8)
    return groups[k[None, :] < n[:, None]].tobytes()


def _one_varint(value: int) -> bytes:
    if value < _SMALL:
        return _VARINTS[value]
    return _slow_varint(value)


def _slow_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


_SMALL = 1 << 14
_VARINTS = [_slow_varint(v) for v in range(_SMALL)]


def _field(number: int, payload: bytes) -> bytes:
    """Return a length-delimited protobuf field."""
    return _one_varint(number << 3 | 2) + _one_varint(len(payload)) + payload


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + n)`` for every (s, n), without a Python loop."""
    lengths = np.asarray(lengths, dtype=_I)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=_I)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(np.asarray(starts, dtype=_I) - offsets, lengths) + np.arange(total, dtype=_I)


# --------------------------------------------------------------------------------- geometry


def _dedupe(q: np.ndarray, part_of: np.ndarray, *, cyclic: bool) -> np.ndarray:
    """Return the vertices to keep: none equal to the one before it in its part.

    MVT §4.3.3.2 allows no LineTo by (0, 0); for rings the last vertex may not equal the first
    either (ClosePath draws that edge).
    """
    keep = np.ones(len(q), dtype=bool)
    if not len(q):
        return keep
    first = np.r_[True, part_of[1:] != part_of[:-1]]
    keep[1:] = ~np.all(q[1:] == q[:-1], axis=1)
    keep |= first
    if cyclic:
        idx = np.flatnonzero(keep)
        parts = part_of[idx]
        change = parts[1:] != parts[:-1]
        lasts = idx[np.r_[change, True]]
        firsts = idx[np.r_[True, change]]
        closes = np.all(q[lasts] == q[firsts], axis=1) & (lasts != firsts)
        keep[lasts[closes]] = False
    return keep


def _polygons(coords: np.ndarray, ring_offsets: np.ndarray, poly_offsets: np.ndarray,
              geom_offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Encode rounded polygons; return (feature index, stream values, stream length a feature)."""
    n_rings = len(ring_offsets) - 1
    n_polys = len(poly_offsets) - 1
    n_geoms = len(geom_offsets) - 1
    ring_len = np.diff(ring_offsets).astype(_I)
    ring_of = np.repeat(np.arange(n_rings, dtype=_I), ring_len)
    # Drop each ring's closing vertex (ClosePath closes it), then repeats.
    body = np.ones(len(coords), dtype=bool)
    body[ring_offsets[1:][ring_len > 0] - 1] = False
    q = coords[body]
    ring_of = ring_of[body]
    keep = _dedupe(q, ring_of, cyclic=True)
    q, ring_of = q[keep], ring_of[keep]
    count = np.bincount(ring_of, minlength=n_rings).astype(_I)
    start = np.cumsum(count) - count
    # Surveyor's formula in tile coordinates (y down), per ring, cyclic.
    nxt = np.arange(len(q), dtype=_I) + 1
    area2: np.ndarray
    if len(q):
        last = start[ring_of] + count[ring_of] - 1
        nxt = np.where(np.arange(len(q)) == last, start[ring_of], nxt)
        cross = q[:, 0] * q[nxt, 1] - q[nxt, 0] * q[:, 1]
        area2 = np.bincount(ring_of, weights=cross.astype(np.float64), minlength=n_rings)
    else:
        area2 = np.zeros(n_rings)
    ring_ok = (count >= 3) & (area2 != 0)
    poly_of_ring = np.repeat(np.arange(n_polys, dtype=_I), np.diff(poly_offsets).astype(_I))
    exterior = np.zeros(n_rings, dtype=bool)
    exterior[poly_offsets[:-1][np.diff(poly_offsets) > 0]] = True
    # A polygon whose exterior collapsed on the grid is dropped with its holes.
    poly_ok = np.zeros(n_polys, dtype=bool)
    poly_ok[poly_of_ring[exterior & ring_ok]] = True
    ring_ok &= poly_ok[poly_of_ring]
    flip = ring_ok & np.where(exterior, area2 < 0, area2 > 0)
    geom_of_poly = np.repeat(np.arange(n_geoms, dtype=_I), np.diff(geom_offsets).astype(_I))
    geom_of_ring = geom_of_poly[poly_of_ring]
    # Kept rings in order, each vertex list reversed where its winding is wrong.
    rings = np.flatnonzero(ring_ok)
    n = count[rings]
    pos = _ranges(np.zeros(len(rings), dtype=_I), n)  # position within its ring
    ring_rep = np.repeat(rings, n)
    within = np.where(flip[ring_rep], n.repeat(n) - 1 - pos, pos)
    v = q[start[ring_rep] + within]
    values, lengths = _stream(v, ring_rep, geom_of_ring, n, rings, kind=_POLYGON)
    feats = np.unique(geom_of_ring[rings])
    return feats, values, lengths[feats] if len(lengths) else lengths


def _lines(coords: np.ndarray, part_offsets: np.ndarray,
           geom_offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_parts = len(part_offsets) - 1
    n_geoms = len(geom_offsets) - 1
    part_len = np.diff(part_offsets).astype(_I)
    part_of = np.repeat(np.arange(n_parts, dtype=_I), part_len)
    keep = _dedupe(coords, part_of, cyclic=False)
    q, part_of = coords[keep], part_of[keep]
    count = np.bincount(part_of, minlength=n_parts).astype(_I)
    start = np.cumsum(count) - count
    parts = np.flatnonzero(count >= 2)
    n = count[parts]
    part_rep = np.repeat(parts, n)
    v = q[start[part_rep] + _ranges(np.zeros(len(parts), dtype=_I), n)]
    geom_of_part = np.repeat(np.arange(n_geoms, dtype=_I), np.diff(geom_offsets).astype(_I))
    values, lengths = _stream(v, part_rep, geom_of_part, n, parts, kind=_LINESTRING)
    feats = np.unique(geom_of_part[parts])
    return feats, values, lengths[feats] if len(lengths) else lengths


def _points(coords: np.ndarray, geom_offsets: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_geoms = len(geom_offsets) - 1
    n = np.diff(geom_offsets).astype(_I)
    geoms = np.flatnonzero(n > 0)
    values, lengths = _stream(coords, np.repeat(np.arange(n_geoms, dtype=_I), n),
                              np.arange(n_geoms, dtype=_I), n[geoms], geoms, kind=_POINT)
    return geoms, values, lengths[geoms] if len(lengths) else lengths


def _stream(v: np.ndarray, part_rep: np.ndarray, geom_of_part: np.ndarray, n: np.ndarray,
            parts: np.ndarray, *, kind: int) -> tuple[np.ndarray, np.ndarray]:
    """Write the command stream of the kept parts ``parts`` (``n`` vertices each, ``v``).

    Returns the stream and the number of command integers of every geometry (indexed by
    geometry, 0 for geometries without a kept part).
    """
    n_geoms = int(geom_of_part.max()) + 1 if len(geom_of_part) else 0
    geom_rep = geom_of_part[part_rep]
    # Deltas from the previous vertex of the same feature (the cursor is carried across parts
    # and rings, MVT §4.3.2); a feature starts at (0, 0).
    d = np.empty_like(v)
    if len(v):
        d[0] = v[0]
        d[1:] = v[1:] - v[:-1]
        first = np.r_[True, geom_rep[1:] != geom_rep[:-1]]
        d[first] = v[first]
    zz = _zigzag(d)
    if kind == _POINT:  # MoveTo(n) then n pairs
        length = 1 + 2 * n
    elif kind == _LINESTRING:  # MoveTo(1) xy LineTo(n-1) pairs
        length = 2 * n + 2
    else:  # MoveTo(1) xy LineTo(n-1) pairs ClosePath(1)
        length = 2 * n + 3
    out_start = np.cumsum(length) - length
    out = np.zeros(int(length.sum()), dtype=_I)
    pos = _ranges(np.zeros(len(parts), dtype=_I), n)  # vertex number within its part
    base = np.repeat(out_start, n)
    if kind == _POINT:
        out[out_start] = _command(_MOVE_TO, n)
        xs = base + 1 + 2 * pos
    else:
        out[out_start] = _command(_MOVE_TO, 1)
        out[out_start + 3] = _command(_LINE_TO, n - 1)
        xs = base + 1 + 2 * pos + (pos >= 1)
        if kind == _POLYGON:
            out[out_start + length - 1] = _command(_CLOSE_PATH, 1)
    out[xs] = zz[:, 0]
    out[xs + 1] = zz[:, 1]
    per_geom = np.bincount(geom_of_part[parts], weights=length, minlength=n_geoms).astype(_I)
    return out, per_geom


def _split_collections(geoms: np.ndarray, index: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Replace each GeometryCollection by its parts of the highest family, as one multi-geometry.

    Polygon > line > point: every feature then has one MVT type.
    """
    out = geoms.copy()
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):
        parts = shapely.get_parts(geoms[i])
        fam = np.array([_FAMILY.get(int(t), 0) for t in shapely.get_type_id(parts)])
        if not len(fam) or fam.max() == 0:
            out[i] = None
            continue
        best = parts[fam == fam.max()]
        out[i] = (shapely.multipolygons(shapely.get_parts(best)) if fam.max() == _POLYGON
                  else shapely.multilinestrings(shapely.get_parts(best))
                  if fam.max() == _LINESTRING else shapely.multipoints(shapely.get_parts(best)))
    ok = ~shapely.is_missing(out)
    return out[ok], index[ok]


def _encode_geometries(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray],
                                                      np.ndarray]:
    """Return (feature index, MVT type, command streams, stream lengths) in feature order."""
    index = np.arange(len(geoms), dtype=_I)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else index > 0
    geoms, index = geoms[ok], index[ok]
    types = shapely.get_type_id(geoms)
    if (types == 7).any():
        geoms, index = _split_collections(geoms, index)
        types = shapely.get_type_id(geoms)
    if (types == 2).any():  # LinearRing -> LineString (to_ragged_array has no rings)
        rings = types == 2
        geoms[rings] = shapely.linestrings(
            shapely.get_coordinates(geoms[rings]),
            indices=np.repeat(np.arange(int(rings.sum())),
                              shapely.get_num_coordinates(geoms[rings])))
        types = shapely.get_type_id(geoms)
    feats: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    streams: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    for kind, type_ids in ((_POINT, (0, 4)), (_LINESTRING, (1, 5)), (_POLYGON, (3, 6))):
        sel = np.isin(types, type_ids)
        if not sel.any():
            continue
        part = geoms[sel]
        if kind == _POLYGON and (shapely.get_type_id(part) == 3).all() and not (
                shapely.get_num_interior_rings(part).any()):
            # Simple polygons (most footprints): their coordinates are their exterior rings'.
            counts = shapely.get_num_coordinates(part)
            gtype = shapely.GeometryType.POLYGON
            coords = shapely.get_coordinates(part)
            offsets: tuple[np.ndarray, ...] = (np.r_[0, np.cumsum(counts)],
                                               np.arange(len(part) + 1))
        else:
            gtype, coords, offsets = shapely.to_ragged_array(part, include_z=False)
        if len(coords) and not (np.isfinite(coords).all() and np.abs(coords).max() < _MAX_COORD):
            raise ValueError(
                f"coordinates must be finite tile units within ±{_MAX_COORD:,} (clip features to "
                "the tile and its buffer first); got "
                f"{coords[~np.isfinite(coords).all(axis=1)][:1].tolist() or np.abs(coords).max()}")
        q = np.rint(coords).astype(_I)
        n_sel = int(sel.sum())
        if kind == _POINT:
            geom_offsets = offsets[0] if offsets else np.arange(n_sel + 1)
            f, s, n = _points(q, np.asarray(geom_offsets, dtype=_I))
        elif kind == _LINESTRING:
            if gtype == shapely.GeometryType.LINESTRING:
                part, geom = offsets[0], np.arange(n_sel + 1)
            else:
                part, geom = offsets
            f, s, n = _lines(q, np.asarray(part, dtype=_I), np.asarray(geom, dtype=_I))
        else:
            if gtype == shapely.GeometryType.POLYGON:
                ring, poly = offsets
                geom = np.arange(n_sel + 1)
            else:
                ring, poly, geom = offsets
            f, s, n = _polygons(q, np.asarray(ring, dtype=_I), np.asarray(poly, dtype=_I),
                                np.asarray(geom, dtype=_I))
        feats.append(index[sel][f])
        kinds.append(np.full(len(f), kind, dtype=_I))
        streams.append(s)
        lengths.append(n)
    if not feats:
        empty = np.zeros(0, dtype=_I)
        return empty, empty, [], empty
    # Merge the families back into feature order.
    feat = np.concatenate(feats)
    kind_all = np.concatenate(kinds)
    length = np.concatenate(lengths)
    stream = np.concatenate(streams)
    start = np.cumsum(length) - length
    order = np.argsort(feat, kind="stable")
    merged = stream[_ranges(start[order], length[order])]
    return feat[order], kind_all[order], [merged], length[order]


# ------------------------------------------------------------------------------- properties


def _value_message(value: Any) -> bytes:
    """Return the encoded ``Value`` message of one property value (MVT §4.4)."""
    if type(value) is str:  # the common case first
        text = value.encode("utf-8", errors="replace")  # lone surrogates become "?"
        return b"\x0a" + _one_varint(len(text)) + text
    if isinstance(value, bool):
        return b"\x38" + (b"\x01" if value else b"\x00")
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return b"\x20" + _one_varint(value & _UINT64_MAX)
        if value <= _UINT64_MAX:
            return b"\x28" + _one_varint(value)
        value = str(value)  # beyond 64 bits: carried as text rather than wrapped
    if isinstance(value, float):
        return b"\x19" + struct.pack("<d", value)
    text = str(value).encode("utf-8", errors="replace")  # lone surrogates become "?"
    return b"\x0a" + _one_varint(len(text)) + text


def _scalar(value: Any) -> Any:
    """Return ``value`` as a str, int, float or bool, or None when it is missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str | bool | int | float):
        return value
    return str(value)


def _columns_of(properties: Properties, n: int) -> dict[str, np.ndarray]:
    if isinstance(properties, Mapping):
        cols = {str(k): np.asarray(pd.Series(v, dtype=object).to_numpy(), dtype=object)
                for k, v in properties.items()}
    else:
        if len(properties) != n:
            raise ValueError(f"{len(properties)} property rows for {n} geometries")
        names: dict[str, None] = {}
        for row in properties:
            names.update(dict.fromkeys(row))
        cols = {str(k): np.array([row.get(k) for row in properties] + [None],
                                 dtype=object)[:-1] for k in names}
    for k, v in cols.items():
        if len(v) != n:
            raise ValueError(f"property column {k!r} has {len(v)} values for {n} geometries")
    return cols


def _string_values(texts: Sequence[str]) -> bytes:
    """Return the layer's ``values`` fields of ``texts``, concatenated.

    Each is field 4, a ``Value`` with ``string_value``: the headers are varints written at once,
    the text bytes copied in with array indexing.
    """
    enc = [t.encode("utf-8", errors="replace") for t in texts]  # lone surrogates become "?"
    n = len(enc)
    if not n:
        return b""
    length = np.fromiter(map(len, enc), dtype=_I, count=n)
    inner = 1 + _varint_len(length) + length
    header = np.frombuffer(varint_bytes(np.column_stack(
        [np.full(n, 0x22, dtype=_I), inner, np.full(n, 0x0A, dtype=_I), length]).ravel()),
        dtype=np.uint8)
    header_len = 2 + _varint_len(inner) + _varint_len(length)
    size = header_len + length
    start = np.cumsum(size) - size
    out = np.empty(int(size.sum()), dtype=np.uint8)
    out[_ranges(start, header_len)] = header
    out[_ranges(start + header_len, length)] = np.frombuffer(b"".join(enc), dtype=np.uint8)
    return out.tobytes()


def _tags(columns: Mapping[str, np.ndarray], rows: np.ndarray
          ) -> tuple[list[bytes], bytes, np.ndarray, np.ndarray]:
    """Return the key table, the encoded value table, the tag stream and each row's tag count.

    Values are deduplicated within a column (the same text under two keys is stored twice,
    which the format allows) so that a column of distinct names is written with array calls.
    """
    keys: list[bytes] = []
    tables: list[bytes] = []
    n_values = 0
    codes = []
    for name, column in columns.items():
        col = column[rows]
        kind = pd.api.types.infer_dtype(col, skipna=True) if len(col) else "empty"
        if kind == "empty":  # every value missing
            continue
        if kind in ("string", "integer", "floating", "boolean"):
            local, uniques = pd.factorize(col, use_na_sentinel=True)
            if kind == "string":
                table = _string_values(list(uniques))
                count = len(uniques)
            else:
                uniq = [_scalar(u) for u in uniques]
                table = b"".join(_field(4, _value_message(u)) for u in uniq)
                count = len(uniq)
        else:  # mixed or non-scalar: one (type, value) per row, so 1, 1.0 and True stay apart
            seen: dict[tuple[type, Any], int] = {}
            local = np.array([-1 if s is None else seen.setdefault((type(s), s), len(seen))
                              for s in (_scalar(v) for v in col)], dtype=_I)
            table = b"".join(_field(4, _value_message(v)) for _, v in seen)
            count = len(seen)
        local = np.asarray(local, dtype=_I)
        if not (local >= 0).any():
            continue
        codes.append((len(keys), np.where(local >= 0, local + n_values, -1)))
        keys.append(name.encode("utf-8", errors="replace"))
        tables.append(table)
        n_values += count
    if not codes:
        return keys, b"", np.zeros(0, dtype=_I), np.zeros(len(rows), dtype=_I)
    key_idx = np.array([k for k, _ in codes], dtype=_I)
    val = np.column_stack([c for _, c in codes])  # rows x columns
    pairs = np.stack([np.broadcast_to(key_idx, val.shape), val], axis=2)
    present = val >= 0
    return keys, b"".join(tables), pairs[present].ravel(), 2 * present.sum(axis=1).astype(_I)


# ----------------------------------------------------------------------------------- layer


Properties = Mapping[str, Sequence[Any] | np.ndarray] | Sequence[Mapping[str, Any]]


def encode_layer(name: str, geometries: Sequence[Any] | np.ndarray, properties: Properties,
                 *, ids: Sequence[int] | np.ndarray | None = None,
                 extent: int = EXTENT) -> bytes:
    """Encode features in tile coordinates as a one-layer Mapbox Vector Tile.

    中文：矢量切片（MVT）编码（向量化）。

    Parameters
    ----------
    name
        The MVT layer name.
    geometries
        Shapely geometries in tile units (0..``extent``, y down from the tile's top edge),
        already clipped; they are rounded to integers here. None and empty ones are skipped, so
        are lines and polygon rings that collapse to fewer than 2 / 3 distinct points or to no
        area on the grid (a polygon whose exterior collapses is skipped with its holes).
        GeometryCollections keep their polygons (else lines, else points).
    properties
        Either ``{column: values}`` (one value per geometry) or one dict per geometry. str,
        int, float and bool values are written as such (ints beyond 64 bits and other types as
        text); None, NaN and NA are left out.
    ids
        Feature ids (unsigned); default 1, 2, ...
    extent
        The layer's extent.

    Returns
    -------
    bytes
        A tile holding the layer (tiles of several layers are the concatenation of such
        bytes); ``b""`` when no feature survives.

    Raises
    ------
    ValueError
        If the properties or ids do not match the geometries, an id is negative, or a
        coordinate is not finite or beyond ±2**30 tile units (not clipped).

    Examples
    --------
    >>> import shapely
    >>> data = encode_layer("b", [shapely.box(0, 0, 10, 10)], {"name": ["楼"]})
    >>> import mapbox_vector_tile
    >>> f = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["b"]
    >>> f["features"][0]["properties"], f["features"][0]["geometry"]["type"]
    ({'name': '楼'}, 'Polygon')
    """
    geoms = np.asarray(geometries, dtype=object).reshape(-1)
    n = len(geoms)
    columns = _columns_of(properties, n)
    id_values = np.arange(1, n + 1, dtype=_I) if ids is None else np.asarray(ids)
    if len(id_values) != n:
        raise ValueError(f"{len(id_values)} ids for {n} geometries")
    if n and (id_values < 0).any():
        raise ValueError("feature ids must be >= 0")
    feat, kind, streams, glen = _encode_geometries(geoms)
    if not len(feat):
        return b""
    geom_stream = streams[0].astype(np.uint64)
    keys, values, tags, tag_count = _tags(columns, feat)
    # Byte lengths of every packed field, then the whole features section as one varint stream:
    # per feature [2<<3|2, flen, 1<<3, id, 2<<3|2, tlen, tags.., 3<<3, type, 4<<3|2, glen, geom..].
    gbytes = np.bincount(np.repeat(np.arange(len(feat)), glen),
                         weights=_varint_len(geom_stream), minlength=len(feat)).astype(_I)
    tbytes = (np.bincount(np.repeat(np.arange(len(feat)), tag_count),
                          weights=_varint_len(tags), minlength=len(feat)).astype(_I)
              if len(tags) else np.zeros(len(feat), dtype=_I))
    fid = id_values[feat].astype(np.uint64)
    flen = (1 + _varint_len(fid) + 1 + _varint_len(tbytes) + tbytes + 2
            + 1 + _varint_len(gbytes) + gbytes)
    u = np.uint64
    nf = len(feat)
    head = np.column_stack([np.full(nf, 0x12, u), flen.astype(u), np.full(nf, 0x08, u), fid,
                            np.full(nf, 0x12, u), tbytes.astype(u)])
    mid = np.column_stack([np.full(len(feat), 0x18, u), kind.astype(u),
                           np.full(len(feat), 0x22, u), gbytes.astype(u)])
    count = 6 + tag_count + 4 + glen
    start = np.cumsum(count) - count
    tokens = np.zeros(int(count.sum()), dtype=np.uint64)
    tokens[(start[:, None] + np.arange(6)).ravel()] = head.ravel()
    tags_at = _ranges(start + 6, tag_count)
    tokens[tags_at] = tags.astype(np.uint64)
    mid_at = start + 6 + tag_count
    tokens[(mid_at[:, None] + np.arange(4)).ravel()] = mid.ravel()
    tokens[_ranges(mid_at + 4, glen)] = geom_stream
    layer = b"".join([
        b"\x78\x02",  # version = 2 (field 15)
        _field(1, name.encode("utf-8", errors="replace")),
        varint_bytes(tokens),
        *(_field(3, k) for k in keys),
        values,
        b"\x28" + _one_varint(int(extent)),
    ])
    return _field(3, layer)
