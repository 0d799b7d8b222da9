"""Indicator entry over the API: units converted, wrong units and misspelt keys refused (422)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tanmap.layers.store import open_store

from .conftest import AUTH

HEPING = "120101"


def test_percent_against_a_share_target_is_stored_as_a_share(client: TestClient,
                                                              store_path: Path) -> None:
    response = client.put(f"/api/districts/{HEPING}/indicators/led_share", headers=AUTH,
                          json={"year": 2025, "value": 95, "unit": "%", "source": "区城管委"})
    assert response.status_code == 200, response.text
    assert response.json() == {"key": "led_share", "year": 2025, "value": 0.95, "unit": "share",
                               "entered_value": 95.0, "entered_unit": "%", "source": "区城管委"}
    rows = open_store(store_path).indicators(HEPING)
    assert rows[["key", "value", "unit"]].to_dict(orient="records") == [
        {"key": "led_share", "value": 0.95, "unit": "share"}]
    listed = client.get(f"/api/districts/{HEPING}/indicators").json()
    assert [(r["key"], r["year"], r["value"]) for r in listed] == [("led_share", 2025, 0.95)]


def test_m2_against_a_share_target_is_422_naming_the_expected_unit(
    client: TestClient, store_path: Path
) -> None:
    response = client.put(f"/api/districts/{HEPING}/indicators/led_share", headers=AUTH,
                          json={"year": 2025, "value": 95, "unit": "m2"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "UnitError"
    assert "Give the value in share" in body["detail"]
    assert open_store(store_path).indicators(HEPING).empty


def test_misspelt_key_is_422_with_a_suggestion(client: TestClient, store_path: Path) -> None:
    response = client.put(f"/api/districts/{HEPING}/indicators/led_shar", headers=AUTH,
                          json={"year": 2025, "value": 0.9, "unit": "share"})
    assert response.status_code == 422
    assert response.json()["error"] == "UnknownIndicatorError"
    assert "did you mean led_share" in response.json()["detail"]
    assert open_store(store_path).indicators(HEPING).empty


def test_entry_needs_the_token(client: TestClient, store_path: Path) -> None:
    response = client.put(f"/api/districts/{HEPING}/indicators/led_share",
                          json={"year": 2025, "value": 0.9, "unit": "share"})
    assert response.status_code == 401
    assert open_store(store_path).indicators(HEPING).empty


def test_keys_endpoint_lists_units(ro_client: TestClient) -> None:
    keys = {k["key"]: k for k in ro_client.get(f"/api/districts/{HEPING}/indicators/keys").json()}
    assert keys["led_share"]["unit"] == "share"
    assert keys["led_share"]["targets"] == ["120101-L01"]
