"""Coverage rule sets: built-in figures, tier lookup, thresholds and user-defined rules."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tanmap.geo.errors import CoverageRuleError
from tanmap.geo.rules import (
    BUILTIN_RULES,
    SizeTier,
    Threshold,
    get_rule,
    rule_from_mapping,
    rule_to_mapping,
)


def _valid(**over):
    base = {
        "id": "tianjin_local",
        "park_classes": ["G11", "G12"],
        "tiers": [{"min_area_m2": 1000, "radius_m": 300}, {"min_area_m2": 10000, "radius_m": 800}],
        "thresholds": {"overall": {"share": 0.85, "comparison": ">"}, "old_city": 0.8},
    }
    base.update(over)
    return base


def test_builtin_rule_ids():
    assert sorted(BUILTIN_RULES) == [
        "chengshi_tijian_2021", "gb55014_2021", "gbt51346_2019", "yuanlin_2016"]


def test_builtin_rules_are_read_only():
    with pytest.raises(TypeError):
        BUILTIN_RULES["x"] = BUILTIN_RULES["gbt51346_2019"]  # type: ignore[index]


def test_gbt51346_figures():
    rule = get_rule("gbt51346_2019")
    assert rule.citation == "GB/T 51346-2019 cl. 4.3.4 (tanmap rule v1)"
    assert rule.tiers == (SizeTier(0.0, 500.0),)
    assert "G3" in rule.park_classes  # squares count under GB/T 51346
    assert rule.threshold("overall") == Threshold(0.90, ">")
    assert rule.threshold("new_area") == Threshold(1.0, ">=")
    assert rule.threshold("old_city") == Threshold(0.80, ">=")
    assert rule.max_radius_m == 500.0


def test_gb55014_is_strictly_greater_than_80_percent():
    thr = get_rule("gb55014_2021").threshold()
    assert (thr.met(0.80), thr.met(0.8001)) == (False, True)


def test_yuanlin_historic_tier_and_grades():
    rule = get_rule("yuanlin_2016")
    assert rule.threshold("overall") == Threshold(0.80, ">=")
    assert rule.threshold("higher_grade") == Threshold(0.90, ">=")
    assert rule.verify == ("historic tier 1000 m² -> 300 m",)
    np.testing.assert_array_equal(
        rule.radius_for_area([999.0, 1000.0, 4999.0, 5000.0], "historic"),
        [np.nan, 300.0, 300.0, 500.0])
    np.testing.assert_array_equal(
        rule.radius_for_area([1000.0, 2000.0, 5000.0], "old_city"), [np.nan, 300.0, 500.0])


@pytest.mark.parametrize(
    ("area_m2", "radius_m"),
    [(0.0, math.nan), (1999.99, math.nan), (2000.0, 300.0), (4999.0, 300.0), (5000.0, 500.0),
     (1e6, 500.0), (math.nan, math.nan)],
    ids=["zero", "just-below-2000", "2000", "4999", "5000", "huge", "nan"],
)
def test_chengshi_tijian_tiers(area_m2, radius_m):
    got = get_rule("chengshi_tijian_2021").radius_for_area([area_m2])[0]
    assert (np.isnan(got) and np.isnan(radius_m)) or got == radius_m


def test_chengshi_tijian_excludes_squares():
    assert "G3" not in get_rule("chengshi_tijian_2021").park_classes


@pytest.mark.parametrize(("comparison", "expected"), [(">", False), (">=", True)])
def test_threshold_at_the_limit(comparison, expected):
    assert Threshold(0.9, comparison).met(0.9) is expected
    assert str(Threshold(0.9, comparison)) == f"{comparison} 90%"


def test_unknown_rule_lists_builtins():
    with pytest.raises(CoverageRuleError, match=r"unknown coverage rule 'gbt'.*gbt51346_2019"):
        get_rule("gbt")


def test_missing_area_type_threshold():
    with pytest.raises(CoverageRuleError, match=r"no threshold for area type 'historic'.*overall"):
        get_rule("gbt51346_2019").threshold("historic")


def test_user_rule_round_trip():
    rule = rule_from_mapping(_valid())
    assert rule.id == "tianjin_local"
    assert rule.version == 1
    assert rule.tiers == (SizeTier(1000.0, 300.0), SizeTier(10000.0, 800.0))
    assert rule.threshold() == Threshold(0.85, ">")
    assert rule.threshold("old_city") == Threshold(0.8, ">=")
    assert rule.citation == "user rule tianjin_local v1 — no citation given (无出处)"
    assert rule.source == "user"
    np.testing.assert_array_equal(rule.radius_for_area([999, 1000, 20000]), [np.nan, 300, 800])


def test_user_rule_sorts_tiers():
    rule = rule_from_mapping(_valid(tiers=[{"min_area_m2": 5000, "radius_m": 500},
                                           {"min_area_m2": 0, "radius_m": 200}]))
    assert [t.min_area_m2 for t in rule.tiers] == [0.0, 5000.0]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"id": ""}, r"id/name: expected non-empty text"),
        ({"colour": "green"}, r"unknown key\(s\) \['colour'\]"),
        ({"park_classes": ["G99"]}, r"unknown class\(es\) \['G99'\]"),
        ({"park_classes": "G11"}, r"park_classes: expected a non-empty list"),
        ({"tiers": []}, r"tiers: expected a non-empty list"),
        ({"tiers": [{"min_area_m2": 0, "radius_m": -5}]}, r"tiers\[0\]\.radius_m: expected a "
                                                           r"number > 0"),
        ({"tiers": [{"min_area_m2": 0, "radius_m": 300}, {"min_area_m2": 0, "radius_m": 500}]},
         r"tiers\[0\] and tiers\[1\] share a min_area_m2 \(0 m²\)"),
        ({"thresholds": {"overall": 90}}, r"thresholds\.overall: expected a share in \[0, 1\]"),
        ({"thresholds": {"overall": {"share": 0.9, "comparison": "=>"}}},
         r"comparison: expected '>' or '>='"),
        ({"thresholds": {"downtown": 0.9}}, r"unknown area type 'downtown'"),
        ({"denominator": "population"}, r"denominator: 'population' is not one of"),
        ({"version": 0}, r"version: expected a whole number >= 1"),
    ],
    ids=["empty-id", "unknown-key", "bad-class", "classes-not-list", "no-tiers", "neg-radius",
         "dup-tier", "pct-not-share", "bad-comparison", "bad-area-type", "bad-denominator",
         "bad-version"],
)
def test_user_rule_errors(override, message):
    with pytest.raises(CoverageRuleError, match=message):
        rule_from_mapping(_valid(**override))


def test_user_rule_reports_every_problem_at_once():
    with pytest.raises(CoverageRuleError, match=r"3 problem\(s\)") as info:
        rule_from_mapping(_valid(id="", park_classes=["G99"], thresholds={"overall": 2}))
    assert str(info.value).count("\n- ") == 3


# ------------------------------------------------------ user rules: files' vocabulary


def _file_rule(**over):
    """A rule as a user writes it in a file: name, version, citation, ranges with units."""
    base = {
        "name": "和平区公园服务半径规则",
        "version": 2,
        "citation": "天津市和平区国土空间规划 (2021–2035) 第 5.3 条",
        "park_classes": ["G11", "G12", "G13", "G14"],
        "tiers": [{"min_area_m2": 5000, "radius_m": 500},
                  {"min_area_m2": 1000, "max_area_m2": 5000, "radius_m": 300}],
        "thresholds": {"overall": "90%", "old_city": {"share": 0.8, "comparison": ">"}},
    }
    base.update(over)
    return base


def test_file_rule_names_itself_in_the_citation():
    rule = rule_from_mapping(_file_rule(), require_provenance=True)
    assert rule.id == "和平区公园服务半径规则"
    assert rule.version == 2
    assert rule.citation == ("user rule 和平区公园服务半径规则 v2 — 天津市和平区国土空间规划 "
                             "(2021–2035) 第 5.3 条")
    assert rule.threshold() == Threshold(0.9, ">=")
    assert rule.threshold("old_city") == Threshold(0.8, ">")


def test_example_tiers_from_the_issue():
    """>= 5000 m² -> 500 m, 1000–5000 m² -> 300 m, < 1000 m² not counted."""
    rule = rule_from_mapping(_file_rule())
    np.testing.assert_array_equal(
        rule.radius_for_area([999.9, 1000.0, 4999.9, 5000.0, 1e7]),
        [np.nan, 300.0, 300.0, 500.0, 500.0])


def test_a_gap_between_tiers_is_not_counted():
    """1000–2000 m² -> 300 m and >= 5000 m² -> 500 m: a 3000 m² park is in no tier."""
    rule = rule_from_mapping(_file_rule(tiers=[
        {"min_area_m2": 1000, "max_area_m2": 2000, "radius_m": 300},
        {"min_area_m2": 5000, "radius_m": 500}]))
    np.testing.assert_array_equal(rule.radius_for_area([1500, 2000, 3000, 5000]),
                                  [300.0, np.nan, np.nan, 500.0])


def test_a_capped_largest_tier_leaves_bigger_parks_out():
    rule = rule_from_mapping(_file_rule(tiers=[
        {"min_area_m2": 0, "max_area_m2": 10_000, "radius_m": 300}]))
    np.testing.assert_array_equal(rule.radius_for_area([9999, 10_000]), [300.0, np.nan])


def test_tiers_accept_units():
    rule = rule_from_mapping(_file_rule(tiers=[
        {"min_area": "0.5 公顷", "radius": "0.5 km"},
        {"min_area": "1.5 亩", "max_area": "5000 m²", "radius": 300}]))
    assert rule.tiers == (SizeTier(1000.0, 300.0, 5000.0), SizeTier(5000.0, 500.0))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"tiers": [{"min_area_m2": 1000, "max_area_m2": 6000, "radius_m": 300},
                    {"min_area_m2": 5000, "radius_m": 500}]},
         r"tiers\[0\] \(1000–6000 m² -> 300 m\) overlaps tiers\[1\] \(>= 5000 m² -> 500 m\): "
         r"a park of 5000 m² would be in both; end tiers\[0\] at max_area_m2: 5000"),
        ({"tiers": [{"min_area_m2": 5000, "max_area_m2": 1000, "radius_m": 300}]},
         r"tiers\[0\]\.max_area_m2: 1000 m² is not above min_area_m2 5000 m²"),
        ({"tiers": [{"min_area_m2": -1, "radius_m": 300}]},
         r"tiers\[0\]\.min_area_m2: expected a number >= 0 \(m²\), got -1"),
        ({"tiers": [{"min_area_m2": 0, "radius_m": 0}]},
         r"tiers\[0\]\.radius_m: expected a number > 0 \(metres\), got 0"),
        ({"tiers": [{"min_area_m2": 0}]},
         r"tiers\[0\]\.radius_m: expected a number > 0 \(metres\), got nothing"),
        ({"tiers": [{"min_area_m2": "lots", "radius_m": 300}]},
         r"tiers\[0\]\.min_area_m2: expected a number \(m2\), got 'lots'"),
        ({"tiers": [{"min_area": "5000 kW", "radius_m": 300}]},
         r"tiers\[0\]\.min_area: unit kW .* cannot be converted to m2"),
        ({"tiers": [{"min_area_m2": 0, "min_area": "0 m2", "radius_m": 300}]},
         r"give min_area_m2 or min_area, not both"),
        ({"tiers": [{"min_area_m2": 0, "radius_m": 300, "radius_km": 1}]},
         r"tiers\[0\]: unknown key\(s\) \['radius_km'\]"),
        ({"tiers": ["500 m"]}, r"tiers\[0\]: expected a mapping"),
        ({"park_classes": ["G11", "公园"]}, r"unknown class\(es\) \['公园'\].*G12 社区公园"),
        ({"thresholds": {"overall": "90 m2"}}, r"thresholds\.overall: unit m2 .* cannot be"),
        ({"thresholds": {"overall": "120%"}}, r"thresholds\.overall: expected a share in \[0, 1\]"),
        ({"thresholds": {"overall": {"share": 0.9, "strict": True}}},
         r"thresholds\.overall: unknown key\(s\) \['strict'\]"),
        ({"area_type_tiers": {"downtown": [{"min_area_m2": 0, "radius_m": 300}]}},
         r"area_type_tiers: unknown area type 'downtown'"),
        ({"area_type_tiers": {"historic": [{"min_area_m2": 0, "radius_m": -1}]}},
         r"area_type_tiers\.historic\[0\]\.radius_m: expected a number > 0"),
        ({"citation": "A", "clause": "B"}, r"citation and clause: give one"),
        ({"name": 5}, r"name: expected non-empty text, got 5"),
        ({"verify": "radius"}, r"verify: expected a list of texts"),
    ],
    ids=["overlap", "max-below-min", "negative-area", "zero-radius", "no-radius", "text-area",
         "wrong-unit", "both-spellings", "unknown-tier-key", "tier-not-mapping",
         "unknown-class", "threshold-wrong-unit", "threshold-over-100", "threshold-extra-key",
         "att-unknown-area-type", "att-negative-radius", "citation-and-clause", "name-not-text",
         "verify-not-list"],
)
def test_file_rule_errors(override, message):
    with pytest.raises(CoverageRuleError, match=message):
        rule_from_mapping(_file_rule(**override), require_provenance=True)


def test_provenance_is_required_of_rule_files():
    values = _file_rule()
    for key in ("version", "citation"):
        values.pop(key)
    values.pop("name")
    with pytest.raises(CoverageRuleError, match=r"3 problem\(s\)") as info:
        rule_from_mapping(values, require_provenance=True)
    text = str(info.value)
    assert "id/name: expected non-empty text naming the rule, got None" in text
    assert "version: expected a whole number >= 1" in text
    assert "citation: required" in text


def test_not_a_mapping_is_refused():
    with pytest.raises(CoverageRuleError, match="a coverage rule is a mapping"):
        rule_from_mapping(["tiers"])  # type: ignore[arg-type]


@pytest.mark.parametrize("rule_id", sorted(BUILTIN_RULES))
def test_builtin_rules_round_trip_through_mappings(rule_id):
    builtin = BUILTIN_RULES[rule_id]
    back = rule_from_mapping(rule_to_mapping(builtin), require_provenance=True)
    assert back == dataclasses.replace(builtin, source="user")
    assert rule_to_mapping(back) == rule_to_mapping(builtin)


@given(bounds=st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=6,
                       unique=True),
       radii=st.lists(st.integers(min_value=1, max_value=2000), min_size=6, max_size=6),
       areas=st.lists(st.floats(min_value=0, max_value=200_000, allow_nan=False), max_size=20))
def test_user_tiers_round_trip_and_give_the_tier_of_each_area(bounds, radii, areas):
    """Closed tiers [b_i, b_i + 500) -> r_i (gaps in between): each area gets its tier's radius."""
    bounds = sorted(bounds)
    tiers = [{"min_area_m2": b, "max_area_m2": min(b + 500, nxt), "radius_m": r}
             for b, nxt, r in zip(bounds, [*bounds[1:], 10**9], radii, strict=False)]
    rule = rule_from_mapping(_file_rule(tiers=tiers))
    assert rule_from_mapping(rule_to_mapping(rule)) == rule
    got = rule.radius_for_area(areas)
    for area, radius in zip(areas, got, strict=True):
        hits = [t["radius_m"] for t in tiers if t["min_area_m2"] <= area < t["max_area_m2"]]
        assert (np.isnan(radius) and not hits) or [radius] == hits


_json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats() | st.text(
    max_size=8)
_json_dicts = st.dictionaries(
    st.sampled_from(["min_area_m2", "max_area_m2", "radius_m", "min_area", "radius", "share",
                     "comparison", "overall", "old_city", "x"]), _json_scalars, max_size=2)
# Two levels (a list of mappings is what tiers are) without st.recursive, which is slow to draw.
_json = _json_scalars | st.lists(_json_scalars | _json_dicts, max_size=2) | _json_dicts
_rule_keys = st.sampled_from(["id", "name", "version", "citation", "clause", "park_classes",
                              "tiers", "thresholds", "denominator", "area_type_tiers", "verify",
                              "colour"])


@given(values=st.dictionaries(_rule_keys, _json, max_size=5))
def test_arbitrary_rule_input_gives_a_rule_or_a_rule_error(values):
    """Whatever a file holds, the parser answers with a rule or CoverageRuleError, never a crash."""
    try:
        rule = rule_from_mapping(values)
    except CoverageRuleError:
        return
    assert rule.tiers
    assert all(t.radius_m > 0 and t.min_area_m2 >= 0 for t in rule.tiers)
    assert rule_from_mapping(rule_to_mapping(rule)) == rule
