"""``tanmap walk``: build the walking network from a road file, check it, list access points."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tanmap.api.commands import EXIT_OK, echo, format_table, store_from_args

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``walk import|topology|access``.

    中文：注册 ``walk``（步行网络）命令。
    """
    parser = subparsers.add_parser(
        "walk", help="walking network: import a road file, topology, park access points (步行网络)",
        description="Build the walk_network layer from any road/path line file (noded at "
                    "crossings, ends snapped within --snap-m), report its topology, and list "
                    "park access points with how each arose.",
    )
    sub = parser.add_subparsers(dest="walk_command", required=True, metavar="COMMAND")
    imp = sub.add_parser("import", help="node a road/path line file into the walk_network layer")
    imp.add_argument("file", type=Path, metavar="FILE",
                     help="lines: .shp/.zip/.gpkg/.geojson/.gdb/.dxf")
    imp.add_argument("--district", required=True, metavar="CODE", help="district code")
    imp.add_argument("--snap-m", type=float, default=None, metavar="M",
                     help="join line ends within M metres of another line (default 1 m)")
    imp.add_argument("--layer", default=None, help="layer of a multi-layer file")
    imp.add_argument("--source-crs", default=None, metavar="CRS",
                     help="CRS of a file that declares none (e.g. EPSG:4547)")
    imp.add_argument("--coord-system", default=None, choices=("wgs84", "gcj02", "bd09"),
                     help="lon/lat datum of web-map data")
    imp.add_argument("--encoding", default=None, help="text encoding of a Shapefile (gbk)")
    imp.add_argument("--dry-run", action="store_true", help="build and report only")
    imp.add_argument("--json", action="store_true", help="print the topology report as JSON")
    imp.set_defaults(func=run_walk_import)
    topo = sub.add_parser("topology", help="topology report of the stored walk_network")
    topo.add_argument("--district", required=True, metavar="CODE", help="district code")
    topo.add_argument("--json", action="store_true", help="print JSON")
    topo.set_defaults(func=run_walk_topology)
    acc = sub.add_parser("access", help="park access points and how each arose")
    acc.add_argument("--district", required=True, metavar="CODE", help="district code")
    acc.add_argument("--out", type=Path, default=None, metavar="FILE",
                     help="write them (.geojson/.gpkg/.zip) instead of counting")
    acc.set_defaults(func=run_walk_access)


def _report_rows(report: dict[str, Any], zh: bool) -> list[tuple[str, str]]:
    labels = {
        "n_edges": ("路段数", "edges"), "n_nodes": ("节点数", "nodes"),
        "total_length_m": ("总长度 (m)", "total length (m)"),
        "dangles": ("悬挂端点", "dangles (dead ends)"),
        "n_components": ("连通分量", "connected components"),
        "largest_component_length_m": ("最大分量长度 (m)", "largest component (m)"),
        "disconnected_length_m": ("不连通长度 (m)", "disconnected length (m)"),
        "snapped": ("捕捉端点", "ends snapped"),
        "snap_tolerance_m": ("捕捉容差 (m)", "snap tolerance (m)"),
    }
    rows = []
    for key, (z, e) in labels.items():
        value = report.get(key)
        text = "-" if value is None else (f"{value:,.1f}" if isinstance(value, float)
                                         else f"{value:,}")
        rows.append((z if zh else e, text))
    return rows


def _print_report(args: argparse.Namespace, report: dict[str, Any]) -> None:
    if getattr(args, "json", False):
        echo(args, json.dumps(report, ensure_ascii=False, indent=2))
        return
    zh = args.lang == "zh"
    header = ("指标", "值") if zh else ("figure", "value")
    echo(args, format_table(header, _report_rows(report, zh)))


def run_walk_import(args: argparse.Namespace) -> int:
    """Handle ``tanmap walk import``."""
    from tanmap.geo.walking import DEFAULT_SNAP_TOLERANCE_M
    from tanmap.layers.walk_network import import_walk_network

    snap_m = DEFAULT_SNAP_TOLERANCE_M if args.snap_m is None else args.snap_m
    build, version = import_walk_network(
        store_from_args(args), args.file, args.district, snap_tolerance_m=snap_m,
        layer=args.layer, source_crs=args.source_crs, coord_system=args.coord_system,
        encoding=args.encoding, dry_run=args.dry_run,
    )
    _print_report(args, build.report.to_dict())
    if not args.json:
        done = "dry run, nothing written" if version is None else f"walk_network v{version.version}"
        echo(args, f"{args.file.name} -> {args.district}: {len(build.edges)} edges, {done}")
    return EXIT_OK


def _stored(args: argparse.Namespace) -> tuple[Any, Any, int]:
    from tanmap.layers.kinds import LayerKind
    from tanmap.layers.runner import district_planning_epsg

    store = store_from_args(args)
    epsg = district_planning_epsg(store.district(args.district))
    if store.version(LayerKind.WALK_NETWORK, args.district) is None:
        from tanmap.geo.errors import LayerNotFoundError

        raise LayerNotFoundError(
            f"district {args.district} has no walk_network layer — import one with "
            "`tanmap walk import FILE --district ...` or `tanmap import-osm`"
        )
    edges = store.read(LayerKind.WALK_NETWORK, district=args.district).to_crs(epsg)
    return store, edges, epsg


def run_walk_topology(args: argparse.Namespace) -> int:
    """Handle ``tanmap walk topology``."""
    from tanmap.layers.walk_network import stored_topology

    _, edges, _ = _stored(args)
    _print_report(args, stored_topology(edges).to_dict())
    return EXIT_OK


def run_walk_access(args: argparse.Namespace) -> int:
    """Handle ``tanmap walk access``."""
    from tanmap.layers.ingest.io import write_layer
    from tanmap.layers.kinds import LayerKind
    from tanmap.layers.walk_network import access_points_frame

    store, edges, epsg = _stored(args)
    parks = store.read(LayerKind.PARK, district=args.district).to_crs(epsg)
    entrances = None
    if store.version(LayerKind.PARK_ENTRANCE, args.district) is not None:
        entrances = store.read(LayerKind.PARK_ENTRANCE, district=args.district).to_crs(epsg)
    points = access_points_frame(parks, edges, entrances)
    if args.out is not None:
        fmt = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shp",
               ".shp": "shp"}.get(args.out.suffix.lower(), "geojson")
        opts = {"layer": "park_access_points"} if fmt == "gpkg" else {}
        write_layer(points.to_crs(4326), args.out, fmt, **opts)
    zh = args.lang == "zh"
    counts = points["origin"].value_counts()
    rows = [(points.loc[points["origin"] == o, "origin_zh" if zh else "origin_en"].iloc[0], int(n))
            for o, n in counts.items()]
    echo(args, format_table(("来源", "接入点") if zh else ("origin", "access points"), rows))
    if args.out is not None:
        echo(args, f"{len(points)} access points -> {args.out}")
    return EXIT_OK
