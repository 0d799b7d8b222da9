"""Siting over HTTP and from the CLI: same sites, figures, exports, errors, saving."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient

from tanmap.api import cli
from tanmap.api.commands.site import parse_share
from tests.api.conftest import AUTH

HEPING = "120101"
RECYCLING = {"kind": "recycling_point", "min_count": 1}


def test_http_and_cli_choose_the_same_sites(
    ro_client: TestClient, demo_store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response = ro_client.post(f"/api/districts/{HEPING}/sites", json=RECYCLING)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "per_unit"
    assert body["mip_gap"] == 0.0
    assert body["status"] == "Optimal"
    http_units = sorted(f["properties"]["unit_id"] for f in body["sites"]["features"])
    # Each chosen site fills a community that had no recycling point.
    assert http_units == sorted(body["extra"]["deficit_before"])
    assert cli.main(["--store", str(demo_store_path), "-q", "site", "recycling_point",
                     "--district", HEPING, "--per-unit", "1", "--json"]) == 0
    by_cli = json.loads(capsys.readouterr().out)
    assert sorted(s["unit_id"] for s in by_cli["sites"]) == http_units
    assert by_cli["objective"] == body["objective"] == len(http_units)


def test_export_formats(ro_client: TestClient, tmp_path: Path) -> None:
    response = ro_client.post(f"/api/districts/{HEPING}/sites", json=RECYCLING,
                              params={"format": "gpkg"})
    assert response.status_code == 200
    path = tmp_path / "sites.gpkg"
    path.write_bytes(response.content)
    sites = gpd.read_file(path)
    assert list(sites["rank"]) == list(range(1, len(sites) + 1))
    assert {"gain_m2", "gain_share", "origin", "origin_detail", "unit_id"} <= set(sites.columns)


def test_errors_are_422_with_the_option_spelled_for_http(ro_client: TestClient) -> None:
    response = ro_client.post(f"/api/districts/{HEPING}/sites",
                              json={"kind": "pocket_garden", "min_count": 1})
    assert response.status_code == 422
    assert "count=N" in response.json()["detail"]
    both = ro_client.post(f"/api/districts/{HEPING}/sites",
                          json={"kind": "park", "count": 1, "target_share": 0.9})
    assert both.status_code == 422
    big = ro_client.post(f"/api/districts/{HEPING}/sites",
                         json={"kind": "pocket_garden", "count": 1, "spacing_m": 150})
    assert big.status_code == 422
    assert "at most 100 m" in big.json()["detail"]


def test_saving_needs_the_token_and_appends_planned_features(client: TestClient) -> None:
    url = f"/api/districts/{HEPING}/sites/save"
    assert client.post(url, json=RECYCLING, params={"year": 2027}).status_code == 401
    saved = client.post(url, json=RECYCLING, params={"year": 2027}, headers=AUTH)
    assert saved.status_code == 200, saved.text
    n_sites = len(saved.json()["sites"]["features"])
    layer = client.get(f"/api/districts/{HEPING}/layers/recycling_point").json()
    planned = [f for f in layer["features"] if f["properties"]["status"] == "planned"
               and str(f["properties"]["id"]).startswith("SITE-")]
    assert len(planned) == n_sites
    assert {f["properties"]["planned_year"] for f in planned} == {2027}


def test_cli_summary_and_usage_errors(demo_store_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--store", str(demo_store_path), "--lang", "en", "site", "transfer_station",
                     "--district", HEPING, "--per-unit", "1"]) == 0
    out = capsys.readouterr().out
    assert "per-unit cover" in out
    assert "optimality gap 0.0%" in out
    assert cli.main(["--store", str(demo_store_path), "site", "pocket_garden", "--district",
                     HEPING, "--target", "101%"]) == 2
    assert "a share in (0, 1]" in capsys.readouterr().err
    assert cli.main(["--store", str(demo_store_path), "site", "pocket_garden", "--district",
                     HEPING, "--per-unit", "1"]) == 1
    assert "give --count N or --target 0.95" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "share"), [("0.95", 0.95), ("95%", 0.95), ("80％", 0.8),
                                              ("1", 1.0)])
def test_parse_share(text: str, share: float) -> None:
    assert parse_share(text) == pytest.approx(share)


def test_parse_share_suggests_a_percentage() -> None:
    with pytest.raises(ValueError, match="for a percentage write 95%"):
        parse_share("95")


def test_cli_writes_the_map_and_exports(demo_store_path: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    html, shp = tmp_path / "sites.html", tmp_path / "sites.zip"
    assert cli.main(["--store", str(demo_store_path), "-q", "site", "transfer_station",
                     "--district", HEPING, "--per-unit", "1", "--map", str(html),
                     "--out", str(shp), "--format", "shp", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    n_sites = len(figures["sites"])
    assert n_sites >= 1
    page = html.read_text(encoding="utf-8")
    assert f"新选址（按增益排序） New sites (ranked by gain) ({n_sites})" in page
    assert len(gpd.read_file(f"zip://{shp}")) == n_sites


def test_the_plan_question_over_http(ro_client: TestClient) -> None:
    response = ro_client.post(f"/api/districts/{HEPING}/sites",
                              json={"kind": "recycling_point", "plan": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["plan_quote"] == "和平: 每个社区至少建成 1 个再生资源回收服务点"
    assert body["model"] == "per_unit"
    missing = ro_client.post(f"/api/districts/{HEPING}/sites", json={"kind": "park", "plan": True})
    assert missing.status_code == 422
    assert "count=N" in missing.json()["detail"]


def test_saved_sites_make_the_plan_scenario_meet_the_target(store_path: Path) -> None:
    """和平 R02 (one 回收中转站 per 街道) is 6 of 7 today; the planned site fills the 7th."""
    from tanmap.layers.audit import audit_district, scenario_cards
    from tanmap.layers.siting import plan_sites, save_planned_sites
    from tanmap.layers.store import open_store

    store = open_store(store_path)
    before = {r.target_id: r for r in audit_district(store, HEPING).rows}["120101-R02"]
    assert before.status == "not_met"
    assert before.measured == pytest.approx(6 / 7)
    run = plan_sites(store, HEPING, "transfer_station", plan=True)
    assert len(run.sites) == 1
    save_planned_sites(store, run, 2025)
    saved = store.read("transfer_station", district=HEPING)
    assert saved.loc[saved["status"] == "planned", "station_type"].tolist() == ["recyclables"]
    now = {r.target_id: r for r in audit_district(store, HEPING).rows}["120101-R02"]
    # Planned, not built: today's figure is unchanged; R02 has no deadline, so the planned
    # site (due 2025) counts in the with-planned figure: 按计划可达标.
    assert now.measured == pytest.approx(6 / 7)
    assert now.measured_planned == 1.0
    assert now.status == "on_track"
    scenario = {r.target_id: r for r in scenario_cards(store, HEPING, [2025])[2025].rows}
    assert scenario["120101-R02"].status == "met"
    assert scenario["120101-R02"].measured == 1.0


def test_cli_reads_a_lot_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # and maps the cells the new site serves (before / after)
    """The square test district (tests/layers/test_siting.py): lots from a GeoJSON file, costs
    in 万元; the budget leaves only the cheap lot far from the unserved block."""
    from tests.layers.test_siting import CODE, build_store, metres, sq

    build_store(tmp_path / "s.gpkg")
    lots = tmp_path / "lots.geojson"
    metres([sq(850, 850, 30), sq(400, 400, 30)], id=["近", "远"], cost_wan_yuan=[80.0, 5.0]
           ).to_file(lots, driver="GeoJSON")
    base = ["--store", str(tmp_path / "s.gpkg"), "--lang", "en", "site", "pocket_garden",
            "--district", CODE, "--candidates", str(lots)]
    html = tmp_path / "m.html"
    assert cli.main([*base, "--target", "100%", "--map", str(html)]) == 0
    out = capsys.readouterr().out
    page = html.read_text(encoding="utf-8")
    # R2's four 50 m cells (the English label first with --lang en)
    assert "Residential land the new sites serve 新选址新增覆盖的居住用地 (4)" in page
    assert "Residential land still unserved 仍未覆盖的居住用地 (0)" in page
    assert "<title>nan" not in page
    assert "coverage (residential land): 50.0% → 100.0%" in out
    assert "近" in out
    assert "80.0" in out  # its cost
    assert cli.main([*base, "--target", "1", "--budget", "10"]) == 1
    assert "cheapest set of sites that does costs 80" in capsys.readouterr().err


def test_json_output_is_clean_json_in_a_fresh_process(demo_store_path: Path) -> None:
    """HiGHS prints a banner on the C stdout when its first instance is built; --json stays
    parseable because the CLI builds that first instance with stdout closed."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-m", "tanmap.api.cli", "--store", str(demo_store_path), "-q", "site",
         "transfer_station", "--district", HEPING, "--per-unit", "1", "--json"],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "HiGHS" not in done.stdout
    assert json.loads(done.stdout)["model"] == "per_unit"


def test_request_kinds_are_the_siting_kinds() -> None:
    from typing import get_args

    from tanmap.api.models import SiteRequest
    from tanmap.layers.kinds import SITING_KINDS

    literal, none = get_args(SiteRequest.model_fields["kind"].annotation)  # kind | None
    assert none is type(None)
    assert set(get_args(literal)) == set(SITING_KINDS)


# --------------------------------------------------------------------------- plan targets


def _lot_file(tmp_path: Path, store_path: Path) -> Path:
    """Two lots in 和平: the best 300 m gap lot of the 20-garden run, and one 10 m lot by an
    existing park (everything near it is served already); the second has an HTML id."""
    from tanmap.layers.siting import plan_sites
    from tanmap.layers.store import open_store

    store = open_store(store_path)
    best = plan_sites(store, HEPING, "pocket_garden", count=1).sites.geometry.iloc[0]
    park = store.read("park", district=HEPING).to_crs(4548).geometry.iloc[0]
    corner = park.centroid.buffer(5, cap_style="square")
    lots = tmp_path / "lots.geojson"
    gpd.GeoDataFrame(
        {"id": ["近", "<b>x</b>"], "cost_wan_yuan": [30.0, 5.0]},
        geometry=[best, gpd.GeoSeries([corner], crs=4548).to_crs(4326).iloc[0]],
        crs=4326).to_file(lots, driver="GeoJSON")
    return lots


def test_target_id_over_http_and_the_cli(ro_client: TestClient, demo_store_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    response = ro_client.post(f"/api/districts/{HEPING}/sites",
                              json={"target_id": "120101-G03"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["target_id"] == "120101-G03"
    assert len(body["sites"]["features"]) == 19
    assert body["share_after"] == 1.0
    assert cli.main(["--store", str(demo_store_path), "site", "--target", "120101-G03",
                     "--district", HEPING]) == 0
    out = capsys.readouterr().out
    assert "19 处新选址" in out
    assert "其余 10 处布置在仅被一处设施覆盖的需求附近" in out
    assert "二次覆盖" in out
    wrong = ro_client.post(f"/api/districts/{HEPING}/sites",
                           json={"target_id": "120101-G03", "kind": "charging_station"})
    assert wrong.status_code == 422
    assert "sites pocket_garden" in wrong.json()["detail"]
    neither = ro_client.post(f"/api/districts/{HEPING}/sites", json={"count": 2})
    assert neither.status_code == 422
    assert cli.main(["--store", str(demo_store_path), "site", "--district", HEPING,
                     "--count", "2"]) == 2
    assert "give the facility KIND, or --target ID" in capsys.readouterr().err


def test_uploaded_lots_answer_the_question(client: TestClient, tmp_path: Path,
                                           store_path: Path) -> None:
    lots = _lot_file(tmp_path, store_path)
    question = json.dumps({"kind": "pocket_garden", "count": 2})
    with lots.open("rb") as f:
        response = client.post(f"/api/districts/{HEPING}/sites/upload",
                               files={"file": ("lots.geojson", f, "application/geo+json")},
                               data={"question": question})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["candidate_source"] == "file"
    assert body["candidates"] == 2
    ids = [f["properties"]["id"] for f in body["sites"]["features"]]
    assert ids == ["近"]  # the far lot sits where every home is served already
    assert body["sites"]["features"][0]["properties"]["gain_m2"] > 0
    # The same question as a file, with the figures on each row.
    with lots.open("rb") as f:
        shp = client.post(f"/api/districts/{HEPING}/sites/upload", params={"format": "shp"},
                          files={"file": ("lots.geojson", f)}, data={"question": question})
    assert shp.status_code == 200
    path = tmp_path / "sites.zip"
    path.write_bytes(shp.content)
    from tanmap.layers.ingest.io import read_vector

    sites = read_vector(path)
    assert sites["id"].tolist() == ["近"]
    assert {"share_before", "share_after", "radius_m", "model", "gain_m2"} <= set(sites.columns)
    assert sites["share_after"].iloc[0] > sites["share_before"].iloc[0]


def test_upload_errors_are_named(client: TestClient, tmp_path: Path, store_path: Path) -> None:
    lots = _lot_file(tmp_path, store_path)
    ok = json.dumps({"kind": "pocket_garden", "count": 2})
    bad_question = client.post(f"/api/districts/{HEPING}/sites/upload",
                               files={"file": ("lots.geojson", lots.read_bytes())},
                               data={"question": '{"kind": "rocket", "count": 2}'})
    assert bad_question.status_code == 422
    assert "form field 'question'" in bad_question.json()["detail"]
    assert "kind" in bad_question.json()["detail"]
    not_json = client.post(f"/api/districts/{HEPING}/sites/upload",
                           files={"file": ("lots.geojson", lots.read_bytes())},
                           data={"question": "count=2"})
    assert not_json.status_code == 422
    wrong_type = client.post(f"/api/districts/{HEPING}/sites/upload",
                             files={"file": ("lots.exe", b"MZ")}, data={"question": ok})
    assert wrong_type.status_code == 422
    assert "unsupported file type" in wrong_type.json()["detail"]
    broken = client.post(f"/api/districts/{HEPING}/sites/upload",
                         files={"file": ("lots.geojson", b'{"type": "FeatureCollection"')},
                         data={"question": ok})
    assert broken.status_code == 422
    assert "lots.geojson" in broken.json()["detail"]
    # The client fixture's limit is 1 MB: refused before the body is read.
    huge = client.post(f"/api/districts/{HEPING}/sites/upload",
                       files={"file": ("lots.geojson", b" " * 1_100_000)}, data={"question": ok})
    assert huge.status_code == 413


def test_siting_map_before_and_after_then_planned(client: TestClient) -> None:
    page = client.get(f"/maps/{HEPING}/sites", params={"target": "120101-G03"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "选址前（现有设施）: 300 米内居住用地覆盖率" in html
    assert "<td>100.0%</td>" in html
    assert "新选址（按增益排序）" in html
    assert "现有设施已覆盖（选址前）" in html
    assert '"backup_gain"' in html
    missing = client.get(f"/maps/{HEPING}/sites",
                         params={"kind": "transfer_station", "per_unit": 1, "planned": "true"})
    assert missing.status_code == 422  # no transfer station is planned
    assert "save sites first" in missing.json()["detail"]
    saved = client.post(f"/api/districts/{HEPING}/sites/save", params={"year": 2025},
                        json={"target_id": "120101-G03"}, headers=AUTH)
    assert saved.status_code == 200, saved.text
    planned = client.get(f"/maps/{HEPING}/sites",
                         params={"target": "120101-G03", "planned": "true", "lang": "en"})
    assert planned.status_code == 200
    assert "After (with the new sites)" in planned.text
    card = client.get(f"/api/districts/{HEPING}/audit.html")
    assert ('<a href="/maps/120101/sites?target=120101-G03&amp;lang=zh&amp;planned=true">'
            "选址地图</a>") in card.text
    assert "规划设施" in card.text
    assert "→ 100.0%" in card.text
    assert "按计划可达标" in card.text
