"""Printable PDF report card (评估报告卡 PDF): title block, summary, table and one map per target.

The page text is laid out with fpdf2, which embeds a subset of a TrueType CJK font so that the
PDF prints and its text can be searched and copied (``pdftotext``); the maps are drawn with
matplotlib (legend, scale bar, north arrow, data sources and date) and placed as images.

The font is Debian's WenQuanYi Micro Hei (package ``fonts-wqy-microhei``, Apache-2.0 or
GPLv3 with font exception): TrueType outlines with Latin and CJK glyphs in one face, so no
font fallback is needed (fpdf2's fallback runs leave whitespace runs without a font, which
pdftotext reports as syntax errors). It is installed by ``make pdf-tools``
(``scripts/install-pdf-tools.sh``); ``TANMAP_CJK_FONT`` or the ``font_path`` argument name
another TrueType font (.ttf or .ttc) with Chinese and Latin glyphs. Noto CJK, which the browser
tests install, has CFF outlines, which fpdf2 cannot embed.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tanmap.geo.audit import Status
from tanmap.geo.errors import MissingDependencyError
from tanmap.layers.card import card_text as ct
from tanmap.layers.card.card_text import format_value
from tanmap.layers.card.cells import LABELS, label, row_cells

if TYPE_CHECKING:
    import geopandas as gpd

    from tanmap.layers.audit import AuditCard, AuditRow
    from tanmap.layers.store.base import Store

__all__ = [
    "CJK_FONT_ENV",
    "CJK_FONT_PATHS",
    "PdfCardError",
    "find_cjk_font",
    "map_figure_png",
    "nice_scale_length_m",
    "write_pdf_card",
]

#: Environment variable naming a TrueType CJK font file for the PDF card.
CJK_FONT_ENV = "TANMAP_CJK_FONT"

#: Where the CJK TrueType font is looked for (Debian fonts-wqy-microhei, then fonts-wqy-zenhei).
CJK_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)

_STATUS_RGB: dict[Status, tuple[int, int, int]] = {
    Status.MET: (198, 239, 206),
    Status.NOT_MET: (255, 199, 206),
    Status.ON_TRACK: (255, 235, 156),
    Status.NO_DATA: (217, 217, 217),
}

#: Colours of the layers drawn on a target's map, by geometry family (fill, edge).
_FAMILY_COLOURS: tuple[str, ...] = ("#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f",
                                    "#ad1457", "#5d4037")

_TEXT = {
    "card": ("目标评估报告卡", "Plan-target report card"),
    "plan": ("规划", "Plan"),
    "audit_year": ("评估年份", "Audit year"),
    "generated": ("生成时间", "Generated"),
    "summary": ("汇总", "Summary"),
    "maps": ("空间目标图", "Maps of the spatial targets"),
    "sources": ("数据来源", "Data sources"),
    "date": ("制图日期", "Map date"),
    "north": ("北", "N"),
    "district": ("区界", "District boundary"),
    "failing": ("未达标单元", "Failing units"),
    "gaps": ("覆盖缺口", "Coverage gaps"),
    "no_layers": ("无可绘制的图层", "No layer to draw"),
    "page": ("第 {n} 页", "Page {n}"),
}


class PdfCardError(MissingDependencyError):
    """The PDF card cannot be written: a library or the CJK font is missing.

    中文：无法生成 PDF 报告卡（缺少绘图库或中文字体）。
    """


def _t(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return en if lang == "en" else zh


def find_cjk_font(font_path: str | Path | None = None) -> Path:
    """Return the TrueType CJK font the PDF card embeds.

    中文：查找 PDF 报告卡所用的中文 TrueType 字体。

    Order: ``font_path``, the ``TANMAP_CJK_FONT`` environment variable, :data:`CJK_FONT_PATHS`.

    Raises
    ------
    PdfCardError
        If no font file is found; the message says how to install one.
    """
    candidates = [font_path, os.environ.get(CJK_FONT_ENV), *CJK_FONT_PATHS]
    for c in candidates:
        if c and Path(c).is_file():
            _check_truetype(Path(c))
            return Path(c)
    raise PdfCardError(
        "no CJK TrueType font for the PDF card: run `make pdf-tools` (installs Debian's "
        "fonts-wqy-microhei) or set TANMAP_CJK_FONT to a TrueType font (.ttf/.ttc) with "
        f"Chinese and Latin glyphs (looked in: {', '.join(CJK_FONT_PATHS)})"
    )


def _check_truetype(path: Path) -> None:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with path.open("rb") as fh:
            font = TTFont(fh, fontNumber=0, lazy=True)
            ok = "glyf" in font and ord("中") in (font.getBestCmap() or {})
    except (TTLibError, OSError, AssertionError) as err:
        raise PdfCardError(f"cannot read the font {path}: {err}") from err
    if not ok:
        raise PdfCardError(
            f"the PDF card needs a TrueType-outline font with Chinese glyphs, got {path} "
            "(CFF/OpenType fonts such as Noto CJK cannot be embedded). Install Debian's "
            "fonts-wqy-microhei (make pdf-tools) or name such a font in TANMAP_CJK_FONT."
        )


def nice_scale_length_m(width_m: float) -> float:
    """Return a round scale-bar length (1, 2 or 5 × 10ⁿ m) of at most a fifth of the map width.

    中文：比例尺长度（取整）。

    Examples
    --------
    >>> nice_scale_length_m(4_800), nice_scale_length_m(23_000), nice_scale_length_m(900)
    (500.0, 2000.0, 100.0)
    """
    if not width_m > 0:
        raise ValueError(f"width_m must be > 0, got {width_m}")
    target = width_m / 5
    power = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target:
            return float(step * power)
    return float(power)


def _map_fonts(font_path: str | Path | None) -> tuple[Any, Any]:
    """Return (regular, small) matplotlib font properties of the card's font."""
    from matplotlib.font_manager import FontProperties

    font = str(find_cjk_font(font_path))
    return FontProperties(fname=font, size=10), FontProperties(fname=font, size=7)


def _require_libs() -> tuple[Any, Any]:
    try:
        import fpdf
        import matplotlib
    except ImportError as err:  # pragma: no cover - both are dependencies
        raise PdfCardError(
            f"the PDF card needs matplotlib and fpdf2 ({err}); pip install matplotlib fpdf2"
        ) from err
    return fpdf, matplotlib


def _row_kinds(row: AuditRow) -> list[str]:
    kinds = []
    for e in row.lineage:
        kind = str(e.get("kind") or "")
        if kind and not kind.startswith(("indicator:", "raster:")) and kind not in kinds:
            kinds.append(kind)
    return kinds


def map_figure_png(
    row: AuditRow,
    district: gpd.GeoDataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    *,
    lang: str = "zh",
    font_path: str | Path | None = None,
    map_date: str = "",
    dpi: int = 150,
) -> bytes:
    """Return a PNG map of one spatial target: its layers, legend, scale bar and north arrow.

    中文：单个空间目标的地图（图例、比例尺、指北针、数据来源与日期）。

    Parameters
    ----------
    row
        The card row (its lineage names the layers; failing 街道 are outlined).
    district
        The district boundary in a *projected* CRS (metres).
    layers
        Layers by kind value, in the same CRS (``subdistrict`` is drawn as units).
    lang
        Language of the legend and captions.
    font_path
        The CJK TrueType font (see :func:`find_cjk_font`).
    map_date
        Date printed under the map.
    dpi
        Resolution of the PNG.

    Raises
    ------
    GeographicCRSError
        If the district is in degrees (a scale bar needs metres).
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from tanmap.geo.crs import require_projected

    require_projected(district.geometry, what="district")
    font, small = _map_fonts(font_path)
    fig = Figure(figsize=(9.0, 6.2), dpi=dpi)
    ax = fig.add_axes((0.02, 0.1, 0.7, 0.86))
    ax.set_axis_off()
    ax.set_aspect("equal")
    handles: list[Any] = []
    subs = layers.get("subdistrict")
    if subs is not None and len(subs):
        subs.boundary.plot(ax=ax, color="#9e9e9e", linewidth=0.5)
        handles.append(Line2D([], [], color="#9e9e9e", linewidth=0.8,
                              label=ct.kind_label("subdistrict", lang)))
        failing = subs[subs["name"].astype(str).isin(row.failing_units)] \
            if "name" in subs.columns else subs.iloc[0:0]
        if len(failing):
            failing.plot(ax=ax, facecolor="none", edgecolor="#c62828", linewidth=1.6,
                         hatch="///")
            handles.append(Patch(facecolor="none", edgecolor="#c62828", hatch="///",
                                 label=_t("failing", lang)))
    colour = iter(_FAMILY_COLOURS * 3)
    for kind, gdf in layers.items():
        if kind in ("subdistrict", "district") or gdf is None or len(gdf) == 0:
            continue
        c = next(colour)
        geom_type = str(gdf.geometry.iloc[0].geom_type)
        label = ct.kind_label(kind, lang)
        if "Point" in geom_type:
            gdf.plot(ax=ax, color=c, markersize=6)
            handles.append(Line2D([], [], marker="o", linestyle="", color=c, label=label))
        elif "Line" in geom_type:
            gdf.plot(ax=ax, color=c, linewidth=1.2)
            handles.append(Line2D([], [], color=c, linewidth=1.5, label=label))
        else:
            gdf.plot(ax=ax, facecolor=c, edgecolor=c, linewidth=0.3, alpha=0.45)
            handles.append(Patch(facecolor=c, edgecolor=c, alpha=0.45, label=label))
    district.boundary.plot(ax=ax, color="#212121", linewidth=1.4)
    handles.insert(0, Line2D([], [], color="#212121", linewidth=1.4,
                             label=_t("district", lang)))
    west, south, east, north = (float(v) for v in district.total_bounds)
    pad = 0.03 * max(east - west, north - south)
    ax.set_xlim(west - pad, east + pad)
    ax.set_ylim(south - pad, north + pad)
    # Scale bar (bottom left), metres in the planning CRS.
    length = nice_scale_length_m(east - west)
    x0, y0 = west, south - pad * 0.6
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    ax.plot([x0, x0 + length / 2], [y0, y0], color="white", linewidth=1.2, solid_capstyle="butt")
    unit = "km" if length >= 1000 else "m"
    text = format_value(length / 1000 if unit == "km" else length, unit, lang)
    ax.text(x0 + length / 2, y0 + pad * 0.35, text, ha="center", va="bottom",
            fontproperties=small)
    # North arrow (top right): grid north of the Gauss–Krüger zone, within a degree of true.
    ax.annotate(_t("north", lang), xy=(0.95, 0.97), xytext=(0.95, 0.86),
                xycoords="axes fraction", ha="center", va="center", fontproperties=font,
                arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5})
    ax.set_title(f"{row.target_id} {row.title(lang)}", fontproperties=font)
    legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.73, 0.95),
                        prop=small, frameon=True, title=None)
    legend.get_frame().set_linewidth(0.5)
    sources = [f"{ct.kind_label(str(e.get('kind')), lang)}: {e.get('source') or '—'} "
               f"v{e.get('version')} ({str(e.get('updated_at') or '')[:10]})"
               for e in row.lineage if not str(e.get("kind", "")).startswith("indicator:")]
    caption = f"{_t('sources', lang)}: " + ("; " if lang == "en" else "；").join(sources[:4])
    fig.text(0.02, 0.05, caption[:220], fontproperties=small, ha="left", va="bottom")
    fig.text(0.02, 0.02, f"{_t('date', lang)}: {map_date}", fontproperties=small, ha="left",
             va="bottom")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _read_layers(store: Store, adcode: str, kinds: list[str], epsg: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ["subdistrict", *kinds]:
        if kind in out or store.version(kind, adcode) is None:
            continue
        gdf = store.read(kind, district=adcode)
        out[kind] = gdf.to_crs(epsg)
    return out


def write_pdf_card(
    card: AuditCard,
    path: str | Path,
    *,
    lang: str = "zh",
    store: Store | None = None,
    font_path: str | Path | None = None,
) -> Path:
    """Write the card as a printable A4 landscape PDF and return its path.

    中文：输出可打印的 PDF 评估报告卡（标题、汇总、评估表、每个空间目标一幅地图）。

    Parameters
    ----------
    card
        The audit card.
    path
        Output file.
    lang
        ``"zh"`` or ``"en"``: the whole card is in that language.
    store
        The store the card was computed from; its layers are drawn on the maps. None: no maps.
    font_path
        A TrueType CJK font (default: :func:`find_cjk_font`).

    Raises
    ------
    PdfCardError
        If fpdf2, matplotlib or the CJK font is missing.
    """
    fpdf_mod, _ = _require_libs()
    from fpdf.fonts import FontFace

    def lab(key: str) -> str:
        return label(key, lang)

    font = find_cjk_font(font_path)
    pdf = fpdf_mod.FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("cjk", "", str(font))
    name = card.district_en if lang == "en" and card.district_en else card.district_zh
    pdf.set_title(f"{name} {lab('card')} {card.year}")
    pdf.set_creator("tanmap")
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 10, f"{name}（{card.adcode}）{lab('card')} {card.year}" if lang == "zh"
             else f"{name} ({card.adcode}) {lab('card')} {card.year}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    plan = card.plan_title_en or card.plan_title if lang == "en" else f"《{card.plan_title}》"
    colon = ": " if lang == "en" else "："
    lines = [f"{_t('plan', lang)}{colon}{plan}",
             f"{_t('audit_year', lang)}{colon}{card.year}"
             + (f" · {lab('planned_until')}: {card.include_planned_until}"
                if card.include_planned_until is not None else ""),
             f"{_t('generated', lang)}{colon}{card.generated_at}"]
    for line in lines:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    if card.sample_data:
        pdf.set_fill_color(255, 243, 205)
        pdf.multi_cell(0, 6, text=lab("sample_note"), align="L", fill=True, new_x="LMARGIN",
                       new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 7, _t("summary", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    counts = card.counts
    within = sum(r.within_error_bound for r in card.rows if r.companion_of is None)
    summary = "  ·  ".join(f"{Status(k).label(lang)} {n}" for k, n in counts.items())
    if within:
        summary += f"  ({lab('within_bound')} {within})" if lang == "en" else \
            f"（{lab('within_bound')} {within}）"
    pdf.cell(0, 6, summary, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(0, 4.5, text=lab("gap_note"), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    columns = ("status", "id", "title", "measured", "target", "gap", "error_bound", "deadline",
               "source", "note")
    widths = (18, 18, 36, 17, 20, 15, 22, 11, 70, 46)
    pdf.set_font("cjk", size=7)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=3.6,
                   headings_style=FontFace(fill_color=(235, 235, 235))) as table:
        head = table.row()
        for key in columns:
            head.cell(lab(key) if key in LABELS else key)
        for row in card.rows:
            cells = _cells(row, lang)
            r = table.row()
            for key in columns:
                style = FontFace(fill_color=_STATUS_RGB[row.status]) if key == "status" else None
                r.cell(cells[key], style=style)
    spatial = [r for r in card.rows if _row_kinds(r)]
    if store is not None and spatial:
        district_row = store.district(card.adcode)
        epsg = int(district_row["planning_epsg"])
        import geopandas as gpd

        district = gpd.GeoDataFrame(geometry=[district_row.geometry], crs=4326).to_crs(epsg)
        date = card.generated_at[:10]
        for row in spatial:
            layers = _read_layers(store, card.adcode, _row_kinds(row), epsg)
            png = map_figure_png(row, district, layers, lang=lang, font_path=font,
                                 map_date=date)
            pdf.add_page()
            pdf.set_font("cjk", size=12)
            pdf.cell(0, 7, f"{_t('maps', lang)} · {row.target_id} {row.title(lang)}",
                     new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("cjk", size=9)
            cells = _cells(row, lang)
            pdf.multi_cell(0, 5, align="L",
                           text=f"{lab('status')}: {cells['status']} · {lab('measured')}: "
                                 f"{cells['measured']} · {lab('target')}: {cells['target']} · "
                                 f"{lab('error_bound')}: {cells['error_bound']}",
                           new_x="LMARGIN", new_y="NEXT")
            pdf.multi_cell(0, 5, text=cells["source"], align="L", new_x="LMARGIN",
                           new_y="NEXT")
            pdf.image(io.BytesIO(png), w=235)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    return out


def _cells(row: AuditRow, lang: str) -> dict[str, str]:

    return row_cells(row, lang)
