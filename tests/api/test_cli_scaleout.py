"""``tanmap audit|metric --districts``: many districts on a local Dask cluster, same answers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
import yaml

from tanmap.api.cli import main
from tanmap.layers.runner import run_metric
from tests.layers.test_audit import hand_catalog
from tests.layers.test_runner import ADCODE, NEIGHBOUR, build_store

if TYPE_CHECKING:
    from pathlib import Path

    from tanmap.layers.store import GeoPackageStore


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    return build_store(tmp_path_factory.mktemp("many"))


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made catalog for both districts of the test store."""
    folder = tmp_path_factory.mktemp("catalogs")
    for code in (ADCODE, NEIGHBOUR):
        text = yaml.safe_dump(hand_catalog().model_dump(mode="json"), allow_unicode=True)
        (folder / f"{code}.yaml").write_text(text.replace(ADCODE, code), encoding="utf-8")
    return folder


def test_usage_errors_start_no_cluster(store: GeoPackageStore,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--store", str(store.path)]
    assert main([*base, "metric", "feature_count", "--district", ADCODE,
                 "--districts", "ALL"]) == 2
    assert "--districts" in capsys.readouterr().err
    assert main([*base, "metric", "feature_count", "--districts", "120199,999999"]) == 2
    assert "not in the store: 999999" in capsys.readouterr().err
    assert main([*base, "audit"]) == 2
    assert "--districts" in capsys.readouterr().err
    assert main([*base, "audit", "--districts", "ALL", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
    assert main([*base, "audit", "--districts", "ALL", "--scenario"]) == 2


@pytest.mark.slow
def test_metric_districts_all_json(store: GeoPackageStore,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--store", str(store.path), "metric", "feature_count", "--districts", "ALL",
                 "--param", "kind=pocket_garden", "--year", "2024", "--workers", "2", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["district"] for o in out] == sorted([ADCODE, NEIGHBOUR])
    for o in out:
        single = run_metric(store, "feature_count", o["district"], {"kind": "pocket_garden"},
                            year=2024)
        assert o == json.loads(json.dumps(single.to_dict()))
    assert out[1]["value"] == 2  # g1 existing, g2 completed 2020 (hand-counted)


@pytest.mark.slow
def test_audit_districts_file(store: GeoPackageStore, catalog_dir: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "districts.txt"
    listing.write_text(f"{ADCODE}\n{NEIGHBOUR}\n", encoding="utf-8")
    base = ["--store", str(store.path), "--lang", "en", "audit", "--year", "2024",
            "--catalog-dir", str(catalog_dir), "--format", "json"]
    assert main([*base, "--districts", str(listing), "--out", str(tmp_path / "many")]) == 0
    assert main([*base, ADCODE, "--out", str(tmp_path / "one")]) == 0
    out = capsys.readouterr().out
    assert f"({ADCODE}) 2024" in out
    assert f"({NEIGHBOUR}) 2024" in out
    name = f"audit_{ADCODE}_2024_en.json"
    many = json.loads((tmp_path / "many" / name).read_text(encoding="utf-8"))
    one = json.loads((tmp_path / "one" / name).read_text(encoding="utf-8"))
    assert many["rows"] == one["rows"]
    assert (tmp_path / "many" / f"audit_{NEIGHBOUR}_2024_en.json").is_file()
