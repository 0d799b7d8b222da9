"""Which geometry of a building a service-radius test measures from (建筑计入方式).

A building is "served" by a park when the distance from its *test geometry* to the park is within
the radius (the exact distance test of :func:`tanmap.geo.coverage.covered_mask`). Three choices:

* ``footprint`` — the building polygon (nearest point of the footprint; the default, and what the
  standards' straight-line radius implies for an object with extent);
* ``centroid`` — the footprint's centroid (common in practice for point-based counts; for a
  concave, L- or U-shaped footprint it may lie outside the footprint — that is what "centroid"
  means, and why it is a choice, not the default);
* ``entrance`` — the building's entrances (出入口), points of a ``building_entrance`` layer joined
  by ``building_id`` to the building ``id``: served when any entrance is within the radius.
  Buildings with no entrance in the layer fall back to their footprint and are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.geo.crs import require_same_crs

__all__ = [
    "BUILDING_TESTS",
    "BuildingTest",
    "BuildingTestGeometry",
    "building_test_geometries",
]

BuildingTest: TypeAlias = Literal["footprint", "centroid", "entrance"]

#: The test geometries a building-weighted coverage figure may use.
BUILDING_TESTS: tuple[str, ...] = ("footprint", "centroid", "entrance")


@dataclass(frozen=True)
class BuildingTestGeometry:
    """The geometry each building is tested with, and how the entrance join went.

    中文：建筑计入几何（外轮廓、质心或出入口）。

    Attributes
    ----------
    geometry
        One geometry per building, on the buildings' index and CRS.
    test
        The test used (``"footprint"``, ``"centroid"`` or ``"entrance"``).
    without_entrance
        Entrance test: buildings with no entrance in the layer (tested with their footprint).
    entrances_unmatched
        Entrance test: entrances whose ``building_id`` names none of the buildings.
    """

    geometry: gpd.GeoSeries
    test: str
    without_entrance: int = 0
    entrances_unmatched: int = 0


def _keys(frame: pd.DataFrame, id_col: str, use_district: bool) -> pd.Series:
    ids = frame[id_col].astype(object).map(lambda v: None if pd.isna(v) else str(v))
    if not use_district:
        return ids
    district = frame["district"].astype(object).map(lambda v: "" if pd.isna(v) else str(v))
    return district + "\x00" + ids.fillna("")


def building_test_geometries(
    buildings: gpd.GeoDataFrame,
    test: str = "footprint",
    entrances: gpd.GeoDataFrame | None = None,
    *,
    id_col: str = "id",
    building_id_col: str = "building_id",
) -> BuildingTestGeometry:
    """Return the geometry each building is tested with (footprint, centroid or its entrances).

    中文：按所选方式（外轮廓、质心、出入口）取建筑的计入几何。

    Parameters
    ----------
    buildings
        Building footprints in a projected CRS; ``id`` (and ``district`` when the entrances have
        one too, since ids are unique only within a district).
    test
        ``"footprint"``, ``"centroid"`` or ``"entrance"``.
    entrances
        Entrance points with ``building_id`` (same CRS); required for ``"entrance"``.
    id_col, building_id_col
        Join columns of buildings and entrances.

    Raises
    ------
    ValueError
        For an unknown test, ``"entrance"`` without entrances or without the join columns, or
        building ids that are not unique (entrances could not be attributed).
    MissingCRSError, CRSMismatchError
        If the entrances are not in the buildings' CRS.

    Examples
    --------
    An L-shaped building whose centroid (about (3.6, 3.6)) lies outside the footprint's corner:

    >>> from shapely import Point, Polygon
    >>> l_shape = Polygon([(0, 0), (10, 0), (10, 2), (2, 2), (2, 10), (0, 10)])
    >>> homes = gpd.GeoDataFrame({"id": ["b1"]}, geometry=[l_shape], crs=4548)
    >>> building_test_geometries(homes, "centroid").geometry.iloc[0].within(l_shape)
    False
    >>> doors = gpd.GeoDataFrame({"building_id": ["b1", "b1"]},
    ...                          geometry=[Point(10, 1), Point(1, 10)], crs=4548)
    >>> building_test_geometries(homes, "entrance", doors).geometry.iloc[0].wkt
    'MULTIPOINT ((10 1), (1 10))'
    """
    if test not in BUILDING_TESTS:
        raise ValueError(f"building test {test!r} is not one of {list(BUILDING_TESTS)}")
    footprints = buildings.geometry
    if test == "footprint":
        return BuildingTestGeometry(footprints, test)
    if test == "centroid":
        return BuildingTestGeometry(
            gpd.GeoSeries(shapely.centroid(footprints.to_numpy()), index=buildings.index,
                          crs=buildings.crs), test)
    if entrances is None:
        raise ValueError(
            "building test 'entrance' needs a building_entrance layer (points with "
            "building_id = the building's id); load one, or use 'footprint' or 'centroid'."
        )
    require_same_crs(buildings, entrances, what_a="buildings", what_b="entrances")
    missing = []
    if id_col not in buildings.columns:
        missing.append(f"buildings.{id_col}")
    if building_id_col not in entrances.columns:
        missing.append(f"entrances.{building_id_col}")
    if missing:
        raise ValueError(f"building test 'entrance' joins entrances.{building_id_col} to "
                         f"buildings.{id_col}; missing column(s): {', '.join(missing)}")
    use_district = "district" in buildings.columns and "district" in entrances.columns
    b_keys = _keys(buildings, id_col, use_district)
    dup = b_keys[b_keys.duplicated(keep=False) & b_keys.notna()]
    if len(dup):
        raise ValueError(
            f"building ids are not unique ({sorted(set(dup))[:5]}...): entrances cannot be "
            "attributed to one building. Give every building its own id."
        )
    e_keys = _keys(entrances.rename(columns={building_id_col: "__bid"}), "__bid", use_district)
    position = pd.Index(b_keys).get_indexer(e_keys)
    points = entrances.geometry.to_numpy()
    matched = (position >= 0) & ~shapely.is_missing(points) & ~shapely.is_empty(points)
    order = np.argsort(position[matched], kind="stable")
    # multipoints needs dense, sorted indices: number the buildings that have entrances 0..k-1.
    owners, dense = np.unique(position[matched][order], return_inverse=True)
    out = footprints.to_numpy().copy()
    if owners.size:
        out[owners] = shapely.multipoints(points[matched][order], indices=dense)
    has_entrance = np.zeros(len(buildings), dtype=bool)
    has_entrance[owners] = True
    return BuildingTestGeometry(
        gpd.GeoSeries(out, index=buildings.index, crs=buildings.crs), test,
        without_entrance=int((~has_entrance).sum()),
        entrances_unmatched=int((position < 0).sum()),
    )
