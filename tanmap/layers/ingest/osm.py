"""Import OpenStreetMap extracts (OSM PBF) as tanmap layers: read with pyosmium, map the tags.

One pass over the file (pyosmium's ``FileProcessor``: node locations and multipolygon areas are
assembled in C++; only objects with a tag of interest reach Python) gives the raw features. Their
tags are mapped to tanmap layer kinds by a :class:`TagTable` (the default is
:data:`DEFAULT_TAG_TABLE`; a YAML file can replace any of its sections), areas and lengths are
computed in the district's planning CRS (metres), and the result is clipped to the district:

=====================================  =============================================================
kinds                                  kept when
=====================================  =============================================================
building                               its representative point lies in the district (a building
                                       belongs to exactly one district)
residential_land                       it intersects the district (coverage clips it further)
park, park_entrance, charging_station,  it intersects the district buffered by ``margin_m`` (a park
bus_stop, recycling_point,             across the border still serves residents inside; the metric
living_circle_facility, walk_network   runner loads neighbours within its ``MetricDef.margin_m``)
=====================================  =============================================================

Features are kept whole, never cut, so a park's area (and its size tier) is that of the whole
park. Every feature carries ``status = "existing"`` and ``source`` = :data:`OSM_ATTRIBUTION`
plus the file name: OpenStreetMap data is licensed under the ODbL 1.0 and must be credited
"© OpenStreetMap contributors" wherever it is shown.
"""

from __future__ import annotations

import itertools
import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml

from tanmap.geo.crs import Bounds
from tanmap.geo.errors import DataFormatError, MissingDependencyError
from tanmap.layers.kinds import SPECS, LayerKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from shapely.geometry.base import BaseGeometry

    from tanmap.layers.store.base import LayerVersion, Store

__all__ = [
    "DEFAULT_TAG_TABLE",
    "ENTRANCE_SNAP_M",
    "OSM_ATTRIBUTION",
    "OSM_KINDS",
    "OSM_LICENCE",
    "OsmImport",
    "TagTable",
    "charging_piles",
    "default_margin_m",
    "extract_bounds",
    "extract_district",
    "import_osm",
    "load_tag_table",
    "osm_layers",
    "osm_source",
    "read_osm",
    "tag_table",
]

#: The credit OpenStreetMap's licence asks for (https://www.openstreetmap.org/copyright).
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
#: The licence of OpenStreetMap data: Open Database License 1.0.
OSM_LICENCE = "ODbL 1.0"

#: The layer kinds an OSM import can fill, in writing order.
OSM_KINDS: tuple[LayerKind, ...] = (
    LayerKind.BUILDING,
    LayerKind.RESIDENTIAL_LAND,
    LayerKind.PARK,
    LayerKind.PARK_ENTRANCE,
    LayerKind.WALK_NETWORK,
    LayerKind.CHARGING_STATION,
    LayerKind.BUS_STOP,
    LayerKind.RECYCLING_POINT,
    LayerKind.LIVING_CIRCLE_FACILITY,
)

#: An entrance node counts for a park when it lies within this distance (m) of the park's
#: outline; nodes shared with the outline are at ~0 m, the tolerance absorbs rounding.
ENTRANCE_SNAP_M = 0.5

#: Column that must agree for a node inside an area to count as the same facility.
_SAME_FACILITY = {LayerKind.LIVING_CIRCLE_FACILITY: "facility_type"}

# Clipping rule per kind (see the module docstring).
_INSIDE_POINT = frozenset({LayerKind.BUILDING})
_INTERSECTS_DISTRICT = frozenset({LayerKind.RESIDENTIAL_LAND})

#: The default tag -> class table. Each rule is ``[match, value]``; ``match`` is
#: ``key=value`` (``key=*`` for any value), several joined by ``;`` must all hold; the first
#: matching rule wins. A YAML file given to :func:`load_tag_table` replaces whole sections.
DEFAULT_TAG_TABLE: dict[str, Any] = {
    # building use (建筑类别, the NEA 2021 rooftop-PV pilot categories): tags on the building
    # itself; a building that matches no rule is "other".
    "building_use": [
        ["office=government", "party_gov"], ["amenity=townhall", "party_gov"],
        ["building=government", "party_gov"],
        ["amenity=school", "public"], ["amenity=kindergarten", "public"],
        ["amenity=university", "public"], ["amenity=college", "public"],
        ["amenity=hospital", "public"], ["amenity=clinic", "public"],
        ["amenity=library", "public"], ["amenity=community_centre", "public"],
        ["building=school", "public"], ["building=kindergarten", "public"],
        ["building=university", "public"], ["building=college", "public"],
        ["building=hospital", "public"], ["building=public", "public"],
        ["building=civic", "public"], ["building=train_station", "public"],
        ["building=transportation", "public"], ["building=sports_hall", "public"],
        ["building=museum", "public"],
        ["building=residential", "residential"], ["building=apartments", "residential"],
        ["building=house", "residential"], ["building=detached", "residential"],
        ["building=semidetached_house", "residential"], ["building=terrace", "residential"],
        ["building=dormitory", "residential"], ["building=bungalow", "residential"],
        ["building=commercial", "commercial_industrial"],
        ["building=industrial", "commercial_industrial"],
        ["building=office", "commercial_industrial"],
        ["building=retail", "commercial_industrial"],
        ["building=warehouse", "commercial_industrial"],
        ["building=supermarket", "commercial_industrial"],
        ["building=factory", "commercial_industrial"],
        ["building=manufacture", "commercial_industrial"],
        ["building=hotel", "commercial_industrial"],
    ],
    # park class (绿地分类, GB/T 51346-2019 / CJJ/T 85-2017 G1 公园绿地, G3 广场用地);
    # "by_size" takes the class from park_size_tiers_m2.
    "park_class": [
        ["leisure=garden;garden:type=botanical", "G13"], ["tourism=zoo", "G13"],
        ["leisure=park", "by_size"], ["leisure=garden", "G14"],
        ["landuse=recreation_ground", "G12"], ["landuse=village_green", "G14"],
        ["place=square", "G3"], ["highway=pedestrian;area=yes", "G3"],
        ["highway=pedestrian;type=multipolygon", "G3"],
    ],
    # Not public green space: dropped from the park layer (private gardens are very common).
    "park_excluded": ["access=private", "access=no"],
    # CJJ/T 85-2017 table 2.0.4: 综合公园 G11 "规模宜大于10hm²", 社区公园 G12 "规模宜大于1hm²",
    # smaller parks are 游园 G14. [class, minimum area m²], largest first.
    "park_size_tiers_m2": [["G11", 100000.0], ["G12", 10000.0], ["G14", 0.0]],
    "residential_land": ["landuse=residential"],
    # Entrance candidates; kept only on a park's outline (ENTRANCE_SNAP_M).
    "park_entrance": ["entrance=*", "barrier=gate", "barrier=entrance"],
    # The walkable network: highway values walked on, tags that open or close a way to walkers.
    "walk_highways": [
        "footway", "pedestrian", "path", "steps", "living_street", "residential", "service",
        "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
        "primary_link", "track", "cycleway", "corridor", "bridleway", "road",
    ],
    "walk_open": ["foot=yes", "foot=designated", "foot=permissive"],
    "walk_closed": ["foot=no", "access=no", "access=private", "area=yes"],
    # Charging: socket type (socket:<type>=<count>) -> fast (直流快充, DC) / slow (交流慢充, AC).
    "charging_sockets": {
        "type2_combo": "fast", "type1_combo": "fast", "chademo": "fast", "gb_dc": "fast",
        "tesla_supercharger": "fast", "tesla_supercharger_ccs": "fast", "nacs": "fast",
        "type2": "slow", "type2_cable": "slow", "type1": "slow", "gb_ac": "slow",
        "schuko": "slow", "tesla_destination": "slow", "type3c": "slow", "cee_blue": "slow",
    },
    # access=* -> public / dedicated (专用) / private; OSM's default when untagged is public.
    "charging_access": {
        "": "public", "yes": "public", "public": "public", "permissive": "public",
        "customers": "dedicated", "permit": "dedicated", "designated": "dedicated",
        "destination": "dedicated", "delivery": "dedicated",
        "private": "private", "no": "private",
    },
    "charging_station": ["amenity=charging_station"],
    "bus_stop": ["highway=bus_stop", "public_transport=platform;bus=yes", "amenity=bus_station"],
    "recycling_point": ["amenity=recycling"],
    # GB 50180-2018 配套设施 of the living circles (生活圈) -> facility_type.
    "living_circle_facility": [
        ["amenity=school", "school"], ["amenity=kindergarten", "kindergarten"],
        ["amenity=clinic", "clinic"], ["amenity=doctors", "clinic"],
        ["healthcare=clinic", "clinic"], ["healthcare=centre", "clinic"],
        ["amenity=marketplace", "market"], ["shop=greengrocer", "market"],
        ["shop=supermarket", "market"],
        ["amenity=nursing_home", "elderly_care"],
        ["amenity=social_facility;social_facility=nursing_home", "elderly_care"],
        ["amenity=social_facility;social_facility=assisted_living", "elderly_care"],
        ["amenity=social_facility;social_facility:for=senior", "elderly_care"],
        ["leisure=pitch", "sports_ground"], ["leisure=sports_centre", "sports_ground"],
        ["leisure=stadium", "sports_ground"], ["leisure=track", "sports_ground"],
        ["leisure=fitness_station", "sports_ground"],
    ],
}

_Match = tuple[tuple[str, str | None], ...]  # ((key, value or None = any), ...)


def _parse_match(text: Any, section: str) -> _Match:
    if not isinstance(text, str) or not text.strip():
        raise DataFormatError(
            f"OSM tag table section {section!r}: rule {text!r} is not a 'key=value' string; "
            "write e.g. 'leisure=park' or 'entrance=*'"
        )
    out = []
    for part in text.split(";"):
        key, sep, value = part.strip().partition("=")
        if not sep or not key.strip() or not value.strip():
            raise DataFormatError(
                f"OSM tag table section {section!r}: {part.strip()!r} in rule {text!r} is not "
                "'key=value'; write e.g. 'leisure=park' or 'entrance=*'"
            )
        out.append((key.strip(), None if value.strip() == "*" else value.strip()))
    return tuple(out)


def _matches(match: _Match, tags: Mapping[str, str]) -> bool:
    for key, value in match:
        have = tags.get(key)
        if have is None or (value is not None and have != value):
            return False
    return True


@dataclass(frozen=True)
class TagTable:
    """How OSM tags become tanmap classes; built by :func:`tag_table` from a mapping.

    中文：OSM 标签映射表（建筑类别、绿地分类、充电桩快慢充、生活圈设施等）。

    Every rule tuple is ``(match, value)``, first match wins (see :data:`DEFAULT_TAG_TABLE`).
    """

    building_use: tuple[tuple[_Match, str], ...]
    park_class: tuple[tuple[_Match, str], ...]
    park_excluded: tuple[_Match, ...]
    park_size_tiers_m2: tuple[tuple[str, float], ...]
    residential_land: tuple[_Match, ...]
    park_entrance: tuple[_Match, ...]
    walk_highways: frozenset[str]
    walk_open: tuple[_Match, ...]
    walk_closed: tuple[_Match, ...]
    charging_sockets: Mapping[str, str]
    charging_access: Mapping[str, str]
    charging_station: tuple[_Match, ...]
    bus_stop: tuple[_Match, ...]
    recycling_point: tuple[_Match, ...]
    living_circle_facility: tuple[tuple[_Match, str], ...]
    keys: frozenset[str] = field(default=frozenset())

    def first(self, rules: Sequence[tuple[_Match, str]], tags: Mapping[str, str]) -> str | None:
        """Return the value of the first rule in ``rules`` that ``tags`` match, or None."""
        for match, value in rules:
            # The first key's membership test is inline: most rules fail on it, cheaply.
            if match[0][0] in tags and _matches(match, tags):
                return value
        return None

    @staticmethod
    def any(matches: Iterable[_Match], tags: Mapping[str, str]) -> bool:
        """Return whether ``tags`` match any of ``matches``."""
        return any(m[0][0] in tags and _matches(m, tags) for m in matches)

    def walkable(self, tags: Mapping[str, str]) -> bool:
        """Return whether a way with ``tags`` belongs to the walkable network."""
        if "highway" not in tags:
            return False
        if self.any(self.walk_closed, tags) and not self.any(self.walk_open, tags):
            return False
        return tags["highway"] in self.walk_highways or self.any(self.walk_open, tags)


def _rules(
    raw: Any, section: str, allowed: Sequence[str] | None
) -> tuple[tuple[_Match, str], ...]:
    if not isinstance(raw, list):
        raise DataFormatError(f"OSM tag table section {section!r} must be a list of "
                              f"[match, value] pairs, got {type(raw).__name__}")
    out = []
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            raise DataFormatError(f"OSM tag table section {section!r}: {item!r} is not a "
                                  "[match, value] pair, e.g. ['leisure=park', 'G12']")
        value = str(item[1])
        if allowed is not None and value not in allowed:
            raise DataFormatError(f"OSM tag table section {section!r}: value {value!r} of rule "
                                  f"{item[0]!r} is not one of {', '.join(allowed)}")
        out.append((_parse_match(item[0], section), value))
    return tuple(out)


def _matchers(raw: Any, section: str) -> tuple[_Match, ...]:
    if not isinstance(raw, list):
        raise DataFormatError(f"OSM tag table section {section!r} must be a list of "
                              f"'key=value' strings, got {type(raw).__name__}")
    return tuple(_parse_match(m, section) for m in raw)


def _choices(kind: LayerKind, name: str) -> tuple[str, ...]:
    choices = SPECS[kind].get_field(name).choices
    return choices if choices is not None else ()


def tag_table(overrides: Mapping[str, Any] | None = None) -> TagTable:
    """Return the tag table: :data:`DEFAULT_TAG_TABLE` with whole sections replaced.

    中文：生成 OSM 标签映射表（可按节覆盖默认表）。

    Parameters
    ----------
    overrides
        Section name -> new content, in the shape of :data:`DEFAULT_TAG_TABLE`.

    Raises
    ------
    DataFormatError
        For an unknown section, a malformed rule or a class the layer kind does not allow.

    Examples
    --------
    >>> table = tag_table({"park_class": [["leisure=park", "G12"]]})
    >>> table.first(table.park_class, {"leisure": "park", "name": "X"})
    'G12'
    >>> table.first(table.park_class, {"leisure": "garden"}) is None
    True
    """
    unknown = sorted(set(overrides or {}) - set(DEFAULT_TAG_TABLE))
    if unknown:
        raise DataFormatError(
            f"OSM tag table: unknown section(s) {', '.join(unknown)}; known sections: "
            f"{', '.join(DEFAULT_TAG_TABLE)}"
        )
    raw = {**DEFAULT_TAG_TABLE, **(overrides or {})}
    park_classes = _choices(LayerKind.PARK, "park_class")
    tiers = []
    for item in raw["park_size_tiers_m2"]:
        try:
            cls, minimum = str(item[0]), float(item[1])
        except (TypeError, ValueError, IndexError) as err:
            raise DataFormatError(f"OSM tag table section 'park_size_tiers_m2': {item!r} is not "
                                  "a [class, minimum m²] pair, e.g. ['G12', 10000]") from err
        if cls not in park_classes or not math.isfinite(minimum) or minimum < 0:
            raise DataFormatError(f"OSM tag table section 'park_size_tiers_m2': {item!r} needs "
                                  f"a class in {', '.join(park_classes)} and a minimum >= 0")
        tiers.append((cls, minimum))
    tiers.sort(key=lambda t: -t[1])
    if not tiers or tiers[-1][1] != 0:
        raise DataFormatError("OSM tag table section 'park_size_tiers_m2' needs a last tier "
                              "with minimum 0 (the class of the smallest parks), e.g. ['G14', 0]")
    sockets = {str(k): str(v) for k, v in dict(raw["charging_sockets"]).items()}
    bad = {k: v for k, v in sockets.items() if v not in ("fast", "slow")}
    if bad:
        raise DataFormatError(f"OSM tag table section 'charging_sockets': {bad} — every socket "
                              "type maps to 'fast' or 'slow'")
    access = {str(k): str(v) for k, v in dict(raw["charging_access"]).items()}
    allowed_access = _choices(LayerKind.CHARGING_STATION, "access")
    bad = {k: v for k, v in access.items() if v not in allowed_access}
    if bad:
        raise DataFormatError(f"OSM tag table section 'charging_access': {bad} — values must be "
                              f"one of {', '.join(allowed_access)}")
    table = TagTable(
        building_use=_rules(raw["building_use"], "building_use",
                            _choices(LayerKind.BUILDING, "use_category")),
        park_class=_rules(raw["park_class"], "park_class", (*park_classes, "by_size")),
        park_excluded=_matchers(raw["park_excluded"], "park_excluded"),
        park_size_tiers_m2=tuple(tiers),
        residential_land=_matchers(raw["residential_land"], "residential_land"),
        park_entrance=_matchers(raw["park_entrance"], "park_entrance"),
        walk_highways=frozenset(str(v) for v in raw["walk_highways"]),
        walk_open=_matchers(raw["walk_open"], "walk_open"),
        walk_closed=_matchers(raw["walk_closed"], "walk_closed"),
        charging_sockets=sockets,
        charging_access=access,
        charging_station=_matchers(raw["charging_station"], "charging_station"),
        bus_stop=_matchers(raw["bus_stop"], "bus_stop"),
        recycling_point=_matchers(raw["recycling_point"], "recycling_point"),
        living_circle_facility=_rules(
            raw["living_circle_facility"], "living_circle_facility",
            _choices(LayerKind.LIVING_CIRCLE_FACILITY, "facility_type"),
        ),
    )
    keys = {"highway", "building"}
    for rules in (table.building_use, table.park_class, table.living_circle_facility):
        keys |= {m[0][0] for m, _ in rules}
    for matchers in (table.residential_land, table.park_entrance,
                     table.charging_station, table.bus_stop, table.recycling_point):
        keys |= {m[0][0] for m in matchers}
    return TagTable(**{**table.__dict__, "keys": frozenset(keys)})


def load_tag_table(path: str | Path) -> TagTable:
    """Read a YAML file of tag-table sections (see :data:`DEFAULT_TAG_TABLE`) and build the table.

    中文：读取 OSM 标签映射 YAML 文件。

    Raises
    ------
    DataFormatError
        If the file is not YAML, not a mapping, or a section is malformed.
    FileNotFoundError
        If the file does not exist.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise DataFormatError(f"{path}: not a valid YAML file ({err})") from err
    if not isinstance(data, dict):
        raise DataFormatError(f"{path}: expected a mapping of tag-table sections, e.g. "
                              "'park_class: [[leisure=park, G12]]'")
    try:
        return tag_table(data)
    except DataFormatError as err:
        raise DataFormatError(f"{path}: {err}") from err


# --------------------------------------------------------------------------- tag values

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*$")
_POWER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(kw|w|mw)?\s*$", re.IGNORECASE)
_POWER_FACTOR_KW = {"kw": 1.0, "w": 0.001, "mw": 1000.0}


def _count(value: str | None) -> int | None:
    """Return a non-negative integer tag value, or None for absent/``yes``/unparseable."""
    if value is None:
        return None
    m = _NUMBER.match(value)
    if m is None:
        return None
    number = float(m.group(1))
    return int(number) if number.is_integer() else None


def _power_kw(value: str | None) -> float | None:
    if value is None:
        return None
    m = _POWER.match(value)
    if m is None:
        return None
    return float(m.group(1)) * _POWER_FACTOR_KW[(m.group(2) or "kw").lower()]


def charging_piles(
    tags: Mapping[str, str], table: TagTable | None = None
) -> tuple[int | None, int | None, float | None]:
    """Return (fast piles, slow piles, total power kW) from a charging station's tags.

    中文：由 OSM 充电站标签推算快充桩、慢充桩数与总功率（标签不明则为空，不报错）。

    ``socket:<type>=<n>`` gives n sockets of a type, which the table's ``charging_sockets`` calls
    fast (DC, 直流快充) or slow (AC). ``capacity`` (vehicles charging at once) caps the count of a
    station with one kind only (a pile often carries several connectors). Whatever the tags do
    not say stays None: no socket tag, an unknown socket type, a count of ``yes``, or a mixed
    station whose sockets outnumber its capacity. ``socket:<type>:output`` (``"50 kW"``) gives
    the power when every socket has it.

    Examples
    --------
    >>> charging_piles({"socket:type2": "4", "socket:chademo": "2"})
    (2, 4, None)
    >>> charging_piles({"socket:type2_combo": "2", "socket:chademo": "2", "capacity": "2"})
    (2, 0, None)
    >>> charging_piles({"capacity": "6"})
    (None, None, None)
    >>> charging_piles({"socket:type2": "2", "socket:type2:output": "22 kW"})
    (0, 2, 44.0)
    >>> charging_piles({"socket:type2": "yes", "socket:chademo": "1"})
    (1, None, None)
    """
    table = table or tag_table()
    counts = {"fast": 0, "slow": 0}
    known = {"fast": True, "slow": True}
    power_kw: float | None = 0.0
    seen = False
    for key, value in tags.items():
        parts = key.split(":")
        if len(parts) != 2 or parts[0] != "socket":
            continue
        seen = True
        speed = table.charging_sockets.get(parts[1])
        n = _count(value)
        if speed is None:  # a socket type the table does not know: neither side is certain
            known = {"fast": False, "slow": False}
            continue
        if n is None:
            known[speed] = False
            power_kw = None
            continue
        counts[speed] += n
        out_kw = _power_kw(tags.get(f"{key}:output"))
        if out_kw is None:
            power_kw = None
        elif power_kw is not None:
            power_kw += n * out_kw
    if not seen:
        return None, None, _power_kw(tags.get("charging_station:output"))
    fast = counts["fast"] if known["fast"] else None
    slow = counts["slow"] if known["slow"] else None
    capacity = _count(tags.get("capacity"))
    if capacity is not None and fast is not None and slow is not None and fast + slow > capacity:
        if slow == 0:
            fast = capacity
        elif fast == 0:
            slow = capacity
        else:
            fast = slow = None
    if not (known["fast"] and known["slow"]):
        power_kw = None
    return fast, slow, power_kw if power_kw else None


def _levels(value: str | None) -> int | None:
    n = _count(value)
    return n if n is not None and n <= 200 else None


# --------------------------------------------------------------------------- reading


@dataclass
class _Raw:
    """Features collected in one pass, geometry in lon/lat, classes not yet size-resolved."""

    rows: dict[LayerKind, list[dict[str, Any]]] = field(
        default_factory=lambda: {k: [] for k in OSM_KINDS if k is not LayerKind.WALK_NETWORK}
    )
    ways: list[tuple[int, str, array[int], array[float], array[float]]] = field(
        default_factory=list)
    entrances: list[dict[str, Any]] = field(default_factory=list)


def _require_osmium() -> Any:
    try:
        import osmium
    except ModuleNotFoundError as err:  # pragma: no cover - osmium is a core dependency
        raise MissingDependencyError(
            "reading OSM PBF files needs pyosmium: pip install osmium"
        ) from err
    return osmium


def extract_bounds(path: str | Path) -> Bounds:
    """Return the bounding box a PBF's header declares (lon/lat), else the extent of its nodes.

    中文：OSM 数据文件的范围（经纬度）。

    Raises
    ------
    DataFormatError
        If the file cannot be read as OSM data or holds no node.
    """
    osmium = _require_osmium()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        box = reader.header().box()
        reader.close()
        if box.valid():
            return Bounds(box.bottom_left.lon, box.bottom_left.lat,
                          box.top_right.lon, box.top_right.lat)
        lons, lats = [], []
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if not node.location.valid():
                continue
            lons.append(node.location.lon)
            lats.append(node.location.lat)
    except RuntimeError as err:
        raise DataFormatError(f"{path}: not a readable OSM file ({err})") from err
    if not lons:
        raise DataFormatError(f"{path}: holds no node, so it has no extent")
    return Bounds(min(lons), min(lats), max(lons), max(lats))


def _scan(path: Path, table: TagTable, kinds: frozenset[LayerKind]) -> _Raw:
    """Read the file once; keep the features of ``kinds`` with lon/lat shapely geometry."""
    osmium = _require_osmium()
    raw = _Raw()
    wkb = osmium.geom.WKBFactory()
    want_network = LayerKind.WALK_NETWORK in kinds
    want_entrances = LayerKind.PARK_ENTRANCE in kinds
    geometry_errors = (RuntimeError, osmium.InvalidLocationError)
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas()
        .with_filter(osmium.filter.KeyFilter(*sorted(table.keys)))
    )
    for obj in processor:
        if obj.is_relation():
            continue  # multipolygons come back as areas
        if obj.is_way():
            # Closed ways come back as areas too; a way matters here only as a walkable path.
            if not want_network or obj.tags.get("highway") is None:
                continue
            tags = {t.k: t.v for t in obj.tags}
            if table.walkable(tags):
                # Typed arrays, not lists: 8 bytes a value instead of a Python object.
                ids, lons, lats = array("q"), array("d"), array("d")
                for n in obj.nodes:
                    if n.location.valid():
                        ids.append(n.ref)
                        lons.append(n.location.lon)
                        lats.append(n.location.lat)
                raw.ways.append((obj.id, tags["highway"], ids, lons, lats))
            continue
        if obj.is_node() and not obj.location.valid():
            continue  # a node without coordinates (e.g. a deleted one) has no place on a map
        tags = {t.k: t.v for t in obj.tags}
        if obj.is_node():
            osm_id = f"n{obj.id}"
            make = None
            if want_entrances and table.any(table.park_entrance, tags):
                raw.entrances.append({
                    "id": osm_id, "name": tags.get("name"),
                    "entrance_type": _entrance_type(tags),
                    "geometry": shapely.Point(obj.location.lon, obj.location.lat),
                })
        else:  # an area: a closed way or a multipolygon relation
            osm_id = f"{'w' if obj.from_way() else 'r'}{obj.orig_id()}"
            make = obj
        _classify(raw, kinds, table, tags, osm_id, obj, make, wkb, geometry_errors)
    return raw


def _entrance_type(tags: Mapping[str, str]) -> str:
    if "entrance" in tags:
        return f"entrance={tags['entrance']}"
    return f"barrier={tags.get('barrier', '')}"


def _classify(raw: _Raw, kinds: frozenset[LayerKind], table: TagTable, tags: dict[str, str],
              osm_id: str, obj: Any, area: Any, wkb: Any,
              geometry_errors: tuple[type[BaseException], ...]) -> None:
    """Add the feature to every kind it belongs to (a school building is also a facility)."""
    found: list[tuple[LayerKind, dict[str, Any]]] = []
    name = tags.get("name")
    if area is not None:
        if LayerKind.BUILDING in kinds and "building" in tags and tags["building"] != "no":
            found.append((LayerKind.BUILDING, {
                "use_category": table.first(table.building_use, tags) or "other",
                "floors": _levels(tags.get("building:levels")),
            }))
        if LayerKind.PARK in kinds and not table.any(table.park_excluded, tags):
            park_class = table.first(table.park_class, tags)
            if park_class is not None:
                access = tags.get("access")
                found.append((LayerKind.PARK, {
                    "park_class": park_class,
                    "open_access": True if access in ("yes", "public", "permissive") else None,
                }))
        if LayerKind.RESIDENTIAL_LAND in kinds and table.any(table.residential_land, tags):
            found.append((LayerKind.RESIDENTIAL_LAND, {}))
    if LayerKind.CHARGING_STATION in kinds and table.any(table.charging_station, tags):
        fast, slow, power_kw = charging_piles(tags, table)
        access = table.charging_access.get(tags.get("access", ""), "public")
        found.append((LayerKind.CHARGING_STATION, {
            "access": access, "fast_piles": fast, "slow_piles": slow, "power_kw": power_kw,
        }))
    if LayerKind.BUS_STOP in kinds and table.any(table.bus_stop, tags):
        found.append((LayerKind.BUS_STOP, {}))
    if LayerKind.RECYCLING_POINT in kinds and table.any(table.recycling_point, tags):
        found.append((LayerKind.RECYCLING_POINT, {}))
    if LayerKind.LIVING_CIRCLE_FACILITY in kinds:
        for match, facility in table.living_circle_facility:
            if match[0][0] in tags and _matches(match, tags):
                tag = ";".join(f"{k}={v if v is not None else '*'}" for k, v in match)
                found.append((LayerKind.LIVING_CIRCLE_FACILITY,
                              {"facility_type": facility, "osm_tag": tag}))
                break
    if not found:
        return
    if area is None:
        geom: BaseGeometry = shapely.Point(obj.location.lon, obj.location.lat)
    else:
        try:
            geom = shapely.from_wkb(wkb.create_multipolygon(area))
        except geometry_errors:  # an area osmium could not build: skip it, as osmium does
            return
    for kind, attrs in found:
        raw.rows[kind].append({"id": osm_id, "name": name, "geometry": geom, **attrs})


# --------------------------------------------------------------------------- layers


@dataclass(frozen=True)
class OsmImport:
    """The layers made from one OSM file for one district, ready for ``Store.write_many``.

    中文：OSM 导入结果（各图层、来源说明、各类要素数）。
    """

    layers: dict[LayerKind, gpd.GeoDataFrame]
    source: str
    counts: dict[LayerKind, int]
    dropped_outside: dict[LayerKind, int]
    skipped_invalid: dict[LayerKind, int] = field(default_factory=dict)
    merged_duplicates: dict[LayerKind, int] = field(default_factory=dict)


def osm_source(path: str | Path) -> str:
    """Return the source text every OSM-derived feature and layer version carries.

    Examples
    --------
    >>> osm_source("/data/Helsinki.osm.pbf")
    'OpenStreetMap Helsinki.osm.pbf (© OpenStreetMap contributors, ODbL 1.0)'
    """
    return f"OpenStreetMap {Path(path).name} ({OSM_ATTRIBUTION}, {OSM_LICENCE})"


def read_osm(
    path: str | Path,
    *,
    kinds: Iterable[LayerKind | str] = OSM_KINDS,
    table: TagTable | None = None,
) -> dict[LayerKind, gpd.GeoDataFrame]:
    """Read an OSM file into raw per-kind frames (EPSG:4326, unclipped, no areas or lengths).

    中文：读取 OSM 数据（未裁剪、未计算面积与长度）。

    Parks hold ``park_class = "by_size"`` where the table says so; the walking network is one
    row per OSM way with ``node_ids``; :func:`osm_layers` finishes both.

    Raises
    ------
    DataFormatError
        If the file cannot be read as OSM data (PBF, XML, ...).
    FileNotFoundError
        If the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    wanted = frozenset(LayerKind(k) for k in kinds)
    unknown = sorted(k.value for k in wanted - set(OSM_KINDS))
    if unknown:
        raise DataFormatError(f"an OSM import cannot fill {', '.join(unknown)}; it fills "
                              f"{', '.join(k.value for k in OSM_KINDS)}")
    table = table or tag_table()
    try:
        raw = _scan(path, table, wanted)
    except RuntimeError as err:
        raise DataFormatError(
            f"{path}: not a readable OSM file ({err}); give an .osm.pbf (or .osm) extract"
        ) from err
    frames: dict[LayerKind, gpd.GeoDataFrame] = {}
    for kind, rows in raw.rows.items():
        if kind in wanted:
            frames[kind] = _frame(rows, ["id", "name"])
    if LayerKind.PARK_ENTRANCE in wanted:
        frames[LayerKind.PARK_ENTRANCE] = _frame(raw.entrances, ["id", "name", "entrance_type"])
    if LayerKind.WALK_NETWORK in wanted:
        frames[LayerKind.WALK_NETWORK] = _ways_frame(raw.ways)
    return frames


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in columns},
                                geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def _ways_frame(ways: list[tuple[int, str, array[int], array[float], array[float]]]
                ) -> gpd.GeoDataFrame:
    """One row per walkable way: way id, highway, node ids and the lon/lat line."""
    usable = [w for w in ways if len(w[2]) >= 2]
    lines = [shapely.linestrings(np.column_stack([w[3], w[4]])) for w in usable]
    return gpd.GeoDataFrame(
        {"way_id": [w[0] for w in usable], "highway": [w[1] for w in usable],
         "node_ids": [np.frombuffer(w[2], dtype=np.int64) for w in usable]},
        geometry=gpd.GeoSeries(lines, crs=4326), crs=4326,
    )


def _network_edges(ways: gpd.GeoDataFrame, planning_epsg: int) -> gpd.GeoDataFrame:
    """Split walkable ways at junctions into edges; lengths in metres in the planning CRS.

    A junction is a node shared by two ways (or used twice by one way); each edge runs between
    consecutive junctions or way ends, so the edges form a graph on OSM node ids.
    """
    crs = f"EPSG:{planning_epsg}"
    if ways.empty:
        return gpd.GeoDataFrame({"id": [], "highway": [], "from_node": [], "to_node": [],
                                 "length_m": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    uses = Counter(int(n) for ids in ways["node_ids"] for n in ids)
    projected = ways.geometry.to_crs(crs)
    coords_all = shapely.get_coordinates(projected.to_numpy())
    sizes = shapely.get_num_coordinates(projected.to_numpy())
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ids, highway, from_node, to_node, parts, part_of = [], [], [], [], [], []
    for (way_id, hw, node_ids), start in zip(
        ways[["way_id", "highway", "node_ids"]].itertuples(index=False, name=None), starts,
        strict=True,
    ):
        cut = [0] + [i for i in range(1, len(node_ids) - 1) if uses[int(node_ids[i])] > 1]
        cut.append(len(node_ids) - 1)
        for seq, (a, b) in enumerate(itertools.pairwise(cut)):
            ids.append(f"w{way_id}-{seq}")
            highway.append(hw)
            from_node.append(int(node_ids[a]))
            to_node.append(int(node_ids[b]))
            parts.append(np.arange(start + a, start + b + 1))
            part_of.append(len(parts) - 1)
    index = np.concatenate(parts)
    owner = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
    lines = shapely.linestrings(coords_all[index], indices=owner)
    return gpd.GeoDataFrame(
        {"id": ids, "highway": highway, "from_node": from_node, "to_node": to_node,
         "length_m": shapely.length(lines)},
        geometry=gpd.GeoSeries(lines, crs=crs), crs=crs,
    )


def _park_classes(parks: gpd.GeoDataFrame, table: TagTable) -> pd.Series:
    """Resolve ``by_size`` park classes from the area (m², planning CRS) and the size tiers."""
    cls = parks["park_class"].astype(object).copy()
    by_size = cls == "by_size"
    if by_size.any():
        areas = parks.loc[by_size, "area_m2"].to_numpy()
        resolved = np.full(len(areas), table.park_size_tiers_m2[-1][0], dtype=object)
        for tier, minimum in reversed(table.park_size_tiers_m2):
            resolved[areas >= minimum] = tier
        cls.loc[by_size] = resolved
    return cls


def osm_layers(
    path: str | Path,
    district_wgs84: BaseGeometry,
    planning_epsg: int,
    *,
    margin_m: float,
    kinds: Iterable[LayerKind | str] = OSM_KINDS,
    table: TagTable | None = None,
) -> OsmImport:
    """Read an OSM file and return the tanmap layers of one district.

    中文：由 OSM 数据生成区县图层（按区县边界及外延距离裁剪；面积、长度按规划坐标系计算）。

    Parameters
    ----------
    path
        An OSM extract (``.osm.pbf``; any format pyosmium reads).
    district_wgs84
        District boundary in lon/lat (EPSG:4326).
    planning_epsg
        The district's planning CRS (metres); areas, lengths and the margin are measured in it.
    margin_m
        How far beyond the district (m) facilities, parks and the walking network are kept.
    kinds
        Which kinds to make (default :data:`OSM_KINDS`).
    table
        Tag table (default :func:`tag_table`).

    Returns
    -------
    OsmImport
        Layers in the planning CRS with the kinds' fields, ``source`` and ``status`` filled;
        empty kinds are included (with ``counts`` 0).

    Raises
    ------
    DataFormatError
        If the file is not OSM data, or ``margin_m`` is negative or not finite.
    """
    if not (math.isfinite(margin_m) and margin_m >= 0):
        raise DataFormatError(f"margin_m must be a finite distance >= 0 (m), got {margin_m!r}")
    table = table or tag_table()
    source = osm_source(path)
    frames = read_osm(path, kinds=kinds, table=table)
    crs = f"EPSG:{planning_epsg}"
    district_m = gpd.GeoSeries([district_wgs84], crs=4326).to_crs(crs).iloc[0]
    clip_m = district_m.buffer(margin_m) if margin_m > 0 else district_m
    shapely.prepare(district_m)
    shapely.prepare(clip_m)
    layers: dict[LayerKind, gpd.GeoDataFrame] = {}
    dropped: dict[LayerKind, int] = {}
    skipped: dict[LayerKind, int] = {}
    duplicates: dict[LayerKind, int] = {}
    for kind, frame in frames.items():
        if kind is LayerKind.WALK_NETWORK:
            frame = _network_edges(frame, planning_epsg)
        else:
            frame = frame.to_crs(crs)
        frame, skipped[kind] = _without_degenerate(frame, SPECS[kind].geometry.value)
        geoms = frame.geometry.to_numpy()
        if kind in _INSIDE_POINT:
            keep = shapely.contains_xy(district_m, *shapely.get_coordinates(
                shapely.point_on_surface(geoms)).T) if len(geoms) else np.zeros(0, bool)
        elif kind in _INTERSECTS_DISTRICT:
            keep = shapely.intersects(district_m, geoms)
        else:
            keep = shapely.intersects(clip_m, geoms)
        dropped[kind] = int((~keep).sum())
        frame = frame[keep].reset_index(drop=True)
        if SPECS[kind].geometry.value == "point" and kind is not LayerKind.PARK_ENTRANCE:
            twin = _nodes_inside_same_areas(frame, _SAME_FACILITY.get(kind))
            duplicates[kind] = int(twin.sum())
            frame = frame[~twin].reset_index(drop=True)
        if SPECS[kind].geometry.value == "point":
            frame = frame.set_geometry(shapely.point_on_surface(frame.geometry.to_numpy()),
                                       crs=crs)
        layers[kind] = frame
    if LayerKind.BUILDING in layers and len(layers[LayerKind.BUILDING]):
        b = layers[LayerKind.BUILDING]
        b["roof_area_m2"] = b.geometry.area  # footprint = horizontal roof area
        # Gross floor area where the levels are tagged: footprint x building:levels.
        b["floor_area_m2"] = b["roof_area_m2"] * pd.to_numeric(b["floors"], errors="coerce")
    for kind in (LayerKind.PARK, LayerKind.RESIDENTIAL_LAND):
        if kind in layers:
            layers[kind]["area_m2"] = layers[kind].geometry.area
    if LayerKind.PARK in layers and len(layers[LayerKind.PARK]):
        layers[LayerKind.PARK]["park_class"] = _park_classes(layers[LayerKind.PARK], table)
    if LayerKind.PARK_ENTRANCE in layers:
        layers[LayerKind.PARK_ENTRANCE] = _entrances_on_parks(
            layers[LayerKind.PARK_ENTRANCE],
            layers.get(LayerKind.PARK, frames.get(LayerKind.PARK)),
            crs,
        )
    for frame in layers.values():
        frame["status"] = "existing"
        frame["source"] = source
    counts = {kind: len(frame) for kind, frame in layers.items()}
    return OsmImport(layers=layers, source=source, counts=counts, dropped_outside=dropped,
                     skipped_invalid=skipped, merged_duplicates=duplicates)


def _nodes_inside_same_areas(frame: gpd.GeoDataFrame, by: str | None) -> np.ndarray:
    """Return which node features lie inside an area feature of the same class.

    One place mapped twice (a school as a node and as its grounds) counts once: the node goes.
    """
    twin = np.zeros(len(frame), dtype=bool)
    if frame.empty:
        return twin
    is_area = ~frame["id"].astype(str).str.startswith("n").to_numpy()
    if not is_area.any() or is_area.all():
        return twin
    areas, nodes = frame[is_area], frame[~is_area]
    n_idx, a_idx = shapely.STRtree(areas.geometry.to_numpy()).query(
        nodes.geometry.to_numpy(), predicate="within")
    if by is not None:
        same = nodes[by].to_numpy()[n_idx] == areas[by].to_numpy()[a_idx]
        n_idx = n_idx[same]
    twin[np.flatnonzero(~is_area)[n_idx]] = True
    return twin


def _without_degenerate(frame: gpd.GeoDataFrame, family: str) -> tuple[gpd.GeoDataFrame, int]:
    """Repair invalid polygons (``make_valid``, polygonal part) and drop what stays degenerate.

    osmium already refuses most broken areas (bow-ties, unclosed rings); this is the safety net
    for what projection or odd mapping leaves: one bad object must not stop an import.
    """
    if family == "point" or frame.empty:
        return frame, 0
    geoms = frame.geometry.to_numpy().copy()
    bad = ~shapely.is_valid(geoms)
    for i in np.flatnonzero(bad):
        parts = shapely.get_parts(shapely.make_valid(geoms[i]))
        keep = [g for g in parts if g.geom_type == ("Polygon" if family == "polygon"
                                                    else "LineString")]
        geoms[i] = shapely.union_all(keep) if keep else shapely.Polygon()
    measure = shapely.area if family == "polygon" else shapely.length
    ok = ~shapely.is_empty(geoms) & (measure(geoms) > 0) & shapely.is_valid(geoms)
    if ok.all():
        return frame.set_geometry(geoms, crs=frame.crs) if bad.any() else frame, 0
    out = frame.set_geometry(geoms, crs=frame.crs)[ok].reset_index(drop=True)
    return out, int((~ok).sum())


def _entrances_on_parks(
    entrances: gpd.GeoDataFrame, parks: gpd.GeoDataFrame | None, crs: str
) -> gpd.GeoDataFrame:
    """Keep the entrance nodes lying on a park outline; ``park_id`` names that park."""
    if parks is None or parks.empty or entrances.empty:
        return entrances.iloc[0:0].assign(park_id=pd.Series([], dtype=object))
    parks = parks.to_crs(crs)
    outlines = shapely.boundary(parks.geometry.to_numpy())
    tree = shapely.STRtree(outlines)
    e_idx, p_idx = tree.query(entrances.geometry.to_numpy(), predicate="dwithin",
                              distance=ENTRANCE_SNAP_M)
    first = pd.Series(p_idx).groupby(e_idx).first()
    out = entrances.iloc[first.index.to_numpy()].copy()
    out["park_id"] = parks["id"].to_numpy()[first.to_numpy()]
    return out.reset_index(drop=True)


def default_margin_m() -> float:
    """Return the import margin (m): the largest ``margin_m`` of the registered metrics.

    Every metric then finds the neighbouring features it would load from the store.
    """
    from tanmap.geo.registry import METRICS

    return max((m.margin_m for m in METRICS.values()), default=0.0)


def import_osm(
    store: Store,
    path: str | Path,
    district: str,
    *,
    kinds: Iterable[LayerKind | str] = OSM_KINDS,
    margin_m: float | None = None,
    table: TagTable | None = None,
    dry_run: bool = False,
) -> tuple[OsmImport, list[LayerVersion]]:
    """Import an OSM file into the layers of ``district``, all layers in one atomic write.

    中文：导入 OSM 数据到区县图层（一次原子写入：全部成功或全部不变）。

    Kinds with no feature in the district are reported (``counts`` 0) and not written: the
    store keeps what it had for them.

    Parameters
    ----------
    store
        The project store; ``district`` must be in it (its boundary and planning CRS are used).
    path
        The OSM extract.
    district
        District code.
    kinds
        Kinds to import (default :data:`OSM_KINDS`).
    margin_m
        Margin beyond the district (m); default :func:`default_margin_m`.
    table
        Tag table (default :func:`tag_table`).
    dry_run
        Build the layers but write nothing.

    Returns
    -------
    tuple
        The :class:`OsmImport` and the layer versions written (empty for a dry run).

    Raises
    ------
    UnknownDistrictError
        If the store has no such district.
    DataFormatError
        If the file is not OSM data.
    LayerValidationError
        If a layer fails its schema; nothing is written.
    """
    row = store.district(district)
    epsg = row["planning_epsg"]
    if epsg is None:
        from tanmap.geo.crs import district_planning_epsg

        epsg = district_planning_epsg(row["geometry"])
    result = osm_layers(path, row["geometry"], int(epsg),
                        margin_m=default_margin_m() if margin_m is None else margin_m,
                        kinds=kinds, table=table)
    to_write: dict[LayerKind | str, gpd.GeoDataFrame] = {
        kind: frame for kind, frame in result.layers.items() if len(frame)
    }
    if not to_write and any(result.dropped_outside.values()):
        west, south, east, north = extract_bounds(path)
        n_outside = sum(n for n in result.dropped_outside.values())
        raise DataFormatError(
            f"{Path(path).name}: none of its {n_outside} features "
            f"lies in district {district} ({row['name']}); the file covers lon {west:.4f}–"
            f"{east:.4f}, lat {south:.4f}–{north:.4f}. Use an extract that covers the district."
        )
    if dry_run or not to_write:
        return result, []
    return result, store.write_many(to_write, district=district, source=result.source)


def extract_district(
    path: str | Path, *, code: str, name: str, name_en: str | None = None
) -> gpd.GeoDataFrame:
    """Return a district row whose boundary is the extent of an OSM extract.

    中文：以 OSM 数据范围作为自定义区县边界（境外数据用 UTM 规划坐标系）。

    For an extract with no usable administrative boundary (relations cut at the extract's edge
    cannot be assembled); the planning CRS is the GK zone in China, the UTM zone elsewhere.

    Raises
    ------
    DataFormatError
        If the file cannot be read or ``code``/``name`` is empty.
    """
    from tanmap.geo.crs import district_planning_epsg

    code, name = str(code).strip(), str(name).strip()
    if not code or not name:
        raise DataFormatError(f"a district needs a code and a name; got {code!r}, {name!r}")
    bounds = extract_bounds(path)
    geom = shapely.box(*bounds)
    return gpd.GeoDataFrame([{
        "adcode": code, "name": name, "name_en": name_en or name, "province": "", "city": "",
        "planning_epsg": district_planning_epsg(geom),
        "source": f"extent (bounding box) of {osm_source(path)}",
        "geometry": geom,
    }], geometry="geometry", crs=4326)
