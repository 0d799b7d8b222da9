"""Walking network maths: hand-made graphs with literal answers, a slow reference, properties."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, box

from tanmap.geo.errors import NetworkError
from tanmap.geo.walking import (
    AccessPoints,
    NetworkAttachment,
    attach,
    build_graph,
    insert_points,
    multi_source_distances,
    nearest_edges,
    node_lines,
    park_access_points,
    reached_lines,
    service_area,
    topology_report,
    walking_reach,
)


def _reach_for(lines, parks, buildings, cutoff_m, entrances=None, entrance_park=None,
               snap_m=0.0):
    """Whole pipeline on geometries: node, access points, attach buildings, walk."""
    net = node_lines(np.array(lines, dtype=object), snap_m)
    ap = park_access_points(np.array(parks, dtype=object), net.lines, net.length_m,
                            None if entrances is None else np.array(entrances, dtype=object),
                            None if entrance_park is None else np.array(entrance_park))
    tg = attach(np.array(buildings, dtype=object), net.lines, net.length_m)
    reach = walking_reach(net.from_node, net.to_node, net.length_m, len(net.nodes_xy), ap, tg,
                          cutoff_m)
    return net, ap, reach


# --- a river with one bridge: 400 m straight, 1.2 km on foot ------------------------------
RIVER_LINES = [
    LineString([(0, 200), (400, 200)]),      # north bank street, the park's side
    LineString([(400, 200), (400, -200)]),   # the only bridge
    LineString([(400, -200), (0, -200)]),    # south bank street
]
RIVER_PARK = box(-50, 200, 50, 300)          # entered at (0, 200)
RIVER_HOME = box(-20, -210, 0, -200)         # its corner touches the south street end


def test_river_with_one_bridge_straight_400_walking_1200() -> None:
    assert shapely.distance(RIVER_HOME, RIVER_PARK) == 400.0
    _, ap, reach = _reach_for(RIVER_LINES, [RIVER_PARK], [RIVER_HOME], 5000.0,
                              entrances=[Point(0, 200)], entrance_park=[0])
    assert ap.origin.tolist() == ["entrance"]
    assert reach.distance_m.tolist() == [1200.0]
    assert reach.gap_m.tolist() == [0.0]


def test_point_exactly_at_cut_off_is_inclusive() -> None:
    _, _, at = _reach_for(RIVER_LINES, [RIVER_PARK], [RIVER_HOME], 1200.0,
                          entrances=[Point(0, 200)], entrance_park=[0])
    _, _, short = _reach_for(RIVER_LINES, [RIVER_PARK], [RIVER_HOME], 1199.99,
                             entrances=[Point(0, 200)], entrance_park=[0])
    assert at.distance_m.tolist() == [1200.0]
    assert short.distance_m.tolist() == [math.inf]


def test_park_with_two_entrances_uses_the_nearer() -> None:
    street = [LineString([(0, 0), (1000, 0)])]
    park = box(-100, 10, 1100, 100)
    home = Point(700, -5)                    # 5 m off the street, 300 m from the east gate
    _, ap, reach = _reach_for(street, [park], [home], 500.0,
                              entrances=[Point(0, 10), Point(1000, 10)], entrance_park=[0, 0])
    assert ap.origin.tolist() == ["entrance", "entrance"]
    assert ap.gap_m.tolist() == [10.0, 10.0]          # gate to street walked too
    assert reach.distance_m.tolist() == [10.0 + 300.0 + 5.0]
    assert reach.network_m.tolist() == [310.0]


def test_partial_edge_and_building_off_the_network() -> None:
    # Source at node 0; a building 20 m off the middle of a 100 m edge 1-2.
    ap = AccessPoints(np.array([0]), np.array(["entrance"], dtype=object), np.array([0]),
                      np.array([Point(0, 0)]), np.array([0]), np.array([0.0]), np.array([0.0]))
    tg = NetworkAttachment(np.array([1]), np.array([30.0]), np.array([20.0]),
                           np.array([Point(130, 0)]))
    reach = walking_reach([0, 1], [1, 2], [100.0, 100.0], 3, ap, tg, 150.0)
    assert reach.distance_m.tolist() == [150.0]
    assert reach.network_m.tolist() == [130.0]
    pieces, edge = reached_lines(np.array([LineString([(0, 0), (100, 0)]),
                                           LineString([(100, 0), (200, 0)])]),
                                 np.array([100.0, 100.0]), reach)
    walked = np.bincount(edge, weights=shapely.length(pieces))
    assert walked.tolist() == [100.0, 50.0]       # 50 m into the second edge, not beyond


def test_two_points_on_one_edge_walk_along_it() -> None:
    # A 1 km edge between two far nodes; park access at 400 m, building at 450 m.
    ap = AccessPoints(np.array([0]), np.array(["boundary_crossing"], dtype=object),
                      np.array([-1]), np.array([Point(400, 0)]), np.array([0]),
                      np.array([400.0]), np.array([0.0]))
    tg = NetworkAttachment(np.array([0]), np.array([450.0]), np.array([0.0]),
                           np.array([Point(450, 0)]))
    reach = walking_reach([0], [1], [1000.0], 2, ap, tg, 60.0)
    assert reach.distance_m.tolist() == [50.0]


def test_disconnected_component_is_unreachable_and_reported() -> None:
    lines = [LineString([(0, 0), (100, 0)]), LineString([(100, 0), (200, 0)]),
             LineString([(0, 50), (30, 50)])]          # an island 50 m away
    park = box(-20, -20, -10, 20)
    home = Point(15, 55)
    net, ap, reach = _reach_for(lines, [park], [home], 1e6)
    assert ap.origin.tolist() == ["nearest_network"]
    assert ap.gap_m.tolist() == [10.0]
    assert reach.distance_m.tolist() == [math.inf]
    report = topology_report(net.from_node, net.to_node, net.length_m)
    assert (report.n_components, report.disconnected_length_m, report.dangles) == (2, 30.0, 4)
    assert report.largest_component_length_m == 200.0


def test_access_points_cross_the_boundary_and_record_origin() -> None:
    # A street passes through the park: two crossings; a second park has no path near it.
    lines = [LineString([(-100, 50), (200, 50)])]
    parks = [box(0, 0, 100, 100), box(300, 40, 310, 60)]
    net = node_lines(np.array(lines, dtype=object), 0.0)
    ap = park_access_points(np.array(parks, dtype=object), net.lines, net.length_m)
    assert ap.park.tolist() == [0, 0, 1]
    assert ap.origin.tolist() == ["boundary_crossing", "boundary_crossing", "nearest_network"]
    assert ap.offset_m.tolist() == [100.0, 200.0, 300.0]
    assert ap.gap_m.tolist() == [0.0, 0.0, 100.0]


def test_entrances_of_one_park_do_not_stop_crossings_of_another() -> None:
    lines = [LineString([(-100, 50), (300, 50)])]
    parks = [box(0, 0, 100, 100), box(200, 0, 250, 100)]
    net = node_lines(np.array(lines, dtype=object), 0.0)
    ap = park_access_points(np.array(parks, dtype=object), net.lines, net.length_m,
                            np.array([Point(0, 60)]), np.array([0]))
    assert list(zip(ap.park.tolist(), ap.origin.tolist(), strict=False)) == [
        (0, "entrance"), (1, "boundary_crossing"), (1, "boundary_crossing")]


def test_noding_splits_crossings_and_snaps_short_ends() -> None:
    cross = node_lines(np.array([LineString([(0, 0), (10, 0)]), LineString([(5, -5), (5, 5)])]))
    assert sorted(cross.length_m.tolist()) == [5.0, 5.0, 5.0, 5.0]
    assert len(cross.nodes_xy) == 5
    assert cross.source_row.tolist().count(0) == 2
    # A T-junction drawn 0.5 m short: joined within 1 m, left as a dangle within 0.1 m.
    gap = np.array([LineString([(0, 0), (10, 0)]), LineString([(5, 0.5), (5, 5)])])
    joined = node_lines(gap, 1.0)
    assert joined.snapped == 1
    assert sorted(joined.length_m.tolist()) == [5.0, 5.0, 5.0]
    rep = topology_report(joined.from_node, joined.to_node, joined.length_m,
                          snapped=joined.snapped, snap_tolerance_m=1.0)
    assert (rep.n_components, rep.dangles, rep.snapped) == (1, 3, 1)
    apart = node_lines(gap, 0.1)
    rep = topology_report(apart.from_node, apart.to_node, apart.length_m)
    assert (len(apart.lines), rep.n_components, rep.disconnected_length_m) == (2, 2, 4.5)


def test_two_near_ends_snap_to_one_node() -> None:
    lines = np.array([LineString([(0, 0), (10, 0)]), LineString([(10.4, 0.3), (20, 0)])])
    net = node_lines(lines, 1.0)
    assert net.snapped == 1
    assert len(net.nodes_xy) == 3
    assert topology_report(net.from_node, net.to_node, net.length_m).n_components == 1


def test_graph_keeps_shortest_parallel_edge_and_merges_zero_length() -> None:
    g = build_graph([0, 0, 1, 2], [1, 1, 2, 3], [7.0, 3.0, 0.0, 4.0])
    assert g.n_nodes == 3
    assert g.node_of.tolist() == [0, 1, 1, 2]
    d = multi_source_distances(g, [0])
    assert d.tolist() == [0.0, 3.0, 7.0]


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(NetworkError, match=r"edge 1 has length_m -1\.0"):
        build_graph([0, 1], [1, 2], [1.0, -1.0])
    with pytest.raises(NetworkError, match="cutoff_m"):
        multi_source_distances(build_graph([0], [1], [1.0]), [0], -5.0)
    with pytest.raises(NetworkError, match="snap_tolerance_m"):
        node_lines(np.array([LineString([(0, 0), (1, 0)])]), math.nan)


def test_empty_inputs() -> None:
    net = node_lines(np.array([], dtype=object))
    assert len(net.lines) == 0
    assert topology_report(net.from_node, net.to_node, net.length_m).n_edges == 0
    ap = park_access_points(np.array([box(0, 0, 1, 1)]), net.lines, net.length_m)
    assert ap.park.size == 0
    assert service_area(np.array([], dtype=object), 10.0).is_empty


def test_insert_points_shares_a_node_and_keeps_ends() -> None:
    s = insert_points([0], [1], [10.0], 2, [0, 0, 0, 0], [0.0, 4.0, 4.0, 10.0])
    assert s.point_node.tolist() == [0, 2, 2, 1]
    assert s.length_m.tolist() == [4.0, 6.0]
    assert s.start_m.tolist() == [0.0, 4.0]


# --- slow, obvious reference -----------------------------------------------------------------
def _slow_dijkstra(n, edges, src):
    adj = {i: [] for i in range(n)}
    for a, b, w in edges:
        adj[a].append((b, w))
        adj[b].append((a, w))
    dist = [math.inf] * n
    dist[src] = 0.0
    heap = [(0.0, src)]
    while heap:
        d, a = heapq.heappop(heap)
        if d > dist[a]:
            continue
        for b, w in adj[a]:
            if d + w < dist[b]:
                dist[b] = d + w
                heapq.heappush(heap, (d + w, b))
    return dist


def _reference(n, edges, sources, targets, cutoff_m):
    """Distance from each source point to each target point, minimised, by endpoint cases."""
    full = [_slow_dijkstra(n, edges, i) for i in range(n)]
    out = []
    for te, tt, tgap in targets:
        ta, tb, tw = edges[te]
        best = math.inf
        for se, st_, sgap in sources:
            sa, sb, sw = edges[se]
            cand = [st_ + full[sa][x] + d for x, d in ((ta, tt), (tb, tw - tt))]
            cand += [sw - st_ + full[sb][x] + d for x, d in ((ta, tt), (tb, tw - tt))]
            if se == te:
                cand.append(abs(st_ - tt))
            best = min(best, sgap + min(cand))
        total = best + tgap
        out.append(total if total <= cutoff_m else math.inf)
    return out


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_fast_path_agrees_with_slow_reference(data: st.DataObject) -> None:
    n = data.draw(st.integers(2, 9))
    m = data.draw(st.integers(1, 14))
    lengths = st.floats(1.0, 100.0, allow_nan=False).map(lambda x: round(x, 3))
    edges = [(data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1)),
              data.draw(lengths)) for _ in range(m)]

    def point() -> tuple[int, float, float]:
        e = data.draw(st.integers(0, m - 1))
        t = data.draw(st.floats(0.0, 1.0)) * edges[e][2]
        return e, t, data.draw(st.sampled_from([0.0, 0.0, 7.5]))

    sources = [point() for _ in range(data.draw(st.integers(1, 3)))]
    targets = [point() for _ in range(data.draw(st.integers(1, 5)))]
    cutoff_m = data.draw(st.sampled_from([50.0, 150.0, 1e9]))
    ap = AccessPoints(np.arange(len(sources)), np.array(["entrance"] * len(sources), dtype=object),
                      np.arange(len(sources)), np.array([Point(0, 0)] * len(sources)),
                      np.array([s[0] for s in sources]), np.array([s[1] for s in sources]),
                      np.array([s[2] for s in sources]))
    tg = NetworkAttachment(np.array([t[0] for t in targets]), np.array([t[1] for t in targets]),
                           np.array([t[2] for t in targets]), np.array([None] * len(targets)))
    u, v, w = (np.array(x) for x in zip(*edges, strict=True))
    got = walking_reach(u, v, w, n, ap, tg, cutoff_m).distance_m
    want = _reference(n, edges, sources, targets, cutoff_m)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


# --- properties on random street grids --------------------------------------------------------
coords = st.integers(0, 20).map(lambda k: k * 50.0)
segments = st.lists(st.tuples(coords, coords, coords, coords).filter(
    lambda c: (c[0], c[1]) != (c[2], c[3])), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(segments, st.lists(st.tuples(coords, coords), min_size=1, max_size=6),
       st.floats(100.0, 1500.0), st.randoms(use_true_random=False))
def test_walking_never_beats_the_straight_line(segs, homes, cutoff_m, rnd) -> None:
    lines = [LineString([(a, b), (c, d)]) for a, b, c, d in segs]
    park = box(480, 480, 520, 520)
    buildings = [Point(x + 3, y + 4) for x, y in homes]
    _, _, reach = _reach_for(lines, [park], buildings, cutoff_m)
    straight = shapely.distance(np.array(buildings), park)
    d = reach.distance_m
    assert np.all(d[np.isfinite(d)] >= straight[np.isfinite(d)] - 1e-6)
    # Walking coverage <= radius coverage for the same park and distance.
    assert np.isfinite(d).sum() <= (straight <= cutoff_m).sum()
    # Monotone in the cut-off: everything within a shorter walk is within a longer one.
    _, _, shorter = _reach_for(lines, [park], buildings, cutoff_m / 2)
    assert np.all(np.isfinite(d)[np.isfinite(shorter.distance_m)])
    np.testing.assert_allclose(shorter.distance_m[np.isfinite(shorter.distance_m)],
                               d[np.isfinite(shorter.distance_m)])
    # Unchanged by the order of the street rows.
    order = list(range(len(lines)))
    rnd.shuffle(order)
    _, _, shuffled = _reach_for([lines[i] for i in order], [park], buildings, cutoff_m)
    np.testing.assert_allclose(shuffled.distance_m, d, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(segments, st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=12,
                          max_size=12), st.sampled_from([0.0, 1.0, 5.0]))
def test_noding_leaves_no_crossing_between_edges(segs, jitter, snap_m) -> None:
    # Lattice segments with their first ends moved up to 3 m: some ends fall short of a line,
    # some overshoot it, some lie near a sloping line.
    lines = np.array([LineString([(a + dx, b + dy), (c, d)])
                      for (a, b, c, d), (dx, dy) in zip(segs, jitter, strict=False)], dtype=object)
    net = node_lines(lines, snap_m)
    assert np.all(net.length_m > 0)
    # Noded: two edges meet only at end nodes they share (no crossing, no overlap).
    tree = shapely.STRtree(net.lines)
    for i, j in zip(*tree.query(net.lines, predicate="intersects"), strict=True):
        if i >= j:
            continue
        meet = shapely.intersection(net.lines[i], net.lines[j])
        assert meet.geom_type in ("Point", "MultiPoint"), (i, j, meet)
        shared = {int(net.from_node[i]), int(net.to_node[i])} & {int(net.from_node[j]),
                                                                  int(net.to_node[j])}
        assert len(shared) == len(shapely.get_parts(meet)), (i, j, meet)


def test_snapping_does_not_fold_a_line_back_onto_one_it_meets() -> None:
    # The short line already meets the long one at (0, 0); its far end is 10 m from it.
    lines = np.array([LineString([(0, 0), (150, 200)]), LineString([(0, 0), (50, 50)])])
    net = node_lines(lines, 10.0)
    assert net.snapped == 0
    assert sorted(net.length_m.round(9).tolist()) == [round(50 * math.sqrt(2), 9), 250.0]


@pytest.mark.parametrize("x", [13.7, 33.3, 41.9, 77.7, 91.1])
def test_end_snapped_onto_a_sloping_line_is_joined_exactly(x: float) -> None:
    # A side street ends 4 m short of a sloping street (y = 0.37 x): after snapping, one graph.
    slope = np.array([LineString([(0, 0), (100, 37)])])
    side = np.array([LineString([(x, 0.37 * x + 4.3), (x, 0.37 * x + 60)])])
    net = node_lines(np.concatenate([slope, side]), 5.0)
    assert net.snapped == 1
    rep = topology_report(net.from_node, net.to_node, net.length_m)
    assert (rep.n_components, len(net.lines), rep.dangles) == (1, 3, 3)


# --- the bulk nearest-edge join against brute force -------------------------------------------
@settings(max_examples=60, deadline=None)
@given(segments, st.lists(st.tuples(st.integers(-40, 60).map(lambda k: k * 25.0),
                                    st.integers(-40, 60).map(lambda k: k * 25.0),
                                    st.sampled_from([0.0, 3.0, 30.0])),
                          min_size=1, max_size=25),
       st.sampled_from([1.0, 30.0]), st.sampled_from([1, 2]))
def test_bulk_nearest_edge_is_the_brute_force_one(segs, feats, search_m, workers) -> None:
    lines = np.array([LineString([(a, b), (c, d)]) for a, b, c, d in segs], dtype=object)
    # Points and squares, some far beyond every window (the per-feature fallback), one empty.
    geoms = np.array([Point(x, y) if s == 0 else box(x, y, x + s, y + s) for x, y, s in feats]
                     + [Point()], dtype=object)
    got = nearest_edges(geoms, shapely.STRtree(lines), lines, search_m=search_m)
    for i, g in enumerate(geoms[:-1]):
        d = shapely.distance(g, lines)
        assert got[i] == int(np.flatnonzero(d == d.min())[0]), i  # lowest index of the nearest
    assert got[-1] == -1
    at = attach(geoms, lines, shapely.length(lines), workers=workers)
    assert at.edge.tolist() == got.tolist()
    assert np.isinf(at.gap_m[-1])


def test_attach_on_two_threads_is_bit_identical_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import tanmap.geo.walking as walking

    rng = np.random.default_rng(3)
    lines = shapely.linestrings(rng.uniform(0, 10_000, (400, 2, 2)))
    x, y = rng.uniform(0, 10_000, (2, 3000))
    homes = shapely.box(x, y, x + 9, y + 9)
    monkeypatch.setattr(walking, "ATTACH_TILE_FEATURES", 200)  # several tiles on this input
    assert len(walking.spatial_tiles(homes, min_features=200)) > 5
    one = attach(homes, lines, shapely.length(lines), workers=1)
    two = attach(homes, lines, shapely.length(lines), workers=2)
    for a, b in ((one.edge, two.edge), (one.offset_m, two.offset_m), (one.gap_m, two.gap_m)):
        assert np.array_equal(a, b)
    assert (one.edge >= 0).all()
