"""Result layers of a metric run (计算结果图层): gaps, service areas, failing units, for export.

A metric returns display layers in the planning CRS (``MetricResult.layers``: the coverage
``gaps`` and ``service_areas``, charging ``gaps``, heating ``old_pipes`` ...) and a per-unit table
(``per_unit``). :func:`result_layers` turns both into exportable GeoDataFrames in EPSG:4326:
the metric's own layers, ``units`` (each 街道/社区 with its figures) and ``failing_units`` (the
units whose per-unit rule is not met). :func:`export_result_layer` writes one with the layer
writers of :mod:`tanmap.layers.ingest.io` (GeoJSON, GeoPackage, zipped Shapefile).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from tanmap.geo.errors import LayerNotFoundError
from tanmap.layers.ingest.io import write_layer
from tanmap.layers.kinds import LayerKind

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

    from tanmap.layers.runner import RunOutcome
    from tanmap.layers.store.base import Store

__all__ = [
    "FAILING_UNITS",
    "RESULT_LAYER_LABELS",
    "UNITS",
    "export_result_layer",
    "result_layers",
    "unit_figures",
]

#: Name of the layer of 街道/社区 with their per-unit figures.
UNITS = "units"
#: Name of the layer of the units that break the metric's per-unit rule.
FAILING_UNITS = "failing_units"
#: Columns of a per-unit table meaning "this unit meets the rule" (first found wins).
UNIT_MET_COLUMNS: tuple[str, ...] = ("met", "meets", "ok", "passes", "threshold_met")
#: Bilingual labels of the result layers metrics produce (others are shown by name).
RESULT_LAYER_LABELS: Mapping[str, tuple[str, str]] = {
    "gaps": ("服务盲区", "Gaps (not served)"),
    "service_areas": ("服务范围", "Service areas"),
    "old_pipes": ("超期管网", "Pipes past their service life"),
    "radius_only": ("仅半径覆盖（步行不可达）", "Radius-only (not reached on foot)"),
    "walk_service_areas": ("步行服务范围", "Walking service areas"),
    "access_points": ("公园接入点", "Park access points"),
    "buildings_walk": ("建筑步行可达", "Buildings reached on foot"),
    UNITS: ("单元指标", "Units with their figures"),
    FAILING_UNITS: ("未达标单元", "Units failing the rule"),
}

_UNIT_KINDS = {LayerKind.SUBDISTRICT.value, LayerKind.COMMUNITY.value}


def _plain_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` with list/dict/object values as text, so every writer can store them."""
    out = frame.copy()
    for col in out.columns:
        if col == out.geometry.name or out[col].dtype != object:
            continue
        out[col] = [
            None if v is None or (isinstance(v, float) and np.isnan(v))
            else json.dumps(v, ensure_ascii=False, default=str)
            if isinstance(v, list | tuple | dict | set) else str(v)
            for v in out[col]
        ]
    return out


def unit_figures(store: Store, outcome: RunOutcome) -> gpd.GeoDataFrame | None:
    """Return the run's per-unit table joined to the unit polygons (EPSG:4326), or None.

    中文：各街道/社区的指标值（含边界），用于导出与制图。

    The unit layer is ``unit_kind`` of each row when the table has it (park coverage), else
    the district's 街道 (``subdistrict``); rows are matched on ``unit_id`` = the unit's ``id``.
    Units whose polygon is not in the store are dropped.
    """
    table = outcome.result.per_unit
    if table is None or len(table) == 0 or "unit_id" not in table.columns:
        return None
    table = table.copy()
    if "unit_kind" not in table.columns:
        default = outcome.result.params.get("unit_kind", LayerKind.SUBDISTRICT.value)
        table["unit_kind"] = str(default)
    parts = []
    for kind in sorted(set(table["unit_kind"].astype(str)) & _UNIT_KINDS):
        units = store.read(kind, district=outcome.district)[["id", "geometry"]]
        rows = table[table["unit_kind"].astype(str) == kind].assign(
            unit_id=lambda t: t["unit_id"].astype(str))
        joined = units.merge(rows, left_on="id", right_on="unit_id", how="inner")
        parts.append(joined.drop(columns="id"))
    if not parts:
        return None
    merged = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                              crs="EPSG:4326")
    merged.insert(0, "metric", outcome.result.name)
    return _plain_columns(_geometry_last(merged))


def _geometry_last(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    name = frame.geometry.name
    return frame[[c for c in frame.columns if c != name] + [name]]


def result_layers(store: Store, outcome: RunOutcome) -> dict[str, gpd.GeoDataFrame]:
    """Return every exportable layer of a metric run, in EPSG:4326.

    中文：指标计算的全部结果图层（盲区、服务范围、超期管网、单元指标、未达标单元）。

    Parameters
    ----------
    store
        The store the metric ran on (for the 街道/社区 polygons).
    outcome
        The run (:func:`tanmap.layers.runner.run_metric`).

    Returns
    -------
    dict
        Layer name -> GeoDataFrame: the metric's ``layers``, plus :data:`UNITS` when it has a
        per-unit table and :data:`FAILING_UNITS` when that table says which units meet the rule.
        Each carries a ``metric`` column.
    """
    out: dict[str, gpd.GeoDataFrame] = {}
    for name, frame in outcome.result.layers.items():
        if not isinstance(frame, gpd.GeoDataFrame):
            continue
        layer = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
        layer = layer.reset_index(drop=True)
        layer.insert(0, "metric", outcome.result.name)
        out[str(name)] = _plain_columns(_geometry_last(layer))
    units = unit_figures(store, outcome)
    if units is not None:
        out[UNITS] = units
        met = next((c for c in UNIT_MET_COLUMNS if c in units.columns), None)
        if met is not None:
            ok = units[met].map(lambda v: str(v).lower() in {"true", "1"})
            out[FAILING_UNITS] = units[~ok.to_numpy()].reset_index(drop=True)
    return out


def export_result_layer(
    store: Store,
    outcome: RunOutcome,
    name: str,
    path: str | os.PathLike[str],
    fmt: str,
    **opts: Any,
) -> tuple[gpd.GeoDataFrame, Any]:
    """Write result layer ``name`` of a run to ``path`` as ``fmt`` (geojson, gpkg or shp).

    中文：导出计算结果图层（GeoJSON、GeoPackage、Shapefile）。

    Parameters
    ----------
    store, outcome
        See :func:`result_layers`.
    name
        A key of :func:`result_layers`, e.g. ``"gaps"`` or ``"failing_units"``.
    path, fmt, **opts
        Passed to :func:`tanmap.layers.ingest.io.write_layer` (``crs``, ``encoding``; the GeoPackage
        layer name defaults to ``<metric>_<name>``).

    Returns
    -------
    tuple
        The layer written and the writer's report (a Path, or a ``ShapefileReport``).

    Raises
    ------
    LayerNotFoundError
        If the run has no layer ``name``; the message lists the layers it has.
    """
    layers = result_layers(store, outcome)
    if name not in layers:
        have = ", ".join(f"{k} ({len(v)})" for k, v in layers.items()) or "none"
        raise LayerNotFoundError(
            f"metric {outcome.result.name} of district {outcome.district} has no result layer "
            f"{name!r}; it has: {have}"
        )
    frame = layers[name]
    if fmt == "gpkg":
        opts.setdefault("layer", f"{outcome.result.name}_{name}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return frame, write_layer(frame, path, fmt, **opts)
