"""The audit log over HTTP (操作日志): who wrote what, when; any valid token may read it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query

from tanmap.api.deps import any_reader, get_store
from tanmap.api.roles import Principal
from tanmap.layers.audit_log import audit_log
from tanmap.layers.store import Store

__all__ = ["router"]

router = APIRouter(prefix="/api/audit-log", tags=["audit log 操作日志"])


@router.get("", summary="Who changed what, newest first 操作日志")
def list_audit_log(
    store: Annotated[Store, Depends(get_store)],
    who: Annotated[Principal, Depends(any_reader)],
    district: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z_-]{1,32}$")] = None,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$",
                                      description="layer kind or 'indicators'")] = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Return one page of layer writes, reverts and indicator entries (any role may read).

    Each entry: ``at`` (UTC), ``author`` (the token's name), ``action`` (write, revert,
    indicator), ``district``, ``kind``, ``version`` and ``detail``; ``next`` links the next page.
    """
    page = audit_log(store, district=district, kind=kind, author=author, limit=limit,
                     offset=offset)
    following = None
    if offset + limit < page.total:
        query = {k: v for k, v in (("district", district), ("kind", kind), ("author", author))
                 if v is not None}
        following = "/api/audit-log?" + urlencode({**query, "limit": limit,
                                                   "offset": offset + limit})
    return {"total": page.total, "offset": page.offset, "limit": page.limit, "next": following,
            "entries": [e.as_dict() for e in page.entries]}
