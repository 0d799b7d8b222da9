"""``tanmap walk import|topology|access`` and ``tanmap metric park_coverage --distance network``."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import LineString, Point, box

from tanmap.api import cli
from tanmap.api.commands import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import open_store
from tests.osm_builder import DISTRICT_CODE, EPSG, ORIGIN_X_M, ORIGIN_Y_M, district_row

X, Y = ORIGIN_X_M, ORIGIN_Y_M + 500  # the river runs east-west through the district's middle


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    """A store with the district, a park north of a river, homes on both banks; a road file."""
    store_path = tmp_path / "store.gpkg"
    store = open_store(store_path, create=True)
    store.put_district(district_row())

    def put(kind: LayerKind, **cols) -> None:
        geoms = cols.pop("geometry")
        store.write(kind, gpd.GeoDataFrame(cols, geometry=geoms, crs=EPSG).to_crs(4326),
                    district=DISTRICT_CODE)

    put(LayerKind.PARK, id=["P"], park_class=["G12"],
        geometry=[box(X + 50, Y + 200, X + 150, Y + 300)])
    put(LayerKind.RESIDENTIAL_LAND, id=["L1", "L2"],
        geometry=[box(X + 80, Y - 260, X + 120, Y - 200), box(X + 400, Y + 100, X + 460, Y + 190)])
    put(LayerKind.BUILDING, id=["B1", "B2"], use_category=["residential", "residential"],
        geometry=[box(X + 90, Y - 220, X + 110, Y - 200), box(X + 400, Y + 150, X + 420, Y + 190)])
    roads = gpd.GeoDataFrame(
        {"道路名称": ["北滨路", "桥", "南滨路"]},
        geometry=[LineString([(X + 100, Y + 200), (X + 500, Y + 200)]),
                  LineString([(X + 500, Y + 200), (X + 500, Y - 200)]),
                  LineString([(X + 500, Y - 200.5), (X + 100, Y - 200)])],   # drawn 0.5 m off
        crs=EPSG,
    )
    road_file = tmp_path / "道路.shp"
    roads.to_file(road_file, encoding="gbk")
    return store_path, road_file


def run(store: Path, *argv: str) -> int:
    return cli.main(["--store", str(store), *argv])


def test_walk_import_topology_access_and_network_metric(setup, tmp_path, capsys) -> None:
    store, roads = setup
    assert run(store, "--lang", "en", "walk", "import", str(roads), "--district", DISTRICT_CODE,
               "--snap-m", "1") == EXIT_OK
    out = capsys.readouterr().out
    assert "3 edges, walk_network v1" in out
    assert "ends snapped" in out
    assert run(store, "walk", "topology", "--district", DISTRICT_CODE, "--json") == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert (report["n_components"], report["dangles"], report["n_edges"]) == (1, 2, 3)
    points = tmp_path / "access.geojson"
    assert run(store, "--lang", "en", "walk", "access", "--district", DISTRICT_CODE,
               "--out", str(points)) == EXIT_OK
    assert "Network meets the park boundary" in capsys.readouterr().out
    assert gpd.read_file(points)["origin"].tolist() == ["boundary_crossing"]

    assert run(store, "metric", "park_coverage", "--district", DISTRICT_CODE, "--distance",
               "network", "--param", "radius_m=500", "--param", "land_method=along_streets",
               "--json") == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    d = result["details"]
    assert result["metric"] == "park_walk_coverage"
    # Radius: both parcels within 500 m.  Walking: the south bank is 400+400+400 m away.
    assert d["radius_share"] == 1.0
    assert d["walk_share"] == pytest.approx(5400 / 7800, abs=1e-3)
    assert (d["buildings_radius"], d["buildings_walk"]) == (2, 1)


def test_walk_commands_explain_missing_network_and_bad_use(setup, capsys) -> None:
    store, _ = setup
    assert run(store, "walk", "topology", "--district", DISTRICT_CODE) == EXIT_ERROR
    assert "tanmap walk import" in capsys.readouterr().err
    assert run(store, "metric", "charging_spacing", "--district", DISTRICT_CODE, "--distance",
               "network") == EXIT_USAGE
    # No walk_network yet: the walking metric reports the missing layer (数据不足).
    assert run(store, "metric", "park_coverage", "--district", DISTRICT_CODE, "--distance",
               "network", "--json") == EXIT_OK
    assert json.loads(capsys.readouterr().out)["missing"] == ["walk_network"]


def test_walking_metrics_over_the_api(setup) -> None:
    from fastapi.testclient import TestClient

    from tanmap.api.app import create_app
    from tanmap.api.settings import Settings

    store, roads = setup
    assert run(store, "-q", "walk", "import", str(roads), "--district", DISTRICT_CODE) == EXIT_OK
    app = create_app(Settings(store=str(store), api_token="t"))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(f"/api/districts/{DISTRICT_CODE}/metrics/park_walk_coverage",
                        json={"params": {"radius_m": 500}})
        assert r.status_code == 200, r.text
        d = r.json()["details"]
        assert (d["radius_share"], d["buildings_radius"], d["buildings_walk"]) == (1.0, 2, 1)
        r = client.post(f"/api/districts/{DISTRICT_CODE}/metrics/living_circle",
                        json={"params": {"level": 10}})
        assert r.status_code == 200, r.text
        assert r.json()["missing"] == ["living_circle_facility"]
        r = client.post(f"/api/districts/{DISTRICT_CODE}/metrics/living_circle",
                        json={"params": {"level": 7}})
        assert r.status_code == 422
        assert "level 7" in r.text
        names = {m["name"] for m in client.get("/api/metrics").json()}
        assert {"park_walk_coverage", "living_circle"} <= names


def _add_facilities(store_path: Path) -> None:
    """The 15-minute facilities on the north street: three near its west end, care at x = 460.

    B2 (north bank, 10 m below the street at x = 410) walks 60-260 m to each: reaches all.
    B1 (south bank, at the south street's west end) walks 400 + 400 + 40 = 840 m to the care
    centre but 1,040-1,140 m to the others (> 1,000 m): it misses school, clinic, sports ground.
    """
    store = open_store(store_path)
    store.write(LayerKind.LIVING_CIRCLE_FACILITY, gpd.GeoDataFrame(
        {"id": ["F1", "F2", "F3", "F4"],
         "facility_type": ["school", "clinic", "sports_ground", "elderly_care"]},
        geometry=[Point(X + x, Y + 200) for x in (160, 210, 260, 460)], crs=EPSG,
    ).to_crs(4326), district=DISTRICT_CODE)


def test_living_circle_level_15_on_the_cli_and_the_api(setup, capsys) -> None:
    from fastapi.testclient import TestClient

    from tanmap.api.app import create_app
    from tanmap.api.settings import Settings

    store, roads = setup
    assert run(store, "-q", "walk", "import", str(roads), "--district", DISTRICT_CODE) == EXIT_OK
    _add_facilities(store)
    capsys.readouterr()
    assert run(store, "metric", "living_circle", "--district", DISTRICT_CODE, "--level", "15",
               "--json") == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert (result["metric"], result["params"]["level"], result["value"]) == (
        "living_circle", 15, 0.5)
    assert result["details"]["share_by_type"] == {
        "school": 0.5, "clinic": 0.5, "sports_ground": 0.5, "elderly_care": 1.0}
    assert "GB 50180-2018" in result["rule"]
    assert run(store, "--lang", "en", "metric", "living_circle", "--district", DISTRICT_CODE,
               "--level", "15") == EXIT_OK
    assert "50.0%" in capsys.readouterr().out
    assert run(store, "metric", "park_coverage", "--district", DISTRICT_CODE,
               "--level", "15") == EXIT_USAGE
    assert "--level applies to living_circle" in capsys.readouterr().err

    app = create_app(Settings(store=str(store), api_token="t"))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(f"/api/districts/{DISTRICT_CODE}/metrics/living_circle",
                        json={"params": {"level": 15}})
        assert r.status_code == 200, r.text
        assert (r.json()["value"], r.json()["params"]["level"]) == (0.5, 15)
        # park_coverage walked: the CLI's --distance network, over the API.
        r = client.post(f"/api/districts/{DISTRICT_CODE}/metrics/park_coverage?distance=network",
                        json={"params": {"radius_m": 500, "land_method": "along_streets"}})
        assert r.status_code == 200, r.text
        assert r.json()["metric"] == "park_walk_coverage"
        assert r.json()["details"]["walk_share"] == pytest.approx(5400 / 7800, abs=1e-3)
        r = client.get(f"/api/districts/{DISTRICT_CODE}/metrics/park_coverage",
                       params={"distance": "network"})
        assert (r.status_code, r.json()["metric"]) == (200, "park_walk_coverage")
        r = client.get(f"/api/districts/{DISTRICT_CODE}/metrics/park_coverage")
        assert (r.status_code, r.json()["metric"]) == (200, "park_coverage")
        r = client.get(f"/api/districts/{DISTRICT_CODE}/metrics/charging_spacing",
                       params={"distance": "network"})
        assert r.status_code == 422
        assert "distance=network applies to park_coverage" in r.text
        r = client.get(f"/api/districts/{DISTRICT_CODE}/metrics/park_coverage",
                       params={"distance": "crow"})
        assert r.status_code == 422


def test_map_toggles_walking_and_living_circle_layers(setup) -> None:
    from tanmap.layers.runner import run_metric
    from tanmap.layers.views import district_view
    from tanmap.maps.build import district_map
    from tanmap.maps.themes import THEMES

    store, roads = setup
    assert run(store, "-q", "walk", "import", str(roads), "--district", DISTRICT_CODE) == EXIT_OK
    _add_facilities(store)
    view = district_view(open_store(store), DISTRICT_CODE, year=2026)
    assert {"walk_service_areas", "radius_only", "living_missing"} <= set(view.coverage)
    # The overlays are the metrics' own layers (default rule): the radius-only land of
    # park_walk_coverage, and B1, which misses the 15-minute facilities (see _add_facilities).
    walked = run_metric(open_store(store), "park_walk_coverage", DISTRICT_CODE, year=2026)
    gap = view.coverage["radius_only"].to_crs(EPSG)
    assert gap.area.sum() == pytest.approx(walked.result.details["radius_only_m2"], abs=1e-3)
    assert gap.area.sum() > 0
    assert view.coverage["living_missing"]["id"].tolist() == ["B1"]

    def page(lang: str) -> str:  # as the /maps page builds it (that page also needs a catalog)
        fmap = district_map(view.district, view.layers, units=view.units,
                            coverage=view.coverage, unit_coverage=view.unit_coverage, lang=lang)
        return str(fmap.get_root().render())

    zh, en = page("zh"), page("en")
    for key in ("walk_service_areas", "radius_only", "living_missing"):
        assert f'data-key="{key}"' in zh, key
    assert "步行可达范围 Reached on foot (streets)" in zh
    assert "仅半径覆盖（步行不可达） Radius-only land (not reached on foot)" in zh
    assert "15分钟生活圈设施缺项住宅 Homes missing 15-minute facilities" in zh
    assert "Radius-only land (not reached on foot) 仅半径覆盖（步行不可达）" in en
    assert 'value="living"' in zh
    themes = {t.key: set(t.layers) for t in THEMES}
    assert {"walk_service_areas", "radius_only"} <= themes["coverage"]
    assert {"living_missing", "living_circle_facility", "walk_network"} <= themes["living"]
