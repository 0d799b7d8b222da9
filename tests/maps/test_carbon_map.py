"""The carbon map theme (碳排放量地图): classed intensity, 街道 totals, top emitters, estimates.

Five 10 m x 10 m buildings in two sub-districts of the Tianjin test district (EPSG:4548, the
``district`` and ``layers`` fixtures of test_build): intensities 0.01, 0.012 (metered),
0.05 (estimated), 0.2 (metered) tCO₂/m² and one without a figure.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from tanmap.maps.carbon import CarbonMap, classed_buildings, classed_units
from tanmap.maps.themes import THEMES
from tests.maps.test_build import CRS, district, layers, render, rendered_layers  # noqa: F401


@pytest.fixture
def carbon() -> CarbonMap:
    """The five buildings of the module docstring, ranks 1-3 for the largest tCO₂."""
    x0, y0 = 500_100, 4_330_100
    buildings = gpd.GeoDataFrame(
        {"id": ["B1", "B2", "B3", "B4", "B5"], "name": ["甲", "乙", "<b>丙</b>", "丁", "戊"],
         "basis": ["measured", "measured", "estimated", "measured", "no_data"],
         "tco2": [10.0, 12.0, 50.0, 400.0, None],
         "tco2_per_m2": [0.01, 0.012, 0.05, 0.2, None],
         "top_rank": pd.array([4, 3, 2, 1, None], dtype="Int64")},
        geometry=[box(x0 + 20 * i, y0, x0 + 20 * i + 10, y0 + 10) for i in range(4)]
        + [box(501_600, 4_330_100, 501_610, 4_330_110)], crs=CRS)
    per_unit = pd.DataFrame({"unit_id": ["SD-1", "SD-2", None], "unit_name": ["一", "二", "外"],
                             "tco2": [472.0, 0.0, 5.0], "tco2_per_m2": [0.1, float("nan"), 0.1]})
    return CarbonMap(buildings, per_unit, k=3)


def test_building_classes_and_estimated_codes(carbon: CarbonMap) -> None:
    frame, classes = classed_buildings(carbon.buildings, k=3)
    assert classes.bins == (0.012, 0.05, 0.2)
    assert frame["carbon_class"].tolist() == ["c0", "c0", "c1_est", "c2", "none"]
    assert classes.colors == ("#ffffb2", "#fd8d3c", "#bd0026")


def test_unit_totals_classes_skip_buildings_outside(carbon: CarbonMap, layers) -> None:  # noqa: F811
    frame, classes = classed_units(carbon.per_unit, layers["subdistrict"], k=3)
    assert frame["unit_id"].tolist() == ["SD-1", "SD-2"]
    assert frame["carbon_class"].tolist() == ["u1", "u0"]
    assert classes.bins == (0.0, 472.0)


def test_carbon_theme_renders_legend_estimates_and_top_emitters(
    district, layers, carbon: CarbonMap,  # noqa: F811
) -> None:
    html = render(district, layers, carbon=carbon, theme="carbon")
    shown = rendered_layers(html)
    data, spec = shown["建筑碳排放强度 Building CO₂ intensity"]
    classes = {f["properties"]["id"]: f["properties"]["carbon_class"] for f in data["features"]}
    assert classes == {"B1": "c0", "B2": "c0", "B3": "c1_est", "B4": "c2", "B5": "none"}
    assert spec["styles"]["c1_est"]["dashArray"] == "4 3"
    assert "dashArray" not in spec["styles"]["c1"]
    assert ["basis", "数据依据", True] in spec["fields"]
    top = shown["重点排放建筑 Top emitters"]
    assert sorted(f["properties"]["id"] for f in top[0]["features"]) == ["B1", "B2", "B3", "B4"]
    units = shown["街道碳排放总量 CO₂ per sub-district"]
    assert len(units[0]["features"]) == 2
    # Legend: the class ranges with units, no data, the dashed-outline note.
    assert "0.01–0.012 tCO₂/m²" in html
    assert "0.05–0.2 tCO₂/m²" in html
    assert "0–472 tCO₂" in html
    assert "虚线边框 = 估算值" in html
    assert "<b>丙</b>" not in html  # user text is escaped
    theme = next(t for t in THEMES if t.key == "carbon")
    assert {"carbon_buildings", "top_emitters", "unit_emissions"} <= set(theme.layers)


def test_english_legend(district, layers, carbon: CarbonMap) -> None:  # noqa: F811
    html = render(district, layers, carbon=carbon, theme="carbon", lang="en")
    assert "dashed outline = estimated (floor area × EUI)" in html
    assert "Top emitters" in html
