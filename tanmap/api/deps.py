"""FastAPI dependencies: settings, the store, tokens and roles, reusable parameter aliases."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request

from tanmap.api.roles import (
    INDICATORS,
    LEGACY_TOKEN_NAME,
    Principal,
    RoleBook,
    RolesFileError,
    load_roles,
)
from tanmap.api.settings import Settings, get_settings
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import Store, open_store

__all__ = [
    "Adcode",
    "Kind",
    "Lang",
    "any_reader",
    "authorize",
    "current_principal",
    "get_roles",
    "get_store",
    "indicator_writer",
    "layer_writer",
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


def get_roles(request: Request, settings: Annotated[Settings, Depends(get_settings)]
              ) -> RoleBook | None:
    """Return the roles file's tokens (re-read when the file changes), or None without one.

    Raises
    ------
    RolesFileError
        If the file is missing or wrong (the message names the file, line and key).
    """
    if settings.roles_file is None:
        return None
    path = settings.roles_file
    try:
        stat = path.stat()
    except OSError as err:
        raise RolesFileError(f"roles file {path} cannot be read ({err}); fix "
                             "TANMAP_ROLES_FILE") from err
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    cache: dict[str, tuple[tuple[str, int, int], RoleBook]] = request.app.state.roles
    if str(path) not in cache or cache[str(path)][0] != key:
        cache[str(path)] = (key, load_roles(path))
    return cache[str(path)][1]


def current_principal(
    settings: Annotated[Settings, Depends(get_settings)],
    roles: Annotated[RoleBook | None, Depends(get_roles)],
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
) -> Principal:
    """Return who the request acts for, from its bearer token.

    中文：按令牌识别请求者（角色文件中的令牌，或作为管理员的 TANMAP_API_TOKEN）。

    Raises
    ------
    HTTPException
        403 when the server has no token at all (writes over HTTP are disabled), 401 when the
        request has no or an unknown token.
    """
    if settings.api_token is None and roles is None:
        raise HTTPException(
            status_code=403,
            detail="写入已禁用 Writes are disabled: start the server with TANMAP_API_TOKEN or "
                   "TANMAP_ROLES_FILE set.",
        )
    scheme, _, token = (authorization or "").partition(" ")
    found: Principal | None = None
    if scheme.lower() == "bearer" and token:
        if roles is not None:
            found = roles.lookup(token)
        if settings.api_token is not None and secrets.compare_digest(
                token.encode(), settings.api_token.get_secret_value().encode()):
            found = Principal(LEGACY_TOKEN_NAME, "admin")
    if found is None:
        raise HTTPException(
            status_code=401,
            detail="需要令牌 A valid token is required: send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


def authorize(principal: Principal, what: str, district: str) -> Principal:
    """Return ``principal`` if it may write ``what`` (a kind or "indicators") in ``district``.

    中文：检查写权限。

    Raises
    ------
    HTTPException
        403 naming the role and what it may do.
    """
    if not principal.may_write(what, district):
        raise HTTPException(
            status_code=403,
            detail=(f"无权写入 Forbidden: {principal.name!r} ({principal.role}) may not write "
                    f"{what} in district {district}; {principal.role} {principal.name!r}: "
                    f"{principal.rights()}. Ask an admin to change the roles file."),
        )
    return principal


def require_token(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Refuse a request unless it carries an admin token (writes not tied to one kind).

    中文：需要管理员令牌。
    """
    return authorize(principal, "everything", "*")


def layer_writer(adcode: Adcode, kind: Kind,
                 principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Return the principal if it may write layer ``kind`` of district ``adcode`` (else 403)."""
    return authorize(principal, kind.value, adcode)


def indicator_writer(adcode: Adcode,
                     principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Return the principal if it may enter indicator values of ``adcode`` (else 403)."""
    return authorize(principal, INDICATORS, adcode)


def any_reader(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Return the principal of any valid token, viewer included (for the audit log)."""
    return principal
