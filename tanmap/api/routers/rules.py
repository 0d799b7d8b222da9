"""User coverage rules (自定义覆盖率规则): validate one, run a metric or an audit under one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool

from tanmap.api.deps import Adcode, get_store
from tanmap.api.models import AuditRuleRequest
from tanmap.api.routers.metrics import MetricName
from tanmap.geo.errors import CoverageRuleError, MetricParameterError
from tanmap.geo.registry import get_metric
from tanmap.geo.rules import rule_from_mapping, rule_to_mapping
from tanmap.layers.audit import audit_district
from tanmap.layers.catalog import load_catalog
from tanmap.layers.ingest.rule_files import (
    MAX_RULE_FILE_BYTES,
    RULE_METRICS,
    apply_rule_to_catalog,
    parse_rule_text,
)
from tanmap.layers.runner import run_metric
from tanmap.layers.store import Store

__all__ = ["router"]

router = APIRouter(tags=["rules 规则"])

YearQ = Annotated[int | None, Query(ge=1900, le=2100, description="评估年份 audit year")]


@router.post("/api/rules/validate", summary="Check a coverage rule 校验自定义规则")
def validate_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """Return the rule in its normalised form and the citation results will carry (422 if bad).

    Rules need ``name``, ``version`` and ``citation`` here, as in rule files.
    """
    parsed = rule_from_mapping(rule, require_provenance=True)
    return {"rule": rule_to_mapping(parsed), "citation": parsed.citation}


@router.post("/api/districts/{adcode}/metrics/{name}/rule-file",
             summary="Run a metric under an uploaded rule 上传规则文件计算指标")
async def metric_with_rule_file(
    adcode: Adcode,
    name: MetricName,
    store: Annotated[Store, Depends(get_store)],
    file: Annotated[UploadFile, File(description="规则文件 rule file (YAML or JSON, UTF-8)")],
    year: YearQ = None,
    include_planned_until: YearQ = None,
) -> dict[str, Any]:
    """Run ``name`` (park_coverage) with its rule taken from the uploaded YAML/JSON file."""
    get_metric(name)
    if name not in RULE_METRICS:
        raise MetricParameterError(
            f"a rule file applies to {', '.join(RULE_METRICS)}, not {name!r}")
    await run_in_threadpool(store.district, adcode)
    content = await file.read(MAX_RULE_FILE_BYTES + 1)
    rule = parse_rule_text(content, source=file.filename or "rule file")
    # The metric is CPU-bound: off the event loop, so other requests go on meanwhile.
    outcome = await run_in_threadpool(
        run_metric, store, name, adcode, {"rule": rule_to_mapping(rule)}, year=year,
        include_planned_until=include_planned_until)
    return outcome.to_dict()


@router.post("/api/districts/{adcode}/audit/rule",
             summary="Audit card under a user rule 按自定义规则评估")
def audit_with_rule(adcode: Adcode, body: AuditRuleRequest,
                    store: Annotated[Store, Depends(get_store)]) -> dict[str, Any]:
    """Return the audit card with every park-coverage target computed under ``body.rule``."""
    try:
        rule = rule_from_mapping(body.rule, require_provenance=True)
    except CoverageRuleError as err:
        raise CoverageRuleError(f"rule: {err}") from err
    store.district(adcode)
    catalog = apply_rule_to_catalog(load_catalog(adcode), rule)
    return audit_district(store, adcode, year=body.year, catalog=catalog).to_dict()
