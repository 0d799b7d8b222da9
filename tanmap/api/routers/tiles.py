"""Vector tiles (矢量切片) of large layers for the district map; the encoding is in layers/."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from tanmap.api.deps import Adcode, Kind, get_store
from tanmap.layers.store import Store
from tanmap.layers.vector_tiles import MAX_ZOOM, TILE_FORMAT, layer_tile
from tanmap.maps.build import tile_columns

__all__ = ["MVT_MEDIA_TYPE", "router"]

router = APIRouter(tags=["pages 页面"])

#: Media type of Mapbox Vector Tiles.
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


@router.get("/tiles/{adcode}/{kind}/{z}/{x}/{y}.pbf", response_class=Response,
            summary="A vector tile of a layer 图层矢量切片 (MVT)",
            responses={200: {"content": {MVT_MEDIA_TYPE: {}}},
                       304: {"description": "Not modified (If-None-Match matched the ETag)"}})
def get_tile(
    adcode: Adcode,
    kind: Kind,
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    z: Annotated[int, Path(ge=0, le=MAX_ZOOM)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    basemap: Annotated[Literal["none", "osm", "amap"], Query(
        description="amap: features shifted to GCJ-02 to match the Amap base map")] = "none",
    v: Annotated[str | None, Query(pattern=r"^[0-9a-f]{1,64}$",
                                   description="layer checksum prefix (cache key)")] = None,
) -> Response:
    """Return tile z/x/y (XYZ) of the layer as MVT; the MVT layer is named after the kind.

    Features carry id, name, status and the kind's style class; synthetic ones ``data_label``.
    A tile that had to leave features out (too many) also holds a ``tanmap_meta`` layer saying
    how many. The ETag is the layer version's checksum: a request with a matching
    ``If-None-Match`` gets 304 without the tile being made. A URL whose ``v`` is the current
    checksum (as the map page writes it) may be cached for a day; any other is revalidated.
    A plain ``def``: FastAPI runs it in its thread pool, so slow tiles never block the event
    loop or one another (the encoder's numpy, shapely and GDAL calls release the GIL).
    """
    if x >= 2**z or y >= 2**z:
        return Response(status_code=404, content=f"no tile {z}/{x}/{y}: x, y < 2**{z}")
    version = store.version(kind, adcode)
    checksum = (version.checksum or "") if version is not None else "none"
    current = bool(v) and bool(checksum) and checksum.startswith(v or "")
    headers = {
        "Cache-Control": "public, max-age=86400" if current else "no-cache",
        "ETag": f'"{checksum[:32]}-{basemap}-f{TILE_FORMAT}"',
        "Vary": "Accept-Encoding",
    }
    if headers["ETag"] in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    data = layer_tile(store, kind, adcode, z, x, y, gcj02=basemap == "amap",
                      columns=tile_columns(kind))
    return Response(content=data, media_type=MVT_MEDIA_TYPE, headers=headers)


def _etags(header: str | None) -> set[str]:
    """Return the entity tags of an If-None-Match header (weak ones compared as strong)."""
    if not header:
        return set()
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
