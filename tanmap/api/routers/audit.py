"""The audit report card (评估报告卡) of a district: JSON, HTML, XLSX and PDF."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.background import BackgroundTask

from tanmap.api.cache import ViewCache
from tanmap.api.deps import Adcode, Lang, get_store
from tanmap.geo.audit import Status
from tanmap.geo.errors import TanmapError
from tanmap.layers.audit import AuditCard, audit_district
from tanmap.layers.card.report import card_html, write_card
from tanmap.layers.runner import current_year, use_metric_memo
from tanmap.layers.store import Store
from tanmap.layers.views import layers_signature

__all__ = ["cached_card", "card_key", "router"]

router = APIRouter(prefix="/api/districts/{adcode}", tags=["audit 评估"])

Year = Annotated[int | None, Query(ge=2000, le=2100, description="评估年份 audit year")]


def cached_card(request: Request, store: Store, adcode: str, year: int | None) -> AuditCard:
    """Return the district's audit card, recomputed only when a layer version changed."""
    year = year or current_year()
    store.district(adcode)
    cards: ViewCache[AuditCard] = request.app.state.cards

    def audit() -> AuditCard:
        with use_metric_memo(request.app.state.metric_memo):  # recompute changed rows only
            return audit_district(store, adcode, year=year)

    return cards.get_or_compute(card_key(store, adcode, year), audit)


def card_key(store: Store, adcode: str, year: int) -> tuple[Any, ...]:
    """Return the cache key of a card: store, district, year and every layer version."""
    return (str(getattr(store, "path", id(store))), adcode, year, layers_signature(store, adcode))


@router.get("/audit", summary="Audit card as JSON 评估结果")
def audit_json(
    adcode: Adcode, request: Request, store: Annotated[Store, Depends(get_store)], year: Year = None
) -> dict[str, Any]:
    """Return every target with measured value, status, rule, parameters and lineage."""
    return cached_card(request, store, adcode, year).to_dict()


@router.get("/audit.html", response_class=HTMLResponse, summary="Audit card as HTML 评估报告卡")
def audit_page(
    adcode: Adcode,
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    year: Year = None,
    lang: Lang = "zh",
) -> HTMLResponse:
    """Return the self-contained HTML report card (Chinese by default).

    Targets with a siting question link to their siting map: proposals where the target is
    not met, the planned sites' before and after where some are planned.
    """
    card = cached_card(request, store, adcode, year)
    return HTMLResponse(card_html(card, lang=lang, site_links=_site_links(card, lang)))


def _site_links(card: AuditCard, lang: str) -> dict[str, str]:
    from tanmap.layers.catalog import load_catalog

    try:
        linked = {t.id for t in load_catalog(card.adcode).targets if t.siting is not None}
    except TanmapError:
        return {}
    links = {}
    for row in card.rows:
        if row.target_id not in linked or row.status is Status.MET:
            continue
        planned = "&planned=true" if "planned" in row.details.get("planned_sites", {}) else ""
        links[row.target_id] = (f"/maps/{card.adcode}/sites?"
                                f"{urlencode({'target': row.target_id, 'lang': lang})}{planned}")
    return links


@router.get("/audit.xlsx", response_class=FileResponse, summary="Audit card as XLSX 评估报告卡表格",
            responses={200: {"content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def audit_xlsx(
    adcode: Adcode,
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    year: Year = None,
    lang: Lang = "zh",
) -> FileResponse:
    """Return the report card as an Excel workbook."""
    return _card_file(
        cached_card(request, store, adcode, year), "xlsx", lang, f"{adcode}_audit.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/audit.pdf", response_class=FileResponse,
            summary="Audit card as PDF 评估报告卡（打印）",
            responses={200: {"content": {"application/pdf": {}}},
                       503: {"description": "the server lacks the PDF card's CJK font"}})
def audit_pdf(
    adcode: Adcode,
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    year: Year = None,
    lang: Lang = "zh",
) -> FileResponse:
    """Return the printable report card: table and one map per spatial target."""
    return _card_file(cached_card(request, store, adcode, year), "pdf", lang,
                      f"{adcode}_audit_{lang}.pdf", "application/pdf", store=store)


def _card_file(card: Any, fmt: str, lang: str, filename: str, media_type: str,
               store: Store | None = None) -> FileResponse:
    """Write one format of the card to a temporary folder removed after the response."""
    tmp = tempfile.TemporaryDirectory(prefix="tanmap-audit-")
    try:
        (path,) = write_card(card, Path(tmp.name), formats=(fmt,), lang=lang, store=store)
    except Exception:
        tmp.cleanup()
        raise
    return FileResponse(path, filename=filename, background=BackgroundTask(tmp.cleanup),
                        media_type=media_type)
