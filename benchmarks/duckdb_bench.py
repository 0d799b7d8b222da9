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


def area(con, n: int, radius_m: float, quad_segs: int) -> np.ndarray:
    """Covered m² per residential parcel: union of buffers, then intersection per parcel."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE served AS "
        "SELECT UNNEST(ST_Dump(ST_Union_Agg(ST_Buffer(geom, ?, ?))), recursive := true) "
        "FROM parks",
        [radius_m, quad_segs],
    )
    rows = con.execute(
        "SELECT r.gid, SUM(ST_Area(ST_Intersection(r.geom, s.geom))) AS m2 "
        "FROM residential r JOIN served s ON ST_Intersects(r.geom, s.geom) GROUP BY r.gid"
    ).fetchnumpy()
    out = np.zeros(n)
    out[np.asarray(rows["gid"], dtype=np.int64)] = np.asarray(rows["m2"], dtype=float)
    return out
