"""Load test of the tanmap API: N concurrent clients for T seconds, then a consistency check.

Starts the API (``tanmap serve``, uvicorn) on 127.0.0.1 against ``--store`` (default: a fresh
GeoPackage with the demo district 120101's sample layers; any store URL works, e.g.
``postgresql://...`` once the PostGIS store is there), runs ``--clients`` closed-loop clients
(asyncio + httpx) for ``--duration`` seconds mixing four request classes:

* ``map``     GET /maps/{adcode} (the district's map page);
* ``feature`` GET a page of a layer's features (buildings, with and without a bounding box);
* ``metric``  GET park_coverage, POST facility_coverage of the layer being written;
* ``write``   POST a FeatureCollection replacing one of two point layers (bearer token).

Every write sends one of a few fixed payloads. Afterwards, with the server stopped, the store is
opened directly and checked: for every layer, versions run 1..N with a history entry each; for
the written layers, N equals the versions before plus the writes acknowledged (201) plus at most
the writes whose answer never came; each acknowledged version has the payload's feature count;
versions of the same payload share one checksum and different payloads differ; the current
content is the last acknowledged payload, feature for feature; and on a GeoPackage store the
recorded checksum equals the one recomputed from the stored rows. Prints p50/p95/p99 latency
and error counts per class. Exit code 1 when a 5xx was seen or a check failed.

Run: ``make bench-load`` or ``python benchmarks/load.py --clients 50 --duration 60``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from tanmap.layers.store.postgis import redact_url

if TYPE_CHECKING:
    from collections.abc import Iterator

DISTRICT = "120101"
WRITE_KINDS = ("recycling_point", "charging_station")
#: Feature counts of the payloads a write picks from (distinct, so versions are identifiable).
PAYLOAD_SIZES = (3, 5, 8, 13)
MIX = {"map": 0.1, "feature": 0.45, "metric": 0.2, "write": 0.25}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    status: dict[str, dict[str, int]] = field(default_factory=dict)
    #: (kind, payload index, version) of every acknowledged write, in ack order
    acked: list[tuple[str, int, int]] = field(default_factory=list)
    #: writes sent whose answer never came (timeout, connection error), per kind
    unknown: dict[str, int] = field(default_factory=dict)
    #: seconds of the untimed warm-up (first map page and park_coverage of every process)
    warmup_s: float = 0.0
    #: seconds of the timed run (until the last answer after the deadline)
    wall_s: float = 0.0
    #: map pages by X-Tanmap-Page: fresh, or stale (last page while the rebuild runs)
    map_pages: dict[str, int] = field(default_factory=dict)

    def record(self, cls: str, seconds: float, outcome: str) -> None:
        self.latencies.setdefault(cls, []).append(seconds)
        counts = self.status.setdefault(cls, {})
        counts[outcome] = counts.get(outcome, 0) + 1


def payload(kind: str, index: int, bounds: tuple[float, float, float, float]) -> dict[str, Any]:
    """Return write payload ``index`` for ``kind``: PAYLOAD_SIZES[index] points in the district."""
    west, south, east, north = bounds
    rng = random.Random(f"{kind}-{index}")
    features = []
    for i in range(PAYLOAD_SIZES[index]):
        props: dict[str, Any] = {"id": f"load-{kind}-{index}-{i}", "status": "existing"}
        if kind == "charging_station":
            props["access"] = "public"
        x = west + (east - west) * (0.3 + 0.4 * rng.random())
        y = south + (north - south) * (0.3 + 0.4 * rng.random())
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "Point", "coordinates": [x, y]}})
    return {"type": "FeatureCollection", "features": features}


async def client_loop(http: httpx.AsyncClient, stats: Stats, stop_at: float, seed: int,
                      token: str, bounds: tuple[float, float, float, float]) -> None:
    rng = random.Random(seed)
    classes, weights = list(MIX), list(MIX.values())
    base = f"/api/districts/{DISTRICT}"
    west, south, east, north = bounds
    while time.monotonic() < stop_at:
        cls = rng.choices(classes, weights)[0]
        kind, index = rng.choice(WRITE_KINDS), rng.randrange(len(PAYLOAD_SIZES))
        if cls == "map":
            call = http.get(f"/maps/{DISTRICT}")
        elif cls == "feature":
            if rng.random() < 0.5:
                call = http.get(f"{base}/layers/building",
                                params={"limit": 200, "offset": rng.randrange(0, 2000)})
            else:
                w = west + (east - west) * rng.random() * 0.8
                s = south + (north - south) * rng.random() * 0.8
                box = f"{w},{s},{w + (east - west) * 0.2},{s + (north - south) * 0.2}"
                call = http.get(f"{base}/layers/building", params={"bbox": box, "limit": 500})
        elif cls == "metric":
            if rng.random() < 0.5:
                call = http.get(f"{base}/metrics/park_coverage")
            else:
                call = http.post(f"{base}/metrics/facility_coverage",
                                 json={"params": {"kind": kind, "radius_m": 500}})
        else:
            call = http.post(f"{base}/layers/{kind}", params={"mode": "replace"},
                             json=payload(kind, index, bounds),
                             headers={"Authorization": f"Bearer {token}"})
        started = time.perf_counter()
        try:
            response = await call
        except httpx.HTTPError as err:
            stats.record(cls, time.perf_counter() - started, f"error:{type(err).__name__}")
            if cls == "write":
                stats.unknown[kind] = stats.unknown.get(kind, 0) + 1
            continue
        stats.record(cls, time.perf_counter() - started, f"{response.status_code // 100}xx")
        if cls == "map" and response.status_code == 200:
            state = response.headers.get("x-tanmap-page", "unlabelled")
            stats.map_pages[state] = stats.map_pages.get(state, 0) + 1
        if cls == "write" and response.status_code == 201:
            stats.acked.append((kind, index, int(response.json()["layer"]["version"])))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_store(folder: Path) -> str:
    from tanmap.layers.demo import load_demo
    from tanmap.layers.store import open_store

    path = folder / "load.gpkg"
    load_demo(open_store(path, create=True), [DISTRICT])
    return str(path)


@contextlib.contextmanager
def postgis_demo_store() -> Iterator[str]:
    """Yield the URL of a throwaway PostGIS cluster (benchmarks/postgis.py) with the demo."""
    from postgis import postgis_server  # benchmarks/ is on sys.path when run as a script

    from tanmap.layers.demo import load_demo
    from tanmap.layers.store import open_store

    with postgis_server() as (conninfo, _):
        port = re.search(r"port=(\d+)", conninfo)
        assert port is not None
        url = f"postgresql://postgres@127.0.0.1:{port.group(1)}/postgres"
        load_demo(open_store(url, create=True), [DISTRICT])
        yield url


def start_server(store: str, port: int, token: str, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TANMAP_API_TOKEN": token, "TANMAP_STORE": store}
    server = subprocess.Popen(
        [sys.executable, "-m", "tanmap.api.cli", "--store", store, "-q", "serve",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/districts", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not answer within 60 s")


def stop_server(server: subprocess.Popen[bytes], grace_s: float) -> str:
    """Stop the server; return how (the store is checked only once it is down)."""
    started = time.perf_counter()
    server.terminate()
    try:
        server.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)
        return f"killed after {grace_s:.0f} s (requests still running)"
    return f"stopped in {time.perf_counter() - started:.1f} s"


def check_store(store_url: str, stats: Stats, before: dict[str, int],
                bounds: tuple[float, float, float, float]) -> list[str]:
    """Return the problems found in the store after the run (empty: consistent)."""
    from tanmap.layers.store import open_store

    store = open_store(store_url)
    problems: list[str] = []
    for v in store.layers():
        history = store.history(v.kind, v.district)
        if [h.version for h in history] != list(range(1, v.version + 1)):
            problems.append(f"{v.kind}/{v.district}: versions {[h.version for h in history]} "
                            f"are not 1..{v.version}")
        if history and history[-1].checksum != v.checksum:
            problems.append(f"{v.kind}/{v.district}: current checksum differs from history")
        n_read = len(store.read(v.kind, district=v.district))
        if n_read != v.n_features:
            problems.append(f"{v.kind}/{v.district}: {n_read} features read, "
                            f"{v.n_features} recorded")
        recomputed = _recomputed_checksum(store, str(v.kind), v.district)
        if recomputed is not None and recomputed != v.checksum:
            problems.append(f"{v.kind}/{v.district}: recorded checksum {v.checksum[:12]} != "
                            f"recomputed {recomputed[:12]}")
    for kind in WRITE_KINDS:
        acked = [(i, ver) for k, i, ver in stats.acked if k == kind]
        current = store.version(kind, DISTRICT)
        n_versions = 0 if current is None else current.version
        added = n_versions - before.get(kind, 0)
        unknown = stats.unknown.get(kind, 0)
        if not len(acked) <= added <= len(acked) + unknown:
            problems.append(f"{kind}: {added} new versions for {len(acked)} acknowledged writes "
                            f"(+{unknown} unanswered)")
        versions = [ver for _, ver in acked]
        if len(set(versions)) != len(versions):
            problems.append(f"{kind}: two acknowledged writes got the same version number")
        if not acked or current is None:
            continue
        by_version = {h.version: h for h in store.history(kind, DISTRICT)}
        checksums: dict[int, set[str]] = {}
        for index, ver in acked:
            entry = by_version.get(ver)
            if entry is None:
                problems.append(f"{kind}: acknowledged version {ver} is not in the history")
                continue
            if entry.n_features != PAYLOAD_SIZES[index]:
                problems.append(f"{kind} v{ver}: {entry.n_features} features, payload had "
                                f"{PAYLOAD_SIZES[index]}")
            checksums.setdefault(index, set()).add(entry.checksum)
        if any(len(c) != 1 for c in checksums.values()):
            problems.append(f"{kind}: the same payload was stored with different checksums")
        if len({next(iter(c)) for c in checksums.values()}) != len(checksums):
            problems.append(f"{kind}: different payloads share a checksum")
        last_index, last_version = max(acked, key=lambda a: a[1])
        if added == len(acked) and current.version != last_version:
            problems.append(f"{kind}: current version {current.version}, last acknowledged "
                            f"{last_version}")
        stored = sorted(store.read(kind, district=DISTRICT)["id"].astype(str))
        sent = sorted(f["properties"]["id"]
                      for f in payload(kind, last_index, bounds)["features"])
        if added == len(acked) and stored != sent:
            problems.append(f"{kind}: the current features are not the last acknowledged "
                            "payload")
    return problems


def _recomputed_checksum(store: Any, kind: str, district: str) -> str | None:
    """Recompute a GeoPackage layer's checksum from its rows (None for other stores)."""
    import sqlite3

    from tanmap.layers.store import geopackage as store_mod

    if not isinstance(store, store_mod.GeoPackageStore):
        return None
    with sqlite3.connect(f"file:{store.path}?mode=ro", uri=True) as con:
        exists = con.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?",
                             (kind,)).fetchone()
        if not exists:
            return None
        return store_mod._stored_digest(con, kind, district)[1]


def percentiles(values: list[float]) -> tuple[float, float, float]:
    p50, p95, p99 = np.percentile(np.asarray(values) * 1000.0, [50, 95, 99])
    return float(p50), float(p95), float(p99)


async def warm_up(http: httpx.AsyncClient, clients: int, workers: int,
                  timeout_s: float) -> None:
    """Untimed: render the map page and run park_coverage once in every server process.

    Each process keeps its own caches, so the first map page a process serves is rendered in
    the request (the cold start, ~10 s idle). Rounds of concurrent requests on new connections
    go on until every process (``X-Tanmap-Worker``) has answered a map page; then every client
    connection asks once for the map page and park_coverage. The timed figures are then the
    steady state under writes.
    """
    seen: set[str] = set()
    deadline = time.monotonic() + 10 * timeout_s
    while len(seen) < workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"warm-up: only {len(seen)} of {workers} server processes answered")
        async with httpx.AsyncClient(base_url=http.base_url, timeout=timeout_s) as fresh:
            answers = await asyncio.gather(
                *(fresh.get(f"/maps/{DISTRICT}", headers={"Connection": "close"})
                  for _ in range(2 * workers)), return_exceptions=True)
        for a in answers:
            if isinstance(a, BaseException) or a.status_code != 200:
                raise SystemExit(f"warm-up of the map page failed: {a!r}")
            seen.add(a.headers.get("x-tanmap-worker", "?"))
    base = f"/api/districts/{DISTRICT}"
    for path in (f"/maps/{DISTRICT}", f"{base}/metrics/park_coverage"):
        answers = await asyncio.gather(*(http.get(path) for _ in range(clients)),
                                       return_exceptions=True)
        bad = [a for a in answers if isinstance(a, BaseException) or a.status_code != 200]
        if bad:
            raise SystemExit(f"warm-up {path} failed: {bad[0]!r}")


async def drive(port: int, clients: int, duration_s: float, token: str,
                bounds: tuple[float, float, float, float], timeout_s: float,
                warmup: bool = True, workers: int = 1) -> Stats:
    stats = Stats()
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    base_url = f"http://127.0.0.1:{port}"
    if warmup:
        # Its own connections: ones left idle longer than the server's keep-alive (5 s) would
        # be closed under the timed clients (httpx.ReadError on reuse).
        async with httpx.AsyncClient(base_url=base_url, limits=limits,
                                     timeout=timeout_s) as http:
            await warm_up(http, clients, workers, timeout_s)
    stats.warmup_s = time.perf_counter() - started
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout_s) as http:
        stop_at = time.monotonic() + duration_s
        timed = time.perf_counter()
        await asyncio.gather(*(client_loop(http, stats, stop_at, seed, token, bounds)
                               for seed in range(clients)))
        stats.wall_s = time.perf_counter() - timed
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="store URL or path [default: a fresh demo GeoPackage]")
    parser.add_argument("--postgis", action="store_true",
                        help="run against a throwaway PostGIS cluster holding the demo district "
                             "(installed from Debian packages if missing)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    parser.add_argument("--grace", type=float, default=300.0,
                        help="seconds the server may take to finish requests still running "
                             "(those the clients gave up on) before it is killed")
    parser.add_argument("--no-warmup", action="store_true",
                        help="time from a cold server (default: first an untimed warm-up: the "
                             "map page and park_coverage once per client)")
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes (tanmap serve --workers; 2 on a 2-core machine)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    from tanmap.layers.store import open_store

    with tempfile.TemporaryDirectory(prefix="tanmap-load-") as tmp, \
            contextlib.ExitStack() as stack:
        if args.postgis:
            store_url = stack.enter_context(postgis_demo_store())
            args.store = redact_url(store_url) + " (throwaway PostGIS, fsync off)"
        else:
            store_url = args.store or demo_store(Path(tmp))
        store = open_store(store_url)
        row = store.district(DISTRICT)
        bounds = tuple(float(v) for v in row.geometry.bounds)
        before = {k: (v.version if (v := store.version(k, DISTRICT)) else 0)
                  for k in WRITE_KINDS}
        token, port = secrets.token_urlsafe(16), free_port()
        load_before = f"{os.getloadavg()[0]:.1f}"  # other work on the machine skews timings
        server = start_server(store_url, port, token, args.workers)
        try:
            stats = asyncio.run(drive(port, args.clients, args.duration, token,
                                      bounds, args.timeout,  # type: ignore[arg-type]
                                      warmup=not args.no_warmup, workers=args.workers))
            wall = stats.wall_s
        finally:
            stop = stop_server(server, args.grace)
        problems = check_store(store_url, stats, before, bounds)  # type: ignore[arg-type]

    print(f"store {args.store or 'demo GeoPackage'}; {args.clients} clients x "
          f"{args.duration:g} s (wall {wall:.1f} s, after a warm-up of {stats.warmup_s:.1f} s); "
          f"{args.workers} server process(es); "
          f"load average before {load_before}, after {os.getloadavg()[0]:.1f}")
    print(f"{'class':<8} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8}  outcomes")
    report: dict[str, Any] = {"clients": args.clients, "duration_s": args.duration,
                              "workers": args.workers, "map_pages": stats.map_pages,
                              "warmup_s": stats.warmup_s, "load_average_before": load_before,
                              "store": args.store or "demo GeoPackage", "classes": {}}
    five_xx = 0
    for cls in MIX:
        values = stats.latencies.get(cls, [])
        counts = stats.status.get(cls, {})
        five_xx += counts.get("5xx", 0)
        if not values:
            print(f"{cls:<8} {0:>8}")
            continue
        p50, p95, p99 = percentiles(values)
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"{cls:<8} {len(values):>8} {len(values) / wall:>7.1f} {p50:>8.0f} {p95:>8.0f} "
              f"{p99:>8.0f}  {outcomes}")
        report["classes"][cls] = {"requests": len(values), "p50_ms": p50, "p95_ms": p95,
                                  "p99_ms": p99, "outcomes": counts}
    acked = {k: sum(1 for a in stats.acked if a[0] == k) for k in WRITE_KINDS}
    print(f"writes acknowledged {acked}, unanswered {stats.unknown or 0}; server {stop}")
    print(f"map pages served: {stats.map_pages or 'none'} (stale: the last page while its "
          "rebuild for the newest layer versions runs)")
    print("consistency: " + ("versions, counts and checksums agree with the acknowledged "
                             "writes" if not problems else "; ".join(problems)))
    report.update({"acked": acked, "unknown": stats.unknown, "problems": problems,
                   "five_xx": five_xx, "wall_s": wall, "server_stop": stop})
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 1 if problems or five_xx else 0


if __name__ == "__main__":
    raise SystemExit(main())
