"""Bilingual (Chinese/English) labels of the map user interface (地图界面中英文标签)."""

from __future__ import annotations

from typing import Literal

__all__ = ["LABELS", "LANGS", "Lang", "bilingual", "check_lang", "label"]

Lang = Literal["zh", "en"]

#: Supported display languages; Chinese is the default for planners.
LANGS: tuple[str, ...] = ("zh", "en")

#: UI strings: key -> (Chinese, English).
LABELS: dict[str, tuple[str, str]] = {
    "sample_banner": ("示例数据", "Synthetic sample"),
    "sample_note": (
        "图层为程序生成的示例数据，并非真实数据",
        "Layers are generated sample data, not real data",
    ),
    "legend": ("图例", "Legend"),
    "sources": ("数据来源", "Sources"),
    "audit": ("目标核查", "Plan-target audit"),
    "audit_title": ("指标", "Target"),
    "audit_status": ("状态", "Status"),
    "audit_measured": ("现值", "Measured"),
    "audit_target": ("目标", "Target value"),
    "boundary": ("区界", "District boundary"),
    "service_areas": ("服务半径范围", "Service-radius areas"),
    "gaps": ("未覆盖居住用地", "Uncovered residential land"),
    "unit_coverage": ("街道覆盖率", "Coverage per sub-district"),
    "carbon_buildings": ("建筑碳排放强度", "Building CO₂ intensity"),
    "unit_emissions": ("街道碳排放总量", "CO₂ per sub-district"),
    "top_emitters": ("重点排放建筑", "Top emitters"),
    "estimated_dashed": ("虚线边框 = 估算值（建筑面积 × 能耗指标）",
                         "dashed outline = estimated (floor area × EUI)"),
    "no_emission_data": ("无排放数据", "No emission figure"),
    "basis": ("数据依据", "Basis"),
    "tco2": ("碳排放量 (tCO₂)", "CO₂ (t)"),
    "tco2_per_m2": ("排放强度 (tCO₂/m²)", "Intensity (tCO₂/m²)"),
    "top_rank": ("排放排名", "Emitter rank"),
    "eui_source": ("能耗指标来源", "EUI source"),
    "n_buildings": ("建筑数", "Buildings"),
    "n_measured": ("实测建筑数", "Metered buildings"),
    "n_estimated": ("估算建筑数", "Estimated buildings"),
    "n_no_data": ("无数据建筑数", "Buildings without data"),
    "charging_gaps": ("充电服务盲区", "Charging service gaps"),
    "charging_service_areas": ("充电服务范围", "Charging service areas"),
    "failing_units": ("未达标单元", "Units failing a target"),
    "walk_service_areas": ("步行可达范围", "Reached on foot (streets)"),
    "radius_only": ("仅半径覆盖（步行不可达）", "Radius-only land (not reached on foot)"),
    "living_missing": ("15分钟生活圈设施缺项住宅", "Homes missing 15-minute facilities"),
    "new_sites": ("新选址（按增益排序）", "New sites (ranked by gain)"),
    "newly_served": ("新选址新增覆盖的居住用地", "Residential land the new sites serve"),
    "still_unserved": ("仍未覆盖的居住用地", "Residential land still unserved"),
    "served_before": ("现有设施已覆盖（选址前）", "Served before (existing facilities)"),
    "siting_before": ("选址前（现有设施）", "Before (existing facilities)"),
    "siting_after": ("选址后（计入新选址）", "After (with the new sites)"),
    "targets": ("未达标目标", "Targets not met"),
    "residential_m2": ("居住用地面积 (m²)", "Residential land (m²)"),
    "covered_m2": ("覆盖面积 (m²)", "Covered (m²)"),
    "error_bound_m2": ("面积误差界 (m²)", "Area error bound (m²)"),
    "unit_verdict": ("判定", "Verdict"),
    "unit_met": ("达标", "Met"),
    "unit_not_met": ("未达标", "Not met"),
    "unit_met_within_bound": ("达标（误差范围内）", "Met within error bound"),
    "themes": ("专题", "Theme"),
    "horizon": ("年份", "Year"),
    "now": ("现状", "Now"),
    "rule": ("覆盖规则", "Coverage rule"),
    "search": ("搜索名称或编号", "Search name or ID"),
    "no_match": ("未找到", "No match"),
    "save_png": ("保存图片", "Save PNG"),
    "print": ("打印 / 保存 PDF", "Print / save PDF"),
    "status_legend": ("项目状态", "Project status"),
    "age_band": ("管龄（年）", "Pipe age (years)"),
    "printed": ("打印时间", "Printed"),
    "share_pct": ("覆盖率", "Coverage share"),
    "no_basemap": ("无底图（离线）", "No base map (offline)"),
    "osm": ("OpenStreetMap 底图 (WGS84)", "OpenStreetMap base map (WGS84)"),
    "amap": ("高德底图 (GCJ-02)", "Amap base map (GCJ-02)"),
    "features": ("要素", "features"),
    "simplified": ("显示已简化", "simplified for display"),
    "clustered_polygons": (
        "要素过多，以代表点聚合显示", "too many features: shown as clustered points"
    ),
    "vector_tiles": ("要素过多，以矢量切片显示，放大至 {min_zoom} 级可见；"
                     "{detail_zoom} 级以下不显示小于 1 像素的要素，"
                     "每块切片最多 {max_features} 个（取最大者）",
                     "many features: drawn from vector tiles from zoom {min_zoom}; below zoom "
                     "{detail_zoom} features under 1 pixel are left out, at most {max_features} "
                     "per tile (the largest)"),
    "tiles_zoom_in": ("放大至 {min_zoom} 级以显示", "zoom in to level {min_zoom} to see"),
    "tiles_capped": ("要素过多，部分未显示，请放大查看全部",
                     "too many features here: zoom in to see all"),
    "unit_name": ("单元名称", "Unit"),
    "unit_id": ("单元编号", "Unit ID"),
    "met": ("达标", "Met"),
    "not_met": ("未达标", "Not met"),
    "on_track": ("按计划可达标", "On track"),
    "no_data": ("数据不足", "No data"),
    "gcj_note": (
        "高德底图为GCJ-02坐标，图层已偏移显示以对齐",
        "Amap tiles are GCJ-02; overlays are shifted for display to line up",
    ),
}


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is a supported display language.

    中文：校验界面语言。

    Raises
    ------
    ValueError
        If ``lang`` is not ``"zh"`` or ``"en"``.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown display language {lang!r}; use one of {list(LANGS)}")
    return lang  # type: ignore[return-value]


def bilingual(zh: str, en: str, lang: str = "zh") -> str:
    """Join a Chinese and an English label, the chosen language first.

    中文：中英文双语标签（所选语言在前）。

    Examples
    --------
    >>> bilingual("口袋公园", "Pocket gardens")
    '口袋公园 Pocket gardens'
    >>> bilingual("口袋公园", "Pocket gardens", "en")
    'Pocket gardens 口袋公园'
    """
    return f"{en} {zh}" if check_lang(lang) == "en" else f"{zh} {en}"


def label(key: str, lang: str = "zh", *, both: bool = False) -> str:
    """Return the UI label ``key`` in ``lang`` (or both languages, ``lang`` first).

    中文：界面标签。

    Raises
    ------
    KeyError
        If ``key`` is not a known label; the message lists the known keys.

    Examples
    --------
    >>> label("gaps")
    '未覆盖居住用地'
    >>> label("sample_banner", "zh", both=True)
    '示例数据 Synthetic sample'
    """
    try:
        zh, en = LABELS[key]
    except KeyError as err:
        raise KeyError(f"unknown map label {key!r}; known: {sorted(LABELS)}") from err
    if both:
        return bilingual(zh, en, lang)
    return en if check_lang(lang) == "en" else zh
