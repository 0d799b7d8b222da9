"""The metric memo (incremental audit): outcomes keyed by the versions of the layers they read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from shapely.geometry import Point, box

from tanmap.layers import runner
from tanmap.layers.runner import MetricMemo, run_metric, use_metric_memo
from tests.layers.test_runner import ADCODE, EPSG, NEIGHBOUR, build_store, metre_frame

if TYPE_CHECKING:
    from pathlib import Path


def _count_recycling(memo: MetricMemo, store: object) -> float | None:
    with use_metric_memo(memo):
        outcome = run_metric(store, "feature_count", ADCODE,  # type: ignore[arg-type]
                             {"kind": "recycling_point"}, year=2026)
    return outcome.result.value


def test_unchanged_inputs_are_not_recomputed(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store = build_store(tmp_path)
    memo = MetricMemo()
    computed: list[str] = []
    real = runner.prepare_metric

    def counting(*args: object, **kwargs: object) -> object:
        computed.append(str(args[1]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "prepare_metric", counting)
    assert _count_recycling(memo, store) == 2.0  # r1, r2
    assert _count_recycling(memo, store) == 2.0
    assert computed == ["feature_count"]
    # A write to a layer the metric does not read keeps the outcome.
    store.write("transfer_station", metre_frame(
        [{"id": "t9", "name": "中转站9", "status": "existing"}], [Point(50, 50)],
    ), district=ADCODE, source="another station")
    assert _count_recycling(memo, store) == 2.0
    assert computed == ["feature_count"]
    assert (memo.hits, memo.misses) == (2, 1)
    # A write to its input recomputes it.
    store.write("recycling_point", metre_frame(
        [{"id": f"r{i}", "status": "existing"} for i in range(5)],
        [Point(100 + 100 * i, 900) for i in range(5)],
    ), district=ADCODE, source="recycling survey v2")
    assert _count_recycling(memo, store) == 5.0
    assert computed == ["feature_count", "feature_count"]


def test_remembered_outcome_equals_a_fresh_run(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    memo = MetricMemo()
    params = {"kind": "park", "radius_m": 500}
    with use_metric_memo(memo):
        first = run_metric(store, "facility_coverage", ADCODE, params, year=2026)
        again = run_metric(store, "facility_coverage", ADCODE, params, year=2026)
    plain = run_metric(store, "facility_coverage", ADCODE, params, year=2026)
    assert again is first
    assert again.to_dict() == plain.to_dict()


def test_a_neighbours_write_recomputes_a_metric_with_a_margin(tmp_path: Path) -> None:
    # facility_coverage reads parks of other districts within its margin: p1 of 邻区 counts.
    store = build_store(tmp_path)
    # A 100 m block at the east border: 300 m from p0 (own district), 100 m from p1 (邻区).
    store.write("residential_land", metre_frame(
        [{"id": "home1", "status": "existing"}], [box(900, 400, 1000, 500)],
    ), district=ADCODE, source="homes")
    memo = MetricMemo()
    params = {"kind": "park", "radius_m": 200}
    with use_metric_memo(memo):
        before = run_metric(store, "facility_coverage", ADCODE, params, year=2026)
    assert before.result.value == pytest.approx(1.0)  # covered by p1 across the border
    assert {(e["kind"], e["district"]) for e in before.lineage} >= {
        ("park", ADCODE), ("park", NEIGHBOUR)}
    store.write("park", metre_frame(
        [{"id": "p9", "park_class": "G12", "status": "existing"}],
        [box(1900, 400, 1950, 450)],  # p1 beside the border is gone: only the far park is left
    ), district=NEIGHBOUR, source="neighbour parks v2")
    with use_metric_memo(memo):
        after = run_metric(store, "facility_coverage", ADCODE, params, year=2026)
    assert after is not before
    assert after.to_dict() == run_metric(store, "facility_coverage", ADCODE, params,
                                         year=2026).to_dict()
    assert after.result.value == pytest.approx(0.0)


def test_parameters_year_and_horizon_are_part_of_the_key(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    memo = MetricMemo()
    with use_metric_memo(memo):
        # Gardens g1, g2 exist; g3 is planned for 2025, g4 for 2031.
        now = run_metric(store, "feature_count", ADCODE, {"kind": "pocket_garden"}, year=2026)
        planned = run_metric(store, "feature_count", ADCODE, {"kind": "pocket_garden"},
                             year=2026, include_planned_until=2031)
        parks = run_metric(store, "feature_count", ADCODE, {"kind": "park"}, year=2026)
    assert (now.result.value, planned.result.value, parks.result.value) == (2.0, 4.0, 1.0)
    assert len(memo) == 3


def test_an_outcome_read_while_a_write_landed_is_not_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = build_store(tmp_path)
    memo = MetricMemo()
    real = runner.prepare_metric

    def write_meanwhile(*args: object, **kwargs: object) -> object:
        store.write("recycling_point", metre_frame(
            [{"id": "r7", "status": "existing"}], [Point(10, 10)],
        ), district=ADCODE, source="written during the run")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "prepare_metric", write_meanwhile)
    assert _count_recycling(memo, store) == 1.0  # it read the new version ...
    assert len(memo) == 0  # ... so it is not filed under the versions seen before the run


def test_memo_needs_room_for_one_outcome() -> None:
    with pytest.raises(ValueError, match="max_items must be >= 1, got 0"):
        MetricMemo(max_items=0)


def test_incremental_audit_equals_a_full_audit_after_a_write(tmp_path: Path) -> None:
    from tanmap.layers.audit import audit_district
    from tanmap.layers.demo import load_demo
    from tanmap.layers.store import open_store

    store = open_store(tmp_path / "demo.gpkg", create=True)
    load_demo(store, ["120101"])
    memo = MetricMemo()
    with use_metric_memo(memo):
        audit_district(store, "120101", year=2026)
    store.write("recycling_point", store.read("recycling_point", district="120101").iloc[:3],
                district="120101", source="three points left")
    misses = memo.misses
    with use_metric_memo(memo):
        incremental = audit_district(store, "120101", year=2026)
    full = audit_district(store, "120101", year=2026)
    # Only the rows reading recycling_point were recomputed; the card is the same as a full run.
    assert 0 < memo.misses - misses < 10
    assert memo.hits > 0
    drop = {"generated_at"}
    assert ({k: v for k, v in incremental.to_dict().items() if k not in drop}
            == {k: v for k, v in full.to_dict().items() if k not in drop})


def test_a_reimported_district_boundary_recomputes(tmp_path: Path) -> None:
    # The boundary decides what lies inside the district: a new boundary is a new input.
    store = build_store(tmp_path)
    memo = MetricMemo()
    assert _count_recycling(memo, store) == 2.0
    assert _count_recycling(memo, store) == 2.0
    assert (memo.hits, memo.misses) == (1, 1)
    store.put_district(metre_frame(
        [{"adcode": ADCODE, "name": "测试区", "name_en": "Test District",
          "planning_epsg": EPSG}],
        [box(0, 0, 900, 1000)],
    ))
    _count_recycling(memo, store)
    assert (memo.hits, memo.misses) == (1, 2)

