"""Vector-tile benchmark: a 1M-building synthetic district served as MVT and panned in Chromium.

Usage: ``python benchmarks/tiles.py [--buildings 1000000] [--tiles 60] [--no-browser]
[--store PATH [--reuse]]``.

The district is the benchmark's synthetic city (``benchmarks/synth.py``: footprints of 8–15 m on
a block grid, 1,600 buildings/km², about 25 km x 25 km for 1M), stored in a GeoPackage store as
东丽区 (120110, a district with a plan catalog, so its map page opens) with the city's square as
its boundary. Printed:

* store write time (validation and the GeoPackage write of every footprint);
* the one-off read + Web-Mercator projection + STRtree index of the layer (the tile cache);
* p50 / p95 / max time per tile, features and bytes per tile, at zooms 14, 15 and 16 for
  ``--tiles`` tiles per zoom centred on random buildings (warm index, cold tiles);
* the vectorised encoder and ``mapbox-vector-tile`` on the same features of five zoom-14 tiles
  (a ratio measured in one run);
* with the browser: the map page's first open from the running API (it also computes the
  district's audit), its second open (warm), then the time until the tiles in view are drawn
  after a jump to zoom 15 and after each of five pans.

Not part of the test suite (``tests/api/test_browser_tiles.py`` runs the same path at 30,000
buildings). The machine is shared: absolute times are noisy.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth import SIZES, CitySize, concave_footprints, make_city

from tanmap.layers.store import open_store
from tanmap.layers.vector_tiles import TileCache, layer_tile
from tanmap.maps.build import tile_columns

CODE = "120110"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return (int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


def build_store(path: Path, n: int) -> tuple[float, gpd.GeoDataFrame]:
    SIZES["bench_tiles"] = CitySize(n, max(1, n // 100), max(1, n // 50))
    city = make_city("bench_tiles")
    # Footprints: rotated L shapes and courtyard blocks (holed) in each rectangle's place.
    b = city.buildings.geometry.bounds.to_numpy()
    cell = np.minimum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    city.buildings.geometry = concave_footprints(np.random.default_rng(7), b[:, 0], b[:, 1],
                                                 cell)
    buildings = city.buildings.to_crs(4326)
    buildings["source"] = "示例数据 synthetic (tiles benchmark)"
    district = gpd.GeoDataFrame({"adcode": [CODE], "name": ["东丽区（合成百万建筑）"]},
                                geometry=[city.district], crs=city.buildings.crs).to_crs(4326)
    store = open_store(path, create=True)
    store.put_district(district)
    t0 = time.perf_counter()
    store.write("building", buildings, district=CODE, source="tiles benchmark")
    return time.perf_counter() - t0, buildings


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def bench_tiles(path: Path, buildings: gpd.GeoDataFrame, n_tiles: int) -> None:
    store = open_store(path)
    cache = TileCache()
    columns = tile_columns("building")
    rng = np.random.default_rng(1)
    pts = shapely.get_coordinates(shapely.centroid(np.asarray(
        buildings.geometry.array)[rng.integers(0, len(buildings), n_tiles)]))
    t0 = time.perf_counter()
    x, y = tile_of(*pts[0], 16)
    layer_tile(store, "building", CODE, 16, x, y, columns=columns, cache=cache)
    print(f"tile cache: read + project + index {len(buildings):,} buildings "
          f"{time.perf_counter() - t0:.1f} s (once per layer version)")
    print(f"{'zoom':>4} {'tiles':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'features p50':>12} {'features max':>12} {'KB p50':>7} {'KB max':>7}")
    import mapbox_vector_tile

    ratio_new, ratio_old = [], []
    for z in (14, 15, 16):
        times, feats, sizes = [], [], []
        for lon, lat in pts:
            x, y = tile_of(lon, lat, z)
            t = time.perf_counter()
            data = layer_tile(store, "building", CODE, z, x, y, columns=columns, cache=cache)
            times.append((time.perf_counter() - t) * 1000)
            layer = mapbox_vector_tile.decode(data).get("building")
            feats.append(len(layer["features"]) if layer else 0)
            sizes.append(len(data) / 1024)
            if z == 14 and layer and len(ratio_new) < 5:  # same features, both encoders
                new_s, old_s = encoder_times(layer["features"])
                ratio_new.append(new_s)
                ratio_old.append(old_s)
        print(f"{z:>4} {len(times):>5} {pct(times, 50):>8.1f} {pct(times, 95):>8.1f} "
              f"{max(times):>8.1f} {pct(feats, 50):>12.0f} {max(feats):>12} "
              f"{pct(sizes, 50):>7.0f} {max(sizes):>7.0f}")
    print(f"encoder on 5 zoom-14 tiles (same features): vectorised {1000 * np.mean(ratio_new):.0f}"
          f" ms, mapbox-vector-tile {1000 * np.mean(ratio_old):.0f} ms a tile "
          f"({np.mean(ratio_old) / np.mean(ratio_new):.1f}x)")


def encoder_times(features: list[dict]) -> tuple[float, float]:
    """Encode decoded tile features (tile units) with tanmap's encoder and mapbox-vector-tile."""
    import warnings

    import mapbox_vector_tile

    from tanmap.layers.mvt_encoder import encode_layer

    geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
    props = [f["properties"] for f in features]
    t = time.perf_counter()
    encode_layer("building", geoms, props)
    new_s = time.perf_counter() - t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        t = time.perf_counter()
        mapbox_vector_tile.encode(
            [{"name": "building", "features": [{"geometry": g, "properties": p} for g, p
                                               in zip(geoms, props, strict=True)]}],
            default_options={"check_winding_order": False})
        old_s = time.perf_counter() - t
    return new_s, old_s


def bench_browser(path: Path, buildings: gpd.GeoDataFrame) -> None:
    from playwright.sync_api import sync_playwright

    from tests.api.browser_server import launch_chromium, serve
    from tests.api.test_browser_tiles import MAP_JS, TILE_FEATURES_JS, TILES_LOADED_JS

    west, south, east, north = buildings.total_bounds
    with serve(path, timeout_s=60) as live, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.set_default_timeout(600_000)
        page.set_default_navigation_timeout(1_800_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        t0 = time.perf_counter()
        page.goto(f"{live.url}/maps/{CODE}")
        page.wait_for_function("() => !!window.tanmap && !!document.querySelector("
                               "'.leaflet-container')")
        opened = time.perf_counter() - t0
        html_kb = len(page.content()) / 1024
        t0 = time.perf_counter()
        page.goto(f"{live.url}/maps/{CODE}")  # again: the page and its tile summary cached
        page.wait_for_function("() => !!window.tanmap && !!document.querySelector("
                               "'.leaflet-container')")
        warm = time.perf_counter() - t0
        page.check("input[name=tanmap-theme][value=pv]")

        def drawn() -> tuple[float, int]:
            t = time.perf_counter()
            page.wait_for_function(TILES_LOADED_JS)
            page.wait_for_function(f"() => ({TILE_FEATURES_JS})() > 0")
            return time.perf_counter() - t, int(page.evaluate(TILE_FEATURES_JS))

        page.evaluate(f"() => {{ {MAP_JS}.setView([{(south + north) / 2}, "
                      f"{(west + east) / 2}], 15, {{animate: false}}); }}")  # opens at ~12
        first, n_first = drawn()
        pans = []
        for dx, dy in ((800, 0), (0, 500), (-800, 0), (0, -500), (1200, 700)):
            page.evaluate(f"() => {{ {MAP_JS}.panBy([{dx}, {dy}], {{animate: false}}); }}")
            pans.append(drawn()[0])
        browser.close()
    print(f"page open (first request: audit + map of {len(buildings):,} buildings): "
          f"{opened:.1f} s, page {html_kb:.0f} KB; opened again (warm): {warm:.2f} s")
    print(f"zoom 15 view drawn: {first:.2f} s ({n_first:,} features in the tiles on screen)")
    print(f"pans (5): p50 {pct(pans, 50):.2f} s, max {max(pans):.2f} s; "
          f"console/page errors: {len(errors)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--buildings", type=int, default=1_000_000)
    ap.add_argument("--tiles", type=int, default=60, help="tiles timed per zoom")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--store", type=Path, help="keep the store here (default: a temp dir)")
    ap.add_argument("--reuse", action="store_true",
                    help="use the district already in --store instead of building it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tanmap-tiles-") as tmp:
        path = args.store or Path(tmp) / "tiles.gpkg"
        t0 = time.perf_counter()
        if args.reuse and path.exists():
            buildings = open_store(path).read("building", district=CODE)
            print(f"synthetic district: {len(buildings):,} buildings read from {path}")
        else:
            seconds, buildings = build_store(path, args.buildings)
            print(f"synthetic district: {len(buildings):,} buildings, store write {seconds:.1f} s "
                  f"(total setup {time.perf_counter() - t0:.1f} s)")
        bench_tiles(path, buildings, args.tiles)
        if not args.no_browser:
            bench_browser(path, buildings)


if __name__ == "__main__":
    main()
