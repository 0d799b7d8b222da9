"""Options named in error advice, spelled for the interface that shows the error (CLI, HTTP).

An error raised in ``layers/`` does not know whether a command, an HTTP request or a Python caller
made it, so its advice names an option in one canonical form that reads well in Python and names
the command-line flag: ``repair=True (CLI: --repair)``. The CLI and the HTTP API rewrite that form
into their own spelling before showing the message (:func:`for_interface`), so a user of the API is
told ``repair=true`` and a user of the command line ``--repair``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["OPTIONS", "Interface", "Option", "for_interface", "option_hint"]

Interface = Literal["python", "cli", "http"]


@dataclass(frozen=True)
class Option:
    """One option of the import/export interfaces, as each interface spells it.

    中文：参数在各接口中的写法（Python 关键字、命令行选项、HTTP 查询参数）。

    Parameters
    ----------
    python
        Keyword of :func:`tanmap.layers.ingest.io.load` / ``Store.write``, e.g. ``"repair"``.
    cli
        Command-line flag, e.g. ``"--repair"``.
    http
        Query parameter of the HTTP API, e.g. ``"repair"``.
    """

    python: str
    cli: str
    http: str


#: Every option that error advice may name, by Python keyword.
OPTIONS: dict[str, Option] = {o.python: o for o in (
    Option("repair", "--repair", "repair"),
    Option("skip_invalid", "--skip-invalid", "skip_invalid"),
    Option("dry_run", "--dry-run", "dry_run"),
    Option("source_crs", "--source-crs", "source_crs"),
    Option("coord_system", "--coord-system", "coord_system"),
    Option("encoding", "--encoding", "encoding"),
    Option("layer", "--layer", "layer"),
    Option("lon_col", "--lon-col", "lon_col"),
    Option("lat_col", "--lat-col", "lat_col"),
    Option("mode", "--mode", "mode"),
    # Field-mapping file: ``tanmap import --map FILE``; the upload's ``mapping`` form field.
    Option("field_map", "--map", "mapping"),
    # Metering files (tanmap import-metering): join key.
    Option("by", "--by", "by"),
    # Siting (tanmap site / POST /districts/{code}/sites).
    Option("count", "--count", "count"),
    Option("target_share", "--target", "target_share"),
    Option("min_count", "--per-unit", "min_count"),
    Option("radius_m", "--radius-m", "radius_m"),
    Option("zone_type", "--zone", "zone_type"),
    Option("demand", "--demand", "demand"),
    Option("distance", "--distance", "distance"),
)}

_CANONICAL = re.compile(
    r"(?P<kw>[a-z_]+)=(?:True|'(?P<pyval>[^']*)') \(CLI: (?P<flag>--[a-z-]+)(?: (?P<val>[^)]*))?\)"
)


def option_hint(name: str, value: str | None = None) -> str:
    """Return the canonical advice form of option ``name`` (a switch when ``value`` is None).

    中文：错误建议中的参数写法（规范形式）。

    Raises
    ------
    KeyError
        If ``name`` is not in :data:`OPTIONS`.

    Examples
    --------
    >>> option_hint("repair")
    'repair=True (CLI: --repair)'
    >>> option_hint("source_crs", "EPSG:4548")
    "source_crs='EPSG:4548' (CLI: --source-crs EPSG:4548)"
    """
    opt = OPTIONS[name]
    if value is None:
        return f"{opt.python}=True (CLI: {opt.cli})"
    return f"{opt.python}={value!r} (CLI: {opt.cli} {value})"


def for_interface(text: str, interface: Interface) -> str:
    """Rewrite every canonical option hint in ``text`` into the spelling of ``interface``.

    中文：按接口改写错误建议中的参数名（命令行 ``--repair``，HTTP ``repair=true``）。

    Parameters
    ----------
    text
        A message, possibly holding hints made by :func:`option_hint`.
    interface
        ``"cli"`` (``--repair``, ``--source-crs EPSG:4548``), ``"http"`` (``repair=true``,
        ``source_crs=EPSG:4548``) or ``"python"`` (unchanged).

    Examples
    --------
    >>> msg = "fix: re-import with repair=True (CLI: --repair)"
    >>> for_interface(msg, "cli")
    'fix: re-import with --repair'
    >>> for_interface(msg, "http")
    'fix: re-import with repair=true'
    >>> for_interface(option_hint("source_crs", "EPSG:4548"), "http")
    'source_crs=EPSG:4548'
    """
    if interface == "python":
        return text

    def spell(match: re.Match[str]) -> str:
        opt = OPTIONS.get(match["kw"])
        if opt is None or opt.cli != match["flag"]:
            return match[0]
        value = match["val"] if match["val"] is not None else match["pyval"]
        if interface == "cli":
            return opt.cli if value is None else f"{opt.cli} {value}"
        return f"{opt.http}=true" if value is None else f"{opt.http}={value}"

    return _CANONICAL.sub(spell, text)
