"""The vectorised MVT encoder, checked by mapbox-vector-tile's decoder and the protobuf parser."""

from __future__ import annotations

import math
import warnings

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2

from tanmap.layers.mvt_encoder import EXTENT, encode_layer, varint_bytes


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def reference(geoms: list, props: list[dict]) -> dict:
    """The same features through mapbox-vector-tile's own (pure-Python) encoder."""
    with warnings.catch_warnings():  # its quantising calls shapely.ops.transform (deprecated)
        warnings.simplefilter("ignore", DeprecationWarning)
        data = mapbox_vector_tile.encode(
            [{"name": "t", "features": [
                {"geometry": g, "properties": p, "id": i + 1}
                for i, (g, p) in enumerate(zip(geoms, props, strict=True))]}],
            default_options={"y_coord_down": True, "quantize_bounds": (0, 0, EXTENT, EXTENT)})
    return decode(data)


def commands(geometry: list[int]) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Parse an MVT command stream into (command id, count, zig-zag-decoded parameters)."""
    out, i = [], 0
    while i < len(geometry):
        cmd, count = geometry[i] & 7, geometry[i] >> 3
        i += 1
        n = 0 if cmd == 7 else count
        params = [((geometry[i + 2 * k] >> 1) ^ -(geometry[i + 2 * k] & 1),
                   (geometry[i + 2 * k + 1] >> 1) ^ -(geometry[i + 2 * k + 1] & 1))
                  for k in range(n)]
        i += 2 * n
        out.append((cmd, count, params))
    return out


def shape(feature: dict) -> shapely.Geometry:
    return shapely.geometry.shape(feature["geometry"])


def ring_area(ring: list) -> float:
    """Surveyor's formula in tile coordinates (y down): positive for MVT exterior rings."""
    r = np.asarray(ring, dtype=float)
    return float(np.sum(r[:-1, 0] * r[1:, 1] - r[1:, 0] * r[:-1, 1]) / 2)


def test_varints_match_protobuf() -> None:
    values = np.array([0, 1, 127, 128, 300, 16_383, 16_384, 2**32 - 1, 2**63, 2**64 - 1],
                      dtype=np.uint64)
    expected = b"".join(_varint(int(v)) for v in values)
    assert varint_bytes(values) == expected
    assert varint_bytes(np.array([], dtype=np.uint64)) == b""


def _varint(v: int) -> bytes:
    out = bytearray()
    while True:
        out.append((v & 0x7F) | (0x80 if v > 0x7F else 0))
        v >>= 7
        if not v:
            return bytes(out)


def test_random_polygons_with_holes_and_parts_equal_the_reference() -> None:
    rng = np.random.default_rng(11)
    n = 300
    cx, cy = rng.random(n) * 4000 + 48, rng.random(n) * 4000 + 48
    geoms = list(shapely.buffer(shapely.points(cx, cy), rng.random(n) * 30 + 8, quad_segs=4))
    for i in range(0, n, 5):  # holes
        geoms[i] = geoms[i].difference(shapely.Point(cx[i], cy[i]).buffer(4, quad_segs=2))
    for i in range(2, n, 7):  # two parts
        geoms[i] = shapely.MultiPolygon([geoms[i], shapely.box(cx[i] + 60, cy[i], cx[i] + 70,
                                                               cy[i] + 9)])
    props = [{"i": i, "name": f"楼{i}"} for i in range(n)]
    mine = decode(encode_layer("t", geoms, props))["t"]["features"]
    ref = reference(geoms, props)["t"]["features"]
    assert [f["id"] for f in mine] == [f["id"] for f in ref] == list(range(1, n + 1))
    assert [f["properties"] for f in mine] == [f["properties"] for f in ref]
    for a, b, g in zip(mine, ref, geoms, strict=True):
        assert a["geometry"]["type"] == b["geometry"]["type"] == g.geom_type
        ga, gb = shape(a), shape(b)
        assert ga.is_valid
        # Same integer grid: the same point set (the rings may start at other vertices).
        assert shapely.equals(ga, gb), (a["geometry"], b["geometry"])
        assert shapely.hausdorff_distance(ga, g) <= math.sqrt(0.5) + 1e-9  # rounding only
        polys = ([a["geometry"]["coordinates"]] if a["geometry"]["type"] == "Polygon"
                 else a["geometry"]["coordinates"])
        for rings in polys:
            assert ring_area(rings[0]) > 0  # exterior: positive area, y down (MVT 4.3.4.4)
            assert all(ring_area(r) < 0 for r in rings[1:])  # holes negative
    assert sum(len(f["geometry"]["coordinates"]) > 1 for f in mine
               if f["geometry"]["type"] == "Polygon") == len(range(0, n, 5)) - len(
        [i for i in range(0, n, 5) if i % 7 == 2])


def test_points_lines_and_mixed_types_keep_feature_order() -> None:
    geoms = [shapely.LineString([(0, 0), (0, 0.2), (10, 10), (10, 10), (20, 0)]),
             shapely.Point(5.4, 6.6),
             shapely.MultiPoint([(1, 1), (2, 2), (2, 2)]),
             shapely.box(100, 100, 200, 150),
             shapely.MultiLineString([[(0, 0), (5, 5)], [(6, 6), (6.1, 6.1)], [(9, 9), (1, 1)]]),
             shapely.LinearRing([(0, 0), (10, 0), (10, 10), (0, 0)])]
    data = encode_layer("t", geoms, {"k": list(range(len(geoms)))})
    feats = decode(data)["t"]["features"]
    assert [(f["id"], f["properties"]["k"], f["geometry"]["type"]) for f in feats] == [
        (1, 0, "LineString"), (2, 1, "Point"), (3, 2, "MultiPoint"), (4, 3, "Polygon"),
        (5, 4, "MultiLineString"), (6, 5, "LineString")]
    assert feats[0]["geometry"]["coordinates"] == [[0, 0], [10, 10], [20, 0]]  # repeats gone
    assert feats[1]["geometry"]["coordinates"] == [5, 7]
    assert feats[2]["geometry"]["coordinates"] == [[1, 1], [2, 2], [2, 2]]
    # The part collapsing to one point on the grid is dropped, the others kept.
    assert feats[4]["geometry"]["coordinates"] == [[[0, 0], [5, 5]], [[9, 9], [1, 1]]]
    # No LineTo of (0, 0) anywhere (MVT 4.3.3.2), checked on the raw command stream.
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(data)
    layer = tile.layers[0]
    assert (layer.version, layer.extent, layer.name) == (2, EXTENT, "t")
    for feature in layer.features:
        for cmd, count, params in commands(list(feature.geometry)):
            assert count >= 1
            if cmd == 2:
                assert all(p != (0, 0) for p in params)


def test_collapsing_rings_are_dropped_and_winding_is_fixed_after_rounding() -> None:
    speck = shapely.box(10.1, 10.1, 10.3, 10.3)  # rounds to one point
    sliver = shapely.Polygon([(0, 0), (100, 0.2), (200, 0.4), (0, 0)])  # rounds to a line
    holed = shapely.Polygon(shapely.box(0, 0, 100, 100).exterior.coords,
                            [shapely.box(50, 50, 50.3, 50.3).exterior.coords,
                             shapely.box(10, 10, 20, 20).exterior.coords])
    clockwise = shapely.Polygon(list(shapely.box(300, 300, 400, 400).exterior.coords)[::-1])
    data = encode_layer("t", [speck, sliver, holed, clockwise], {"k": [0, 1, 2, 3]})
    feats = decode(data)["t"]["features"]
    assert [f["properties"]["k"] for f in feats] == [2, 3]
    rings = feats[0]["geometry"]["coordinates"]
    assert len(rings) == 2  # the collapsed hole is gone, the 10 x 10 one kept
    assert ring_area(rings[0]) == 100 * 100
    assert ring_area(rings[1]) == -10 * 10
    assert ring_area(feats[1]["geometry"]["coordinates"][0]) == 100 * 100


def test_property_values_keep_their_types_and_text() -> None:
    hostile = ['<img src=x onerror=alert(1)>', '"; DROP TABLE building; --', "a\x00b",
               "楼" * 200, "🏠 emoji", "{{ 7*7 }}", "", "\ud800 lone surrogate"]
    n = len(hostile)
    props = {
        "name": hostile,
        "n": [1, -5, 2**63 - 1, -(2**63), 2**63 + 5, 2**70, 1.5, float("nan")],
        "mixed": [True, 1, 1.0, "1", None, np.int64(7), np.float32(0.5), False],
    }
    geoms = [shapely.Point(i, i) for i in range(n)]
    feats = decode(encode_layer("t", geoms, props))["t"]["features"]
    got = [f["properties"] for f in feats]
    assert [p["name"] for p in got] == [*hostile[:-1], "? lone surrogate"]
    assert [p.get("n") for p in got] == [1, -5, 2**63 - 1, -(2**63), 2**63 + 5, str(2**70),
                                         1.5, None]
    mixed = [p.get("mixed") for p in got]
    assert mixed == [True, 1, 1.0, "1", None, 7, 0.5, False]
    assert [type(v) for v in mixed] == [bool, int, float, str, type(None), int, float, bool]


def test_dict_rows_and_missing_values() -> None:
    geoms = [shapely.Point(1, 1), shapely.Point(2, 2), None, shapely.Point(3, 3)]
    rows = [{"a": "x"}, {"b": None}, {"a": "skipped"}, {"a": "x", "b": 2}]
    feats = decode(encode_layer("t", geoms, rows, ids=[10, 20, 30, 40]))["t"]["features"]
    assert [(f["id"], f["properties"]) for f in feats] == [
        (10, {"a": "x"}), (20, {}), (40, {"a": "x", "b": 2})]


def test_empty_inputs_give_an_empty_tile() -> None:
    assert encode_layer("t", [], {}) == b""
    assert encode_layer("t", [None, shapely.Polygon(), shapely.box(0, 0, 0.1, 0.1)],
                        {"a": [1, 2, 3]}) == b""
    assert decode(b"") == {}


def test_collections_keep_their_highest_family() -> None:
    gc = shapely.GeometryCollection([shapely.Point(1, 1), shapely.box(0, 0, 10, 10),
                                     shapely.LineString([(0, 0), (5, 5)])])
    feats = decode(encode_layer("t", [gc], {"a": [1]}))["t"]["features"]
    assert feats[0]["geometry"]["type"] == "Polygon"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="2 ids for 1 geometries"):
        encode_layer("t", [shapely.Point(0, 0)], {}, ids=[1, 2])
    with pytest.raises(ValueError, match="column 'a' has 2 values for 1 geometries"):
        encode_layer("t", [shapely.Point(0, 0)], {"a": [1, 2]})
    with pytest.raises(ValueError, match=">= 0"):
        encode_layer("t", [shapely.Point(0, 0)], {}, ids=[-1])
    with pytest.raises(ValueError, match="clip features to the tile"):
        encode_layer("t", [shapely.Point(2.0**31, 0)], {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns on building it
        bad = shapely.LineString([(0, 0), (float("nan"), 1)])
    with pytest.raises(ValueError, match=r"finite.*\[\[nan, 1\.0\]\]"):
        encode_layer("t", [bad], {})
