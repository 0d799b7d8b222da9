"""Benchmark tanmap's coverage engine against naive geopandas, PostGIS and DuckDB spatial.

    python benchmarks/run.py --size small|medium|large|xlarge [--parks realistic|boxes]
                             [--engines ...] [--tasks ...] [--repeat N]
    python benchmarks/run.py --scaling     # tanmap alone, large (1M) against xlarge (4M)

One deterministic synthetic city (benchmarks/synth.py) per size, with realistic parks by default
(irregular, concave, holed, two-part, curved shores, one city-spanning strip); every (engine, task)
runs in its own child process, so its peak memory (ru_maxrss) is its own; PostGIS runs in a
throwaway cluster on 127.0.0.1 that this script installs (Debian packages) and starts itself. Tasks:

* ``coverage``  - residential buildings within 500 m of a park (polygon-to-polygon distance,
  inclusive; exact in tanmap, PostGIS ST_DWithin and DuckDB ST_DWithin);
* ``area``      - covered m² of every residential parcel at 500 m (buffers of 56 segments per
  quarter circle = tanmap's 5 cm tolerance everywhere);
* ``area_bldg`` - the same on residential building footprints as the land;
* ``nearest``   - distance from every building to its nearest charging station.

Every engine's threads are printed beside its time, and its CPU use (CPU-s per wall-s) where it
runs in the child process (tanmap, naive, DuckDB; PostGIS works in its server processes).

The answers are compared: exact engines must agree exactly (coverage), within tanmap's stated
area error bound (area), within 1 micrometre (nearest). The naive geopandas answers are reported
but not required to agree (a buffer polygon under-counts; that is the point). The script exits
with status 1 when an exact engine disagrees.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

RADIUS_M = 500.0
QUAD_SEGS = 56  # = tanmap.geo.coverage.quad_segs_for_tolerance(500, 0.05)
ENGINES = ("tanmap", "naive", "duckdb", "postgis")
TASKS = ("coverage", "area", "area_bldg", "nearest")
#: Bars on the large city (issue "Coverage fast on real shapes"): (task, other engine) -> minimum
#: time ratio.
BARS = {("coverage", "postgis"): 8.0, ("coverage", "duckdb"): 3.0,
        ("area", "postgis"): 3.0, ("area", "duckdb"): 2.0,
        ("area_bldg", "postgis"): 3.0, ("area_bldg", "duckdb"): 2.0,
        ("nearest", "postgis"): 20.0}
PEAK_MB_BAR = 4096.0
#: tanmap's CPU use on the coverage and area tasks (CPU-s per wall-s, 2 cores).
CPU_BAR = 1.7
CPU_TASKS = ("coverage", "area", "area_bldg")
#: Scaling bar: time for 4M buildings <= this times the time for 1M.
SCALING_BAR = 4.5
TIMEOUT_S = 3600


def _layers(size: str, parks: str = "realistic"):
    """Return the city's geometry arrays (what every engine gets, untimed)."""
    from synth import make_city

    city = make_city(size, parks=parks)
    homes = city.buildings[city.buildings["use_category"] == "residential"]
    return city, {
        "homes": np.asarray(homes.geometry.array),
        "parks": np.asarray(city.parks.geometry.array),
        "residential": np.asarray(city.residential.geometry.array),
        "buildings": np.asarray(city.buildings.geometry.array),
        "stations": np.asarray(city.stations.geometry.array),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --- engines (each runs in a child process) ---------------------------------------------------

def run_tanmap(task: str, city, layers) -> tuple[np.ndarray, dict]:
    import geopandas as gpd
    import scipy.spatial  # noqa: F401  (imported lazily by tanmap; a one-off cost, not timed)

    from tanmap.geo import coverage

    crs = city.parks.crs
    parks = gpd.GeoSeries(layers["parks"], crs=crs)
    if task == "coverage":
        return coverage.covered_mask(gpd.GeoSeries(layers["homes"], crs=crs), parks, RADIUS_M), {}
    if task in ("area", "area_bldg"):
        land = layers["residential"] if task == "area" else layers["homes"]
        res = coverage.covered_area(gpd.GeoSeries(land, crs=crs), parks, RADIUS_M)
        return res.covered_m2, {"area_error_bound_m2": res.area_error_bound_m2,
                                "quad_segs": res.quad_segs}
    stations = gpd.GeoSeries(layers["stations"], crs=crs)
    return coverage.nearest_distance_m(gpd.GeoSeries(layers["buildings"], crs=crs), stations), {}


def run_naive(task: str, city, layers) -> tuple[np.ndarray, dict]:
    """What a geopandas user writes: buffer, union, then a spatial join."""
    import geopandas as gpd

    crs = city.parks.crs
    parks = gpd.GeoSeries(layers["parks"], crs=crs)
    if task == "coverage":
        served = gpd.GeoDataFrame(geometry=[parks.buffer(RADIUS_M).union_all()], crs=crs)
        homes = gpd.GeoDataFrame(geometry=layers["homes"], crs=crs)
        hit = gpd.sjoin(homes, served.explode(index_parts=False), predicate="intersects")
        mask = np.zeros(len(homes), dtype=bool)
        mask[np.unique(hit.index.to_numpy())] = True
        return mask, {"buffer_quad_segs": 16}
    if task in ("area", "area_bldg"):
        union = parks.buffer(RADIUS_M, quad_segs=QUAD_SEGS).union_all()
        land = gpd.GeoSeries(layers["residential" if task == "area" else "homes"], crs=crs)
        return land.intersection(union).area.to_numpy(), {}
    buildings = gpd.GeoDataFrame(geometry=layers["buildings"], crs=crs)
    stations = gpd.GeoDataFrame(geometry=layers["stations"], crs=crs)
    joined = gpd.sjoin_nearest(buildings, stations, distance_col="d")
    return joined.groupby(level=0)["d"].min().reindex(range(len(buildings))).to_numpy(), {}


def run_duckdb(task: str, city, layers) -> tuple[np.ndarray, dict]:
    import duckdb_bench

    con = duckdb_bench.connect(threads=2)
    if task == "coverage":
        duckdb_bench.load(con, homes=layers["homes"], parks=layers["parks"])
        start = time.perf_counter()
        out = duckdb_bench.coverage(con, layers["homes"].size, RADIUS_M)
    elif task in ("area", "area_bldg"):
        name = "residential" if task == "area" else "homes"
        duckdb_bench.load(con, **{name: layers[name]}, parks=layers["parks"])
        start = time.perf_counter()
        out = duckdb_bench.area(con, layers[name].size, RADIUS_M, QUAD_SEGS, land=name)
    else:
        # The caller never asks for it (see main): DuckDB spatial has no KNN join, and a cross
        # join of the large city is 2e10 pairs.
        raise ValueError(f"duckdb has no {task!r} task")
    return out, {"seconds_override": time.perf_counter() - start}


def run_postgis(task: str, city, layers, conninfo: str) -> tuple[np.ndarray, dict]:
    import postgis
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        # Give PostgreSQL every chance of a parallel plan on the 2 cores.
        for setting in ("max_parallel_workers_per_gather = 2", "parallel_setup_cost = 0",
                        "parallel_tuple_cost = 0", "min_parallel_table_scan_size = 0"):
            conn.execute(f"SET {setting}")
        workers = (postgis.parallel_workers_planned(conn, postgis.NEAREST_SQL)
                   if task == "nearest" else None)
        start = time.perf_counter()
        if task == "coverage":
            out = postgis.coverage(conn, layers["homes"].size, RADIUS_M)
        elif task in ("area", "area_bldg"):
            name = "residential" if task == "area" else "homes"
            out = postgis.area(conn, layers[name].size, RADIUS_M, QUAD_SEGS, land=name)
        else:
            out = postgis.nearest(conn, layers["buildings"].size)
        seconds = time.perf_counter() - start
        server_mb = postgis.backend_peak_rss_mb(conn)
    threads = "<=3 (leader + 2 workers)" if workers is None else f"{1 + workers} (plan)"
    return out, {"seconds_override": seconds, "server_peak_mb": server_mb, "threads": threads}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(args: argparse.Namespace) -> None:
    city, layers = _layers(args.size, args.parks)
    base_mb = _peak_mb()
    if args.engine == "tanmap":
        import scipy.spatial  # noqa: F401  (one-off import cost, not timed)

        from tanmap.geo import coverage  # noqa: F401
    runners = {"tanmap": run_tanmap, "naive": run_naive, "duckdb": run_duckdb}
    if args.engine in runners or args.engine == "postgis":
        # Best of `repeat` runs: the machine is shared, the minimum is the least disturbed.
        best, best_cpu = math.inf, math.nan
        for _ in range(args.repeat if args.engine != "naive" else 1):
            start, cpu0 = time.perf_counter(), _cpu_s()
            if args.engine == "postgis":
                out, extra = run_postgis(args.task, city, layers, args.conninfo)
            else:
                out, extra = runners[args.engine](args.task, city, layers)
            wall = time.perf_counter() - start
            seconds = extra.pop("seconds_override", wall)
            if seconds < best:
                best = seconds
                # CPU-s per wall-s of the whole call (DuckDB's includes its untimed load).
                best_cpu = (_cpu_s() - cpu0) / wall if args.engine != "postgis" else math.nan
        extra["seconds_override"] = best
        extra["cpu_per_wall"] = best_cpu
        if args.engine == "tanmap":
            from tanmap.geo.tiles import default_workers

            extra["threads"] = str(default_workers())
        extra.setdefault("threads", {"naive": "1", "duckdb": "2"}.get(args.engine, "?"))
    elif args.engine == "postgis-load":
        import postgis
        import psycopg

        start = time.perf_counter()
        with psycopg.connect(args.conninfo) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.commit()
            for name in ("homes", "parks", "residential", "buildings", "stations"):
                postgis.copy_layer(conn, name, layers[name], 4548)
        out, extra = np.zeros(0), {"seconds_override": time.perf_counter() - start}
    else:
        raise SystemExit(f"unknown engine {args.engine}")
    seconds = extra.pop("seconds_override", 0.0)
    np.save(args.out, out)
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "city_mb": base_mb, **extra}))


# --- parent ------------------------------------------------------------------------------------

def _spawn(engine: str, task: str, size: str, tmp: Path, conninfo: str = "",
           repeat: int = 3, parks: str = "realistic") -> dict:
    out = tmp / f"{engine}-{task}-{size}.npy"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--engine", engine,
           "--task", task, "--size", size, "--out", str(out), "--conninfo", conninfo,
           "--repeat", str(repeat), "--parks", parks]
    print(f"  {engine:8s} {task:9s} ...", end="", flush=True)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S,
                              env={**os.environ, "OMP_NUM_THREADS": "2"})
    except subprocess.TimeoutExpired:
        print(f" timeout after {TIMEOUT_S} s")
        return {"error": "timeout"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        print(f" failed: {last}")
        return {"error": last}
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["answer"] = np.load(out)
    print(f" {info['seconds']:.2f} s, peak {info['peak_mb']:.0f} MB, "
          f"threads {info.get('threads', '?')}")
    return info


def _compare(task: str, ref: dict, other: dict) -> tuple[bool, str]:
    a, b = ref["answer"], other["answer"]
    if a.shape != b.shape:
        return False, f"shape {b.shape} != {a.shape}"
    if task == "coverage":
        diff = int((a != b).sum())
        return diff == 0, f"{diff} buildings differ ({int(b.sum())} vs {int(a.sum())} covered)"
    if task in ("area", "area_bldg"):
        bound = ref.get("area_error_bound_m2", 0.0) + 1e-6 * float(a.sum())
        delta = float(b.sum() - a.sum())
        return abs(delta) <= bound, f"total differs by {delta:+.3f} m2 (bound {bound:.1f} m2)"
    delta = float(np.nanmax(np.abs(a - b))) if a.size else 0.0
    return delta <= 1e-6, f"max |diff| {delta:.2e} m"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small",
                        choices=["tiny", "small", "medium", "large", "xlarge"])
    parser.add_argument("--parks", default="realistic", choices=["realistic", "boxes"],
                        help="park shapes of the synthetic city (default: realistic)")
    parser.add_argument("--scaling", action="store_true",
                        help="time tanmap alone on large (1M) and xlarge (4M) buildings")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per engine and task; the best time counts (naive runs once)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--conninfo", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    if args.scaling:
        return scaling(args)

    engines = [e for e in args.engines.split(",") if e]
    tasks = [t for t in args.tasks.split(",") if t]
    from synth import SIZES

    spec = SIZES[args.size]
    print(f"tanmap coverage benchmark: size={args.size} ({spec.buildings:,} buildings, "
          f"{spec.parks:,} parks ({args.parks}), {spec.stations:,} stations), "
          f"{os.cpu_count()} CPUs")
    results: dict[tuple[str, str], dict] = {}
    with tempfile.TemporaryDirectory(prefix="tanmap-bench-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        conninfo = ""
        if "postgis" in engines:
            import postgis

            conninfo, _data = stack.enter_context(postgis.postgis_server())
            postgis.wait_ready(conninfo)
            load = _spawn("postgis-load", "load", args.size, tmp, conninfo, parks=args.parks)
            print("  (PostGIS load: COPY + GiST indexes + ANALYZE; not counted)")
            if "error" in load:
                engines = [e for e in engines if e != "postgis"]
                for task in tasks:
                    results[("postgis", task)] = load
        # Engines run one after another for each task, so a busy spell on the machine hits
        # them alike; each reports its best of --repeat runs.
        for task in tasks:
            for engine in engines:
                if engine == "duckdb" and task == "nearest":
                    results[(engine, task)] = {"error": "n/a (no KNN join in DuckDB spatial)"}
                    continue
                results[(engine, task)] = _spawn(engine, task, args.size, tmp, conninfo,
                                                 args.repeat, args.parks)
    return report(results, engines, tasks, args.size)


def report(results, engines, tasks, size) -> int:
    ok = True
    print()
    print(f"{'task':9s} {'engine':8s} {'seconds':>9s} {'x tanmap':>9s} {'peak MB':>8s} "
          f"{'threads':>24s} {'cpu/wall':>8s}  answer")
    for task in tasks:
        ref = results.get(("tanmap", task), {})
        for engine in engines:
            r = results.get((engine, task), {"error": "not run"})
            if "error" in r:
                print(f"{task:9s} {engine:8s} {'-':>9s} {'-':>9s} {'-':>8s} {'-':>24s} "
                      f"{'-':>8s}  {r['error']}")
                continue
            ratio = r["seconds"] / ref["seconds"] if "seconds" in ref else float("nan")
            peak = r["peak_mb"] + r.get("server_peak_mb", 0.0)
            if engine == "tanmap":
                note = "reference"
                if task in ("area", "area_bldg"):
                    note += f" (error bound {r['area_error_bound_m2']:.1f} m2)"
            elif "answer" not in ref:
                note = "no tanmap answer to compare"
            else:
                same, note = _compare(task, ref, r)
                if engine == "naive":
                    note = ("same" if same else "DIFFERS (expected: buffer polygons)") + f": {note}"
                else:
                    ok &= same
                    note = ("same" if same else "MISMATCH") + f": {note}"
            cpu = r.get("cpu_per_wall", math.nan)
            cpu_text = "-" if cpu is None or math.isnan(cpu) else f"{cpu:.2f}"
            print(f"{task:9s} {engine:8s} {r['seconds']:9.3f} {ratio:9.1f} {peak:8.0f} "
                  f"{r.get('threads', '?'):>24s} {cpu_text:>8s}  {note}")
    print()
    for (task, other), bar in BARS.items():
        a, b = results.get(("tanmap", task), {}), results.get((other, task), {})
        if "seconds" in a and "seconds" in b:
            ratio = b["seconds"] / a["seconds"]
            verdict = "met" if ratio >= bar else "NOT met"
            print(f"bar {task} vs {other}: >= {bar:g}x -> {ratio:.1f}x {verdict}"
                  + ("" if size == "large" else f" (bars apply to large; this is {size})"))
    for task in CPU_TASKS:
        r = results.get(("tanmap", task), {})
        if "cpu_per_wall" in r:
            verdict = "met" if r["cpu_per_wall"] >= CPU_BAR else "NOT met"
            print(f"bar tanmap {task} CPU use: >= {CPU_BAR} CPU-s per wall-s -> "
                  f"{r['cpu_per_wall']:.2f} {verdict}")
    peaks = [r["peak_mb"] for (e, _), r in results.items() if e == "tanmap" and "peak_mb" in r]
    if peaks:
        print(f"tanmap peak memory {max(peaks):.0f} MB (bar < {PEAK_MB_BAR:.0f} MB): "
              + ("met" if max(peaks) < PEAK_MB_BAR else "NOT met"))
    print("answers: " + ("all exact engines agree" if ok else "MISMATCH between exact engines"))
    return 0 if ok else 1


def scaling(args: argparse.Namespace) -> int:
    """Time tanmap on large (1M buildings) and xlarge (4M) and print the ratios."""
    tasks = [t for t in args.tasks.split(",") if t and t in ("coverage", "area", "area_bldg")]
    print(f"tanmap scaling: large (1M buildings) against xlarge (4M), parks={args.parks}, "
          f"{os.cpu_count()} CPUs")
    ok = True
    with tempfile.TemporaryDirectory(prefix="tanmap-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for task in tasks:
            one = _spawn("tanmap", task, "large", tmp, repeat=args.repeat, parks=args.parks)
            four = _spawn("tanmap", task, "xlarge", tmp, repeat=args.repeat, parks=args.parks)
            if "seconds" not in one or "seconds" not in four:
                print(f"bar {task} scaling: not measured")
                ok = False
                continue
            ratio = four["seconds"] / one["seconds"]
            verdict = "met" if ratio <= SCALING_BAR else "NOT met"
            print(f"bar {task} scaling: 4M {four['seconds']:.2f} s / 1M {one['seconds']:.2f} s "
                  f"= {ratio:.2f} (<= {SCALING_BAR:g}) {verdict}; peak {four['peak_mb']:.0f} MB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
