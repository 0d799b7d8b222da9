"""Known-empty layers: "this district has no parks" is a versioned fact, not missing data.

Every test runs on GeoPackage and PostGIS (tests/conftest.py).

The store: district 120199 测试区 = [0, 1000] x [0, 1000] m (EPSG:4548, near Tianjin) with one
residential block [100, 200] x [100, 200] m and no park of its own; its only neighbour is far
away. A park target asks for >= 90 % park coverage by 2030; the audit year is 2026.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from shapely.geometry import box

from tanmap.geo.audit import Status
from tanmap.geo.errors import LayerValidationError, StoreError, UnknownDistrictError
from tanmap.layers.audit import audit_district
from tanmap.layers.catalog import Catalog
from tanmap.layers.runner import run_metric
from tanmap.layers.store import Store, open_store
from tests.layers.test_audit import _target
from tests.layers.test_runner import ADCODE, EPSG, metre_frame

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

YEAR = 2026


@pytest.fixture
def store(new_store_location: Callable[[str], str | Path]) -> Store:
    """The test district with residential land only (see the module docstring)."""
    store = open_store(new_store_location("t.gpkg"), create=True)
    store.put_district(metre_frame(
        [{"adcode": ADCODE, "name": "测试区", "planning_epsg": EPSG}], [box(0, 0, 1000, 1000)]))
    store.write("residential_land", metre_frame(
        [{"id": "R1", "status": "existing"}], [box(100, 100, 200, 200)],
    ), district=ADCODE, source="test")
    return store


def park_catalog() -> Catalog:
    target = _target("P01", "park_coverage", {}, 0.9, 2030, unit="share",
                     category="green_space")
    return Catalog.model_validate({
        "adcode": ADCODE, "district_zh": "测试区", "district_en": "Test District",
        "plan_title": "测试区碳达峰实施方案", "plan_year": 2023, "seed_file": "999_test.txt",
        "targets": [target],
    })


def test_write_empty_stores_a_new_version_with_no_features(store: Store) -> None:
    first = store.write_empty("park", district=ADCODE, source="园林局确认")
    assert (first.version, first.n_features, first.source) == (1, 0, "园林局确认")
    frame = store.read("park", district=ADCODE)
    assert len(frame) == 0
    assert {"id", "park_class", "area_m2"} <= set(frame.columns)
    assert frame.crs.to_epsg() == 4326
    second = store.write_empty("park", district=ADCODE)
    assert second.version == 2
    assert second.checksum == first.checksum  # same (empty) content


def test_a_later_import_replaces_the_empty_layer(store: Store) -> None:
    store.write_empty("park", district=ADCODE)
    version = store.write("park", metre_frame(
        [{"id": "P1", "park_class": "G12"}], [box(250, 100, 350, 200)]), district=ADCODE)
    assert (version.version, version.n_features) == (2, 1)


def test_write_empty_errors(store: Store) -> None:
    with pytest.raises(UnknownDistrictError, match="'999999' is not in store"):
        store.write_empty("park", district="999999")
    with pytest.raises(StoreError, match="district boundary cannot be an empty layer"):
        store.write_empty("district", district=ADCODE)
    with pytest.raises(ValueError, match="unknown layer kind 'parks'"):
        store.write_empty("parks", district=ADCODE)


def test_park_coverage_is_zero_with_a_known_empty_park_layer(store: Store) -> None:
    missing = run_metric(store, "park_coverage", ADCODE, year=YEAR).result
    assert (missing.value, missing.missing) == (None, ("park",))
    store.write_empty("park", district=ADCODE)
    outcome = run_metric(store, "park_coverage", ADCODE, year=YEAR)
    assert (outcome.result.value, outcome.result.missing) == (0.0, ())
    park_lineage = [e for e in outcome.lineage if e["kind"] == "park"]
    assert [(e["version"], e["n_features"]) for e in park_lineage] == [(1, 0)]
    # A park 50 m east of the block (farthest block point 150 m away) covers all of it: the
    # empty layer did not make the metric blind.
    store.write("park", metre_frame([{"id": "P1", "park_class": "G12"}],
                                    [box(250, 100, 350, 200)]), district=ADCODE)
    assert run_metric(store, "park_coverage", ADCODE, year=YEAR).result.value == \
        pytest.approx(1.0, abs=1e-3)


def test_audit_row_is_not_met_rather_than_no_data(store: Store) -> None:
    before = audit_district(store, ADCODE, year=YEAR, catalog=park_catalog()).rows[0]
    assert before.status is Status.NO_DATA
    assert before.missing == ("park",)
    store.write_empty("park", district=ADCODE)
    row = audit_district(store, ADCODE, year=YEAR, catalog=park_catalog()).rows[0]
    assert row.status is Status.NOT_MET
    assert (row.measured, row.gap, row.missing) == (0.0, 0.9, ())


def test_writing_an_empty_frame_points_at_import_empty(store: Store) -> None:
    empty = metre_frame([], [])
    with pytest.raises(LayerValidationError, match="layer has no features") as info:
        store.write("park", empty.iloc[0:0], district=ADCODE)
    assert "tanmap import-empty park --district ADCODE" in info.value.issues[0].fix
    assert store.version("park", ADCODE) is None
