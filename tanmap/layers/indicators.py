"""Safe entry of tracked indicator values (指标填报): known keys, unit conversion, range checks."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tanmap.geo.errors import UnitError, UnknownDistrictError, UnknownIndicatorError
from tanmap.geo.quantities import (
    SHARE_BOUNDS,
    check_share,
    convert,
    parse_unit,
)
from tanmap.layers.catalog import INDICATOR_METRIC, all_catalogs, load_catalog

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tanmap.layers.catalog import Catalog
    from tanmap.layers.store.base import Store

__all__ = [
    "REDUCTION_SUFFIXES",
    "IndicatorEntry",
    "IndicatorInfo",
    "catalog_indicators",
    "enter_indicator",
    "known_indicators",
    "prepare_indicator",
    "stored_value_in",
    "suggest_keys",
]

#: Keys ending so are changes (下降率): a negative value is a rise, so shares may go below 0.
REDUCTION_SUFFIXES: tuple[str, ...] = ("_reduction", "_reduction_vs_2005")

#: How many close keys an "unknown key" message suggests.
SUGGESTIONS = 3


@dataclass(frozen=True)
class IndicatorInfo:
    """A tracked indicator of a catalog: its key, the unit its targets are in, and those targets.

    中文：跟踪指标（代码、目标单位、所属目标）。
    """

    key: str
    unit: str
    target_ids: tuple[str, ...]
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class IndicatorEntry:
    """A value ready to store: converted to the target's unit, with what the user typed.

    中文：待保存的指标值（已换算为目标单位）。
    """

    key: str
    value: float
    unit: str
    entered_value: float
    entered_unit: str

    @property
    def converted(self) -> bool:
        """Return whether the entered unit differed from the stored one."""
        return self.entered_unit.strip() != self.unit


def catalog_indicators(catalog: Catalog) -> dict[str, IndicatorInfo]:
    """Return the indicator keys of a catalog's ``metric: indicator`` targets with their unit.

    中文：目录中的跟踪指标及其单位。
    """
    out: dict[str, IndicatorInfo] = {}
    for t in catalog.targets:
        if t.metric != INDICATOR_METRIC or "key" not in t.params:
            continue
        key = str(t.params["key"])
        old = out.get(key)
        ids = (*old.target_ids, t.id) if old else (t.id,)
        out[key] = IndicatorInfo(key, old.unit if old else t.unit, ids,
                                 old.title_zh if old else t.title_zh,
                                 old.title_en if old else t.title_en)
    return out


def known_indicators(
    adcode: str, *, directory: str | Path | None = None
) -> dict[str, IndicatorInfo]:
    """Return the indicators the audit of ``adcode`` reads: its catalog's, else every catalog's.

    中文：区县可填报的指标（本区县目录；无目录时为全部目录）。
    """
    try:
        return catalog_indicators(load_catalog(adcode, directory=directory))
    except UnknownDistrictError:
        merged: dict[str, IndicatorInfo] = {}
        for catalog in all_catalogs(directory).values():
            for key, info in catalog_indicators(catalog).items():
                merged.setdefault(key, info)
        return merged


def suggest_keys(key: str, known: Mapping[str, IndicatorInfo] | list[str],
                 n: int = SUGGESTIONS) -> list[str]:
    """Return up to ``n`` known keys closest to ``key`` (difflib), then keys containing it.

    中文：相近的指标代码建议。

    Examples
    --------
    >>> suggest_keys("led_shar", ["led_share", "prefab_share", "heat_loss_reduction"])
    ['led_share', 'prefab_share']
    """
    names = sorted(known)
    close = difflib.get_close_matches(key, names, n=n, cutoff=0.6)
    if len(close) < n:
        low = key.lower()
        close += [k for k in names if low and low in k.lower() and k not in close][: n - len(close)]
    return close


def _share_bounds(key: str) -> tuple[float | None, float | None]:
    if key.endswith(REDUCTION_SUFFIXES):
        return (None, SHARE_BOUNDS[1])
    return SHARE_BOUNDS


def prepare_indicator(
    key: str, value: float, unit: str, known: Mapping[str, IndicatorInfo], *, where: str = ""
) -> IndicatorEntry:
    """Check ``key``, convert ``value`` from ``unit`` to the key's target unit, check its range.

    中文：校验指标代码、换算单位并检查取值范围。

    Parameters
    ----------
    key
        Indicator key, e.g. ``"led_share"``.
    value, unit
        What the user entered, e.g. ``95`` and ``"%"``.
    known
        Known indicators (:func:`known_indicators`).
    where
        Whose catalog ``known`` is, for messages (e.g. ``"120101 和平区"``).

    Raises
    ------
    UnknownIndicatorError
        If ``key`` is not known; the message suggests the closest known keys.
    UnitError
        If ``unit`` is unknown or of another dimension than the target's (the expected unit is
        named), or a share ends up outside 0–100 %.

    Examples
    --------
    >>> known = {"led_share": IndicatorInfo("led_share", "share", ("120101-L01",), "LED", "LED")}
    >>> prepare_indicator("led_share", 95, "%", known).value
    0.95
    """
    info = known.get(key)
    if info is None:
        hints = suggest_keys(key, known)
        hint = f"did you mean {', '.join(hints)}? " if hints else ""
        scope = f" of {where}" if where else ""
        raise UnknownIndicatorError(
            f"unknown indicator key {key!r}{scope}: {hint}The keys are the params.key of the "
            f"catalog's 'metric: indicator' targets ({len(known)} known; `tanmap indicator "
            "keys ADCODE` lists them). To track another figure, add a target with that key to "
            "the district's catalog (--catalog-dir)."
        )
    what = f"{key} ({info.title_zh})"
    try:
        target = parse_unit(info.unit)
    except UnitError:
        # A catalog unit tanmap cannot convert: only the same spelling is accepted.
        if unit.strip() != info.unit:
            raise UnitError(
                f"{what} is tracked in {info.unit!r}, a unit tanmap cannot convert to; enter "
                f"the value in {info.unit!r} exactly (got {unit!r})."
            ) from None
        return IndicatorEntry(key, float(value), info.unit, float(value), unit)
    try:
        converted = convert(value, unit, target)
    except UnitError as err:
        raise UnitError(f"{what} is tracked in {info.unit} ({target.dimension_zh}): {err}"
                        ) from err
    if target.dimension == "share":
        check_share(converted, what=what, entered=f"{value:g} {unit.strip()}",
                    bounds=_share_bounds(key))
    return IndicatorEntry(key, converted, info.unit, float(value), unit.strip())


def stored_value_in(key: str, value: float, stored_unit: str, target_unit: str) -> float:
    """Return a stored indicator value in the unit of the target it is compared with.

    中文：将已存指标值换算为目标单位（兼容旧数据，如按 % 存入的 95）。

    Values entered before units were checked may be in another unit (``95`` with ``%``); they
    are converted, and a share outside 0–100 % is refused rather than compared.

    Raises
    ------
    UnitError
        If the units cannot be converted or a share is out of range; the message says how to
        re-enter the value.

    Examples
    --------
    >>> stored_value_in("led_share", 95.0, "%", "share")
    0.95
    """
    redo = (f" Re-enter it: `tanmap indicator set ADCODE {key} YEAR VALUE --unit "
            f"{target_unit}`.")
    if stored_unit.strip() == target_unit.strip():
        converted = float(value)
    else:
        try:
            converted = convert(value, stored_unit, target_unit)
        except UnitError as err:
            raise UnitError(f"indicator {key} = {value:g} {stored_unit} cannot be compared with "
                            f"a target in {target_unit}: {err}{redo}") from err
    try:
        if parse_unit(target_unit).dimension == "share":
            check_share(converted, what=f"indicator {key}",
                        entered=f"{value:g} {stored_unit}", bounds=_share_bounds(key))
    except UnitError as err:
        if "unknown unit" in str(err):
            return converted
        raise UnitError(f"{err}{redo}") from err
    return converted


def enter_indicator(
    store: Store,
    district: str,
    key: str,
    year: int,
    value: float,
    unit: str,
    source: str = "",
    *,
    catalog_dir: str | Path | None = None,
    author: str | None = None,
) -> IndicatorEntry:
    """Validate and store one indicator value in the unit of its targets.

    中文：填报指标值（校验代码、换算单位后保存；记录填报人 ``author``，默认系统用户）。

    Raises
    ------
    UnknownDistrictError
        If the district is not in the store.
    UnknownIndicatorError, UnitError
        See :func:`prepare_indicator`; nothing is stored.
    StoreError
        For a year outside 1900–2100 (see ``Store.put_indicator``).
    """
    row = store.district(district)
    known = known_indicators(district, directory=catalog_dir)
    entry = prepare_indicator(key, value, unit, known,
                              where=f"{district} {row.get('name', '') or ''}".strip())
    store.put_indicator(district, entry.key, year, entry.value, entry.unit, source,
                        author=author)
    return entry
