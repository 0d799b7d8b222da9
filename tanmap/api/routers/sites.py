"""Where to build (设施选址) over HTTP: choose sites, export them, save them as planned."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

from tanmap.api.deps import Adcode, authorize, current_principal, get_store
from tanmap.api.geojson import to_feature_collection
from tanmap.api.models import SiteRequest
from tanmap.api.roles import Principal
from tanmap.api.routers.layers import EXPORT_MEDIA
from tanmap.layers.io import write_layer
from tanmap.layers.siting import SitingRun, plan_sites, save_planned_sites
from tanmap.layers.store import Store

__all__ = ["router"]

router = APIRouter(prefix="/api/districts/{adcode}/sites", tags=["siting 设施选址"])

Format = Annotated[Literal["json", "geojson", "gpkg", "shp"], Query(
    description="json: figures + sites (GeoJSON); geojson/gpkg/shp: the sites as a file")]
Year = Annotated[int, Query(ge=1900, le=2100, description="planned year of the saved sites")]


def _run(store: Store, adcode: str, body: SiteRequest) -> SitingRun:
    store.district(adcode)
    return plan_sites(store, adcode, body.kind, count=body.count,
                      target_share=body.target_share, min_count=body.min_count,
                      radius_m=body.radius_m, spacing_m=body.spacing_m, budget=body.budget,
                      zone_type=body.zone_type, available_by=body.available_by,
                      time_limit_s=body.time_limit_s, plan=body.plan)


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
    run = _run(store, adcode, body)
    if format == "json":
        return JSONResponse(_payload(run))
    media, suffix = EXPORT_MEDIA[format]
    tmp = tempfile.TemporaryDirectory(prefix="tanmap-sites-")
    path = FilePath(tmp.name) / f"{adcode}_{body.kind}_sites{suffix}"
    try:
        write_layer(run.sites, path, format)
    except Exception:
        tmp.cleanup()
        raise
    return FileResponse(path, media_type=media, filename=path.name,
                        background=BackgroundTask(tmp.cleanup))


@router.post("/save",
             summary="Choose new sites and save them as planned 选址并保存为规划设施")
def save_sites(adcode: Adcode, body: SiteRequest, year: Year,
               store: Annotated[Store, Depends(get_store)],
               who: Annotated[Principal, Depends(current_principal)]) -> dict[str, Any]:
    """Choose the sites as ``POST /sites`` does and append them to the kind's layer (规划)."""
    authorize(who, str(body.kind), adcode)
    run = _run(store, adcode, body)
    version = save_planned_sites(store, run, year, author=who.name)
    return {**_payload(run), "saved_version": version.version}
