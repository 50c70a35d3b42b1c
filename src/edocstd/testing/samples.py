"""A realistic sample document: a Thai factory operating licence (ใบอนุญาตประกอบกิจการโรงงาน).

The demo, the documentation and many tests start from it. Every name, number and address in
it is invented; identifiers carry valid check digits and area codes nest properly, so the
document is schema- and rule-valid. Host names use the reserved ``.example`` top-level domain.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

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
    IssuerParty,
    LangText,
    LegalBasis,
    Note,
    Organization,
    Purpose,
    Subject,
    ValidityPeriod,
)

__all__ = ["SAMPLE_GLOBAL_ID", "sample_document", "sample_xml"]

SAMPLE_GLOBAL_ID = uuid.UUID("7f9c2ba4-e88f-4c3b-9b7a-2d6c1e5f8a01")
"""The ``GlobalID`` of :func:`sample_document`."""

_ICT = timezone(timedelta(hours=7))

# A tiny stand-in for a scanned floor plan; attachments are opaque bytes to the library.
_FLOOR_PLAN = (
    b"%PDF-1.7\n% sample floor plan for the edocstd test licence\n"
    b"1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


def _th_en(th: str, en: str) -> tuple[LangText, LangText]:
    return (LangText(th, "th"), LangText(en, "en"))


def sample_document() -> Document:
    """A valid, bilingual factory licence issued to a company, with an officer, a legal basis,
    conditions, agency-specific attributes and an embedded attachment.

    Each call returns an equal (and, being immutable, freely shareable) document.
    """
    issued = datetime(2026, 11, 25, 9, 30, tzinfo=_ICT)
    return Document(
        header=ExchangedDocument(
            id="ร.ง.4 เลขที่ 3-9(1)-12/2569",
            global_id=SAMPLE_GLOBAL_ID,
            name=_th_en("ใบอนุญาตประกอบกิจการโรงงาน", "Factory Operating Licence"),
            type_code=DocumentType.LICENCE,
            purpose=Purpose.NEW,
            issue_datetime=issued,
            notes=(
                Note(
                    subject=_th_en("หมายเหตุ", "Note"),
                    content=_th_en(
                        "ผู้รับใบอนุญาตต้องแสดงใบอนุญาตนี้ไว้ในที่เปิดเผยและเห็นได้ง่าย ณ โรงงาน",
                        "The licensee must display this licence openly at the factory.",
                    ),
                ),
            ),
        ),
        issuer=IssuerParty(
            id=Identifier.gov("DIW"),
            name=_th_en("กรมโรงงานอุตสาหกรรม", "Department of Industrial Works"),
            postal_address=Address(
                postcode="10400",
                line_one="75/6 ถนนพระรามที่ 6",
                line_two="แขวงทุ่งพญาไท เขตราชเทวี กรุงเทพมหานคร",
                city_sub_division_id="103701",
                city_id="1037",
                country_sub_division_id="10",
                country_id="TH",
            ),
            contact=Contact(
                email="saraban@diw.example",
                telephone="+66 2 000 0000",
                website="https://www.diw.example/",
            ),
            authorized_official=AuthorizedOfficial(
                name=_th_en("นายสมชาย ใจดี", "Mr. Somchai Jaidee"),
                job_title=_th_en(
                    "อธิบดีกรมโรงงานอุตสาหกรรม",
                    "Director-General, Department of Industrial Works",
                ),
            ),
        ),
        holder=HolderParty(
            party=Organization(
                id=Identifier.txid("0105559123454"),
                branch_id="00000",
                name=_th_en("บริษัท ตัวอย่างอาหาร จำกัด", "Example Foods Co., Ltd."),
            ),
            postal_address=Address(
                postcode="10110",
                line_one="99 ซอยสุขุมวิท 21",
                line_two="แขวงคลองเตยเหนือ เขตวัฒนา กรุงเทพมหานคร",
                city_sub_division_id="103901",
                city_id="1039",
                country_sub_division_id="10",
                country_id="TH",
            ),
        ),
        validity=ValidityPeriod(
            start=issued,
            end=datetime(2031, 11, 24, 23, 59, 59, tzinfo=_ICT),
        ),
        subject=Subject(
            description=_th_en(
                "ประกอบกิจการโรงงานผลิตอาหารสำเร็จรูปบรรจุกระป๋อง",
                "Operating a factory producing canned ready-to-eat food",
            ),
            location_address=Address(
                postcode="10540",
                line_one="123/4 หมู่ 5 ถนนบางนา-ตราด กม. 23",
                line_two="ตำบลบางพลีใหญ่ อำเภอบางพลี จังหวัดสมุทรปราการ",
                city_sub_division_id="110301",
                city_id="1103",
                country_sub_division_id="11",
                country_id="TH",
            ),
            legal_bases=(
                LegalBasis(
                    name=_th_en(
                        "พระราชบัญญัติโรงงาน พ.ศ. 2535",
                        "Factory Act B.E. 2535 (1992)",
                    ),
                    section="มาตรา 12",
                ),
            ),
            conditions=(
                Condition(
                    content=_th_en(
                        "ต้องจัดให้มีระบบบำบัดน้ำเสียที่ได้มาตรฐานก่อนระบายออกนอกโรงงาน",
                        "Waste water must be treated to the required standard before it leaves "
                        "the factory.",
                    )
                ),
                Condition(
                    content=_th_en(
                        "ต้องจัดให้มีอุปกรณ์ดับเพลิงและฝึกซ้อมการดับเพลิงอย่างน้อยปีละหนึ่งครั้ง",
                        "Fire-fighting equipment must be provided and a fire drill held at least "
                        "once a year.",
                    )
                ),
            ),
            attributes=(
                Attribute("factoryCategory", "ลำดับที่ 9(1)", "th"),
                Attribute("machineryHorsepower", "450"),
                Attribute("workers", "120"),
            ),
        ),
        attachments=(
            AttachedDocument.from_bytes(
                _FLOOR_PLAN,
                id="ATT-1",
                name=_th_en("แผนผังโรงงาน", "Factory floor plan"),
                file_name="แผนผังโรงงาน.pdf",
                mime_code="application/pdf",
            ),
        ),
        verification_uri=f"https://verify.diw.example/edoc/{SAMPLE_GLOBAL_ID}",
    )


def sample_xml() -> bytes:
    """:func:`sample_document` as EDOC 1.0 XML (the bytes :func:`edocstd.dump` writes)."""
    from edocstd.schema._codec import dump

    return dump(sample_document())
