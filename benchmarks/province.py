"""Scale-out benchmark: park coverage of a synthetic province on 1 and 2 Dask workers.

A grid of synthetic districts (default 20 x 10 = 200, each 4 km x 4 km with 103,750 residential
buildings: 20.75M buildings in all), written once as GeoParquet partitions (one file per layer
and district, :mod:`tanmap.layers.partitions`) into a cache folder, one district at a time (the
generator never holds more than one district). Then ``park_coverage`` runs for every district
on a LocalCluster of 1 worker and of 2 workers (one core each: each worker process is pinned to
its own CPU, as a worker of a real cluster owns its cores), and one process computes a sample of
districts with plain ``run_metric`` for comparison. Prints a table: wall time, speed-up,
buildings per second per worker, peak memory per worker, and whether the sample agrees.

Run: ``make bench-province`` or ``python benchmarks/province.py [--districts 200]``. Not part of
the test suite. Timings on a shared machine are noisy: the speed-up is measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from synth import concave_footprints, star_parks

from tanmap.layers.partitions import (
    GeoParquetPartitions,
    write_districts,
    write_partition,
)
from tanmap.layers.runner import run_metric
from tanmap.layers.scaleout import cluster_client, metric_many

EPSG = 4548
#: South-west corner of the province (EPSG:4548 metres; CM 117°E, near Tianjin).

X0, Y0 = 460_000.0, 4_300_000.0
SIDE_M = 4000.0
PITCH_M = 250.0
BLOCK_M = 220.0
SUBGRID = 25
RESIDENTIAL_BLOCKS = 166
PARKS = 25
YEAR = 2024
FORMAT_VERSION = 2  # 2: concave blocks, L-shaped / courtyard buildings, star parks


def district_code(row: int, col: int) -> str:
    return f"9{row:02d}{col:03d}"


def district_layers(row: int, col: int, seed: int) -> dict[str, gpd.GeoDataFrame]:
    """One district's residential land, buildings and parks (EPSG:4548)."""
    rng = np.random.default_rng([seed, row, col])
    x0, y0 = X0 + col * SIDE_M, Y0 + row * SIDE_M
    n = int(SIDE_M // PITCH_M)
    blocks = rng.choice(n * n, size=RESIDENTIAL_BLOCKS, replace=False)
    bx = x0 + (blocks % n) * PITCH_M + (PITCH_M - BLOCK_M) / 2
    by = y0 + (blocks // n) * PITCH_M + (PITCH_M - BLOCK_M) / 2
    # Residential blocks: concave (a corner notch of 25-40 % a side, at a random corner).
    land = shapely.box(bx, by, bx + BLOCK_M, by + BLOCK_M)
    notch = BLOCK_M * rng.uniform(0.25, 0.4, land.size)
    cx = np.where(rng.random(land.size) < 0.5, bx, bx + BLOCK_M - notch)
    cy = np.where(rng.random(land.size) < 0.5, by, by + BLOCK_M - notch)
    land = shapely.difference(land, shapely.box(cx, cy, cx + notch, cy + notch))
    code = district_code(row, col)
    residential = gpd.GeoDataFrame({
        "id": [f"{code}-r{i}" for i in range(land.size)],
        "area_type": np.where(rng.random(land.size) < 0.3, "old_city", "new_area"),
        "population": rng.integers(500, 5000, land.size).astype(float),
    }, geometry=land, crs=EPSG)
    step = BLOCK_M / SUBGRID
    gx, gy = np.meshgrid(np.arange(SUBGRID), np.arange(SUBGRID))
    hx = (bx[:, None] + gx.ravel()[None, :] * step + 1.0).ravel()
    hy = (by[:, None] + gy.ravel()[None, :] * step + 1.0).ravel()
    homes = concave_footprints(rng, hx - 1.0, hy - 1.0, step)  # rotated L / courtyard shapes
    buildings = gpd.GeoDataFrame({
        "id": np.char.add(f"{code}-b", np.arange(homes.size).astype(str)),
        "use_category": "residential",
        "population": rng.integers(1, 12, homes.size).astype(float),
    }, geometry=homes, crs=EPSG)
    # Parks: a third hug the borders (they serve the neighbours), the rest anywhere.
    px = x0 + rng.uniform(0, SIDE_M - 200, PARKS)
    py = y0 + rng.uniform(0, SIDE_M - 200, PARKS)
    edge = rng.random(PARKS) < 0.33
    px[edge] = x0 + rng.choice([5.0, SIDE_M - 205.0], edge.sum())
    w, h = rng.uniform(50, 200, PARKS), rng.uniform(50, 200, PARKS)
    parks = gpd.GeoDataFrame({
        "id": [f"{code}-p{i}" for i in range(PARKS)],
        "park_class": rng.choice(["G11", "G12", "G14", "G2"], PARKS, p=[0.2, 0.4, 0.3, 0.1]),
    }, geometry=star_parks(rng, np.column_stack([px + w / 2, py + h / 2]), (w + h) / 3),
        crs=EPSG)
    return {"residential_land": residential, "building": buildings, "park": parks}


def generate(root: Path, rows: int, cols: int, seed: int) -> dict[str, Any]:
    """Write the province into ``root`` unless a complete copy with these settings is there."""
    stamp = root / "province.json"
    wanted = {"rows": rows, "cols": cols, "seed": seed, "format": FORMAT_VERSION,
              "buildings_per_district": RESIDENTIAL_BLOCKS * SUBGRID * SUBGRID}
    if stamp.is_file() and json.loads(stamp.read_text())["settings"] == wanted:
        return dict(json.loads(stamp.read_text()))
    started = time.perf_counter()
    boundaries = []
    for r in range(rows):
        for c in range(cols):
            code = district_code(r, c)
            for kind, frame in district_layers(r, c, seed).items():
                write_partition(root, kind, code, frame)
            x0, y0 = X0 + c * SIDE_M, Y0 + r * SIDE_M
            boundaries.append({"adcode": code, "name": f"合成{r}-{c}区",
                               "name_en": f"Synthetic {r}-{c}", "planning_epsg": EPSG,
                               "geometry": shapely.box(x0, y0, x0 + SIDE_M, y0 + SIDE_M)})
        print(f"  generated row {r + 1}/{rows}", flush=True)
    write_districts(root, gpd.GeoDataFrame(boundaries, crs=EPSG))
    info = {"settings": wanted, "seconds": time.perf_counter() - started,
            "bytes": sum(p.stat().st_size for p in root.rglob("*.parquet"))}
    stamp.write_text(json.dumps(info))
    return info


def _pin(index_by_address: dict[str, int]) -> Any:
    def pin(dask_worker: Any) -> int:
        cpus = sorted(os.sched_getaffinity(0))
        cpu = cpus[index_by_address[dask_worker.address] % len(cpus)]
        os.sched_setaffinity(0, {cpu})
        return cpu
    return pin


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_s() -> float:
    return time.process_time()


def _burn(cpu: int) -> float:
    os.sched_setaffinity(0, {cpu})
    started, x = time.perf_counter(), 0
    for k in range(5_000_000):
        x += k
    return time.perf_counter() - started


def machine_parallelism() -> float:
    """Return how much faster two pinned processes do twice the work of one, right now.

    2.0 on an idle 2-core machine; near 1.0 when other work holds the cores. The best speed-up
    any 2-worker run can show at that moment.
    """
    from concurrent.futures import ProcessPoolExecutor

    cpus = sorted(os.sched_getaffinity(0))[:2]
    with ProcessPoolExecutor(2) as pool:
        one = min(pool.submit(_burn, cpus[0]).result() for _ in range(2))
        started = time.perf_counter()
        list(pool.map(_burn, cpus))
        two = time.perf_counter() - started
    return 2 * one / two


def run_cluster(root: Path, districts: list[str], workers: int) -> dict[str, Any]:
    with cluster_client(workers=workers, threads_per_worker=1, processes=True,
                        memory_limit=None) as client:
        addresses = sorted(client.scheduler_info()["workers"])
        client.wait_for_workers(workers)
        addresses = sorted(client.scheduler_info()["workers"])
        cpus = client.run(_pin({a: i for i, a in enumerate(addresses)}))
        parallelism = machine_parallelism()
        cpu0 = client.run(_cpu_s)
        started = time.perf_counter()
        outcomes = metric_many(client, root, "park_coverage", districts, year=YEAR)
        seconds = time.perf_counter() - started
        cpu1 = client.run(_cpu_s)
        peaks = client.run(_peak_rss_mb)
    return {"workers": workers, "seconds": seconds, "outcomes": outcomes,
            "peak_mb": sorted(peaks.values()), "cpus": sorted(cpus.values()),
            "cpu_s": sum(cpu1[a] - cpu0[a] for a in cpu1), "machine_parallelism": parallelism}


FIGURES = ("residential_m2", "covered_m2", "extra_buildings_total", "extra_buildings_covered",
           "extra_population_share", "by_area_type")


def figures(outcome: Any) -> dict[str, Any]:
    return {"value": outcome.result.value,
            **{k: outcome.result.details[k] for k in FIGURES}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cache", type=Path, default=Path("var/bench/province"))
    parser.add_argument("--sample", type=int, default=4,
                        help="districts computed again in one process")
    parser.add_argument("--workers", default="1,2", help="cluster sizes to time")
    parser.add_argument("--limit", type=int, help="time only the first N districts")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    print(f"province: {args.rows} x {args.cols} districts -> {args.cache}", flush=True)
    info = generate(args.cache, args.rows, args.cols, args.seed)
    source = GeoParquetPartitions(args.cache)
    districts = list(source.districts()["adcode"])[: args.limit]
    n_buildings = sum(source.version("building", d).n_features for d in districts)
    print(f"  {len(districts)} districts, {n_buildings:,} buildings, "
          f"{info['bytes'] / 1e9:.2f} GB of GeoParquet "
          f"(generated in {info['seconds']:.0f} s)", flush=True)
    try:
        import dask_geopandas

        parts = dask_geopandas.read_parquet(args.cache / "park")
        print(f"  dask-geopandas: {parts.npartitions} park partitions, spatial extents from "
              f"the GeoParquet metadata: {parts.spatial_partitions is not None}", flush=True)
    except Exception as err:  # a check only; the benchmark does not depend on it
        print(f"  dask-geopandas check skipped: {err}")

    runs = []
    for w in [int(x) for x in args.workers.split(",")]:
        print(f"park_coverage on {w} worker(s) ...", flush=True)
        runs.append(run_cluster(args.cache, districts, w))
        print(f"  {runs[-1]['seconds']:.1f} s", flush=True)

    step = max(1, len(districts) // max(1, args.sample))
    sample = districts[::step][: args.sample]
    agree = True
    t0 = time.perf_counter()
    for d in sample:
        single = figures(run_metric(source, "park_coverage", d, year=YEAR))
        for run in runs:
            got = figures(run["outcomes"][districts.index(d)])
            agree &= got == single
    single_s = (time.perf_counter() - t0) / max(1, len(sample))

    base = runs[0]["seconds"]
    print()
    print(f"{'workers':>7}  {'wall s':>8}  {'speed-up':>8}  {'bldg/s/worker':>13}  "
          f"{'worker CPU s':>12}  {'bldg/CPU s':>10}  {'peak MB/worker':>16}  "
          f"{'machine 2-core ratio':>20}")
    for run in runs:
        per = n_buildings / run["seconds"] / run["workers"]
        peaks = "/".join(f"{p:.0f}" for p in run["peak_mb"])
        print(f"{run['workers']:>7}  {run['seconds']:>8.1f}  {base / run['seconds']:>7.2f}x  "
              f"{per:>13,.0f}  {run['cpu_s']:>12.0f}  {n_buildings / run['cpu_s']:>10,.0f}  "
              f"{peaks:>16}  {run['machine_parallelism']:>19.2f}x")
    print("machine 2-core ratio: two pinned busy loops vs one, measured just before the run "
          "(2.00x on an idle 2-core machine; the best a 2-worker run can show then)")
    for run in runs[1:]:
        # Work is what scale-out must not add to: with W workers each on its own idle core,
        # wall time = total worker CPU time / W (plus waiting on I/O, which these runs show
        # to be small: CPU s per district equal across runs).
        ideal = runs[0]["cpu_s"] / (run["cpu_s"] / run["workers"])
        print(f"{run['workers']} workers: worker CPU {run['cpu_s']:.0f} s vs "
              f"{runs[0]['cpu_s']:.0f} s on 1 worker; on idle cores the speed-up would be "
              f"{ideal:.2f}x (CPU-time bound; measured wall-clock {base / run['seconds']:.2f}x)")
    print(f"one process, {len(sample)} sample districts: {single_s:.2f} s per district; "
          f"same figures as every cluster run: {agree}")
    total_cov = sum(o.result.details["extra_buildings_covered"] for o in runs[0]["outcomes"])
    print(f"province: {total_cov:,} of {n_buildings:,} buildings within a park's radius "
          "(counted in their own district)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "districts": len(districts), "buildings": n_buildings, "sample_agrees": agree,
            "runs": [{k: v for k, v in r.items() if k != "outcomes"} for r in runs],
            "single_s_per_district": single_s}, indent=2))
    if not agree:
        raise SystemExit("cluster figures differ from the single-process figures")


if __name__ == "__main__":
    main()
