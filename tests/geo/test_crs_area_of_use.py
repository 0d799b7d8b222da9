"""``outside_area_of_use``: coordinates far outside a CRS's area of use (issue 15, point 3).

Points in EPSG:4548 (CGCS2000 GK zone CM 117 °E; area of use 115.5–118.5 °E, 22.6–49.88 °N).
"""

from __future__ import annotations

import numpy as np
import pytest

from tanmap.geo import crs as geo_crs


@pytest.mark.parametrize(
    ("x", "y", "epsg", "outside"),
    [
        (516_500.0, 4_331_500.0, 4548, False),     # 和平区 in its own zone
        (300_000.0, 4_331_500.0, 4548, False),     # 114.7°E, 0.8° west of the zone: margin
        (1e12, 1e12, 4548, True),                  # finite but absurd
        (2e6, 4_331_500.0, 4548, True),            # 16° east of CM 117°E
        (516_500.0, -4_331_500.0, 4548, True),     # southern hemisphere
        (np.inf, 4_331_500.0, 4548, True),
        (500_000.0, 3_456_000.0, 32651, False),    # Shanghai in UTM 51N
    ],
    ids=["inside", "margin", "huge", "wrong-zone", "south", "inf", "utm"],
)
def test_outside_area_of_use(x, y, epsg, outside):
    assert geo_crs.outside_area_of_use([x], [y], epsg).tolist() == [outside]


def test_area_of_use_margin_is_a_named_parameter():
    """x = 300 km is 114.7 °E, 0.8° west of zone 4548 (115.5–118.5 °E): outside only without
    the default 3° margin."""
    x, y = 300_000.0, 4_331_500.0
    assert geo_crs.AREA_OF_USE_MARGIN_DEG == 3.0
    assert geo_crs.outside_area_of_use(x, y, 4548, margin_deg=0.0).tolist() is True
    assert geo_crs.outside_area_of_use(x, y, 4548).tolist() is False
