"""Tracked indicator values (指标填报): list them, enter one (unit converted, key checked)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from tanmap.api.deps import Adcode, get_store, indicator_writer
from tanmap.api.models import IndicatorIn, IndicatorOut
from tanmap.api.roles import Principal
from tanmap.layers.indicators import enter_indicator, known_indicators
from tanmap.layers.runner import jsonable
from tanmap.layers.store import Store

__all__ = ["router"]

router = APIRouter(prefix="/api/districts/{adcode}/indicators", tags=["indicators 指标填报"])

IndicatorKey = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,80}$",
                                   description="指标代码 indicator key, e.g. led_share")]


@router.get("", summary="Indicator values 指标值列表")
def list_indicators(adcode: Adcode, store: Annotated[Store, Depends(get_store)]
                    ) -> list[dict[str, Any]]:
    """Return every stored indicator value of the district (key, year, value, unit, source)."""
    store.district(adcode)
    rows: list[dict[str, Any]] = jsonable(store.indicators(adcode))
    return rows


@router.get("/keys", summary="Indicator keys and units 可填报指标")
def list_indicator_keys(adcode: Adcode) -> list[dict[str, Any]]:
    """Return the keys the district's catalog tracks, with the unit values are stored in."""
    known = known_indicators(adcode)
    return [{"key": i.key, "unit": i.unit, "targets": list(i.target_ids),
             "title_zh": i.title_zh, "title_en": i.title_en}
            for i in sorted(known.values(), key=lambda i: i.key)]


@router.put("/{key}", response_model=IndicatorOut,
            summary="Enter an indicator value 填报指标值")
def put_indicator(adcode: Adcode, key: IndicatorKey, body: IndicatorIn,
                  store: Annotated[Store, Depends(get_store)],
                  who: Annotated[Principal, Depends(indicator_writer)]) -> IndicatorOut:
    """Store ``value`` of ``key`` for ``year`` in the unit of the key's targets.

    ``95`` with unit ``%`` against a share target is stored as 0.95; a unit of another kind
    (m2 for a share) or a share outside 0–100 % is refused (422) naming the expected unit; an
    unknown key is refused (422) with the closest known keys.
    """
    entry = enter_indicator(store, adcode, key, body.year, body.value, body.unit, body.source,
                            author=who.name)
    return IndicatorOut(key=entry.key, year=body.year, value=entry.value, unit=entry.unit,
                        entered_value=entry.entered_value, entered_unit=entry.entered_unit,
                        source=body.source)
