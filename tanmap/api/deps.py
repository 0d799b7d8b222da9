"""FastAPI dependencies: settings, the store, the write token and reusable parameter aliases."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request

from tanmap.api.settings import Settings, get_settings
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import Store, open_store

__all__ = [
    "Adcode",
    "Kind",
    "Lang",
    "get_store",
    "require_token",
]

Adcode = Annotated[
    str, Path(pattern=r"^[0-9A-Za-z_-]{1,32}$", description="区县代码 district code (adcode)")
]
Kind = Annotated[LayerKind, Path(description="图层类型 layer kind")]
Lang = Annotated[str, Query(pattern="^(zh|en)$", description="界面语言 language: zh | en")]


def get_store(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> Store:
    """Return the project store named by the settings (opened once per app and location)."""
    cache: dict[str, Store] = request.app.state.stores
    if settings.store not in cache:
        cache[settings.store] = open_store(settings.store, create=True)
    return cache[settings.store]


def require_token(
    settings: Annotated[Settings, Depends(get_settings)],
    authorization: Annotated[str | None, Header(description="Bearer <TANMAP_API_TOKEN>")] = None,
) -> None:
    """Refuse a write unless it carries the configured bearer token.

    中文：写操作需要令牌。

    Raises
    ------
    HTTPException
        403 when the server has no token configured (writes over HTTP are disabled), 401 when the
        request has no or a wrong token.
    """
    if settings.api_token is None:
        raise HTTPException(
            status_code=403,
            detail="写入已禁用 Writes are disabled: start the server with TANMAP_API_TOKEN set.",
        )
    expected = settings.api_token.get_secret_value()
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(
            status_code=401,
            detail="需要令牌 A valid token is required: send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
