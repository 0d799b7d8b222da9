"""Getting outside data in (数据导入): readers, field mapping, validation, OSM and rule files.

``io`` reads and writes layer files (GeoJSON, GeoPackage, Shapefile with GBK headers, FileGDB,
DXF, CSV/XLSX with coordinates), ``fieldmap`` maps a bureau's Chinese field names onto a kind's
schema, ``validation`` checks every feature before anything is stored, ``osm`` imports an
OpenStreetMap extract into typed layers, and ``rule_files`` reads user-defined coverage rules.
"""

__all__: list[str] = []
