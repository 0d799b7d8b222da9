"""The import layering of STYLE.md §1, enforced by parsing every module with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "tanmap"

#: package -> import prefixes it must not use.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "geo": (
        "tanmap.layers", "tanmap.api", "tanmap.maps", "fastapi", "starlette", "uvicorn",
        "folium", "branca", "pyogrio", "fiona", "rasterio", "requests", "httpx", "urllib",
        "socket", "sqlite3", "openpyxl", "shutil", "tempfile", "zipfile",
    ),
    "layers": ("tanmap.api", "tanmap.maps", "fastapi", "starlette", "uvicorn", "folium", "branca"),
    "maps": ("tanmap.api", "fastapi", "starlette", "uvicorn"),
    "data": ("tanmap.api", "tanmap.maps", "fastapi", "folium"),
}

#: geo/ may not open files either: no builtin ``open`` and no pathlib I/O methods.
GEO_IO_CALLS = {"open", "read_file", "to_file", "read_text", "write_text", "read_bytes",
                "write_bytes", "read_dataframe", "write_dataframe"}


def _imports(tree: ast.AST, module: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against the module's package
                base = module.split(".")[: -node.level]
                names.append(".".join([*base, node.module or ""]).rstrip("."))
            else:
                names.append(node.module or "")
    return names


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        out.append((".".join(rel.parts), path))
    return out


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v))
def test_module_respects_layering(module: str, path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = module.split(".")
    sub = parts[1] if len(parts) > 1 else ""
    forbidden = FORBIDDEN.get(sub, ())
    bad = [
        name for name in _imports(tree, module)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]
    assert bad == [], f"{module} imports {bad}, which STYLE.md §1 forbids for {sub}/"
    if sub != "api":
        api = [n for n in _imports(tree, module) if n.startswith("tanmap.api")]
        assert api == [], f"{module} imports the api adapter: {api}"
    if sub == "geo":
        calls = {
            node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute)
        }
        assert calls & GEO_IO_CALLS == set(), f"{module} does file I/O: {calls & GEO_IO_CALLS}"


def test_every_module_has_docstring_and_all() -> None:
    missing = []
    for module, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        has_all = any(
            isinstance(n, ast.Assign | ast.AnnAssign)
            and any(getattr(t, "id", None) == "__all__"
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))
            for n in tree.body
        )
        if not ast.get_docstring(tree) or not has_all:
            missing.append(module)
    assert missing == []


def test_layering_check_catches_a_forbidden_import() -> None:
    tree = ast.parse("import folium\nfrom ..layers import store\n")
    names = _imports(tree, "tanmap.geo.coverage")
    assert "folium" in names
    assert "tanmap.layers" in names
