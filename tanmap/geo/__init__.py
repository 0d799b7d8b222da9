"""Pure geospatial computations: CRS, coverage, spacing, zonal statistics, PV and audit logic.

No file or network I/O and no web or map imports live here (see tests/test_layering.py).
"""

__all__: list[str] = []
