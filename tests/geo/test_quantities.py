"""Units of plan figures: spellings, exact conversions, refusals, share ranges, round trips."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tanmap.geo.errors import UnitError
from tanmap.geo.quantities import (
    DIMENSIONS,
    MU_M2,
    check_share,
    convert,
    convert_quantity,
    known_spellings,
    parse_quantity,
    parse_unit,
)

# (spelling, dimension, factor to the base unit) — Chinese, ASCII, full-width and Unicode forms.
SPELLINGS = [
    ("share", "share", Fraction(1)),
    ("%", "share", Fraction(1, 100)),
    ("％", "share", Fraction(1, 100)),
    ("percent", "share", Fraction(1, 100)),
    ("‰", "share", Fraction(1, 1000)),
    ("个百分点", "percentage_points", Fraction(1)),
    ("万", "count", Fraction(10_000)),
    ("亿", "count", Fraction(10**8)),
    ("个", "count", Fraction(1)),
    ("万个", "count", Fraction(10_000)),
    ("m2", "area", Fraction(1)),
    ("m²", "area", Fraction(1)),
    ("㎡", "area", Fraction(1)),
    ("平方米", "area", Fraction(1)),
    ("万平方米", "area", Fraction(10_000)),
    ("万m2", "area", Fraction(10_000)),
    ("km2", "area", Fraction(10**6)),
    ("平方公里", "area", Fraction(10**6)),
    ("ha", "area", Fraction(10_000)),
    ("公顷", "area", Fraction(10_000)),
    ("亩", "area", Fraction(10_000, 15)),
    ("万亩", "area", Fraction(10**8, 15)),
    ("mu", "area", Fraction(10_000, 15)),
    ("km", "length", Fraction(1000)),
    ("公里", "length", Fraction(1000)),
    ("米", "length", Fraction(1)),
    ("m3", "volume", Fraction(1)),
    ("万立方米", "volume", Fraction(10_000)),
    ("亿立方米", "volume", Fraction(10**8)),
    ("kW", "power", Fraction(1)),
    ("kw", "power", Fraction(1)),
    ("KW", "power", Fraction(1)),
    ("千瓦", "power", Fraction(1)),
    ("MW", "power", Fraction(1000)),
    ("mw", "power", Fraction(1000)),
    ("兆瓦", "power", Fraction(1000)),
    ("万千瓦", "power", Fraction(10_000)),
    ("kWp", "power", Fraction(1)),
    ("GW", "power", Fraction(10**6)),
    ("kWh", "energy", Fraction(1)),
    ("亿千瓦时", "energy", Fraction(10**8)),
    ("t", "mass", Fraction(1)),
    ("吨", "mass", Fraction(1)),
    ("万吨", "mass", Fraction(10_000)),
    ("tCO2", "co2", Fraction(1)),
    ("tCO₂", "co2", Fraction(1)),
    ("t CO2", "co2", Fraction(1)),
    ("万吨二氧化碳", "co2", Fraction(10_000)),
    ("吨标煤", "coal_equivalent", Fraction(1)),
    ("万吨标准煤", "coal_equivalent", Fraction(10_000)),
    ("tce", "coal_equivalent", Fraction(1)),
    ("gce/kWh", "coal_intensity", Fraction(1)),
    ("克标准煤/千瓦时", "coal_intensity", Fraction(1)),
    ("t/d", "mass_per_day", Fraction(1)),
    ("吨/日", "mass_per_day", Fraction(1)),
    ("万立方米/日", "volume_per_day", Fraction(10_000)),
    ("亿元", "currency", Fraction(10**8)),
    ("万元", "currency", Fraction(10_000)),
    ("吨标准煤/万元", "energy_intensity", Fraction(1)),
    ("吨二氧化碳/万元", "carbon_intensity", Fraction(1)),
]


@pytest.mark.parametrize(("spelling", "dimension", "factor"), SPELLINGS,
                         ids=[s for s, _d, _f in SPELLINGS])
def test_spellings_parse_to_dimension_and_exact_factor(
    spelling: str, dimension: str, factor: Fraction
) -> None:
    unit = parse_unit(spelling)
    assert (unit.dimension, unit.factor) == (dimension, factor)


def test_spaces_and_full_width_are_ignored() -> None:
    assert parse_unit(" 万 平方米 ").factor == 10_000
    assert parse_unit("ｋＷ").dimension == "power"


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        (95, "%", "share", 0.95),
        (95.0, "％", "share", 0.95),
        (0.95, "share", "%", 95.0),
        (5, "‰", "share", 0.005),
        (3.5, "万平方米", "m2", 35_000.0),
        (1, "亩", "m2", 10_000 / 15),
        (15, "亩", "公顷", 1.0),
        (1, "km2", "ha", 100.0),
        (21, "万千瓦", "kW", 210_000.0),
        (21, "万千瓦", "MW", 210.0),
        (100, "MW", "kW", 100_000.0),
        (1.2, "万吨标煤", "tce", 12_000.0),
        (7, "km", "m", 7000.0),
        (2.5, "亿千瓦时", "kWh", 2.5e8),
        (3, "万", "count", 30_000.0),
    ],
    ids=lambda v: str(v),
)
def test_conversions_are_exact(value: float, src: str, dst: str, expected: float) -> None:
    assert convert(value, src, dst) == expected


def test_percent_is_not_floating_point_noise() -> None:
    # 95 * 0.01 == 0.9500000000000001 in binary floating point; the exact route gives 0.95.
    assert 95 * 0.01 != 0.95
    assert convert(95, "%", "share") == 0.95
    assert convert(7, "%", "share") == 0.07


@pytest.mark.parametrize(
    ("src", "dst", "expected_in_message"),
    [
        ("m2", "share", "Give the value in share"),
        ("%", "m2", "Give the value in m2"),
        ("吨", "tCO2", "Give the value in tCO2"),
        ("kWh", "kW", "Give the value in kW"),
        ("%", "pct_points", "Give the value in pct_points"),
    ],
)
def test_incompatible_units_are_refused_naming_the_expected_unit(
    src: str, dst: str, expected_in_message: str
) -> None:
    with pytest.raises(UnitError, match=expected_in_message):
        convert(95, src, dst)


def test_incompatible_message_names_both_dimensions() -> None:
    with pytest.raises(UnitError, match=r"a 面积 is not a 比例") as info:
        convert(95, "m2", "share")
    assert "%" in str(info.value)  # the share units are listed


@pytest.mark.parametrize("spelling", ["", "   ", "furlong", "万万", "m2x", "%%"])
def test_unknown_units_are_refused_with_the_known_ones(spelling: str) -> None:
    with pytest.raises(UnitError, match=r"(unknown unit|is empty).*(万平方米|share)"):
        parse_unit(spelling)


def test_prefix_does_not_apply_to_shares() -> None:
    with pytest.raises(UnitError, match="unknown unit '万%'"):
        parse_unit("万%")


def test_non_finite_values_are_refused() -> None:
    with pytest.raises(UnitError, match="not a finite number"):
        convert(float("nan"), "m2", "m2")
    with pytest.raises(UnitError, match="not a finite number"):
        convert(True, "m2", "m2")  # type: ignore[arg-type]


def test_share_range_is_checked_after_conversion() -> None:
    assert convert_quantity(95, "%", "share", what="led_share") == 0.95
    with pytest.raises(UnitError, match=r"led_share = 95 share is outside 0–100 %.*unit '%'"):
        convert_quantity(95, "share", "share", what="led_share")
    with pytest.raises(UnitError, match=r"led_share = 120 % is outside 0–100 %"):
        convert_quantity(120, "%", "share", what="led_share")
    with pytest.raises(UnitError, match="outside"):
        convert_quantity(-1, "%", "share")
    # Other dimensions have no range.
    assert convert_quantity(-3, "m2", "m2") == -3.0


def test_share_bounds_can_be_widened_for_reductions() -> None:
    check_share(-0.2, bounds=(None, 1.0))
    with pytest.raises(UnitError, match=r"outside -∞–100 %"):
        check_share(1.5, bounds=(None, 1.0))


@pytest.mark.parametrize(
    ("text", "value", "symbol", "base_value"),
    [
        ("95 %", 95.0, "%", 0.95),
        ("95%", 95.0, "%", 0.95),
        ("3.5万平方米", 3.5, "万m2", 35_000.0),
        ("0.5 ha", 0.5, "ha", 5000.0),
        ("5,000 m²", 5000.0, "m2", 5000.0),
        ("1e3 m2", 1000.0, "m2", 1000.0),
        ("-2 km", -2.0, "km", -2000.0),
        ("12 亩", 12.0, "mu", 8000.0),
    ],
)
def test_parse_quantity(text: str, value: float, symbol: str, base_value: float) -> None:
    q = parse_quantity(text)
    assert (q.value, q.unit.symbol) == (value, symbol)
    assert q.to(q.unit.base) == pytest.approx(base_value, rel=1e-15)


def test_parse_quantity_bare_numbers_need_a_default_unit() -> None:
    assert parse_quantity("500", "m").to("km") == 0.5
    assert parse_quantity(500.0, "m").value == 500.0
    with pytest.raises(UnitError, match=r"has no unit; write it with one, e\.g\. '500 m2'"):
        parse_quantity("500")
    with pytest.raises(UnitError, match="does not start with a number"):
        parse_quantity("m2 500")
    with pytest.raises(UnitError, match="not a number"):
        parse_quantity(True)  # type: ignore[arg-type]


def test_every_dimension_has_units_and_its_base_unit_parses() -> None:
    for dimension, (_zh, base) in DIMENSIONS.items():
        assert known_spellings(dimension), dimension
        unit = parse_unit(base)
        assert (unit.dimension, unit.factor) == (dimension, 1), dimension


def test_mu_is_a_fifteenth_of_a_hectare() -> None:
    assert MU_M2 * 15 == 10_000


# ---------------------------------------------------------------------- properties

_UNITS_BY_DIMENSION = {d: known_spellings(d) for d in DIMENSIONS}
_same_dimension_pairs = st.sampled_from(sorted(DIMENSIONS)).flatmap(
    lambda d: st.tuples(st.sampled_from(_UNITS_BY_DIMENSION[d]),
                        st.sampled_from(_UNITS_BY_DIMENSION[d]))
)
_values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(pair=_same_dimension_pairs, value=_values)
def test_round_trip_within_a_dimension(pair: tuple[str, str], value: float) -> None:
    src, dst = pair
    back = convert(convert(value, src, dst), dst, src)
    assert back == pytest.approx(value, rel=1e-15, abs=1e-300)


@given(pair=_same_dimension_pairs, value=_values, scale=st.sampled_from(["万", "亿", "千"]))
def test_prefix_multiplies_exactly(pair: tuple[str, str], value: float, scale: str) -> None:
    src, _dst = pair
    if parse_unit(src).dimension in ("share", "percentage_points"):
        return
    factor = {"万": 10_000, "亿": 10**8, "千": 1000}[scale]
    assert convert(value, scale + src, src) == float(Fraction(value) * factor)


@given(pair=_same_dimension_pairs, a=_values, b=_values)
def test_conversion_preserves_order(pair: tuple[str, str], a: float, b: float) -> None:
    src, dst = pair
    low, high = sorted((a, b))
    assert convert(low, src, dst) <= convert(high, src, dst)


@given(dims=st.tuples(st.sampled_from(sorted(DIMENSIONS)), st.sampled_from(sorted(DIMENSIONS))),
       value=_values)
def test_different_dimensions_never_convert(dims: tuple[str, str], value: float) -> None:
    a, b = dims
    if a == b:
        return
    with pytest.raises(UnitError, match="cannot be converted"):
        convert(value, DIMENSIONS[a][1], DIMENSIONS[b][1])


@given(pct=st.floats(min_value=0, max_value=100, allow_nan=False))
def test_any_percentage_from_0_to_100_is_a_valid_share(pct: float) -> None:
    share = convert_quantity(pct, "%", "share")
    assert 0.0 <= share <= 1.0
    assert convert(share, "share", "%") == pytest.approx(pct, rel=1e-15, abs=1e-300)


@given(value=_values, symbol=st.sampled_from(known_spellings()), space=st.sampled_from(["", " "]))
def test_written_quantities_parse_back(value: float, symbol: str, space: str) -> None:
    q = parse_quantity(f"{value!r}{space}{symbol}")
    assert (q.value, q.unit.symbol) == (value, symbol)


@given(text=st.text(max_size=12))
def test_any_text_is_a_unit_or_a_unit_error(text: str) -> None:
    try:
        unit = parse_unit(text)
    except UnitError:
        return
    assert unit.dimension in DIMENSIONS
    assert unit.factor > 0
