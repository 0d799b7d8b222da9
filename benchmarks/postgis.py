"""PostGIS side of the benchmark: install from Debian if missing, throwaway cluster on 127.0.0.1.

The cluster lives in a temporary directory, listens on 127.0.0.1 only, trusts local connections
(it holds nothing but the synthetic city) and is stopped and deleted at the end.
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["ensure_postgis", "postgis_server", "server_peak_rss_mb"]

def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return Path(found[-1]).parent


def _has_postgis() -> bool:
    return bool(glob.glob("/usr/share/postgresql/*/extension/postgis.control"))


def ensure_postgis() -> None:
    """Install PostgreSQL + PostGIS from Debian packages when missing.

    Runs scripts/install-postgis.sh, the same script `make postgis` runs for the tests.
    """
    if glob.glob("/usr/lib/postgresql/*/bin/pg_ctl") and _has_postgis():
        return
    print("installing PostgreSQL/PostGIS from Debian packages ...", flush=True)
    script = Path(__file__).resolve().parents[1] / "scripts" / "install-postgis.sh"
    subprocess.run(["bash", str(script)], check=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgis_server(threads: int = 2) -> Iterator[tuple[str, Path]]:
    """Start a throwaway PostGIS cluster; yield (conninfo, data dir); stop and delete it."""
    ensure_postgis()
    bindir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="tanmap-bench-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust",
                                 "-U", "postgres", "--no-sync", "-E", "UTF8"]),
                   check=True, stdout=subprocess.DEVNULL)
    opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
            f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            f"-c shared_buffers=1GB -c work_mem=256MB -c maintenance_work_mem=1GB "
            f"-c max_parallel_workers_per_gather={threads} -c max_worker_processes=8 "
            f"-c max_parallel_workers={threads} -c jit=off")
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts,
                                 "-l", str(root / "log"), "-w", "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres", data
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                     "-w", "stop"]), check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


def server_peak_rss_mb(data: Path) -> float:
    """Return the sum of the peak RSS (VmHWM) of the cluster's processes, in MB."""
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return float("nan")
    master = int(pid_file.read_text().split()[0])
    total_kb = 0
    for status in glob.glob("/proc/[0-9]*/status"):
        try:
            text = Path(status).read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        pid, ppid = int(fields["Pid"]), int(fields["PPid"])
        if (pid == master or ppid == master) and "VmHWM" in fields:
            total_kb += int(fields["VmHWM"].split()[0])
    return total_kb / 1024.0


def copy_layer(conn, table: str, geoms: np.ndarray, srid: int) -> None:
    """Create ``table(gid int, geom geometry)`` and COPY the geometries in (hex EWKB)."""
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(f"CREATE TABLE {table} (gid integer PRIMARY KEY, geom geometry)")
        hexes = shapely.to_wkb(shapely.set_srid(geoms, srid), hex=True, include_srid=True)
        chunk = 200_000
        with cur.copy(f"COPY {table} (gid, geom) FROM STDIN") as copy:
            for start in range(0, hexes.size, chunk):
                buf = io.StringIO()
                for i, h in enumerate(hexes[start:start + chunk], start):
                    buf.write(f"{i}\t{h}\n")
                copy.write(buf.getvalue())
        cur.execute(f"CREATE INDEX {table}_gix ON {table} USING gist (geom)")
        cur.execute(f"ANALYZE {table}")
    conn.commit()


def wait_ready(conninfo: str, timeout_s: float = 30.0) -> None:
    import psycopg

    deadline = time.time() + timeout_s
    while True:
        try:
            with psycopg.connect(conninfo) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def backend_peak_rss_mb(conn) -> float:
    """Return the peak RSS (VmHWM) of this connection's server process, in MB."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def coverage(conn, n: int, radius_m: float) -> np.ndarray:
    """Buildings within ``radius_m`` of a park: EXISTS + ST_DWithin on GiST indexes."""
    rows = conn.execute(
        "SELECT h.gid FROM homes h WHERE EXISTS "
        "(SELECT 1 FROM parks p WHERE ST_DWithin(h.geom, p.geom, %s))",
        (radius_m,),
    ).fetchall()
    mask = np.zeros(n, dtype=bool)
    mask[np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))] = True
    return mask


def area(conn, n: int, radius_m: float, quad_segs: int, land: str = "residential") -> np.ndarray:
    """Covered m² per land polygon: ST_Union of buffers, ST_Subdivide, indexed intersection."""
    conn.execute("DROP TABLE IF EXISTS served")
    conn.execute(
        "CREATE TEMP TABLE served AS SELECT ST_Subdivide(ST_Union(ST_Buffer(geom, %s, %s)), 256)"
        " AS geom FROM parks",
        (radius_m, f"quad_segs={quad_segs}"),
    )
    conn.execute("CREATE INDEX served_gix ON served USING gist (geom)")
    conn.execute("ANALYZE served")
    rows = conn.execute(
        f"SELECT r.gid, SUM(ST_Area(ST_Intersection(r.geom, s.geom))) FROM {land} r "
        "JOIN served s ON ST_Intersects(r.geom, s.geom) GROUP BY r.gid"
    ).fetchall()
    out = np.zeros(n)
    for gid, m2 in rows:
        out[gid] = m2
    return out


NEAREST_SQL = (
    "SELECT b.gid, nn.d FROM buildings b CROSS JOIN LATERAL "
    "(SELECT ST_Distance(b.geom, s.geom) AS d FROM stations s "
    "ORDER BY b.geom <-> s.geom LIMIT 1) nn"
)


def parallel_workers_planned(conn, sql: str) -> int:
    """Return the workers PostgreSQL plans for ``sql`` (0 = a serial plan)."""
    plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql).fetchone()[0][0]["Plan"]
    stack, workers = [plan], 0
    while stack:
        node = stack.pop()
        workers = max(workers, int(node.get("Workers Planned", 0)))
        stack.extend(node.get("Plans", []))
    return workers


def nearest(conn, n: int) -> np.ndarray:
    """Distance from every building to its nearest station: LATERAL KNN with <->."""
    rows = conn.execute(NEAREST_SQL).fetchall()
    out = np.full(n, np.nan)
    for gid, d in rows:
        out[gid] = d
    return out
