"""Department roles: viewer reads only, editors write their kinds in their districts, admins all.

Every refused write is a 403 naming the role and what it may do, and changes nothing; every
accepted write records the token's name as its author; the audit log lists them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from tanmap.api import cli
from tanmap.api.app import create_app
from tanmap.api.commands import EXIT_ERROR, EXIT_OK
from tanmap.api.roles import Principal, RolesFileError, hash_token, load_roles
from tanmap.api.settings import Settings
from tanmap.layers.audit_log import audit_log
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import open_store

from .conftest import AUTH, TOKEN

HEPING = "120101"
OTHER = "120102"  # 河东区: added as a tiny boundary so the district itself exists

TOKENS = {"viewer": "viewer-token-1", "zjw": "zjw-token-12", "fgw": "fgw-token-123",
          "boss": "admin-token-1"}

ROLES_TOML = f"""
# tanmap roles (test)
[[tokens]]
name = "区统计局"
role = "viewer"
sha256 = "{hash_token(TOKENS['viewer'])}"

[[tokens]]
name = "区住建委"
role = "editor"
sha256 = "{hash_token(TOKENS['zjw'])}"
kinds = ["building", "heating_pipe"]
districts = ["{HEPING}"]

[[tokens]]
name = "区发改委"
role = "editor"
token = "{TOKENS['fgw']}"
kinds = ["indicators"]

[[tokens]]
name = "区政府办"
role = "admin"
sha256 = "{hash_token(TOKENS['boss'])}"
"""


def bearer(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def building(fid: str, lon: float = 117.2000, lat: float = 39.1200) -> dict:
    ring = [[lon, lat], [lon + 0.0003, lat], [lon + 0.0003, lat + 0.0002], [lon, lat + 0.0002],
            [lon, lat]]
    return {"type": "Feature", "properties": {"id": fid, "use_category": "residential"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.fixture
def roles_file(tmp_path: Path) -> Path:
    path = tmp_path / "roles.toml"
    path.write_text(ROLES_TOML, encoding="utf-8")
    return path


@pytest.fixture
def rclient(store_path: Path, roles_file: Path) -> Iterator[TestClient]:
    """A client of an app with the roles file and the legacy admin token."""
    store = open_store(store_path)
    store.put_district(gpd.GeoDataFrame(
        {"adcode": [OTHER], "name": ["河东区"]},
        geometry=[box(117.22, 39.10, 117.26, 39.14)], crs="EPSG:4326"))
    app = create_app(Settings(store=str(store_path), api_token=TOKEN, roles_file=roles_file))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def version_of(store_path: Path, kind: LayerKind, district: str = HEPING) -> int:
    v = open_store(store_path).version(kind, district)
    return 0 if v is None else v.version


# ------------------------------------------------------------------------------ viewer


def test_viewer_cannot_write_a_layer_and_is_told_its_role(rclient: TestClient,
                                                          store_path: Path) -> None:
    before = version_of(store_path, LayerKind.BUILDING)
    r = rclient.post(f"/api/districts/{HEPING}/layers/building", headers=bearer("viewer"),
                     json=collection(building("B-1")))
    assert r.status_code == 403
    detail = r.json()["detail"]
    assert "区统计局" in detail
    assert "viewer" in detail
    assert "read only" in detail
    assert version_of(store_path, LayerKind.BUILDING) == before


def test_viewer_cannot_enter_an_indicator_revert_or_mark_empty(rclient: TestClient,
                                                               store_path: Path) -> None:
    r = rclient.put(f"/api/districts/{HEPING}/indicators/led_share", headers=bearer("viewer"),
                    json={"year": 2025, "value": 95, "unit": "%"})
    assert r.status_code == 403
    assert "viewer" in r.json()["detail"]
    assert open_store(store_path).indicators(HEPING).empty
    r = rclient.post(f"/api/districts/{HEPING}/layers/park/revert?to=1", headers=bearer("viewer"))
    assert r.status_code == 403
    r = rclient.post(f"/api/districts/{HEPING}/layers/park/empty", headers=bearer("viewer"))
    assert r.status_code == 403


# ------------------------------------------------------------------------------ editor


def test_editor_writes_its_kind_in_its_district_as_itself(rclient: TestClient,
                                                          store_path: Path) -> None:
    before = version_of(store_path, LayerKind.BUILDING)
    r = rclient.post(f"/api/districts/{HEPING}/layers/building?mode=append",
                     headers=bearer("zjw"), json=collection(building("ZJW-1")))
    assert r.status_code == 201, r.text
    assert r.json()["layer"]["version"] == before + 1
    history = open_store(store_path).history(LayerKind.BUILDING, HEPING)
    assert history[-1].author == "区住建委"
    assert history[-1].version == before + 1


def test_editor_cannot_write_another_kind(rclient: TestClient, store_path: Path) -> None:
    before = version_of(store_path, LayerKind.PARK)
    r = rclient.post(f"/api/districts/{HEPING}/layers/park", headers=bearer("zjw"),
                     json=collection())
    assert r.status_code == 403
    detail = r.json()["detail"]
    assert "区住建委" in detail
    assert "editor" in detail
    assert "park" in detail
    assert "building, heating_pipe" in detail
    assert HEPING in detail
    assert version_of(store_path, LayerKind.PARK) == before


def test_editor_cannot_write_its_kind_in_another_district(rclient: TestClient,
                                                          store_path: Path) -> None:
    r = rclient.post(f"/api/districts/{OTHER}/layers/building", headers=bearer("zjw"),
                     json=collection(building("ZJW-2", 117.23, 39.12)))
    assert r.status_code == 403
    assert f"district {OTHER}" in r.json()["detail"]
    assert version_of(store_path, LayerKind.BUILDING, OTHER) == 0


def test_editor_cannot_enter_indicators_without_the_right(rclient: TestClient) -> None:
    r = rclient.put(f"/api/districts/{HEPING}/indicators/led_share", headers=bearer("zjw"),
                    json={"year": 2025, "value": 95, "unit": "%"})
    assert r.status_code == 403
    assert "indicators" in r.json()["detail"]


def test_editor_cannot_revert_mark_empty_or_upload_a_raster_outside_its_kinds(
        rclient: TestClient) -> None:
    assert rclient.post(f"/api/districts/{HEPING}/layers/park/revert?to=1",
                        headers=bearer("zjw")).status_code == 403
    assert rclient.post(f"/api/districts/{HEPING}/layers/park/empty",
                        headers=bearer("zjw")).status_code == 403
    assert rclient.delete(f"/api/districts/{HEPING}/rasters/land_cover",
                          headers=bearer("zjw")).status_code == 403


def test_indicator_editor_entry_is_recorded_with_its_name(rclient: TestClient,
                                                          store_path: Path) -> None:
    r = rclient.put(f"/api/districts/{HEPING}/indicators/led_share", headers=bearer("fgw"),
                    json={"year": 2025, "value": 95, "unit": "%", "source": "台账"})
    assert r.status_code == 200, r.text
    log = open_store(store_path).indicator_log(HEPING)
    assert log[["key", "year", "value", "author"]].to_dict(orient="records") == [
        {"key": "led_share", "year": 2025, "value": 0.95, "author": "区发改委"}]
    # The same editor may not write layers.
    r = rclient.post(f"/api/districts/{HEPING}/layers/building", headers=bearer("fgw"),
                     json=collection(building("X")))
    assert r.status_code == 403
    page = rclient.get("/api/audit-log?kind=indicators", headers=bearer("viewer")).json()
    assert page["total"] == 1
    entry = page["entries"][0]
    assert (entry["author"], entry["action"], entry["district"]) == (
        "区发改委", "indicator", HEPING)
    assert entry["detail"] == {"key": "led_share", "year": 2025, "value": 0.95, "unit": "share"}


# ------------------------------------------------------------------------------ admin, tokens


def test_admin_and_legacy_token_write_everything(rclient: TestClient, store_path: Path) -> None:
    r = rclient.post(f"/api/districts/{OTHER}/layers/building", headers=bearer("boss"),
                     json=collection(building("A-1", 117.23, 39.12)))
    assert r.status_code == 201, r.text
    r = rclient.post(f"/api/districts/{OTHER}/layers/building?mode=append", headers=AUTH,
                     json=collection(building("A-2", 117.235, 39.12)))
    assert r.status_code == 201, r.text
    authors = [e.author for e in open_store(store_path).history(LayerKind.BUILDING, OTHER)]
    assert authors == ["区政府办", "api"]


def test_missing_or_unknown_token_is_401(rclient: TestClient) -> None:
    url = f"/api/districts/{HEPING}/layers/building"
    assert rclient.post(url, json=collection()).status_code == 401
    r = rclient.post(url, json=collection(), headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert rclient.get("/api/audit-log").status_code == 401


def test_roles_file_alone_enables_writes(store_path: Path, roles_file: Path) -> None:
    app = create_app(Settings(store=str(store_path), api_token=None, roles_file=roles_file))
    with TestClient(app) as c:
        r = c.post(f"/api/districts/{HEPING}/layers/building?mode=append", headers=bearer("zjw"),
                   json=collection(building("Z-9")))
        assert r.status_code == 201, r.text
        assert c.post(f"/api/districts/{HEPING}/layers/building", headers=AUTH,
                      json=collection()).status_code == 401  # the legacy token is not set


def test_an_edited_roles_file_is_read_again(rclient: TestClient, roles_file: Path) -> None:
    url = f"/api/districts/{HEPING}/layers/building?mode=append"
    assert rclient.post(url, headers=bearer("viewer"),
                        json=collection(building("V-1"))).status_code == 403
    text = roles_file.read_text(encoding="utf-8").replace(
        'role = "viewer"', 'role = "editor"\nkinds = ["building"]', 1)
    roles_file.write_text(text + "\n", encoding="utf-8")  # size changes: seen even in one tick
    assert rclient.post(url, headers=bearer("viewer"),
                        json=collection(building("V-1"))).status_code == 201


# ------------------------------------------------------------------------------ audit log


def test_audit_log_lists_writes_newest_first_and_pages(rclient: TestClient,
                                                       store_path: Path) -> None:
    for fid in ("L-1", "L-2", "L-3"):
        r = rclient.post(f"/api/districts/{HEPING}/layers/building?mode=append",
                         headers=bearer("zjw"), json=collection(building(fid)))
        assert r.status_code == 201
    top = version_of(store_path, LayerKind.BUILDING)
    first = rclient.get(f"/api/audit-log?district={HEPING}&kind=building&limit=2",
                        headers=bearer("viewer")).json()
    total = len(open_store(store_path).history(LayerKind.BUILDING, HEPING))
    assert first["total"] == total
    assert [e["version"] for e in first["entries"]] == [top, top - 1]
    assert all(e["author"] == "区住建委" and e["action"] == "write" and e["kind"] == "building"
               for e in first["entries"])
    assert first["entries"][0]["detail"]["added"] == 1
    second = rclient.get(first["next"], headers=bearer("viewer")).json()
    assert [e["version"] for e in second["entries"]] == [top - 2, top - 3]
    by_author = rclient.get("/api/audit-log?author=区住建委", headers=bearer("boss")).json()
    assert by_author["total"] == 3


def test_audit_log_marks_reverts(rclient: TestClient, store_path: Path) -> None:
    r = rclient.post(f"/api/districts/{HEPING}/layers/building?mode=append",
                     headers=bearer("zjw"), json=collection(building("R-1")))
    assert r.status_code == 201
    top = r.json()["layer"]["version"]
    r = rclient.post(f"/api/districts/{HEPING}/layers/building/revert?to={top - 1}",
                     headers=bearer("zjw"))
    assert r.status_code == 201, r.text
    entry = rclient.get("/api/audit-log?limit=1", headers=bearer("viewer")).json()["entries"][0]
    assert (entry["action"], entry["author"], entry["version"]) == ("revert", "区住建委", top + 1)
    assert entry["detail"]["reverted_from"] == top - 1


def test_audit_log_function_filters_and_checks_its_page(store_path: Path) -> None:
    store = open_store(store_path)
    store.put_indicator(HEPING, "led_share", 2024, 0.5, "share", author="甲")
    store.put_indicator(HEPING, "led_share", 2024, 0.6, "share", author="乙")
    page = audit_log(store, kind="indicators")
    assert [(e.author, e.detail["value"]) for e in page.entries] == [("乙", 0.6), ("甲", 0.5)]
    assert audit_log(store, author="甲").total == 1
    with pytest.raises(ValueError, match="limit"):
        audit_log(store, limit=0)


# ------------------------------------------------------------------------------ roles file


@pytest.mark.parametrize(("text", "expected"), [
    ('[[tokens]]\nname = "a"\nrole = "editor\n', r"line 3"),
    ('[[tokens]]\nname = "a"\nrole = "viewer"\nsha256 = "' + "0" * 64 + '"\n\n'
     '[[tokens]]\nname = "b"\nrole = "boss"\nsha256 = "' + "1" * 64 + '"\n',
     r"line 6, tokens\[1\]\.role: 'boss' is not a role"),
    ('[[tokens]]\nname = "a"\nrole = "editor"\nsha256 = "' + "0" * 64 + '"\nkinds = ["bldg"]\n',
     r"line 1, tokens\[0\]\.kinds: unknown kind 'bldg'"),
    ('[[tokens]]\nname = "a"\nrole = "viewer"\n', r"tokens\[0\]\.sha256: give exactly one"),
    ('[[tokens]]\nname = "a"\nrole = "viewer"\nsha256 = "xyz"\n', r"\.sha256: expected 64 hex"),
    ('[[tokens]]\nname = "a"\nrole = "viewer"\ntoken = "long-enough"\nkinds = ["park"]\n',
     r"\.kinds: only an editor"),
    ('[[tokens]]\nname = "a"\nrole = "viewer"\ntoken = "long-enough"\ncolour = 1\n',
     r"\.colour: unknown key"),
    ('[[tokens]]\nname = "a"\nrole = "viewer"\ntoken = "long-enough"\n'
     '[[tokens]]\nname = "a"\nrole = "viewer"\ntoken = "other-long"\n', r"duplicate name 'a'"),
    ('[[tokens]]\nname = "a"\nrole = "editor"\ntoken = "long-enough"\nkinds = ["park"]\n'
     'districts = []\n', r"\.districts: empty list"),
])
def test_bad_roles_file_stops_the_start_naming_file_line_and_key(
        tmp_path: Path, store_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RolesFileError, match=expected) as info:
        create_app(Settings(store=str(store_path), roles_file=path))
    assert str(path) in str(info.value)


def test_missing_roles_file_is_named(tmp_path: Path, store_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(RolesFileError, match=r"nope\.toml"):
        create_app(Settings(store=str(store_path), roles_file=missing))


def test_loaded_roles_match_the_file(roles_file: Path) -> None:
    roles_file.write_text("\ufeff" + ROLES_TOML, encoding="utf-8")  # a BOM (Windows Notepad)
    book = load_roles(roles_file)
    assert book.lookup(TOKENS["fgw"]) == Principal("区发改委", "editor",
                                                   frozenset({"indicators"}), None)
    assert book.lookup("nope") is None
    assert [p.role for _, p in book.entries] == ["viewer", "editor", "editor", "admin"]


def test_cli_hash_token_and_check(roles_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["roles", "hash-token", "test"]) == EXIT_OK
    assert capsys.readouterr().out == (
        'sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"\n')
    assert cli.main(["roles", "check", str(roles_file)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "区住建委" in out
    assert "building, heating_pipe in 120101" in out
    assert TOKENS["fgw"] not in out
    bad = roles_file.with_name("bad.toml")
    bad.write_text('[[tokens]]\nname = "x"\nrole = "root"\ntoken = "long-enough"\n',
                   encoding="utf-8")
    assert cli.main(["roles", "check", str(bad)]) == EXIT_ERROR
    assert "line 1, tokens[0].role" in capsys.readouterr().err


def test_cli_author_is_recorded(store_path: Path, tmp_path: Path) -> None:
    store = str(store_path)
    assert cli.main(["--store", store, "-q", "import-empty", "heating_pipe", "--district",
                     HEPING, "--author", "区住建委 张三"]) == EXIT_OK
    assert cli.main(["--store", store, "-q", "indicator", "set", HEPING, "led_share", "2025",
                     "0.9", "--unit", "share",
                     "--author", "区发改委 李四"]) == EXIT_OK
    s = open_store(store_path)
    assert s.history(LayerKind.HEATING_PIPE, HEPING)[-1].author == "区住建委 张三"
    assert s.indicator_log(HEPING)["author"].tolist() == ["区发改委 李四"]


def test_serve_with_a_bad_roles_file_stops_before_listening(
        tmp_path: Path, store_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "roles.toml"
    bad.write_text('[[tokens]]\nname = "区住建委"\nrole = "editor"\ntoken = "long-enough"\n'
                   'kinds = ["buildings"]\n', encoding="utf-8")
    monkeypatch.setenv("TANMAP_ROLES_FILE", str(bad))
    assert cli.main(["--store", str(store_path), "serve", "--port", "1"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert f"roles file {bad}, line 1, tokens[0].kinds: unknown kind 'buildings'" in err


def test_indicator_log_of_a_store_without_entries_is_empty(store_path: Path) -> None:
    log = open_store(store_path).indicator_log()
    assert list(log.columns) == ["district", "key", "year", "value", "unit", "source",
                                 "entered_at", "author"]
    assert log.empty
