"""Tests of the metric runner on a small hand-built store (district near Tianjin, EPSG:4548).

The builders here are shared with tests/layers/test_audit.py and tests/api/test_cli_audit.py.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

import tanmap
from tanmap.geo.errors import MetricParameterError, UnknownDistrictError, UnknownMetricError
from tanmap.geo.metric import MetricContext, MetricDef, MetricResult, params_to_dict
from tanmap.layers.runner import jsonable, run_metric
from tanmap.layers.store import GeoPackageStore, open_store

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

#: Planning CRS of the test district: CGCS2000 3° GK zone CM 117°E (Tianjin).
EPSG = 4548
#: South-west corner of the test district (metres, EPSG:4548): about 117.0°E, 39.1°N.
X0, Y0 = 500_000.0, 4_330_000.0
ADCODE = "120199"      # 测试区 (a made-up Tianjin code)
NEIGHBOUR = "120198"   # 邻区, directly east of it


def metre_frame(rows: list[dict[str, Any]], geoms: list[Any]) -> gpd.GeoDataFrame:
    """Return features given in metres relative to (X0, Y0), converted to EPSG:4326."""
    from shapely import affinity

    shifted = [affinity.translate(g, X0, Y0) for g in geoms]
    return gpd.GeoDataFrame(rows, geometry=shifted, crs=EPSG).to_crs(4326)


def build_store(tmp_path: Path) -> GeoPackageStore:
    """Return a store with the 1 km × 1 km test district and a 1 km neighbour to its east.

    District 120199 测试区 = [0, 1000] × [0, 1000] m, split into two 街道: 甲街道 (west half)
    and 乙街道 (east half). Neighbour 120198 邻区 = [1000, 2000] × [0, 1000] m.
    Layers of 120199:
    - pocket_garden: g1 existing, g2 completed 2020, g3 planned for 2025, g4 planned for 2031;
    - recycling_point: r1, r2 existing;
    - transfer_station: t1 at (250, 500), inside 甲街道 only;
    - subdistrict: 甲街道 s1, 乙街道 s2.
    No greenway layer. Park p1 (neighbour) lies 100 m east of the border, p2 900 m east.
    """
    store = open_store(tmp_path / "t.gpkg", create=True)
    for code, name, name_en, x in ((ADCODE, "测试区", "Test District", 0),
                                   (NEIGHBOUR, "邻区", "Neighbour District", 1000)):
        row = metre_frame(
            [{"adcode": code, "name": name, "name_en": name_en, "planning_epsg": EPSG}],
            [box(x, 0, x + 1000, 1000)],
        )
        store.put_district(row)
    store.write("subdistrict", metre_frame(
        [{"id": "s1", "name": "甲街道"}, {"id": "s2", "name": "乙街道"}],
        [box(0, 0, 500, 1000), box(500, 0, 1000, 1000)],
    ), district=ADCODE, source="test units")
    store.write("pocket_garden", metre_frame(
        [
            {"id": "g1", "name": "花园1", "status": "existing"},
            {"id": "g2", "name": "花园2", "status": "completed", "completion_year": 2020},
            {"id": "g3", "name": "花园3", "status": "planned", "planned_year": 2025},
            {"id": "g4", "name": "花园4", "status": "planned", "planned_year": 2031},
        ],
        [box(100, 100, 120, 120), box(300, 100, 320, 120), box(600, 100, 620, 120),
         box(800, 100, 820, 120)],
    ), district=ADCODE, source="gardens v1")
    store.write("recycling_point", metre_frame(
        [{"id": "r1", "status": "existing"}, {"id": "r2", "status": "existing"}],
        [Point(100, 900), Point(700, 900)],
    ), district=ADCODE, source="recycling survey")
    store.write("transfer_station", metre_frame(
        [{"id": "t1", "name": "中转站1", "status": "existing"}], [Point(250, 500)],
    ), district=ADCODE, source="transfer stations")
    store.write("park", metre_frame(
        [{"id": "p0", "park_class": "G12", "status": "existing"}],
        [box(400, 400, 600, 600)],
    ), district=ADCODE, source="parks")
    store.write("park", metre_frame(
        [{"id": "p1", "park_class": "G12", "status": "existing"},
         {"id": "p2", "park_class": "G12", "status": "existing"}],
        [box(1100, 400, 1200, 500), box(1900, 400, 1950, 450)],
    ), district=NEIGHBOUR, source="neighbour parks")
    return store


@dataclass(frozen=True)
class CountParams:
    """Parameters of the test-local ``count_within`` metric."""

    kind: str = "park"


def _count_within(frames: Mapping[str, gpd.GeoDataFrame], params: CountParams,
                  context: MetricContext) -> MetricResult:
    frame = frames[params.kind]
    return MetricResult(
        name="count_within", value=float(len(frame)), unit="count",
        params=params_to_dict(params), rule="test rule (v1)",
        details={"ids": sorted(frame["id"].tolist()), "crs": frame.crs.to_epsg(),
                 "year": context.audit_year, "epsg": context.planning_epsg,
                 "units": sorted(context.units)},
    )


#: A test-local metric: number of features of ``kind`` within 200 m of the district.
COUNT_WITHIN = MetricDef(
    name="count_within", zh="范围内数量", en="Count within margin", inputs=(),
    params=CountParams, compute=_count_within, unit="count", param_inputs=("kind",),
    margin_m=200.0,
)
TEST_METRICS = {"count_within": COUNT_WITHIN}


def copy_store(base: GeoPackageStore, folder: Path) -> GeoPackageStore:
    """Return a private copy of a built store (building one takes a second; copying does not)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(base.path, folder / "t.gpkg")
    return open_store(folder / "t.gpkg")


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    return build_store(tmp_path_factory.mktemp("base"))


@pytest.fixture
def store(base_store: GeoPackageStore, tmp_path: Path) -> GeoPackageStore:
    return copy_store(base_store, tmp_path)


def test_margin_loads_neighbour_features_within_margin_only(store: GeoPackageStore) -> None:
    """p0 is inside; p1 is 100 m beyond the border (within 200 m); p2 is 900 m beyond."""
    out = run_metric(store, "count_within", ADCODE, {"kind": "park"}, year=2024,
                     metrics=TEST_METRICS)
    assert out.result.value == 2.0
    assert out.result.details["ids"] == ["p0", "p1"]
    assert out.result.details["crs"] == EPSG
    assert out.planning_epsg == EPSG
    lineage = {(e["kind"], e["district"], e["version"]) for e in out.lineage}
    assert lineage == {("park", ADCODE, 1), ("park", NEIGHBOUR, 1)}


def test_units_reach_the_metric_context(store: GeoPackageStore) -> None:
    out = run_metric(store, "count_within", ADCODE, {"kind": "pocket_garden"}, year=2024,
                     metrics=TEST_METRICS)
    assert out.result.details["units"] == ["subdistrict"]
    assert out.result.details["year"] == 2024


@pytest.mark.parametrize(
    ("year", "until", "ids"),
    [
        (2024, None, ["g1", "g2"]),
        (2019, None, ["g1"]),
        (2024, 2025, ["g1", "g2", "g3"]),
        (2030, 2031, ["g1", "g2", "g3", "g4"]),
    ],
    ids=["2024", "2019", "2024+plan2025", "2030+plan2031"],
)
def test_as_of_filtering(store: GeoPackageStore, year: int, until: int | None,
                         ids: list[str]) -> None:
    out = run_metric(store, "count_within", ADCODE, {"kind": "pocket_garden"}, year=year,
                     include_planned_until=until, metrics=TEST_METRICS)
    assert out.result.details["ids"] == ids
    assert out.include_planned_until == until


def test_missing_layer_gives_no_value_and_names_it(store: GeoPackageStore) -> None:
    out = run_metric(store, "count_within", ADCODE, {"kind": "greenway"}, year=2024,
                     metrics=TEST_METRICS)
    assert out.result.value is None
    assert out.result.missing == ("greenway",)
    assert out.result.params == {"kind": "greenway"}
    assert out.lineage == []


def test_planning_epsg_override(store: GeoPackageStore) -> None:
    out = run_metric(store, "count_within", ADCODE, {"kind": "park"}, year=2024,
                     planning_epsg=4547, metrics=TEST_METRICS)
    assert out.result.details["crs"] == 4547
    assert out.result.value == 2.0


def test_unknown_metric_lists_known_ones(store: GeoPackageStore) -> None:
    with pytest.raises(UnknownMetricError, match=r"unknown metric 'nope'; known metrics: count_"):
        run_metric(store, "nope", ADCODE, metrics=TEST_METRICS)


def test_bad_parameter_is_a_clear_error(store: GeoPackageStore) -> None:
    with pytest.raises(MetricParameterError,
                       match=r"metric 'count_within' \(范围内数量\): unknown parameter\(s\) "
                             r"\['radius'\].*tanmap metric --list"):
        run_metric(store, "count_within", ADCODE, {"radius": "5"}, metrics=TEST_METRICS)


def test_unknown_district(store: GeoPackageStore) -> None:
    with pytest.raises(UnknownDistrictError):
        run_metric(store, "count_within", "999999", metrics=TEST_METRICS)


def test_new_layer_version_shows_in_lineage(store: GeoPackageStore) -> None:
    before = run_metric(store, "count_within", ADCODE, {"kind": "recycling_point"}, year=2024,
                        metrics=TEST_METRICS)
    store.write("recycling_point", metre_frame([{"id": "r9", "status": "existing"}],
                                               [Point(500, 500)]),
                district=ADCODE, mode="append", source="survey 2")
    after = run_metric(store, "count_within", ADCODE, {"kind": "recycling_point"}, year=2024,
                       metrics=TEST_METRICS)
    assert (before.result.value, after.result.value) == (2.0, 3.0)
    assert [e["version"] for e in before.lineage] == [1]
    assert [(e["version"], e["source"]) for e in after.lineage] == [(2, "survey 2")]


def test_real_feature_count_metric(store: GeoPackageStore) -> None:
    out = run_metric(store, "feature_count", ADCODE, {"kind": "pocket_garden"}, year=2024)
    assert out.result.value == 2.0
    # feature_count cites no standard: the rule is tanmap's own, versioned by the package.
    assert out.result.rule == f"要素数量 feature_count (tanmap {tanmap.__version__})"
    planned = run_metric(store, "feature_count", ADCODE, {"kind": "pocket_garden"}, year=2025,
                         include_planned_until=2025)
    assert planned.result.value == 3.0


def test_real_per_unit_min_count_names_failing_subdistrict(store: GeoPackageStore) -> None:
    out = run_metric(store, "per_unit_min_count", ADCODE,
                     {"kind": "transfer_station", "unit_kind": "subdistrict"}, year=2024)
    assert out.result.value == 0.5
    assert out.result.details["failing_units"] == ["乙街道"]
    kinds = sorted(e["kind"] for e in out.lineage)
    assert kinds == ["subdistrict", "transfer_station"]


def test_indicator_value_comes_from_the_store(store: GeoPackageStore) -> None:
    store.put_indicator(ADCODE, "led_share", 2023, 0.7, "share", "统计局")
    store.put_indicator(ADCODE, "led_share", 2025, 0.85, "share", "统计局")
    out = run_metric(store, "indicator", ADCODE, {"key": "led_share"}, year=2024)
    assert out.result.value == 0.7
    assert out.lineage[0]["kind"] == "indicator:led_share"
    assert out.lineage[0]["year"] == 2023
    later = run_metric(store, "indicator", ADCODE, {"key": "led_share"}, year=2026)
    assert later.result.value == 0.85
    none = run_metric(store, "indicator", ADCODE, {"key": "bus_share"}, year=2026)
    assert none.result.value is None
    assert none.result.missing == ("indicator:bus_share",)


def test_outcome_to_dict_is_json(store: GeoPackageStore) -> None:
    out = run_metric(store, "per_unit_min_count", ADCODE,
                     {"kind": "transfer_station", "unit_kind": "subdistrict"}, year=2024)
    data = json.loads(json.dumps(out.to_dict(), ensure_ascii=False))
    assert data["value"] == 0.5
    assert data["params"] == {"kind": "transfer_station", "unit_kind": "subdistrict",
                              "min_count": 1, "statuses": [], "field": None, "values": [],
                              "unit_field": None, "unit_values": []}
    assert data["rule"].startswith("每个街道至少1处")
    assert data["per_unit"] == [
        {"unit_id": "s1", "unit_name": "甲街道", "count": 1, "meets": True},
        {"unit_id": "s2", "unit_name": "乙街道", "count": 0, "meets": False},
    ]
    assert data["year"] == 2024
    assert {e["kind"] for e in data["lineage"]} == {"subdistrict", "transfer_station"}


def test_jsonable_handles_nan_numpy_and_frames() -> None:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"a": [1.0, float("nan")], "b": ["x", None]})
    assert jsonable(frame) == [{"a": 1.0, "b": "x"}, {"a": None, "b": None}]
    assert jsonable({"p": Point(1, 2), "n": np.bool_(True)}) == {"p": "POINT (1 2)", "n": True}


class CountingReads:
    """A store wrapper that records every layer read (kind, district, bbox)."""

    def __init__(self, inner: GeoPackageStore) -> None:
        self.inner = inner
        self.reads: list[tuple[str, str | None, bool]] = []

    def read(self, kind: Any, *, district: str | None = None, bbox: Any = None) -> Any:
        self.reads.append((str(kind), district, bbox is not None))
        return self.inner.read(kind, district=district, bbox=bbox)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


#: park is stored, greenway is not: the result is 数据不足 whatever the parks hold.
PARK_AND_GREENWAY = MetricDef(
    name="count_within", zh="范围内数量", en="Count within margin", inputs=("greenway",),
    params=CountParams, compute=_count_within, unit="count", param_inputs=("kind",),
    margin_m=200.0, optional_inputs=("pocket_garden",),
)


def test_a_missing_required_layer_reads_no_other_layer(store: GeoPackageStore) -> None:
    counting = CountingReads(store)
    out = run_metric(counting, "count_within", ADCODE, {"kind": "park"}, year=2024,
                     metrics={"count_within": PARK_AND_GREENWAY})
    assert out.result.value is None
    assert out.result.missing == ("greenway",)
    assert counting.reads == []  # parks and gardens were neither read nor reprojected
    # The lineage still names the stored inputs' versions (the district's own).
    assert {(e["kind"], e["district"], e["version"]) for e in out.lineage} == {
        ("park", ADCODE, 1), ("pocket_garden", ADCODE, 1)}


def test_a_card_reads_and_reprojects_each_layer_once(store: GeoPackageStore,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tanmap.layers import runner

    loads: list[str] = []
    real = runner._read_kind

    def counted(store: Any, kind: str, *args: Any) -> Any:
        loads.append(kind)
        return real(store, kind, *args)

    monkeypatch.setattr(runner, "_read_kind", counted)
    cached = runner.ReadCache(store)
    first = run_metric(cached, "count_within", ADCODE, {"kind": "park"}, year=2024,
                       metrics=TEST_METRICS)
    second = run_metric(cached, "count_within", ADCODE, {"kind": "park"}, year=2030,
                        metrics=TEST_METRICS)
    assert first.result.details["ids"] == second.result.details["ids"] == ["p0", "p1"]
    assert loads == ["park"]  # read + reprojected once for both targets
    run_metric(store, "count_within", ADCODE, {"kind": "park"}, metrics=TEST_METRICS)
    assert loads == ["park", "park"]  # without a ReadCache nothing is kept
