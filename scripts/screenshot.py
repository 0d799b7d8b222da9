"""Regenerate the README screenshots (docs/img/map-heping*.png, docs/img/index.png) from the demo.

What it does, in order:

1. opens the store given with ``--store`` (loading the demo districts into it when they are
   missing: ``tanmap.layers.demo.load_demo``, real boundaries + labelled synthetic sample layers),
   or builds a throw-away demo store of 和平区 120101 and 黄浦区 310101 in a temporary directory;
2. serves the app with uvicorn on a free 127.0.0.1 port (``tests/api/browser_server.py``);
3. drives Debian's headless chromium (playwright; never a downloaded browser) at 1280x800 and
   captures the 和平区 map (layers, legend, sample banner, audit side panel), the same map at
   2025 on the rooftop-PV theme, and the index page;
4. writes each capture as a PNG no larger than ``--max-kb`` (default 400): losslessly when it fits,
   else reduced to a 256-colour palette (numpy + zlib; no imaging library needed).

No network: the map page uses the vendored Leaflet assets and no base-map tiles.

Usage::

    .venv/bin/python scripts/screenshot.py                        # temporary demo store
    .venv/bin/python scripts/screenshot.py --store var/tanmap.gpkg
"""

from __future__ import annotations

import argparse
import base64
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tanmap.layers.demo import load_demo  # noqa: E402
from tanmap.layers.store import open_store  # noqa: E402
from tests.api.browser_server import chromium_path, launch_chromium, serve  # noqa: E402

__all__ = ["capture", "encode_png", "main", "quantize"]

DEFAULT_ADCODES = ("120101", "310101")
MAP_ADCODE = "120101"
VIEWPORT = {"width": 1280, "height": 800}
OUT_DIR = ROOT / "docs" / "img"

#: Wait condition: the Leaflet map is loaded and its renderer has drawn vector features.
_READY_JS = """() => {
  const el = document.querySelector('.leaflet-container');
  const m = el && window[el.id];
  if (!m || !m._loaded) { return false; }
  let n = 0;
  for (const l of Object.values(m._layers)) {
    if (l instanceof L.Renderer) { n += Object.keys(l._layers).length; }
  }
  return n > 0;
}"""

#: Decode a PNG (data URL) in the page and return its RGBA pixels, base64-encoded.
_PIXELS_JS = """async (url) => {
  const img = new Image();
  img.src = url;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let s = '';
  for (let i = 0; i < d.length; i += 32768) {
    s += String.fromCharCode.apply(null, d.subarray(i, i + 32768));
  }
  return [c.width, c.height, btoa(s)];
}"""


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(pixels: np.ndarray, palette: np.ndarray | None = None) -> bytes:
    """Encode an 8-bit image as PNG: RGB ``(h, w, 3)``, or palette indices ``(h, w)`` + ``(n, 3)``.

    中文：把像素数组编码为 PNG（真彩色或调色板）。

    RGB rows use the Paeth filter (computed on the whole array at once); palette rows none.
    """
    if palette is None:
        rgb = pixels.astype(np.int16)
        h, w, _ = rgb.shape
        a = np.zeros_like(rgb)
        a[:, 1:] = rgb[:, :-1]
        b = np.zeros_like(rgb)
        b[1:] = rgb[:-1]
        c = np.zeros_like(rgb)
        c[1:, 1:] = rgb[:-1, :-1]
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        filtered = ((rgb - pred) % 256).astype(np.uint8).reshape(h, w * 3)
        rows = np.hstack([np.full((h, 1), 4, np.uint8), filtered])
        header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
        extra = b""
    else:
        h, w = pixels.shape
        rows = np.hstack([np.zeros((h, 1), np.uint8), pixels.astype(np.uint8)])
        header = struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0)
        extra = _chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + extra
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + _chunk(b"IEND", b""))


def quantize(rgb: np.ndarray, n_colors: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Reduce an RGB image to ``n_colors``: palette = mean colour of the most-used 4-bit bins.

    中文：把图像减为 256 色调色板（按 4 位色箱频数选色，就近映射）。

    Returns
    -------
    indices, palette
        ``(h, w)`` uint8 palette indices and the ``(n, 3)`` uint8 palette.
    """
    flat = rgb.reshape(-1, 3).astype(np.int64)
    bins = (flat[:, 0] >> 4) << 8 | (flat[:, 1] >> 4) << 4 | (flat[:, 2] >> 4)
    counts = np.bincount(bins, minlength=4096)
    top = np.argsort(counts)[::-1][:n_colors]
    top = top[counts[top] > 0]
    sums = np.stack([np.bincount(bins, weights=flat[:, k], minlength=4096) for k in range(3)], 1)
    palette = np.rint(sums[top] / counts[top, None]).astype(np.int64)
    colours, inverse = np.unique(flat, axis=0, return_inverse=True)
    nearest = np.empty(len(colours), np.int64)
    for start in range(0, len(colours), 4096):
        block = colours[start:start + 4096]
        d = ((block[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)
        nearest[start:start + 4096] = d.argmin(axis=1)
    indices = nearest[inverse.reshape(-1)].reshape(rgb.shape[:2]).astype(np.uint8)
    return indices, palette.astype(np.uint8)


def _write(page: object, path: Path, max_kb: float) -> int:
    shot = page.screenshot()  # type: ignore[attr-defined]
    url = "data:image/png;base64," + base64.b64encode(shot).decode()
    w, h, data = page.evaluate(_PIXELS_JS, url)  # type: ignore[attr-defined]
    rgba = np.frombuffer(base64.b64decode(data), np.uint8).reshape(h, w, 4)
    rgb = np.ascontiguousarray(rgba[:, :, :3])
    png = encode_png(rgb)
    if len(png) > max_kb * 1000:
        png = encode_png(*quantize(rgb))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return len(png)


def capture(store_path: Path, out_dir: Path, *, max_kb: float = 400.0) -> dict[str, int]:
    """Serve ``store_path`` and save the map and index screenshots into ``out_dir``.

    中文：启动应用并截取和平区地图与首页。

    Returns
    -------
    dict
        File name -> size in bytes.
    """
    from playwright.sync_api import sync_playwright

    sizes: dict[str, int] = {}
    with serve(store_path) as live, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
            page.set_default_timeout(60_000)
            page.goto(f"{live.url}/maps/{MAP_ADCODE}?lang=zh", timeout=120_000)
            page.wait_for_function(_READY_JS, timeout=60_000)
            page.wait_for_timeout(800)  # marker clusters finish their chunked loading
            sizes["map-heping.png"] = _write(page, out_dir / "map-heping.png", max_kb)

            # The year control at 2025 and the rooftop-PV theme: planned panels drawn dashed.
            page.goto(f"{live.url}/maps/{MAP_ADCODE}?lang=zh&horizon=2025", timeout=180_000)
            page.wait_for_function(_READY_JS, timeout=60_000)
            page.locator("input[name=tanmap-theme][value=pv]").check()
            page.wait_for_timeout(800)
            sizes["map-heping-pv-2025.png"] = _write(page, out_dir / "map-heping-pv-2025.png",
                                                     max_kb)

            page.goto(f"{live.url}/?lang=zh", timeout=120_000)
            page.wait_for_selector("#districts")
            sizes["index.png"] = _write(page, out_dir / "index.png", max_kb)
        finally:
            browser.close()
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Command line: build or reuse a demo store, then write the screenshots; returns 0 or 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None,
                        help="GeoPackage store to use (created with the demo if missing); "
                             "default: a temporary demo store")
    parser.add_argument("--adcodes", nargs="+", default=list(DEFAULT_ADCODES),
                        help="demo districts to load (default: 120101 310101)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (docs/img)")
    parser.add_argument("--max-kb", type=float, default=400.0, help="largest PNG size in kB")
    args = parser.parse_args(argv)
    if chromium_path() is None:
        print("screenshot: chromium is not installed: run `make browser`", file=sys.stderr)
        return 1
    if MAP_ADCODE not in args.adcodes:
        args.adcodes.insert(0, MAP_ADCODE)
    with tempfile.TemporaryDirectory(prefix="tanmap-shot-") as tmp:
        store_path = args.store or Path(tmp) / "tanmap.gpkg"
        store_path.parent.mkdir(parents=True, exist_ok=True)
        start = time.monotonic()
        load_demo(open_store(store_path, create=True), args.adcodes,
                  progress=lambda msg: print(f"demo: {msg}"))
        print(f"store {store_path} ready in {time.monotonic() - start:.1f} s")
        for name, size in capture(store_path, args.out, max_kb=args.max_kb).items():
            print(f"wrote {args.out / name} ({size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
