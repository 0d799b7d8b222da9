"""Measure the district map page: bytes on the wire and time until drawn, gzip on and off.

What it does:

1. builds (or reuses, ``--store``) a demo store of 和平区 120101 and a copy of it holding a
   100 489-building layer (10 m squares on a 317 x 317 grid over the district);
2. serves each with uvicorn (``tests/api/browser_server.py``) and asks for ``/maps/120101``
   once to fill the server's page cache;
3. opens the page in Debian's headless chromium over an emulated 10 Mbit/s, 20 ms link (a
   district intranet or VPN), once sending ``Accept-Encoding: identity`` (no compression, as
   before gzip) and once with the browser's default (gzip), and reports the bytes received and
   the seconds until the map's canvas has drawn its features.

Usage::

    .venv/bin/python scripts/measure_map.py [--store DIR] [--mbps 10]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tanmap.layers.demo import load_demo  # noqa: E402
from tanmap.layers.store import open_store  # noqa: E402
from tests.api.browser_server import chromium_path, launch_chromium, serve  # noqa: E402

__all__ = ["main"]

ADCODE = "120101"
GRID = 317  # 317 x 317 = 100 489 buildings
READY_JS = """() => {
  const el = document.querySelector('.leaflet-container');
  const m = el && window[el.id];
  if (!m || !m._loaded) { return false; }
  let n = 0;
  for (const l of Object.values(m._layers)) {
    if (l instanceof L.Renderer) { n += Object.keys(l._layers).length; }
  }
  return n > 0;
}"""


def _stores(base: Path) -> dict[str, Path]:
    demo = base / "demo.gpkg"
    if not demo.exists():
        load_demo(open_store(demo, create=True), [ADCODE])
    big = base / "buildings-100k.gpkg"
    if not big.exists():
        shutil.copy(demo, big)
        store = open_store(big)
        row = store.district(ADCODE)
        epsg = int(row["planning_epsg"])
        area = gpd.GeoSeries([row["geometry"]], crs=4326).to_crs(epsg)
        minx, miny, maxx, maxy = area.total_bounds
        xs, ys = np.meshgrid(np.linspace(minx, maxx, GRID), np.linspace(miny, maxy, GRID))
        boxes = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 10, ys.ravel() + 10)
        frame = gpd.GeoDataFrame({"id": [f"B{i:06d}" for i in range(len(boxes))],
                                  "use_category": "residential"}, geometry=boxes, crs=epsg)
        store.write("building", frame, district=ADCODE, source="示例数据 100k grid")
    return {"和平区 demo": demo, "和平区 + 100k buildings": big}


def _load(browser: object, url: str, *, gzip: bool, mbps: float) -> tuple[int, float]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    page = context.new_page()
    if not gzip:
        page.set_extra_http_headers({"Accept-Encoding": "identity"})
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 20, "downloadThroughput": mbps * 1e6 / 8,
        "uploadThroughput": mbps * 1e6 / 8})
    received = [0]
    cdp.on("Network.loadingFinished", lambda e: received.__setitem__(
        0, received[0] + int(e.get("encodedDataLength", 0))))
    start = time.perf_counter()
    page.goto(url, timeout=600_000)
    page.wait_for_function(READY_JS, timeout=600_000, polling=50)
    seconds = time.perf_counter() - start
    context.close()
    return received[0], seconds


def main(argv: list[str] | None = None) -> int:
    """Print one line per (store, compression): MB received and seconds until drawn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="folder for the demo stores (kept)")
    parser.add_argument("--mbps", type=float, default=10.0, help="emulated link speed")
    args = parser.parse_args(argv)
    if chromium_path() is None:
        print("measure_map: chromium is not installed: run `make browser`", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        base = args.store or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        for name, path in _stores(base).items():
            with serve(path) as live, sync_playwright() as pw:
                url = f"{live.url}/maps/{ADCODE}"
                start = time.perf_counter()
                raw = httpx.get(url, headers={"Accept-Encoding": "identity"}, timeout=600)
                first = time.perf_counter() - start
                print(f"{name}: HTML {len(raw.content) / 1e6:.2f} MB; first request (server "
                      f"computes layers and audit) {first:.1f} s")
                browser = launch_chromium(pw)
                for gzip in (False, True):
                    got, seconds = _load(browser, url, gzip=gzip, mbps=args.mbps)
                    print(f"  {'gzip' if gzip else 'uncompressed'} over {args.mbps:g} Mbit/s: "
                          f"{got / 1e6:.2f} MB received, drawn after {seconds:.1f} s")
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
