"""The project store (项目库): versioned layers and indicators per district, behind a protocol.

The :class:`Store` protocol (:mod:`~tanmap.layers.store.base`) is all the rest of tanmap knows.
Two backends implement it: :class:`GeoPackageStore` (:mod:`~tanmap.layers.store.geopackage`, the
embedded default: one file, atomic file-replace writes) and
:class:`~tanmap.layers.store.postgis.PostGISStore` (:mod:`~tanmap.layers.store.postgis`, a
PostgreSQL/PostGIS server for several departments writing at once). :func:`open_store` picks the
backend from the location; :mod:`~tanmap.layers.store.copy` moves a store between them.
"""

from __future__ import annotations

import os
from pathlib import Path

from tanmap.geo.errors import StoreError
from tanmap.layers.store.base import (
    DISTRICT_COLUMNS,
    INDICATOR_LOG_COLUMNS,
    LOCK_TIMEOUT_S,
    SCHEMA_VERSION,
    STORAGE_CRS,
    HistoryEntry,
    LayerVersion,
    Store,
    WriteMode,
)
from tanmap.layers.store.geopackage import DEFAULT_FILE_NAME, GeoPackageStore

__all__ = [
    "DEFAULT_FILE_NAME",
    "DISTRICT_COLUMNS",
    "INDICATOR_LOG_COLUMNS",
    "LOCK_TIMEOUT_S",
    "SCHEMA_VERSION",
    "STORAGE_CRS",
    "GeoPackageStore",
    "HistoryEntry",
    "LayerVersion",
    "Store",
    "WriteMode",
    "open_store",
]


def open_store(location: str | Path, *, create: bool = False) -> Store:
    """Open the store at ``location``: a GeoPackage path (``*.gpkg``) or a database URL.

    中文：打开项目库。

    Parameters
    ----------
    location
        ``"var/tanmap.gpkg"`` -> :class:`GeoPackageStore`; a directory means
        ``<directory>/tanmap.gpkg``.
        ``"postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"`` ->
        :class:`tanmap.layers.store.postgis.PostGISStore` (the database must exist).
    create
        Create an empty store if there is none yet (idempotent).

    Raises
    ------
    StoreError
        For an unknown URL scheme or a file name that does not end in ``.gpkg``.

    Examples
    --------
    >>> open_store("var/example.gpkg")
    GeoPackageStore('var/example.gpkg')
    """
    text = os.fspath(location)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in {"postgresql", "postgres", "postgis"}:
        from tanmap.layers.store.postgis import PostGISStore

        pg = PostGISStore(text)
        if create:
            pg.create()
        return pg
    if scheme:
        raise StoreError(
            f"unsupported store location scheme {scheme!r}; give a *.gpkg file path or a "
            "postgresql://USER@HOST:PORT/DATABASE URL"
        )
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / DEFAULT_FILE_NAME
    if path.suffix.lower() != ".gpkg":
        raise StoreError(
            f"store file {text!r} must end in .gpkg (GeoPackage), e.g. {path.with_suffix('.gpkg')}"
        )
    store = GeoPackageStore(path)
    if create:
        store.create()
    return store
