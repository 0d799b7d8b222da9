"""Named, versioned park service-radius coverage rule sets (公园绿地服务半径覆盖率规则)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from tanmap.geo.errors import CoverageRuleError

__all__ = [
    "AREA_TYPES",
    "BUILTIN_RULES",
    "DENOMINATORS",
    "PARK_CLASSES",
    "CoverageRule",
    "SizeTier",
    "Threshold",
    "get_rule",
    "rule_from_mapping",
]

Comparison = Literal[">", ">="]

#: Green-space classes of GB/T 51346-2019 table 3.0.2 (= CJJ/T 85-2017): G1 公园绿地 (no sub-class
#: given), G11 综合公园, G12 社区公园, G13 专类公园, G14 游园; G3 广场用地.
PARK_CLASSES: tuple[str, ...] = ("G1", "G11", "G12", "G13", "G14", "G3")
#: Parks proper (公园绿地), without squares.
_PARKS_ONLY: tuple[str, ...] = ("G1", "G11", "G12", "G13", "G14")

#: Area types a threshold may be stated for. "overall" is the whole district; the others match the
#: ``area_type`` values of the residential-land layer (居住用地), plus "higher_grade" for the
#: 国家园林城市 higher grade.
AREA_TYPES: tuple[str, ...] = ("overall", "new_area", "old_city", "historic", "higher_grade")

#: Denominators a rule may use. Every Chinese standard divides by residential land area (居住用地).
DENOMINATORS: tuple[str, ...] = ("residential_land_area",)

# --- GB/T 51346-2019 城市绿地规划标准, cl. 4.3.4 ---
#: Service radius of parks and squares (公园绿地、广场用地服务半径), cl. 4.3.4.
GBT51346_RADIUS_M = 500.0
#: Residential land covered, whole city: "> 90 %" (cl. 4.3.4).
GBT51346_OVERALL_SHARE = 0.90
#: 规划新区 (new planning areas): 100 % (cl. 4.3.4); ">= 1.0", since "> 100 %" is impossible.
GBT51346_NEW_AREA_SHARE = 1.00
#: 旧城区 (old city): 80 % (cl. 4.3.4). Comparison ">=" [verify: the clause's wording].
GBT51346_OLD_CITY_SHARE = 0.80

# --- 城市体检 (MOHURD 2021–22 城市体检指标体系: 公园绿地服务半径覆盖率) ---
#: Parks >= 5000 m² serve 500 m (城市体检 indicator definition).
TIJIAN_LARGE_MIN_AREA_M2 = 5000.0
TIJIAN_LARGE_RADIUS_M = 500.0
#: Parks 2000–5000 m² serve 300 m; parks < 2000 m² are not counted (indicator definition).
TIJIAN_SMALL_MIN_AREA_M2 = 2000.0
TIJIAN_SMALL_RADIUS_M = 300.0
#: Reference value 90 % [verify: the indicator lists a reference value per year; overridable].
TIJIAN_OVERALL_SHARE = 0.90

# --- 国家园林城市标准 (建城〔2016〕235号), 公园绿地服务半径覆盖率 ---
#: Same size tiers as 城市体检: >= 5000 m² -> 500 m, 2000–5000 m² -> 300 m.
YUANLIN_LARGE_MIN_AREA_M2 = 5000.0
YUANLIN_LARGE_RADIUS_M = 500.0
YUANLIN_SMALL_MIN_AREA_M2 = 2000.0
YUANLIN_SMALL_RADIUS_M = 300.0
#: 历史文化街区 (historic districts): parks >= 1000 m² serve 300 m [verify]; overridable.
YUANLIN_HISTORIC_MIN_AREA_M2 = 1000.0
YUANLIN_HISTORIC_RADIUS_M = 300.0
#: Basic grade >= 80 %, higher grade >= 90 %.
YUANLIN_BASIC_SHARE = 0.80
YUANLIN_HIGHER_SHARE = 0.90

# --- GB 55014-2021 园林绿化工程项目规范 (mandatory) ---
#: Park service-radius coverage "> 80 %" [verify: clause number]; radius 500 m [verify].
GB55014_SHARE = 0.80
GB55014_RADIUS_M = 500.0


@dataclass(frozen=True)
class SizeTier:
    """One size tier of a rule: parks of at least ``min_area_m2`` serve ``radius_m``.

    中文：规模分级（面积下限 → 服务半径）。
    """

    min_area_m2: float
    radius_m: float


@dataclass(frozen=True)
class Threshold:
    """A required covered share with its comparison.

    中文：达标阈值（> 或 ≥）。

    Examples
    --------
    >>> Threshold(0.9, ">").met(0.9), Threshold(0.9, ">=").met(0.9)
    (False, True)
    """

    share: float
    comparison: Comparison = ">="

    def met(self, share: float) -> bool:
        """Return whether ``share`` (0–1) satisfies the threshold."""
        return share > self.share if self.comparison == ">" else share >= self.share

    def __str__(self) -> str:
        return f"{self.comparison} {self.share:.0%}"


@dataclass(frozen=True)
class CoverageRule:
    """A park service-radius coverage rule set (which parks count, how far they serve, targets).

    中文：公园绿地服务半径覆盖率规则（计入的绿地类别、规模分级与服务半径、分母、达标阈值）。

    Parameters
    ----------
    id
        Registry key, e.g. ``"gbt51346_2019"``.
    version
        Version of tanmap's encoding of the rule (bumped when a figure changes).
    title_zh, title_en
        Display names.
    clause
        Citation, e.g. ``"GB/T 51346-2019 cl. 4.3.4"``.
    park_classes
        Green-space classes that count (``park_class`` values of the park layer).
    tiers
        Size tiers sorted by ``min_area_m2``; a park serves the radius of the largest tier whose
        minimum it reaches; parks below the smallest tier are not counted.
    denominator
        ``"residential_land_area"``.
    thresholds
        Required share per area type (``"overall"``, ``"new_area"``, ``"old_city"``...).
    area_type_tiers
        Size tiers that replace ``tiers`` for residential land of one area type (国家园林城市:
        historic districts count parks >= 1000 m² at 300 m).
    verify
        Names of figures recalled from practice, not yet checked against the official text
        ([verify]); they are ordinary, overridable values.
    """

    id: str
    version: int
    title_zh: str
    title_en: str
    clause: str
    park_classes: tuple[str, ...]
    tiers: tuple[SizeTier, ...]
    thresholds: Mapping[str, Threshold]
    denominator: str = "residential_land_area"
    area_type_tiers: Mapping[str, tuple[SizeTier, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    verify: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        """Return the rule string stored with results, e.g. ``GB/T 51346-2019 cl. 4.3.4 (...)``."""
        return f"{self.clause} (tanmap rule v{self.version})"

    @property
    def max_radius_m(self) -> float:
        """Return the largest radius of any tier (the margin of features to load)."""
        every = [t.radius_m for t in self.tiers]
        every += [t.radius_m for ts in self.area_type_tiers.values() for t in ts]
        return max(every)

    def tiers_for(self, area_type: str | None) -> tuple[SizeTier, ...]:
        """Return the size tiers that apply to residential land of ``area_type``."""
        if area_type is not None and area_type in self.area_type_tiers:
            return self.area_type_tiers[area_type]
        return self.tiers

    def radius_for_area(
        self, area_m2: Sequence[float] | np.ndarray, area_type: str | None = None
    ) -> np.ndarray:
        """Return the service radius (m) of parks of the given areas; NaN = not counted.

        中文：按公园面积取服务半径（不计入者为 NaN）。

        Examples
        --------
        >>> BUILTIN_RULES["chengshi_tijian_2021"].radius_for_area([1999.0, 2000.0, 5000.0])
        array([ nan, 300., 500.])
        """
        areas = np.asarray(area_m2, dtype=float)
        tiers = self.tiers_for(area_type)
        mins = np.array([t.min_area_m2 for t in tiers])
        radii = np.array([t.radius_m for t in tiers])
        # Index of the last tier whose minimum the park reaches (-1 = below every tier).
        pos = np.searchsorted(mins, areas, side="right") - 1
        out = np.where(pos >= 0, radii[np.clip(pos, 0, None)], np.nan)
        return np.where(np.isnan(areas), np.nan, out)

    def threshold(self, area_type: str = "overall") -> Threshold:
        """Return the threshold for ``area_type``.

        Raises
        ------
        CoverageRuleError
            If the rule states no threshold for that area type; the message lists those it has.
        """
        try:
            return self.thresholds[area_type]
        except KeyError as err:
            raise CoverageRuleError(
                f"rule {self.id!r} states no threshold for area type {area_type!r}; "
                f"it has: {', '.join(self.thresholds)}. Pick one of those or add it with "
                "rule_from_mapping."
            ) from err


def _tiers(*pairs: tuple[float, float]) -> tuple[SizeTier, ...]:
    return tuple(SizeTier(a, r) for a, r in pairs)


def _thresholds(**values: tuple[float, Comparison]) -> Mapping[str, Threshold]:
    return MappingProxyType({k: Threshold(s, c) for k, (s, c) in values.items()})


BUILTIN_RULES: Mapping[str, CoverageRule] = MappingProxyType({
    r.id: r
    for r in (
        CoverageRule(
            id="gbt51346_2019", version=1,
            title_zh="城市绿地规划标准 GB/T 51346-2019 公园绿地、广场用地服务半径覆盖率",
            title_en="GB/T 51346-2019 park and square service-radius coverage",
            clause="GB/T 51346-2019 cl. 4.3.4",
            park_classes=PARK_CLASSES,
            tiers=_tiers((0.0, GBT51346_RADIUS_M)),
            thresholds=_thresholds(
                overall=(GBT51346_OVERALL_SHARE, ">"),
                new_area=(GBT51346_NEW_AREA_SHARE, ">="),
                old_city=(GBT51346_OLD_CITY_SHARE, ">="),
            ),
            verify=("old_city comparison",),
        ),
        CoverageRule(
            id="chengshi_tijian_2021", version=1,
            title_zh="城市体检 公园绿地服务半径覆盖率",
            title_en="MOHURD city health check: park service-radius coverage",
            clause="MOHURD 城市体检指标体系 (2021) 公园绿地服务半径覆盖率",
            park_classes=_PARKS_ONLY,
            tiers=_tiers(
                (TIJIAN_SMALL_MIN_AREA_M2, TIJIAN_SMALL_RADIUS_M),
                (TIJIAN_LARGE_MIN_AREA_M2, TIJIAN_LARGE_RADIUS_M),
            ),
            thresholds=_thresholds(overall=(TIJIAN_OVERALL_SHARE, ">=")),
            verify=("overall threshold", "squares (G3) not counted"),
        ),
        CoverageRule(
            id="yuanlin_2016", version=1,
            title_zh="国家园林城市系列标准（2016）公园绿地服务半径覆盖率",
            title_en="National Garden City standard (2016): park service-radius coverage",
            clause="建城〔2016〕235号 国家园林城市系列标准",
            park_classes=_PARKS_ONLY,
            tiers=_tiers(
                (YUANLIN_SMALL_MIN_AREA_M2, YUANLIN_SMALL_RADIUS_M),
                (YUANLIN_LARGE_MIN_AREA_M2, YUANLIN_LARGE_RADIUS_M),
            ),
            area_type_tiers=MappingProxyType({
                "historic": _tiers(
                    (YUANLIN_HISTORIC_MIN_AREA_M2, YUANLIN_HISTORIC_RADIUS_M),
                    (YUANLIN_LARGE_MIN_AREA_M2, YUANLIN_LARGE_RADIUS_M),
                ),
            }),
            thresholds=_thresholds(
                overall=(YUANLIN_BASIC_SHARE, ">="),
                higher_grade=(YUANLIN_HIGHER_SHARE, ">="),
            ),
            verify=("historic tier 1000 m² -> 300 m",),
        ),
        CoverageRule(
            id="gb55014_2021", version=1,
            title_zh="园林绿化工程项目规范 GB 55014-2021（强制性）公园绿地服务半径覆盖率",
            title_en="GB 55014-2021 (mandatory) park service-radius coverage",
            clause="GB 55014-2021",
            park_classes=_PARKS_ONLY,
            tiers=_tiers((0.0, GB55014_RADIUS_M)),
            thresholds=_thresholds(overall=(GB55014_SHARE, ">")),
            verify=("clause number", "radius 500 m"),
        ),
    )
})


def get_rule(rule_id: str) -> CoverageRule:
    """Return the built-in rule ``rule_id``.

    中文：按编号取内置覆盖率规则。

    Raises
    ------
    CoverageRuleError
        If there is no such rule; the message lists the built-in ones.

    Examples
    --------
    >>> get_rule("gbt51346_2019").citation
    'GB/T 51346-2019 cl. 4.3.4 (tanmap rule v1)'
    """
    try:
        return BUILTIN_RULES[rule_id]
    except KeyError as err:
        raise CoverageRuleError(
            f"unknown coverage rule {rule_id!r}; built-in rules: {', '.join(BUILTIN_RULES)}. "
            "Define your own with rule_from_mapping()."
        ) from err


_RULE_KEYS = frozenset({
    "id", "version", "title_zh", "title_en", "clause", "park_classes", "tiers", "thresholds",
    "denominator", "area_type_tiers", "verify",
})


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _parse_tiers(raw: Any, where: str, problems: list[str]) -> tuple[SizeTier, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        problems.append(f"{where}: expected a non-empty list of {{min_area_m2, radius_m}}, "
                        f"got {raw!r}")
        return ()
    tiers: list[SizeTier] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            problems.append(f"{where}[{i}]: expected a mapping, got {item!r}")
            continue
        area, radius = _number(item.get("min_area_m2", 0.0)), _number(item.get("radius_m"))
        if area is None or area < 0:
            problems.append(f"{where}[{i}].min_area_m2: expected a number >= 0, "
                            f"got {item.get('min_area_m2')!r}")
        if radius is None or radius <= 0:
            problems.append(f"{where}[{i}].radius_m: expected a number > 0 (metres), "
                            f"got {item.get('radius_m')!r}")
        if area is not None and radius is not None:
            tiers.append(SizeTier(area, radius))
    mins = [t.min_area_m2 for t in tiers]
    if len(set(mins)) != len(mins):
        problems.append(f"{where}: two tiers share a min_area_m2 ({sorted(mins)})")
    return tuple(sorted(tiers, key=lambda t: t.min_area_m2))


def rule_from_mapping(values: Mapping[str, Any]) -> CoverageRule:
    """Build a user-defined rule from plain values (JSON/YAML), checking every field.

    中文：自定义覆盖率规则（校验全部字段）。

    Parameters
    ----------
    values
        ``id`` (text), ``park_classes`` (list), ``tiers`` (list of ``{min_area_m2, radius_m}``),
        ``thresholds`` (``{area_type: share}`` or ``{area_type: {share, comparison}}``, shares
        0–1, comparison ``">"`` or ``">="``, default ``">="``); optional ``version`` (default 1),
        ``title_zh``, ``title_en``, ``clause``, ``denominator``, ``area_type_tiers``, ``verify``.

    Raises
    ------
    CoverageRuleError
        Listing every problem found (unknown keys, missing fields, bad values), not only the first.

    Examples
    --------
    >>> rule = rule_from_mapping({"id": "my_rule", "park_classes": ["G11"],
    ...     "tiers": [{"min_area_m2": 0, "radius_m": 800}], "thresholds": {"overall": 0.85}})
    >>> rule.max_radius_m, str(rule.threshold())
    (800.0, '>= 85%')
    """
    problems: list[str] = []
    unknown = sorted(set(values) - _RULE_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {unknown}; known: {sorted(_RULE_KEYS)}")
    rule_id = values.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        problems.append(f"id: expected non-empty text, got {rule_id!r}")
    version = values.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.append(f"version: expected a whole number >= 1, got {version!r}")
    classes = values.get("park_classes")
    if (not isinstance(classes, Sequence) or isinstance(classes, str) or not classes
            or not all(isinstance(c, str) for c in classes)):
        problems.append(f"park_classes: expected a non-empty list of class codes such as "
                        f"{list(PARK_CLASSES)}, got {classes!r}")
        classes = ()
    else:
        bad = sorted(set(classes) - set(PARK_CLASSES))
        if bad:
            problems.append(f"park_classes: unknown class(es) {bad}; known: {list(PARK_CLASSES)}")
    tiers = _parse_tiers(values.get("tiers"), "tiers", problems)
    area_type_tiers: dict[str, tuple[SizeTier, ...]] = {}
    raw_att = values.get("area_type_tiers", {})
    if not isinstance(raw_att, Mapping):
        problems.append(f"area_type_tiers: expected a mapping area_type -> tiers, got {raw_att!r}")
    else:
        for key, raw in raw_att.items():
            area_type_tiers[str(key)] = _parse_tiers(raw, f"area_type_tiers.{key}", problems)
    denominator = values.get("denominator", "residential_land_area")
    if denominator not in DENOMINATORS:
        problems.append(f"denominator: {denominator!r} is not one of {list(DENOMINATORS)}")
    thresholds: dict[str, Threshold] = {}
    raw_thr = values.get("thresholds")
    if not isinstance(raw_thr, Mapping) or not raw_thr:
        problems.append(f"thresholds: expected a mapping area_type -> share, got {raw_thr!r}")
    else:
        for key, raw in raw_thr.items():
            if key not in AREA_TYPES:
                problems.append(f"thresholds: unknown area type {key!r}; known: {list(AREA_TYPES)}")
                continue
            spec = raw if isinstance(raw, Mapping) else {"share": raw}
            share, comparison = _number(spec.get("share")), spec.get("comparison", ">=")
            if share is None or not 0.0 <= share <= 1.0:
                problems.append(f"thresholds.{key}: expected a share in [0, 1] (90 % = 0.9), "
                                f"got {spec.get('share')!r}")
            if comparison not in (">", ">="):
                problems.append(f"thresholds.{key}.comparison: expected '>' or '>=', "
                                f"got {comparison!r}")
            if share is not None and comparison in (">", ">="):
                thresholds[key] = Threshold(share, comparison)
    if problems:
        raise CoverageRuleError(
            f"coverage rule {values.get('id')!r}: {len(problems)} problem(s)\n"
            + "\n".join(f"- {p}" for p in problems)
        )
    verify = values.get("verify", ())
    return CoverageRule(
        id=str(rule_id), version=int(version),
        title_zh=str(values.get("title_zh", rule_id)),
        title_en=str(values.get("title_en", rule_id)),
        clause=str(values.get("clause", f"user rule {rule_id}")),
        park_classes=tuple(classes), tiers=tiers,
        thresholds=MappingProxyType(thresholds), denominator=str(denominator),
        area_type_tiers=MappingProxyType(area_type_tiers),
        verify=tuple(str(v) for v in verify),
    )
