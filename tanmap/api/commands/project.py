"""``tanmap init``: create the project store (项目库) and load the bundled district boundaries."""

from __future__ import annotations

import argparse
from typing import Any

from tanmap.api.commands import EXIT_OK, Progress, echo, store_from_args

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``init`` command.

    中文：注册 ``init`` 命令（新建项目库）。
    """
    parser = subparsers.add_parser(
        "init", help="create the store and load the bundled district boundaries (新建项目库)",
        description="Create the project store (项目库) if missing and load the bundled real "
                    "district boundaries (区县边界) into it.",
    )
    parser.add_argument(
        "--with-boundaries", action=argparse.BooleanOptionalAction, default=True,
        help="load the bundled boundaries (default: yes; --no-with-boundaries skips them)",
    )
    parser.set_defaults(func=run_init)


def run_init(args: argparse.Namespace) -> int:
    """Create the store; load the bundled districts it lacks unless ``--no-with-boundaries``.

    Districts already in the store are left as they are, so running ``init`` twice changes
    nothing (use ``tanmap boundaries import|add`` to replace one).
    """
    store = store_from_args(args, create=True)
    loaded = skipped = 0
    if args.with_boundaries:
        from tanmap.layers.boundaries import bundled_districts

        bundled = bundled_districts()
        present = set(store.districts()["adcode"])
        progress = Progress(len(bundled), quiet=args.quiet, title="init")
        for i in range(len(bundled)):
            row = bundled.iloc[[i]]
            adcode, name = row["adcode"].iloc[0], row["name"].iloc[0]
            if adcode in present:
                skipped += 1
                progress.step(f"{adcode} {name} (already in store)")
                continue
            store.put_district(row)
            loaded += 1
            progress.step(f"{adcode} {name}")
        progress.finish()
    echo(args, f"store {args.store}: {loaded} district boundaries loaded, {skipped} already "
               f"there ({len(store.districts())} in store)")
    return EXIT_OK
