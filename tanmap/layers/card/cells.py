"""The text of a report card's cells (评估卡单元格文字), shared by every card writer.

The Markdown, HTML, XLSX and JSON writers (:mod:`tanmap.layers.card.report`) and the PDF writer
(:mod:`tanmap.layers.card.pdfcard`) all take a row's display strings and the card's labels from
here, so the formats cannot drift apart and neither writer imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tanmap.layers.card import card_text as ct
from tanmap.layers.card.card_text import format_value

if TYPE_CHECKING:
    from tanmap.layers.audit import AuditRow

__all__ = ["LABELS", "label", "row_cells"]

#: Column and heading labels: key -> (Chinese, English).
LABELS: dict[str, tuple[str, str]] = {
    "card": ("目标评估报告卡", "Plan-target report card"),
    "district": ("区县", "District"),
    "audit_year": ("评估年份", "Audit year"),
    "generated_at": ("生成时间", "Generated at"),
    "planned_until": ("计入规划项目至", "Planned projects counted until"),
    "summary": ("汇总", "Summary"),
    "status": ("状态", "Status"),
    "id": ("编号", "ID"),
    "title": ("目标", "Target"),
    "category": ("类别", "Category"),
    "measured": ("实测值", "Measured"),
    "target": ("目标值", "Target value"),
    "comparison": ("比较", "Comparison"),
    "unit": ("单位", "Unit"),
    "gap": ("缺口", "Gap"),
    "error_bound": ("误差界", "Error bound"),
    "planned": ("计入规划项目后", "With planned projects"),
    "site_link": ("选址地图", "Where to build"),
    "deadline": ("期限", "Deadline"),
    "departments": ("责任单位", "Departments"),
    "rule": ("规则及版本", "Rule and version"),
    "params": ("参数", "Parameters"),
    "source": ("出处（原文条款）", "Source clause"),
    "missing": ("缺失数据", "Missing data"),
    "failing_units": ("未达标单元", "Failing units"),
    "note": ("说明", "Note"),
    "lineage": ("数据来源与版本", "Lineage (layer versions)"),
    "layer": ("图层", "Layer"),
    "version": ("版本", "Version"),
    "updated_at": ("更新时间", "Updated at"),
    "n_features": ("要素数", "Features"),
    "data_source": ("数据来源", "Source"),
    "units": ("街道评估", "Sub-district card"),
    "unit_name": ("街道", "Sub-district"),
    "scenario": ("情景评估（计入届时计划建成的项目）",
                 "Scenarios (projects planned by then counted)"),
    "gap_note": ("缺口：正数为距目标的差距，零或负数表示已达到或超出。误差界：面积类指标以"
                 "内接缓冲区计算，实测值为下界；缺口在误差界内时注明“误差范围内”。",
                 "Gap: positive = shortfall against the target; zero or negative = at or beyond. "
                 "Error bound: covered areas are lower bounds; a gap inside the bound is marked "
                 "\"within error bound\"."),
    "within_bound": ("其中误差范围内", "of which within error bound"),
    "vague": ("阈值为可编辑设定", "threshold is an editable setting"),
    "overridden": ("已按覆盖文件修改", "changed by an override"),
    "error": ("无法计算", "Could not compute"),
    "none": ("无", "none"),
    "sample_note": ("⚠ 示例数据：本报告卡基于合成示例图层计算，仅供演示，不代表真实情况。",
                    "⚠ Synthetic sample (示例数据): computed on synthetic layers for "
                    "demonstration; these are not real figures."),
}


def label(key: str, lang: str = "zh") -> str:
    """Return a card label in ``lang`` (``"card"`` -> 目标评估报告卡 / Plan-target report card)."""
    zh, en = LABELS[key]
    return en if lang == "en" else zh


def _category(value: str, lang: str) -> str:
    from tanmap.layers.catalog import Category

    try:
        cat = Category(value)
    except ValueError:
        return value
    return value.replace("_", " ").capitalize() if lang == "en" else cat.zh


def _lineage_text(row: AuditRow, lang: str) -> str:
    def version(e: dict[str, Any]) -> str:
        return "-" if e.get("version") is None else str(e.get("version"))

    sep = "; " if lang == "en" else "；"
    return sep.join(
        f"{ct.kind_label(str(e.get('kind')), lang)} v{version(e)} ({e.get('updated_at')})"
        for e in row.lineage
    )


def _cells(row: AuditRow, lang: str) -> dict[str, str]:
    """Return the display strings of one card row (plain text, not yet escaped)."""
    return {
        "status": row.status_label(lang),
        "id": row.target_id,
        "title": row.title(lang),
        "category": _category(row.category, lang),
        "measured": format_value(row.measured, row.unit, lang),
        "target": ct.target_text(row, lang),
        "gap": format_value(row.gap, row.unit, lang) if row.gap is not None else "—",
        "error_bound": ct.bound_text(row, lang),
        "planned": format_value(row.measured_planned, row.unit, lang),
        "deadline": str(row.deadline) if row.deadline is not None else "—",
        "departments": ct.department_text(row.departments, lang),
        "rule": ct.rule_text(row, lang),
        "params": ct.params_text(row.metric, row.params, lang),
        "source": ct.source_text(row, lang),
        "missing": ct.missing_text(row.missing, lang),
        "failing_units": ("、" if lang == "zh" else ", ").join(row.failing_units),
        "note": ct.note_text(row, lang),
        "lineage": _lineage_text(row, lang),
    }


def row_cells(row: AuditRow, lang: str = "zh") -> dict[str, str]:
    """Return the display text of one card row in ``lang`` (plain text, not escaped).

    中文：评估行的显示文字。
    """
    return _cells(row, lang)
