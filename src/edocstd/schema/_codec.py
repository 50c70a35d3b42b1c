"""Reading and writing EDOC 1.0 XML: :func:`load`, :func:`dump`, :func:`fingerprint`.

:func:`encode` and :func:`decode` map between :class:`~edocstd.model.Document` and an lxml
tree. :func:`decode` trusts its input to be schema- and rule-valid, which :func:`load` makes
sure of first.

How values are read, following the lexical rules of each XSD type:

* ``Text`` and ``LText`` content (``xs:string`` based) is never altered: no whitespace is
  stripped or normalised, and comments inside an element are skipped without joining or
  dropping the text around them.
* Values whose XSD type collapses whitespace (``xs:token`` codes and schemes, ``xs:language``,
  ``xs:NCName``, ``xs:anyURI``, ``xs:dateTime``, ``xs:date``, ``xs:base64Binary``) are read
  after that collapse, as a schema validator sees them.
* Digit strings (``BranchID``, postcodes, area codes) stay strings, so leading zeros survive.
* ``DateTime`` keeps its UTC offset exactly; fractional seconds are kept to the microsecond
  (digits past the sixth are dropped, which is the precision of :class:`datetime.datetime`).

How :func:`dump` writes: UTF-8, an XML declaration, the ``ec`` prefix, two-space indentation
of container elements only (text content is written exactly), attributes in a fixed order,
and a final newline. The same :class:`~edocstd.model.Document` always gives the same bytes.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TypeVar, cast

from lxml import etree

from edocstd._ns import DS, DS_SIGNATURE, EC, EC_ROOT
from edocstd._report import Location, Problem, ValidationReport
from edocstd._source import Source
from edocstd.errors import DocumentError, InputError, XMLInputError
from edocstd.model import (
    Address,
    AttachedDocument,
    Attribute,
    AuthorizedOfficial,
    Condition,
    Contact,
    Document,
    DocumentType,
    ExchangedDocument,
    HolderParty,
    Identifier,
    IdScheme,
    IssuerParty,
    LangGroup,
    LangText,
    LegalBasis,
    Note,
    Organization,
    Person,
    Purpose,
    ReferencedDocument,
    Relationship,
    Subject,
    ValidityPeriod,
)
from edocstd.schema._base64 import decode_base64
from edocstd.schema._parser import DEFAULT_LIMITS, Limits, parse
from edocstd.sign._algorithms import C14N, DigestAlgorithm
from edocstd.sign._c14n import digest_tree

__all__ = ["decode", "dump", "encode", "fingerprint", "load"]

PROFILE_ID = "EDOC-CERT"
PROFILE_AGENCY = "EDOCSTD"
PROFILE_VERSION = "1.0"

_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_INDENT = "  "

# Characters XML 1.0 can carry at all (the production "Char"). Everything else cannot even be
# written, so dump() refuses it instead of writing a document no reader would accept.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_DATETIME = re.compile(
    r"(-?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?",
    re.ASCII,
)
_DATE = re.compile(r"(-?\d{4,})-(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?", re.ASCII)


def _q(name: str) -> str:
    return f"{{{EC}}}{name}"


# =========================================================================== encode


class _Writer:
    """Builds the tree; refuses characters XML cannot carry, naming the element."""

    def __init__(self) -> None:
        self.root = etree.Element(EC_ROOT, nsmap={"ec": EC})

    def add(
        self,
        parent: etree._Element,
        name: str,
        text: str | None = None,
        attrs: Iterable[tuple[str, str | None]] = (),
    ) -> etree._Element:
        el = etree.SubElement(parent, _q(name))
        for key, value in attrs:
            if value is not None:
                self._check(name, value)
                el.set(key, value)
        if text is not None:
            self._check(name, text)
            el.text = text
        return el

    @staticmethod
    def _check(name: str, value: str) -> None:
        bad = _NOT_XML_CHAR.search(value)
        if bad is not None:
            raise InputError(
                f"{name}: character U+{ord(bad.group()):04X} cannot be written in XML 1.0"
            )

    def group(self, parent: etree._Element, name: str, group: Sequence[LangText]) -> None:
        for member in group:
            self.add(parent, name, member.text, (("languageID", member.language),))

    def opt(self, parent: etree._Element, name: str, text: str | None) -> None:
        if text is not None:
            self.add(parent, name, text)


def _format_datetime(value: datetime) -> str:
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    offset = value.utcoffset()
    if offset is None:
        # A naive value is written as such; validation then reports EDOC-R005 for it.
        return text
    seconds = int(offset.total_seconds())
    if offset.microseconds or seconds % 60:
        raise InputError(f"UTC offset {offset} of {value.isoformat()} is not whole minutes")
    if seconds == 0:
        return text + "Z"
    sign = "+" if seconds > 0 else "-"
    minutes = abs(seconds) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _format_date(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _encode_address(w: _Writer, parent: etree._Element, name: str, a: Address) -> None:
    el = w.add(parent, name)
    w.opt(el, "PostcodeCode", a.postcode)
    w.add(el, "LineOne", a.line_one)
    w.opt(el, "LineTwo", a.line_two)
    w.opt(el, "CitySubDivisionID", a.city_sub_division_id)
    w.opt(el, "CityID", a.city_id)
    w.opt(el, "CountrySubDivisionID", a.country_sub_division_id)
    w.add(el, "CountryID", a.country_id, (("schemeID", "3166-1 alpha-2"),))


def _id_attrs(ident: Identifier) -> tuple[tuple[str, str | None], ...]:
    return (("schemeID", ident.scheme.value), ("schemeAgencyID", ident.agency))


def _uuid_attrs() -> tuple[tuple[str, str | None], ...]:
    return (("schemeID", IdScheme.UUID.value),)


def encode(doc: Document) -> etree._Element:
    """The ``ec:ElectronicCertificate`` element for ``doc``, indented, without signatures.

    Raises :class:`~edocstd.InputError` for a value XML cannot carry at all (a character outside
    XML 1.0, a UTC offset that is not whole minutes). Anything else is written as it is, even
    when it breaks a rule; :func:`edocstd.validate` says what is wrong.
    """
    w = _Writer()
    root = w.root

    ctx = w.add(root, "ExchangedDocumentContext")
    param = w.add(ctx, "GuidelineSpecifiedDocumentContextParameter")
    w.add(
        param,
        "ID",
        PROFILE_ID,
        (("schemeAgencyID", PROFILE_AGENCY), ("schemeVersionID", PROFILE_VERSION)),
    )

    h = doc.header
    hel = w.add(root, "ExchangedDocument")
    w.add(hel, "ID", h.id)
    w.add(hel, "GlobalID", str(h.global_id), _uuid_attrs())
    w.group(hel, "Name", h.name)
    w.add(hel, "TypeCode", h.type_code.value)
    w.add(hel, "PurposeCode", h.purpose.value)
    w.add(hel, "IssueDateTime", _format_datetime(h.issue_datetime))
    for ref in h.referenced_documents:
        rel = w.add(hel, "ReferencedDocument")
        w.add(rel, "GlobalID", str(ref.global_id), _uuid_attrs())
        w.opt(rel, "ID", ref.id)
        w.add(rel, "RelationshipCode", ref.relationship.value)
    for note in h.notes:
        nel = w.add(hel, "IncludedNote")
        w.group(nel, "Subject", note.subject)
        w.group(nel, "Content", note.content)

    iss = doc.issuer
    iel = w.add(root, "IssuerParty")
    w.add(iel, "ID", iss.id.value, _id_attrs(iss.id))
    w.group(iel, "Name", iss.name)
    if iss.postal_address is not None:
        _encode_address(w, iel, "PostalAddress", iss.postal_address)
    if iss.contact is not None:
        cel = w.add(iel, "Contact")
        w.opt(cel, "EmailURI", iss.contact.email)
        w.opt(cel, "Telephone", iss.contact.telephone)
        w.opt(cel, "WebsiteURI", iss.contact.website)
    if iss.authorized_official is not None:
        oel = w.add(iel, "AuthorizedOfficial")
        w.group(oel, "Name", iss.authorized_official.name)
        w.group(oel, "JobTitle", iss.authorized_official.job_title)

    hold = doc.holder
    hoel = w.add(root, "HolderParty")
    party = hold.party
    if isinstance(party, Person):
        pel = w.add(hoel, "Person")
        w.add(pel, "ID", party.id.value, _id_attrs(party.id))
        w.group(pel, "NamePrefix", party.name_prefix)
        w.group(pel, "GivenName", party.given_name)
        w.group(pel, "FamilyName", party.family_name)
        if party.birth_date is not None:
            w.add(pel, "BirthDate", _format_date(party.birth_date))
    else:
        oel = w.add(hoel, "Organization")
        w.add(oel, "ID", party.id.value, _id_attrs(party.id))
        w.opt(oel, "BranchID", party.branch_id)
        w.group(oel, "Name", party.name)
    if hold.postal_address is not None:
        _encode_address(w, hoel, "PostalAddress", hold.postal_address)

    vel = w.add(root, "ValidityPeriod")
    w.add(vel, "StartDateTime", _format_datetime(doc.validity.start))
    if doc.validity.end is not None:
        w.add(vel, "EndDateTime", _format_datetime(doc.validity.end))

    if doc.subject is not None:
        s = doc.subject
        sel = w.add(root, "Subject")
        w.group(sel, "Description", s.description)
        if s.location_address is not None:
            _encode_address(w, sel, "LocationAddress", s.location_address)
        for basis in s.legal_bases:
            bel = w.add(sel, "LegalBasis")
            w.group(bel, "Name", basis.name)
            w.opt(bel, "Section", basis.section)
        for cond in s.conditions:
            w.group(w.add(sel, "Condition"), "Content", cond.content)
        for attr in s.attributes:
            w.add(
                sel, "Attribute", attr.value, (("name", attr.name), ("languageID", attr.language))
            )

    for att in doc.attachments:
        ael = w.add(root, "AttachedDocument")
        w.add(ael, "ID", att.id)
        w.group(ael, "Name", att.name)
        w.add(ael, "FileName", att.file_name)
        w.add(ael, "MimeCode", att.mime_code)
        w.add(ael, "Digest", _b64(att.digest), (("algorithm", att.digest_algorithm.value),))
        if att.content is not None:
            w.add(ael, "BinaryObject", _b64(att.content))

    w.opt(root, "VerificationURI", doc.verification_uri)

    _indent(root, 0)
    return root


def _indent(el: etree._Element, level: int) -> None:
    # Only containers get whitespace; leaf text is content and is never touched.
    if not len(el):
        return
    inner = "\n" + _INDENT * (level + 1)
    el.text = inner
    child: etree._Element | None = None
    for child in el:
        child.tail = inner
        _indent(child, level + 1)
    if child is not None:
        child.tail = "\n" + _INDENT * level


def dump(doc: Document) -> bytes:
    """``doc`` as EDOC 1.0 XML: deterministic UTF-8 bytes (EDOC-1.0 §1).

    ``load(dump(d)) == d`` for every valid document ``d``. The output is not validated here;
    call :func:`edocstd.validate` on it when ``doc`` was built by hand.
    """
    root = encode(doc)
    return _XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False) + b"\n"


# =========================================================================== decode


class _DecodeFailure(Exception):
    """Internal: a value the model cannot hold, found while decoding (``el`` is where)."""

    def __init__(self, el: etree._Element, message_en: str, message_th: str) -> None:
        super().__init__(message_en)
        self.el = el
        self.message_en = message_en
        self.message_th = message_th


_T = TypeVar("_T")


class _Children:
    """The ``ec:`` children of one element, by local name, in document order."""

    __slots__ = ("_by_name", "el")

    def __init__(self, el: etree._Element) -> None:
        self.el = el
        self._by_name: dict[str, list[etree._Element]] = {}
        for child in el.iterchildren(etree.Element):
            qn = etree.QName(child)
            if qn.namespace == EC:
                self._by_name.setdefault(qn.localname, []).append(child)

    def all(self, name: str) -> list[etree._Element]:
        return self._by_name.get(name, [])

    def opt(self, name: str) -> etree._Element | None:
        found = self._by_name.get(name)
        return found[0] if found else None

    def one(self, name: str) -> etree._Element:
        found = self._by_name.get(name)
        if not found:
            raise _DecodeFailure(self.el, f"missing element ec:{name}", f"ไม่พบองค์ประกอบ ec:{name}")
        return found[0]

    def text(self, name: str) -> str:
        return _text(self.one(name))

    def opt_text(self, name: str) -> str | None:
        el = self.opt(name)
        return None if el is None else _text(el)

    def token(self, name: str) -> str:
        return _collapse(_text(self.one(name)))

    def group(self, name: str) -> LangGroup:
        return tuple(
            LangText(_text(el), _collapse(el.get("languageID", ""))) for el in self.all(name)
        )

    def each(self, name: str, fn: Callable[[etree._Element], _T]) -> tuple[_T, ...]:
        return tuple(fn(el) for el in self.all(name))


def _text(el: etree._Element) -> str:
    # itertext() skips comments but keeps the text on either side of them.
    return "".join(cast("Iterator[str]", el.itertext()))


_XML_SPACE = re.compile("[ \t\r\n]+")


def _collapse(value: str) -> str:
    # XML whitespace only: str.split() would also eat NO-BREAK SPACE and other Unicode spaces,
    # which are content.
    return _XML_SPACE.sub(" ", value).strip(" ")


def _code(el: etree._Element, value: str, enum: Callable[[str], _T]) -> _T:
    try:
        return enum(value)
    except ValueError:
        raise _DecodeFailure(el, f"unknown code {value!r}", f"ไม่รู้จักรหัส {value!r}") from None


def _uuid(el: etree._Element) -> uuid.UUID:
    value = _text(el)
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        parsed = None
    if parsed is None or str(parsed) != value:
        raise _DecodeFailure(
            el, f"{value!r} is not a lower-case hyphenated UUID", f"{value!r} ไม่ใช่ UUID ตัวพิมพ์เล็กมีขีด"
        )
    return parsed


def _offset(el: etree._Element, text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    try:
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    except ValueError:
        raise _DecodeFailure(
            el, f"UTC offset {text} is out of range", f"ค่าเขตเวลา {text} อยู่นอกช่วง"
        ) from None


def _out_of_range(el: etree._Element, value: str) -> _DecodeFailure:
    return _DecodeFailure(
        el,
        f"{value!r} is outside the supported range (years 1 to 9999)",
        f"{value!r} อยู่นอกช่วงที่รองรับ (ค.ศ. 1 ถึง 9999)",
    )


def _datetime(el: etree._Element) -> datetime:
    value = _collapse(_text(el))
    m = _DATETIME.fullmatch(value)
    if m is None:
        raise _DecodeFailure(
            el, f"{value!r} is not an xs:dateTime", f"{value!r} ไม่ใช่วันเวลาแบบ xs:dateTime"
        )
    year, month, day, hour, minute, second, fraction, tz = m.groups()
    micro = int((fraction or "")[:6].ljust(6, "0"))
    tzinfo = None if tz is None else _offset(el, tz)
    try:
        # 24:00:00 is the first instant of the next day in xs:dateTime.
        end_of_day = int(hour) == 24
        result = datetime(
            int(year),
            int(month),
            int(day),
            0 if end_of_day else int(hour),
            int(minute),
            int(second),
            micro,
            tzinfo=tzinfo,
        )
        return result + timedelta(days=1) if end_of_day else result
    except (ValueError, OverflowError):
        raise _out_of_range(el, value) from None


def _date(el: etree._Element) -> date:
    value = _collapse(_text(el))
    m = _DATE.fullmatch(value)
    if m is None:
        raise _DecodeFailure(el, f"{value!r} is not an xs:date", f"{value!r} ไม่ใช่วันที่แบบ xs:date")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _out_of_range(el, value) from None


def _base64(el: etree._Element) -> bytes:
    # An attachment's text can be tens of megabytes: it is decoded piece by piece into a
    # buffer of the result's size, so only the text and the result are ever whole in memory.
    data = decode_base64(_text(el))
    if data is None:
        raise _DecodeFailure(el, "the content is not valid base64", "เนื้อหาไม่ใช่ base64 ที่ถูกต้อง")
    return data


def _identifier(el: etree._Element) -> Identifier:
    scheme = _code(el, _collapse(el.get("schemeID", "")), IdScheme)
    agency = el.get("schemeAgencyID")
    return Identifier(_text(el), scheme, agency)


def _decode_address(el: etree._Element) -> Address:
    c = _Children(el)
    return Address(
        postcode=c.opt_text("PostcodeCode"),
        line_one=c.text("LineOne"),
        line_two=c.opt_text("LineTwo"),
        city_sub_division_id=c.opt_text("CitySubDivisionID"),
        city_id=c.opt_text("CityID"),
        country_sub_division_id=c.opt_text("CountrySubDivisionID"),
        country_id=c.text("CountryID"),
    )


def _opt_address(el: etree._Element | None) -> Address | None:
    return None if el is None else _decode_address(el)


def _decode_reference(el: etree._Element) -> ReferencedDocument:
    c = _Children(el)
    return ReferencedDocument(
        global_id=_uuid(c.one("GlobalID")),
        id=c.opt_text("ID"),
        relationship=_code(el, c.token("RelationshipCode"), Relationship),
    )


def _decode_note(el: etree._Element) -> Note:
    c = _Children(el)
    return Note(subject=c.group("Subject"), content=c.group("Content"))


def _decode_header(el: etree._Element) -> ExchangedDocument:
    c = _Children(el)
    return ExchangedDocument(
        id=c.text("ID"),
        global_id=_uuid(c.one("GlobalID")),
        name=c.group("Name"),
        type_code=_code(el, c.token("TypeCode"), DocumentType),
        purpose=_code(el, c.token("PurposeCode"), Purpose),
        issue_datetime=_datetime(c.one("IssueDateTime")),
        referenced_documents=c.each("ReferencedDocument", _decode_reference),
        notes=c.each("IncludedNote", _decode_note),
    )


def _decode_issuer(el: etree._Element) -> IssuerParty:
    c = _Children(el)
    contact_el = c.opt("Contact")
    contact = None
    if contact_el is not None:
        cc = _Children(contact_el)
        website = cc.opt_text("WebsiteURI")
        contact = Contact(
            email=cc.opt_text("EmailURI"),
            telephone=cc.opt_text("Telephone"),
            website=None if website is None else _collapse(website),
        )
    official_el = c.opt("AuthorizedOfficial")
    official = None
    if official_el is not None:
        oc = _Children(official_el)
        official = AuthorizedOfficial(name=oc.group("Name"), job_title=oc.group("JobTitle"))
    return IssuerParty(
        id=_identifier(c.one("ID")),
        name=c.group("Name"),
        postal_address=_opt_address(c.opt("PostalAddress")),
        contact=contact,
        authorized_official=official,
    )


def _decode_holder(el: etree._Element) -> HolderParty:
    c = _Children(el)
    party: Person | Organization
    person_el = c.opt("Person")
    if person_el is not None:
        pc = _Children(person_el)
        birth = pc.opt("BirthDate")
        party = Person(
            id=_identifier(pc.one("ID")),
            name_prefix=pc.group("NamePrefix"),
            given_name=pc.group("GivenName"),
            family_name=pc.group("FamilyName"),
            birth_date=None if birth is None else _date(birth),
        )
    else:
        oc = _Children(c.one("Organization"))
        party = Organization(
            id=_identifier(oc.one("ID")),
            branch_id=oc.opt_text("BranchID"),
            name=oc.group("Name"),
        )
    return HolderParty(party=party, postal_address=_opt_address(c.opt("PostalAddress")))


def _decode_validity(el: etree._Element) -> ValidityPeriod:
    c = _Children(el)
    end = c.opt("EndDateTime")
    return ValidityPeriod(
        start=_datetime(c.one("StartDateTime")),
        end=None if end is None else _datetime(end),
    )


def _decode_attribute(el: etree._Element) -> Attribute:
    lang = el.get("languageID")
    return Attribute(
        _collapse(el.get("name", "")), _text(el), None if lang is None else _collapse(lang)
    )


def _decode_legal_basis(el: etree._Element) -> LegalBasis:
    c = _Children(el)
    return LegalBasis(name=c.group("Name"), section=c.opt_text("Section"))


def _decode_subject(el: etree._Element) -> Subject:
    c = _Children(el)
    return Subject(
        description=c.group("Description"),
        location_address=_opt_address(c.opt("LocationAddress")),
        legal_bases=c.each("LegalBasis", _decode_legal_basis),
        conditions=c.each("Condition", lambda e: Condition(content=_Children(e).group("Content"))),
        attributes=c.each("Attribute", _decode_attribute),
    )


def _decode_attachment(el: etree._Element) -> AttachedDocument:
    c = _Children(el)
    digest_el = c.one("Digest")
    binary = c.opt("BinaryObject")
    return AttachedDocument(
        id=c.text("ID"),
        name=c.group("Name"),
        file_name=c.text("FileName"),
        mime_code=c.text("MimeCode"),
        digest_algorithm=_code(
            digest_el, _collapse(digest_el.get("algorithm", "")), DigestAlgorithm
        ),
        digest=_base64(digest_el),
        content=None if binary is None else _base64(binary),
    )


def decode(source: etree._ElementTree | etree._Element) -> Document:
    """The :class:`~edocstd.model.Document` held by a *valid* EDOC tree.

    ``ds:Signature`` elements and comments are ignored. Call it only on a tree that passed
    validation (as :func:`load` does); a value the model cannot hold raises
    :class:`~edocstd.DocumentError` with an ``EDOC-S000`` problem.
    """
    root = source.getroot() if isinstance(source, etree._ElementTree) else source
    try:
        if root.tag != EC_ROOT:
            raise _DecodeFailure(
                root,
                "the root element is not ec:ElectronicCertificate",
                "องค์ประกอบราก (root) ไม่ใช่ ec:ElectronicCertificate",
            )
        c = _Children(root)
        subject = c.opt("Subject")
        uri = c.opt_text("VerificationURI")
        return Document(
            header=_decode_header(c.one("ExchangedDocument")),
            issuer=_decode_issuer(c.one("IssuerParty")),
            holder=_decode_holder(c.one("HolderParty")),
            validity=_decode_validity(c.one("ValidityPeriod")),
            subject=None if subject is None else _decode_subject(subject),
            attachments=c.each("AttachedDocument", _decode_attachment),
            verification_uri=None if uri is None else _collapse(uri),
        )
    except _DecodeFailure as exc:
        problem = Problem("EDOC-S000", _location(exc.el), exc.message_th, exc.message_en)
        raise DocumentError(ValidationReport(problems=(problem,))) from None


def _location(el: etree._Element) -> Location:
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        qn = etree.QName(node)
        prefix = "ec:" if qn.namespace == EC else ("ds:" if qn.namespace == DS else "")
        step = prefix + qn.localname
        parent = node.getparent()
        if parent is not None:
            same = list(parent.iterchildren(node.tag))
            if len(same) > 1:
                step += f"[{same.index(node) + 1}]"
        parts.append(step)
        node = parent
    line = el.sourceline
    return Location("/" + "/".join(reversed(parts)), line if isinstance(line, int) else None)


# =========================================================================== load / fingerprint


def load(source: Source, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read, validate and decode an EDOC 1.0 document.

    ``source`` is ``bytes``, XML text as ``str``, an ``os.PathLike`` or a binary file object.
    Raises :class:`~edocstd.DocumentError` (with ``.report``) when the input is refused by the
    hardened reader (``EDOC-X000``) or is not schema- and rule-valid, and
    :class:`~edocstd.InputError` when the source cannot be opened. ``ds:Signature`` elements
    are ignored: loading does not verify anything. ``limits`` are the reader's limits
    (EDOC-1.0 §1.3 by default).
    """
    from edocstd.schema._validate import refused, validate_tree

    try:
        tree = parse(source, limits)
    except XMLInputError as exc:
        raise DocumentError(refused(exc)) from exc
    report = validate_tree(tree, limits)
    if not report.valid:
        raise DocumentError(report)
    return decode(tree)


def _top_signatures(tree: etree._ElementTree) -> list[etree._Element]:
    # A signature nested in another one goes out with its container.
    return [
        sig
        for sig in tree.getroot().iter(DS_SIGNATURE)
        if not any(a.tag == DS_SIGNATURE for a in sig.iterancestors())
    ]


def fingerprint(source: Source | Document, limits: Limits = DEFAULT_LIMITS) -> str:
    """The document's fingerprint (EDOC-1.0 §5.2), as 64 lower-case hex digits.

    It is the SHA-256 of the exclusive C14N 1.0 form (without comments) of the document with
    every ``ds:Signature`` removed, so it names the content whatever the signatures and the
    formatting of attributes, quotes, character references, CDATA or comments. Whitespace
    between elements is content to XML and does count.

    Any well-formed XML is accepted (validity is not checked). A
    :class:`~edocstd.model.Document` is fingerprinted as :func:`dump` writes it. Raises
    :class:`~edocstd.XMLInputError` for input the hardened reader refuses and
    :class:`~edocstd.InputError` when the source cannot be opened.
    """
    return fingerprint_tree(parse(dump(source) if isinstance(source, Document) else source, limits))


def fingerprint_tree(tree: etree._ElementTree) -> str:
    """:func:`fingerprint` of a tree already read by the hardened reader."""
    digest = digest_tree(tree, C14N.EXC, DigestAlgorithm.SHA256, exclude=_top_signatures(tree))
    return digest.hex()
