"""``tanmap serve`` and ``tanmap demo``: run the web app (and load the seed districts first)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from tanmap.api.commands import EXIT_OK, Progress, echo, store_from_args

__all__ = ["app_from_environment", "register"]


def register(subparsers: Any) -> None:
    """Add the ``serve`` and ``demo`` commands.

    中文：注册 ``serve``（启动服务）与 ``demo``（示例演示）命令。
    """
    for name, help_text in (
        ("serve", "serve the web app and API for the store (启动地图与接口服务)"),
        ("demo", "load the five seed districts with sample layers and one district built "
                 "from OpenStreetMap data, audit them, and serve (载入示例并启动服务)"),
    ):
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument("--year", type=int, default=None, help="audit year (default: now)")
        parser.add_argument(
            "--workers", type=_workers, default=1,
            help="server processes (uvicorn workers, default 1); each keeps its own page and "
                 "metric caches. Both stores are safe for several processes: the GeoPackage "
                 "store serialises writers with a lock file and replaces the file atomically, "
                 "PostGIS writes in transactions (服务进程数)")
        if name == "demo":
            parser.add_argument("--reports", default="var/reports",
                                help="folder for the report cards (md, html, xlsx, json)")
            parser.add_argument("--no-serve", action="store_true",
                                help="load and audit only; do not start the server")
        parser.set_defaults(func=run_demo if name == "demo" else run_serve)


def run_demo(args: argparse.Namespace) -> int:
    """Load the seed districts, write their report cards, then serve."""
    from tanmap.layers.audit import audit_district
    from tanmap.layers.boundaries import bundled_districts
    from tanmap.layers.card.report import write_card
    from tanmap.layers.demo import OSM_DEMO_CODE, SEED_ADCODES, load_demo, load_osm_demo
    from tanmap.layers.runner import current_year

    store = store_from_args(args, create=True)
    bundled = bundled_districts()
    known = set(store.districts()["adcode"].astype(str))
    for i in range(len(bundled)):
        if str(bundled["adcode"].iloc[i]) not in known:
            store.put_district(bundled.iloc[[i]])
    progress = Progress(2 * len(SEED_ADCODES) + 2, quiet=args.quiet, title="demo")
    load_demo(store, progress=progress.step)
    load_osm_demo(store, progress=progress.step)
    loaded = set(store.districts()["adcode"].astype(str))
    year = args.year or current_year()
    cards = {}
    for adcode in (*SEED_ADCODES, OSM_DEMO_CODE):
        if adcode not in loaded:
            continue
        card = audit_district(store, adcode, year=year)
        cards[adcode] = card
        files = write_card(card, Path(args.reports) / adcode, lang=args.lang)
        counts = ", ".join(f"{k} {v}" for k, v in card.counts.items())
        progress.step(f"{adcode} audit: {counts} -> {files[0].parent}")
    progress.finish()
    echo(args, f"report cards in {args.reports}/<adcode>/ (md, html, xlsx, json)")
    if args.no_serve:
        return EXIT_OK
    return _serve(args, year=year, cards=cards)


def run_serve(args: argparse.Namespace) -> int:
    """Serve the app for the store given by ``--store``."""
    store_from_args(args, create=True)
    return _serve(args, year=args.year, cards={})


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(
            f"--workers must be a whole number from 1 to 64, got {text!r} (on a 2-core "
            "machine use 2)")
    return value


def app_from_environment() -> Any:
    """Return the app for one uvicorn worker process, its settings read from ``TANMAP_*``.

    中文：按环境变量创建应用（多进程服务时每个进程调用一次）。
    """
    from tanmap.api.app import create_app
    from tanmap.api.settings import Settings

    return create_app(Settings())


def _serve(args: argparse.Namespace, *, year: int | None, cards: dict[str, Any]) -> int:
    import uvicorn

    from tanmap.api.app import create_app
    from tanmap.api.routers.audit import card_key
    from tanmap.api.settings import Settings

    workers = getattr(args, "workers", 1)
    if workers > 1:
        # Worker processes import the app by name: hand them the settings through TANMAP_*.
        os.environ.update(TANMAP_STORE=args.store, TANMAP_LANG=args.lang,
                          TANMAP_HOST=args.host, TANMAP_PORT=str(args.port))
        echo(args, f"tanmap: serving http://{args.host}:{args.port}/ with {workers} worker "
                   "processes  (Ctrl+C to stop)")
        uvicorn.run("tanmap.api.commands.serve:app_from_environment", factory=True,
                    workers=workers, host=args.host, port=args.port, log_level="warning")
        return EXIT_OK
    settings = Settings(store=args.store, lang=args.lang, host=args.host, port=args.port)
    app = create_app(settings)
    if cards and year is not None:  # warm the cache with the cards just computed
        store = store_from_args(args)
        app.state.stores[settings.store] = store
        for adcode, card in cards.items():
            app.state.cards.put(card_key(store, adcode, year), card)
    echo(args, f"tanmap: serving http://{args.host}:{args.port}/  (Ctrl+C to stop)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK
