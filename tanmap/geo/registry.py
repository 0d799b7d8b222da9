"""The metric registry: every ``MetricDef`` of the geo/ metric modules, by name."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from tanmap.geo import (
    charging,
    coverage,
    eco,
    emissions,
    heating,
    living_circle,
    pv,
    units,
    walk_coverage,
)
from tanmap.geo.errors import UnknownMetricError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tanmap.geo.metric import MetricDef

__all__ = ["METRICS", "get_metric"]

# Each metric module exposes METRIC_DEFS; add a module here when it defines metrics.
_MODULES: tuple[object, ...] = (
    coverage, charging, pv, heating, eco, units, walk_coverage, living_circle, emissions,
)

METRICS: Mapping[str, MetricDef] = MappingProxyType(
    {d.name: d for m in _MODULES for d in getattr(m, "METRIC_DEFS")}  # noqa: B009
)


def get_metric(name: str) -> MetricDef:
    """Return the metric called ``name``.

    中文：按名称取指标定义。

    Raises
    ------
    UnknownMetricError
        If no metric has that name; the message lists the known names.
    """
    try:
        return METRICS[name]
    except KeyError as err:
        raise UnknownMetricError(
            f"unknown metric {name!r}; known metrics: {', '.join(sorted(METRICS)) or '(none)'}"
        ) from err
