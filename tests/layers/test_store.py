"""Tests of the project store on both backends: round trips, versions, atomicity, indicators.

The ``store`` fixture runs every test on GeoPackage and on PostGIS (tests/conftest.py); tests
marked ``gpkg_only`` check GeoPackage internals (the file, its lock, copy-on-write).

Districts are small lon/lat boxes near Tianjin; plan features are points and boxes on a metre grid
in EPSG:4548 (CGCS2000 3° GK, CM 117°E), so distances and expected values can be checked by hand.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from tanmap.geo.crs import Bounds
from tanmap.geo.errors import (
    LayerValidationError,
    StoreError,
    TanmapError,
    UnknownDistrictError,
)
from tanmap.layers.kinds import SPECS, FieldSpec, GeometryFamily, LayerKind
from tanmap.layers.store import (
    DISTRICT_COLUMNS,
    SCHEMA_VERSION,
    GeoPackageStore,
    LayerVersion,
    Store,
    open_store,
)
from tanmap.layers.store import geopackage as store_mod

HEPING = "120101"
NANKAI = "120104"
#: 4548 origin used for metre-grid features: a point inside the HEPING box below.
X0_M, Y0_M = 500_000.0, 4_330_000.0


def district_row(adcode: str, west: float, name: str = "测试区", epsg: int | None = 4548,
                 ) -> gpd.GeoDataFrame:
    """One district: the lon/lat box [west, west + 0.5] x [38.8, 39.4] (EPSG:4326)."""
    data: dict[str, Any] = {"adcode": [adcode], "name": [name], "name_en": [f"Test {adcode}"]}
    if epsg is not None:
        data["planning_epsg"] = [epsg]
    return gpd.GeoDataFrame(data, geometry=[box(west, 38.8, west + 0.5, 39.4)], crs=4326)


Location = Callable[[str], str | Path]


@pytest.fixture
def store(new_store_location: Location) -> Store:
    """A store holding HEPING (116.8–117.3 °E) and NANKAI (117.3–117.8 °E), no plan layers."""
    s = open_store(new_store_location("p.gpkg"), create=True)
    s.put_district(district_row(HEPING, 116.8, "和平区"))
    s.put_district(district_row(NANKAI, 117.3, "南开区"))
    return s


def sample_value(f: FieldSpec) -> Any:
    """A valid value for field ``f`` (first choice, mid-range, or a plain value)."""
    if f.choices:
        return f.choices[0]
    if f.dtype == "str":
        return "值"
    if f.dtype == "bool":
        return True
    if f.dtype == "int":
        return int(f.minimum) if f.minimum is not None else 2020
    if f.minimum is not None and f.maximum is not None:
        return (f.minimum + f.maximum) / 2
    return float(f.minimum) + 1.5 if f.minimum is not None else 2.5


def metre_geometry(family: GeometryFamily, i: int) -> shapely.Geometry:
    """Feature ``i`` on a 100 m grid: a point, a 50 m line or a 10 m x 10 m square (EPSG:4548)."""
    x, y = X0_M + 100 * i, Y0_M
    if family is GeometryFamily.POINT:
        return Point(x, y)
    if family is GeometryFamily.LINE:
        return LineString([(x, y), (x + 50, y)])
    return box(x, y, x + 10, y + 10)


def plan_frame(kind: LayerKind, ids: list[str], crs: int = 4548) -> gpd.GeoDataFrame:
    """Features of ``kind`` with the given ids; every field of the spec holds a valid value."""
    spec = SPECS[kind]
    data: dict[str, list[Any]] = {}
    for f in spec.all_fields:
        data[f.name] = [sample_value(f)] * len(ids)
    data["id"] = ids
    if kind is LayerKind.DISTRICT:
        data["adcode"] = [HEPING] * len(ids)
    geoms = [metre_geometry(spec.geometry, i) for i in range(len(ids))]
    gdf = gpd.GeoDataFrame(data, geometry=geoms, crs=4548)
    return gdf if crs == 4548 else gdf.to_crs(crs)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store_state(s: Store) -> Any:
    """The whole observable state: the file's bytes, or every version record and history."""
    if isinstance(s, GeoPackageStore):
        return file_digest(s.path)
    return s.layers(), [s.history(v.kind, v.district) for v in s.layers()]


# --------------------------------------------------------------------------- round trips

PLAN_KINDS = [k for k in LayerKind if k is not LayerKind.DISTRICT]


@pytest.mark.parametrize("kind", PLAN_KINDS, ids=lambda k: k.value)
def test_round_trip_of_each_kind(store: Store, kind: LayerKind) -> None:
    written = plan_frame(kind, ["a-1", "a-2"], crs=4326)
    version = store.write(kind, written, district=HEPING, source="test.geojson")
    assert (version.kind, version.district, version.version, version.n_features) == (
        kind, HEPING, 1, 2)
    back = store.read(kind, district=HEPING)
    spec = SPECS[kind]
    assert back.crs.equals("EPSG:4326")
    assert list(back.columns) == [f.name for f in spec.all_fields] + ["geometry"]
    assert back["id"].tolist() == ["a-1", "a-2"]
    # GeoPackage stores IEEE doubles: the lon/lat coordinates come back bit for bit.
    assert shapely.equals_exact(back.geometry.to_numpy(), written.geometry.to_numpy(), 0).all()
    for f in spec.all_fields:
        if f.name in ("id", "district"):
            continue
        assert back[f.name].tolist() == [sample_value(f)] * 2, f.name
    assert back["district"].tolist() == [HEPING, HEPING]


def test_dtypes_follow_the_spec_and_nulls_survive(store: Store) -> None:
    stations = gpd.GeoDataFrame(
        {"id": ["s1", "s2"], "access": ["public", "private"], "fast_piles": [4, None],
         "power_kw": [120.0, None]},
        geometry=[Point(117.0, 39.0), Point(117.1, 39.1)], crs=4326,
    )
    store.write("charging_station", stations, district=HEPING)
    back = store.read("charging_station", district=HEPING)
    assert str(back["fast_piles"].dtype) == "Int64"
    assert str(back["power_kw"].dtype) == "float64"
    assert str(back["planned_year"].dtype) == "Int64"
    assert back["fast_piles"].tolist()[0] == 4
    assert back["fast_piles"].isna().tolist() == [False, True]
    assert back["name"].isna().all()


def test_projected_input_is_stored_in_4326_and_round_trips_within_1_mm(
    store: Store,
) -> None:
    """Three 10 m squares 100 m apart in EPSG:4548; back in 4548 each corner is < 1 mm off."""
    written = plan_frame(LayerKind.PARK, ["p1", "p2", "p3"])
    store.write("park", written, district=HEPING)
    back = store.read("park", district=HEPING).to_crs(4548)
    assert back.geometry.area.round(3).tolist() == [100.0, 100.0, 100.0]
    assert shapely.equals_exact(back.geometry.to_numpy(), written.geometry.to_numpy(),
                                tolerance=1e-3).all()


def test_columns_outside_the_spec_are_not_stored(store: Store) -> None:
    frame = plan_frame(LayerKind.BUS_STOP, ["b1"]).assign(备注="note")
    store.write("bus_stop", frame, district=HEPING)
    assert "备注" not in store.read("bus_stop").columns


# -------------------------------------------------------------------------------- versions


def test_versions_increment_per_kind_and_district(store: Store) -> None:
    v1 = store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING, source="a")
    v2 = store.write("park", plan_frame(LayerKind.PARK, ["p1", "p2"]), district=HEPING, source="b")
    other = store.write("park", plan_frame(LayerKind.PARK, ["q1"]), district=NANKAI)
    bus = store.write("bus_stop", plan_frame(LayerKind.BUS_STOP, ["b1"]), district=HEPING)
    assert (v1.version, v2.version, other.version, bus.version) == (1, 2, 1, 1)
    assert store.version("park", HEPING) == v2
    assert store.version(LayerKind.PARK, NANKAI) == other
    assert store.version("greenway", HEPING) is None
    assert (v2.n_features, v2.source) == (2, "b")
    assert v1.checksum != v2.checksum
    assert re.fullmatch(r"[0-9a-f]{64}", v2.checksum)


def test_updated_at_is_iso_utc(store: Store) -> None:
    before = datetime.now().astimezone().replace(microsecond=0)
    v = store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    assert v.updated_at.endswith("Z")
    stamp = datetime.fromisoformat(v.updated_at)
    assert stamp.utcoffset() is not None
    assert stamp.utcoffset().total_seconds() == 0
    assert stamp >= before


def test_layers_lists_current_versions_sorted(store: Store) -> None:
    store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=NANKAI)
    store.write("bus_stop", plan_frame(LayerKind.BUS_STOP, ["b1"]), district=HEPING)
    store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    listed = [(v.district, v.kind.value, v.version) for v in store.layers()]
    assert listed == [
        (HEPING, "district", 1), (HEPING, "park", 1), (HEPING, "bus_stop", 1),
        (NANKAI, "district", 1), (NANKAI, "park", 1),
    ]
    assert [v.kind.value for v in store.layers(NANKAI)] == ["district", "park"]
    assert store.layers()[1].as_dict()["kind"] == "park"


def test_identical_content_gives_identical_checksum(store: Store) -> None:
    a = store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    b = store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    assert (a.version, b.version) == (1, 2)
    assert a.checksum == b.checksum


# -------------------------------------------------------------------------- replace/append


def test_append_adds_and_replace_replaces_only_that_district(store: Store) -> None:
    store.write("park", plan_frame(LayerKind.PARK, ["p1", "p2"]), district=HEPING)
    store.write("park", plan_frame(LayerKind.PARK, ["n1"]), district=NANKAI)
    v = store.write("park", plan_frame(LayerKind.PARK, ["p3"]), district=HEPING, mode="append")
    assert (v.version, v.n_features) == (2, 3)
    assert store.read("park", district=HEPING)["id"].tolist() == ["p1", "p2", "p3"]
    v = store.write("park", plan_frame(LayerKind.PARK, ["p9"]), district=HEPING, mode="replace")
    assert (v.version, v.n_features) == (3, 1)
    assert store.read("park", district=HEPING)["id"].tolist() == ["p9"]
    assert store.read("park", district=NANKAI)["id"].tolist() == ["n1"]
    assert sorted(store.read("park")["id"]) == ["n1", "p9"]


def test_append_of_an_id_already_stored_is_rejected(store: Store) -> None:
    store.write("park", plan_frame(LayerKind.PARK, ["p1", "p2"]), district=HEPING)
    with pytest.raises(LayerValidationError, match="id 'p2' is already stored in park"):
        store.write("park", plan_frame(LayerKind.PARK, ["p3", "p2"]), district=HEPING,
                    mode="append")
    assert store.version("park", HEPING).version == 1
    # The same id in another district is fine.
    store.write("park", plan_frame(LayerKind.PARK, ["p2"]), district=NANKAI, mode="append")


def test_bad_mode_is_rejected(store: Store) -> None:
    with pytest.raises(StoreError, match="'replace' or 'append', got 'upsert'"):
        store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING,
                    mode="upsert")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ validation


def test_invalid_layer_is_rejected_with_every_issue_and_nothing_written(
    store: Store,
) -> None:
    bad = plan_frame(LayerKind.PARK, ["p1", "p2"])
    bad["park_class"] = ["G99", None]
    bad.loc[1, "area_m2"] = -5.0
    digest = store_state(store)
    with pytest.raises(LayerValidationError) as info:
        store.write("park", bad, district=HEPING, source="parks.geojson")
    columns = sorted({i.column for i in info.value.issues})
    assert columns == ["area_m2", "park_class"]
    assert len(info.value.issues) >= 3
    assert "parks.geojson" in str(info.value)
    assert store_state(store) == digest
    assert store.version("park", HEPING) is None


def test_write_for_an_unknown_district_is_refused(store: Store) -> None:
    with pytest.raises(UnknownDistrictError, match=r"'999999' is not in store .*120101, 120104"):
        store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district="999999")


# ------------------------------------------------------------------------------ atomicity


def _half_then_fail(real: Any) -> Any:
    """A low-level writer that writes the first half of the rows, then fails."""
    def writer(path: Path, layer: str, frame: gpd.GeoDataFrame) -> None:
        real(path, layer, frame.iloc[: max(1, len(frame) // 2)])
        raise OSError(28, "No space left on device")
    return writer


@pytest.mark.gpkg_only
@pytest.mark.parametrize("mode", ["replace", "append"])
def test_failure_mid_write_leaves_the_store_exactly_as_before(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch, mode: str,
) -> None:
    store.write("park", plan_frame(LayerKind.PARK, ["p1", "p2"]), district=HEPING)
    before_bytes = file_digest(store.path)
    before_layers = store.layers()
    before_parks = store.read("park")
    monkeypatch.setattr(store_mod, "_write_features", _half_then_fail(store_mod._write_features))
    with pytest.raises(StoreError, match=r"No space left on device.*nothing was changed"):
        store.write("park", plan_frame(LayerKind.PARK, ["p3", "p4", "p5", "p6"]),
                    district=HEPING, mode=mode)  # type: ignore[arg-type]
    assert file_digest(store.path) == before_bytes
    assert store.layers() == before_layers
    pd.testing.assert_frame_equal(store.read("park"), before_parks)
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["p.gpkg", "p.gpkg.lock"]


@pytest.mark.gpkg_only
def test_failure_after_all_changes_before_the_swap_changes_nothing(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    before = file_digest(store.path)

    def broken_fsync(path: Path) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(store_mod, "_fsync_file", broken_fsync)
    with pytest.raises(StoreError, match="Input/output error"):
        store.write("park", plan_frame(LayerKind.PARK, ["p9"]), district=HEPING)
    assert file_digest(store.path) == before
    assert store.version("park", HEPING).version == 1
    assert len(list(store.path.parent.glob(".*tmp.gpkg"))) == 0


@pytest.mark.gpkg_only
def test_a_tanmap_error_mid_write_passes_through_unchanged(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any) -> None:
        raise UnknownDistrictError("injected")

    monkeypatch.setattr(store_mod, "_write_features", refuse)
    with pytest.raises(UnknownDistrictError, match="injected"):
        store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    assert store.version("park", HEPING) is None


# ---------------------------------------------------------------------------- concurrency


def test_interleaved_writers_lose_no_update(new_store_location: Location) -> None:
    """Four store objects on one store, one thread each: 4 x 3 appends -> version 12, 12 ids."""
    path = new_store_location("c.gpkg")
    open_store(path, create=True).put_district(district_row(HEPING, 116.8))
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        s = open_store(path)
        try:
            for j in range(3):
                s.write("bus_stop", plan_frame(LayerKind.BUS_STOP, [f"w{w}-{j}"]),
                        district=HEPING, mode="append")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = open_store(path)
    assert final.version("bus_stop", HEPING).version == 12
    history = final.history("bus_stop", HEPING)
    assert [e.version for e in history] == list(range(1, 13))
    assert [e.n_features for e in history] == list(range(1, 13))
    assert all(e.added == 1 and e.removed == 0 for e in history)
    assert sorted(final.read("bus_stop")["id"]) == sorted(
        f"w{w}-{j}" for w in range(4) for j in range(3))


@pytest.mark.gpkg_only
def test_writer_gives_up_when_the_lock_is_held(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_mod, "LOCK_TIMEOUT_S", 0.1)
    with open(store.path.with_name("p.gpkg.lock"), "a+b") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="locked by another writer"):
            store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)


@pytest.mark.gpkg_only
def test_a_reader_holding_the_old_file_sees_a_consistent_version(store: GeoPackageStore) -> None:
    """os.replace swaps whole files: an open handle keeps seeing the old, complete store."""
    store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    with open(store.path, "rb") as old:
        store.write("park", plan_frame(LayerKind.PARK, ["p1", "p2"]), district=HEPING)
        snapshot = store.path.with_name("old.gpkg")
        snapshot.write_bytes(old.read())
    assert len(GeoPackageStore(snapshot).read("park")) == 1
    assert len(store.read("park")) == 2


# ---------------------------------------------------------------------------------- reads


def test_read_of_a_kind_never_written_is_an_empty_frame(store: Store) -> None:
    empty = store.read("heating_pipe", district=HEPING)
    assert len(empty) == 0
    assert empty.crs.equals("EPSG:4326")
    assert list(empty.columns) == [f.name for f in SPECS[LayerKind.HEATING_PIPE].all_fields] + [
        "geometry"]
    assert str(empty["installation_year"].dtype) == "Int64"


def test_read_of_a_store_that_does_not_exist_yet(new_store_location: Location) -> None:
    s = open_store(new_store_location("none.gpkg"))
    assert len(s.read("park")) == 0
    assert s.layers() == []
    assert len(s.districts()) == 0
    assert s.version("district", HEPING) is None
    assert not s.exists()  # type: ignore[attr-defined]
    with pytest.raises(UnknownDistrictError, match="districts in it: none"):
        s.read("park", district=HEPING)


def test_unknown_district_on_read(store: Store) -> None:
    with pytest.raises(UnknownDistrictError, match=r"'310101' is not in store.*tanmap boundaries"):
        store.read("park", district="310101")
    with pytest.raises(UnknownDistrictError):
        store.indicators("310101")
    with pytest.raises(UnknownDistrictError):
        store.layers("310101")
    with pytest.raises(LookupError):  # UnknownDistrictError is also a LookupError
        store.district("310101")


def test_bbox_returns_features_intersecting_the_box(store: Store) -> None:
    """Stops at 117.0, 117.5 and 118.0 °E on 39.0 °N; the box 117.2–117.8 holds only the middle."""
    stops = gpd.GeoDataFrame(
        {"id": ["w", "m", "e"]},
        geometry=[Point(117.0, 39.0), Point(117.5, 39.0), Point(118.0, 39.0)], crs=4326,
    )
    store.write("bus_stop", stops.iloc[[0]], district=HEPING)
    store.write("bus_stop", stops.iloc[[1, 2]], district=NANKAI)
    box_ = Bounds(west=117.2, south=38.9, east=117.8, north=39.1)
    assert store.read("bus_stop", bbox=box_)["id"].tolist() == ["m"]
    assert store.read("bus_stop", district=HEPING, bbox=box_)["id"].tolist() == []
    assert store.read("bus_stop", bbox=(116.9, 38.9, 118.1, 39.1))["id"].tolist() == [
        "w", "m", "e"]


@pytest.mark.gpkg_only
def test_reads_never_copy_or_lock_the_file(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a read copied or locked the store")

    monkeypatch.setattr(store_mod.shutil, "copyfile", forbidden)
    monkeypatch.setattr(store_mod.fcntl, "flock", forbidden)
    assert len(store.read("park", district=HEPING)) == 1
    assert len(store.districts()) == 2
    assert store.version("park", HEPING).version == 1
    assert len(store.layers()) == 3
    assert len(store.indicators(HEPING)) == 0


def test_district_code_with_a_quote_is_not_sql(store: Store) -> None:
    with pytest.raises(UnknownDistrictError):
        store.read("park", district="x' OR '1'='1")


# ------------------------------------------------------------------------------ districts


def test_districts_and_district_row(store: Store) -> None:
    table = store.districts()
    assert list(table.columns) == list(DISTRICT_COLUMNS)
    assert table["adcode"].tolist() == [HEPING, NANKAI]
    assert table.crs.equals("EPSG:4326")
    row = store.district(NANKAI)
    assert (row["adcode"], row["name"], row["planning_epsg"]) == (NANKAI, "南开区", 4548)
    assert isinstance(row["planning_epsg"], int)
    assert row["geometry"].bounds == (117.3, 38.8, 117.8, 39.4)


def test_put_district_replaces_the_row_and_bumps_its_version(store: Store) -> None:
    v = store.put_district(district_row(HEPING, 116.9, "和平区（新）"))
    assert (v.kind, v.district, v.version, v.n_features) == (LayerKind.DISTRICT, HEPING, 2, 1)
    assert store.districts()["adcode"].tolist() == [HEPING, NANKAI]
    assert store.district(HEPING)["name"] == "和平区（新）"


def test_put_district_computes_the_planning_crs_when_missing(
    new_store_location: Location,
) -> None:
    """A box around Huangpu (121.48 °E) lies in the CGCS2000 zone with CM 120 °E: EPSG:4549."""
    s = open_store(new_store_location("h.gpkg"), create=True)
    row = gpd.GeoDataFrame({"adcode": ["310101"], "name": ["黄浦区"]},
                           geometry=[box(121.45, 31.2, 121.51, 31.25)], crs=4326)
    s.put_district(row)
    assert s.district("310101")["planning_epsg"] == 4549


def test_put_district_reprojects_to_4326(new_store_location: Location) -> None:
    s = open_store(new_store_location("r.gpkg"), create=True)
    square = gpd.GeoDataFrame({"adcode": ["X1"], "name": ["方块"], "planning_epsg": [4548]},
                              geometry=[box(X0_M, Y0_M, X0_M + 1000, Y0_M + 1000)], crs=4548)
    s.put_district(square)
    back = gpd.GeoSeries([s.district("X1")["geometry"]], crs=4326).to_crs(4548)
    assert back.area.round(2).tolist() == [1_000_000.0]


def test_put_district_needs_exactly_one_row(store: Store) -> None:
    two = pd.concat([district_row("1", 100.0), district_row("2", 101.0)])
    with pytest.raises(LayerValidationError, match="exactly one feature with an adcode, got 2"):
        store.put_district(two)


def test_district_layer_rows_must_match_the_adcode_written(store: Store) -> None:
    row = district_row(HEPING, 116.8).assign(id=HEPING)
    with pytest.raises(LayerValidationError, match=r"adcode '120101' differs .*'120104'"):
        store.write("district", row, district=NANKAI)


# ----------------------------------------------------------------------------- indicators


def test_indicators_round_trip_and_replace_per_key_and_year(store: Store) -> None:
    store.put_indicator(HEPING, "led_share", 2025, 0.75, "share", "survey 2025")
    store.put_indicator(HEPING, "led_share", 2024, 0.6, "share")
    store.put_indicator(HEPING, "heat_loss_pct", 2025, 12.0, "%", "operator")
    store.put_indicator(HEPING, "led_share", 2025, 0.82, "share", "survey 2025b")
    store.put_indicator(NANKAI, "led_share", 2025, 0.1, "share")
    table = store.indicators(HEPING)
    assert list(table.columns) == ["key", "year", "value", "unit", "source", "entered_at"]
    assert table[["key", "year", "value", "source"]].values.tolist() == [
        ["heat_loss_pct", 2025, 12.0, "operator"],
        ["led_share", 2024, 0.6, ""],
        ["led_share", 2025, 0.82, "survey 2025b"],
    ]
    assert table["entered_at"].str.endswith("Z").all()
    assert len(store.indicators(NANKAI)) == 1


def test_indicators_of_a_district_with_none_is_empty(store: Store) -> None:
    table = store.indicators(HEPING)
    assert len(table) == 0
    assert list(table.columns) == ["key", "year", "value", "unit", "source", "entered_at"]


@pytest.mark.parametrize(
    ("key", "year", "value", "message"),
    [
        ("", 2025, 1.0, "indicator key is empty"),
        ("k", 1800, 1.0, "year must be an integer in 1900–2100, got 1800"),
        ("k", 2025.5, 1.0, "year must be an integer"),
        ("k", 2025, float("nan"), "value must be finite"),
        ("k", 2025, "many", "value must be a number, got 'many'"),
    ],
    ids=["empty-key", "old-year", "float-year", "nan", "text"],
)
def test_bad_indicator_values_are_rejected(
    store: Store, key: str, year: Any, value: Any, message: str,
) -> None:
    with pytest.raises(StoreError, match=message):
        store.put_indicator(HEPING, key, year, value, "share")
    assert len(store.indicators(HEPING)) == 0


def test_indicator_for_unknown_district(store: Store) -> None:
    with pytest.raises(UnknownDistrictError, match="'999' is not in store"):
        store.put_indicator("999", "k", 2025, 1.0, "share")


# ----------------------------------------------------------------------- opening the store


def test_open_store_picks_postgis_for_a_database_url() -> None:
    from tanmap.layers.store.postgis import PostGISStore

    for url in ("postgresql://user:pw@localhost/tanmap", "postgres://user:pw@localhost/tanmap",
                "postgis://user:pw@localhost/tanmap"):
        s = open_store(url)  # no connection until the first operation
        assert isinstance(s, PostGISStore)
        assert s.url == "postgresql://user:pw@localhost/tanmap"
        assert repr(s) == "PostGISStore('postgresql://user:***@localhost/tanmap')"


def test_open_store_wants_a_gpkg_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"must end in \.gpkg"):
        open_store(tmp_path / "store.sqlite")
    with pytest.raises(StoreError, match="unsupported store location scheme 'http'"):
        open_store("http://example.org/x.gpkg")
    s = open_store(tmp_path)
    assert isinstance(s, GeoPackageStore)
    assert s.path == tmp_path / "tanmap.gpkg"


def test_store_satisfies_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)
    if isinstance(store, GeoPackageStore):
        assert repr(store) == f"GeoPackageStore({str(store.path)!r})"
        assert "p.gpkg" in repr(store)
    else:
        assert repr(store).startswith("PostGISStore('postgresql://postgres@127.0.0.1:")


@pytest.mark.gpkg_only
def test_store_file_is_a_plain_geopackage(store: GeoPackageStore) -> None:
    """Any GIS can open the file: one table per written kind plus the bookkeeping tables."""
    store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    layers = dict(pyogrio.list_layers(store.path).tolist())
    assert layers["district"] == "Unknown"
    assert layers["park"] == "Unknown"
    assert {"tanmap_layers", "tanmap_indicators", "tanmap_meta"} <= set(layers)
    assert pyogrio.read_info(store.path, layer="park")["crs"] == "EPSG:4326"


@pytest.mark.gpkg_only
def test_create_is_idempotent(store: GeoPackageStore) -> None:
    digest = file_digest(store.path)
    open_store(store.path, create=True)
    assert file_digest(store.path) == digest


def test_a_geopackage_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4326).to_file(other)
    with pytest.raises(StoreError, match=r"not a tanmap store .*tanmap init"):
        open_store(other).layers()
    with pytest.raises(StoreError, match="not a tanmap store"):
        open_store(other, create=True)


@pytest.mark.gpkg_only
def test_a_store_of_another_schema_version_is_refused(store: GeoPackageStore) -> None:
    import sqlite3

    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE tanmap_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match=f"schema version 99, this tanmap needs {SCHEMA_VERSION}"):
        store.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)


def test_store_errors_are_tanmap_errors() -> None:
    assert issubclass(StoreError, TanmapError)
    assert LayerVersion(LayerKind.PARK, "1", 1, "t", 0, "").checksum == ""


# ----------------------------------------------------------------------- property test

grid_points = st.lists(
    st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=15, unique=True,
)


@settings(max_examples=15, deadline=None)
@given(points=grid_points)
def test_written_points_come_back_within_1_mm(points: list[tuple[int, int]]) -> None:
    """Points on a 1 m grid (EPSG:4548) -> store (4326) -> 4548: every point within 1 mm."""
    frame = gpd.GeoDataFrame(
        {"id": [f"r{i}" for i in range(len(points))]},
        geometry=[Point(X0_M + x, Y0_M + y) for x, y in points], crs=4548,
    )
    with tempfile.TemporaryDirectory() as tmp:
        s = open_store(Path(tmp) / "h.gpkg", create=True)
        s.put_district(district_row(HEPING, 116.8))
        version = s.write("recycling_point", frame, district=HEPING)
        back = s.read("recycling_point", district=HEPING).to_crs(4548)
    assert version.n_features == len(points)
    assert back["id"].tolist() == frame["id"].tolist()
    assert back.geometry.distance(frame.geometry).max() < 1e-3


write_ops = st.lists(st.tuples(st.sampled_from(["replace", "append"]), st.integers(1, 3)),
                     min_size=1, max_size=5)


@settings(max_examples=10, deadline=None)
@given(ops=write_ops)
def test_version_and_count_follow_a_sequence_of_writes(ops: list[tuple[str, int]]) -> None:
    """Any sequence of replace/append writes: version = number of writes, count = the model's."""
    expected_ids: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        s = open_store(Path(tmp) / "v.gpkg", create=True)
        s.put_district(district_row(HEPING, 116.8))
        for step, (mode, n) in enumerate(ops):
            ids = [f"s{step}-{i}" for i in range(n)]
            expected_ids = ids if mode == "replace" else expected_ids + ids
            s.write("bus_stop", plan_frame(LayerKind.BUS_STOP, ids), district=HEPING,
                    mode=mode)  # type: ignore[arg-type]
        final = s.version("bus_stop", HEPING)
        stored_ids = s.read("bus_stop", district=HEPING)["id"].tolist()
    assert final is not None
    assert final.version == len(ops)
    assert final.n_features == len(expected_ids)
    assert stored_ids == expected_ids
