"""Assemble what a district view shows (layers, coverage overlays, audit summary) from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from tanmap.geo.audit import filter_as_of
from tanmap.geo.errors import TanmapError
from tanmap.geo.heating import pipe_age_bands
from tanmap.layers.audit import AuditCard, audit_district
from tanmap.layers.card.card_text import target_text
from tanmap.layers.card.report import format_value
from tanmap.layers.kinds import LayerKind
from tanmap.layers.raster.rasters import RasterImage, raster_image, raster_versions
from tanmap.layers.runner import run_metric
from tanmap.layers.vector_tiles import TiledLayer, tiled_layer

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tanmap.layers.store.base import Store

__all__ = [
    "HORIZONS",
    "SAMPLE_MARK",
    "UNIT_KINDS",
    "DistrictView",
    "audit_summary",
    "district_view",
    "failing_units_frame",
    "is_sample",
    "layers_signature",
]

#: Text that every synthetic feature carries in its ``source`` (示例数据 synthetic sample).
SAMPLE_MARK = "示例数据"

#: Years a district view can show: "now" (现状: what exists at the audit year) or a plan year
#: (what exists by then, counting projects planned for completion by that year).
HORIZONS: tuple[str, ...] = ("now", "2025", "2030")

#: Kinds shown as administrative units rather than plan layers.
UNIT_KINDS = (LayerKind.DISTRICT, LayerKind.SUBDISTRICT, LayerKind.COMMUNITY)


@dataclass(frozen=True)
class DistrictView:
    """Inputs of a district map: stored layers, units, coverage overlays and the audit summary.

    中文：区县地图所需数据。
    """

    district: pd.Series
    layers: Mapping[LayerKind, gpd.GeoDataFrame | TiledLayer]
    units: gpd.GeoDataFrame | None
    coverage: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    unit_coverage: pd.DataFrame | None = None
    audit_summary: list[dict[str, Any]] = field(default_factory=list)
    sample: bool = False
    #: The building_emissions result (碳排放量地图): its ``carbon_buildings`` layer (EPSG:4326)
    #: and per-街道 table; None when the district has no building with a figure.
    carbon_buildings: gpd.GeoDataFrame | None = None
    carbon_per_unit: pd.DataFrame | None = None
    #: Current raster layers drawn for the map (``tanmap.layers.raster.rasters.raster_image``).
    rasters: tuple[RasterImage, ...] = ()


def layers_signature(store: Store, adcode: str) -> tuple[tuple[str, int], ...]:
    """Return (kind, version) of every stored layer of a district: a cache key for derived views."""
    return tuple(sorted((v.kind.value, v.version) for v in store.layers(adcode)))


def is_sample(frames: Mapping[Any, gpd.GeoDataFrame]) -> bool:
    """Return True when any feature says it is synthetic sample data (示例数据)."""
    for frame in frames.values():
        if "source" in frame.columns and (
            frame["source"].astype(str).str.contains(SAMPLE_MARK).any()
        ):
            return True
    return False


def audit_summary(card: AuditCard, lang: str = "zh") -> list[dict[str, Any]]:
    """Return the side-panel rows of an audit card, values formatted for display.

    中文：评估摘要（目标、状态、现值、目标值）。
    """
    rows = []
    for row in card.rows:
        data = row.to_dict()
        unit = data.get("unit") or ""
        rows.append({
            "id": data.get("target_id"),
            "title": row.title(lang),
            "status": data.get("status"),
            # 达标（误差范围内） when the gap lies within the figure's error bound.
            "status_label": row.status_label(lang),
            "measured": format_value(data.get("measured"), unit, lang),
            # "≥ 50.0%", or 待市级下达 for a figure the city sets (never ">= —").
            "target": target_text(row, lang),
        })
    return rows


def district_view(
    store: Store, adcode: str, *, year: int, lang: str = "zh", card: AuditCard | None = None,
    horizon: str = "now", rule: str | None = None,
    tiled: Mapping[str, str | None] | None = None,
) -> DistrictView:
    """Collect everything the district map shows.

    中文：汇总区县地图数据（图层、服务半径、覆盖缺口、街道覆盖率、评估摘要）。

    Parameters
    ----------
    store
        The project store.
    adcode
        District code.
    year
        Audit year for the coverage overlays and the audit.
    lang
        Language of the audit summary.
    card
        A precomputed audit card (e.g. from a cache) for the same year and horizon; computed
        when None.
    horizon
        ``"now"`` (现状): features existing at ``year``; ``"2025"``/``"2030"``: features existing
        by then plus projects planned or under construction due by then
        (:func:`tanmap.geo.audit.filter_as_of`); overlays and the audit at that year.
    rule
        Park-coverage rule of the coverage overlays (default: the metric's).
    tiled
        ``{kind value: its style class field or None}`` of the layers the map draws from vector
        tiles: they are not read; ``layers`` holds
        their :class:`~tanmap.layers.vector_tiles.TiledLayer` summary (count, classes, sample
        flag), and the per-building carbon layer is not computed for a tiled building layer
        unless 街道 need its totals.

    Raises
    ------
    UnknownDistrictError
        If the store has no such district.
    ValueError
        If ``horizon`` is not one of :data:`HORIZONS`.
    """
    if horizon not in HORIZONS:
        raise ValueError(f"unknown horizon {horizon!r}; use one of {', '.join(HORIZONS)}")
    planned_until = None if horizon == "now" else int(horizon)
    tiled = tiled or {}
    at_year = year if planned_until is None else planned_until
    row = store.district(adcode)
    stored = {v.kind for v in store.layers(adcode)}
    layers: dict[LayerKind, Any] = {
        kind: (tiled_layer(store, kind, adcode, tiled[kind.value]) if kind.value in tiled
               else _as_of(store.read(kind, district=adcode), at_year, planned_until))
        for kind in LayerKind
        if kind in stored and kind not in UNIT_KINDS
    }
    if isinstance(layers.get(LayerKind.HEATING_PIPE), gpd.GeoDataFrame):
        pipes = layers[LayerKind.HEATING_PIPE]
        layers[LayerKind.HEATING_PIPE] = pipes.assign(age_band=pipe_age_bands(pipes, at_year))
    units = (
        store.read(LayerKind.SUBDISTRICT, district=adcode)
        if LayerKind.SUBDISTRICT in stored else None
    )
    coverage: dict[str, gpd.GeoDataFrame] = {}
    unit_coverage = None
    if LayerKind.PARK in stored and LayerKind.RESIDENTIAL_LAND in stored:
        outcome = run_metric(store, "park_coverage", adcode, {"rule": rule} if rule else None,
                             year=at_year, include_planned_until=planned_until)
        coverage = _result_layers(outcome.result.layers)
        unit_coverage = _subdistrict_table(outcome.result.per_unit)
    if LayerKind.WALK_NETWORK in stored and LayerKind.PARK in stored and (
            LayerKind.RESIDENTIAL_LAND in stored):
        # Walking reach beside the straight radius (same rule): reached streets, radius-only land.
        walk = run_metric(store, "park_walk_coverage", adcode, {"rule": rule} if rule else None,
                          year=at_year, include_planned_until=planned_until)
        walked = _result_layers(walk.result.layers)
        coverage.update({k: walked[k] for k in ("walk_service_areas", "radius_only")
                         if k in walked})
    if {LayerKind.WALK_NETWORK, LayerKind.BUILDING, LayerKind.LIVING_CIRCLE_FACILITY} <= set(
            stored):
        circle = run_metric(store, "living_circle", adcode, {"level": 15}, year=at_year,
                            include_planned_until=planned_until)
        missing = _result_layers(circle.result.layers).get("missing_facilities")
        if missing is not None:
            coverage["living_missing"] = missing
    if LayerKind.CHARGING_STATION in stored:
        charging = run_metric(store, "charging_service_radius", adcode, year=at_year,
                              include_planned_until=planned_until)
        coverage.update({f"charging_{name}": frame
                         for name, frame in _result_layers(charging.result.layers).items()})
    carbon_buildings, carbon_per_unit = (
        (None, None) if LayerKind.BUILDING.value in tiled and LayerKind.SUBDISTRICT not in stored
        else _carbon(store, adcode, at_year, planned_until, stored))
    if card is None:
        try:
            card = audit_district(store, adcode, year=at_year,
                                  include_planned_until=planned_until)
        except TanmapError:
            card = None  # a district without a catalog still gets its map
    if card is not None:
        failing = failing_units_frame(store, adcode, card, lang)
        if failing is not None:
            coverage["failing_units"] = failing
    frames: dict[Any, gpd.GeoDataFrame] = {
        k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    if units is not None:
        frames["units"] = units
    return DistrictView(
        district=row,
        layers=layers,
        units=units,
        coverage=coverage,
        unit_coverage=unit_coverage,
        audit_summary=audit_summary(card, lang) if card is not None else [],
        sample=is_sample(frames) or any(
            isinstance(v, TiledLayer) and v.sample for v in layers.values()),
        carbon_buildings=carbon_buildings,
        carbon_per_unit=carbon_per_unit,
        rasters=tuple(raster_image(store, v.kind, adcode) for v in _raster_versions(store, adcode)),
    )


def _raster_versions(store: Store, adcode: str) -> list[Any]:
    """Return the current rasters of a store; a store without a raster directory keeps none.

    Rasters are files beside a GeoPackage store, or in a PostGIS store's ``raster_dir``.
    """
    if not hasattr(store, "path") and not hasattr(store, "raster_dir"):
        return []
    return raster_versions(store, adcode)


def _carbon(store: Store, adcode: str, year: int, planned_until: int | None,
            stored: set[LayerKind]) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame | None]:
    """Return the carbon map's buildings and per-街道 table, or (None, None) without figures."""
    if LayerKind.BUILDING not in stored:
        return None, None
    try:
        outcome = run_metric(store, "building_emissions", adcode, year=year,
                             include_planned_until=planned_until)
    except TanmapError:
        return None, None  # e.g. no climate zone known outside China: no carbon map
    result = outcome.result
    if result.value is None:
        return None, None
    layer = _result_layers(result.layers).get("carbon_buildings")
    return layer, result.per_unit


def _as_of(frame: gpd.GeoDataFrame, year: int, planned_until: int | None) -> gpd.GeoDataFrame:
    out = filter_as_of(frame, year, include_planned_until=planned_until)
    return out if isinstance(out, gpd.GeoDataFrame) else gpd.GeoDataFrame(out, crs=frame.crs)


def _result_layers(layers: Mapping[str, Any]) -> dict[str, gpd.GeoDataFrame]:
    return {
        name: frame.to_crs(4326) for name, frame in layers.items()
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None
    }


def failing_units_frame(
    store: Store, adcode: str, card: AuditCard, lang: str = "zh"
) -> gpd.GeoDataFrame | None:
    """Return the 社区/街道 an audit card names as failing, with the targets they fail.

    中文：未达标单元（社区/街道）及其未达标目标。

    Units are matched by name, 社区 first, then 街道; names the store does not hold are skipped.
    Returns None when no row names a failing unit.
    """
    targets: dict[str, list[str]] = {}
    for row in card.rows:
        for name in getattr(row, "failing_units", ()) or ():
            targets.setdefault(str(name), []).append(row.title(lang))
    if not targets:
        return None
    stored = {v.kind for v in store.layers(adcode)}
    parts = []
    for kind in (LayerKind.COMMUNITY, LayerKind.SUBDISTRICT):
        if kind not in stored:
            continue
        units = store.read(kind, district=adcode)
        hit = units[units["name"].astype(str).isin(targets)]
        if len(hit):
            parts.append(gpd.GeoDataFrame({
                "unit_id": hit["id"].astype(str).to_numpy(),
                "unit_name": hit["name"].astype(str).to_numpy(),
                "targets": ["；".join(targets[n]) for n in hit["name"].astype(str)],
                "source": hit["source"].to_numpy() if "source" in hit.columns else None,
            }, geometry=hit.geometry.to_numpy(), crs=units.crs))
            targets = {k: v for k, v in targets.items() if k not in set(parts[-1]["unit_name"])}
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def _subdistrict_table(per_unit: pd.DataFrame | None) -> pd.DataFrame | None:
    if per_unit is None or len(per_unit) == 0:
        return None
    if "unit_kind" in per_unit.columns:
        per_unit = per_unit[per_unit["unit_kind"] == LayerKind.SUBDISTRICT.value]
    return per_unit.reset_index(drop=True)
