"""The ``tanmap`` command line (命令行): global options, one module per command group."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any

from tanmap.api.commands import EXIT_ERROR, EXIT_USAGE, fail, missing_dependency
from tanmap.api.commands import audit as audit_cmd
from tanmap.api.commands import boundaries as boundaries_cmd
from tanmap.api.commands import history as history_cmd
from tanmap.api.commands import layers as layers_cmd
from tanmap.api.commands import metering as metering_cmd
from tanmap.api.commands import metric as metric_cmd
from tanmap.api.commands import osm as osm_cmd
from tanmap.api.commands import project as project_cmd
from tanmap.api.commands import rasters as rasters_cmd
from tanmap.api.commands import results as results_cmd
from tanmap.api.commands import roles as roles_cmd
from tanmap.api.commands import serve as serve_cmd
from tanmap.api.commands import site as site_cmd
from tanmap.api.commands import store as store_cmd
from tanmap.api.commands import walk as walk_cmd
from tanmap.api.commands import weather as weather_cmd
from tanmap.api.settings import get_settings
from tanmap.geo.errors import PlanWarning, TanmapError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

#: Sub-command modules; each exposes ``register(subparsers) -> None``. Add a group with one line.
COMMAND_MODULES: tuple[ModuleType, ...] = (
    project_cmd,
    layers_cmd,
    osm_cmd,
    boundaries_cmd,
    metric_cmd,
    audit_cmd,
    serve_cmd,
    history_cmd,
    results_cmd,
    walk_cmd,
    metering_cmd,
    rasters_cmd,
    weather_cmd,
    site_cmd,
    store_cmd,
    roles_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with the global options and every registered sub-command.

    中文：构建命令行解析器。
    """
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="tanmap",
        description="碳 map: planning and asset maps for district carbon-peak plans "
                    "(碳达峰实施方案).",
    )
    _add_global_options(parser, store=settings.store, lang=settings.lang, quiet=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module in COMMAND_MODULES:
        module.register(subparsers)
    # Global options are accepted after the command too (`tanmap layers --store x.gpkg`);
    # SUPPRESS keeps a sub-parser from overwriting a value given before the command.
    for sub in _subparsers(parser):
        _add_global_options(sub, store=argparse.SUPPRESS, lang=argparse.SUPPRESS,
                            quiet=argparse.SUPPRESS)
    return parser


def _add_global_options(parser: argparse.ArgumentParser, *, store: Any, lang: Any,
                        quiet: Any) -> None:
    parser.add_argument(
        "--store", default=store,
        help="project store (项目库): a *.gpkg path or a postgresql://USER@HOST:PORT/DB URL "
             "[default: $TANMAP_STORE or var/tanmap.gpkg]",
    )
    parser.add_argument(
        "--lang", choices=("zh", "en"), default=lang,
        help="language of labels (界面语言) [default: $TANMAP_LANG or zh]",
    )
    parser.add_argument("-q", "--quiet", action="store_true", default=quiet,
                        help="no progress output (静默)")


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:  # argparse offers no public walk over sub-parsers
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                found.append(sub)
                found.extend(_subparsers(sub))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``tanmap`` with ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    中文：命令行入口。Exit codes: 0 success, 1 user or data error (``TanmapError``, missing file),
    2 usage error or missing optional dependency. User errors print ``tanmap: error: ...``
    to stderr, never a traceback.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return _run(args)
    except TanmapError as exc:
        return fail(str(exc), EXIT_USAGE if missing_dependency(exc) else EXIT_ERROR)
    except ModuleNotFoundError as exc:
        return fail(f"optional dependency {exc.name!r} is not installed: {exc}", EXIT_USAGE)
    except BrokenPipeError:  # `tanmap metric --list | head`: the reader left early
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        return fail(f"{exc.strerror or exc}{where}", EXIT_ERROR)
    except KeyboardInterrupt:
        return fail("interrupted", 130)


def _run(args: argparse.Namespace) -> int:
    """Run the command; print plan warnings as ``tanmap: warning: ...`` (none with ``-q``)."""
    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if not issubclass(category, PlanWarning):
            shown(message, category, filename, lineno, file, line)
        elif not args.quiet:
            print(f"tanmap: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always", PlanWarning)
        warnings.showwarning = show  # restored when the block ends
        return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
