"""Human-readable figures for the CLI (数值显示): shares as %, quantities with units and separators.

The CLI prints figures for people; ``--json`` keeps the raw floats. Units follow the metric
registry's unit codes (``share``, ``m2``, ``km``, ``kWp``...) and the ``_m2``/``_km``/``_share``
suffixes of detail keys (STYLE.md: units in names). Chinese labels (平方米, 千米...) are used
with ``lang="zh"``.
"""

from __future__ import annotations

import math
from typing import Any

from tanmap.layers.card.card_text import format_share

__all__ = [
    "UNIT_LABELS",
    "format_number",
    "format_quantity",
    "format_share",
    "format_value_for_key",
    "unit_from_key",
]

#: Unit code -> (中文 label, English label); an empty label prints the bare number.
UNIT_LABELS: dict[str, tuple[str, str]] = {
    "m2": ("平方米", "m²"),
    "km2": ("平方千米", "km²"),
    "ha": ("公顷", "ha"),
    "m": ("米", "m"),
    "km": ("千米", "km"),
    "m3": ("立方米", "m³"),
    "kW": ("千瓦", "kW"),
    "kWp": ("千瓦（峰值）", "kWp"),
    "MW": ("兆瓦", "MW"),
    "kWh": ("千瓦时", "kWh"),
    "MWh": ("兆瓦时", "MWh"),
    "tCO2": ("吨二氧化碳", "tCO₂"),
    "t": ("吨", "t"),
    "years": ("年", "years"),
    "count": ("个", ""),
    "value": ("", ""),
    "": ("", ""),
}

#: Decimal places per unit (metre-level precision for lengths, 0.1 m² for areas).
_DECIMALS: dict[str, int] = {
    "m2": 1, "km2": 3, "ha": 2, "m": 1, "km": 3, "m3": 1, "kW": 1, "kWp": 1, "MW": 3,
    "kWh": 0, "MWh": 1, "tCO2": 1, "t": 1, "years": 0, "count": 0,
}
#: 1 万平方米 = 10,000 m² (the unit of most area targets in the seed plans).
_WAN_M2 = 10_000.0
#: Detail-key suffixes and the unit they carry (longest first).
_KEY_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_share", "share"), ("_pct", "pct"), ("_m2", "m2"), ("_km2", "km2"), ("_ha", "ha"),
    ("_km", "km"), ("_m", "m"), ("_kwp", "kWp"), ("_kwh", "kWh"), ("_kw", "kW"),
    ("_mw", "MW"), ("_tco2", "tCO2"),
)


def format_number(value: float, decimals: int = 0) -> str:
    """Return ``value`` with thousands separators and ``decimals`` places.

    中文：千分位数字。

    Examples
    --------
    >>> format_number(891900.8333532474, 1), format_number(1946), format_number(-0.04, 1)
    ('891,900.8', '1,946', '-0.0')
    """
    return f"{value:,.{decimals}f}"


def format_quantity(value: Any, unit: str, lang: str = "zh", *, wan: bool = False) -> str:
    """Return ``value`` for display in ``unit``: shares as %, others with separators and units.

    中文：带单位的数值显示（中文单位，千分位）。

    Parameters
    ----------
    value
        A number, None (printed as ``—``) or a boolean (是/否, yes/no).
    unit
        Unit code (``share``, ``pct``, ``m2``, ``km``, ``kWp``, ``count``...); unknown codes are
        printed as given, after the number.
    lang
        ``"zh"`` for Chinese unit labels, ``"en"`` for symbols.
    wan
        With ``lang="zh"`` and ``m2``, add the figure in 万平方米 when it is at least 1 万.

    Examples
    --------
    >>> format_quantity(0.999999, "share")
    '99.9999%'
    >>> format_quantity(4345026.53, "m2", "en"), format_quantity(4345026.53, "m2", wan=True)
    ('4,345,026.5 m²', '4,345,026.5 平方米（434.50 万平方米）')
    >>> format_quantity(12.34567, "km"), format_quantity(1946, "count", "en")
    ('12.346 千米', '1,946')
    >>> format_quantity(0.04917412, "m", "en"), format_quantity(0.0, "m2", "en")
    ('0.0492 m', '0.0 m²')
    >>> format_quantity(None, "m2"), format_quantity(True, ""), format_quantity(3.5, "MWp", "en")
    ('—', '是', '3.5 MWp')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if not isinstance(value, int | float):
        return str(value)
    if unit == "share":
        return format_share(float(value), lang)
    if unit == "pct":
        return f"{float(value):.1f}%"
    decimals = _DECIMALS.get(unit)
    if decimals is None:
        text = _plain(value)
    elif 0 < abs(value) < 1:  # 0.049 m is not "0.0 m"
        text = f"{value:.3g}"
    else:
        text = format_number(float(value), decimals if not _whole(value) else 0)
    zh_label, en_label = UNIT_LABELS.get(unit, (unit, unit))
    label = zh_label if lang == "zh" else en_label
    out = f"{text} {label}" if label else text
    if wan and lang == "zh" and unit == "m2" and abs(float(value)) >= _WAN_M2:
        out += f"（{float(value) / _WAN_M2:,.2f} 万平方米）"
    return out


def _whole(value: float) -> bool:
    return isinstance(value, int) or (math.isfinite(value) and float(value).is_integer()
                                      and abs(value) >= 1)


def _plain(value: float) -> str:
    """Return a unitless number: integers with separators, floats to 6 significant digits."""
    if isinstance(value, int) or (math.isfinite(value) and float(value).is_integer()):
        return format_number(float(value), 0)
    if abs(value) >= 1000:
        return format_number(float(value), 1)
    return f"{value:.6g}"


def unit_from_key(key: str) -> str | None:
    """Return the unit a detail key names by its suffix (``covered_m2`` -> ``m2``), or None.

    中文：由字段名后缀判断单位。

    Examples
    --------
    >>> unit_from_key("residential_m2"), unit_from_key("share"), unit_from_key("radius_m")
    ('m2', 'share', 'm')
    >>> unit_from_key("parks_counted") is None, unit_from_key("tco2_per_m2") is None
    (True, True)
    """
    lowered = key.lower()
    if lowered in ("share", "pct"):
        return lowered
    if "_per_" in lowered:  # a ratio (tco2_per_m2): its suffix is the denominator's unit
        return None
    for suffix, unit in _KEY_SUFFIXES:
        if lowered.endswith(suffix):
            return unit
    return None


def format_value_for_key(key: str, value: Any, lang: str = "zh") -> str:
    """Return a detail value for display, its unit taken from the key's suffix.

    中文：按字段名显示数值。Lists are joined with commas, mappings as ``k=v``; strings as they are.

    Examples
    --------
    >>> format_value_for_key("uncovered_m2", 4.331522538326681, "en")
    '4.3 m²'
    >>> format_value_for_key("extra_building_share", 1.0), format_value_for_key("n", 75)
    ('100.0%', '75')
    >>> format_value_for_key("rule_verify", ["old_city comparison"])
    'old_city comparison'
    >>> format_value_for_key("energy_years", [2022, 2023]), format_value_for_key("data_year", 2022)
    ('2022, 2023', '2022')
    """
    if key.lower().endswith(("year", "years")) and isinstance(value, int) and not isinstance(
            value, bool):
        return str(value)  # a year, not a quantity: no thousands separator
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_value_for_key(str(k), v, lang)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(format_value_for_key(key, v, lang) for v in value) or "—"
    if isinstance(value, str):
        return value
    unit = unit_from_key(key)
    return format_quantity(value, unit if unit is not None else "value", lang)
