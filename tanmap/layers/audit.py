"""Audit orchestration (规划目标评估): the plan-target catalog against the store, as cards."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tanmap.geo.audit import STATUS_ORDER, Status, Verdict, error_bound_of, evaluate, judge
from tanmap.geo.errors import TanmapError
from tanmap.layers.runner import ReadCache, RunOutcome, current_year, jsonable, run_metric

if TYPE_CHECKING:
    from tanmap.geo.metric import MetricDef
    from tanmap.layers.catalog import Catalog, Target
    from tanmap.layers.store.base import Store

__all__ = [
    "DEFAULT_SCENARIO_YEARS",
    "SAMPLE_MARK",
    "WALK_COMPANIONS",
    "WALK_ROW_SUFFIX",
    "AuditCard",
    "AuditRow",
    "UnitRow",
    "audit_district",
    "audit_units",
    "scenario_cards",
    "with_scenarios",
]

#: Marker in a layer's ``source`` of synthetic sample data (same value as
#: ``tanmap.layers.views.SAMPLE_MARK``; views imports this module, so it is not imported here).
SAMPLE_MARK = "示例数据"

#: Years of the scenario view: end of 十四五 (2025) and of 十五五 (2030).
DEFAULT_SCENARIO_YEARS: tuple[int, ...] = (2025, 2030)

#: Straight-radius metrics that get a walking companion row (步行网络口径对照行) on the card when
#: the district has a ``walk_network``: metric -> (walking metric, parameters carried over).
#: The plans' targets are stated as a service radius (GB/T 51346-2019 cl. 4.3.4); the companion
#: shows the same rule walked on the streets and what the radius counts that walking does not.
WALK_COMPANIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "park_coverage": ("park_walk_coverage", ("rule", "radius_m", "area_type", "weight")),
}
#: Appended to a target's id to name its walking companion row.
WALK_ROW_SUFFIX = "-walk"

#: Columns a metric's per-unit table may use for the unit's figure, in order of preference.
_UNIT_VALUE_COLUMNS = ("value", "share", "count", "length_km", "area_m2")
#: Columns a per-unit table may use for "this unit meets the rule".
_UNIT_MET_COLUMNS = ("met", "meets", "ok", "passes", "threshold_met")


@dataclass(frozen=True)
class AuditRow:
    """One plan target evaluated on the store (a line of the report card).

    中文：目标评估行（实测值、目标值、缺口、状态、规则、出处、数据来源）。

    ``gap`` follows :func:`tanmap.geo.audit.target_gap`: positive = shortfall.
    ``quote`` and ``seed_file`` name the source clause; ``lineage`` lists the layer versions
    used; ``failing_units`` names the 社区/街道 that break a per-unit rule. ``companion_of``
    names the target a walking companion row (步行网络口径) stands beside: such a row is shown
    for comparison and is not counted in the card's summary.
    """

    target_id: str
    title_zh: str
    title_en: str
    category: str
    metric: str
    params: dict[str, Any]
    rule: str | None
    measured: float | None
    measured_planned: float | None
    target: float | None
    comparison: str
    unit: str
    gap: float | None
    status: Status
    deadline: int | None
    departments: tuple[str, ...]
    quote: str
    seed_file: str
    missing: tuple[str, ...] = ()
    lineage: tuple[dict[str, Any], ...] = ()
    failing_units: tuple[str, ...] = ()
    per_unit: tuple[dict[str, Any], ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    vague: bool = False
    note: str | None = None
    scope: str = "district"
    error: str | None = None
    overridden: bool = False
    error_bound: float | None = None
    error_bound_basis: str = "exact"
    error_bound_side: str = "both"
    within_error_bound: bool = False
    note_en: str | None = None
    section: str = ""
    section_en: str = ""
    plan_title: str = ""
    plan_title_en: str = ""
    companion_of: str | None = None

    def title(self, lang: str = "zh") -> str:
        """Return the target's title in ``lang``."""
        return self.title_en if lang == "en" and self.title_en else self.title_zh

    def status_label(self, lang: str = "zh") -> str:
        """Return the status label; 达标（误差范围内） when the gap lies within the error bound."""
        return Verdict(self.status, self.gap, self.error_bound,
                       self.within_error_bound).label(lang)

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON-serialisable data."""
        out = jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})
        out["status"] = self.status.value
        out["status_zh"] = self.status.zh
        out["status_en"] = self.status.en
        out["status_label_zh"] = self.status_label("zh")
        out["status_label_en"] = self.status_label("en")
        return dict(out)


@dataclass(frozen=True)
class UnitRow:
    """One target evaluated for one 街道 (sub-district card line).

    中文：街道评估行。

    For per-社区 rules the 街道 row aggregates its communities: ``measured`` is the share of
    them meeting the rule and ``failing_units`` names those that do not.
    """

    unit_id: str
    unit_name: str
    target_id: str
    title_zh: str
    title_en: str
    metric: str
    measured: float | None
    target: float | None
    comparison: str
    unit: str
    status: Status | None
    unit_kind: str = "subdistrict"
    failing_units: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON-serialisable data."""
        out = jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})
        out["status"] = self.status.value if self.status else None
        return dict(out)


@dataclass(frozen=True)
class AuditCard:
    """The report card of one district at one audit year (评估报告卡).

    中文：区县目标评估报告卡。

    Rows are sorted by status (未达标, 数据不足, 按计划可达标, 达标) then deadline.
    ``include_planned_until`` is set for scenario cards (projects planned by then counted).
    ``scenarios`` holds the scenario cards (year -> card) when they were asked for.
    """

    adcode: str
    district_zh: str
    district_en: str
    plan_title: str
    year: int
    generated_at: str
    rows: tuple[AuditRow, ...]
    unit_rows: tuple[UnitRow, ...] = ()
    include_planned_until: int | None = None
    scenarios: Mapping[int, AuditCard] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    plan_title_en: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """Return the number of targets per status value (every status present, zeros included).

        Walking companion rows (``companion_of``) stand beside their target and are not counted.
        """
        return {s.value: sum(r.status is s and r.companion_of is None for r in self.rows)
                for s in STATUS_ORDER}

    def row(self, target_id: str) -> AuditRow:
        """Return the row of ``target_id``.

        Raises
        ------
        KeyError
            If the card has no such target; the message lists the ids.
        """
        for r in self.rows:
            if r.target_id == target_id:
                return r
        ids = [r.target_id for r in self.rows]
        raise KeyError(f"no target {target_id!r} on the card; ids: {ids}")

    def lineage(self) -> list[dict[str, Any]]:
        """Return the distinct layer versions used by any row (kind, district, version order)."""
        seen: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in self.rows:
            for e in r.lineage:
                seen.setdefault((e.get("kind"), e.get("district"), e.get("version"),
                                 e.get("year")), e)
        return sorted(seen.values(), key=lambda e: (str(e.get("kind")), str(e.get("district"))))

    @property
    def sample_data(self) -> bool:
        """Return whether any layer behind the card is synthetic sample data (示例数据)."""
        return any(SAMPLE_MARK in str(e.get("source") or "") for e in self.lineage())

    def to_dict(self) -> dict[str, Any]:
        """Return the card as JSON: every parameter, rule version, figure and the lineage."""
        return {
            "sample_data": self.sample_data,
            "adcode": self.adcode,
            "district_zh": self.district_zh,
            "district_en": self.district_en,
            "plan_title": self.plan_title,
            "plan_title_en": self.plan_title_en,
            "year": self.year,
            "include_planned_until": self.include_planned_until,
            "generated_at": self.generated_at,
            "counts": self.counts,
            "overrides": jsonable(self.overrides),
            "rows": [r.to_dict() for r in self.rows],
            "unit_rows": [u.to_dict() for u in self.unit_rows],
            "lineage": jsonable(self.lineage()),
            "scenarios": {str(y): c.to_dict() for y, c in self.scenarios.items()},
        }


def _failing_units(outcome: RunOutcome) -> tuple[str, ...]:
    details = outcome.result.details
    names = details.get("failing_units") if isinstance(details, Mapping) else None
    if names:
        return tuple(
            str(n.get("unit_name", n.get("name", n))) if isinstance(n, Mapping) else str(n)
            for n in names
        )
    table = outcome.result.per_unit
    if table is None or len(table) == 0:
        return ()
    met_col = next((c for c in _UNIT_MET_COLUMNS if c in table.columns), None)
    if met_col is None or outcome.result.name != "per_unit_min_count":
        return ()
    name_col = "unit_name" if "unit_name" in table.columns else "name"
    failing = table[~table[met_col].astype(bool)]
    return tuple(str(n) for n in failing[name_col])


def _community_index(store: Store, adcode: str) -> dict[str, tuple[str, str]]:
    """Return community id -> (街道 id, 街道 name) from the community layer's ``subdistrict``."""
    if store.version("community", adcode) is None or store.version("subdistrict", adcode) is None:
        return {}
    communities = store.read("community", district=adcode)
    subdistricts = store.read("subdistrict", district=adcode)
    if "subdistrict" not in communities.columns:
        return {}
    names = dict(zip(subdistricts["id"].astype(str), subdistricts["name"].astype(str),
                     strict=True))
    return {
        str(c): (str(s), names.get(str(s), str(s)))
        for c, s in zip(communities["id"], communities["subdistrict"], strict=True)
        if not pd.isna(s)
    }


def _unit_rows(
    target: Target, outcome: RunOutcome, community_index: Mapping[str, tuple[str, str]]
) -> list[UnitRow]:
    """Return one row per 街道 from a metric's per-unit table.

    Rows of 街道 are taken as they are. Only when the table has no 街道 rows, rows of 社区 with
    a meets/met flag are aggregated to their 街道 (via ``community_index``): the share of its
    communities meeting the rule, failing ones named. Other unit kinds are skipped.
    """
    table = outcome.result.per_unit
    if table is None or len(table) == 0:
        return []
    params = outcome.result.params
    default_kind = str(params.get("unit_kind", "subdistrict"))
    value_col = next((c for c in _UNIT_VALUE_COLUMNS if c in table.columns), None)
    met_col = next((c for c in _UNIT_MET_COLUMNS if c in table.columns), None)
    id_col = "unit_id" if "unit_id" in table.columns else "id"
    name_col = "unit_name" if "unit_name" in table.columns else "name"
    common: dict[str, Any] = {
        "target_id": target.id, "title_zh": target.title_zh, "title_en": target.title_en,
        "metric": target.metric, "comparison": target.comparison,
    }
    rows: list[UnitRow] = []
    by_subdistrict: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    for rec in table.to_dict(orient="records"):
        kind = str(rec.get("unit_kind", default_kind))
        met_flag = rec.get(met_col) if met_col is not None else None
        has_flag = met_flag is not None and not _isnan(met_flag)
        if kind == "community" and has_flag:
            owner = community_index.get(str(rec.get(id_col, "")))
            if owner is not None:
                by_subdistrict.setdefault(owner, []).append(
                    (str(rec.get(name_col, "")), bool(met_flag)))
            continue
        if kind != "subdistrict":
            continue
        measured = _number(rec.get(value_col)) if value_col else None
        status: Status | None
        if has_flag:
            status = Status.MET if bool(met_flag) else Status.NOT_MET
        elif measured is not None and target.target is not None and (
            value_col == "value" or (value_col == "share" and target.unit == "share")
        ):
            status = evaluate(target.target, target.comparison, measured)[0]
        else:
            status = None
        rows.append(UnitRow(
            **common, unit_id=str(rec.get(id_col, "")), unit_name=str(rec.get(name_col, "")),
            measured=measured, target=target.target if status is not None and not has_flag
            else None, unit=target.unit if value_col != "count" else "count", status=status,
        ))
    if rows:  # the metric has its own 街道 figures: communities are not rolled up as well
        return rows
    for (sub_id, sub_name), members in sorted(by_subdistrict.items()):
        failing = tuple(name for name, ok in members if not ok)
        rows.append(UnitRow(
            **common, unit_id=sub_id, unit_name=sub_name,
            measured=sum(ok for _, ok in members) / len(members),
            target=1.0, unit="share", status=Status.NOT_MET if failing else Status.MET,
            failing_units=failing,
        ))
    return rows


def _met(target_value: float, comparison: str, value: float) -> bool:
    return evaluate(target_value, comparison, value)[0] is Status.MET


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA or _isnan(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


#: Planned-year horizon for a target with no deadline: every project planned with a year counts.
_NO_DEADLINE_HORIZON = 2100


def _evaluate_target(
    store: Store,
    adcode: str,
    target: Target,
    *,
    year: int,
    include_planned_until: int | None,
    metrics: Mapping[str, MetricDef] | None,
    community_index: Mapping[str, tuple[str, str]],
    plan_title: str = "",
    plan_title_en: str = "",
) -> tuple[AuditRow, list[UnitRow]]:
    base: dict[str, Any] = {
        "target_id": target.id, "title_zh": target.title_zh, "title_en": target.title_en,
        "category": str(target.category), "metric": target.metric, "target": target.target,
        "comparison": target.comparison, "unit": target.unit, "deadline": target.deadline,
        "departments": tuple(target.departments), "quote": target.quote,
        "seed_file": target.seed_file, "vague": bool(target.vague), "note": target.note,
        "scope": str(target.scope), "overridden": bool(target.overridden),
        "note_en": target.note_en, "section": target.section, "section_en": target.section_en,
        "plan_title": plan_title, "plan_title_en": plan_title_en,
    }
    params = dict(target.params)
    if target.metric == "indicator" and not params.get("unit"):
        params["unit"] = target.unit  # stored values in other units are converted to it
    try:
        now = run_metric(store, target.metric, adcode, params, year=year,
                         include_planned_until=include_planned_until, metrics=metrics)
        planned: RunOutcome | None = None
        deadline = target.deadline
        # Planned projects can only help a measured, unmet target whose deadline is still ahead
        # of what the measurement already counts (the audit year, or the scenario horizon).
        horizon = year - 1 if include_planned_until is None else include_planned_until
        value = now.result.value
        # A target without a deadline ("计划打造 20 个口袋花园") counts every project planned
        # with a year (its sites saved by `tanmap site --save-year`): nothing says it is late.
        until = _NO_DEADLINE_HORIZON if deadline is None else deadline
        if (
            until > horizon and value is not None
            and target.target is not None and not _met(target.target, target.comparison, value)
            and (deadline is not None or include_planned_until is None)
        ):
            planned = run_metric(store, target.metric, adcode, params,
                                 year=max(until if deadline is not None else year, year),
                                 include_planned_until=until, metrics=metrics)
    except (TanmapError, KeyError) as err:
        row = AuditRow(**base, params=dict(target.params), rule=None, measured=None,
                       measured_planned=None, gap=None, status=Status.NO_DATA,
                       error=f"{type(err).__name__}: {err}")
        return row, []
    result = now.result
    measured_planned = planned.result.value if planned is not None else None
    missing = tuple(result.missing)
    bound = error_bound_of(result.name, result.unit, result.params, result.details)
    verdict: Verdict
    if target.target is None:  # "完成市下达指标": the figure comes from a higher level
        verdict = Verdict(Status.NO_DATA, None, None)
    else:
        planned_bound = (error_bound_of(planned.result.name, planned.result.unit,
                                        planned.result.params, planned.result.details)
                         if planned is not None else None)
        verdict = judge(target.target, target.comparison, result.value, measured_planned,
                        bound=bound, planned_bound=planned_bound)
    status, gap = verdict.status, verdict.gap
    lineage = list(now.lineage)
    if planned is not None:
        lineage.extend(e for e in planned.lineage if e not in lineage)
    row = AuditRow(
        **base, params=jsonable(dict(result.params)), rule=result.rule,
        measured=_number(result.value), measured_planned=_number(measured_planned), gap=gap,
        status=status, missing=missing, lineage=tuple(lineage),
        failing_units=_failing_units(now), per_unit=tuple(jsonable(result.per_unit) or ()),
        details=jsonable({**dict(result.details),
                          **_planned_sites(store, adcode, target, year=year)}),
        error_bound=None if result.value is None else bound.value,
        error_bound_basis=bound.basis, error_bound_side=bound.side,
        within_error_bound=verdict.within_error_bound,
    )
    return row, _unit_rows(target, now, community_index)


def _planned_sites(store: Store, adcode: str, target: Target, *, year: int) -> dict[str, Any]:
    """Return ``{"planned_sites": ...}``: what the planned facilities of a siting target bring.

    Share with existing facilities only and with the planned ones (or units before / after);
    nothing when none are planned.
    """
    if target.siting is None:
        return {}
    from tanmap.layers.siting import planned_sites_run, target_question

    try:
        question = target_question(store, target, year=year, shortfall=False)
        run = planned_sites_run(store, adcode, question, until=target.deadline)
    except TanmapError as err:
        return {"planned_sites": {"error": f"{type(err).__name__}: {err}"}}
    if run is None:
        return {}
    r = run.result
    figures: dict[str, Any] = {
        "kind": run.kind, "model": run.model, "planned": len(run.candidates),
        "adding": len(run.sites), "radius_m": run.radius_m, "demand": run.demand_basis,
        "distance": run.distance, "until": target.deadline}
    if run.model == "per_unit":
        figures.update(units=r.total_weight, units_before=r.existing_weight,
                       units_after=r.covered_weight)
    else:
        figures.update(share_before=r.share_before, share_after=r.share_after)
    return {"planned_sites": figures}


def _walk_companion(
    store: Store,
    adcode: str,
    target: Target,
    main: AuditRow,
    *,
    year: int,
    include_planned_until: int | None,
    metrics: Mapping[str, MetricDef] | None,
) -> AuditRow | None:
    """Return the walking companion row of a straight-radius target, or None.

    None when the metric has no walking counterpart, the target's own row could not be
    computed, or the district has no ``walk_network`` (no row of 数据不足 for every district
    without streets). The row is judged against the same target; its note gives both figures
    and the radius-only gap (land the radius counts but walking does not).
    """
    spec = WALK_COMPANIONS.get(target.metric)
    if spec is None or main.error is not None or main.measured is None:
        return None
    walk_metric, carried = spec
    params = {k: target.params[k] for k in carried if k in target.params}
    try:
        now = run_metric(store, walk_metric, adcode, params, year=year,
                         include_planned_until=include_planned_until, metrics=metrics)
    except (TanmapError, KeyError):
        return None  # the target's own row stands; the companion is for comparison only
    result = now.result
    if "walk_network" in result.missing:
        return None
    bound = error_bound_of(result.name, result.unit, result.params, result.details)
    verdict = (Verdict(Status.NO_DATA, None, None) if target.target is None else
               judge(target.target, target.comparison, result.value, bound=bound))
    return replace(
        main, target_id=f"{target.id}{WALK_ROW_SUFFIX}",
        title_zh=f"{target.title_zh}（步行网络口径）",
        title_en=f"{target.title_en} (walked on the street network)",
        metric=walk_metric, params=jsonable(dict(result.params)), rule=result.rule,
        measured=_number(result.value), measured_planned=None, gap=verdict.gap,
        status=verdict.status, missing=tuple(result.missing), lineage=tuple(now.lineage),
        failing_units=(), per_unit=tuple(jsonable(result.per_unit) or ()),
        details=jsonable(dict(result.details)),
        error_bound=None if result.value is None else bound.value,
        error_bound_basis=bound.basis, error_bound_side=bound.side,
        within_error_bound=verdict.within_error_bound, companion_of=target.id,
    )


def _with_companions(rows: list[AuditRow], companions: list[AuditRow]) -> list[AuditRow]:
    """Return ``rows`` with each companion placed right after the row it stands beside."""
    after: dict[str, list[AuditRow]] = {}
    for c in companions:
        after.setdefault(str(c.companion_of), []).append(c)
    out: list[AuditRow] = []
    for r in rows:
        out.append(r)
        out.extend(after.get(r.target_id, ()))
    return out


def _sort_key(row: AuditRow) -> tuple[int, int, str]:
    return (row.status.rank, row.deadline if row.deadline is not None else 9999, row.target_id)


def _resolve(
    adcode: str,
    catalog: Catalog | None,
    overrides: Mapping[str, Mapping[str, Any]] | str | Path | None,
) -> tuple[Catalog, dict[str, dict[str, Any]]]:
    from tanmap.layers import catalog as catalog_mod

    if catalog is None:
        catalog = catalog_mod.load_catalog(adcode)
    if isinstance(overrides, str | Path):
        overrides = catalog_mod.load_overrides(overrides)
    edits = {str(k): dict(v) for k, v in (overrides or {}).items()}
    if edits:
        catalog = catalog_mod.apply_overrides(catalog, edits)
    return catalog, edits


def audit_district(
    store: Store,
    adcode: str,
    *,
    year: int | None = None,
    catalog: Catalog | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | str | Path | None = None,
    include_planned_until: int | None = None,
    metrics: Mapping[str, MetricDef] | None = None,
) -> AuditCard:
    """Evaluate every target of a district's plan on the store and return its report card.

    中文：区县碳达峰规划目标评估（报告卡）。

    For each target the metric runs on the layers as of ``year``; when the target is not met
    and its deadline is still ahead, it runs again counting projects planned for completion by
    the deadline: if that meets the target, the status is 按计划可达标 (on track). A target whose
    layer is missing gets 数据不足 (no data) and names the layer; so does a target whose metric
    cannot run (unknown metric, bad parameter), with the reason in ``error``.

    A straight-radius target (:data:`WALK_COMPANIONS`) of a district with a ``walk_network``
    is followed by its walking companion row (id + :data:`WALK_ROW_SUFFIX`): the same rule
    walked on the streets, its note giving both figures and the radius-only gap; companion rows
    are not counted in the summary.

    Parameters
    ----------
    store
        The project store.
    adcode
        District code, e.g. ``"120101"``.
    year
        Audit year; defaults to the current year.
    catalog
        The plan-target catalog; defaults to the bundled one for ``adcode``.
    overrides
        ``{target_id: {"target": x, "params": {...}}}`` or an overrides YAML file
        (``targets: {<id>: {...}}``, see :func:`tanmap.layers.catalog.load_overrides`): editable
        values for thresholds the plans leave vague (e.g. "基本实现全覆盖").
    include_planned_until
        Count projects planned for completion by this year in the measured figure (scenario).
    metrics
        Metric definitions by name; defaults to the registry.

    Raises
    ------
    UnknownDistrictError
        If the district is not in the store.
    CatalogError
        If an override names an unknown target or the overrides file is malformed.
    """
    catalog, overrides_map = _resolve(adcode, catalog, overrides)
    year = current_year() if year is None else int(year)
    store.district(adcode)  # fail early, with the store's message, for an unknown district
    # Many targets read the same layers: read each once for this card (the store is not
    # written while the card is built).
    cached: Any = ReadCache(store)
    community_index = _community_index(cached, adcode)
    rows: list[AuditRow] = []
    companions: list[AuditRow] = []
    unit_rows: list[UnitRow] = []
    for target in catalog.targets:
        row, units = _evaluate_target(
            cached, adcode, target, year=year, include_planned_until=include_planned_until,
            metrics=metrics, community_index=community_index, plan_title=catalog.plan_title,
            plan_title_en=catalog.plan_title_en,
        )
        rows.append(row)
        unit_rows.extend(units)
        walk = _walk_companion(cached, adcode, target, row, year=year,
                               include_planned_until=include_planned_until, metrics=metrics)
        if walk is not None:
            companions.append(walk)
    rows.sort(key=_sort_key)
    rows = _with_companions(rows, companions)
    order = {r.target_id: i for i, r in enumerate(rows)}
    unit_rows.sort(key=lambda u: (u.unit_name, order[u.target_id]))
    return AuditCard(
        adcode=adcode, district_zh=catalog.district_zh, district_en=catalog.district_en,
        plan_title=catalog.plan_title, plan_title_en=catalog.plan_title_en, year=year,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        rows=tuple(rows), unit_rows=tuple(unit_rows),
        include_planned_until=include_planned_until, overrides=overrides_map,
    )


def audit_units(
    store: Store,
    adcode: str,
    *,
    year: int | None = None,
    catalog: Catalog | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | str | Path | None = None,
    metrics: Mapping[str, MetricDef] | None = None,
) -> list[UnitRow]:
    """Return the per-街道 card: one row per 街道 and target whose metric has a per-unit table.

    中文：街道评估（逐街道列出各目标的实测值与状态）。
    """
    card = audit_district(store, adcode, year=year, catalog=catalog, overrides=overrides,
                          metrics=metrics)
    return list(card.unit_rows)


def scenario_cards(
    store: Store,
    adcode: str,
    years: Iterable[int] = DEFAULT_SCENARIO_YEARS,
    *,
    catalog: Catalog | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | str | Path | None = None,
    metrics: Mapping[str, MetricDef] | None = None,
) -> dict[int, AuditCard]:
    """Return the card at each year counting the projects planned for completion by then.

    中文：情景评估（2025年、2030年：计入届时计划建成的项目）。
    """
    from tanmap.layers.catalog import load_catalog, load_overrides

    if catalog is None:
        catalog = load_catalog(adcode)
    if isinstance(overrides, str | Path):
        overrides = load_overrides(overrides)
    return {
        int(y): audit_district(store, adcode, year=int(y), catalog=catalog, overrides=overrides,
                               include_planned_until=int(y), metrics=metrics)
        for y in years
    }


def with_scenarios(card: AuditCard, scenarios: Mapping[int, AuditCard]) -> AuditCard:
    """Return ``card`` carrying its scenario cards (for the writers)."""
    return replace(card, scenarios=dict(scenarios))
