"""RFC 7946 GeoJSON responses (WGS84 lon/lat, right-hand rule) and GeoJSON request parsing."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fastapi.responses import Response

from tanmap.geo.errors import CRSError, DataFormatError
from tanmap.layers.ingest.io import is_rfc7946_crs

__all__ = ["GEOJSON_MEDIA", "frame_from_features", "geojson_response", "to_feature_collection"]

GEOJSON_MEDIA = "application/geo+json"

#: 7 decimals of a degree is ~1 cm: more than survey accuracy, far less than float noise.
COORD_DECIMALS = 7

_WGS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84",
                "urn:ogc:def:crs:EPSG::4326", "EPSG:4326"}


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, str | int | bool):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def to_feature_collection(
    gdf: gpd.GeoDataFrame, *, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return ``gdf`` as an RFC 7946 FeatureCollection dict (EPSG:4326, CCW exteriors)."""
    frame = gdf.to_crs(4326) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf
    # Orient after rounding: GEOS may rewrite rings while snapping to the precision grid.
    geoms = shapely.orient_polygons(
        shapely.set_precision(np.asarray(frame.geometry.values, dtype=object),
                              10 ** -COORD_DECIMALS)
    ) if len(frame) else np.array([], dtype=object)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    features = []
    for geom, record in zip(geoms, frame[columns].itertuples(index=False, name=None), strict=True):
        props = {c: _plain(v) for c, v in zip(columns, record, strict=True)}
        features.append({
            "type": "Feature",
            "id": props.get("id"),
            "properties": props,
            "geometry": None if geom is None else shapely.geometry.mapping(geom),
        })
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if extra:
        out.update(extra)
    return out


def geojson_response(gdf: gpd.GeoDataFrame, *, extra: Mapping[str, Any] | None = None) -> Response:
    """Return ``gdf`` as an ``application/geo+json`` response."""
    body = json.dumps(to_feature_collection(gdf, extra=extra), ensure_ascii=False)
    return Response(body, media_type=GEOJSON_MEDIA)


def _crs_name(crs: Any) -> str:
    props = crs.get("properties") if isinstance(crs, Mapping) else None
    if isinstance(props, Mapping):
        if props.get("name") is not None:
            return str(props["name"])
        if props.get("code") is not None:  # the 2008 spec's {"type": "EPSG", ...} form
            return f"EPSG:{props['code']}"
    return str(crs)


def _declares_lonlat(crs: Any) -> bool:
    """Return whether a GeoJSON ``crs`` member names WGS84 (or CGCS2000) lon/lat."""
    name = _crs_name(crs)
    if name in _WGS84_NAMES:
        return True
    try:
        return is_rfc7946_crs(name)
    except CRSError:
        return False


def frame_from_features(collection: Mapping[str, Any], *, what: str) -> gpd.GeoDataFrame:
    """Parse an RFC 7946 FeatureCollection into a GeoDataFrame in EPSG:4326.

    中文：解析 GeoJSON 要素集合。

    Raises
    ------
    CRSError
        If the collection declares a CRS other than WGS84 lon/lat (RFC 7946 forbids others).
    DataFormatError
        If a feature is not a GeoJSON Feature or its geometry cannot be read; the message names the
        feature's position and what to fix.
    """
    crs = collection.get("crs")
    if crs is not None and not _declares_lonlat(crs):
        raise CRSError(
            f"{what}: GeoJSON declares crs {_crs_name(crs)!r}; RFC 7946 GeoJSON is WGS84 lon/lat "
            "(EPSG:4326). Reproject the data to EPSG:4326, or upload the file with its CRS "
            "through the /upload endpoint and source_crs (the rule `tanmap import` applies)."
        )
    features: Sequence[Any] = collection.get("features", [])
    rows, geoms = [], []
    for i, feature in enumerate(features):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise DataFormatError(f"{what}: feature {i} is not a GeoJSON Feature object.")
        props = feature.get("properties") or {}
        if not isinstance(props, Mapping):
            raise DataFormatError(f"{what}: feature {i}: 'properties' must be an object.")
        props = dict(props)
        if "id" not in props and feature.get("id") is not None:
            props["id"] = str(feature["id"])
        try:
            geom = shapely.geometry.shape(feature["geometry"]) if feature.get("geometry") else None
        except (KeyError, TypeError, ValueError, AttributeError,
                shapely.errors.GEOSException) as err:
            raise DataFormatError(
                f"{what}: feature {i} (id {props.get('id')!r}) has an unreadable geometry "
                f"({err}); give a GeoJSON geometry with 'type' and 'coordinates'."
            ) from err
        rows.append(props)
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)
