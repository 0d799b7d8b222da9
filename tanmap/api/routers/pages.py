"""HTML pages: the index of districts with their audit summaries, and each district's map."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from tanmap.api.cache import ViewCache
from tanmap.api.deps import Adcode, Lang, get_store
from tanmap.api.routers.audit import cached_card, card_key
from tanmap.api.settings import Settings, get_settings
from tanmap.geo.audit import Status
from tanmap.geo.coverage import ParkCoverageParams
from tanmap.geo.errors import CoverageRuleError, TanmapError
from tanmap.geo.rules import BUILTIN_RULES
from tanmap.layers.audit import AuditCard, audit_district
from tanmap.layers.raster.rasters import raster_versions
from tanmap.layers.runner import current_year
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
    card = _horizon_card(request, store, adcode, year, horizon)
    tiled = _tiled_layers(store, adcode, basemap, settings.tile_threshold)

    def link(**change: Any) -> str:
        query = {"lang": lang, "basemap": basemap, "year": year, "horizon": horizon,
                 **({"rule": rule} if rule else {})}
        query.update(change)
        return f"/maps/{adcode}?" + urlencode(query)

    def render() -> str:
        view = district_view(store, adcode, year=year, lang=lang, card=card, horizon=horizon,
                             rule=rule, tiled={k: style_for(k).class_field for k in tiled})
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
    # Rasters live beside the store, outside the layer versions the card key follows.
    rasters_seen = tuple((v.kind, v.version) for v in raster_versions(store, adcode))
    key = (*card_key(store, adcode, year), lang, basemap, horizon, rule, rasters_seen,
           tuple(sorted(tiled.items())))
    return HTMLResponse(pages.get_or_compute(key, render))


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
    return cards.get_or_compute(
        (*card_key(store, adcode, target), "planned_until", target),
        lambda: audit_district(store, adcode, year=target, include_planned_until=target),
    )
