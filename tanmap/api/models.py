"""Request and response models of the HTTP API (GeoJSON is always EPSG:4326 lon/lat)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AuditRuleRequest",
    "DistrictOut",
    "FeatureCollectionIn",
    "HistoryEntryOut",
    "ImportOut",
    "IndicatorIn",
    "IndicatorOut",
    "LayerVersionOut",
    "MetricInfo",
    "MetricRequest",
    "RasterVersionOut",
    "SiteRequest",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DistrictOut(_Model):
    """A district (区县) known to the store."""

    adcode: str
    name: str | None = None
    name_en: str | None = None
    planning_epsg: int | None = None
    bbox: list[float] = Field(description="west, south, east, north (EPSG:4326)")


class LayerVersionOut(_Model):
    """The current version of one stored layer."""

    kind: str
    name_zh: str
    name_en: str
    district: str
    version: int
    updated_at: str
    n_features: int
    source: str


class RasterVersionOut(_Model):
    """One version of a raster layer (栅格图层版本)."""

    kind: str
    district: str
    version: int
    updated_at: str
    source: str
    checksum: str
    crs: str
    width: int
    height: int
    bounds: list[float]
    dtype: str
    nodata: float | None
    deleted: bool


class ImportOut(_Model):
    """Result of an accepted feature import (or of a dry run: ``layer`` is then the current one)."""

    layer: LayerVersionOut | None
    warnings: list[dict[str, Any]] = Field(default_factory=list)
    dry_run: bool = False
    n_valid: int | None = Field(default=None, description="features that passed (stored unless "
                                                          "dry_run)")
    rejected: list[dict[str, Any]] = Field(
        default_factory=list, description="skip_invalid: features left out, with problems")
    repairs: list[str] = Field(default_factory=list)
    mapping: dict[str, Any] | None = Field(default=None,
                                           description="field mapping applied (字段映射)")


class FeatureCollectionIn(_Model):
    """An RFC 7946 FeatureCollection (WGS84 lon/lat) to import."""

    model_config = ConfigDict(extra="allow")

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]] = Field(max_length=200_000)


class MetricRequest(_Model):
    """Parameters of a metric run."""

    params: dict[str, Any] = Field(default_factory=dict)
    year: int | None = Field(default=None, ge=1900, le=2100)
    include_planned_until: int | None = Field(default=None, ge=1900, le=2100)


class SiteRequest(_Model):
    """A siting question (设施选址): exactly one of count, target_share, min_count."""

    kind: Literal["pocket_garden", "park", "charging_station", "recycling_point",
                  "transfer_station", "bus_stop"] | None = Field(
        default=None, description="facility kind; left out with target_id (the target names it)")
    target_id: str | None = Field(
        default=None, pattern=r"^\d{6}-[A-Z]{1,3}\d{2}$",
        description="a catalog target with a siting question (e.g. 120101-G03): it sets the "
                    "kind, the model and its figure")
    count: int | None = Field(default=None, ge=0, le=500, description="best N new sites")
    target_share: float | None = Field(default=None, gt=0, le=1,
                                       description="coverage target (share 0-1)")
    min_count: int | None = Field(default=None, ge=1, le=20, description="at least K per unit")
    radius_m: float | None = Field(default=None, gt=0, le=10_000, description="radius (m)")
    spacing_m: float | None = Field(default=None, ge=20, le=5_000,
                                    description="grid spacing of generated candidates (m)")
    budget: float | None = Field(default=None, ge=0, le=1e9, description="budget (万元)")
    zone_type: str | None = Field(default=None, max_length=32, pattern=r"^[a-z_]+$")
    available_by: int | None = Field(default=None, ge=1900, le=2100)
    time_limit_s: float = Field(default=30.0, gt=0, le=120, description="solver time limit (s)")
    plan: bool = Field(default=False, description="the seed plan's own question (规划目标)")
    demand: Literal["land", "area", "buildings", "population"] | None = Field(
        default=None, description="what is served: residential land (default), the whole "
                                  "area, residential buildings, or their residents")
    distance: Literal["straight", "network"] | None = Field(
        default=None, description="straight line (default) or walked along the walk_network")

    @model_validator(mode="after")
    def _kind_or_target(self) -> SiteRequest:
        if self.kind is None and self.target_id is None:
            raise ValueError("give kind (e.g. pocket_garden) or target_id (e.g. 120101-G03)")
        return self


class MetricInfo(_Model):
    """A registered metric and its parameters with defaults."""

    name: str
    zh: str
    en: str
    unit: str
    inputs: list[str]
    optional_inputs: list[str]
    params: dict[str, Any]


class IndicatorIn(_Model):
    """One indicator value as the user entered it (converted to the target's unit on store)."""

    year: int = Field(ge=1900, le=2100, description="年份 year the value is for")
    value: float = Field(allow_inf_nan=False, description="数值 value as entered, e.g. 95")
    unit: str = Field(min_length=1, max_length=40,
                      description="单位 unit as entered: share, %, m2, 万平方米, 亩, kW ...")
    source: str = Field(default="", max_length=500, description="来源 where the value comes from")


class IndicatorOut(_Model):
    """A stored indicator value in the target's unit, with what was entered."""

    key: str
    year: int
    value: float
    unit: str
    entered_value: float
    entered_unit: str
    source: str


class AuditRuleRequest(_Model):
    """An audit run with a user coverage rule (name, version, citation, tiers, thresholds ...)."""

    rule: dict[str, Any] = Field(description="自定义规则 coverage rule, as in a rule file")
    year: int | None = Field(default=None, ge=1900, le=2100)


class HistoryEntryOut(_Model):
    """One version in the history of a layer (who, when, what changed)."""

    version: int
    updated_at: str
    n_features: int
    source: str
    checksum: str
    author: str
    added: int | None = Field(description="features added since the version before (by id)")
    removed: int | None
    changed: int | None
    reverted_from: int | None = Field(description="the version a revert restored")
    current: bool
    restorable: bool
