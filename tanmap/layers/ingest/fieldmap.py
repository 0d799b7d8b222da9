"""Field mapping (字段映射): bureau headers and values -> tanmap fields and codes.

Bureau files come with Chinese headers (编号, 名称, 状态, 建成年份 ...), units in the header
(``面积（公顷）``), Shapefile names cut to 10 bytes (``completion``, ``建成年``) and coded values
in words (已建成, 在建, 综合公园). :func:`apply_field_map` renames the columns a layer kind knows
(built-in aliases, or a user mapping file), converts values given in another unit, recodes
values to the kind's codes and reports everything it did (:class:`AppliedMapping`), so that
``tanmap validate`` can print the mapping it applied. Headers it cannot place are named in
warnings (``unmapped_column``) with the headers the kind understands.

A mapping file (YAML or JSON; ``tanmap import --map mapping.yaml``)::

    columns:            # file header -> tanmap field (null: ignore the column)
      GHMC: name
      JSZT: status
      备注: null
    values:             # per tanmap field: value in the file -> value stored
      status: {"1": existing, "2": planned}
      park_class: {综合性公园: G11}
    defaults:           # value for features where the field is empty or absent
      park_class: G12
    ignore: [OBJECTID_1]
    description: 园林局 2026 普查表   # free text, not used
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd
import yaml

from tanmap.geo.errors import DataFormatError
from tanmap.layers.ingest.validation import Issue, parse_number
from tanmap.layers.kinds import CHOICE_LABELS, FieldSpec, LayerSpec

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

__all__ = [
    "HEADER_ALIASES",
    "IGNORED_HEADERS",
    "TYPE_HEADERS",
    "UNIT_FACTORS",
    "VALUE_ALIASES",
    "AppliedMapping",
    "ColumnMatch",
    "FieldMap",
    "ValueRecode",
    "apply_field_map",
    "field_map_from_mapping",
    "header_candidates",
    "load_field_map",
    "missing_field_fix",
    "unmapped_issues",
]

#: Extra headers per tanmap field, beyond the field name and its 中文/English labels in
#: ``kinds.py`` (used only by kinds that have the field; the first field to claim a header wins).
HEADER_ALIASES: Mapping[str, tuple[str, ...]] = {
    "id": ("编号", "项目编号", "要素编号", "唯一编号", "标识码", "序号", "uid", "entityhandle"),
    "name": ("名称", "项目名称", "设施名称", "公园名称", "站点名称", "站名", "建筑名称", "名字"),
    "status": ("状态", "建设状态", "项目状态", "建设情况", "现状/规划", "建设性质"),
    "planned_year": ("规划年份", "计划年份", "计划完成年份", "计划建成年份", "规划建成年份",
                     "实施年份", "计划年度"),
    "completion_year": ("建成年份", "建成时间", "建成年度", "竣工年份", "竣工时间", "完工年份",
                        "投运年份", "投用年份"),
    "district": ("所属区县", "所属区县代码", "区县代码"),
    "source": ("数据来源", "来源", "资料来源"),
    "area_m2": ("面积", "占地面积", "用地面积", "绿地面积", "公园面积", "地块面积"),
    "park_class": ("绿地分类", "绿地类型", "绿地类别", "公园类型", "公园类别", "公园分类"),
    "open_access": ("免费开放", "是否免费开放", "是否开放"),
    "use_category": ("建筑类别", "建筑类型", "建筑用途", "用途", "使用功能"),
    "roof_area_m2": ("屋顶面积", "屋面面积"),
    "is_new": ("新建", "是否新建"),
    "public_institution": ("公共机构", "是否公共机构"),
    "floors": ("层数", "楼层数", "地上层数", "建筑层数"),
    "population": ("人口", "居住人口", "常住人口"),
    "capacity_kwp": ("装机容量", "容量", "光伏容量", "装机规模"),
    "panel_area_m2": ("组件面积", "光伏面积"),
    "building_id": ("建筑编号",),
    "installation_year": ("敷设年份", "铺设年份", "建设年份", "敷设年代", "建设年代"),
    "renewal_year": ("改造年份", "改造时间", "更新年份", "更新改造年份"),
    "dn_mm": ("管径", "公称直径", "公称直径dn", "dn", "管径dn"),
    "length_m": ("长度", "管长", "管线长度", "绿道长度"),
    "insulation": ("保温", "保温方式", "保温材料"),
    "operator": ("运营单位", "管理单位", "产权单位", "运维单位", "运营商"),
    "access": ("充电站类型", "开放类型", "服务类型", "性质"),
    "fast_piles": ("快充桩数", "快充桩", "快充数量", "直流桩数", "直流桩"),
    "slow_piles": ("慢充桩数", "慢充桩", "慢充数量", "交流桩数", "交流桩"),
    "power_kw": ("总功率", "功率", "充电功率"),
    "control_level": ("管控等级", "管控级别", "等级"),
    "cover_class": ("地类", "地类名称", "土地覆盖类型", "覆盖类型"),
    "canopy_closure": ("郁闭度",),
    "stock_m3": ("蓄积量", "森林蓄积量", "活立木蓄积量"),
    "greenway_type": ("绿道类型",),
    "connected": ("贯通", "是否贯通"),
    "route_class": ("道路等级", "公路等级", "等级", "道路类型"),
    "ref": ("路线编号", "道路编号", "线路编号"),
    "area_type": ("区域类型", "片区类型"),
    "code": ("代码", "编码"),
    "subdistrict": ("所属街道", "街道"),
    "adcode": ("行政区划代码", "区划代码"),
}

#: Headers a kind's "type" field (its first own field with coded choices, e.g. park_class,
#: use_category, access, cover_class) also answers to. Not the English "type": POI exports
#: (Amap ``type`` = 汽车服务;充电站) use it for their own categories.
TYPE_HEADERS: tuple[str, ...] = ("类型", "类别", "分类")

#: Bookkeeping columns of GIS and CAD software, dropped without a warning.
IGNORED_HEADERS: frozenset[str] = frozenset({
    "objectid", "fid", "shape_leng", "shape_length", "shape_area", "shape_le_1", "shape_ar_1",
    "layer", "paperspace", "subclasses", "linetype", "text", "extendedentity",
    "reject_row", "reject_codes", "reject_problems",  # a rejects file imported again
})

#: Built-in value spellings per field (after NFKC + case folding) -> code. The labels of
#: ``kinds.CHOICE_LABELS`` (现状, 规划, 在建, 建成 ...) and the codes themselves count too.
VALUE_ALIASES: Mapping[str, Mapping[str, str]] = {
    "status": {
        **dict.fromkeys(("现状", "现有", "已有", "存量", "保留", "在用", "运营", "运营中",
                         "已投运", "投运"), "existing"),
        **dict.fromkeys(("规划", "拟建", "待建", "计划", "计划建设", "规划新建", "新建",
                         "近期建设", "远期建设", "未建"), "planned"),
        **dict.fromkeys(("在建", "建设中", "施工中", "正在建设", "续建"), "under_construction"),
        **dict.fromkeys(("建成", "已建成", "已建", "竣工", "已竣工", "完工", "已完工",
                         "已完成", "完成"), "completed"),
        **dict.fromkeys(("已改造", "改造完成", "完成改造", "已更新", "已更新改造"), "renewed"),
    },
    "park_class": {
        "综合公园": "G11", "社区公园": "G12", "专类公园": "G13", "游园": "G14", "带状公园": "G14",
        "街旁绿地": "G14", "广场": "G3", "广场用地": "G3", "公园绿地": "G1",
    },
    "use_category": {
        **dict.fromkeys(("党政机关", "机关", "政府机关", "机关办公"), "party_gov"),
        **dict.fromkeys(("公共建筑", "公建", "公共"), "public"),
        **dict.fromkeys(("工商业", "工商业厂房", "商业", "工业", "厂房", "商业建筑", "工业建筑"),
                        "commercial_industrial"),
        **dict.fromkeys(("住宅", "居住", "居民住宅", "居住建筑", "民用住宅"), "residential"),
        **dict.fromkeys(("其他", "其它"), "other"),
    },
    "access": {
        **dict.fromkeys(("公共", "公用", "公共充电", "对外开放", "社会公用"), "public"),
        **dict.fromkeys(("专用", "专用充电", "单位内部", "内部"), "dedicated"),
        **dict.fromkeys(("私人", "个人", "自用", "私人充电", "私家"), "private"),
    },
    "area_type": {
        **dict.fromkeys(("旧城区", "老城区", "旧区", "老城"), "old_city"),
        **dict.fromkeys(("新区", "规划新区", "新城", "新城区"), "new_area"),
        **dict.fromkeys(("历史文化街区", "历史街区"), "historic"),
        **dict.fromkeys(("其他", "其它"), "other"),
    },
    "garden_type": {"街心花园": "street_garden", "街头绿地": "street_garden"},
    "cover_class": {
        **dict.fromkeys(("水域", "水体", "河流", "湖泊", "坑塘水面"), "water"),
        **dict.fromkeys(("林地", "森林", "乔木林地", "有林地"), "forest"),
        **dict.fromkeys(("灌木林", "灌木林地"), "shrub"),
        **dict.fromkeys(("草地", "绿地"), "grass"),
        **dict.fromkeys(("耕地", "农田", "水田", "旱地"), "farmland"),
        **dict.fromkeys(("建设用地", "建筑用地"), "built"),
        **dict.fromkeys(("其他", "其它"), "other"),
    },
    "route_class": {
        **dict.fromkeys(("高速", "高速公路"), "expressway"),
        **dict.fromkeys(("城市干道", "主干路", "快速路", "主干道"), "trunk"),
        **dict.fromkeys(("其他", "其它"), "other"),
    },
    "greenway_type": {
        **dict.fromkeys(("滨水", "滨河", "滨水绿道"), "riverside"),
        **dict.fromkeys(("城市", "城镇", "城市绿道"), "urban"),
        **dict.fromkeys(("郊野", "郊野绿道"), "country"),
    },
}

#: Units a header may name after the field (``面积（公顷）``, ``长度_km``), per the field's own
#: unit: spelling (NFKC, case-folded) -> factor to the field's unit. 1 亩 = 10000/15 m²
#: (市制, 《关于统一我国计量制度的命令》1959).
UNIT_FACTORS: Mapping[str, Mapping[str, float]] = {
    "m2": {"m2": 1.0, "平方米": 1.0, "平米": 1.0, "公顷": 1e4, "ha": 1e4, "hm2": 1e4,
           "亩": 1e4 / 15, "km2": 1e6, "平方公里": 1e6, "平方千米": 1e6, "万平方米": 1e4,
           "万m2": 1e4},
    "m": {"m": 1.0, "米": 1.0, "km": 1e3, "公里": 1e3, "千米": 1e3},
    "mm": {"mm": 1.0, "毫米": 1.0},
    "kW": {"kw": 1.0, "千瓦": 1.0, "mw": 1e3, "兆瓦": 1e3, "万千瓦": 1e4},
    "kWp": {"kwp": 1.0, "kw": 1.0, "千瓦": 1.0, "mwp": 1e3, "mw": 1e3, "兆瓦": 1e3,
            "万千瓦": 1e4},
    "person": {"人": 1.0, "万人": 1e4},
    "year": {"年": 1.0},
    "m3": {"m3": 1.0, "立方米": 1.0, "万立方米": 1e4},
}

_IGNORED = frozenset(re.sub(r"[\s_\-]+", "", h) for h in IGNORED_HEADERS)
_DBF_BYTES = 10
# "面积(公顷)", "面积[ha]", "面积_km2"; "面积(公顷" when a Shapefile cut the name at 10 bytes.
_UNIT_SUFFIX = re.compile(r"^(?P<base>.+?)\s*(?:\((?P<paren>[^()]+)\)?|\[(?P<bracket>[^\[\]]+)\]"
                          r"|_(?P<underscore>[^_]+))$")
_YEAR_TEXT = re.compile(r"^\s*(?P<year>\d{4})\s*(?:年.*|[-/.]\d{1,2}(?:[-/.]\d{1,2})?.*)?$")
_FILE_KEYS = frozenset({"columns", "values", "defaults", "ignore", "description"})

How = Literal["field", "map", "alias", "dbf"]


def _norm(text: Any) -> str:
    """Normalise a header or value for matching: NFKC (full-width -> ASCII), case-fold, trim."""
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def _norm_header(text: Any) -> str:
    # Spaces, underscores and hyphens vary between exports ("Completion Year", "completion_year").
    return re.sub(r"[\s_\-]+", "", _norm(text))


@dataclass(frozen=True)
class FieldMap:
    """A user field mapping (from a mapping file): headers, values, defaults, ignored headers.

    中文：字段映射表（表头对应、取值对应、缺省值、忽略字段）。

    Parameters
    ----------
    columns
        File header -> tanmap field.
    values
        Tanmap field -> {value in the file (as text) -> value to store}.
    defaults
        Tanmap field -> value for features where the field is empty or absent.
    ignore
        Headers to drop without a warning.
    source
        Name of the mapping file, for messages.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class ColumnMatch:
    """One header placed on a tanmap field.

    中文：表头映射（原表头 → 字段）。

    Parameters
    ----------
    header
        The header in the file.
    field
        The tanmap field it became.
    how
        ``"field"`` (already the field name), ``"map"`` (mapping file), ``"alias"`` (built-in
        alias) or ``"dbf"`` (a Shapefile name cut to 10 bytes).
    factor
        Values were multiplied by this to reach the field's unit (``面积（公顷）`` -> 10000),
        or None.
    """

    header: str
    field: str
    how: How
    factor: float | None = None


@dataclass(frozen=True)
class ValueRecode:
    """Values of one field changed by the mapping.

    中文：取值转换（原值 → 代码）。
    """

    field: str
    before: str
    after: str
    count: int
    how: Literal["map", "alias", "year", "default"]


@dataclass(frozen=True)
class AppliedMapping:
    """What :func:`apply_field_map` did to a layer.

    中文：已应用的字段映射（表头、取值、缺省值、未识别表头）。

    Parameters
    ----------
    columns
        Every header placed on a field (including headers that already were field names).
    values
        Value changes, one per (field, original value).
    unmapped
        Headers that are no field of the kind and matched no alias: not stored.
    ignored
        Headers dropped on purpose (mapping file ``ignore``/null, GIS bookkeeping columns).
    notes
        Other remarks (a header that matched a field the file already has, a unit not
        understood).
    source
        Mapping file name, or ``""`` for the built-in aliases only.
    """

    columns: tuple[ColumnMatch, ...] = ()
    values: tuple[ValueRecode, ...] = ()
    unmapped: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    source: str = ""

    @property
    def renamed(self) -> tuple[ColumnMatch, ...]:
        """Return the matches that changed a header (or its unit)."""
        return tuple(c for c in self.columns if c.header != c.field or c.factor is not None)

    def lines(self, lang: str = "zh") -> list[str]:
        r"""Return the mapping as printable lines (``header -> field``, value recodes, notes).

        中文：映射说明（供命令行打印）。

        Examples
        --------
        >>> m = AppliedMapping(columns=(ColumnMatch("编号", "id", "alias"),),
        ...                    values=(ValueRecode("status", "已建成", "completed", 2, "alias"),))
        >>> print("\n".join(m.lines("en")))
        field mapping (built-in aliases):
          编号 -> id (built-in alias)
          status: 已建成 -> completed (2 feature(s), built-in alias)
        """
        zh = lang == "zh"
        how_text = {
            "field": ("字段名", "field name"), "map": ("映射文件", "mapping file"),
            "alias": ("内置别名", "built-in alias"),
            "dbf": ("Shapefile 截断字段名", "cut DBF name"),
            "year": ("年份", "year from date"), "default": ("缺省值", "default"),
        }

        def how(key: str) -> str:
            return how_text[key][0 if zh else 1]

        origin = (f"{self.source}" if self.source
                  else ("内置别名" if zh else "built-in aliases"))
        out = [f"{'字段映射' if zh else 'field mapping'} ({origin}):"]
        if not self.renamed and not self.values:
            out.append("  " + ("无需映射：表头均为字段名" if zh
                               else "none needed: every header is a field name"))
        for c in self.renamed:
            unit = f" x{c.factor:g}" if c.factor is not None else ""
            out.append(f"  {c.header} -> {c.field}{unit} ({how(c.how)})")
        for v in self.values:
            count = f"{v.count} {'个要素' if zh else 'feature(s)'}"
            out.append(f"  {v.field}: {v.before} -> {v.after} ({count}, {how(v.how)})")
        if self.ignored:
            out.append(f"  {'忽略' if zh else 'ignored'}: {', '.join(self.ignored)}")
        if self.unmapped:
            out.append(f"  {'未识别（不入库）' if zh else 'not recognised (not stored)'}: "
                       f"{', '.join(self.unmapped)}")
        out.extend(f"  {note}" for note in self.notes)
        return out

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (API responses)."""
        return {
            "source": self.source,
            "columns": [{"header": c.header, "field": c.field, "how": c.how, "factor": c.factor}
                        for c in self.renamed],
            "values": [{"field": v.field, "before": v.before, "after": v.after,
                        "count": v.count, "how": v.how} for v in self.values],
            "unmapped": list(self.unmapped), "ignored": list(self.ignored),
            "notes": list(self.notes),
        }


# ------------------------------------------------------------------------ mapping files


def load_field_map(path: str | os.PathLike[str]) -> FieldMap:
    """Read a mapping file (YAML or JSON, see the module docstring).

    中文：读取字段映射文件。

    Raises
    ------
    DataFormatError
        If the file is missing, not YAML/JSON, or not of the expected shape (the message says
        which key is wrong).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise DataFormatError(f"mapping file {path.name}: no such file ({path}).") from err
    except UnicodeDecodeError as err:
        raise DataFormatError(f"mapping file {path.name} is not UTF-8 text: {err}.") from err
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise DataFormatError(f"cannot read mapping file {path.name}: {err}") from err
    return field_map_from_mapping(data or {}, source=path.name)


def field_map_from_mapping(data: Any, *, source: str = "mapping") -> FieldMap:
    """Build a :class:`FieldMap` from a parsed mapping file (a dict).

    中文：由字典构造字段映射。

    Raises
    ------
    DataFormatError
        If ``data`` is not a mapping with the keys ``columns``, ``values``, ``defaults`` and
        ``ignore`` of the right shapes.

    Examples
    --------
    >>> fm = field_map_from_mapping({"columns": {"MC": "name", "BZ": None},
    ...                              "values": {"status": {1: "existing"}}})
    >>> dict(fm.columns), fm.ignore, dict(fm.values["status"])
    ({'MC': 'name'}, ('BZ',), {'1': 'existing'})
    """
    if not isinstance(data, dict):
        raise DataFormatError(
            f"mapping file {source}: expected keys columns/values/defaults/ignore, got "
            f"{type(data).__name__}"
        )
    unknown = sorted(str(k) for k in data if k not in _FILE_KEYS)
    if unknown:
        raise DataFormatError(
            f"mapping file {source}: unknown key(s) {', '.join(unknown)}; use columns (header: "
            "field), values (field: {value: code}), defaults (field: value), ignore (list) and "
            "description (text)"
        )
    columns_raw = data.get("columns") or {}
    values_raw = data.get("values") or {}
    defaults_raw = data.get("defaults") or {}
    ignore_raw = data.get("ignore") or []
    if not isinstance(columns_raw, dict):
        raise DataFormatError(f"mapping file {source}: 'columns' must map header: field")
    if not isinstance(values_raw, dict) or not all(isinstance(v, dict)
                                                   for v in values_raw.values()):
        raise DataFormatError(
            f"mapping file {source}: 'values' must map field: {{value in file: value to store}}"
        )
    if not isinstance(defaults_raw, dict):
        raise DataFormatError(f"mapping file {source}: 'defaults' must map field: value")
    if not isinstance(ignore_raw, list):
        raise DataFormatError(f"mapping file {source}: 'ignore' must be a list of headers")
    # Only plain values: nested lists or maps (YAML anchors can make them huge) are refused.
    nested = [f"columns: {k}" for k, v in columns_raw.items()
              if not _scalar(k) or not (v is None or _scalar(v))]
    nested += [f"values: {f}: {k}" for f, m in values_raw.items() for k, v in m.items()
               if not _scalar(f) or not _scalar(k) or not _scalar(v)]
    nested += [f"defaults: {k}" for k, v in defaults_raw.items()
               if not _scalar(k) or not _scalar(v)]
    nested += ["ignore" for v in ignore_raw if not _scalar(v)][:1]
    if nested:
        raise DataFormatError(
            f"mapping file {source}: expected plain text or numbers, found lists or maps in "
            f"{'; '.join(str(n)[:80] for n in nested[:5])}"
        )
    columns = {str(k): str(v).strip() for k, v in columns_raw.items() if v not in (None, "")}
    ignore = tuple(str(v) for v in ignore_raw) + tuple(
        str(k) for k, v in columns_raw.items() if v in (None, "")
    )
    values = {str(f).strip(): {_value_key(k): v for k, v in m.items()}
              for f, m in values_raw.items()}
    defaults = {str(k).strip(): v for k, v in defaults_raw.items()}
    return FieldMap(columns=columns, values=values, defaults=defaults, ignore=ignore,
                    source=source)


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _value_key(value: Any) -> str:
    """Return the text form of a value for matching (integral floats as integers)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()


def _check_field_map(fmap: FieldMap, spec: LayerSpec) -> None:
    names = {f.name: f for f in spec.all_fields}
    known = ", ".join(names)
    problems = []
    for header, target in fmap.columns.items():
        if target not in names:
            problems.append(f"columns: {header} -> {target!r} is not a field of {spec.kind.value}")
    for section, fields in (("values", fmap.values), ("defaults", fmap.defaults)):
        problems.extend(f"{section}: {f!r} is not a field of {spec.kind.value}"
                        for f in fields if f not in names)
    for fname, table in fmap.values.items():
        fspec = names.get(fname)
        if fspec is None or not fspec.choices:
            continue
        problems.extend(
            f"values: {fname}: {before} -> {after!r} is not one of {', '.join(fspec.choices)}"
            for before, after in table.items() if str(after) not in fspec.choices
        )
    for fname, value in fmap.defaults.items():
        fspec = names.get(fname)
        if fspec is not None and fspec.choices and str(value) not in fspec.choices:
            problems.append(f"defaults: {fname}: {value!r} is not one of "
                            f"{', '.join(fspec.choices)}")
    if problems:
        raise DataFormatError(
            f"mapping file {fmap.source or 'mapping'} does not fit {spec.zh_name} "
            f"({spec.kind.value}): " + "; ".join(problems) + f". Fields of {spec.kind.value}: "
            f"{known}."
        )


# ------------------------------------------------------------------------ built-in aliases


def _type_field(spec: LayerSpec) -> FieldSpec | None:
    return next((f for f in spec.fields if f.choices), None)


def _alias_entries(spec: LayerSpec) -> list[tuple[str, str]]:
    """Return (header, field) pairs of ``spec`` in order of precedence."""
    entries: list[tuple[str, str]] = []

    def claim(alias: str, name: str) -> None:
        entries.append((alias, name))

    fields = spec.all_fields
    for f in fields:
        claim(f.name, f.name)
    for f in fields:
        claim(f.zh, f.name)
        claim(f.en, f.name)
    type_field = _type_field(spec)
    if type_field is not None:
        for alias in TYPE_HEADERS:
            claim(alias, type_field.name)
    for f in fields:
        for alias in HEADER_ALIASES.get(f.name, ()):
            claim(alias, f.name)
    return entries


def _alias_table(spec: LayerSpec) -> dict[str, str]:
    """Return normalised header -> field for ``spec`` (first claim wins)."""
    table: dict[str, str] = {}
    for alias, name in _alias_entries(spec):
        table.setdefault(_norm_header(alias), name)
    return table


def _dbf_cuts(spec: LayerSpec, table: Mapping[str, str]) -> dict[str, str]:
    """Return Shapefile-cut (10-byte) forms of the aliases that stay unambiguous (normalised)."""
    cuts: dict[str, set[str]] = {}
    for alias, name in _alias_entries(spec):
        if table.get(_norm_header(alias)) != name:
            continue
        for codec in ("utf-8", "gbk"):
            try:
                raw = alias.encode(codec)
            except UnicodeEncodeError:
                continue
            if len(raw) <= _DBF_BYTES:
                continue
            cut = _norm_header(raw[:_DBF_BYTES].decode(codec, errors="ignore"))
            if cut:
                cuts.setdefault(cut, set()).add(name)
    return {cut: next(iter(names)) for cut, names in cuts.items()
            if len(names) == 1 and cut not in table}


def header_candidates(spec: LayerSpec, name: str, *, limit: int = 8) -> list[str]:
    """Return headers accepted for field ``name`` of ``spec`` (field name first).

    中文：字段可用的表头（字段名、中文名、别名）。

    Examples
    --------
    >>> from tanmap.layers.kinds import SPECS, LayerKind
    >>> header_candidates(SPECS[LayerKind.PARK], "park_class")[:4]
    ['park_class', '绿地分类', 'Green-space class', '类型']
    """
    fspec = spec.get_field(name)
    table = _alias_table(spec)
    out: list[str] = []
    raw = [fspec.name, fspec.zh, fspec.en]
    if _type_field(spec) is fspec:
        raw += list(TYPE_HEADERS)
    raw += list(HEADER_ALIASES.get(name, ()))
    for alias in raw:
        if table.get(_norm_header(alias)) == name and alias not in out:
            out.append(alias)
    return out[:limit]


def _split_unit(header: str) -> tuple[str, str | None]:
    match = _UNIT_SUFFIX.match(unicodedata.normalize("NFKC", header).strip())
    if match is None:
        return header, None
    unit = match["paren"] or match["bracket"] or match["underscore"]
    return match["base"], unit.strip().casefold().replace("²", "2").replace("³", "3")


# ------------------------------------------------------------------------ apply


def apply_field_map(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    fmap: FieldMap | None = None,
    *,
    source: str = "",
) -> tuple[gpd.GeoDataFrame, AppliedMapping]:
    """Rename, convert and recode a layer's columns to ``spec``'s fields; report what changed.

    中文：应用字段映射（中文表头、单位换算、取值转换）。

    Order of precedence for a field: the mapping file's ``columns`` (and ``ignore``), then a
    column already named like the field, then the built-in aliases (the field's 中文/English
    labels in ``kinds.py``, :data:`HEADER_ALIASES`, 类型 for the kind's type field, Shapefile
    names cut to 10 bytes). A header with a unit (``面积（公顷）``) is converted to the field's
    unit when the unit is known (:data:`UNIT_FACTORS`). Coded fields are recoded from the
    mapping file's ``values``, :data:`VALUE_ALIASES` and the labels of ``CHOICE_LABELS``; year
    fields accept ``2019年``/``2019-05-01``. Values that fit nothing are left for
    :func:`validate` to report.

    Parameters
    ----------
    gdf
        The layer as read (any CRS); not modified.
    spec
        Schema of the layer kind.
    fmap
        A user mapping (:func:`load_field_map`), or None for the built-in aliases only.
    source
        File name used in the warnings.

    Returns
    -------
    tuple[GeoDataFrame, AppliedMapping]
        The renamed copy (columns that are no field are dropped) and the report.

    Raises
    ------
    DataFormatError
        If ``fmap`` names a field the kind does not have, or a code outside a field's choices.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> from tanmap.layers.kinds import SPECS, LayerKind
    >>> raw = gpd.GeoDataFrame({"编号": ["S1"], "状态": ["已建成"], "类型": ["公用"],
    ...                         "备注": ["x"]}, geometry=[Point(117.2, 39.1)], crs=4326)
    >>> out, applied = apply_field_map(raw, SPECS[LayerKind.CHARGING_STATION])
    >>> out.drop(columns="geometry").iloc[0].to_dict()
    {'id': 'S1', 'status': 'completed', 'access': 'public'}
    >>> applied.unmapped
    ('备注',)
    """
    fmap = fmap or FieldMap()
    if fmap.columns or fmap.values or fmap.defaults:
        _check_field_map(fmap, spec)
    geom = gdf.geometry.name
    headers = [str(c) for c in gdf.columns if c != geom]
    by_field = {f.name: f for f in spec.all_fields}
    table = _alias_table(spec)
    rank_of = {key: i for i, key in enumerate(table)}  # dicts keep the order of first claims
    cuts = _dbf_cuts(spec, table)
    ignore = {_norm_header(h) for h in fmap.ignore}
    mapped = {_norm_header(k): v for k, v in fmap.columns.items()}
    present = {_norm_header(h) for h in headers}

    taken: dict[str, ColumnMatch] = {}
    notes: list[str] = []
    ignored: list[str] = []
    unmapped: list[str] = []
    proposals: list[tuple[int, int, ColumnMatch]] = []  # (rank, tie-break, match)
    for order, header in enumerate(headers):
        key = _norm_header(header)
        if key in mapped:
            proposals.append((0, order, ColumnMatch(header, mapped[key], "map")))
        elif key in ignore:
            ignored.append(header)
        elif header in by_field:
            proposals.append((1, order, ColumnMatch(header, header, "field")))
        elif key in table:
            # Among aliases the more specific one wins (编号 before 序号), not the file order.
            proposals.append((2, rank_of[key], ColumnMatch(header, table[key], "alias")))
        else:
            match = _unit_match(header, table, by_field, notes)
            if match is not None:
                proposals.append((3, order, match))
            elif key in cuts:
                proposals.append((4, order, ColumnMatch(header, cuts[key], "dbf")))
            elif key in _IGNORED:
                ignored.append(header)
            else:
                unmapped.append(header)
    notes.extend(f"{fmap.source or 'mapping'}: column {h!r} is not in the file"
                 for h in fmap.columns if _norm_header(h) not in present)
    for _rank, _order, match in sorted(proposals, key=lambda p: (p[0], p[1])):
        if match.field in taken:
            notes.append(f"{match.header}: also matches {match.field}, already taken by "
                         f"{taken[match.field].header}; not stored")
            unmapped.append(match.header)
            continue
        taken[match.field] = match

    data: dict[str, Any] = {}
    for fname, match in taken.items():
        column = gdf[match.header]
        if match.factor is not None:
            column = column.map(lambda v, k=match.factor: _scale(v, k))
        data[fname] = column
    out = gpd.GeoDataFrame(data, geometry=gdf.geometry, crs=gdf.crs, index=gdf.index)
    recodes = _recode(out, spec, fmap)
    kept = [f.name for f in spec.all_fields if f.name in out.columns]
    out = out[[*kept, out.geometry.name]]
    unmapped_sorted = tuple(h for h in headers if h in set(unmapped))
    columns = tuple(taken[f.name] for f in spec.all_fields if f.name in taken)
    return out, AppliedMapping(
        columns=columns, values=tuple(recodes), unmapped=unmapped_sorted,
        ignored=tuple(ignored), notes=tuple(notes), source=fmap.source,
    )


def _unit_match(header: str, table: Mapping[str, str], by_field: Mapping[str, FieldSpec],
                notes: list[str]) -> ColumnMatch | None:
    base, unit = _split_unit(header)
    if unit is None:
        return None
    name = table.get(_norm_header(base))
    if name is None:
        return None
    fspec = by_field[name]
    factors = UNIT_FACTORS.get(fspec.unit or "", {})
    factor = factors.get(unit.replace(" ", ""))
    if factor is None:
        notes.append(
            f"{header}: looks like {name} but its unit {unit!r} is not "
            f"{fspec.unit or 'a known unit'}; not stored. Convert the values to "
            f"{fspec.unit} and map the column with a mapping file (columns: {{{header}: {name}}})"
        )
        return None
    return ColumnMatch(header, name, "alias", None if factor == 1.0 else factor)


def _scale(value: Any, factor: float) -> Any:
    # The same number rule as validate(): what it would read as a number is scaled here.
    number = parse_number(value)
    return value if number is None else number * factor


def _value_aliases(fspec: FieldSpec) -> dict[str, str]:
    aliases: dict[str, str] = {}
    choices = set(fspec.choices or ())
    for code in choices:
        aliases[_norm(code)] = code
        zh, en = CHOICE_LABELS.get(code, (code, code))
        aliases.setdefault(_norm(zh), code)
        aliases.setdefault(_norm(en), code)
    for spelling, code in VALUE_ALIASES.get(fspec.name, {}).items():
        if code in choices:
            aliases.setdefault(_norm(spelling), code)
    return aliases


def _recode(out: gpd.GeoDataFrame, spec: LayerSpec, fmap: FieldMap) -> list[ValueRecode]:
    recodes: list[ValueRecode] = []
    for fspec in spec.all_fields:
        user = {_value_key(k): v for k, v in fmap.values.get(fspec.name, {}).items()}
        default = fmap.defaults.get(fspec.name)
        if fspec.name not in out.columns:
            if default is not None:
                out[fspec.name] = [default] * len(out)
                recodes.append(ValueRecode(fspec.name, "(absent)", _value_key(default),
                                           len(out), "default"))
            continue
        builtin = _value_aliases(fspec) if fspec.choices else {}
        is_year = fspec.dtype == "int" and fspec.unit == "year"
        counts: dict[tuple[str, str, str], int] = {}
        new_values: list[Any] = []
        for value in out[fspec.name].tolist():
            new, how = _recode_one(value, user, builtin, is_year, default)
            if how is not None:
                key = (_value_key(value) if not _missing(value) else "(empty)",
                       _value_key(new), how)
                counts[key] = counts.get(key, 0) + 1
            new_values.append(new)
        if counts:
            out[fspec.name] = pd.Series(new_values, index=out.index, dtype=object)
            recodes.extend(ValueRecode(fspec.name, b, a, n, h)  # type: ignore[arg-type]
                           for (b, a, h), n in counts.items())
    return recodes


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _recode_one(value: Any, user: Mapping[str, Any], builtin: Mapping[str, str], is_year: bool,
                default: Any) -> tuple[Any, str | None]:
    if _missing(value):
        return (default, "default") if default is not None else (value, None)
    key = _value_key(value)
    if key in user:
        return user[key], "map"
    if builtin:
        code = builtin.get(_norm(key))
        if code is not None and code != value:
            return code, "alias"
        return value, None
    if is_year and isinstance(value, str):
        match = _YEAR_TEXT.match(unicodedata.normalize("NFKC", value))
        if match is not None and match["year"] != value.strip():
            return match["year"], "year"
    return value, None


def unmapped_issues(applied: AppliedMapping, spec: LayerSpec, *, source: str) -> list[Issue]:
    """Return one ``unmapped_column`` warning naming every header the mapping could not place.

    中文：未识别表头警告（列出全部未识别表头与可用表头）。

    One warning, not one per column: a POI export easily has ten extra columns. ``column`` is
    the header when there is one, else None (the problem text names them all).
    """
    if not applied.unmapped:
        return []
    known = "; ".join(
        f"{f.name} ({'/'.join(header_candidates(spec, f.name, limit=3)[1:]) or f.zh})"
        for f in spec.all_fields
    )
    names = ", ".join(repr(h) for h in applied.unmapped)
    one = len(applied.unmapped) == 1
    example = applied.unmapped[0]
    return [Issue(
        source=source, row=None, feature_id=None, severity="warning", code="unmapped_column",
        column=example if one else None,
        problem=(f"column {names} is no field" if one else f"columns {names} are no fields")
        + f" of {spec.zh_name} ({spec.kind.value}) and match no known header; not stored",
        fix=f"if one holds a field, rename it or map it (--map mapping.yaml with "
            f"'columns: {{{example}: <field>}}'); known headers: {known}",
    )]


def missing_field_fix(spec: LayerSpec, name: str, applied: AppliedMapping) -> str:
    """Return the fix text of a missing required field: accepted headers, unplaced columns.

    中文：缺少必填字段时的修改建议。
    """
    heads = ", ".join(header_candidates(spec, name))
    spare = ", ".join(applied.unmapped) or "(none)"
    return (f"add a column with one of the headers {heads}, or map a column of the file to it "
            f"(--map mapping.yaml with 'columns: {{<header>: {name}}}'); columns of the file "
            f"not recognised: {spare}")
