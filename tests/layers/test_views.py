"""What a district map shows: layers as of a year, overlays, pipe age bands, failing units."""

from __future__ import annotations

import pytest

from tanmap.geo.audit import filter_as_of
from tanmap.layers.audit import AuditCard, audit_district
from tanmap.layers.demo import load_demo
from tanmap.layers.kinds import LayerKind
from tanmap.layers.runner import current_year, run_metric
from tanmap.layers.store import GeoPackageStore, open_store
from tanmap.layers.views import district_view, failing_units_frame

HEPING = "120101"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    """和平区 with the demo's synthetic sample layers (read-only)."""
    store = open_store(tmp_path_factory.mktemp("views") / "v.gpkg", create=True)
    assert isinstance(store, GeoPackageStore)
    load_demo(store, [HEPING])
    return store


@pytest.fixture(scope="module")
def card_2030(demo: GeoPackageStore) -> AuditCard:
    """The 2030 scenario card (projects due by 2030 counted)."""
    return audit_district(demo, HEPING, year=2030, include_planned_until=2030)


@pytest.mark.slow
def test_horizon_shows_what_exists_by_then(demo: GeoPackageStore, card_2030: AuditCard) -> None:
    year = current_year()
    now = district_view(demo, HEPING, year=year, card=card_2030)
    then = district_view(demo, HEPING, year=year, card=card_2030, horizon="2030")
    gardens = demo.read(LayerKind.POCKET_GARDEN, district=HEPING)
    assert len(now.layers[LayerKind.POCKET_GARDEN]) == len(filter_as_of(gardens, year))
    assert len(then.layers[LayerKind.POCKET_GARDEN]) == len(
        filter_as_of(gardens, 2030, include_planned_until=2030))
    assert set(then.layers[LayerKind.POCKET_GARDEN]["status"]) >= {"planned"}
    assert "planned" not in set(now.layers[LayerKind.POCKET_GARDEN]["status"])
    # Overlays of every theme: park coverage, charging radius, failing units.
    assert {"gaps", "service_areas", "charging_gaps", "charging_service_areas"} <= set(
        now.coverage)
    pipes = now.layers[LayerKind.HEATING_PIPE]
    assert set(pipes["age_band"].dropna()) <= {"0–9", "10–19", "20–29", "≥30"}
    assert pipes["age_band"].notna().all()


def test_unknown_horizon_is_refused(demo: GeoPackageStore) -> None:
    with pytest.raises(ValueError, match=r"unknown horizon '2040'; use one of now, 2025, 2030"):
        district_view(demo, HEPING, year=2026, horizon="2040")


@pytest.mark.slow
def test_rule_changes_the_coverage_overlays(demo: GeoPackageStore,
                                            card_2030: AuditCard) -> None:
    year = current_year()
    rule = "chengshi_tijian_2021"
    view = district_view(demo, HEPING, year=year, card=card_2030, rule=rule)
    outcome = run_metric(demo, "park_coverage", HEPING, {"rule": rule}, year=year)
    assert len(view.coverage["service_areas"]) == len(outcome.result.layers["service_areas"])
    assert view.unit_coverage is not None
    expected = outcome.result.per_unit
    expected = expected[expected["unit_kind"] == "subdistrict"]
    assert list(view.unit_coverage["share"]) == list(expected["share"])
    # ... and differ from the default rule's (GB/T 51346 radii are larger).
    default = run_metric(demo, "park_coverage", HEPING, year=year).result.layers["service_areas"]
    ours = view.coverage["service_areas"].to_crs(default.crs)
    assert ours.area.sum() < 0.9 * default.area.sum()


def test_failing_units_are_the_named_units_with_their_targets(
    demo: GeoPackageStore, card_2030: AuditCard
) -> None:
    named = {name for row in card_2030.rows for name in row.failing_units}
    assert named  # the sample leaves some 社区 without a recycling point
    frame = failing_units_frame(demo, HEPING, card_2030)
    assert frame is not None
    assert set(frame["unit_name"]) <= named
    communities = set(demo.read(LayerKind.COMMUNITY, district=HEPING)["name"])
    assert set(frame["unit_name"]) == named & (communities | set(
        demo.read(LayerKind.SUBDISTRICT, district=HEPING)["name"]))
    titles = {row.title("zh") for row in card_2030.rows if row.failing_units}
    for targets in frame["targets"]:
        assert set(targets.split("；")) <= titles




class _CountingBuildingReads:
    """The demo store, counting the reads of the building layer's features."""

    def __init__(self, inner: GeoPackageStore) -> None:
        self.inner = inner
        self.building_reads = 0

    def read(self, kind: object, **kwargs: object) -> object:
        if str(getattr(kind, "value", kind)) == "building":
            self.building_reads += 1
        return self.inner.read(kind, **kwargs)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_tiled_layer_is_summarised_not_read(demo: GeoPackageStore,
                                              card_2030: AuditCard) -> None:
    from tanmap.layers.vector_tiles import TiledLayer

    year = current_year()
    counted_full, counted_tiled = _CountingBuildingReads(demo), _CountingBuildingReads(demo)
    full = district_view(counted_full, HEPING, year=year, card=card_2030)  # type: ignore[arg-type]
    tiled = district_view(counted_tiled, HEPING, year=year, card=card_2030,  # type: ignore[arg-type]
                          tiled={"building": "use_category"})
    # The page's own read of the layer is gone (metrics that use the buildings still read them;
    # 和平区 has 街道, so the carbon metric still runs for their totals).
    assert counted_full.building_reads >= 2
    assert counted_tiled.building_reads == counted_full.building_reads - 1
    summary = tiled.layers[LayerKind.BUILDING]
    assert isinstance(summary, TiledLayer)
    version = demo.version(LayerKind.BUILDING, HEPING)
    assert version is not None
    assert summary.n_features == version.n_features
    stored = demo.read(LayerKind.BUILDING, district=HEPING)
    assert summary.classes == frozenset(stored["use_category"].dropna().astype(str))
    assert summary.sample is True  # the demo layers are synthetic
    assert tiled.sample is True
    assert len(full.layers[LayerKind.BUILDING]) <= summary.n_features  # as of the year
    assert tiled.carbon_per_unit is not None
    assert tiled.carbon_per_unit.equals(full.carbon_per_unit)
    # Everything else on the page is the same.
    assert set(tiled.layers) == set(full.layers)
    assert set(tiled.coverage) == set(full.coverage)
    assert tiled.audit_summary == full.audit_summary
