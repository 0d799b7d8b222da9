"""DuckDB spatial side of the benchmark (extension file from the duckdb-ext-spatial wheel).

No network: ``INSTALL spatial`` would download, so the extension is LOADed from the path the
``duckdb-ext-spatial`` package installs it to (``duckdb_ext/extensions/v<ver>/<platform>/``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

__all__ = ["area", "connect", "coverage", "extension_path", "load"]


def extension_path() -> Path:
    """Return the spatial extension file matching the installed duckdb."""
    import duckdb
    import duckdb_ext

    version = duckdb.__version__
    for root in duckdb_ext.__path__:
        found = sorted(Path(root).glob(f"extensions/v{version}/*/spatial.duckdb_extension"))
        if found:
            return found[0]
    raise RuntimeError(
        f"no spatial extension for duckdb {version}; install the matching wheel, e.g. "
        f"pip install 'duckdb=={version}' 'duckdb-ext-spatial=={version}.*' (bench extra)"
    )


def connect(threads: int = 2):
    import duckdb

    con = duckdb.connect(config={"threads": threads})
    con.execute(f"LOAD '{extension_path()}'")
    return con


def _table(con, name: str, geoms: np.ndarray) -> None:
    frame = pd.DataFrame({"gid": np.arange(geoms.size, dtype=np.int64),
                          "wkb": shapely.to_wkb(geoms)})
    con.register(f"{name}_src", frame)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS "
                f"SELECT gid, ST_GeomFromWKB(wkb) AS geom FROM {name}_src")
    con.unregister(f"{name}_src")


def load(con, **layers: np.ndarray) -> None:
    """Create one table ``name(gid, geom)`` per layer of geometries."""
    for name, geoms in layers.items():
        _table(con, name, geoms)


def coverage(con, n: int, radius_m: float) -> np.ndarray:
    """Buildings (table ``homes``) within ``radius_m`` of a park: the spatial join operator."""
    rows = con.execute(
        "SELECT DISTINCT h.gid FROM homes h JOIN parks p ON ST_DWithin(h.geom, p.geom, ?)",
        [radius_m],
    ).fetchnumpy()["gid"]
    mask = np.zeros(n, dtype=bool)
    mask[np.asarray(rows, dtype=np.int64)] = True
    return mask


def area(con, n: int, radius_m: float, quad_segs: int, land: str = "residential",
         tile_m: float = 1000.0) -> np.ndarray:
    """Covered m² per land polygon (table ``land``): the fast, tiled form.

    The buffers are cut by a ``tile_m`` grid and unioned per tile (many small unions instead of
    one city-wide union, which is DuckDB's slow form), then the tiles are joined to the land by
    the spatial join operator and intersected.
    """
    x0, y0, x1, y1 = con.execute(
        "SELECT min(ST_XMin(geom)) - ?, min(ST_YMin(geom)) - ?, max(ST_XMax(geom)) + ?, "
        "max(ST_YMax(geom)) + ? FROM parks", [radius_m] * 4).fetchone()
    nx, ny = int(np.ceil((x1 - x0) / tile_m)), int(np.ceil((y1 - y0) / tile_m))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE grid AS SELECT ix, iy, "
        "ST_MakeEnvelope(? + ix * ?, ? + iy * ?, ? + (ix + 1) * ?, ? + (iy + 1) * ?) AS cell "
        "FROM range(?) t1(ix) CROSS JOIN range(?) t2(iy)",
        [x0, tile_m, y0, tile_m, x0, tile_m, y0, tile_m, nx, ny])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE buf AS SELECT ST_Buffer(geom, ?, ?) AS g FROM parks",
        [radius_m, quad_segs])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE served AS "
        "SELECT ST_Union_Agg(ST_Intersection(b.g, c.cell)) AS geom "
        "FROM buf b JOIN grid c ON ST_Intersects(b.g, c.cell) GROUP BY c.ix, c.iy")
    rows = con.execute(
        f"SELECT r.gid, SUM(ST_Area(ST_Intersection(r.geom, s.geom))) AS m2 "
        f"FROM {land} r JOIN served s ON ST_Intersects(r.geom, s.geom) GROUP BY r.gid"
    ).fetchnumpy()
    out = np.zeros(n)
    out[np.asarray(rows["gid"], dtype=np.int64)] = np.asarray(rows["m2"], dtype=float)
    return out
