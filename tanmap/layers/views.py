"""Assemble what a district view shows (layers, coverage overlays, audit summary) from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from tanmap.geo.errors import TanmapError
from tanmap.layers.audit import AuditCard, audit_district
from tanmap.layers.card_text import target_text
from tanmap.layers.kinds import LayerKind
from tanmap.layers.report import format_value
from tanmap.layers.runner import run_metric

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from tanmap.layers.store import Store

__all__ = [
    "SAMPLE_MARK",
    "UNIT_KINDS",
    "DistrictView",
    "audit_summary",
    "district_view",
    "is_sample",
    "layers_signature",
]

#: Text that every synthetic feature carries in its ``source`` (示例数据 synthetic sample).
SAMPLE_MARK = "示例数据"

#: Kinds shown as administrative units rather than plan layers.
UNIT_KINDS = (LayerKind.DISTRICT, LayerKind.SUBDISTRICT, LayerKind.COMMUNITY)


@dataclass(frozen=True)
class DistrictView:
    """Inputs of a district map: stored layers, units, coverage overlays and the audit summary.

    中文：区县地图所需数据。
    """

    district: pd.Series
    layers: Mapping[LayerKind, gpd.GeoDataFrame]
    units: gpd.GeoDataFrame | None
    coverage: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    unit_coverage: pd.DataFrame | None = None
    audit_summary: list[dict[str, Any]] = field(default_factory=list)
    sample: bool = False


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
    store: Store, adcode: str, *, year: int, lang: str = "zh", card: AuditCard | None = None
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
        A precomputed audit card (e.g. from a cache); computed when None.

    Raises
    ------
    UnknownDistrictError
        If the store has no such district.
    """
    row = store.district(adcode)
    stored = {v.kind for v in store.layers(adcode)}
    layers = {
        kind: store.read(kind, district=adcode)
        for kind in LayerKind
        if kind in stored and kind not in UNIT_KINDS
    }
    units = (
        store.read(LayerKind.SUBDISTRICT, district=adcode)
        if LayerKind.SUBDISTRICT in stored else None
    )
    coverage: dict[str, gpd.GeoDataFrame] = {}
    unit_coverage = None
    if LayerKind.PARK in stored and LayerKind.RESIDENTIAL_LAND in stored:
        outcome = run_metric(store, "park_coverage", adcode, year=year)
        coverage = {
            name: frame.to_crs(4326) for name, frame in outcome.result.layers.items()
            if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None
        }
        unit_coverage = _subdistrict_table(outcome.result.per_unit)
    if card is None:
        try:
            card = audit_district(store, adcode, year=year)
        except TanmapError:
            card = None  # a district without a catalog still gets its map
    frames: dict[Any, gpd.GeoDataFrame] = dict(layers)
    if units is not None:
        frames["units"] = units
    return DistrictView(
        district=row,
        layers=layers,
        units=units,
        coverage=coverage,
        unit_coverage=unit_coverage,
        audit_summary=audit_summary(card, lang) if card is not None else [],
        sample=is_sample(frames),
    )


def _subdistrict_table(per_unit: pd.DataFrame | None) -> pd.DataFrame | None:
    if per_unit is None or len(per_unit) == 0:
        return None
    if "unit_kind" in per_unit.columns:
        per_unit = per_unit[per_unit["unit_kind"] == LayerKind.SUBDISTRICT.value]
    return per_unit.reset_index(drop=True)
