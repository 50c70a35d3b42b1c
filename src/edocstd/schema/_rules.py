"""The business rules of EDOC 1.0 (EDOC-1.0 §2), checked on an lxml tree.

Each rule has a stable code, reports an element path and line, and speaks Thai and English.
The rules run on any tree whose root is ``ec:ElectronicCertificate``, schema-valid or not: a
value that is structurally broken (and so already reported as EDOC-S000 by the schema) is
skipped rather than reported twice, and nothing here assumes an element is present.

Which constraint lives in the XSD and which in a rule is decided once, in ``edoc.xsd``'s header:
a constraint with a rule code is never also expressed in the schema.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from edocstd._ids import is_valid_thai_id
from edocstd._ns import DS, EC
from edocstd._report import Location, Problem
from edocstd.schema._base64 import feed_base64

__all__ = ["RULES", "RuleInfo", "check_rules", "element_path"]


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a problem code means, in Thai and English, for documentation and reports."""

    code: str
    title_th: str
    title_en: str
    reserved: bool = False


def _info(code: str, th: str, en: str, reserved: bool = False) -> tuple[str, RuleInfo]:
    return code, RuleInfo(code, th, en, reserved)


RULES: Mapping[str, RuleInfo] = MappingProxyType(
    dict(
        [
            _info(
                "EDOC-R001",
                "เลขประจำตัวประชาชน (NIDN) ต้องเป็นตัวเลข 13 หลักที่มีเลขตรวจสอบถูกต้อง",
                "A national ID (NIDN) is 13 digits with a correct check digit",
            ),
            _info(
                "EDOC-R002",
                "เลขประจำตัวผู้เสียภาษี (TXID) ต้องเป็นตัวเลข 13 หลักที่มีเลขตรวจสอบถูกต้อง",
                "A tax ID (TXID) is 13 digits with a correct check digit",
            ),
            _info(
                "EDOC-R003",
                "ข้อความหลายภาษาแต่ละกลุ่มต้องมีภาษาไทย (th)",
                "Every multilingual group has a Thai (th) member",
            ),
            _info(
                "EDOC-R004",
                "ข้อความหลายภาษาในกลุ่มเดียวกันต้องไม่มีภาษาซ้ำกัน",
                "No multilingual group has two members in the same language",
            ),
            _info(
                "EDOC-R005",
                "วันเวลาทุกค่าต้องระบุเขตเวลา (ส่วนต่างจาก UTC)",
                "Every date-time carries an explicit UTC offset",
            ),
            _info(
                "EDOC-R006",
                "วันสิ้นสุดอายุต้องอยู่หลังวันเริ่มมีผล",
                "EndDateTime is later than StartDateTime",
            ),
            _info(
                "EDOC-R007",
                "วันออกเอกสารต้องไม่อยู่หลังวันสิ้นสุดอายุ",
                "IssueDateTime is not later than EndDateTime",
            ),
            _info(
                "EDOC-R008",
                "วัตถุประสงค์ของเอกสารต้องสอดคล้องกับเอกสารอ้างอิง",
                "The purpose code matches the referenced documents",
            ),
            _info(
                "EDOC-R009",
                "เอกสารต้องไม่อ้างอิงถึงตัวเอง",
                "A document does not reference its own GlobalID",
            ),
            _info(
                "EDOC-R010",
                "รหัสพื้นที่ต้องซ้อนกันถูกต้อง (จังหวัด อำเภอ ตำบล)",
                "Area codes nest: province, district, sub-district",
            ),
            _info(
                "EDOC-R011",
                "ค่าแฮช (Digest) ต้องตรงกับไฟล์แนบ",
                "Digest equals the digest of the attached file",
            ),
            _info(
                "EDOC-R012",
                "สงวนไว้ (ไม่ใช้ในรุ่น 1.0)",
                "Reserved (not used in 1.0)",
                reserved=True,
            ),
            _info(
                "EDOC-R013",
                "ข้อความต้องอยู่ในรูปแบบ Unicode NFC และไม่มีอักขระควบคุม",
                "Text is in Unicode NFC and has no control characters",
            ),
            _info(
                "EDOC-R014",
                "GlobalID ต้องเป็น UUID ตัวพิมพ์เล็กที่มีขีดคั่น",
                "Every GlobalID is a lower-case, hyphenated UUID",
            ),
            _info(
                "EDOC-R015",
                "VerificationURI ต้องใช้ https",
                "VerificationURI uses the https scheme",
            ),
            _info(
                "EDOC-R016",
                "รหัสผู้ออกเอกสารต้องถูกต้องตามประเภท (GOV หรือ TXID)",
                "The issuer's ID is a valid GOV code or TXID",
            ),
            _info(
                "EDOC-S000",
                "โครงสร้างเอกสารไม่ตรงตามสคีมา EDOC 1.0",
                "The document's structure does not match the EDOC 1.0 schema",
            ),
            _info(
                "EDOC-X000",
                "ระบบอ่านเอกสารปฏิเสธข้อมูลนำเข้า",
                "The hardened reader refused the input",
            ),
        ]
    )
)


def _q(local: str) -> str:
    return f"{{{EC}}}{local}"


_PREFIX_OF = {EC: "ec", DS: "ds"}

_PURPOSE_TO_RELATIONSHIP = {
    "RENEWAL": "RENEWS",
    "AMENDMENT": "AMENDS",
    "REPLACEMENT": "REPLACES",
    "CANCELLATION": "CANCELS",
}

_DIGESTS: dict[str, Callable[[], Any]] = {
    "http://www.w3.org/2001/04/xmlenc#sha256": hashlib.sha256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashlib.sha384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashlib.sha512,
}

_DATETIME = re.compile(
    r"(-?)(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?", re.ASCII
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_GOV = re.compile(r"[0-9A-Z.\-]{1,20}")
_CONTROL = re.compile("[\x7f-\x9f]")
_XML_WS = " \t\r\n"
_EPOCH = datetime(1970, 1, 1)


# --------------------------------------------------------------------------- locations


def element_path(el: etree._Element) -> str:
    """The XPath-like path of ``el``: ``/ec:ElectronicCertificate/ec:IssuerParty/ec:ID``.

    A step carries a 1-based ``[n]`` index when its parent has more than one child of that name.
    """
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        tag = node.tag
        if not isinstance(tag, str):  # a comment or processing instruction
            steps.append("comment()" if tag is etree.Comment else "node()")
            node = node.getparent()
            continue
        qname = etree.QName(tag)
        prefix = _PREFIX_OF.get(qname.namespace or "") or node.prefix
        name = f"{prefix}:{qname.localname}" if prefix else qname.localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent.iterchildren(tag)]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def _loc(el: etree._Element, attribute: str | None = None) -> Location:
    path = element_path(el)
    if attribute is not None:
        path += f"/@{attribute}"
    line = el.sourceline
    return Location(path, line if isinstance(line, int) else None)


def _show(value: str, limit: int = 80) -> str:
    """A value quoted for a message, with invisible characters spelled out and long ones cut."""
    shown = value if len(value) <= limit else value[:limit] + "…"
    out = []
    for ch in shown:
        if ch == "\x7f" or "\x80" <= ch <= "\x9f" or ch < " ":
            out.append(f"<U+{ord(ch):04X}>")
        else:
            out.append(ch)
    return "“" + "".join(out) + "”"


class _Out:
    """Collects problems."""

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, code: str, el: etree._Element, th: str, en: str, attribute: str | None = None
    ) -> None:
        self.problems.append(Problem(code, _loc(el, attribute), th, en))


# --------------------------------------------------------------------------- helpers


def _value(el: etree._Element) -> str:
    """The text value of a simple element. Comments inside a value carry no meaning (§2), so
    the text around them is joined; the usual element has no child and costs one lookup."""
    if len(el):
        return "".join(str(t) for t in el.itertext())
    return el.text or ""


@dataclass(frozen=True, slots=True)
class _Instant:
    """A parsed xs:dateTime: the UTC instant (when an offset is given) for comparisons."""

    has_offset: bool
    key: tuple[int, Decimal] | None  # (whole seconds since 1970 UTC, fraction); None if unknown


# The usual form: whole seconds, one offset. Values of this form with the same offset compare
# as instants when compared as strings.
_PLAIN_DATETIME = re.compile(
    r"\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):\d\d:\d\d(?:[+-]\d\d:\d\d|Z)", re.ASCII
)


def _dates_plainly_fine(
    issue: etree._Element | None, start: etree._Element | None, end: etree._Element | None
) -> bool:
    """A shortcut for EDOC-R005/R006/R007 on the common case; False means "look closely"."""
    if issue is None or start is None:
        return False
    i, s = _value(issue), _value(start)
    e = None if end is None else _value(end)
    values = (i, s) if e is None else (i, s, e)
    if not all(_PLAIN_DATETIME.fullmatch(v) for v in values):
        return False
    if len({v[19:] for v in values}) != 1:
        return False
    return e is None or (e > s and i <= e)


def _parse_datetime(value: str) -> _Instant | None:
    """Parse an xs:dateTime lexical value, or None when it is not one (that is EDOC-S000)."""
    m = _DATETIME.fullmatch(value.strip(_XML_WS))
    if m is None:
        return None
    sign, year_s, mo, d, h, mi, s, frac, tz = m.groups()
    has_offset = tz is not None
    year = int(year_s)
    hour = int(h)
    if sign or not 1 <= year <= 9999 or not has_offset:
        return _Instant(has_offset, None)
    try:
        extra = 0
        if hour == 24:  # xs:dateTime allows 24:00:00 as the end of a day
            if int(mi) or int(s) or (frac and Decimal(frac[1:] or "0")):
                return None
            hour, extra = 0, 86400
        local = datetime(year, int(mo), int(d), hour, int(mi), int(s))
    except ValueError:
        return None
    offset = 0
    if tz != "Z":
        assert tz is not None
        oh, om = int(tz[1:3]), int(tz[4:6])
        if oh > 14 or om > 59 or (oh == 14 and om):
            return None
        offset = (oh * 60 + om) * 60 * (1 if tz[0] == "+" else -1)
    delta: timedelta = local - _EPOCH
    seconds = delta.days * 86400 + delta.seconds + extra - offset
    return _Instant(True, (seconds, Decimal(frac) if frac else Decimal(0)))


def _primary_language(tag: str) -> str:
    return tag.strip(_XML_WS).split("-", 1)[0].lower()


# --------------------------------------------------------------------------- the rules


_Kids = dict[object, list[etree._Element]]
_NO_KIDS: _Kids = {}


def _kids(parent: etree._Element | None) -> _Kids:
    """The children of ``parent`` by tag, in order (one pass; the rules' only tree walk)."""
    by: _Kids = {}
    if parent is None:
        return by
    for ch in parent:
        tag = ch.tag
        found = by.get(tag)
        if found is None:
            by[tag] = [ch]
        else:
            found.append(ch)
    return by


def _first(kids: _Kids, local: str) -> etree._Element | None:
    found = kids.get(_TAG[local])
    return found[0] if found else None


def _all(kids: _Kids, local: str) -> list[etree._Element]:
    return kids.get(_TAG[local]) or []


_TAG = {
    name: _q(name)
    for name in [
        "AttachedDocument",
        "AuthorizedOfficial",
        "BinaryObject",
        "CityID",
        "CitySubDivisionID",
        "Condition",
        "Content",
        "CountrySubDivisionID",
        "Description",
        "Digest",
        "EndDateTime",
        "ExchangedDocument",
        "FamilyName",
        "GivenName",
        "GlobalID",
        "HolderParty",
        "ID",
        "IncludedNote",
        "IssueDateTime",
        "IssuerParty",
        "JobTitle",
        "LegalBasis",
        "LocationAddress",
        "Name",
        "NamePrefix",
        "Organization",
        "Person",
        "PostalAddress",
        "PurposeCode",
        "ReferencedDocument",
        "RelationshipCode",
        "StartDateTime",
        "Subject",
        "ValidityPeriod",
        "VerificationURI",
    ]
}


@dataclass(slots=True)
class _Found:
    """The elements the rules look at, found in one structured walk of the canonical places."""

    top: _Kids
    doc: _Kids
    refs: list[_Kids]
    issuer: _Kids
    person: _Kids
    organization: _Kids
    validity: _Kids
    groups: list[list[etree._Element]]
    addresses: list[_Kids]
    attachments: list[_Kids]


def _gather(root: etree._Element) -> _Found:
    groups: list[list[etree._Element]] = []

    def group(kids: _Kids, *names: str) -> None:
        for name in names:
            members = kids.get(_TAG[name])
            if members:
                groups.append(members)

    top = _kids(root)
    doc = _kids(_first(top, "ExchangedDocument"))
    group(doc, "Name")
    for note in _all(doc, "IncludedNote"):
        group(_kids(note), "Subject", "Content")
    issuer = _kids(_first(top, "IssuerParty"))
    group(issuer, "Name")
    group(_kids(_first(issuer, "AuthorizedOfficial")), "Name", "JobTitle")
    holder = _kids(_first(top, "HolderParty"))
    person = _kids(_first(holder, "Person"))
    group(person, "NamePrefix", "GivenName", "FamilyName")
    organization = _kids(_first(holder, "Organization"))
    group(organization, "Name")
    subject = _kids(_first(top, "Subject"))
    group(subject, "Description")
    for container in (*_all(subject, "LegalBasis"), *_all(subject, "Condition")):
        group(_kids(container), "Name", "Content")
    attachments = [_kids(att) for att in _all(top, "AttachedDocument")]
    for att in attachments:
        group(att, "Name")
    addresses = [
        _kids(addr)
        for addr in (
            _first(issuer, "PostalAddress"),
            _first(holder, "PostalAddress"),
            _first(subject, "LocationAddress"),
        )
        if addr is not None
    ]
    return _Found(
        top=top,
        doc=doc,
        refs=[_kids(r) for r in _all(doc, "ReferencedDocument")],
        issuer=issuer,
        person=person,
        organization=organization,
        validity=_kids(_first(top, "ValidityPeriod")),
        groups=groups,
        addresses=addresses,
        attachments=attachments,
    )


def check_rules(root: etree._Element, raw: bytes | None = None) -> list[Problem]:
    """Run every business rule on an ``ec:ElectronicCertificate`` tree; problems in order.

    The rules look at the places EDOC-1.0 §1.2 gives each element; an element elsewhere is a
    structural error (EDOC-S000) and is not looked at. ``raw``, when given, must be the exact
    bytes the tree was parsed from; it lets EDOC-R013 be checked over the whole input at once.
    Never raises on unexpected structure: what cannot be checked is left to the schema.
    """
    out = _Out()
    found = _gather(root)
    _check_document_ids(out, found)  # R014, R009
    _check_issuer_id(out, _first(found.issuer, "ID"))  # R016
    _check_holder_id(out, found)  # R001, R002
    for members in found.groups:  # R003, R004
        _check_group(out, members)
    _check_dates(out, found)  # R005, R006, R007
    _check_purpose(out, found)  # R008
    for address in found.addresses:  # R010
        _check_address(out, address)
    _check_attachments(out, found.attachments)  # R011
    _check_text(out, root, raw)  # R013
    _check_verification_uri(out, _first(found.top, "VerificationURI"))  # R015
    if len(out.problems) > 1:
        out.problems.sort(key=_document_order)
    return out.problems


def _document_order(p: Problem) -> tuple[int, str]:
    return (p.location.line or 0, p.code)


def _check_document_ids(out: _Out, found: _Found) -> None:
    own_el = _first(found.doc, "GlobalID")
    ids: list[etree._Element] = [] if own_el is None else [own_el]
    refs = [_first(r, "GlobalID") for r in found.refs]
    ids.extend(r for r in refs if r is not None)
    for el in ids:
        value = _value(el)
        if value and not _UUID.fullmatch(value):
            out.add(
                "EDOC-R014",
                el,
                f"GlobalID {_show(value)} ไม่ใช่ UUID ตามรูปแบบที่กำหนด: ต้องเป็นตัวพิมพ์เล็ก "
                "มีขีดคั่น เช่น 0f8e2a4c-6b1d-4e3a-9c5f-2d7b8a1e0c93",
                f"GlobalID {_show(value)} is not a lower-case, hyphenated RFC 4122 UUID "
                "(for example 0f8e2a4c-6b1d-4e3a-9c5f-2d7b8a1e0c93)",
            )
    own = _ascii_lower(_value(own_el) if own_el is not None else "")
    if not own:
        return
    for ref in refs:
        if ref is not None and _ascii_lower(_value(ref)) == own:
            out.add(
                "EDOC-R009",
                ref,
                f"เอกสารอ้างอิงถึงตัวเอง: GlobalID ของเอกสารอ้างอิง {_show(_value(ref))} "
                "ตรงกับ GlobalID ของเอกสารนี้",
                f"the document references itself: the referenced GlobalID "
                f"{_show(_value(ref))} is the document's own GlobalID",
            )


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _ascii_lower(value: str) -> str:
    """Whitespace-trimmed, ASCII lower-cased: the same UUID written in either case is one."""
    return value.strip(_XML_WS).translate(_LOWER)


def _check_thai_id(out: _Out, el: etree._Element, code: str, kind_th: str, kind_en: str) -> None:
    value = _value(el)
    if not value or is_valid_thai_id(value):
        return
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        why_th = f"ต้องเป็นตัวเลขอารบิก 13 หลักเท่านั้น แต่ได้ {len(value)} อักขระ"
        why_en = f"it must be exactly 13 ASCII digits, but has {len(value)} characters"
        if len(value) == 13:
            why_th = "ต้องเป็นตัวเลขอารบิก (0-9) ทั้งหมด"
            why_en = "it must consist of ASCII digits (0-9) only"
    else:
        why_th = "เลขตรวจสอบ (หลักสุดท้าย) ไม่ถูกต้อง"
        why_en = "the check digit (the last digit) is wrong"
    out.add(
        code,
        el,
        f"{kind_th} {_show(value)} ไม่ถูกต้อง: {why_th}",
        f"{kind_en} {_show(value)} is not valid: {why_en}",
    )


def _check_issuer_id(out: _Out, el: etree._Element | None) -> None:
    if el is None:
        return
    scheme = (el.get("schemeID") or "").strip(_XML_WS)
    if scheme == "TXID":
        _check_thai_id(out, el, "EDOC-R016", "เลขประจำตัวผู้เสียภาษีของผู้ออกเอกสาร", "The issuer's TXID")
    elif scheme == "GOV":
        value = _value(el)
        if value and not _GOV.fullmatch(value):
            out.add(
                "EDOC-R016",
                el,
                f"รหัสหน่วยงานผู้ออกเอกสาร (GOV) {_show(value)} ไม่ถูกต้อง: ต้องยาว 1-20 อักขระ "
                "ประกอบด้วยตัวเลข อักษรอังกฤษตัวใหญ่ จุด หรือขีด (0-9 A-Z . -) เท่านั้น",
                f"The issuer's GOV code {_show(value)} is not valid: it must be 1-20 characters "
                "from 0-9, A-Z, '.' and '-'",
            )


def _check_holder_id(out: _Out, found: _Found) -> None:
    person_id = _first(found.person, "ID")
    if person_id is not None and (person_id.get("schemeID") or "").strip(_XML_WS) == "NIDN":
        _check_thai_id(out, person_id, "EDOC-R001", "เลขประจำตัวประชาชน", "The national ID (NIDN)")
    org_id = _first(found.organization, "ID")
    if org_id is not None and (org_id.get("schemeID") or "").strip(_XML_WS) == "TXID":
        _check_thai_id(out, org_id, "EDOC-R002", "เลขประจำตัวผู้เสียภาษี", "The tax ID (TXID)")


def _check_group(out: _Out, members: list[etree._Element]) -> None:
    if len(members) == 2:
        # The usual case, Thai and English, decided without building anything.
        a, b = members[0].get("languageID"), members[1].get("languageID")
        if (a == "th" and b == "en") or (a == "en" and b == "th"):
            return
    elif len(members) == 1 and members[0].get("languageID") == "th":
        return
    seen: dict[str, str] = {}
    complete = True  # every member carries a languageID (a missing one is EDOC-S000)
    for el in members:
        tag = el.get("languageID")
        if tag is None or not tag.strip(_XML_WS):
            complete = False
            continue
        primary = _primary_language(tag)
        if primary in seen:
            name = etree.QName(el).localname
            out.add(
                "EDOC-R004",
                el,
                f"ข้อความ {name} ภาษา {_show(tag)} ซ้ำกับภาษา {_show(seen[primary])} "
                "ที่มีอยู่แล้วในกลุ่มเดียวกัน: แต่ละภาษาใส่ได้ครั้งเดียว",
                f"{name} in language {_show(tag)} repeats language {_show(seen[primary])} "
                "already present in the same group: each language may appear once",
            )
        else:
            seen[primary] = tag
    if complete and "th" not in seen:
        name = etree.QName(members[0]).localname
        langs = ", ".join(seen.values())
        out.add(
            "EDOC-R003",
            members[0],
            f'ข้อความ {name} ไม่มีฉบับภาษาไทย (languageID="th"); มีเพียงภาษา: {langs}',
            f'{name} has no Thai version (languageID="th"); languages present: {langs}',
        )


def _check_dates(out: _Out, found: _Found) -> None:
    issue_el = _first(found.doc, "IssueDateTime")
    start_el = _first(found.validity, "StartDateTime")
    end_el = _first(found.validity, "EndDateTime")
    if _dates_plainly_fine(issue_el, start_el, end_el):
        return
    parsed: dict[str, _Instant | None] = {}
    for key, el in (("issue", issue_el), ("start", start_el), ("end", end_el)):
        if el is None:
            continue
        value = _value(el)
        instant = _parse_datetime(value)
        parsed[key] = instant
        if instant is not None and not instant.has_offset:
            name = etree.QName(el).localname
            out.add(
                "EDOC-R005",
                el,
                f"{name} {_show(value)} ไม่ได้ระบุเขตเวลา: ต้องลงท้ายด้วยส่วนต่างจาก UTC เช่น +07:00 หรือ Z",
                f"{name} {_show(value)} has no UTC offset: it must end with one, "
                "such as +07:00 or Z",
            )
    start, end, issue = parsed.get("start"), parsed.get("end"), parsed.get("issue")
    if end_el is None or end is None or end.key is None:
        return
    if (
        start_el is not None
        and start is not None
        and start.key is not None
        and end.key <= start.key
    ):
        out.add(
            "EDOC-R006",
            end_el,
            f"วันสิ้นสุดอายุ {_show(_value(end_el))} ต้องอยู่หลังวันเริ่มมีผล {_show(_value(start_el))}",
            f"EndDateTime {_show(_value(end_el))} must be later than StartDateTime "
            f"{_show(_value(start_el))}",
        )
    if issue_el is not None and issue is not None and issue.key is not None and issue.key > end.key:
        out.add(
            "EDOC-R007",
            issue_el,
            f"วันออกเอกสาร {_show(_value(issue_el))} อยู่หลังวันสิ้นสุดอายุ "
            f"{_show(_value(end_el))}: เอกสารต้องไม่ออกหลังจากหมดอายุแล้ว",
            f"IssueDateTime {_show(_value(issue_el))} is later than EndDateTime "
            f"{_show(_value(end_el))}: a document cannot be issued after it expires",
        )


def _check_purpose(out: _Out, found: _Found) -> None:
    purpose_el = _first(found.doc, "PurposeCode")
    if purpose_el is None:
        return
    purpose = _value(purpose_el).strip(_XML_WS)
    refs = _all(found.doc, "ReferencedDocument")
    if purpose == "NEW":
        for ref in refs:
            out.add(
                "EDOC-R008",
                ref,
                "เอกสารออกใหม่ (PurposeCode NEW) ต้องไม่มีเอกสารอ้างอิง (ReferencedDocument)",
                "a new document (PurposeCode NEW) must not have a ReferencedDocument",
            )
        return
    expected = _PURPOSE_TO_RELATIONSHIP.get(purpose)
    if expected is None:
        return  # not a Purpose code: EDOC-S000
    matched = False
    for ref_kids in found.refs:
        rel_el = _first(ref_kids, "RelationshipCode")
        rel = None if rel_el is None else _value(rel_el).strip(_XML_WS)
        if rel == expected:
            matched = True
        elif rel_el is not None and rel:
            out.add(
                "EDOC-R008",
                rel_el,
                f"เอกสารที่มี PurposeCode {purpose} อ้างอิงเอกสารได้เฉพาะแบบ {expected} "
                f"แต่พบ {_show(rel)}",
                f"a document with PurposeCode {purpose} may only reference documents as "
                f"{expected}, but found {_show(rel)}",
            )
    if not matched:
        out.add(
            "EDOC-R008",
            purpose_el,
            f"เอกสารที่มี PurposeCode {purpose} ต้องมี ReferencedDocument อย่างน้อยหนึ่งรายการ "
            f"ที่มี RelationshipCode {expected}",
            f"a document with PurposeCode {purpose} needs at least one ReferencedDocument with "
            f"RelationshipCode {expected}",
        )


_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def _code(el: etree._Element | None, length: int) -> str | None:
    if el is None:
        return None
    value = _value(el)
    if len(value) != length or not _DIGITS.fullmatch(value):
        return None  # not the right form: EDOC-S000
    return value


def _check_address(out: _Out, addr: _Kids) -> None:
    sub_el = _first(addr, "CitySubDivisionID")
    city_el = _first(addr, "CityID")
    prov_el = _first(addr, "CountrySubDivisionID")
    sub, city, prov = _code(sub_el, 6), _code(city_el, 4), _code(prov_el, 2)
    if city and prov and not city.startswith(prov):
        assert city_el is not None
        out.add(
            "EDOC-R010",
            city_el,
            f"รหัสอำเภอ/เขต (CityID) {city} ไม่อยู่ในจังหวัด (CountrySubDivisionID) {prov}: "
            f"รหัสอำเภอต้องขึ้นต้นด้วย {prov}",
            f"district code (CityID) {city} is not in province (CountrySubDivisionID) "
            f"{prov}: it must start with {prov}",
        )
    if sub and city and not sub.startswith(city):
        assert sub_el is not None
        out.add(
            "EDOC-R010",
            sub_el,
            f"รหัสตำบล/แขวง (CitySubDivisionID) {sub} ไม่อยู่ในอำเภอ/เขต (CityID) {city}: "
            f"รหัสตำบลต้องขึ้นต้นด้วย {city}",
            f"sub-district code (CitySubDivisionID) {sub} is not in district (CityID) "
            f"{city}: it must start with {city}",
        )
    elif sub and prov and city is None and city_el is None and not sub.startswith(prov):
        assert sub_el is not None
        out.add(
            "EDOC-R010",
            sub_el,
            f"รหัสตำบล/แขวง (CitySubDivisionID) {sub} ไม่อยู่ในจังหวัด "
            f"(CountrySubDivisionID) {prov}: รหัสตำบลต้องขึ้นต้นด้วย {prov}",
            f"sub-district code (CitySubDivisionID) {sub} is not in province "
            f"(CountrySubDivisionID) {prov}: it must start with {prov}",
        )


def _b64_digest(text: str, factory: Callable[[], Any] | None) -> tuple[bool, bytes | None]:
    """Decode base64 text in pieces: (is it valid base64, digest of the bytes if asked for).

    Works in bounded memory however large the text, and never holds the decoded bytes whole.
    """
    h = factory() if factory is not None else None
    if not feed_base64(text, None if h is None else h.update):
        return False, None
    return True, (h.digest() if h is not None else None)


def _check_attachments(out: _Out, attachments: list[_Kids]) -> None:
    for att in attachments:
        digest_el = _first(att, "Digest")
        bin_el = _first(att, "BinaryObject")
        if bin_el is None:
            continue
        factory = None
        stated = None
        if digest_el is not None:
            factory = _DIGESTS.get((digest_el.get("algorithm") or "").strip(_XML_WS))
            try:
                stated = binascii.a2b_base64(
                    _value(digest_el).encode("ascii").translate(None, b" \t\r\n"),
                    strict_mode=True,
                )
            except (UnicodeEncodeError, binascii.Error, ValueError):
                factory = None  # the Digest is not base64: EDOC-S000 from the schema
        valid, actual = _b64_digest(_value(bin_el), factory)
        if not valid:
            # The schema validator lets some malformed base64 through and cannot check a large
            # BinaryObject with a pattern, so this structural check is done here.
            out.add(
                "EDOC-S000",
                bin_el,
                "โครงสร้างเอกสารไม่ตรงตามสคีมา EDOC 1.0: เนื้อหาของ BinaryObject ไม่ใช่ base64 ที่ถูกต้อง",
                "Element 'ec:BinaryObject': the content is not valid base64 (xs:base64Binary).",
            )
            continue
        if digest_el is None or actual is None or stated is None or actual == stated:
            continue
        out.add(
            "EDOC-R011",
            digest_el,
            "ค่าแฮช (Digest) ไม่ตรงกับไฟล์แนบใน BinaryObject: ไฟล์แนบอาจถูกแก้ไข "
            f"หรือระบุค่าแฮชผิด (ค่าที่ระบุ {_show(_value(digest_el))}, "
            f"ค่าที่คำนวณได้ {binascii.b2a_base64(actual, newline=False).decode()})",
            "Digest does not match the file in BinaryObject: the attachment was changed "
            f"or the digest is wrong (stated {_show(_value(digest_el))}, "
            f"computed {binascii.b2a_base64(actual, newline=False).decode()})",
        )


def _text_problem(value: str) -> tuple[str, str] | None:
    """Why ``value`` breaks EDOC-R013 (Thai, English), or None when it is fine."""
    if value.isascii() and "\x7f" not in value:
        return None
    m = _CONTROL.search(value)
    if m is not None:
        cp = f"U+{ord(m.group()):04X}"
        return (
            f"มีอักขระควบคุม {cp} ซึ่งไม่อนุญาต (ตำแหน่งที่ {m.start() + 1}) ในข้อความ {_show(value)}",
            f"contains the control character {cp}, which is not allowed (at position "
            f"{m.start() + 1}) in {_show(value)}",
        )
    if not unicodedata.is_normalized("NFC", value):
        return (
            f"ข้อความ {_show(value)} ไม่อยู่ในรูปแบบ Unicode NFC (เช่น สระหรือวรรณยุกต์เรียงลำดับ"
            "ผิด หรืออักขระถูกแยกส่วน): ให้แปลงเป็น NFC ก่อนบันทึก",
            f"the text {_show(value)} is not in Unicode NFC (for example combining marks in a "
            "non-canonical order, or a decomposed character): normalise it to NFC",
        )
    return None


_UTF8_NAMES = frozenset({"UTF-8", "UTF8", "ASCII", "US-ASCII"})


def _raw_text_is_clean(raw: bytes, encoding: str | None) -> bool:
    """True when the whole input, read as text, passes EDOC-R013; then so does every part of it.

    NFC is kept by substrings (reordering and composition are local, and an ASCII markup
    character never composes with what follows it, except "<", "=" and ">" before U+0338,
    which only the references excluded below can bring into text). Comments count here though
    the rule ignores them, so a dirty comment only sends the caller to the exact check.
    """
    if (encoding or "UTF-8").upper() not in _UTF8_NAMES:
        return False
    if b"\x7f" in raw:
        return False
    # Looking for one byte is a memchr; a two-byte pattern is several times slower, so the
    # references are only looked for when there is an "&" at all.
    amp = b"&" in raw
    if amp and b"&#" in raw:
        return False
    # In UTF-8, U+0080-U+009F are C2 80 … C2 9F; a C2 byte is rare in Thai or English text.
    at = raw.find(b"\xc2")
    while at >= 0:
        if raw[at + 1 : at + 2] < b"\xa0":
            return False
        at = raw.find(b"\xc2", at + 1)
    if raw.isascii():
        return True
    # References that produce characters able to combine with what follows (e.g. "<" + U+0338
    # is "≮" in NFC): with these, the raw text is not the parsed text.
    if amp and (b"&lt;" in raw or b"&gt;" in raw):
        return False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return unicodedata.is_normalized("NFC", text)


def _check_text(out: _Out, root: etree._Element, raw: bytes | None) -> None:
    if raw is not None and _raw_text_is_clean(raw, root.getroottree().docinfo.encoding):
        return
    for node in root.iter():
        if isinstance(node.tag, str):
            text = node.text
            if text:
                why = _text_problem(text)
                if why:
                    out.add("EDOC-R013", node, why[0], why[1])
            for name, value in node.attrib.items():
                why = _text_problem(str(value))
                if why:
                    out.add(
                        "EDOC-R013", node, why[0], why[1], attribute=etree.QName(name).localname
                    )
        tail = node.tail
        if tail and node is not root:
            why = _text_problem(tail)
            if why:
                parent = node.getparent()
                out.add("EDOC-R013", parent if parent is not None else node, why[0], why[1])


def _check_verification_uri(out: _Out, el: etree._Element | None) -> None:
    if el is None:
        return
    value = _value(el).strip(_XML_WS)
    if not value:
        return
    try:
        parts = urlsplit(value)
        ok = parts.scheme.lower() == "https" and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        out.add(
            "EDOC-R015",
            el,
            f"VerificationURI {_show(value)} ต้องเป็นที่อยู่แบบ https:// พร้อมชื่อเครื่อง "
            "เพื่อให้ตรวจสอบสถานะเอกสารได้อย่างปลอดภัย",
            f"VerificationURI {_show(value)} must be an https:// address with a host name, "
            "so that the document's status can be checked securely",
        )
