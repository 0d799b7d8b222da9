"""The district map in a real browser: clickable 街道, themes, years, layout, search, print, PNG.

Debian's headless chromium (playwright) against the app served by uvicorn on the demo store.
"""
# The fixtures (live server, browser, store) come from test_browser.py: F811 would flag each use.
# ruff: noqa: F811

from __future__ import annotations

import os
import re
import shutil
import subprocess
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tanmap.geo.audit import filter_as_of
from tanmap.layers.kinds import LayerKind
from tanmap.layers.runner import current_year, run_metric
from tanmap.layers.store import open_store
from tanmap.maps.themes import THEMES

from .test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    MAP_JS,
    PageLog,
    browser,
    browser_store,
    label_count,
    live,
    wait_for_map,
)

if TYPE_CHECKING:
    from .browser_server import LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEPING = "120101"
EPSG = 4548
#: JS: keys of the registered layers that are on the map now.
SHOWN_JS = f"""() => {{
  const m = {MAP_JS};
  return Object.keys(tanmap.registry).filter(k => m.hasLayer(tanmap.registry[k].layer)).sort();
}}"""
#: JS: keys of the legend entries shown now.
LEGEND_JS = """() => Array.from(document.querySelectorAll('#tanmap-legend .tanmap-legend-entry'))
  .filter(e => e.style.display !== 'none').map(e => e.getAttribute('data-key')).sort()"""


def new_page(browser: Any, width: int = 1280, height: int = 800) -> tuple[Any, Any, PageLog]:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(120_000)  # a new year computes its audit first
    log = PageLog()
    page.on("console", lambda msg: log.console.append((msg.type, msg.text)))
    page.on("pageerror", lambda err: log.errors.append(str(err)))
    return context, page, log


@pytest.fixture(scope="module")
def store_frames(browser_store: Path) -> dict[str, gpd.GeoDataFrame]:
    store = open_store(browser_store)
    return {v.kind.value: store.read(v.kind, district=HEPING) for v in store.layers(HEPING)}


def free_point_in_subdistrict(store_path: Path, frames: dict[str, gpd.GeoDataFrame]) -> tuple[
        str, str, float, float]:
    """Return (街道 id, name, lon, lat) of a point in a 街道 away from every clickable feature.

    Clickable in the coverage theme: residential land, parks, pocket gardens (existing now) and
    the gaps; 30 m of margin covers the display simplification and the click tolerance.
    """
    year = current_year()
    taken = [filter_as_of(frames[k], year) for k in ("residential_land", "park", "pocket_garden")
             if k in frames]
    blocked = shapely.union_all([f.to_crs(EPSG).geometry.union_all() for f in taken]).buffer(30)
    units = frames["subdistrict"].to_crs(EPSG)
    best: tuple[float, int, Any] | None = None
    for i, geom in enumerate(units.geometry):
        free = geom.buffer(-30).difference(blocked)
        if not free.is_empty and (best is None or free.area > best[0]):
            best = (free.area, i, free)
    assert best is not None, "no free spot in any 街道 of the demo"
    _, i, free = best
    parts = sorted(getattr(free, "geoms", [free]), key=lambda g: g.area)
    spot = gpd.GeoSeries([parts[-1].representative_point()], crs=EPSG).to_crs(4326).iloc[0]
    return str(units["id"].iloc[i]), str(units["name"].iloc[i]), spot.x, spot.y


def test_clicking_a_subdistrict_shows_its_figures(
    live: LiveServer, browser: Any, browser_store: Path,
    store_frames: dict[str, gpd.GeoDataFrame],
) -> None:
    unit_id, unit_name, lon, lat = free_point_in_subdistrict(browser_store, store_frames)
    outcome = run_metric(open_store(browser_store), "park_coverage", HEPING, year=current_year())
    table = outcome.result.per_unit
    row = table[(table["unit_kind"] == "subdistrict") & (table["unit_id"] == unit_id)].iloc[0]

    context, page, log = new_page(browser)
    try:
        page.goto(f"{live.url}/maps/{HEPING}")
        wait_for_map(page)
        # Centre the spot (away from every control) and click it like a user. Again until the
        # view holds: the page's own first fit to the district can land after ours on a busy
        # machine, and a click must not race it.
        centre = f"""([lat, lon]) => {{ const m = {MAP_JS}; m.setView([lat, lon], 16,
                  {{animate: false}}); const p = m.latLngToContainerPoint([lat, lon]);
                  const r = m.getContainer().getBoundingClientRect();
                  return [r.left + p.x, r.top + p.y]; }}"""
        where = f"""([lat, lon]) => {{ const m = {MAP_JS}; const p = m.latLngToContainerPoint(
                  [lat, lon]); const r = m.getContainer().getBoundingClientRect();
                  return [m.getZoom(), r.left + p.x, r.top + p.y]; }}"""
        for _ in range(10):
            point = page.evaluate(centre, [lat, lon])
            page.wait_for_timeout(300)
            if page.evaluate(where, [lat, lon]) == [16, *point]:
                break
        else:
            pytest.fail("the map never held the view on the test spot")
        page.mouse.click(point[0], point[1])
        popup = page.locator(".leaflet-popup-content .tanmap-popup")
        popup.wait_for()
        text = popup.inner_text()
        assert "街道覆盖率" in text
        assert unit_name in text
        assert f"{row['share']:.1%}" in text
        assert str(round(float(row["residential_m2"]))) in text.replace(",", "")
        assert "覆盖面积" in text
        page.screenshot(path=str(ARTIFACTS / "browser-map-subdistrict-click.png"))
        assert log.errors == []
    finally:
        context.close()


def test_switching_theme_shows_exactly_its_layers(live: LiveServer, browser: Any) -> None:
    context, page, log = new_page(browser)
    try:
        page.goto(f"{live.url}/maps/{HEPING}")
        wait_for_map(page)
        registered = set(page.evaluate("() => Object.keys(tanmap.registry)"))
        assert {"park", "unit_coverage", "charging_gaps", "heating_pipe", "boundary"} <= registered
        for theme in THEMES:
            page.locator(f"input[name=tanmap-theme][value={theme.key}]").check()
            expected = sorted((set(theme.layers) & registered) | {"boundary"})
            assert page.evaluate(SHOWN_JS) == expected, theme.key
            # The layer control and the legend follow.
            checked = page.locator(".leaflet-control-layers-overlays input:checked").count()
            assert checked == len(expected), theme.key
            assert page.evaluate(LEGEND_JS) == expected, theme.key
        assert log.errors == []
    finally:
        context.close()


def test_year_control_shows_what_exists_by_then(
    live: LiveServer, browser: Any, store_frames: dict[str, gpd.GeoDataFrame]
) -> None:
    context, page, log = new_page(browser)
    try:
        page.goto(f"{live.url}/maps/{HEPING}")
        wait_for_map(page)
        now_audit = page.locator("#tanmap-audit").inner_text()
        page.locator(".tanmap-horizon a", has_text="2030").click()
        page.wait_for_url(re.compile(r"horizon=2030"))
        wait_for_map(page)
        assert page.locator(".tanmap-horizon b").inner_text() == "2030"
        for kind in (LayerKind.POCKET_GARDEN, LayerKind.PARK, LayerKind.CHARGING_STATION,
                     LayerKind.HEATING_PIPE, LayerKind.PV_ROOFTOP):
            frame = store_frames[kind.value]
            then = filter_as_of(frame, 2030, include_planned_until=2030)
            label = page.locator(".leaflet-control-layers-overlays label",
                                 has_text=re.compile(r"\) *$")).filter(
                has_text=_kind_label(kind))
            assert label_count(label.first.inner_text()) == len(then), kind
        frame = store_frames["pocket_garden"]
        now = filter_as_of(frame, current_year())
        then = filter_as_of(frame, 2030, include_planned_until=2030)
        assert len(then) > len(now)  # the sample plans gardens: the year changes the map
        # Planned features are drawn dashed.
        dash = page.evaluate("""() => { const l = tanmap.registry.pocket_garden.layer;
            const out = []; l.eachLayer(f => { if (f.feature.properties.status === 'planned')
            out.push(f.options.dashArray); }); return out; }""")
        assert dash
        assert set(dash) == {"6 5"}
        assert page.locator("#tanmap-audit").inner_text() != now_audit
        assert log.errors == []
    finally:
        context.close()


def _kind_label(kind: LayerKind) -> str:
    from tanmap.maps.styles import layer_name

    return layer_name(kind, "zh") + " ("


def _boxes(page: Any) -> list[tuple[str, dict[str, float]]]:
    out = []
    for handle in page.query_selector_all(".leaflet-control, #tanmap-sample-banner"):
        box = handle.bounding_box()
        if box is None or box["width"] == 0 or box["height"] == 0:
            continue
        name = handle.get_attribute("id") or handle.get_attribute("class") or "?"
        out.append((name, box))
    return out


def _overlap(a: dict[str, float], b: dict[str, float]) -> float:
    w = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return max(w, 0.0) * max(h, 0.0)


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_no_control_overlaps_another(live: LiveServer, browser: Any, width: int,
                                     height: int) -> None:
    context, page, log = new_page(browser, width, height)
    try:
        page.goto(f"{live.url}/maps/{HEPING}")
        wait_for_map(page)
        for theme in THEMES:
            page.locator(f"input[name=tanmap-theme][value={theme.key}]").check()
            page.mouse.move(width // 2, height // 2)  # no hover menu open
            boxes = _boxes(page)
            names = [n for n, _ in boxes]
            assert any("tanmap-legend" in n for n in names)
            assert any("tanmap-tools" in n for n in names)
            assert any("leaflet-control-layers" in n for n in names)
            for name, box in boxes:
                assert box["x"] >= 0, (theme.key, name, box)
                assert box["y"] >= 0, (theme.key, name, box)
                assert box["x"] + box["width"] <= width, (theme.key, name, box)
                assert box["y"] + box["height"] <= height, (theme.key, name, box)
            for (n1, b1), (n2, b2) in combinations(boxes, 2):
                assert _overlap(b1, b2) == 0, (theme.key, n1, n2, b1, b2)
        page.screenshot(path=str(ARTIFACTS / f"browser-map-layout-{width}x{height}.png"))
        assert log.errors == []
    finally:
        context.close()


def test_search_by_id_and_by_name(live: LiveServer, browser: Any,
                                  store_frames: dict[str, gpd.GeoDataFrame]) -> None:
    park = filter_as_of(store_frames["park"], current_year()).iloc[0]
    context, page, log = new_page(browser)
    try:
        page.goto(f"{live.url}/maps/{HEPING}")
        wait_for_map(page)
        box = page.locator("#tanmap-search")
        box.fill(str(park["id"]))
        box.press("Enter")
        popup = page.locator(".leaflet-popup-content .tanmap-popup")
        popup.wait_for()
        assert str(park["id"]) in popup.inner_text()
        # A layer switched off by the theme is switched on to show the hit.
        page.locator("input[name=tanmap-theme][value=heating]").check()
        box.fill(str(park["name"]))
        hit = page.locator("#tanmap-search-results .tanmap-hit").first
        assert str(park["name"]) in hit.inner_text()
        hit.click()
        assert "park" in page.evaluate(SHOWN_JS)
        box.fill("no-such-feature-xyz")
        assert page.locator("#tanmap-search-results").inner_text() == "未找到"
        assert log.errors == []
    finally:
        context.close()


def test_save_png_downloads_the_view(live: LiveServer, browser: Any, tmp_path: Path) -> None:
    context, page, log = new_page(browser)
    try:
        page.goto(f"{live.url}/maps/{HEPING}")
        wait_for_map(page)
        with page.expect_download() as info:
            page.locator("#tanmap-png").click()
        path = tmp_path / "view.png"
        info.value.save_as(path)
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 10_000
        assert info.value.suggested_filename == f"tanmap_{HEPING}_now.png"
        assert log.errors == []
    finally:
        context.close()


PDF_TOOLS = shutil.which("pdftoppm") and shutil.which("pdftotext")


def test_printed_view_renders(live: LiveServer, browser: Any, tmp_path: Path) -> None:
    if not PDF_TOOLS:
        message = "poppler-utils (pdftoppm, pdftotext) missing: run `make browser`"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: never skip there
        pytest.skip(message)
    context, page, log = new_page(browser)
    try:
        page.goto(f"{live.url}/maps/{HEPING}")
        wait_for_map(page)
        # Hold the browser's print dialog open (a promise) while the page is printed to PDF.
        page.evaluate("""() => { window.__printCalls = 0; window.print = () => {
            window.__printCalls += 1;
            return new Promise(resolve => { window.__finishPrint = resolve; }); }; }""")
        control = page.locator(".leaflet-control-browser-print")
        control.hover()
        control.locator("li.browser-print-mode", has_text="A4 landscape").click()
        page.wait_for_function("() => window.__printCalls === 1", timeout=30_000)
        overlay = page.locator(".leaflet-print-overlay")
        assert overlay.is_visible()
        assert "和平区" in overlay.locator(".tanmap-print-title").inner_text()
        assert "图例" in overlay.locator(".tanmap-legend").inner_text()
        pdf = tmp_path / "map.pdf"
        page.pdf(path=str(pdf), landscape=True, format="A4", print_background=True)
        page.evaluate("() => window.__finishPrint()")
        page.wait_for_function("() => !document.querySelector('.leaflet-print-overlay')")
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "和平区" in text
        assert "图例" in text
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / "page")], check=True)
        (png,) = tmp_path.glob("page*.png")
        shutil.copy(png, ARTIFACTS / "browser-map-print.png")
        pixels = _png_pixels(page, png)
        assert (pixels < 240).any(axis=-1).mean() > 0.05  # the map was drawn, not a blank page
        assert log.errors == []
    finally:
        context.close()


def _png_pixels(page: Any, png: Path) -> np.ndarray:
    """Decode a PNG with the browser (no imaging library needed) into an RGB array."""
    import base64

    url = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    width, height, data = page.evaluate("""async (url) => {
        const img = new Image(); img.src = url; await img.decode();
        const c = document.createElement('canvas'); c.width = img.naturalWidth;
        c.height = img.naturalHeight; const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        return [c.width, c.height, Array.from(ctx.getImageData(0, 0, c.width, c.height).data)];
    }""", url)
    return np.asarray(data, dtype=np.uint8).reshape(height, width, 4)[..., :3]


#: JS: total covered residential land (m²) over the 街道 of the choropleth.
COVERED_JS = """() => { let total = 0;
  tanmap.registry.unit_coverage.layer.eachLayer(f => { total += f.feature.properties.covered_m2; });
  return total; }"""


def test_rule_picker_recomputes_park_coverage(live: LiveServer, browser: Any) -> None:
    context, page, log = new_page(browser)
    try:
        page.goto(f"{live.url}/maps/{HEPING}")
        wait_for_map(page)
        default_m2 = page.evaluate(COVERED_JS)
        page.locator("select.tanmap-rule").select_option(label="chengshi_tijian_2021")
        page.wait_for_url(re.compile(r"rule=chengshi_tijian_2021"))
        wait_for_map(page)
        assert page.locator("select.tanmap-rule").evaluate(
            "s => s.options[s.selectedIndex].text") == "chengshi_tijian_2021"
        # 城市体检 radii are smaller than GB/T 51346's: less land is covered.
        assert page.evaluate(COVERED_JS) < default_m2
        assert log.errors == []
    finally:
        context.close()
