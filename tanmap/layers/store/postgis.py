"""The PostGIS project store (PostGIS 项目库): the Store protocol on a PostgreSQL server.

:class:`PostGISStore` keeps the same data as :class:`tanmap.layers.store.GeoPackageStore`, in
tables of one PostgreSQL database (the URL's, in its default schema):

- one feature table per ``LayerKind`` (named like the kind: ``park``, ``building``, ...):
  ``fid bigserial`` primary key, ``geom geometry(Geometry, 4326)`` with a GiST index, then the
  kind's fields (text, bigint, double precision, boolean) and ``district`` (B-tree index);
- ``tanmap_archive_<kind>``: the rows of every superseded version (same columns plus
  ``tanmap_version``), so :meth:`PostGISStore.revert` can restore them;
- ``tanmap_layers`` (current version per kind and district), ``tanmap_history`` (every version:
  author, time, checksum, features added / removed / changed), ``tanmap_indicators`` and
  ``tanmap_meta`` (schema version), with the same columns as in the GeoPackage.

Every write (``write``, ``write_empty``, ``write_many``, ``revert``, ``put_district``,
``put_indicator``) is one transaction: a failure anywhere rolls all of it back. Writers of the
same (kind, district) are serialised by a transaction-level advisory lock taken first, so two
concurrent writers both get their version recorded (N+1 and N+2), one after the other; writers
of different layers run in parallel. Table creation and new columns take one more advisory lock.

Checksums are the GeoPackage store's: the rows are hashed as SQLite would return them from the
GeoPackage (geometry as a GeoPackage blob, booleans as 0/1), so the same features give the same
checksum in both backends and ``tanmap store copy`` can prove a copy lossless.

psycopg 3 is the driver (binary wheels, server-side COPY for fast loads, plain transactions).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.geo.errors import (
    LayerNotFoundError,
    LayerValidationError,
    StoreError,
    TanmapError,
    UnknownDistrictError,
)
from tanmap.layers.advice import option_hint
from tanmap.layers.ingest.validation import Issue
from tanmap.layers.kinds import LayerKind, LayerSpec, spec_for
from tanmap.layers.store.base import (
    _ARCHIVE_VERSION,
    _DISTRICT_COL,
    _GEOM_COL,
    _INDICATOR_COLUMNS,
    _KIND_ORDER,
    DISTRICT_COLUMNS,
    INDICATOR_LOG_COLUMNS,
    LOCK_TIMEOUT_S,
    SCHEMA_VERSION,
    STORAGE_CRS,
    FrameCache,
    HistoryEntry,
    LayerVersion,
    WriteMode,
    _author,
    _checked_indicator,
    _checked_many,
    _checked_write,
    _diff_rows,
    _district_frame,
    _empty_frame,
    _from_storage,
    _revert_versions,
    _to_storage,
    _utc_now,
    _version_from_row,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    import psycopg

__all__ = ["URL_SCHEMES", "PostGISStore", "gpkg_blob", "redact_url"]

#: Store URL schemes that select this backend (``postgis://`` is read as ``postgresql://``).
URL_SCHEMES = frozenset({"postgresql", "postgres", "postgis"})
#: SRID of every stored geometry.
_SRID = 4326
#: PostgreSQL column types of the spec dtypes.
_PG_TYPES = {"str": "text", "int": "bigint", "float": "double precision", "bool": "boolean"}
#: First key of the advisory locks (pg_advisory_xact_lock(int, int)): "tanmap" as an int4.
_LOCK_CLASS = zlib.crc32(b"tanmap") - 2**31
#: Second key of the lock serialising table creation and new columns.
_DDL_LOCK = 0
#: Every indicator entry with who made it (the GeoPackage store's table of the same name).
_INDICATOR_LOG_DDL = """CREATE TABLE IF NOT EXISTS tanmap_indicator_log (
        log_id bigserial, district text NOT NULL, key text NOT NULL, year integer NOT NULL,
        value double precision NOT NULL, unit text NOT NULL, source text NOT NULL,
        entered_at text NOT NULL, author text NOT NULL)"""
_META_DDL = (
    "CREATE TABLE IF NOT EXISTS tanmap_meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE IF NOT EXISTS tanmap_layers (
        kind text NOT NULL, district text NOT NULL, version integer NOT NULL,
        updated_at text NOT NULL, n_features integer NOT NULL, source text NOT NULL,
        checksum text NOT NULL, PRIMARY KEY (kind, district))""",
    """CREATE TABLE IF NOT EXISTS tanmap_indicators (
        district text NOT NULL, key text NOT NULL, year integer NOT NULL,
        value double precision NOT NULL, unit text NOT NULL, source text NOT NULL,
        entered_at text NOT NULL, PRIMARY KEY (district, key, year))""",
    """CREATE TABLE IF NOT EXISTS tanmap_history (
        kind text NOT NULL, district text NOT NULL, version integer NOT NULL,
        updated_at text NOT NULL, n_features integer NOT NULL, source text NOT NULL,
        checksum text NOT NULL, author text NOT NULL, added integer, removed integer,
        changed integer, reverted_from integer, PRIMARY KEY (kind, district, version))""",
    _INDICATOR_LOG_DDL,
)


def redact_url(url: str) -> str:
    """Return ``url`` without its password (for messages and logs).

    Examples
    --------
    >>> redact_url("postgresql://planner:s3cret@db.example:5432/tanmap")
    'postgresql://planner:***@db.example:5432/tanmap'
    >>> redact_url("postgresql://127.0.0.1/tanmap")
    'postgresql://127.0.0.1/tanmap'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def gpkg_blob(geom: shapely.Geometry | None, srid: int = _SRID) -> bytes | None:
    """Return the GeoPackage geometry blob GDAL writes for ``geom`` (GPKG 1.3 §2.1.3).

    Little-endian header with the SRS id, an envelope for everything but points (XY, or XYZ
    for 3D geometries), the empty flag, then ISO WKB. The PostGIS store hashes these bytes so
    its checksums equal the GeoPackage store's.

    Examples
    --------
    >>> gpkg_blob(shapely.Point(1, 2)).hex()[:16]
    '47500001e6100000'
    >>> len(gpkg_blob(shapely.box(0, 0, 1, 1))) == 8 + 32 + 93
    True
    """
    if geom is None:
        return None
    empty = bool(shapely.is_empty(geom))
    has_z = bool(shapely.has_z(geom))
    wkb: bytes = shapely.to_wkb(geom, byte_order=1, flavor="iso",
                                output_dimension=3 if has_z else 2)
    flags = 1  # little-endian
    envelope = b""
    if empty:
        flags |= 0b10000
    elif shapely.get_type_id(geom) != 0:  # a non-empty point has no envelope
        xy = shapely.get_coordinates(geom, include_z=has_z)
        box = [xy[:, 0].min(), xy[:, 0].max(), xy[:, 1].min(), xy[:, 1].max()]
        if has_z:
            box += [np.nanmin(xy[:, 2]), np.nanmax(xy[:, 2])]
        flags |= (2 if has_z else 1) << 1
        envelope = struct.pack(f"<{len(box)}d", *box)
    return b"GP\x00" + bytes([flags]) + struct.pack("<i", srid) + envelope + wkb


def _ident(name: str) -> str:
    """Quote an identifier (table and column names come from the kinds, never from users)."""
    return '"' + name.replace('"', '""') + '"'


def _archive_name(spec: LayerSpec) -> str:
    return f"tanmap_archive_{spec.kind.value}"


def _python(value: Any) -> Any:
    """Return a plain Python value (None for any missing value) for the database driver."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None  # GDAL stores NaN as NULL too
    if isinstance(value, np.generic):
        return value.item()
    return value


class PostGISStore:
    """The server project store: PostgreSQL + PostGIS, for several writers at once.

    中文：PostGIS 项目库（多部门并发写入）。

    Parameters
    ----------
    url
        ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE`` (``postgres://`` and
        ``postgis://`` are accepted). The database must exist; :meth:`create` adds the PostGIS
        extension (if allowed) and the tanmap tables.
    """

    def __init__(self, url: str) -> None:
        scheme, rest = url.split("://", 1)
        if scheme.lower() not in URL_SCHEMES:
            raise StoreError(f"not a PostgreSQL URL: {redact_url(url)!r}")
        self._url = "postgresql://" + rest
        self._seen_tables = False  # the bookkeeping tables exist (they are never dropped)
        self._frames = FrameCache()  # whole-layer reads, until the layer is written

    def __repr__(self) -> str:
        return f"PostGISStore({redact_url(self._url)!r})"

    @property
    def raster_dir(self) -> Path:
        """Return the directory of this store's raster layers (files, not in the database).

        ``$TANMAP_RASTER_DIR`` when set, else ``var/rasters/<host>-<port>-<database>[-<schema>]``
        under the working directory.
        """
        root = os.environ.get("TANMAP_RASTER_DIR")
        if root:
            return Path(root)
        parts = urlsplit(self._url)
        schema = parse_qs(parts.query).get("options", [""])[0].partition("search_path=")[2]
        key = "-".join(p for p in (parts.hostname or "local", str(parts.port or 5432),
                                   parts.path.strip("/") or "postgres",
                                   schema.split(",")[0]) if p)
        return Path("var") / "rasters" / re.sub(r"[^A-Za-z0-9_.-]", "_", key)

    @property
    def url(self) -> str:
        """Return the connection URL (with its password; use :func:`redact_url` to show it)."""
        return self._url

    # ------------------------------------------------------------------ plumbing

    @contextlib.contextmanager
    def _connect(self, *, write: bool = True) -> Iterator[psycopg.Connection[Any]]:
        """Yield a connection inside one transaction: committed on success, else rolled back.

        ``write=False`` (reads): autocommit, no BEGIN/COMMIT round trips; each statement sees
        only committed data, as a GeoPackage reader sees one whole file.
        """
        import psycopg

        try:
            conn = psycopg.connect(self._url, connect_timeout=10)
        except psycopg.Error as err:
            raise StoreError(
                f"cannot connect to store {redact_url(self._url)} ({err}); check that the "
                "PostgreSQL server runs and the URL (user, host, port, database) is right"
            ) from err
        try:
            if write:
                with conn.transaction():
                    yield conn
            else:
                conn.autocommit = True
                yield conn
        except TanmapError:
            raise
        except psycopg.errors.LockNotAvailable as err:
            raise StoreError(
                f"store {redact_url(self._url)} is locked by another writer for more than "
                f"{LOCK_TIMEOUT_S:.0f} s; retry when it has finished"
            ) from err
        except psycopg.Error as err:
            raise StoreError(
                f"store {redact_url(self._url)}: the database refused the operation "
                f"({type(err).__name__}: {str(err).strip()}); nothing was changed"
            ) from err
        except Exception as err:
            raise StoreError(
                f"writing to store {redact_url(self._url)} failed ({type(err).__name__}: "
                f"{err}); nothing was changed"
            ) from err
        finally:
            conn.close()

    @staticmethod
    def _has_table(conn: psycopg.Connection[Any], table: str) -> bool:
        row = conn.execute("SELECT to_regclass(%s)", (_ident(table),)).fetchone()
        return row is not None and row[0] is not None

    def exists(self) -> bool:
        """Return whether the database holds a tanmap store (its bookkeeping tables)."""
        with self._connect(write=False) as conn:
            return self._has_table(conn, "tanmap_meta")

    def create(self) -> None:
        """Create the PostGIS extension (if missing) and the tanmap tables; idempotent.

        中文：新建空项目库（建表）。

        Raises
        ------
        StoreError
            If the user may not create the extension or tables (ask the database administrator
            to run ``CREATE EXTENSION postgis`` in this database), or the store has another
            schema version.
        """
        with self._connect() as conn:
            self.create_in(conn)
            self._check_schema(conn)
            self._ensure_tables(conn, spec_for(LayerKind.DISTRICT))

    def _check_schema(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute(
            "SELECT value FROM tanmap_meta WHERE key = 'schema_version'"
        ).fetchone()
        if row is None or int(row[0]) != SCHEMA_VERSION:
            found = None if row is None else row[0]
            raise StoreError(
                f"store {redact_url(self._url)} has schema version {found}, this tanmap needs "
                f"{SCHEMA_VERSION}; export the layers and import them into a new store"
            )

    def _probe(
        self, conn: psycopg.Connection[Any], district: str | None = None,
        table: str | None = None,
    ) -> list[str] | None:
        """Check the store in one round trip; return the columns of ``table`` (or ``[]``).

        None when the store was never created. Raises StoreError for another schema version
        and UnknownDistrictError when ``district`` is given and not in the store.
        """
        if not self._seen_tables:
            if not self._has_table(conn, "tanmap_meta"):
                return None
            self._seen_tables = True
        row = conn.execute(
            "SELECT (SELECT value FROM tanmap_meta WHERE key = 'schema_version'), "
            "EXISTS (SELECT 1 FROM tanmap_layers WHERE kind = %s AND district = %s), "
            "ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum)",
            (LayerKind.DISTRICT.value, district or "", None if table is None else _ident(table)),
        ).fetchone()
        assert row is not None
        if row[0] is None or int(row[0]) != SCHEMA_VERSION:
            raise StoreError(
                f"store {redact_url(self._url)} has schema version {row[0]}, this tanmap needs "
                f"{SCHEMA_VERSION}; export the layers and import them into a new store"
            )
        if district is not None and not row[1]:
            self._require_district(conn, district)  # raises, listing the districts
        return [c for c in row[2] if c != "fid"]

    def _ready(self, conn: psycopg.Connection[Any]) -> bool:
        """Return whether the store exists (checking its schema version when it does)."""
        return self._probe(conn) is not None

    def _writable(self, conn: psycopg.Connection[Any], district: str) -> None:
        """Refuse a write to a store never created or to a district not in it."""
        if self._probe(conn, district) is None:
            self._unknown(district)

    @staticmethod
    def _lock(conn: psycopg.Connection[Any], key: int) -> None:
        """Take an advisory lock until the transaction ends (waiting LOCK_TIMEOUT_S at most)."""
        conn.execute("SELECT set_config('lock_timeout', %s, true), "
                     "pg_advisory_xact_lock(%s, %s)",
                     (f"{int(LOCK_TIMEOUT_S * 1000)}ms", _LOCK_CLASS, key))

    def _lock_layer(self, conn: psycopg.Connection[Any], spec: LayerSpec, district: str) -> None:
        """Serialise the writers of one (kind, district) until the transaction ends."""
        key = zlib.crc32(f"{spec.kind.value}\x00{district}".encode()) - 2**31
        self._lock(conn, key if key != _DDL_LOCK else 1)

    def _require_district(self, conn: psycopg.Connection[Any], district: str) -> None:
        found = conn.execute(
            "SELECT 1 FROM tanmap_layers WHERE kind = %s AND district = %s",
            (LayerKind.DISTRICT.value, district),
        ).fetchone()
        if found is None:
            known = [r[0] for r in conn.execute(
                "SELECT district FROM tanmap_layers WHERE kind = %s ORDER BY district",
                (LayerKind.DISTRICT.value,),
            )]
            self._unknown(district, known)

    def _unknown(self, district: str, known: Sequence[str] = ()) -> None:
        have = ", ".join(known) if known else "none"
        raise UnknownDistrictError(
            f"district {district!r} is not in store {redact_url(self._url)} (districts in it: "
            f"{have}); add it with `tanmap boundaries import ADCODE`, `tanmap boundaries add "
            "FILE --code C --name N` or `tanmap init`"
        )

    def _columns(self, conn: psycopg.Connection[Any], table: str) -> list[str]:
        """Return the columns of ``table`` in table order, without ``fid``."""
        return [r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum", (_ident(table),),
        ) if r[0] != "fid"]

    def _ensure_tables(self, conn: psycopg.Connection[Any], spec: LayerSpec) -> list[str]:
        """Create (or widen) the feature and archive tables of a kind; return the columns.

        A field added to a kind after the table was made is appended (nullable), as the
        GeoPackage store does, so both keep the same column order and so the same checksums.
        """
        table, archive = spec.kind.value, _archive_name(spec)
        fields = [(f.name, _PG_TYPES[f.dtype]) for f in spec.all_fields]
        if _DISTRICT_COL not in {name for name, _ in fields}:
            fields.append((_DISTRICT_COL, "text"))
        have = self._columns(conn, table)
        have_archive = self._columns(conn, archive)
        if have and not {n for n, _ in fields} - set(have) and have_archive and not (
            set(have) - set(have_archive)
        ):
            return have
        self._lock(conn, _DDL_LOCK)  # re-read under the lock: another writer may have won
        have = self._columns(conn, table)
        if not have:
            listing = ", ".join(f"{_ident(n)} {t}" for n, t in fields)
            conn.execute(f"CREATE TABLE {_ident(table)} (fid bigserial PRIMARY KEY, "
                         f"{_GEOM_COL} geometry(Geometry, {_SRID}), {listing})")
            conn.execute(f"CREATE INDEX {_ident(table + '_geom_gix')} ON {_ident(table)} "
                         f"USING gist ({_GEOM_COL})")
            conn.execute(f"CREATE INDEX {_ident(table + '_district_idx')} ON {_ident(table)} "
                         f"({_DISTRICT_COL})")
        else:
            for name, kind in fields:
                if name not in have:
                    conn.execute(f"ALTER TABLE {_ident(table)} ADD COLUMN {_ident(name)} {kind}")
        have = self._columns(conn, table)
        types = dict(conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            (_ident(table),),
        ).fetchall())
        have_archive = self._columns(conn, archive)
        if not have_archive:
            listing = ", ".join(f"{_ident(n)} {types[n]}" for n in have)
            conn.execute(f"CREATE TABLE {_ident(archive)} (fid bigserial PRIMARY KEY, {listing}, "
                         f"{_ARCHIVE_VERSION} integer NOT NULL)")
            conn.execute(f"CREATE INDEX {_ident(archive + '_version')} ON {_ident(archive)} "
                         f"({_DISTRICT_COL}, {_ARCHIVE_VERSION})")
        else:
            for name in have:
                if name not in have_archive:
                    conn.execute(f"ALTER TABLE {_ident(archive)} ADD COLUMN {_ident(name)} "
                                 f"{types[name]}")
        return have

    # ----------------------------------------------------------------- districts

    def districts(self) -> gpd.GeoDataFrame:
        """Return every district boundary, sorted by adcode (as GeoPackageStore.districts)."""
        gdf = self.read(LayerKind.DISTRICT)
        gdf = gdf.sort_values("adcode", kind="stable").reset_index(drop=True)
        return gdf[list(DISTRICT_COLUMNS)]

    def district(self, adcode: str) -> pd.Series:
        """Return the row of district ``adcode``; raise UnknownDistrictError if absent."""
        gdf = self.read(LayerKind.DISTRICT, district=adcode)
        row = gdf[list(DISTRICT_COLUMNS)].iloc[0].copy()
        row["planning_epsg"] = None if pd.isna(row["planning_epsg"]) else int(row["planning_epsg"])
        return row

    def put_district(self, row: gpd.GeoDataFrame) -> LayerVersion:
        """Insert or replace the boundary of one district, keyed by its ``adcode``."""
        frame, adcode, source = _district_frame(row)
        return self.write(LayerKind.DISTRICT, frame, district=adcode, source=source)

    # -------------------------------------------------------------------- layers

    def layers(self, district: str | None = None) -> list[LayerVersion]:
        """Return the current version of every layer, sorted by district then kind."""
        with self._connect(write=False) as conn:
            if self._probe(conn, district) is None:
                if district is not None:
                    self._unknown(district)
                return []
            if district is not None:
                rows = conn.execute(
                    "SELECT * FROM tanmap_layers WHERE district = %s", (district,)
                ).fetchall()
            else:
                rows = conn.execute("SELECT * FROM tanmap_layers").fetchall()
        versions = [_version_from_row(r) for r in rows]
        return sorted(versions, key=lambda v: (v.district, _KIND_ORDER[v.kind]))

    def version(self, kind: LayerKind | str, district: str) -> LayerVersion | None:
        """Return the current version of (kind, district), or None if never written."""
        kind = spec_for(kind).kind
        with self._connect(write=False) as conn:
            if self._probe(conn, None if kind is LayerKind.DISTRICT else district) is None:
                if kind is LayerKind.DISTRICT:
                    return None
                self._unknown(district)
            row = conn.execute(
                "SELECT * FROM tanmap_layers WHERE kind = %s AND district = %s",
                (kind.value, district),
            ).fetchone()
        return None if row is None else _version_from_row(row)

    def read(
        self,
        kind: LayerKind | str,
        *,
        district: str | None = None,
        bbox: Sequence[float] | None = None,
    ) -> gpd.GeoDataFrame:
        """Return the features of ``kind`` (of one district, intersecting ``bbox``), EPSG:4326.

        中文：读取图层（按区县、按范围；范围查询走 GiST 索引）。
        """
        spec = spec_for(kind)
        stamp = None
        with self._connect(write=False) as conn:
            columns = self._probe(conn, district, spec.kind.value)
            if columns is None:
                if district is not None:
                    self._unknown(district)
                return _empty_frame(spec)
            if not columns:
                return _empty_frame(spec)
            if district is not None and bbox is None:  # a whole layer: kept until written
                row = conn.execute(
                    "SELECT version, updated_at, checksum, n_features FROM tanmap_layers "
                    "WHERE kind = %s AND district = %s", (spec.kind.value, district)).fetchone()
                stamp = None if row is None else tuple(row)
                if stamp is not None:
                    cached = self._frames.get(spec.kind.value, district, stamp)
                    if cached is not None:
                        return cached
            where: list[str] = []
            params: list[Any] = []
            if district is not None:
                where.append(f"{_DISTRICT_COL} = %s")
                params.append(district)
            if bbox is not None:
                west, south, east, north = (float(v) for v in bbox)
                where.append(f"{_GEOM_COL} && ST_MakeEnvelope(%s, %s, %s, %s, {_SRID}) AND "
                             f"ST_Intersects({_GEOM_COL}, ST_MakeEnvelope(%s, %s, %s, %s, "
                             f"{_SRID}))")
                params += [west, south, east, north] * 2
            rows = conn.execute(
                self._select(columns, spec.kind.value)
                + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY fid",
                params,
            ).fetchall()
        frame = _frame(rows, columns, spec)
        if stamp is not None and district is not None:
            self._frames.put(spec.kind.value, district, stamp, frame)
        return frame

    def read_attributes(self, kind: LayerKind | str, *, district: str,
                        columns: Sequence[str]) -> pd.DataFrame:
        """Return some attribute columns of (kind, district), without geometry.

        中文：只读取图层的属性列（不读几何）。

        Same as :meth:`GeoPackageStore.read_attributes`.
        """
        spec = spec_for(kind)
        with self._connect(write=False) as conn:
            present = self._probe(conn, district, spec.kind.value)
            if present is None:
                self._unknown(district)
            names = {f.name for f in spec.all_fields}
            wanted = [c for c in dict.fromkeys(columns) if c in names]
            carried = [c for c in wanted if c in (present or ())]
            rows = conn.execute(
                f"SELECT {', '.join(_ident(c) for c in carried)} FROM {_ident(spec.kind.value)} "
                f"WHERE {_DISTRICT_COL} = %s", (district,),
            ).fetchall() if carried else []
        data = {c: pd.Series([r[carried.index(c)] for r in rows] if c in carried
                             else [None] * len(rows), dtype=object) for c in wanted}
        return pd.DataFrame(data)

    @staticmethod
    def _select(columns: Sequence[str], table: str) -> str:
        listing = ", ".join(
            f"ST_AsBinary({_GEOM_COL})" if c == _GEOM_COL else _ident(c) for c in columns
        )
        return f"SELECT {listing} FROM {_ident(table)}"

    def mvt(
        self, kind: LayerKind | str, district: str, z: int, x: int, y: int, *,
        columns: Sequence[str] = ("id", "name", "status"),
    ) -> bytes:
        """Return tile z/x/y of (kind, district) as Mapbox Vector Tile bytes, made by PostGIS.

        中文：由 PostGIS（ST_AsMVT）生成矢量切片。

        The same tile as :func:`tanmap.layers.vector_tiles.layer_tile` makes on the GeoPackage
        store: the MVT layer is named after the kind, extent 4096 with a 64-unit buffer, only
        ``columns`` present in the table are carried (NULLs left out), synthetic features get
        ``data_label``, features under one pixel are dropped below the detail zoom and at most
        ``MAX_FEATURES_PER_TILE`` (the largest) are kept, the tile then carrying the
        ``META_LAYER`` that says so. The GiST index finds the features.
        """
        from tanmap.layers import vector_tiles as vt
        from tanmap.layers.sample import SAMPLE_LABEL

        spec = spec_for(kind)
        table = spec.kind.value
        with self._connect(write=False) as conn:
            present = self._probe(conn, district, table)
            if not present:
                return b""  # no table or no store: an empty tile (a valid MVT of no layer)
            carried = [c for c in columns if c in present and c != _GEOM_COL]
            size = 2 * math.pi * 6378137.0 / 2**z
            min_m = 0.0 if z >= vt.DETAIL_ZOOM else vt.MIN_FEATURE_PX * size / 256
            pad = size * vt.TILE_BUFFER / vt.EXTENT
            label = ("CASE WHEN source LIKE %(sample)s THEN %(label)s END AS data_label"
                     if "source" in present else "NULL::text AS data_label")
            props = "".join(f", {_ident(c)}" for c in carried)
            sql = f"""
                WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env),
                f AS (
                    SELECT t.fid, ST_Transform(t.{_GEOM_COL}, 3857) AS g{props}, {label}
                    FROM {_ident(table)} t, b
                    WHERE t.{_DISTRICT_COL} = %(district)s
                      AND t.{_GEOM_COL} && ST_Transform(ST_Expand(b.env, %(pad)s), {_SRID})
                      AND NOT ST_IsEmpty(t.{_GEOM_COL})),
                s AS (
                    SELECT f.*, GREATEST(ST_XMax(g) - ST_XMin(g), ST_YMax(g) - ST_YMin(g))
                        AS size_m FROM f),
                k AS (
                    SELECT * FROM s WHERE size_m >= %(min_m)s
                    ORDER BY size_m DESC, fid LIMIT %(limit)s),
                m AS (
                    SELECT k.fid, ST_AsMVTGeom(k.g, b.env, %(extent)s, %(buffer)s, true) AS geom
                        {props}, k.data_label
                    FROM k, b)
                SELECT ST_AsMVT(m.*, %(layer)s, %(extent)s, 'geom', 'fid'),
                    (SELECT count(*) FROM s WHERE size_m >= %(min_m)s)
                FROM m WHERE m.geom IS NOT NULL"""
            row = conn.execute(sql, {
                "z": z, "x": x, "y": y, "district": district, "pad": pad, "min_m": min_m,
                "limit": vt.MAX_FEATURES_PER_TILE, "extent": vt.EXTENT,
                "buffer": vt.TILE_BUFFER, "layer": table,
                "sample": vt.SAMPLE_PREFIX + "%", "label": SAMPLE_LABEL,
            }).fetchone()
        data = bytes(row[0]) if row is not None and row[0] is not None else b""
        if row is not None and row[1] is not None and int(row[1]) > vt.MAX_FEATURES_PER_TILE:
            data += vt.capped_layer(z, x, y, shown=vt.MAX_FEATURES_PER_TILE, total=int(row[1]))
        return data

    def read_version(self, kind: LayerKind | str, district: str, version: int) -> gpd.GeoDataFrame:
        """Return the features of one kept version of (kind, district), as :meth:`read` does.

        中文：读取图层的某个历史版本。

        Raises
        ------
        LayerNotFoundError
            If that version is neither current nor kept.
        """
        spec = spec_for(kind)
        district = str(district).strip()
        with self._connect(write=False) as conn:
            if self._probe(conn, None if spec.kind is LayerKind.DISTRICT else district) is None:
                self._unknown(district)
            current = conn.execute(
                "SELECT version FROM tanmap_layers WHERE kind = %s AND district = %s",
                (spec.kind.value, district),
            ).fetchone()
            if current is not None and int(current[0]) == version:
                columns = self._columns(conn, spec.kind.value)
                rows = conn.execute(
                    self._select(columns, spec.kind.value)
                    + f" WHERE {_DISTRICT_COL} = %s ORDER BY fid", (district,),
                ).fetchall()
                return _frame(rows, columns, spec)
            archive = _archive_name(spec)
            columns = self._columns(conn, archive)
            kept = bool(columns) and conn.execute(
                f"SELECT 1 FROM {_ident(archive)} WHERE {_DISTRICT_COL} = %s AND "
                f"{_ARCHIVE_VERSION} = %s LIMIT 1", (district, version),
            ).fetchone() is not None
            if not kept:
                raise LayerNotFoundError(
                    f"version {version} of {spec.kind.value} ({spec.zh_name}) of district "
                    f"{district} is not kept (see `tanmap history`)"
                )
            columns = [c for c in columns if c != _ARCHIVE_VERSION]
            rows = conn.execute(
                self._select(columns, archive)
                + f" WHERE {_DISTRICT_COL} = %s AND {_ARCHIVE_VERSION} = %s ORDER BY fid",
                (district, version),
            ).fetchall()
        return _frame(rows, columns, spec)

    def write(
        self,
        kind: LayerKind | str,
        gdf: gpd.GeoDataFrame,
        *,
        district: str,
        mode: WriteMode = "replace",
        source: str = "",
        author: str | None = None,
    ) -> LayerVersion:
        """Validate ``gdf`` and store it as the next version of (kind, district): one transaction.

        中文：写入图层（先校验；一个事务内完成，整体成功或整体不变）。

        Same parameters, results and errors as :meth:`GeoPackageStore.write`.
        """
        spec, district, frame, label = _checked_write(kind, gdf, district, mode, source)
        with self._connect() as conn:
            self._lock_layer(conn, spec, district)
            if spec.kind is LayerKind.DISTRICT:
                if not self._ready(conn):
                    self.create_in(conn)
            else:
                self._writable(conn, district)
            return self._apply_write(conn, spec, district, frame, mode, source, label=label,
                                     author=_author(author))

    def create_in(self, conn: psycopg.Connection[Any]) -> None:
        """Create the bookkeeping tables inside the caller's transaction (first district)."""
        self._lock(conn, _DDL_LOCK)
        if not conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        existed = self._has_table(conn, "tanmap_meta")
        for ddl in _META_DDL:
            conn.execute(ddl)
        if not existed:
            conn.execute(
                "INSERT INTO tanmap_meta VALUES ('schema_version', %s), ('created_at', %s)",
                (str(SCHEMA_VERSION), _utc_now()),
            )

    def write_empty(
        self, kind: LayerKind | str, *, district: str, source: str = "",
        author: str | None = None,
    ) -> LayerVersion:
        """Record that ``district`` has no features of ``kind`` (a known-empty version)."""
        spec = spec_for(kind)
        if spec.kind is LayerKind.DISTRICT:
            raise StoreError("a district boundary cannot be an empty layer; add it with "
                             "put_district (tanmap boundaries import|add)")
        district = str(district).strip()
        frame = _to_storage(_empty_frame(spec), spec, district)
        with self._connect() as conn:
            self._lock_layer(conn, spec, district)
            self._writable(conn, district)
            return self._apply_write(conn, spec, district, frame, "replace", source,
                                     label=source or "features", author=_author(author))

    def write_many(
        self,
        layers: Mapping[LayerKind | str, gpd.GeoDataFrame],
        *,
        district: str,
        source: str = "",
        author: str | None = None,
    ) -> list[LayerVersion]:
        """Replace several layers of one district in one transaction; all layers or none."""
        district = str(district).strip()
        frames = _checked_many(layers, district, source)
        if not frames:
            return []
        with self._connect() as conn:
            # Lock in one global order (kind order) so two write_many calls cannot deadlock.
            for spec, _ in sorted(frames, key=lambda sf: _KIND_ORDER[sf[0].kind]):
                self._lock_layer(conn, spec, district)
            self._writable(conn, district)
            updated_at = _utc_now()
            return [self._apply_write(conn, spec, district, frame, "replace", source,
                                      label=source or "features", updated_at=updated_at,
                                      author=_author(author))
                    for spec, frame in frames]

    def _apply_write(
        self, conn: psycopg.Connection[Any], spec: LayerSpec, district: str,
        frame: gpd.GeoDataFrame, mode: WriteMode, source: str, *, label: str,
        updated_at: str | None = None, author: str = "",
    ) -> LayerVersion:
        """Write the features and the version record inside the caller's transaction."""
        table = spec.kind.value
        columns = self._ensure_tables(conn, spec)
        previous = conn.execute(
            "SELECT version, updated_at, n_features, source, checksum FROM tanmap_layers "
            "WHERE kind = %s AND district = %s", (table, district),
        ).fetchone()
        if mode == "append" and previous is not None:
            stored = {r[0] for r in conn.execute(
                f"SELECT id FROM {_ident(table)} WHERE {_DISTRICT_COL} = %s", (district,)
            )}
            clashes = [
                Issue(source=label, row=i + 1, feature_id=fid, column="id",
                      problem=f"id {fid!r} is already stored in {table} of district {district}",
                      fix=f"give the feature a new id, or write with "
                          f"{option_hint('mode', 'replace')}",
                      code="duplicate_id")
                for i, fid in enumerate(frame["id"]) if fid in stored
            ]
            if clashes:
                raise LayerValidationError(f"{label} ({spec.zh_name} {table})", clashes)
        before: dict[str, bytes] = {}
        if previous is not None:
            before = self._archive(conn, spec, district, columns, previous)
            if mode == "replace":
                conn.execute(f"DELETE FROM {_ident(table)} WHERE {_DISTRICT_COL} = %s",
                             (district,))
        _copy_rows(conn, table, columns, frame)
        n_features, checksum, after = _digest(conn, table, columns, district)
        record = LayerVersion(
            kind=spec.kind, district=district,
            version=(int(previous[0]) if previous else 0) + 1,
            updated_at=updated_at or _utc_now(), n_features=n_features, source=source,
            checksum=checksum,
        )
        self._record(conn, record, author, _diff_rows(before, after), None)
        return record

    def _archive(
        self, conn: psycopg.Connection[Any], spec: LayerSpec, district: str,
        columns: list[str], previous: Sequence[Any],
    ) -> dict[str, bytes]:
        """Keep the current rows of (kind, district) in the archive; return their row digests."""
        table, archive = spec.kind.value, _archive_name(spec)
        conn.execute(
            "INSERT INTO tanmap_history VALUES (%s, %s, %s, %s, %s, %s, %s, '', NULL, NULL, "
            "NULL, NULL) ON CONFLICT DO NOTHING", (table, district, *previous),
        )
        listing = ", ".join(_ident(c) for c in columns)
        conn.execute(
            f"DELETE FROM {_ident(archive)} WHERE {_DISTRICT_COL} = %s AND "
            f"{_ARCHIVE_VERSION} = %s", (district, previous[0]),
        )
        conn.execute(
            f"INSERT INTO {_ident(archive)} ({listing}, {_ARCHIVE_VERSION}) SELECT {listing}, %s "
            f"FROM {_ident(table)} WHERE {_DISTRICT_COL} = %s ORDER BY fid",
            (previous[0], district),
        )
        return _digest(conn, table, columns, district)[2]

    @staticmethod
    def _record(
        conn: psycopg.Connection[Any], record: LayerVersion, author: str,
        diff: tuple[int, int, int], reverted_from: int | None,
    ) -> None:
        values = (record.kind.value, record.district, record.version, record.updated_at,
                  record.n_features, record.source, record.checksum)
        conn.execute(
            "INSERT INTO tanmap_layers VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (kind, district) DO UPDATE SET version = EXCLUDED.version, "
            "updated_at = EXCLUDED.updated_at, n_features = EXCLUDED.n_features, "
            "source = EXCLUDED.source, checksum = EXCLUDED.checksum", values,
        )
        conn.execute(
            "INSERT INTO tanmap_history VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (kind, district, version) DO UPDATE SET updated_at = "
            "EXCLUDED.updated_at, n_features = EXCLUDED.n_features, source = EXCLUDED.source, "
            "checksum = EXCLUDED.checksum, author = EXCLUDED.author, added = EXCLUDED.added, "
            "removed = EXCLUDED.removed, changed = EXCLUDED.changed, "
            "reverted_from = EXCLUDED.reverted_from",
            (*values, author, *diff, reverted_from),
        )

    # ------------------------------------------------------------------- history

    def history(self, kind: LayerKind | str, district: str) -> list[HistoryEntry]:
        """Return every known version of (kind, district), oldest first."""
        with self._connect(write=False) as conn:
            return self._history(conn, spec_for(kind), str(district).strip())

    def _history(
        self, conn: psycopg.Connection[Any], spec: LayerSpec, district: str
    ) -> list[HistoryEntry]:
        table, archive = spec.kind.value, _archive_name(spec)
        if self._probe(conn, None if spec.kind is LayerKind.DISTRICT else district) is None:
            self._unknown(district)
        current = conn.execute(
            "SELECT * FROM tanmap_layers WHERE kind = %s AND district = %s", (table, district)
        ).fetchone()
        rows = conn.execute(
            "SELECT version, updated_at, n_features, source, checksum, author, added, removed, "
            "changed, reverted_from FROM tanmap_history WHERE kind = %s AND district = %s "
            "ORDER BY version", (table, district),
        ).fetchall()
        kept: set[int] = set()
        if self._has_table(conn, archive):
            kept = {int(r[0]) for r in conn.execute(
                f"SELECT DISTINCT {_ARCHIVE_VERSION} FROM {_ident(archive)} "
                f"WHERE {_DISTRICT_COL} = %s", (district,),
            )}
        by_version: dict[int, Sequence[Any]] = {int(r[0]): r for r in rows}
        now: int | None = None
        if current is not None:
            now = int(current[2])
            if now not in by_version:
                by_version[now] = (now, current[3], current[4], current[5], current[6], "",
                                   None, None, None, None)
        return [
            HistoryEntry(version=v, updated_at=r[1], n_features=int(r[2]), source=r[3],
                         checksum=r[4], author=r[5], added=r[6], removed=r[7], changed=r[8],
                         reverted_from=r[9], current=v == now, restorable=v == now or v in kept)
            for v, r in sorted(by_version.items())
        ]

    def revert(
        self, kind: LayerKind | str, district: str, to: int, *, author: str | None = None
    ) -> LayerVersion:
        """Restore version ``to`` of (kind, district) as a new version, in one transaction.

        中文：回退图层到指定版本（一个事务；校验和须与原版本一致）。

        Same results and errors as :meth:`GeoPackageStore.revert`.
        """
        spec = spec_for(kind)
        district = str(district).strip()
        table, archive = spec.kind.value, _archive_name(spec)
        with self._connect() as conn:
            self._lock_layer(conn, spec, district)
            current, target = _revert_versions(self._history(conn, spec, district), spec,
                                               district, to)
            columns = self._ensure_tables(conn, spec)
            previous = conn.execute(
                "SELECT version, updated_at, n_features, source, checksum FROM tanmap_layers "
                "WHERE kind = %s AND district = %s", (table, district),
            ).fetchone()
            assert previous is not None  # the layer has a current version (checked above)
            before = self._archive(conn, spec, district, columns, previous)
            conn.execute(f"DELETE FROM {_ident(table)} WHERE {_DISTRICT_COL} = %s", (district,))
            listing = ", ".join(_ident(c) for c in columns)
            conn.execute(
                f"INSERT INTO {_ident(table)} ({listing}) SELECT {listing} FROM {_ident(archive)} "
                f"WHERE {_DISTRICT_COL} = %s AND {_ARCHIVE_VERSION} = %s ORDER BY fid",
                (district, to),
            )
            n_features, checksum, after = _digest(conn, table, columns, district)
            record = LayerVersion(
                kind=spec.kind, district=district, version=current.version + 1,
                updated_at=_utc_now(), n_features=n_features, source=f"revert to version {to}",
                checksum=checksum,
            )
            if target.checksum and record.checksum != target.checksum:
                raise StoreError(
                    f"restoring version {to} of {table} of district {district} did "
                    f"not reproduce its checksum ({record.checksum[:12]} != "
                    f"{target.checksum[:12]}); nothing was changed"
                )
            self._record(conn, record, _author(author), _diff_rows(before, after), to)
            return record

    # ---------------------------------------------------------------- indicators

    def indicators(self, district: str) -> pd.DataFrame:
        """Return the tracked indicator values of ``district``, sorted by key and year."""
        with self._connect(write=False) as conn:
            if self._probe(conn, district) is None:
                self._unknown(district)
            rows = conn.execute(
                "SELECT key, year, value, unit, source, entered_at FROM tanmap_indicators "
                "WHERE district = %s ORDER BY key COLLATE \"C\", year", (district,),
            ).fetchall()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=list(_INDICATOR_COLUMNS))
        return frame.astype({
            "key": "str", "year": "int64", "value": "float64", "unit": "str",
            "source": "str", "entered_at": "str",
        })

    def put_indicator(
        self, district: str, key: str, year: int, value: float, unit: str, source: str = "",
        *, author: str | None = None,
    ) -> None:
        """Insert or replace the value of indicator ``key`` of ``district`` for ``year``.

        The entry is also appended to ``tanmap_indicator_log`` with ``author`` (default: the
        operating-system user), in the same transaction.
        """
        number = _checked_indicator(key, year, value)
        row = (district, str(key).strip(), int(year), number, str(unit), str(source), _utc_now())
        with self._connect() as conn:
            self._writable(conn, district)
            conn.execute(
                "INSERT INTO tanmap_indicators VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (district, key, year) DO UPDATE SET value = EXCLUDED.value, "
                "unit = EXCLUDED.unit, source = EXCLUDED.source, entered_at = EXCLUDED.entered_at",
                row,
            )
            conn.execute(
                "INSERT INTO tanmap_indicator_log (district, key, year, value, unit, source, "
                "entered_at, author) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (*row, _author(author)),
            )

    def indicator_log(self, district: str | None = None) -> pd.DataFrame:
        """Return every indicator entry ever made (of one district), oldest first.

        中文：指标填报日志。The optional method the audit log uses (as on GeoPackage).
        """
        rows: list[tuple[Any, ...]] = []
        with self._connect(write=False) as conn:
            created = self._probe(conn, district) is not None  # raises for an unknown district
            if created and self._has_table(conn, "tanmap_indicator_log"):
                where, args = ("WHERE district = %s ", (district,)) if district else ("", ())
                rows = [tuple(r) for r in conn.execute(
                    "SELECT district, key, year, value, unit, source, entered_at, author "
                    f"FROM tanmap_indicator_log {where}ORDER BY log_id", args)]
        frame = pd.DataFrame(rows, columns=list(INDICATOR_LOG_COLUMNS))
        return frame.astype({"district": "str", "key": "str", "year": "int64",
                             "value": "float64", "unit": "str", "source": "str",
                             "entered_at": "str", "author": "str"})


# ---------------------------------------------------------------------- helpers


def _copy_rows(
    conn: psycopg.Connection[Any], table: str, columns: list[str], frame: gpd.GeoDataFrame
) -> None:
    """COPY the features of ``frame`` into ``table`` in frame order (the low-level writer)."""
    if not len(frame):
        return
    geoms = shapely.set_srid(_promote_like_gdal(frame.geometry.to_numpy()), _SRID)
    hexes = shapely.to_wkb(geoms, hex=True, include_srid=True, output_dimension=3)
    values: dict[str, list[Any]] = {_GEOM_COL: [None if h is None else h for h in hexes]}
    for name in columns:
        if name != _GEOM_COL:
            if name in frame.columns:
                values[name] = [_python(v) for v in frame[name].to_numpy(dtype=object)]
            else:
                values[name] = [None] * len(frame)
    listing = ", ".join(_ident(c) for c in columns)
    with conn.cursor() as cur, cur.copy(f"COPY {_ident(table)} ({listing}) FROM STDIN") as copy:
        for row in zip(*(values[c] for c in columns), strict=True):
            copy.write_row(row)


#: Single geometry types and the Multi- type GDAL promotes them to in a mixed frame.
_MULTI = {"Point": shapely.multipoints, "LineString": shapely.multilinestrings,
          "Polygon": shapely.multipolygons}


def _promote_like_gdal(geoms: Any) -> np.ndarray:
    """Return the geometries as the GeoPackage store writes them (pyogrio's promotion).

    A frame mixing exactly one single type and its Multi- type (e.g. Polygon and MultiPolygon)
    is written all-Multi by pyogrio to GeoPackage; the PostGIS store does the same, so both
    stores hold (and hash) the same geometries.

    Examples
    --------
    >>> out = _promote_like_gdal([shapely.box(0, 0, 1, 1), shapely.MultiPolygon([shapely.box(
    ...     2, 2, 3, 3)])])
    >>> [g.geom_type for g in out]
    ['MultiPolygon', 'MultiPolygon']
    >>> [g.geom_type for g in _promote_like_gdal([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)])]
    ['Point', 'Polygon']
    """
    arr = np.asarray(geoms, dtype=object).copy()
    present = {g.geom_type for g in arr if g is not None}
    if len(present) == 2:
        for single, make in _MULTI.items():
            if present == {single, f"Multi{single}"}:
                for i, g in enumerate(arr):
                    if g is not None and g.geom_type == single:
                        arr[i] = make([g])
    return arr


def _as_sqlite(value: Any, is_geom: bool) -> Any:
    """Return a stored value as SQLite gives it back from the GeoPackage store."""
    if value is None:
        return None
    if is_geom:
        return gpkg_blob(shapely.from_wkb(bytes(value)))
    if isinstance(value, bool):
        return int(value)
    return value


def _digest(
    conn: psycopg.Connection[Any], table: str, columns: list[str], district: str
) -> tuple[int, str, dict[str, bytes]]:
    """Return count, checksum and id -> row digest of the rows of ``district``.

    Exactly the GeoPackage store's ``_stored_digest`` and ``_row_hashes``: SHA-256 over the
    column names, then over each row (in fid order) as SQLite would return it.
    """
    digest = hashlib.sha256(repr(columns).encode("utf-8"))
    geom_at = columns.index(_GEOM_COL) if _GEOM_COL in columns else -1
    id_at = columns.index("id") if "id" in columns else -1
    hashes: dict[str, bytes] = {}
    n_features = 0
    with conn.cursor() as cur:
        cur.execute(PostGISStore._select(columns, table)
                    + f" WHERE {_DISTRICT_COL} = %s ORDER BY fid", (district,))
        for raw in cur:
            row = tuple(_as_sqlite(v, i == geom_at) for i, v in enumerate(raw))
            text = repr(row).encode("utf-8")
            digest.update(text)
            if id_at >= 0:
                hashes[str(row[id_at])] = hashlib.sha256(text).digest()
            n_features += 1
    return n_features, digest.hexdigest(), hashes


def _frame(rows: Sequence[Sequence[Any]], columns: Sequence[str], spec: LayerSpec,
           ) -> gpd.GeoDataFrame:
    """Return the read rows as a frame in spec columns and dtypes (EPSG:4326)."""
    if not rows:
        return _empty_frame(spec)
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns) if c != _GEOM_COL}
    at = columns.index(_GEOM_COL)
    geoms = shapely.from_wkb([None if r[at] is None else bytes(r[at]) for r in rows])
    raw = gpd.GeoDataFrame(pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in data.items()}),
                           geometry=gpd.GeoSeries(geoms, crs=STORAGE_CRS), crs=STORAGE_CRS)
    return _from_storage(raw, spec)
