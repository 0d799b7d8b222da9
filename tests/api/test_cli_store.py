"""``tanmap store copy``: a whole store, GeoPackage -> PostGIS and PostGIS -> GeoPackage, lossless.

The source is the API demo store (和平区 with its sample layers) on either backend
(``api_backend``), given a history first: parks written twice more and reverted, a known-empty
layer, indicators. The copy goes to the other backend and must hold the same districts, the
same versions (feature counts, checksums, authors, sources) and the same indicators.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tanmap.api import cli
from tanmap.api.commands import EXIT_ERROR, EXIT_OK
from tanmap.geo.errors import StoreError
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import GeoPackageStore, open_store
from tanmap.layers.store.copy import copy_store
from tests.pg_cluster import Cluster

HEPING = "120101"


def give_history(location: Path | str) -> Any:
    """Two more park versions (one by 'alice'), a revert, a known-empty layer, indicators."""
    store = open_store(location)
    parks = store.read(LayerKind.PARK, district=HEPING)
    store.write(LayerKind.PARK, parks.iloc[:2], district=HEPING, source="trimmed.geojson",
                author="alice")
    store.write(LayerKind.PARK, parks.iloc[:1].assign(name="人民公园 'A'"), district=HEPING,
                source="renamed", author="bob")
    store.revert(LayerKind.PARK, HEPING, 1, author="carol")
    store.write_empty(LayerKind.HEATING_PIPE, district=HEPING, source="区住建委 confirmed none")
    store.put_indicator(HEPING, "led_share", 2025, 0.82, "share", "survey 2025")
    store.put_indicator(HEPING, "heat_loss_pct", 2024, 12.5, "%", "")
    return store


def other_backend(source: Path | str, tmp_path: Path, pg_cluster: Cluster) -> Path | str:
    return cluster_url(pg_cluster) if isinstance(source, Path) else tmp_path / "copy.gpkg"


def cluster_url(pg_cluster: Cluster) -> str:
    return pg_cluster.new_database()


def assert_same_store(a: Any, b: Any) -> None:
    """Same districts, layers, every version's record and features, and indicators."""
    strip = [(v.kind, v.district, v.version, v.n_features, v.source, v.checksum)
             for v in a.layers()]
    assert strip == [(v.kind, v.district, v.version, v.n_features, v.source, v.checksum)
                     for v in b.layers()]
    for v in a.layers():
        ha, hb = a.history(v.kind, v.district), b.history(v.kind, v.district)
        fields = ("version", "n_features", "checksum", "source", "author", "added", "removed",
                  "changed", "current", "restorable")
        assert [[getattr(e, f) for f in fields] for e in ha] == [
            [getattr(e, f) for f in fields] for e in hb]
        for e in ha:
            fa = a.read_version(v.kind, v.district, e.version)
            fb = b.read_version(v.kind, v.district, e.version)
            pd.testing.assert_frame_equal(pd.DataFrame(fa.drop(columns="geometry")),
                                          pd.DataFrame(fb.drop(columns="geometry")))
            assert fa.geometry.to_wkb().tolist() == fb.geometry.to_wkb().tolist()
    columns = ["key", "year", "value", "unit", "source"]
    assert a.indicators(HEPING)[columns].values.tolist() == b.indicators(HEPING)[
        columns].values.tolist()


def test_store_copy_to_the_other_backend_is_lossless(
    store_path: Path | str, tmp_path: Path, pg_cluster: Cluster,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = give_history(store_path)
    target = other_backend(store_path, tmp_path, pg_cluster)
    capsys.readouterr()
    assert cli.main(["--lang", "en", "store", "copy", str(store_path), str(target)]) == EXIT_OK
    out = capsys.readouterr().out
    copy = open_store(target)
    assert_same_store(source, copy)
    park = source.version(LayerKind.PARK, HEPING)
    assert park.version == 4
    # the table prints both checksums of every layer
    line = next(x for x in out.splitlines() if "Parks" in x or "park" in x.lower())
    assert line.count(park.checksum[:16]) == 2
    assert line.rstrip().endswith("yes")
    assert "indicators equal" in out
    assert "lossless" in out
    assert (copy.history(LayerKind.PARK, HEPING)[-1].source,
            copy.history(LayerKind.PARK, HEPING)[-1].author) == ("revert to version 1", "carol")
    assert copy.version(LayerKind.HEATING_PIPE, HEPING).n_features == 0


def test_there_and_back_again_gives_the_same_checksums(
    store_path: Path | str, tmp_path: Path, pg_cluster: Cluster,
) -> None:
    source = give_history(store_path)
    there = other_backend(store_path, tmp_path, pg_cluster)
    back = tmp_path / "back.gpkg" if isinstance(store_path, Path) else cluster_url(pg_cluster)
    assert copy_store(source, open_store(there, create=True)).ok
    report = copy_store(open_store(there), open_store(back, create=True))
    assert report.ok
    assert_same_store(source, open_store(back))
    assert report.indicators == 2


def test_current_only_copies_one_version_per_layer(
    store_path: Path | str, tmp_path: Path, pg_cluster: Cluster,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = give_history(store_path)
    target = other_backend(store_path, tmp_path, pg_cluster)
    assert cli.main(["store", "copy", str(store_path), str(target), "--current-only",
                     "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert {r["versions"] for r in report["layers"]} == {1}
    park = next(r for r in report["layers"] if r["kind"] == "park")
    assert park["source_checksum"] == park["copy_checksum"] == source.version(
        LayerKind.PARK, HEPING).checksum
    assert open_store(target).version(LayerKind.PARK, HEPING).version == 1


def test_a_copy_that_would_change_a_version_is_reported_and_fails(
    tmp_path: Path, store_path: Path | str, pg_cluster: Cluster,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A kept version tampered with behind the store's back cannot be copied unnoticed."""
    give_history(store_path)
    source = open_store(store_path)
    sql = "UPDATE tanmap_archive_park SET area_m2 = 1 WHERE tanmap_version = 2"
    if isinstance(source, GeoPackageStore):
        with sqlite3.connect(source.path) as con:
            con.execute(sql)
        con.close()
    else:
        import psycopg

        with psycopg.connect(source.url) as conn:  # type: ignore[attr-defined]
            conn.execute(sql)
    target = other_backend(store_path, tmp_path, pg_cluster)
    assert cli.main(["--lang", "en", "store", "copy", str(store_path), str(target)]) == EXIT_ERROR
    captured = capsys.readouterr()
    assert "not lossless" in captured.err
    park = next(x for x in captured.out.splitlines() if "Parks" in x or "park" in x.lower())
    assert park.rstrip().endswith("NO")


def test_copy_refuses_a_destination_that_holds_layers(
    demo_store_path: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(StoreError, match="already holds layers"):
        copy_store(open_store(demo_store_path), open_store(demo_store_path))
    assert cli.main(["store", "copy", str(demo_store_path), str(demo_store_path)]) == EXIT_ERROR
    assert "already holds layers" in capsys.readouterr().err
    assert cli.main(["store", "copy", str(tmp_path / "none.gpkg"),
                     str(tmp_path / "x.gpkg")]) == EXIT_ERROR
    assert "does not exist" in capsys.readouterr().err
