"""Walking-reach benchmark: tanmap's walking reach against networkx, pandana and pgRouting.

Usage: ``python benchmarks/walk.py [--edges 200000] [--buildings 1000000] [--parks 10000]
[--cutoff-m 500] [--workers N] [--no-networkx] [--no-pandana] [--pandana-timeout-s 480]
[--no-pgrouting] [--pgr-equicost]``.

The city is a street grid (80 m blocks, corners off the lattice by up to 4 m, 8 % of the street
segments removed at random: culs-de-sac and missing crossings), parks along streets and small
buildings inside the blocks. tanmap's figure is the whole ``park_walk_coverage`` walking path for
buildings: graph arrays, park access points, joining 1M buildings to their nearest edge
(``attach``: windowed envelope queries and vectorised GEOS distances, ``--workers`` threads),
then :func:`walking_reach` (access points inserted, one multi-source Dijkstra with the cut-off,
each building's partial edge from the distances of its piece's two ends).

References, in the same run and checked for the same answers at every building:

* networkx ``multi_source_dijkstra_path_length(cutoff=...)`` on the graph with the access points
  *and* the buildings' joining points inserted as nodes (its graph build timed separately); its
  whole pipeline is given tanmap's graph arrays, access points and join;
* pandana (``Network`` = its contraction-hierarchy precompute, ``set_pois`` + ``nearest_pois`` =
  its range query, each timed) on the graph tanmap searches, the buildings' partial edges then
  evaluated from pandana's node distances as tanmap does. It runs in a child process (its own
  memory, a time limit) with ``OMP_WAIT_POLICY=PASSIVE``: busy-waiting OpenMP threads on a shared
  2-core machine slowed its precompute about 7x;
* pgRouting ``pgr_drivingDistance(edges, all access nodes, cut-off, directed := false)`` with
  each node's smallest ``agg_cost`` kept by the server (``GROUP BY node``), in a throwaway
  PostgreSQL cluster (Debian's packages, installed by ``scripts/install-pgrouting.sh``), its node
  distances then used as pandana's; ``--pgr-equicost`` also times and checks ``equicost :=
  true`` (meant to do the same in one pass): in pgRouting 3.4.2 it gives some nodes a farther
  start's distance.
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from synth import concave_footprints, star_parks

from tanmap.geo.walking import (
    _partial_edge_distances,
    attach,
    build_graph,
    graph_arrays,
    insert_points,
    park_access_points,
    walking_reach,
)

HERE = Path(__file__).resolve().parent
#: The bars of issue 11 on the default city (2 cores).
NX_RATIO_BAR = 20.0
PEAK_MB_BAR = 4096.0
#: Timings of tanmap's search taken (best of); networkx's search is taken best of 2.
SEARCH_REPEATS = 3

BLOCK_M = 80.0
#: Largest shift (m) of a street corner off the lattice (buildings stay >= 2 m off streets).
JITTER_M = 4.0


def city(n_edges: int, n_buildings: int, n_parks: int, seed: int = 7):
    """Return (street lines, park polygons, building polygons) of a synthetic grid city."""
    rng = np.random.default_rng(seed)
    side = int(math.sqrt(n_edges / 2 / 0.92)) + 1
    # Street corners off the exact lattice by up to JITTER_M: no two edges of the same length
    # (a perfect lattice of equal lengths is a worst case for contraction hierarchies, whose
    # witness searches then tie everywhere; no real city is one).
    ij = np.arange(side) * BLOCK_M
    corner = np.stack(np.meshgrid(ij, ij, indexing="ij"), axis=-1)  # corner[i, j] = (x_i, y_j)
    corner = corner + rng.uniform(-JITTER_M, JITTER_M, corner.shape)
    horiz = np.stack([corner[:-1, :], corner[1:, :]], axis=2).reshape(-1, 2, 2)
    vert = np.stack([corner[:, :-1], corner[:, 1:]], axis=2).reshape(-1, 2, 2)
    segs = np.concatenate([horiz, vert])
    keep = rng.random(len(segs)) > 0.08
    segs = segs[keep][:n_edges]
    lines = shapely.linestrings(segs)
    # Parks: irregular concave stars (10 % with a lake), ~25 m across, on the south side of a
    # block: most are crossed by its street, the rest joined at the nearest network point.
    bx = rng.integers(0, side - 1, n_parks) * BLOCK_M
    by = rng.integers(0, side - 1, n_parks) * BLOCK_M
    parks = star_parks(rng, np.column_stack([bx + 40.0, by + 10.0]), np.full(n_parks, 25.0))
    # Buildings: rotated L shapes, 10 % courtyard blocks (holed), in 10 m cells inside blocks.
    hx = rng.integers(0, side - 1, n_buildings) * BLOCK_M + rng.uniform(6, 64, n_buildings)
    hy = rng.integers(0, side - 1, n_buildings) * BLOCK_M + rng.uniform(6, 64, n_buildings)
    homes = concave_footprints(rng, hx, hy, 10.0)
    return lines, parks, homes


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_peak_mb() -> float:
    """Peak resident memory of this process image (VmHWM: unlike ru_maxrss, not inherited
    from the parent across fork + exec)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return math.nan


def split_graph(net, access):
    """Return tanmap's search graph (access points inserted, legs as leaves) and its sources."""
    split = insert_points(net.from_node, net.to_node, net.length_m, net.n_nodes, access.edge,
                          access.offset_m)
    src = split.point_node[: access.edge.size].copy()
    legs = np.flatnonzero(access.gap_m > 0)
    leaf = split.n_nodes + np.arange(legs.size, dtype=np.int64)
    graph = build_graph(np.concatenate([split.from_node, src[legs]]),
                        np.concatenate([split.to_node, leaf]),
                        np.concatenate([split.length_m, access.gap_m[legs]]),
                        split.n_nodes + legs.size)
    src[legs] = leaf
    return split, graph, np.unique(graph.node_of[src])


def same(got: np.ndarray, want: np.ndarray, atol: float) -> tuple[bool, float]:
    """Return (same reach and distances within ``atol`` m, largest difference)."""
    fin = np.isfinite(got)
    if not np.array_equal(fin, np.isfinite(want)):
        return False, math.inf
    diff = float(np.abs(got[fin] - want[fin]).max()) if fin.any() else 0.0
    return diff <= atol, diff


def disagreement(got: np.ndarray, want: np.ndarray, atol: float) -> str:
    """Say where a reference differs from tanmap: how many buildings, which way, how far."""
    fin_g, fin_w = np.isfinite(got), np.isfinite(want)
    reach = int(np.sum(fin_g != fin_w))
    both = fin_g & fin_w
    d = want[both] - got[both]
    longer, shorter = int(np.sum(d > atol)), int(np.sum(d < -atol))
    return (f"{longer:,} buildings farther by the reference (up to {max(d.max(), 0):.2f} m), "
            f"{shorter:,} nearer (up to {max(-d.min(), 0):.2f} m), {reach:,} reached by one only"
            if both.any() else f"{reach:,} reached by one only")


def building_distances(split, graph, node_d, net, targets, cutoff):
    """Return the buildings' network distances from a reference's node distances (as tanmap)."""
    ends = graph.node_of
    pf, pt = node_d[ends[split.from_node]], node_d[ends[split.to_node]]
    out = np.full(targets.edge.size, math.inf)
    ok = targets.edge >= 0
    out[ok] = _partial_edge_distances(split, pf, pt, net.length_m, targets.edge[ok],
                                      targets.offset_m[ok])
    out[out > cutoff] = math.inf
    return out


def search_graph(edges: int, parks: int):
    """Return (net, access, split, graph, sources) of the default city's streets and parks."""
    lines, park_geoms, _ = city(edges, 0, parks)
    net = graph_arrays(lines)
    access = park_access_points(park_geoms, net.lines, net.length_m)
    return (net, access, *split_graph(net, access))


def pandana_child(args) -> None:
    """Run pandana on the city's search graph; save its timings and node distances."""
    import pandana
    import pandas as pd

    _, _, _, graph, src = search_graph(args.edges, args.parks)
    xs = pd.Series(np.arange(graph.n_nodes, dtype=np.float64))  # one node per x: exact POIs
    t = time.perf_counter()
    pnet = pandana.Network(xs, pd.Series(np.zeros(graph.n_nodes)), pd.Series(graph.from_node),
                           pd.Series(graph.to_node), pd.DataFrame({"length_m": graph.length_m}),
                           twoway=True)
    pre_s = time.perf_counter() - t
    t = time.perf_counter()
    pnet.set_pois("access", args.cutoff_m, 1, xs.iloc[src].reset_index(drop=True),
                  pd.Series(np.zeros(src.size)))
    pois_s = time.perf_counter() - t
    t = time.perf_counter()
    near = pnet.nearest_pois(args.cutoff_m, "access", num_pois=1, max_distance=math.inf)
    node_d = near[1].to_numpy(dtype=np.float64)
    query_s = time.perf_counter() - t
    np.savez(args.pandana_child, node_d=node_d, pre_s=pre_s, pois_s=pois_s, query_s=query_s,
             n_nodes=graph.n_nodes, n_edges=graph.from_node.size,
             version=pandana.__version__, peak_mb=own_peak_mb())


def run_pandana(args) -> dict:
    """Run :func:`pandana_child` in a child process with a time limit; return its results."""
    try:
        import pandana  # noqa: F401
    except ImportError as err:
        return {"error": f"not installed ({err})"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pandana.npz"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--edges", str(args.edges),
               "--parks", str(args.parks), "--cutoff-m", str(args.cutoff_m),
               "--pandana-child", str(out)]
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
        t = time.perf_counter()
        try:
            subprocess.run(cmd, env=env, check=True, timeout=args.pandana_timeout_s,
                           stdout=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {"error": f"stopped after {args.pandana_timeout_s:.0f} s (time limit)",
                    "limit_s": time.perf_counter() - t}
        except subprocess.CalledProcessError as err:
            return {"error": f"failed (exit {err.returncode})"}
        with np.load(out) as z:
            return {k: (z[k].item() if z[k].ndim == 0 else z[k].copy()) for k in z.files}


def run_pgrouting(graph, src, cutoff: float, equicost: bool) -> dict:
    """Time pgr_drivingDistance from all access nodes (equicost) in a throwaway cluster."""
    if not glob.glob("/usr/share/postgresql/*/extension/pgrouting.control"):
        return {"error": "pgRouting not installed (scripts/install-pgrouting.sh, run by "
                         "`make bench-walk`)"}
    sys.path.insert(0, str(HERE.parent))
    from tests.pg_cluster import missing_reason, throwaway_cluster

    reason = missing_reason()
    if reason:
        return {"error": reason}
    import psycopg

    res: dict = {}
    with throwaway_cluster() as cluster, psycopg.connect(cluster.new_database(),
                                                         autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pgrouting")
        res["version"] = conn.execute("SELECT pgr_version()").fetchone()[0]
        t = time.perf_counter()
        conn.execute("CREATE UNLOGGED TABLE walk_edge (id bigint, source bigint, "
                     "target bigint, cost float8)")
        with conn.cursor() as cur, cur.copy(
                "COPY walk_edge (id, source, target, cost) FROM STDIN") as copy:
            # pgRouting vertex ids from 1 (tanmap's node n is vertex n + 1).
            for row in zip(range(1, graph.from_node.size + 1), (graph.from_node + 1).tolist(),
                           (graph.to_node + 1).tolist(), graph.length_m.tolist(), strict=True):
                copy.write_row(row)
        res["load_s"] = time.perf_counter() - t
        edges_sql = "'SELECT id, source, target, cost FROM walk_edge'"
        starts = ((src + 1).tolist(), cutoff)
        # Every access node a start vertex, each node's nearest start kept by the server.
        t = time.perf_counter()
        rows = conn.execute(
            f"SELECT node, min(agg_cost) FROM pgr_drivingDistance({edges_sql}, %s::bigint[], "
            "%s, directed := false) GROUP BY node", starts).fetchall()
        res["query_s"] = time.perf_counter() - t
        eq_rows = None
        if equicost:
            # equicost := true is meant to do the same in one pass; timed and checked apart
            # (in pgRouting 3.4.2 it gave some nodes a farther start's distance).
            t = time.perf_counter()
            eq_rows = conn.execute(
                f"SELECT node, agg_cost FROM pgr_drivingDistance({edges_sql}, %s::bigint[], "
                "%s, directed := false, equicost := true)", starts).fetchall()
            res["equicost_s"] = time.perf_counter() - t

    def node_distances(found: list) -> np.ndarray:
        node_d = np.full(graph.n_nodes, math.inf)
        if found:
            nodes, cost = np.array(found, dtype=np.float64).T
            np.minimum.at(node_d, nodes.astype(np.int64) - 1, cost)
        return node_d

    res["node_d"] = node_distances(rows)
    if eq_rows is not None:
        eq = node_distances(eq_rows)
        fin = np.isfinite(res["node_d"])
        res["equicost_wrong"] = int(
            (~np.isclose(eq[fin], res["node_d"][fin], rtol=0, atol=1e-6)).sum()
            + (np.isfinite(eq) != fin).sum())
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", type=int, default=200_000)
    ap.add_argument("--buildings", type=int, default=1_000_000)
    ap.add_argument("--parks", type=int, default=10_000)
    ap.add_argument("--cutoff-m", type=float, default=500.0)
    ap.add_argument("--workers", type=int, default=None, help="threads (default: every CPU)")
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--no-pandana", action="store_true")
    ap.add_argument("--pandana-timeout-s", type=float, default=480.0,
                    help="stop pandana (a child process) after this long")
    ap.add_argument("--no-pgrouting", action="store_true")
    ap.add_argument("--pgr-equicost", action="store_true",
                    help="also time and check pgr_drivingDistance(equicost := true)")
    ap.add_argument("--pandana-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pandana_child:
        pandana_child(args)
        return
    cutoff = args.cutoff_m
    run_t = time.perf_counter()

    def row(name: str, sec: float, ratio: str = "") -> None:  # printed at once: progress
        text = "not run" if math.isnan(sec) else f"{sec:9.2f}"
        print(f"{name:<66} {text:>9} {ratio:>12}", flush=True)

    t = time.perf_counter()
    lines, parks, homes = city(args.edges, args.buildings, args.parks)
    print(f"city: {len(lines):,} street edges, {len(parks):,} parks, {len(homes):,} buildings "
          f"(built in {time.perf_counter() - t:.1f} s); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    t0 = time.perf_counter()
    net = graph_arrays(lines)
    access = park_access_points(parks, net.lines, net.length_m)
    prep_s = time.perf_counter() - t0
    t = time.perf_counter()
    targets = attach(homes, net.lines, net.length_m, workers=args.workers)
    join_s = time.perf_counter() - t
    t = time.perf_counter()
    reach = walking_reach(net.from_node, net.to_node, net.length_m, net.n_nodes, access,
                          targets, cutoff)
    search_s = time.perf_counter() - t
    total_s = time.perf_counter() - t0
    tanmap_mb = peak_rss_mb()
    # The search is short, so a moment of load on a shared machine weighs on it much more than
    # on networkx's long one: it is timed best of SEARCH_REPEATS (networkx's best of 2).
    for _ in range(SEARCH_REPEATS - 1):
        t = time.perf_counter()
        walking_reach(net.from_node, net.to_node, net.length_m, net.n_nodes, access, targets,
                      cutoff)
        search_s = min(search_s, time.perf_counter() - t)
    served = np.isfinite(reach.distance_m)
    got = reach.network_m.copy()
    got[got > cutoff * (1 + 1e-12) + 1e-9] = math.inf  # as the references' cut-off
    checks: list[str] = []
    verdicts: list[str] = []
    print(f"access points: {access.park.size:,}; buildings within {cutoff:g} m on foot: "
          f"{int(served.sum()):,} ({served.mean():.1%})")
    print(f"\n{'step':<66} {'seconds':>9} {'vs networkx':>12}", flush=True)
    row("tanmap: graph arrays + park access points", prep_s)
    row("tanmap: join buildings to edges (attach)", join_s)
    row("tanmap: network distances (walking_reach) = search, best of 3", search_s)
    row("tanmap: whole path", total_s)

    nx_search_s = nx_total_s = math.nan
    if not args.no_networkx:
        import networkx as nx

        # networkx needs every building as a node: the graph with all points inserted, an
        # access point off the network as a leaf that far out (as tanmap's search graph).
        t = time.perf_counter()
        full = insert_points(net.from_node, net.to_node, net.length_m, net.n_nodes,
                             np.concatenate([access.edge, targets.edge]),
                             np.concatenate([access.offset_m, targets.offset_m]))
        src = full.point_node[: access.edge.size].copy()
        legs = np.flatnonzero(access.gap_m > 0)
        leaf = full.n_nodes + np.arange(legs.size, dtype=np.int64)
        fgraph = build_graph(np.concatenate([full.from_node, src[legs]]),
                             np.concatenate([full.to_node, leaf]),
                             np.concatenate([full.length_m, access.gap_m[legs]]),
                             full.n_nodes + legs.size)
        src[legs] = leaf
        g = nx.Graph()
        g.add_weighted_edges_from(zip(fgraph.from_node.tolist(), fgraph.to_node.tolist(),
                                      fgraph.length_m.tolist(), strict=True))
        build_s = time.perf_counter() - t
        sources = set(fgraph.node_of[src].tolist())
        runs = []
        for _ in range(2):  # the first run is often slower (Python's GC on a fresh heap)
            t = time.perf_counter()
            ref = nx.multi_source_dijkstra_path_length(g, sources, cutoff=cutoff)
            runs.append(time.perf_counter() - t)
        nx_search_s = min(runs)
        tnodes = fgraph.node_of[full.point_node[access.edge.size:]]
        want = np.array([ref.get(int(n), math.inf) for n in tnodes])
        ok, diff = same(got, want, 1e-6)
        del g, ref, full, fgraph
        nx_total_s = prep_s + join_s + build_s + nx_search_s
        row("networkx: graph build (all points as nodes)", build_s)
        row("networkx: multi-source Dijkstra, first run", runs[0], f"{runs[0] / search_s:.0f}x")
        row("networkx: multi-source Dijkstra = search, best of 2", nx_search_s,
            f"{nx_search_s / search_s:.0f}x")
        row("networkx: whole pipeline (tanmap's prep + join, build, search)", nx_total_s,
            f"{nx_total_s / total_s:.1f}x")
        checks.append(f"same answers as networkx at all {want.size:,} buildings: {ok} (largest "
                      f"difference {diff:.2e} m)")
        verdicts.append(f">= {NX_RATIO_BAR:.0f}x faster than networkx, search: "
                        f"{nx_search_s / search_s:.0f}x -> "
                        f"{'MET' if nx_search_s / search_s >= NX_RATIO_BAR else 'NOT MET'}")
        # The whole-path ratio is printed for the record: networkx is given tanmap's own graph
        # preparation and join, so those shared steps bound it whatever the search costs.
        bound = nx_total_s / (prep_s + join_s)
        verdicts.append(f"for the record, whole path with the same prep + join given to networkx: "
                        f"{nx_total_s / total_s:.1f}x (the shared steps bound this at "
                        f"{bound:.1f}x even for a 0 s search; the bar is the search above)")

    def vs_nx(sec: float) -> str:
        return "" if math.isnan(nx_search_s) else f"{nx_search_s / sec:.1f}x"

    split = graph = src_nodes = None
    if not (args.no_pandana and args.no_pgrouting):
        split, graph, src_nodes = split_graph(net, access)

    if not args.no_pandana:
        p = run_pandana(args)
        if "error" in p:
            row(f"pandana: {p['error']}", math.nan)
            checks.append(f"pandana: {p['error']}")
            if "limit_s" in p:
                verdicts.append(f"no slower than pandana with its precompute: pandana did not "
                                f"finish in {p['limit_s']:.0f} s, tanmap's whole path "
                                f"{total_s:.1f} s -> MET")
        else:
            t = time.perf_counter()
            pand = building_distances(split, graph, p["node_d"], net, targets, cutoff)
            edge_s = time.perf_counter() - t
            ok, diff = same(got, pand, 0.01)
            if not ok:
                checks.append("pandana differs: " + disagreement(got, pand, 0.01))
            without = p["pois_s"] + p["query_s"] + edge_s
            with_pre = p["pre_s"] + without
            row(f"pandana {p['version']}: precompute (Network: contraction hierarchy, "
                f"{p['n_nodes']:,} nodes)", p["pre_s"])
            row("pandana: set_pois + nearest_pois + partial edges = search", without,
                vs_nx(without))
            row("pandana: search with its precompute", with_pre, vs_nx(with_pre))
            row("pandana: whole pipeline (tanmap's prep + join, precompute, search)",
                prep_s + join_s + with_pre)
            checks.append(f"same answers as pandana at all {pand.size:,} buildings (within 1 cm: "
                          f"pandana keeps integer millimetres): {ok} (largest difference "
                          f"{diff:.2e} m); pandana child process peak memory "
                          f"{p['peak_mb']:,.0f} MB")
            verdicts.append(f"no slower than pandana with its precompute: tanmap whole path "
                            f"{total_s:.1f} s vs pandana search with precompute {with_pre:.1f} s"
                            f" ({with_pre / total_s:.1f}x) -> "
                            f"{'MET' if total_s <= with_pre else 'NOT MET'}")

    if args.no_pgrouting:
        row("pgRouting", math.nan)
    else:
        try:
            pg = run_pgrouting(graph, src_nodes, cutoff, args.pgr_equicost)
        except Exception as err:  # a benchmark reference: report, never stop the table
            pg = {"error": f"failed: {type(err).__name__}: {err}"}
        if "error" in pg:
            row(f"pgRouting: {pg['error']}"[:66], math.nan)
            verdicts.append(f"pgRouting timed: not run ({pg['error']})")
        else:
            t = time.perf_counter()
            pgd = building_distances(split, graph, pg["node_d"], net, targets, cutoff)
            edge_s = time.perf_counter() - t
            ok, diff = same(got, pgd, 1e-6)
            search = pg["query_s"] + edge_s
            row(f"pgRouting {pg['version']}: load edges (COPY)", pg["load_s"])
            row("pgRouting: pgr_drivingDistance(all starts, min) + partial edges = search",
                search, vs_nx(search))
            if "equicost_s" in pg:
                row("pgRouting: the same with equicost := true (checked apart)",
                    pg["equicost_s"], vs_nx(pg["equicost_s"]))
            row("pgRouting: whole pipeline (tanmap's prep + join, load, search)",
                prep_s + join_s + pg["load_s"] + search)
            checks.append(f"same answers as pgRouting at all {pgd.size:,} buildings: {ok} "
                          f"(largest difference {diff:.2e} m)")
            if "equicost_wrong" in pg:
                checks.append(f"pgRouting equicost := true gave {pg['equicost_wrong']:,} of "
                              f"{graph.n_nodes:,} nodes another distance than the minimum")
            verdicts.append(f"pgRouting timed: yes, its search {search:.1f} s vs tanmap's "
                            f"{search_s:.2f} s ({search / search_s:.0f}x)")

    run_mb = peak_rss_mb()
    print(f"\npeak memory: tanmap path {tanmap_mb:,.0f} MB; whole run {run_mb:,.0f} MB "
          "(this process; pandana's child and the PostgreSQL server not included)")
    verdicts.append(f"peak memory < {PEAK_MB_BAR / 1024:.0f} GB: tanmap path {tanmap_mb:,.0f} MB"
                    f" -> {'MET' if tanmap_mb < PEAK_MB_BAR else 'NOT MET'}")
    print()
    for line in checks:
        print(line)
    print("\nbars (issue 11):")
    for line in verdicts:
        print(f"  {line}")
    print(f"\nbenchmark run: {time.perf_counter() - run_t:.0f} s; load average "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
