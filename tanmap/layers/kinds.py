"""Layer kinds (图层类型) and their declarative schemas: the only place kind ids are spelled."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

__all__ = [
    "CHOICE_LABELS",
    "COMMON_FIELDS",
    "SITING_KINDS",
    "SPECS",
    "STATUS_LABELS",
    "ZONE_TYPES",
    "FieldSpec",
    "GeometryFamily",
    "LayerKind",
    "LayerSpec",
    "Status",
    "spec_for",
]

FieldType = Literal["str", "int", "float", "bool"]


class LayerKind(StrEnum):
    """Every kind of layer tanmap holds.

    中文：图层类型。
    """

    DISTRICT = "district"                      # 区（县级行政区）
    SUBDISTRICT = "subdistrict"                # 街道（乡镇）
    COMMUNITY = "community"                    # 社区
    RESIDENTIAL_LAND = "residential_land"      # 居住用地
    BUILDING = "building"                      # 建筑
    PARK = "park"                              # 公园绿地与广场
    POCKET_GARDEN = "pocket_garden"            # 口袋公园
    PV_ROOFTOP = "pv_rooftop"                  # 屋顶光伏
    HEATING_PIPE = "heating_pipe"              # 供热管网
    CHARGING_STATION = "charging_station"      # 充电站/充电桩
    ECO_ZONE = "eco_zone"                      # 生态屏障区
    LAND_COVER = "land_cover"                  # 土地覆盖
    RECYCLING_POINT = "recycling_point"        # 再生资源回收点
    TRANSFER_STATION = "transfer_station"      # 垃圾/再生资源中转站
    GREENWAY = "greenway"                      # 绿道
    ROUTE = "route"                            # 路线（高速公路/国省干线）
    BUS_STOP = "bus_stop"                      # 公交站点
    SPONGE_AREA = "sponge_area"                # 海绵城市达标区
    PARK_ENTRANCE = "park_entrance"            # 公园出入口
    WALK_NETWORK = "walk_network"              # 步行网络（路段）
    LIVING_CIRCLE_FACILITY = "living_circle_facility"  # 生活圈配套设施 (GB 50180-2018)
    BUILDING_ENTRANCE = "building_entrance"    # 建筑出入口
    PLANNING_ZONE = "planning_zone"            # 规划分区（城区核心区/中心城区/建成区）
    CANDIDATE_SITE = "candidate_site"          # 候选选址地块


class Status(StrEnum):
    """Plan status of a feature (项目状态)."""

    EXISTING = "existing"                      # 现状
    PLANNED = "planned"                        # 规划
    UNDER_CONSTRUCTION = "under_construction"  # 在建
    COMPLETED = "completed"                    # 建成
    RENEWED = "renewed"                        # 已改造


STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.EXISTING: ("现状", "Existing"),
    Status.PLANNED: ("规划", "Planned"),
    Status.UNDER_CONSTRUCTION: ("在建", "Under construction"),
    Status.COMPLETED: ("建成", "Completed"),
    Status.RENEWED: ("已改造", "Renewed"),
}


class GeometryFamily(StrEnum):
    """Allowed geometry family of a layer; the Multi- variant is always accepted too."""

    POINT = "point"
    LINE = "line"
    POLYGON = "polygon"

    @property
    def geom_types(self) -> frozenset[str]:
        """Return the shapely ``geom_type`` names accepted for this family."""
        return {
            GeometryFamily.POINT: frozenset({"Point", "MultiPoint"}),
            GeometryFamily.LINE: frozenset({"LineString", "MultiLineString"}),
            GeometryFamily.POLYGON: frozenset({"Polygon", "MultiPolygon"}),
        }[self]


@dataclass(frozen=True)
class FieldSpec:
    """One attribute column of a layer.

    中文：字段定义。

    Parameters
    ----------
    name
        Column name (ASCII, snake_case; Shapefile export may cut it to 10 bytes).
    dtype
        ``"str"``, ``"int"``, ``"float"`` or ``"bool"``.
    zh, en
        Chinese and English labels for UI, legends and reports.
    unit
        Unit of the value (``"m"``, ``"m2"``, ``"kW"``, ``"kWp"``, ``"year"``, ``"mm"``...) or None.
    required
        Whether every feature must carry a non-null value.
    choices
        Allowed values (codes), or None for free values.
    minimum, maximum
        Inclusive value range for numbers, or None.
    """

    name: str
    dtype: FieldType
    zh: str
    en: str
    unit: str | None = None
    required: bool = False
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class LayerSpec:
    """Declarative schema of one layer kind.

    中文：图层规范（几何类型、必填字段、单位、取值范围）。
    """

    kind: LayerKind
    zh_name: str
    en_name: str
    geometry: GeometryFamily
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)
    storage_crs: str = "EPSG:4326"
    with_common: bool = True

    @property
    def all_fields(self) -> tuple[FieldSpec, ...]:
        """Return the common plan fields (if used) followed by the kind's own fields."""
        common = COMMON_FIELDS if self.with_common else (_ID_FIELD, _NAME_FIELD)
        return common + self.fields

    @property
    def required(self) -> tuple[str, ...]:
        """Return the names of the required fields."""
        return tuple(f.name for f in self.all_fields if f.required)

    def get_field(self, name: str) -> FieldSpec:
        """Return the spec of field ``name``.

        Raises
        ------
        KeyError
            If the kind has no such field.
        """
        for f in self.all_fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.kind.value} has no field {name!r}")

    def label(self, lang: str = "zh") -> str:
        """Return the bilingual display name, e.g. ``口袋公园 Pocket gardens``, or one language."""
        if lang == "zh":
            return self.zh_name
        if lang == "en":
            return self.en_name
        return f"{self.zh_name} {self.en_name}"


#: Plausible plan years (inclusive): catches two-digit years and typos such as 20250.
_YEAR_MIN, _YEAR_MAX = 1900.0, 2100.0
_ID_FIELD = FieldSpec("id", "str", "编号", "ID", required=True)
_NAME_FIELD = FieldSpec("name", "str", "名称", "Name")

#: Plan fields every project layer carries (id, name, status, years, district, source).
COMMON_FIELDS: tuple[FieldSpec, ...] = (
    _ID_FIELD,
    _NAME_FIELD,
    FieldSpec("status", "str", "状态", "Status", choices=tuple(s.value for s in Status)),
    FieldSpec("planned_year", "int", "计划年份", "Planned year", unit="year",
              minimum=_YEAR_MIN, maximum=_YEAR_MAX),
    FieldSpec("completion_year", "int", "建成年份", "Completion year", unit="year",
              minimum=_YEAR_MIN, maximum=_YEAR_MAX),
    FieldSpec("district", "str", "所属区县代码", "District adcode"),
    FieldSpec("source", "str", "数据来源", "Source"),
)

_AREA = FieldSpec("area_m2", "float", "面积", "Area", unit="m2", minimum=0)

#: ``zone_type`` values of planning zones (规划分区): 城区核心区, 中心城区, 建成区, other.
ZONE_TYPES: tuple[str, ...] = ("core_area", "central_urban", "built_up", "other")

#: Facility kinds tanmap can site (``candidate_site.for_kind``; ``tanmap site KIND``).
SITING_KINDS: tuple[str, ...] = (
    "pocket_garden", "park", "charging_station", "recycling_point", "transfer_station",
    "bus_stop",
)

SPECS: dict[LayerKind, LayerSpec] = {
    s.kind: s
    for s in (
        LayerSpec(
            LayerKind.DISTRICT, "区县", "Districts", GeometryFamily.POLYGON,
            (
                FieldSpec("adcode", "str", "行政区划代码", "Adcode", required=True),
                FieldSpec("planning_epsg", "int", "规划坐标系EPSG", "Planning CRS EPSG",
                          minimum=1024, maximum=32767),
                FieldSpec("name_en", "str", "英文名称", "English name"),
            ),
            with_common=False,
        ),
        LayerSpec(
            LayerKind.SUBDISTRICT, "街道", "Sub-districts", GeometryFamily.POLYGON,
            (FieldSpec("code", "str", "街道代码", "Sub-district code"),),
        ),
        LayerSpec(
            LayerKind.COMMUNITY, "社区", "Communities", GeometryFamily.POLYGON,
            (
                FieldSpec("code", "str", "社区代码", "Community code"),
                FieldSpec("subdistrict", "str", "所属街道", "Sub-district"),
                # 社区 (urban residents' committee) or 村 (village committee): rules that say
                # 村 (e.g. 充电网络"村村通") apply to villages only.
                FieldSpec("community_type", "str", "社区/村", "Community or village",
                          choices=("community", "village")),
            ),
        ),
        LayerSpec(
            LayerKind.RESIDENTIAL_LAND, "居住用地", "Residential land", GeometryFamily.POLYGON,
            (
                FieldSpec("area_type", "str", "区域类型", "Area type",
                          choices=("old_city", "new_area", "other", "historic")),
                FieldSpec("population", "float", "人口", "Population", unit="person", minimum=0),
                _AREA,
            ),
        ),
        LayerSpec(
            LayerKind.BUILDING, "建筑", "Buildings", GeometryFamily.POLYGON,
            (
                FieldSpec("use_category", "str", "建筑类别", "Use category", required=True,
                          choices=("party_gov", "public", "commercial_industrial",
                                   "residential", "other")),
                FieldSpec("roof_area_m2", "float", "屋顶面积", "Roof area", unit="m2",
                          minimum=0),
                FieldSpec("is_new", "bool", "新建", "New building"),
                FieldSpec("public_institution", "bool", "公共机构", "Public institution"),
                FieldSpec("floors", "int", "层数", "Floors", minimum=0, maximum=200),
                FieldSpec("floor_area_m2", "float", "建筑面积", "Gross floor area", unit="m2",
                          minimum=0),
                FieldSpec("population", "float", "居住人口", "Residents", unit="person",
                          minimum=0),
                # Energy attributes (碳排放量地图): joined from a bureau's metering file by id or
                # address (tanmap.layers.metering); energy_use_type picks the GB/T 51161 EUI.
                FieldSpec("address", "str", "地址", "Address"),
                FieldSpec("energy_use_type", "str", "能耗类型", "Energy use type",
                          choices=("office_gov", "office_commercial", "hotel", "mall",
                                   "residential")),
                FieldSpec("electricity_kwh", "float", "年用电量", "Electricity", unit="kWh",
                          minimum=0),
                FieldSpec("gas_m3", "float", "年用气量", "Natural gas", unit="m3", minimum=0),
                FieldSpec("heat_gj", "float", "年用热量", "Heat", unit="GJ", minimum=0),
                FieldSpec("energy_year", "int", "能耗年份", "Energy year", unit="year",
                          minimum=_YEAR_MIN, maximum=_YEAR_MAX),
            ),
        ),
        LayerSpec(
            LayerKind.PARK, "公园绿地与广场", "Parks and squares", GeometryFamily.POLYGON,
            (
                # GB/T 51346-2019 table 3.0.2 / CJJ/T 85-2017: G11 综合公园, G12 社区公园,
                # G13 专类公园, G14 游园, G3 广场用地 (G1 公园绿地 with no sub-class).
                FieldSpec("park_class", "str", "绿地分类", "Green-space class", required=True,
                          choices=("G1", "G11", "G12", "G13", "G14", "G3")),
                _AREA,
                FieldSpec("open_access", "bool", "免费开放", "Open to the public"),
            ),
        ),
        LayerSpec(
            LayerKind.POCKET_GARDEN, "口袋公园", "Pocket gardens", GeometryFamily.POLYGON,
            (
                FieldSpec("garden_type", "str", "类型", "Type",
                          choices=("pocket_park", "pocket_garden", "street_garden")),
                _AREA,
            ),
        ),
        LayerSpec(
            LayerKind.PV_ROOFTOP, "屋顶光伏", "Rooftop PV", GeometryFamily.POLYGON,
            (
                FieldSpec("capacity_kwp", "float", "装机容量", "Capacity", unit="kWp",
                          required=True, minimum=0),
                FieldSpec("panel_area_m2", "float", "组件面积", "Panel area", unit="m2",
                          minimum=0),
                FieldSpec("building_id", "str", "建筑编号", "Building ID"),
            ),
        ),
        LayerSpec(
            LayerKind.HEATING_PIPE, "供热管网", "Heating pipes", GeometryFamily.LINE,
            (
                FieldSpec("installation_year", "int", "敷设年份", "Installation year",
                          unit="year", required=True, minimum=_YEAR_MIN, maximum=_YEAR_MAX),
                FieldSpec("renewal_year", "int", "改造年份", "Renewal year", unit="year",
                          minimum=_YEAR_MIN, maximum=_YEAR_MAX),
                FieldSpec("dn_mm", "float", "公称直径DN", "Nominal diameter DN", unit="mm",
                          minimum=0, maximum=3000),
                FieldSpec("length_m", "float", "长度", "Length", unit="m", minimum=0),
                FieldSpec("insulation", "str", "保温", "Insulation"),
                FieldSpec("operator", "str", "运营单位", "Operator"),
            ),
        ),
        LayerSpec(
            LayerKind.CHARGING_STATION, "充电站/充电桩", "Charging stations",
            GeometryFamily.POINT,
            (
                FieldSpec("access", "str", "类型", "Access", required=True,
                          choices=("public", "dedicated", "private")),
                FieldSpec("fast_piles", "int", "快充桩数", "Fast (DC) piles", minimum=0),
                FieldSpec("slow_piles", "int", "慢充桩数", "Slow (AC) piles", minimum=0),
                FieldSpec("power_kw", "float", "总功率", "Total power", unit="kW", minimum=0),
            ),
        ),
        LayerSpec(
            LayerKind.ECO_ZONE, "生态屏障区", "Ecological barrier zones", GeometryFamily.POLYGON,
            (
                FieldSpec("control_level", "int", "管控等级", "Control level", required=True,
                          minimum=1, maximum=3),
            ),
        ),
        LayerSpec(
            LayerKind.LAND_COVER, "土地覆盖", "Land cover", GeometryFamily.POLYGON,
            (
                FieldSpec("cover_class", "str", "地类", "Land-cover class", required=True,
                          choices=("water", "wetland", "forest", "shrub", "grass", "farmland",
                                   "built", "bare", "road", "other")),
                FieldSpec("canopy_closure", "float", "郁闭度", "Canopy closure",
                          minimum=0, maximum=1),
                FieldSpec("stock_m3", "float", "森林蓄积量", "Growing stock", unit="m3",
                          minimum=0),
            ),
        ),
        LayerSpec(
            LayerKind.RECYCLING_POINT, "再生资源回收点", "Recycling points", GeometryFamily.POINT,
            (
                # A 两网衔接/两网融合 point is linked to household-waste collection and transport
                # (和平 R03, 东丽 R03); a plain 回收服务点 (和平 R01) is not.
                FieldSpec("two_network", "bool", "两网衔接网点", "Two-network linked point"),
            ),
        ),
        LayerSpec(
            LayerKind.TRANSFER_STATION, "中转站", "Transfer stations", GeometryFamily.POINT,
            (
                # One kind, two plan targets (和平): 生活垃圾转运站 (household waste) and
                # 废旧物资/再生资源回收中转站 (recyclables); a target counts only its own type.
                FieldSpec("station_type", "str", "中转站类型", "Station type",
                          choices=("household_waste", "recyclables")),
            ),
        ),
        LayerSpec(
            LayerKind.GREENWAY, "绿道", "Greenways", GeometryFamily.LINE,
            (
                FieldSpec("greenway_type", "str", "绿道类型", "Greenway type",
                          choices=("riverside", "urban", "country", "other")),
                FieldSpec("connected", "bool", "贯通", "Connected"),
                FieldSpec("length_m", "float", "长度", "Length", unit="m", minimum=0),
            ),
        ),
        LayerSpec(
            LayerKind.ROUTE, "路线", "Routes", GeometryFamily.LINE,
            (
                FieldSpec("route_class", "str", "道路等级", "Route class", required=True,
                          choices=("expressway", "national", "provincial", "trunk", "other")),
                FieldSpec("ref", "str", "编号", "Route number"),
            ),
        ),
        LayerSpec(LayerKind.BUS_STOP, "公交站点", "Bus stops", GeometryFamily.POINT),
        LayerSpec(
            LayerKind.SPONGE_AREA, "海绵城市达标区", "Sponge-city compliant areas",
            GeometryFamily.POLYGON, (_AREA,),
        ),
        LayerSpec(
            LayerKind.PARK_ENTRANCE, "公园出入口", "Park entrances", GeometryFamily.POINT,
            (
                FieldSpec("park_id", "str", "所属公园", "Park ID"),
                FieldSpec("entrance_type", "str", "出入口类型", "Entrance type"),
            ),
        ),
        LayerSpec(
            # One edge between two junctions (or ends) of the walkable network, for walking
            # distances; from_node/to_node are the junction ids (OSM node ids for OSM data).
            LayerKind.WALK_NETWORK, "步行网络", "Walking network", GeometryFamily.LINE,
            (
                FieldSpec("highway", "str", "道路类型", "Way type"),
                FieldSpec("from_node", "int", "起点节点", "From node"),
                FieldSpec("to_node", "int", "终点节点", "To node"),
                FieldSpec("length_m", "float", "长度", "Length", unit="m", required=True,
                          minimum=0),
                # False: drawn but not walkable (closed, motorway): kept, left out of the graph.
                FieldSpec("walkable", "bool", "可步行", "Walkable"),
                FieldSpec("barrier", "str", "障碍", "Barrier"),
                FieldSpec("crossing", "str", "过街设施", "Crossing"),
            ),
        ),
        LayerSpec(
            # GB 50180-2018 配套设施 of the 5/10/15-minute living circles (生活圈).
            LayerKind.LIVING_CIRCLE_FACILITY, "生活圈配套设施", "Living-circle facilities",
            GeometryFamily.POINT,
            (
                FieldSpec("facility_type", "str", "设施类型", "Facility type", required=True,
                          choices=("school", "kindergarten", "clinic", "market",
                                   "elderly_care", "sports_ground")),
                FieldSpec("osm_tag", "str", "OSM标签", "OSM tag"),
            ),
        ),
        LayerSpec(
            # Joined to building.id by building_id: the "entrance" building test of coverage.
            LayerKind.BUILDING_ENTRANCE, "建筑出入口", "Building entrances", GeometryFamily.POINT,
            (FieldSpec("building_id", "str", "所属建筑编号", "Building ID", required=True),),
        ),
        LayerSpec(
            LayerKind.PLANNING_ZONE, "规划分区", "Planning zones", GeometryFamily.POLYGON,
            (
                # The areas plan clauses are restricted to: 城区核心区 (津市 charging radius),
                # 中心城区 (东丽 bus-stop coverage), 建成区 (和平 sponge city).
                FieldSpec("zone_type", "str", "分区类型", "Zone type", required=True,
                          choices=ZONE_TYPES),
            ),
        ),
        LayerSpec(
            # Lots where a facility could be built (设施选址候选地块): a bureau's file of vacant or
            # public lots (origin "file") or cells generated in coverage gaps (origin "grid");
            # origin_detail says how each arose (grid spacing, size rule, exclusions).
            LayerKind.CANDIDATE_SITE, "候选选址地块", "Candidate sites", GeometryFamily.POLYGON,
            (
                _AREA,
                FieldSpec("for_kind", "str", "拟建设施", "For facility", choices=SITING_KINDS),
                FieldSpec("land_use", "str", "用地性质", "Land use"),
                FieldSpec("ownership", "str", "权属", "Ownership"),
                FieldSpec("cost_wan_yuan", "float", "费用", "Cost", unit="10k_cny", minimum=0),
                FieldSpec("available_year", "int", "可用年份", "Available from", unit="year",
                          minimum=_YEAR_MIN, maximum=_YEAR_MAX),
                FieldSpec("origin", "str", "来源方式", "Origin", choices=("file", "grid")),
                FieldSpec("origin_detail", "str", "生成说明", "How it arose"),
            ),
        ),
    )
}


#: Chinese and English labels of coded values, for legends, popups and reports.
CHOICE_LABELS: dict[str, tuple[str, str]] = {
    "party_gov": ("党政机关", "Party and government"),
    "public": ("公共建筑/公用", "Public"),
    "commercial_industrial": ("工商业厂房", "Commercial and industrial"),
    "residential": ("居民住宅", "Residential"),
    "other": ("其他", "Other"),
    "old_city": ("旧城区", "Old city"),
    "new_area": ("规划新区", "New area"),
    "historic": ("历史文化街区", "Historic district"),
    "dedicated": ("专用", "Dedicated"),
    "private": ("私人", "Private"),
    "pocket_park": ("口袋公园", "Pocket park"),
    "pocket_garden": ("口袋花园", "Pocket garden"),
    "street_garden": ("街心花园", "Street garden"),
    "water": ("水域", "Water"),
    "wetland": ("湿地", "Wetland"),
    "forest": ("林地", "Forest"),
    "shrub": ("灌木林", "Shrubland"),
    "grass": ("草地/绿地", "Grass and green land"),
    "farmland": ("耕地", "Farmland"),
    "built": ("建设用地", "Built-up"),
    "bare": ("裸地", "Bare land"),
    "road": ("道路", "Road"),
    "expressway": ("高速公路", "Expressway"),
    "national": ("国道", "National road"),
    "provincial": ("省道", "Provincial road"),
    "trunk": ("城市干道", "Trunk road"),
    "riverside": ("滨水", "Riverside"),
    "school": ("中小学", "School"),
    "kindergarten": ("幼儿园", "Kindergarten"),
    "clinic": ("社区卫生服务", "Clinic"),
    "market": ("菜市场/生鲜超市", "Market"),
    "elderly_care": ("养老设施", "Elderly care"),
    "sports_ground": ("运动场地", "Sports ground"),
    "urban": ("城市", "Urban"),
    "country": ("郊野", "Country"),
    "core_area": ("城区核心区", "Urban core area"),
    "file": ("地块清单", "Lot file"),
    "grid": ("盲区网格生成", "Generated grid in coverage gaps"),
    "central_urban": ("中心城区", "Central urban area"),
    "built_up": ("建成区", "Built-up area"),
    "community": ("社区", "Urban community"),
    "village": ("村", "Village"),
    "household_waste": ("生活垃圾转运站", "Household-waste transfer station"),
    "recyclables": ("再生资源回收中转站", "Recyclables transfer station"),
    "office_gov": ("党政机关办公建筑", "Government office"),
    "office_commercial": ("商业办公建筑", "Commercial office"),
    "hotel": ("宾馆酒店", "Hotel"),
    "mall": ("商场", "Shopping mall"),
    "measured": ("实测", "Measured"),
    "estimated": ("估算", "Estimated"),
    "no_data": ("无数据", "No data"),
    **{s.value: lab for s, lab in STATUS_LABELS.items()},
}


def spec_for(kind: LayerKind | str) -> LayerSpec:
    """Return the spec of ``kind``.

    中文：按图层类型取规范。

    Raises
    ------
    ValueError
        If ``kind`` is not a known layer kind; the message lists the known kinds.

    Examples
    --------
    >>> spec_for("pocket_garden").zh_name
    '口袋公园'
    """
    try:
        return SPECS[LayerKind(kind)]
    except ValueError as err:
        known = ", ".join(k.value for k in LayerKind)
        raise ValueError(f"unknown layer kind {kind!r}; known kinds: {known}") from err
