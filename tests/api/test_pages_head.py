"""``HEAD`` on the HTML pages (issue 15, point 7): link checkers and ``curl -I`` get 200."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/", "/maps/120101", "/maps/120101?lang=en&basemap=osm"])
def test_head_answers_like_get_without_a_body(ro_client, path):
    head = ro_client.head(path)
    assert head.status_code == 200
    assert head.headers["content-type"] == "text/html; charset=utf-8"
    assert head.content == b""
    get = ro_client.get(path)
    assert head.headers["content-length"] == str(len(get.content))


def test_head_of_an_unknown_district_is_404(ro_client):
    assert ro_client.head("/maps/999999").status_code == 404
