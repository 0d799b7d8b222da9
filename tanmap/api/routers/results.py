"""Result layers of a metric (计算结果图层) over HTTP: list them, export one as a file."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from tanmap.api.deps import Adcode, get_store
from tanmap.api.models import MetricRequest
from tanmap.api.routers.layers import EXPORT_MEDIA
from tanmap.api.routers.metrics import MetricName
from tanmap.geo.registry import get_metric
from tanmap.layers.results import RESULT_LAYER_LABELS, export_result_layer, result_layers
from tanmap.layers.runner import RunOutcome, run_metric
from tanmap.layers.store import Store

__all__ = ["router"]

router = APIRouter(prefix="/api/districts/{adcode}/metrics/{name}/layers",
                   tags=["metrics 指标"])

LayerName = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$",
                                description="结果图层 result layer, e.g. gaps, failing_units")]
Format = Annotated[Literal["geojson", "gpkg", "shp"], Query()]
Crs = Annotated[int | None, Query(ge=2000, le=32767, description="EPSG code for gpkg/shp")]
Encoding = Annotated[Literal["utf-8", "gbk"], Query()]
Year = Annotated[int | None, Query(ge=1900, le=2100)]


def _run(store: Store, adcode: str, name: str, params: dict[str, Any] | None, year: int | None,
         planned_until: int | None) -> RunOutcome:
    get_metric(name)
    store.district(adcode)
    return run_metric(store, name, adcode, params, year=year, include_planned_until=planned_until)


def _file(store: Store, outcome: RunOutcome, layer: str, fmt: str, crs: int | None,
          encoding: str) -> FileResponse:
    media, suffix = EXPORT_MEDIA[fmt]
    tmp = tempfile.TemporaryDirectory(prefix="tanmap-result-")
    path = FilePath(tmp.name) / f"{outcome.district}_{outcome.result.name}_{layer}{suffix}"
    opts: dict[str, Any] = {}
    if fmt != "geojson" and crs:
        opts["crs"] = f"EPSG:{crs}"
    if fmt == "shp":
        opts["encoding"] = encoding
    try:
        export_result_layer(store, outcome, layer, path, fmt, **opts)
    except Exception:
        tmp.cleanup()
        raise
    return FileResponse(path, media_type=media, filename=path.name,
                        background=BackgroundTask(tmp.cleanup))


@router.get("", summary="Result layers of a metric run 计算结果图层")
def list_result_layers(
    adcode: Adcode, name: MetricName, store: Annotated[Store, Depends(get_store)],
    year: Year = None, planned_until: Year = None,
) -> list[dict[str, Any]]:
    """Return the result layers of the metric (default parameters) with their feature counts."""
    outcome = _run(store, adcode, name, None, year, planned_until)
    return [{"layer": layer, "name_zh": RESULT_LAYER_LABELS.get(layer, (layer, layer))[0],
             "name_en": RESULT_LAYER_LABELS.get(layer, (layer, layer))[1],
             "n_features": len(frame)}
            for layer, frame in result_layers(store, outcome).items()]


@router.get("/{layer}", summary="Export a result layer 导出计算结果图层",
            response_class=FileResponse,
            responses={200: {"content": {m: {} for m, _ in EXPORT_MEDIA.values()}}})
def get_result_layer(
    adcode: Adcode, name: MetricName, layer: LayerName,
    store: Annotated[Store, Depends(get_store)],
    format: Format = "geojson", crs: Crs = None, encoding: Encoding = "utf-8",
    year: Year = None, planned_until: Year = None,
) -> FileResponse:
    """Run the metric with its default parameters and return one result layer as a file."""
    outcome = _run(store, adcode, name, None, year, planned_until)
    return _file(store, outcome, layer, format, crs, encoding)


@router.post("/{layer}", summary="Export a result layer (with parameters) 导出计算结果图层",
             response_class=FileResponse,
             responses={200: {"content": {m: {} for m, _ in EXPORT_MEDIA.values()}}})
def post_result_layer(
    adcode: Adcode, name: MetricName, layer: LayerName, body: MetricRequest,
    store: Annotated[Store, Depends(get_store)],
    format: Format = "geojson", crs: Crs = None, encoding: Encoding = "utf-8",
) -> FileResponse:
    """Run the metric with the body's parameters and return one result layer as a file."""
    outcome = _run(store, adcode, name, body.params, body.year, body.include_planned_until)
    return _file(store, outcome, layer, format, crs, encoding)
