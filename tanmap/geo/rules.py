"""Named, versioned park service-radius coverage rule sets (公园绿地服务半径覆盖率规则)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from tanmap.geo.errors import CoverageRuleError, UnitError
from tanmap.geo.quantities import parse_quantity

__all__ = [
    "AREA_TYPES",
    "BUILTIN_RULES",
    "DENOMINATORS",
    "PARK_CLASSES",
    "RESIDENTIAL_AREA_TYPES",
    "CoverageRule",
    "SizeTier",
    "Threshold",
    "get_rule",
    "rule_from_mapping",
    "rule_to_mapping",
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

#: ``area_type`` values of residential land (居住用地) that may have their own size tiers.
RESIDENTIAL_AREA_TYPES: tuple[str, ...] = ("old_city", "new_area", "historic", "other")

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

    ``max_area_m2`` (exclusive) closes the tier; by default a tier reaches up to the next tier's
    minimum (or without limit for the largest), so parks between a finite maximum and the next
    minimum are not counted.
    """

    min_area_m2: float
    radius_m: float
    max_area_m2: float = math.inf

    def __str__(self) -> str:
        upper = "" if math.isinf(self.max_area_m2) else f"–{self.max_area_m2:g}"
        lower = f"{self.min_area_m2:g}" if upper else f">= {self.min_area_m2:g}"
        return f"{lower}{upper} m² -> {self.radius_m:g} m"


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
    source
        ``"builtin"`` (encoded in tanmap from a standard) or ``"user"`` (from
        :func:`rule_from_mapping`, e.g. a ``--rule-file``).
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
    source: Literal["builtin", "user"] = "builtin"

    @property
    def citation(self) -> str:
        """Return the rule string stored with results: citation and version (name for user rules).

        Built-in: ``"GB/T 51346-2019 cl. 4.3.4 (tanmap rule v1)"``; user rule:
        ``"user rule heping v2 — 和平区公园规则 — <citation>"``.
        """
        if self.source == "builtin":
            return f"{self.clause} (tanmap rule v{self.version})"
        parts = [f"user rule {self.id} v{self.version}"]
        if self.title_zh and self.title_zh != self.id:
            parts.append(self.title_zh)
        parts.append(self.clause or "no citation given (无出处)")
        return " — ".join(parts)

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
        maxs = np.array([t.max_area_m2 for t in tiers])
        radii = np.array([t.radius_m for t in tiers])
        # Index of the last tier whose minimum the park reaches (-1 = below every tier); tiers do
        # not overlap, so that tier is the only candidate, and it counts below its maximum.
        pos = np.searchsorted(mins, areas, side="right") - 1
        safe = np.clip(pos, 0, None)
        inside = (pos >= 0) & (areas < maxs[safe])
        out = np.where(inside, radii[safe], np.nan)
        return np.where(np.isnan(areas), np.nan, out)

    def to_mapping(self) -> dict[str, Any]:
        """Return the plain (JSON/YAML) form of the rule; see :func:`rule_to_mapping`."""
        return rule_to_mapping(self)

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


def get_rule(rule_id: str | Mapping[str, Any]) -> CoverageRule:
    """Return the built-in rule ``rule_id``, or the user rule a mapping describes.

    中文：按编号取内置覆盖率规则（或由字典构造自定义规则）。

    Raises
    ------
    CoverageRuleError
        If there is no such rule (the message lists the built-in ones), or the mapping is not a
        valid rule (see :func:`rule_from_mapping`).

    Examples
    --------
    >>> get_rule("gbt51346_2019").citation
    'GB/T 51346-2019 cl. 4.3.4 (tanmap rule v1)'
    """
    if not isinstance(rule_id, str):
        return rule_from_mapping(rule_id)
    try:
        return BUILTIN_RULES[rule_id]
    except KeyError as err:
        raise CoverageRuleError(
            f"unknown coverage rule {rule_id!r}; built-in rules: {', '.join(BUILTIN_RULES)}. "
            "Define your own with rule_from_mapping()."
        ) from err


_RULE_KEYS = frozenset({
    "id", "name", "version", "title_zh", "title_en", "clause", "citation", "park_classes",
    "tiers", "thresholds", "denominator", "area_type_tiers", "verify",
})
_TIER_KEYS = frozenset({"min_area_m2", "max_area_m2", "radius_m", "min_area", "max_area",
                        "radius"})


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _measure(item: Mapping[str, Any], key: str, unit: str, where: str,
             problems: list[str]) -> float | None:
    """Return ``item[key_<unit>]`` (a number) or ``item[key]`` (text with a unit) in ``unit``."""
    plain, text = f"{key}_{unit}", key
    if plain in item and text in item:
        problems.append(f"{where}: give {plain} or {text}, not both")
        return None
    if text in item:
        raw = item[text]
        try:
            return parse_quantity(raw, default_unit=unit).to(unit)
        except UnitError as err:
            problems.append(f"{where}.{text}: {err}")
            return None
    raw = item.get(plain)
    value = _number(raw)
    if value is None and raw is not None:
        problems.append(f"{where}.{plain}: expected a number ({unit}), got {raw!r}")
    return value


def _parse_tiers(raw: Any, where: str, problems: list[str]) -> tuple[SizeTier, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        problems.append(f"{where}: expected a non-empty list of {{min_area_m2, radius_m}} "
                        f"(optional max_area_m2), got {raw!r}")
        return ()
    tiers: list[tuple[int, SizeTier]] = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            problems.append(f"{at}: expected a mapping such as {{min_area_m2: 5000, "
                            f"radius_m: 500}}, got {item!r}")
            continue
        unknown = sorted(set(map(str, item)) - _TIER_KEYS)
        if unknown:
            problems.append(f"{at}: unknown key(s) {unknown}; known: min_area_m2, max_area_m2, "
                            "radius_m (or min_area, max_area, radius with units, e.g. '0.5 ha')")
        n_before = len(problems)
        area = _measure(item, "min_area", "m2", at, problems)
        top = _measure(item, "max_area", "m2", at, problems)
        radius = _measure(item, "radius", "m", at, problems)
        if len(problems) > n_before:
            continue
        if area is None:
            area = 0.0
        if area < 0:
            problems.append(f"{at}.min_area_m2: expected a number >= 0 (m²), got {area:g}")
        if radius is None or radius <= 0:
            shown = "nothing" if radius is None else f"{radius:g}"
            problems.append(f"{at}.radius_m: expected a number > 0 (metres), got {shown}")
        if top is not None and not top > area:
            problems.append(f"{at}.max_area_m2: {top:g} m² is not above min_area_m2 {area:g} m²")
        if area >= 0 and radius is not None and radius > 0 and (top is None or top > area):
            tiers.append((i, SizeTier(area, radius, math.inf if top is None else top)))
    tiers.sort(key=lambda it: it[1].min_area_m2)
    for (i, a), (j, b) in itertools.pairwise(tiers):
        if a.min_area_m2 == b.min_area_m2:
            problems.append(f"{where}: tiers[{i}] and tiers[{j}] share a min_area_m2 "
                            f"({a.min_area_m2:g} m²); merge them or change one")
        elif a.max_area_m2 > b.min_area_m2 and not math.isinf(a.max_area_m2):
            problems.append(f"{where}: tiers[{i}] ({a}) overlaps tiers[{j}] ({b}): a park of "
                            f"{b.min_area_m2:g} m² would be in both; end tiers[{i}] at "
                            f"max_area_m2: {b.min_area_m2:g}")
    return tuple(t for _, t in tiers)


def _text(values: Mapping[str, Any], key: str, problems: list[str]) -> str | None:
    raw = values.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        problems.append(f"{key}: expected non-empty text, got {raw!r}")
        return None
    return raw.strip()


def _parse_thresholds(raw: Any, problems: list[str]) -> dict[str, Threshold]:
    thresholds: dict[str, Threshold] = {}
    if not isinstance(raw, Mapping) or not raw:
        problems.append(f"thresholds: expected a mapping area_type -> share (e.g. overall: 0.9 "
                        f"or overall: 90%), got {raw!r}")
        return thresholds
    for key, item in raw.items():
        if key not in AREA_TYPES:
            problems.append(f"thresholds: unknown area type {key!r}; known: {list(AREA_TYPES)}")
            continue
        spec = item if isinstance(item, Mapping) else {"share": item}
        extra = sorted(set(map(str, spec)) - {"share", "comparison"})
        if extra:
            problems.append(f"thresholds.{key}: unknown key(s) {extra}; known: share, comparison")
        raw_share, comparison = spec.get("share"), spec.get("comparison", ">=")
        share = _number(raw_share)
        if share is None and isinstance(raw_share, str):
            try:
                share = parse_quantity(raw_share).to("share")
            except UnitError as err:
                problems.append(f"thresholds.{key}: {err}")
                continue
        if share is None or not 0.0 <= share <= 1.0:
            problems.append(f"thresholds.{key}: expected a share in [0, 1] (90 % = 0.9, or "
                            f"write '90%'), got {raw_share!r}")
        if comparison not in (">", ">="):
            problems.append(f"thresholds.{key}.comparison: expected '>' or '>=', "
                            f"got {comparison!r}")
        if share is not None and 0.0 <= share <= 1.0 and comparison in (">", ">="):
            thresholds[key] = Threshold(share, comparison)
    return thresholds


def rule_from_mapping(
    values: Mapping[str, Any], *, require_provenance: bool = False
) -> CoverageRule:
    """Build a user-defined rule from plain values (JSON/YAML), checking every field.

    中文：自定义覆盖率规则（校验全部字段，一次列出全部问题）。

    Parameters
    ----------
    values
        ``park_classes`` (list of GB/T 51346 codes), ``tiers`` (list of ``{min_area_m2,
        radius_m}`` with optional ``max_area_m2`` (exclusive); or ``min_area`` / ``max_area`` /
        ``radius`` with units, e.g. ``"0.5 公顷"``, ``"500 m"``), ``thresholds`` (``{area_type:
        share}`` or ``{area_type: {share, comparison}}``, shares 0–1 or ``"90%"``, comparison
        ``">"`` or ``">="``, default ``">="``); ``id`` and/or ``name`` (either names the rule);
        optional ``version`` (default 1), ``citation`` (or ``clause``), ``title_zh``,
        ``title_en``, ``denominator``, ``area_type_tiers`` (``{old_city|new_area|historic|other:
        tiers}``), ``verify``.
    require_provenance
        Also require ``name`` (or ``id``), ``version`` and ``citation`` (or ``clause``): rule
        files must say what they are and where their figures come from.

    Raises
    ------
    CoverageRuleError
        Listing every problem found (unknown keys, missing fields, bad values, overlapping
        tiers), not only the first.

    Examples
    --------
    >>> rule = rule_from_mapping({"id": "my_rule", "park_classes": ["G11"],
    ...     "tiers": [{"min_area_m2": 0, "radius_m": 800}], "thresholds": {"overall": 0.85}})
    >>> rule.max_radius_m, str(rule.threshold()), rule.source
    (800.0, '>= 85%', 'user')
    >>> rule_from_mapping({"name": "和平区规则", "park_classes": ["G12"], "thresholds":
    ...     {"overall": "90%"}, "tiers": [{"min_area": "0.5 ha", "radius": "500 m"},
    ...     {"min_area_m2": 1000, "max_area_m2": 5000, "radius_m": 300}]}).tiers
    (SizeTier(min_area_m2=1000.0, radius_m=300.0, max_area_m2=5000.0), \
SizeTier(min_area_m2=5000.0, radius_m=500.0, max_area_m2=inf))
    """
    problems: list[str] = []
    if not isinstance(values, Mapping):
        raise CoverageRuleError(f"a coverage rule is a mapping of keys (name, version, citation, "
                                f"park_classes, tiers, thresholds ...), got {values!r}")
    unknown = sorted(set(map(str, values)) - _RULE_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {unknown}; known: {sorted(_RULE_KEYS)}")
    name = _text(values, "name", problems)
    rule_id = values.get("id", name)
    if not isinstance(rule_id, str) or not rule_id.strip():
        problems.append(f"id/name: expected non-empty text naming the rule, got {rule_id!r}")
        rule_id = ""
    rule_id = rule_id.strip()
    version = values.get("version", None if require_provenance else 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.append(f"version: expected a whole number >= 1 (bump it when a figure "
                        f"changes), got {version!r}")
    clause = _text(values, "clause", problems)
    citation = _text(values, "citation", problems)
    if clause is not None and citation is not None and clause != citation:
        problems.append("citation and clause: give one (they are the same field)")
    clause = citation or clause
    if require_provenance and clause is None and not (
            values.get("citation") or values.get("clause")):
        problems.append("citation: required — the standard, plan or document (and clause) the "
                        "figures come from, e.g. 'GB/T 51346-2019 cl. 4.3.4'")
    title_zh, title_en = _text(values, "title_zh", problems), _text(values, "title_en", problems)
    classes = values.get("park_classes")
    if (not isinstance(classes, Sequence) or isinstance(classes, str) or not classes
            or not all(isinstance(c, str) for c in classes)):
        problems.append(f"park_classes: expected a non-empty list of class codes such as "
                        f"{list(PARK_CLASSES)}, got {classes!r}")
        classes = ()
    else:
        bad = sorted(set(classes) - set(PARK_CLASSES))
        if bad:
            problems.append(f"park_classes: unknown class(es) {bad}; known: {list(PARK_CLASSES)} "
                            "(G11 综合公园, G12 社区公园, G13 专类公园, G14 游园, G1 公园绿地, "
                            "G3 广场用地)")
    tiers = _parse_tiers(values.get("tiers"), "tiers", problems)
    area_type_tiers: dict[str, tuple[SizeTier, ...]] = {}
    raw_att = values.get("area_type_tiers", {})
    if not isinstance(raw_att, Mapping):
        problems.append(f"area_type_tiers: expected a mapping area_type -> tiers, got {raw_att!r}")
    else:
        for key, raw in raw_att.items():
            if key not in RESIDENTIAL_AREA_TYPES:
                problems.append(f"area_type_tiers: unknown area type {key!r}; residential land "
                                f"area types: {list(RESIDENTIAL_AREA_TYPES)}")
                continue
            area_type_tiers[str(key)] = _parse_tiers(raw, f"area_type_tiers.{key}", problems)
    denominator = values.get("denominator", "residential_land_area")
    if denominator not in DENOMINATORS:
        problems.append(f"denominator: {denominator!r} is not one of {list(DENOMINATORS)} "
                        "(every Chinese standard divides by residential land area 居住用地面积)")
    thresholds = _parse_thresholds(values.get("thresholds"), problems)
    verify = values.get("verify", ())
    if (not isinstance(verify, Sequence) or isinstance(verify, str)
            or not all(isinstance(v, str) for v in verify)):
        problems.append(f"verify: expected a list of texts, got {verify!r}")
        verify = ()
    if problems:
        shown = values.get("name", values.get("id"))
        raise CoverageRuleError(
            f"coverage rule {shown!r}: {len(problems)} problem(s)\n"
            + "\n".join(f"- {p}" for p in problems)
        )
    return CoverageRule(
        id=rule_id, version=int(version),
        title_zh=title_zh or name or rule_id,
        title_en=title_en or name or rule_id,
        clause=clause or "",
        park_classes=tuple(classes), tiers=tiers,
        thresholds=MappingProxyType(thresholds), denominator=str(denominator),
        area_type_tiers=MappingProxyType(area_type_tiers),
        verify=tuple(verify), source="user",
    )


def _tiers_to_list(tiers: Sequence[SizeTier]) -> list[dict[str, float]]:
    out = []
    for t in tiers:
        item = {"min_area_m2": t.min_area_m2, "radius_m": t.radius_m}
        if not math.isinf(t.max_area_m2):
            item["max_area_m2"] = t.max_area_m2
        out.append(item)
    return out


def rule_to_mapping(rule: CoverageRule) -> dict[str, Any]:
    """Return the plain (JSON/YAML) form of ``rule`` that :func:`rule_from_mapping` reads back.

    中文：规则导出为普通字典（可写入 YAML/JSON，记录于结果参数）。

    Examples
    --------
    >>> m = rule_to_mapping(get_rule("chengshi_tijian_2021"))
    >>> m["tiers"], m["thresholds"]
    ([{'min_area_m2': 2000.0, 'radius_m': 300.0}, {'min_area_m2': 5000.0, 'radius_m': 500.0}], \
{'overall': {'share': 0.9, 'comparison': '>='}})
    """
    return {
        "id": rule.id,
        "name": rule.title_zh,
        "version": rule.version,
        "citation": rule.clause,
        "title_zh": rule.title_zh,
        "title_en": rule.title_en,
        "park_classes": list(rule.park_classes),
        "tiers": _tiers_to_list(rule.tiers),
        "denominator": rule.denominator,
        "thresholds": {k: {"share": t.share, "comparison": t.comparison}
                       for k, t in rule.thresholds.items()},
        "area_type_tiers": {k: _tiers_to_list(v) for k, v in rule.area_type_tiers.items()},
        "verify": list(rule.verify),
    }
