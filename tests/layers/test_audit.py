"""Tests of the audit engine and the report-card writers on a hand-built store and catalog.

The store (tests/layers/test_runner.py ``build_store``): district 120199 测试区 = 1 km square
in EPSG:4548 with 街道 甲街道 (west) and 乙街道 (east); pocket gardens g1 existing, g2 completed
2020, g3 planned 2025, g4 planned 2031; recycling points r1, r2; one transfer station in 甲街道;
no greenway layer. Audit year 2024 unless said otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import LineString, Point, box

from tanmap.geo.audit import Status
from tanmap.geo.errors import CatalogError, UnknownDistrictError
from tanmap.geo.metric import MetricDef, MetricResult
from tanmap.geo.registry import METRICS
from tanmap.layers.audit import (
    AuditCard,
    audit_district,
    audit_units,
    scenario_cards,
    with_scenarios,
)
from tanmap.layers.card.report import card_html, card_markdown, format_value, write_card
from tanmap.layers.catalog import Catalog
from tests.layers.test_runner import ADCODE, build_store, copy_store, metre_frame

if TYPE_CHECKING:
    from pathlib import Path

    from tanmap.layers.store import GeoPackageStore

XSS = "<img src=x onerror=alert(1)>"


def _target(tid: str, metric: str, params: dict[str, Any], target: float | None,
            deadline: int | None, unit: str = "count", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{ADCODE}-{tid}", "adcode": ADCODE, "category": extra.pop("category", "other"),
        "title_zh": extra.pop("title_zh", f"目标{tid}"), "title_en": f"Target {tid}",
        "metric": metric, "params": params, "comparison": extra.pop("comparison", ">="),
        "target": target, "unit": unit, "deadline": deadline,
        "departments": ["区城市管理委"], "seed_file": "999_test.txt",
        "quote": extra.pop("quote", f"条款{tid}原文"), "spatial": metric != "indicator",
        **extra,
    }


def hand_catalog(*extra_targets: dict[str, Any]) -> Catalog:
    """A five-target catalog whose statuses at 2024 are known by hand.

    W01 recycling points >= 2 (have 2) -> met; G01 pocket gardens >= 3 by 2025 (2 built, g3
    planned 2025) -> on track; G02 pocket gardens >= 5 by 2030 (at most 3 by 2030) -> not met;
    G03 greenway >= 10 km (no greenway layer) -> no data; W02 >= 1 transfer station in every
    街道 by 2025 (乙街道 has none) -> not met, failing unit 乙街道.
    """
    targets = [
        _target("W01", "feature_count", {"kind": "recycling_point"}, 2, 2025,
                category="waste"),
        _target("G01", "feature_count", {"kind": "pocket_garden"}, 3, 2025,
                category="green_space", title_zh=f"口袋公园 {XSS}"),
        _target("G02", "feature_count", {"kind": "pocket_garden"}, 5, 2030,
                category="green_space"),
        _target("G03", "feature_length", {"kind": "greenway"}, 10, 2025, unit="km",
                category="green_space"),
        _target("W02", "per_unit_min_count",
                {"kind": "transfer_station", "unit_kind": "subdistrict"}, 1.0, 2025,
                unit="share", category="waste", scope="subdistrict"),
        *extra_targets,
    ]
    return Catalog.model_validate({
        "adcode": ADCODE, "district_zh": "测试区", "district_en": "Test District",
        "plan_title": "测试区碳达峰实施方案", "plan_year": 2023, "seed_file": "999_test.txt",
        "targets": targets,
    })


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    return build_store(tmp_path_factory.mktemp("base"))


@pytest.fixture
def store(base_store: GeoPackageStore, tmp_path: Path) -> GeoPackageStore:
    return copy_store(base_store, tmp_path)


@pytest.fixture(scope="module")
def card(base_store: GeoPackageStore) -> AuditCard:
    """The 2024 card of the hand-built catalog (read-only: tests must not change the store)."""
    return audit_district(base_store, ADCODE, year=2024, catalog=hand_catalog())


def test_statuses_of_hand_built_targets(card: AuditCard) -> None:
    got = {r.target_id.split("-")[1]: (r.status, r.measured, r.gap) for r in card.rows}
    assert got == {
        "W01": (Status.MET, 2.0, 0.0),
        "G01": (Status.ON_TRACK, 2.0, 1.0),
        "G02": (Status.NOT_MET, 2.0, 3.0),
        "G03": (Status.NO_DATA, None, None),
        "W02": (Status.NOT_MET, 0.5, 0.5),
    }
    assert card.row(f"{ADCODE}-G01").measured_planned == 3.0
    assert card.row(f"{ADCODE}-G02").measured_planned == 3.0
    assert card.row(f"{ADCODE}-W01").measured_planned is None  # met: no planned run needed
    assert card.counts == {"not_met": 2, "no_data": 1, "on_track": 1, "met": 1}


def test_rows_sorted_by_status_then_deadline(card: AuditCard) -> None:
    assert [r.target_id[-3:] for r in card.rows] == ["W02", "G02", "G03", "G01", "W01"]


def test_no_data_names_the_missing_layer(card: AuditCard) -> None:
    row = card.row(f"{ADCODE}-G03")
    assert row.missing == ("greenway",)
    assert row.error is None


def test_per_unit_rule_lists_failing_subdistrict(card: AuditCard) -> None:
    row = card.row(f"{ADCODE}-W02")
    assert row.failing_units == ("乙街道",)
    assert row.rule is not None
    assert row.rule.startswith("每个街道至少1处")
    assert row.params == {"kind": "transfer_station", "unit_kind": "subdistrict",
                          "min_count": 1, "statuses": [], "field": None, "values": [],
                          "unit_field": None, "unit_values": []}


def test_rows_carry_source_clause_and_departments(card: AuditCard) -> None:
    row = card.row(f"{ADCODE}-W01")
    assert (row.seed_file, row.quote) == ("999_test.txt", "条款W01原文")
    assert row.departments == ("区城市管理委",)
    assert row.deadline == 2025


def test_lineage_names_layer_versions(card: AuditCard) -> None:
    lineage = card.row(f"{ADCODE}-G01").lineage
    assert {(e["kind"], e["district"], e["version"]) for e in lineage} == {
        ("pocket_garden", ADCODE, 1), ("subdistrict", ADCODE, 1)}
    assert all(e["updated_at"].endswith("Z") for e in lineage)
    kinds = {e["kind"] for e in card.lineage()}
    assert kinds == {"pocket_garden", "recycling_point", "subdistrict", "transfer_station"}


def test_changing_a_layer_changes_the_card_and_lineage(store: GeoPackageStore) -> None:
    before = audit_district(store, ADCODE, year=2024, catalog=hand_catalog())
    store.write("transfer_station", metre_frame(
        [{"id": "t2", "name": "中转站2", "status": "existing"}], [Point(750, 500)],
    ), district=ADCODE, mode="append", source="new station")
    after = audit_district(store, ADCODE, year=2024, catalog=hand_catalog())
    w02_before, w02_after = before.row(f"{ADCODE}-W02"), after.row(f"{ADCODE}-W02")
    assert (w02_before.status, w02_after.status) == (Status.NOT_MET, Status.MET)
    assert w02_after.failing_units == ()
    version = {e["kind"]: e["version"] for e in w02_after.lineage}
    assert version["transfer_station"] == 2
    assert {e["kind"]: e["version"] for e in w02_before.lineage}["transfer_station"] == 1


def test_unit_card_has_one_row_per_subdistrict(store: GeoPackageStore) -> None:
    rows = audit_units(store, ADCODE, year=2024, catalog=hand_catalog())
    w02 = [(u.unit_name, u.measured, u.status) for u in rows if u.target_id.endswith("W02")]
    assert w02 == [("乙街道", 0.0, Status.NOT_MET), ("甲街道", 1.0, Status.MET)]
    g01 = [(u.unit_name, u.measured, u.status) for u in rows if u.target_id.endswith("G01")]
    assert g01 == [("乙街道", 0.0, None), ("甲街道", 2.0, None)]


def test_scenarios_count_projects_planned_by_each_year(store: GeoPackageStore) -> None:
    cards = scenario_cards(store, ADCODE, catalog=hand_catalog())
    assert sorted(cards) == [2025, 2030]
    g01 = {y: (c.row(f"{ADCODE}-G01").measured, c.row(f"{ADCODE}-G01").status)
           for y, c in cards.items()}
    assert g01 == {2025: (3.0, Status.MET), 2030: (3.0, Status.MET)}
    g02 = {y: c.row(f"{ADCODE}-G02").status for y, c in cards.items()}
    assert g02 == {2025: Status.NOT_MET, 2030: Status.NOT_MET}
    assert cards[2030].include_planned_until == 2030


def test_scenario_on_track_only_for_projects_due_by_deadline(store: GeoPackageStore) -> None:
    """G04: >= 4 gardens by 2031: g4 (planned 2031) makes it at 2031 -> on track in 2030."""
    catalog = hand_catalog(_target("G04", "feature_count", {"kind": "pocket_garden"}, 4, 2031))
    cards = scenario_cards(store, ADCODE, (2025, 2030), catalog=catalog)
    assert cards[2030].row(f"{ADCODE}-G04").status is Status.ON_TRACK
    assert cards[2030].row(f"{ADCODE}-G04").measured_planned == 4.0


def test_overdue_target_is_not_on_track(store: GeoPackageStore) -> None:
    card = audit_district(store, ADCODE, year=2026, catalog=hand_catalog())
    # g3 was planned for 2025 but is still "planned" in 2026: not built, so not measured; the
    # deadline 2030 is still ahead, so it counts in the planned figure (g4, due 2031, does not).
    row = card.row(f"{ADCODE}-G02")
    assert (row.status, row.measured, row.measured_planned) == (Status.NOT_MET, 2.0, 3.0)
    overdue = hand_catalog(_target("G05", "feature_count", {"kind": "pocket_garden"}, 4, 2025))
    row = audit_district(store, ADCODE, year=2026, catalog=overdue).row(f"{ADCODE}-G05")
    assert (row.status, row.measured_planned) == (Status.NOT_MET, None)


def test_overrides_change_threshold_and_are_marked(store: GeoPackageStore) -> None:
    card = audit_district(store, ADCODE, year=2024, catalog=hand_catalog(),
                          overrides={f"{ADCODE}-G02": {"target": 2}})
    row = card.row(f"{ADCODE}-G02")
    assert (row.target, row.status, row.overridden) == (2.0, Status.MET, True)
    assert card.overrides == {f"{ADCODE}-G02": {"target": 2}}


def test_overrides_file(store: GeoPackageStore, tmp_path: Path) -> None:
    path = tmp_path / "ov.yaml"
    path.write_text(f"targets:\n  {ADCODE}-W02:\n    params: {{unit_kind: subdistrict, "
                    f"min_count: 0}}\n", encoding="utf-8")
    row = audit_district(store, ADCODE, year=2024, catalog=hand_catalog(),
                         overrides=path).row(f"{ADCODE}-W02")
    assert (row.status, row.measured, row.params["min_count"]) == (Status.MET, 1.0, 0)


def test_override_of_unknown_target_is_an_error(store: GeoPackageStore) -> None:
    with pytest.raises(CatalogError, match=r"120199-X99.*no such target"):
        audit_district(store, ADCODE, year=2024, catalog=hand_catalog(),
                       overrides={f"{ADCODE}-X99": {"target": 1}})


def test_unknown_metric_and_unset_target_are_no_data(store: GeoPackageStore) -> None:
    catalog = hand_catalog(
        _target("X01", "no_such_metric", {}, 1, 2025),
        _target("X02", "feature_count", {"kind": "recycling_point"}, None, 2025,
                note="完成市下达指标"),
    )
    card = audit_district(store, ADCODE, year=2024, catalog=catalog)
    x01, x02 = card.row(f"{ADCODE}-X01"), card.row(f"{ADCODE}-X02")
    assert x01.status is Status.NO_DATA
    assert x01.error is not None
    assert "unknown metric 'no_such_metric'" in x01.error
    assert (x02.status, x02.measured) == (Status.NO_DATA, 2.0)
    md = card_markdown(card)
    assert "| 数据不足 | 120199-X02 | 目标X02 | 2 | 待市级下达 |" in md
    assert ">= —" not in md
    assert "≥ —" not in md
    assert "| No data | 120199-X02 | Target X02 | 2 | to be set by the city |" in card_markdown(
        card, "en")


def test_indicator_target(store: GeoPackageStore) -> None:
    store.put_indicator(ADCODE, "led_share", 2023, 0.85, "share", "区城管委")
    catalog = hand_catalog(_target("L01", "indicator", {"key": "led_share"}, 0.8, 2025,
                                   unit="share", comparison=">"))
    row = audit_district(store, ADCODE, year=2024, catalog=catalog).row(f"{ADCODE}-L01")
    assert (row.status, row.measured) == (Status.MET, 0.85)
    assert row.lineage[0]["kind"] == "indicator:led_share"


def test_unknown_district(store: GeoPackageStore) -> None:
    with pytest.raises(UnknownDistrictError):
        audit_district(store, "999999", year=2024, catalog=hand_catalog())


# ----------------------------------------------------------------------------- writers


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(0.9, "share", "90.0%"), (2.0, "count", "2"), (1.25, "km", "1.25公里"),
     (None, "km", "—"), (37.5, "pct", "37.5%"), (1_620_000, "m2", "162万平方米"),
     (4_500, "m2", "4,500平方米"), (800, "mu", "800亩"), (27_000, "mu", "2.7万亩"),
     (210_000, "kWp", "21万千瓦（峰值）"), (400_000_000, "m3", "4亿立方米"),
     (40, "t/d", "40吨/天")],
    ids=["share", "count", "km", "none", "pct", "m2-wan", "m2", "mu", "mu-wan", "kwp", "m3",
         "t-per-day"],
)
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(0.9, "share", "90.0%"), (1.25, "km", "1.25 km"), (1_620_000, "m2", "1,620,000 m²"),
     (800, "mu", "800 mu"), (40, "t/d", "40 t/d")],
    ids=["share", "km", "m2", "mu", "t-per-day"],
)
def test_format_value_en(value: float, unit: str, text: str) -> None:
    assert format_value(value, unit, "en") == text


def test_markdown_card_zh_and_en(card: AuditCard) -> None:
    md = card_markdown(card)
    assert md.startswith("# 测试区 (120199) 目标评估报告卡 2024")
    assert "未达标 2 · 数据不足 1 · 按计划可达标 1 · 达标 1" in md
    assert "| 未达标 | 120199-W02 |" in md
    assert "乙街道" in md
    assert "《测试区碳达峰实施方案》：「条款W02原文」" in md
    assert "999_test.txt" not in md
    assert "绿道图层" in md
    assert "greenway" not in md
    en = card_markdown(card, "en")
    assert en.startswith("# Test District (120199) Plan-target report card 2024")
    assert "| Not met | 120199-W02 |" in en
    assert "On track 1" in en


def test_html_card_is_escaped_and_self_contained(card: AuditCard) -> None:
    page = card_html(card)
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page
    assert '<td class="status not_met">未达标</td>' in page
    assert '<td class="status on_track">On track</td>' in card_html(card, "en")


def test_write_card_all_formats(base_store: GeoPackageStore, card: AuditCard,
                                tmp_path: Path) -> None:
    card = with_scenarios(card, scenario_cards(base_store, ADCODE, catalog=hand_catalog()))
    paths = write_card(card, tmp_path / "out")
    assert [p.name for p in paths] == [f"audit_120199_2024_zh.{e}"
                                       for e in ("md", "html", "xlsx", "json")]
    data = json.loads(paths[3].read_text(encoding="utf-8"))
    assert data["counts"] == {"not_met": 2, "no_data": 1, "on_track": 1, "met": 1}
    w02 = next(r for r in data["rows"] if r["target_id"].endswith("W02"))
    assert w02["status_zh"] == "未达标"
    assert w02["failing_units"] == ["乙街道"]
    assert w02["params"]["unit_kind"] == "subdistrict"
    assert w02["rule"].startswith("每个街道至少1处")
    assert {e["kind"] for e in data["lineage"]} >= {"transfer_station", "subdistrict"}
    assert set(data["scenarios"]) == {"2025", "2030"}
    wb = load_workbook(paths[2])
    assert wb.sheetnames == ["评估卡", "街道", "情景", "数据版本"]
    assert wb["评估卡"]["A2"].value == "未达标"
    assert wb["评估卡"]["B2"].value == "120199-W02"
    assert wb["评估卡"]["E2"].value == 0.5
    assert (wb["评估卡"]["F2"].value, wb["评估卡"]["G2"].value) == ("≥", 1.0)
    assert wb["评估卡"]["H2"].value == "%"
    assert wb["情景"]["E1"].value == "2025 实测值"
    assert wb["街道"].max_row == 1 + len(card.unit_rows)
    en = write_card(card, tmp_path / "out", formats=["xlsx"], lang="en")
    assert load_workbook(en[0]).sheetnames == ["Card", "Sub-districts", "Scenarios", "Lineage"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"formats": ["doc"]}, r"unknown report format\(s\) \['doc'\]; choose from md, html"),
     ({"lang": "fr"}, r"unknown language 'fr'; use 'zh'")],
    ids=["format", "lang"],
)
def test_write_card_rejects_bad_options(card: AuditCard, tmp_path: Path,
                                        kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_card(card, tmp_path, **kwargs)


def test_planned_pipe_renewal_puts_heating_target_on_track(store: GeoPackageStore) -> None:
    """Two 100 m pipes laid in 1980: h1 renewed 2020, h2 in service with renewal planned 2025.

    Target: no pipe older than 30 years left unrenewed by 2025 (<= 0 km). In 2024 h2 is 44
    years old and not renewed (0.1 km) -> not met now; counting the renewal planned for 2025
    leaves 0 km -> on track.
    """
    store.write("heating_pipe", metre_frame(
        [{"id": "h1", "status": "renewed", "installation_year": 1980, "renewal_year": 2020},
         {"id": "h2", "status": "existing", "installation_year": 1980, "planned_year": 2025}],
        [LineString([(100, 300), (200, 300)]), LineString([(100, 700), (200, 700)])],
    ), district=ADCODE, source="pipes")
    catalog = hand_catalog(_target("H01", "heating_old_pipes", {"age_threshold_years": 30},
                                   0, 2025, unit="km", comparison="<=", category="heating"))
    row = audit_district(store, ADCODE, year=2024, catalog=catalog).row(f"{ADCODE}-H01")
    assert row.status is Status.ON_TRACK
    assert row.measured == pytest.approx(0.1, abs=1e-6)
    assert row.measured_planned == 0.0
    assert row.gap == pytest.approx(0.1, abs=1e-6)


def test_per_community_rule_rolls_up_to_subdistricts(store: GeoPackageStore) -> None:
    """社区1 = north half of 甲街道 (holds r1 at (100, 900)), 社区2 = south half (none),
    社区3 = all of 乙街道 (holds r2 at (700, 900)). Rule: >= 1 recycling point per 社区.

    District: 2 of 3 communities -> 2/3, not met, failing 社区2. 甲街道: 1 of 2 (0.5), not met,
    failing 社区2; 乙街道: 1 of 1, met.
    """
    store.write("community", metre_frame(
        [{"id": "c1", "name": "社区1", "subdistrict": "s1"},
         {"id": "c2", "name": "社区2", "subdistrict": "s1"},
         {"id": "c3", "name": "社区3", "subdistrict": "s2"}],
        [box(0, 500, 500, 1000), box(0, 0, 500, 500), box(500, 0, 1000, 1000)],
    ), district=ADCODE, source="communities")
    catalog = hand_catalog(_target("R01", "per_unit_min_count",
                                   {"kind": "recycling_point", "unit_kind": "community"},
                                   1.0, 2025, unit="share", category="waste"))
    card = audit_district(store, ADCODE, year=2024, catalog=catalog)
    row = card.row(f"{ADCODE}-R01")
    assert row.status is Status.NOT_MET
    assert row.measured == pytest.approx(2 / 3)
    assert row.failing_units == ("社区2",)
    units = [(u.unit_name, u.measured, u.status, u.failing_units)
             for u in card.unit_rows if u.target_id.endswith("R01")]
    assert units == [("乙街道", 1.0, Status.MET, ()),
                     ("甲街道", 0.5, Status.NOT_MET, ("社区2",))]
    md = card_markdown(card)
    assert "| 甲街道 | 120199-R01 | 目标R01 | 50.0% | ≥ 100.0% | 未达标 | 社区2 |" in md


@dataclass(frozen=True)
class _NoParams:
    """No parameters."""


def _coverage_like(frames: Any, params: Any, context: Any) -> MetricResult:
    """A fixed coverage-style result with 街道 and 社区 rows (like park_coverage)."""
    table = pd.DataFrame({
        "unit_id": ["s1", "s2", "c1", "c2"], "unit_name": ["甲街道", "乙街道", "社区1", "社区2"],
        "share": [0.95, 0.6, 1.0, 0.2], "threshold_met": [True, False, True, False],
        "unit_kind": ["subdistrict", "subdistrict", "community", "community"],
    })
    return MetricResult(name="coverage_like", value=0.8, unit="share", per_unit=table,
                        rule="test (v1)")


def test_metric_with_own_subdistrict_rows_is_not_rolled_up(store: GeoPackageStore) -> None:
    store.write("community", metre_frame(
        [{"id": "c1", "name": "社区1", "subdistrict": "s1"},
         {"id": "c2", "name": "社区2", "subdistrict": "s2"}],
        [box(0, 0, 500, 1000), box(500, 0, 1000, 1000)],
    ), district=ADCODE, source="communities")
    metrics = {**METRICS, "coverage_like": MetricDef(
        name="coverage_like", zh="覆盖率", en="Coverage", inputs=(), params=_NoParams,
        compute=_coverage_like, unit="share")}
    catalog = hand_catalog(_target("C01", "coverage_like", {}, 0.9, 2025, unit="share"))
    card = audit_district(store, ADCODE, year=2024, catalog=catalog, metrics=metrics)
    units = [(u.unit_name, u.measured, u.status) for u in card.unit_rows
             if u.target_id.endswith("C01")]
    assert units == [("乙街道", 0.6, Status.NOT_MET), ("甲街道", 0.95, Status.MET)]
    assert card.row(f"{ADCODE}-C01").status is Status.NOT_MET


def test_sample_data_is_labelled_on_every_format(store: GeoPackageStore, tmp_path: Path) -> None:
    """Real-looking layers give no banner; one layer whose source says 示例数据 gives it."""
    plain = audit_district(store, ADCODE, year=2024, catalog=hand_catalog())
    assert plain.sample_data is False
    assert "示例数据" not in card_markdown(plain)
    store.write("recycling_point", metre_frame(
        [{"id": "r1", "status": "existing"}, {"id": "r2", "status": "existing"}],
        [Point(100, 900), Point(700, 900)],
    ), district=ADCODE, source="示例数据 synthetic sample, seed 1")
    card = audit_district(store, ADCODE, year=2024, catalog=hand_catalog())
    assert card.sample_data is True
    md, json_path = write_card(card, tmp_path, formats=["md", "json"])
    assert "> **⚠ 示例数据：本报告卡基于合成示例图层计算" in md.read_text(encoding="utf-8")
    assert json.loads(json_path.read_text(encoding="utf-8"))["sample_data"] is True
    assert '<p class="banner">⚠ Synthetic sample (示例数据)' in card_html(card, "en")
