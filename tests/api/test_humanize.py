"""Human-readable CLI figures and terminal-width tables (issue 15, point 4)."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

from tanmap.api.commands import format_table
from tanmap.api.commands.metric import metric_table, summary_text
from tanmap.geo.metric import MetricResult
from tanmap.geo.registry import METRICS
from tanmap.layers.runner import RunOutcome


def _humanize():  # imported per test: each test fails on its own where the module is missing
    return importlib.import_module("tanmap.api.humanize")


def _display_width(line: str) -> int:
    return sum(2 if ord(ch) >= 0x1100 and not 0xFF61 <= ord(ch) <= 0xFFDC else 1 for ch in line)


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.8567, "85.7%"), (0.999999, "99.9999%"), (0.99996, "99.996%"), (1.0, "100.0%"),
     (0.0, "0.0%"), (2e-5, "0.002%"), (0.9, "90.0%")],
    ids=["plain", "just-below-100", "4-nines", "full", "zero", "tiny", "threshold"],
)
def test_shares_are_percentages_that_never_round_to_the_bound(share, text):
    assert _humanize().format_share(share) == text


@pytest.mark.parametrize(
    ("value", "unit", "lang", "text"),
    [
        (891900.8333532474, "m2", "zh", "891,900.8 平方米"),
        (891900.8333532474, "m2", "en", "891,900.8 m²"),
        (12.3456789, "km", "zh", "12.346 千米"),
        (12.3456789, "km", "en", "12.346 km"),
        (1946, "count", "zh", "1,946 个"),
        (1946, "count", "en", "1,946"),
        (2500.0, "kWp", "zh", "2,500 千瓦（峰值）"),
        (0.04917, "m", "en", "0.0492 m"),
        (None, "share", "zh", "—"),
        (True, "", "zh", "是"),
        (False, "", "en", "no"),
    ],
)
def test_quantities_have_units_and_separators(value, unit, lang, text):
    assert _humanize().format_quantity(value, unit, lang) == text


def test_large_areas_also_in_wan_square_metres_in_chinese():
    """1 万平方米 = 10,000 m²: 4,345,026.5 m² is 434.50 万平方米."""
    h = _humanize()
    assert h.format_quantity(4345026.53, "m2", "zh", wan=True) == \
        "4,345,026.5 平方米（434.50 万平方米）"
    assert h.format_quantity(4345026.53, "m2", "en", wan=True) == "4,345,026.5 m²"
    assert h.format_quantity(9999.0, "m2", "zh", wan=True) == "9,999 平方米"


def _outcome() -> RunOutcome:
    """A park-coverage result with the raw floats of the issue."""
    result = MetricResult(
        name="park_coverage", value=0.999999, unit="share", params={"radius_m": 500.0},
        rule="GB/T 51346-2019 cl. 4.3.4 (tanmap rule v1)",
        details={"residential_m2": 891900.8333532474, "threshold_met": True,
                 "by_area_type": [{"area_type": "overall", "residential_m2": 891900.8333532474,
                                   "share": 0.999999}]},
        per_unit=pd.DataFrame({"unit_id": ["SD-1"], "residential_m2": [891900.8333532474],
                               "share": [1.0]}),
    )
    return RunOutcome(result=result, district="120101", year=2025, planning_epsg=4548,
                      metric_zh="公园绿地服务半径覆盖率", metric_en="Park service-radius coverage")


@pytest.mark.parametrize(
    ("lang", "value_line", "area_line"),
    [("zh", "结果: 99.9999%", "  residential_m2: 891,900.8 平方米"),
     ("en", "Value: 99.9999%", "  residential_m2: 891,900.8 m²")],
)
def test_metric_summary_prints_no_raw_floats(lang, value_line, area_line):
    text = summary_text(_outcome(), lang)
    lines = text.splitlines()
    assert value_line in lines
    assert area_line in lines
    assert "0.999999" not in text
    assert "891900.83" not in text
    assert any(line.split() == ["SD-1", "891,900.8", "平方米" if lang == "zh" else "m²",
                                "100.0%"] for line in lines)


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_metric_list_fits_the_terminal(width, lang):
    text = metric_table(lang, width=width)
    assert max(_display_width(line) for line in text.splitlines()) <= width
    flat = " ".join(text.split())
    for name in METRICS:  # nothing is lost by wrapping
        assert name in flat
    assert 'rule="gbt51346_2019"' in flat


def test_format_table_wraps_long_cells_and_right_aligns_numbers():
    table = format_table(["id", "text", "n"], [["a", "one two three four five six", 7],
                                               ["b", "短", 1234]], max_width=20, align="llr")
    assert table.splitlines() == [
        "id  text           n",
        "--  ----------  ----",
        "a   one two        7",
        "    three four",
        "    five six",
        "b   短          1234",
    ]


def test_the_examples_in_the_docstrings_hold():
    """api/ is outside ``--doctest-modules``' testpaths: run humanize's examples here."""
    import doctest

    failures, tried = doctest.testmod(_humanize())
    assert (failures, tried > 10) == (0, True)
