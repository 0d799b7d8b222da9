"""Rasters on the map in a real browser: a raster in the planning CRS (EPSG:4548) and one in
EPSG:4326 are drawn where their corners are (headless chromium against the live app)."""
# ruff: noqa: F811

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine

from tanmap.layers.raster.rasters import import_raster
from tanmap.layers.store import open_store

from .test_browser import MAP_JS, browser, browser_store, live, wait_for_map  # noqa: F401
from .test_browser_map import new_page

if TYPE_CHECKING:
    from pathlib import Path

    from .browser_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEPING = "120101"
#: JS: screen rectangle of a registered raster's image and the container offset.
RECT_JS = f"""(key) => {{
  const m = {MAP_JS};
  const img = tanmap.registry[key].layer.getElement();
  const r = img.getBoundingClientRect(), c = m.getContainer().getBoundingClientRect();
  return [r.left - c.left, r.top - c.top, r.right - c.left, r.bottom - c.top];
}}"""
#: JS: container pixel of a lon/lat.
POINT_JS = f"""([lon, lat]) => {{
  const p = {MAP_JS}.latLngToContainerPoint([lat, lon]); return [p.x, p.y];
}}"""


def _write(path: Path, data: np.ndarray, crs: str, transform: Affine) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype, crs=crs, transform=transform) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture(scope="module")
def corners(browser_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two rasters near 和平's centre, stored before the server draws the map: a 400 m land-cover
    square on the EPSG:4548 grid and a 0.004° irradiation square in EPSG:4326, 1 km east."""
    store = open_store(browser_store)
    centre = store.district(HEPING).geometry.centroid
    to_gk = pyproj.Transformer.from_crs(4326, 4548, always_xy=True)
    to_ll = pyproj.Transformer.from_crs(4548, 4326, always_xy=True)
    x, y = (round(v, -1) for v in to_gk.transform(centre.x, centre.y))
    folder = tmp_path_factory.mktemp("rasters")
    codes = np.array([[10, 80], [40, 50]], dtype=np.uint8).repeat(20, 0).repeat(20, 1)
    import_raster(store, "land_cover", HEPING, _write(
        folder / "lc.tif", codes, "EPSG:4548", Affine(10, 0, x, 0, -10, y + 400)))
    lon0, lat1 = centre.x + 0.012, centre.y + 0.002
    irr = np.linspace(1200, 1500, 400, dtype=np.float32).reshape(20, 20)
    import_raster(store, "irradiation", HEPING, _write(
        folder / "irr.tif", irr, "EPSG:4326", Affine(0.0002, 0, lon0, 0, -0.0002, lat1)))
    sw, ne = to_ll.transform(x, y), to_ll.transform(x + 400, y + 400)
    return {"raster_land_cover": (sw, ne),
            "raster_irradiation": ((lon0, lat1 - 0.004), (lon0 + 0.004, lat1))}


@pytest.mark.parametrize(("theme", "key"), [("ecology", "raster_land_cover"),
                                            ("pv", "raster_irradiation")])
def test_raster_is_drawn_at_its_corners(corners: dict[str, Any], live: LiveServer,
                                        browser: Any, theme: str, key: str) -> None:
    context, page, log = new_page(browser)
    try:
        page.goto(f"{live.url}/maps/{HEPING}")
        wait_for_map(page)
        page.locator(f"input[name=tanmap-theme][value={theme}]").check()
        (w, s), (e, n) = corners[key]
        # No animation, and again until the view holds: the page's own first fit to the district
        # can land after ours on a busy machine (the measure must not race it).
        fit = (f"() => {{ const m = {MAP_JS}; const b = [[{s}, {w}], [{n}, {e}]]; "
               "m.fitBounds(b, {animate: false}); return [m.getZoom(), m.getBoundsZoom(b)]; }")
        for _ in range(10):
            page.wait_for_timeout(300)
            zoom, wanted = page.evaluate(fit)
            page.wait_for_timeout(200)
            if page.evaluate(f"() => {MAP_JS}.getZoom()") == wanted == zoom:
                break
        left, top, right, bottom = page.evaluate(RECT_JS, key)
        x0, y1 = page.evaluate(POINT_JS, [w, s])
        x1, y0 = page.evaluate(POINT_JS, [e, n])
        assert right - left > 100  # zoomed in: one pixel is a few metres at most
        for got, want in ((left, x0), (top, y0), (right, x1), (bottom, y1)):
            assert abs(got - want) <= 1.5
        assert log.errors == []
    finally:
        context.close()
