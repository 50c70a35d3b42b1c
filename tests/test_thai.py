"""Buddhist-era dates and Thai month names for display."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from edocstd._thai import (
    ENGLISH_MONTHS,
    THAI_MONTHS,
    THAI_MONTHS_ABBR,
    buddhist_year,
    format_date,
    format_datetime,
)

ICT = timezone(timedelta(hours=7))


def test_buddhist_year_adds_543() -> None:
    assert buddhist_year(date(2026, 11, 25)) == 2569
    assert buddhist_year(date(2001, 1, 1)) == 2544  # the Electronic Transactions Act year


def test_month_tables_have_twelve_distinct_names() -> None:
    for table in (THAI_MONTHS, THAI_MONTHS_ABBR, ENGLISH_MONTHS):
        assert len(table) == 12
        assert len(set(table)) == 12
    assert THAI_MONTHS[0] == "มกราคม"
    assert THAI_MONTHS[10] == "พฤศจิกายน"
    assert THAI_MONTHS_ABBR[11] == "ธ.ค."


@pytest.mark.parametrize(
    ("d", "lang", "abbreviated", "expected"),
    [
        (date(2026, 11, 25), "th", False, "25 พฤศจิกายน 2569"),
        (date(2026, 11, 25), "th", True, "25 พ.ย. 2569"),
        (date(2026, 11, 25), "en", False, "25 November 2026"),
        (date(2026, 11, 25), "en", True, "25 Nov 2026"),
        (date(2020, 2, 29), "th", False, "29 กุมภาพันธ์ 2563"),
        (date(2027, 1, 1), "th", False, "1 มกราคม 2570"),
    ],
)
def test_format_date(d: date, lang: str, abbreviated: bool, expected: str) -> None:
    assert format_date(d, lang, abbreviated=abbreviated) == expected  # type: ignore[arg-type]


def test_format_date_of_a_datetime_uses_its_own_local_date() -> None:
    late = datetime(2026, 12, 31, 23, 30, tzinfo=ICT)  # already 2027 in Japan, still 2026 here
    assert format_date(late) == "31 ธันวาคม 2569"


def test_format_date_refuses_unknown_languages() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        format_date(date(2026, 1, 1), "fr")  # type: ignore[arg-type]


def test_format_datetime_in_thai_and_english() -> None:
    when = datetime(2026, 11, 25, 9, 5, tzinfo=ICT)
    assert format_datetime(when) == "25 พฤศจิกายน 2569 เวลา 09:05 น."
    assert format_datetime(when, "en") == "25 November 2026, 09:05 UTC+07:00"
    west = datetime(2026, 11, 25, 9, 5, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    assert format_datetime(west, "en") == "25 November 2026, 09:05 UTC-03:30"
