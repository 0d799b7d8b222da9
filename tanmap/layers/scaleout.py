"""Run metrics and audits over many districts on a Dask cluster (集群并行计算).

The unit of work is the district: one Dask task loads a district's inputs from where the data
lives (a store URL or a folder of GeoParquet partitions that every worker can read:
:mod:`tanmap.layers.partitions`), a second, pure task computes the metric from those inputs
(:func:`tanmap.layers.runner.compute_prepared`), and only the figures come back. A district too
large for one task (more buildings than ``tile_above``) runs ``park_coverage`` in spatial tiles
with a halo of the largest service radius (:mod:`tanmap.geo.halo_tiles`): one task per
(district, tile), then a reduction in the district's feature order, so the answer is the same as
in one piece.

Why plain ``dask.distributed`` tasks and not a dask-geopandas frame: the work per district needs
the facilities of the neighbouring districts within the radius (a halo) and calls tanmap's exact
kernels on whole in-memory frames; dask-geopandas' partition-wise operations (``map_partitions``,
``sjoin`` on a predicate) give a partition no view of its neighbours within a distance, so a
district-keyed task graph is the honest fit. dask-geopandas is used where it fits: reading the
partitions' spatial extents and per-partition reductions (the province benchmark counts its
buildings with it).

The same call runs on a laptop (a ``LocalCluster``, the default) and on a real cluster
(``scheduler="tcp://host:8786"``, e.g. started by dask-kubernetes or dask-jobqueue); see
docs/cluster.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tanmap.geo.halo_tiles import (
    TILED_BUILDING_TESTS,
    ParkTile,
    ParkTileResult,
    park_tile,
    park_tiles,
    reduce_park_tiles,
)
from tanmap.geo.metric import MetricResult, params_from_mapping, params_to_dict
from tanmap.layers.partitions import GeoParquetPartitions, is_partitions
from tanmap.layers.runner import (
    PreparedMetric,
    RunOutcome,
    compute_prepared,
    prepare_metric,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    import geopandas as gpd
    from distributed import Client

    from tanmap.layers.audit import AuditCard

__all__ = [
    "ALL_DISTRICTS",
    "DEFAULT_TILE_M",
    "audit_many",
    "cluster_client",
    "metric_many",
    "open_source",
    "resolve_districts",
    "tiled_park_coverage",
]

#: ``--districts ALL``: every district of the store or dataset.
ALL_DISTRICTS = "ALL"
#: Side of the square tiles a very large district is cut into (m).
DEFAULT_TILE_M = 5000.0


def open_source(location: str | Path) -> Any:
    """Open a store URL/path or a GeoParquet partitions folder for reading.

    中文：打开数据源（项目库或按区县分区的 GeoParquet 目录）。
    """
    if is_partitions(location):
        return GeoParquetPartitions(location)
    from tanmap.layers.store import open_store

    return open_store(location)


@lru_cache(maxsize=8)
def _worker_source(location: str) -> Any:
    # One open source per worker process and location (a worker runs many districts).
    return open_source(location)


def resolve_districts(source: Any, spec: str | Sequence[str]) -> list[str]:
    """Return the district codes named by ``spec``: ``ALL``, a file, or codes.

    中文：解析区县列表（ALL、文件（每行一个代码）或逗号分隔的代码）。

    Parameters
    ----------
    source
        An open store or partitions dataset.
    spec
        ``"ALL"``; a path to a text file with one adcode per line (``#`` starts a comment); a
        comma-separated list; or a sequence of codes.

    Raises
    ------
    ValueError
        If no district is named, or a code is not in the source (all unknown codes are listed).
    """
    known = [str(c) for c in source.districts()["adcode"]]
    if isinstance(spec, str):
        if spec.strip().upper() == ALL_DISTRICTS:
            codes = known
        elif Path(spec).is_file():
            lines = Path(spec).read_text(encoding="utf-8-sig").splitlines()
            codes = [ln.split("#", 1)[0].strip() for ln in lines]
            codes = [c for c in codes if c]
        else:
            codes = [c.strip() for c in spec.split(",") if c.strip()]
    else:
        codes = [str(c) for c in spec]
    if not codes:
        raise ValueError(f"--districts {spec!r} names no district; give ALL, a file with one "
                         "adcode per line, or codes like 120101,120102")
    unknown = sorted(set(codes) - set(known))
    if unknown:
        raise ValueError(f"--districts: {len(unknown)} code(s) not in the store: "
                         f"{', '.join(unknown[:20])}{' ...' if len(unknown) > 20 else ''}. "
                         "Run `tanmap boundaries list` to see the districts the store holds.")
    return list(dict.fromkeys(codes))


@contextlib.contextmanager
def cluster_client(
    scheduler: str | None = None,
    *,
    workers: int = 2,
    threads_per_worker: int = 1,
    processes: bool = True,
    memory_limit: str | None = "auto",
) -> Iterator[Client]:
    """Connect to a Dask scheduler, or start a local cluster, for the duration of a block.

    中文：连接 Dask 调度器（或启动本机集群）。

    Parameters
    ----------
    scheduler
        ``tcp://host:8786`` of a running scheduler; None starts a ``LocalCluster`` on 127.0.0.1
        (its dashboard on a free local port) and closes it afterwards.
    workers, threads_per_worker, processes, memory_limit
        The local cluster's shape (ignored with ``scheduler``). The kernels release the GIL,
        but one thread per worker keeps a worker's memory to one district at a time.
    """
    import distributed

    # distributed is untyped: keep its constructors as Any for mypy --strict.
    Client: Any = distributed.Client  # noqa: N806
    LocalCluster: Any = distributed.LocalCluster  # noqa: N806
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    # Worker processes listen on 127.0.0.1 only; threads in this process talk in-process.
    # The dashboard takes any free local port: the default 8787 may be another cluster's, and
    # distributed then warns (an error under the tests' filterwarnings).
    where = {"host": "127.0.0.1"} if processes else {}
    with LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker,
                      processes=processes, memory_limit=memory_limit,
                      dashboard_address="127.0.0.1:0",
                      **where) as cluster, Client(cluster) as client:
        yield client


def _prepare_task(location: str, name: str, district: str, params: Mapping[str, Any] | None,
                  year: int | None, include_planned_until: int | None,
                  planning_epsg: int | None) -> PreparedMetric:
    return prepare_metric(_worker_source(location), name, district, params, year=year,
                          include_planned_until=include_planned_until,
                          planning_epsg=planning_epsg)


def _compute_task(prepared: PreparedMetric, keep_layers: bool) -> RunOutcome:
    outcome = compute_prepared(prepared)
    if keep_layers:
        return outcome
    return dataclasses.replace(outcome, result=dataclasses.replace(outcome.result, layers={}))


def _tileable(name: str, params: Any) -> bool:
    return (name == "park_coverage" and not params.include_pocket_gardens
            and params.building_test in TILED_BUILDING_TESTS)


def _districts_to_tile(source: Any, name: str, districts: Sequence[str],
                       params: Mapping[str, Any] | None, tile_above: int) -> set[str]:
    """Return the districts whose own buildings exceed ``tile_above`` (from version records)."""
    from tanmap.geo.registry import METRICS

    if name not in METRICS:
        return set()  # the prepare task raises the registry's own error
    try:
        p = params_from_mapping(METRICS[name].params, params)
    except (TypeError, ValueError):
        return set()  # likewise, with the parameter's message
    if not _tileable(name, p):
        return set()
    out = set()
    for d in districts:
        version = source.version("building", d)
        if version is not None and version.n_features > tile_above:
            out.add(d)
    return out


def _tiles_task(prepared: PreparedMetric, tile_m: float) -> list[ParkTile]:
    p, frames = prepared.params, prepared.frames
    if prepared.missing:
        return []  # 数据不足: _reduce_task answers as the untiled path does
    return park_tiles(frames["residential_land"], frames["park"], rule=p.coverage_rule(),
                      tile_m=tile_m, buildings=frames.get("building"),
                      district=prepared.context.district, radius_m=p.radius_m,
                      building_test=p.building_test)


def _reduce_task(prepared: PreparedMetric, results: list[ParkTileResult]) -> RunOutcome:
    if prepared.missing:
        return _compute_task(prepared, keep_layers=False)
    return _tiled_outcome(prepared, results)


def _tiled_outcome(prepared: PreparedMetric, results: list[ParkTileResult]) -> RunOutcome:
    p, frames = prepared.params, prepared.frames
    rule = p.coverage_rule()
    figures = reduce_park_tiles(
        results, _attributes(frames["residential_land"]), frames["park"], rule=rule,
        buildings=None if "building" not in frames else _attributes(frames["building"]),
        area_type=p.area_type, radius_m=p.radius_m, building_test=p.building_test)
    missing: tuple[str, ...] = ()
    if p.weight == "area":
        value = figures["share"]
    elif p.weight == "buildings":
        value = figures["building_share"]
        missing = () if "building" in frames else ("building",)
    else:
        value = figures["population_share"]
        missing = () if figures["extra_population_source"] else ("population",)
    details = {k: v for k, v in figures.items()
               if k not in ("share", "building_share", "population_share")}
    result = MetricResult(name=prepared.name, value=value, unit="share",
                          params=params_to_dict(p), rule=rule.citation,
                          details={**details, "tiled": True}, missing=missing)
    ctx = prepared.context
    return RunOutcome(result=result, lineage=list(prepared.lineage), district=ctx.adcode,
                      year=ctx.audit_year, include_planned_until=prepared.include_planned_until,
                      planning_epsg=ctx.planning_epsg, metric_zh=prepared.mdef.zh,
                      metric_en=prepared.mdef.en)


def _attributes(frame: gpd.GeoDataFrame) -> Any:
    return frame.drop(columns=frame.geometry.name)


def tiled_park_coverage(prepared: PreparedMetric, tile_m: float = DEFAULT_TILE_M) -> RunOutcome:
    """Compute ``park_coverage`` of a prepared district in tiles, in this process.

    中文：分块计算公园覆盖率（单进程；与集群分块路径相同的函数）。

    The headline figures equal :func:`tanmap.layers.runner.compute_prepared`'s; the result has
    no per-unit table, gaps or service areas (``details["tiled"]`` is True).

    Raises
    ------
    ValueError
        If the metric is not ``park_coverage`` or uses pocket gardens or the entrance test.
    """
    if prepared.missing or not _tileable(prepared.name, prepared.params):
        raise ValueError("the tiled path runs park_coverage without pocket gardens and with "
                         f"the building test {list(TILED_BUILDING_TESTS)}; "
                         f"got {prepared.name!r}")
    return _tiled_outcome(prepared, [park_tile(t) for t in _tiles_task(prepared, tile_m)])


def metric_many(
    client: Client,
    location: str | Path,
    name: str,
    districts: Sequence[str],
    params: Mapping[str, Any] | None = None,
    *,
    year: int | None = None,
    include_planned_until: int | None = None,
    planning_epsg: int | None = None,
    tile_above: int | None = None,
    tile_m: float = DEFAULT_TILE_M,
    keep_layers: bool = False,
) -> list[RunOutcome]:
    """Run metric ``name`` for many districts on a Dask cluster, one task chain per district.

    中文：在 Dask 集群上逐区县计算指标（大区县分块计算）。

    Parameters
    ----------
    client
        A connected Dask client (:func:`cluster_client`).
    location
        Store URL/path or GeoParquet partitions folder, readable by every worker at this path.
    name, params, year, include_planned_until, planning_epsg
        As for :func:`tanmap.layers.runner.run_metric`.
    districts
        District codes (:func:`resolve_districts`).
    tile_above
        Districts with more buildings of their own than this (their ``building`` layer's
        feature count) run ``park_coverage`` in tiles of ``tile_m`` with a halo (one task per
        tile); None never tiles.
    tile_m
        Tile side (m).
    keep_layers
        Bring the result geometries (gaps, service areas) back; off by default, as the figures
        are what a many-district run reports.

    Returns
    -------
    list of RunOutcome
        In the order of ``districts``; equal to ``run_metric`` district by district.
    """
    loc = str(location)
    gather: Any = client.gather  # distributed is untyped
    tiled = set() if tile_above is None else _districts_to_tile(
        open_source(loc), name, districts, params, tile_above)
    futures = []
    rank = len(districts)
    for i, d in enumerate(districts):
        # Priorities: a district's compute (and tiles) outrank every prepare still queued, so a
        # worker finishes a district before loading the next; no client reference is kept to
        # the prepared inputs, so Dask frees them as soon as their last dependent is done.
        prepared = client.submit(_prepare_task, loc, name, d, dict(params or {}), year,
                                 include_planned_until, planning_epsg, pure=False,
                                 priority=-i)
        if d in tiled:
            tiles_f = client.submit(_tiles_task, prepared, tile_m, pure=False,
                                    priority=rank - i)
            n_tiles = int(client.submit(len, tiles_f, pure=False, priority=rank).result())
            parts = [client.submit(park_tile, client.submit(_item, tiles_f, k, pure=False,
                                                            priority=rank - i),
                                   pure=False, priority=rank - i)
                     for k in range(n_tiles)]
            futures.append(client.submit(_reduce_task, prepared, parts, pure=False,
                                         priority=rank - i))
        else:
            futures.append(client.submit(_compute_task, prepared, keep_layers, pure=False,
                                         priority=rank - i))
        del prepared
    outcomes: list[RunOutcome] = gather(futures)
    return outcomes


def _item(items: list[Any], i: int) -> Any:
    return items[i]


def _audit_task(location: str, adcode: str, year: int | None, catalog_dir: str | None,
                overrides: str | None, rule_file: str | None,
                include_planned_until: int | None) -> AuditCard:
    from tanmap.layers.audit import audit_district
    from tanmap.layers.catalog import load_catalog
    from tanmap.layers.ingest.rule_files import apply_rule_to_catalog, read_rule_file

    catalog = load_catalog(adcode, directory=None if catalog_dir is None else Path(catalog_dir))
    if rule_file is not None:
        catalog = apply_rule_to_catalog(catalog, read_rule_file(Path(rule_file)))
    return audit_district(_worker_source(location), adcode, year=year, catalog=catalog,
                          overrides=overrides, include_planned_until=include_planned_until)


def audit_many(
    client: Client,
    location: str | Path,
    districts: Sequence[str],
    *,
    year: int | None = None,
    catalog_dir: str | Path | None = None,
    overrides: str | Path | None = None,
    rule_file: str | Path | None = None,
    include_planned_until: int | None = None,
) -> list[AuditCard]:
    """Audit many districts on a Dask cluster, one task per district.

    中文：在 Dask 集群上逐区县进行目标评估。

    Each task reads its district from ``location`` (a store every worker can open: the same
    GeoPackage path on a shared file system, or a PostGIS URL) and returns the card; the catalog,
    overrides and rule files are read by the worker from the same paths.

    Returns
    -------
    list of AuditCard
        In the order of ``districts``; equal, row for row, to ``audit_district`` per district.
    """
    gather: Any = client.gather  # distributed is untyped

    def text(p: str | Path | None) -> str | None:
        return None if p is None else str(p)

    futures = [client.submit(_audit_task, str(location), d, year, text(catalog_dir),
                             text(overrides), text(rule_file), include_planned_until,
                             pure=False)
               for d in districts]
    cards: list[AuditCard] = gather(futures)
    return cards
