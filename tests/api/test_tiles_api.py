"""GET /tiles/... and the map page of a layer above the tile threshold (no browser)."""

from __future__ import annotations

import re
from pathlib import Path

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from tanmap.api.app import create_app
from tanmap.api.settings import Settings
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import open_store
from tanmap.maps.build import VECTOR_TILE_JS

HEPING = "120101"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math
    n = 2**z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


@pytest.fixture
def tclient(store_path: Path) -> TestClient:
    """The demo store of 和平区 with the threshold lowered under its building count."""
    n = open_store(store_path).version(LayerKind.BUILDING, HEPING)
    assert n is not None
    assert n.n_features > 100
    return TestClient(create_app(Settings(store=str(store_path), tile_threshold=100)),
                      raise_server_exceptions=False)


def test_tile_holds_the_buildings_of_its_area(tclient: TestClient, store_path: Path) -> None:
    buildings = open_store(store_path).read(LayerKind.BUILDING, district=HEPING)
    c = buildings.geometry.iloc[0].representative_point()
    x, y = tile_of(c.x, c.y, 16)
    r = tclient.get(f"/tiles/{HEPING}/building/16/{x}/{y}.pbf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert r.headers["cache-control"] == "no-cache"
    ids = {f["properties"]["id"] for f in mapbox_vector_tile.decode(r.content)["building"][
        "features"]}
    assert str(buildings["id"].iloc[0]) in ids
    props = mapbox_vector_tile.decode(r.content)["building"]["features"][0]["properties"]
    assert set(props) <= {"id", "name", "status", "use_category", "data_label"}
    assert props["data_label"].startswith("示例数据")  # the demo layers are synthetic


def test_bad_tiles_are_refused(tclient: TestClient) -> None:
    assert tclient.get(f"/tiles/{HEPING}/building/2/4/0.pbf").status_code == 404
    assert tclient.get(f"/tiles/{HEPING}/building/23/0/0.pbf").status_code == 422
    assert tclient.get(f"/tiles/{HEPING}/nokind/1/0/0.pbf").status_code == 422
    assert tclient.get("/tiles/999999/building/1/0/0.pbf").status_code == 404
    stale = tclient.get(f"/tiles/{HEPING}/building/1/0/0.pbf?v=abc123")
    assert stale.status_code == 200
    assert stale.headers["cache-control"] == "no-cache"  # not this version: revalidate


def test_tiles_are_cached_by_layer_version(tclient: TestClient, store_path: Path) -> None:
    checksum = open_store(store_path).version(LayerKind.BUILDING, HEPING).checksum
    url = f"/tiles/{HEPING}/building/1/0/0.pbf"
    ok = tclient.get(f"{url}?v={checksum[:16]}")
    assert ok.status_code == 200
    assert ok.headers["cache-control"] == "public, max-age=86400"
    etag = ok.headers["etag"]
    assert checksum[:16] in etag
    again = tclient.get(f"{url}?v={checksum[:16]}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert tclient.get(url, headers={"If-None-Match": f'W/{etag}, "x"'}).status_code == 304
    amap = tclient.get(f"{url}?basemap=amap", headers={"If-None-Match": etag})
    assert amap.status_code == 200  # a GCJ-02 tile is another entity
    assert amap.headers["etag"] != etag
    assert tclient.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_map_page_draws_large_layers_from_tiles(tclient: TestClient, store_path: Path) -> None:
    store = open_store(store_path)
    big = {v.kind.value: v for v in store.layers(HEPING)
           if v.n_features > 100 and v.kind not in (LayerKind.DISTRICT, LayerKind.SUBDISTRICT,
                                                   LayerKind.COMMUNITY)}
    assert "building" in big
    html = tclient.get(f"/maps/{HEPING}?basemap=amap").text
    assert f"/static/maps/{VECTOR_TILE_JS}" in html
    urls = re.findall(r'tanmap\.tileLayer\("([^"]+)"', html)
    v = big["building"].checksum[:16]
    assert f"/tiles/{HEPING}/building/{{z}}/{{x}}/{{y}}.pbf?basemap=amap\\u0026v={v}" in urls
    assert sorted(u.split("/")[3] for u in urls) == sorted(big)
    first_id = str(store.read(LayerKind.BUILDING, district=HEPING)["id"].iloc[0])
    assert f'"{first_id}"' not in html  # buildings are not embedded


def test_small_layers_stay_embedded(store_path: Path) -> None:
    c = TestClient(create_app(Settings(store=str(store_path))))  # default threshold 20,000
    html = c.get(f"/maps/{HEPING}").text
    assert "tanmap.tileLayer(" not in html
    assert VECTOR_TILE_JS not in html


class _WithoutNativeTiles:
    """A store seen without its ``mvt`` method: layer_tile takes the Python (GeoPackage) path."""

    def __init__(self, store: object) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        if name == "mvt":
            raise AttributeError(name)
        return getattr(self._store, name)

    def __repr__(self) -> str:
        return f"python-path:{self._store!r}"


@pytest.mark.parametrize("z", [13, 16])
def test_postgis_tiles_hold_the_same_features_as_the_python_path(
        store_path: Path | str, api_backend: str, z: int) -> None:
    from tanmap.layers.vector_tiles import TileCache, layer_tile

    store = open_store(store_path)
    if api_backend != "postgis":
        assert not hasattr(store, "mvt")  # the GeoPackage store has no native encoder
        return
    buildings = store.read(LayerKind.BUILDING, district=HEPING)
    c = buildings.geometry.iloc[len(buildings) // 2].representative_point()
    x, y = tile_of(c.x, c.y, z)
    native = mapbox_vector_tile.decode(layer_tile(store, LayerKind.BUILDING, HEPING, z, x, y))
    python = mapbox_vector_tile.decode(layer_tile(_WithoutNativeTiles(store), LayerKind.BUILDING,
                                                  HEPING, z, x, y, cache=TileCache()))
    assert set(native) == set(python) == {"building"}
    got = sorted(tuple(sorted(f["properties"].items())) for f in native["building"]["features"])
    want = sorted(tuple(sorted(f["properties"].items())) for f in python["building"]["features"])
    assert len(got) > 0
    assert got == want


def test_a_capped_tile_says_so_on_both_backends(store_path: Path | str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from tanmap.layers import vector_tiles
    from tanmap.layers.vector_tiles import META_LAYER, TileCache, layer_tile

    store = open_store(store_path)
    buildings = store.read(LayerKind.BUILDING, district=HEPING)
    c = buildings.geometry.iloc[len(buildings) // 2].representative_point()
    x, y = tile_of(c.x, c.y, 15)
    full = mapbox_vector_tile.decode(layer_tile(store, LayerKind.BUILDING, HEPING, 15, x, y,
                                                cache=TileCache()))
    total = len(full["building"]["features"])
    assert total > 3
    assert META_LAYER not in full
    monkeypatch.setattr(vector_tiles, "MAX_FEATURES_PER_TILE", 3)
    capped = mapbox_vector_tile.decode(layer_tile(store, LayerKind.BUILDING, HEPING, 15, x, y,
                                                  cache=TileCache()))
    assert len(capped["building"]["features"]) == 3
    meta = capped[META_LAYER]["features"][0]["properties"]
    assert (meta["shown"], meta["z"], meta["x"], meta["y"]) == (3, 15, x, y)
    assert meta["total"] >= total  # the features meeting the tile's buffer too
