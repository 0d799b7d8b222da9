"""Raster layers (栅格图层) and what is computed from them: land cover, irradiation, elevation.

``rasters`` stores rasters as versioned Cloud-Optimised GeoTIFFs beside the store (import,
export, delete, map images), ``zonal`` computes exact zonal statistics per 街道 and ecological
zone, ``weather`` reads typical-year weather files for PV yield, and ``climatology`` holds the
monthly irradiation climatologies a district's PV yield defaults to.
"""

__all__: list[str] = []
