"""Mapbox Vector Tiles (矢量切片) of large layers, so a map with 1M buildings pans smoothly.

A layer above ``TILE_THRESHOLD`` features is not embedded in its map page; the page asks
``/tiles/{adcode}/{kind}/{z}/{x}/{y}.pbf`` for the tiles in view and draws them with the vendored
Leaflet.VectorGrid plug-in. :func:`layer_tile` answers one such request:

* a backend with a native encoder answers itself: when the store has a method
  ``mvt(kind, district, z, x, y, *, columns) -> bytes`` (the PostGIS store can implement it
  with ``ST_AsMVT``/``ST_AsMVTGeom``) and no GCJ-02 shift is asked, its bytes are returned;
* otherwise (the GeoPackage store) a layer of up to ``INDEX_MAX_FEATURES`` is read once per
  version, projected to Web Mercator (EPSG:3857) and indexed (``shapely.STRtree``), and kept in a
  small cache keyed by the layer's checksum, so a new version is never served from a stale copy;
  a bigger layer is read tile by tile with the store's bounding-box read (``Store.read(bbox=)``,
  the GeoPackage R-tree). Encoded tiles are cached too (panning back costs nothing). Each tile
  then takes the
  features whose boxes meet the tile (plus a buffer), drops features smaller than
  ``MIN_FEATURE_PX`` pixels below ``DETAIL_ZOOM`` (the way tippecanoe thins low zooms), keeps
  at most ``MAX_FEATURES_PER_TILE`` (the largest; the tile then carries a ``META_LAYER`` saying
  how many were left out, and the map asks to zoom in), clips them to the buffered tile and
  encodes them with the vectorised encoder of :mod:`tanmap.layers.mvt_encoder` (extent 4096).

A map page does not read a tiled layer's geometries: :func:`tiled_layer` gives its count, the
classes present and whether it holds sample data, from the attribute columns only.

GCJ-02: the Amap base map is drawn in GCJ-02 (火星坐标). With ``gcj02=True`` the features are
shifted WGS84 -> GCJ-02 before projection, exactly as the embedded layers are shifted for that
base map, so the tiles line up with it; the tile grid itself is the usual Web-Mercator grid.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from tanmap.geo.chinacoords import transform_geometries, wgs84_to_gcj02
from tanmap.geo.errors import StoreError
from tanmap.layers.kinds import spec_for
from tanmap.layers.mvt_encoder import EXTENT, Properties, encode_layer
from tanmap.layers.sample import SAMPLE_LABEL

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tanmap.layers.kinds import LayerKind
    from tanmap.layers.store.base import Store

__all__ = [
    "DETAIL_ZOOM",
    "EXTENT",
    "GCJ02_PAD_DEG",
    "INDEX_MAX_FEATURES",
    "MAX_FEATURES_PER_TILE",
    "MAX_ZOOM",
    "META_LAYER",
    "MIN_FEATURE_PX",
    "MIN_ZOOM",
    "TILE_BUFFER",
    "TILE_FORMAT",
    "TILE_THRESHOLD",
    "TileCache",
    "TiledLayer",
    "capped_layer",
    "encode_tile",
    "layer_tile",
    "tile_bounds_3857",
    "tile_bounds_lonlat",
    "tiled_layer",
]

#: Default feature count above which a map draws a layer as vector tiles (a setting overrides).
TILE_THRESHOLD = 20_000
#: Buffer around a tile, in tile units, so strokes at the edges are not cut visibly.
TILE_BUFFER = 64
#: At and above this zoom every feature is kept; below it, features smaller than
#: ``MIN_FEATURE_PX`` pixels are dropped (a 20 m building is ~1 px at zoom 13).
DETAIL_ZOOM = 15
#: Smallest feature (its larger box side, in 256-px pixels) kept below ``DETAIL_ZOOM``.
MIN_FEATURE_PX = 1.0
#: Most features in one tile; the largest are kept (a low-zoom tile of a dense city).
MAX_FEATURES_PER_TILE = 8_000
#: Lowest zoom at which the map asks for a tiled layer: below it a 256-px tile spans more than
#: 2.4 km and a dense district's buildings are sub-pixel specks that take seconds to encode.
MIN_ZOOM = 14
#: Highest zoom served.
MAX_ZOOM = 22
#: Layers up to this many features are read once per version and indexed in memory; bigger
#: ones are read per tile with the store's bounding-box read (its R-tree / GiST index), which
#: costs ~0.02-0.2 s a tile instead of a ~1-minute first read of a 1M-feature layer.
INDEX_MAX_FEATURES = 200_000
#: Name of the extra MVT layer a tile carries when ``MAX_FEATURES_PER_TILE`` left features out:
#: one point at the tile's centre with ``shown``, ``total`` and the tile's ``z``, ``x``, ``y``
#: (the map then says "zoom in to see every feature").
META_LAYER = "tanmap_meta"
#: Version of the tiles' content rules (encoder, thinning, cap); part of the tiles' ETag, so a
#: browser never keeps a tile made by older rules.
TILE_FORMAT = "2"
#: Extra margin of a per-tile read for GCJ-02 tiles: the WGS84 -> GCJ-02 shift is under ~700 m.
GCJ02_PAD_DEG = 0.01

_HALF_WORLD_M = math.pi * 6378137.0  # Web-Mercator half circumference, metres
SAMPLE_PREFIX = SAMPLE_LABEL.split()[0]  # "示例数据"


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return (minx, miny, maxx, maxy) of tile z/x/y in Web-Mercator metres (EPSG:3857).

    中文：切片范围（Web 墨卡托，米）。

    Raises
    ------
    ValueError
        If z is outside 0..``MAX_ZOOM`` or x, y outside 0..2**z - 1.

    Examples
    --------
    >>> [round(v) for v in tile_bounds_3857(1, 1, 0)]
    [0, 0, 20037508, 20037508]
    """
    _check_tile(z, x, y)
    size = 2 * _HALF_WORLD_M / 2**z
    minx = -_HALF_WORLD_M + x * size
    maxy = _HALF_WORLD_M - y * size
    return minx, maxy - size, minx + size, maxy


def tile_bounds_lonlat(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return (west, south, east, north) of tile z/x/y in degrees (EPSG:4326).

    中文：切片范围（经纬度）。

    Examples
    --------
    >>> [round(v, 4) for v in tile_bounds_lonlat(14, 13527, 6254)]  # over 和平区, Tianjin
    [117.2241, 39.113, 117.2461, 39.1301]
    """
    minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
    lon = np.degrees(np.array([minx, maxx]) / 6378137.0)
    lat = np.degrees(2 * np.arctan(np.exp(np.array([miny, maxy]) / 6378137.0)) - math.pi / 2)
    return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])


def _check_tile(z: int, x: int, y: int) -> None:
    if not (0 <= z <= MAX_ZOOM):
        raise ValueError(f"tile zoom {z} is outside 0..{MAX_ZOOM}")
    n = 2**z
    if not (0 <= x < n and 0 <= y < n):
        raise ValueError(f"tile {z}/{x}/{y}: x and y must be in 0..{n - 1} at zoom {z}")


@dataclass(frozen=True)
class _Indexed:
    """One layer version ready for tiling: Web-Mercator geometries, their boxes, properties."""

    geometry: np.ndarray  # shapely geometries, EPSG:3857
    size_m: np.ndarray  # larger side of each box, metres
    tree: shapely.STRtree
    columns: dict[str, np.ndarray]  # property values (object arrays, None for missing)
    sample: np.ndarray  # bool: synthetic feature (source starts with 示例数据)

    def property_columns(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Return the property columns of features ``idx``; synthetic ones get ``data_label``.

        Missing values are left out when encoded.
        """
        out = {col: values[idx] for col, values in self.columns.items()}
        sample = self.sample[idx]
        if sample.any():
            labels = np.full(len(idx), None, dtype=object)
            labels[sample] = SAMPLE_LABEL
            out["data_label"] = labels
        return out


class TileCache:
    """Indexed layers by (store, kind, district, checksum, shift), least recently used dropped.

    中文：切片用图层缓存（按图层校验和区分版本）。

    Parameters
    ----------
    max_layers
        How many layer versions to keep (each holds its geometries in memory).
    """

    def __init__(self, max_layers: int = 4, max_tiles: int = 1024) -> None:
        self.max_layers = max_layers
        self.max_tiles = max_tiles
        self._items: OrderedDict[tuple[Any, ...], _Indexed] = OrderedDict()
        self._tiles: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # how many layers were read and indexed (for tests and benchmarks)

    def tile(self, key: tuple[Any, ...]) -> bytes | None:
        """Return the encoded tile stored under ``key`` (None when not cached)."""
        with self._lock:
            data = self._tiles.get(key)
            if data is not None:
                self._tiles.move_to_end(key)
            return data

    def keep_tile(self, key: tuple[Any, ...], data: bytes) -> None:
        """Remember an encoded tile (the least recently used are dropped)."""
        with self._lock:
            self._tiles[key] = data
            while len(self._tiles) > self.max_tiles:
                self._tiles.popitem(last=False)

    def get(self, store: Store, kind: LayerKind, district: str, checksum: str, gcj02: bool,
            columns: Sequence[str]) -> _Indexed:
        """Return the indexed layer, reading and indexing it on first use."""
        key = (repr(store), kind.value, district, checksum, gcj02, tuple(columns))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        built = _index(store, kind, district, gcj02, columns)
        with self._lock:
            self.builds += 1
            self._items[key] = built
            self._items.move_to_end(key)
            while len(self._items) > self.max_layers:
                self._items.popitem(last=False)
        return built


#: The process-wide cache :func:`layer_tile` uses by default.
_DEFAULT_CACHE = TileCache()


@dataclass(frozen=True)
class TiledLayer:
    """What a map page shows of a layer drawn from tiles, without its geometries.

    中文：切片图层摘要（要素数、分类、是否示例数据）。

    Parameters
    ----------
    n_features
        Features in the layer's current version.
    classes
        The values of the kind's style class field present in the layer (its legend entries).
    sample
        Whether any feature is synthetic sample data (``source`` containing 示例数据).
    """

    n_features: int
    classes: frozenset[str]
    sample: bool

    def __len__(self) -> int:
        return self.n_features


_SUMMARIES: OrderedDict[tuple[Any, ...], TiledLayer] = OrderedDict()
_SUMMARY_LOCK = threading.Lock()


def tiled_layer(store: Store, kind: LayerKind | str, district: str,
                class_field: str | None) -> TiledLayer:
    """Return the summary of a layer the map draws from tiles, computed once per version.

    中文：大图层摘要（不读几何；按版本缓存）。

    Reads only the class and ``source`` columns (``Store.read_attributes`` when the store has
    it: ~2 s for 1M buildings instead of ~1 min for the whole layer), so a map page of a 1M-feature
    layer opens without reading its geometries.

    Raises
    ------
    UnknownDistrictError
        If the district is not in the store.
    """
    spec = spec_for(kind)
    version = store.version(spec.kind, district)
    if version is None:
        return TiledLayer(0, frozenset(), False)
    key = (repr(store), spec.kind.value, district, version.checksum, class_field)
    with _SUMMARY_LOCK:
        if key in _SUMMARIES:
            return _SUMMARIES[key]
    columns = [c for c in (class_field, "source") if c]
    reader = getattr(store, "read_attributes", None)
    frame = (reader(spec.kind, district=district, columns=columns) if callable(reader)
             else pd.DataFrame(store.read(spec.kind, district=district)))
    classes = (frozenset(str(v) for v in pd.Series(frame[class_field]).dropna().unique())
               if class_field and class_field in frame.columns else frozenset())
    sample = bool("source" in frame.columns and frame["source"].dropna().astype(str)
                  .str.contains(SAMPLE_PREFIX, regex=False).any())
    summary = TiledLayer(version.n_features, classes, sample)
    with _SUMMARY_LOCK:
        _SUMMARIES[key] = summary
        while len(_SUMMARIES) > 64:
            _SUMMARIES.popitem(last=False)
    return summary


def _index(store: Store, kind: LayerKind, district: str, gcj02: bool,
           columns: Sequence[str], bbox: Sequence[float] | None = None) -> _Indexed:
    reader = getattr(store, "read_columns", None)
    if bbox is not None and callable(reader):  # only the columns a tile carries
        gdf = reader(kind, district=district, columns=[*columns, "source"], bbox=bbox)
    else:
        gdf = store.read(kind, district=district, bbox=bbox)
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    if gcj02 and len(geoms):
        geoms = np.asarray(transform_geometries(gdf.geometry, wgs84_to_gcj02).array,
                           dtype=object)
    # Lon/lat -> Web Mercator with the spherical formula (what the tile grid uses).
    merc = shapely.transform(geoms, _to_3857) if len(geoms) else geoms
    bounds = shapely.bounds(merc) if len(merc) else np.empty((0, 4))
    size = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    values = {c: gdf[c].to_numpy(dtype=object, na_value=None)  # C-level copy, no per-row loop
              for c in columns if c in gdf.columns}
    sample = (gdf["source"].fillna("").str.startswith(SAMPLE_PREFIX).to_numpy(dtype=bool)
              if "source" in gdf.columns else np.zeros(len(gdf), dtype=bool))
    return _Indexed(merc, size, shapely.STRtree(merc), values, sample)


def _to_3857(coords: np.ndarray) -> np.ndarray:
    lon = np.radians(coords[:, 0])
    lat = np.radians(np.clip(coords[:, 1], -85.05112878, 85.05112878))
    x = 6378137.0 * lon
    y = 6378137.0 * np.log(np.tan(math.pi / 4 + lat / 2))
    return np.column_stack([x, y])


def layer_tile(
    store: Store,
    kind: LayerKind | str,
    district: str,
    z: int,
    x: int,
    y: int,
    *,
    gcj02: bool = False,
    columns: Sequence[str] = ("id", "name", "status"),
    cache: TileCache | None = None,
) -> bytes:
    """Return tile z/x/y of layer (kind, district) as Mapbox Vector Tile bytes.

    中文：生成图层的一张矢量切片（MVT）。

    Parameters
    ----------
    store
        Any store; one with an ``mvt(kind, district, z, x, y, *, columns)`` method answers
        directly when ``gcj02`` is False.
    kind, district
        The layer. The MVT layer inside the tile is named after the kind's value.
    z, x, y
        The tile (XYZ scheme, y down from the north, as Leaflet asks).
    gcj02
        Shift features WGS84 -> GCJ-02 first (for the Amap base map).
    columns
        Feature properties to carry (absent columns are skipped); ``data_label`` is added to
        synthetic features (``source`` starting with 示例数据).
    cache
        The indexed-layer and encoded-tile cache (default: one per process); both are keyed by
        the layer's checksum, so a new version is never answered from a stale entry.

    Returns
    -------
    bytes
        The encoded tile; a tile with no feature is a valid tile with an empty layer list.

    Raises
    ------
    ValueError
        For a tile outside the grid.
    UnknownDistrictError
        If the district is not in the store.
    StoreError
        If the store's native encoder fails.
    """
    _check_tile(z, x, y)
    spec = spec_for(kind)
    native = getattr(store, "mvt", None)
    if callable(native) and not gcj02:
        data = native(spec.kind, district, z, x, y, columns=tuple(columns))
        if not isinstance(data, bytes):
            raise StoreError(f"{store!r}.mvt returned {type(data).__name__}, expected bytes")
        return data
    version = store.version(spec.kind, district)
    if version is None or version.n_features == 0:
        return b""
    cache = cache or _DEFAULT_CACHE
    key = (repr(store), spec.kind.value, district, version.checksum, gcj02, tuple(columns),
           z, x, y)
    cached = cache.tile(key)
    if cached is not None:
        return cached
    if version.n_features <= INDEX_MAX_FEATURES:
        layer = cache.get(store, spec.kind, district, version.checksum, gcj02, columns)
    else:  # a huge layer: the store's own spatial index, one bounding-box read per tile
        layer = _index(store, spec.kind, district, gcj02, columns, bbox=_read_bbox(z, x, y, gcj02))
    minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
    size = maxx - minx
    pad = size * TILE_BUFFER / EXTENT
    box = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    idx = layer.tree.query(box)
    if z < DETAIL_ZOOM and len(idx):
        min_m = MIN_FEATURE_PX * size / 256
        idx = idx[layer.size_m[idx] >= min_m]
    total = len(idx)
    if total > MAX_FEATURES_PER_TILE:
        largest = np.argpartition(-layer.size_m[idx], MAX_FEATURES_PER_TILE)
        idx = idx[largest[:MAX_FEATURES_PER_TILE]]
    idx = np.sort(idx)
    clipped = shapely.clip_by_rect(layer.geometry[idx], minx - pad, miny - pad, maxx + pad,
                                   maxy + pad)
    if z < DETAIL_ZOOM and len(clipped):
        many = shapely.get_num_coordinates(clipped) > 5  # a box has nothing to simplify
        if many.any():
            clipped[many] = shapely.simplify(clipped[many], tolerance=0.5 * size / 256,
                                             preserve_topology=True)  # half a pixel
    data = encode_tile(spec.kind.value, clipped, layer.property_columns(idx),
                       (minx, miny, maxx, maxy), ids=idx + 1)
    if total > len(idx):
        data += capped_layer(z, x, y, shown=len(idx), total=total)
    cache.keep_tile(key, data)
    return data


def capped_layer(z: int, x: int, y: int, *, shown: int, total: int) -> bytes:
    """Return the ``META_LAYER`` of a tile that shows ``shown`` of its ``total`` features.

    中文：切片要素数超过上限时附加的说明图层（提示放大查看）。

    Appended to the tile's bytes (a tile of several layers is their concatenation).

    Examples
    --------
    >>> import mapbox_vector_tile
    >>> meta = mapbox_vector_tile.decode(capped_layer(14, 1, 2, shown=8000, total=9100))
    >>> meta["tanmap_meta"]["features"][0]["properties"]["total"]
    9100
    """
    return encode_layer(META_LAYER, [shapely.Point(EXTENT / 2, EXTENT / 2)],
                        {"shown": [int(shown)], "total": [int(total)], "z": [z], "x": [x],
                         "y": [y]}, ids=[0])


def _read_bbox(z: int, x: int, y: int, gcj02: bool) -> tuple[float, float, float, float]:
    """Return the lon/lat box to read for tile z/x/y: the tile, its buffer, the GCJ-02 offset."""
    west, south, east, north = tile_bounds_lonlat(z, x, y)
    pad = (east - west) * TILE_BUFFER / EXTENT + (GCJ02_PAD_DEG if gcj02 else 0.0)
    return west - pad, south - pad, east + pad, north + pad


def encode_tile(name: str, geometries: np.ndarray,
                properties: Properties,
                bounds: tuple[float, float, float, float], *,
                ids: np.ndarray | None = None) -> bytes:
    """Encode features already clipped to a tile as one MVT layer ``name``.

    中文：把切片范围内的要素编码为 MVT。

    The coordinates are scaled to the tile's integer grid (y down) with one vectorised shapely
    call and written by the vectorised encoder :func:`tanmap.layers.mvt_encoder.encode_layer`
    (rounding, winding, command stream and protobuf as numpy array operations).

    Parameters
    ----------
    name
        The MVT layer name.
    geometries
        Shapely geometries in the units of ``bounds`` (Web-Mercator metres); None or empty ones
        are skipped.
    properties
        ``{column: values}`` or one dict of scalar properties per geometry.
    bounds
        (minx, miny, maxx, maxy) of the tile.
    ids
        Feature ids (default: 1, 2, ...).
    """
    minx, _, maxx, maxy = bounds
    scale = EXTENT / (maxx - minx)

    def to_tile(coords: np.ndarray) -> np.ndarray:
        return np.column_stack([(coords[:, 0] - minx) * scale, (maxy - coords[:, 1]) * scale])

    geoms = np.asarray(geometries, dtype=object).reshape(-1)
    if len(geoms):
        geoms = shapely.transform(geoms, to_tile)
    return encode_layer(name, geoms, properties, ids=ids, extent=EXTENT)
