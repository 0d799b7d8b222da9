"""Readers explain empty, unreadable and non-WGS84 GeoJSON files in their own words."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tanmap.geo.errors import CRSError, DataFormatError
from tanmap.layers.ingest.io import is_rfc7946_crs, read_vector, require_rfc7946_crs

#: One point in 和平区 in EPSG:4548 (CGCS2000 GK CM 117E), metres: (117.2 E, 39.12 N).
GK_POINT = [517295.99, 4331845.03]


def geojson(path: Path, *, crs: str | None, coords: list[float]) -> Path:
    body: dict[str, object] = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "S1", "access": "public"},
         "geometry": {"type": "Point", "coordinates": coords}}]}
    if crs is not None:
        body["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["stations.geojson", "stations.gpkg", "stations.csv",
                                  "stations.shp"])
def test_an_empty_file_is_called_empty(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(DataFormatError, match=rf"{name} is empty \(0 bytes"):
        read_vector(path)


@pytest.mark.parametrize(("content", "why"), [
    ('{"type": "FeatureCollection", "features": [', r"not valid JSON \(line 1, column 44"),
    ("garbage{", r"not valid JSON \(line 1, column 1"),
    ('{"a": 1}', r"JSON but not GeoJSON \('type' is None\)"),
    ('[1, 2]', r"JSON but not GeoJSON"),
    ("\xff\xfe".encode("latin-1").decode("latin-1"), r"(not valid JSON|not UTF-8)"),
], ids=["truncated", "garbage", "plain-json", "array", "binary"])
def test_unreadable_geojson_says_why_without_gdal_text(
    tmp_path: Path, content: str, why: str
) -> None:
    path = tmp_path / "parks.geojson"
    path.write_text(content, encoding="latin-1")
    with pytest.raises(DataFormatError, match=why) as info:
        read_vector(path)
    message = str(info.value)
    assert "cannot read parks.geojson (GeoJSON)" in message
    assert "not recognized as being in a supported file format" not in message
    assert "DRIVER" not in message


def test_a_damaged_geopackage_says_so(tmp_path: Path) -> None:
    path = tmp_path / "parks.gpkg"
    with sqlite3.connect(path) as con:  # a SQLite file, but not a GeoPackage
        con.execute("CREATE TABLE t (x)")
    with pytest.raises(DataFormatError, match=r"parks\.gpkg.*not a GeoPackage"):
        read_vector(path)
    path.write_bytes(b"this is text, not SQLite" * 10)
    with pytest.raises(DataFormatError, match=r"parks\.gpkg.*not a GeoPackage") as info:
        read_vector(path)
    assert "supported file format" not in str(info.value)


def test_geojson_declaring_a_projected_crs_is_refused_unless_confirmed(tmp_path: Path) -> None:
    path = geojson(tmp_path / "gk.geojson", crs="urn:ogc:def:crs:EPSG::4548", coords=GK_POINT)
    with pytest.raises(CRSError, match=r"gk\.geojson: the GeoJSON declares crs EPSG:4548.*"
                                       r"RFC 7946.*source_crs='EPSG:4548' "
                                       r"\(CLI: --source-crs EPSG:4548\)"):
        read_vector(path)
    confirmed = read_vector(path, source_crs="EPSG:4548")
    assert confirmed.crs.to_epsg() == 4548
    lonlat = confirmed.to_crs(4326).geometry.iloc[0]
    assert lonlat.x == pytest.approx(117.2, abs=1e-6)
    assert lonlat.y == pytest.approx(39.12, abs=1e-6)


@pytest.mark.parametrize("crs", [None, "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "EPSG:4490"])
def test_geojson_in_wgs84_or_cgcs2000_lonlat_is_read(tmp_path: Path, crs: str | None) -> None:
    frame = read_vector(geojson(tmp_path / "ll.geojson", crs=crs, coords=[117.2, 39.12]))
    assert len(frame) == 1
    assert frame.geometry.iloc[0].x == pytest.approx(117.2)


@pytest.mark.parametrize(("crs", "ok"), [
    ("OGC:CRS84", True), (4326, True), (4490, True), (4548, False), (3857, False), (4214, False),
], ids=["crs84", "wgs84", "cgcs2000", "gk117", "webmercator", "beijing54-geographic"])
def test_which_crs_geojson_may_declare(crs: object, ok: bool) -> None:
    assert is_rfc7946_crs(crs) is ok
    if ok:
        require_rfc7946_crs(crs, what="x.geojson")
    else:
        with pytest.raises(CRSError, match="RFC 7946"):
            require_rfc7946_crs(crs, what="x.geojson")
