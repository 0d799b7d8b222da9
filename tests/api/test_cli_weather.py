"""``tanmap weather``: a typical-year file's months, yields and the pv_potential parameters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pvlib

from tanmap.api import cli
from tanmap.api.commands import EXIT_ERROR, EXIT_OK

if TYPE_CHECKING:
    import pytest

SAMPLE = Path(pvlib.__path__[0]) / "data" / "723170TYA.CSV"


def test_weather_prints_months_yields_and_params(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--store", str(tmp_path / "s.gpkg"), "weather", str(SAMPLE)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "723170TYA.CSV (GREENSBORO PIEDMONT TRIAD INT; TMY3 723170), 36.10°N 79.95°W" in out
    assert "year   1,566" in out
    assert "kWh/kWp; clear-sky upper bound" in out
    assert "--param monthly_ghi_kwh_m2=74.85,85.75,131.77," in out
    assert "'irradiation_source=723170TYA.CSV" in out


def test_weather_of_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--store", str(tmp_path / "s.gpkg"), "weather",
                     str(tmp_path / "x.epw")]) == EXIT_ERROR
    assert "weather file x.epw not found" in capsys.readouterr().err
