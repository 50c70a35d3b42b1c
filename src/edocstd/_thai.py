"""Thai display helpers: Buddhist-era dates and Thai month names.

Thai official documents show dates in the Buddhist era (พ.ศ.), which is the Gregorian year
plus 543, with the month written out: ``25 พฤศจิกายน 2569``. Only *display* changes; the XML
always carries Gregorian ``xs:date`` / ``xs:dateTime`` values.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

__all__ = [
    "BUDDHIST_ERA_OFFSET",
    "ENGLISH_MONTHS",
    "THAI_MONTHS",
    "THAI_MONTHS_ABBR",
    "buddhist_year",
    "format_date",
    "format_datetime",
]

Lang = Literal["th", "en"]

BUDDHIST_ERA_OFFSET = 543
"""Years between the Gregorian and the Thai Buddhist era: B.E. = A.D. + 543."""

THAI_MONTHS: tuple[str, ...] = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
"""Full Thai month names, January first."""

THAI_MONTHS_ABBR: tuple[str, ...] = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
"""Abbreviated Thai month names, as used in tables and forms, January first."""

ENGLISH_MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""English month names, January first (independent of the process locale)."""


def buddhist_year(d: date) -> int:
    """The Buddhist-era year of ``d``: ``buddhist_year(date(2026, 11, 25)) == 2569``."""
    return d.year + BUDDHIST_ERA_OFFSET


def format_date(d: date, lang: Lang = "th", *, abbreviated: bool = False) -> str:
    """``d`` for a reader: ``25 พฤศจิกายน 2569`` in Thai, ``25 November 2026`` in English.

    A :class:`~datetime.datetime` is shown by its own (local) calendar date. With
    ``abbreviated``, Thai uses the short month form and the ``พ.ศ.`` marker is not added:
    ``25 พ.ย. 2569``; English uses the first three letters of the month.
    """
    if lang == "th":
        months = THAI_MONTHS_ABBR if abbreviated else THAI_MONTHS
        return f"{d.day} {months[d.month - 1]} {buddhist_year(d)}"
    if lang == "en":
        month = ENGLISH_MONTHS[d.month - 1]
        return f"{d.day} {month[:3] if abbreviated else month} {d.year}"
    raise ValueError(f"unsupported language {lang!r}: use 'th' or 'en'")


def format_datetime(dt: datetime, lang: Lang = "th") -> str:
    """``dt`` for a reader, in its own UTC offset.

    Thai: ``25 พฤศจิกายน 2569 เวลา 09:30 น.``; English: ``25 November 2026, 09:30 UTC+07:00``.
    The offset is named in English only, where readers may be in other time zones; Thai
    official documents conventionally omit it.
    """
    day = format_date(dt, lang)
    clock = f"{dt.hour:02d}:{dt.minute:02d}"
    if lang == "th":
        return f"{day} เวลา {clock} น."
    offset = dt.utcoffset()
    if offset is None:
        return f"{day}, {clock}"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{day}, {clock} UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
