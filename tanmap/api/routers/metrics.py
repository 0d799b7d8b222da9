"""Metrics (指标): list them and run one on a district's layers."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from tanmap.api.deps import Adcode, get_store
from tanmap.api.models import MetricInfo, MetricRequest
from tanmap.geo.errors import MetricParameterError
from tanmap.geo.metric import params_to_dict
from tanmap.geo.registry import METRICS, get_metric
from tanmap.layers.runner import run_metric, use_metric_memo
from tanmap.layers.store import Store

__all__ = ["router"]

router = APIRouter(tags=["metrics 指标"])

MetricName = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,64}$", description="指标名称 metric name")]
Distance = Annotated[Literal["straight", "network"], Query(
    description="park_coverage: straight radius 直线半径 (default) or walked on the walk_network "
                "步行网络 (= park_walk_coverage)")]


def _walked(name: str, distance: str) -> str:
    """Return the metric to run: ``park_coverage`` walked is ``park_walk_coverage``."""
    if distance == "straight":
        return name
    if name not in ("park_coverage", "park_walk_coverage"):
        raise MetricParameterError(f"distance=network applies to park_coverage, not {name!r}")
    return "park_walk_coverage"


def _defaults(params_type: type) -> dict[str, Any]:
    try:
        return params_to_dict(params_type())
    except TypeError:  # parameters without defaults (e.g. indicator key)
        return {f.name: None for f in dataclasses.fields(params_type)}


@router.get("/api/metrics", response_model=list[MetricInfo], summary="List metrics 指标列表")
def list_metrics() -> list[MetricInfo]:
    """Return every registered metric with its inputs and default parameters."""
    return [
        MetricInfo(name=d.name, zh=d.zh, en=d.en, unit=d.unit, inputs=list(d.inputs),
                   optional_inputs=list(d.optional_inputs), params=_defaults(d.params))
        for d in sorted(METRICS.values(), key=lambda d: d.name)
    ]


@router.get("/api/districts/{adcode}/metrics/{name}", summary="Run a metric (defaults) 计算指标")
def get_metric_result(
    adcode: Adcode,
    name: MetricName,
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    distance: Distance = "straight",
) -> dict[str, Any]:
    """Run metric ``name`` with its default parameters; every parameter used is in the answer."""
    name = _walked(name, distance)
    get_metric(name)
    store.district(adcode)
    with use_metric_memo(request.app.state.metric_memo):  # unchanged inputs: remembered
        return run_metric(store, name, adcode, year=year).to_dict()


@router.post("/api/districts/{adcode}/metrics/{name}", summary="Run a metric 计算指标（带参数）")
def post_metric(
    adcode: Adcode,
    name: MetricName,
    request: Request,
    body: MetricRequest,
    store: Annotated[Store, Depends(get_store)],
    distance: Distance = "straight",
) -> dict[str, Any]:
    """Run metric ``name`` with the given parameters, audit year and planning horizon."""
    name = _walked(name, distance)
    get_metric(name)
    store.district(adcode)
    with use_metric_memo(request.app.state.metric_memo):
        return run_metric(store, name, adcode, body.params, year=body.year,
                          include_planned_until=body.include_planned_until).to_dict()
