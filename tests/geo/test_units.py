"""Per-unit rules and feature counts/lengths/areas on a 100 m grid of communities (EPSG:4548)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from tanmap.geo.errors import GeographicCRSError, MetricParameterError
from tanmap.geo.metric import MetricContext, params_from_mapping
from tanmap.geo.units import (
    METRIC_DEFS,
    area_share,
    assign_to_units,
    count_per_unit,
    measure_within,
    per_unit_min_count,
    select_features,
)

CRS = 4548
DEFS = {d.name: d for d in METRIC_DEFS}


def three_communities() -> gpd.GeoDataFrame:
    """Three 100 x 100 m communities in a row: c1 [0,100], c2 [100,200], c3 [200,300]."""
    return gpd.GeoDataFrame({"id": ["c1", "c2", "c3"], "name": ["甲社区", "乙社区", "丙社区"]},
                            geometry=[box(100 * i, 0, 100 * i + 100, 100) for i in range(3)],
                            crs=CRS)


@pytest.fixture
def communities() -> gpd.GeoDataFrame:
    """See :func:`three_communities`."""
    return three_communities()


@pytest.fixture
def recycling() -> gpd.GeoDataFrame:
    """Two points in c1, one planned point in c3, one outside every community."""
    return gpd.GeoDataFrame(
        {"id": ["r1", "r2", "r3", "r4"], "status": ["existing", "existing", "planned", "existing"],
         "completion_year": [2020, 2023, None, 2021]},
        geometry=[Point(10, 10), Point(50, 50), Point(250, 50), Point(500, 50)], crs=CRS)


def ctx(units, district=None) -> MetricContext:
    return MetricContext(adcode="120101", district=district or box(0, 0, 300, 100),
                         planning_epsg=CRS, audit_year=2025, units=units)


def test_select_by_status_field_and_years(recycling):
    assert select_features(recycling, statuses=("existing",))["id"].tolist() == ["r1", "r2", "r4"]
    assert select_features(recycling, since_year=2021)["id"].tolist() == ["r2", "r4"]
    assert select_features(recycling, until_year=2021)["id"].tolist() == ["r1", "r4"]
    assert select_features(recycling, field="id", values=("R3",))["id"].tolist() == ["r3"]


def test_select_booleans_match_text():
    greenways = gpd.GeoDataFrame({"connected": [True, False, None]},
                                 geometry=[LineString([(0, 0), (1, 0)])] * 3, crs=CRS)
    assert select_features(greenways, field="connected", values=("true",)).index.tolist() == [0]


def test_select_unknown_field_lists_the_columns(recycling):
    with pytest.raises(KeyError, match=r"field 'kind' is not in the layer; its columns are"):
        select_features(recycling, field="kind", values=("a",))


def test_point_on_a_shared_boundary_goes_to_the_first_id(communities):
    """(100, 50) lies on the c1|c2 edge: it belongs to c1 whatever the row order."""
    p = gpd.GeoSeries([Point(100, 50)], crs=CRS)
    assert assign_to_units(p, communities).tolist() == ["c1"]
    assert assign_to_units(p, communities.iloc[::-1]).tolist() == ["c1"]


def test_count_and_min_count_per_unit(communities, recycling):
    table = per_unit_min_count(recycling, communities, 1)
    assert table["count"].tolist() == [2, 0, 1]
    assert table["meets"].tolist() == [True, False, True]
    assert per_unit_min_count(recycling, communities, 2)["meets"].tolist() == [True, False, False]
    assert per_unit_min_count(recycling, communities, 0)["meets"].all()


def test_negative_min_count_is_rejected(communities, recycling):
    with pytest.raises(ValueError, match="min_count must be >= 0"):
        per_unit_min_count(recycling, communities, -1)


def test_lengths_are_clipped_per_unit(communities):
    line = gpd.GeoSeries([LineString([(50, 50), (250, 50)])], crs=CRS)
    assert measure_within(line, communities.geometry, measure="length").tolist() == [
        50.0, 100.0, 50.0]


def test_area_share_unions_overlaps():
    f = gpd.GeoSeries([box(0, 0, 1, 2), box(0, 0, 2, 1)], crs=CRS)
    assert area_share(f, box(0, 0, 2, 2)) == (0.75, 3.0, 4.0)
    assert area_share(f.iloc[:0], box(0, 0, 2, 2)) == (0.0, 0.0, 4.0)
    assert area_share(f, box(0, 0, 0, 0))[0] is None


def test_degrees_are_rejected(communities):
    with pytest.raises(GeographicCRSError, match="degrees"):
        count_per_unit(gpd.GeoDataFrame(geometry=[Point(117, 39)], crs=4326), communities)


# ------------------------------------------------------------------ metrics


def test_per_unit_min_count_metric_lists_failing_units(communities, recycling):
    d = DEFS["per_unit_min_count"]
    res = d.compute({"recycling_point": recycling}, d.params(), ctx({"community": communities}))
    assert res.value == pytest.approx(2 / 3)
    assert res.details["failing_units"] == ["乙社区"]
    assert res.per_unit["unit_name"].tolist() == ["甲社区", "乙社区", "丙社区"]
    existing = d.compute({"recycling_point": recycling},
                         params_from_mapping(d.params, {"statuses": "existing"}),
                         ctx({"community": communities}))
    assert existing.details["failing_units"] == ["乙社区", "丙社区"]
    assert d.required_inputs(d.params(kind="transfer_station")) == ("transfer_station",)


def test_per_unit_min_count_missing_units_or_layer(communities, recycling):
    d = DEFS["per_unit_min_count"]
    res = d.compute({"recycling_point": recycling}, d.params(unit_kind="subdistrict"),
                    ctx({"community": communities}))
    assert (res.value, res.missing) == (None, ("subdistrict",))
    res = d.compute({}, d.params(), ctx({"community": communities}))
    assert res.missing == ("recycling_point",)


def test_per_unit_params_are_checked():
    with pytest.raises(ValueError, match=r"'street' is not one of \['community', 'subdistrict'\]"):
        params_from_mapping(DEFS["per_unit_min_count"].params, {"unit_kind": "street"})
    with pytest.raises(MetricParameterError, match="unit_kind must be one of"):
        DEFS["per_unit_min_count"].params(unit_kind="street")
    with pytest.raises(MetricParameterError, match="min_count must be >= 0"):
        params_from_mapping(DEFS["per_unit_min_count"].params, {"min_count": -2})


def test_feature_count_inside_the_district(communities, recycling):
    d = DEFS["feature_count"]
    frames = {"recycling_point": recycling}
    units = {"subdistrict": communities}
    res = d.compute(frames, d.params(kind="recycling_point"), ctx(units))
    assert res.value == 3.0  # r4 at x=500 is outside the district
    assert res.details["by_status"] == {"existing": 2, "planned": 1}
    assert res.details["by_year"] == {"(none)": 1, "2020": 1, "2023": 1}
    assert res.per_unit["count"].tolist() == [2, 0, 1]
    since = d.compute(frames, params_from_mapping(
        d.params, {"kind": "recycling_point", "since_year": 2022}), ctx(units))
    assert since.value == 1.0
    assert d.compute({}, d.params(), ctx(units)).missing == ("pocket_garden",)


def test_feature_length_connected_greenways(communities):
    greenways = gpd.GeoDataFrame(
        {"connected": [True, False, True]},
        geometry=[LineString([(0, 50), (300, 50)]), LineString([(0, 10), (100, 10)]),
                  LineString([(250, 20), (400, 20)])], crs=CRS)
    d = DEFS["feature_length"]
    res = d.compute({"greenway": greenways},
                    params_from_mapping(d.params, {"field": "connected", "values": "true"}),
                    ctx({"subdistrict": communities}))
    assert res.value == pytest.approx(0.35)  # 300 m + 50 m inside the district
    assert res.per_unit["length_km"].tolist() == pytest.approx([0.1, 0.1, 0.15])


def test_area_share_of_district_and_of_built_up(communities):
    sponge = gpd.GeoDataFrame(geometry=[box(0, 0, 150, 100), box(100, 0, 150, 100)], crs=CRS)
    land = gpd.GeoDataFrame({"cover_class": ["built", "water"]},
                            geometry=[box(0, 0, 200, 100), box(200, 0, 300, 100)], crs=CRS)
    d = DEFS["area_share"]
    whole = d.compute({"sponge_area": sponge}, d.params(), ctx({"subdistrict": communities}))
    assert whole.value == pytest.approx(0.5)
    assert whole.per_unit["share"].tolist() == pytest.approx([1.0, 0.5, 0.0])
    built = d.compute({"sponge_area": sponge, "land_cover": land}, params_from_mapping(
        d.params, {"of": "land_cover", "of_field": "cover_class", "of_values": "built"}),
        ctx({}))
    assert built.value == pytest.approx(0.75)
    assert built.details == {"covered_m2": 15_000.0, "total_m2": 20_000.0}
    p = params_from_mapping(d.params, {"of": "district"})
    assert p.of is None
    assert d.required_inputs(p) == ("sponge_area",)
    assert d.compute({"sponge_area": sponge}, params_from_mapping(
        d.params, {"of": "land_cover"}), ctx({})).missing == ("land_cover",)


def test_indicator_value_or_missing():
    d = DEFS["indicator"]
    res = d.compute({}, params_from_mapping(d.params, {"key": "led_share", "value": "0.85",
                                                       "unit": "share"}), ctx({}))
    assert (res.value, res.unit, res.missing) == (0.85, "share", ())
    empty = d.compute({}, d.params(key="led_share"), ctx({}))
    assert (empty.value, empty.missing) == (None, ("indicator:led_share",))


# ------------------------------------------------------------------ properties

xy = st.tuples(st.integers(-20, 320), st.integers(-20, 120))


def _reference_counts(points, units) -> list[int]:
    """Obvious loop: each point counts for the first unit (by id) that covers it."""
    counts = dict.fromkeys(units["id"], 0)
    for x, y in points:
        owners = sorted(uid for uid, g in zip(units["id"], units.geometry, strict=True)
                        if g.covers(Point(x, y)))
        if owners:
            counts[owners[0]] += 1
    return [counts[u] for u in units["id"]]


@settings(max_examples=50, deadline=None)
@given(points=st.lists(xy, max_size=25), extra=xy, min_count=st.integers(0, 3),
       dx=st.integers(-50_000, 50_000), seed=st.randoms())
def test_per_unit_invariants(points, extra, min_count, dx, seed):
    communities = three_communities()
    frame = gpd.GeoDataFrame(geometry=[Point(p) for p in points], crs=CRS)
    table = per_unit_min_count(frame, communities, min_count)
    assert table["count"].tolist() == _reference_counts(points, communities)
    share = table["meets"].mean()
    assert 0.0 <= share <= 1.0
    more = gpd.GeoDataFrame(geometry=[Point(p) for p in [*points, extra]], crs=CRS)
    assert per_unit_min_count(more, communities, min_count)["meets"].mean() >= share
    order = list(range(len(communities)))
    seed.shuffle(order)
    shuffled = per_unit_min_count(frame, communities.iloc[order], min_count)
    assert shuffled.set_index("unit_id")["count"].to_dict() == table.set_index(
        "unit_id")["count"].to_dict()
    moved = per_unit_min_count(frame.set_geometry(frame.geometry.translate(dx, dx)),
                               communities.set_geometry(communities.geometry.translate(dx, dx)),
                               min_count)
    assert moved["count"].tolist() == table["count"].tolist()


# ------------------------------------------------------------------ every metric of this package


def _small_city() -> dict[str, gpd.GeoDataFrame]:
    """One of every layer kind the h5 metrics read, inside [0,300]x[0,100] (EPSG:4548)."""
    def frame(rows: dict, geoms: list) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)

    return {
        "charging_station": frame({"access": ["public", "public"], "fast_piles": [2, 0],
                                   "slow_piles": [3, 4], "status": ["existing", "planned"],
                                   "completion_year": [2022, None]},
                                  [Point(50, 50), Point(250, 50)]),
        "route": frame({"route_class": ["expressway"]}, [LineString([(0, 50), (300, 50)])]),
        "residential_land": frame({}, [box(0, 0, 50, 50)]),
        "building": frame({"id": ["b1", "b2"], "use_category": ["party_gov", "residential"],
                           "is_new": [True, False], "public_institution": [True, False]},
                          [box(10, 10, 20, 20), box(30, 10, 40, 20)]),
        "pv_rooftop": frame({"building_id": ["b1"], "capacity_kwp": [1.0],
                             "status": ["existing"]}, [box(11, 11, 19, 19)]),
        "heating_pipe": frame({"installation_year": [1990], "renewal_year": [None]},
                              [LineString([(0, 10), (300, 10)])]),
        "eco_zone": frame({"control_level": [1]}, [box(200, 0, 300, 100)]),
        "land_cover": frame({"cover_class": ["forest"], "canopy_closure": [0.4]},
                            [box(200, 0, 250, 100)]),
        "recycling_point": frame({"status": ["existing"]}, [Point(20, 80)]),
        "pocket_garden": frame({"status": ["existing"]}, [box(100, 0, 110, 10)]),
        "greenway": frame({"connected": [True]}, [LineString([(0, 90), (100, 90)])]),
        "sponge_area": frame({}, [box(0, 0, 30, 100)]),
    }


def _all_h5_defs():
    from tanmap.geo import charging, eco, heating, pv, units

    return [d for m in (charging, pv, heating, eco, units) for d in m.METRIC_DEFS]


@pytest.mark.parametrize("mdef", _all_h5_defs(), ids=lambda d: d.name)
def test_every_metric_runs_and_is_json_serialisable(mdef):
    import json
    import math

    city = _small_city()
    context = MetricContext(adcode="120101", district=box(0, 0, 300, 100), planning_epsg=CRS,
                            audit_year=2025,
                            units={"community": three_communities(),
                                   "subdistrict": three_communities()})
    params = mdef.params(value=1.0, key="k") if mdef.name == "indicator" else mdef.params()
    res = mdef.compute(city, params, context)
    assert res.name == mdef.name
    assert res.unit == mdef.unit or mdef.name == "indicator"
    assert res.value is not None, res.missing
    assert math.isfinite(res.value)
    if res.unit == "share":
        assert 0.0 <= res.value <= 1.0
    json.dumps({"params": res.params, "details": res.details})
    if res.per_unit is not None:
        assert res.per_unit["unit_id"].tolist() == ["c1", "c2", "c3"]
    missing = mdef.compute({}, params, context)
    assert missing.value is None or mdef.name == "indicator"
    if mdef.name != "indicator":
        assert set(missing.missing) <= {*mdef.required_inputs(params), *mdef.optional_inputs}
        assert missing.missing


@pytest.mark.parametrize("mdef", _all_h5_defs(), ids=lambda d: d.name)
def test_every_metric_survives_empty_layers(mdef):
    """Layers present but with no features (a fresh store) give a figure or None, no error."""
    empty = {kind: frame.iloc[:0] for kind, frame in _small_city().items()}
    context = MetricContext(adcode="120101", district=box(0, 0, 300, 100), planning_epsg=CRS,
                            audit_year=2025, units={"community": three_communities()})
    res = mdef.compute(empty, mdef.params(), context)
    assert res.value is None or res.value == 0.0
