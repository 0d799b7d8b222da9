"""Tests of tanmap.layers.ingest.validation: every check, repair and coercion, by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

from tanmap.layers.ingest.validation import (
    Issue,
    RepairNote,
    coerce_types,
    repair_geometries,
    validate,
)
from tanmap.layers.kinds import SPECS, GeometryFamily, LayerKind
from tests.strategies import EPSG_M, ORIGIN_X_M, ORIGIN_Y_M, boxes_m

PARK = SPECS[LayerKind.PARK]
X0, Y0 = ORIGIN_X_M, ORIGIN_Y_M
BOWTIE = Polygon([(X0, Y0), (X0 + 2, Y0 + 2), (X0 + 2, Y0), (X0, Y0 + 2)])


def unit(i: int) -> Polygon:
    """Unit square number i: [X0+10i, X0+10i+1] x [Y0, Y0+1] in EPSG:4548 (area 1 m2)."""
    return box(X0 + 10 * i, Y0, X0 + 10 * i + 1, Y0 + 1)


@pytest.fixture
def parks() -> gpd.GeoDataFrame:
    """Three clean parks P-01..P-03: unit squares 10 m apart near Tianjin (EPSG:4548)."""
    return gpd.GeoDataFrame(
        {
            "id": ["P-01", "P-02", "P-03"],
            "name": ["人民公园", "水上公园", "口袋广场"],
            "park_class": ["G11", "G12", "G3"],
            "area_m2": [1.0, 1.0, 1.0],
            "status": ["existing", "现状", "planned"],
        },
        geometry=[unit(0), unit(1), unit(2)],
        crs=EPSG_M,
    )


def codes(issues: list[Issue]) -> list[str]:
    return [i.code for i in issues]


def test_clean_layer_has_no_issues(parks):
    assert validate(parks, PARK, source="parks.geojson") == []


def test_issue_str_matches_the_documented_line(parks):
    parks.loc[2, "area_m2"] = -5
    (issue,) = validate(parks, PARK, source="parks.geojson")
    assert str(issue).startswith(
        "parks.geojson row 3 (id P-03) field area_m2: value -5 < minimum 0 — fix: "
    )
    assert issue.severity == "error"
    assert (issue.row, issue.feature_id, issue.column) == (3, "P-03", "area_m2")


def test_issue_str_of_layer_level_warning():
    issue = Issue(source="a.shp", row=None, feature_id=None, column=None, problem="odd",
                  fix="look", severity="warning", code="x")
    assert str(issue) == "warning: a.shp: odd — fix: look"


def test_empty_layer(parks):
    issues = validate(parks.iloc[0:0], PARK, source="parks.geojson")
    assert codes(issues) == ["empty_layer"]
    assert "公园绿地与广场" in issues[0].problem


def test_missing_crs_names_the_option(parks):
    issues = validate(parks.set_crs(None, allow_override=True), PARK, source="p.shp")
    assert codes(issues) == ["missing_crs"]
    assert "--source-crs" in issues[0].fix


def test_wrong_geometry_type_says_which_was_found(parks):
    parks.loc[1, "geometry"] = Point(X0, Y0)
    (issue,) = validate(parks, PARK)
    assert issue.code == "wrong_geometry_type"
    assert issue.row == 2
    assert "geometry type Point found" in issue.problem
    assert "MultiPolygon or Polygon" in issue.problem


def test_multipolygon_is_in_the_polygon_family(parks):
    parks.loc[0, "geometry"] = unit(0).union(unit(5))
    assert parks.geometry.iloc[0].geom_type == "MultiPolygon"
    assert validate(parks, PARK) == []


def test_bowtie_is_invalid_with_reason_and_repair_hint(parks):
    parks.loc[0, "geometry"] = BOWTIE
    (issue,) = validate(parks, PARK)
    assert issue.code == "invalid_geometry"
    assert "Self-intersection" in issue.problem
    assert "make_valid" in issue.fix
    assert "repair=True" in issue.fix


def test_null_and_empty_geometry(parks):
    parks.loc[0, "geometry"] = None
    parks.loc[2, "geometry"] = Polygon()
    issues = validate(parks, PARK)
    assert codes(issues) == ["empty_geometry", "empty_geometry"]
    assert [i.row for i in issues] == [1, 3]
    assert "missing (null)" in issues[0].problem
    assert "empty" in issues[1].problem


def test_missing_required_column_is_one_issue(parks):
    issues = validate(parks.drop(columns="park_class"), PARK, source="p.gpkg")
    assert codes(issues) == ["missing_field"]
    assert issues[0].row is None
    assert issues[0].column == "park_class"
    assert "columns present: id, name, area_m2, status" in issues[0].problem


def test_null_required_value_lists_each_row(parks):
    parks["park_class"] = pd.Series([None, "G11", "  "], dtype=object)
    issues = validate(parks, PARK)
    assert codes(issues) == ["null_required", "null_required"]
    assert [i.row for i in issues] == [1, 3]


@pytest.mark.parametrize(
    ("column", "value", "expect"),
    [
        ("planned_year", "abc", "value 'abc' is not a whole number"),
        ("planned_year", 2025.5, "value 2025.5 is not a whole number"),
        ("area_m2", "12 m2", "value '12 m2' is not a number"),
        ("open_access", "maybe", "value 'maybe' is not true/false"),
    ],
    ids=["int-text", "int-fraction", "float-text", "bool-text"],
)
def test_mistyped_values_name_row_and_value(parks, column, value, expect):
    parks[column] = pd.Series([None, value, None], dtype=object)
    (issue,) = validate(parks, PARK)
    assert issue.code == "bad_type"
    assert (issue.row, issue.column) == (2, column)
    assert expect in issue.problem


def test_numbers_as_text_are_accepted(parks):
    parks["planned_year"] = pd.Series(["2025", 2026.0, " 2027 "], dtype=object)
    parks["open_access"] = pd.Series(["是", "false", 1], dtype=object)
    assert validate(parks, PARK) == []


def test_values_outside_choices_and_range(parks):
    parks.loc[0, "park_class"] = "G99"
    parks["planned_year"] = [1800, 2025, 2200]
    issues = validate(parks, PARK)
    # Issues follow the spec's field order: common fields (planned_year) before park_class.
    assert codes(issues) == ["below_minimum", "above_maximum", "not_in_choices"]
    assert issues[0].problem == "value 1800 < minimum 1900"
    assert issues[1].problem == "value 2200 > maximum 2100"
    assert "1900..2100 year" in issues[1].fix
    assert "value 'G99' is not one of G1, G11, G12, G13, G14, G3" in issues[2].problem


def test_duplicate_ids_list_the_rows(parks):
    parks["id"] = ["P-01", "P-02", "P-01"]
    (issue,) = validate(parks, PARK)
    assert issue.code == "duplicate_id"
    assert issue.problem == "id P-01 appears 2 times, in rows 1, 3"


def test_swapped_lat_lon_in_china():
    gdf = gpd.GeoDataFrame(
        {"id": ["S1"], "access": ["public"]},
        geometry=[Point(39.12, 117.20)], crs=4326,  # Tianjin given as (lat, lon)
    )
    (issue,) = validate(gdf, SPECS[LayerKind.CHARGING_STATION])
    assert issue.code == "swapped_axes"
    assert "look swapped" in issue.problem
    assert "swap the axes" in issue.fix


def test_correct_lon_lat_is_not_swapped():
    gdf = gpd.GeoDataFrame({"id": ["S1"], "access": ["public"]},
                           geometry=[Point(117.20, 39.12)], crs=4326)
    assert validate(gdf, SPECS[LayerKind.CHARGING_STATION]) == []


def test_metres_labelled_as_degrees(parks):
    issues = validate(parks.set_crs(4326, allow_override=True), PARK)
    assert codes(issues) == ["metres_as_degrees"]
    assert "EPSG:4548" in issues[0].fix


def test_degrees_labelled_as_metres():
    gdf = gpd.GeoDataFrame({"id": ["S1"], "access": ["public"]},
                           geometry=[Point(117.20, 39.12)], crs=EPSG_M)
    issues = validate(gdf, SPECS[LayerKind.CHARGING_STATION])
    assert codes(issues) == ["degrees_as_metres"]
    assert "EPSG:4326" in issues[0].fix


def test_outside_district_is_a_warning(parks):
    district = box(X0 - 1, Y0 - 1, X0 + 12, Y0 + 2)  # holds parks 1 and 2 only
    (issue,) = validate(parks, PARK, district=district)
    assert (issue.code, issue.severity, issue.row) == ("outside_district", "warning", 3)


def test_district_as_geoseries_is_reprojected(parks):
    district = gpd.GeoSeries([box(X0 - 1, Y0 - 1, X0 + 12, Y0 + 2)], crs=EPSG_M).to_crs(4326)
    issues = validate(parks, PARK, district=district)
    assert [(i.code, i.row) for i in issues] == [("outside_district", 3)]


def test_district_of_wrong_type(parks):
    with pytest.raises(TypeError, match="district must be a shapely geometry"):
        validate(parks, PARK, district="120101")


def test_every_problem_is_collected(parks):
    parks.loc[0, "geometry"] = BOWTIE
    parks.loc[1, "area_m2"] = -1
    parks["id"] = ["P-01", "P-01", None]
    issues = validate(parks.drop(columns="park_class"), PARK)
    assert codes(issues) == [
        "invalid_geometry", "null_required", "missing_field", "below_minimum", "duplicate_id",
    ]


@settings(max_examples=30)
@given(boxes=st.lists(boxes_m(), min_size=1, max_size=8), bad_row=st.integers(0, 7))
def test_validate_is_deterministic_and_clean_boxes_pass(boxes, bad_row):
    gdf = gpd.GeoDataFrame(
        {"id": [f"P-{i}" for i in range(len(boxes))], "park_class": ["G12"] * len(boxes)},
        geometry=boxes, crs=EPSG_M,
    )
    assert validate(gdf, PARK) == []
    gdf.loc[bad_row % len(boxes), "park_class"] = "bad"
    first = validate(gdf, PARK, source="x")
    assert first == validate(gdf, PARK, source="x")
    assert [(i.code, i.row) for i in first] == [("not_in_choices", bad_row % len(boxes) + 1)]


# --------------------------------------------------------------------------- repair


def test_repair_bowtie_reports_area_before_and_after(parks):
    parks.loc[1, "geometry"] = BOWTIE
    fixed, notes = repair_geometries(parks, PARK, source="parks.geojson")
    assert validate(fixed, PARK) == []
    assert fixed.geometry.iloc[1].geom_type == "MultiPolygon"
    assert fixed.geometry.iloc[1].area == pytest.approx(2.0)
    assert fixed.geometry.iloc[0].equals(unit(0))  # valid features untouched
    assert parks.geometry.iloc[1].equals(BOWTIE)  # input not modified
    (note,) = notes
    assert isinstance(note, RepairNote)
    assert (note.row, note.feature_id, note.area_before_m2, note.area_after_m2) == (2, "P-02", 0, 2)
    assert note.reason.startswith("Self-intersection")
    assert str(note).startswith("parks.geojson row 2 (id P-02): repaired Self-intersection")
    assert "area 0 m² -> 2.0 m² (EPSG:4548)" in str(note)


def test_repair_drops_a_stray_spike_line(parks):
    # Unit... 2 m square with a 1 m spike up from (X0+1, Y0+2): make_valid returns the square
    # plus the spike as a line; the polygon family keeps only the square.
    spiked = Polygon([(X0, Y0), (X0 + 2, Y0), (X0 + 2, Y0 + 2), (X0 + 1, Y0 + 2),
                      (X0 + 1, Y0 + 3), (X0 + 1, Y0 + 2), (X0, Y0 + 2)])
    parks.loc[0, "geometry"] = spiked
    fixed, (note,) = repair_geometries(parks, GeometryFamily.POLYGON)
    assert fixed.geometry.iloc[0].geom_type == "Polygon"
    assert fixed.geometry.iloc[0].area == pytest.approx(4.0)
    assert note.parts_dropped == 1
    assert (note.area_before_m2, note.area_after_m2) == (4.0, 4.0)


def test_repair_family_inferred_per_feature(parks):
    parks.loc[0, "geometry"] = BOWTIE
    fixed, notes = repair_geometries(parks)
    assert fixed.geometry.iloc[0].area == pytest.approx(2.0)
    assert len(notes) == 1


def test_repair_collapsed_polygon_becomes_empty_and_is_then_reported(parks):
    parks.loc[0, "geometry"] = Polygon([(X0, Y0), (X0 + 1, Y0), (X0 + 2, Y0), (X0, Y0)])
    fixed, (note,) = repair_geometries(parks, PARK)
    assert fixed.geometry.iloc[0].is_empty
    assert note.type_after == "Polygon"
    assert codes(validate(fixed, PARK)) == ["empty_geometry"]


def test_repair_nothing_to_do(parks):
    fixed, notes = repair_geometries(parks, PARK)
    assert notes == []
    assert fixed.geometry.equals(parks.geometry)


# --------------------------------------------------------------------------- coerce


def test_coerce_types_table():
    gdf = gpd.GeoDataFrame(
        {
            "id": [120101.0, "P-2", 3],
            "status": ["现状", "Planned", None],
            "planned_year": ["2025", 2026.0, None],
            "area_m2": ["1.5", 2, None],
            "open_access": ["是", "false", 0],
            "park_class": ["G11", "G12", "G3"],
            "extra": ["keep", "me", "as is"],
        },
        geometry=[unit(0), unit(1), unit(2)], crs=EPSG_M,
    )
    out = coerce_types(gdf, PARK)
    assert out["id"].tolist() == ["120101", "P-2", "3"]
    assert out["status"].iloc[:2].tolist() == ["existing", "planned"]
    assert pd.isna(out["status"].iloc[2])
    assert str(out["planned_year"].dtype) == "Int64"
    assert out["planned_year"].iloc[:2].tolist() == [2025, 2026]
    assert out["planned_year"].isna().tolist() == [False, False, True]
    assert out["area_m2"].dtype == np.float64
    assert out["area_m2"].iloc[:2].tolist() == [1.5, 2.0]
    assert str(out["open_access"].dtype) == "boolean"
    assert out["open_access"].tolist() == [True, False, False]
    assert out["extra"].tolist() == ["keep", "me", "as is"]
    assert gdf["planned_year"].iloc[0] == "2025"  # input not modified


def test_spreadsheet_numbers_with_thousands_separators_and_full_width_digits():
    gdf = gpd.GeoDataFrame({"id": ["a", "b", "c"], "park_class": ["G12"] * 3,
                            "area_m2": ["1,234.5", "１２０", "12,34"],
                            "planned_year": ["2,025", "２０３０", None]},
                           geometry=[unit(0), unit(1), unit(2)], crs=EPSG_M)
    issues = validate(gdf, PARK)
    assert [(i.row, i.column) for i in issues] == [(3, "area_m2")]  # 12,34 is no number
    out = coerce_types(gdf.iloc[:2], PARK)
    assert out["area_m2"].tolist() == [1234.5, 120.0]
    assert out["planned_year"].tolist() == [2025, 2030]


def test_coerce_types_rejects_bad_value():
    gdf = gpd.GeoDataFrame({"id": ["a"], "planned_year": ["soon"]},
                           geometry=[unit(0)], crs=EPSG_M)
    with pytest.raises(ValueError, match=r"field planned_year: row 1 value 'soon' is not a whole"):
        coerce_types(gdf, PARK)


def test_lines_validate_against_line_family():
    pipes = gpd.GeoDataFrame(
        {"id": ["H1"], "installation_year": [1990]},
        geometry=[LineString([(X0, Y0), (X0 + 100, Y0)])], crs=EPSG_M,
    )
    assert validate(pipes, SPECS[LayerKind.HEATING_PIPE]) == []


def test_nan_coordinates_are_reported(parks):
    with np.errstate(invalid="ignore"):  # shapely warns when building it; the file reader won't
        parks.loc[1, "geometry"] = Polygon([(X0, Y0), (X0 + 1, np.nan), (X0 + 1, Y0 + 1)])
    issues = validate(parks, PARK)
    assert codes(issues)[0] == "bad_coordinates"
    assert "NaN or infinite" in issues[0].problem
