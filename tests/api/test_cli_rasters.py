"""``tanmap raster`` from the command line (store and raster: tests/layers/test_rasters.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tanmap.api import cli
from tanmap.api.commands import EXIT_ERROR, EXIT_OK
from tests.layers.test_rasters import land_cover, store  # noqa: F401 (fixtures)
from tests.layers.test_runner import ADCODE

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tanmap.layers.store import GeoPackageStore


def test_raster_commands_round_trip(
    store: GeoPackageStore, land_cover: Path, tmp_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = ["--store", str(store.path)]
    assert cli.main([*base, "raster", "import", "land_cover", str(land_cover),
                     "--district", ADCODE, "--source", "测试"]) == EXIT_OK
    assert "land_cover v1 -> 120199: 4 x 4 cells, EPSG:4548, uint8 (COG" in (
        capsys.readouterr().out)
    assert cli.main([*base, "raster", "zonal", "land_cover", "--district", ADCODE,
                     "--json"]) == EXIT_OK
    rows = {r["zone_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["W"]["forest"], rows["E"]["water"]) == (400.0, 400.0)
    assert cli.main([*base, "raster", "eco", "--district", ADCODE, "--json"]) == EXIT_OK
    eco = json.loads(capsys.readouterr().out)
    assert eco["district"]["forest_share"] == 400 / eco["district"]["zone_area_m2"]
    assert cli.main([*base, "raster", "eco", "--district", ADCODE]) == EXIT_OK
    assert "森林覆盖率 forest" in capsys.readouterr().out
    out = tmp_path / "back.tif"
    assert cli.main([*base, "raster", "export", "land_cover", "--district", ADCODE,
                     "--out", str(out)]) == EXIT_OK
    assert out.exists()
    assert cli.main([*base, "raster", "delete", "land_cover", "--district", ADCODE]) == EXIT_OK
    capsys.readouterr()
    assert cli.main([*base, "raster", "list"]) == EXIT_OK
    assert "no rasters" in capsys.readouterr().out
    assert cli.main([*base, "raster", "export", "land_cover", "--district", ADCODE,
                     "--out", str(out)]) == EXIT_ERROR
    assert "has no land_cover raster" in capsys.readouterr().err
