"""Request and response models of the HTTP API (GeoJSON is always EPSG:4326 lon/lat)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DistrictOut",
    "FeatureCollectionIn",
    "HistoryEntryOut",
    "ImportOut",
    "LayerVersionOut",
    "MetricInfo",
    "MetricRequest",
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


class ImportOut(_Model):
    """Result of an accepted feature import."""

    layer: LayerVersionOut
    warnings: list[dict[str, Any]] = Field(default_factory=list)


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


class MetricInfo(_Model):
    """A registered metric and its parameters with defaults."""

    name: str
    zh: str
    en: str
    unit: str
    inputs: list[str]
    optional_inputs: list[str]
    params: dict[str, Any]


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
