"""Tests of tanmap.layers.ingest.fieldmap: Chinese header aliases, mapping files, units, values.

Frames are one or two points near Tianjin (EPSG:4326) or unit squares; what is checked is the
column names and values after mapping, and the report of what was mapped.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point, box

from tanmap.geo.errors import DataFormatError, LayerValidationError
from tanmap.layers.ingest.fieldmap import (
    AppliedMapping,
    FieldMap,
    apply_field_map,
    field_map_from_mapping,
    header_candidates,
    load_field_map,
)
from tanmap.layers.ingest.io import load
from tanmap.layers.kinds import SPECS, LayerKind

PARK = SPECS[LayerKind.PARK]
STATION = SPECS[LayerKind.CHARGING_STATION]
BUILDING = SPECS[LayerKind.BUILDING]
PIPE = SPECS[LayerKind.HEATING_PIPE]
ROUTE = SPECS[LayerKind.ROUTE]


def points(**columns: list[object]) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(columns, geometry=[Point(117.2 + i / 1000, 39.12) for i in range(n)],
                            crs=4326)


def squares(**columns: list[object]) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(
        columns, geometry=[box(117.2 + i / 100, 39.12, 117.201 + i / 100, 39.121)
                           for i in range(n)], crs=4326)


def gbk_park_shapefile(folder: Path) -> Path:
    """Two GBK parks (no .cpg): headers 编号 名称 类型 状态 建成年份 面积（公顷） 备注."""
    frame = squares(**{
        "编号": ["GY-1", "GY-2"], "名称": ["人民公园", "口袋游园"], "类型": ["综合公园", "游园"],
        "状态": ["已建成", "规划"], "建成年份": ["2018年", None], "面积（公顷）": [1.5, 0.2],
        "备注": ["老公园", "新建"],
    })
    shp = folder / "公园.shp"
    with warnings.catch_warnings():
        # GDAL cuts 面积（公顷） (12 bytes in GBK) to 10 bytes, 面积（公顷, and says so: real
        # bureau files carry such cut names.
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(frame, shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink()
    return shp


# ------------------------------------------------------------------ built-in aliases


def test_gbk_shapefile_with_chinese_headers_and_values_loads_without_a_mapping(tmp_path):
    shp = gbk_park_shapefile(tmp_path)
    assert "人民公园".encode("gbk") in shp.with_suffix(".dbf").read_bytes()
    result = load(LayerKind.PARK, shp)
    gdf = result.gdf
    assert gdf["id"].tolist() == ["GY-1", "GY-2"]
    assert gdf["name"].tolist() == ["人民公园", "口袋游园"]
    assert gdf["park_class"].tolist() == ["G11", "G14"]
    assert gdf["status"].tolist() == ["completed", "planned"]
    assert gdf["completion_year"].tolist()[0] == 2018
    assert gdf["area_m2"].tolist() == [15_000.0, 2_000.0]  # 公顷 x 10000
    assert "备注" not in gdf.columns
    mapped = {c.header: c.field for c in result.mapping.renamed}
    assert mapped == {"编号": "id", "名称": "name", "类型": "park_class", "状态": "status",
                      "建成年份": "completion_year", "面积（公顷": "area_m2"}
    assert result.mapping.unmapped == ("备注",)
    (warning,) = [w for w in result.warnings if w.code == "unmapped_column"]
    assert warning.column == "备注"
    assert "park_class (绿地分类" in warning.fix


def test_type_header_follows_the_kind():
    """类型 is the park class for parks, the access for stations, the use for buildings."""
    for spec, field in ((PARK, "park_class"), (STATION, "access"), (BUILDING, "use_category"),
                        (ROUTE, "route_class")):
        out, _ = apply_field_map(points(类型=["x"]), spec)
        assert field in out.columns, spec.kind


def test_route_number_does_not_steal_the_id():
    """编号 is the feature id everywhere; a route's own number is 路线编号."""
    out, applied = apply_field_map(points(编号=["R1"], 路线编号=["G1"], 道路等级=["国道"]), ROUTE)
    assert out["id"].tolist() == ["R1"]
    assert out["ref"].tolist() == ["G1"]
    assert out["route_class"].tolist() == ["national"]
    assert not applied.unmapped


def test_status_values_and_year_text_are_recoded():
    raw = points(id=["a", "b", "c", "d", "e"],
                 status=["现状", "已建成", "在建", "规划", "已改造"],
                 completion_year=["2019年", "2020-05-01", "2021/3", 2022, None])
    out, applied = apply_field_map(raw, PARK)
    assert out["status"].tolist() == ["existing", "completed", "under_construction", "planned",
                                      "renewed"]
    assert out["completion_year"].tolist()[:4] == ["2019", "2020", "2021", 2022]
    recoded = {(v.field, v.before, v.after) for v in applied.values}
    assert ("status", "已建成", "completed", ) in recoded
    assert ("completion_year", "2019年", "2019") in recoded


def test_field_names_take_precedence_over_aliases():
    out, applied = apply_field_map(points(id=["a"], 编号=["b"]), PARK)
    assert out["id"].tolist() == ["a"]
    assert applied.unmapped == ("编号",)
    assert any("already taken by id" in n for n in applied.notes)


def test_full_width_brackets_case_and_separators_are_normalised():
    out, _ = apply_field_map(squares(**{"Completion Year": [2020], "面积（平方米）": [12.5],
                                        "ID": ["x"]}), PARK)
    assert out.loc[0, "completion_year"] == 2020
    assert out.loc[0, "area_m2"] == 12.5
    assert out.loc[0, "id"] == "x"


@pytest.mark.parametrize(("header", "value", "expected"), [
    ("面积(亩)", 3.0, 2000.0), ("面积_km2", 0.5, 500_000.0), ("面积(m²)", 7.0, 7.0),
    ("面积[ha]", 0.01, 100.0), ("面积（公顷）", "1,234.5", 12_345_000.0),
], ids=["mu", "km2", "m2-superscript", "ha-brackets", "thousands-text"])
def test_area_units_in_the_header_are_converted(header, value, expected):
    out, _applied = apply_field_map(squares(**{header: [value]}), PARK)
    assert out.loc[0, "area_m2"] == pytest.approx(expected)


def test_an_unknown_unit_is_not_guessed():
    out, applied = apply_field_map(squares(**{"面积(平方尺)": [3.0]}), PARK)
    assert "area_m2" not in out.columns
    assert applied.unmapped == ("面积(平方尺)",)
    assert any("unit '平方尺'" in n for n in applied.notes)


def test_shapefile_names_cut_to_ten_bytes_are_recognised():
    """tanmap's own export cuts completion_year to 'completion'; UTF-8 建成年份 to 建成年."""
    out, applied = apply_field_map(
        squares(id=["a"], completion=[2020], planned_ye=[2030], open_acces=["是"]), PARK)
    assert {"completion_year", "planned_year", "open_access"} <= set(out.columns)
    assert {c.how for c in applied.renamed} == {"dbf"}
    out, _ = apply_field_map(squares(**{"id": ["a"], "installati": [1990]}), PIPE)
    assert out.loc[0, "installation_year"] == 1990


def test_gis_bookkeeping_columns_are_ignored_quietly():
    _, applied = apply_field_map(squares(id=["a"], OBJECTID=[1], Shape_Area=[0.1]), PARK)
    assert applied.ignored == ("OBJECTID", "Shape_Area")
    assert applied.unmapped == ()


# ------------------------------------------------------------------ mapping files


def test_mapping_file_renames_and_recodes(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  GYBM: id\n  GYMC: name\n  LB: park_class\n  ZT: status\n  BZ: null\n"
        "values:\n  status: {1: existing, 2: planned}\n  park_class: {综合性公园: G11}\n"
        "defaults:\n  open_access: true\n",
        encoding="utf-8",
    )
    raw = squares(GYBM=["A", "B"], GYMC=["甲", "乙"], LB=["综合性公园", "社区公园"],
                  ZT=[1, 2], BZ=["x", "y"])
    path = tmp_path / "parks.geojson"
    raw.to_file(path, driver="GeoJSON")
    result = load("park", path, field_map=mapping)
    gdf = result.gdf
    assert gdf["id"].tolist() == ["A", "B"]
    assert gdf["park_class"].tolist() == ["G11", "G12"]  # mapping file, then built-in alias
    assert gdf["status"].tolist() == ["existing", "planned"]
    assert gdf["open_access"].tolist() == [True, True]
    assert result.mapping.source == "mapping.yaml"
    assert result.mapping.ignored == ("BZ",)
    hows = {c.header: c.how for c in result.mapping.renamed}
    assert hows == {"GYBM": "map", "GYMC": "map", "LB": "map", "ZT": "map"}
    text = "\n".join(result.mapping.lines("en"))
    assert "GYBM -> id (mapping file)" in text
    assert "status: 1 -> existing (1 feature(s), mapping file)" in text
    assert "park_class: 综合性公园 -> G11" in text


@pytest.mark.parametrize(("data", "message"), [
    ({"columns": {"A": "parkclass"}}, r"A -> 'parkclass' is not a field of park"),
    ({"values": {"status": {"1": "built"}}}, r"'built' is not one of existing, planned"),
    ({"defaults": {"park_class": "G9"}}, r"'G9' is not one of G1, G11"),
    ({"colums": {}}, r"unknown key\(s\) colums"),
    ({"columns": ["A"]}, r"'columns' must map header: field"),
    ({"values": {"status": {"1": ["a", ["b"]]}}}, r"found lists or maps in values: status: 1"),
], ids=["unknown-field", "bad-code", "bad-default", "typo-key", "list", "nested"])
def test_bad_mapping_files_are_refused_with_the_reason(data, message):
    with pytest.raises(DataFormatError, match=message):
        apply_field_map(squares(A=["x"]), PARK, field_map_from_mapping(data))


def test_mapping_file_errors(tmp_path):
    with pytest.raises(DataFormatError, match="no such file"):
        load_field_map(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"cannot read mapping file bad\.yaml"):
        load_field_map(bad)
    as_json = tmp_path / "m.json"
    as_json.write_text('{"columns": {"MC": "name"}}', encoding="utf-8")
    assert load_field_map(as_json) == FieldMap(columns={"MC": "name"}, source="m.json")


# ------------------------------------------------------------------ messages


def test_missing_required_field_names_the_header_candidates(tmp_path):
    path = tmp_path / "parks.geojson"
    squares(编号=["A"], 公园级别=["G12"]).to_file(path, driver="GeoJSON")
    with pytest.raises(LayerValidationError) as info:
        load("park", path)
    (issue,) = [i for i in info.value.issues if i.code == "missing_field"]
    assert issue.column == "park_class"
    assert "绿地分类" in issue.fix
    assert "类型" in issue.fix
    assert "not recognised: 公园级别" in issue.fix
    assert "--map" in issue.fix


def test_header_candidates_lead_with_the_field_name():
    assert header_candidates(STATION, "access")[:2] == ["access", "类型"]
    assert "快充桩数" in header_candidates(STATION, "fast_piles")


def test_report_of_a_clean_file_says_no_mapping_was_needed():
    _, applied = apply_field_map(squares(id=["a"], park_class=["G12"]), PARK)
    assert applied.lines("en")[1] == "  none needed: every header is a field name"
    assert applied.lines("zh")[0] == "字段映射 (内置别名):"
    assert isinstance(applied, AppliedMapping)


def test_an_unknown_code_points_at_the_values_mapping(tmp_path):
    path = tmp_path / "parks.geojson"
    squares(id=["A"], park_class=["湿地公园"]).to_file(path, driver="GeoJSON")
    with pytest.raises(LayerValidationError) as info:
        load("park", path)
    (issue,) = info.value.issues
    assert issue.code == "not_in_choices"
    assert "value '湿地公园' is not one of G1, G11" in issue.problem
    assert "values: {park_class: {<value in the file>: <code>}}" in issue.fix


def test_the_mapping_file_wins_over_field_names_and_names_absent_headers():
    fmap = field_map_from_mapping({"columns": {"name": "id", "名字": "name", "XX": "status"},
                                   "ignore": ["source"]}, source="m.yaml")
    out, applied = apply_field_map(squares(name=["N-1"], 名字=["甲"], id=["old"], source=["s"]),
                                   PARK, fmap)
    assert out[["id", "name"]].values.tolist() == [["N-1", "甲"]]
    assert applied.unmapped == ("id",)
    assert applied.ignored == ("source",)
    assert "m.yaml: column 'XX' is not in the file" in applied.notes


def test_the_more_specific_alias_wins_regardless_of_column_order():
    out, applied = apply_field_map(squares(序号=[1], 编号=["GY-1"]), PARK)
    assert out["id"].tolist() == ["GY-1"]
    assert applied.unmapped == ("序号",)


def test_yaml_alias_bombs_are_refused_before_they_expand(tmp_path):
    """Nested aliases (a "billion laughs") would expand when turned into text."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    text = "description:\n  " + "\n  ".join(levels) + "\nvalues: {status: {'1': *i}}\n"
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(text, encoding="utf-8")
    with pytest.raises(DataFormatError, match="found lists or maps"):
        load_field_map(bomb)


def test_mapping_headers_match_after_normalising_spaces_and_width():
    fmap = field_map_from_mapping({"columns": {" ＧＹＢＭ ": "id"}})
    out, applied = apply_field_map(squares(GYBM=["A"]), PARK, fmap)
    assert out["id"].tolist() == ["A"]
    assert applied.notes == ()


def test_many_unknown_headers_give_one_warning_naming_them_all(tmp_path):
    path = tmp_path / "poi.csv"
    path.write_text("id,name,type,typecode,address,location\n"
                    "B1,充电站,汽车服务,011100,和平路1号,\"117.2,39.12\"\n", encoding="utf-8")
    result = load("charging_station", path, coord_system="gcj02",
                  field_map=field_map_from_mapping({"defaults": {"access": "public"}}))
    (warning,) = result.warnings
    assert warning.code == "unmapped_column"
    assert warning.column is None
    assert "columns 'type', 'typecode', 'address' are no fields of 充电站/充电桩" in warning.problem
    assert "access (类型/" in warning.fix


@pytest.mark.parametrize(("spec", "header", "value", "field", "expected"), [
    (PIPE, "长度（km）", 1.25, "length_m", 1250.0),
    (PIPE, "管径(mm)", 300, "dn_mm", 300.0),
    (STATION, "总功率(MW)", 1.2, "power_kw", 1200.0),
    (SPECS[LayerKind.PV_ROOFTOP], "装机容量(万千瓦)", 0.5, "capacity_kwp", 5000.0),
], ids=["km", "mm", "MW", "wan-kW"])
def test_length_and_power_units_in_the_header(spec, header, value, field, expected):
    out, applied = apply_field_map(points(**{header: [value]}), spec)
    assert out.loc[0, field] == pytest.approx(expected)
    assert applied.renamed[0].field == field


@pytest.mark.parametrize(("header", "factor", "expect"), [
    ("面积", 1e-4, "they look like 公顷 ha"), ("面积", 15e-4, "they look like 亩 mu"),
    ("面积", 1.0, None), ("面积（公顷）", 1e-4, None),
], ids=["hectares-as-m2", "mu-as-m2", "m2", "hectares-declared"])
def test_an_area_column_in_the_wrong_unit_is_flagged(tmp_path, header, factor, expect):
    """Two parks of 100 m x 100 m and 50 m x 50 m (EPSG:4548); their 面积 typed in m² x factor."""
    x0, y0 = 516_500.0, 4_331_500.0
    parks = gpd.GeoDataFrame(
        {"id": ["A", "B"], "park_class": ["G12", "G14"], header: [1e4 * factor, 2500 * factor]},
        geometry=[box(x0, y0, x0 + 100, y0 + 100), box(x0 + 200, y0, x0 + 250, y0 + 50)],
        crs=4548)
    path = tmp_path / "parks.gpkg"
    parks.to_file(path, layer="parks")
    result = load("park", path)
    flagged = [w for w in result.warnings if w.code == "area_unit_mismatch"]
    if expect is None:
        assert flagged == []
        assert result.gdf["area_m2"].round(3).tolist() == [10_000.0, 2_500.0]
    else:
        (warning,) = flagged
        assert expect in warning.problem
        assert f"column {header!r} (area_m2)" in warning.problem
