"""``tanmap store copy SRC DST``: move a whole store between GeoPackage and PostGIS (项目库迁移)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tanmap.api.commands import EXIT_ERROR, EXIT_OK, echo, fail, format_table, kind_label
from tanmap.layers.store import open_store
from tanmap.layers.store.copy import copy_store

if TYPE_CHECKING:
    import argparse

__all__ = ["register", "run_copy"]


def register(subparsers: Any) -> None:
    """Add the ``store`` command group (``store copy``).

    中文：注册项目库命令（复制/迁移）。
    """
    group = subparsers.add_parser(
        "store", help="whole-store operations: copy a store between GeoPackage and PostGIS",
        description="Operations on a whole project store.",
    )
    sub = group.add_subparsers(dest="store_command", required=True, metavar="COMMAND")
    cp = sub.add_parser(
        "copy", help="copy every district, layer version and indicator to an empty store",
        description="Copy the store SRC into the empty store DST (a *.gpkg file or a "
                    "postgresql://USER@HOST:PORT/DATABASE URL; DST is created if missing): "
                    "district boundaries, every layer with its kept versions in order, and the "
                    "indicator values. Each copied version must reproduce the source's feature "
                    "count and checksum; the per-layer checksums are printed, and the exit code "
                    "is 1 if any differs. Time stamps are those of the copy.",
    )
    cp.add_argument("source", metavar="SRC", help="store to copy (*.gpkg or postgresql://...)")
    cp.add_argument("target", metavar="DST", help="empty store to fill (*.gpkg or "
                                                  "postgresql://...)")
    cp.add_argument("--current-only", action="store_true",
                    help="copy only the current version of each layer (no history)")
    cp.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cp.set_defaults(func=run_copy)


def run_copy(args: argparse.Namespace) -> int:
    """Copy SRC into DST and print the per-layer checksums of both."""
    source = open_store(args.source)
    if not getattr(source, "exists", lambda: True)():
        return fail(f"source store {args.source!r} does not exist (nothing to copy)")
    report = copy_store(source, open_store(args.target, create=True),
                        history=not args.current_only)
    if args.json:
        echo(args, json.dumps({
            "ok": report.ok, "indicators": report.indicators,
            "indicators_equal": report.indicators_equal,
            "layers": [{"kind": c.kind.value, "district": c.district, "versions": c.versions,
                        "skipped": list(c.skipped), "n_features": c.n_features,
                        "source_checksum": c.source_checksum, "copy_checksum": c.copy_checksum,
                        "mismatched": list(c.mismatched), "ok": c.ok} for c in report.layers],
        }, ensure_ascii=False, indent=2))
        return EXIT_OK if report.ok else EXIT_ERROR
    zh = args.lang == "zh"
    header = (("区县 district", "图层 layer", "版本 versions", "要素 features",
               "源校验和 SRC sha256", "目标校验和 DST sha256", "一致 equal") if zh else
              ("district", "layer", "versions", "features", "SRC sha256", "DST sha256", "equal"))
    yes, no = ("是 yes", "否 NO") if zh else ("yes", "NO")
    rows = [(c.district, kind_label(c.kind, args.lang), c.versions, c.n_features,
             c.source_checksum[:16], c.copy_checksum[:16], yes if c.ok else no)
            for c in report.layers]
    echo(args, format_table(header, rows, align="llrrlll"))
    skipped = sum(len(c.skipped) for c in report.layers)
    if skipped:
        echo(args, f"{skipped} version(s) not kept in SRC were not copied (see `tanmap history`)")
    echo(args, f"{len(report.layers)} layers, {sum(c.versions for c in report.layers)} versions, "
               f"{report.indicators} indicator values copied; indicators "
               f"{'equal' if report.indicators_equal else 'DIFFER'}")
    if not report.ok:
        return fail("the copy is not lossless: the layers marked NO differ (see above)")
    echo(args, "lossless: every copied version has the source's checksum" if not zh else
         "无损：每个复制的版本校验和与源一致 (lossless: every copied version has the source's "
         "checksum)")
    return EXIT_OK
