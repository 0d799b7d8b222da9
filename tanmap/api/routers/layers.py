"""Plan layers: read as GeoJSON (bbox, paging), import (token, validated, atomic), export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from tanmap.api.deps import Adcode, Kind, get_store, layer_writer
from tanmap.api.geojson import frame_from_features, geojson_response
from tanmap.api.models import FeatureCollectionIn, ImportOut, LayerVersionOut
from tanmap.api.roles import Principal
from tanmap.api.settings import Settings, get_settings
from tanmap.geo.crs import Bounds
from tanmap.geo.errors import DataFormatError, InputTooLargeError, LayerValidationError
from tanmap.layers.advice import for_interface
from tanmap.layers.ingest import fieldmap, io
from tanmap.layers.kinds import SPECS
from tanmap.layers.store import LayerVersion, Store

__all__ = ["router"]

router = APIRouter(prefix="/api/districts/{adcode}/layers", tags=["layers 图层"])

Mode = Annotated[Literal["replace", "append"], Query(description="replace 替换 | append 追加")]
UPLOAD_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".csv", ".xlsx", ".dxf")
MAPPING_SUFFIXES = (".yaml", ".yml", ".json")
_MAPPING_MAX_BYTES = 1 << 20
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
             summary="Import GeoJSON features 导入要素")
def import_features(
    adcode: Adcode,
    kind: Kind,
    body: FeatureCollectionIn,
    store: Annotated[Store, Depends(get_store)],
    who: Annotated[Principal, Depends(layer_writer)],
    mode: Mode = "replace",
) -> ImportOut:
    """Validate and store a FeatureCollection as the next version of the layer (all or nothing)."""
    store.district(adcode)
    what = f"request body ({SPECS[kind].zh_name} {kind.value})"
    frame = frame_from_features(body.model_dump(), what=what)
    version = store.write(kind, frame, district=adcode, mode=mode, source="API GeoJSON import",
                          author=who.name)
    return ImportOut(layer=version_out(version))


async def _save_upload(upload: UploadFile, directory: Path, max_bytes: int,
                       suffixes: tuple[str, ...] = UPLOAD_SUFFIXES) -> Path:
    name = Path(upload.filename or "upload").name
    if not name.lower().endswith(suffixes):
        raise DataFormatError(
            f"upload {name!r}: unsupported file type; send one of {', '.join(suffixes)} "
            "(a Shapefile or File Geodatabase as a .zip)."
        )
    directory.mkdir(parents=True, exist_ok=True)
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
             summary="Upload a layer file 上传图层文件")
async def upload_layer(
    adcode: Adcode,
    kind: Kind,
    who: Annotated[Principal, Depends(layer_writer)],
    file: Annotated[UploadFile,
                    File(description="GeoJSON, GeoPackage, zipped Shapefile or File "
                                     "Geodatabase, DXF, CSV/XLSX")],
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    response: Response,
    mode: Mode = "replace",
    source_crs: Annotated[str | None, Query(max_length=100)] = None,
    coord_system: Annotated[Literal["wgs84", "gcj02", "bd09", "cgcs2000"] | None, Query()] = None,
    encoding: Annotated[Literal["utf-8", "gbk", "gb18030"] | None, Query()] = None,
    layer: Annotated[str | None, Query(max_length=200)] = None,
    dry_run: Annotated[bool, Query(description="validate only; store nothing")] = False,
    repair: Annotated[bool, Query(description="repair invalid geometries (几何修复)")] = False,
    skip_invalid: Annotated[bool, Query(description="store the valid features, return the "
                                                    "rejected ones (剔除无效要素)")] = False,
    mapping: Annotated[UploadFile | None,
                       File(description="field mapping, YAML or JSON (字段映射)")] = None,
    lon_col: Annotated[str | None, Query(max_length=200, description="CSV/XLSX 经度列")] = None,
    lat_col: Annotated[str | None, Query(max_length=200, description="CSV/XLSX 纬度列")] = None,
) -> ImportOut:
    """Validate an uploaded file like ``tanmap import`` and store it atomically.

    ``dry_run`` stores nothing (the version does not change); ``skip_invalid`` stores the
    valid features and lists the rejected ones with their problems; ``mapping`` is a field
    mapping file (built-in Chinese header aliases apply without it).
    """
    # Reading, validating and writing are blocking and CPU-bound: run them in the thread pool
    # so other requests are served while a large file is imported (the event loop stays free).
    district = await run_in_threadpool(store.district, adcode)
    max_bytes = int(settings.max_upload_mb * 1e6)
    with tempfile.TemporaryDirectory(prefix="tanmap-upload-") as tmp:
        path = await _save_upload(file, Path(tmp), max_bytes)
        field_map = None
        if mapping is not None:
            field_map = fieldmap.load_field_map(
                await _save_upload(mapping, Path(tmp) / "mapping", _MAPPING_MAX_BYTES,
                                   suffixes=MAPPING_SUFFIXES)
            )
        loaded = await run_in_threadpool(
            io.load, kind, path, district=district["geometry"], source_crs=source_crs,
            coord_system=coord_system, encoding=encoding, layer=layer, lon_col=lon_col,
            lat_col=lat_col, max_bytes=max_bytes, repair=repair, skip_invalid=skip_invalid,
            field_map=field_map)
    if skip_invalid and loaded.rejected is not None and len(loaded.gdf) == 0:
        raise LayerValidationError(f"{path.name} ({SPECS[kind].zh_name} {kind.value}): every "
                                   "feature is invalid; nothing was stored", loaded.rejects)
    if dry_run:
        current = await run_in_threadpool(store.version, kind, adcode)
        version = None if current is None else version_out(current)
        response.status_code = 200
    else:
        version = version_out(await run_in_threadpool(
            store.write, kind, loaded.gdf, district=adcode, mode=mode,
            source=f"API upload {path.name}", author=who.name))
    return ImportOut(
        layer=version, warnings=[_issue_out(w) for w in loaded.warnings], dry_run=dry_run,
        n_valid=len(loaded.gdf), rejected=_rejected_out(loaded), repairs=[
            str(n) for n in loaded.repairs],
        mapping=None if loaded.mapping is None else loaded.mapping.as_dict(),
    )


def _issue_out(issue: Any) -> dict[str, Any]:
    # Advice names the HTTP parameter (repair=true), not the CLI flag (--repair).
    return {k: for_interface(v, "http") if isinstance(v, str) else v
            for k in ("row", "feature_id", "column", "problem", "fix", "severity", "code")
            for v in [getattr(issue, k, None)]}


def _rejected_out(loaded: io.LoadResult) -> list[dict[str, Any]]:
    if loaded.rejected is None:
        return []
    by_row: dict[int, list[dict[str, Any]]] = {}
    for issue in loaded.rejects:
        by_row.setdefault(int(issue.row or 0), []).append(_issue_out(issue))
    row_col, codes_col, _ = io.REJECT_COLUMNS
    out = []
    for row, codes in zip(loaded.rejected[row_col].tolist(), loaded.rejected[codes_col].tolist(),
                          strict=True):
        out.append({"row": int(row), "codes": str(codes).split(","),
                    "problems": by_row.get(int(row), [])})
    return out


@router.post("/{kind}/empty", response_model=ImportOut, status_code=201,
             summary="Record that the district has none of this kind 登记为空图层")
def mark_empty(
    adcode: Adcode,
    kind: Kind,
    store: Annotated[Store, Depends(get_store)],
    who: Annotated[Principal, Depends(layer_writer)],
    source: Annotated[str, Query(max_length=200, description="who confirmed it, how")] = "",
) -> ImportOut:
    """Store an empty next version: the district has no such features (metrics count zero)."""
    store.district(adcode)
    version = store.write_empty(kind, district=adcode, source=source or "API import-empty",
                              author=who.name)
    return ImportOut(layer=version_out(version), n_valid=0)


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
    empty_type = io.EMPTY_GEOMETRY_TYPES[SPECS[kind].geometry.value]
    if format == "gpkg":
        opts = {"layer": kind.value, "crs": f"EPSG:{crs}" if crs else None,
                "geometry_type": empty_type}
    elif format == "shp":
        opts = {"crs": f"EPSG:{crs}" if crs else None, "encoding": encoding,
                "geometry_type": empty_type}
    try:
        io.write_layer(frame, path, format, **opts)
    except Exception:
        tmp.cleanup()
        raise
    return FileResponse(path, media_type=media, filename=path.name,
                        background=BackgroundTask(tmp.cleanup))

