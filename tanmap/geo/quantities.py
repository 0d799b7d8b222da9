"""Units of plan figures (计量单位): parse Chinese and ASCII spellings, convert, check ranges.

Plan figures come in the units a bureau writes them in: 95 %, 3.5 万平方米, 21 万千瓦, 1.2 万吨标煤,
800 亩. The target they are compared with has one unit (``share``, ``m2``, ``kW``, ``tce``...). This
module turns a unit spelling into a :class:`Unit` (a dimension and an exact rational factor to the
dimension's base unit) and converts values between units of the same dimension; a unit of another
dimension is refused with the expected unit named, never silently stored (``95`` entered as a share
is 9500 %).

Conversion factors are exact fractions (``%`` = 1/100, 亩 = 10000/15 m², 万 = 10⁴), so ``95 %``
becomes exactly the float nearest to 0.95, and a conversion there and back returns the value within
one rounding step. Spellings are matched after Unicode NFKC normalisation (full-width ``％``,
``㎡``, ``m²``, ``tCO₂`` all work) without spaces, case-insensitively for ASCII letters (``kw`` is
kW, ``mw`` is MW: no milli-units are defined). A leading 万 / 亿 / 千 / 百万 multiplies any unit
(``万亩``, ``亿千瓦时``, ``万吨二氧化碳``), unless the whole spelling is a unit itself (``千瓦``).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING

from tanmap.geo.errors import UnitError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DIMENSIONS",
    "MULTIPLIER_PREFIXES",
    "MU_M2",
    "SHARE_BOUNDS",
    "Quantity",
    "Unit",
    "check_share",
    "convert",
    "convert_quantity",
    "known_spellings",
    "parse_quantity",
    "parse_unit",
]

#: 1 亩 (mu) = 10000/15 m² = 666.67 m² (市制, DOMAIN.md §1), kept as an exact fraction.
MU_M2 = Fraction(10_000, 15)

#: Dimensions: code -> (Chinese label, base unit symbol). Units convert only within a dimension.
DIMENSIONS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "share": ("比例", "share"),
    "percentage_points": ("百分点", "pct_points"),
    "count": ("数量", "count"),
    "area": ("面积", "m2"),
    "length": ("长度", "m"),
    "volume": ("体积", "m3"),
    "power": ("功率/装机容量", "kW"),
    "energy": ("电量/能量", "kWh"),
    "mass": ("质量", "t"),
    "co2": ("二氧化碳排放量", "tCO2"),
    "coal_equivalent": ("标准煤", "tce"),
    "coal_intensity": ("供电煤耗", "gce/kWh"),
    "mass_per_day": ("日处理能力", "t/d"),
    "volume_per_day": ("日供水/处理量", "m3/d"),
    "currency": ("金额", "元"),
    "energy_intensity": ("能耗强度", "tce/万元"),
    "carbon_intensity": ("碳排放强度", "tCO2/万元"),
})

#: Allowed range of a share (0–1, i.e. 0–100 %) unless a caller widens it (e.g. reductions).
SHARE_BOUNDS: tuple[float, float] = (0.0, 1.0)

#: Chinese number words that multiply the unit after them (万平方米, 亿千瓦时, 千吨).
MULTIPLIER_PREFIXES: Mapping[str, Fraction] = MappingProxyType({
    "百万": Fraction(10**6),
    "亿": Fraction(10**8),
    "万": Fraction(10**4),
    "千": Fraction(10**3),
})

_F = Fraction

# symbol (canonical spelling) -> (dimension, factor to the base unit, spellings). Spellings are
# compared after _normalise (NFKC, no spaces, ASCII lower case).
_UNITS: tuple[tuple[str, str, Fraction, tuple[str, ...]], ...] = (
    ("share", "share", _F(1), ("share", "ratio", "fraction", "比例", "比率", "小数")),
    ("%", "share", _F(1, 100), ("%", "percent", "pct", "百分比", "百分之")),
    ("‰", "share", _F(1, 1000), ("‰", "permille", "per mille", "千分比", "千分之")),
    ("pct_points", "percentage_points", _F(1),
     ("pct_points", "pct_point", "percentage points", "percentage point", "pp", "个百分点",
      "百分点")),
    ("count", "count", _F(1),
     ("count", "number", "个", "处", "座", "辆", "家", "项", "户", "台", "根", "套", "栋", "幢",
      "所", "条", "次", "名", "人", "棵", "株", "块", "件", "场", "批", "只", "组", "部", "间")),
    ("m2", "area", _F(1), ("m2", "sqm", "sq m", "square metre", "square meter", "平方米",
                           "平米", "平方")),
    ("km2", "area", _F(10**6), ("km2", "sq km", "平方公里", "平方千米")),
    ("ha", "area", _F(10**4), ("ha", "hectare", "hectares", "公顷")),
    ("mu", "area", MU_M2, ("mu", "亩")),
    ("m", "length", _F(1), ("m", "metre", "meter", "米")),
    ("km", "length", _F(1000), ("km", "kilometre", "kilometer", "公里", "千米")),
    ("m3", "volume", _F(1), ("m3", "cubic metre", "cubic meter", "立方米", "方", "nm3", "标方",
                             "标准立方米")),
    ("W", "power", _F(1, 1000), ("w", "watt", "瓦")),
    ("kW", "power", _F(1), ("kw", "kilowatt", "千瓦")),
    ("MW", "power", _F(1000), ("mw", "megawatt", "兆瓦")),
    ("GW", "power", _F(10**6), ("gw", "gigawatt", "吉瓦", "百万千瓦")),
    # Peak PV capacity: plans write PV in 千瓦/万千瓦, so kWp and kW are one dimension.
    ("kWp", "power", _F(1), ("kwp", "千瓦峰值")),
    ("MWp", "power", _F(1000), ("mwp", "兆瓦峰值")),
    ("kWh", "energy", _F(1), ("kwh", "千瓦时", "度", "度电")),
    ("MWh", "energy", _F(1000), ("mwh", "兆瓦时")),
    ("GWh", "energy", _F(10**6), ("gwh", "吉瓦时")),
    # Heat (热力) is metered in GJ; 1 kWh = 3.6 MJ exactly.
    ("MJ", "energy", _F(5, 18), ("mj", "兆焦", "兆焦耳")),
    ("GJ", "energy", _F(2500, 9), ("gj", "吉焦", "吉焦耳", "百万千焦")),
    ("t", "mass", _F(1), ("t", "tonne", "tonnes", "ton", "吨")),
    ("kg", "mass", _F(1, 1000), ("kg", "千克", "公斤")),
    ("tCO2", "co2", _F(1),
     ("tco2", "t co2", "tco2e", "吨二氧化碳", "吨co2", "吨二氧化碳当量", "吨碳排放")),
    ("kgCO2", "co2", _F(1, 1000), ("kgco2", "千克二氧化碳", "公斤二氧化碳")),
    ("tce", "coal_equivalent", _F(1), ("tce", "t ce", "吨标煤", "吨标准煤", "吨标准煤当量")),
    ("kgce", "coal_equivalent", _F(1, 1000), ("kgce", "千克标准煤", "千克标煤", "公斤标煤")),
    ("gce/kWh", "coal_intensity", _F(1),
     ("gce/kwh", "g/kwh", "克标准煤/千瓦时", "克标煤/千瓦时", "克/千瓦时", "克标准煤每千瓦时")),
    ("kgce/kWh", "coal_intensity", _F(1000), ("kgce/kwh", "千克标准煤/千瓦时")),
    ("t/d", "mass_per_day", _F(1), ("t/d", "t/day", "吨/日", "吨/天", "吨每日", "吨每天", "吨/d")),
    ("m3/d", "volume_per_day", _F(1), ("m3/d", "m3/day", "立方米/日", "立方米/天", "方/日")),
    ("元", "currency", _F(1), ("元", "yuan", "cny", "rmb", "人民币元")),
    ("tce/万元", "energy_intensity", _F(1),
     ("tce/万元", "吨标煤/万元", "吨标准煤/万元", "tce/10k cny")),
    ("tCO2/万元", "carbon_intensity", _F(1),
     ("tco2/万元", "吨二氧化碳/万元", "吨co2/万元", "tco2/10k cny")),
)


@dataclass(frozen=True)
class Unit:
    """A unit of a plan figure: its dimension and exact factor to the dimension's base unit.

    中文：计量单位（量纲及换算系数）。

    Attributes
    ----------
    symbol
        The spelling as written after normalisation of a known unit, e.g. ``"万m2"``, ``"%"``.
    dimension
        Key of :data:`DIMENSIONS`, e.g. ``"area"``.
    factor
        Exact value of one of this unit in the base unit (``万平方米`` -> 10000 m²).
    """

    symbol: str
    dimension: str
    factor: Fraction

    @property
    def base(self) -> str:
        """Return the base unit of the dimension (``"m2"`` for areas)."""
        return DIMENSIONS[self.dimension][1]

    @property
    def dimension_zh(self) -> str:
        """Return the Chinese name of the dimension (``"面积"``)."""
        return DIMENSIONS[self.dimension][0]

    def describe(self) -> str:
        """Return ``"万平方米 (面积 area, = 10000 m2)"``-style text for messages."""
        scale = "" if self.factor == 1 else f", = {_fmt_fraction(self.factor)} {self.base}"
        return f"{self.symbol} ({self.dimension_zh} {self.dimension}{scale})"


@dataclass(frozen=True)
class Quantity:
    """A value with its unit, e.g. ``Quantity(95.0, Unit('%', 'share', 1/100))``.

    中文：带单位的数值。
    """

    value: float
    unit: Unit

    def to(self, target: str | Unit) -> float:
        """Return the value in ``target`` (see :func:`convert`)."""
        return convert(self.value, self.unit, target)


def _fmt_fraction(f: Fraction) -> str:
    if f.denominator == 1:
        return str(f.numerator)
    return f"{float(f):.6g}"


def _normalise(text: str) -> str:
    # NFKC folds full-width ％, ㎡ (-> m2), superscripts (m² -> m2) and subscripts (CO₂ -> CO2).
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch.lower() if ch.isascii() else ch for ch in folded if not ch.isspace())


_SPELLINGS: Mapping[str, tuple[str, str, Fraction]] = MappingProxyType({
    _normalise(spelling): (symbol, dimension, factor)
    for symbol, dimension, factor, spellings in _UNITS
    for spelling in (symbol, *spellings)
})


def known_spellings(dimension: str | None = None) -> list[str]:
    """Return the canonical unit symbols (of one dimension, or all), for messages and help.

    中文：可用的单位写法。

    Examples
    --------
    >>> known_spellings("share")
    ['share', '%', '‰']
    """
    return [s for s, d, _f, _sp in _UNITS if dimension is None or d == dimension]


def _examples(dimension: str) -> str:
    zh = [sp for s, d, _f, sps in _UNITS if d == dimension for sp in sps[:6]
          if not sp.isascii()][:4]
    return ", ".join(known_spellings(dimension) + zh)


def parse_unit(text: str) -> Unit:
    """Return the :class:`Unit` of a spelling such as ``"%"``, ``"万平方米"``, ``"kw"``, ``"亩"``.

    中文：解析计量单位（支持中文、英文及全角写法，万/亿等数量级前缀）。

    Raises
    ------
    UnitError
        If the spelling is empty or unknown; the message lists the units tanmap knows.

    Examples
    --------
    >>> u = parse_unit("万平方米")
    >>> u.dimension, u.factor
    ('area', Fraction(10000, 1))
    >>> parse_unit("％").factor, parse_unit("MW").dimension, parse_unit("tCO₂").symbol
    (Fraction(1, 100), 'power', 'tCO2')
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitError(f"unit {text!r} is empty; give a unit such as share, %, m2, 万平方米, "
                        "km, 亩, kW, 万千瓦, tCO2 or 吨标煤.")
    key = _normalise(text)
    hit = _SPELLINGS.get(key)
    if hit is not None:
        return Unit(hit[0], hit[1], hit[2])
    for prefix, scale in MULTIPLIER_PREFIXES.items():
        if key.startswith(prefix) and len(key) > len(prefix):
            rest = key[len(prefix):]
            hit = _SPELLINGS.get(rest)
            if hit is not None and hit[1] not in ("share", "percentage_points"):
                return Unit(f"{prefix}{hit[0]}", hit[1], scale * hit[2])
    if key in MULTIPLIER_PREFIXES:  # "万" alone: ten thousand of something counted
        return Unit(key, "count", MULTIPLIER_PREFIXES[key])
    known = "; ".join(f"{DIMENSIONS[d][0]} {d}: {_examples(d)}" for d in DIMENSIONS)
    raise UnitError(
        f"unknown unit {text!r}. Known units — {known}; 万/亿/千 before a unit multiply it "
        "(万平方米, 亿千瓦时)."
    )


def _as_unit(unit: str | Unit) -> Unit:
    return unit if isinstance(unit, Unit) else parse_unit(unit)


def convert(value: float, from_unit: str | Unit, to_unit: str | Unit) -> float:
    """Return ``value`` given in ``from_unit`` expressed in ``to_unit``.

    中文：单位换算（量纲不同则拒绝）。

    The conversion is done on exact fractions and rounded once, so ``95 %`` is the float nearest
    to 0.95 (not ``95 * 0.01 = 0.9500000000000001``).

    Raises
    ------
    UnitError
        If either unit is unknown, the two are of different dimensions (the message names the
        expected unit), or ``value`` is not a finite number.

    Examples
    --------
    >>> convert(95, "%", "share"), convert(3.5, "万平方米", "m2"), convert(21, "万千瓦", "MW")
    (0.95, 35000.0, 210.0)
    >>> convert(800, "亩", "公顷")
    53.333333333333336
    """
    src, dst = _as_unit(from_unit), _as_unit(to_unit)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UnitError(f"value {value!r} is not a finite number.")
    if src.dimension != dst.dimension:
        raise UnitError(
            f"unit {src.describe()} cannot be converted to {dst.describe()}: a "
            f"{src.dimension_zh} is not a {dst.dimension_zh}. Give the value in {dst.symbol} "
            f"or another {dst.dimension} unit ({_examples(dst.dimension)})."
        )
    return float(Fraction(value) * src.factor / dst.factor)


def parse_quantity(text: str | float, default_unit: str | Unit | None = None) -> Quantity:
    """Return the :class:`Quantity` of ``"95 %"``, ``"3.5万平方米"``, ``"0.5 ha"`` or a bare number.

    中文：解析带单位的数值（如“3.5万平方米”）。

    Parameters
    ----------
    text
        A number followed by a unit (spaces optional), or a bare number.
    default_unit
        Unit of a bare number; None makes a bare number an error.

    Raises
    ------
    UnitError
        If there is no number, no unit (and no default), or the unit is unknown.

    Examples
    --------
    >>> q = parse_quantity("3.5万平方米")
    >>> q.value, q.unit.symbol, q.to("m2")
    (3.5, '万m2', 35000.0)
    >>> parse_quantity(5000, "m2").to("ha")
    0.5
    """
    if isinstance(text, bool):
        raise UnitError(f"{text!r} is not a number with a unit such as '5000 m2'.")
    if isinstance(text, int | float):
        number, unit_text = float(text), ""
    else:
        folded = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "")
        end = 0
        while end < len(folded) and (folded[end].isdigit() or folded[end] in "+-.eE"):
            # An "e" only belongs to the number as an exponent followed by a digit or sign.
            if folded[end] in "eE" and not (
                end + 1 < len(folded) and (folded[end + 1].isdigit() or folded[end + 1] in "+-")
            ):
                break
            end += 1
        try:
            number = float(folded[:end])
        except ValueError as err:
            raise UnitError(f"{text!r} does not start with a number; write e.g. '5000 m2' or "
                            "'3.5万平方米'.") from err
        unit_text = folded[end:].strip()
    if not math.isfinite(number):
        raise UnitError(f"{text!r} is not a finite number.")
    if unit_text:
        return Quantity(number, parse_unit(unit_text))
    if default_unit is None:
        raise UnitError(f"{text!r} has no unit; write it with one, e.g. '{number:g} m2'.")
    return Quantity(number, _as_unit(default_unit))


def convert_quantity(
    value: float, from_unit: str | Unit, to_unit: str | Unit, *, what: str = "value"
) -> float:
    """Convert like :func:`convert`, checking a share result against :data:`SHARE_BOUNDS`.

    中文：换算并校验比例取值范围（0–100%）。

    Raises
    ------
    UnitError
        As :func:`convert`, or if the result is a share outside 0–1 (the message says which unit
        would have made it a share, e.g. ``95`` with ``%``).

    Examples
    --------
    >>> convert_quantity(95, "%", "share", what="led_share")
    0.95
    """
    result = convert(value, from_unit, to_unit)
    dst = _as_unit(to_unit)
    if dst.dimension == "share":
        check_share(result, what=what, entered=f"{value:g} {_as_unit(from_unit).symbol}")
    return result


def check_share(
    share: float, *, what: str = "value", entered: str | None = None,
    bounds: tuple[float | None, float | None] = SHARE_BOUNDS,
) -> None:
    """Raise if ``share`` (0–1) is outside ``bounds``.

    中文：校验比例值（0–1，即 0–100%）。

    Raises
    ------
    UnitError
        Naming the expected unit: a share is 0–1 in ``share``, or 0–100 with ``%``.

    Examples
    --------
    >>> check_share(0.95)
    >>> check_share(95.0, what="led_share")
    Traceback (most recent call last):
    ...
    tanmap.geo.errors.UnitError: led_share = 95 share is outside 0–100 %: ...
    """
    low, high = bounds
    if (low is None or share >= low) and (high is None or share <= high):
        return
    shown = entered or f"{share:g} share"
    lo = "-∞" if low is None else f"{low * 100:g}"
    hi = "∞" if high is None else f"{high * 100:g}"
    raise UnitError(
        f"{what} = {shown} is outside {lo}–{hi} %: a share is written 0–1 with unit 'share' "
        f"(95 % = 0.95 share) or 0–100 with unit '%'. Check the value and its unit."
    )
