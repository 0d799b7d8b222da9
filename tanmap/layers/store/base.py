"""The store protocol (项目库接口) and what its two backends share.

:class:`Store` is all the rest of tanmap knows of a store. This module holds the protocol, the
version and history records (:class:`LayerVersion`, :class:`HistoryEntry`), the stored layout's
constants, and the checks and conversions both backends run before and after a write
(:mod:`tanmap.layers.store.geopackage`, :mod:`tanmap.layers.store.postgis`), so that a layer
written to either is validated, versioned and read back alike.
"""

from __future__ import annotations

import getpass
import math
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd

from tanmap.geo.errors import (
    LayerNotFoundError,
    LayerValidationError,
    StoreError,
    VersionConflictError,
)
from tanmap.layers.ingest.validation import Issue, coerce_types, validate
from tanmap.layers.kinds import LayerKind, LayerSpec, spec_for

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "DISTRICT_COLUMNS",
    "INDICATOR_LOG_COLUMNS",
    "LOCK_TIMEOUT_S",
    "SCHEMA_VERSION",
    "STORAGE_CRS",
    "FrameCache",
    "HistoryEntry",
    "LayerVersion",
    "Store",
    "WriteMode",
]

WriteMode = Literal["replace", "append"]


#: Version of the store layout; bumped when tables or columns change.
SCHEMA_VERSION = 1


#: CRS of every stored geometry (lon/lat).
STORAGE_CRS = "EPSG:4326"


#: Columns of :meth:`Store.districts`, in order.
DISTRICT_COLUMNS: tuple[str, ...] = ("adcode", "name", "name_en", "planning_epsg", "geometry")


#: Seconds a writer waits for another writer's lock before giving up.
LOCK_TIMEOUT_S = 60.0


_DISTRICT_COL = "district"


_GEOMETRY = "geometry"


_KIND_ORDER = {k: i for i, k in enumerate(LayerKind)}


_PANDAS_DTYPES = {"str": "str", "int": "Int64", "float": "float64", "bool": "boolean"}


_INDICATOR_COLUMNS = ("key", "year", "value", "unit", "source", "entered_at")


#: Columns of :meth:`GeoPackageStore.indicator_log` (every entry, with who made it).
INDICATOR_LOG_COLUMNS: tuple[str, ...] = ("district", "key", "year", "value", "unit", "source",
                                          "entered_at", "author")


@dataclass(frozen=True)
class LayerVersion:
    """One version of one layer of one district.

    中文：图层版本（类型、区县、版本号、更新时间、要素数、来源）。

    Parameters
    ----------
    kind
        Layer kind.
    district
        District code (adcode) the layer belongs to.
    version
        1 for the first write of (kind, district), then 2, 3, ...
    updated_at
        ISO 8601 UTC time of the write, e.g. ``"2026-11-21T09:53:38Z"``.
    n_features
        Number of features after the write.
    source
        Free text saying where the data came from (file name, survey...).
    checksum
        SHA-256 of the stored features (geometry WKB and attributes), for lineage.
    """

    kind: LayerKind
    district: str
    version: int
    updated_at: str
    n_features: int
    source: str
    checksum: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``kind`` as its string value).

        Examples
        --------
        >>> v = LayerVersion(LayerKind.PARK, "120101", 2, "2026-01-01T00:00:00Z", 3, "parks.shp")
        >>> v.as_dict()["kind"], v.as_dict()["version"]
        ('park', 2)
        """
        out = asdict(self)
        out["kind"] = self.kind.value
        return out


@runtime_checkable
class Store(Protocol):
    """What tanmap needs from a project store; backends implement it.

    中文：项目库接口（区县、图层版本、读写、指标）。
    """

    def districts(self) -> gpd.GeoDataFrame:
        """Return every district: adcode, name, name_en, planning_epsg, geometry (EPSG:4326)."""
        ...

    def district(self, adcode: str) -> pd.Series:
        """Return the row of district ``adcode``; raise UnknownDistrictError if absent."""
        ...

    def put_district(self, row: gpd.GeoDataFrame) -> LayerVersion:
        """Insert or replace one district boundary row (keyed by ``adcode``)."""
        ...

    def layers(self, district: str | None = None) -> list[LayerVersion]:
        """Return the current version of every stored layer (of one district)."""
        ...

    def version(self, kind: LayerKind | str, district: str) -> LayerVersion | None:
        """Return the current version of (kind, district), or None if never written."""
        ...

    def read(
        self,
        kind: LayerKind | str,
        *,
        district: str | None = None,
        bbox: Sequence[float] | None = None,
    ) -> gpd.GeoDataFrame:
        """Return the features of ``kind`` (of one district, within ``bbox``) in EPSG:4326."""
        ...

    def write(
        self,
        kind: LayerKind | str,
        gdf: gpd.GeoDataFrame,
        *,
        district: str,
        mode: WriteMode = "replace",
        source: str = "",
        author: str | None = None,
    ) -> LayerVersion:
        """Validate and store ``gdf`` as the next version of (kind, district); all or nothing."""
        ...

    def write_empty(
        self, kind: LayerKind | str, *, district: str, source: str = "",
        author: str | None = None,
    ) -> LayerVersion:
        """Store an empty next version of (kind, district): known to have no features."""
        ...

    def write_many(
        self,
        layers: Mapping[LayerKind | str, gpd.GeoDataFrame],
        *,
        district: str,
        source: str = "",
        author: str | None = None,
    ) -> list[LayerVersion]:
        """Replace several layers of one district in one atomic step; all layers or none."""
        ...

    def history(self, kind: LayerKind | str, district: str) -> list[HistoryEntry]:
        """Return every known version of (kind, district): who, when, what changed."""
        ...

    def read_version(self, kind: LayerKind | str, district: str, version: int) -> gpd.GeoDataFrame:
        """Return the features of one kept version of (kind, district), as ``read`` does."""
        ...

    def revert(
        self, kind: LayerKind | str, district: str, to: int, *, author: str | None = None
    ) -> LayerVersion:
        """Restore version ``to`` of (kind, district) as a new version; all or nothing."""
        ...

    def indicators(self, district: str) -> pd.DataFrame:
        """Return the tracked indicator values of a district."""
        ...

    def put_indicator(
        self, district: str, key: str, year: int, value: float, unit: str, source: str = "",
        *, author: str | None = None,
    ) -> None:
        """Insert or replace the value of indicator ``key`` for ``year``; ``author`` is kept."""
        ...


def _district_frame(row: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str, str]:
    """Check a district boundary row; return (frame to write, adcode, source). Both backends."""
    source_label = "district row"
    if len(row) != 1 or "adcode" not in row.columns or pd.isna(row["adcode"].iloc[0]):
        raise LayerValidationError(
            f"{source_label} (区县 district)",
            [Issue(source=source_label, row=None, feature_id=None, column="adcode",
                   problem=f"expected exactly one feature with an adcode, got {len(row)} "
                           f"feature(s) and columns {list(row.columns)}",
                   fix="pass one row, e.g. gdf.iloc[[i]], with an 'adcode' column",
                   code="not_one_district")],
        )
    frame = row.copy()
    adcode = str(frame["adcode"].iloc[0]).strip()
    frame["adcode"] = adcode
    if "id" not in frame.columns or pd.isna(frame["id"].iloc[0]):
        frame["id"] = adcode
    needs_epsg = "planning_epsg" not in frame.columns or pd.isna(frame["planning_epsg"].iloc[0])
    if needs_epsg and frame.crs is not None:
        from tanmap.geo.crs import district_planning_epsg

        frame["planning_epsg"] = district_planning_epsg(
            frame.to_crs(STORAGE_CRS).geometry.iloc[0]
        )
    source = str(frame["source"].iloc[0]) if "source" in frame.columns else ""
    return frame, adcode, source


def _checked_write(
    kind: LayerKind | str, gdf: gpd.GeoDataFrame, district: str, mode: str, source: str
) -> tuple[LayerSpec, str, gpd.GeoDataFrame, str]:
    """Validate a layer write; return (spec, district, frame as stored, label). Both backends."""
    spec = spec_for(kind)
    if mode not in ("replace", "append"):
        raise StoreError(f"write mode must be 'replace' or 'append', got {mode!r}")
    district = str(district).strip()
    label = source or "features"
    issues = validate(gdf, spec, source=label)
    errors = [i for i in issues if i.severity == "error"]
    if spec.kind is LayerKind.DISTRICT and "adcode" in gdf.columns:
        errors += _adcode_issues(gdf, district, label)
    if errors:
        raise LayerValidationError(f"{label} ({spec.zh_name} {spec.kind.value})", errors)
    return spec, district, _to_storage(coerce_types(gdf, spec), spec, district), label


def _checked_many(
    layers: Mapping[LayerKind | str, gpd.GeoDataFrame], district: str, source: str
) -> list[tuple[LayerSpec, gpd.GeoDataFrame]]:
    """Validate the layers of a ``write_many``; return (spec, frame as stored) pairs."""
    label = source or "features"
    kinds = [spec_for(k).kind for k in layers]  # keys are unique: LayerKind is a StrEnum
    frames: list[tuple[LayerSpec, gpd.GeoDataFrame]] = []
    errors: list[Issue] = []
    for kind, gdf in layers.items():
        spec = spec_for(kind)
        if spec.kind is LayerKind.DISTRICT:
            raise StoreError("write_many does not take district boundaries; use "
                             "put_district(row)")
        issues = validate(gdf, spec, source=f"{label} [{spec.kind.value}]")
        found = [i for i in issues if i.severity == "error"]
        errors += found
        if not found:
            frames.append((spec, _to_storage(coerce_types(gdf, spec), spec, district)))
    if errors:
        listing = ", ".join(k.value for k in kinds)
        raise LayerValidationError(f"{label} ({listing})", errors)
    return frames


def _checked_indicator(key: str, year: int, value: float) -> float:
    """Check an indicator entry; return the value as a float. Both backends."""
    if not str(key).strip():
        raise StoreError("indicator key is empty; give a name such as 'led_share'")
    if isinstance(year, bool) or not isinstance(year, int | np.integer) or not (
        1900 <= int(year) <= 2100
    ):
        raise StoreError(f"indicator year must be an integer in 1900–2100, got {year!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as err:
        raise StoreError(f"indicator value must be a number, got {value!r}") from err
    if not math.isfinite(number):
        raise StoreError(f"indicator value must be finite, got {value!r}")
    return number


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _version_from_row(row: Sequence[Any]) -> LayerVersion:
    kind, district, version, updated_at, n_features, source, checksum = row
    return LayerVersion(LayerKind(kind), district, int(version), updated_at, int(n_features),
                        source, checksum)


def _stored_columns(spec: LayerSpec) -> list[str]:
    names = [f.name for f in spec.all_fields]
    return names if _DISTRICT_COL in names else [*names, _DISTRICT_COL]


def _empty_frame(spec: LayerSpec) -> gpd.GeoDataFrame:
    data = {f.name: pd.Series([], dtype=_PANDAS_DTYPES[f.dtype]) for f in spec.all_fields}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS)


def _to_storage(gdf: gpd.GeoDataFrame, spec: LayerSpec, district: str) -> gpd.GeoDataFrame:
    """Return the frame as stored: EPSG:4326, the spec's columns in spec dtypes, ``district``."""
    frame = gdf.to_crs(STORAGE_CRS) if not gdf.crs.equals(STORAGE_CRS) else gdf
    data: dict[str, Any] = {}
    n = len(frame)
    for f in spec.all_fields:
        values = frame[f.name] if f.name in frame.columns else pd.Series([None] * n)
        data[f.name] = pd.Series(values.to_numpy(), dtype=object).astype(_PANDAS_DTYPES[f.dtype])
    data[_DISTRICT_COL] = pd.Series([district] * n, dtype="str")
    geometry = gpd.GeoSeries(frame.geometry.to_numpy(), crs=STORAGE_CRS)
    return gpd.GeoDataFrame(data, geometry=geometry, crs=STORAGE_CRS)


def _from_storage(raw: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Return a read frame in spec columns and dtypes (GDAL gives floats for nullable ints)."""
    data: dict[str, Any] = {}
    for f in spec.all_fields:
        col = raw[f.name] if f.name in raw.columns else pd.Series([None] * len(raw))
        if f.dtype == "str":
            data[f.name] = col.astype("str")
        else:
            data[f.name] = pd.Series(col.to_numpy(), dtype=object).astype(_PANDAS_DTYPES[f.dtype])
    geometry = gpd.GeoSeries(raw.geometry.to_numpy(), crs=STORAGE_CRS)
    return gpd.GeoDataFrame(data, geometry=geometry, crs=STORAGE_CRS)


#: Geometry column of the feature tables (GDAL's GeoPackage default).
_GEOM_COL = "geom"


#: Column of an archive table holding the version its rows belonged to.
_ARCHIVE_VERSION = "tanmap_version"


@dataclass(frozen=True)
class HistoryEntry:
    """One version in the history of a layer: who wrote it, when, and what it changed.

    中文：图层版本历史（版本、时间、作者、来源、新增/删除/修改要素数）。

    Parameters
    ----------
    version, updated_at, n_features, source, checksum
        As in :class:`LayerVersion`.
    author
        Who wrote the version ("" when it predates the history).
    added, removed, changed
        Features (by ``id``) added, removed and changed with respect to the previous version;
        None when unknown (a version written before the store kept history).
    reverted_from
        For a version made by :meth:`GeoPackageStore.revert`, the version it restored.
    current
        Whether this is the layer's current version.
    restorable
        Whether :meth:`GeoPackageStore.revert` can restore it (its features are kept).
    """

    version: int
    updated_at: str
    n_features: int
    source: str
    checksum: str
    author: str
    added: int | None
    removed: int | None
    changed: int | None
    reverted_from: int | None
    current: bool
    restorable: bool

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


def _author(author: str | None) -> str:
    """Return ``author``, or the operating-system user when none is given."""
    if author is not None:
        return author
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME/USER
        return ""


def _revert_versions(
    history: Sequence[HistoryEntry], spec: LayerSpec, district: str, to: int
) -> tuple[HistoryEntry, HistoryEntry]:
    """Return (current, target) for a revert of (kind, district) to version ``to``, or raise.

    The checks every backend makes before restoring a version: the layer has been written, ``to``
    is not the current version, and ``to`` is kept (restorable).
    """
    entries = {e.version: e for e in history}
    current = next((e for e in entries.values() if e.current), None)
    if current is None:
        raise LayerNotFoundError(
            f"{spec.kind.value} ({spec.zh_name}) of district {district} has never been "
            "written, so there is nothing to revert"
        )
    if to == current.version:
        raise VersionConflictError(
            f"version {to} is already the current version of {spec.kind.value} of "
            f"district {district}; nothing to revert"
        )
    target = entries.get(to)
    if target is None or not target.restorable:
        kept = [v for v, e in sorted(entries.items()) if e.restorable and not e.current]
        raise LayerNotFoundError(
            f"version {to} of {spec.kind.value} ({spec.zh_name}) of district {district} "
            f"is not kept; versions that can be restored: "
            f"{', '.join(map(str, kept)) or 'none'} (see `tanmap history`)"
        )
    return current, target


def _diff_rows(before: dict[str, bytes], after: dict[str, bytes]) -> tuple[int, int, int]:
    """Return (added, removed, changed) feature counts between two id -> digest maps.

    Examples
    --------
    >>> _diff_rows({"a": b"1", "b": b"2", "c": b"3"}, {"a": b"1", "b": b"9", "d": b"4"})
    (1, 1, 1)
    """
    added = len(after.keys() - before.keys())
    removed = len(before.keys() - after.keys())
    changed = sum(1 for k in before.keys() & after.keys() if before[k] != after[k])
    return added, removed, changed


def _adcode_issues(gdf: gpd.GeoDataFrame, district: str, label: str) -> list[Issue]:
    return [
        Issue(source=label, row=i + 1, feature_id=None, column="adcode",
              problem=f"adcode {code!r} differs from the district written ({district!r})",
              fix="write each district boundary with put_district(row)",
              code="adcode_mismatch")
        for i, code in enumerate(gdf["adcode"]) if str(code).strip() != district
    ]


class FrameCache:
    """Whole-layer reads of one store kept until the layer is written (both backends).

    中文：图层读取缓存（图层写入后失效）。

    Entries are keyed by (kind, district) and stamped with the layer's ``(version, updated_at,
    checksum, n_features)`` row of ``tanmap_layers``, read before the features: a read whose
    stamp is unchanged is answered with a copy of the kept frame. Versions only grow, so a frame
    read after its stamp is of that version or newer, and a newer one is never asked for under
    the old stamp. Layers above ``max_features`` are not kept; at most ``max_layers`` are (LRU).
    Writes by other processes change the stamp like this process's own.
    """

    def __init__(self, max_layers: int = 64, max_features: int = 50_000) -> None:
        self.max_layers = max_layers
        self.max_features = max_features
        self._items: dict[tuple[str, str], tuple[tuple[Any, ...], gpd.GeoDataFrame]] = {}
        self._lock = threading.Lock()

    def keys(self) -> set[tuple[str, str]]:
        """Return the (kind, district) pairs kept now."""
        with self._lock:
            return set(self._items)

    def get(self, kind: str, district: str, stamp: tuple[Any, ...]) -> gpd.GeoDataFrame | None:
        """Return a copy of the kept frame of (kind, district) if its stamp is ``stamp``."""
        with self._lock:
            entry = self._items.pop((kind, district), None)
            if entry is None:
                return None
            self._items[(kind, district)] = entry  # most recently used last
        return entry[1].copy() if entry[0] == stamp else None

    def put(self, kind: str, district: str, stamp: tuple[Any, ...],
            frame: gpd.GeoDataFrame) -> None:
        """Keep a copy of ``frame`` read under ``stamp`` (small layers only)."""
        if int(stamp[-1]) > self.max_features:
            return
        with self._lock:
            self._items.pop((kind, district), None)
            self._items[(kind, district)] = (stamp, frame.copy())
            while len(self._items) > self.max_layers:
                del self._items[next(iter(self._items))]
