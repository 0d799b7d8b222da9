"""Districts (区县) and their administrative units (街道, 社区)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from tanmap.api.deps import Adcode, get_store
from tanmap.api.geojson import geojson_response
from tanmap.api.models import DistrictOut
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import Store

__all__ = ["router"]

router = APIRouter(prefix="/api/districts", tags=["districts 区县"])


def _out(row: object) -> DistrictOut:
    geom = row["geometry"]  # type: ignore[index]
    epsg = row.get("planning_epsg")  # type: ignore[attr-defined]
    return DistrictOut(
        adcode=str(row["adcode"]),  # type: ignore[index]
        name=row.get("name"),  # type: ignore[attr-defined]
        name_en=row.get("name_en"),  # type: ignore[attr-defined]
        planning_epsg=None if epsg is None or epsg != epsg else int(epsg),
        bbox=[round(float(v), 7) for v in geom.bounds],
    )


@router.get("", response_model=list[DistrictOut], summary="List districts 区县列表")
def list_districts(store: Annotated[Store, Depends(get_store)]) -> list[DistrictOut]:
    """Return every district in the store with its planning CRS and bounding box."""
    return [_out(row) for _, row in store.districts().iterrows()]


@router.get("/{adcode}", response_model=DistrictOut, summary="One district 区县")
def get_district(adcode: Adcode, store: Annotated[Store, Depends(get_store)]) -> DistrictOut:
    """Return one district (404 when unknown)."""
    return _out(store.district(adcode))


@router.get("/{adcode}/boundary", summary="District boundary as GeoJSON 区县边界",
            response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def get_boundary(adcode: Adcode, store: Annotated[Store, Depends(get_store)]) -> Response:
    """Return the district boundary as an RFC 7946 FeatureCollection."""
    store.district(adcode)
    districts = store.districts()
    return geojson_response(districts[districts["adcode"].astype(str) == adcode])


@router.get("/{adcode}/units/{unit_kind}", summary="Sub-district or community units 街道/社区",
            response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def get_units(
    adcode: Adcode,
    unit_kind: Literal["subdistrict", "community"],
    store: Annotated[Store, Depends(get_store)],
) -> Response:
    """Return the district's 街道 or 社区 polygons as GeoJSON (empty when none are loaded)."""
    store.district(adcode)
    return geojson_response(store.read(LayerKind(unit_kind), district=adcode))
