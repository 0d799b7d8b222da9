"""The deterministic sample-data generator (示例数据): determinism, validity, plausibility."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

from tanmap.layers.boundaries import bundled_districts
from tanmap.layers.ingest.validation import validate
from tanmap.layers.kinds import SPECS, LayerKind
from tanmap.layers.sample import (
    PROFILES,
    SAMPLE_LABEL,
    generate_sample,
    profile_for,
    sample_for_bundled,
    sample_source,
)

SEEDS = ("120101", "120104", "120110", "430781", "310101")


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    """The bundled real boundaries (EPSG:4326), indexed by adcode."""
    return bundled_districts().set_index("adcode")


@pytest.fixture(scope="module")
def samples(districts) -> dict[str, dict[LayerKind, gpd.GeoDataFrame]]:
    """Seed-0 samples of the five seed districts."""
    return {
        ad: generate_sample(ad, districts.loc[ad, "geometry"],
                            int(districts.loc[ad, "planning_epsg"]), seed=0)
        for ad in SEEDS
    }


def _metric(gdf: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, adcode: str) -> gpd.GeoSeries:
    return gdf.geometry.to_crs(int(districts.loc[adcode, "planning_epsg"]))


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_layers(districts, samples) -> None:
    again = generate_sample("120101", districts.loc["120101", "geometry"], 4548, seed=0)
    first = samples["120101"]
    assert list(again) == list(first)
    for kind in first:
        assert_geodataframe_equal(again[kind], first[kind], check_less_precise=False)


def test_another_seed_gives_other_layers(districts, samples) -> None:
    other = generate_sample("120101", districts.loc["120101", "geometry"], 4548, seed=1)
    first = samples["120101"][LayerKind.BUILDING]
    second = other[LayerKind.BUILDING]
    assert len(first) != len(second) or not first.geometry.geom_equals(second.geometry).all()
    assert set(other[LayerKind.PARK]["source"]) == {
        "示例数据 synthetic sample (tanmap generator v2, seed 1)"
    }


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), side_m=st.floats(2_500, 6_000))
def test_any_seed_on_a_square_district_is_valid_and_repeatable(seed: int, side_m: float) -> None:
    """A square district (side 2.5–6 km, near Tianjin in EPSG:4548) gets valid, unique layers."""
    square = gpd.GeoSeries([box(500_000, 4_330_000, 500_000 + side_m, 4_330_000 + side_m)],
                           crs=4548)
    wgs = square.to_crs(4326).iloc[0]
    layers = generate_sample("120199", wgs, 4548, seed=seed)
    again = generate_sample("120199", wgs, 4548, seed=seed)
    ids = np.concatenate([g["id"].to_numpy() for g in layers.values()])
    assert len(ids) == len(set(ids))
    for kind, gdf in layers.items():
        assert validate(gdf, SPECS[kind], source=kind.value) == []
        assert gdf.geometry.equals(again[kind].geometry)
    assert 6 <= len(layers[LayerKind.SUBDISTRICT]) <= 12


# --------------------------------------------------------------------------- validity


@pytest.mark.parametrize("adcode", SEEDS)
def test_every_layer_is_valid_against_its_spec_and_inside_the_district(
    adcode, districts, samples
) -> None:
    district = gpd.GeoSeries([districts.loc[adcode, "geometry"]], crs=4326)
    for kind, gdf in samples[adcode].items():
        assert gdf.crs.to_epsg() == 4326
        issues = validate(gdf, SPECS[kind], source=kind.value, district=district)
        assert issues == [], f"{kind.value}: {[str(i) for i in issues[:3]]}"


@pytest.mark.parametrize("adcode", SEEDS)
def test_every_feature_is_labelled_sample_with_unique_id_and_adcode(adcode, samples) -> None:
    ids: list[str] = []
    for gdf in samples[adcode].values():
        assert set(gdf["source"]) == {f"{SAMPLE_LABEL} (tanmap generator v2, seed 0)"}
        assert set(gdf["district"]) == {adcode}
        assert gdf["id"].str.contains(adcode).all()
        ids.extend(gdf["id"])
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------- plausibility


COMMON = {LayerKind.SUBDISTRICT, LayerKind.COMMUNITY, LayerKind.RESIDENTIAL_LAND,
          LayerKind.BUILDING, LayerKind.PARK, LayerKind.POCKET_GARDEN, LayerKind.PV_ROOFTOP,
          LayerKind.CHARGING_STATION, LayerKind.RECYCLING_POINT, LayerKind.TRANSFER_STATION,
          LayerKind.GREENWAY, LayerKind.BUS_STOP, LayerKind.SPONGE_AREA, LayerKind.PLANNING_ZONE}


@pytest.mark.parametrize(
    ("adcode", "extra"),
    [
        ("120101", {LayerKind.HEATING_PIPE}),
        ("120104", {LayerKind.HEATING_PIPE}),
        ("120110", {LayerKind.HEATING_PIPE, LayerKind.ECO_ZONE, LayerKind.LAND_COVER,
                    LayerKind.ROUTE}),
        ("430781", {LayerKind.LAND_COVER, LayerKind.ROUTE}),
        ("310101", set()),  # Shanghai: no municipal heating network, no barrier zone
    ],
    ids=["和平", "南开", "东丽", "津市", "黄浦"],
)
def test_each_seed_district_gets_its_layers(adcode, extra, samples) -> None:
    assert set(samples[adcode]) == COMMON | extra


@pytest.mark.parametrize("adcode", SEEDS)
def test_building_counts_are_a_few_thousand(adcode, samples) -> None:
    assert 1_000 <= len(samples[adcode][LayerKind.BUILDING]) <= 8_000


@pytest.mark.parametrize("adcode", SEEDS)
def test_subdistricts_are_six_to_twelve_and_tile_the_district(adcode, districts, samples) -> None:
    units = samples[adcode][LayerKind.SUBDISTRICT]
    assert 6 <= len(units) <= 12
    assert list(units["name"]) == [f"示例街道{i}" for i in range(1, len(units) + 1)]
    area = _metric(units, districts, adcode).area.sum()
    district_area = gpd.GeoSeries([districts.loc[adcode, "geometry"]], crs=4326).to_crs(
        int(districts.loc[adcode, "planning_epsg"])).area.iloc[0]
    assert area == pytest.approx(district_area, rel=0.01)


def test_communities_nest_in_their_subdistricts(districts, samples) -> None:
    layers = samples["120101"]
    units = layers[LayerKind.SUBDISTRICT].set_index("id")
    communities = layers[LayerKind.COMMUNITY]
    parent = units.loc[communities["subdistrict"], "geometry"].to_numpy()
    inside = shapely.covered_by(
        shapely.buffer(communities.geometry.to_numpy(), -1e-6), parent)
    assert inside.all()


def test_dongli_has_an_eco_barrier_zone_with_three_levels_and_land_cover(samples) -> None:
    layers = samples["120110"]
    eco = layers[LayerKind.ECO_ZONE]
    assert set(eco["control_level"]) == {1, 2, 3}
    area = eco.to_crs(4548).assign(a=lambda f: f.area).groupby("control_level")["a"].sum()
    assert area[1] > area[2]
    assert area[1] > area[3]
    cover = layers[LayerKind.LAND_COVER]
    assert {"water", "wetland", "forest", "farmland"} <= set(cover["cover_class"])
    forest = cover[cover["cover_class"] == "forest"]
    assert forest["canopy_closure"].notna().all()
    assert cover.loc[cover["cover_class"] != "forest", "stock_m3"].isna().all()


def test_jinshi_has_expressway_and_national_road_with_stations_along_them(samples) -> None:
    """Plus an urban trunk road, for 津市's 充电桩服务区块沿城市主干道连续覆盖 (430781-T06)."""
    layers = samples["430781"]
    routes = layers[LayerKind.ROUTE].to_crs(4546)
    assert set(routes["route_class"]) == {"expressway", "national", "trunk"}
    stations = layers[LayerKind.CHARGING_STATION].to_crs(4546)
    on_route = stations.geometry.apply(lambda p: routes.distance(p).min() < 1.0)
    assert on_route.sum() >= 2
    assert (stations.loc[on_route, "access"] == "public").all()


def test_heating_pipes_have_years_and_some_are_renewed(samples) -> None:
    pipes = samples["120101"][LayerKind.HEATING_PIPE]
    assert pipes["installation_year"].between(1975, 2022).all()
    renewed = pipes[pipes["status"] == "renewed"]
    assert len(renewed) > 0
    assert (renewed["installation_year"] <= 1995).all()
    assert renewed["renewal_year"].between(2019, 2024).all()
    assert pipes.loc[pipes["status"] != "renewed", "renewal_year"].isna().all()


def test_parks_span_the_classes_and_pocket_gardens_include_planned_2025(samples) -> None:
    parks = samples["120104"][LayerKind.PARK]
    assert {"G11", "G12", "G13", "G14", "G3"} <= set(parks["park_class"])
    gardens = samples["120101"][LayerKind.POCKET_GARDEN]
    planned = gardens[gardens["status"] == "planned"]
    assert len(planned) > 0
    assert set(planned["planned_year"]) == {2025}
    assert gardens["area_m2"].between(400, 3_600).all()  # MOHURD pocket-park range 400–10 000


def test_residential_land_has_old_city_and_new_area(samples) -> None:
    land = samples["310101"][LayerKind.RESIDENTIAL_LAND]
    assert {"old_city", "new_area"} <= set(land["area_type"])
    assert (land["area_m2"] > 2_000).all()


def test_pv_sits_on_non_residential_buildings(samples) -> None:
    layers = samples["120110"]
    buildings = layers[LayerKind.BUILDING].set_index("id")
    pv = layers[LayerKind.PV_ROOFTOP]
    hosts = buildings.loc[pv["building_id"]]
    assert set(hosts["use_category"]) <= {"party_gov", "public", "commercial_industrial"}
    assert shapely.within(pv.geometry.to_numpy(), hosts.geometry.to_numpy()).all()
    assert (pv["capacity_kwp"] == (pv["panel_area_m2"] * 0.20).round(1)).all()
    assert {"existing", "planned"} == set(pv["status"])


@pytest.mark.parametrize("adcode", SEEDS)
def test_some_units_lack_facilities_so_per_unit_rules_can_fail(adcode, samples) -> None:
    layers = samples[adcode]
    for units_kind, point_kind in ((LayerKind.COMMUNITY, LayerKind.RECYCLING_POINT),
                                   (LayerKind.SUBDISTRICT, LayerKind.TRANSFER_STATION)):
        units = layers[units_kind]
        hits = units.sindex.query(layers[point_kind].geometry, predicate="within")
        served = np.unique(hits[1])
        assert 0 < len(served) < len(units)


def test_some_residential_land_lies_beyond_500_m_of_a_large_park(samples) -> None:
    layers = samples["120104"]
    parks = layers[LayerKind.PARK].to_crs(4548)
    big = parks[parks["area_m2"] >= 5_000]
    land = layers[LayerKind.RESIDENTIAL_LAND].to_crs(4548)
    near = land.geometry.apply(lambda g: big.distance(g).min() <= 500)
    assert 0 < near.sum() < len(land)


def test_generation_is_fast(districts) -> None:
    """The largest seed district (东丽, ~480 km²) is generated well under 5 s."""
    start = time.perf_counter()
    generate_sample("120110", districts.loc["120110", "geometry"], 4548, seed=3)
    assert time.perf_counter() - start < 5.0


# --------------------------------------------------------------------------- API


def test_sample_for_bundled_uses_the_bundled_boundary(samples) -> None:
    layers = sample_for_bundled("120101", seed=0)
    assert_geodataframe_equal(layers[LayerKind.PARK], samples["120101"][LayerKind.PARK])


def test_geoseries_input_in_a_projected_crs_is_accepted(districts, samples) -> None:
    boundary = gpd.GeoSeries([districts.loc["120101", "geometry"]], crs=4326).to_crs(4548)
    layers = generate_sample("120101", boundary, 4548, seed=0)
    assert len(layers[LayerKind.BUILDING]) == len(samples["120101"][LayerKind.BUILDING])


def test_profiles_and_source() -> None:
    assert set(PROFILES) == set(SEEDS)
    assert profile_for("120110", 480.0).eco_zone is True
    assert profile_for("310101", 20.0).heating is False
    assert profile_for("130102", 30.0).heating is True  # 石家庄: northern heating
    assert profile_for("440106", 30.0).heating is False  # 广州
    assert sample_source(42) == "示例数据 synthetic sample (tanmap generator v2, seed 42)"


def test_rejects_a_boundary_that_is_not_a_polygon() -> None:
    with pytest.raises(ValueError, match=r"\(Multi\)Polygon in EPSG:4326, got LineString"):
        generate_sample("120101", LineString([(117.1, 39.1), (117.2, 39.2)]), 4548)
    with pytest.raises(ValueError, match=r"got empty; pass the district row's geometry"):
        generate_sample("120101", box(117.1, 39.1, 117.2, 39.2).buffer(-1), 4548)
