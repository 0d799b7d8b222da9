"""Report-card writers (评估报告卡): Markdown, self-contained HTML, XLSX and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from tanmap.geo.audit import Status
from tanmap.layers.card import card_text as ct
from tanmap.layers.card.card_text import format_value
from tanmap.layers.card.cells import LABELS, label, row_cells

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from tanmap.layers.audit import AuditCard
    from tanmap.layers.store.base import Store

__all__ = [
    "DEFAULT_FORMATS",
    "FORMATS",
    "LABELS",
    "card_html",
    "card_markdown",
    "format_value",
    "row_cells",
    "write_card",
    "xlsx_number_format",
]

#: Output formats of :func:`write_card` ("pdf" needs matplotlib, fpdf2 and a CJK font:
#: see :mod:`tanmap.layers.card.pdfcard`).
FORMATS: tuple[str, ...] = ("md", "html", "xlsx", "json", "pdf")

#: Formats written when none are asked for (the PDF also needs the store for its maps).
DEFAULT_FORMATS: tuple[str, ...] = ("md", "html", "xlsx", "json")


_STATUS_FILL = {
    Status.MET: "C6EFCE",
    Status.NOT_MET: "FFC7CE",
    Status.ON_TRACK: "FFEB9C",
    Status.NO_DATA: "D9D9D9",
}


_CARD_COLUMNS = ("status", "id", "title", "category", "measured", "target", "gap",
                 "error_bound", "planned", "deadline", "departments", "rule", "params",
                 "missing", "failing_units", "source", "note")
_MD_COLUMNS = ("status", "id", "title", "measured", "target", "gap", "error_bound", "planned",
               "deadline", "missing", "failing_units", "source")
_HTML_COLUMNS = ("status", "id", "title", "category", "measured", "target", "gap",
                 "error_bound", "planned", "deadline", "missing", "failing_units", "note",
                 "source")
_RULE_COLUMNS = ("id", "rule", "params", "departments")


def _heading(card: AuditCard, lang: str) -> str:
    name = card.district_en if lang == "en" and card.district_en else card.district_zh
    return f"{name} ({card.adcode}) {label('card', lang)} {card.year}"


def _summary(card: AuditCard, lang: str) -> str:
    text = " · ".join(f"{Status(k).label(lang)} {n}" for k, n in card.counts.items())
    within = sum(r.within_error_bound for r in card.rows if r.companion_of is None)
    if within:
        text += (f" ({label('within_bound', lang)} {within})" if lang == "en"
                 else f"（{label('within_bound', lang)} {within}）")
    return text


def _district_line(card: AuditCard, lang: str) -> str:
    if lang == "en":
        title = card.plan_title_en or card.plan_title
        return f"{card.district_en or card.district_zh} ({card.adcode}) — {title}"
    return f"{card.district_zh}（{card.adcode}）——《{card.plan_title}》"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    return lines


def _unit_table(card: AuditCard, lang: str) -> tuple[list[str], list[list[str]]]:
    header = [label(k, lang) for k in ("unit_name", "id", "title", "measured", "target", "status",
                                    "failing_units")]
    rows = [
        [u.unit_name, u.target_id, u.title_en if lang == "en" else u.title_zh,
         format_value(u.measured, u.unit, lang),
         "—" if u.target is None else
         f"{ct.COMPARISON_SYMBOLS.get(u.comparison, u.comparison)} "
         f"{format_value(u.target, u.unit, lang)}",
         u.status.label(lang) if u.status is not None else "—",
         ("、" if lang == "zh" else ", ").join(u.failing_units)]
        for u in card.unit_rows
    ]
    return header, rows


def _scenario_table(card: AuditCard, lang: str) -> tuple[list[str], list[list[str]]]:
    years = sorted(card.scenarios)
    header = [label(k, lang) for k in ("id", "title", "target", "deadline")]
    for y in years:
        header += [f"{y} {label('measured', lang)}", f"{y} {label('status', lang)}"]
    rows: list[list[str]] = []
    for row in card.rows:
        cells = [row.target_id, row.title(lang), ct.target_text(row, lang),
                 str(row.deadline) if row.deadline is not None else "—"]
        for y in years:
            other = next((r for r in card.scenarios[y].rows if r.target_id == row.target_id), None)
            cells += (["—", "—"] if other is None else
                      [format_value(other.measured, other.unit, lang),
                       other.status_label(lang)])
        rows.append(cells)
    return header, rows


def _lineage_table(card: AuditCard, lang: str) -> tuple[list[str], list[list[str]]]:
    header = [label(k, lang) for k in ("layer", "district", "version", "updated_at", "n_features",
                                    "data_source")]
    rows = [[ct.kind_label(str(e.get("kind")), lang), str(e.get("district")),
             "—" if e.get("version") is None else str(e.get("version")),
             str(e.get("updated_at")),
             "—" if e.get("n_features") is None else str(e.get("n_features")),
             str(e.get("source") or "")]
            for e in card.lineage()]
    return header, rows


def card_markdown(card: AuditCard, lang: str = "zh") -> str:
    """Return the card as Markdown (Chinese by default, English with ``lang="en"``).

    中文：报告卡 Markdown。
    """
    lines = [f"# {_heading(card, lang)}", ""]
    if card.sample_data:
        lines += [f"> **{label('sample_note', lang)}**", ""]
    lines.append(f"- {label('district', lang)}: {_district_line(card, lang)}")
    lines.append(f"- {label('audit_year', lang)}: {card.year}")
    if card.include_planned_until is not None:
        lines.append(f"- {label('planned_until', lang)}: {card.include_planned_until}")
    lines.append(f"- {label('generated_at', lang)}: {card.generated_at}")
    lines.append(f"- {label('summary', lang)}: {_summary(card, lang)}")
    lines += ["", f"> {label('gap_note', lang)}", ""]
    cells = [row_cells(r, lang) for r in card.rows]
    lines += _md_table([label(k, lang) for k in _MD_COLUMNS],
                       [[c[k] for k in _MD_COLUMNS] for c in cells])
    lines += ["", f"## {label('rule', lang)} / {label('params', lang)}", ""]
    rule_cols = (*_RULE_COLUMNS, "note")
    lines += _md_table([label(k, lang) for k in rule_cols],
                       [[c[k] for k in rule_cols] for c in cells])
    if card.unit_rows:
        lines += ["", f"## {label('units', lang)}", ""]
        lines += _md_table(*_unit_table(card, lang))
    if card.scenarios:
        lines += ["", f"## {label('scenario', lang)}", ""]
        lines += _md_table(*_scenario_table(card, lang))
    lines += ["", f"## {label('lineage', lang)}", ""]
    lines += _md_table(*_lineage_table(card, lang))
    return "\n".join(lines) + "\n"


_HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ heading }}</title>
<style>
body { font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; white-space: nowrap; }
td { max-width: 30em; overflow-wrap: anywhere; }
td.num, td.status, td.id { text-align: right; white-space: nowrap; }
td.status, td.id { text-align: left; }
.met { background: #c6efce; } .not_met { background: #ffc7ce; }
.on_track { background: #ffeb9c; } .no_data { background: #d9d9d9; }
.quote { color: #444; font-size: 0.85em; }
.banner { background: #fff3cd; border: 1px solid #e0c060; padding: 0.5em; font-weight: bold; }
</style>
</head>
<body>
<h1>{{ heading }}</h1>
{% if card.sample_data %}<p class="banner">{{ t.sample_note }}</p>{% endif %}
<ul>
<li>{{ t.district }}: {{ district_line }}</li>
<li>{{ t.audit_year }}: {{ card.year }}</li>
{% if card.include_planned_until is not none %}
<li>{{ t.planned_until }}: {{ card.include_planned_until }}</li>{% endif %}
<li>{{ t.generated_at }}: {{ card.generated_at }}</li>
<li>{{ t.summary }}: {{ summary }}</li>
</ul>
<p>{{ t.gap_note }}</p>
<table>
<tr>{% for k in columns %}<th>{{ t[k] }}</th>{% endfor %}</tr>
{% for row, c in rows %}<tr>
{% for k in columns %}
{% if k == 'status' %}<td class="status {{ row.status.value }}">{{ c[k] }}</td>
{% elif k == 'id' %}<td class="id">{{ c[k] }}{% if row.target_id in site_links %}
<br><a href="{{ site_links[row.target_id] }}">{{ t.site_link }}</a>{% endif %}</td>
{% elif k in numeric %}<td class="num">{{ c[k] }}</td>
{% elif k == 'source' %}<td class="quote">{{ c[k] }}</td>
{% else %}<td>{{ c[k] }}</td>{% endif %}{% endfor %}
</tr>{% endfor %}
</table>
{% for title, header, body in sections %}
<h2>{{ title }}</h2>
<table>
<tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for r in body %}<tr>{% for c in r %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}
</table>
{% endfor %}
</body>
</html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def card_html(card: AuditCard, lang: str = "zh", *,
              site_links: Mapping[str, str] | None = None) -> str:
    """Return the card as one self-contained, escaped HTML page (no external resources).

    中文：报告卡 HTML（单文件，内容已转义）。

    ``site_links`` maps target ids to a siting map (the web card links 未达标 targets with a
    siting question to ``/maps/{adcode}/sites``); files written offline leave it out.
    """
    cells = [row_cells(r, lang) for r in card.rows]
    sections = [(f"{label('rule', lang)} / {label('params', lang)}",
                 [label(k, lang) for k in _RULE_COLUMNS],
                 [[c[k] for k in _RULE_COLUMNS] for c in cells])]
    if card.unit_rows:
        sections.append((label("units", lang), *_unit_table(card, lang)))
    if card.scenarios:
        sections.append((label("scenario", lang), *_scenario_table(card, lang)))
    sections.append((label("lineage", lang), *_lineage_table(card, lang)))
    return _ENV.from_string(_HTML_TEMPLATE).render(
        lang=lang, heading=_heading(card, lang), card=card, summary=_summary(card, lang),
        district_line=_district_line(card, lang),
        t={k: label(k, lang) for k in LABELS}, columns=_HTML_COLUMNS,
        numeric={"measured", "target", "gap", "error_bound", "planned", "deadline"},
        rows=list(zip(card.rows, cells, strict=True)), sections=sections,
        site_links=dict(site_links or {}),
    )


def _sheet(wb: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Any:
    ws = wb.create_sheet(title=title)
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(list(r))
    ws.freeze_panes = "A2"
    return ws


_XLSX_COLUMNS = ("status", "id", "title", "category", "measured", "comparison", "target",
                 "unit", "gap", "error_bound", "planned", "deadline", "departments", "rule",
                 "params", "missing", "failing_units", "source", "note", "lineage")
_XLSX_WIDTHS = {"title": 30, "source": 50, "params": 40, "rule": 30, "lineage": 40,
                "departments": 24, "missing": 24, "failing_units": 24, "note": 30}
#: Columns holding a figure in the row's unit (numeric cells with a number format).
_XLSX_FIGURES = ("measured", "target", "gap", "error_bound", "planned")


def xlsx_number_format(unit: str, value: float | None, *, fine: bool = False) -> str:
    """Return the Excel number format of a figure: shares as ``0.0%``, counts as ``#,##0``.

    中文：XLSX 数字格式（占比显示为百分数）。

    ``fine`` asks for more decimals (gaps and error bounds, which can be tiny).

    Examples
    --------
    >>> xlsx_number_format("share", 0.389), xlsx_number_format("share", 1e-6, fine=True)
    ('0.0%', '0.00000%')
    >>> xlsx_number_format("share", 0.9999985)
    '0.0000%'

    >>> xlsx_number_format("m2", 1620000.0), xlsx_number_format("km", 3.25)
    ('#,##0', '#,##0.00')
    """
    if unit in ("share",):
        if fine:
            return "0.00000%"
        # Never displayed as 100.0 % (or 0.0 %) when it is not: 0.9999985 shows 99.9998%.
        decimals = 1 if value is None else ct.share_decimals(float(value))
        return f"0.{'0' * decimals}%"
    if value is not None and float(value).is_integer() and not fine:
        return "#,##0"
    return "#,##0.00" if not fine else "#,##0.00####"


def _write_xlsx(card: AuditCard, path: Path, lang: str) -> None:
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    header = [label(k, lang) for k in _XLSX_COLUMNS]
    body: list[list[Any]] = []
    for row in card.rows:
        c: dict[str, Any] = {**row_cells(row, lang),
                             "comparison": ct.COMPARISON_SYMBOLS.get(row.comparison,
                                                                     row.comparison),
                             "unit": ct.unit_label(row.unit, lang)}
        # Keep figures numeric in the spreadsheet so planners can compute with them; the
        # number format shows shares as percentages.
        c.update({"measured": row.measured,
                  "target": row.target if row.target is not None else ct.target_text(row, lang),
                  "gap": row.gap, "error_bound": row.error_bound,
                  "planned": row.measured_planned, "deadline": row.deadline})
        body.append([c[k] for k in _XLSX_COLUMNS])
    ws = _sheet(wb, "评估卡" if lang == "zh" else "Card", header, body)
    for i, row in enumerate(card.rows, start=2):
        ws.cell(row=i, column=1).fill = PatternFill("solid", fgColor=_STATUS_FILL[row.status])
        ws.cell(row=i, column=_XLSX_COLUMNS.index("source") + 1).alignment = Alignment(
            wrap_text=True)
        for key in _XLSX_FIGURES:
            cell = ws.cell(row=i, column=_XLSX_COLUMNS.index(key) + 1)
            if isinstance(cell.value, int | float):
                cell.number_format = xlsx_number_format(
                    row.unit, cell.value, fine=key in ("gap", "error_bound"))
    for j, key in enumerate(_XLSX_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = _XLSX_WIDTHS.get(key, 12)
    ws.cell(row=len(card.rows) + 3, column=1, value=label("gap_note", lang))
    if card.sample_data:
        ws.cell(row=len(card.rows) + 4, column=1, value=label("sample_note", lang)).font = Font(
            bold=True, color="9C5700")
    uh, ub = _unit_table(card, lang)
    numeric = [[*r[:3], u.measured, u.target, *r[5:]]
               for r, u in zip(ub, card.unit_rows, strict=True)]
    units_ws = _sheet(wb, "街道" if lang == "zh" else "Sub-districts", uh, numeric)
    for i, u in enumerate(card.unit_rows, start=2):
        for col in (4, 5):
            cell = units_ws.cell(row=i, column=col)
            if isinstance(cell.value, int | float):
                cell.number_format = xlsx_number_format(u.unit, cell.value)
    if card.scenarios:
        sh, text_rows = _scenario_table(card, lang)
        sb: list[list[Any]] = [list(r) for r in text_rows]
        years = sorted(card.scenarios)
        for cells, row in zip(sb, card.rows, strict=True):
            for k, y in enumerate(years):
                other = next((r for r in card.scenarios[y].rows
                              if r.target_id == row.target_id), None)
                if other is not None and other.measured is not None:
                    cells[4 + 2 * k] = other.measured
    else:
        sh, sb = [label("id", lang), label("title", lang)], []
    scen_ws = _sheet(wb, "情景" if lang == "zh" else "Scenarios", sh, sb)
    for i, row in enumerate(card.rows if card.scenarios else (), start=2):
        for k in range(len(card.scenarios)):
            cell = scen_ws.cell(row=i, column=5 + 2 * k)
            if isinstance(cell.value, int | float):
                cell.number_format = xlsx_number_format(row.unit, cell.value)
    _sheet(wb, "数据版本" if lang == "zh" else "Lineage", *_lineage_table(card, lang))
    wb.save(path)


def write_card(
    card: AuditCard,
    out_dir: str | Path,
    formats: Iterable[str] = DEFAULT_FORMATS,
    lang: str = "zh",
    *,
    store: Store | None = None,
) -> list[Path]:
    """Write the card in each format to ``out_dir`` and return the files written.

    中文：输出评估报告卡（Markdown、HTML、XLSX、JSON、PDF）。

    Files are named ``audit_<adcode>_<year>_<lang>.<ext>``. The JSON holds every parameter,
    rule version, figure and the lineage (language-neutral: both labels are in it). The PDF
    (:func:`tanmap.layers.card.pdfcard.write_pdf_card`) draws one map per spatial target from
    ``store``; without a store it has the title block, summary and table only.

    Raises
    ------
    ValueError
        For an unknown format or language (the message lists the known ones).
    PdfCardError
        For ``pdf`` when matplotlib, fpdf2 or the CJK font is missing (the message says how to
        install them).
    """
    formats = [f.strip().lower() for f in formats if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown report format(s) {bad}; choose from {', '.join(FORMATS)}")
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown language {lang!r}; use 'zh' (中文) or 'en' (English)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"audit_{card.adcode}_{card.year}_{lang}"
    written: list[Path] = []
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        if fmt == "md":
            path.write_text(card_markdown(card, lang), encoding="utf-8")
        elif fmt == "html":
            path.write_text(card_html(card, lang), encoding="utf-8")
        elif fmt == "xlsx":
            _write_xlsx(card, path, lang)
        elif fmt == "pdf":
            from tanmap.layers.card.pdfcard import write_pdf_card

            write_pdf_card(card, path, lang=lang, store=store)
        else:
            data = card.to_dict()
            data["lang"] = lang
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        written.append(path)
    return written
