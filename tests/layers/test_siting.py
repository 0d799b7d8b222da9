"""Siting on the store: demand from residential land, existing sites kept, candidates, saving."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from tanmap.geo.errors import LayerNotFoundError, MetricParameterError, UnreachableTargetError
from tanmap.layers.kinds import SITING_KINDS
from tanmap.layers.siting import (
    SITING_DEFAULTS,
    plan_question,
    plan_sites,
    save_planned_sites,
)
from tanmap.layers.store import GeoPackageStore, open_store

CODE = "T01"
EPSG = 4548
#: The district: the 1 km square [X0, X0 + 1000] x [Y0, Y0 + 1000] in EPSG:4548 metres.
X0, Y0 = 500_000.0, 4_330_000.0


def metres(geoms: list, **columns: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=EPSG).to_crs(4326)


def sq(x: float, y: float, side: float) -> box:
    return box(X0 + x, Y0 + y, X0 + x + side, Y0 + y + side)


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    """The store of :func:`build_store`."""
    return build_store(tmp_path / "site.gpkg")


def build_store(path: Path) -> GeoPackageStore:
    """Two 100 m blocks of homes: SW (R1) at the origin corner, NE (R2) at the far corner.

    A completed 20 m pocket garden E1 just east of R1 serves it (300 m); nothing serves R2
    (its four 50 m demand cells have their points within 75 m of (950, 950)). Lots: C1, 20 m
    at (800, 800) (cost 50, 219 m from R2's far cell), C2 at (400, 400) (cost 10, ~700 m from R2).
    W / E are the west and east halves (街道); a transfer station stands in W.
    """
    s = open_store(path, create=True)
    assert isinstance(s, GeoPackageStore)
    s.put_district(metres([sq(0, 0, 1000)], adcode=[CODE], name=["试验区"],
                          planning_epsg=[EPSG]))
    s.write("residential_land", metres([sq(0, 0, 100), sq(900, 900, 100)], id=["R1", "R2"]),
            district=CODE)
    s.write("pocket_garden", metres([sq(100, 0, 20)], id=["E1"], status=["completed"]),
            district=CODE)
    s.write("candidate_site", metres(
        [sq(800, 800, 20), sq(400, 400, 20)], id=["C1", "C2"], cost_wan_yuan=[50.0, 10.0],
        origin=["file", "file"], land_use=["空地", "边角地"]), district=CODE)
    halves = [box(X0, Y0, X0 + 500, Y0 + 1000), box(X0 + 500, Y0, X0 + 1000, Y0 + 1000)]
    s.write("subdistrict", metres(halves, id=["W", "E"], name=["西街道", "东街道"]), district=CODE)
    s.write("transfer_station", metres([Point(X0 + 250, Y0 + 500)], id=["T1"]), district=CODE)
    return s


def test_every_siting_kind_has_defaults() -> None:
    assert set(SITING_DEFAULTS) == set(SITING_KINDS)


def test_max_cover_picks_the_lot_near_the_unserved_block(store: GeoPackageStore) -> None:
    run = plan_sites(store, CODE, "pocket_garden", count=1)
    assert run.candidate_source == "store"
    assert run.sites["id"].tolist() == ["C1"]
    assert run.sites["rank"].tolist() == [1]
    assert run.sites["gain_m2"].tolist() == pytest.approx([10_000.0], abs=0.5)
    assert run.result.share_before == pytest.approx(0.5)
    assert run.result.share_after == pytest.approx(1.0)
    assert run.n_demand == 8  # 4 cells of 50 m per block
    assert run.demand is not None
    served = run.demand.groupby("served")["weight"].sum().to_dict()
    assert served == pytest.approx({"before": 10_000.0, "new": 10_000.0}, abs=0.5)
    assert run.sites.crs.to_epsg() == 4326
    payload = run.to_dict()
    assert payload["sites"][0]["id"] == "C1"
    assert payload["mip_gap"] == 0.0


def test_set_cover_and_unreachable_named(store: GeoPackageStore) -> None:
    run = plan_sites(store, CODE, "pocket_garden", target_share=1.0)
    assert run.sites["id"].tolist() == ["C1"]
    far_only = store.read("candidate_site", district=CODE)
    far_only = far_only[far_only["id"] == "C2"]
    with pytest.raises(UnreachableTargetError, match=r"at most 50\.0%.*4 demand unit.*R2#") as err:
        plan_sites(store, CODE, "pocket_garden", target_share=1.0, candidates=far_only)
    assert sorted(err.value.unreachable) == ["R2#1", "R2#2", "R2#3", "R2#4"]


def test_budget_too_small(store: GeoPackageStore) -> None:
    with pytest.raises(UnreachableTargetError, match=r"budget of 20 .* costs 50"):
        plan_sites(store, CODE, "pocket_garden", target_share=1.0, budget=20.0)
    run = plan_sites(store, CODE, "pocket_garden", count=2, budget=20.0)
    assert run.sites.empty  # C2 is affordable but serves nobody new


def test_generated_candidates_lie_in_the_gap(store: GeoPackageStore) -> None:
    store.write_empty("candidate_site", district=CODE)
    run = plan_sites(store, CODE, "pocket_garden", count=1)
    assert run.candidate_source == "grid"
    lots = run.candidates.to_crs(EPSG)
    assert (lots["origin"] == "grid").all()
    assert lots["origin_detail"].str.startswith("grid 100 m; size 400-10000 m²").all()
    assert (lots.area >= 400 - 1e-6).all()
    # Every lot is within 300 m of a cell point of R2 (the gap), and none takes the garden E1.
    r2_centre = Point(X0 + 950, Y0 + 950)
    assert (lots.distance(r2_centre) <= 300 + 75).all()
    assert not lots.intersects(sq(100, 0, 20).buffer(-0.01)).any()
    assert run.result.share_after == pytest.approx(1.0)


def test_per_unit_counts_the_existing_station(store: GeoPackageStore) -> None:
    run = plan_sites(store, CODE, "transfer_station", min_count=1)
    assert run.model == "per_unit"
    assert run.result.extra["deficit_before"] == {"E": 1}
    assert run.sites["unit_id"].tolist() == ["E"]
    assert run.sites["id"].tolist() == ["C1"]  # the only lot in E


def test_model_choice_is_checked(store: GeoPackageStore) -> None:
    with pytest.raises(MetricParameterError, match="exactly one of count"):
        plan_sites(store, CODE, "pocket_garden", count=1, target_share=0.9)
    with pytest.raises(MetricParameterError, match="cannot site 'building'"):
        plan_sites(store, CODE, "building", count=1)
    with pytest.raises(MetricParameterError, match="sited by coverage"):
        plan_sites(store, CODE, "pocket_garden", min_count=1)
    with pytest.raises(LayerNotFoundError, match="no planning zone of type 'core_area'"):
        plan_sites(store, CODE, "pocket_garden", count=1, zone_type="core_area")


def test_saved_sites_are_planned_features(store: GeoPackageStore) -> None:
    run = plan_sites(store, CODE, "pocket_garden", count=1)
    version = save_planned_sites(store, run, 2027)
    assert version.n_features == 2
    gardens = store.read("pocket_garden", district=CODE)
    planned = gardens[gardens["id"] == "SITE-C1"].iloc[0]
    assert planned["status"] == "planned"
    assert planned["planned_year"] == 2027
    # Planned sites do not count as built: the same question gives the same answer.
    assert plan_sites(store, CODE, "pocket_garden", count=1).sites["id"].tolist() == ["C1"]


def test_plan_question_sets_the_model_or_says_which_plans_ask(store: GeoPackageStore) -> None:
    assert plan_question("430781", "charging_station").options() == {
        "target_share": 1.0, "radius_m": 2000.0, "zone_type": "core_area"}
    with pytest.raises(MetricParameterError, match=r"plan of T01 sets no siting target.*"
                                                   r"120101 pocket_garden"):
        plan_sites(store, CODE, "pocket_garden", plan=True)
    with pytest.raises(MetricParameterError, match="the plan sets the question"):
        plan_sites(store, "120101", "pocket_garden", plan=True, count=3)


def test_a_zone_without_homes_is_named(store: GeoPackageStore) -> None:
    """A core zone over the empty middle of the district holds no residential land."""
    store.write("planning_zone", metres([sq(300, 300, 300)], id=["Z1"], zone_type=["core_area"]),
                district=CODE)
    with pytest.raises(LayerNotFoundError, match=r"no residential land .* planning zone "
                                                 "'core_area'"):
        plan_sites(store, CODE, "charging_station", count=1, zone_type="core_area")


def test_zero_gain_lots_are_left_out_and_ids_kept(store: GeoPackageStore) -> None:
    """Three lots: C1 near R2 (10,000 m²), a lot near R1 (already served: gains nothing), and
    a lot with an HTML id; ids pass through untouched (the map escapes them)."""
    lots = metres([sq(800, 800, 20), sq(150, 150, 20), sq(860, 860, 20)],
                  id=["C1", "<img src=x onerror=alert(1)>", "C3"], origin=["file"] * 3)
    run = plan_sites(store, CODE, "pocket_garden", count=3, candidates=lots)
    assert run.candidate_source == "file"
    assert len(run.sites) == 1  # one lot serves all of R2; the others add nothing
    assert run.sites["id"].iloc[0] in {"C1", "C3"}
    assert "<img src=x onerror=alert(1)>" in run.candidates["id"].tolist()


# --------------------------------------------------------------------------- demand and distance


def _homes(store: GeoPackageStore, population: list[float | None]) -> None:
    """Residential buildings: H1 in R1 (served by E1), H2-H4 in R2 (unserved); a shop in R2."""
    store.write("building", metres(
        [sq(10, 10, 10), sq(910, 910, 10), sq(960, 910, 10), sq(930, 960, 10), sq(970, 970, 10)],
        id=["H1", "H2", "H3", "H4", "S1"],
        use_category=["residential"] * 4 + ["commercial_industrial"],
        population=[*population, 99.0]), district=CODE)


def test_demand_by_buildings_and_by_residents(store: GeoPackageStore) -> None:
    _homes(store, [5.0, 10.0, 20.0, 30.0])
    homes = plan_sites(store, CODE, "pocket_garden", count=1, demand="buildings")
    assert homes.n_demand == 4  # the shop is not demand
    assert homes.result.share_before == pytest.approx(1 / 4)
    assert homes.result.share_after == 1.0
    assert homes.sites[["id", "gain", "gain_unit"]].values.tolist() == [["C1", 3.0, "buildings"]]
    people = plan_sites(store, CODE, "pocket_garden", count=1, demand="population")
    assert people.result.total_weight == 65.0
    assert people.result.share_before == pytest.approx(5 / 65)
    assert people.sites["gain"].tolist() == [60.0]
    assert people.to_dict()["weight_unit"] == "residents"


def test_population_demand_names_the_missing_field(store: GeoPackageStore) -> None:
    _homes(store, [None, None, None, None])
    with pytest.raises(LayerNotFoundError, match=r"field 'population' \(居住人口\) is empty.*"
                                                 r"--demand buildings|demand='buildings'"):
        plan_sites(store, CODE, "pocket_garden", count=1, demand="population")
    with pytest.raises(MetricParameterError, match="unknown demand 'people'"):
        plan_sites(store, CODE, "pocket_garden", count=1, demand="people")


def test_per_unit_refuses_demand_and_distance(store: GeoPackageStore) -> None:
    with pytest.raises(MetricParameterError, match=r"demand and distance do not apply.*"
                                                   r"distance='network'"):
        plan_sites(store, CODE, "transfer_station", min_count=1, distance="network")


def test_area_demand_covers_the_whole_district(store: GeoPackageStore) -> None:
    run = plan_sites(store, CODE, "charging_station", count=1, radius_m=400.0, demand="area")
    assert run.result.total_weight == pytest.approx(1_000_000.0, rel=1e-6)
    assert run.n_demand == 400  # 50 m cells of the 1 km square
    assert run.result.share_before == 0.0  # no charging station yet
    # C2 (the 20 m lot at 400-420 m) reaches the most 50 m cell centres within 400 m.
    lot = box(400, 400, 420, 420)
    centres = [Point(25 + 50 * i, 25 + 50 * j) for i in range(20) for j in range(20)]
    expected = sum(lot.distance(c) <= 400 for c in centres)
    assert run.sites["id"].tolist() == ["C2"]
    assert run.result.share_after == pytest.approx(expected * 2500 / 1e6, rel=1e-6)


def _streets(store: GeoPackageStore, *, shortcut: bool) -> None:
    """A detour from lot C1 down to y=0, east and up x=990; optionally a diagonal C1 -> R2."""
    from shapely import LineString

    pts = [[(810, 810), (810, 0)], [(810, 0), (990, 0)], [(990, 0), (990, 890)]]
    if shortcut:
        pts.append([(810, 810), (960, 960)])
    lines = [LineString([(X0 + x, Y0 + y) for x, y in p]) for p in pts]
    store.write("walk_network", metres(lines, id=[f"w{i}" for i in range(len(lines))],
                                       length_m=[line.length for line in lines]),
                district=CODE)


def test_walking_distance_needs_a_path(store: GeoPackageStore) -> None:
    """C1 is 219 m or less from R2's cells in a straight line, ~1,900 m on foot by the detour."""
    straight = plan_sites(store, CODE, "pocket_garden", count=1, candidates=_lots(store))
    assert straight.sites["id"].tolist() == ["C1"]
    with pytest.raises(LayerNotFoundError, match=r"no walkable walk_network.*"
                                                 r"distance='straight'"):
        plan_sites(store, CODE, "pocket_garden", count=1, distance="network")
    _streets(store, shortcut=False)
    detour = plan_sites(store, CODE, "pocket_garden", count=1, distance="network",
                        candidates=_lots(store))
    assert detour.sites.empty  # no lot brings any home within a 300 m walk
    # E1 (by R1, far from every street) is entered at its nearest street point, 800 m off:
    # on foot it serves nobody.
    assert detour.result.share_before == 0.0
    _streets(store, shortcut=True)
    direct = plan_sites(store, CODE, "pocket_garden", count=1, distance="network",
                        candidates=_lots(store))
    assert direct.sites["id"].tolist() == ["C1"]
    assert direct.result.share_after == pytest.approx(0.5)  # R2 by the diagonal
    assert direct.to_dict()["distance"] == "network"


def _lots(store: GeoPackageStore) -> gpd.GeoDataFrame:
    return store.read("candidate_site", district=CODE)
