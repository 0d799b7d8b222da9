"""Where to build (设施选址) over HTTP: choose sites, export them, save them as planned."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError
from starlette.background import BackgroundTask

from tanmap.api.deps import Adcode, authorize, current_principal, get_store
from tanmap.api.geojson import to_feature_collection
from tanmap.api.models import SiteRequest
from tanmap.api.roles import Principal
from tanmap.api.routers.layers import EXPORT_MEDIA, _save_upload
from tanmap.api.settings import Settings, get_settings
from tanmap.geo.errors import MetricParameterError
from tanmap.layers.ingest.io import load, write_layer
from tanmap.layers.siting import (
    SitingRun,
    plan_sites,
    save_planned_sites,
    site_for_target,
    sites_for_export,
)
from tanmap.layers.store import Store

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["router"]

router = APIRouter(prefix="/api/districts/{adcode}/sites", tags=["siting 设施选址"])

Format = Annotated[Literal["json", "geojson", "gpkg", "shp"], Query(
    description="json: figures + sites (GeoJSON); geojson/gpkg/shp: the sites as a file")]
Year = Annotated[int, Query(ge=1900, le=2100, description="planned year of the saved sites")]


def _run(store: Store, adcode: str, body: SiteRequest,
         candidates: gpd.GeoDataFrame | None = None) -> SitingRun:
    store.district(adcode)
    options: dict[str, Any] = dict(
        radius_m=body.radius_m, spacing_m=body.spacing_m, budget=body.budget,
        zone_type=body.zone_type, available_by=body.available_by,
        time_limit_s=body.time_limit_s, demand=body.demand, distance=body.distance,
        candidates=candidates)
    if body.target_id is not None:
        if body.count is not None or body.target_share is not None or body.min_count is not None:
            raise MetricParameterError(
                f"target {body.target_id} sets the question; leave out count, target_share "
                "and min_count.")
        run = site_for_target(store, adcode, body.target_id, **options)
        if body.kind is not None and body.kind != run.kind:
            raise MetricParameterError(
                f"target {body.target_id} sites {run.kind}, not {body.kind}; leave kind out.")
        return run
    assert body.kind is not None  # SiteRequest: kind or target_id
    return plan_sites(store, adcode, body.kind, count=body.count,
                      target_share=body.target_share, min_count=body.min_count,
                      plan=body.plan, **options)


def _payload(run: SitingRun) -> dict[str, Any]:
    figures = run.to_dict()
    figures.pop("sites")
    return {**figures, "sites": to_feature_collection(run.sites)}


@router.post("", summary="Choose new sites 设施选址",
             responses={200: {"content": {"application/json": {},
                                          **{m: {} for m, _ in EXPORT_MEDIA.values()}}}})
def choose_sites(adcode: Adcode, body: SiteRequest,
                 store: Annotated[Store, Depends(get_store)],
                 format: Format = "json") -> Any:
    """Return the optimal new sites (ranked by gain) with objective, gap, time and greedy."""
    return _respond(_run(store, adcode, body), adcode, format)


def _respond(run: SitingRun, adcode: str, format: str) -> Any:
    if format == "json":
        return JSONResponse(_payload(run))
    media, suffix = EXPORT_MEDIA[format]
    tmp = tempfile.TemporaryDirectory(prefix="tanmap-sites-")
    path = FilePath(tmp.name) / f"{adcode}_{run.kind}_sites{suffix}"
    try:
        write_layer(sites_for_export(run), path, format)
    except Exception:
        tmp.cleanup()
        raise
    return FileResponse(path, media_type=media, filename=path.name,
                        background=BackgroundTask(tmp.cleanup))


@router.post("/upload", summary="Choose new sites among uploaded candidate lots 上传候选地块选址",
             responses={200: {"content": {"application/json": {},
                                          **{m: {} for m, _ in EXPORT_MEDIA.values()}}}})
async def choose_sites_upload(
    adcode: Adcode,
    file: Annotated[UploadFile, File(description="candidate lots (候选地块): GeoJSON, "
                                                 "GeoPackage, zipped Shapefile, CSV/XLSX ...")],
    question: Annotated[str, Form(max_length=4000, description="the siting question as JSON "
                                                              "(the body of POST /sites)")],
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    format: Format = "json",
    source_crs: Annotated[str | None, Query(max_length=100)] = None,
    coord_system: Annotated[Literal["wgs84", "gcj02", "bd09", "cgcs2000"] | None, Query()] = None,
    encoding: Annotated[Literal["utf-8", "gbk", "gb18030"] | None, Query()] = None,
    layer: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    """Answer ``POST /sites`` with the uploaded lots as the candidates.

    The same as ``tanmap site --candidates FILE``: the lots are validated as ``candidate_site``
    features and size-limited like every upload; nothing is stored.
    """
    try:
        body = SiteRequest.model_validate_json(question)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'question'}: {e['msg']}"
                             for e in err.errors(include_url=False))
        raise MetricParameterError(f"form field 'question' is not a siting question: "
                                   f"{problems}") from None
    district = store.district(adcode)
    max_bytes = int(settings.max_upload_mb * 1e6)
    with tempfile.TemporaryDirectory(prefix="tanmap-lots-") as tmp:
        path = await _save_upload(file, FilePath(tmp), max_bytes)
        lots = load("candidate_site", path, district=district["geometry"],
                    source_crs=source_crs, coord_system=coord_system, encoding=encoding,
                    layer=layer, max_bytes=max_bytes).gdf
    return _respond(_run(store, adcode, body, lots), adcode, format)


@router.post("/save",
             summary="Choose new sites and save them as planned 选址并保存为规划设施")
def save_sites(adcode: Adcode, body: SiteRequest, year: Year,
               store: Annotated[Store, Depends(get_store)],
               who: Annotated[Principal, Depends(current_principal)]) -> dict[str, Any]:
    """Choose the sites as ``POST /sites`` does and append them to the kind's layer (规划)."""
    if body.kind is not None:  # refuse before solving when the kind is known up front
        authorize(who, str(body.kind), adcode)
    run = _run(store, adcode, body)
    authorize(who, run.kind, adcode)  # a target_id names its kind only once it is resolved
    version = save_planned_sites(store, run, year, author=who.name)
    return {**_payload(run), "saved_version": version.version}
