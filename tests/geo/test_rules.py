"""Coverage rule sets: built-in figures, tier lookup, thresholds and user-defined rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tanmap.geo.errors import CoverageRuleError
from tanmap.geo.rules import BUILTIN_RULES, SizeTier, Threshold, get_rule, rule_from_mapping


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
    assert rule.citation == "user rule tianjin_local (tanmap rule v1)"
    np.testing.assert_array_equal(rule.radius_for_area([999, 1000, 20000]), [np.nan, 300, 800])


def test_user_rule_sorts_tiers():
    rule = rule_from_mapping(_valid(tiers=[{"min_area_m2": 5000, "radius_m": 500},
                                           {"min_area_m2": 0, "radius_m": 200}]))
    assert [t.min_area_m2 for t in rule.tiers] == [0.0, 5000.0]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"id": ""}, r"id: expected non-empty text"),
        ({"colour": "green"}, r"unknown key\(s\) \['colour'\]"),
        ({"park_classes": ["G99"]}, r"unknown class\(es\) \['G99'\]"),
        ({"park_classes": "G11"}, r"park_classes: expected a non-empty list"),
        ({"tiers": []}, r"tiers: expected a non-empty list"),
        ({"tiers": [{"min_area_m2": 0, "radius_m": -5}]}, r"tiers\[0\]\.radius_m: expected a "
                                                           r"number > 0"),
        ({"tiers": [{"min_area_m2": 0, "radius_m": 300}, {"min_area_m2": 0, "radius_m": 500}]},
         r"two tiers share a min_area_m2"),
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
