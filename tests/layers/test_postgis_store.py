"""What only the PostGIS store has: transactions, concurrent writers, the schema, its checksums.

The behaviour both backends share is tested once for both (test_store.py, test_store_history.py,
test_empty_layers.py run on GeoPackage and PostGIS); here: a failure injected mid-write rolls the
whole transaction back; two concurrent writers of one layer both get their version; the
checksums equal the GeoPackage store's for the same features.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import psycopg
import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from tanmap.geo.errors import LayerValidationError, StoreError, UnknownDistrictError
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import open_store
from tanmap.layers.store import postgis as pg_mod
from tanmap.layers.store.postgis import PostGISStore, gpkg_blob, redact_url
from tests.layers.test_store import HEPING, NANKAI, PLAN_KINDS, district_row, plan_frame
from tests.pg_cluster import Cluster


@pytest.fixture
def pg(pg_cluster: Cluster) -> Any:
    """A PostGIS store (fresh schema) holding HEPING and NANKAI."""
    url = pg_cluster.new_schema()
    s = open_store(url, create=True)
    assert isinstance(s, PostGISStore)
    s.put_district(district_row(HEPING, 116.8, "和平区"))
    s.put_district(district_row(NANKAI, 117.3, "南开区"))
    yield s
    pg_cluster.drop(url)


@pytest.fixture
def gpkg(tmp_path: Path) -> Any:
    """A GeoPackage store with the same two districts."""
    s = open_store(tmp_path / "g.gpkg", create=True)
    s.put_district(district_row(HEPING, 116.8, "和平区"))
    s.put_district(district_row(NANKAI, 117.3, "南开区"))
    return s


def state(s: PostGISStore) -> Any:
    """Every version record, every history and every stored feature of the store."""
    layers = s.layers()
    return (layers, [s.history(v.kind, v.district) for v in layers],
            [s.read(v.kind, district=v.district).to_wkt().values.tolist() for v in layers])


def archived_rows(s: PostGISStore, kind: str) -> int:
    with psycopg.connect(s.url) as conn:
        row = conn.execute(f"SELECT count(*) FROM tanmap_archive_{kind}").fetchone()
    assert row is not None
    return int(row[0])


# ------------------------------------------------------------------------ failure mid-write


def _half_then_fail(real: Any) -> Any:
    """A COPY that writes the first half of the rows, then fails (a lost connection, say)."""
    def copy(conn: Any, table: str, columns: list[str], frame: gpd.GeoDataFrame) -> None:
        real(conn, table, columns, frame.iloc[: max(1, len(frame) // 2)])
        raise OSError(28, "No space left on device")
    return copy


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_failure_mid_write_leaves_no_partial_layer(
    pg: PostGISStore, monkeypatch: pytest.MonkeyPatch, mode: str,
) -> None:
    pg.write("park", plan_frame(LayerKind.PARK, ["p1", "p2"]), district=HEPING)
    before, archived = state(pg), archived_rows(pg, "park")
    monkeypatch.setattr(pg_mod, "_copy_rows", _half_then_fail(pg_mod._copy_rows))
    with pytest.raises(StoreError, match=r"No space left on device.*nothing was changed"):
        pg.write("park", plan_frame(LayerKind.PARK, ["p3", "p4", "p5", "p6"]), district=HEPING,
                 mode=mode)  # type: ignore[arg-type]
    monkeypatch.undo()
    assert state(pg) == before
    assert archived_rows(pg, "park") == archived == 0  # the archive copy was rolled back too
    assert pg.read("park", district=HEPING)["id"].tolist() == ["p1", "p2"]
    assert pg.write("park", plan_frame(LayerKind.PARK, ["p7"]), district=HEPING).version == 2


def test_failure_in_the_second_layer_of_write_many_writes_neither(
    pg: PostGISStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = pg_mod._copy_rows
    calls: list[str] = []

    def fail_on_second(conn: Any, table: str, columns: list[str], frame: Any) -> None:
        calls.append(table)
        real(conn, table, columns, frame)
        if len(calls) == 2:
            raise RuntimeError("server closed the connection")

    monkeypatch.setattr(pg_mod, "_copy_rows", fail_on_second)
    with pytest.raises(StoreError, match="server closed the connection"):
        pg.write_many({"park": plan_frame(LayerKind.PARK, ["p1"]),
                       "bus_stop": plan_frame(LayerKind.BUS_STOP, ["b1"])}, district=HEPING)
    assert calls == ["park", "bus_stop"]
    assert pg.version("park", HEPING) is None
    assert pg.version("bus_stop", HEPING) is None
    assert len(pg.read("park")) == 0


def test_a_failed_first_write_of_a_kind_leaves_no_table(
    pg: PostGISStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CREATE TABLE of a kind's first write is part of the transaction: rolled back too."""
    monkeypatch.setattr(pg_mod, "_copy_rows", _half_then_fail(pg_mod._copy_rows))
    with pytest.raises(StoreError):
        pg.write("greenway", plan_frame(LayerKind.GREENWAY, ["g1", "g2"]), district=HEPING)
    with psycopg.connect(pg.url) as conn:
        assert conn.execute("SELECT to_regclass('greenway')").fetchone() == (None,)


# ------------------------------------------------------------------------------ concurrency


def test_two_concurrent_writers_of_one_layer_both_get_their_version(
    pg: PostGISStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both writers are inside their transaction at once; the advisory lock orders them.

    Writer A holds the layer lock and sleeps in its COPY; writer B starts meanwhile and waits.
    Both versions are recorded (2 and 3, each with its own checksum) and the layer holds the
    features of whichever came last, complete.
    """
    pg.write("park", plan_frame(LayerKind.PARK, ["p0"]), district=HEPING)
    real = pg_mod._copy_rows
    inside = threading.Event()

    def slow_copy(conn: Any, table: str, columns: list[str], frame: Any) -> None:
        inside.set()
        time.sleep(0.5)
        real(conn, table, columns, frame)

    monkeypatch.setattr(pg_mod, "_copy_rows", slow_copy)
    results: dict[str, Any] = {}

    def writer(name: str, ids: list[str]) -> None:
        try:
            results[name] = open_store(pg.url).write(
                "park", plan_frame(LayerKind.PARK, ids), district=HEPING, author=name)
        except BaseException as exc:  # pragma: no cover - reported by the asserts
            results[name] = exc

    a = threading.Thread(target=writer, args=("A", ["a1", "a2"]))
    b = threading.Thread(target=writer, args=("B", ["b1", "b2", "b3"]))
    a.start()
    assert inside.wait(10)
    b.start()
    a.join()
    b.join()
    versions = sorted((r.version, r.n_features, r.checksum) for r in results.values())
    assert [v[:2] for v in versions] in ([(2, 2), (3, 3)], [(2, 3), (3, 2)])
    history = pg.history("park", HEPING)
    assert [(e.version, e.author) for e in history][1:] == sorted(
        (r.version, name) for name, r in results.items())
    last = max(results.values(), key=lambda r: r.version)
    assert pg.version("park", HEPING) == last
    expected = ["a1", "a2"] if last.n_features == 2 else ["b1", "b2", "b3"]
    assert pg.read("park", district=HEPING)["id"].tolist() == expected
    # Every version is whole: the first of the two is kept and restorable, checksum and all.
    first = min(results.values(), key=lambda r: r.version)
    assert history[first.version - 1].checksum == first.checksum
    assert pg.revert("park", HEPING, first.version).checksum == first.checksum


def test_writers_of_different_layers_do_not_wait_for_each_other(pg: PostGISStore) -> None:
    """The lock is per (kind, district): a layer held by a transaction blocks only its writers."""
    with psycopg.connect(pg.url) as conn:
        pg._lock_layer(conn, pg_mod.spec_for("park"), HEPING)  # held until this block ends
        v = pg.write("park", plan_frame(LayerKind.PARK, ["n1"]), district=NANKAI)
        assert v.version == 1
        w = pg.write("bus_stop", plan_frame(LayerKind.BUS_STOP, ["b1"]), district=HEPING)
        assert w.version == 1


def test_a_writer_gives_up_with_a_clear_error_when_the_layer_stays_locked(
    pg: PostGISStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pg_mod, "LOCK_TIMEOUT_S", 0.2)
    with psycopg.connect(pg.url) as conn:
        pg._lock_layer(conn, pg_mod.spec_for("park"), HEPING)
        with pytest.raises(StoreError, match=r"locked by another writer for more than 0 s"):
            pg.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    assert pg.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING).version == 1


def test_first_writes_of_a_new_kind_from_many_threads(pg: PostGISStore) -> None:
    """Six threads create the same kind's table at once (two districts, appends): no error."""
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            open_store(pg.url).write(
                "bus_stop", plan_frame(LayerKind.BUS_STOP, [f"s{w}"]),
                district=(HEPING, NANKAI)[w % 2], mode="append")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert pg.version("bus_stop", HEPING).version == 3
    assert pg.version("bus_stop", NANKAI).version == 3
    assert sorted(pg.read("bus_stop")["id"]) == [f"s{w}" for w in range(6)]


# ------------------------------------------------------------------------------- checksums


def awkward_parks() -> gpd.GeoDataFrame:
    """Holed and multi-part polygons, nulls in every optional field, Chinese text, a quote."""
    holed = Polygon([(117.0, 39.0), (117.1, 39.0), (117.1, 39.1), (117.0, 39.1)],
                    [[(117.02, 39.02), (117.05, 39.02), (117.05, 39.05), (117.02, 39.05)]])
    multi = MultiPolygon([box(117.2, 39.2, 117.21, 39.21), box(117.22, 39.2, 117.23, 39.21)])
    return gpd.GeoDataFrame(
        {"id": ["P-1", "P'2", "P3"], "name": ["人民公园", None, "a\tb\\c\n"],
         "park_class": ["G11", "G12", "G13"], "area_m2": [1.0e6 / 3, None, 0.0],
         "open_access": [True, None, False], "planned_year": [None, 2030, None]},
        geometry=[holed, multi, box(117.24, 39.3, 117.25, 39.31)], crs=4326)


@pytest.mark.parametrize("kind", PLAN_KINDS, ids=lambda k: k.value)
def test_checksums_equal_the_geopackage_stores(pg: PostGISStore, gpkg: Any,
                                               kind: LayerKind) -> None:
    frame = plan_frame(kind, ["a-1", "a-2", "a-3"])
    a, b = pg.write(kind, frame, district=HEPING), gpkg.write(kind, frame, district=HEPING)
    assert (a.checksum, a.n_features) == (b.checksum, b.n_features)


def test_awkward_features_give_the_same_checksum_and_history_in_both(
    pg: PostGISStore, gpkg: Any,
) -> None:
    parks = awkward_parks()
    for s in (pg, gpkg):
        s.write("park", parks, district=HEPING, author="x")
        s.write("park", parks.iloc[[2, 0]].assign(area_m2=[5.0, 1.0e6 / 3]), district=HEPING,
                author="x")
    assert pg.layers() == [
        v.__class__(**{**v.__dict__, "updated_at": p.updated_at})
        for v, p in zip(gpkg.layers(), pg.layers(), strict=True)
    ]
    fields = ("version", "n_features", "checksum", "added", "removed", "changed")
    for e_pg, e_gp in zip(pg.history("park", HEPING), gpkg.history("park", HEPING), strict=True):
        assert [getattr(e_pg, f) for f in fields] == [getattr(e_gp, f) for f in fields]
    assert pg.read_version("park", HEPING, 1).geom_type.tolist() == ["MultiPolygon"] * 3
    back_pg, back_gp = pg.read("park", district=HEPING), gpkg.read("park", district=HEPING)
    pd.testing.assert_frame_equal(pd.DataFrame(back_pg.drop(columns="geometry")),
                                  pd.DataFrame(back_gp.drop(columns="geometry")))
    assert back_pg.geometry.to_wkb().tolist() == back_gp.geometry.to_wkb().tolist()


def test_gpkg_blob_matches_gdal_for_every_geometry_type(tmp_path: Path) -> None:
    import sqlite3

    import pyogrio
    from shapely import wkt

    geoms = [wkt.loads(t) for t in (
        "POINT (1 2)", "POINT Z (1 2 3)", "LINESTRING (0 0, 1 1, 2 0.5)",
        "POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))",
        "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))",
        "MULTIPOINT ((1 1), (2 3))", "MULTILINESTRING ((0 0, 1 1), (2 2, 3 1))",
        "LINESTRING Z (0 0 1, 1 1 5)", "POLYGON Z ((0 0 1, 4 0 2, 4 4 3, 0 0 1))",
        "GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 0, 3 3))",
        "POINT EMPTY", "POLYGON EMPTY")]
    path = tmp_path / "b.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"i": range(len(geoms))}, geometry=geoms, crs=4326),
                            path, layer="t", driver="GPKG", geometry_type="Unknown")
    with sqlite3.connect(path) as con:
        blobs = [r[0] for r in con.execute("SELECT geom FROM t ORDER BY fid")]
    con.close()
    assert [gpkg_blob(g) for g in geoms] == blobs
    assert gpkg_blob(None) is None


# ---------------------------------------------------------------------------------- schema


def test_feature_tables_have_gist_indexes_and_typed_columns(pg: PostGISStore) -> None:
    pg.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    pg.write("park", plan_frame(LayerKind.PARK, ["p2"]), district=HEPING)
    with psycopg.connect(pg.url) as conn:
        indexes = {r[0]: r[1] for r in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('park', 'district')")}
        types = dict(conn.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_name = 'park'").fetchall())
        archived = conn.execute(
            "SELECT tanmap_version, id FROM tanmap_archive_park").fetchall()
    assert "USING gist (geom)" in indexes["park_geom_gix"]
    assert "USING gist (geom)" in indexes["district_geom_gix"]
    assert "(district)" in indexes["park_district_idx"]
    assert (types["geom"], types["area_m2"], types["planned_year"], types["open_access"]) == (
        "geometry", "float8", "int8", "bool")
    assert archived == [(1, "p1")]


def test_bbox_reads_use_the_gist_index(pg: PostGISStore) -> None:
    stops = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(2000)]},
                             geometry=[Point(116.9 + i * 1e-4, 39.0) for i in range(2000)],
                             crs=4326)
    pg.write("bus_stop", stops, district=HEPING)
    assert pg.read("bus_stop", bbox=(116.9, 38.9, 116.90005, 39.1))["id"].tolist() == ["s0"]
    with psycopg.connect(pg.url) as conn:
        conn.execute("ANALYZE bus_stop")
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT id FROM bus_stop WHERE geom && "
            "ST_MakeEnvelope(116.9, 38.9, 116.90005, 39.1, 4326)"))
    assert "bus_stop_geom_gix" in plan


def test_create_is_idempotent_and_a_new_kind_field_is_added(pg: PostGISStore) -> None:
    pg.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    before = state(pg)
    open_store(pg.url, create=True)
    assert state(pg) == before
    with psycopg.connect(pg.url) as conn:  # as a table made before open_access existed
        conn.execute("ALTER TABLE park DROP COLUMN open_access")
    v = pg.write("park", plan_frame(LayerKind.PARK, ["p2"]), district=HEPING, mode="append")
    assert v.version == 2
    back = pg.read("park", district=HEPING)
    assert back["open_access"].tolist()[1] is True  # the new column holds the new row's value
    assert pd.isna(back["open_access"].tolist()[0])


def test_a_store_of_another_schema_version_is_refused(pg: PostGISStore) -> None:
    with psycopg.connect(pg.url) as conn:
        conn.execute("UPDATE tanmap_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 99, this tanmap needs 1"):
        pg.write("park", plan_frame(LayerKind.PARK, ["p1"]), district=HEPING)
    with pytest.raises(StoreError, match="schema version 99"):
        pg.layers()


def test_validation_errors_and_unknown_districts_come_before_any_connection() -> None:
    """Bad features are refused before the store is even reached (nothing to roll back)."""
    s = open_store("postgresql://nobody:secret@127.0.0.1:1/none")
    bad = plan_frame(LayerKind.PARK, ["p1"]).assign(park_class="G99")
    with pytest.raises(LayerValidationError, match="park_class"):
        s.write("park", bad, district=HEPING)


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    s = open_store("postgresql://planner:secret@127.0.0.1:1/tanmap")
    with pytest.raises(StoreError, match=r"(?s)cannot connect to store postgresql://planner:"
                                         r"\*\*\*@127\.0\.0\.1:1/tanmap .*server runs") as info:
        s.layers()
    assert "secret" not in str(info.value)


def test_unknown_district_names_the_url_without_password(pg: PostGISStore) -> None:
    with pytest.raises(UnknownDistrictError, match=r"'999' is not in store .*120101, 120104"):
        pg.write("park", plan_frame(LayerKind.PARK, ["p1"]), district="999")


def test_redact_url_keeps_everything_but_the_password() -> None:
    assert redact_url("postgresql://u:p%40ss@[::1]:5433/db?sslmode=require") == (
        "postgresql://u:***@[::1]:5433/db?sslmode=require")


def test_malicious_and_awkward_strings_round_trip_or_fail_cleanly(pg: PostGISStore) -> None:
    """Quotes, SQL, backslashes, tabs, newlines and CJK survive; a NUL byte (which PostgreSQL
    text cannot hold) is a clear error that changes nothing."""
    nasty = ["'; DROP TABLE park; --", 'a\\b\t"c"\nd', "公园\u3000（東）", "%s %(x)s {}"]
    frame = plan_frame(LayerKind.PARK, [f"p{i}" for i in range(4)]).assign(name=nasty)
    pg.write("park", frame, district=HEPING)
    assert pg.read("park", district=HEPING)["name"].tolist() == nasty
    before = state(pg)
    with pytest.raises(StoreError, match=r"(?s)NUL.*nothing was changed"):
        pg.write("park", frame.assign(name="a\x00b"), district=HEPING)
    assert state(pg) == before


def test_rasters_of_a_postgis_store_live_in_its_raster_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    from tanmap.layers.raster.rasters import raster_dir

    monkeypatch.delenv("TANMAP_RASTER_DIR", raising=False)
    s = open_store("postgresql://u:pw@db.example:5433/plans?options=-csearch_path%3Dheping%2Cpublic")
    assert raster_dir(s) == Path("var/rasters/db.example-5433-plans-heping")
    assert raster_dir(open_store("postgresql://db.example/plans")) == Path(
        "var/rasters/db.example-5432-plans")
    monkeypatch.setenv("TANMAP_RASTER_DIR", str(tmp_path))
    assert raster_dir(s) == tmp_path
