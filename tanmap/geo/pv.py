"""Rooftop PV (屋顶光伏): roofs hosting PV, capacity, and potential kWp, yield and tCO₂."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd  # noqa: TC002 (doctests use it)
import numpy as np
import pandas as pd
import pyproj
import shapely

from tanmap.geo.crs import require_projected
from tanmap.geo.errors import MetricParameterError
from tanmap.geo.metric import MetricContext, MetricDef, MetricResult, params_to_dict
from tanmap.geo.units import select_features

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


__all__ = [
    "DEFAULT_PERFORMANCE_RATIO",
    "DEFAULT_TRANSPOSITION",
    "GRID_EMISSION_FACTOR",
    "GROUND_ALBEDO",
    "INVERTER_EFFICIENCY",
    "IRRADIATION_COLUMN",
    "METRIC_DEFS",
    "NEA_2021_ROOF_RATIOS",
    "POWER_DENSITY_KWP_PER_M2",
    "PVWATTS_LOSSES_PCT",
    "TRANSPOSITION_MODELS",
    "EmissionFactor",
    "PvCapacityParams",
    "PvPotentialParams",
    "PvRoofShareParams",
    "avoided_tco2",
    "buildings_with_pv",
    "clear_sky_specific_yield_kwh_per_kwp",
    "monthly_irradiation_specific_yield_kwh_per_kwp",
    "panel_areas_m2",
    "potential_capacity_kwp",
    "pv_building_positions",
    "roof_areas_m2",
    "roof_pv_share",
    "usable_roof_area_m2",
    "yield_from_irradiation_kwh",
]


@dataclass(frozen=True)
class EmissionFactor:
    """A named, dated grid emission factor (tCO₂ per MWh).

    中文：电网排放因子（名称、数值、年份、来源）。
    """

    name: str
    tco2_per_mwh: float
    data_year: int
    source: str


#: 全国电网平均排放因子 0.5703 tCO₂/MWh for 2022, published by 生态环境部 in
#: 《关于做好2023—2025年发电行业企业温室气体排放报告管理有关工作的通知》
#: (环办气候函〔2023〕43号, February 2023).
GRID_EMISSION_FACTOR = EmissionFactor(
    name="全国电网平均排放因子 (national grid average)",
    tco2_per_mwh=0.5703,
    data_year=2022,
    source="生态环境部 环办气候函〔2023〕43号 (2023-02)",
)

#: Share of roof area to host PV by building category, 国家能源局综合司
#: 《关于报送整县（市、区）屋顶分布式光伏开发试点方案的通知》(2021-06): 党政机关 >= 50 %,
#: 学校/医院/村委会等公共建筑 >= 40 %, 工商业厂房 >= 30 %, 农村居民 >= 20 %.
#: "other" buildings are not counted (0).
NEA_2021_ROOF_RATIOS: Mapping[str, float] = {
    "party_gov": 0.5,
    "public": 0.4,
    "commercial_industrial": 0.3,
    "residential": 0.2,
    "other": 0.0,
}
#: kWp per m² of usable roof (gross, allowing row spacing and access) [verify]: overridable.
POWER_DENSITY_KWP_PER_M2 = 0.12
#: PVWatts default system losses (%), NREL PVWatts v5 manual (soiling, shading, wiring, ...).
PVWATTS_LOSSES_PCT = 14.0
#: PVWatts nominal inverter efficiency (NREL PVWatts v5 manual).
INVERTER_EFFICIENCY = 0.96
#: Performance ratio applied to a user irradiation raster (annual plane-of-array kWh/m²) [verify]:
#: PVWatts losses (0.86) x inverter (0.96) x ~3 % temperature loss ≈ 0.80.
DEFAULT_PERFORMANCE_RATIO = 0.80
#: Building column carrying a sampled annual irradiation (kWh/m², from tanmap.layers.raster.zonal).
IRRADIATION_COLUMN = "irradiation_kwh_m2"
#: PVWatts temperature coefficient of power (1/°C), standard modules.
_GAMMA_PDC_PER_C = -0.0037
#: Without a temperature climatology: a mild constant air temperature and wind [verify].
_AIR_TEMPERATURE_C = 20.0
_WIND_SPEED_M_S = 1.0
#: Sky-diffuse transposition models to the tilted plane (pvlib.irradiance.get_total_irradiance):
#: isotropic (Liu & Jordan) or Hay & Davies (1980: circumsolar share by the beam's
#: anisotropy index, needs the extraterrestrial irradiance).
TRANSPOSITION_MODELS: tuple[str, ...] = ("isotropic", "haydavies")
DEFAULT_TRANSPOSITION = "haydavies"
#: Ground albedo of the reflected component (pvlib's default 0.25) [verify: roofs 0.15–0.3].
GROUND_ALBEDO = 0.25


def roof_areas_m2(buildings: gpd.GeoDataFrame) -> pd.Series:
    """Return each building's roof area (m²): ``roof_area_m2`` when given, else the footprint.

    中文：屋顶面积（平方米）。

    Raises
    ------
    GeographicCRSError
        If the buildings are in degrees.
    """
    require_projected(buildings.geometry, what="buildings")
    footprint = buildings.geometry.area.astype(float)
    if "roof_area_m2" not in buildings.columns:
        return footprint
    return pd.to_numeric(buildings["roof_area_m2"], errors="coerce").astype(float).fillna(footprint)


def usable_roof_area_m2(
    buildings: gpd.GeoDataFrame, ratios: Mapping[str, float] | None = None
) -> pd.Series:
    """Return the roof area (m²) usable for PV: roof area x the ratio of the use category.

    中文：可安装光伏的屋顶面积（整县试点比例：党政机关50%、公共建筑40%、工商业30%、农村居民20%）。

    Parameters
    ----------
    buildings
        Buildings with ``use_category`` (and optionally ``roof_area_m2``).
    ratios
        Ratio per use category; defaults to :data:`NEA_2021_ROOF_RATIOS`; keys given override
        the defaults; categories missing from both count 0.

    Raises
    ------
    ValueError
        If a ratio is outside [0, 1].

    Examples
    --------
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"use_category": ["party_gov", "residential"],
    ...     "roof_area_m2": [None, 500.0]}, geometry=[box(0, 0, 10, 10)] * 2, crs=4548)
    >>> usable_roof_area_m2(b).tolist()
    [50.0, 100.0]
    """
    merged = {**NEA_2021_ROOF_RATIOS, **(ratios or {})}
    bad = {k: v for k, v in merged.items() if not 0 <= v <= 1}
    if bad:
        raise ValueError(f"roof ratios must be in [0, 1] (shares, not %), got {bad}")
    ratio = buildings["use_category"].map(merged).astype(float).fillna(0.0)
    return roof_areas_m2(buildings) * ratio


def potential_capacity_kwp(
    usable_area_m2: pd.Series | float, power_density_kwp_per_m2: float = POWER_DENSITY_KWP_PER_M2
) -> Any:
    """Return PV capacity (kWp) = usable roof area x power density.

    中文：光伏装机潜力（千瓦峰值）。

    Examples
    --------
    >>> potential_capacity_kwp(1000.0)
    120.0
    """
    return usable_area_m2 * power_density_kwp_per_m2


def clear_sky_specific_yield_kwh_per_kwp(
    lon: float,
    lat: float,
    *,
    tilt_deg: float | None = None,
    azimuth_deg: float = 180.0,
    losses_pct: float = PVWATTS_LOSSES_PCT,
    linke_turbidity: float | None = None,
    altitude_m: float = 0.0,
    year: int = 2023,
    transposition: str = DEFAULT_TRANSPOSITION,
) -> float:
    """Return the clear-sky annual AC yield (kWh per kWp) of a fixed south-facing array.

    中文：晴空条件下单位装机年发电量（上限值，实际天气下更低）。

    An **upper bound**: every day is cloudless. Hourly (mid-hour) for one year: pvlib Ineichen
    clear sky with the bundled monthly Linke turbidity climatology (or ``linke_turbidity``),
    Hay–Davies plane-of-array transposition (or isotropic) with ground albedo 0.25, physical
    incidence-angle loss on the beam, Faiman cell temperature at a constant 20 °C air / 1 m/s
    wind, PVWatts DC with γ = −0.37 %/°C, PVWatts losses, PVWatts inverter (96 % nominal).

    Parameters
    ----------
    lon, lat
        Location in degrees (WGS84 / CGCS2000), x then y.
    tilt_deg
        Panel tilt; defaults to the latitude (rounded to a degree).
    azimuth_deg
        Panel azimuth, 180 = south.
    losses_pct
        PVWatts system losses in percent, 0–100.
    linke_turbidity
        A constant Linke turbidity instead of the bundled climatology.
    altitude_m
        Site altitude (m).
    year
        Calendar year simulated (only leap days matter).
    transposition
        ``"haydavies"`` (default) or ``"isotropic"`` (:data:`TRANSPOSITION_MODELS`).

    Raises
    ------
    ValueError
        If ``losses_pct`` is outside [0, 100], the location is out of range or the
        transposition model is unknown.
    """
    import pvlib  # heavy import, kept local to the functions that need it

    _check_chain(lon, lat, losses_pct, transposition)
    tilt = float(round(abs(lat))) if tilt_deg is None else tilt_deg
    with warnings.catch_warnings():
        # pvlib still calls DatetimeIndex.dayofyear, deprecated in pandas 3; harmless here.
        warnings.filterwarnings("ignore", message=r".*dayofyear is deprecated")
        times, sun, sky = _clear_sky_hourly(pvlib, lon, lat, altitude_m, year, linke_turbidity)
        return _ac_kwh_per_kwp(pvlib, times, sun, sky["ghi"], sky["dni"], sky["dhi"], tilt,
                               azimuth_deg, losses_pct, transposition, _AIR_TEMPERATURE_C)


def _check_chain(lon: float, lat: float, losses_pct: float, transposition: str) -> None:
    if not 0 <= losses_pct <= 100:
        raise ValueError(f"losses_pct must be a percentage in [0, 100], got {losses_pct}")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"lon/lat must be degrees (x, y), got ({lon}, {lat})")
    if transposition not in TRANSPOSITION_MODELS:
        raise ValueError(f"transposition must be one of {', '.join(TRANSPOSITION_MODELS)}, "
                         f"got {transposition!r}")


def _ac_kwh_per_kwp(pvlib: Any, times: pd.DatetimeIndex, sun: pd.DataFrame, ghi: Any, dni: Any,
                    dhi: Any, tilt: float, azimuth_deg: float, losses_pct: float,
                    transposition: str, air_temperature_c: Any) -> float:
    """Hourly horizontal irradiance -> annual AC kWh per kWp (the chain both yields share)."""
    dni_extra = (pvlib.irradiance.get_extra_radiation(times)
                 if transposition == "haydavies" else None)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth_deg, sun["apparent_zenith"], sun["azimuth"], dni, ghi, dhi,
        dni_extra=dni_extra, albedo=GROUND_ALBEDO, model=transposition,
    )
    aoi = pvlib.irradiance.aoi(tilt, azimuth_deg, sun["apparent_zenith"], sun["azimuth"])
    effective = ((poa["poa_direct"] * pvlib.iam.physical(aoi)).fillna(0.0)
                 + poa["poa_diffuse"].fillna(0.0))
    cell_c = pvlib.temperature.faiman(effective, air_temperature_c, _WIND_SPEED_M_S)
    dc_kw = pvlib.pvsystem.pvwatts_dc(effective, cell_c, 1.0, _GAMMA_PDC_PER_C)
    dc_kw = dc_kw * (1 - losses_pct / 100)
    ac_kw = pvlib.inverter.pvwatts(dc_kw, 1.0, eta_inv_nom=INVERTER_EFFICIENCY).clip(lower=0.0)
    return float(ac_kw.sum())  # hourly kW per kWp summed = kWh per kWp


def _clear_sky_hourly(pvlib: Any, lon: float, lat: float, altitude_m: float,
                      year: int, linke_turbidity: float | None) -> tuple[Any, pd.DataFrame,
                                                                         pd.DataFrame]:
    times = pd.date_range(f"{year}-01-01 00:30", f"{year}-12-31 23:30", freq="1h", tz="UTC")
    site = pvlib.location.Location(lat, lon, tz="UTC", altitude=altitude_m)
    with warnings.catch_warnings():
        # pvlib still calls DatetimeIndex.dayofyear, deprecated in pandas 3; harmless here.
        warnings.filterwarnings("ignore", message=r".*dayofyear is deprecated")
        sun = site.get_solarposition(times)
        turbidity = (pvlib.clearsky.lookup_linke_turbidity(times, lat, lon)
                     if linke_turbidity is None else linke_turbidity)
        sky = site.get_clearsky(times, model="ineichen", linke_turbidity=turbidity,
                                solar_position=sun)
    return times, sun, sky


def monthly_irradiation_specific_yield_kwh_per_kwp(
    lon: float,
    lat: float,
    monthly_ghi_kwh_m2: Sequence[float],
    *,
    tilt_deg: float | None = None,
    azimuth_deg: float = 180.0,
    losses_pct: float = PVWATTS_LOSSES_PCT,
    altitude_m: float = 0.0,
    year: int = 2023,
    transposition: str = DEFAULT_TRANSPOSITION,
    monthly_air_temperature_c: Sequence[float] | None = None,
) -> float:
    """Return the annual AC yield (kWh per kWp) from measured monthly horizontal irradiation.

    中文：基于实测（典型年/多年平均）逐月水平面总辐照量的单位装机年发电量。

    Each month's hourly clear-sky GHI (pvlib Ineichen, bundled Linke turbidity) is scaled so
    that the month sums to the measured total (a monthly clear-sky index); the hourly GHI is
    split into beam and diffuse with the Erbs model, transposed to the panel (Hay–Davies by
    default, or isotropic; ground albedo 0.25), and run through the same chain as
    :func:`clear_sky_specific_yield_kwh_per_kwp`: incidence-angle loss, Faiman cell temperature
    (at the month's mean air temperature when given, else a constant 20 °C [verify]; 1 m/s
    wind), PVWatts DC with γ = −0.37 %/°C, PVWatts system losses (14 % by default: soiling,
    shading, mismatch, wiring, connections, LID, nameplate, availability), PVWatts inverter
    (96 % nominal). Every day of a month has the same shape, so beam-rich days are averaged
    out: tilted gain is understated rather than overstated (pvlib's Greensboro TMY3 sample,
    Hay–Davies: 1,303 kWh/kWp from its monthly GHI totals at 20 °C, 1,324 with its monthly mean
    temperatures, against 1,344 from the same chain run on the file's hourly GHI/DNI/DHI and
    temperatures: −3.1 % and −1.5 %; isotropic −3.7 % / −2.2 %;
    ``tests/layers/test_weather.py``).

    Parameters
    ----------
    lon, lat
        Location in degrees (x, y).
    monthly_ghi_kwh_m2
        Twelve monthly totals of global horizontal irradiation, January first (kWh/m² per
        month; MJ/m² ÷ 3.6), from a typical-year or long-term source named by the caller.
    tilt_deg, azimuth_deg, losses_pct, altitude_m, year, transposition
        As for :func:`clear_sky_specific_yield_kwh_per_kwp`.
    monthly_air_temperature_c
        Twelve monthly mean air temperatures (°C), January first; None: 20 °C all year.

    Raises
    ------
    ValueError
        Not twelve finite values >= 0, a month above its clear-sky total (wrong unit, e.g.
        MJ/m² or kWh/m² per day given), temperatures not twelve values in −60–60 °C, or bad
        losses / location / transposition.
    """
    import pvlib

    values = [float(v) for v in monthly_ghi_kwh_m2]
    if len(values) != 12 or not all(math.isfinite(v) and v >= 0 for v in values):
        raise ValueError(
            f"monthly_ghi_kwh_m2 needs 12 monthly totals >= 0 (kWh/m², January first), got "
            f"{len(values)} value(s): {values[:12]}")
    air: Any = _AIR_TEMPERATURE_C
    if monthly_air_temperature_c is not None:
        temps = [float(t) for t in monthly_air_temperature_c]
        if len(temps) != 12 or not all(math.isfinite(t) and -60 <= t <= 60 for t in temps):
            raise ValueError(
                "monthly_air_temperature_c needs 12 monthly means in °C (−60 to 60, January "
                f"first), got {len(temps)} value(s): {temps[:12]}")
        air = temps
    _check_chain(lon, lat, losses_pct, transposition)
    tilt = float(round(abs(lat))) if tilt_deg is None else tilt_deg
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*dayofyear is deprecated")
        times, sun, sky = _clear_sky_hourly(pvlib, lon, lat, altitude_m, year, None)
        clear_month = sky["ghi"].groupby(times.month).sum() / 1000.0  # kWh/m² per month
        over = [(m, v, float(clear_month.loc[m])) for m, v in enumerate(values, start=1)
                if v > clear_month.loc[m] * 1.02]
        if over:
            m, v, c = over[0]
            raise ValueError(
                f"month {m}: {v:g} kWh/m² is above the clear-sky total {c:.0f} kWh/m² at "
                f"({lon:.3f}, {lat:.3f}); give monthly totals in kWh/m² (MJ/m² ÷ 3.6, daily "
                "means x days in the month)")
        ratio = pd.Series(values, index=range(1, 13)) / clear_month.where(clear_month > 0)
        ghi = sky["ghi"] * ratio.reindex(times.month).fillna(0.0).to_numpy()
        split = pvlib.irradiance.erbs(ghi, sun["zenith"], times)
        if not isinstance(air, float):
            air = pd.Series(np.asarray(air)[times.month - 1], index=times)
        return _ac_kwh_per_kwp(pvlib, times, sun, ghi, split["dni"], split["dhi"], tilt,
                               azimuth_deg, losses_pct, transposition, air)


def yield_from_irradiation_kwh(
    capacity_kwp: Any, irradiation_kwh_m2: Any, performance_ratio: float = DEFAULT_PERFORMANCE_RATIO
) -> Any:
    """Return annual yield (kWh) = kWp x plane-of-array irradiation (kWh/m²) / 1 kW/m² x PR.

    中文：基于年辐照量的发电量估算。

    Examples
    --------
    >>> yield_from_irradiation_kwh(10.0, 1500.0, 0.8)
    12000.0
    """
    return capacity_kwp * irradiation_kwh_m2 * performance_ratio


def avoided_tco2(kwh: float, factor: EmissionFactor = GRID_EMISSION_FACTOR) -> float:
    """Return the tCO₂ avoided by ``kwh`` of PV power at a grid emission factor.

    中文：光伏发电替代电网电量的二氧化碳减排量（吨）。

    Examples
    --------
    >>> round(avoided_tco2(1_000_000.0), 4)
    570.3
    """
    return kwh / 1000.0 * factor.tco2_per_mwh


def pv_building_positions(buildings: gpd.GeoDataFrame, pv: gpd.GeoDataFrame) -> np.ndarray:
    """Return, for each PV feature, the position of its building in ``buildings`` (-1: none).

    中文：光伏所属建筑。

    A PV feature belongs to the building named by its ``building_id``; one without a building id
    belongs to the building containing its representative point (when roofs overlap, the one
    whose ``id`` sorts first).
    """
    require_projected(buildings.geometry, what="buildings")
    owner = np.full(len(pv), -1, dtype=int)
    if len(pv) == 0 or len(buildings) == 0:
        return owner
    loose = np.ones(len(pv), dtype=bool)
    if "building_id" in pv.columns and "id" in buildings.columns:
        by_id = pd.Series(np.arange(len(buildings)), index=buildings["id"].astype(str).to_numpy())
        by_id = by_id[~by_id.index.duplicated()]
        linked = pv["building_id"].notna().to_numpy()
        ids = pv["building_id"].to_numpy()[linked].astype(str)
        owner[linked] = by_id.reindex(ids).fillna(-1).to_numpy(dtype=int)
        loose = ~linked
    if loose.any():
        points = shapely.point_on_surface(pv.geometry.to_numpy()[loose])
        pv_pos, b_pos = buildings.sindex.query(points, predicate="within")
        # Overlapping roofs: the building whose id sorts first wins, so row order does not matter.
        rank = (buildings["id"].astype(str).rank(method="dense").to_numpy()
                if "id" in buildings.columns else np.arange(len(buildings)))
        order = np.lexsort((-rank[b_pos], pv_pos))  # per panel, the best-ranked building last
        found = np.full(int(loose.sum()), -1, dtype=int)
        found[pv_pos[order]] = b_pos[order]
        owner[loose] = found
    return owner


def buildings_with_pv(buildings: gpd.GeoDataFrame, pv: gpd.GeoDataFrame) -> pd.Series:
    """Return whether each building hosts PV (bool Series on the buildings' index).

    中文：建筑是否已安装屋顶光伏。
    """
    owner = pv_building_positions(buildings, pv)
    has = np.zeros(len(buildings), dtype=bool)
    has[owner[owner >= 0]] = True
    return pd.Series(has, index=buildings.index)


def panel_areas_m2(buildings: gpd.GeoDataFrame, pv: gpd.GeoDataFrame) -> pd.Series:
    """Return the PV panel area on each roof (m²), at most the roof area.

    中文：各建筑屋顶光伏组件面积。

    A feature's panel area is ``panel_area_m2`` when given, else its polygon area.
    """
    owner = pv_building_positions(buildings, pv)
    area = np.zeros(len(buildings))
    if len(pv):
        panel = pv.geometry.area.to_numpy(dtype=float)
        if "panel_area_m2" in pv.columns:
            given = pd.to_numeric(pv["panel_area_m2"], errors="coerce").to_numpy(dtype=float)
            panel = np.where(np.isnan(given), panel, given)
        ok = owner >= 0
        np.add.at(area, owner[ok], panel[ok])
    roof = roof_areas_m2(buildings).to_numpy()
    return pd.Series(np.minimum(area, roof), index=buildings.index)


def roof_pv_share(
    buildings: gpd.GeoDataFrame,
    pv: gpd.GeoDataFrame,
    *,
    by: Literal["area", "count", "panel_area"] = "area",
) -> tuple[float | None, float, float]:
    """Return (share, numerator, denominator) of roofs with PV.

    中文：屋顶光伏安装比例（按屋顶面积、栋数或组件面积）。

    ``by="area"``: roof area (m²) of buildings hosting any PV / all roof area; ``"count"``:
    buildings hosting PV / buildings; ``"panel_area"``: panel area (capped at each roof) / all
    roof area, the reading of 整县试点 "屋顶总面积可安装光伏发电比例" as area actually covered.

    Raises
    ------
    ValueError
        If ``by`` is not one of the three.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[box(0, 0, 10, 10), box(20, 0, 50, 10)],
    ...                      crs=4548)
    >>> p = gpd.GeoDataFrame({"building_id": [None]}, geometry=[box(1, 1, 5, 5)], crs=4548)
    >>> roof_pv_share(b, p, by="area"), roof_pv_share(b, p, by="count")
    ((0.25, 100.0, 400.0), (0.5, 1.0, 2.0))
    >>> roof_pv_share(b, p, by="panel_area")
    (0.04, 16.0, 400.0)
    """
    if by not in ("area", "count", "panel_area"):
        raise ValueError(f"by must be 'area', 'count' or 'panel_area', got {by!r}")
    if by == "panel_area":
        total = float(roof_areas_m2(buildings).sum())
        covered = float(panel_areas_m2(buildings, pv).sum())
        return (covered / total if total > 0 else None), covered, total
    has = buildings_with_pv(buildings, pv).to_numpy()
    weight = (roof_areas_m2(buildings).to_numpy() if by == "area"
              else np.ones(len(buildings), dtype=float))
    total = float(weight.sum())
    hosting = float(weight[has].sum())
    return (hosting / total if total > 0 else None), hosting, total


# --------------------------------------------------------------------------------------------
# Metric definitions


@dataclass(frozen=True)
class PvRoofShareParams:
    """Parameters of ``pv_roof_share`` (黄浦: new public-institution roofs 100 %, existing 50 %).

    中文：屋顶光伏安装比例参数。

    Parameters
    ----------
    categories
        Building ``use_category`` values counted; empty: all.
    public_institution_only
        Only buildings flagged ``public_institution`` (公共机构).
    building_age
        ``"new"`` / ``"existing"`` (by ``is_new``) or ``"all"``.
    by
        ``"area"`` (roof m² of buildings with PV), ``"count"`` (buildings) or ``"panel_area"``
        (panel m², capped per roof, over roof m²).
    pv_statuses
        PV statuses counted; empty: all.
    exclude_public_institutions
        Leave out buildings flagged ``public_institution`` (黄浦 "其他类型公共建筑": public
        buildings other than the public institutions its own targets cover).
    villages_only
        Only buildings inside a 社区 unit of ``community_type`` ``village`` (整县试点 "农村居民").
    """

    categories: tuple[str, ...] = ()
    public_institution_only: bool = False
    building_age: Literal["new", "existing", "all"] = "all"
    by: Literal["area", "count", "panel_area"] = "area"
    pv_statuses: tuple[str, ...] = ()
    exclude_public_institutions: bool = False
    villages_only: bool = False

    def __post_init__(self) -> None:
        if self.public_institution_only and self.exclude_public_institutions:
            raise MetricParameterError(
                "public_institution_only and exclude_public_institutions contradict each other; "
                "set one of them"
            )


@dataclass(frozen=True)
class PvCapacityParams:
    """Parameters of ``pv_capacity`` (installed and/or planned kWp).

    中文：光伏装机容量参数。

    Parameters
    ----------
    statuses
        PV statuses counted; empty: all.
    since_year, until_year
        Inclusive ``completion_year`` range (new capacity), or None.
    """

    statuses: tuple[str, ...] = ()
    since_year: int | None = None
    until_year: int | None = None


@dataclass(frozen=True)
class PvPotentialParams:
    """Parameters of ``pv_potential`` (整县试点 ratios, power density, PVWatts losses, factor).

    中文：屋顶光伏潜力参数。

    Parameters
    ----------
    ratios
        Usable share of roof per use category, overriding :data:`NEA_2021_ROOF_RATIOS`.
    power_density_kwp_per_m2
        kWp per m² of usable roof [verify].
    losses_pct
        PVWatts system losses (%).
    tilt_deg
        Panel tilt; None: the latitude.
    linke_turbidity
        Constant Linke turbidity; None: pvlib's bundled monthly climatology.
    performance_ratio
        Applied to a sampled irradiation column (``irradiation_kwh_m2``) [verify].
    emission_factor_tco2_per_mwh
        Grid emission factor; default :data:`GRID_EMISSION_FACTOR` (2022, 生态环境部 2023).
    categories
        Building ``use_category`` values counted; empty: all.
    monthly_ghi_kwh_m2
        Twelve monthly totals of measured horizontal irradiation (kWh/m², January first) from a
        typical-year or long-term source; the yield then comes from them
        (:func:`monthly_irradiation_specific_yield_kwh_per_kwp`) and the clear-sky figure stays
        in the details as the upper bound.
    irradiation_source
        Name of that source (station, data set, period): required with ``monthly_ghi_kwh_m2``
        and reported with the result; also names a sampled raster.
    irradiation_raster
        Sample the district's stored irradiation raster (annual kWh/m²) onto the buildings
        before computing (done by the runner in ``tanmap.layers``; geo/ reads no files).
    irradiation
        Where the yield's sunshine comes from when ``monthly_ghi_kwh_m2`` is not given:
        ``auto`` (the irradiation climatology of the district's city — ``climatology_file``,
        else the one bundled with tanmap — when it has one, else the clear-sky upper bound),
        ``climatology`` (the climatology; no entry for the district is an error) or
        ``clear_sky`` (the upper bound). Resolved by the runner; measured values given here
        always win, and a sampled irradiation raster wins per building.
    climatology_file
        A user irradiation climatology (YAML, the bundled file's format) read by the runner
        instead of the bundled one.
    monthly_air_temperature_c
        Twelve monthly mean air temperatures (°C) for the cell temperature; None: 20 °C.
    transposition
        ``haydavies`` (default) or ``isotropic`` sky-diffuse model for the tilted plane.
    """

    ratios: dict[str, float] | None = None
    power_density_kwp_per_m2: float = POWER_DENSITY_KWP_PER_M2
    losses_pct: float = PVWATTS_LOSSES_PCT
    tilt_deg: float | None = None
    linke_turbidity: float | None = None
    performance_ratio: float = DEFAULT_PERFORMANCE_RATIO
    emission_factor_tco2_per_mwh: float = GRID_EMISSION_FACTOR.tco2_per_mwh
    categories: tuple[str, ...] = ()
    monthly_ghi_kwh_m2: tuple[float, ...] | None = None
    irradiation_source: str = ""
    irradiation_raster: bool = False
    irradiation: Literal["auto", "climatology", "clear_sky"] = "auto"
    climatology_file: str = ""
    monthly_air_temperature_c: tuple[float, ...] | None = None
    transposition: Literal["haydavies", "isotropic"] = "haydavies"

    def __post_init__(self) -> None:
        if self.monthly_air_temperature_c is not None and len(
                self.monthly_air_temperature_c) != 12:
            raise MetricParameterError(
                f"monthly_air_temperature_c needs 12 monthly means (°C, January first), got "
                f"{len(self.monthly_air_temperature_c)}")
        if self.monthly_ghi_kwh_m2 is not None and self.irradiation == "clear_sky":
            raise MetricParameterError(
                "irradiation=clear_sky contradicts the measured monthly_ghi_kwh_m2 given; "
                "drop one of them")
        if self.monthly_ghi_kwh_m2 is not None:
            if len(self.monthly_ghi_kwh_m2) != 12:
                raise MetricParameterError(
                    f"monthly_ghi_kwh_m2 needs 12 monthly totals (kWh/m², January first), got "
                    f"{len(self.monthly_ghi_kwh_m2)}")
            if not self.irradiation_source.strip():
                raise MetricParameterError(
                    "monthly_ghi_kwh_m2 needs irradiation_source: name the station or data set "
                    "and its period, so the result says where its yield comes from")
        if not 0 < self.power_density_kwp_per_m2 <= 0.3:
            raise MetricParameterError(
                f"power_density_kwp_per_m2 must be in (0, 0.3] kWp/m², got "
                f"{self.power_density_kwp_per_m2} (typical 0.10–0.15)"
            )
        if not 0 <= self.losses_pct <= 100:
            raise MetricParameterError(f"losses_pct must be in [0, 100], got {self.losses_pct}")
        bad = {k: v for k, v in (self.ratios or {}).items() if not 0 <= v <= 1}
        if bad:
            raise MetricParameterError(
                f"ratios must be shares in [0, 1] per use category (0.5, not 50), got {bad}"
            )


def _filter_buildings(buildings: gpd.GeoDataFrame, categories: Sequence[str],
                      public_institution_only: bool = False,
                      building_age: str = "all",
                      exclude_public_institutions: bool = False) -> gpd.GeoDataFrame:
    out = select_features(buildings, field="use_category" if categories else None,
                          values=categories)
    if public_institution_only:
        out = select_features(out, field="public_institution", values=("true",))
    if exclude_public_institutions and "public_institution" in out.columns:
        out = select_features(out, exclude={"public_institution": ["true"]})
    if building_age != "all":
        out = select_features(out, field="is_new",
                              values=("true",) if building_age == "new" else ("false",))
    return out


def _compute_roof_share(frames: Mapping[str, gpd.GeoDataFrame], params: PvRoofShareParams,
                        context: MetricContext) -> MetricResult:
    name = "pv_roof_share"
    missing = [k for k in ("building", "pv_rooftop") if k not in frames]
    if missing:
        return MetricResult(name=name, value=None, unit="share", params=params_to_dict(params),
                            missing=tuple(missing))
    pv = select_features(frames["pv_rooftop"], statuses=params.pv_statuses)
    buildings = frames["building"]
    if params.villages_only:
        communities = context.units.get("community")
        if communities is None or "community_type" not in communities.columns:
            return MetricResult(name=name, value=None, unit="share",
                                params=params_to_dict(params),
                                missing=("community.community_type",))
        villages = select_features(communities, field="community_type", values=("village",))
        inside = shapely.covers(villages.geometry.union_all(),
                                shapely.point_on_surface(buildings.geometry.to_numpy()))
        buildings = buildings.loc[inside]
    chosen = _filter_buildings(buildings, params.categories,
                               params.public_institution_only, params.building_age,
                               params.exclude_public_institutions)
    share, hosting, total = roof_pv_share(chosen, pv, by=params.by)
    breakdown: dict[str, Any] = {}
    for age in ("new", "existing"):
        sub = _filter_buildings(buildings, params.categories,
                                params.public_institution_only, age,
                                params.exclude_public_institutions)
        for by in ("count", "area", "panel_area"):
            breakdown[f"{age}_share_by_{by}"] = roof_pv_share(sub, pv, by=by)[0]
    numerator, denominator = {"area": ("hosting_roof_m2", "total_roof_m2"),
                              "count": ("hosting_buildings", "total_buildings"),
                              "panel_area": ("panel_m2", "total_roof_m2")}[params.by]
    return MetricResult(
        name=name, value=share, unit="share", params=params_to_dict(params),
        rule="屋顶光伏安装比例 (整县屋顶分布式光伏试点 / 公共机构; tanmap rule v1)",
        details={numerator: hosting, denominator: total,
                 "n_buildings": len(chosen), **breakdown},
        missing=() if share is not None else ("building",),
    )


def _compute_capacity(frames: Mapping[str, gpd.GeoDataFrame], params: PvCapacityParams,
                      context: MetricContext) -> MetricResult:
    name = "pv_capacity"
    if "pv_rooftop" not in frames:
        return MetricResult(name=name, value=None, unit="kWp", params=params_to_dict(params),
                            missing=("pv_rooftop",))
    pv = select_features(frames["pv_rooftop"], statuses=params.statuses,
                         since_year=params.since_year, until_year=params.until_year)
    kwp = pd.to_numeric(pv["capacity_kwp"], errors="coerce").fillna(0.0) if len(pv) else (
        pd.Series(dtype=float))
    by_status = (kwp.groupby(pv["status"].fillna("(none)").astype(str).to_numpy()).sum()
                 if "status" in pv.columns and len(pv) else pd.Series(dtype=float))
    return MetricResult(
        name=name, value=float(kwp.sum()), unit="kWp", params=params_to_dict(params),
        details={"n_installations": len(pv),
                 "kwp_by_status": {str(k): float(v) for k, v in by_status.items()}},
    )


def _district_lon_lat(context: MetricContext) -> tuple[float, float]:
    centre = context.district.centroid
    to_lonlat = pyproj.Transformer.from_crs(context.planning_epsg, 4326, always_xy=True)
    lon, lat = to_lonlat.transform(centre.x, centre.y)
    return float(lon), float(lat)


def _compute_potential(frames: Mapping[str, gpd.GeoDataFrame], params: PvPotentialParams,
                       context: MetricContext) -> MetricResult:
    name = "pv_potential"
    if "building" not in frames:
        return MetricResult(name=name, value=None, unit="kWp", params=params_to_dict(params),
                            missing=("building",))
    buildings = _filter_buildings(frames["building"], params.categories)
    usable = usable_roof_area_m2(buildings, params.ratios)
    kwp = potential_capacity_kwp(usable, params.power_density_kwp_per_m2)
    lon, lat = _district_lon_lat(context)
    clear = clear_sky_specific_yield_kwh_per_kwp(
        lon, lat, tilt_deg=params.tilt_deg, losses_pct=params.losses_pct,
        linke_turbidity=params.linke_turbidity, transposition=params.transposition,
    )
    specific = clear
    base = "clear-sky upper bound (pvlib Ineichen)"
    if params.monthly_ghi_kwh_m2 is not None:
        try:
            specific = monthly_irradiation_specific_yield_kwh_per_kwp(
                lon, lat, params.monthly_ghi_kwh_m2, tilt_deg=params.tilt_deg,
                losses_pct=params.losses_pct, transposition=params.transposition,
                monthly_air_temperature_c=params.monthly_air_temperature_c)
        except ValueError as err:
            raise MetricParameterError(str(err)) from err
        base = (f"measured monthly irradiation: {params.irradiation_source} "
                f"({sum(params.monthly_ghi_kwh_m2):.0f} kWh/m² a year, horizontal)")
    kwh = kwp * specific
    sampled = pd.Series(False, index=buildings.index)
    if IRRADIATION_COLUMN in buildings.columns:
        irr = pd.to_numeric(buildings[IRRADIATION_COLUMN], errors="coerce")
        sampled = irr.notna()
        kwh = kwh.where(~sampled, yield_from_irradiation_kwh(kwp, irr, params.performance_ratio))
    total_kwh = float(kwh.sum())
    raster_name = (f" ({params.irradiation_source})"
                   if params.irradiation_source and params.monthly_ghi_kwh_m2 is None else "")
    factor = EmissionFactor(GRID_EMISSION_FACTOR.name, params.emission_factor_tco2_per_mwh,
                            GRID_EMISSION_FACTOR.data_year, GRID_EMISSION_FACTOR.source)
    if not math.isclose(factor.tco2_per_mwh, GRID_EMISSION_FACTOR.tco2_per_mwh):
        factor = EmissionFactor("user-supplied factor", factor.tco2_per_mwh, 0, "parameter")
    by_cat = kwp.groupby(buildings["use_category"].astype(str).to_numpy()).sum()
    return MetricResult(
        name=name, value=float(kwp.sum()), unit="kWp", params=params_to_dict(params),
        rule="整县屋顶分布式光伏试点比例 (NEA 2021) x power density; pvlib clear-sky PVWatts",
        details={
            "usable_roof_m2": float(usable.sum()),
            "capacity_kwp": float(kwp.sum()),
            "annual_yield_kwh": total_kwh,
            "yield_basis": (base if not sampled.any()
                            else f"irradiation raster{raster_name} for {int(sampled.sum())} "
                                 f"building(s) (PR {params.performance_ratio:g}), "
                                 f"{base} for the rest"),
            "irradiation_source": (params.irradiation_source
                                   if params.monthly_ghi_kwh_m2 is not None or sampled.any()
                                   else "none (clear sky: every day cloudless)"),
            "specific_yield_kwh_per_kwp": specific,
            "clear_sky_kwh_per_kwp": clear,
            "yield_chain": (
                f"tilt {params.tilt_deg if params.tilt_deg is not None else round(abs(lat))}°, "
                f"south; {params.transposition} transposition, albedo {GROUND_ALBEDO:g}; "
                "Faiman cell temperature at "
                + ("the monthly mean air temperatures"
                   if params.monthly_air_temperature_c is not None and
                   params.monthly_ghi_kwh_m2 is not None else f"{_AIR_TEMPERATURE_C:g} °C")
                + f"; PVWatts γ {_GAMMA_PDC_PER_C * 100:g} %/°C, losses "
                f"{params.losses_pct:g} %, inverter {INVERTER_EFFICIENCY * 100:g} %"),
            "site_lon_lat": [lon, lat],
            "tco2_avoided": avoided_tco2(total_kwh, factor),
            "emission_factor": {"name": factor.name, "tco2_per_mwh": factor.tco2_per_mwh,
                                "data_year": factor.data_year, "source": factor.source},
            "kwp_by_category": {str(k): float(v) for k, v in by_cat.items()},
        },
    )


METRIC_DEFS: tuple[MetricDef, ...] = (
    MetricDef(name="pv_roof_share", zh="屋顶光伏安装比例", en="Share of roofs with PV",
              inputs=("building", "pv_rooftop"), params=PvRoofShareParams,
              compute=_compute_roof_share, unit="share"),
    MetricDef(name="pv_capacity", zh="光伏装机容量", en="PV capacity", inputs=("pv_rooftop",),
              params=PvCapacityParams, compute=_compute_capacity, unit="kWp"),
    MetricDef(name="pv_potential", zh="屋顶光伏潜力", en="Rooftop PV potential",
              inputs=("building",), params=PvPotentialParams, compute=_compute_potential,
              unit="kWp"),
)
