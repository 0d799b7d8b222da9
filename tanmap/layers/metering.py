"""Bureau metering files (能耗计量数据): read, convert units, join onto buildings, store.

中文：读取能耗监测平台/计量台账（CSV、XLSX），按建筑编号或地址关联到建筑图层。

A metering table has one row per building (or per meter: rows of one building and year are
summed) with a key column (building id or address), optionally a year, and any of electricity,
natural gas and heat. Units come from the header (``用电量（万kWh）``, ``gas (m3)``), from
``units=`` or, failing both, the carrier's stored unit (kWh, m³, GJ) with a note saying so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from tanmap.geo.emissions import CARRIER_UNITS, convert_carrier
from tanmap.geo.errors import DataFormatError, UnitError
from tanmap.layers.advice import option_hint
from tanmap.layers.ingest.io import DEFAULT_MAX_BYTES, _check_size, _read_table
from tanmap.layers.kinds import LayerKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    import geopandas as gpd

    from tanmap.layers.store.base import LayerVersion, Store

__all__ = [
    "ENERGY_COLUMNS",
    "HEADER_ALIASES",
    "MeteringJoin",
    "MeteringTable",
    "import_metering",
    "join_metering",
    "normalise_address",
    "parse_metering",
    "read_metering",
]

#: Building columns written by a join, per carrier (plus ``energy_year``).
ENERGY_COLUMNS: Mapping[str, str] = {
    "electricity": "electricity_kwh", "gas": "gas_m3", "heat": "heat_gj",
}
#: Accepted headers (before any unit in brackets), lower-cased.
HEADER_ALIASES: Mapping[str, tuple[str, ...]] = {
    "id": ("building_id", "id", "建筑编号", "建筑id", "楼栋编号", "楼宇编号", "编号"),
    "address": ("address", "地址", "建筑地址", "楼宇地址", "详细地址"),
    "year": ("year", "energy_year", "年份", "年度", "统计年份", "能耗年份"),
    "electricity": ("electricity", "electricity_kwh", "用电量", "年用电量", "耗电量", "电耗",
                    "电力"),
    "gas": ("gas", "gas_m3", "natural_gas", "用气量", "年用气量", "天然气", "燃气",
            "天然气用量"),
    "heat": ("heat", "heat_gj", "用热量", "年用热量", "热力", "供热量", "外购热力"),
}
#: Units implied by the English column names of the building layer itself.
_IMPLIED_UNITS: Mapping[str, str] = {"electricity_kwh": "kWh", "gas_m3": "m3", "heat_gj": "GJ"}
_UNIT_IN_HEADER = re.compile(r"^(.*?)\s*[（(\[【]\s*(.+?)\s*[）)\]】]\s*$")


@dataclass(frozen=True)
class MeteringTable:
    """A metering file read and converted: one row per key, energy in kWh, m³ and GJ.

    中文：能耗计量表（已换算单位、按建筑合计）。

    Attributes
    ----------
    frame
        Columns ``key``, ``year`` (Int64 or NA), ``electricity_kwh``, ``gas_m3``, ``heat_gj``.
    by
        ``"id"`` or ``"address"``: what ``key`` holds.
    units
        The file's unit per carrier present (``{"electricity": "万kWh"}``).
    source
        File name and year, recorded as the layer version's source.
    notes
        What was assumed or merged (units defaulted, meters summed, other years left out).
    """

    frame: pd.DataFrame
    by: Literal["id", "address"]
    units: Mapping[str, str]
    source: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeteringJoin:
    """The outcome of joining a metering table onto buildings.

    中文：能耗数据关联结果（匹配数、未匹配、地址重复）。
    """

    buildings: gpd.GeoDataFrame
    matched: int
    unmatched_keys: tuple[str, ...]
    ambiguous_keys: tuple[str, ...]
    n_buildings: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def normalise_address(text: object) -> str | None:
    """Return an address folded for matching: NFKC (full-width -> ASCII), no spaces, lower case.

    中文：地址标准化（全角转半角、去空格）。

    Examples
    --------
    >>> normalise_address(" 中山东一路１２号 "), normalise_address("Zhongshan Rd 12") is None
    ('中山东一路12号', False)
    >>> normalise_address(None) is None
    True
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    folded = unicodedata.normalize("NFKC", str(text))
    out = "".join(ch.lower() for ch in folded if not ch.isspace())
    return out or None


def _id_text(value: object) -> str | None:
    """Return a building id as text: an Excel number 101.0 is the id ``101``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def _split_header(header: str) -> tuple[str, str | None]:
    match = _UNIT_IN_HEADER.match(str(header))
    if match:
        return match.group(1).strip().lower(), match.group(2)
    return str(header).strip().lower(), None


def _number(value: object) -> float:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    if isinstance(value, int | float):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).replace(",", "").strip()
    return float(text) if text else float("nan")


def parse_metering(
    table: pd.DataFrame,
    *,
    name: str,
    by: Literal["id", "address"] = "id",
    year: int | None = None,
    units: Mapping[str, str] | None = None,
) -> MeteringTable:
    """Return a metering table with its units converted and its rows summed per key and year.

    中文：解析能耗计量表（识别表头与单位、换算、同一建筑多表计合计、选定年份）。

    Parameters
    ----------
    table
        The file's rows as read (headers as written).
    name
        File name, for messages and the source.
    by
        Join key: ``"id"`` (building id) or ``"address"``.
    year
        Keep rows of this year; None: the latest year in the file (rows without a year are
        kept either way).
    units
        Unit per carrier (``{"electricity": "万kWh"}``) overriding the header.

    Raises
    ------
    DataFormatError
        No key column, no energy column, a value that is not a number or is negative (the
        message names the row and column), or no rows of ``year``.
    UnitError
        A unit that is unknown or of another dimension (gas in kWh).

    Examples
    --------
    >>> t = pd.DataFrame({"建筑编号": ["A", "A", "B"], "用电量（万kWh）": ["1.2", "0.3", "2"],
    ...                   "用气量(m³)": [None, "100", None]})
    >>> m = parse_metering(t, name="x.csv")
    >>> m.frame[["key", "electricity_kwh", "gas_m3"]].values.tolist()
    [['A', 15000.0, 100.0], ['B', 20000.0, nan]]
    """
    if by not in ("id", "address"):
        raise ValueError(f"by must be 'id' or 'address', got {by!r}")
    found: dict[str, tuple[str, str | None]] = {}
    doubled: dict[str, list[str]] = {}
    for header in table.columns:
        base, unit = _split_header(str(header))
        for role, aliases in HEADER_ALIASES.items():
            if base in aliases:
                doubled.setdefault(role, []).append(str(header))
                found.setdefault(role, (str(header), unit or _IMPLIED_UNITS.get(base)))
    twice = {role: cols for role, cols in doubled.items() if len(cols) > 1}
    if twice:
        listing = "; ".join(f"{role}: {', '.join(cols)}" for role, cols in twice.items())
        raise DataFormatError(
            f"{name}: several columns for one figure ({listing}); keep one column per figure "
            "(sum peak/valley or per-meter columns into one, e.g. 用电量（kWh）)")
    columns = ", ".join(str(c) for c in table.columns)
    if by not in found:
        raise DataFormatError(
            f"{name}: no {'building id' if by == 'id' else 'address'} column among {columns}; "
            f"name it one of {', '.join(HEADER_ALIASES[by])}"
            + (f", or join by address with {option_hint('by', 'address')}" if by == "id" else ""))
    carriers = [c for c in CARRIER_UNITS if c in found]
    if not carriers:
        raise DataFormatError(
            f"{name}: no energy column among {columns}; expected electricity (用电量), gas "
            f"(用气量) or heat (用热量), with the unit in brackets, e.g. 用电量（万kWh）")
    notes: list[str] = []
    out = pd.DataFrame({"key": table[found[by][0]]})
    if by == "address":
        out["key"] = out["key"].map(normalise_address)
    else:
        out["key"] = out["key"].map(_id_text)
    used_units: dict[str, str] = {}
    for carrier in carriers:
        header, header_unit = found[carrier]
        unit = (units or {}).get(carrier) or header_unit
        if unit is None:
            unit = CARRIER_UNITS[carrier]
            notes.append(f"column {header!r} gives no unit: read as {unit} "
                         f"(write it in the header, e.g. {header}（万{unit}）)")
        used_units[carrier] = unit
        values = []
        for row, raw in enumerate(table[header].tolist(), start=2):
            try:
                number = _number(raw)
            except ValueError as err:
                raise DataFormatError(
                    f"{name} row {row} column {header!r}: {raw!r} is not a number") from err
            if number < 0:
                raise DataFormatError(
                    f"{name} row {row} column {header!r}: {raw!r} is negative; energy use is >= 0")
            values.append(number)
        try:
            out[ENERGY_COLUMNS[carrier]] = convert_carrier(
                pd.Series(values, index=table.index, dtype=float), unit, carrier)
        except UnitError as err:
            raise UnitError(f"{name} column {header!r}: {err}") from err
    if "year" in found:
        years = pd.to_numeric(
            table[found["year"][0]].map(lambda v: re.sub(r"\D", "", str(v)) if pd.notna(v)
                                        else None), errors="coerce")
        out["year"] = years.astype("Int64")
    else:
        out["year"] = pd.array([pd.NA] * len(out), dtype="Int64")
    blank = out["key"].isna()
    if blank.any():
        notes.append(f"{int(blank.sum())} row(s) without a {by} left out")
        out = out[~blank]
    present = sorted({int(y) for y in out["year"].dropna()})
    chosen = year if year is not None else (present[-1] if present else None)
    if chosen is not None and present:
        keep = out["year"].isna() | (out["year"] == chosen)
        if not bool((out["year"] == chosen).any()):
            raise DataFormatError(
                f"{name}: no rows of year {chosen}; the file has {', '.join(map(str, present))}")
        if (~keep).any():
            notes.append(f"{int((~keep).sum())} row(s) of other years "
                         f"({', '.join(str(y) for y in present if y != chosen)}) left out; "
                         f"using {chosen}")
        out = out[keep]
    for col in ENERGY_COLUMNS.values():
        if col not in out.columns:
            out[col] = np.nan
    counts = out.groupby("key").size()
    if (counts > 1).any():
        notes.append(f"{int((counts > 1).sum())} building(s) with several rows (meters): summed")
    summed = out.groupby("key", sort=True).agg(
        **{c: (c, lambda s: s.sum(min_count=1)) for c in ENERGY_COLUMNS.values()})
    summed["year"] = chosen if chosen is not None else pd.NA
    frame = summed.reset_index()[["key", "year", *ENERGY_COLUMNS.values()]]
    frame["year"] = frame["year"].astype("Int64")
    source = f"metering {name}" + (f" ({chosen})" if chosen is not None else "")
    return MeteringTable(frame, by, used_units, source, tuple(notes))


def read_metering(
    path: str | Path,
    *,
    by: Literal["id", "address"] = "id",
    year: int | None = None,
    units: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> MeteringTable:
    """Read a metering file (CSV in UTF-8/GBK, or XLSX) into a :class:`MeteringTable`.

    中文：读取能耗计量文件。

    Raises
    ------
    DataFormatError
        The file is missing, unreadable, or its content is refused by :func:`parse_metering`.
    InputTooLargeError
        Larger than ``max_bytes``.
    """
    file = Path(path)
    if not file.is_file():
        raise DataFormatError(f"metering file {file.name} not found; check the path")
    if file.suffix.lower() not in (".csv", ".xlsx", ".xls"):
        raise DataFormatError(
            f"{file.name}: a metering file must be .csv or .xlsx, not {file.suffix or '(none)'}")
    _check_size(file, max_bytes)
    table = _read_table(file, layer=sheet, encoding=encoding)
    return parse_metering(table, name=file.name, by=by, year=year, units=units)


def join_metering(buildings: gpd.GeoDataFrame, metering: MeteringTable) -> MeteringJoin:
    """Return buildings carrying the metered energy (other buildings' energy cleared).

    中文：将计量数据按编号或地址关联到建筑（未匹配、地址重复的单独报告，不猜测）。

    The energy columns of every building are replaced: a building not in the file has no
    metered energy afterwards (the file is the year's record). An address shared by two
    buildings is not joined (``ambiguous_keys``).

    Raises
    ------
    DataFormatError
        Joining by address when the buildings have no ``address`` column.
    """
    out = buildings.copy()
    for col in (*ENERGY_COLUMNS.values(), "energy_year"):
        out[col] = np.nan
    if metering.by == "address":
        if "address" not in out.columns:
            raise DataFormatError(
                "the buildings have no address column to join the metering file on; "
                f"add addresses to the building layer or join by id ({option_hint('by', 'id')})")
        keys = out["address"].map(normalise_address)
    else:
        keys = out["id"].map(lambda v: None if pd.isna(v) else str(v).strip())
    dup = keys[keys.notna() & keys.duplicated(keep=False)]
    ambiguous = set(dup.astype(str))
    table = metering.frame.set_index("key")
    usable = keys.where(~keys.isin(ambiguous))
    hit = usable.isin(table.index) & usable.notna()
    rows = table.reindex(usable[hit].to_numpy())
    for col in ENERGY_COLUMNS.values():
        out.loc[hit, col] = rows[col].to_numpy(dtype=float)
    out.loc[hit, "energy_year"] = rows["year"].astype("Float64").to_numpy(
        dtype=float, na_value=np.nan)
    out["energy_year"] = out["energy_year"].astype("Int64")
    known = set(keys.dropna().astype(str))
    unmatched = tuple(sorted(k for k in table.index.astype(str) if k not in known))
    return MeteringJoin(out, int(hit.sum()), unmatched,
                        tuple(sorted(ambiguous & set(table.index.astype(str)))), len(out),
                        metering.notes)


def import_metering(
    store: Store,
    path: str | Path,
    district: str,
    *,
    by: Literal["id", "address"] = "id",
    year: int | None = None,
    units: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
) -> tuple[MeteringJoin, LayerVersion | None]:
    """Join a metering file onto the district's buildings and store them as a new version.

    中文：导入能耗计量数据（生成建筑图层新版本，可回退）。

    Raises
    ------
    LayerNotFoundError
        The district has no building layer yet (import buildings first).
    DataFormatError
        See :func:`read_metering`; also when no building matches (nothing is written).
    """
    from tanmap.geo.errors import LayerNotFoundError

    metering = read_metering(path, by=by, year=year, units=units, encoding=encoding,
                             sheet=sheet)
    if store.version(LayerKind.BUILDING, district) is None:
        raise LayerNotFoundError(
            f"district {district} has no building layer; import buildings first "
            f"(tanmap import building FILE --district {district})")
    buildings = store.read(LayerKind.BUILDING, district=district)
    joined = join_metering(buildings, metering)
    if joined.matched == 0:
        sample = ", ".join(joined.unmatched_keys[:5])
        raise DataFormatError(
            f"{Path(path).name}: no row matches a building {by} in district {district} "
            f"(file keys such as {sample}); check the key column or join by the other key "
            f"({option_hint('by', 'address' if by == 'id' else 'id')})")
    if dry_run or len(joined.buildings) == 0:
        return joined, None
    version = store.write(LayerKind.BUILDING, joined.buildings, district=district,
                          source=metering.source)
    return joined, version
