"""Food shop licences of an (invented) municipality, issued as signed EDOC documents.

This module is the whole integration an agency writes: turn an approved application into an
:class:`edocstd.Document`, validate it, sign it (with a time-stamp when a TSA is configured)
and keep the signed bytes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from edocstd import Document, Level, Signer, dump, fingerprint, sign, validate
from edocstd.model import (
    Address,
    Attribute,
    Condition,
    DocumentType,
    ExchangedDocument,
    HolderParty,
    Identifier,
    IssuerParty,
    LangText,
    LegalBasis,
    Person,
    Purpose,
    Subject,
    ValidityPeriod,
)

ICT = dt.timezone(dt.timedelta(hours=7), "ICT")
VALID_FOR = dt.timedelta(days=365)

ISSUER = IssuerParty(
    id=Identifier.gov("EXAMPLE-CITY"),
    name=(LangText("เทศบาลนครตัวอย่าง", "th"), LangText("Example City Municipality", "en")),
)
TITLE = (
    LangText("ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร", "th"),
    LangText("Food Shop Licence", "en"),
)
LEGAL_BASIS = LegalBasis(
    name=(
        LangText("พระราชบัญญัติการสาธารณสุข พ.ศ. 2535", "th"),
        LangText("Public Health Act B.E. 2535 (1992)", "en"),
    )
)
CONDITIONS = (
    Condition(
        content=(
            LangText("ผู้ได้รับใบอนุญาตต้องรักษาความสะอาดของสถานที่ตลอดเวลา", "th"),
            LangText("The licensee must keep the premises clean at all times.", "en"),
        )
    ),
)


@dataclass(frozen=True)
class Application:
    """An approved application, as the agency's own system holds it."""

    national_id: str
    given_name_th: str
    family_name_th: str
    shop_name_th: str
    shop_address: Address
    floor_area_m2: int
    given_name_en: str | None = None
    family_name_en: str | None = None


@dataclass(frozen=True)
class IssuedLicence:
    """A signed licence, ready to be stored and sent to the applicant."""

    number: str
    global_id: uuid.UUID
    signed_xml: bytes
    fingerprint: str


def _names(thai: str, english: str | None) -> tuple[LangText, ...]:
    return (LangText(thai, "th"),) + (() if english is None else (LangText(english, "en"),))


def build_licence(
    application: Application,
    *,
    number: str,
    issued_at: dt.datetime,
    global_id: uuid.UUID | None = None,
) -> Document:
    """The licence for ``application`` as an EDOC document (not yet validated or signed)."""
    global_id = global_id or uuid.uuid4()
    return Document(
        header=ExchangedDocument(
            id=number,
            global_id=global_id,
            name=TITLE,
            type_code=DocumentType.LICENCE,
            purpose=Purpose.NEW,
            issue_datetime=issued_at,
        ),
        issuer=ISSUER,
        holder=HolderParty(
            party=Person(
                id=Identifier.nidn(application.national_id),
                given_name=_names(application.given_name_th, application.given_name_en),
                family_name=_names(application.family_name_th, application.family_name_en),
            )
        ),
        validity=ValidityPeriod(start=issued_at, end=issued_at + VALID_FOR),
        subject=Subject(
            description=(LangText(application.shop_name_th, "th"),),
            location_address=application.shop_address,
            legal_bases=(LEGAL_BASIS,),
            conditions=CONDITIONS,
            attributes=(Attribute("floorAreaSquareMetres", str(application.floor_area_m2)),),
        ),
        verification_uri=f"https://licences.city.example/verify/{global_id}",
    )


def issue_licence(
    application: Application,
    signer: Signer,
    *,
    number: str,
    issued_at: dt.datetime | None = None,
    tsa_url: str | None = None,
) -> IssuedLicence:
    """Build, validate and sign the licence; time-stamp it (B-T) when ``tsa_url`` is given.

    Raises :class:`edocstd.DocumentError` (its ``.report`` lists the problems in Thai and
    English) when the application makes an invalid licence, for example a national ID with a
    wrong check digit.
    """
    issued_at = issued_at or dt.datetime.now(ICT).replace(microsecond=0)
    document = build_licence(application, number=number, issued_at=issued_at)
    xml = dump(document)
    # sign() refuses an invalid document too; validating first gives the officer the full
    # report before the signing key (often an HSM) is used at all.
    validate(xml).raise_for_status()
    if tsa_url is None:
        signed = sign(xml, signer)
    else:
        signed = sign(xml, signer, level=Level.B_T, tsa=tsa_url)
    return IssuedLicence(number, document.global_id, signed, fingerprint(signed))
