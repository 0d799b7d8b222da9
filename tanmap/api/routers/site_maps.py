"""The siting map page (选址地图): where to build, before and after, sites ranked by gain."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from tanmap.api.cache import ViewCache
from tanmap.api.deps import Adcode, Lang, get_store
from tanmap.api.routers.audit import card_key
from tanmap.geo.errors import MetricParameterError
from tanmap.layers.kinds import SITING_KINDS
from tanmap.layers.siting import (
    PlanQuestion,
    SitingRun,
    plan_sites,
    planned_sites_run,
    site_for_target,
    target_question,
)
from tanmap.layers.store import Store
from tanmap.maps.siting import siting_map

__all__ = ["router"]

router = APIRouter(tags=["pages 页面"])

Kind = Literal["pocket_garden", "park", "charging_station", "recycling_point",
               "transfer_station", "bus_stop"]


@router.get("/maps/{adcode}/sites", response_class=HTMLResponse,
            summary="Siting map: before and after 选址地图（前后对比）")
def siting_page(
    adcode: Adcode,
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    lang: Lang = "zh",
    target: Annotated[str | None, Query(pattern=r"^\d{6}-[A-Z]{1,3}\d{2}$",
                                        description="catalog target with a siting question")
                      ] = None,
    kind: Annotated[Kind | None, Query(description="facility kind (without target)")] = None,
    count: Annotated[int | None, Query(ge=1, le=500, description="best N new sites")] = None,
    share: Annotated[float | None, Query(gt=0, le=1, description="coverage target")] = None,
    per_unit: Annotated[int | None, Query(ge=1, le=20, description="at least K per unit")
                        ] = None,
    radius_m: Annotated[float | None, Query(gt=0, le=10_000)] = None,
    demand: Annotated[Literal["land", "area", "buildings", "population"] | None, Query()] = None,
    distance: Annotated[Literal["straight", "network"] | None, Query()] = None,
    planned: Annotated[bool, Query(description="what the saved planned sites bring "
                                               "(按计划) instead of new proposals")] = False,
) -> HTMLResponse:
    """Return the map of a siting question: a catalog target's, or KIND with count/share/per-unit.

    ``planned=true`` maps the planned features already saved (``tanmap site --save-year``):
    the share with existing facilities only and with them, each site's gain.
    """
    store.district(adcode)

    def run() -> SitingRun:
        options: dict[str, Any] = {"radius_m": radius_m, "demand": demand,
                                   "distance": distance}
        if target is not None:
            if planned:
                from tanmap.layers.catalog import load_catalog

                found = [t for t in load_catalog(adcode).targets if t.id == target]
                if not found:
                    raise MetricParameterError(f"target {target!r} is not in the catalog of "
                                               f"{adcode}.")
                question = target_question(store, found[0], shortfall=False)
                return _planned(store, adcode, question, options)
            return site_for_target(store, adcode, target, **options)
        if kind is None:
            raise MetricParameterError(
                f"give target=ID (a catalog target with a siting question) or kind= (one of "
                f"{', '.join(SITING_KINDS)}) with count=, share= or per_unit=.")
        if planned:
            question = PlanQuestion(adcode, kind, f"{kind} (planned)",
                                    count=None if per_unit else 1, min_count=per_unit)
            return _planned(store, adcode, question, options)
        return plan_sites(store, adcode, kind, count=count, target_share=share,
                          min_count=per_unit, **options)

    def render() -> str:
        fmap = siting_map(store, run(), lang=lang, assets="local", static_url="/static/maps/")
        return str(fmap.get_root().render())

    pages: ViewCache[str] = request.app.state.pages
    key = (*card_key(store, adcode, 0), "sites", lang, target, kind, count, share, per_unit,
           radius_m, demand, distance, planned)
    return HTMLResponse(pages.get_or_compute(key, render))


def _planned(store: Store, adcode: str, question: PlanQuestion,
             options: dict[str, Any]) -> SitingRun:
    run = planned_sites_run(store, adcode, question, **options)
    if run is None:
        raise MetricParameterError(
            f"district {adcode} has no planned {question.kind} features with a planned year; "
            "save sites first (tanmap site ... --save-year YEAR, or the API sites/save).")
    return run
