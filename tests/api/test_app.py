"""Every endpoint of the HTTP API, good and bad input; failed writes leave the store unchanged."""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import Polygon, shape

from tanmap.api.app import create_app
from tanmap.api.settings import Settings
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import open_store

from .conftest import AUTH, TOKEN

HEPING = "120101"
#: A 40 m x 40 m square inside 和平区 (lon/lat), drawn clockwise on purpose: the API must return
#: it counter-clockwise (RFC 7946 right-hand rule).
SQUARE_CW = [[117.2000, 39.1200], [117.2000, 39.12036], [117.20046, 39.12036],
             [117.20046, 39.1200], [117.2000, 39.1200]]


def park_feature(fid: str, name: str = "测试公园", ring: list[list[float]] | None = None) -> dict:
    return {
        "type": "Feature",
        "properties": {"id": fid, "name": name, "park_class": "G12", "status": "existing"},
        "geometry": {"type": "Polygon", "coordinates": [ring or SQUARE_CW]},
    }


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def park_version(store_path: Path) -> int:
    version = open_store(store_path).version(LayerKind.PARK, HEPING)
    assert version is not None
    return version.version


# ---------------------------------------------------------------- districts and units


def test_districts_list_has_heping_with_its_planning_crs(ro_client: TestClient) -> None:
    body = ro_client.get("/api/districts").json()
    heping = next(d for d in body if d["adcode"] == HEPING)
    assert heping["name"] == "和平区"
    assert heping["planning_epsg"] == 4548
    west, south, east, north = heping["bbox"]
    assert 117.1 < west < east < 117.3
    assert 39.0 < south < north < 39.2


def test_unknown_district_is_404_without_server_paths(ro_client: TestClient) -> None:
    response = ro_client.get("/api/districts/999999")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "UnknownDistrictError"
    assert "999999" in body["detail"]
    assert "/tmp" not in body["detail"]
    assert ".gpkg" not in body["detail"]


def test_district_boundary_and_units_are_geojson(ro_client: TestClient) -> None:
    boundary = ro_client.get(f"/api/districts/{HEPING}/boundary")
    assert boundary.headers["content-type"] == "application/geo+json"
    assert len(boundary.json()["features"]) == 1
    units = ro_client.get(f"/api/districts/{HEPING}/units/subdistrict").json()
    assert len(units["features"]) >= 2
    assert all(f["properties"]["name"] for f in units["features"])
    assert ro_client.get(f"/api/districts/{HEPING}/units/county").status_code == 422


# ---------------------------------------------------------------- reading layers


def test_layers_list_names_kinds_in_both_languages(ro_client: TestClient) -> None:
    layers = {row["kind"]: row for row in ro_client.get(f"/api/districts/{HEPING}/layers").json()}
    assert layers["pocket_garden"]["name_zh"] == "口袋公园"
    assert layers["pocket_garden"]["name_en"] == "Pocket gardens"
    assert layers["park"]["version"] == 1
    assert "示例数据" in layers["park"]["source"]


def test_layer_paging_counts_and_links(ro_client: TestClient, demo_store_path: Path) -> None:
    n_parks = len(open_store(demo_store_path).read(LayerKind.PARK, district=HEPING))
    assert n_parks > 3
    page = ro_client.get(f"/api/districts/{HEPING}/layers/park?limit=2&offset=1").json()
    assert page["numberMatched"] == n_parks
    assert page["numberReturned"] == 2
    assert len(page["features"]) == 2
    assert page["links"][0]["href"].endswith("limit=2&offset=3")
    last = ro_client.get(f"/api/districts/{HEPING}/layers/park?limit=2&offset={n_parks}").json()
    assert last["features"] == []
    assert "links" not in last


def test_layer_bbox_filter_returns_only_intersecting_features(ro_client: TestClient) -> None:
    everything = ro_client.get(f"/api/districts/{HEPING}/layers/park?limit=10000").json()
    first = shape(everything["features"][0]["geometry"])
    west, south, east, north = first.bounds
    body = ro_client.get(
        f"/api/districts/{HEPING}/layers/park?bbox={west},{south},{east},{north}&limit=10000"
    ).json()
    ids = {f["id"] for f in body["features"]}
    assert everything["features"][0]["id"] in ids
    assert 1 <= len(ids) < len(everything["features"])
    box = shapely.box(west, south, east, north)
    assert all(shape(f["geometry"]).intersects(box) for f in body["features"])


@pytest.mark.parametrize("bbox", ["1,2", "a,b,c,d", "10,10,0,0", "0,-100,1,1"])
def test_bad_bbox_is_422_with_the_expected_form(ro_client: TestClient, bbox: str) -> None:
    response = ro_client.get(f"/api/districts/{HEPING}/layers/park?bbox={bbox}")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "west,south,east,north" in detail or "west<=east" in detail


def test_polygons_follow_the_right_hand_rule(client: TestClient, store_path: Path) -> None:
    response = client.post(f"/api/districts/{HEPING}/layers/park", headers=AUTH,
                           json=collection(park_feature("P-CW")))
    assert response.status_code == 201, response.text
    body = client.get(f"/api/districts/{HEPING}/layers/park").json()
    ring = body["features"][0]["geometry"]["coordinates"][0]
    assert Polygon(ring).exterior.is_ccw
    assert shapely.get_num_coordinates(shape(body["features"][0]["geometry"])) == 5


# ---------------------------------------------------------------- writing layers


def test_write_without_token_is_401_and_changes_nothing(
    client: TestClient, store_path: Path
) -> None:
    before = park_version(store_path)
    response = client.post(f"/api/districts/{HEPING}/layers/park",
                           json=collection(park_feature("P-1")))
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    wrong = client.post(f"/api/districts/{HEPING}/layers/park",
                        headers={"Authorization": "Bearer nope"},
                        json=collection(park_feature("P-1")))
    assert wrong.status_code == 401
    assert park_version(store_path) == before


def test_server_without_token_refuses_every_write(store_path: Path) -> None:
    app = create_app(Settings(store=str(store_path), api_token=None))
    with TestClient(app) as c:
        response = c.post(f"/api/districts/{HEPING}/layers/park", headers=AUTH,
                          json=collection(park_feature("P-1")))
    assert response.status_code == 403
    assert "TANMAP_API_TOKEN" in response.json()["detail"]


def test_valid_import_creates_the_next_version(client: TestClient, store_path: Path) -> None:
    before = park_version(store_path)
    response = client.post(f"/api/districts/{HEPING}/layers/park?mode=replace", headers=AUTH,
                           json=collection(park_feature("P-1"), park_feature("P-2", "二号")))
    assert response.status_code == 201, response.text
    assert response.json()["layer"]["version"] == before + 1
    assert response.json()["layer"]["n_features"] == 2
    parks = open_store(store_path).read(LayerKind.PARK, district=HEPING)
    assert sorted(parks["id"]) == ["P-1", "P-2"]
    assert set(parks["name"]) == {"测试公园", "二号"}


def test_append_keeps_existing_features(client: TestClient, store_path: Path) -> None:
    n_before = len(open_store(store_path).read(LayerKind.PARK, district=HEPING))
    response = client.post(f"/api/districts/{HEPING}/layers/park?mode=append", headers=AUTH,
                           json=collection(park_feature("P-NEW")))
    assert response.status_code == 201, response.text
    assert response.json()["layer"]["n_features"] == n_before + 1


def test_invalid_geojson_is_422_and_store_unchanged(client: TestClient, store_path: Path) -> None:
    before = park_version(store_path)
    bad = park_feature("P-1")
    bad["geometry"] = {"type": "Polygon", "coordinates": "not coordinates"}
    response = client.post(f"/api/districts/{HEPING}/layers/park", headers=AUTH,
                           json=collection(park_feature("P-0"), bad))
    assert response.status_code == 422
    assert "feature 1" in response.json()["detail"]
    assert park_version(store_path) == before
    not_a_collection = client.post(f"/api/districts/{HEPING}/layers/park", headers=AUTH,
                                   json={"type": "Feature"})
    assert not_a_collection.status_code == 422


def test_validation_errors_list_every_problem(client: TestClient, store_path: Path) -> None:
    before = park_version(store_path)
    missing_class = park_feature("P-1")
    del missing_class["properties"]["park_class"]
    bad_status = park_feature("P-2")
    bad_status["properties"]["status"] = "demolished"
    response = client.post(f"/api/districts/{HEPING}/layers/park", headers=AUTH,
                           json=collection(missing_class, bad_status))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "LayerValidationError"
    columns = {issue["column"] for issue in body["issues"]}
    assert {"park_class", "status"} <= columns
    assert all(issue["fix"] for issue in body["issues"])
    assert park_version(store_path) == before


def test_non_wgs84_geojson_crs_is_refused(client: TestClient, store_path: Path) -> None:
    before = park_version(store_path)
    body = collection(park_feature("P-1"))
    body["crs"] = {"type": "name", "properties": {"name": "EPSG:3857"}}
    response = client.post(f"/api/districts/{HEPING}/layers/park", headers=AUTH, json=body)
    assert response.status_code == 422
    assert "RFC 7946" in response.json()["detail"]
    assert park_version(store_path) == before


def test_swapped_lat_lon_is_refused(client: TestClient, store_path: Path) -> None:
    before = park_version(store_path)
    swapped = [[y, x] for x, y in SQUARE_CW]
    response = client.post(f"/api/districts/{HEPING}/layers/park", headers=AUTH,
                           json=collection(park_feature("P-1", ring=swapped)))
    assert response.status_code == 422
    assert any(issue["code"] == "swapped_axes" or "swap" in issue["problem"].lower()
               for issue in response.json()["issues"])
    assert park_version(store_path) == before


def test_unknown_district_or_kind_on_write(client: TestClient) -> None:
    unknown = client.post("/api/districts/999999/layers/park", headers=AUTH,
                          json=collection(park_feature("P-1")))
    assert unknown.status_code == 404
    kind = client.post(f"/api/districts/{HEPING}/layers/not_a_kind", headers=AUTH,
                       json=collection(park_feature("P-1")))
    assert kind.status_code == 422


# ---------------------------------------------------------------- uploads


def test_upload_geojson_file(client: TestClient, store_path: Path) -> None:
    data = json.dumps(collection(park_feature("U-1"))).encode()
    response = client.post(f"/api/districts/{HEPING}/layers/park/upload", headers=AUTH,
                           files={"file": ("parks.geojson", data, "application/geo+json")})
    assert response.status_code == 201, response.text
    assert response.json()["layer"]["n_features"] == 1
    assert "parks.geojson" in response.json()["layer"]["source"]


def test_oversized_upload_is_413_and_store_unchanged(
    client: TestClient, store_path: Path
) -> None:
    before = park_version(store_path)
    padding = "x" * 1_200_000  # the client's limit is 1 MB
    data = json.dumps(collection(park_feature("U-1", name=padding))).encode()
    response = client.post(f"/api/districts/{HEPING}/layers/park/upload", headers=AUTH,
                           files={"file": ("big.geojson", data, "application/geo+json")})
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]
    assert park_version(store_path) == before


def test_upload_of_unsupported_type_is_422(client: TestClient, store_path: Path) -> None:
    response = client.post(f"/api/districts/{HEPING}/layers/park/upload", headers=AUTH,
                           files={"file": ("parks.exe", b"MZ...", "application/octet-stream")})
    assert response.status_code == 422
    assert ".geojson" in response.json()["detail"]


def test_upload_without_crs_says_which_option_to_pass(client: TestClient, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"id": ["a"], "park_class": ["G12"]},
                             geometry=[Polygon([(0, 0), (50, 0), (50, 50)])])
    shp = tmp_path / "parks.shp"
    with warnings.catch_warnings():  # pyogrio warns the file will have no CRS: that's the point
        warnings.simplefilter("ignore", UserWarning)
        frame.to_file(shp, engine="pyogrio")  # no CRS: no .prj written
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for part in tmp_path.glob("parks.*"):
            zf.write(part, part.name)
    response = client.post(f"/api/districts/{HEPING}/layers/park/upload", headers=AUTH,
                           files={"file": ("parks.zip", buffer.getvalue(), "application/zip")})
    assert response.status_code == 422
    assert "source_crs" in response.json()["detail"] or "source-crs" in response.json()["detail"]


# ---------------------------------------------------------------- exports


@pytest.mark.parametrize(("fmt", "suffix"), [("geojson", ".geojson"), ("gpkg", ".gpkg"),
                                             ("shp", ".zip")])
def test_export_reads_back_with_every_feature(
    ro_client: TestClient, demo_store_path: Path, tmp_path: Path, fmt: str, suffix: str
) -> None:
    stored = open_store(demo_store_path).read(LayerKind.PARK, district=HEPING)
    response = ro_client.get(f"/api/districts/{HEPING}/layers/park/export?format={fmt}&crs=4548")
    assert response.status_code == 200, response.text
    path = tmp_path / f"out{suffix}"
    path.write_bytes(response.content)
    back = gpd.read_file(path)
    assert len(back) == len(stored)
    assert sorted(back["id"]) == sorted(stored["id"])
    if fmt == "geojson":
        assert back.crs.to_epsg() == 4326  # RFC 7946 ignores the requested CRS
    else:
        assert back.crs.to_epsg() == 4548


# ---------------------------------------------------------------- metrics


def test_metric_list_has_every_metric_of_the_engine(ro_client: TestClient) -> None:
    names = {m["name"] for m in ro_client.get("/api/metrics").json()}
    assert {"park_coverage", "feature_count", "per_unit_min_count", "charging_piles",
            "heating_old_pipes", "blue_green_share", "indicator"} <= names


def test_feature_count_metric_matches_the_layer(
    ro_client: TestClient, demo_store_path: Path
) -> None:
    gardens = open_store(demo_store_path).read(LayerKind.POCKET_GARDEN, district=HEPING)
    built = gardens[gardens["status"].isin(["existing", "completed", "renewed"])
                    & (gardens["completion_year"].isna() | (gardens["completion_year"] <= 2026))]
    response = ro_client.post(f"/api/districts/{HEPING}/metrics/feature_count",
                              json={"params": {"kind": "pocket_garden"}, "year": 2026})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["value"] == len(built)
    assert body["params"]["kind"] == "pocket_garden"
    assert body["year"] == 2026
    assert any(entry["kind"] == "pocket_garden" for entry in body["lineage"])


def test_metric_with_default_parameters_names_its_rule(ro_client: TestClient) -> None:
    body = ro_client.get(f"/api/districts/{HEPING}/metrics/park_coverage?year=2026").json()
    assert 0.0 <= body["value"] <= 1.0
    assert body["unit"] == "share"
    assert "GB/T 51346-2019" in body["rule"]
    assert body["params"]["rule"] == "gbt51346_2019"
    assert body["planning_epsg"] == 4548
    assert {e["kind"] for e in body["lineage"]} >= {"park", "residential_land"}
    assert body["details"]["covered_m2"] <= body["details"]["residential_m2"]


def test_metric_errors(ro_client: TestClient) -> None:
    unknown = ro_client.get(f"/api/districts/{HEPING}/metrics/no_such_metric")
    assert unknown.status_code == 404
    assert "park_coverage" in unknown.json()["detail"]  # lists the known metrics
    bad = ro_client.post(f"/api/districts/{HEPING}/metrics/feature_count",
                         json={"params": {"kind": "pocket_garden", "bogus": 1}})
    assert bad.status_code == 422
    assert "bogus" in bad.json()["detail"]


# ---------------------------------------------------------------- audit and pages


def test_audit_json_html_and_xlsx(ro_client: TestClient, tmp_path: Path) -> None:
    card = ro_client.get(f"/api/districts/{HEPING}/audit?year=2026").json()
    statuses = {row["status"] for row in card["rows"]}
    assert statuses <= {"met", "not_met", "on_track", "no_data"}
    assert len(card["rows"]) >= 20
    assert all(row["quote"] and row["seed_file"] for row in card["rows"])
    html = ro_client.get(f"/api/districts/{HEPING}/audit.html?year=2026").text
    assert "口袋花园" in html
    english = ro_client.get(f"/api/districts/{HEPING}/audit.html?year=2026&lang=en").text
    assert "Pocket gardens" in english or "Not met" in english
    xlsx = ro_client.get(f"/api/districts/{HEPING}/audit.xlsx?year=2026")
    assert xlsx.status_code == 200
    path = tmp_path / "card.xlsx"
    path.write_bytes(xlsx.content)
    workbook = openpyxl.load_workbook(path)
    assert workbook.worksheets[0].max_row >= len(card["rows"])


def test_index_lists_districts_with_links(ro_client: TestClient) -> None:
    html = ro_client.get("/").text
    assert "和平区" in html
    assert f'href="/maps/{HEPING}?lang=zh"' in html
    assert "示例数据" in html
    assert "Heping District" in ro_client.get("/?lang=en").text


def test_map_page_is_offline_and_bilingual(ro_client: TestClient) -> None:
    html = ro_client.get(f"/maps/{HEPING}?year=2026").text
    assert "口袋公园" in html
    assert "示例数据" in html
    assert "cdn.jsdelivr" not in html
    assert "unpkg.com" not in html
    assert "/static/maps/" in html
    english = ro_client.get(f"/maps/{HEPING}?year=2026&lang=en").text
    assert "Pocket gardens" in english
    asset = ro_client.get("/static/maps/leaflet/leaflet.js")
    assert asset.status_code == 200


def test_map_page_offers_base_maps_and_shifts_for_amap(ro_client: TestClient) -> None:
    offline = ro_client.get(f"/maps/{HEPING}?year=2026").text
    amap_link = f"/maps/{HEPING}?lang=zh&amp;basemap=amap&amp;year=2026&amp;horizon=now"
    assert f'href="{amap_link}"' in offline
    assert "tile.openstreetmap" not in offline
    assert "autonavi" not in offline
    amap = ro_client.get(f"/maps/{HEPING}?year=2026&basemap=amap").text
    assert "autonavi" in amap
    assert "GCJ-02" in amap
    osm = ro_client.get(f"/maps/{HEPING}?year=2026&basemap=osm").text
    assert "tile.openstreetmap" in osm


def test_cached_map_follows_a_layer_write(client: TestClient, store_path: Path) -> None:
    before = client.get(f"/maps/{HEPING}?year=2026").text
    assert "NEW-PARK-1" not in before
    version = park_version(store_path)
    response = client.post(f"/api/districts/{HEPING}/layers/park?mode=append", headers=AUTH,
                           json=collection(park_feature("NEW-PARK-1")))
    assert response.status_code == 201, response.text
    assert response.json()["layer"]["version"] == version + 1
    # Stale-while-revalidate: the last page answers at once, labelled, while it is rebuilt.
    stale = client.get(f"/maps/{HEPING}?year=2026")
    assert stale.headers["X-Tanmap-Page"] == "stale"
    assert "正在更新" in stale.text
    assert client.app.state.pages.wait_refreshed(timeout_s=300)  # type: ignore[attr-defined]
    fresh = client.get(f"/maps/{HEPING}?year=2026")
    assert fresh.headers["X-Tanmap-Page"] == "fresh"
    assert "NEW-PARK-1" in fresh.text


def test_map_page_escapes_attribute_html(client: TestClient) -> None:
    payload = "<img src=x onerror=alert(1)>"
    response = client.post(f"/api/districts/{HEPING}/layers/park?mode=append", headers=AUTH,
                           json=collection(park_feature("XSS-1", name=payload)))
    assert response.status_code == 201, response.text
    html = client.get(f"/maps/{HEPING}?year=2026").text
    assert payload not in html
    assert "XSS-1" in html


def test_unexpected_errors_are_500_without_internals(
    client: TestClient, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals at /srv/tanmap/db")

    monkeypatch.setattr(type(open_store(store_path)), "districts", boom)  # either backend
    response = client.get("/api/districts")
    assert response.status_code == 500
    assert "secret" not in response.text
    assert "/srv" not in response.text


def test_openapi_docs_are_served(ro_client: TestClient) -> None:
    assert ro_client.get("/docs").status_code == 200
    paths = ro_client.get("/openapi.json").json()["paths"]
    assert "/api/districts/{adcode}/layers/{kind}" in paths
    assert "/api/districts/{adcode}/layers/{kind}/upload" in paths
    assert TOKEN not in json.dumps(paths)


def test_map_page_rule_picker_and_year_control(ro_client: TestClient) -> None:
    page = ro_client.get(f"/maps/{HEPING}?year=2026&rule=chengshi_tijian_2021").text
    assert '<select class="tanmap-rule">' in page
    selected = re.search(r'<option value="([^"]+)" selected>([a-z0-9_]+)</option>', page)
    assert selected is not None
    assert selected.group(2) == "chengshi_tijian_2021"
    assert "rule=chengshi_tijian_2021" in selected.group(1)
    # The year links keep the rule; the current year is marked.
    assert "horizon=2030&amp;rule=chengshi_tijian_2021" in page
    assert "<b>现状</b>" in page
    bad = ro_client.get(f"/maps/{HEPING}?rule=no_such_rule")
    assert bad.status_code == 422
    assert "gbt51346_2019" in bad.json()["detail"]


def test_map_page_has_the_carbon_theme(ro_client: TestClient) -> None:
    """和平's sample buildings carry floors, so the carbon map shows estimates (dashed)."""
    html = ro_client.get(f"/maps/{HEPING}?year=2026").text
    assert 'value="carbon"' in html
    assert "建筑碳排放强度 Building CO₂ intensity" in html
    assert "重点排放建筑 Top emitters" in html
    assert "虚线边框 = 估算值" in html
    assert "tCO₂/m²" in html
