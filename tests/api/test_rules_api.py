"""User coverage rules over the API: in a metric body, as an uploaded file, validated (422)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

HEPING = "120101"

#: Every park and square serves 5 km: all of 和平区's residential land is within reach.
WIDE_RULE: dict[str, Any] = {
    "name": "wide", "version": 7, "citation": "test rule: 5 km",
    "park_classes": ["G1", "G11", "G12", "G13", "G14", "G3"],
    "tiers": [{"min_area_m2": 0, "radius_m": 5000}], "thresholds": {"overall": "90%"},
}
#: Only parks of at least 1 km² count: the sample district has none, so nothing is covered.
HUGE_ONLY_RULE: dict[str, Any] = {**WIDE_RULE, "name": "huge_only",
                                  "tiers": [{"min_area": "100 公顷", "radius_m": 500}]}


def test_metric_body_takes_a_user_rule(ro_client: TestClient) -> None:
    url = f"/api/districts/{HEPING}/metrics/park_coverage"
    wide = ro_client.post(url, json={"params": {"rule": WIDE_RULE}, "year": 2026}).json()
    assert wide["value"] == pytest.approx(1.0, abs=1e-6)
    assert wide["rule"] == "user rule wide v7 — test rule: 5 km"
    assert wide["params"]["rule"]["tiers"] == [{"min_area_m2": 0.0, "radius_m": 5000.0}]
    none = ro_client.post(url, json={"params": {"rule": HUGE_ONLY_RULE}, "year": 2026}).json()
    assert none["value"] == 0.0
    assert none["details"]["parks_counted"] == 0
    assert none["details"]["rule"]["tiers"] == [">= 1e+06 m² -> 500 m"]


def test_bad_rule_in_a_metric_body_is_422_naming_the_key(ro_client: TestClient) -> None:
    bad = {**WIDE_RULE, "park_classes": ["G11", "G9"],
           "tiers": [{"min_area_m2": 0, "radius_m": -500}]}
    response = ro_client.post(f"/api/districts/{HEPING}/metrics/park_coverage",
                              json={"params": {"rule": bad}})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "unknown class(es) ['G9']" in detail
    assert "tiers[0].radius_m: expected a number > 0 (metres), got -500" in detail


def test_uploaded_rule_file(ro_client: TestClient) -> None:
    text = ("name: 上传规则\nversion: 2\ncitation: 测试\npark_classes: [G11, G12, G13, G14]\n"
            "tiers: [{min_area_m2: 0, radius_m: 5000}]\nthresholds: {overall: 0.9}\n")
    response = ro_client.post(
        f"/api/districts/{HEPING}/metrics/park_coverage/rule-file?year=2026",
        files={"file": ("rules.yaml", text.encode(), "application/yaml")})
    assert response.status_code == 200, response.text
    assert response.json()["rule"] == "user rule 上传规则 v2 — 测试"


def test_uploaded_rule_file_errors_name_the_file(ro_client: TestClient) -> None:
    text = "name: x\nversion: 1\npark_classes: [G11]\ntiers: []\nthresholds: {overall: 0.9}\n"
    response = ro_client.post(
        f"/api/districts/{HEPING}/metrics/park_coverage/rule-file",
        files={"file": ("mine.yaml", text.encode(), "application/yaml")})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("mine.yaml: coverage rule 'x': 2 problem(s)")
    assert "citation: required" in detail
    wrong_metric = ro_client.post(
        f"/api/districts/{HEPING}/metrics/feature_count/rule-file",
        files={"file": ("mine.yaml", text.encode(), "application/yaml")})
    assert wrong_metric.status_code == 422
    assert "a rule file applies to park_coverage" in wrong_metric.json()["detail"]


def test_validate_endpoint(ro_client: TestClient) -> None:
    ok = ro_client.post("/api/rules/validate", json=WIDE_RULE)
    assert ok.status_code == 200
    assert ok.json()["citation"] == "user rule wide v7 — test rule: 5 km"
    assert ok.json()["rule"]["thresholds"] == {"overall": {"share": 0.9, "comparison": ">="}}
    no_citation = {k: v for k, v in WIDE_RULE.items() if k != "citation"}
    bad = ro_client.post("/api/rules/validate", json=no_citation)
    assert bad.status_code == 422
    assert "citation: required" in bad.json()["detail"]


def test_audit_under_a_rule(ro_client: TestClient) -> None:
    response = ro_client.post(f"/api/districts/{HEPING}/audit/rule",
                              json={"rule": WIDE_RULE, "year": 2026})
    assert response.status_code == 200
    plain = ro_client.get(f"/api/districts/{HEPING}/audit?year=2026").json()
    assert len(response.json()["rows"]) == len(plain["rows"])
    bad = ro_client.post(f"/api/districts/{HEPING}/audit/rule",
                         json={"rule": {**WIDE_RULE, "version": "two"}})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("rule: coverage rule 'wide'")
