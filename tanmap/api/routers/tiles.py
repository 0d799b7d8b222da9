"""Vector tiles (矢量切片) of large layers for the district map; the encoding is in layers/."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from tanmap.api.deps import Adcode, Kind, get_store
from tanmap.layers.store import Store
from tanmap.layers.vector_tiles import MAX_ZOOM, layer_tile
from tanmap.maps.build import tile_columns

__all__ = ["MVT_MEDIA_TYPE", "router"]

router = APIRouter(tags=["pages 页面"])

#: Media type of Mapbox Vector Tiles.
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


@router.get("/tiles/{adcode}/{kind}/{z}/{x}/{y}.pbf", response_class=Response,
            summary="A vector tile of a layer 图层矢量切片 (MVT)",
            responses={200: {"content": {MVT_MEDIA_TYPE: {}}}})
def get_tile(
    adcode: Adcode,
    kind: Kind,
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
    A URL with the layer's checksum (``v``, as the map page writes it) may be cached for a day.
    """
    if x >= 2**z or y >= 2**z:
        return Response(status_code=404, content=f"no tile {z}/{x}/{y}: x, y < 2**{z}")
    data = layer_tile(store, kind, adcode, z, x, y, gcj02=basemap == "amap",
                      columns=tile_columns(kind))
    cache = "public, max-age=86400" if v else "no-cache"
    return Response(content=data, media_type=MVT_MEDIA_TYPE, headers={"Cache-Control": cache})
