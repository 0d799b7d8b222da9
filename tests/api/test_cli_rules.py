"""``--rule-file`` on ``tanmap metric`` and ``tanmap audit``: the result and the card name the rule.

Store: tests/layers/test_rule_files.py ``build_rule_store`` (R1 50 m from an 800 m² G14 park,
R2 unserved). Under GB/T 51346 (every park, 500 m) the share is 0.5; under the tiered user rule
(< 1000 m² not counted) it is 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tanmap.api.cli import main
from tanmap.layers.store import GeoPackageStore
from tests.layers.test_rule_files import TIERED_RULE, build_rule_store
from tests.layers.test_runner import ADCODE, copy_store

RULE_CITATION = "user rule 测试区公园服务半径规则 v3 — 测试区绿地系统规划 (2024) 第 4.2 条"


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    return build_rule_store(tmp_path_factory.mktemp("cli-rules"))


@pytest.fixture
def store(base_store: GeoPackageStore, tmp_path: Path) -> GeoPackageStore:
    return copy_store(base_store, tmp_path / "store")


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(TIERED_RULE, encoding="utf-8")
    return path


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    """120199.yaml with one target: park coverage >= 90 % by 2025 (GB/T 51346 by default)."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    target = {
        "id": f"{ADCODE}-G01", "adcode": ADCODE, "category": "green_space",
        "title_zh": "公园绿地服务半径覆盖率", "title_en": "Park coverage",
        "metric": "park_coverage", "params": {"rule": "gbt51346_2019"}, "comparison": ">=",
        "target": 0.9, "unit": "share", "deadline": 2025, "seed_file": "test.txt",
        "quote": "公园绿地服务半径覆盖率达到90%", "spatial": True,
    }
    catalog = {"adcode": ADCODE, "district_zh": "测试区", "district_en": "Test District",
               "plan_title": "测试方案", "plan_year": 2024, "seed_file": "test.txt",
               "targets": [target]}
    (folder / f"{ADCODE}.yaml").write_text(yaml.safe_dump(catalog, allow_unicode=True),
                                           encoding="utf-8")
    return folder


def run(store: GeoPackageStore, *argv: str) -> int:
    return main(["--store", str(store.path), *argv])


def test_metric_with_rule_file_names_the_rule(store: GeoPackageStore, rule_file: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store, "metric", "park_coverage", "--district", ADCODE, "--year", "2025",
               "--json") == 0
    assert json.loads(capsys.readouterr().out)["value"] == pytest.approx(0.5, abs=1e-9)
    assert run(store, "metric", "park_coverage", "--district", ADCODE, "--year", "2025",
               "--rule-file", str(rule_file), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["value"] == 0.0
    assert data["rule"] == RULE_CITATION
    assert data["params"]["rule"]["citation"] == "测试区绿地系统规划 (2024) 第 4.2 条"
    assert data["details"]["rule"]["version"] == 3


def test_metric_summary_shows_the_rule(store: GeoPackageStore, rule_file: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store, "--lang", "en", "metric", "park_coverage", "--district", ADCODE,
               "--rule-file", str(rule_file)) == 0
    out = capsys.readouterr().out
    assert f"Rule: {RULE_CITATION}" in out
    assert "Parameters: rule=<测试区公园服务半径规则 v3>, radius_m=null" in out


def test_rule_file_and_rule_param_conflict(store: GeoPackageStore, rule_file: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store, "metric", "park_coverage", "--district", ADCODE, "--rule-file",
               str(rule_file), "--param", "rule=gb55014_2021") == 2
    assert "give --rule-file or --param rule=..., not both" in capsys.readouterr().err


def test_rule_file_on_a_metric_without_rules_is_a_usage_error(
    store: GeoPackageStore, rule_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(store, "metric", "feature_count", "--district", ADCODE, "--param", "kind=park",
               "--rule-file", str(rule_file)) == 2
    assert "--rule-file applies to metrics with a coverage rule (park_coverage), not " \
           "'feature_count'" in capsys.readouterr().err


def test_bad_rule_file_is_a_clear_error(store: GeoPackageStore, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TIERED_RULE.replace("max_area_m2: 5000", "max_area_m2: 6000"),
                   encoding="utf-8")
    assert run(store, "metric", "park_coverage", "--district", ADCODE,
               "--rule-file", str(bad)) == 1
    err = capsys.readouterr().err
    assert "bad.yaml: coverage rule '测试区公园服务半径规则': 1 problem(s)" in err
    assert "tiers[1] (1000–6000 m² -> 300 m) overlaps tiers[0] (>= 5000 m² -> 500 m)" in err


def test_audit_card_names_the_user_rule(store: GeoPackageStore, rule_file: Path,
                                        catalog_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(store, "-q", "audit", ADCODE, "--year", "2025", "--catalog-dir",
               str(catalog_dir), "--out", str(out), "--format", "json,md") == 0
    plain = json.loads((out / f"audit_{ADCODE}_2025_zh.json").read_text(encoding="utf-8"))
    assert plain["rows"][0]["rule"] == "GB/T 51346-2019 cl. 4.3.4 (tanmap rule v1)"
    assert plain["rows"][0]["measured"] == pytest.approx(0.5, abs=1e-9)

    assert run(store, "-q", "audit", ADCODE, "--year", "2025", "--catalog-dir",
               str(catalog_dir), "--out", str(out), "--format", "json,md",
               "--rule-file", str(rule_file)) == 0
    card = json.loads((out / f"audit_{ADCODE}_2025_zh.json").read_text(encoding="utf-8"))
    row = card["rows"][0]
    assert row["rule"] == RULE_CITATION
    assert row["measured"] == 0.0
    assert row["target"] == 0.9  # the plan's target is kept
    assert row["overridden"] is True
    # The zh card names the user's rule in Chinese, with the user's own name and citation; the
    # parameter column names the rule instead of dumping its mapping.
    md = (out / f"audit_{ADCODE}_2025_zh.md").read_text(encoding="utf-8")
    assert "自定义规则 " + RULE_CITATION.removeprefix("user rule ") in md
    assert "规则：测试区公园服务半径规则 v3" in md
    assert "min_area_m2" not in md


def test_a_hostile_rule_name_is_escaped_on_the_html_card(
    store: GeoPackageStore, catalog_dir: Path, tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(TIERED_RULE.replace("name: 测试区公园服务半径规则",
                                           'name: "<script>alert(1)</script>"'),
                       encoding="utf-8")
    out = tmp_path / "out"
    assert run(store, "-q", "audit", ADCODE, "--year", "2025", "--catalog-dir",
               str(catalog_dir), "--out", str(out), "--format", "html",
               "--rule-file", str(hostile)) == 0
    html = (out / f"audit_{ADCODE}_2025_zh.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_rules_list_show_and_check(store: GeoPackageStore, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store, "--lang", "en", "rules", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[2:]] == [
        "gbt51346_2019", "chengshi_tijian_2021", "yuanlin_2016", "gb55014_2021"]
    assert run(store, "rules", "show", "chengshi_tijian_2021") == 0
    shown = tmp_path / "tijian.yaml"
    shown.write_text(capsys.readouterr().out, encoding="utf-8")
    edited = shown.read_text(encoding="utf-8").replace("min_area_m2: 2000.0", "min_area_m2: 1000.0")
    shown.write_text(edited.replace("version: 1", "version: 2"), encoding="utf-8")
    assert run(store, "--lang", "en", "rules", "check", str(shown)) == 0
    out = capsys.readouterr().out
    assert ">= 1000 m² -> 300 m; >= 5000 m² -> 500 m" in out
    cite = ("Results will cite: user rule 城市体检 公园绿地服务半径覆盖率 v2 — "
            "MOHURD 城市体检指标体系")
    assert cite in out
    assert run(store, "rules", "show", "nope") == 1
    assert "unknown coverage rule 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(edited.replace("radius_m: 300.0", "radius_m: -300.0"), encoding="utf-8")
    assert run(store, "rules", "check", str(bad)) == 1
    assert "tiers[0].radius_m: expected a number > 0 (metres), got -300" in \
        capsys.readouterr().err
