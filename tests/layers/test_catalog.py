"""Tests of the plan-target catalog (tanmap/data/targets/*.yaml) and its loader."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tanmap.geo.errors import CatalogError, LayerValidationError, UnknownDistrictError
from tanmap.geo.metric import MetricDef
from tanmap.geo.registry import METRICS
from tanmap.layers import catalog as catalog_mod
from tanmap.layers.catalog import (
    CATALOG_DIR,
    Catalog,
    Category,
    Target,
    all_catalogs,
    apply_overrides,
    load_catalog,
    load_overrides,
    normalise_plan_text,
    override,
    validate_catalog_params,
)

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"

#: The districts of the five seed plans and their seed files (DOMAIN.md §1).
DISTRICTS = {
    "120101": "000_180896f5e658fff3.txt",
    "120104": "001_fe5eba21922e2856.txt",
    "120110": "002_dc50a1f2bd5a771c.txt",
    "430781": "003_c91bf68e31ce9bae.txt",
    "310101": "004_89f078c05380650c.txt",
}

#: The metric names of docs/architecture.md ("Metrics"); the catalog may use no others.
DOCUMENTED_METRICS = frozenset({
    "park_coverage", "facility_coverage", "charging_spacing", "charging_service_radius",
    "charging_route_interval", "charging_piles", "fast_charge_share", "pv_roof_share",
    "pv_capacity", "pv_potential", "heating_old_pipes", "heating_renewal_progress",
    "blue_green_share", "forest_cover", "per_unit_min_count", "feature_count", "feature_length",
    "area_share", "indicator", "living_circle", "park_walk_coverage", "building_emissions",
    "emission_map_coverage",
})

CATALOGS = all_catalogs()
ALL_TARGETS = [t for c in CATALOGS.values() for t in c.targets]
USED_METRICS = sorted({t.metric for t in ALL_TARGETS})


def _target_ids(t: Target) -> str:
    return t.id


# --------------------------------------------------------------------------- bundled files


def test_one_catalog_per_seed_plan() -> None:
    assert {k: c.seed_file for k, c in CATALOGS.items()} == DISTRICTS
    assert CATALOGS["310101"].district_zh == "上海市黄浦区"
    assert CATALOGS["430781"].plan_year == 2024


def test_counts_per_district() -> None:
    """Entries per district as (total, spatial); the report to the integrator quotes these."""
    counts = {k: (len(c.targets), sum(t.spatial for t in c.targets)) for k, c in CATALOGS.items()}
    assert counts == {
        "120101": (51, 10),  # + V01 十五分钟便民生活圈 (issue 11)
        "120104": (7, 0),
        "120110": (87, 14),
        "310101": (44, 14),  # + V01 10分钟社区生活圈 (issue 11), C03 黄浦碳排放量地图 (issue 14)
        "430781": (42, 7),  # + T06 充电桩服务区块沿城市主干道连续覆盖 (issue 10)
    }


def test_target_ids_are_unique_across_all_districts() -> None:
    ids = [t.id for t in ALL_TARGETS]
    assert len(ids) == len(set(ids)) == 231


@pytest.mark.parametrize("target", ALL_TARGETS, ids=_target_ids)
def test_quote_occurs_verbatim_in_its_seed(target: Target) -> None:
    seed = SEEDS / target.seed_file
    if not SEEDS.is_dir():
        if os.environ.get("CI"):  # CI lays ../shared beside the checkout: never skip there
            pytest.fail(f"seed plans not present at {SEEDS} under CI")
        pytest.skip(f"seed plans not present at {SEEDS} (../shared/seeds)")
    assert normalise_plan_text(target.quote) in normalise_plan_text(
        seed.read_text(encoding="utf-8")
    )


def test_deadlines_are_plan_periods_or_named_in_the_clause() -> None:
    """十四五 -> 2025, 十五五 -> 2030, none; any other year must be named in the clause itself."""
    assert {t.deadline for t in ALL_TARGETS} == {2023, 2025, 2030, None}
    unexplained = [t.id for t in ALL_TARGETS if t.deadline not in (2025, 2030, None)
                   and str(t.deadline) not in normalise_plan_text(t.quote)]
    assert unexplained == []


def test_deadline_agrees_with_the_year_the_clause_names() -> None:
    """A clause reading "到 2030 年..." must not be filed under another deadline."""
    clash = []
    for t in ALL_TARGETS:
        named = re.search(r"到(\d{4})年", normalise_plan_text(t.quote))
        if named and int(named.group(1)) != t.deadline:
            clash.append((t.id, named.group(0), t.deadline))
    assert clash == []


@pytest.mark.parametrize("target", ALL_TARGETS, ids=_target_ids)
def test_entry_is_complete(target: Target) -> None:
    assert target.metric in DOCUMENTED_METRICS
    assert target.title_zh
    assert target.title_en
    # A figure the plan leaves to a higher level, or one chosen for vague wording, is explained.
    if target.target is None or target.vague:
        assert target.note
    if target.baseline is not None:
        assert target.baseline.year < (target.deadline or 2100)


@pytest.mark.parametrize("metric", USED_METRICS)
def test_metric_is_registered(metric: str) -> None:
    """Fails until the metric engineers register every metric the catalog names."""
    assert metric in METRICS, f"{metric!r} is not in tanmap.geo.registry.METRICS"


@pytest.mark.parametrize("adcode", sorted(DISTRICTS))
def test_params_validate_against_the_registry(adcode: str) -> None:
    problems = validate_catalog_params(CATALOGS[adcode])
    assert problems == [], "\n".join(map(str, problems))


@pytest.mark.parametrize(
    ("target_id", "metric", "params", "comparison", "value", "unit", "deadline", "vague"),
    [
        ("310101-G02", "park_coverage",
         {"rule": "gbt51346_2019", "radius_m": 500, "include_pocket_gardens": False,
          "area_type": "overall"}, ">=", 0.9, "share", 2025, True),
        ("310101-T03", "fast_charge_share", {}, ">=", 0.3, "share", 2025, False),
        ("310101-T05", "charging_piles",
         {"pile": "total", "since_year": 2021, "access": ["public", "dedicated"]},
         ">=", 600, "count", 2025, False),
        ("120110-G02", "blue_green_share", {"control_level": 1, "count_farmland": False},
         ">=", 0.85, "share", 2025, False),
        ("120110-G03", "forest_cover", {"control_level": 1}, ">=", 0.275, "share", 2025, False),
        ("120110-T01", "facility_coverage",
         {"kind": "bus_stop", "radius_m": 500, "denominator": "district",
          "zone_type": "central_urban"},
         ">=", 0.9, "share", None, False),
        ("430781-T04", "charging_route_interval",
         {"max_interval_km": 50, "route_classes": ["expressway", "national", "provincial"]},
         "<", 50, "km", 2025, False),
        ("430781-P01", "pv_capacity", {},
         ">=", 210000, "kWp", 2025, False),
        ("120101-H01", "heating_renewal_progress", {"age_threshold_years": 30},
         ">=", 1.0, "share", 2030, True),
        ("120101-R01", "per_unit_min_count",
         {"kind": "recycling_point", "unit_kind": "community", "min_count": 1},
         ">=", 1.0, "share", None, False),
        ("120101-G01", "indicator", {"key": "urban_green_area_m2"},
         ">=", 1620000, "m2", 2025, False),
    ],
    ids=lambda v: v if isinstance(v, str) and "-" in v else None,
)
def test_hand_checked_entries(
    target_id: str, metric: str, params: dict[str, Any], comparison: str, value: float,
    unit: str, deadline: int | None, vague: bool,
) -> None:
    t = CATALOGS[target_id[:6]].get(target_id)
    assert (t.metric, t.params, t.comparison, t.target, t.unit, t.deadline, t.vague) == (
        metric, params, comparison, value, unit, deadline, vague
    )


def test_city_assigned_targets_have_no_figure() -> None:
    """完成市下达指标: the value is entered by the user, never invented."""
    t = CATALOGS["120101"].get("120101-C01")
    assert t.target is None
    assert "市下达指标" in t.quote
    assert "市下达指标" in (t.note or "")


def test_categories_have_chinese_labels() -> None:
    assert Category("green_space").zh == "绿地与公园"
    assert {t.category for t in ALL_TARGETS} <= set(Category)


def test_catalog_get_unknown_id() -> None:
    with pytest.raises(KeyError, match="no target '120101-Z99' in the catalog of 120101"):
        CATALOGS["120101"].get("120101-Z99")


# --------------------------------------------------------------------------- schema errors


def _entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "999999-G01", "adcode": "999999", "category": "green_space",
        "title_zh": "公园绿地服务半径覆盖率", "title_en": "Park coverage",
        "metric": "park_coverage", "params": {"radius_m": 500}, "comparison": ">=",
        "target": 0.9, "unit": "share", "baseline": None, "deadline": 2025,
        "departments": ["区绿化市容局"], "seed_file": "x.txt", "quote": "基本实现全覆盖",
        "spatial": True, "vague": True, "note": "0.9 chosen", "scope": "district",
    }
    base.update(changes)
    return base


def _write(tmp_path: Path, targets: list[dict[str, Any]], **head: Any) -> Path:
    data = {"adcode": "999999", "district_zh": "测试区", "district_en": "Test",
            "plan_title": "测试方案", "plan_year": 2023, "seed_file": "x.txt", **head,
            "targets": targets}
    (tmp_path / "999999.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                          encoding="utf-8")
    return tmp_path


def test_minimal_file_loads(tmp_path: Path) -> None:
    cat = load_catalog("999999", directory=_write(tmp_path, [_entry()]))
    assert isinstance(cat, Catalog)
    assert cat.get("999999-G01").params == {"radius_m": 500}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target": 60}, "write 60% as 0.6"),
        ({"note": None}, "vague=true needs a note"),
        ({"vague": False, "note": None, "target": None}, "target=null needs a note"),
        ({"metric": "indicator", "params": {}}, "needs params.key"),
        ({"metric": "indicator", "params": {"key": "k"}}, "indicator entries are non-spatial"),
        ({"spatial": False}, "every other metric is spatial"),
        ({"id": "120101-G01"}, "must start with the adcode '999999'"),
        ({"comparison": "=>"}, "comparison"),
        ({"category": "parks"}, "category"),
        ({"colour": "green"}, "Extra inputs are not permitted"),
        ({"scope": "village"}, "scope"),
    ],
    ids=["share-as-percent", "vague-without-note", "null-target-without-note",
         "indicator-without-key", "indicator-spatial", "spatial-flag", "id-prefix",
         "comparison", "category", "extra-field", "scope"],
)
def test_schema_errors_are_reported(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    folder = _write(tmp_path, [_entry(**changes)])
    with pytest.raises(CatalogError, match=message) as info:
        load_catalog("999999", directory=folder)
    assert info.value.issues  # structured problems, not only a string
    assert isinstance(info.value, LayerValidationError | ValueError)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = _write(tmp_path, [_entry(), _entry(), _entry(id="120101-G02", adcode="120101")])
    with pytest.raises(CatalogError, match="duplicate target id '999999-G01'") as info:
        load_catalog("999999", directory=folder)
    text = str(info.value)
    assert "adcode '120101' differs from the file's '999999'" in text


def test_seed_file_mismatch(tmp_path: Path) -> None:
    folder = _write(tmp_path, [_entry(seed_file="other.txt")])
    with pytest.raises(CatalogError, match=r"seed_file 'other\.txt' differs"):
        load_catalog("999999", directory=folder)


def test_unknown_district_lists_available(tmp_path: Path) -> None:
    with pytest.raises(UnknownDistrictError, match=r"no plan-target catalog for district '000000'.*"
                       r"available: 120101, 120104, 120110, 310101, 430781"):
        load_catalog("000000")
    with pytest.raises(UnknownDistrictError, match=r"available: \(none\)"):
        load_catalog("120101", directory=tmp_path)


def test_yaml_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "999999.yaml").write_text("adcode: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"999999\.yaml: 1 problem"):
        load_catalog("999999", directory=tmp_path)


def test_bundled_directory_default() -> None:
    assert CATALOG_DIR.name == "targets"
    assert sorted(p.stem for p in CATALOG_DIR.glob("*.yaml")) == sorted(DISTRICTS)


# --------------------------------------------------------------------------- registry checks


@dataclasses.dataclass(frozen=True)
class _HeatingParams:
    age_threshold_years: int = 20


def _fake_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register one stand-in metric so param validation is tested independently of geo/."""
    mdef = MetricDef(
        name="heating_renewal_progress", zh="老旧管网改造进度", en="Renewal progress",
        inputs=("heating_pipe",), params=_HeatingParams,
        compute=lambda frames, params, context: None,  # type: ignore[arg-type,return-value]
        unit="share",
    )
    monkeypatch.setattr(catalog_mod, "METRICS", MappingProxyType({mdef.name: mdef}))


def test_unregistered_metric_is_a_problem_only_when_required(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setattr(catalog_mod, "METRICS", MappingProxyType({}))
    cat = load_catalog("999999", directory=_write(tmp_path, [_entry()]))  # loads
    problems = validate_catalog_params(cat)
    assert [str(p) for p in problems] == [
        "999999-G01: metric: metric 'park_coverage' is not registered; "
        "known: (none registered yet)"
    ]
    assert validate_catalog_params(cat, require_registered=False) == []


def test_registered_metric_params_are_checked_on_load(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_registry(monkeypatch)
    bad = _entry(metric="heating_renewal_progress", params={"age_years": 30})
    with pytest.raises(CatalogError, match=r"unknown parameter\(s\) \['age_years'\]"):
        load_catalog("999999", directory=_write(tmp_path, [bad]))
    good = _entry(metric="heating_renewal_progress", params={"age_threshold_years": 30})
    cat = load_catalog("999999", directory=_write(tmp_path, [good]))
    assert validate_catalog_params(cat) == []


def test_bundled_heating_targets_fit_the_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_registry(monkeypatch)
    problems = validate_catalog_params(load_catalog("120101"), require_registered=False)
    assert problems == []


# --------------------------------------------------------------------------- overrides


def test_override_changes_threshold_and_marks_it() -> None:
    t = CATALOGS["310101"].get("310101-G02")
    edited = override(t, target=0.95, note="区绿化市容局按 95% 掌握")
    assert (edited.target, edited.overridden, t.target, t.overridden) == (0.95, True, 0.9, False)
    assert edited.quote == t.quote


def test_override_merges_params() -> None:
    t = CATALOGS["310101"].get("310101-G02")
    edited = override(t, params={"radius_m": 300})
    assert edited.params == {"rule": "gbt51346_2019", "radius_m": 300,
                             "include_pocket_gardens": False, "area_type": "overall"}


def test_override_rejects_fixed_fields_and_bad_values() -> None:
    t = CATALOGS["120101"].get("120101-H01")
    with pytest.raises(CatalogError, match="quote: not editable; editable fields: baseline"):
        override(t, quote="改写")
    with pytest.raises(CatalogError, match=r"needs a target in \[0, 1\], got 1.5"):
        override(t, target=1.5)


def test_override_bad_param_with_registered_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_registry(monkeypatch)
    t = CATALOGS["120101"].get("120101-H01")
    assert override(t, params={"age_threshold_years": 20}).params == {"age_threshold_years": 20}
    with pytest.raises(CatalogError, match=r"expected a whole number, got 2\.5"):
        override(t, params={"age_threshold_years": 2.5})


def test_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(
        "targets:\n"
        "  310101-G02: {target: 0.95}\n"
        "  120101-H01: {params: {age_threshold_years: 20}, deadline: 2028}\n",
        encoding="utf-8",
    )
    assert load_overrides(path) == {"310101-G02": {"target": 0.95},
                                    "120101-H01": {"params": {"age_threshold_years": 20},
                                                   "deadline": 2028}}
    hp = load_catalog("310101", overrides=path)
    assert hp.get("310101-G02").target == 0.95
    assert hp.get("310101-T03").overridden is False  # untouched entries stay as in the plan
    hep = load_catalog("120101", overrides=path)
    assert (hep.get("120101-H01").params, hep.get("120101-H01").deadline) == (
        {"age_threshold_years": 20}, 2028)


def test_overrides_unknown_id_and_bad_shape(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="310101-G99: id: no such target in 310101"):
        apply_overrides(CATALOGS["310101"], {"310101-G99": {"target": 1.0}})
    path = tmp_path / "bad.yaml"
    path.write_text("targets: [310101-G02]\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="expected a mapping 'targets:"):
        load_overrides(path)


# --------------------------------------------------------------------------- properties

_text = st.text(alphabet=st.sampled_from(list("到年平方米公园绿地 \n\t,%0123456789—")), max_size=40)


@given(_text)
def test_normalise_is_idempotent_and_strips_whitespace(s: str) -> None:
    once = normalise_plan_text(s)
    assert normalise_plan_text(once) == once
    assert not any(ch.isspace() for ch in once)


@given(st.text(alphabet=st.sampled_from(list("城市绿地面积达到万平方米")), min_size=1, max_size=20),
       st.lists(st.sampled_from([" ", "\n", " — 12 — ", "—3—", "\t"]), min_size=1, max_size=20))
def test_whitespace_and_page_markers_do_not_change_a_quote(word: str, noise: list[str]) -> None:
    """A PDF line break or page marker inside a clause must not break quote matching."""
    noisy = "".join(ch + noise[i % len(noise)] for i, ch in enumerate(word))
    assert normalise_plan_text(noisy) == word


@given(st.floats(min_value=-2, max_value=3, allow_nan=False))
def test_share_override_in_unit_interval_only(value: float) -> None:
    t = CATALOGS["120110"].get("120110-G01")
    if 0 <= value <= 1:
        assert override(t, target=value).target == value
    else:
        with pytest.raises(CatalogError, match="needs a target in"):
            override(t, target=value)
