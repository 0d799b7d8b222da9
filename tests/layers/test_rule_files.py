"""User rule files: reading (YAML/JSON, errors naming the file and key), metrics and catalogs.

Store (EPSG:4548 metres relative to (X0, Y0), see tests/layers/test_runner.py): district 120199
[0, 1000] × [0, 1000] m and neighbour 120198 [1000, 2000] × [0, 1000] m. Residential land R1 =
[0, 100]² and R2 = [900, 1000] × [0, 100] (10 000 m² each). Parks: ``small`` (G14, 40 m × 20 m =
800 m²) at [0, 40] × [150, 170], 50 m north of R1; ``far`` (G11, 50 m × 50 m = 2500 m²) in the
neighbour at [1900, 1950] × [0, 50], 900 m east of the border and of R2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from shapely.geometry import Point, box

from tanmap.geo.errors import CoverageRuleError, MetricParameterError
from tanmap.layers.catalog import load_catalog
from tanmap.layers.ingest.rule_files import (
    MAX_RULE_FILE_BYTES,
    apply_rule_to_catalog,
    load_rule_file,
    parse_rule_text,
    read_rule_file,
)
from tanmap.layers.runner import run_metric
from tanmap.layers.store import GeoPackageStore, open_store
from tests.layers.test_runner import ADCODE, EPSG, NEIGHBOUR, copy_store, metre_frame

#: >= 5000 m² -> 500 m, 1000–5000 m² -> 300 m (the issue's example): the 800 m² park is too small.
TIERED_RULE = """\
name: 测试区公园服务半径规则
version: 3
citation: 测试区绿地系统规划 (2024) 第 4.2 条
park_classes: [G11, G12, G13, G14]
tiers:
  - {min_area_m2: 5000, radius_m: 500}
  - {min_area_m2: 1000, max_area_m2: 5000, radius_m: 300}
denominator: residential_land_area
thresholds:
  overall: 90%
"""

#: Every G11 park serves 1200 m: only ``far`` counts, and it lies 900 m beyond the border.
FAR_RULE = {
    "name": "far_reach", "version": 1, "citation": "test: 1.2 km radius",
    "park_classes": ["G11"], "tiers": [{"min_area_m2": 0, "radius_m": 1200}],
    "thresholds": {"overall": 0.5},
}


def build_rule_store(folder: Path) -> GeoPackageStore:
    """Return the store described in the module docstring."""
    store = open_store(folder / "rules.gpkg", create=True)
    for code, name, x in ((ADCODE, "测试区", 0), (NEIGHBOUR, "邻区", 1000)):
        store.put_district(metre_frame(
            [{"adcode": code, "name": name, "name_en": name, "planning_epsg": EPSG}],
            [box(x, 0, x + 1000, 1000)]))
    store.write("residential_land", metre_frame(
        [{"id": "R1"}, {"id": "R2"}], [box(0, 0, 100, 100), box(900, 0, 1000, 100)],
    ), district=ADCODE, source="test land")
    store.write("park", metre_frame(
        [{"id": "small", "park_class": "G14", "status": "existing"}], [box(0, 150, 40, 170)],
    ), district=ADCODE, source="test parks")
    store.write("park", metre_frame(
        [{"id": "far", "park_class": "G11", "status": "existing"}], [box(1900, 0, 1950, 50)],
    ), district=NEIGHBOUR, source="neighbour parks")
    return store


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    return build_rule_store(tmp_path_factory.mktemp("rules"))


@pytest.fixture
def store(base_store: GeoPackageStore, tmp_path: Path) -> GeoPackageStore:
    return copy_store(base_store, tmp_path)


def write(tmp_path: Path, text: str | bytes, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ reading


def test_yaml_rule_file_is_read_and_named(tmp_path: Path) -> None:
    rule = read_rule_file(write(tmp_path, TIERED_RULE))
    assert (rule.id, rule.version, rule.source) == ("测试区公园服务半径规则", 3, "user")
    assert rule.citation == ("user rule 测试区公园服务半径规则 v3 — 测试区绿地系统规划 (2024) "
                             "第 4.2 条")
    assert [str(t) for t in rule.tiers] == ["1000–5000 m² -> 300 m", ">= 5000 m² -> 500 m"]


def test_json_rule_file_and_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + json.dumps(FAR_RULE).encode(), "far.json")
    assert read_rule_file(path).max_radius_m == 1200.0
    assert load_rule_file(path)["tiers"] == [{"min_area_m2": 0.0, "radius_m": 1200.0}]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (TIERED_RULE.replace("radius_m: 300", "radius_m: -300"),
         r"rules.yaml: coverage rule '测试区公园服务半径规则': 1 problem\(s\)\n"
         r"- tiers\[1\]\.radius_m: expected a number > 0 \(metres\), got -300"),
        (TIERED_RULE.replace("max_area_m2: 5000", "max_area_m2: 6000"),
         r"tiers\[1\] \(1000–6000 m² -> 300 m\) overlaps tiers\[0\] \(>= 5000 m² -> 500 m\)"),
        (TIERED_RULE.replace("G14]", "G15]"), r"unknown class\(es\) \['G15'\]"),
        (TIERED_RULE.replace("version: 3\n", ""), r"version: expected a whole number >= 1"),
        (TIERED_RULE.replace("citation:", "source:"),
         r"unknown key\(s\) \['source'\].*\n- citation: required"),
        (TIERED_RULE.replace("citation: 测试区绿地系统规划 (2024) 第 4.2 条", "citation:"),
         r"citation: required"),
        (TIERED_RULE.replace("90%", "900%"), r"thresholds\.overall: expected a share in \[0, 1\]"),
        (TIERED_RULE.replace("residential_land_area", "population"),
         r"denominator: 'population' is not one of \['residential_land_area'\]"),
        ("- a\n- b\n", r"rules.yaml: expected one mapping with name, version, citation"),
        ("name: [unclosed\n", r"rules.yaml: not valid YAML or JSON"),
        ("a: &x [1, 2]\nb: *x\n", r"YAML aliases \(\*name\) are not allowed"),
        (b"name: \xff\xff\n", r"neither UTF-8 nor GBK/GB18030 text .* save the rule file as "
                                r"UTF-8"),
        ("", r"expected one mapping .* got NoneType"),
    ],
    ids=["negative-radius", "overlap", "unknown-class", "no-version", "no-citation",
         "empty-citation",
         "threshold-percent", "denominator", "list", "bad-yaml", "alias-bomb", "not-text",
         "empty"],
)
def test_bad_rule_files_name_the_file_and_the_key(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    with pytest.raises(CoverageRuleError, match=message):
        read_rule_file(write(tmp_path, content))


def test_gbk_rule_file_is_read(tmp_path: Path) -> None:
    """A rule file saved as GBK by a Chinese Windows editor (no BOM) reads like UTF-8."""
    rule = read_rule_file(write(tmp_path, TIERED_RULE.encode("gbk"), "gbk.yaml"))
    assert rule.id == "测试区公园服务半径规则"
    assert rule.clause == "测试区绿地系统规划 (2024) 第 4.2 条"


def test_missing_and_huge_rule_files(tmp_path: Path) -> None:
    with pytest.raises(CoverageRuleError, match=r"rule file .*nope.yaml not found"):
        read_rule_file(tmp_path / "nope.yaml")
    big = write(tmp_path, "# " + "x" * MAX_RULE_FILE_BYTES, "big.yaml")
    with pytest.raises(CoverageRuleError, match=r"big.yaml: \d+ bytes is too large"):
        read_rule_file(big)
    with pytest.raises(CoverageRuleError, match="too large"):
        parse_rule_text("#" * (MAX_RULE_FILE_BYTES + 1))


# ------------------------------------------------------------------- metric under a rule


def test_builtin_rule_counts_the_small_park(store: GeoPackageStore) -> None:
    """GB/T 51346: every park serves 500 m; R1 is within 162 m of ``small``, R2 is not."""
    out = run_metric(store, "park_coverage", ADCODE, year=2025)
    assert out.result.value == pytest.approx(0.5, abs=1e-9)
    assert out.result.rule == "GB/T 51346-2019 cl. 4.3.4 (tanmap rule v1)"


def test_user_rule_leaves_the_800_m2_park_out(store: GeoPackageStore, tmp_path: Path) -> None:
    params = {"rule": load_rule_file(write(tmp_path, TIERED_RULE))}
    out = run_metric(store, "park_coverage", ADCODE, params, year=2025)
    r = out.result
    assert r.value == 0.0
    assert r.rule == "user rule 测试区公园服务半径规则 v3 — 测试区绿地系统规划 (2024) 第 4.2 条"
    assert r.details["parks_counted"] == 0
    assert r.details["threshold"] == ">= 90%"
    assert r.details["rule"] == {
        "id": "测试区公园服务半径规则", "name": "测试区公园服务半径规则",
        "name_en": "测试区公园服务半径规则", "version": 3,
        "citation": "测试区绿地系统规划 (2024) 第 4.2 条", "source": "user",
        "tiers": ["1000–5000 m² -> 300 m", ">= 5000 m² -> 500 m"],
        "thresholds": {"overall": ">= 90%"}}
    # The parameters carry the whole rule that was applied (JSON output of `tanmap metric`).
    rule_param: dict[str, Any] = out.to_dict()["params"]["rule"]
    assert rule_param["version"] == 3
    assert rule_param["tiers"][0] == {"min_area_m2": 1000.0, "max_area_m2": 5000.0,
                                      "radius_m": 300.0}


def test_a_rule_radius_beyond_the_default_margin_loads_farther_parks(
    store: GeoPackageStore,
) -> None:
    """``far`` is 900 m beyond the border: loaded only because the rule's radius is 1200 m.

    R2's farthest point (900, 100) is 1001 m from ``far``: R2 is wholly covered; R1 is 1800 m
    away. Before the margin followed the rule, ``far`` was not loaded and the share was 0.
    """
    out = run_metric(store, "park_coverage", ADCODE, {"rule": FAR_RULE}, year=2025)
    assert out.result.value == pytest.approx(0.5, abs=1e-9)
    assert ("park", NEIGHBOUR) in {(e["kind"], e["district"]) for e in out.lineage}


def test_a_bad_rule_in_params_is_a_metric_parameter_error(store: GeoPackageStore) -> None:
    bad = {**FAR_RULE, "tiers": [{"min_area_m2": 0, "radius_m": -1}]}
    with pytest.raises(MetricParameterError,
                       match=r"(?s)park_coverage.*tiers\[0\]\.radius_m: expected a number > 0"):
        run_metric(store, "park_coverage", ADCODE, {"rule": bad}, year=2025)


# --------------------------------------------------------------------- catalogs


def test_rule_applies_to_every_park_coverage_target_of_a_catalog(tmp_path: Path) -> None:
    catalog = load_catalog("310101")
    rule = read_rule_file(write(tmp_path, TIERED_RULE))
    edited = apply_rule_to_catalog(catalog, rule)
    park_targets = [t for t in edited.targets if t.metric == "park_coverage"]
    assert park_targets, "the 黄浦区 catalog has a park-coverage target (310101-G02)"
    for t in park_targets:
        assert t.params["rule"]["version"] == 3
        assert t.params["radius_m"] is None  # 310101-G02's 500 m would flatten the tiers
        assert t.overridden
    before = {t.id: t for t in catalog.targets}
    for t in edited.targets:
        if t.metric != "park_coverage":
            assert t == before[t.id]
        else:  # the plan's own target value is kept
            assert (t.target, t.comparison) == (before[t.id].target, before[t.id].comparison)


def test_rule_file_round_trips_through_yaml(tmp_path: Path) -> None:
    mapping = load_rule_file(write(tmp_path, TIERED_RULE))
    again = write(tmp_path, yaml.safe_dump(mapping, allow_unicode=True), "again.yaml")
    assert load_rule_file(again) == mapping


# ------------------------------------------------------- building test through the runner


def test_entrance_test_without_an_entrance_layer_is_no_data(store: GeoPackageStore) -> None:
    store.write("building", metre_frame(
        [{"id": "B1", "use_category": "residential"}], [box(10, 10, 30, 30)],
    ), district=ADCODE, source="test buildings")
    params = {"weight": "buildings", "building_test": "entrance"}
    out = run_metric(store, "park_coverage", ADCODE, params, year=2025)
    assert (out.result.value, out.result.missing) == (None, ("building_entrance",))
    assert out.result.params["building_test"] == "entrance"

    store.write("building_entrance", metre_frame(
        [{"id": "E1", "building_id": "B1"}], [Point(30, 20)],
    ), district=ADCODE, source="test entrances")
    out = run_metric(store, "park_coverage", ADCODE, params, year=2025)
    # The door (30, 20) is 130 m from ``small`` ([0, 40] × [150, 170]): served within 500 m.
    assert out.result.value == 1.0
    assert out.result.details["extra_buildings_without_entrance"] == 0
    assert ("building_entrance", ADCODE, 1) in {
        (e["kind"], e["district"], e["version"]) for e in out.lineage}
