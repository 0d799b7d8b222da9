"""``tanmap history|revert``: list a layer's versions (版本历史) and restore one (回退)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tanmap.api.commands import (
    EXIT_OK,
    KIND_CHOICES,
    echo,
    format_table,
    kind_label,
    store_from_args,
)

if TYPE_CHECKING:
    import argparse

__all__ = ["register", "run_history", "run_revert"]


def register(subparsers: Any) -> None:
    """Add the ``history`` and ``revert`` commands.

    中文：注册图层版本历史、回退命令。
    """
    his = subparsers.add_parser(
        "history", help="list the versions of a layer: who, when, what changed (版本历史)",
        description="List every version of (KIND, district) with its time (UTC), author, source, "
                    "feature count and the features added, removed and changed (by id) with "
                    "respect to the version before. `tanmap revert` restores a kept version.",
    )
    his.add_argument("kind", choices=KIND_CHOICES, metavar="KIND", help="layer kind")
    his.add_argument("--district", required=True, metavar="ADCODE", help="district code")
    his.add_argument("--json", action="store_true", help="print JSON instead of a table")
    his.set_defaults(func=run_history)

    rev = subparsers.add_parser(
        "revert", help="restore an earlier version of a layer, as a new version (回退)",
        description="Restore version N of (KIND, district) exactly (checksum-verified) as the "
                    "next version; the current version stays in the history, so a revert can "
                    "itself be reverted. All or nothing.",
    )
    rev.add_argument("kind", choices=KIND_CHOICES, metavar="KIND", help="layer kind")
    rev.add_argument("--district", required=True, metavar="ADCODE", help="district code")
    rev.add_argument("--to", required=True, type=int, metavar="N", help="version to restore")
    rev.add_argument("--author", help="who reverts (default: the system user)")
    rev.set_defaults(func=run_revert)


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def run_history(args: argparse.Namespace) -> int:
    """Print the versions of (KIND, district), oldest first."""
    entries = store_from_args(args).history(args.kind, args.district)
    if args.json:
        echo(args, json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=2))
        return EXIT_OK
    label = kind_label(args.kind, args.lang)
    if not entries:
        echo(args, f"{label} of {args.district}: no versions yet (import one with `tanmap "
                   "import`)")
        return EXIT_OK
    zh = args.lang == "zh"
    header = (("版本 version", "时间 updated_at (UTC)", "作者 author", "来源 source",
               "要素 features", "新增 +", "删除 -", "修改 ~", "可回退 restorable")
              if zh else ("version", "updated_at (UTC)", "author", "source", "features",
                          "added", "removed", "changed", "restorable"))
    rows = []
    for e in entries:
        mark = "*" if e.current else ""
        restorable = ("当前 current" if zh else "current") if e.current else (
            ("是 yes" if zh else "yes") if e.restorable else ("否 no" if zh else "no"))
        rows.append((f"{e.version}{mark}", e.updated_at, e.author or "?", e.source or "",
                     e.n_features, _count(e.added), _count(e.removed), _count(e.changed),
                     restorable))
    echo(args, f"{label} — {args.district}")
    echo(args, format_table(header, rows))
    return EXIT_OK


def run_revert(args: argparse.Namespace) -> int:
    """Restore version ``--to`` of (KIND, district) as a new version."""
    version = store_from_args(args).revert(args.kind, args.district, args.to, author=args.author)
    echo(args, f"reverted {kind_label(args.kind, args.lang)} of {args.district} to version "
               f"{args.to}: now version {version.version}, {version.n_features} features "
               f"(checksum {version.checksum[:12]}, same as version {args.to})")
    return EXIT_OK
