"""Layer history (版本历史) and revert (回退) over HTTP; the same store calls as the CLI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from tanmap.api.deps import Adcode, Kind, get_store, layer_writer
from tanmap.api.models import HistoryEntryOut, LayerVersionOut
from tanmap.api.roles import LEGACY_TOKEN_NAME, Principal
from tanmap.api.routers.layers import version_out
from tanmap.layers.store import Store

__all__ = ["API_AUTHOR", "router"]

router = APIRouter(prefix="/api/districts/{adcode}/layers", tags=["layers 图层"])

#: Author recorded for changes made with the single ``TANMAP_API_TOKEN`` (an admin).
API_AUTHOR = LEGACY_TOKEN_NAME


@router.get("/{kind}/history", response_model=list[HistoryEntryOut],
            summary="Versions of a layer 图层版本历史")
def layer_history(
    adcode: Adcode, kind: Kind, store: Annotated[Store, Depends(get_store)]
) -> list[HistoryEntryOut]:
    """Return every version: time, author, source, features added/removed/changed."""
    return [HistoryEntryOut(**e.as_dict()) for e in store.history(kind, adcode)]


@router.post("/{kind}/revert", response_model=LayerVersionOut, status_code=201,
             summary="Restore a version 回退图层")
def revert_layer(
    adcode: Adcode,
    kind: Kind,
    store: Annotated[Store, Depends(get_store)],
    to: Annotated[int, Query(ge=1, description="version to restore")],
    who: Annotated[Principal, Depends(layer_writer)],
) -> LayerVersionOut:
    """Restore version ``to`` exactly (checksum-verified) as the next version; all or nothing."""
    return version_out(store.revert(kind, adcode, to, author=who.name))
