"""The agency's own fixtures, next to the ``edoc_*`` ones the edocstd pytest plugin provides.

This file also makes ``licensing`` importable from the tests: pytest puts the directory of a
top-level ``conftest.py`` on ``sys.path``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from licensing import ICT, Application

from edocstd import thai_id_check_digit
from edocstd.model import Address


@pytest.fixture(scope="session")
def issued_at() -> dt.datetime:
    """A fixed issue time, so that built licences are reproducible."""
    return dt.datetime(2026, 11, 26, 10, 0, tzinfo=ICT)


@pytest.fixture(scope="session")
def application() -> Application:
    """An approved application from a citizen opening a noodle shop (immutable, so shared)."""
    first12 = "110170012345"
    return Application(
        national_id=first12 + str(thai_id_check_digit(first12)),
        given_name_th="สมหญิง",
        family_name_th="ใจงาม",
        given_name_en="Somying",
        family_name_en="Jai-ngam",
        shop_name_th="ร้านก๋วยเตี๋ยวเรือป้าหญิง",
        shop_address=Address(
            postcode="10400",
            line_one="12 ถนนตัวอย่าง",
            city_sub_division_id="103701",
            city_id="1037",
            country_sub_division_id="10",
            country_id="TH",
        ),
        floor_area_m2=48,
    )
