"""Heating network (供热管网): pipe age bands, old-pipe renewal candidates and renewal progress."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd  # noqa: TC002 (doctests use it)
import numpy as np
import pandas as pd
import shapely

from tanmap.geo.crs import require_projected
from tanmap.geo.errors import MetricParameterError
from tanmap.geo.metric import MetricContext, MetricDef, MetricResult, params_to_dict

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


__all__ = [
    "AGE_BAND_EDGES_YEARS",
    "HEPING_PIPE_AGE_THRESHOLD_YEARS",
    "IN_SERVICE_STATUSES",
    "METRIC_DEFS",
    "NATIONAL_PIPE_AGE_THRESHOLD_YEARS",
    "HeatingOldPipesParams",
    "HeatingRenewalProgressParams",
    "age_band_lengths",
    "pipe_age_bands",
    "pipe_ages",
    "pipe_lengths_m",
    "renewal_status",
]

#: 国办发〔2022〕22号 城市燃气管道等老化更新改造实施方案（2022—2025年）: heating pipes in
#: service for 20 years or more (or leaking / with high heat loss) are to be renewed.
NATIONAL_PIPE_AGE_THRESHOLD_YEARS = 20
#: 和平 seed (2023): "实施 30 年以上老旧供热管网更新改造工程" (以上: 30 years counts).
HEPING_PIPE_AGE_THRESHOLD_YEARS = 30
#: Lower edges of the age bands reported (years): <10, 10–19, 20–29, ≥30.
AGE_BAND_EDGES_YEARS: tuple[int, ...] = (0, 10, 20, 30)
#: Statuses of pipes that are part of the network at the audit date (planned ones are not).
IN_SERVICE_STATUSES: tuple[str, ...] = ("existing", "completed", "renewed")


def pipe_lengths_m(pipes: gpd.GeoDataFrame) -> pd.Series:
    """Return each pipe's length (m): ``length_m`` when given, else the geometry's length.

    中文：管道长度（米）。

    Raises
    ------
    GeographicCRSError
        If the pipes are in degrees.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> p = gpd.GeoDataFrame({"length_m": [None, 250.0]},
    ...     geometry=[LineString([(0, 0), (100, 0)]), LineString([(0, 0), (200, 0)])], crs=4548)
    >>> pipe_lengths_m(p).tolist()
    [100.0, 250.0]
    """
    require_projected(pipes.geometry, what="heating pipes")
    geometric = pipes.geometry.length.astype(float)
    if "length_m" not in pipes.columns:
        return geometric
    given = pd.to_numeric(pipes["length_m"], errors="coerce").astype(float)
    return given.fillna(geometric)


def renewal_status(pipes: pd.DataFrame, audit_year: int) -> pd.Series:
    """Return whether each pipe has been renewed by ``audit_year`` (bool Series).

    中文：管道是否已改造。

    A pipe counts as renewed when its ``renewal_year`` is at most the audit year, or its status
    is ``renewed`` (renewal year unknown).
    """
    renewed = pd.Series(False, index=pipes.index)
    if "renewal_year" in pipes.columns:
        years = pd.to_numeric(pipes["renewal_year"], errors="coerce")
        renewed |= (years <= audit_year).fillna(False).astype(bool)
    if "status" in pipes.columns:
        renewed |= pipes["status"].astype(object).eq("renewed").fillna(False).astype(bool)
    return renewed


def pipe_ages(pipes: pd.DataFrame, audit_year: int, *, since_renewal: bool = True) -> pd.Series:
    """Return each pipe's age in years at ``audit_year`` (float; NaN without a year).

    中文：管龄（年）。

    With ``since_renewal`` the age counts from the last renewal at or before the audit year (a
    renewed pipe is new again); otherwise from installation.

    Examples
    --------
    >>> df = pd.DataFrame({"installation_year": [1990, 2000], "renewal_year": [2015, 2030]})
    >>> pipe_ages(df, 2025).tolist(), pipe_ages(df, 2025, since_renewal=False).tolist()
    ([10.0, 25.0], [35.0, 25.0])
    """
    installed = pd.to_numeric(pipes["installation_year"], errors="coerce").astype(float)
    start = installed
    if since_renewal and "renewal_year" in pipes.columns:
        renewed = pd.to_numeric(pipes["renewal_year"], errors="coerce").astype(float)
        start = renewed.where(renewed <= audit_year).fillna(installed)
    return audit_year - start


def _band_labels(edges: Sequence[int]) -> list[str]:
    labels = [f"{a}–{b - 1}" for a, b in itertools.pairwise(edges)]
    return [*labels, f"≥{edges[-1]}"]


def pipe_age_bands(
    pipes: pd.DataFrame, audit_year: int, edges: Sequence[int] = AGE_BAND_EDGES_YEARS
) -> pd.Series:
    """Return each pipe's age band at ``audit_year`` (``"0–9"`` ... ``"≥30"``; None if unknown).

    中文：管龄段（与 :func:`age_band_lengths` 同一分段）。

    Examples
    --------
    >>> df = pd.DataFrame({"installation_year": [1990, 2010, 2020, None]})
    >>> pipe_age_bands(df, 2025).tolist()
    ['≥30', '10–19', '0–9', None]
    """
    ages = pipe_ages(pipes, audit_year).to_numpy()
    labels = _band_labels(edges)
    known = ~np.isnan(ages) & (ages >= 0)
    band = np.searchsorted(np.asarray(edges), np.where(known, ages, 0), side="right") - 1
    return pd.Series([labels[b] if k else None for b, k in zip(band, known, strict=True)],
                     index=pipes.index, dtype=object)


def age_band_lengths(
    pipes: gpd.GeoDataFrame, audit_year: int, edges: Sequence[int] = AGE_BAND_EDGES_YEARS
) -> dict[str, float]:
    """Return pipe length (km) per age band at ``audit_year`` (age since installation or renewal).

    中文：按管龄段统计管网长度（公里）。

    Pipes not yet installed at the audit year, or without a year, go to ``"unknown"``.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> p = gpd.GeoDataFrame({"installation_year": [1990, 2010, 2020]},
    ...     geometry=[LineString([(0, 0), (1000, 0)])] * 3, crs=4548)
    >>> age_band_lengths(p, 2025)
    {'0–9': 1.0, '10–19': 1.0, '20–29': 0.0, '≥30': 1.0, 'unknown': 0.0}
    """
    lengths = pipe_lengths_m(pipes).to_numpy()
    ages = pipe_ages(pipes, audit_year).to_numpy()
    labels = _band_labels(edges)
    known = ~np.isnan(ages) & (ages >= 0)
    band = np.searchsorted(np.asarray(edges), np.where(known, ages, 0), side="right") - 1
    out = {label: float(lengths[known & (band == i)].sum() / 1e3) for i, label in enumerate(labels)}
    out["unknown"] = float(lengths[~known].sum() / 1e3)
    return out


def _in_service(pipes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "status" not in pipes.columns:
        return pipes
    status = pipes["status"].astype(object)
    return pipes.loc[status.isna() | status.isin(IN_SERVICE_STATUSES)]


def _per_subdistrict(pipes: gpd.GeoDataFrame, lengths: pd.Series, flags: Mapping[str, pd.Series],
                     units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Split pipe lengths among 街道 by clipping (an attribute length is scaled pro rata)."""
    table = pd.DataFrame({"unit_id": units["id"].astype(str).to_numpy(),
                          "unit_name": units.get("name", units["id"]).astype(str).to_numpy()})
    for key in flags:
        table[key] = 0.0
    if len(pipes) == 0:
        return table
    unit_pos, pipe_pos = pipes.sindex.query(units.geometry.to_numpy(), predicate="intersects")
    geoms = pipes.geometry.to_numpy()
    unit_geoms = units.geometry.to_numpy()
    clipped = shapely.length(shapely.intersection(geoms[pipe_pos], unit_geoms[unit_pos]))
    full = shapely.length(geoms[pipe_pos])
    frac = np.divide(clipped, full, out=np.zeros_like(clipped), where=full > 0)
    part_m = frac * lengths.to_numpy()[pipe_pos]
    for key, flag in flags.items():
        values = np.zeros(len(units))
        np.add.at(values, unit_pos, part_m * flag.to_numpy()[pipe_pos])
        table[key] = values / 1e3
    return table


@dataclass(frozen=True)
class HeatingOldPipesParams:
    """Parameters of ``heating_old_pipes`` (national default 20 years; 和平 uses 30).

    中文：老旧供热管网参数。

    Parameters
    ----------
    age_threshold_years
        A pipe at least this old (since installation or last renewal) at the audit year is old.
    """

    age_threshold_years: int = NATIONAL_PIPE_AGE_THRESHOLD_YEARS

    def __post_init__(self) -> None:
        if self.age_threshold_years <= 0:
            raise MetricParameterError(
                f"age_threshold_years must be > 0, got {self.age_threshold_years}; the national "
                f"rule is {NATIONAL_PIPE_AGE_THRESHOLD_YEARS}, 和平 uses "
                f"{HEPING_PIPE_AGE_THRESHOLD_YEARS}"
            )


@dataclass(frozen=True)
class HeatingRenewalProgressParams:
    """Parameters of ``heating_renewal_progress``.

    中文：老旧供热管网改造进度参数。

    Parameters
    ----------
    age_threshold_years
        Pipes at least this old since installation at the audit year are renewal candidates.
    target_km
        Optional planned renewal length (km); details then give renewed km / target km.
    """

    age_threshold_years: int = NATIONAL_PIPE_AGE_THRESHOLD_YEARS
    target_km: float | None = None

    def __post_init__(self) -> None:
        if self.age_threshold_years <= 0:
            raise MetricParameterError(
                f"age_threshold_years must be > 0, got {self.age_threshold_years}"
            )


def _no_data(name: str, unit: str, params: Any) -> MetricResult:
    return MetricResult(name=name, value=None, unit=unit, params=params_to_dict(params),
                        missing=("heating_pipe",))


def _compute_old_pipes(frames: Mapping[str, gpd.GeoDataFrame], params: HeatingOldPipesParams,
                       context: MetricContext) -> MetricResult:
    name = "heating_old_pipes"
    if "heating_pipe" not in frames:
        return _no_data(name, "km", params)
    pipes = _in_service(frames["heating_pipe"])
    year = context.audit_year
    lengths = pipe_lengths_m(pipes)
    old = (pipe_ages(pipes, year) >= params.age_threshold_years).fillna(False).astype(bool)
    old &= ~renewal_status(pipes, year)
    per_unit = None
    sub = context.units.get("subdistrict")
    if sub is not None and len(sub):
        everything = pd.Series(1.0, index=pipes.index)
        per_unit = _per_subdistrict(pipes, lengths, {"old_km": old.astype(float),
                                                    "network_km": everything}, sub)
    return MetricResult(
        name=name, value=float(lengths[old].sum() / 1e3), unit="km",
        params=params_to_dict(params),
        rule=f"供热管网 管龄 >= {params.age_threshold_years} 年未改造 (tanmap rule v1)",
        details={"audit_year": year, "network_km": float(lengths.sum() / 1e3),
                 "n_old_pipes": int(old.sum()),
                 "km_by_age_band": age_band_lengths(pipes, year)},
        per_unit=per_unit,
        layers={"old_pipes": pipes.loc[old]},
    )


def _compute_renewal_progress(frames: Mapping[str, gpd.GeoDataFrame],
                              params: HeatingRenewalProgressParams,
                              context: MetricContext) -> MetricResult:
    name = "heating_renewal_progress"
    if "heating_pipe" not in frames:
        return _no_data(name, "share", params)
    pipes = _in_service(frames["heating_pipe"])
    year = context.audit_year
    lengths = pipe_lengths_m(pipes)
    # Candidates: old enough by installation date (a renewed pipe was a candidate before renewal).
    due = (pipe_ages(pipes, year, since_renewal=False) >= params.age_threshold_years)
    due = due.fillna(False).astype(bool)
    done = due & renewal_status(pipes, year)
    due_km = float(lengths[due].sum() / 1e3)
    done_km = float(lengths[done].sum() / 1e3)
    share = done_km / due_km if due_km > 0 else None
    details: dict[str, Any] = {"audit_year": year, "candidate_km": due_km, "renewed_km": done_km,
                               "remaining_km": due_km - done_km}
    if params.target_km is not None:
        details["target_km"] = params.target_km
        details["target_progress"] = done_km / params.target_km if params.target_km > 0 else None
    per_unit = None
    sub = context.units.get("subdistrict")
    if sub is not None and len(sub):
        per_unit = _per_subdistrict(pipes, lengths, {"candidate_km": due.astype(float),
                                                    "renewed_km": done.astype(float)}, sub)
        per_unit["share"] = per_unit["renewed_km"] / per_unit["candidate_km"].where(
            per_unit["candidate_km"] > 0)
    return MetricResult(
        name=name, value=share, unit="share", params=params_to_dict(params),
        rule=f"供热管网 管龄 >= {params.age_threshold_years} 年 改造进度 (tanmap rule v1)",
        details=details, per_unit=per_unit,
    )


METRIC_DEFS: tuple[MetricDef, ...] = (
    MetricDef(name="heating_old_pipes", zh="老旧供热管网长度（未改造）",
              en="Old heating pipes not renewed", inputs=("heating_pipe",),
              params=HeatingOldPipesParams, compute=_compute_old_pipes, unit="km"),
    MetricDef(name="heating_renewal_progress", zh="老旧供热管网改造进度",
              en="Heating pipe renewal progress", inputs=("heating_pipe",),
              params=HeatingRenewalProgressParams, compute=_compute_renewal_progress,
              unit="share"),
)
