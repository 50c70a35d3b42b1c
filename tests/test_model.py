"""The document model: immutable, hashable, equal by value, with a few helpers."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid

import pytest
from hypothesis import given, settings

from edocstd.model import (
    AttachedDocument,
    DigestAlgorithm,
    Document,
    Identifier,
    IdScheme,
    LangText,
    Purpose,
    Relationship,
    pick_text,
    primary_subtag,
)
from edocstd.testing.samples import SAMPLE_GLOBAL_ID, sample_document
from edocstd.testing.strategies import documents


def test_documents_are_frozen() -> None:
    doc = sample_document()
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.verification_uri = "https://other.example/"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.header.name[0].text = "x"  # type: ignore[misc]


def test_model_classes_use_slots() -> None:
    doc = sample_document()
    for obj in (doc, doc.header, doc.issuer, doc.holder, doc.validity, doc.header.name[0]):
        assert not hasattr(obj, "__dict__"), type(obj).__name__


def test_equal_documents_are_equal_and_hash_alike() -> None:
    a, b = sample_document(), sample_document()
    assert a is not b
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


def test_a_changed_document_is_not_equal() -> None:
    doc = sample_document()
    other = dataclasses.replace(doc, verification_uri=None)
    assert other != doc


@settings(max_examples=50, deadline=None)
@given(documents())
def test_generated_documents_hold_tuples_only_and_are_hashable(doc: Document) -> None:
    hash(doc)

    def walk(value: object) -> None:
        assert not isinstance(value, list | dict | set)
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, tuple):
            for item in value:
                walk(item)

    walk(doc)


@pytest.mark.parametrize(
    ("purpose", "relationship"),
    [
        (Purpose.NEW, None),
        (Purpose.RENEWAL, Relationship.RENEWS),
        (Purpose.AMENDMENT, Relationship.AMENDS),
        (Purpose.REPLACEMENT, Relationship.REPLACES),
        (Purpose.CANCELLATION, Relationship.CANCELS),
    ],
)
def test_each_purpose_names_the_relationship_its_references_need(
    purpose: Purpose, relationship: Relationship | None
) -> None:
    assert purpose.relationship is relationship


def test_code_list_values_are_the_spec_strings() -> None:
    assert [p.value for p in Purpose] == [
        "NEW",
        "RENEWAL",
        "AMENDMENT",
        "REPLACEMENT",
        "CANCELLATION",
    ]
    assert {s.value for s in IdScheme} == {"NIDN", "PASSPORT", "TXID", "GOV", "UUID"}


@pytest.mark.parametrize(
    ("tag", "primary"), [("th", "th"), ("TH-th", "th"), ("en-GB", "en"), ("zh-Hans-CN", "zh")]
)
def test_primary_subtag_is_lower_case_and_ignores_regions(tag: str, primary: str) -> None:
    assert primary_subtag(tag) == primary
    assert LangText("x", tag).primary == primary


def test_pick_text_matches_primary_subtags_and_falls_back_to_thai_then_first() -> None:
    group = (LangText("Licence", "en-GB"), LangText("ใบอนุญาต", "TH"))
    assert pick_text(group, "en") == "Licence"
    assert pick_text(group, "EN-us") == "Licence"
    assert pick_text(group, "th") == "ใบอนุญาต"
    assert pick_text(group, "ja") == "ใบอนุญาต"
    assert pick_text((LangText("Licence", "en"),), "ja") == "Licence"
    assert pick_text((), "th") is None


def test_document_title_and_global_id() -> None:
    doc = sample_document()
    assert doc.title() == "ใบอนุญาตประกอบกิจการโรงงาน"
    assert doc.title("en") == "Factory Operating Licence"
    assert doc.global_id == SAMPLE_GLOBAL_ID
    assert isinstance(doc.global_id, uuid.UUID)


def test_identifier_constructors_set_the_scheme() -> None:
    assert Identifier.nidn("1101700123456") == Identifier("1101700123456", IdScheme.NIDN)
    assert Identifier.txid("0105559123454").scheme is IdScheme.TXID
    assert Identifier.gov("DIW").scheme is IdScheme.GOV
    passport = Identifier.passport("AB123456", "GBR")
    assert (passport.scheme, passport.agency) == (IdScheme.PASSPORT, "GBR")


@pytest.mark.parametrize("algorithm", list(DigestAlgorithm)[:3])
def test_attachment_from_bytes_computes_the_digest(algorithm: DigestAlgorithm) -> None:
    data = b"%PDF-1.7 floor plan"
    att = AttachedDocument.from_bytes(
        data,
        id="A1",
        file_name="plan.pdf",
        mime_code="application/pdf",
        digest_algorithm=algorithm,
    )
    assert att.digest == hashlib.new(algorithm.hash_name, data).digest()
    assert att.content == data
    assert att.matches(data)
    assert not att.matches(data + b"!")


def test_attachment_from_bytes_without_embedding_keeps_only_the_digest() -> None:
    att = AttachedDocument.from_bytes(
        b"abc", id="A1", file_name="a.txt", mime_code="text/plain", embed=False
    )
    assert att.content is None
    assert att.digest == hashlib.sha256(b"abc").digest()


def test_attachment_repr_does_not_dump_the_content() -> None:
    att = AttachedDocument.from_bytes(
        b"secret-bytes" * 100, id="A1", file_name="a.bin", mime_code="application/octet-stream"
    )
    assert "secret-bytes" not in repr(att)
