"""Report-card wording (评估报告卡文字): everyday units, labels for internal keys, one language.

The Chinese card is written entirely in Chinese and the English card entirely in English: figures
in everyday units (%, 万平方米, 亩, 公里), layer kinds, fields and parameters by their labels
(never ``indicator:residential_retrofit_m2``), departments by name, and the source as plan title,
section and verbatim clause. Used by :mod:`tanmap.layers.card.report` and
:mod:`tanmap.layers.card.pdfcard`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from tanmap.geo.registry import METRICS
from tanmap.layers.kinds import CHOICE_LABELS, SPECS, LayerKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tanmap.layers.audit import AuditRow

__all__ = [
    "COMPARISON_SYMBOLS",
    "DEPARTMENT_EN",
    "PARAM_LABELS",
    "UNIT_LABELS",
    "bound_text",
    "department_text",
    "format_share",
    "format_value",
    "has_cjk",
    "kind_label",
    "missing_text",
    "note_text",
    "params_text",
    "planned_sites_text",
    "rule_text",
    "share_decimals",
    "source_text",
    "target_text",
    "unit_label",
]

_CJK = re.compile(r"[\u3400-\u9fff]")

#: Comparison operators as printed on a card.
COMPARISON_SYMBOLS: dict[str, str] = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}

#: Everyday unit names (Chinese, English) by the catalog's unit code.
UNIT_LABELS: dict[str, tuple[str, str]] = {
    "share": ("%", "%"),
    "pct": ("%", "%"),
    "pct_points": ("个百分点", "percentage points"),
    "count": ("个", "count"),
    "value": ("", ""),
    "m2": ("平方米", "m²"),
    "mu": ("亩", "mu"),
    "m3": ("立方米", "m³"),
    "km": ("公里", "km"),
    "m": ("米", "m"),
    "kW": ("千瓦", "kW"),
    "kWp": ("千瓦（峰值）", "kWp"),
    "MW": ("兆瓦", "MW"),
    "kWh": ("千瓦时", "kWh"),
    "t": ("吨", "t"),
    "t/d": ("吨/天", "t/d"),
    "tCO2": ("吨二氧化碳", "t CO₂"),
    "gce/kWh": ("克标准煤/千瓦时", "gce/kWh"),
    "year": ("年", "year"),
}

#: Raster kinds by label (Chinese, English), for lineage entries ``raster:<kind>``
#: (the same names as tanmap.layers.raster.rasters.RASTER_LABELS, without importing rasterio here).
RASTER_KIND_LABELS: dict[str, tuple[str, str]] = {
    "land_cover": ("土地覆盖栅格", "Land-cover raster"),
    "irradiation": ("太阳辐照栅格", "Irradiation raster"),
    "elevation": ("高程栅格", "Elevation raster"),
}

#: Metric parameters by label (Chinese, English); values are labelled too (see params_text).
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "kind": ("图层", "layer"),
    "unit_kind": ("考核单元", "unit"),
    "min_count": ("每单元至少", "at least per unit"),
    "radius_m": ("服务半径", "service radius"),
    "level": ("生活圈层级（分钟）", "living-circle level (minutes)"),
    "walk_m": ("步行距离", "walking distance"),
    "facility_types": ("设施类型", "facility types"),
    "statuses": ("计入状态", "statuses counted"),
    "field": ("字段", "field"),
    "values": ("取值", "values"),
    "unit_field": ("单元字段", "unit field"),
    "unit_values": ("单元取值", "unit values"),
    "since_year": ("起始年份", "since"),
    "until_year": ("截止年份", "until"),
    "where": ("且满足", "where"),
    "exclude": ("不含", "excluding"),
    "name_contains": ("名称含", "name contains"),
    "denominator": ("分母", "denominator"),
    "zone_type": ("规划分区", "planning zone"),
    "zone_unit_ids": ("街道范围", "sub-districts"),
    "access": ("充电站类型", "station access"),
    "weight": ("口径", "weighting"),
    "rule": ("规则", "rule"),
    "area_type": ("区域类型", "area type"),
    "include_pocket_gardens": ("计入口袋公园", "pocket gardens counted"),
    "categories": ("建筑类别", "building categories"),
    "public_institution_only": ("仅公共机构", "public institutions only"),
    "exclude_public_institutions": ("不含公共机构", "public institutions excluded"),
    "villages_only": ("仅村", "villages only"),
    "building_age": ("新建/既有", "new or existing"),
    "by": ("计算口径", "measured by"),
    "age_threshold_years": ("年限阈值（年）", "age threshold (years)"),
    "max_interval_km": ("最大间隔（公里）", "largest interval (km)"),
    "route_classes": ("道路等级", "route classes"),
    "strict": ("严格小于", "strictly less"),
    "pile": ("充电桩类型", "piles"),
    "control_level": ("管控等级", "control level"),
    "count_farmland": ("计入耕地", "farmland counted"),
    "land_cover_source": ("土地覆盖数据来源", "land-cover source"),
    "of": ("分母图层", "denominator layer"),
    "of_field": ("分母字段", "denominator field"),
    "of_values": ("分母取值", "denominator values"),
}

#: Labels of parameter values that are codes but not field choices.
_VALUE_LABELS: dict[str, tuple[str, str]] = {
    "raster": ("土地覆盖栅格", "land-cover raster"),
    "vector": ("土地覆盖矢量图层", "vector land-cover layer"),
    "area": ("屋顶面积", "roof area"),
    "count": ("栋数", "building count"),
    "panel_area": ("光伏组件面积占屋顶面积", "panel area over roof area"),
    "new": ("新建", "new"),
    "all": ("全部", "all"),
    "district": ("全区面积", "district area"),
    "zone": ("分区面积", "zone area"),
    "residential_land": ("居住用地", "residential land"),
    "subdistrict": ("街道", "sub-district"),
    "fast": ("直流快充", "fast (DC)"),
    "slow": ("交流慢充", "slow (AC)"),
    "total": ("全部", "all"),
    "overall": ("总体", "overall"),
    "buildings": ("建筑", "buildings"),
    "population": ("人口", "population"),
    "gbt51346_2019": ("GB/T 51346-2019", "GB/T 51346-2019"),
    "chengshi_tijian_2021": ("城市体检指标（2021）", "City health check (2021)"),
    "yuanlin_2016": ("国家园林城市标准（2016）", "National Garden City standard (2016)"),
    "gb55014_2021": ("GB 55014-2021", "GB 55014-2021"),
}

#: English names of the departments (责任单位) the bundled plans name.
DEPARTMENT_EN: dict[str, str] = {
    "区城市管理委": "District Urban Management Commission",
    "区城管委": "District Urban Management Commission",
    "区商务局": "District Commerce Bureau",
    "区商务委": "District Commerce Commission",
    "区发展改革委": "District Development and Reform Commission",
    "区发改委": "District Development and Reform Commission",
    "区科委": "District Science and Technology Commission",
    "各街道办事处": "Sub-district offices",
    "各街道": "Sub-district offices",
    "区住房建设委": "District Housing and Construction Commission",
    "区住建委": "District Housing and Construction Commission",
    "市规划资源局和平分局": "Municipal Planning and Natural Resources Bureau, Heping Branch",
    "市规划资源局东丽分局": "Municipal Planning and Natural Resources Bureau, Dongli Branch",
    "区民政局": "District Civil Affairs Bureau",
    "区卫生健康委": "District Health Commission",
    "区卫健委": "District Health Commission",
    "区文化和旅游局": "District Culture and Tourism Bureau",
    "区文化旅游局": "District Culture and Tourism Bureau",
    "区文化旅游体育局": "District Culture, Tourism and Sports Bureau",
    "区机关事务管理局": "District Government Offices Administration",
    "区机管局": "District Government Offices Administration",
    "公安交管和平支队": "Heping Traffic Police Detachment",
    "区国资委": "District State-owned Assets Commission",
    "国资委": "State-owned Assets Commission",
    "区教育局": "District Education Bureau",
    "区生态环境局": "District Ecology and Environment Bureau",
    "区工信局": "District Industry and Information Technology Bureau",
    "区运管局": "District Transport Administration",
    "东丽供电公司": "Dongli Power Supply Company",
    "城东供电公司": "Chengdong Power Supply Company",
    "园区": "Industrial parks",
    "区政务服务办": "District Government Services Office",
    "区科技局": "District Science and Technology Bureau",
    "区农业农村委": "District Agriculture and Rural Affairs Commission",
    "天津滨海国际机场": "Tianjin Binhai International Airport",
    "区妇联": "District Women's Federation",
    "区气象局": "District Meteorological Bureau",
    "区市场监管局": "District Market Regulation Bureau",
    "区委宣传部": "District Party Publicity Department",
    "区水务局": "District Water Affairs Bureau",
    "区建管委": "District Construction Administration Commission",
    "区规划资源局": "District Planning and Natural Resources Bureau",
    "区房管局": "District Housing Administration Bureau",
    "区体育局": "District Sports Bureau",
    "区公安分局": "District Public Security Sub-bureau",
    "区绿化市容局": "District Landscaping and City Appearance Bureau",
    "相关区属集团": "District-owned groups concerned",
    "区城管执法局": "District Urban Management Law Enforcement Bureau",
    "市发改局<市国动办>": "Municipal Development and Reform Bureau (Civil Air Defence Office)",
    "市自然资源局": "Municipal Natural Resources Bureau",
    "市林业局": "Municipal Forestry Bureau",
    "市畜牧水产事务中心": "Municipal Livestock and Aquatic Products Centre",
    "市城发集团": "Municipal Urban Development Group",
    "高新区": "High-tech Zone",
    "市住建局": "Municipal Housing and Construction Bureau",
    "市商务局": "Municipal Commerce Bureau",
    "市市场监管局": "Municipal Market Regulation Bureau",
    "市交通运输局": "Municipal Transport Bureau",
    "市城管执法局": "Municipal Urban Management Law Enforcement Bureau",
    "市工信局": "Municipal Industry and Information Technology Bureau",
    "市科技局": "Municipal Science and Technology Bureau",
    "市机关事务中心": "Municipal Government Offices Centre",
    "市农业农村局": "Municipal Agriculture and Rural Affairs Bureau",
    "市农机事务中心": "Municipal Agricultural Machinery Centre",
    "国网津市供电公司": "State Grid Jinshi Power Supply Company",
    "生态环境局津市分局": "Ecology and Environment Bureau, Jinshi Branch",
    "市公安局交警大队": "Municipal Traffic Police Brigade",
    "市文旅广体局": "Municipal Culture, Tourism, Radio, TV and Sports Bureau",
    "市供销社": "Municipal Supply and Marketing Cooperative",
    "市委宣传部": "Municipal Party Publicity Department",
    "市教育局": "Municipal Education Bureau",
    "团市委": "Municipal Youth League Committee",
}


def has_cjk(text: str) -> bool:
    """Return whether ``text`` contains a Chinese character.

    Examples
    --------
    >>> has_cjk("162 万平方米"), has_cjk("1,620,000 m2")
    (True, False)
    """
    return bool(_CJK.search(text))


def _num(value: float, decimals: int = 3) -> str:
    """Return a figure with thousands separators and trailing zeros trimmed."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    if text in ("0", "-0"):  # a tiny figure (a gap inside an error bound) keeps 2 digits
        return str(np.format_float_positional(value, precision=2, fractional=False, trim="-"))
    return text


#: Share digits: one decimal of a percent, more only where rounding would reach 0 % or 100 %.
_SHARE_DECIMALS = 1
_SHARE_MAX_DECIMALS = 6


def share_decimals(share: float, decimals: int = _SHARE_DECIMALS) -> int:
    """Return the percent decimals that keep ``share`` off 0 % and 100 % unless it is exactly there.

    中文：占比显示位数：不把 99.9999% 显示成 100.0%（目标为 100% 时它并未达标）。

    A share just below 1 (or just above 0) gets as many decimals as it needs, up to 6. One rule
    for the card, the spreadsheet, the map and the CLI: a figure beside a verdict must never
    read as the target it misses.

    Examples
    --------
    >>> share_decimals(0.8567), share_decimals(0.9999985), share_decimals(1.0), share_decimals(2e-5)
    (1, 4, 1, 3)
    """
    pct = float(share) * 100.0
    while decimals < _SHARE_MAX_DECIMALS and _touches_bound(pct, decimals):
        decimals += 1
    return decimals


def _touches_bound(pct: float, decimals: int) -> bool:
    shown = round(pct, decimals)
    return (shown == 100.0 and pct < 100.0) or (shown == 0.0 and pct > 0.0)


def format_share(share: float, lang: str = "zh") -> str:
    """Return a share (0–1) as a percentage, never rounded onto 0 % or 100 % (see share_decimals).

    中文：占比显示为百分数。

    Examples
    --------
    >>> format_share(0.8567), format_share(0.9999985), format_share(1.0), format_share(0.0)
    ('85.7%', '99.9998%', '100.0%', '0.0%')
    """
    pct = float(share) * 100.0
    return f"{pct:.{share_decimals(share)}f}%"


def _scaled(value: float, steps: tuple[tuple[float, str], ...], base: str) -> str:
    for factor, name in steps:
        if abs(value) >= factor:
            return f"{_num(value / factor, 2)}{name}"
    return f"{_num(value)}{base}"


def format_value(value: float | None, unit: str, lang: str = "zh") -> str:
    """Return a figure in everyday units: %, 万平方米, 亩, 公里 (English: %, m², mu, km).

    中文：数值显示格式（占比为百分数，面积用万平方米，功率用万千瓦）。

    Examples
    --------
    >>> format_value(0.8567, "share"), format_value(12.0, "count"), format_value(3.14159, "km")
    ('85.7%', '12', '3.142公里')
    >>> format_value(1_620_000, "m2"), format_value(1_620_000, "m2", "en")
    ('162万平方米', '1,620,000 m²')
    >>> format_value(800, "mu"), format_value(800, "mu", "en"), format_value(210000, "kWp")
    ('800亩', '800 mu', '21万千瓦（峰值）')
    >>> format_value(None, "share"), format_value(-0.05, "share"), format_value(1.5e-6, "share")
    ('—', '-5.0%', '0.00015%')
    >>> format_value(0.9999985, "share")  # 和平's new area: not 100.0% beside 未达标
    '99.9998%'

    """
    if value is None:
        return "—"
    value = float(value)
    if unit in ("share", "pct"):
        pct = value * 100 if unit == "share" else value
        if pct != 0 and abs(pct) < 0.05:  # a gap inside an error bound: 2 significant digits
            return f"{np.format_float_positional(pct, precision=2, fractional=False, trim='-')}%"
        return format_share(pct / 100.0, lang)
    en = lang == "en"
    if unit in ("count", "value", ""):
        return _num(value)
    if not en:
        scaled = {
            "m2": ((1e4, "万平方米"),), "mu": ((1e4, "万亩"),),
            "m3": ((1e8, "亿立方米"), (1e4, "万立方米")), "kW": ((1e4, "万千瓦"),),
            "kWp": ((1e4, "万千瓦（峰值）"),), "t": ((1e4, "万吨"),), "kWh": ((1e4, "万千瓦时"),),
        }.get(unit)
        label = UNIT_LABELS.get(unit, (unit, unit))[0]
        if scaled is not None:
            return _scaled(value, scaled, label)
        return f"{_num(value)}{label}"
    label = UNIT_LABELS.get(unit, (unit, unit))[1]
    return f"{_num(value)} {label}".strip()


def unit_label(unit: str, lang: str = "zh") -> str:
    """Return the everyday name of a unit code (``m2`` -> 平方米 / m²)."""
    zh, en = UNIT_LABELS.get(unit, (unit, unit))
    return en if lang == "en" else zh


def kind_label(kind: str, lang: str = "zh") -> str:
    """Return a layer kind's name (``transfer_station`` -> 中转站 / Transfer stations).

    A tracked indicator (``indicator:<key>``) is named as such, without its internal key.
    """
    if kind.startswith("indicator:"):
        return "Tracked indicator" if lang == "en" else "跟踪指标"
    if kind.startswith("raster:"):
        zh, en = RASTER_KIND_LABELS.get(kind.partition(":")[2], (kind, kind))
        return en if lang == "en" else zh
    if kind == "climatology:irradiation":
        return "Irradiation climatology" if lang == "en" else "太阳辐照气候数据"
    try:
        return SPECS[LayerKind(kind)].label(lang)
    except ValueError:
        return kind


def _field_label(field: str, lang: str, kind: str | None = None) -> str:
    specs = list(SPECS.values())
    if kind is not None and kind in LayerKind._value2member_map_:
        specs.insert(0, SPECS[LayerKind(kind)])
    for spec in specs:
        for f in spec.all_fields:
            if f.name == field:
                return f.en if lang == "en" else f.zh
    return field


def _value_label(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    text = str(value)
    i = 1 if lang == "en" else 0
    if text.lower() in ("true", "false"):
        return _value_label(text.lower() == "true", lang)
    if text in CHOICE_LABELS:
        return CHOICE_LABELS[text][i]
    if text in _VALUE_LABELS:
        return _VALUE_LABELS[text][i]
    try:
        return kind_label(LayerKind(text).value, lang)
    except ValueError:
        return text


def _join(items: Iterable[str], lang: str) -> str:
    return (", " if lang == "en" else "、").join(items)


def params_text(metric: str, params: Mapping[str, Any], lang: str = "zh") -> str:
    """Return the parameters that differ from the metric's defaults, by their labels.

    中文：参数说明（只列与默认值不同的参数，用中文名称）。

    Tracked indicators (``metric="indicator"``) have no parameters to show: their key is an
    internal name.

    Examples
    --------
    >>> params_text("per_unit_min_count", {"kind": "transfer_station", "unit_kind": "subdistrict",
    ...             "min_count": 1, "field": "station_type", "values": ["recyclables"]})
    '图层：中转站；考核单元：街道；字段：中转站类型；取值：再生资源回收中转站'
    >>> params_text("indicator", {"key": "residential_retrofit_m2"}, "en")
    'tracked value (entered by the user)'
    """
    if metric == "indicator":
        return "tracked value (entered by the user)" if lang == "en" else "跟踪指标（用户录入）"
    defaults: dict[str, Any] = {}
    mdef = METRICS.get(metric)
    if mdef is not None and dataclasses.is_dataclass(mdef.params):
        for f in dataclasses.fields(mdef.params):
            if f.default is not dataclasses.MISSING:
                defaults[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                defaults[f.name] = f.default_factory()

    def plain(v: Any) -> Any:
        return [plain(x) for x in v] if isinstance(v, list | tuple) else v

    kind = params.get("kind")
    parts = []
    for name, value in params.items():
        if name in defaults and plain(defaults[name]) == plain(value) and name != "kind":
            continue
        if value is None or value == [] or value == {}:
            continue
        label = PARAM_LABELS.get(name, (name, name))[1 if lang == "en" else 0]
        if name == "rule" and isinstance(value, dict):
            # A user rule is a whole mapping: name it (rule_text gives its citation).
            text = _user_rule_name(value)
        elif name in ("field", "unit_field", "of_field"):
            text = _field_label(str(value), lang, str(kind) if kind else None)
        elif isinstance(value, dict):
            text = _join((f"{_field_label(str(k), lang)} = "
                          f"{_join((_value_label(x, lang) for x in _listed(v)), lang)}"
                          for k, v in value.items()), lang)
        elif isinstance(value, list | tuple):
            text = _join((_value_label(x, lang) for x in value), lang)
        elif name in ("radius_m", "walk_m"):
            text = format_value(float(value) / 1000, "km", lang) if float(value) >= 1000 else \
                format_value(float(value), "m", lang)
        else:
            text = _value_label(value, lang)
        parts.append(f"{label}: {text}" if lang == "en" else f"{label}：{text}")
    return ("; " if lang == "en" else "；").join(parts)


def _user_rule_name(rule: Mapping[str, Any]) -> str:
    name = rule.get("name") or rule.get("title_zh") or rule.get("id") or "?"
    version = rule.get("version")
    return f"{name} v{version}" if version not in (None, "") else str(name)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def missing_text(missing: Iterable[str], lang: str = "zh") -> str:
    """Return the missing inputs by their labels.

    中文：缺失数据说明（图层名称、字段名称，不显示内部键名）。

    Examples
    --------
    >>> missing_text(["park", "indicator:residential_retrofit_m2"])
    '公园绿地与广场图层；跟踪指标数值未录入'
    >>> missing_text(["planning_zone.zone_type=central_urban"], "en")
    'Planning zones layer: no zone of type Central urban area'
    """
    out = []
    for item in missing:
        text = str(item)
        if text.startswith("indicator:"):
            out.append("tracked value not entered" if lang == "en" else "跟踪指标数值未录入")
            continue
        if text == "climatology:irradiation":
            out.append("no irradiation climatology for the district" if lang == "en"
                       else "无本区县太阳辐照气候数据")
            continue
        head, _, value = text.partition("=")
        kind, _, field = head.partition(".")
        name = kind_label(kind, lang)
        if name == kind:  # not a layer kind: a field name
            out.append(_field_label(kind, lang))
            continue
        if lang == "en":
            if not field:
                out.append(f"{name} layer")
            elif value:
                first = _value_label(value.split("/")[0], lang)
                out.append(f"{name} layer: no zone of type {first}" if field == "zone_type" else
                           f"{name} layer: no {_field_label(field, lang, kind)} = "
                           f"{_join((_value_label(v, lang) for v in value.split('/')), lang)}")
            else:
                out.append(f"{name} layer: field {_field_label(field, lang, kind)}")
        elif not field:
            out.append(f"{name}图层")
        elif value:
            wanted = _join((_value_label(v, lang) for v in value.split("/")), lang)
            out.append(f"{name}图层中无“{wanted}”")
        else:
            out.append(f"{name}图层的“{_field_label(field, lang, kind)}”字段")
    return ("; " if lang == "en" else "；").join(out)


def target_text(row: AuditRow, lang: str = "zh") -> str:
    """Return the target cell: ``≥ 90.0%``, or 待市级下达 for a figure the city sets.

    中文：目标值（未设定时为“待市级下达”或“待设定”）。
    """
    if row.target is None:
        city = "下达" in row.quote or "下达" in (row.note or "")
        if lang == "en":
            return "to be set by the city" if city else "to be set (no figure in the plan)"
        return "待市级下达" if city else "待设定（方案未给出数值）"
    return f"{COMPARISON_SYMBOLS.get(row.comparison, row.comparison)} " \
           f"{format_value(row.target, row.unit, lang)}"


def bound_text(row: AuditRow, lang: str = "zh") -> str:
    """Return the error bound of the measured figure (精确 / exact when there is none).

    中文：误差界。
    """
    if row.error_bound is None:
        return "—"
    if row.error_bound == 0:
        return "exact" if lang == "en" else "精确"
    value = format_value(row.error_bound, row.unit, lang)
    if row.error_bound_side == "above":
        return (f"+{value} (measured is a lower bound)" if lang == "en"
                else f"+{value}（实测值为下界）")
    return f"±{value}"


def department_text(departments: Iterable[str], lang: str = "zh") -> str:
    """Return the departments (责任单位), in English names on the English card."""
    if lang == "en":
        return ", ".join(DEPARTMENT_EN.get(d, d) for d in departments)
    return "、".join(departments)


def rule_text(row: AuditRow, lang: str = "zh") -> str:
    """Return the metric's name with the rule and its version.

    中文：计算规则及版本。
    """
    mdef = METRICS.get(row.metric)
    name = (mdef.en if lang == "en" else mdef.zh) if mdef is not None else row.metric
    rule = row.rule or ""
    user = re.match(r"user rule (.+)", rule)
    if user:
        # A user's rule file: its own name, version and citation, as the user wrote them.
        label = "user rule" if lang == "en" else "自定义规则"
        return (f"{name} ({label} {user.group(1)})" if lang == "en"
                else f"{name}（{label} {user.group(1)}）")
    version = re.search(r"\bv(\d+)\b", rule)
    standard = re.search(r"GB(?:/T)? \d+-\d{4}(?: cl\. [\d.]+)?", rule)
    bits = [standard.group(0)] if standard else []
    if version:
        number = version.group(1)
        bits.append(f"rule v{number}" if lang == "en" else f"规则版本 v{number}")
    if not bits:
        return name
    return f"{name} ({', '.join(bits)})" if lang == "en" else f"{name}（{'，'.join(bits)}）"


def source_text(row: AuditRow, lang: str = "zh") -> str:
    """Return the source: plan title, section and the verbatim clause.

    中文：出处（规划名称、章节、原文条款）。
    """
    if lang == "en":
        title = row.plan_title_en or row.plan_title
        where = f", {row.section_en}" if row.section_en else ""
        return f"{title}{where}: “{row.quote}” (original Chinese)"
    where = f" {row.section}" if row.section else ""
    return f"《{row.plan_title}》{where}：「{row.quote}」"


def _emission_note(row: AuditRow, lang: str) -> str:
    """Return the carbon map's basis: buildings metered, estimated, without a figure."""
    d = row.details
    if row.metric not in ("building_emissions", "emission_map_coverage") or not d.get(
            "n_buildings"):
        return ""
    share = d.get("measured_share")
    pct = "-" if share is None else format_share(share, lang)
    n_meas, n_est = d.get("n_measured", 0), d.get("n_estimated", 0)
    n_none = d.get("n_no_data", 0)
    if lang == "en":
        return (f"metered share {pct} ({n_meas} metered, {n_est} estimated from GB/T 51161, "
                f"{n_none} without a figure)")
    return (f"实测数据建筑占比 {pct}（实测 {n_meas} 栋、按GB/T 51161估算 {n_est} 栋、"
            f"无数据 {n_none} 栋）")


_DEMAND_TEXT = {"land": ("居住用地", "residential land"), "area": ("范围面积", "area"),
                "buildings": ("居住建筑", "residential buildings"),
                "population": ("居住人口", "residents")}


def planned_sites_text(row: AuditRow, lang: str = "zh") -> str:
    """Return what the target's planned facilities bring (按计划选址), or "" when none.

    中文：规划设施（选址结果）带来的覆盖：现状 → 计入规划。

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> row = SimpleNamespace(details={"planned_sites": {
    ...     "kind": "pocket_garden", "model": "max_cover", "planned": 19, "adding": 19,
    ...     "radius_m": 300.0, "demand": "land", "until": None,
    ...     "share_before": 0.9067, "share_after": 1.0}})
    >>> planned_sites_text(row)
    '规划设施 19 处：300 米内居住用地覆盖率 90.7% → 100.0%'
    >>> planned_sites_text(row, "en")
    '19 planned sites: residential land within 300 m 90.7% → 100.0%'
    """
    info = (row.details or {}).get("planned_sites")
    if not isinstance(info, dict) or "planned" not in info:
        return ""
    zh = lang != "en"
    n = int(info["planned"])
    until = info.get("until")
    head = (f"规划设施 {n} 处" + (f"（{until}年前）" if until else "") if zh
            else f"{n} planned site{'s' if n != 1 else ''}" + (f" (by {until})" if until else ""))
    if "units_before" in info:
        figures = (f"{int(info['units_before'])} → {int(info['units_after'])} / "
                   f"{int(info['units'])}")
        return f"{head}：达标单元 {figures}" if zh else f"{head}: units meeting the rule {figures}"

    def pct(v: Any) -> str:
        return format_share(float(v), lang)

    radius = f"{float(info['radius_m']):g}"
    what = _DEMAND_TEXT.get(str(info.get("demand")), _DEMAND_TEXT["land"])
    walk = info.get("distance") == "network"
    if zh:
        return (f"{head}：{'步行' if walk else ''}{radius} 米内{what[0]}覆盖率 "
                f"{pct(info['share_before'])} → {pct(info['share_after'])}")
    return (f"{head}: {what[1]} within {radius} m{' walked' if walk else ''} "
            f"{pct(info['share_before'])} → {pct(info['share_after'])}")


def _source_note(row: AuditRow, lang: str) -> str:
    """Return which data a figure rests on: the land-cover raster or the irradiation source."""
    d = row.details
    if row.metric in ("forest_cover", "blue_green_share") and str(
            d.get("land_cover_source") or "").startswith("land-cover raster"):
        covered = d.get("raster_covered_share")
        pct = "" if covered is None else format_share(float(covered), lang)
        if lang == "en":
            return (f"from the land-cover raster ({d['land_cover_source']}); raster covers "
                    f"{pct or '-'} of the area; no canopy-closure test")
        return (f"按土地覆盖栅格计算（{d['land_cover_source']}）；栅格覆盖面积 {pct or '-'}；"
                "未判郁闭度")
    if row.metric == "pv_potential" and d.get("irradiation_source"):
        upper = d.get("clear_sky_kwh_per_kwp")
        bound = f"{float(upper):,.0f}" if upper is not None else "-"
        if lang == "en":
            return (f"irradiation: {d['irradiation_source']}; clear-sky upper bound "
                    f"{bound} kWh/kWp")
        return f"辐照来源：{d['irradiation_source']}；晴空上限 {bound} kWh/kWp"
    return ""


def _walk_note(row: AuditRow, lang: str) -> str:
    """Return a walking companion row's comparison: both figures and the radius-only gap."""
    d = row.details
    if row.companion_of is None or d.get("walk_share") is None:
        return ""
    walk, radius = float(d["walk_share"]), float(d.get("radius_share") or 0.0)
    gap_m2 = float(round(float(d.get("radius_only_m2") or 0.0)))  # whole m²: no rounding dust
    points = (radius - walk) * 100
    if lang == "en":
        return (f"beside {row.companion_of}: straight radius {format_value(radius, 'share', 'en')}"
                f", walked {format_value(walk, 'share', 'en')}; radius-only gap "
                f"{format_value(gap_m2, 'm2', 'en')} of residential land ({points:.1f} points) "
                "that the radius counts but no walk reaches; shown for comparison, not counted "
                "in the summary")
    return (f"对照 {row.companion_of}：直线半径口径 {format_value(radius, 'share')}，步行口径 "
            f"{format_value(walk, 'share')}；半径覆盖而步行不可达的居住用地 "
            f"{format_value(gap_m2, 'm2')}（相差 {points:.1f} 个百分点）；对照行，不计入汇总")


def note_text(row: AuditRow, lang: str = "zh") -> str:
    """Return the row's notes in one language only.

    中文：说明（中文报告卡只用中文说明，英文报告卡只用英文说明）。

    A note in the wrong language is not shown: the Chinese card never carries an English-only
    note and says where the note is instead.
    """
    bits = []
    if row.vague:
        bits.append("threshold is an editable setting" if lang == "en" else "阈值为可编辑设定")
    if row.overridden:
        bits.append("changed by an override" if lang == "en" else "已按覆盖文件修改")
    if lang == "en":
        note = row.note_en or (row.note if row.note and not has_cjk(row.note) else None)
        if note:
            bits.append(note)
        elif row.note:
            bits.append("see the Chinese card for the note")
    else:
        if row.note and has_cjk(row.note):
            bits.append(row.note)
        elif row.note or row.note_en:
            bits.append("说明仅有英文，见英文报告卡")
    emission = _emission_note(row, lang)
    if emission:
        bits.append(emission)
    planned = planned_sites_text(row, lang)
    if planned:
        bits.append(planned)
    source = _source_note(row, lang)
    if source:
        bits.append(source)
    walk = _walk_note(row, lang)
    if walk:
        bits.append(walk)
    if row.error:
        bits.append(f"Could not compute: {row.error}" if lang == "en"
                    else "无法计算：参数或数据有误（详情见 JSON 报告）")
    return ("; " if lang == "en" else "；").join(bits)
