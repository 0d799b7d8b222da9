"""Issue 15 through the HTTP app: HEAD on pages (point 7), the detected encoding (point 6)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/", "/maps/120101", "/maps/120101?lang=en&basemap=osm"])
def test_head_answers_like_get_without_a_body(ro_client, path):
    head = ro_client.head(path)
    assert head.status_code == 200
    assert head.headers["content-type"] == "text/html; charset=utf-8"
    assert head.content == b""
    get = ro_client.get(path)
    # Same headers as GET with the same Accept-Encoding (pages are gzip-compressed over 1 kB).
    assert head.headers.get("content-encoding") == get.headers.get("content-encoding")
    assert head.headers["content-length"] == get.headers["content-length"]
    plain = ro_client.head(path, headers={"Accept-Encoding": "identity"})
    assert plain.headers["content-length"] == str(len(get.content))


def test_head_of_an_unknown_district_is_404(ro_client):
    assert ro_client.head("/maps/999999").status_code == 404


def test_upload_of_a_shapefile_without_cpg_says_which_encoding_was_detected(client, tmp_path):
    """Point 6 through the API: the detected encoding comes back as a warning of the import."""
    import io as stdio
    import zipfile

    import geopandas as gpd
    import pyogrio
    from shapely.geometry import box

    from tests.api.conftest import AUTH

    shp = tmp_path / "bureau.shp"
    gdf = gpd.GeoDataFrame({"id": ["P-1"], "name": ["人民公园"], "park_class": ["G12"]},
                           geometry=[box(117.2, 39.12, 117.201, 39.121)], crs=4326)
    pyogrio.write_dataframe(gdf, shp, encoding="GBK")
    buffer = stdio.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):  # no .cpg
            zf.write(shp.with_suffix(suffix), "bureau" + suffix)
    response = client.post("/api/districts/120101/layers/park/upload", headers=AUTH,
                           files={"file": ("bureau.zip", buffer.getvalue(), "application/zip")})
    assert response.status_code == 201, response.text
    notes = [w for w in response.json()["warnings"] if w["code"] == "encoding_detected"]
    assert [n["problem"] for n in notes] == [
        "the Shapefile has no .cpg; its text was detected as GB18030 (GBK) and read so"]
