"""The assertion helpers: they pass quietly on good input and, on bad input, fail with a report
a person can act on (codes, locations, Thai and English messages, the failed check)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest

from edocstd import (
    Document,
    Policy,
    SchemaCheck,
    Signer,
    TrustStore,
    Verifier,
    dump,
    sign,
    validate,
)
from edocstd.model import HolderParty, Identifier, Organization
from edocstd.testing.assertions import (
    assert_fails_verification,
    assert_invalid,
    assert_valid,
    assert_verifies,
    explain_validation,
    explain_verification,
)
from edocstd.testing.pki import TestPKI
from edocstd.testing.plugin import DocumentFactory
from edocstd.testing.services import TestServices

BAD_TXID = "0105559123450"  # the sample holder's tax ID with a wrong check digit


@pytest.fixture
def broken(edoc_document: Document) -> Document:
    """The sample with two problems: a bad tax-ID check digit and an end before the start."""
    holder = edoc_document.holder
    assert isinstance(holder.party, Organization)
    party = dataclasses.replace(holder.party, id=Identifier.txid(BAD_TXID))
    validity = dataclasses.replace(
        edoc_document.validity, end=edoc_document.validity.start - dt.timedelta(days=1)
    )
    return dataclasses.replace(
        edoc_document,
        holder=HolderParty(party=party, postal_address=holder.postal_address),
        validity=validity,
    )


@pytest.fixture(scope="module")
def signed(edoc_signer: Signer) -> bytes:
    from edocstd.testing.samples import sample_xml

    return sign(sample_xml(), edoc_signer)


def _tamper(signed: bytes) -> bytes:
    changed = signed.replace("บริษัท ตัวอย่างอาหาร จำกัด".encode(), "บริษัท ปลอมแปลง จำกัด".encode())
    assert changed != signed
    return changed


# ------------------------------------------------------------------------------ validation


def test_assert_valid_accepts_a_valid_document_and_its_bytes(edoc_document: Document) -> None:
    assert_valid(edoc_document)
    assert_valid(dump(edoc_document))


def test_assert_valid_lists_every_problem_with_code_location_and_both_languages(
    broken: Document,
) -> None:
    report = validate(dump(broken))
    assert set(report.codes) >= {"EDOC-R002", "EDOC-R006"}
    with pytest.raises(AssertionError) as caught:
        assert_valid(broken)
    text = str(caught.value)
    assert text.startswith("the document is not valid / เอกสารไม่ถูกต้อง")
    assert f"{len(report.problems)} problems / พบปัญหา {len(report.problems)} รายการ" in text
    for i, p in enumerate(report.problems, 1):
        assert f"{i:>3}. {p.code} at {p.location}" in text
        assert f"en: {p.message_en}" in text
        assert f"th: {p.message_th}" in text


def test_assert_valid_reports_unreadable_input_as_x000() -> None:
    with pytest.raises(AssertionError, match=r"(?s)1 problem / .*EDOC-X000 at /"):
        assert_valid(b"<not xml")


def test_assert_invalid_returns_the_report_when_the_codes_are_there(broken: Document) -> None:
    report = assert_invalid(broken, "EDOC-R002")
    assert "EDOC-R002" in report.codes
    assert assert_invalid(broken).codes == report.codes


def test_assert_invalid_fails_on_a_valid_document(edoc_document: Document) -> None:
    with pytest.raises(AssertionError, match="the document is valid, but problems were expected"):
        assert_invalid(edoc_document, "EDOC-R001")


def test_assert_invalid_names_the_missing_codes_and_shows_what_was_found(
    broken: Document,
) -> None:
    with pytest.raises(AssertionError) as caught:
        assert_invalid(broken, "EDOC-R002", "EDOC-R015")
    text = str(caught.value)
    assert "expected problem codes not reported: EDOC-R015" in text
    assert "ไม่พบรหัสปัญหาที่คาดไว้: EDOC-R015" in text
    assert "EDOC-R002 at /ec:ElectronicCertificate/ec:HolderParty" in text


def test_document_factory_replaces_header_and_document_fields(
    edoc_document_factory: DocumentFactory, edoc_document: Document
) -> None:
    from edocstd.model import Purpose

    variant = edoc_document_factory(purpose=Purpose.RENEWAL, verification_uri=None)
    assert variant.header.purpose is Purpose.RENEWAL
    assert variant.verification_uri is None
    assert variant.issuer == edoc_document.issuer
    # Variants are not validated: a renewal without a reference breaks EDOC-R008.
    assert_invalid(variant, "EDOC-R008")
    with pytest.raises(TypeError, match="colour"):
        edoc_document_factory(colour="red")


# ---------------------------------------------------------------------------- verification


def test_assert_verifies_returns_what_was_signed(
    signed: bytes, edoc_trust: TrustStore, edoc_document: Document
) -> None:
    verified = assert_verifies(signed, edoc_trust)
    assert verified.document == edoc_document
    assert verified.report.passed


def test_assert_verifies_takes_a_ready_verifier_with_revocation_data(
    signed: bytes, edoc_trust: TrustStore, edoc_crls: tuple[bytes, bytes]
) -> None:
    verified = assert_verifies(signed, Verifier(trust=edoc_trust, crls=edoc_crls))
    assert verified.report.signatures[0].revocation == "good"
    with pytest.raises(TypeError, match="to the Verifier"):
        assert_verifies(signed, Verifier(trust=edoc_trust), crls=edoc_crls)


def test_assert_verifies_on_a_tampered_document_shows_the_failed_check(
    signed: bytes, edoc_trust: TrustStore
) -> None:
    tampered = _tamper(signed)
    report = Verifier(trust=edoc_trust, policy=Policy(revocation="none")).assess(tampered)
    failed = report.signatures[0].failed_check
    assert failed is not None
    with pytest.raises(AssertionError) as caught:
        assert_verifies(tampered, edoc_trust)
    text = str(caught.value)
    assert text.startswith("the signature did not verify / ลายมือชื่อไม่ผ่านการตรวจสอบ\n")
    assert f"outcome: {report.indication}/{report.sub_indication}" in text
    assert f"en: {report.message_en}" in text
    assert f"th: {report.message_th}" in text
    assert f"[FAIL] {failed.name}: {failed.title_en} / {failed.title_th}" in text
    assert f"en: {failed.message_en}" in text
    assert f"th: {failed.message_th}" in text
    assert "level: B-B" in text


def test_assert_verifies_shows_the_signed_contents_schema_problems(
    broken: Document, edoc_signer: Signer, edoc_trust: TrustStore
) -> None:
    signed_invalid = sign(dump(broken), edoc_signer, schema=SchemaCheck.SKIP)
    with pytest.raises(AssertionError) as caught:
        assert_verifies(signed_invalid, edoc_trust)
    text = str(caught.value)
    assert "signed content / เนื้อหาที่ลงนาม:" in text
    assert "EDOC-R002 at" in text


def test_assert_verifies_reads_a_file_object_once(
    signed: bytes, edoc_trust: TrustStore, edoc_document: Document
) -> None:
    stream = io.BytesIO(signed)
    verified = assert_verifies(stream, edoc_trust)
    assert verified.document == edoc_document
    assert stream.read() == b""  # consumed by the one verification


def test_assert_verifies_on_a_tampered_file_object_reports_the_tampering_not_an_empty_input(
    signed: bytes, edoc_trust: TrustStore
) -> None:
    with pytest.raises(AssertionError) as caught:
        assert_verifies(io.BytesIO(_tamper(signed)), edoc_trust)
    text = str(caught.value)
    assert "outcome: TOTAL-FAILED/HASH_FAILURE" in text
    assert "empty" not in text


def test_assert_verifies_fails_with_the_readable_report_alone(
    signed: bytes, edoc_trust: TrustStore
) -> None:
    at = dt.datetime.now(dt.UTC)
    tampered = _tamper(signed)
    report = Verifier(trust=edoc_trust, policy=Policy(revocation="none")).assess(tampered, at=at)
    with pytest.raises(AssertionError) as caught:
        assert_verifies(tampered, edoc_trust, at=at)
    assert str(caught.value) == (
        "the signature did not verify / ลายมือชื่อไม่ผ่านการตรวจสอบ\n" + explain_verification(report)
    )
    # Not chained to the VerificationError: its summary would only repeat the report.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_assert_verifies_returns_the_report_it_judged(
    signed: bytes, edoc_trust: TrustStore
) -> None:
    at = dt.datetime.now(dt.UTC)
    verified = assert_verifies(signed, edoc_trust, at=at)
    assert verified.report.passed
    assert verified.report.validation_time == at


def test_assert_verifies_online_asks_the_ocsp_responder_as_often_as_one_verification(
    signed: bytes, edoc_services: TestServices, edoc_ocsp: str, edoc_trust: TrustStore
) -> None:
    verifier = Verifier(trust=edoc_trust, policy=Policy(revocation="online"))
    before = edoc_services.ocsp.requests
    assert verifier.assess(signed).signatures[0].revocation == "good"
    per_verification = edoc_services.ocsp.requests - before
    assert per_verification >= 1
    before = edoc_services.ocsp.requests
    verified = assert_verifies(signed, verifier)
    assert edoc_services.ocsp.requests - before == per_verification
    assert verified.report.signatures[0].revocation == "good"


def test_validation_helpers_read_a_file_object_once(
    edoc_document: Document, broken: Document
) -> None:
    assert_valid(io.BytesIO(dump(edoc_document)))
    assert "EDOC-R002" in assert_invalid(io.BytesIO(dump(broken)), "EDOC-R002").codes


def test_assert_fails_verification_reads_a_file_object_once(
    signed: bytes, edoc_trust: TrustStore
) -> None:
    report = assert_fails_verification(
        io.BytesIO(_tamper(signed)), edoc_trust, sub_indication="HASH_FAILURE"
    )
    assert report.indication == "TOTAL-FAILED"


def test_assert_fails_verification_matches_indication_and_sub_indication(
    signed: bytes, edoc_trust: TrustStore
) -> None:
    tampered = _tamper(signed)
    report = assert_fails_verification(tampered, edoc_trust, indication="TOTAL-FAILED")
    assert not report.passed
    assert (
        assert_fails_verification(
            tampered, edoc_trust, sub_indication=str(report.sub_indication)
        ).sub_indication
        == report.sub_indication
    )
    with pytest.raises(AssertionError) as caught:
        assert_fails_verification(tampered, edoc_trust, sub_indication="REVOKED")
    text = str(caught.value)
    assert "expected the verification outcome not TOTAL-PASSED/REVOKED, got TOTAL-FAILED/" in text
    assert "outcome: TOTAL-FAILED/" in text


def test_assert_fails_verification_fails_on_a_good_signature(
    signed: bytes, edoc_trust: TrustStore
) -> None:
    with pytest.raises(AssertionError, match="got TOTAL-PASSED") as caught:
        assert_fails_verification(signed, edoc_trust)
    assert "[ok  ]" in str(caught.value)


def test_the_revoked_signer_fails_offline_with_the_sessions_crls(
    edoc_revoked_signer: Signer,
    edoc_trust: TrustStore,
    edoc_crls: tuple[bytes, bytes],
    edoc_pki: TestPKI,
) -> None:
    from edocstd.testing.samples import sample_xml

    signed = sign(sample_xml(), edoc_revoked_signer)
    report = assert_fails_verification(
        signed,
        Verifier(trust=edoc_trust, crls=edoc_crls),
        indication="INDETERMINATE",
        sub_indication="REVOKED_NO_POE",
    )
    assert report.signatures[0].revocation == "revoked"
    text = explain_verification(report)
    assert f"signer: {edoc_pki.revoked_signer.cert.subject.rfc4514_string()}" in text
    assert "level: B-B; revocation: revoked" in text


def test_explanations_of_passing_reports_are_short(
    signed: bytes, edoc_trust: TrustStore, edoc_document: Document
) -> None:
    assert explain_validation(validate(dump(edoc_document))) == (
        "valid: no problems / เอกสารถูกต้อง ไม่พบปัญหา"
    )
    report = Verifier(trust=edoc_trust, policy=Policy(revocation="none")).assess(signed)
    text = explain_verification(report)
    assert text.splitlines()[0] == "outcome: TOTAL-PASSED"
    assert " -> ".join(report.signatures[0].chain) in text
    assert "CN=edocstd Test Root CA" in text
    assert "FAIL" not in text
