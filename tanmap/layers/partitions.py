"""GeoParquet partitions by district (分区数据集): a read-only store for cluster-scale runs.

A province or a whole country does not fit one GeoPackage file nor one process. Its layers are
kept as one GeoParquet file per (layer kind, district) in a folder any worker can read (a shared
file system or an object store mounted as one)::

    DIR/districts.parquet            one row per district (adcode, name, ..., planning_epsg)
    DIR/<kind>/<adcode>.parquet      that district's features of the kind (EPSG:4326)

Files are written with the GeoParquet 1.1 ``bbox`` covering column, so a bounding-box read (the
neighbours within a metric's margin) reads only the row groups that can meet the box, and each
file's own bounds (from its ``geo`` metadata) say whether it needs opening at all.

:class:`GeoParquetPartitions` answers the read half of the :class:`~tanmap.layers.store.Store`
protocol (``districts``, ``district``, ``version``, ``read``, ``indicators``, ``layers``), which is
all :func:`tanmap.layers.runner.prepare_metric` and the audit use, so every metric runs on it
unchanged. Writing goes through :func:`write_partition` (one file per call, written to a temporary
name and renamed: a reader never sees half a file).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from tanmap.geo.crs import Bounds
from tanmap.geo.errors import UnknownDistrictError
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store.base import LayerVersion

__all__ = [
    "DISTRICTS_FILE",
    "GeoParquetPartitions",
    "is_partitions",
    "write_districts",
    "write_partition",
]

#: The districts table of a partitioned dataset.
DISTRICTS_FILE = "districts.parquet"
#: Rows per Parquet row group: small enough that a bounding-box read skips most of a district.
ROW_GROUP_ROWS = 16_384


def is_partitions(location: str | Path) -> bool:
    """Return whether ``location`` is a partitioned dataset folder (with ``districts.parquet``).

    中文：判断是否为按区县分区的 GeoParquet 数据集目录。
    """
    path = Path(str(location).removeprefix("parquet:"))
    return path.is_dir() and (path / DISTRICTS_FILE).is_file()


def _write_atomic(frame: gpd.GeoDataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False, write_covering_bbox=True, row_group_size=ROW_GROUP_ROWS)
    os.replace(tmp, path)


def write_districts(root: str | Path, districts: gpd.GeoDataFrame) -> Path:
    """Write the districts table of a partitioned dataset (EPSG:4326).

    中文：写入分区数据集的区县表。

    Parameters
    ----------
    root
        The dataset folder (created if needed).
    districts
        One row per district with ``adcode``, ``name`` and ``planning_epsg`` (the columns of
        :data:`tanmap.layers.boundaries.DISTRICT_COLUMNS`; others are kept).

    Raises
    ------
    ValueError
        If ``adcode`` is missing or repeated.
    """
    if "adcode" not in districts.columns:
        raise ValueError("districts need an 'adcode' column (行政区划代码)")
    codes = districts["adcode"].astype(str)
    if codes.duplicated().any():
        raise ValueError(f"repeated adcode(s) {sorted(set(codes[codes.duplicated()]))}")
    path = Path(root) / DISTRICTS_FILE
    _write_atomic(districts.assign(adcode=codes).to_crs(4326), path)
    return path


def write_partition(root: str | Path, kind: str, district: str,
                    frame: gpd.GeoDataFrame) -> Path:
    """Write one district's features of one layer kind (EPSG:4326, with a ``district`` column).

    中文：写入某区县某图层的分区文件。

    Large layers are written in Hilbert-curve order (readers get the features in that order).
    """
    path = Path(root) / str(LayerKind(kind)) / f"{district}.parquet"
    frame = frame.assign(district=str(district)).to_crs(4326)
    if len(frame) > ROW_GROUP_ROWS:
        # Features in Hilbert order: each row group covers a compact area, so a neighbour's
        # bounding-box read (a metric's margin) skips the row groups far from the border.
        live = ~(frame.geometry.isna() | frame.geometry.is_empty)
        order = np.zeros(len(frame), dtype=np.int64)
        order[live.to_numpy()] = frame.geometry[live].hilbert_distance().to_numpy()
        frame = frame.iloc[np.argsort(order, kind="stable")]
    _write_atomic(frame, path)
    return path


@dataclass(frozen=True)
class _FileInfo:
    path: Path
    n_features: int
    bounds: Bounds | None
    updated_at: str


class GeoParquetPartitions:
    """A partitioned GeoParquet dataset seen as a read-only store.

    中文：按区县分区的 GeoParquet 数据集（只读项目库）。

    Parameters
    ----------
    root
        The dataset folder (``districts.parquet`` and one folder per layer kind), or
        ``"parquet:<folder>"``.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``districts.parquet``.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(str(root).removeprefix("parquet:"))
        if not is_partitions(self.root):
            raise FileNotFoundError(
                f"{self.root}: not a partitioned dataset (no {DISTRICTS_FILE}); write one with "
                "tanmap.layers.partitions.write_districts / write_partition")
        self._infos: dict[tuple[str, str], _FileInfo | None] = {}

    def __repr__(self) -> str:
        return f"GeoParquetPartitions({str(self.root)!r})"

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Workers receive the location, never the cached frames.
        return (GeoParquetPartitions, (str(self.root),))

    @cached_property
    def _districts(self) -> gpd.GeoDataFrame:
        frame = gpd.read_parquet(self.root / DISTRICTS_FILE)
        return frame.assign(adcode=frame["adcode"].astype(str)).set_index("adcode", drop=False)

    def districts(self) -> gpd.GeoDataFrame:
        """Return every district (adcode, name, planning_epsg, geometry), EPSG:4326."""
        return self._districts.reset_index(drop=True)

    def district(self, adcode: str) -> pd.Series:
        """Return one district's row.

        Raises
        ------
        UnknownDistrictError
            If the dataset has no such district.
        """
        if str(adcode) not in self._districts.index:
            raise UnknownDistrictError(
                f"district {adcode!r} is not in {self.root / DISTRICTS_FILE}")
        return self._districts.loc[str(adcode)]

    def _info(self, kind: str, district: str) -> _FileInfo | None:
        key = (str(kind), str(district))
        if key not in self._infos:
            path = self.root / str(kind) / f"{district}.parquet"
            self._infos[key] = _file_info(path) if path.is_file() else None
        return self._infos[key]

    def version(self, kind: Any, district: str) -> LayerVersion | None:
        """Return the partition's version record (version 1, the file's time), or None."""
        info = self._info(str(kind), str(district))
        if info is None:
            return None
        return LayerVersion(kind=LayerKind(str(kind)), district=str(district), version=1,
                            updated_at=info.updated_at, n_features=info.n_features,
                            source=str(info.path))

    def layers(self, district: str | None = None) -> list[LayerVersion]:
        """Return the version record of every partition (of one district)."""
        codes = [district] if district is not None else list(self._districts.index)
        out = []
        for kind in LayerKind:
            for code in codes:
                v = self.version(kind, str(code))
                if v is not None:
                    out.append(v)
        return out

    def read(self, kind: Any, *, district: str | None = None,
             bbox: Bounds | None = None) -> gpd.GeoDataFrame:
        """Return features of ``kind`` (of one district, and/or meeting a lon/lat box), EPSG:4326.

        A box read opens only the partitions whose bounds meet the box and, inside them, only
        the row groups whose ``bbox`` covering meets it; the features returned are those whose
        envelope meets the box (as the GeoPackage store's R-tree answers).
        """
        codes = [str(district)] if district is not None else list(self._districts.index)
        frames = []
        for code in codes:
            info = self._info(str(kind), code)
            if info is None or (bbox is not None and not _meets(info.bounds, bbox)):
                continue
            frames.append(_read_file(info.path, bbox))
        if not frames:
            return gpd.GeoDataFrame({"district": pd.Series(dtype=object)}, geometry=[],
                                    crs=4326)
        if len(frames) == 1:
            return frames[0].reset_index(drop=True)
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)

    def indicators(self, district: str) -> pd.DataFrame:
        """Return no tracked indicators (a partitioned dataset holds layers only)."""
        return pd.DataFrame(columns=["key", "year", "value", "unit", "source", "entered_at"])


def _file_info(path: Path) -> _FileInfo:
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)
    geo = json.loads((meta.metadata or {}).get(b"geo", b"{}"))
    column = geo.get("columns", {}).get(geo.get("primary_column", "geometry"), {})
    bbox = column.get("bbox")
    stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    return _FileInfo(path=path, n_features=int(meta.num_rows),
                     bounds=Bounds(*bbox) if bbox and len(bbox) == 4 else None,
                     updated_at=stamp)


@lru_cache(maxsize=1)
def _lonlat() -> Any:
    from pyproj import CRS

    return CRS.from_epsg(4326)


def _read_file(path: Path, bbox: Bounds | None) -> gpd.GeoDataFrame:
    """Read one partition (features whose envelope meets ``bbox``), EPSG:4326.

    pyarrow filters on the ``bbox`` covering column (row groups whose statistics miss the box
    are skipped) before any geometry is decoded; the CRS object is shared, not re-parsed.
    """
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    import shapely

    dataset = ds.dataset(path, format="parquet")
    where = None
    if bbox is not None:
        where = ((pc.field("bbox", "xmin") <= bbox.east) & (pc.field("bbox", "xmax") >= bbox.west)
                 & (pc.field("bbox", "ymin") <= bbox.north)
                 & (pc.field("bbox", "ymax") >= bbox.south))
    columns = [c for c in dataset.schema.names if c != "bbox"]
    frame = dataset.to_table(columns=columns, filter=where).to_pandas()
    geoms = shapely.from_wkb(frame.pop("geometry").to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=_lonlat())


def _meets(bounds: Bounds | None, bbox: Bounds) -> bool:
    if bounds is None:
        return True
    return not (bounds.east < bbox.west or bounds.west > bbox.east
                or bounds.north < bbox.south or bounds.south > bbox.north)
