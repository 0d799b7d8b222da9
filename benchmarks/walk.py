"""Walking-reach benchmark: a synthetic city, tanmap's walking reach against networkx, pandana.

Usage: ``python benchmarks/walk.py [--edges 200000] [--buildings 1000000] [--parks 10000]
[--cutoff-m 500] [--workers N] [--no-networkx] [--pandana] [--no-old-join]``.

The city is a street grid (80 m blocks, 8 % of the street segments removed at random: culs-de-sac
and missing crossings), parks along streets and small buildings inside the blocks. tanmap's
figure is the whole ``park_walk_coverage`` walking path for buildings: graph arrays, park access
points, joining 1M buildings to their nearest edge (bulk windowed queries, ``--workers``
threads), then :func:`walking_reach` (access points inserted, one multi-source Dijkstra with the
cut-off, each building's partial edge from the distances of its piece's two ends).

References, in the same run and checked for the same answers at every building:

* networkx ``multi_source_dijkstra_path_length(cutoff=...)`` on the graph with the access points
  *and* the buildings' joining points inserted as nodes (its graph build timed separately);
* pandana, with ``--pandana`` (``Network`` = its contraction-hierarchy precompute, ``set_pois``
  + ``nearest_pois`` = its range query, each timed) on the graph tanmap searches, the buildings'
  partial edges then evaluated from pandana's node distances as tanmap does. Opt-in: on the
  default city its precompute did not finish in 22 minutes (benchmarks/README.md);
* pgRouting: not run (it needs a PostgreSQL server with the extension; not part of this script).
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np
import shapely

from tanmap.geo.walking import (
    _partial_edge_distances,
    attach,
    build_graph,
    graph_arrays,
    insert_points,
    park_access_points,
    walking_reach,
)

BLOCK_M = 80.0


def city(n_edges: int, n_buildings: int, n_parks: int, seed: int = 7):
    """Return (street lines, park polygons, building polygons) of a synthetic grid city."""
    rng = np.random.default_rng(seed)
    side = int(math.sqrt(n_edges / 2 / 0.92)) + 1
    xs = np.arange(side) * BLOCK_M
    horiz = [((x0, y), (x0 + BLOCK_M, y)) for y in xs for x0 in xs[:-1]]
    vert = [((x, y0), (x, y0 + BLOCK_M)) for x in xs for y0 in xs[:-1]]
    segs = np.array(horiz + vert)
    keep = rng.random(len(segs)) > 0.08
    segs = segs[keep][:n_edges]
    lines = shapely.linestrings(segs)
    # Parks: 40 x 30 m along the south side of a block (touching its street).
    bx = rng.integers(0, side - 1, n_parks) * BLOCK_M
    by = rng.integers(0, side - 1, n_parks) * BLOCK_M
    parks = shapely.box(bx + 20, by, bx + 60, by + 30)
    # Buildings: 8 x 8 m inside blocks, off the streets.
    hx = rng.integers(0, side - 1, n_buildings) * BLOCK_M + rng.uniform(6, 66, n_buildings)
    hy = rng.integers(0, side - 1, n_buildings) * BLOCK_M + rng.uniform(6, 66, n_buildings)
    homes = shapely.box(hx, hy, hx + 8, hy + 8)
    return lines, parks, homes


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", type=int, default=200_000)
    ap.add_argument("--buildings", type=int, default=1_000_000)
    ap.add_argument("--parks", type=int, default=10_000)
    ap.add_argument("--cutoff-m", type=float, default=500.0)
    ap.add_argument("--workers", type=int, default=None, help="threads (default: every CPU)")
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--pandana", action="store_true",
                    help="also time pandana (slow: its precompute, on the default city, > 20 min)")
    ap.add_argument("--no-old-join", action="store_true",
                    help="skip timing STRtree.query_nearest, the join's previous nearest step")
    args = ap.parse_args()
    cutoff = args.cutoff_m

    def row(name: str, sec: float) -> None:  # printed at once: a slow reference shows progress
        text = "not run" if math.isnan(sec) else f"{sec:9.2f}"
        print(f"{name:<60} {text:>9}", flush=True)

    t = time.perf_counter()
    lines, parks, homes = city(args.edges, args.buildings, args.parks)
    print(f"city: {len(lines):,} street edges, {len(parks):,} parks, {len(homes):,} buildings "
          f"(built in {time.perf_counter() - t:.1f} s)")

    timings: dict[str, float] = {}
    print(f"{'step':<60} {'seconds':>9}", flush=True)
    t0 = time.perf_counter()
    net = graph_arrays(lines)
    access = park_access_points(parks, net.lines, net.length_m)
    timings["graph arrays + park access points"] = time.perf_counter() - t0
    t = time.perf_counter()
    targets = attach(homes, net.lines, net.length_m, workers=args.workers)
    timings["join buildings to edges"] = time.perf_counter() - t
    t = time.perf_counter()
    reach = walking_reach(net.from_node, net.to_node, net.length_m, net.n_nodes, access,
                          targets, cutoff)
    timings["network distances (walking_reach)"] = search_s = time.perf_counter() - t
    timings["tanmap whole path"] = total_s = time.perf_counter() - t0
    tanmap_mb = peak_rss_mb()
    for name, sec in timings.items():
        row(name, sec)
    served = np.isfinite(reach.distance_m)
    print(f"access points: {access.park.size:,}; buildings within {cutoff:g} m on foot: "
          f"{int(served.sum()):,} ({served.mean():.1%})")
    got = reach.network_m.copy()
    got[got > cutoff * (1 + 1e-12) + 1e-9] = math.inf  # as the references' cut-off
    checks: list[str] = []
    if not args.no_old_join:
        t = time.perf_counter()
        shapely.STRtree(net.lines).query_nearest(homes, all_matches=False)
        old_s = time.perf_counter() - t
        row("ref: STRtree.query_nearest, nearest step of the previous join", old_s)
        checks.append(f"join: {timings['join buildings to edges']:.1f} s for the whole join "
                      f"against {old_s:.1f} s for the previous join's nearest step alone")

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
        t = time.perf_counter()
        ref = nx.multi_source_dijkstra_path_length(g, sources, cutoff=cutoff)
        nx_s = time.perf_counter() - t
        tnodes = fgraph.node_of[full.point_node[access.edge.size:]]
        want = np.array([ref.get(int(n), math.inf) for n in tnodes])
        ok, diff = same(got, want, 1e-6)
        del g, ref
        row("networkx graph build (all points as nodes)", build_s)
        row("networkx multi-source Dijkstra", nx_s)
        checks.append(f"same answers as networkx at all {want.size:,} buildings: {ok} (largest "
                      f"difference {diff:.2e} m); tanmap network distances {nx_s / search_s:.0f}x "
                      f"faster than networkx's search alone; tanmap whole path (with the join) "
                      f"{nx_s / total_s:.2f}x networkx's search")

    if args.pandana:
        try:
            import pandana
            import pandas as pd
        except ImportError as err:
            row("pandana", math.nan)
            checks.append(f"pandana not run: {err}")
        else:
            split, graph, src = split_graph(net, access)
            # Node coordinates only place the POIs (nearest node): one node per x, exact.
            xs = pd.Series(np.arange(graph.n_nodes, dtype=np.float64))
            t = time.perf_counter()
            pnet = pandana.Network(xs, pd.Series(np.zeros(graph.n_nodes)),
                                   pd.Series(graph.from_node), pd.Series(graph.to_node),
                                   pd.DataFrame({"length_m": graph.length_m}), twoway=True)
            pre_s = time.perf_counter() - t
            row(f"pandana {pandana.__version__} precompute (Network: contraction hierarchy)",
                pre_s)
            t = time.perf_counter()
            pnet.set_pois("access", cutoff, 1, xs.iloc[src].reset_index(drop=True),
                          pd.Series(np.zeros(src.size)))
            pois_s = time.perf_counter() - t
            row("pandana set_pois (POI precompute)", pois_s)
            t = time.perf_counter()
            near = pnet.nearest_pois(cutoff, "access", num_pois=1, max_distance=math.inf)
            node_d = near[1].to_numpy(dtype=np.float64)
            query_s = time.perf_counter() - t
            row("pandana nearest_pois (range query)", query_s)
            t = time.perf_counter()
            ends = graph.node_of
            pf, pt = node_d[ends[split.from_node]], node_d[ends[split.to_node]]
            pand = np.full(targets.edge.size, math.inf)
            okt = targets.edge >= 0
            pand[okt] = _partial_edge_distances(split, pf, pt, net.length_m, targets.edge[okt],
                                                targets.offset_m[okt])
            pand[pand > cutoff] = math.inf
            edge_s = time.perf_counter() - t
            ok, diff = same(got, pand, 0.01)
            p_total = pre_s + pois_s + query_s + edge_s
            row("pandana total (+ the same partial-edge step)", p_total)
            checks.append(f"same answers as pandana at all {pand.size:,} buildings (within "
                          f"1 cm: pandana keeps float32 distances): {ok} (largest difference "
                          f"{diff:.2e} m); tanmap network distances {p_total / search_s:.1f}x "
                          "faster than pandana with its precompute")
    row("pgRouting", math.nan)
    print(f"peak memory: tanmap path {tanmap_mb:,.0f} MB; whole run {peak_rss_mb():,.0f} MB")
    print()
    for line in checks:
        print(line)


if __name__ == "__main__":
    main()
