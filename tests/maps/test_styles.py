"""Styles per layer kind, bilingual labels and the coverage colour ramp (styles.py, i18n.py)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tanmap.geo.heating import pipe_age_bands
from tanmap.layers.kinds import CHOICE_LABELS, SPECS, LayerKind
from tanmap.maps.i18n import LABELS, bilingual, check_lang, label
from tanmap.maps.styles import (
    AUDIT_STATUS_COLORS,
    COVERAGE_BREAKS,
    COVERAGE_COLORS,
    OVERLAY_STYLES,
    STYLES,
    choice_label,
    coverage_color,
    layer_name,
    style_for,
)

HEX = re.compile(r"^#[0-9a-f]{6}$")


@pytest.mark.parametrize("kind", list(LayerKind), ids=lambda k: k.value)
def test_every_layer_kind_has_a_style_with_valid_colours(kind: LayerKind) -> None:
    style = style_for(kind)
    assert style is STYLES[kind]
    assert HEX.match(style.color)
    assert HEX.match(style.fill_color)
    assert 0.0 <= style.fill_opacity <= 1.0
    assert style.weight_px > 0
    assert all(HEX.match(c) for c in style.class_colors.values())


@pytest.mark.parametrize("kind", list(LayerKind), ids=lambda k: k.value)
def test_class_colours_only_name_allowed_codes(kind: LayerKind) -> None:
    """A class colour keyed by a code the schema does not allow would never be drawn."""
    style = style_for(kind)
    if style.class_field is None:
        assert style.class_colors == {}
        return
    if style.class_field == "age_band":  # derived for display from installation_year
        frame = pd.DataFrame({"installation_year": [2024, 2010, 2000, 1980]})
        assert set(style.class_colors) == set(pipe_age_bands(frame, 2025))
        return
    field = SPECS[kind].get_field(style.class_field)
    if field.choices is not None:
        assert set(style.class_colors) <= set(field.choices)
    else:  # control_level 1..3
        assert set(style.class_colors) == {"1", "2", "3"}


@pytest.mark.parametrize(
    ("kind", "lang", "expected"),
    [
        ("pocket_garden", "zh", "口袋公园 Pocket gardens"),
        ("pocket_garden", "en", "Pocket gardens 口袋公园"),
        (LayerKind.ECO_ZONE, "zh", "生态屏障区 Ecological barrier zones"),
        (LayerKind.HEATING_PIPE, "en", "Heating pipes 供热管网"),
    ],
)
def test_layer_names_are_bilingual_chosen_language_first(kind, lang, expected) -> None:
    assert layer_name(kind, lang) == expected


def test_every_kind_name_comes_from_the_specs() -> None:
    for kind, spec in SPECS.items():
        assert layer_name(kind) == f"{spec.zh_name} {spec.en_name}"


def test_style_for_unknown_kind_lists_known_kinds() -> None:
    with pytest.raises(ValueError, match=r"no map style for layer kind 'parking'.*pocket_garden"):
        style_for("parking")


def test_leaflet_options_pick_the_class_colour() -> None:
    park = style_for(LayerKind.PARK)
    assert park.leaflet("G11") == {
        "color": "#1b5e20", "fillColor": "#1b5e20", "weight": 1.0, "fillOpacity": 0.6,
        "opacity": 0.9,
    }
    # An unknown class falls back to the layer's fill colour.
    assert park.leaflet("G99")["fillColor"] == "#66bb6a"
    assert style_for(LayerKind.SUBDISTRICT).leaflet()["dashArray"] == "6 4"


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [("old_city", "zh", "旧城区"), ("old_city", "en", "Old city"), ("planned", "zh", "规划"),
     ("G12", "zh", "G12"), (3, "en", "3")],
)
def test_choice_labels(value, lang, expected) -> None:
    assert choice_label(value, lang) == expected


@pytest.mark.parametrize(
    ("share", "expected"),
    [(0.0, "#d73027"), (0.49, "#d73027"), (0.5, "#fc8d59"), (0.8, "#d9ef8b"), (0.9, "#1a9850"),
     (1.0, "#1a9850"), (None, "#bdbdbd"), (float("nan"), "#bdbdbd")],
)
def test_coverage_colour_breaks(share, expected) -> None:
    """Breaks at 0.5, 0.8 (GB 55014-2021) and 0.9 (GB/T 51346-2019 cl. 4.3.4)."""
    assert coverage_color(share) == expected


@given(a=st.floats(0, 1), b=st.floats(0, 1))
def test_coverage_colour_never_gets_worse_as_share_grows(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert COVERAGE_COLORS.index(coverage_color(lo)) <= COVERAGE_COLORS.index(coverage_color(hi))


def test_ramp_and_status_tables_are_consistent() -> None:
    assert len(COVERAGE_BREAKS) == len(COVERAGE_COLORS)
    assert list(COVERAGE_BREAKS) == sorted(COVERAGE_BREAKS)
    assert set(AUDIT_STATUS_COLORS) == {"met", "not_met", "on_track", "no_data"}
    assert set(AUDIT_STATUS_COLORS) <= set(LABELS)
    assert {"service_areas", "gaps"} <= set(OVERLAY_STYLES)


def test_labels_in_both_languages() -> None:
    assert label("gaps") == "未覆盖居住用地"
    assert label("gaps", "en") == "Uncovered residential land"
    assert label("sample_banner", "en", both=True) == "Synthetic sample 示例数据"
    assert bilingual("区界", "District boundary") == "区界 District boundary"
    assert all(zh and en for zh, en in LABELS.values())
    assert all(zh and en for zh, en in CHOICE_LABELS.values())


def test_unknown_label_and_language_are_rejected() -> None:
    with pytest.raises(KeyError, match=r"unknown map label 'gapz'; known: \[.*'gaps'"):
        label("gapz")
    with pytest.raises(ValueError, match=r"language 'fr'; use one of \['zh', 'en'\]"):
        check_lang("fr")
    with pytest.raises(ValueError, match="unknown display language"):
        layer_name("park", "de")


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def test_heating_pipe_colours_do_not_clash_with_coverage_classes_or_gaps() -> None:
    """Every age-band colour is a blue/purple far from the red-to-green coverage ramp."""
    ramp = [*COVERAGE_COLORS, OVERLAY_STYLES["gaps"].fill_color, OVERLAY_STYLES["gaps"].color]
    pipes = style_for(LayerKind.HEATING_PIPE)
    for color in [*pipes.class_colors.values(), pipes.color]:
        r, _g, b = _rgb(color)
        assert b > r, color  # blue-dominant: never read as a red or green class
        for other in ramp:
            distance = sum((p - q) ** 2 for p, q in zip(_rgb(color), _rgb(other), strict=True))
            assert distance**0.5 > 120, (color, other)


def test_outlines_over_other_layers_do_not_take_clicks() -> None:
    for kind in (LayerKind.DISTRICT, LayerKind.SUBDISTRICT, LayerKind.COMMUNITY):
        options = style_for(kind).leaflet()
        assert options["interactive"] is False
        assert options["fill"] is False
    assert "interactive" not in style_for(LayerKind.PARK).leaflet()
