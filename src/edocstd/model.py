"""The EDOC 1.0 document model (EDOC-1.0 §1.2): typed, immutable, comparable by value.

Every class is a frozen dataclass with slots, and every collection is a tuple, so a
:class:`Document` is hashable and two documents with the same content compare equal.
The classes follow the XML structure one to one; field order is the element order.

The model holds *content* only. Building an instance never validates it, so a program can
describe a wrong document (tests do that on purpose); :func:`edocstd.validate` on
:func:`edocstd.dump` of it tells what is wrong. A :class:`Document` returned by
:func:`edocstd.load` is always valid.

Dates and times:

* ``DateTime`` values are aware :class:`datetime.datetime` objects; the UTC offset is written
  back exactly as it was read (a zero offset is written as ``Z``). As everywhere in Python,
  two aware datetimes are equal when they name the same instant, whatever their offsets, so
  two documents that differ only in the offset of a date compare equal (their XML does not).
* ``Date`` values are :class:`datetime.date` objects.

Multilingual groups (EDOC-1.0 §1.1) are tuples of :class:`LangText`, one member per language.
"""

from __future__ import annotations

import enum
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from edocstd.sign._algorithms import DigestAlgorithm

__all__ = [
    "Address",
    "AttachedDocument",
    "Attribute",
    "AuthorizedOfficial",
    "Condition",
    "Contact",
    "DigestAlgorithm",
    "Document",
    "DocumentType",
    "ExchangedDocument",
    "HolderParty",
    "IdScheme",
    "Identifier",
    "IssuerParty",
    "LangGroup",
    "LangText",
    "LegalBasis",
    "Note",
    "Organization",
    "Person",
    "Purpose",
    "ReferencedDocument",
    "Relationship",
    "Subject",
    "ValidityPeriod",
    "pick_text",
    "primary_subtag",
]


class DocumentType(enum.StrEnum):
    """The ``DocumentType`` code list (EDOC-1.0 §3)."""

    LICENCE = "LICENCE"
    """ใบอนุญาต: a licence."""
    PERMIT = "PERMIT"
    """ใบอนุญาตชั่วคราว / หนังสืออนุญาต: a permit."""
    CERTIFICATE = "CERTIFICATE"
    """หนังสือรับรอง: a certificate."""
    REGISTRATION = "REGISTRATION"
    """ใบทะเบียน / หนังสือสำคัญแสดงการจดทะเบียน: a registration."""


class Purpose(enum.StrEnum):
    """The ``Purpose`` code list (EDOC-1.0 §3): why this document was issued."""

    NEW = "NEW"
    """A first issue; it refers to no other document."""
    RENEWAL = "RENEWAL"
    """Renews the documents it refers to with :attr:`Relationship.RENEWS`."""
    AMENDMENT = "AMENDMENT"
    """Amends the documents it refers to with :attr:`Relationship.AMENDS`."""
    REPLACEMENT = "REPLACEMENT"
    """Replaces the documents it refers to with :attr:`Relationship.REPLACES`."""
    CANCELLATION = "CANCELLATION"
    """Cancels the documents it refers to with :attr:`Relationship.CANCELS`."""

    @property
    def relationship(self) -> Relationship | None:
        """The ``RelationshipCode`` its referenced documents must carry (EDOC-R008)."""
        return _PURPOSE_RELATIONSHIP.get(self)


class Relationship(enum.StrEnum):
    """The ``Relationship`` code list (EDOC-1.0 §3): how a referenced document is affected."""

    RENEWS = "RENEWS"
    """This document renews the referenced one."""
    AMENDS = "AMENDS"
    """This document amends the referenced one."""
    REPLACES = "REPLACES"
    """This document replaces the referenced one."""
    CANCELS = "CANCELS"
    """This document cancels the referenced one."""


_PURPOSE_RELATIONSHIP: dict[Purpose, Relationship] = {
    Purpose.RENEWAL: Relationship.RENEWS,
    Purpose.AMENDMENT: Relationship.AMENDS,
    Purpose.REPLACEMENT: Relationship.REPLACES,
    Purpose.CANCELLATION: Relationship.CANCELS,
}


class IdScheme(enum.StrEnum):
    """Identifier schemes (``schemeID`` values, EDOC-1.0 §3)."""

    NIDN = "NIDN"
    """Thai national identification number: 13 digits with a check digit."""
    PASSPORT = "PASSPORT"
    """A passport number; the issuing country goes in ``schemeAgencyID``."""
    TXID = "TXID"
    """Thai tax / juristic-person identification number: 13 digits with a check digit."""
    GOV = "GOV"
    """A government agency code: 1–20 characters from ``[0-9A-Z.-]``."""
    UUID = "UUID"
    """An RFC 4122 UUID (used by ``GlobalID``)."""


@dataclass(frozen=True, slots=True)
class LangText:
    """A text in one language: an ``LText`` element's content and its ``languageID``.

    ``language`` is a BCP 47 tag such as ``th``, ``en`` or ``th-TH``, kept as written.
    """

    text: str
    language: str = "th"

    @property
    def primary(self) -> str:
        """The primary language subtag, lower-cased (``th`` for ``th-TH``)."""
        return primary_subtag(self.language)


LangGroup = tuple[LangText, ...]
"""A multilingual group: translations of one text, one :class:`LangText` per language."""


def primary_subtag(tag: str) -> str:
    """The primary subtag of a BCP 47 language tag, lower-cased: ``"TH-th"`` → ``"th"``."""
    return tag.split("-", 1)[0].lower()


def pick_text(group: Sequence[LangText], lang: str = "th") -> str | None:
    """The member of a multilingual group in ``lang``, else the Thai one, else the first.

    Languages match on the primary subtag, case-insensitively, so ``"en"`` finds ``en-GB``.
    Returns ``None`` only for an empty group.
    """
    wanted = primary_subtag(lang)
    for choice in (wanted, "th"):
        for member in group:
            if member.primary == choice:
                return member.text
    return group[0].text if group else None


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier with its scheme: ``<ID schemeID="…" schemeAgencyID="…">value</ID>``.

    ``agency`` is the ``schemeAgencyID`` attribute: for a passport, the ISO 3166-1 alpha-3 code
    of the issuing country (``THA``, ``GBR`` …).
    """

    value: str
    scheme: IdScheme
    agency: str | None = None

    @classmethod
    def nidn(cls, value: str) -> Identifier:
        """A Thai national ID number (13 digits)."""
        return cls(value, IdScheme.NIDN)

    @classmethod
    def txid(cls, value: str) -> Identifier:
        """A Thai tax / juristic-person ID number (13 digits)."""
        return cls(value, IdScheme.TXID)

    @classmethod
    def passport(cls, value: str, country: str) -> Identifier:
        """A passport number issued by ``country`` (ISO 3166-1 alpha-3, e.g. ``"GBR"``)."""
        return cls(value, IdScheme.PASSPORT, country)

    @classmethod
    def gov(cls, value: str) -> Identifier:
        """A government agency code."""
        return cls(value, IdScheme.GOV)


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """A postal or location address (the ``Address`` type of EDOC-1.0 §1.2).

    Area codes are TISI codes: ``country_sub_division_id`` is the 2-digit province,
    ``city_id`` the 4-digit district (อำเภอ/เขต) and ``city_sub_division_id`` the 6-digit
    sub-district (ตำบล/แขวง); each starts with the one above it (EDOC-R010).
    ``country_id`` is an ISO 3166-1 alpha-2 code.
    """

    postcode: str | None = None
    line_one: str
    line_two: str | None = None
    city_sub_division_id: str | None = None
    city_id: str | None = None
    country_sub_division_id: str | None = None
    country_id: str = "TH"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferencedDocument:
    """An earlier document this one renews, amends, replaces or cancels."""

    global_id: uuid.UUID
    id: str | None = None
    relationship: Relationship


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """A free note (``IncludedNote``): an optional subject and the content."""

    subject: LangGroup = ()
    content: LangGroup


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangedDocument:
    """The document header (``ExchangedDocument``).

    ``id`` is the agency's own document number (up to 64 characters, Thai allowed);
    ``global_id`` is the document's UUID; ``name`` is its title.
    """

    id: str
    global_id: uuid.UUID
    name: LangGroup
    type_code: DocumentType
    purpose: Purpose
    issue_datetime: datetime
    referenced_documents: tuple[ReferencedDocument, ...] = ()
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """How to reach the issuing agency. ``email`` is a bare address, without ``mailto:``."""

    email: str | None = None
    telephone: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizedOfficial:
    """The officer who issues the document on the agency's behalf (e.g. นายทะเบียน)."""

    name: LangGroup
    job_title: LangGroup = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerParty:
    """The issuing agency. Its ``id`` uses the ``GOV`` or ``TXID`` scheme."""

    id: Identifier
    name: LangGroup
    postal_address: Address | None = None
    contact: Contact | None = None
    authorized_official: AuthorizedOfficial | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """A natural person holding the document. ``id`` is an ``NIDN`` or a ``PASSPORT``."""

    id: Identifier
    name_prefix: LangGroup = ()
    given_name: LangGroup
    family_name: LangGroup = ()
    birth_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Organization:
    """A juristic person holding the document. ``id`` is a ``TXID``.

    ``branch_id`` is the 5-digit branch number, ``"00000"`` for the head office; it is a
    string so leading zeros survive.
    """

    id: Identifier
    branch_id: str | None = None
    name: LangGroup


@dataclass(frozen=True, slots=True, kw_only=True)
class HolderParty:
    """The person or organization the document is issued to."""

    party: Person | Organization
    postal_address: Address | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidityPeriod:
    """When the document is in force. ``end`` is ``None`` for a document that never expires."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LegalBasis:
    """The Act or regulation the document is issued under, and optionally its section."""

    name: LangGroup
    section: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """One condition of the licence, in one or more languages."""

    content: LangGroup


@dataclass(frozen=True, slots=True)
class Attribute:
    """An agency-specific fact: ``<Attribute name="…" languageID="…">value</Attribute>``.

    ``name`` is an XML NCName. ``language`` is optional; attributes form no multilingual group.
    """

    name: str
    value: str
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """What is licensed or certified: description, location, legal basis, conditions, facts."""

    description: LangGroup = ()
    location_address: Address | None = None
    legal_bases: tuple[LegalBasis, ...] = ()
    conditions: tuple[Condition, ...] = ()
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachedDocument:
    """A file attached to the document, by digest and optionally embedded (``BinaryObject``).

    ``digest`` is the raw digest of the file under ``digest_algorithm``; ``content`` is the file
    itself when embedded. Use :meth:`from_bytes` to compute the digest.
    """

    id: str
    name: LangGroup = ()
    file_name: str
    mime_code: str
    digest_algorithm: DigestAlgorithm = DigestAlgorithm.SHA256
    digest: bytes
    content: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        *,
        id: str,
        file_name: str,
        mime_code: str,
        name: LangGroup = (),
        digest_algorithm: DigestAlgorithm = DigestAlgorithm.SHA256,
        embed: bool = True,
    ) -> AttachedDocument:
        """An attachment for ``data``, with its digest computed; embedded unless ``embed`` is
        false (then only the digest travels, and the file is delivered some other way)."""
        return cls(
            id=id,
            name=name,
            file_name=file_name,
            mime_code=mime_code,
            digest_algorithm=digest_algorithm,
            digest=hashlib.new(digest_algorithm.hash_name, data).digest(),
            content=data if embed else None,
        )

    def matches(self, data: bytes) -> bool:
        """True when ``data`` has this attachment's digest."""
        return hashlib.new(self.digest_algorithm.hash_name, data).digest() == self.digest


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """An EDOC 1.0 electronic licence or certificate (``ec:ElectronicCertificate``).

    The profile context (``EDOC-CERT``, version 1.0) is fixed and not stored. Signatures are not
    part of the model: :func:`edocstd.load` ignores ``ds:Signature`` elements.
    """

    header: ExchangedDocument
    issuer: IssuerParty
    holder: HolderParty
    validity: ValidityPeriod
    subject: Subject | None = None
    attachments: tuple[AttachedDocument, ...] = ()
    verification_uri: str | None = None

    @property
    def global_id(self) -> uuid.UUID:
        """The document's UUID (``ExchangedDocument/GlobalID``)."""
        return self.header.global_id

    def title(self, lang: str = "th") -> str | None:
        """The document's title in ``lang`` (falling back to Thai)."""
        return pick_text(self.header.name, lang)
