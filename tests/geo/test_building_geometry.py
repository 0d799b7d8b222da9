"""How a building counts in building-weighted park coverage: footprint, centroid or entrances.

Geometry (EPSG:4548, metres), every park serving 300 m (``radius_m=300``):

* park P = [0, 100] × [400, 450] (G12, 5000 m²);
* building B1 = [0, 100] × [-200, 250]: footprint 150 m from P (served), centroid (50, 25) 375 m
  from P (not served); south door (50, -200) 600 m away, north door (50, 250) 150 m away;
* building B2 = [200, 300] × [0, 100]: nearest corner (200, 100) is √(100² + 300²) = 316.2 m
  from P's corner (100, 400): not served by any test.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPoint, Point, Polygon, box

from tanmap.geo.building_geometry import building_test_geometries
from tanmap.geo.coverage import METRIC_DEFS, ParkCoverageParams, covered_mask, park_coverage
from tanmap.geo.errors import CRSMismatchError
from tanmap.geo.metric import MetricContext, params_from_mapping
from tests.strategies import EPSG_M, boxes_m

CRS = 4548
PARK = box(0, 400, 100, 450)
B1 = box(0, -200, 100, 250)
B2 = box(200, 0, 300, 100)
SOUTH_DOOR, NORTH_DOOR = Point(50, -200), Point(50, 250)


def frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


PARKS = frame([{"id": "P", "park_class": "G12"}], [PARK])
HOMES = frame([{"id": "B1", "use_category": "residential"},
               {"id": "B2", "use_category": "residential"}], [B1, B2])
LAND = frame([{"id": "R"}], [box(0, -200, 300, 250)])


def doors(*points_and_ids: tuple[Point, str]) -> gpd.GeoDataFrame:
    return frame([{"id": f"e{i}", "building_id": b} for i, (_, b) in enumerate(points_and_ids)],
                 [p for p, _ in points_and_ids])


def test_hand_checked_distances() -> None:
    assert shapely.distance(B1, PARK) == 150.0
    assert shapely.distance(shapely.centroid(B1), PARK) == 375.0
    assert shapely.distance(B2, PARK) == pytest.approx(316.227766, abs=1e-6)
    assert shapely.distance(SOUTH_DOOR, PARK) == 600.0
    assert shapely.distance(NORTH_DOOR, PARK) == 150.0


@pytest.mark.parametrize(
    ("test", "entrances", "covered", "without_entrance"),
    [
        ("footprint", None, 1, 0),
        ("centroid", None, 0, 0),
        ("entrance", doors((SOUTH_DOOR, "B1")), 0, 1),          # B2 falls back to its footprint
        ("entrance", doors((SOUTH_DOOR, "B1"), (NORTH_DOOR, "B1")), 1, 1),
    ],
    ids=["footprint-within-300", "centroid-375-m", "south-door-600-m", "north-door-150-m"],
)
def test_building_test_decides_which_buildings_are_served(
    test: str, entrances: gpd.GeoDataFrame | None, covered: int, without_entrance: int
) -> None:
    report = park_coverage(LAND, PARKS, buildings=HOMES, radius_m=300.0, building_test=test,
                           building_entrances=entrances)
    assert (report.buildings_total, report.buildings_covered) == (2, covered)
    assert report.building_share == covered / 2
    assert report.details["extra_building_test"] == test
    assert report.details["extra_buildings_without_entrance"] == without_entrance
    # The land figure does not depend on how buildings are tested.
    assert report.share == park_coverage(LAND, PARKS, radius_m=300.0).share


def test_population_follows_the_building_test() -> None:
    homes = HOMES.assign(population=[300.0, 100.0])
    foot = park_coverage(LAND, PARKS, buildings=homes, radius_m=300.0)
    cent = park_coverage(LAND, PARKS, buildings=homes, radius_m=300.0, building_test="centroid")
    assert (foot.population_share, cent.population_share) == (0.75, 0.0)


def test_concave_building_centroid_can_be_served_when_its_footprint_is_not() -> None:
    """A U-shaped block around a courtyard garden: the centroid lies in the courtyard.

    U = [0, 100]² minus the courtyard [10, 90] × [10, 100]; pieces 1000 m² at (50, 5) and
    2 × 900 m² at (5|95, 55) put the centroid at (50, 37.14), outside the footprint. The garden
    [45, 55]² is 35 m from every wall but 7.86 m from the centroid.
    """
    u_shape = Polygon([(0, 0), (100, 0), (100, 100), (90, 100), (90, 10), (10, 10), (10, 100),
                       (0, 100)])
    garden = frame([{"id": "G", "park_class": "G14"}], [box(45, 45, 55, 55)])
    homes = frame([{"id": "U"}], [u_shape])
    centroid = building_test_geometries(homes, "centroid").geometry.iloc[0]
    assert (round(centroid.x, 6), round(centroid.y, 6)) == (50.0, round(104_000 / 2800, 6))
    assert not centroid.within(u_shape)
    land = frame([{"id": "R"}], [box(0, 0, 100, 100)])

    def served(test: str, radius_m: float) -> int:
        return park_coverage(land, garden, buildings=homes, radius_m=radius_m,
                             building_test=test).buildings_covered

    assert (served("footprint", 20.0), served("centroid", 20.0)) == (0, 1)
    assert (served("footprint", 35.0), served("centroid", 35.0)) == (1, 1)
    assert (served("footprint", 7.8), served("centroid", 7.8)) == (0, 0)


def test_entrances_join_by_district_and_id() -> None:
    """Two districts each have a building "B1": an entrance belongs to its own district's."""
    homes = frame([{"id": "B1", "district": "A"}, {"id": "B1", "district": "B"}],
                  [box(0, 0, 10, 10), box(1000, 0, 1010, 10)])
    entrances = frame([{"id": "e", "building_id": "B1", "district": "B"}], [Point(1000, 5)])
    got = building_test_geometries(homes, "entrance", entrances)
    assert got.geometry.iloc[0].equals(box(0, 0, 10, 10))  # A's B1 keeps its footprint
    assert got.geometry.iloc[1].equals(MultiPoint([(1000, 5)]))
    assert (got.without_entrance, got.entrances_unmatched) == (1, 0)


def test_unmatched_and_empty_entrances_are_counted_not_used() -> None:
    entrances = frame([{"building_id": "B9"}, {"building_id": "B1"}, {"building_id": None}],
                      [Point(0, 0), Point(50, 250), Point(1, 1)])
    got = building_test_geometries(HOMES, "entrance", entrances)
    assert got.entrances_unmatched == 2
    assert got.geometry.iloc[0].equals(MultiPoint([(50, 250)]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"test": "roof"}, ValueError, r"building test 'roof' is not one of \['footprint'"),
        ({"test": "entrance"}, ValueError, r"needs a building_entrance layer"),
        ({"test": "entrance", "entrances": frame([{"bid": "B1"}], [Point(0, 0)])}, ValueError,
         r"missing column\(s\): entrances.building_id"),
        ({"test": "entrance",
          "entrances": doors((NORTH_DOOR, "B1")).to_crs(4326)}, CRSMismatchError,
         "buildings is in EPSG:4548 but entrances is in EPSG:4326"),
    ],
    ids=["unknown-test", "no-entrances", "no-join-column", "crs-mismatch"],
)
def test_errors(kwargs: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        building_test_geometries(HOMES, **kwargs)


def test_duplicate_building_ids_cannot_take_entrances() -> None:
    homes = frame([{"id": "B1"}, {"id": "B1"}], [B1, B2])
    with pytest.raises(ValueError, match=r"building ids are not unique \(\['B1'\]"):
        building_test_geometries(homes, "entrance", doors((NORTH_DOOR, "B1")))


# ------------------------------------------------------------------------ metric wrapper


def _compute(params: dict, with_entrances: bool) -> object:
    (mdef,) = [m for m in METRIC_DEFS if m.name == "park_coverage"]
    p = params_from_mapping(ParkCoverageParams, {"radius_m": 300, "weight": "buildings",
                                                 **params})
    frames = {"residential_land": LAND, "park": PARKS, "building": HOMES}
    if with_entrances:
        frames["building_entrance"] = doors((SOUTH_DOOR, "B1"), (NORTH_DOOR, "B1"))
    context = MetricContext("120199", box(-1000, -1000, 1000, 1000), CRS, 2025)
    return mdef, p, mdef.compute(frames, p, context)


@pytest.mark.parametrize(("test", "value"),
                         [("footprint", 0.5), ("centroid", 0.0), ("entrance", 0.5)])
def test_metric_records_the_building_test_in_its_parameters(test: str, value: float) -> None:
    mdef, p, result = _compute({"building_test": test}, with_entrances=True)
    assert result.value == value
    assert result.params["building_test"] == test
    assert result.details["extra_building_test"] == test
    expected_inputs = ("residential_land", "park", "building_entrance") if test == "entrance" \
        else ("residential_land", "park")
    assert mdef.required_inputs(p) == expected_inputs


def test_metric_default_is_footprint_and_bad_values_are_refused() -> None:
    assert ParkCoverageParams().building_test == "footprint"
    with pytest.raises(ValueError, match=r"'door' is not one of \['footprint', 'centroid', "
                                         r"'entrance'\]"):
        params_from_mapping(ParkCoverageParams, {"building_test": "door"})


def test_params_round_trip_keeps_the_building_test() -> None:
    p = ParkCoverageParams(building_test="centroid")
    assert dataclasses.replace(p).building_test == "centroid"


# ---------------------------------------------------------------------------- properties


# deadline=None: the first call warms up GEOS and the kernel (as the coverage properties do).
@settings(max_examples=40, deadline=None)
@given(footprints=st.lists(boxes_m(), min_size=1, max_size=8), radius=st.integers(1, 3000),
       park=boxes_m())
def test_footprint_serves_whenever_centroid_or_entrance_does(
    footprints: list[Polygon], radius: int, park: Polygon
) -> None:
    """For convex footprints (boxes), centroids and boundary points are never nearer.

    Tested through the kernel park_coverage calls (covered_mask, the exact distance test).
    """
    homes = gpd.GeoDataFrame({"id": [f"b{i}" for i in range(len(footprints))]},
                             geometry=footprints, crs=EPSG_M)
    parks = gpd.GeoSeries([park], crs=EPSG_M)
    corners = gpd.GeoDataFrame({"building_id": homes["id"]},
                               geometry=[Point(f.exterior.coords[0]) for f in footprints],
                               crs=EPSG_M)
    served = {
        test: covered_mask(building_test_geometries(homes, test, corners).geometry, parks,
                           float(radius))
        for test in ("footprint", "centroid", "entrance")
    }
    assert not (served["centroid"] & ~served["footprint"]).any()
    assert not (served["entrance"] & ~served["footprint"]).any()


def test_entrances_attach_to_the_right_building_after_filtering() -> None:
    """An office block listed first is not a home: B1 keeps its north door all the same."""
    office = frame([{"id": "OFF", "use_category": "public"}], [box(0, 300, 10, 310)])
    homes = gpd.GeoDataFrame(
        [*office.to_dict("records"), *HOMES.to_dict("records")], crs=CRS
    ).set_index(pd.Index([10, 20, 30]))
    entrances = doors((Point(5, 300), "OFF"), (NORTH_DOOR, "B1"))
    report = park_coverage(LAND, PARKS, buildings=homes, radius_m=300.0,
                           building_test="entrance", building_entrances=entrances)
    assert (report.buildings_total, report.buildings_covered) == (2, 1)
    assert report.details["extra_buildings_without_entrance"] == 1   # B2
    assert report.details["extra_entrances_unmatched"] == 1          # the office's door
