"""``GET /api/districts/{adcode}/audit.pdf``: the printable report card over HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from tanmap.layers.card.pdfcard import PdfCardError, find_cjk_font

if TYPE_CHECKING:
    from pathlib import Path

    from fastapi.testclient import TestClient

HEPING = "120101"


def _need_pdf_tools() -> str:
    try:
        find_cjk_font()
    except PdfCardError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no CJK TrueType font (make pdf-tools)")
    found = shutil.which("pdftotext")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is missing under CI: `make pdf-tools` installs poppler-utils")
        pytest.skip("pdftotext not installed (make pdf-tools)")
    return found


@pytest.mark.slow
def test_audit_pdf_of_the_demo_district(ro_client: TestClient, tmp_path: Path) -> None:
    pdftotext = _need_pdf_tools()
    response = ro_client.get(f"/api/districts/{HEPING}/audit.pdf?year=2026")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content[:5] == b"%PDF-"
    path = tmp_path / "card.pdf"
    path.write_bytes(response.content)
    text = subprocess.run([pdftotext, str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "天津市和平区（120101）目标评估报告卡 2026" in text
    assert "「计划打造 20 个口袋花园」" in text
    assert "示例数据" in text  # the synthetic sample is labelled on the printed card too


def test_audit_pdf_without_the_font_is_503_with_advice(
    ro_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tanmap.layers.card.pdfcard.CJK_FONT_PATHS", ())
    monkeypatch.delenv("TANMAP_CJK_FONT", raising=False)
    response = ro_client.get(f"/api/districts/{HEPING}/audit.pdf?year=2026")
    assert response.status_code == 503
    assert response.json()["error"] == "PdfCardError"  # the advice goes to the server log
