"""Hand-written OSM objects -> a small PBF (pyosmium's SimpleWriter), for the OSM import tests.

Coordinates are given in metres of EPSG:4548 (CGCS2000 GK zone CM 117°E) relative to an origin
inside Tianjin, converted to lon/lat for the file; PBF stores 1e-7° (about 1 cm), so lengths and
areas come back within a few centimetres of the metre values written here.

The district of the tests is the square [0, 1000] x [0, 1000] m from the origin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
from pyproj import Transformer
from shapely.geometry import box

__all__ = ["DISTRICT_CODE", "EPSG", "ORIGIN_X_M", "ORIGIN_Y_M", "OsmBuilder", "district_row",
           "sample_pbf"]

EPSG = 4548
ORIGIN_X_M, ORIGIN_Y_M = 516_000.0, 4_330_000.0
DISTRICT_CODE = "990001"
_TO_LONLAT = Transformer.from_crs(EPSG, 4326, always_xy=True)


def district_row(code: str = DISTRICT_CODE) -> gpd.GeoDataFrame:
    """The test district: the 1 km square from the origin, planning CRS EPSG:4548."""
    square = box(ORIGIN_X_M, ORIGIN_Y_M, ORIGIN_X_M + 1000, ORIGIN_Y_M + 1000)
    return gpd.GeoDataFrame(
        {"adcode": [code], "name": ["测试区"], "name_en": ["Test district"],
         "planning_epsg": [EPSG]},
        geometry=[square], crs=EPSG,
    )


@dataclass
class OsmBuilder:
    """Collects nodes, ways and relations with metre coordinates; writes them as a PBF."""

    nodes: dict[int, tuple[float, float, dict[str, str]]] = field(default_factory=dict)
    ways: dict[int, tuple[list[int], dict[str, str]]] = field(default_factory=dict)
    relations: dict[int, tuple[list[tuple[str, int, str]], dict[str, str]]] = field(
        default_factory=dict)
    _next_node: int = 1
    _next_way: int = 1

    def node(self, x_m: float, y_m: float, **tags: str) -> int:
        """Add a node at (x, y) m from the origin; return its id."""
        nid = self._next_node
        self._next_node += 1
        self.nodes[nid] = (x_m, y_m, _tags(tags))
        return nid

    def tag(self, nid: int, **tags: str) -> None:
        """Add tags to an existing node (e.g. an entrance on a park's outline)."""
        self.nodes[nid][2].update(_tags(tags))

    def way(self, node_ids: list[int], **tags: str) -> int:
        """Add a way through ``node_ids``; return its id."""
        wid = self._next_way
        self._next_way += 1
        self.ways[wid] = (list(node_ids), _tags(tags))
        return wid

    def ring(self, x0: float, y0: float, x1: float, y1: float) -> list[int]:
        """Add the 4 corner nodes of a box; return the closed ring of node ids."""
        ids = [self.node(x0, y0), self.node(x1, y0), self.node(x1, y1), self.node(x0, y1)]
        return [*ids, ids[0]]

    def box(self, x0: float, y0: float, x1: float, y1: float, **tags: str) -> int:
        """Add a closed way around the box; return the way id."""
        return self.way(self.ring(x0, y0, x1, y1), **tags)

    def relation(self, rid: int, members: list[tuple[str, int, str]], **tags: str) -> int:
        """Add a relation with (type, ref, role) members."""
        self.relations[rid] = (members, _tags(tags))
        return rid

    def write(self, path: Path) -> Path:
        """Write everything (sorted: nodes, ways, relations) to ``path``."""
        path.unlink(missing_ok=True)
        writer = osmium.SimpleWriter(str(path))
        try:
            for nid, (x, y, tags) in sorted(self.nodes.items()):
                lon, lat = _TO_LONLAT.transform(ORIGIN_X_M + x, ORIGIN_Y_M + y)
                writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat), tags=tags,
                                                        version=1))
            for wid, (refs, tags) in sorted(self.ways.items()):
                writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, version=1))
            for rid, (members, tags) in sorted(self.relations.items()):
                writer.add_relation(osmium.osm.mutable.Relation(id=rid, members=members,
                                                                tags=tags, version=1))
        finally:
            writer.close()
        return path


def _tags(tags: dict[str, Any]) -> dict[str, str]:
    # Python keywords cannot hold ':'; write building__levels for building:levels.
    return {k.replace("__", ":"): str(v) for k, v in tags.items()}


def sample_pbf(path: Path) -> tuple[Path, dict[str, int]]:
    """Write the test extract; return its path and the ids the tests look up.

    Contents (metres from the origin; the district is [0, 1000]²):

    * buildings: B1 apartments 20x20 (6 levels), B2 ``building=yes`` + ``amenity=school``
      (levels "3.5"), B3 government, B4 ``yes``, B5 house outside (x 1100), B6 straddling the
      east edge with its centre inside (x 980–1010);
    * parks: P1 park 200x200 (G12 by size), P2 park 400x300 (G11), P3 park 50x50 (G14),
      P4 private garden (dropped), P5 square (G3), P6 botanical garden (G13), P7 park 2 km
      east (beyond a 500 m margin), P8 park at x 1100–1150 (inside the margin);
    * residential land: R1 100x100 way, R2 multipolygon 100x100 with a 20x20 hole;
    * entrances: main entrance and a gate on P1's outline, a gate on no park, an entrance on B1;
    * walking network: footway A(0,400)-B(100,400)-C(200,400), residential C-D(200,500),
      footway E(100,300)-B, motorway (not walkable), footway ``foot=no``, service
      ``access=private``, footway 2 km east;
    * charging stations C1–C4 (nodes) and C5 (closed way); bus stops, recycling, facilities.
    """
    b = OsmBuilder()
    ids: dict[str, int] = {}
    ids["B1"] = b.box(10, 10, 30, 30, building="apartments", building__levels="6")
    ids["B2"] = b.box(40, 10, 60, 30, building="yes", amenity="school", building__levels="3.5")
    ids["B3"] = b.box(70, 10, 90, 30, building="government")
    ids["B4"] = b.box(100, 10, 110, 20, building="yes")
    ids["B5"] = b.box(1100, 10, 1120, 30, building="house")
    ids["B6"] = b.box(980, 10, 1010, 30, building="retail")
    ring = b.ring(100, 100, 300, 300)  # P1 corners (100,100) (300,100) (300,300) (100,300)
    mid_south = b.node(200, 100)
    ring = [ring[0], mid_south, *ring[1:]]
    ids["P1"] = b.way(ring, leisure="park", name="一号公园")
    ids["P2"] = b.box(400, 600, 800, 900, leisure="park")
    ids["P3"] = b.box(400, 100, 450, 150, leisure="park")
    ids["P4"] = b.box(500, 100, 550, 150, leisure="garden", access="private")
    ids["P5"] = b.box(600, 100, 640, 140, place="square")
    ids["P6"] = b.box(700, 100, 760, 150, leisure="garden", garden__type="botanical")
    ids["P7"] = b.box(3000, 100, 3100, 200, leisure="park")
    ids["P8"] = b.box(1100, 500, 1150, 550, leisure="park")
    ids["R1"] = b.box(0, 500, 100, 600, landuse="residential")
    outer = b.way(b.ring(600, 300, 700, 400))
    inner = b.way(b.ring(640, 340, 660, 360))
    ids["R2"] = b.relation(1, [("w", outer, "outer"), ("w", inner, "inner")],
                           type="multipolygon", landuse="residential")
    b.tag(mid_south, entrance="main")
    ids["E_main"] = mid_south
    ids["E_gate"] = ring[2]  # corner (300, 100) of P1
    b.tag(ids["E_gate"], barrier="gate")
    ids["E_nowhere"] = b.node(500, 500, barrier="gate")
    b1_corner = b.ways[ids["B1"]][0][0]
    b.tag(b1_corner, entrance="yes")
    ids["E_building"] = b1_corner
    a, bb, c = b.node(0, 400), b.node(100, 400), b.node(200, 400)
    d, e = b.node(200, 500), b.node(100, 300)
    ids["A"], ids["B"], ids["C"], ids["D"], ids["E"] = a, bb, c, d, e
    ids["W1"] = b.way([a, bb, c], highway="footway")
    ids["W2"] = b.way([c, d], highway="residential")
    ids["W3"] = b.way([e, bb], highway="footway")
    ids["W4"] = b.way([b.node(0, 800), b.node(300, 800)], highway="motorway")
    ids["W5"] = b.way([b.node(0, 850), b.node(300, 850)], highway="footway", foot="no")
    ids["W6"] = b.way([b.node(0, 870), b.node(300, 870)], highway="service", access="private")
    ids["W7"] = b.way([b.node(3000, 400), b.node(3100, 400)], highway="footway")
    ids["C1"] = b.node(300, 450, amenity="charging_station", socket__type2="4",
                       socket__type2_combo="2")
    ids["C2"] = b.node(320, 450, amenity="charging_station", capacity="3", access="customers")
    ids["C3"] = b.node(340, 450, amenity="charging_station", socket__chademo="2",
                       socket__type2_combo="2", capacity="2")
    ids["C4"] = b.node(360, 450, amenity="charging_station", socket__type2="yes")
    ids["C5"] = b.box(380, 440, 400, 460, amenity="charging_station", access="private",
                      socket__type2="2", socket__type2__output="22 kW")
    ids["S1"] = b.node(500, 450, highway="bus_stop", name="一号站")
    ids["S2"] = b.node(520, 450, public_transport="platform", bus="yes")
    ids["S3"] = b.node(540, 450, public_transport="stop_position", bus="yes")
    ids["K1"] = b.node(600, 450, amenity="recycling")
    ids["K2"] = b.node(620, 450, amenity="waste_basket")
    ids["F_school"] = b.node(800, 450, amenity="school")
    ids["F_kg"] = b.box(820, 440, 840, 460, amenity="kindergarten")
    ids["F_clinic"] = b.node(860, 450, amenity="clinic")
    ids["F_market"] = b.node(880, 450, amenity="marketplace")
    ids["F_elderly"] = b.node(900, 450, amenity="social_facility",
                              social_facility="nursing_home")
    ids["F_pitch"] = b.box(920, 440, 940, 460, leisure="pitch")
    ids["F_none"] = b.node(960, 450, amenity="restaurant")
    return b.write(path), ids
