"""A throwaway PostgreSQL + PostGIS cluster on 127.0.0.1 for the PostGIS store tests.

``make postgis`` (scripts/install-postgis.sh) installs Debian's server packages; this module only
runs them: ``initdb`` in a temporary directory, ``pg_ctl start`` on a free port bound to
127.0.0.1 (trust authentication: the cluster holds nothing but test data and lives for one test
session), one template database with PostGIS and the tanmap tables, then ``CREATE DATABASE ...
TEMPLATE`` per test (a file copy: fast). The cluster is stopped and deleted at the end.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["BACKENDS", "Cluster", "missing_reason", "throwaway_cluster"]

#: The store backends every store and API test runs on.
BACKENDS = ("gpkg", "postgis")

#: The template fresh test databases are copied from (PostGIS, no tanmap tables).
TEMPLATE = "tanmap_template"
#: The database holding one schema per test store (PostGIS in ``public``).
SCHEMAS_DB = "tanmap_tests"


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def missing_reason() -> str | None:
    """Return why a cluster cannot start here (None when the server and PostGIS are installed)."""
    if _pg_bin() is None:
        return "PostgreSQL server binaries not found under /usr/lib/postgresql"
    if not glob.glob("/usr/share/postgresql/*/extension/postgis.control"):
        return "the PostGIS extension is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as Debian's postgres user then.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class Cluster:
    """A running throwaway cluster: URLs of databases, fresh copies of templates."""

    port: int
    user: str = "postgres"
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, database: str) -> str:
        """Return the store URL of ``database``."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement in the maintenance database (autocommit)."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, template: str = TEMPLATE) -> str:
        """Create a fresh database copied from ``template``; return its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._counter)}"
        for attempt in range(50):
            try:
                self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" '
                             "STRATEGY FILE_COPY")
                break
            except psycopg.errors.ObjectInUse:  # a just-closed session still on the template
                if attempt == 49:
                    raise
                time.sleep(0.05)
        return self.url(name)

    def new_schema(self) -> str:
        """Create a fresh schema in the tests database; return a store URL that uses it.

        The URL sets ``search_path`` to that schema (then ``public``, where PostGIS lives), so
        the store's tables land in it: one ``CREATE SCHEMA``, much faster than a database.
        """
        import psycopg

        name = f"s{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(self.url(SCHEMAS_DB), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url(SCHEMAS_DB)}?options=-csearch_path%3D{name}%2Cpublic"

    def drop(self, url: str) -> None:
        """Drop the schema or database of a URL made by new_schema / new_database."""
        import psycopg

        if "search_path%3D" in url:
            name = url.split("search_path%3D", 1)[1].split("%2C", 1)[0]
            with psycopg.connect(self.url(SCHEMAS_DB), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        else:
            self.drop_database(url)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url`` (closing its sessions)."""
        name = url.rsplit("/", 1)[1]
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Start a cluster with the ``tanmap_template`` database; stop and delete it at the end."""
    reason = missing_reason()
    if reason:
        raise RuntimeError(f"{reason}: run `make postgis` (scripts/install-postgis.sh)")
    bindir = _pg_bin()
    assert bindir is not None
    root = Path(tempfile.mkdtemp(prefix="tanmap-test-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    started = False
    try:
        subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                                     "-U", "postgres", "--no-sync", "-E", "UTF8",
                                     "--locale=C"]),
                       check=True, stdout=subprocess.DEVNULL)
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c shared_buffers=64MB -c max_connections=200 -c jit=off")
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts,
                                     "-l", str(root / "log"), "-w", "start"]),
                       check=True, stdout=subprocess.DEVNULL)
        started = True
        cluster = Cluster(port)
        import psycopg

        cluster.execute(f'CREATE DATABASE "{TEMPLATE}"')
        with psycopg.connect(cluster.url(TEMPLATE), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        cluster.execute(f'CREATE DATABASE "{SCHEMAS_DB}" TEMPLATE "{TEMPLATE}"')
        yield cluster
    finally:
        if started:
            subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m",
                                         "immediate", "-w", "stop"]),
                           check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
