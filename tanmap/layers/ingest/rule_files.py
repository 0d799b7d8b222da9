"""Read user coverage rule files (规则文件, YAML or JSON) and apply them to metrics and catalogs.

A rule file is one mapping (the keys of :func:`tanmap.geo.rules.rule_from_mapping`) and must say
what it is and where its figures come from: ``name``, ``version`` and ``citation``. Example::

    name: 和平区公园服务半径规则
    version: 2
    citation: 天津市和平区国土空间规划（2021—2035年）第5.3条
    park_classes: [G11, G12, G13, G14]
    tiers:
      - {min_area_m2: 5000, radius_m: 500}                     # >= 5000 m² -> 500 m
      - {min_area_m2: 1000, max_area_m2: 5000, radius_m: 300}  # 1000–5000 m² -> 300 m
    denominator: residential_land_area
    thresholds:
      overall: 90%
      old_city: {share: 0.8, comparison: ">="}
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tanmap.geo.errors import CoverageRuleError
from tanmap.geo.rules import CoverageRule, rule_from_mapping, rule_to_mapping

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tanmap.layers.catalog import Catalog

__all__ = [
    "MAX_RULE_FILE_BYTES",
    "RULE_METRICS",
    "apply_rule_to_catalog",
    "load_rule_file",
    "parse_rule_text",
    "read_rule_file",
    "rule_yaml",
]

#: Largest rule file read (bytes): a rule is a few hundred bytes; anything near this is not one.
MAX_RULE_FILE_BYTES = 256 * 1024

#: Metrics whose ``rule`` parameter a rule file sets.
RULE_METRICS: tuple[str, ...] = ("park_coverage",)


def _no_aliases(text: str, source: str) -> None:
    """Refuse YAML anchors/aliases: a few hundred bytes of them can expand to gigabytes."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise CoverageRuleError(
                    f"{source}: YAML aliases (*name) are not allowed in rule files; write the "
                    "values out in full."
                )
    except yaml.YAMLError as err:
        raise CoverageRuleError(f"{source}: not valid YAML or JSON: {err}") from err


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        # Files saved by Chinese Windows editors are often GBK; GB18030 is its superset.
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise CoverageRuleError(
                f"{source}: neither UTF-8 nor GBK/GB18030 text ({err.reason} at byte "
                f"{err.start}); save the rule file as UTF-8."
            ) from err


def parse_rule_text(text: str | bytes, *, source: str = "rule file") -> CoverageRule:
    """Return the validated rule of a YAML or JSON text.

    中文：解析并校验规则文件内容。

    Parameters
    ----------
    text
        The file's content; bytes are UTF-8 (a BOM is accepted), else GBK/GB18030.
    source
        Name used in messages (the file name).

    Raises
    ------
    CoverageRuleError
        If the text is too large, not UTF-8/GB18030, not YAML/JSON, not a mapping, uses YAML
        aliases, or the rule has problems (every problem is listed, prefixed by ``source``).

    Examples
    --------
    >>> rule = parse_rule_text('''
    ... name: 示例规则
    ... version: 1
    ... citation: GB/T 51346-2019 cl. 4.3.4
    ... park_classes: [G11, G12]
    ... tiers: [{min_area_m2: 1000, radius_m: 300}]
    ... thresholds: {overall: 90%}
    ... ''')
    >>> rule.citation
    'user rule 示例规则 v1 — GB/T 51346-2019 cl. 4.3.4'
    """
    if len(text) > MAX_RULE_FILE_BYTES:
        raise CoverageRuleError(f"{source}: {len(text)} bytes is too large for a rule file "
                                f"(limit {MAX_RULE_FILE_BYTES // 1024} KiB).")
    if isinstance(text, bytes):
        text = _decode(text, source)
    text = text.removeprefix("\ufeff")
    _no_aliases(text, source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise CoverageRuleError(f"{source}: not valid YAML or JSON: {err}") from err
    if not isinstance(data, dict):
        raise CoverageRuleError(
            f"{source}: expected one mapping with name, version, citation, park_classes, tiers "
            f"and thresholds, got {type(data).__name__}."
        )
    try:
        return rule_from_mapping(data, require_provenance=True)
    except CoverageRuleError as err:
        raise CoverageRuleError(f"{source}: {err}") from err


def read_rule_file(path: str | Path) -> CoverageRule:
    """Return the validated rule of a YAML (``.yaml``/``.yml``) or JSON file.

    中文：读取规则文件。

    Raises
    ------
    CoverageRuleError
        If the file is missing or its rule has problems (see :func:`parse_rule_text`).
    """
    p = Path(path)
    if not p.is_file():
        raise CoverageRuleError(f"rule file {p} not found; give the path of a YAML file with "
                                "name, version, citation, park_classes, tiers and thresholds.")
    size = p.stat().st_size
    if size > MAX_RULE_FILE_BYTES:
        raise CoverageRuleError(f"{p.name}: {size} bytes is too large for a rule file "
                                f"(limit {MAX_RULE_FILE_BYTES // 1024} KiB).")
    return parse_rule_text(p.read_bytes(), source=p.name)


def load_rule_file(path: str | Path) -> dict[str, Any]:
    """Return the rule of a file as the plain mapping a ``rule`` metric parameter takes.

    中文：读取规则文件为指标参数（rule）。
    """
    return rule_to_mapping(read_rule_file(path))


def rule_yaml(rule: CoverageRule) -> str:
    """Return ``rule`` as a rule file (YAML) that :func:`parse_rule_text` reads back.

    中文：规则导出为 YAML 规则文件（可在内置规则基础上修改）。

    Examples
    --------
    >>> from tanmap.geo.rules import get_rule
    >>> text = rule_yaml(get_rule("chengshi_tijian_2021"))
    >>> parse_rule_text(text).tiers == get_rule("chengshi_tijian_2021").tiers
    True
    """
    mapping = rule_to_mapping(rule)
    # The display names are the name; keep the file short and the keys a user edits first.
    for key in ("title_zh", "id"):
        mapping.pop(key)
    if not mapping["area_type_tiers"]:
        mapping.pop("area_type_tiers")
    if not mapping["verify"]:
        mapping.pop("verify")
    text: str = yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False,
                               default_flow_style=None, width=100)
    return text


def apply_rule_to_catalog(
    catalog: Catalog, rule: CoverageRule | dict[str, Any],
    metrics: Iterable[str] = RULE_METRICS,
) -> Catalog:
    """Return ``catalog`` with every target of ``metrics`` computed under ``rule``.

    中文：将自定义规则应用于目录中的覆盖率目标。

    The targets' thresholds stay as the plan states them; the rule decides which parks count,
    how far they serve and the rule's own threshold shown in the details. A target's
    ``radius_m`` override is dropped (it would replace every tier's radius of the rule).
    Changed targets carry ``overridden=True``.
    """
    from tanmap.layers.catalog import override

    mapping = rule_to_mapping(rule) if isinstance(rule, CoverageRule) else dict(rule)
    wanted = set(metrics)
    targets = [override(t, params={"rule": mapping, "radius_m": None}) if t.metric in wanted
               else t for t in catalog.targets]
    return catalog.model_copy(update={"targets": targets})
