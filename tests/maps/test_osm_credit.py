"""The map credits OpenStreetMap (ODbL) when OSM-derived layers are shown, and lists sources."""

from __future__ import annotations

import json

import geopandas as gpd
from shapely.geometry import Point, box

from tanmap.layers.kinds import LayerKind
from tanmap.maps.build import OSM_CREDIT_HTML, district_map

OSM_SOURCE = "OpenStreetMap x.osm.pbf (© OpenStreetMap contributors, ODbL 1.0)"


def _district() -> gpd.GeoDataFrame:
    """A 1 km square near Tianjin (EPSG:4548)."""
    return gpd.GeoDataFrame({"adcode": ["990001"], "name": ["测试区"], "name_en": ["Test"]},
                            geometry=[box(516_000, 4_330_000, 517_000, 4_331_000)], crs=4548)


def _stops(source: str) -> gpd.GeoDataFrame:
    """Two bus stops 100 m apart with the given ``source``."""
    return gpd.GeoDataFrame({"id": ["S1", "S2"], "source": [source, source]},
                            geometry=[Point(516_100, 4_330_100), Point(516_200, 4_330_100)],
                            crs=4548)


def test_osm_layers_add_the_credit_and_their_source() -> None:
    html = district_map(_district(), {LayerKind.BUS_STOP: _stops(OSM_SOURCE)}).get_root().render()
    assert f"attributionControl.addAttribution({json.dumps(OSM_CREDIT_HTML)})" in html
    assert "openstreetmap.org/copyright" in OSM_CREDIT_HTML
    assert "ODbL 1.0" in OSM_CREDIT_HTML
    assert "数据来源: OpenStreetMap x.osm.pbf (© OpenStreetMap contributors, ODbL 1.0)" in html


def test_other_layers_get_no_osm_credit_and_sources_are_escaped() -> None:
    evil = '<img src=x onerror="alert(1)">'
    html = district_map(_district(), {LayerKind.BUS_STOP: _stops(evil)}).get_root().render()
    assert json.dumps(OSM_CREDIT_HTML) not in html
    assert evil not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
