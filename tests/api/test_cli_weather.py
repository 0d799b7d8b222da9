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


def test_weather_saves_a_climatology_site_the_metric_reads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pvlib's Greensboro TMY3 saved as a test site for the prefix 1201, then read by
    pv_potential for the test district 120199 (the figures are Greensboro's, test only)."""
    from tanmap.api.commands import EXIT_USAGE
    from tanmap.layers.raster.climatology import read_climatology

    base = ["--store", str(tmp_path / "s.gpkg"), "weather", str(SAMPLE)]
    clim = tmp_path / "clim.yaml"
    assert cli.main([*base, "--save-climatology", str(clim), "--key", "gso"]) == EXIT_USAGE
    assert "--save-climatology needs --name, --source, --period, --adcode-prefix" in (
        capsys.readouterr().err)
    assert cli.main([*base, "--save-climatology", str(clim), "--key", "gso", "--name",
                     "格林斯伯勒 (test)", "--adcode-prefix", "1201", "--source",
                     "NSRDB TMY3 via pvlib (test)", "--period", "TMY3"]) == EXIT_OK
    assert f"site gso (格林斯伯勒 (test), districts 1201*) written to {clim}" in (
        capsys.readouterr().out)
    (site,) = read_climatology(clim)
    assert round(site.annual_kwh_m2) == 1566
    assert site.monthly_air_temperature_c is not None
    assert "GREENSBORO" in site.station
