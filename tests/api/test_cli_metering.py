"""``tanmap import-metering`` and the emission metric from the command line (store: see
tests/layers/test_metering.py: three buildings a, b, c in the Tianjin test district)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tanmap.api import cli
from tanmap.api.commands import EXIT_ERROR, EXIT_OK
from tests.layers.test_metering import store  # noqa: F401 (fixture)
from tests.layers.test_runner import ADCODE

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tanmap.layers.store import GeoPackageStore


def test_import_metering_then_metric(
    store: GeoPackageStore, tmp_path: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
) -> None:
    path = tmp_path / "m.csv"
    path.write_text("building_id,用电量,用气量\na,10,\nb,,5\n", encoding="utf-8")
    argv = ["--store", str(store.path), "--lang", "en", "import-metering", str(path),
            "--district", ADCODE, "--unit", "electricity=万kWh", "--unit", "gas=m3"]
    assert cli.main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert "matched 2 of 3 buildings" in out
    assert "building v2 written (metering m.csv)" in out
    b = store.read("building", district=ADCODE).set_index("id")
    assert (b.loc["a", "electricity_kwh"], b.loc["b", "gas_m3"]) == (100_000.0, 5.0)
    assert cli.main(["--store", str(store.path), "metric", "building_emissions",
                     "--district", ADCODE]) == EXIT_OK


def test_import_metering_bad_unit_is_an_error(
    store: GeoPackageStore, tmp_path: Path, capsys: pytest.CaptureFixture[str],  # noqa: F811
) -> None:
    path = tmp_path / "m.csv"
    path.write_text("id,用气量（kWh）\na,10\n", encoding="utf-8")
    code = cli.main(["--store", str(store.path), "import-metering", str(path),
                     "--district", ADCODE])
    assert code == EXIT_ERROR
    assert "not a unit of gas" in capsys.readouterr().err
