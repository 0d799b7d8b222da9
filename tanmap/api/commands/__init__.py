"""Shared helpers of the ``tanmap`` sub-commands: store, output, progress and exit codes.

A sub-command module exposes ``register(subparsers) -> None``; each parser it adds sets
``func=handler`` with ``handler(args: argparse.Namespace) -> int`` (the exit code). ``args`` always
carries the global options ``store`` (path), ``lang`` ("zh"|"en") and ``quiet``.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from tanmap.layers.advice import for_interface
from tanmap.layers.kinds import LayerKind, spec_for
from tanmap.layers.store import Store, open_store

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable, Sequence

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "KIND_CHOICES",
    "Progress",
    "echo",
    "fail",
    "format_table",
    "kind_label",
    "missing_dependency",
    "store_from_args",
]

EXIT_OK = 0
#: A user or data error: invalid layer, unknown district, missing file.
EXIT_ERROR = 1
#: A usage error or a missing optional dependency.
EXIT_USAGE = 2

#: Layer kind values accepted on the command line.
KIND_CHOICES: tuple[str, ...] = tuple(k.value for k in LayerKind)

#: Names of TanmapError subclasses that mean "install something" (exit code 2).
_DEPENDENCY_ERRORS = frozenset(
    {"MissingDependencyError", "DependencyError", "OptionalDependencyError"}
)


def fail(message: str, code: int = EXIT_ERROR) -> int:
    """Print ``tanmap: error: message`` to stderr and return ``code``.

    中文：输出错误信息并返回退出码。
    """
    print(f"tanmap: error: {for_interface(message, 'cli')}", file=sys.stderr)
    return code


def missing_dependency(exc: BaseException) -> bool:
    """Return whether ``exc`` says an optional dependency is missing (exit code 2)."""
    return isinstance(exc, ImportError) or any(
        cls.__name__ in _DEPENDENCY_ERRORS for cls in type(exc).__mro__
    )


def echo(args: argparse.Namespace, text: str = "") -> None:
    """Print a result line to stdout (results are printed even with ``-q``)."""
    print(for_interface(text, "cli"))


def store_from_args(args: argparse.Namespace, *, create: bool = False) -> Store:
    """Open the store named by ``--store``; with ``create`` make an empty one if missing.

    中文：打开项目库。
    """
    return open_store(args.store, create=create)


def kind_label(kind: LayerKind | str, lang: str = "zh") -> str:
    """Return ``"口袋公园 Pocket gardens"``-style bilingual label of ``kind`` (zh first for zh)."""
    spec = spec_for(kind)
    return f"{spec.en_name} {spec.zh_name}" if lang == "en" else f"{spec.zh_name} {spec.en_name}"


def format_table(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    max_width: int | None = None,
    align: str | None = None,
    notes: Sequence[str | None] | None = None,
) -> str:
    """Return a plain-text table with columns padded to their widest cell (CJK counted double).

    中文：格式化文本表格（可按终端宽度折行）。

    Parameters
    ----------
    header, rows
        Column titles and cells (``None`` prints empty).
    max_width
        Terminal columns to fit: the widest columns (never the first) are narrowed and their
        cells wrapped onto more lines. None: no limit.
    align
        One letter per column, ``"l"`` (default) or ``"r"`` (numbers).
    notes
        Optional text per row, printed on indented lines under it (wrapped to ``max_width``).
    """
    body = [[("" if v is None else str(v)) for v in row] for row in rows]
    table = [list(header), *body]
    widths = [max(_width(r[i]) for r in table) for i in range(len(header))]
    if max_width is not None:
        widths = _fit_widths(widths, [_width(h) for h in header], max_width)
    sides = (align or "").ljust(len(header), "l")

    def lines(cells: Sequence[str]) -> list[str]:
        wrapped = [_wrap(c, w) for c, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped)
        out = []
        for k in range(height):
            parts = []
            for col, (chunks, w) in enumerate(zip(wrapped, widths, strict=True)):
                text = chunks[k] if k < len(chunks) else ""
                pad = " " * (w - _width(text))
                parts.append(pad + text if sides[col] == "r" else text + pad)
            out.append("  ".join(parts).rstrip())
        return out

    out = [*lines(table[0]), "  ".join("-" * w for w in widths)]
    for i, row in enumerate(table[1:]):
        out += lines(row)
        note = notes[i] if notes is not None and i < len(notes) else None
        if note:  # indented; wrapped lines hang two columns further in
            room = max(max_width - 6, 20) if max_width is not None else 10**9
            out += [("    " if k == 0 else "      ") + chunk
                    for k, chunk in enumerate(_wrap(note, room))]
    return "\n".join(out)


#: A column is never narrowed below this many terminal columns (nor below its title).
_MIN_COLUMN_WIDTH = 8


def _fit_widths(widths: list[int], titles: list[int], max_width: int) -> list[int]:
    """Narrow the widest columns (not the first, which holds keys) until the table fits."""
    out = list(widths)
    room = max_width - 2 * (len(out) - 1)
    floor = [out[0]] + [min(w, max(t, _MIN_COLUMN_WIDTH)) for w, t in zip(out[1:], titles[1:],
                                                                         strict=True)]
    while sum(out) > room:
        candidates = [i for i in range(len(out)) if out[i] > floor[i]]
        if not candidates:
            break  # cannot fit: overflow rather than lose text
        widest = max(candidates, key=lambda i: out[i])
        out[widest] -= 1
    return out


def _wrap(text: str, width: int) -> list[str]:
    """Split ``text`` into lines of at most ``width`` terminal columns (at spaces or CJK)."""
    if _width(text) <= width:
        return [text]
    tokens = re.findall(r"\s+|[\u1100-\uffff]|[^\s\u1100-\uffff]+", text)
    lines: list[str] = []
    current = ""
    for token in tokens:
        if token.isspace():
            current += " " if current else ""
            continue
        if _width(current + token) <= width:
            current += token
            continue
        if current.strip():
            lines.append(current.rstrip())
        while _width(token) > width:  # a word longer than the column: cut it
            cut = len(token)
            while cut > 1 and _width(token[:cut]) > width:
                cut -= 1
            lines.append(token[:cut])
            token = token[cut:]
        current = token
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def _width(text: str) -> int:
    # East Asian wide characters take two terminal columns.
    return sum(2 if ord(ch) >= 0x1100 and not 0xFF61 <= ord(ch) <= 0xFFDC else 1 for ch in text)


class Progress:
    """A stderr progress indicator for multi-step work (silent with ``-q``).

    中文：进度显示。On a terminal one line is redrawn in place; otherwise (pipes, logs) each
    step is printed on its own line.

    Parameters
    ----------
    total
        Number of steps.
    quiet
        If true, print nothing.
    title
        Prefix of the line, e.g. the command name.
    """

    def __init__(self, total: int, *, quiet: bool = False, title: str = "") -> None:
        self.total, self.quiet, self.title, self.done = max(total, 1), quiet, title, 0
        self._width = 0

    def step(self, message: str) -> None:
        """Mark one step done and show ``title [####....] done/total message``."""
        self.done += 1
        if self.quiet:
            return
        bar_width = 20
        filled = round(bar_width * min(self.done, self.total) / self.total)
        bar = "#" * filled + "." * (bar_width - filled)
        head = f"{self.title} " if self.title else ""
        text = f"{head}[{bar}] {self.done}/{self.total} {message}"
        if sys.stderr.isatty():
            pad = " " * max(0, self._width - len(text))
            self._width = len(text)
            last = self.done >= self.total
            print(f"\r{text}{pad}", file=sys.stderr, end="\n" if last else "", flush=True)
        else:
            print(text, file=sys.stderr, flush=True)

    def finish(self) -> None:
        """End a redrawn line that stopped before the last step."""
        if not self.quiet and self.done < self.total and sys.stderr.isatty():
            print(file=sys.stderr, flush=True)
