"""Raster overlays on the district map: placement (WGS84, shifted with Amap), legend, themes."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tanmap.geo.chinacoords import wgs84_to_gcj02
from tanmap.layers.raster.rasters import RasterImage
from tests.maps.test_build import district, layers, render  # noqa: F401

#: A 2 x 2 image over (117.0, 39.1)–(117.01, 39.11): forest, water / farmland, built.
IMAGE = RasterImage(
    kind="land_cover",
    rgba=np.array([[[0, 100, 0, 255], [0, 100, 200, 255]],
                   [[240, 150, 255, 255], [250, 0, 0, 255]]], dtype=np.uint8),
    bounds=(117.0, 39.1, 117.01, 39.11),
    legend=(("#006400", "10 forest"), ("#0064c8", "80 water")),
    source="<b>ESA</b> WorldCover 2021",
)


def _overlay_args(html: str) -> list:
    match = re.search(r"L\.imageOverlay\.apply\(null, (\[.*?\])\);", html)
    assert match is not None
    return json.loads(match.group(1))


def test_overlay_bounds_legend_and_theme(district, layers) -> None:  # noqa: F811
    html = render(district, layers, rasters=[IMAGE], theme="ecology")
    url, bounds, options = _overlay_args(html)
    assert url.startswith("data:image/png;base64,")
    assert bounds == [[39.1, 117.0], [39.11, 117.01]]
    assert options["opacity"] == pytest.approx(0.7)
    assert 'tanmap.register("raster_land_cover"' in html
    assert "土地覆盖栅格 Land-cover raster" in html
    assert "80 water" in html
    assert "<b>ESA</b>" not in html  # the source is escaped


def test_overlay_follows_the_amap_shift(district, layers) -> None:  # noqa: F811
    html = render(district, layers, rasters=[IMAGE], basemap="amap")
    _url, bounds, _opts = _overlay_args(html)
    xs, ys = wgs84_to_gcj02(np.array([117.0, 117.01]), np.array([39.1, 39.11]))
    assert bounds[0] == pytest.approx([ys[0], xs[0]])
    assert bounds[1] == pytest.approx([ys[1], xs[1]])
    assert bounds[0][1] - 117.0 > 0.001  # hundreds of metres in Tianjin
