"""Map themes (专题): which layers each theme shows when chosen; every other layer starts off.

A layer is named by its key: a ``LayerKind`` value (``"park"``) or a computed overlay
(``"gaps"``, ``"unit_coverage"`` ...). The district boundary is always shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from tanmap.maps.i18n import bilingual

__all__ = ["DEFAULT_THEME", "THEMES", "Theme", "theme_keys"]


@dataclass(frozen=True)
class Theme:
    """One map theme: its labels and the layers it switches on.

    中文：专题图（名称、默认显示的图层）。

    Parameters
    ----------
    key
        Identifier used in URLs and the page (``"coverage"``).
    zh, en
        Labels.
    layers
        Layer keys shown with this theme; the others are switched off (still in the layer
        control).
    """

    key: str
    zh: str
    en: str
    layers: tuple[str, ...]

    def label(self, lang: str = "zh") -> str:
        """Return the bilingual label, ``lang`` first."""
        return bilingual(self.zh, self.en, lang)


#: The themes, in the order of the theme picker.
THEMES: tuple[Theme, ...] = (
    Theme("coverage", "公园覆盖", "Park coverage",
          ("unit_coverage", "residential_land", "park", "pocket_garden", "service_areas", "gaps",
           "walk_service_areas", "radius_only", "subdistrict")),
    Theme("charging", "充电设施", "Charging",
          ("charging_station", "charging_service_areas", "charging_gaps", "route",
           "subdistrict")),
    Theme("pv", "屋顶光伏", "Rooftop PV",
          ("building", "pv_rooftop", "subdistrict", "raster_irradiation")),
    Theme("heating", "供热管网", "Heating network", ("heating_pipe", "subdistrict")),
    Theme("ecology", "生态空间", "Ecology",
          ("eco_zone", "land_cover", "greenway", "sponge_area", "park", "raster_land_cover")),
    Theme("carbon", "碳排放量地图", "Carbon map",
          ("carbon_buildings", "top_emitters", "unit_emissions", "subdistrict")),
    Theme("living", "生活圈", "Living circles",
          ("community", "failing_units", "bus_stop", "recycling_point", "transfer_station",
           "pocket_garden", "living_missing", "living_circle_facility", "walk_network")),
)

#: The theme a map opens with.
DEFAULT_THEME = "coverage"


def theme_keys() -> tuple[str, ...]:
    """Return the theme keys in picker order.

    Examples
    --------
    >>> theme_keys()[:2]
    ('coverage', 'charging')
    """
    return tuple(t.key for t in THEMES)
