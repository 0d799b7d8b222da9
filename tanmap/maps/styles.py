"""Display styles per layer kind, status colours and the coverage colour ramp (图层样式)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tanmap.layers.kinds import CHOICE_LABELS, SPECS, LayerKind
from tanmap.maps.i18n import bilingual, check_lang

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "AUDIT_STATUS_COLORS",
    "COVERAGE_BREAKS",
    "COVERAGE_COLORS",
    "OVERLAY_STYLES",
    "STATUS_STYLES",
    "STYLES",
    "LayerStyle",
    "choice_label",
    "coverage_color",
    "layer_name",
    "style_for",
]


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn.

    中文：图层显示样式。

    Parameters
    ----------
    color
        Stroke colour (CSS hex).
    fill_color
        Fill colour for polygons and circle markers.
    weight_px
        Stroke width in screen pixels.
    fill_opacity
        0–1; 0 draws outlines only.
    radius_px
        Circle-marker radius for point layers, in screen pixels.
    dash_array
        SVG dash pattern (``"6 4"``) or None for a solid line.
    class_field
        Attribute whose value picks a colour from ``class_colors`` (e.g. ``park_class``).
    class_colors
        Fill/stroke colour by class value; values not listed use ``fill_color``.
    interactive
        Whether a click on the feature opens its popup. Outlines drawn over other layers (the
        district boundary, 街道/社区 outlines) are not, so clicks reach what lies beneath.
    """

    color: str
    fill_color: str
    weight_px: float = 1.5
    fill_opacity: float = 0.5
    radius_px: float = 5.0
    dash_array: str | None = None
    class_field: str | None = None
    class_colors: Mapping[str, str] = field(default_factory=dict)
    interactive: bool = True

    def color_of(self, value: Any) -> str:
        """Return the fill colour for a class value (``fill_color`` when unclassified)."""
        if value is None:
            return self.fill_color
        return self.class_colors.get(str(value), self.fill_color)

    def leaflet(self, value: Any = None) -> dict[str, Any]:
        """Return the Leaflet path options (``color``, ``weight``, ...) for one feature."""
        fill = self.color_of(value)
        out: dict[str, Any] = {
            "color": fill if self.class_field else self.color,
            "fillColor": fill,
            "weight": self.weight_px,
            "fillOpacity": self.fill_opacity,
            "opacity": 0.9,
        }
        if self.dash_array:
            out["dashArray"] = self.dash_array
        if self.fill_opacity == 0:
            out["fill"] = False
        if not self.interactive:
            out["interactive"] = False
        return out


#: One style per layer kind; colours follow common Chinese planning-map conventions
#: (green for green space, blue for water/eco, red-orange for residential, purple for energy).
STYLES: dict[LayerKind, LayerStyle] = {
    LayerKind.DISTRICT: LayerStyle("#333333", "#ffffff", weight_px=3.0, fill_opacity=0.0,
                                   interactive=False),
    LayerKind.SUBDISTRICT: LayerStyle("#666666", "#ffffff", weight_px=2.0, fill_opacity=0.0,
                                      dash_array="6 4", interactive=False),
    LayerKind.COMMUNITY: LayerStyle("#999999", "#ffffff", weight_px=1.0, fill_opacity=0.0,
                                    dash_array="2 4", interactive=False),
    LayerKind.RESIDENTIAL_LAND: LayerStyle(
        "#e6a23c", "#f7d08a", weight_px=0.8, fill_opacity=0.45, class_field="area_type",
        class_colors={"old_city": "#e9a45a", "new_area": "#f5d36b", "historic": "#c8733b",
                      "other": "#f3c99b"},
    ),
    LayerKind.BUILDING: LayerStyle(
        "#8c8c8c", "#bfbfbf", weight_px=0.5, fill_opacity=0.6, class_field="use_category",
        class_colors={"party_gov": "#d9534f", "public": "#5b8def",
                      "commercial_industrial": "#8e6bbf", "residential": "#c9b79c",
                      "other": "#bfbfbf"},
    ),
    LayerKind.PARK: LayerStyle(
        "#2e7d32", "#66bb6a", weight_px=1.0, fill_opacity=0.6, class_field="park_class",
        class_colors={"G1": "#66bb6a", "G11": "#1b5e20", "G12": "#388e3c", "G13": "#43a047",
                      "G14": "#81c784", "G3": "#bcaaa4"},
    ),
    LayerKind.POCKET_GARDEN: LayerStyle("#00897b", "#4db6ac", weight_px=1.5, fill_opacity=0.8),
    LayerKind.PV_ROOFTOP: LayerStyle("#6a1b9a", "#ab47bc", weight_px=1.0, fill_opacity=0.7),
    # Blues to purples by age band: nothing like the red-to-green coverage classes or the red gaps.
    LayerKind.HEATING_PIPE: LayerStyle(
        "#6a51a3", "#6a51a3", weight_px=3.0, fill_opacity=0.0, class_field="age_band",
        class_colors={"0–9": "#6baed6", "10–19": "#3b5bdb", "20–29": "#6a51a3",
                      "≥30": "#3f007d"},
    ),
    LayerKind.CHARGING_STATION: LayerStyle(
        "#0d47a1", "#1e88e5", weight_px=1.0, fill_opacity=0.9, radius_px=6.0,
        class_field="access",
        class_colors={"public": "#1e88e5", "dedicated": "#90caf9", "private": "#b0bec5"},
    ),
    LayerKind.ECO_ZONE: LayerStyle(
        "#00695c", "#26a69a", weight_px=1.5, fill_opacity=0.25, class_field="control_level",
        class_colors={"1": "#00695c", "2": "#26a69a", "3": "#80cbc4"},
    ),
    LayerKind.LAND_COVER: LayerStyle(
        "#9e9e9e", "#e0e0e0", weight_px=0.3, fill_opacity=0.55, class_field="cover_class",
        class_colors={"water": "#4fc3f7", "wetland": "#4db6ac", "forest": "#2e7d32",
                      "shrub": "#689f38", "grass": "#aed581", "farmland": "#fff176",
                      "built": "#bdbdbd", "bare": "#d7ccc8", "road": "#757575",
                      "other": "#e0e0e0"},
    ),
    LayerKind.RECYCLING_POINT: LayerStyle("#33691e", "#9ccc65", radius_px=4.0, fill_opacity=0.9),
    LayerKind.TRANSFER_STATION: LayerStyle("#3e2723", "#8d6e63", radius_px=7.0, fill_opacity=0.9),
    LayerKind.GREENWAY: LayerStyle("#43a047", "#43a047", weight_px=3.0, fill_opacity=0.0,
                                   dash_array="8 4"),
    LayerKind.ROUTE: LayerStyle(
        "#ef6c00", "#ef6c00", weight_px=4.0, fill_opacity=0.0, class_field="route_class",
        class_colors={"expressway": "#e65100", "national": "#fb8c00", "provincial": "#ffb74d",
                      "trunk": "#ffcc80", "other": "#bdbdbd"},
    ),
    LayerKind.BUS_STOP: LayerStyle("#283593", "#7986cb", radius_px=3.0, fill_opacity=0.9),
    LayerKind.SPONGE_AREA: LayerStyle("#0277bd", "#81d4fa", weight_px=1.0, fill_opacity=0.35),
    LayerKind.PARK_ENTRANCE: LayerStyle("#1b5e20", "#ffffff", radius_px=3.0, fill_opacity=1.0),
    LayerKind.WALK_NETWORK: LayerStyle("#8d6e63", "#8d6e63", weight_px=1.0, fill_opacity=0.0),
    LayerKind.LIVING_CIRCLE_FACILITY: LayerStyle("#ad1457", "#f48fb1", radius_px=4.0,
                                                 fill_opacity=0.9),
    LayerKind.BUILDING_ENTRANCE: LayerStyle("#4e342e", "#a1887f", radius_px=2.5,
                                            fill_opacity=0.9),
    LayerKind.PLANNING_ZONE: LayerStyle("#6a1b9a", "#ce93d8", weight_px=2.0, fill_opacity=0.08,
                                        dash_array="6 4"),
    LayerKind.CANDIDATE_SITE: LayerStyle("#757575", "#e0e0e0", weight_px=1.0, fill_opacity=0.2,
                                         dash_array="2 3"),
}

#: Styles of computed overlays (results of geo/ metrics), keyed by result-layer name.
OVERLAY_STYLES: dict[str, LayerStyle] = {
    # Service areas are display only (no popup): clicks go to the features beneath.
    "service_areas": LayerStyle("#43a047", "#a5d6a7", weight_px=0.5, fill_opacity=0.25,
                                interactive=False),
    # Gaps are the point of the map: a strong, hatched-looking red that reads on any basemap.
    "gaps": LayerStyle("#b71c1c", "#e53935", weight_px=1.5, fill_opacity=0.65),
    "charging_service_areas": LayerStyle("#1565c0", "#90caf9", weight_px=0.5, fill_opacity=0.2,
                                         interactive=False),
    "charging_gaps": LayerStyle("#0d47a1", "#ff7043", weight_px=1.0, fill_opacity=0.45,
                                dash_array="4 3"),
    "failing_units": LayerStyle("#ad1457", "#f48fb1", weight_px=2.5, fill_opacity=0.35),
    # Walking reach beside the radius: reached streets (display only) and the land the radius
    # counts but walking does not (orange, so it reads apart from the red gaps).
    "walk_service_areas": LayerStyle("#6a1b9a", "#ce93d8", weight_px=0.5, fill_opacity=0.25,
                                     interactive=False),
    "radius_only": LayerStyle("#e65100", "#ffb74d", weight_px=1.5, fill_opacity=0.6),
    "living_missing": LayerStyle("#4e342e", "#ff8a65", weight_px=1.0, fill_opacity=0.6),
    # Sites chosen by `tanmap site`, ranked by gain: bold orange over the pale candidates.
    "new_sites": LayerStyle("#e65100", "#ffb74d", weight_px=2.5, fill_opacity=0.8),
    # Residential land the new sites bring within reach, and what stays out of reach.
    "newly_served": LayerStyle("#2e7d32", "#81c784", weight_px=0.5, fill_opacity=0.55),
    "still_unserved": LayerStyle("#b71c1c", "#e53935", weight_px=0.5, fill_opacity=0.55),
    # Demand the existing facilities already serve (the "before" of a siting map): pale blue.
    "served_before": LayerStyle("#1565c0", "#90caf9", weight_px=0.3, fill_opacity=0.35,
                                interactive=False),
}

#: How plan status changes a feature's style: planned = dashed and pale, under construction =
#: dotted and half-filled, existing / completed / renewed = as drawn (solid).
STATUS_STYLES: dict[str, dict[str, Any]] = {
    "planned": {"dashArray": "6 5", "fillOpacity": 0.12, "opacity": 0.85},
    "under_construction": {"dashArray": "2 4", "fillOpacity": 0.3, "opacity": 0.9},
}

#: Colour of each audit status
#: (达标 met / 未达标 not_met / 按计划可达标 on_track / 数据不足 no_data).
AUDIT_STATUS_COLORS: dict[str, str] = {
    "met": "#2e7d32",
    "on_track": "#f9a825",
    "not_met": "#c62828",
    "no_data": "#757575",
}

#: Upper class limits (share, 0–1) of the per-街道 coverage choropleth, and their colours
#: (red = poorly covered). The 0.8 and 0.9 steps are GB 55014-2021 and GB/T 51346-2019 cl. 4.3.4.
COVERAGE_BREAKS: tuple[float, ...] = (0.5, 0.8, 0.9, 1.0)
COVERAGE_COLORS: tuple[str, ...] = ("#d73027", "#fc8d59", "#d9ef8b", "#1a9850")


def style_for(kind: LayerKind | str) -> LayerStyle:
    """Return the display style of a layer kind.

    中文：取图层样式。

    Raises
    ------
    ValueError
        If ``kind`` is not a known layer kind.

    Examples
    --------
    >>> style_for("pocket_garden").fill_color
    '#4db6ac'
    """
    try:
        return STYLES[LayerKind(kind)]
    except ValueError as err:
        raise ValueError(
            f"no map style for layer kind {kind!r}; known kinds: {[k.value for k in LayerKind]}"
        ) from err


def layer_name(kind: LayerKind | str, lang: str = "zh") -> str:
    """Return the bilingual layer name, the chosen language first.

    中文：图层双语名称，如“口袋公园 Pocket gardens”。

    Examples
    --------
    >>> layer_name("pocket_garden")
    '口袋公园 Pocket gardens'
    >>> layer_name("pocket_garden", "en")
    'Pocket gardens 口袋公园'
    """
    spec = SPECS[LayerKind(kind)]
    return bilingual(spec.zh_name, spec.en_name, lang)


def choice_label(value: Any, lang: str = "zh") -> str:
    """Return the display label of a coded value (``G11`` stays ``G11``), one language.

    中文：编码值的显示名称。

    Examples
    --------
    >>> choice_label("old_city")
    '旧城区'
    >>> choice_label("old_city", "en")
    'Old city'
    >>> choice_label("G11")
    'G11'
    """
    labels = CHOICE_LABELS.get(str(value))
    if labels is None:
        return str(value)
    return labels[1] if check_lang(lang) == "en" else labels[0]


def coverage_color(share: float | None) -> str:
    """Return the choropleth colour of a coverage share (0–1); grey for no data.

    中文：覆盖率分级颜色。

    Examples
    --------
    >>> coverage_color(0.95)
    '#1a9850'
    >>> coverage_color(0.3)
    '#d73027'
    >>> coverage_color(None)
    '#bdbdbd'
    """
    if share is None or share != share:  # NaN check without numpy
        return "#bdbdbd"
    for upper, color in zip(COVERAGE_BREAKS, COVERAGE_COLORS, strict=True):
        if share < upper:
            return color
    return COVERAGE_COLORS[-1]

