"""Run-time settings (配置) of the ``tanmap`` CLI and the FastAPI app, from TANMAP_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_STORE", "Settings", "get_settings"]

#: Default store location, relative to the working directory (never inside the package).
DEFAULT_STORE = "var/tanmap.gpkg"


class Settings(BaseSettings):
    """Settings of one tanmap process; every field can be set as ``TANMAP_<FIELD>``.

    中文：运行配置（项目库位置、界面语言、接口令牌与权限文件、上传大小上限、切片阈值、监听地址）。

    Parameters
    ----------
    store
        Location of the project store: a ``*.gpkg`` path or a ``postgresql://`` URL
        (``TANMAP_STORE``).
    lang
        Language of user-facing labels: ``"zh"`` (default) or ``"en"``.
    api_token
        Bearer token of an admin (the one token of earlier versions); None and no roles file
        disables writes over HTTP.
    roles_file
        TOML file of department tokens and roles (``tanmap.api.roles``; ``TANMAP_ROLES_FILE``).
    tile_threshold
        Layers with more features than this are drawn on the map as vector tiles (MVT).
    max_upload_mb
        Largest accepted upload, in megabytes.
    host, port
        Address the API server listens on.

    Examples
    --------
    >>> Settings(lang="en", store="x.gpkg").store
    'x.gpkg'
    """

    model_config = SettingsConfigDict(env_prefix="TANMAP_", extra="ignore")

    store: str = DEFAULT_STORE
    lang: Literal["zh", "en"] = "zh"
    api_token: SecretStr | None = None
    roles_file: Path | None = None
    tile_threshold: int = Field(default=20_000, ge=0)
    max_upload_mb: float = Field(default=50, gt=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)


def get_settings() -> Settings:
    """Return the settings read from the environment now (not cached).

    中文：读取当前环境变量中的配置。Tests override it (``app.dependency_overrides`` or monkeypatched
    environment variables); it is deliberately not memoised so a changed environment is seen.
    """
    return Settings()
