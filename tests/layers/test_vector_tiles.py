"""Vector tiles (MVT) of a layer: tile grid, placement, thinning, cache, GCJ-02, native path."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from tanmap.geo.chinacoords import wgs84_to_gcj02
from tanmap.geo.errors import UnknownDistrictError
from tanmap.layers import vector_tiles
from tanmap.layers.store import GeoPackageStore, open_store
from tanmap.layers.vector_tiles import (
    EXTENT,
    TileCache,
    encode_tile,
    layer_tile,
    tile_bounds_3857,
    tile_bounds_lonlat,
)

CODE = "120101"
R = 6378137.0


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    return math.degrees(x / R), math.degrees(2 * math.atan(math.exp(y / R)) - math.pi / 2)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def box_in_tile(z: int, x: int, y: int, u0: float, v0: float, u1: float, v1: float
                ) -> shapely.Polygon:
    """The lon/lat polygon covering tile units [u0, u1] x [v0, v1] (v down) of tile z/x/y."""
    minx, _, maxx, maxy = tile_bounds_3857(z, x, y)
    s = (maxx - minx) / EXTENT
    (w, n), (e, so) = (to_lonlat(minx + u0 * s, maxy - v0 * s),
                       to_lonlat(minx + u1 * s, maxy - v1 * s))
    return shapely.box(w, so, e, n)


def decoded(data: bytes) -> list[dict]:
    layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return layers["building"]["features"] if "building" in layers else []


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    s = open_store(tmp_path / "t.gpkg", create=True)
    assert isinstance(s, GeoPackageStore)
    s.put_district(gpd.GeoDataFrame({"adcode": [CODE], "name": ["和平区"]},
                                    geometry=[shapely.box(117.15, 39.08, 117.25, 39.15)],
                                    crs="EPSG:4326"))
    return s


def write(store: GeoPackageStore, geoms: list, names: list[str] | None = None,
          source: str = "survey") -> None:
    n = len(geoms)
    store.write("building", gpd.GeoDataFrame(
        {"id": [f"B{i}" for i in range(n)], "use_category": "residential",
         "name": names or [f"楼{i}" for i in range(n)], "source": source},
        geometry=geoms, crs="EPSG:4326"), district=CODE)


Z, X, Y = 16, *tile_of(117.2, 39.12, 16)


def test_tile_grid_bounds() -> None:
    assert tile_bounds_3857(0, 0, 0) == pytest.approx(
        (-math.pi * R, -math.pi * R, math.pi * R, math.pi * R))
    west, south, east, north = tile_bounds_lonlat(1, 0, 0)
    assert (west, south, east) == pytest.approx((-180, 0, 0), abs=1e-9)
    assert north == pytest.approx(85.0511287798, abs=1e-9)
    with pytest.raises(ValueError, match=r"x and y must be in 0\.\.1"):
        tile_bounds_3857(1, 2, 0)
    with pytest.raises(ValueError, match="zoom 23"):
        tile_bounds_3857(23, 0, 0)


def test_feature_lands_on_its_tile_units(store: GeoPackageStore) -> None:
    write(store, [box_in_tile(Z, X, Y, 1024, 1024, 2048, 3072)])
    feats = decoded(layer_tile(store, "building", CODE, Z, X, Y, cache=TileCache()))
    assert len(feats) == 1
    ring = np.array(feats[0]["geometry"]["coordinates"][0])
    assert ring.min(axis=0).tolist() == [1024, 1024]
    assert ring.max(axis=0).tolist() == [2048, 3072]
    assert feats[0]["properties"] == {"id": "B0", "name": "楼0"}
    # The neighbour tile to the east holds nothing (the box ends 2048 units from the edge).
    assert decoded(layer_tile(store, "building", CODE, Z, X + 1, Y, cache=TileCache())) == []


def test_exterior_rings_follow_the_mvt_winding(store: GeoPackageStore) -> None:
    outer = box_in_tile(Z, X, Y, 500, 500, 3500, 3500)
    hole = box_in_tile(Z, X, Y, 1500, 1500, 2500, 2500)
    write(store, [shapely.Polygon(outer.exterior.coords[::-1], [hole.exterior.coords])])
    feats = decoded(layer_tile(store, "building", CODE, Z, X, Y, cache=TileCache()))
    ext, inner = (np.array(r, dtype=float) for r in feats[0]["geometry"]["coordinates"])

    def area(r: np.ndarray) -> float:  # shoelace in tile units, y down
        return float(np.sum(r[:-1, 0] * r[1:, 1] - r[1:, 0] * r[:-1, 1]) / 2)

    assert area(ext) == pytest.approx(3000 * 3000)  # positive: clockwise on screen
    assert area(inner) == pytest.approx(-1000 * 1000)


def test_fast_encoding_equals_the_encoders_own_quantising() -> None:
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = tile_bounds_3857(Z, X, Y)
    xs = minx + rng.random(200) * (maxx - minx)
    ys = miny + rng.random(200) * (maxy - miny)
    geoms = shapely.buffer(shapely.points(xs, ys), rng.random(200) * 40 + 5, quad_segs=3)
    geoms[::7] = shapely.difference(geoms[::7], shapely.buffer(shapely.points(xs, ys)[::7], 3))
    props = [{"i": i} for i in range(200)]
    fast = mapbox_vector_tile.decode(encode_tile("b", geoms, props, (minx, miny, maxx, maxy)))
    with warnings.catch_warnings():  # its quantising calls shapely.ops.transform (deprecated)
        warnings.simplefilter("ignore", DeprecationWarning)
        ref = mapbox_vector_tile.decode(mapbox_vector_tile.encode(
            [{"name": "b", "features": [{"geometry": g, "properties": p, "id": i + 1} for i, (g, p)
                                        in enumerate(zip(geoms, props, strict=True))]}],
            default_options={"quantize_bounds": (minx, miny, maxx, maxy)}))
    a, b = fast["b"]["features"], ref["b"]["features"]
    assert [f["properties"]["i"] for f in a] == [f["properties"]["i"] for f in b]
    for fa, fb in zip(a, b, strict=True):
        ga, gb = shapely.geometry.shape(fa["geometry"]), shapely.geometry.shape(fb["geometry"])
        # Same grid, same rings: every vertex within one unit (rounding) of the reference.
        assert shapely.hausdorff_distance(ga, gb) <= 1.0
        assert abs(ga.area - gb.area) <= gb.length


def test_small_features_are_dropped_at_low_zoom_only(store: GeoPackageStore) -> None:
    lon, lat = 117.2, 39.12
    tiny = shapely.box(lon, lat, lon + 5e-5, lat + 5e-5)  # ~4 m
    large = shapely.box(lon + 1e-3, lat, lon + 3e-3, lat + 2e-3)  # ~170 m
    write(store, [tiny, large])
    ids = {z: sorted(f["properties"]["id"] for f in decoded(layer_tile(
        store, "building", CODE, z, *tile_of(lon + 1e-3, lat + 1e-3, z), cache=TileCache())))
        for z in (12, 16)}
    assert ids == {12: ["B1"], 16: ["B0", "B1"]}


def test_new_version_is_served_fresh(store: GeoPackageStore) -> None:
    cache = TileCache()
    write(store, [box_in_tile(Z, X, Y, 100, 100, 200, 200)], names=["旧"])
    assert decoded(layer_tile(store, "building", CODE, Z, X, Y, cache=cache))[0][
        "properties"]["name"] == "旧"
    layer_tile(store, "building", CODE, Z, X, Y, cache=cache)
    assert cache.builds == 1  # read and indexed once per version
    write(store, [box_in_tile(Z, X, Y, 100, 100, 200, 200)], names=["新"])
    assert decoded(layer_tile(store, "building", CODE, Z, X, Y, cache=cache))[0][
        "properties"]["name"] == "新"
    assert cache.builds == 2


def test_hostile_names_travel_as_plain_strings_and_sample_is_labelled(
        store: GeoPackageStore) -> None:
    name = '<img src=x onerror=alert(1)>'
    write(store, [box_in_tile(Z, X, Y, 10, 10, 90, 90)], names=[name],
          source="示例数据 synthetic")
    props = decoded(layer_tile(store, "building", CODE, Z, X, Y, cache=TileCache()))[0][
        "properties"]
    assert props["name"] == name
    assert props["data_label"].startswith("示例数据")


def test_gcj02_tiles_shift_the_features(store: GeoPackageStore) -> None:
    poly = box_in_tile(Z, X, Y, 2000, 2000, 2100, 2100)
    write(store, [poly])
    c = poly.centroid
    gx, gy = (float(v[0]) for v in wgs84_to_gcj02(np.array([c.x]), np.array([c.y])))
    z, (tx, ty) = 18, tile_of(gx, gy, 18)
    shifted = decoded(layer_tile(store, "building", CODE, z, tx, ty, gcj02=True,
                                 cache=TileCache()))
    assert len(shifted) == 1
    minx, _, maxx, maxy = tile_bounds_3857(z, tx, ty)
    s = (maxx - minx) / EXTENT
    ring = np.array(shifted[0]["geometry"]["coordinates"][0], dtype=float)
    u, v = ring[:-1].mean(axis=0)
    lon, lat = to_lonlat(minx + u * s, maxy - v * s)
    assert (lon, lat) == pytest.approx((gx, gy), abs=2e-6)  # within ~0.2 m
    # The shift is hundreds of metres here: the unshifted tile misses it.
    assert decoded(layer_tile(store, "building", CODE, z, tx, ty, cache=TileCache())) == []


def test_empty_unwritten_and_unknown(store: GeoPackageStore) -> None:
    assert decoded(layer_tile(store, "building", CODE, Z, X, Y)) == []
    store.write_empty("building", district=CODE)
    assert decoded(layer_tile(store, "building", CODE, Z, X, Y)) == []
    with pytest.raises(UnknownDistrictError):
        layer_tile(store, "building", "999999", Z, X, Y)


class NativeStore:
    """A store wrapper with a native ``mvt`` (as the PostGIS store may have)."""

    def __init__(self, inner: GeoPackageStore) -> None:
        self.inner = inner
        self.calls: list[tuple] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def mvt(self, kind, district, z, x, y, *, columns):
        self.calls.append((kind.value, district, z, x, y, columns))
        return b"native"


def test_a_store_with_mvt_answers_itself_unless_shifted(store: GeoPackageStore) -> None:
    write(store, [box_in_tile(Z, X, Y, 10, 10, 90, 90)])
    native = NativeStore(store)
    assert layer_tile(native, "building", CODE, Z, X, Y, columns=("id",)) == b"native"
    assert native.calls == [("building", CODE, Z, X, Y, ("id",))]
    data = layer_tile(native, "building", CODE, Z, X, Y, gcj02=True, cache=TileCache())
    assert data != b"native"
    assert isinstance(mapbox_vector_tile.decode(data), dict)
    assert len(native.calls) == 1  # GCJ-02 tiles come from the Python path


def test_points_lines_and_multipolygons_encode_in_tile_units() -> None:
    geoms = np.array([shapely.Point(100, 100), shapely.LineString([(0, 0), (300, 300)]),
                      shapely.MultiPolygon([shapely.box(0, 0, 10, 10),
                                            shapely.box(20, 20, 30, 30)]),
                      None, shapely.Polygon()], dtype=object)
    data = encode_tile("x", geoms, [{"k": i} for i in range(5)], (0.0, 0.0, 4096.0, 4096.0))
    feats = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["x"][
        "features"]
    assert [(f["id"], f["properties"]["k"], f["geometry"]["type"]) for f in feats] == [
        (1, 0, "Point"), (2, 1, "LineString"), (3, 2, "MultiPolygon")]  # None, empty skipped
    assert feats[0]["geometry"]["coordinates"] == [100, 3996]  # y down from the north edge
    assert feats[1]["geometry"]["coordinates"] == [[0, 4096], [300, 3796]]
    first = np.array(feats[2]["geometry"]["coordinates"][0][0], dtype=float)
    assert float(np.sum(first[:-1, 0] * first[1:, 1] - first[1:, 0] * first[:-1, 1])) / 2 == 100


@pytest.mark.parametrize("gcj02", [False, True])
def test_per_tile_reads_of_a_huge_layer_give_the_same_tiles(
        store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch, gcj02: bool) -> None:
    rng = np.random.default_rng(5)
    lon = 117.19 + rng.random(300) * 0.03
    lat = 39.11 + rng.random(300) * 0.02
    write(store, list(shapely.box(lon, lat, lon + 1e-4, lat + 8e-5)))

    def features(z: int, x: int, y: int) -> list[tuple]:
        feats = decoded(layer_tile(store, "building", CODE, z, x, y, gcj02=gcj02,
                                   cache=TileCache()))
        return sorted((f["properties"]["id"], str(f["geometry"])) for f in feats)

    tiles = {tile_of(lo, la, 16) for lo, la in zip(lon[:40], lat[:40], strict=True)}
    indexed = {t: features(16, *t) for t in tiles}
    monkeypatch.setattr(vector_tiles, "INDEX_MAX_FEATURES", 0)
    per_tile = {t: features(16, *t) for t in tiles}
    assert per_tile == indexed
    assert sum(len(v) for v in indexed.values()) >= 40


def test_a_capped_tile_keeps_the_largest_and_says_so(store: GeoPackageStore,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    sides = [100, 400, 200, 800, 300]  # tile units; B3 and B1 are the largest
    write(store, [box_in_tile(Z, X, Y, 10 + 5 * i, 10, 10 + 5 * i + s, 10 + s)
                  for i, s in enumerate(sides)])
    monkeypatch.setattr(vector_tiles, "MAX_FEATURES_PER_TILE", 2)
    layers = mapbox_vector_tile.decode(layer_tile(store, "building", CODE, Z, X, Y,
                                                  cache=TileCache()))
    assert sorted(f["properties"]["id"] for f in layers["building"]["features"]) == ["B1", "B3"]
    meta = layers[vector_tiles.META_LAYER]["features"]
    assert [f["properties"] for f in meta] == [{"shown": 2, "total": 5, "z": Z, "x": X, "y": Y}]
    monkeypatch.setattr(vector_tiles, "MAX_FEATURES_PER_TILE", 5)
    layers = mapbox_vector_tile.decode(layer_tile(store, "building", CODE, Z, X, Y,
                                                  cache=TileCache()))
    assert set(layers) == {"building"}  # nothing left out: no meta layer
    assert len(layers["building"]["features"]) == 5


def test_tiled_layer_summary_reads_no_geometry(store: GeoPackageStore,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "use_category": ["residential", "public", "public"],
         "source": ["survey", "示例数据 synthetic", "survey"]},
        geometry=[box_in_tile(Z, X, Y, 0, 0, 10 * i + 10, 10) for i in range(3)],
        crs="EPSG:4326")
    store.write("building", frame, district=CODE)

    def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the summary must not read the geometries")

    monkeypatch.setattr(store, "read", no_read)
    summary = vector_tiles.tiled_layer(store, "building", CODE, "use_category")
    assert summary == vector_tiles.TiledLayer(3, frozenset({"residential", "public"}), True)
    assert len(summary) == 3
    monkeypatch.undo()
    store.write("building", frame.assign(source="survey"), district=CODE)  # a new version
    assert vector_tiles.tiled_layer(store, "building", CODE, "use_category").sample is False
    attrs = store.read_attributes("building", district=CODE, columns=["use_category", "nope"])
    assert list(attrs.columns) == ["use_category"]
    assert attrs["use_category"].tolist()[:2] == ["residential", "public"]
    with pytest.raises(UnknownDistrictError):
        store.read_attributes("building", district="999999", columns=["id"])


def test_per_tile_reads_keep_integer_properties(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """eco_zone's control_level is an int: read per tile it must stay 1, not become 1.0."""
    store = open_store(tmp_path / "e.gpkg", create=True)
    store.put_district(gpd.GeoDataFrame({"adcode": [CODE], "name": ["和平区"]},
                                        geometry=[shapely.box(117.15, 39.08, 117.25, 39.15)],
                                        crs="EPSG:4326"))
    store.write("eco_zone", gpd.GeoDataFrame(
        {"id": ["E1", "E2"], "name": ["一级", "二级"], "control_level": [1, 2]},
        geometry=[box_in_tile(Z, X, Y, 10, 10, 900, 900), box_in_tile(Z, X, Y, 1000, 10, 1900,
                                                                         900)],
        crs="EPSG:4326"), district=CODE)
    from tanmap.maps.build import tile_columns

    columns = tile_columns("eco_zone")
    assert "control_level" in columns
    indexed = decoded_layer(layer_tile(store, "eco_zone", CODE, Z, X, Y, columns=columns,
                                       cache=TileCache()), "eco_zone")
    monkeypatch.setattr(vector_tiles, "INDEX_MAX_FEATURES", 0)
    per_tile = decoded_layer(layer_tile(store, "eco_zone", CODE, Z, X, Y, columns=columns,
                                        cache=TileCache()), "eco_zone")
    levels = [f["properties"]["control_level"] for f in per_tile]
    assert levels == [1, 2]
    assert all(type(v) is int for v in levels)
    assert per_tile == indexed


def decoded_layer(data: bytes, name: str) -> list[dict]:
    layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return layers[name]["features"] if name in layers else []


def test_a_page_of_only_tiled_buildings_reads_no_building(store: GeoPackageStore,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """No 街道 and no metric needing them: neither the layer nor the carbon metric reads them."""
    from tanmap.layers.views import district_view

    write(store, [box_in_tile(Z, X, Y, 10 * i, 10, 10 * i + 8, 18) for i in range(5)])
    reads: list[str] = []
    real = store.read

    def counted(kind: object, **kwargs: object) -> gpd.GeoDataFrame:
        reads.append(str(getattr(kind, "value", kind)))
        return real(kind, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "read", counted)
    view = district_view(store, CODE, year=2026, tiled={"building": "use_category"})
    assert "building" not in reads
    assert view.carbon_buildings is None
    from tanmap.layers.kinds import LayerKind

    assert view.layers[LayerKind.BUILDING] == vector_tiles.TiledLayer(
        5, frozenset({"residential"}), False)
    district_view(store, CODE, year=2026)
    assert "building" in reads  # the untiled page reads them
