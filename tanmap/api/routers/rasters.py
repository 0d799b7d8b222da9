"""Raster layers (栅格图层): list, upload (token), export, delete (token), zonal statistics."""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from tanmap.api.deps import Adcode, authorize, current_principal, get_store
from tanmap.api.models import RasterVersionOut
from tanmap.api.roles import Principal
from tanmap.api.routers.layers import _save_upload
from tanmap.api.settings import Settings, get_settings
from tanmap.layers.raster import rasters
from tanmap.layers.raster.rasters import RasterKind, RasterVersion
from tanmap.layers.store import Store

__all__ = ["router"]

router = APIRouter(prefix="/api/districts/{adcode}/rasters", tags=["rasters 栅格"])

RKind = Annotated[RasterKind, "栅格类型 raster kind"]


def raster_writer(adcode: Adcode, kind: RKind,
                  principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Return the principal if it may write raster ``kind`` of ``adcode`` (else 403)."""
    return authorize(principal, kind.value, adcode)


def _out(v: RasterVersion) -> RasterVersionOut:
    data = asdict(v)
    data.pop("file")
    data["bounds"] = list(v.bounds)
    return RasterVersionOut(**data)


@router.get("", response_model=list[RasterVersionOut], summary="Current rasters 栅格列表")
def list_rasters(adcode: Adcode,
                 store: Annotated[Store, Depends(get_store)]) -> list[RasterVersionOut]:
    """Return the current version of each raster of the district."""
    store.district(adcode)
    return [_out(v) for v in rasters.raster_versions(store, adcode)]


@router.post("/{kind}", response_model=RasterVersionOut, status_code=201,
             dependencies=[Depends(raster_writer)], summary="Upload a GeoTIFF 上传栅格")
async def upload_raster(
    adcode: Adcode, kind: RKind,
    file: Annotated[UploadFile, File(description="single-band GeoTIFF with a CRS")],
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    source: Annotated[str, Query(max_length=200)] = "",
) -> RasterVersionOut:
    """Store the GeoTIFF as the next version (kept as a Cloud-Optimised GeoTIFF)."""
    await run_in_threadpool(store.district, adcode)
    with tempfile.TemporaryDirectory(prefix="tanmap-raster-") as tmp:
        path = await _save_upload(file, Path(tmp), int(settings.max_upload_mb * 1e6),
                                  suffixes=(".tif", ".tiff"))
        # Converting to a COG is blocking and CPU-bound: off the event loop.
        version = await run_in_threadpool(rasters.import_raster, store, kind, adcode, path,
                                          source=source or f"API upload {path.name}")
    return _out(version)


@router.get("/{kind}/export", response_class=FileResponse, summary="Export a raster 导出栅格",
            responses={200: {"content": {"image/tiff": {}}}})
def export_raster(adcode: Adcode, kind: RKind,
                  store: Annotated[Store, Depends(get_store)]) -> FileResponse:
    """Return the current raster as a GeoTIFF (COG)."""
    path = rasters.raster_path(store, kind, adcode)
    return FileResponse(path, media_type="image/tiff", filename=f"{adcode}_{kind.value}.tif")


@router.delete("/{kind}", response_model=RasterVersionOut,
               dependencies=[Depends(raster_writer)], summary="Delete a raster 删除栅格")
def delete_raster(adcode: Adcode, kind: RKind,
                  store: Annotated[Store, Depends(get_store)]) -> RasterVersionOut:
    """Record that the district has no such raster now (older versions are kept)."""
    return _out(rasters.delete_raster(store, kind, adcode, source="API delete"))


@router.get("/{kind}/zonal", summary="Zonal statistics 栅格分区统计")
def zonal(adcode: Adcode, kind: RKind, store: Annotated[Store, Depends(get_store)],
          by: Annotated[Literal["subdistrict", "eco_zone"], Query()] = "subdistrict",
          ) -> list[dict[str, Any]]:
    """Class areas (m²) or mean/min/max per 街道 or eco zone, by exact cell fractions."""
    table = rasters.zonal_stats(store, kind, adcode, by=by)
    records: list[dict[str, Any]] = json.loads(table.to_json(orient="records"))
    return records


@router.get("/land_cover/eco", summary="Forest and blue-green shares from the raster 森林覆盖率")
def eco(adcode: Adcode, store: Annotated[Store, Depends(get_store)],
        count_farmland: bool = False) -> dict[str, Any]:
    """森林覆盖率 and 蓝绿空间占比 (district, eco-zone levels) from the land-cover raster."""
    table = rasters.eco_shares(store, adcode, count_farmland=count_farmland)
    out: dict[str, Any] = json.loads(table.to_json(orient="index"))
    return out
