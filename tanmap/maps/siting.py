"""The siting map (选址地图): before and after, with the new sites ranked by gain.

Draws one :class:`tanmap.layers.siting.SitingRun` over the district: the demand the existing
facilities serve already (``served_before``), what the new sites bring within reach
(``newly_served``), what stays out of reach (``still_unserved``), the sites ranked by gain
(``new_sites``: rank, gain and share in each popup), the existing facilities and the
candidates; a side panel gives the covered share before and after. The same page serves
``tanmap site --map`` and the web route ``/maps/{adcode}/sites``. maps/ computes nothing:
the run carries every figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tanmap.maps.build import AssetMode, district_map
from tanmap.maps.i18n import label

if TYPE_CHECKING:
    import folium

    from tanmap.layers.siting import SitingRun
    from tanmap.layers.store import Store

__all__ = ["siting_map", "siting_summary"]

_DEMAND = {"land": ("居住用地", "residential land"), "area": ("范围面积", "area"),
           "buildings": ("居住建筑", "residential buildings"),
           "population": ("居住人口", "residents")}


def _pct(share: float) -> str:
    digits = 1
    while share < 1 and round(share * 100, digits) >= 100 and digits < 6:
        digits += 1
    return f"{share * 100:.{digits}f}%"


def siting_summary(run: SitingRun, lang: str = "zh") -> list[dict[str, Any]]:
    """Return the side-panel rows of a siting map: the figure before and after the new sites.

    中文：选址前后对比（覆盖率或达标单元数）。

    Rows carry ``title``, ``status`` (``not_met`` / ``met`` / ``on_track``), ``measured`` and
    ``target`` as display strings (the audit panel of :func:`tanmap.maps.build.district_map`).
    """
    zh = lang != "en"
    r = run.result
    question = run.plan_quote or run.kind
    if run.model == "per_unit":
        before = f"{int(r.existing_weight)} / {int(r.total_weight)}"
        after = f"{int(r.covered_weight)} / {int(r.total_weight)}"
        what = "达标单元" if zh else "units meeting the rule"
        done_before = r.existing_weight >= r.total_weight
        done_after = r.covered_weight >= r.total_weight
    else:
        before, after = _pct(r.share_before), _pct(r.share_after)
        demand = _DEMAND.get(run.demand_basis, _DEMAND["land"])[0 if zh else 1]
        walk = run.distance == "network"
        radius = f"{run.radius_m:g}"
        what = (f"{'步行' if walk else ''}{radius} 米内{demand}覆盖率" if zh
                else f"{demand} within {radius} m{' walked' if walk else ''}")
        done_before = r.share_before >= 1.0
        done_after = r.share_after >= 1.0
    sites = len(run.sites)
    target = f"{sites} 处新选址" if zh else f"{sites} new site{'s' if sites != 1 else ''}"
    return [
        {"title": f"{label('siting_before', lang)}: {what}", "measured": before,
         "target": question, "status": "met" if done_before else "not_met"},
        {"title": f"{label('siting_after', lang)}: {what}", "measured": after,
         "target": target, "status": "met" if done_after else "on_track"},
    ]


def siting_map(store: Store, run: SitingRun, *, lang: str = "zh",
               assets: AssetMode = "inline", static_url: str = "/static/maps/") -> folium.Map:
    """Return the map of a siting run: before and after, sites ranked by gain.

    中文：选址地图（选址前后覆盖对比，新选址按增益排序）。

    Parameters
    ----------
    store
        The project store (the district row, existing facilities, units, residential land).
    run
        From :func:`tanmap.layers.siting.plan_sites` (or ``planned_sites_run``).
    lang, assets, static_url
        As for :func:`tanmap.maps.build.district_map`.
    """
    from tanmap.layers.siting import SITING_DEFAULTS

    defaults = SITING_DEFAULTS[run.kind]
    kinds = ("residential_land", *defaults.existing, *(
        (defaults.unit_kind,) if defaults.unit_kind else ()))
    layers = {k: store.read(k, district=run.district) for k in dict.fromkeys(kinds)}
    layers = {k: v for k, v in layers.items() if not v.empty}
    if run.candidate_source != "planned":
        layers["candidate_site"] = run.candidates
    row = store.districts()
    row = row[row["adcode"].astype(str) == run.district]
    if "name_en" in row.columns:  # a district added without an English name
        row = row.assign(name_en=row["name_en"].fillna(""))
    overlays = {}
    if run.demand is not None:
        served = run.demand["served"]
        overlays = {"served_before": run.demand[served == "before"],
                    "newly_served": run.demand[served == "new"],
                    "still_unserved": run.demand[served == "no"]}
    overlays["new_sites"] = run.sites
    return district_map(row, layers, coverage=overlays, lang=lang, theme=None,
                        audit_summary=siting_summary(run, lang), assets=assets,
                        static_url=static_url)
