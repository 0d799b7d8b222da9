"""The carbon map (碳排放量地图) for display: classed building intensity, 街道 totals, top emitters.

中文：碳排放量地图的显示准备（建筑排放强度分级设色、街道排放总量分级、重点排放建筑、估算值虚线标注）。

Takes what ``building_emissions`` computed (its ``carbon_buildings`` layer and ``per_unit``
table) and returns frames with a class code per feature plus the legend rows; the classes come
from :func:`tanmap.geo.emissions.intensity_classes` (mapclassify). Nothing is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np

from tanmap.geo.emissions import intensity_classes

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

__all__ = [
    "CARBON_RAMP",
    "ESTIMATED_DASH",
    "NO_DATA_COLOR",
    "CarbonClasses",
    "CarbonMap",
    "classed_buildings",
    "classed_units",
    "legend_ranges",
]

#: Sequential yellow-orange-red (ColorBrewer YlOrRd, 5 classes): low to high emissions.
CARBON_RAMP: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
#: Buildings without a figure (no floor area, no EUI for the use type).
NO_DATA_COLOR = "#bdbdbd"
#: Outline of estimated figures (floor area x EUI), so they are never read as metered.
ESTIMATED_DASH = "4 3"
#: Columns of the building layer shown in popups (others are dropped for size).
BUILDING_COLUMNS: tuple[str, ...] = (
    "id", "name", "use_category", "basis", "tco2", "tco2_per_m2", "floor_area_m2",
    "electricity_kwh", "gas_m3", "heat_gj", "energy_year", "eui_source", "top_rank", "source",
)


@dataclass(frozen=True)
class CarbonClasses:
    """Classes of one classed layer: upper bounds, colours, the value column and its unit.

    中文：分级（上界、颜色、字段、单位）。
    """

    column: str
    unit: str
    bins: tuple[float, ...]
    colors: tuple[str, ...]

    def ranges(self, lower: float) -> list[tuple[float, float, str]]:
        """Return ``(low, high, colour)`` per class, the first starting at ``lower``."""
        lows = (lower, *self.bins[:-1])
        return list(zip(lows, self.bins, self.colors, strict=True))


@dataclass(frozen=True)
class CarbonMap:
    """What the carbon theme draws (the ``building_emissions`` result, as computed).

    中文：碳排放量地图输入。

    Parameters
    ----------
    buildings
        The result layer ``carbon_buildings`` (``tco2``, ``tco2_per_m2``, ``basis``,
        ``top_rank``), any CRS.
    per_unit
        The result's per-街道 table (``unit_id``, ``tco2``, ``tco2_per_m2``) or None.
    k
        Number of classes (at most ``len(CARBON_RAMP)``).
    scheme
        ``"fisher_jenks"`` (natural breaks, default) or ``"quantiles"``.
    """

    buildings: gpd.GeoDataFrame
    per_unit: pd.DataFrame | None = None
    k: int = 5
    scheme: Literal["fisher_jenks", "quantiles"] = "fisher_jenks"


def _ramp(n: int) -> tuple[str, ...]:
    if n <= 0:
        return ()
    picks = np.linspace(0, len(CARBON_RAMP) - 1, n).round().astype(int) if n > 1 else [2]
    return tuple(CARBON_RAMP[i] for i in picks)


def _check_k(k: int) -> None:
    if not 1 <= k <= len(CARBON_RAMP):
        raise ValueError(f"k must be 1..{len(CARBON_RAMP)} classes, got {k}")


def classed_buildings(
    buildings: gpd.GeoDataFrame, *, k: int = 5,
    scheme: Literal["fisher_jenks", "quantiles"] = "fisher_jenks",
) -> tuple[gpd.GeoDataFrame, CarbonClasses]:
    """Return buildings with ``carbon_class`` (``c0``.., ``c0_est``.. estimated, ``none``).

    中文：建筑碳排放强度（tCO₂/m²）分级；估算值单独编码（虚线边框）。

    Raises
    ------
    ValueError
        If ``tco2_per_m2`` or ``basis`` is missing or ``k`` is out of range.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"tco2_per_m2": [0.01, 0.05, None], "basis": ["measured",
    ...     "estimated", "no_data"]}, geometry=[box(0, 0, 1, 1)] * 3, crs=4326)
    >>> frame, classes = classed_buildings(b, k=2)
    >>> frame["carbon_class"].tolist(), classes.bins
    (['c0', 'c1_est', 'none'], (0.01, 0.05))
    """
    _check_k(k)
    missing = [c for c in ("tco2_per_m2", "basis") if c not in buildings.columns]
    if missing:
        raise ValueError(f"the carbon buildings lack {missing}; pass the building_emissions "
                         "result layer 'carbon_buildings'")
    bins, cls = intensity_classes(buildings["tco2_per_m2"], k=k, scheme=scheme)
    estimated = (buildings["basis"] == "estimated").to_numpy()
    codes = np.where(cls.to_numpy() < 0, "none",
                     np.char.add(np.char.add("c", cls.to_numpy().astype(str)),
                                 np.where(estimated, "_est", "")))
    keep = [c for c in BUILDING_COLUMNS if c in buildings.columns]
    frame = buildings[keep].assign(carbon_class=codes)
    frame = gpd.GeoDataFrame(frame, geometry=buildings.geometry, crs=buildings.crs)
    return frame, CarbonClasses("tco2_per_m2", "tCO₂/m²", tuple(bins), _ramp(len(bins)))


def classed_units(
    per_unit: pd.DataFrame, units: gpd.GeoDataFrame, *, k: int = 5,
    scheme: Literal["fisher_jenks", "quantiles"] = "fisher_jenks",
) -> tuple[gpd.GeoDataFrame, CarbonClasses]:
    """Return 街道 polygons with their tCO₂ totals and ``carbon_class`` (``u0``.., ``none``).

    中文：街道碳排放总量分级设色。

    Rows of ``per_unit`` without a unit (buildings outside every 街道) have no polygon and
    are not drawn.

    Raises
    ------
    ValueError
        If ``per_unit`` lacks ``unit_id`` / ``tco2`` or ``units`` lacks ``id``.
    """
    _check_k(k)
    if not {"unit_id", "tco2"} <= set(per_unit.columns) or "id" not in units.columns:
        raise ValueError("per_unit needs unit_id and tco2 columns and units an id column "
                         "(the building_emissions per-unit table and the 街道 layer)")
    table = per_unit[per_unit["unit_id"].notna()].copy()
    table["unit_id"] = table["unit_id"].astype(str)
    cols = [c for c in ("unit_id", "unit_name", "n_buildings", "n_measured", "n_estimated",
                        "n_no_data", "tco2", "tco2_per_m2") if c in table.columns]
    shapes = units[["id", units.geometry.name]].assign(unit_id=units["id"].astype(str))
    merged = shapes.merge(table[cols], on="unit_id", how="inner").drop(columns=["id"])
    bins, cls = intensity_classes(merged["tco2"], k=k, scheme=scheme)
    merged["carbon_class"] = np.where(cls.to_numpy() < 0, "none",
                                      np.char.add("u", cls.to_numpy().astype(str)))
    frame = gpd.GeoDataFrame(merged, geometry=units.geometry.name, crs=units.crs)
    return frame, CarbonClasses("tco2", "tCO₂", tuple(bins), _ramp(len(bins)))


def legend_ranges(classes: CarbonClasses, values: Sequence[float]) -> list[tuple[str, str]]:
    """Return ``(colour, "low–high")`` legend rows; the first class starts at the minimum.

    中文：图例分级文字。
    """
    finite = [v for v in values if v is not None and np.isfinite(v)]
    lower = min(finite) if finite else 0.0
    return [(c, f"{_fmt(lo)}–{_fmt(hi)}") for lo, hi, c in classes.ranges(lower)]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
