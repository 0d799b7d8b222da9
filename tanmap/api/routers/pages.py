"""HTML pages: the index of districts with their audit summaries, and each district's map."""

from __future__ import annotations

import hashlib
import html
import os
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from tanmap.api.cache import Served, ViewCache
from tanmap.api.deps import Adcode, Lang, get_store
from tanmap.api.routers.audit import cached_card, card_key
from tanmap.api.settings import Settings, get_settings
from tanmap.geo.audit import Status
from tanmap.geo.coverage import ParkCoverageParams
from tanmap.geo.errors import CoverageRuleError, TanmapError
from tanmap.geo.rules import BUILTIN_RULES
from tanmap.layers.audit import AuditCard, audit_district
from tanmap.layers.raster.rasters import raster_versions
from tanmap.layers.runner import current_year, use_metric_memo
from tanmap.layers.store import Store
from tanmap.layers.views import HORIZONS, SAMPLE_MARK, UNIT_KINDS, district_view
from tanmap.maps.build import district_map
from tanmap.maps.carbon import CarbonMap
from tanmap.maps.styles import style_for

__all__ = ["router"]

router = APIRouter(tags=["pages 页面"])

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("tanmap.api", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

Year = Annotated[int | None, Query(ge=2000, le=2100, description="评估年份 audit year")]

#: A map page is rebuilt at most this often (seconds) while writes keep changing its layers;
#: meanwhile the last page answers, labelled 正在更新 (a rebuild costs seconds of processor).
#: ``app.state.rebuild_interval_s`` overrides it (tests use 0).
REBUILD_INTERVAL_S = 15.0


# HEAD too: link checkers and `curl -I` probe pages before fetching them (GET-only answers 405).
# A separate HEAD route kept out of the OpenAPI schema (one route for both duplicates its ids).
@router.head("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/", response_class=HTMLResponse, summary="Index of districts 首页")
def index(
    request: Request, store: Annotated[Store, Depends(get_store)], lang: Lang = "zh",
    year: Year = None,
) -> HTMLResponse:
    """List the districts with their audit summaries and links to maps and report cards."""
    year = year or current_year()
    rows: list[dict[str, Any]] = []
    for _, d in store.districts().iterrows():
        adcode = str(d["adcode"])
        if not store.layers(adcode) or len(store.layers(adcode)) <= 1:
            continue  # boundary only: nothing to audit or map yet
        counts: dict[str, int] = {}
        try:
            counts = cached_card(request, store, adcode, year).counts
        except TanmapError:
            counts = {}
        sample = any(SAMPLE_MARK in v.source for v in store.layers(adcode))
        rows.append({"adcode": adcode, "name": d.get("name"), "name_en": d.get("name_en"),
                     "counts": counts, "sample": sample})
    html = _ENV.get_template("index.html").render(
        districts=rows, lang=lang, year=year,
        statuses=[(s.value, s.label(lang)) for s in sorted(Status, key=lambda s: s.rank)],
    )
    return HTMLResponse(html)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """Answer browsers' automatic favicon request with 204 (a 404 is logged as a console error)."""
    return Response(status_code=204)


@router.head("/maps/{adcode}", response_class=HTMLResponse, include_in_schema=False)
@router.get("/maps/{adcode}", response_class=HTMLResponse, summary="District map 区县地图")
def district_page(
    adcode: Adcode,
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    lang: Lang = "zh",
    basemap: Annotated[Literal["none", "osm", "amap"], Query()] = "none",
    year: Year = None,
    horizon: Annotated[Literal["now", "2025", "2030"], Query(
        description="现状 now, or what exists by 2025 / 2030 (due projects count)")] = "now",
    rule: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,64}$",
                                      description="park-coverage rule id")] = None,
) -> HTMLResponse:
    """Return the interactive map of a district (works offline; pick a base map when online)."""
    year = year or current_year()
    if rule is not None and rule not in BUILTIN_RULES:
        raise CoverageRuleError(
            f"unknown park-coverage rule {rule!r}; use one of {', '.join(sorted(BUILTIN_RULES))}"
        )
    store.district(adcode)  # an unknown district fails here, with the store's message
    tiled = _tiled_layers(store, adcode, basemap, settings.tile_threshold)

    def link(**change: Any) -> str:
        query = {"lang": lang, "basemap": basemap, "year": year, "horizon": horizon,
                 **({"rule": rule} if rule else {})}
        query.update(change)
        return f"/maps/{adcode}?" + urlencode(query)

    def render() -> str:
        # Runs in the request (first page of a view) or in the background rebuild: the audit
        # and the metrics reuse every result whose input layers did not change.
        with use_metric_memo(request.app.state.metric_memo):
            card = _horizon_card(request, store, adcode, year, horizon)
            view = district_view(store, adcode, year=year, lang=lang, card=card,
                                 horizon=horizon, rule=rule,
                                 tiled={k: style_for(k).class_field for k in tiled})
        fmap = district_map(
            view.district, view.layers, units=view.units, coverage=view.coverage,
            unit_coverage=view.unit_coverage, audit_summary=view.audit_summary, lang=lang,
            sample=view.sample, basemap=basemap, assets="local", static_url="/static/maps/",
            basemap_links={key: link(basemap=key) for key in ("none", "osm", "amap")},
            horizon=horizon, horizon_links={key: link(horizon=key) for key in HORIZONS},
            rule=rule or ParkCoverageParams().rule,
            rule_links={key: link(rule=key) for key in sorted(BUILTIN_RULES)},
            carbon=(CarbonMap(view.carbon_buildings, view.carbon_per_unit)
                    if view.carbon_buildings is not None else None),
            rasters=view.rasters, tiled=tiled,
        )
        return str(fmap.get_root().render())

    pages: ViewCache[str] = request.app.state.pages
    # The view: everything the page shows except the data; the versions: the data it shows.
    # Rasters live beside the store, outside the layer versions the card key follows.
    store_id, _, _, layers = card_key(store, adcode, year)
    rasters_seen = tuple((v.kind, v.version) for v in raster_versions(store, adcode))
    view_key = ("district_map", store_id, adcode, year, lang, basemap, horizon, rule)
    served = pages.get_or_refresh(
        view_key, (layers, rasters_seen, tuple(sorted(tiled.items()))), render,
        min_interval_s=getattr(request.app.state, "rebuild_interval_s", REBUILD_INTERVAL_S))
    return _labelled(served, lang)


def _labelled(served: Served[str], lang: str) -> HTMLResponse:
    """Return a map page with its data versions shown (and 正在更新 when they are not the newest).

    The page carries a small box naming the layer versions it was built from; a page served
    while its rebuild for newer data runs says so, and a failed rebuild is reported in the box
    (the last page stays usable). Headers ``X-Tanmap-Page`` (``fresh``, ``stale``) and
    ``X-Tanmap-Data-Versions`` say the same to scripts, ``X-Tanmap-Worker`` names the server
    process (``tanmap serve --workers N``).
    """
    _, (layers, rasters, _) = served.key  # type: ignore[misc]
    versions = [(str(k), int(v)) for k, v in (*layers, *rasters)]
    digest = hashlib.sha1(repr(versions).encode()).hexdigest()[:10]
    en = lang == "en"
    summary = f"{'Data versions' if en else '数据版本'} {digest}"
    state = "fresh" if served.fresh else "stale"
    note = ""
    if not served.fresh:
        note = (" · updating, reload for the newest data" if en
                else " · 正在更新，稍后刷新可见最新数据")
    if served.error is not None:
        state = "stale-error"
        note = (" · update failed: " if en else " · 更新失败：") + served.error
    items = "".join(f"<li>{html.escape(k)} v{v}</li>" for k, v in versions)
    # Top centre under the sample-data banner (the corners hold the map's panels), as narrow.
    box = (f'<details id="tanmap-data-versions" data-state="{state}" style="position:absolute;'
           'z-index:1001;top:48px;left:50%;transform:translateX(-50%);max-width:40vw;'
           'background:rgba(255,255,255,.92);font:12px sans-serif;padding:2px 8px;'
           'border-radius:4px;max-height:40vh;overflow:auto"><summary style="white-space:nowrap;'
           f'overflow:hidden;text-overflow:ellipsis">{html.escape(summary + note)}</summary>'
           f'<ul style="margin:2px 0;padding-left:16px">{items}</ul></details>')
    page = served.value
    at = page.find("<body>")
    page = (page[:at + 6] + box + page[at + 6:]) if at >= 0 else box + page
    # X-Tanmap-Worker: which server process answered (each keeps its own pages; the load test
    # warms every process before timing).
    return HTMLResponse(page, headers={"X-Tanmap-Page": state,
                                       "X-Tanmap-Data-Versions": digest,
                                       "X-Tanmap-Worker": str(os.getpid())})


def _tiled_layers(store: Store, adcode: str, basemap: str, threshold: int) -> dict[str, str]:
    """Return {kind: tile URL template} of the district's layers above the tile threshold."""
    out: dict[str, str] = {}
    for v in store.layers(adcode):
        if v.n_features > threshold and v.kind not in UNIT_KINDS:
            query = urlencode({"basemap": basemap, "v": v.checksum[:16]} if v.checksum
                              else {"basemap": basemap})
            out[v.kind.value] = f"/tiles/{adcode}/{v.kind.value}/{{z}}/{{x}}/{{y}}.pbf?{query}"
    return out


def _horizon_card(request: Request, store: Store, adcode: str, year: int,
                  horizon: str) -> AuditCard:
    """Return the audit card now, or at a plan year counting the projects due by then."""
    if horizon == "now":
        return cached_card(request, store, adcode, year)
    target = int(horizon)
    cards: ViewCache[AuditCard] = request.app.state.cards

    def audit() -> AuditCard:
        with use_metric_memo(request.app.state.metric_memo):
            return audit_district(store, adcode, year=target, include_planned_until=target)

    return cards.get_or_compute(
        (*card_key(store, adcode, target), "planned_until", target), audit)
