"""Building carbon emissions (建筑碳排放): metered or estimated energy x named, dated factors.

中文：建筑碳排放量地图的计算（实测能耗或按能耗指标估算 x 排放因子；街道汇总；重点排放建筑）。

Every figure names where it came from: a building's energy is *measured* (a bureau's metering
file joined onto the building layer: ``electricity_kwh``, ``gas_m3``, ``heat_gj``,
``energy_year``) or *estimated* (gross floor area x an energy-use intensity by use type and
climate zone, GB/T 51161-2016 民用建筑能耗标准, overridable), or there is *no figure* (no floor
area, or no intensity for the use type): reported, never guessed. Emission factors are named and
dated (:class:`DatedFactor`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from tanmap.geo.crs import require_projected
from tanmap.geo.errors import MetricParameterError, UnitError
from tanmap.geo.metric import MetricContext, MetricDef, MetricResult, params_to_dict
from tanmap.geo.quantities import convert, parse_unit
from tanmap.geo.units import assign_to_units

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CARRIER_UNITS",
    "CLIMATE_ZONES",
    "CLIMATE_ZONE_BY_PROVINCE",
    "EUI_GBT51161",
    "GAS_FACTOR",
    "GRID_FACTORS",
    "HEATING_GJ_PER_M2",
    "HEAT_FACTOR",
    "NATIONAL_GRID_FACTOR",
    "RESIDENTIAL_DWELLING_M2",
    "USE_CATEGORY_ENERGY_TYPE",
    "BuildingEmissionsParams",
    "DatedFactor",
    "EmissionMapCoverageParams",
    "EuiValue",
    "FactorSet",
    "building_emissions",
    "climate_zone_for",
    "convert_carrier",
    "emissions_per_unit",
    "factors_for",
    "intensity_classes",
    "top_emitters",
]

Carrier = Literal["electricity", "gas", "heat"]

#: The unit each energy carrier is held in on the building layer.
CARRIER_UNITS: Mapping[str, str] = {"electricity": "kWh", "gas": "m3", "heat": "GJ"}
#: Building columns of the metered energy, per carrier.
_CARRIER_COLUMNS: Mapping[str, str] = {
    "electricity": "electricity_kwh", "gas": "gas_m3", "heat": "heat_gj",
}


@dataclass(frozen=True)
class DatedFactor:
    """A named, dated emission factor (tCO₂ per unit of an energy carrier).

    中文：排放因子（名称、数值、单位、数据年份、来源）。

    Parameters
    ----------
    name
        What the factor is, e.g. ``"上海市电力排放因子"``.
    tco2_per_unit
        tCO₂ per one ``unit``.
    unit
        ``"kWh"`` (electricity), ``"m3"`` (natural gas) or ``"GJ"`` (heat).
    data_year
        Year the factor describes (0: unknown, e.g. a user's value).
    source
        The publishing document (number and date); ``[verify]`` when not checked against it.
    """

    name: str
    tco2_per_unit: float
    unit: str
    data_year: int
    source: str

    def as_dict(self) -> dict[str, Any]:
        """Return the factor as plain values (for result details and cards)."""
        return {"name": self.name, "tco2_per_unit": self.tco2_per_unit, "unit": self.unit,
                "data_year": self.data_year, "source": self.source}


@dataclass(frozen=True)
class FactorSet:
    """The three factors a building's emissions need.

    中文：电力、天然气、热力排放因子。
    """

    electricity: DatedFactor
    gas: DatedFactor
    heat: DatedFactor

    def as_dict(self) -> dict[str, Any]:
        """Return the set as plain values."""
        return {"electricity": self.electricity.as_dict(), "gas": self.gas.as_dict(),
                "heat": self.heat.as_dict()}


#: 全国电网平均排放因子 0.5703 tCO₂/MWh (2022), 生态环境部 环办气候函〔2023〕43号 (2023-02);
#: the same factor ``tanmap.geo.pv`` uses for tCO₂ avoided.
NATIONAL_GRID_FACTOR = DatedFactor(
    "全国电网平均排放因子 (national grid average)", 0.5703 / 1000.0, "kWh", 2022,
    "生态环境部 环办气候函〔2023〕43号 (2023-02)",
)
#: Grid factor by province (adcode prefix). 上海市 4.2 tCO₂/万kWh: 上海市生态环境局
#: 《关于调整本市温室气体排放核算指南相关排放因子数值的通知》 沪环气〔2022〕34号 [verify].
GRID_FACTORS: Mapping[str, DatedFactor] = {
    "31": DatedFactor("上海市电力排放因子 (Shanghai grid)", 4.2 / 10_000.0, "kWh", 2022,
                      "上海市生态环境局 沪环气〔2022〕34号 [verify]"),
}
#: Natural gas: NCV 389.31 GJ/万Nm³ x carbon content 15.3 tC/TJ x oxidation 99 % x 44/12
#: = 2.162 kgCO₂/m³; defaults of 《公共建筑运营单位（企业）温室气体排放核算方法和报告指南（试行）》
#: (国家发展改革委 发改办气候〔2015〕1722号) [verify].
GAS_FACTOR = DatedFactor(
    "天然气排放因子 (natural gas)", 389.31 / 10_000.0 * 15.3 / 1000.0 * 0.99 * 44.0 / 12.0,
    "m3", 2015, "发改办气候〔2015〕1722号 公共建筑运营单位温室气体核算指南 缺省值 [verify]",
)
#: Purchased heat 0.11 tCO₂/GJ, default of the same national accounting guides.
HEAT_FACTOR = DatedFactor(
    "热力排放因子 (purchased heat)", 0.11, "GJ", 2015,
    "发改办气候〔2015〕1722号 公共建筑运营单位温室气体核算指南 缺省值",
)

#: Building climate zones (建筑热工设计分区, GB 50176-2016) as GB/T 51161-2016 groups them
#: for non-heating energy: code -> (中文, English).
CLIMATE_ZONES: Mapping[str, tuple[str, str]] = {
    "cold": ("严寒和寒冷地区", "Severe cold and cold"),
    "hscw": ("夏热冬冷地区", "Hot summer, cold winter"),
    "hsww": ("夏热冬暖地区", "Hot summer, warm winter"),
    "mild": ("温和地区", "Mild"),
}
#: Climate zone by province (adcode prefix), the zone of the provincial capital and most of
#: the province (GB 50176-2016 fig. 4.1.2) [verify for border counties]; override per district.
CLIMATE_ZONE_BY_PROVINCE: Mapping[str, str] = {
    **dict.fromkeys(("11", "12", "13", "14", "15", "21", "22", "23", "37", "41", "54", "61",
                     "62", "63", "64", "65"), "cold"),
    **dict.fromkeys(("31", "32", "33", "34", "36", "42", "43", "50", "51"), "hscw"),
    **dict.fromkeys(("35", "44", "45", "46", "71", "81", "82"), "hsww"),
    **dict.fromkeys(("52", "53"), "mild"),
}


@dataclass(frozen=True)
class EuiValue:
    """One energy-use intensity (能耗指标): kWh per m² of floor area per year.

    中文：建筑能耗指标（约束值/引导值）。
    """

    kwh_per_m2: float
    source: str


#: A dwelling of 90 m² turns GB/T 51161's per-household residential figure into kWh/m² [verify].
RESIDENTIAL_DWELLING_M2 = 90.0

_GB = "GB/T 51161-2016 民用建筑能耗标准"


def _eui_table() -> dict[tuple[str, str, str], EuiValue]:
    # (use type, climate zone) -> (约束值 constraint, 引导值 guide) in kWh/(m²·a), A类 buildings
    # (naturally ventilated in part), non-heating energy. [verify] every figure against the
    # standard's tables before a bureau relies on it; all are overridable (``eui=``).
    office_gov = {"cold": (70, 50), "hscw": (85, 65), "hsww": (80, 60), "mild": (65, 50)}
    office_com = {"cold": (85, 65), "hscw": (90, 70), "hsww": (100, 80), "mild": (75, 60)}
    hotel = {"cold": (110, 90), "hscw": (130, 110), "hsww": (120, 100), "mild": (90, 80)}
    mall = {"cold": (140, 100), "hscw": (160, 120), "hsww": (190, 140), "mild": (100, 80)}
    # 表4.2.1 居住建筑非供暖能耗指标 kWh/(a·H), per household.
    home = {"cold": (2700, 2100), "hscw": (3100, 2300), "hsww": (2900, 2100),
            "mild": (2200, 1700)}
    table: dict[tuple[str, str, str], EuiValue] = {}
    for use, clause, values, per_home in (
        ("office_gov", "表5.2.1 A类党政机关办公建筑", office_gov, False),
        ("office_commercial", "表5.2.1 A类商业办公建筑", office_com, False),
        ("hotel", "表5.2.2 A类三星级及以下宾馆酒店", hotel, False),
        ("mall", "表5.2.3 A类一般百货店", mall, False),
        ("residential", "表4.2.1 居住建筑（每户）", home, True),
    ):
        for zone, (constraint, guide) in values.items():
            for level, value in (("constraint", constraint), ("guide", guide)):
                word = "约束值" if level == "constraint" else "引导值"
                kwh = value / RESIDENTIAL_DWELLING_M2 if per_home else float(value)
                extra = (f" ({value} kWh/户 ÷ {RESIDENTIAL_DWELLING_M2:g} m²/户)"
                         if per_home else "")
                table[(use, zone, level)] = EuiValue(
                    kwh, f"{_GB} {clause} {CLIMATE_ZONES[zone][0]} {word}{extra} [verify]")
    return table


#: (use type, climate zone, "constraint" | "guide") -> :class:`EuiValue`.
EUI_GBT51161: Mapping[tuple[str, str, str], EuiValue] = _eui_table()
#: Energy use type of a building by its ``use_category`` when ``energy_use_type`` is blank.
#: 学校、医院 (``public``) and factories have no GB/T 51161 figure: no default, so no guess.
USE_CATEGORY_ENERGY_TYPE: Mapping[str, str] = {
    "party_gov": "office_gov",
    "commercial_industrial": "office_commercial",
    "residential": "residential",
}
#: Heating energy of district-heated buildings in 严寒和寒冷地区 (GJ per m² per year) [verify]:
#: applied to estimated buildings of the ``cold`` zone only; override per city.
HEATING_GJ_PER_M2: Mapping[str, float] = {"cold": 0.30}


def climate_zone_for(adcode: str) -> str:
    """Return the building climate zone of a district from its adcode's province.

    中文：按行政区划代码确定建筑热工分区。

    Raises
    ------
    MetricParameterError
        If the province is not in :data:`CLIMATE_ZONE_BY_PROVINCE`; pass ``climate_zone``.

    Examples
    --------
    >>> climate_zone_for("310101"), climate_zone_for("120101"), climate_zone_for("430781")
    ('hscw', 'cold', 'hscw')
    """
    zone = CLIMATE_ZONE_BY_PROVINCE.get(str(adcode)[:2])
    if zone is None:
        raise MetricParameterError(
            f"no building climate zone known for adcode {adcode!r}; set the parameter "
            f"climate_zone to one of {', '.join(CLIMATE_ZONES)}")
    return zone


def factors_for(
    adcode: str,
    *,
    grid_tco2_per_mwh: float | None = None,
    gas_kgco2_per_m3: float | None = None,
    heat_tco2_per_gj: float | None = None,
) -> FactorSet:
    """Return the emission factors for a district: its province's grid factor, else national.

    中文：区县适用的排放因子（电力按省级，否则全国平均；可覆盖）。

    A value given here replaces the default and is named ``user-supplied``.

    Raises
    ------
    MetricParameterError
        If a given factor is negative or not finite.

    Examples
    --------
    >>> f = factors_for("310101")
    >>> round(f.electricity.tco2_per_unit * 1000, 6), round(f.gas.tco2_per_unit * 1000, 3)
    (0.42, 2.162)
    >>> factors_for("120101").electricity.data_year
    2022
    """
    for pname, given in (("grid_tco2_per_mwh", grid_tco2_per_mwh),
                         ("gas_kgco2_per_m3", gas_kgco2_per_m3),
                         ("heat_tco2_per_gj", heat_tco2_per_gj)):
        if given is not None and not (math.isfinite(given) and given >= 0):
            raise MetricParameterError(f"{pname} must be a number >= 0, got {given!r}")
    grid = GRID_FACTORS.get(str(adcode)[:2], NATIONAL_GRID_FACTOR)
    if grid_tco2_per_mwh is not None:
        grid = DatedFactor("user-supplied grid factor", grid_tco2_per_mwh / 1000.0, "kWh", 0,
                           "parameter grid_tco2_per_mwh")
    gas = GAS_FACTOR if gas_kgco2_per_m3 is None else DatedFactor(
        "user-supplied gas factor", gas_kgco2_per_m3 / 1000.0, "m3", 0,
        "parameter gas_kgco2_per_m3")
    heat = HEAT_FACTOR if heat_tco2_per_gj is None else DatedFactor(
        "user-supplied heat factor", heat_tco2_per_gj, "GJ", 0, "parameter heat_tco2_per_gj")
    return FactorSet(grid, gas, heat)


def convert_carrier(values: Any, unit: str, carrier: str) -> Any:
    """Return energy ``values`` given in ``unit`` in the carrier's stored unit.

    中文：能耗单位换算（电：kWh；气：m³；热：GJ）。支持 万kWh、度、万m³、MJ、百万千焦 等。

    Parameters
    ----------
    values
        A number or a numeric Series.
    unit
        The file's unit, e.g. ``"万kWh"``, ``"万立方米"``, ``"MJ"``.
    carrier
        ``"electricity"``, ``"gas"`` or ``"heat"``.

    Raises
    ------
    UnitError
        For an unknown unit or one of another dimension (gas in kWh); the message names the
        carrier and its unit.

    Examples
    --------
    >>> convert_carrier(1.5, "万kWh", "electricity"), convert_carrier(2.0, "万m3", "gas")
    (15000.0, 20000.0)
    >>> convert_carrier(500.0, "MJ", "heat"), convert_carrier(3.0, "百万千焦", "heat")
    (0.5, 3.0)
    """
    if carrier not in CARRIER_UNITS:
        raise ValueError(f"carrier must be one of {', '.join(CARRIER_UNITS)}, got {carrier!r}")
    target = CARRIER_UNITS[carrier]
    src = parse_unit(unit)
    if src.dimension != parse_unit(target).dimension:
        raise UnitError(
            f"{carrier} in {unit!r}: {src.describe()} is not a unit of {carrier} "
            f"(expected {target} or a multiple such as 万{target})")
    one = convert(1.0, src, target)
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").astype(float) * one
    return float(values) * one


def _floor_area(buildings: gpd.GeoDataFrame) -> tuple[pd.Series, pd.Series]:
    """Return (floor area m², basis) per building: given, footprint x floors, or NaN/None."""
    given = (pd.to_numeric(buildings["floor_area_m2"], errors="coerce").astype(float)
             if "floor_area_m2" in buildings.columns
             else pd.Series(np.nan, index=buildings.index))
    given = given.where(given > 0)
    area = given.copy()
    basis = pd.Series(["given" if ok else None for ok in given.notna()],
                      index=buildings.index, dtype=object)
    if "floors" in buildings.columns:
        floors = pd.to_numeric(buildings["floors"], errors="coerce").astype(float)
        derived = buildings.geometry.area.astype(float) * floors
        use = area.isna() & (floors > 0)
        area = area.where(~use, derived)
        basis = basis.where(~use, "footprint_x_floors")
    return area, basis


def _measured(buildings: gpd.GeoDataFrame, carrier: str) -> pd.Series:
    col = _CARRIER_COLUMNS[carrier]
    if col not in buildings.columns:
        return pd.Series(np.nan, index=buildings.index)
    return pd.to_numeric(buildings[col], errors="coerce").astype(float)


def _energy_types(buildings: gpd.GeoDataFrame, use_map: Mapping[str, str]) -> pd.Series:
    category = (buildings["use_category"].astype(object) if "use_category" in buildings.columns
                else pd.Series(None, index=buildings.index, dtype=object))
    mapped = category.map(lambda c: use_map.get(str(c)) if pd.notna(c) else None)
    if "energy_use_type" not in buildings.columns:
        return mapped.astype(object)
    own = buildings["energy_use_type"].astype(object)
    own = own.where(own.notna() & (own.astype(str).str.strip() != ""), None)
    return own.where(own.notna(), mapped).astype(object)


def building_emissions(
    buildings: gpd.GeoDataFrame,
    *,
    climate_zone: str,
    factors: FactorSet,
    eui: Mapping[str, float] | None = None,
    eui_level: Literal["constraint", "guide"] = "constraint",
    use_map: Mapping[str, str] | None = None,
    heating_gj_per_m2: float | None = None,
) -> pd.DataFrame:
    """Return each building's energy, tCO₂ and tCO₂/m², with the basis of every figure.

    中文：逐栋建筑碳排放（实测优先；缺失时按建筑面积 x 能耗指标估算，标注"估算"；无面积则不估算）。

    A building with any metered carrier (``electricity_kwh``, ``gas_m3``, ``heat_gj``) is
    ``measured``: its metered carriers count, the others are 0 (a metering file is complete for
    what it meters). Otherwise it is ``estimated`` = floor area x EUI (electricity) plus, in the
    ``cold`` zone, floor area x heating GJ/m² (heat), when both a floor area and an EUI exist;
    else ``no_data`` with the ``reason`` (``no_floor_area`` / ``no_eui``).

    Parameters
    ----------
    buildings
        Buildings in a projected CRS; optional columns ``use_category``, ``energy_use_type``
        (a key of the EUI table: office_gov, office_commercial, hotel, mall, residential),
        ``floor_area_m2``, ``floors`` (floor area = footprint x floors when no
        ``floor_area_m2``), ``electricity_kwh``, ``gas_m3``, ``heat_gj``, ``energy_year``.
    climate_zone
        A key of :data:`CLIMATE_ZONES`.
    factors
        Emission factors (:func:`factors_for`).
    eui
        kWh/(m²·a) by energy use type, overriding :data:`EUI_GBT51161`; a type only here is
        added (source ``user-supplied``).
    eui_level
        GB/T 51161's ``"constraint"`` (约束值, default) or ``"guide"`` (引导值) figures.
    use_map
        ``use_category`` -> energy use type, overriding :data:`USE_CATEGORY_ENERGY_TYPE`.
    heating_gj_per_m2
        Heating of estimated buildings; default :data:`HEATING_GJ_PER_M2` of the zone (0 when
        the zone has none).

    Returns
    -------
    DataFrame
        On the buildings' index: ``basis`` (measured/estimated/no_data), ``reason``,
        ``energy_use_type``, ``floor_area_m2``, ``floor_area_basis``, ``electricity_kwh``,
        ``gas_m3``, ``heat_gj``, ``eui_kwh_per_m2``, ``eui_source``, ``tco2_electricity``,
        ``tco2_gas``, ``tco2_heat``, ``tco2``, ``tco2_per_m2`` (NaN when unknown).

    Raises
    ------
    GeographicCRSError
        If the buildings are in degrees (footprint x floors needs metres).
    MetricParameterError
        For an unknown climate zone or a negative EUI / heating figure.

    Examples
    --------
    A 1,000 m² government office in Shanghai with no metering: 1,000 m² x 85 kWh/m² x
    0.42 kgCO₂/kWh = 35.7 tCO₂.

    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"id": ["a"], "use_category": ["party_gov"],
    ...     "floor_area_m2": [1000.0]}, geometry=[box(0, 0, 10, 10)], crs=4549)
    >>> r = building_emissions(b, climate_zone="hscw", factors=factors_for("310101"))
    >>> r.loc[0, "basis"], round(float(r.loc[0, "tco2"]), 6), float(r.loc[0, "tco2_per_m2"])
    ('estimated', 35.7, 0.0357)
    """
    require_projected(buildings.geometry, what="buildings")
    if climate_zone not in CLIMATE_ZONES:
        raise MetricParameterError(
            f"unknown climate_zone {climate_zone!r}; use one of {', '.join(CLIMATE_ZONES)}")
    bad = {k: v for k, v in (eui or {}).items() if not (math.isfinite(v) and v >= 0)}
    if bad:
        raise MetricParameterError(f"eui values must be kWh/m² >= 0, got {bad}")
    heating = (HEATING_GJ_PER_M2.get(climate_zone, 0.0) if heating_gj_per_m2 is None
               else heating_gj_per_m2)
    if not (math.isfinite(heating) and heating >= 0):
        raise MetricParameterError(f"heating_gj_per_m2 must be >= 0, got {heating_gj_per_m2!r}")
    table: dict[str, EuiValue] = {
        use: v for (use, zone, level), v in EUI_GBT51161.items()
        if zone == climate_zone and level == eui_level
    }
    for use, value in (eui or {}).items():
        table[use] = EuiValue(float(value), f"user-supplied EUI for {use}")

    idx = buildings.index
    area, area_basis = _floor_area(buildings)
    kinds = _energy_types(buildings, {**USE_CATEGORY_ENERGY_TYPE, **(use_map or {})})
    measured = {c: _measured(buildings, c) for c in CARRIER_UNITS}
    is_measured = pd.concat(list(measured.values()), axis=1).notna().any(axis=1)
    eui_kwh = kinds.map(lambda k: table[k].kwh_per_m2 if k in table else np.nan).astype(float)
    eui_src = kinds.map(lambda k: table[k].source if k in table else None).astype(object)
    can_estimate = ~is_measured & area.notna() & eui_kwh.notna()

    elec = measured["electricity"].fillna(0.0).where(is_measured, area * eui_kwh)
    gas = measured["gas"].fillna(0.0).where(is_measured, 0.0)
    heat = measured["heat"].fillna(0.0).where(is_measured, area * heating)
    known = is_measured | can_estimate
    elec, gas, heat = elec.where(known), gas.where(known), heat.where(known)

    basis = pd.Series(np.where(is_measured, "measured",
                               np.where(can_estimate, "estimated", "no_data")), index=idx)
    reason_codes = np.full(len(idx), None, dtype=object)
    reason_codes[(~known & area.isna()).to_numpy()] = "no_floor_area"
    reason_codes[(~known & area.notna() & eui_kwh.isna()).to_numpy()] = "no_eui"
    reason = pd.Series(reason_codes, index=idx, dtype=object)

    t_elec = elec * factors.electricity.tco2_per_unit
    t_gas = gas * factors.gas.tco2_per_unit
    t_heat = heat * factors.heat.tco2_per_unit
    tco2 = t_elec + t_gas + t_heat
    return pd.DataFrame({
        "basis": basis.astype(object),
        "reason": reason,
        "energy_use_type": kinds,
        "floor_area_m2": area,
        "floor_area_basis": area_basis,
        "electricity_kwh": elec,
        "gas_m3": gas,
        "heat_gj": heat,
        "eui_kwh_per_m2": eui_kwh.where(basis == "estimated"),
        "eui_source": eui_src.where(basis == "estimated", None),
        "tco2_electricity": t_elec,
        "tco2_gas": t_gas,
        "tco2_heat": t_heat,
        "tco2": tco2,
        "tco2_per_m2": tco2 / area,
    }, index=idx)


def emissions_per_unit(
    buildings: gpd.GeoDataFrame, emissions: pd.DataFrame, units: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Return tCO₂, floor area and intensity per unit (街道), plus a row for buildings outside.

    中文：各街道碳排放总量与强度（吨CO₂、吨CO₂/m²）。

    A building belongs to the unit holding its anchor point (``units.assign_to_units``); those
    in no unit form a last row with ``unit_id`` None, so the rows' ``tco2`` sum to the
    buildings' sum. Intensity = tCO₂ of buildings with a floor area / their floor area.

    Returns
    -------
    DataFrame
        ``unit_id``, ``unit_name``, ``n_buildings``, ``n_measured``, ``n_estimated``,
        ``n_no_data``, ``tco2``, ``floor_area_m2``, ``tco2_per_m2`` (NaN: no floor area).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"id": ["s1"], "name": ["甲街道"]},
    ...                          geometry=[box(0, 0, 100, 100)], crs=4549)
    >>> b = gpd.GeoDataFrame(geometry=[box(1, 1, 2, 2), box(200, 0, 201, 1)], crs=4549)
    >>> e = pd.DataFrame({"basis": ["measured", "estimated"], "tco2": [3.0, 2.0],
    ...                   "floor_area_m2": [100.0, 50.0]})
    >>> emissions_per_unit(b, e, units)[["unit_id", "tco2", "tco2_per_m2"]].values.tolist()
    [['s1', 3.0, 0.03], [None, 2.0, 0.04]]
    """
    owner = assign_to_units(buildings.geometry, units).astype(object).to_numpy()
    frame = pd.DataFrame({
        "unit": owner,
        "basis": emissions["basis"].to_numpy(),
        "tco2": emissions["tco2"].fillna(0.0).to_numpy(dtype=float),
        "area": emissions["floor_area_m2"].to_numpy(dtype=float),
    })
    with_area = frame["area"].notna() & emissions["tco2"].notna().to_numpy()
    frame["tco2_area"] = np.where(with_area, frame["tco2"], 0.0)
    frame["area_used"] = np.where(with_area, frame["area"], 0.0)
    names = units["name"] if "name" in units.columns else units["id"]
    rows = [(str(i), str(n)) for i, n in zip(units["id"], names, strict=True)]
    if pd.isna(frame["unit"]).any():
        rows.append((None, "(不在任何街道 outside every unit)"))  # type: ignore[arg-type]
    out = []
    for unit_id, unit_name in rows:
        part = frame[pd.isna(frame["unit"])] if unit_id is None else frame[
            frame["unit"] == unit_id]
        area_sum = float(part["area_used"].sum())
        out.append({
            "unit_id": unit_id, "unit_name": unit_name, "n_buildings": len(part),
            "n_measured": int((part["basis"] == "measured").sum()),
            "n_estimated": int((part["basis"] == "estimated").sum()),
            "n_no_data": int((part["basis"] == "no_data").sum()),
            "tco2": float(part["tco2"].sum()),
            "floor_area_m2": area_sum,
            "tco2_per_m2": float(part["tco2_area"].sum()) / area_sum if area_sum > 0 else math.nan,
        })
    table = pd.DataFrame(out, columns=["unit_id", "unit_name", "n_buildings", "n_measured",
                                       "n_estimated", "n_no_data", "tco2", "floor_area_m2",
                                       "tco2_per_m2"])
    # None (outside every unit) stays None, not NaN: it is an id column.
    table["unit_id"] = pd.Series([r["unit_id"] for r in out], dtype=object)
    return table


def top_emitters(emissions: pd.DataFrame, ids: pd.Series, n: int = 10) -> pd.DataFrame:
    """Return the ``n`` buildings with the largest tCO₂ (ties: by id), with their basis.

    中文：重点排放建筑（排放量前 n 名）。

    Examples
    --------
    >>> e = pd.DataFrame({"tco2": [1.0, 5.0, 5.0, None], "basis": ["measured"] * 3 + ["no_data"]})
    >>> top_emitters(e, pd.Series(["a", "c", "b", "d"]), n=2)["id"].tolist()
    ['b', 'c']
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    table = emissions.assign(id=ids.astype(str).to_numpy())
    table = table[table["tco2"].notna()]
    table = table.sort_values(["tco2", "id"], ascending=[False, True], kind="mergesort")
    return table.head(n).assign(rank=np.arange(1, min(n, len(table)) + 1))


#: Above this many values Fisher-Jenks runs on that many evenly spaced quantiles.
_JENKS_SAMPLE = 1000


def intensity_classes(
    values: pd.Series, k: int = 5, scheme: Literal["fisher_jenks", "quantiles"] = "fisher_jenks"
) -> tuple[list[float], pd.Series]:
    """Return class upper bounds and each value's class (0..k-1; -1 for NaN), via mapclassify.

    中文：分级设色（自然断点 / 分位数），用于碳排放强度图例。

    Fewer distinct values than ``k`` give one class per distinct value.

    Raises
    ------
    ValueError
        If ``k`` < 1 or ``scheme`` is unknown.

    Examples
    --------
    >>> bins, cls = intensity_classes(pd.Series([1.0, 1.0, 2.0, 10.0, 11.0, None]), k=2)
    >>> bins, cls.tolist()
    ([2.0, 11.0], [0, 0, 0, 1, 1, -1])
    """
    import mapclassify  # heavy (scikit-learn), only the map needs it

    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if scheme not in ("fisher_jenks", "quantiles"):
        raise ValueError(f"scheme must be 'fisher_jenks' or 'quantiles', got {scheme!r}")
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    valid = numbers[np.isfinite(numbers)]
    cls = pd.Series(-1, index=values.index, dtype=int)
    if valid.empty:
        return [], cls
    distinct = np.unique(valid.to_numpy())
    if len(distinct) <= k:
        bins = [float(v) for v in distinct]
    else:
        data = valid.to_numpy()
        if scheme == "fisher_jenks" and len(data) > _JENKS_SAMPLE:
            # Fisher-Jenks is quadratic in n: classify evenly spaced quantiles instead (the
            # same every run, unlike mapclassify's random FisherJenksSampled); the top class
            # still ends at the true maximum.
            data = np.quantile(data, np.linspace(0.0, 1.0, _JENKS_SAMPLE))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mapclassify warns on ties it resolves itself
            classifier = (mapclassify.FisherJenks(data, k=k) if scheme == "fisher_jenks"
                          else mapclassify.Quantiles(data, k=k))
        bins = sorted({float(b) for b in classifier.bins})
        if len(data) < len(valid):
            # A break found on the sample sits between two sample points: values between
            # them go to the nearer one's class (the bound becomes the last real value below
            # the midpoint), so every value has a class and clusters stay whole.
            everything = np.sort(valid.to_numpy())
            for i, bound in enumerate(bins[:-1]):
                j = int(np.searchsorted(data, bound, side="right"))
                cut = (bound + data[j]) / 2.0 if j < len(data) else np.inf
                bins[i] = float(everything[everything <= cut][-1])
        bins[-1] = float(valid.max())
    cls[valid.index] = np.searchsorted(np.asarray(bins), valid.to_numpy(), side="left")
    return bins, cls


# --------------------------------------------------------------------------------------------
# Metric definitions


@dataclass(frozen=True)
class BuildingEmissionsParams:
    """Parameters of ``building_emissions`` and ``emission_map_coverage``.

    中文：建筑碳排放参数（热工分区、能耗指标、排放因子、重点排放建筑数）。

    Parameters
    ----------
    climate_zone
        None: from the district's province (:func:`climate_zone_for`).
    eui
        kWh/(m²·a) by energy use type, overriding GB/T 51161-2016 values.
    eui_level
        ``"constraint"`` (约束值) or ``"guide"`` (引导值).
    use_map
        ``use_category`` -> energy use type overrides (e.g. ``{"public": "office_gov"}``).
    heating_gj_per_m2
        Heating of estimated buildings; None: the zone's default.
    grid_tco2_per_mwh, gas_kgco2_per_m3, heat_tco2_per_gj
        Emission factors replacing the dated defaults.
    top_n
        How many top emitters to list.
    """

    climate_zone: str | None = None
    eui: dict[str, float] | None = None
    eui_level: Literal["constraint", "guide"] = "constraint"
    use_map: dict[str, str] | None = None
    heating_gj_per_m2: float | None = None
    grid_tco2_per_mwh: float | None = None
    gas_kgco2_per_m3: float | None = None
    heat_tco2_per_gj: float | None = None
    top_n: int = 10

    def __post_init__(self) -> None:
        if self.climate_zone is not None and self.climate_zone not in CLIMATE_ZONES:
            raise MetricParameterError(
                f"unknown climate_zone {self.climate_zone!r}; use one of "
                f"{', '.join(CLIMATE_ZONES)}")
        if self.top_n < 0:
            raise MetricParameterError(f"top_n must be >= 0, got {self.top_n}")


@dataclass(frozen=True)
class EmissionMapCoverageParams(BuildingEmissionsParams):
    """Parameters of ``emission_map_coverage``: which figures count and how buildings weigh.

    中文：碳排放量地图覆盖率参数。

    Parameters
    ----------
    basis
        ``"any"``: measured or estimated figures count; ``"measured"``: metered only.
    by
        ``"count"`` (buildings) or ``"floor_area"`` (m², buildings with a floor area).
    """

    basis: Literal["any", "measured"] = "any"
    by: Literal["count", "floor_area"] = "count"


@dataclass(frozen=True)
class _Run:
    buildings: gpd.GeoDataFrame
    emissions: pd.DataFrame
    factors: FactorSet
    zone: str
    details: dict[str, Any] = field(default_factory=dict)


def _run(frames: Mapping[str, gpd.GeoDataFrame], params: BuildingEmissionsParams,
         context: MetricContext) -> _Run:
    buildings = frames["building"]
    zone = params.climate_zone or climate_zone_for(context.adcode)
    factors = factors_for(context.adcode, grid_tco2_per_mwh=params.grid_tco2_per_mwh,
                          gas_kgco2_per_m3=params.gas_kgco2_per_m3,
                          heat_tco2_per_gj=params.heat_tco2_per_gj)
    em = building_emissions(buildings, climate_zone=zone, factors=factors, eui=params.eui,
                            eui_level=params.eui_level, use_map=params.use_map,
                            heating_gj_per_m2=params.heating_gj_per_m2)
    n = len(em)
    counts = em["basis"].value_counts()
    n_meas, n_est = int(counts.get("measured", 0)), int(counts.get("estimated", 0))
    years = (pd.to_numeric(buildings["energy_year"], errors="coerce").dropna().astype(int)
             if "energy_year" in buildings.columns else pd.Series(dtype=int))
    details: dict[str, Any] = {
        "n_buildings": n, "n_measured": n_meas, "n_estimated": n_est,
        "n_no_data": n - n_meas - n_est,
        "no_data_reasons": {str(k): int(v) for k, v in em["reason"].value_counts().items()},
        "measured_share": n_meas / n if n else None,
        "map_coverage_share": (n_meas + n_est) / n if n else None,
        "tco2_measured": float(em.loc[em["basis"] == "measured", "tco2"].sum()),
        "tco2_estimated": float(em.loc[em["basis"] == "estimated", "tco2"].sum()),
        "energy_years": sorted({int(y) for y in years}),
        "climate_zone": zone, "climate_zone_zh": CLIMATE_ZONES[zone][0],
        "factors": factors.as_dict(),
    }
    return _Run(buildings, em, factors, zone, details)


_RULE = ("metered energy, else floor area x GB/T 51161-2016 EUI [verify]; "
         "dated emission factors (tanmap rule v1)")


def _compute_emissions(frames: Mapping[str, gpd.GeoDataFrame], params: BuildingEmissionsParams,
                       context: MetricContext) -> MetricResult:
    name = "building_emissions"
    if "building" not in frames:
        return MetricResult(name=name, value=None, unit="tCO2", params=params_to_dict(params),
                            missing=("building",))
    run = _run(frames, params, context)
    em, buildings = run.emissions, run.buildings
    ids = (buildings["id"] if "id" in buildings.columns
           else pd.Series(buildings.index.astype(str), index=buildings.index))
    top = top_emitters(em, ids, params.top_n)
    name_col = buildings["name"] if "name" in buildings.columns else ids
    top_rows = [
        {"rank": int(r["rank"]), "id": str(r["id"]),
         "name": None if pd.isna(name_col.loc[i]) else str(name_col.loc[i]),
         "tco2": float(r["tco2"]), "basis": str(r["basis"]),
         "tco2_per_m2": None if pd.isna(r["tco2_per_m2"]) else float(r["tco2_per_m2"])}
        for i, r in top.iterrows()
    ]
    keep = [c for c in ("id", "name", "use_category", "energy_year") if c in buildings.columns]
    layer = gpd.GeoDataFrame(
        pd.concat([buildings[keep], em], axis=1), geometry=buildings.geometry,
        crs=buildings.crs)
    layer["top_rank"] = pd.Series(top["rank"].to_numpy(), index=top.index).reindex(
        layer.index).astype("Int64")
    units = context.units.get("subdistrict")
    per_unit = emissions_per_unit(buildings, em, units) if units is not None else None
    # No building at all (a known-empty layer) emits nothing; buildings without any figure
    # give no total (数据不足), never a silent 0.
    total = (float(em["tco2"].sum()) if em["tco2"].notna().any()
             else 0.0 if len(em) == 0 else None)
    area = em["floor_area_m2"].where(em["tco2"].notna())
    details = {**run.details, "top_emitters": top_rows,
               "floor_area_m2": float(area.sum()),
               "tco2_per_m2": (float(em["tco2"][area.notna()].sum()) / float(area.sum())
                               if area.sum() > 0 else None)}
    return MetricResult(
        name=name, value=total, unit="tCO2", params=params_to_dict(params), rule=_RULE,
        details=details, per_unit=per_unit,
        layers={"carbon_buildings": layer, "top_emitters": layer.loc[top.index]},
        missing=() if total is not None else ("building.floor_area_m2",),
    )


def _compute_coverage(frames: Mapping[str, gpd.GeoDataFrame], params: EmissionMapCoverageParams,
                      context: MetricContext) -> MetricResult:
    name = "emission_map_coverage"
    if "building" not in frames:
        return MetricResult(name=name, value=None, unit="share", params=params_to_dict(params),
                            missing=("building",))
    run = _run(frames, params, context)
    em = run.emissions
    counted = (em["basis"] == "measured") if params.basis == "measured" else (
        em["basis"] != "no_data")
    if params.by == "count":
        weight = pd.Series(1.0, index=em.index)
    else:
        weight = em["floor_area_m2"].fillna(0.0)
    total = float(weight.sum())
    share = float(weight[counted].sum()) / total if total > 0 else None
    return MetricResult(
        name=name, value=share, unit="share", params=params_to_dict(params), rule=_RULE,
        details={**run.details, "counted": float(weight[counted].sum()), "total": total},
        missing=() if share is not None else ("building",),
    )


METRIC_DEFS: tuple[MetricDef, ...] = (
    MetricDef(name="building_emissions", zh="建筑碳排放量", en="Building CO₂ emissions",
              inputs=("building",), params=BuildingEmissionsParams,
              compute=_compute_emissions, unit="tCO2"),
    MetricDef(name="emission_map_coverage", zh="碳排放量地图覆盖率",
              en="Carbon-map coverage of buildings", inputs=("building",),
              params=EmissionMapCoverageParams, compute=_compute_coverage, unit="share"),
)
