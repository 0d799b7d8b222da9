"""Plan layers: read as GeoJSON (bbox, paging), import (token, validated, atomic), export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from tanmap.api.deps import Adcode, Kind, get_store, require_token
from tanmap.api.geojson import frame_from_features, geojson_response
from tanmap.api.models import FeatureCollectionIn, ImportOut, LayerVersionOut
from tanmap.api.settings import Settings, get_settings
from tanmap.geo.crs import Bounds
from tanmap.geo.errors import DataFormatError, InputTooLargeError
from tanmap.layers import io
from tanmap.layers.advice import for_interface
from tanmap.layers.kinds import SPECS
from tanmap.layers.store import LayerVersion, Store

__all__ = ["router"]

router = APIRouter(prefix="/api/districts/{adcode}/layers", tags=["layers 图层"])

Mode = Annotated[Literal["replace", "append"], Query(description="replace 替换 | append 追加")]
UPLOAD_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".csv", ".xlsx")
_CHUNK = 1 << 20


def version_out(v: LayerVersion) -> LayerVersionOut:
    """Return the API model of a layer version."""
    spec = SPECS[v.kind]
    return LayerVersionOut(kind=v.kind.value, name_zh=spec.zh_name, name_en=spec.en_name,
                           district=v.district, version=v.version, updated_at=v.updated_at,
                           n_features=v.n_features, source=v.source)


def _bbox(text: str | None) -> Bounds | None:
    if text is None:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError as err:
        raise DataFormatError(
            f"bbox {text!r} must be four numbers 'west,south,east,north' in degrees (EPSG:4326)."
        ) from err
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise DataFormatError(
            f"bbox {text!r} is not west<=east in [-180,180] and south<=north in [-90,90] "
            "(lon/lat order, EPSG:4326)."
        )
    return Bounds(west, south, east, north)


@router.get("", response_model=list[LayerVersionOut], summary="Stored layers 图层列表")
def list_layers(
    adcode: Adcode, store: Annotated[Store, Depends(get_store)]
) -> list[LayerVersionOut]:
    """Return the current version of every layer stored for the district."""
    store.district(adcode)
    return [version_out(v) for v in store.layers(adcode)]


@router.get("/{kind}", summary="Layer features as GeoJSON 图层要素", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def get_layer(
    adcode: Adcode,
    kind: Kind,
    store: Annotated[Store, Depends(get_store)],
    bbox: Annotated[str | None, Query(description="west,south,east,north (EPSG:4326)",
                                      max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """Return a page of features (RFC 7946, lon/lat) with ``numberMatched`` and a next link."""
    store.district(adcode)
    frame = store.read(kind, district=adcode, bbox=_bbox(bbox))
    page = frame.iloc[offset: offset + limit]
    extra: dict[str, Any] = {"numberMatched": len(frame), "numberReturned": len(page)}
    if offset + limit < len(frame):
        query = f"limit={limit}&offset={offset + limit}" + (f"&bbox={bbox}" if bbox else "")
        extra["links"] = [{"rel": "next", "type": "application/geo+json",
                           "href": f"/api/districts/{adcode}/layers/{kind.value}?{query}"}]
    return geojson_response(page, extra=extra)


@router.post("/{kind}", response_model=ImportOut, status_code=201,
             dependencies=[Depends(require_token)], summary="Import GeoJSON features 导入要素")
def import_features(
    adcode: Adcode,
    kind: Kind,
    body: FeatureCollectionIn,
    store: Annotated[Store, Depends(get_store)],
    mode: Mode = "replace",
) -> ImportOut:
    """Validate and store a FeatureCollection as the next version of the layer (all or nothing)."""
    store.district(adcode)
    what = f"request body ({SPECS[kind].zh_name} {kind.value})"
    frame = frame_from_features(body.model_dump(), what=what)
    version = store.write(kind, frame, district=adcode, mode=mode, source="API GeoJSON import",
                          author="api")
    return ImportOut(layer=version_out(version))


async def _save_upload(upload: UploadFile, directory: Path, max_bytes: int) -> Path:
    name = Path(upload.filename or "upload").name
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise DataFormatError(
            f"upload {name!r}: unsupported file type; send one of {', '.join(UPLOAD_SUFFIXES)} "
            "(a Shapefile as a .zip with .shp/.shx/.dbf/.prj/.cpg)."
        )
    target = directory / name
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise InputTooLargeError(
                    f"upload {name!r} is larger than the {max_bytes / 1e6:.0f} MB limit; split the "
                    "layer or raise TANMAP_MAX_UPLOAD_MB on the server."
                )
            out.write(chunk)
    return target


@router.post("/{kind}/upload", response_model=ImportOut, status_code=201,
             dependencies=[Depends(require_token)], summary="Upload a layer file 上传图层文件")
async def upload_layer(
    adcode: Adcode,
    kind: Kind,
    file: Annotated[UploadFile,
                    File(description="GeoJSON, GeoPackage, zipped Shapefile, CSV/XLSX")],
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    mode: Mode = "replace",
    source_crs: Annotated[str | None, Query(max_length=100)] = None,
    coord_system: Annotated[Literal["wgs84", "gcj02", "bd09", "cgcs2000"] | None, Query()] = None,
    encoding: Annotated[Literal["utf-8", "gbk", "gb18030"] | None, Query()] = None,
    layer: Annotated[str | None, Query(max_length=200)] = None,
    lon_col: Annotated[str | None, Query(max_length=200, description="CSV/XLSX 经度列")] = None,
    lat_col: Annotated[str | None, Query(max_length=200, description="CSV/XLSX 纬度列")] = None,
) -> ImportOut:
    """Validate an uploaded file like ``tanmap import`` and store it atomically."""
    district = store.district(adcode)
    max_bytes = int(settings.max_upload_mb * 1e6)
    with tempfile.TemporaryDirectory(prefix="tanmap-upload-") as tmp:
        path = await _save_upload(file, Path(tmp), max_bytes)
        loaded = io.load(kind, path, district=district["geometry"], source_crs=source_crs,
                         coord_system=coord_system, encoding=encoding, layer=layer,
                         lon_col=lon_col, lat_col=lat_col, max_bytes=max_bytes)
    version = store.write(kind, loaded.gdf, district=adcode, mode=mode,
                          source=f"API upload {path.name}", author="api")
    warnings = [{k: for_interface(v, "http") if isinstance(v, str) else v
                 for k in ("row", "feature_id", "column", "problem", "fix", "severity", "code")
                 for v in [getattr(w, k, None)]}
                for w in loaded.warnings]
    return ImportOut(layer=version_out(version), warnings=warnings)


EXPORT_MEDIA = {"geojson": ("application/geo+json", ".geojson"),
                "gpkg": ("application/geopackage+sqlite3", ".gpkg"),
                "shp": ("application/zip", ".zip")}


@router.get("/{kind}/export", summary="Export a layer 导出图层", response_class=FileResponse,
            responses={200: {"content": {m: {} for m, _ in EXPORT_MEDIA.values()}}})
def export_layer(
    adcode: Adcode,
    kind: Kind,
    store: Annotated[Store, Depends(get_store)],
    format: Annotated[Literal["geojson", "gpkg", "shp"], Query()] = "geojson",
    crs: Annotated[int | None, Query(ge=2000, le=32767,
                                     description="EPSG code for gpkg/shp, e.g. 4548")] = None,
    encoding: Annotated[Literal["utf-8", "gbk"], Query()] = "utf-8",
) -> FileResponse:
    """Return the layer as GeoJSON (RFC 7946), GeoPackage or a zipped Shapefile."""
    store.district(adcode)
    frame = store.read(kind, district=adcode)
    media, suffix = EXPORT_MEDIA[format]
    tmp = tempfile.TemporaryDirectory(prefix="tanmap-export-")
    path = Path(tmp.name) / f"{adcode}_{kind.value}{suffix}"
    opts: dict[str, Any] = {}
    if format == "gpkg":
        opts = {"layer": kind.value, "crs": f"EPSG:{crs}" if crs else None}
    elif format == "shp":
        opts = {"crs": f"EPSG:{crs}" if crs else None, "encoding": encoding}
    try:
        io.write_layer(frame, path, format, **opts)
    except Exception:
        tmp.cleanup()
        raise
    return FileResponse(path, media_type=media, filename=path.name,
                        background=BackgroundTask(tmp.cleanup))

