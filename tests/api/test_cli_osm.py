"""Tests of ``tanmap import-osm`` on the hand-written PBF of ``tests.osm_builder``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tanmap.api import cli
from tanmap.api.commands import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from tanmap.layers.kinds import LayerKind
from tanmap.layers.store import open_store
from tests.osm_builder import DISTRICT_CODE, district_row, sample_pbf


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    """A store with the 1 km test district and the sample PBF beside it."""
    store = tmp_path / "store.gpkg"
    open_store(store, create=True).put_district(district_row())
    pbf, _ = sample_pbf(tmp_path / "sample.osm.pbf")
    return store, pbf


def run(store: Path, *argv: str) -> int:
    return cli.main(["--store", str(store), *argv])


def test_import_osm_writes_every_kind_and_prints_counts(setup, capsys) -> None:
    store, pbf = setup
    assert run(store, "--lang", "en", "import-osm", str(pbf), "--district", DISTRICT_CODE,
               "--margin-m", "500") == EXIT_OK
    out = capsys.readouterr().out
    assert "Parks and squares" in out
    assert "9 layers written in one step (" in out
    assert "© OpenStreetMap contributors, ODbL 1.0" in out
    versions = {v.kind: v for v in open_store(store).layers(DISTRICT_CODE)}
    assert versions[LayerKind.PARK].n_features == 6
    assert versions[LayerKind.WALK_NETWORK].n_features == 4
    assert versions[LayerKind.BUILDING].n_features == 5


def test_import_osm_kinds_and_dry_run(setup, capsys) -> None:
    store, pbf = setup
    assert run(store, "import-osm", str(pbf), "--district", DISTRICT_CODE, "--dry-run") \
        == EXIT_OK
    assert "dry run, nothing written" in capsys.readouterr().out
    assert [v.kind for v in open_store(store).layers(DISTRICT_CODE)] == [LayerKind.DISTRICT]
    assert run(store, "import-osm", str(pbf), "--district", DISTRICT_CODE,
               "--kinds", "bus_stop,recycling_point") == EXIT_OK
    kinds = {v.kind for v in open_store(store).layers(DISTRICT_CODE)}
    assert kinds == {LayerKind.DISTRICT, LayerKind.BUS_STOP, LayerKind.RECYCLING_POINT}


def test_import_osm_bad_kind_is_a_usage_error(setup, capsys) -> None:
    store, pbf = setup
    assert run(store, "import-osm", str(pbf), "--district", DISTRICT_CODE,
               "--kinds", "park,heating_pipe") == EXIT_USAGE
    assert "unknown kind(s) heating_pipe" in capsys.readouterr().err


def test_import_osm_errors_are_exit_1_with_the_reason(setup, tmp_path, capsys) -> None:
    store, pbf = setup
    assert run(store, "import-osm", str(pbf), "--district", "000000") == EXIT_ERROR
    assert "district '000000' is not in store" in capsys.readouterr().err
    table = tmp_path / "tags.yaml"
    table.write_text("park_class: [[leisure=park, G9]]\n", encoding="utf-8")
    assert run(store, "import-osm", str(pbf), "--district", DISTRICT_CODE,
               "--tag-table", str(table)) == EXIT_ERROR
    assert "value 'G9'" in capsys.readouterr().err
    assert run(store, "import-osm", str(tmp_path / "none.osm.pbf"),
               "--district", DISTRICT_CODE) == EXIT_ERROR
    assert "none.osm.pbf" in capsys.readouterr().err
