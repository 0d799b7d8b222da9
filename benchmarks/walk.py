"""Walking-reach benchmark: a synthetic city, tanmap's network coverage against networkx.

Usage: ``python benchmarks/walk.py [--edges 200000] [--buildings 1000000] [--parks 10000]
[--cutoff-m 500] [--no-networkx]``.

The city is a street grid (80 m blocks, 8 % of the street segments removed at random: culs-de-sac
and missing crossings), parks along streets and small buildings inside the blocks. tanmap's
figure is the whole ``park_walk_coverage`` walking path for buildings: graph arrays, park access
points, joining 1M buildings to their nearest edge, inserting them, one multi-source Dijkstra
with the cut-off. networkx runs ``multi_source_dijkstra_path_length(cutoff=...)`` on *the same*
split graph and sources (its graph build timed separately), and the answers are compared.
pandana 0.7 (the latest release) ships wheels built for numpy 1.x only and fails to import
with numpy 2, so it is reported as not run; pgRouting needs a PostgreSQL server (not run).
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np
import shapely

from tanmap.geo.walking import (
    attach,
    build_graph,
    graph_arrays,
    insert_points,
    multi_source_distances,
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", type=int, default=200_000)
    ap.add_argument("--buildings", type=int, default=1_000_000)
    ap.add_argument("--parks", type=int, default=10_000)
    ap.add_argument("--cutoff-m", type=float, default=500.0)
    ap.add_argument("--no-networkx", action="store_true")
    args = ap.parse_args()

    t = time.perf_counter()
    lines, parks, homes = city(args.edges, args.buildings, args.parks)
    print(f"city: {len(lines):,} street edges, {len(parks):,} parks, {len(homes):,} buildings "
          f"(built in {time.perf_counter() - t:.1f} s)")

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    net = graph_arrays(lines)
    access = park_access_points(parks, net.lines, net.length_m)
    timings["access points"] = time.perf_counter() - t0
    t = time.perf_counter()
    targets = attach(homes, net.lines, net.length_m)
    timings["join buildings to edges"] = time.perf_counter() - t
    t = time.perf_counter()
    reach = walking_reach(net.from_node, net.to_node, net.length_m, net.n_nodes, access,
                          targets, args.cutoff_m)
    timings["insert + graph + Dijkstra"] = time.perf_counter() - t
    total_s = time.perf_counter() - t0
    served = np.isfinite(reach.distance_m)
    print(f"access points: {access.park.size:,}; buildings within {args.cutoff_m:g} m on foot: "
          f"{int(served.sum()):,} ({served.mean():.1%})")

    # The same split graph and sources, for the search-only comparison.
    split = insert_points(net.from_node, net.to_node, net.length_m, net.n_nodes,
                          np.concatenate([access.edge, targets.edge]),
                          np.concatenate([access.offset_m, targets.offset_m]))
    graph = build_graph(split.from_node, split.to_node, split.length_m, split.n_nodes)
    sources = graph.node_of[split.point_node[: access.edge.size]]
    tnodes = graph.node_of[split.point_node[access.edge.size:]]
    t = time.perf_counter()
    dist = multi_source_distances(graph, sources, args.cutoff_m)
    search_s = time.perf_counter() - t
    rows = [("tanmap (scipy.sparse.csgraph) whole path", total_s),
            ("tanmap multi-source Dijkstra only", search_s)]
    if not args.no_networkx:
        import networkx as nx

        t = time.perf_counter()
        g = nx.Graph()
        g.add_weighted_edges_from(zip(graph.from_node.tolist(), graph.to_node.tolist(),
                                      graph.length_m.tolist(), strict=True))
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        ref = nx.multi_source_dijkstra_path_length(g, set(sources.tolist()),
                                                   cutoff=args.cutoff_m)
        nx_s = time.perf_counter() - t
        got = dist[tnodes]
        want = np.array([ref.get(int(n), math.inf) for n in tnodes])
        same = bool(np.array_equal(np.isfinite(got), np.isfinite(want)) and np.allclose(
            got[np.isfinite(got)], want[np.isfinite(want)], rtol=1e-9, atol=1e-6))
        rows += [("networkx graph build", build_s), ("networkx multi-source Dijkstra", nx_s)]
        print(f"same answers as networkx at all {tnodes.size:,} buildings: {same}; "
              f"speed-up of the search: {nx_s / search_s:.0f}x "
              f"(whole tanmap path vs networkx search: {nx_s / total_s:.1f}x)")
    rows += [("pandana 0.7", math.nan), ("pgRouting", math.nan)]
    print()
    print(f"{'step':<42} {'seconds':>9}")
    for name, sec in list(timings.items()) + rows:
        text = "not run" if math.isnan(sec) else f"{sec:9.2f}"
        print(f"{name:<42} {text:>9}")
    print(f"peak memory: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
