"""Hypothesis strategies that generate valid EDOC 1.0 documents, for property tests.

Everything :func:`documents` draws is schema- and rule-valid (EDOC-1.0 §1–3): Thai and English
text with combining marks (in NFC, free of control characters), every code-list value, persons
with national IDs or passports, organizations with tax IDs and branches, addresses with nested
TISI area codes, consistent validity periods, purposes with matching references, attachments
whose digest matches their content, and ``https`` verification URIs.

Use them in your own test suite::

    from hypothesis import given
    from edocstd.testing.strategies import documents

    @given(documents())
    def test_my_archive_round_trips(doc):
        ...

The module needs ``hypothesis`` (the ``test`` extra: ``pip install edocstd[test]``).

Sizes are kept small (a few members per group, at most two items per list, short texts), so a
few hundred examples run in seconds. Strategies that take a ``text`` argument accept any
strategy of valid ``Text`` values, e.g. :func:`texts` with other bounds.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import TypeVar

from hypothesis import strategies as st

from edocstd._ids import thai_id_check_digit
from edocstd.model import (
    Address,
    AttachedDocument,
    Attribute,
    AuthorizedOfficial,
    Condition,
    Contact,
    DigestAlgorithm,
    Document,
    DocumentType,
    ExchangedDocument,
    HolderParty,
    Identifier,
    IssuerParty,
    LangGroup,
    LangText,
    LegalBasis,
    Note,
    Organization,
    Person,
    Purpose,
    ReferencedDocument,
    Subject,
    ValidityPeriod,
)

__all__ = [
    "ATTACHMENT_DIGESTS",
    "addresses",
    "attached_documents",
    "aware_datetimes",
    "documents",
    "global_ids",
    "gov_ids",
    "headers",
    "holders",
    "issuers",
    "lang_groups",
    "lang_texts",
    "nidns",
    "organizations",
    "passports",
    "persons",
    "subjects",
    "texts",
    "thai_texts",
    "txids",
    "validity_periods",
]

ATTACHMENT_DIGESTS: tuple[DigestAlgorithm, ...] = (
    DigestAlgorithm.SHA256,
    DigestAlgorithm.SHA384,
    DigestAlgorithm.SHA512,
)
"""The digest algorithms an attachment may use (EDOC-1.0 §5.3)."""

_T = TypeVar("_T")

# --------------------------------------------------------------------------- text

_THAI_CONSONANTS = "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ"
_THAI_LEADING = "เแโใไ"
# Above and below vowels and tone marks: combining characters (Mn), some with a non-zero
# combining class, so NFC reorders them when they come in the "wrong" order.
_THAI_ABOVE_BELOW = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39"
_THAI_TONES = "\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c"
_THAI_TRAILING = "าะำๆ"
_THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LATIN_MARKS = "\u0300\u0301\u0302\u0303\u0308\u0327"
_PUNCTUATION = " .,;:-/()&'\"<>"

# XML 1.0 cannot carry most C0 controls, and EDOC-R013 forbids U+007F and the C1 controls;
# U+FFFE and U+FFFF are not XML characters either.
_NOT_ALLOWED = frozenset("\ufffe\uffff")

# Real words and phrases keep examples readable; random runs of the same alphabets reach the
# odd cases (a tone mark before a below vowel, a mark with no base, stacked accents).
_THAI_PHRASES = (
    "ใบอนุญาต",
    "ประกอบกิจการโรงงาน",
    "กรมโรงงานอุตสาหกรรม",
    "นายสมชาย ใจดี",
    "นางสาวกัญญ์ณัฏฐ์ ศรีสุข",
    "บริษัท ตัวอย่าง จำกัด (มหาชน)",
    "เลขที่ ๑๒๓/๔๕",
    "ห้ามจำหน่ายสุราแก่ผู้มีอายุต่ำกว่า ๒๐ ปี",
    "พระราชบัญญัติโรงงาน พ.ศ. ๒๕๓๕",
    "ฯลฯ",
    "ก่อน",
    "น้ำ",
    "ผู้ใหญ่",
    "กรุงเทพมหานคร",
)
_ENGLISH_PHRASES = (
    "Factory Operating Licence",
    "Department of Industrial Works",
    "Mr. Somchai Jaidee",
    "Example Co., Ltd.",
    "Café & Crème",
    "Section 12 <b> \"quoted\" & 'single'",
    "Ms. Zoë Ångström-Nuñez",
)
_THAI_ALPHABET = (
    _THAI_CONSONANTS + _THAI_LEADING + _THAI_ABOVE_BELOW + _THAI_TONES + _THAI_TRAILING + " "
)
_LATIN_ALPHABET = _LATIN + _LATIN_MARKS + _PUNCTUATION

_thai_raw = st.one_of(
    st.sampled_from(_THAI_PHRASES),
    st.text(_THAI_ALPHABET, min_size=1, max_size=16),
    st.text(_THAI_ALPHABET + _THAI_DIGITS + "ฯ.", min_size=1, max_size=16),
)
_english_raw = st.one_of(
    st.sampled_from(_ENGLISH_PHRASES),
    st.text(_LATIN_ALPHABET, min_size=1, max_size=16),
)

_any_char = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
    exclude_characters=_NOT_ALLOWED,
    include_characters="\t\n\r",
)
_any_raw = st.text(_any_char, min_size=1, max_size=16)


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


@functools.cache
def texts(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """``Text`` values: Thai, English with combining accents, or any XML-legal Unicode.

    Values are NFC, contain no C1 controls and no U+007F (EDOC-R013), and may contain TAB, LF
    and CR and leading or trailing spaces, all of which must survive a round trip unchanged.
    Their length (in code points, after NFC) is between ``min_size`` and ``max_size``.
    """
    return (
        st.one_of(_thai_raw, _english_raw, _any_raw)
        .map(_nfc)
        .filter(lambda s: min_size <= len(s) <= max_size)
    )


@functools.cache
def thai_texts(min_size: int = 1, max_size: int = 40) -> st.SearchStrategy[str]:
    """Thai ``Text`` values with above/below vowels and tone marks, in NFC."""
    return _thai_raw.map(_nfc).filter(lambda s: min_size <= len(s) <= max_size)


_THAI_TAGS = ("th", "th-TH", "TH", "Th-th")
_OTHER_TAGS = ("en", "en-GB", "EN-us", "zh-Hans", "ja", "lo", "my", "km", "fr", "ms-MY")
_THAI_TAG_STRATEGY = st.sampled_from(_THAI_TAGS)
_OTHER_TAG_LISTS = st.lists(
    st.sampled_from(_OTHER_TAGS), max_size=2, unique_by=lambda t: t.split("-", 1)[0].lower()
)


@functools.cache
def lang_texts(language: str | None = None) -> st.SearchStrategy[LangText]:
    """One :class:`~edocstd.model.LangText`; ``language`` fixes its tag, else any tag."""
    tags = st.just(language) if language is not None else st.sampled_from(_THAI_TAGS + _OTHER_TAGS)
    return st.builds(LangText, texts(), tags)


@functools.cache
def lang_groups(text: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[LangGroup]:
    """A multilingual group: one Thai member and up to two other languages, in any order.

    Languages are distinct by primary subtag (EDOC-R003, R004); tags vary in case and region
    (``th``, ``TH``, ``th-TH``, ``en-GB`` …).
    """
    body = text if text is not None else texts()
    thai_body = body if text is not None else st.one_of(thai_texts(), body)

    @st.composite
    def build(draw: st.DrawFn) -> LangGroup:
        thai = LangText(draw(thai_body), draw(_THAI_TAG_STRATEGY))
        others = draw(_OTHER_TAG_LISTS)
        members = [thai, *(LangText(draw(body), tag) for tag in others)]
        return tuple(draw(st.permutations(members)))

    return build()


@functools.cache
def _optional_group() -> st.SearchStrategy[LangGroup]:
    return st.one_of(st.just(()), lang_groups())


def _opt(strategy: st.SearchStrategy[_T]) -> st.SearchStrategy[_T | None]:
    return st.one_of(st.none(), strategy)


# --------------------------------------------------------------------------- identifiers


@functools.cache
def _thai_13() -> st.SearchStrategy[str]:
    return _digits(12).map(lambda first12: first12 + str(thai_id_check_digit(first12)))


@functools.cache
def nidns() -> st.SearchStrategy[Identifier]:
    """Thai national IDs (``NIDN``) with a valid check digit (EDOC-R001)."""
    return _thai_13().map(Identifier.nidn)


@functools.cache
def txids() -> st.SearchStrategy[Identifier]:
    """Thai tax IDs (``TXID``) with a valid check digit (EDOC-R002)."""
    return _thai_13().map(Identifier.txid)


_ALPHA3 = ("THA", "LAO", "MMR", "KHM", "MYS", "SGP", "CHN", "JPN", "IND", "GBR", "USA", "DEU")


@functools.cache
def passports() -> st.SearchStrategy[Identifier]:
    """Passport numbers with an ISO 3166-1 alpha-3 issuing country."""
    return st.builds(
        Identifier.passport,
        st.from_regex(r"[A-Z]{1,2}[0-9]{6,8}", fullmatch=True),
        st.sampled_from(_ALPHA3),
    )


@functools.cache
def gov_ids() -> st.SearchStrategy[Identifier]:
    """Government agency codes: 1–20 characters from ``[0-9A-Z.-]`` (EDOC-R016)."""
    return st.from_regex(r"[0-9A-Z.\-]{1,20}", fullmatch=True).map(Identifier.gov)


@functools.cache
def global_ids() -> st.SearchStrategy[uuid.UUID]:
    """RFC 4122 UUIDs (versions 1 and 4), as ``GlobalID`` needs (EDOC-R014)."""
    return st.one_of(st.uuids(version=4), st.uuids(version=1))


# --------------------------------------------------------------------------- dates

# Naive bounds: each drawn value gets its offset attached afterwards.
_MIN_DT = datetime(1950, 1, 1)
_MAX_DT = datetime(2150, 12, 31)


@functools.cache
def _offsets() -> st.SearchStrategy[timezone]:
    # xs:dateTime offsets run from -14:00 to +14:00; whole minutes only.
    common = st.sampled_from((7 * 60, 0, 5 * 60 + 30, -5 * 60, 5 * 60 + 45, 14 * 60, -14 * 60))
    minutes = st.one_of(common, st.integers(-14 * 60, 14 * 60))
    return minutes.map(lambda m: timezone(timedelta(minutes=m)))


@functools.cache
def aware_datetimes() -> st.SearchStrategy[datetime]:
    """Aware ``DateTime`` values between 1950 and 2150, with any whole-minute offset and,
    sometimes, microseconds."""
    return st.builds(
        lambda naive, tz, keep_micro: naive.replace(
            tzinfo=tz, microsecond=naive.microsecond if keep_micro else 0
        ),
        st.datetimes(min_value=_MIN_DT, max_value=_MAX_DT),
        _offsets(),
        st.booleans(),
    )


_SPANS = st.integers(1, 20 * 366 * 86400)
_BACKS = st.one_of(st.just(0), st.integers(0, 10 * 366 * 86400))


@st.composite
def _validity_and_issue(draw: st.DrawFn) -> tuple[ValidityPeriod, datetime]:
    start = draw(aware_datetimes())
    if draw(st.booleans()):
        span = timedelta(seconds=draw(_SPANS))
        end: datetime | None = (start + span).astimezone(draw(_offsets()))
    else:
        end = None
    if end is not None:
        # Not later than the end (EDOC-R007); sometimes exactly the end.
        issue = (end - timedelta(seconds=draw(_BACKS))).astimezone(draw(_offsets()))
    else:
        issue = draw(aware_datetimes())
    return ValidityPeriod(start=start, end=end), issue


@functools.cache
def validity_periods() -> st.SearchStrategy[ValidityPeriod]:
    """Validity periods whose end, when present, is later than the start (EDOC-R006)."""
    return _validity_and_issue().map(lambda pair: pair[0])


# --------------------------------------------------------------------------- addresses


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


_SIX_DIGITS = _digits(6)
_POSTCODES = _opt(_digits(5))


@st.composite
def _addresses(draw: st.DrawFn) -> Address:
    sub = draw(_SIX_DIGITS)
    thai = draw(st.booleans())
    return Address(
        postcode=draw(_POSTCODES),
        line_one=draw(texts()),
        line_two=draw(_opt(texts())),
        city_sub_division_id=sub if draw(st.booleans()) else None,
        city_id=sub[:4] if draw(st.booleans()) else None,
        country_sub_division_id=sub[:2] if draw(st.booleans()) else None,
        country_id="TH" if thai else draw(st.sampled_from(("LA", "MM", "KH", "MY", "JP", "GB"))),
    )


_ADDRESSES = _addresses()


def addresses() -> st.SearchStrategy[Address]:
    """Addresses whose TISI area codes nest (EDOC-R010); each code may be absent."""
    return _ADDRESSES


# --------------------------------------------------------------------------- parties


@functools.cache
def persons() -> st.SearchStrategy[Person]:
    """Natural persons with a national ID or a passport, and optional names and birth date."""
    return st.builds(
        Person,
        id=st.one_of(nidns(), passports()),
        name_prefix=_optional_group(),
        given_name=lang_groups(),
        family_name=_optional_group(),
        birth_date=_opt(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))),
    )


@functools.cache
def organizations() -> st.SearchStrategy[Organization]:
    """Juristic persons with a tax ID and, optionally, a 5-digit branch (``00000`` often)."""
    return st.builds(
        Organization,
        id=txids(),
        branch_id=_opt(st.one_of(st.just("00000"), _digits(5))),
        name=lang_groups(),
    )


@functools.cache
def holders() -> st.SearchStrategy[HolderParty]:
    """Holder parties: a person or an organization, with an optional postal address."""
    return st.builds(
        HolderParty,
        party=st.one_of(persons(), organizations()),
        postal_address=_opt(addresses()),
    )


_hosts = st.from_regex(
    r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,2}\.(example|go\.th)", fullmatch=True
)


@functools.cache
def _https_uris() -> st.SearchStrategy[str]:
    return st.builds(
        lambda host, path: f"https://{host}/{path}",
        _hosts,
        st.from_regex(r"([a-zA-Z0-9._~-]{1,12}/){0,2}[a-zA-Z0-9._~-]{0,12}", fullmatch=True),
    )


@functools.cache
def _contacts() -> st.SearchStrategy[Contact]:
    return st.builds(
        Contact,
        email=_opt(
            st.builds(
                lambda local, host: f"{local}@{host}",
                st.from_regex(r"[a-z0-9][a-z0-9._-]{0,15}", fullmatch=True),
                _hosts,
            )
        ),
        telephone=_opt(st.from_regex(r"\+66 [0-9]{1,2} [0-9]{3} [0-9]{4}", fullmatch=True)),
        website=_opt(_https_uris()),
    )


@functools.cache
def issuers() -> st.SearchStrategy[IssuerParty]:
    """Issuing agencies with a ``GOV`` or ``TXID`` identifier (EDOC-R016)."""
    return st.builds(
        IssuerParty,
        id=st.one_of(gov_ids(), txids()),
        name=lang_groups(),
        postal_address=_opt(addresses()),
        contact=_opt(_contacts()),
        authorized_official=_opt(
            st.builds(AuthorizedOfficial, name=lang_groups(), job_title=_optional_group())
        ),
    )


# --------------------------------------------------------------------------- header

_PURPOSES = st.sampled_from(Purpose)
_DOCUMENT_TYPES = st.sampled_from(DocumentType)
_REF_IDS = _opt(texts(max_size=64))
_NOTES = st.lists(st.builds(Note, subject=_optional_group(), content=lang_groups()), max_size=2)


def _draw_header(draw: st.DrawFn, issue: datetime) -> ExchangedDocument:
    own = draw(global_ids())
    purpose = draw(_PURPOSES)
    relationship = purpose.relationship
    refs: tuple[ReferencedDocument, ...] = ()
    if relationship is not None:
        ids = draw(
            st.lists(global_ids().filter(lambda u: u != own), min_size=1, max_size=2, unique=True)
        )
        refs = tuple(
            ReferencedDocument(global_id=g, id=draw(_REF_IDS), relationship=relationship)
            for g in ids
        )
    return ExchangedDocument(
        id=draw(texts(max_size=64)),
        global_id=own,
        name=draw(lang_groups()),
        type_code=draw(_DOCUMENT_TYPES),
        purpose=purpose,
        issue_datetime=issue,
        referenced_documents=refs,
        notes=tuple(draw(_NOTES)),
    )


@st.composite
def _headers(draw: st.DrawFn) -> ExchangedDocument:
    return _draw_header(draw, draw(aware_datetimes()))


_HEADERS = _headers()


def headers() -> st.SearchStrategy[ExchangedDocument]:
    """Document headers with every ``DocumentType`` and ``Purpose``.

    A ``NEW`` document references nothing; any other purpose references one or two documents
    with the matching relationship (EDOC-R008), never the document itself (EDOC-R009).
    """
    return _HEADERS


# --------------------------------------------------------------------------- subject


_ncnames = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,15}", fullmatch=True)


@functools.cache
def subjects() -> st.SearchStrategy[Subject]:
    """What is licensed: description, location, legal bases, conditions and attributes."""
    return st.builds(
        Subject,
        description=_optional_group(),
        location_address=_opt(addresses()),
        legal_bases=st.lists(
            st.builds(LegalBasis, name=lang_groups(), section=_opt(texts())), max_size=2
        ).map(tuple),
        conditions=st.lists(st.builds(Condition, content=lang_groups()), max_size=2).map(tuple),
        attributes=st.lists(
            st.builds(
                Attribute,
                _ncnames,
                texts(),
                _opt(st.sampled_from(_THAI_TAGS + _OTHER_TAGS)),
            ),
            max_size=3,
        ).map(tuple),
    )


# --------------------------------------------------------------------------- attachments

_MIME = ("application/pdf", "image/png", "image/jpeg", "application/xml", "text/plain")


_DIGEST_ALGORITHMS = st.sampled_from(ATTACHMENT_DIGESTS)
_CONTENTS = _opt(st.binary(min_size=1, max_size=64))
_MIME_CODES = st.sampled_from(_MIME)


@st.composite
def _attached_documents(draw: st.DrawFn) -> AttachedDocument:
    algorithm = draw(_DIGEST_ALGORITHMS)
    content = draw(_CONTENTS)
    if content is not None:
        digest = hashlib.new(algorithm.hash_name, content).digest()
    else:
        size = hashlib.new(algorithm.hash_name).digest_size
        digest = draw(st.binary(min_size=size, max_size=size))
    return AttachedDocument(
        id=draw(texts(max_size=20)),
        name=draw(_optional_group()),
        file_name=draw(texts(max_size=30)),
        mime_code=draw(_MIME_CODES),
        digest_algorithm=algorithm,
        digest=digest,
        content=content,
    )


_ATTACHED_DOCUMENTS = _attached_documents()


def attached_documents() -> st.SearchStrategy[AttachedDocument]:
    """Attachments, embedded (digest matching the content, EDOC-R011) or by digest only."""
    return _ATTACHED_DOCUMENTS


# --------------------------------------------------------------------------- documents

_VALIDITY_AND_ISSUE = _validity_and_issue()
_SUBJECTS = _opt(subjects())
_ATTACHMENT_LISTS = st.lists(_ATTACHED_DOCUMENTS, max_size=2).map(tuple)
_VERIFICATION_URIS = _opt(_https_uris())


@st.composite
def _documents(draw: st.DrawFn) -> Document:
    validity, issue = draw(_VALIDITY_AND_ISSUE)
    return Document(
        header=_draw_header(draw, issue),
        issuer=draw(issuers()),
        holder=draw(holders()),
        validity=validity,
        subject=draw(_SUBJECTS),
        attachments=draw(_ATTACHMENT_LISTS),
        verification_uri=draw(_VERIFICATION_URIS),
    )


_DOCUMENTS = _documents()


def documents() -> st.SearchStrategy[Document]:
    """Valid EDOC 1.0 documents across the whole model (see the module docstring)."""
    return _DOCUMENTS
