"""Fill a store with the seed districts' real boundaries and labelled sample layers (示例数据)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tanmap.layers.boundaries import bundled_districts
from tanmap.layers.kinds import LayerKind
from tanmap.layers.sample import generate_sample
from tanmap.layers.views import SAMPLE_MARK

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tanmap.layers.store import LayerVersion, Store

__all__ = ["DEMO_SEED", "SEED_ADCODES", "load_demo"]

#: The districts of the five seed plans (DOMAIN.md §1): 和平, 南开, 东丽, 津市, 黄浦.
SEED_ADCODES: tuple[str, ...] = ("120101", "120104", "120110", "430781", "310101")

#: Seed of the sample generator used by the demo (fixed: the demo is reproducible).
DEMO_SEED = 2023


def load_demo(
    store: Store,
    adcodes: Sequence[str] = SEED_ADCODES,
    *,
    seed: int = DEMO_SEED,
    progress: Callable[[str], None] | None = None,
) -> list[LayerVersion]:
    """Load the real boundaries and the synthetic sample layers of ``adcodes`` into ``store``.

    中文：载入示例区县（真实边界 + 合成示例图层）。

    A district whose layers are already the demo's sample data is left as it is (so restarting
    the demo keeps what was there); a district holding user data is never overwritten.

    Returns
    -------
    list of LayerVersion
        The layer versions written (empty when everything was already loaded).
    """
    bundled = bundled_districts()
    written: list[LayerVersion] = []
    for adcode in adcodes:
        row = bundled[bundled["adcode"] == adcode]
        if row.empty:
            continue
        known = set(store.districts()["adcode"].astype(str))
        if adcode not in known:
            store.put_district(row)
        versions = [v for v in store.layers(adcode) if v.kind is not LayerKind.DISTRICT]
        if versions:
            if progress:
                progress(f"{adcode}: layers already loaded, kept")
            continue
        planning_epsg = int(row["planning_epsg"].iloc[0])
        layers = generate_sample(adcode, row.geometry.iloc[0], planning_epsg, seed=seed)
        for kind, frame in layers.items():
            if kind is LayerKind.DISTRICT or frame.empty:
                continue
            written.append(store.write(kind, frame, district=adcode, mode="replace",
                                       source=f"{SAMPLE_MARK} synthetic sample, seed {seed}"))
        if progress:
            progress(f"{adcode} {row['name'].iloc[0]}: {len(layers)} sample layers")
    return written
