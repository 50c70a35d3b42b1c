"""Verifier behaviour: policy, trust store, reports, validation time, revocation, sources,
parallel signatures, and what the caller receives."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from _forge import resign, signer_for
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from edocstd._level import Level
from edocstd.errors import CertificateError, PolicyError, VerificationError
from edocstd.schema._codec import decode
from edocstd.schema._parser import parse
from edocstd.sign._sign import SchemaCheck, sign
from edocstd.sign._signer import Signer
from edocstd.sign._xmldsig import Cosign
from edocstd.testing.assertions import assert_verifies, explain_verification
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_document, sample_xml
from edocstd.verify import (
    Indication,
    OfflineRevocation,
    Policy,
    Revocation,
    RevocationData,
    SubIndication,
    TrustStore,
    Verifier,
)

S = SubIndication

# ---------------------------------------------------------------------------------------------
# Policy


def test_policy_defaults_follow_the_contract() -> None:
    p = Policy()
    assert p.revocation is Revocation.OFFLINE
    assert p.require_schema is True
    assert p.allow_legacy is False
    assert p.min_level is Level.B_B


def test_policy_accepts_strings_and_enums_alike() -> None:
    assert Policy(revocation="none") == Policy(revocation=Revocation.NONE)
    assert Policy(min_level="b-lt").min_level is Level.B_LT
    assert Policy(min_level=Level.B_T).min_level is Level.B_T
    assert Policy(min_level=None).min_level is None
    assert Policy(min_level="XMLDSig").min_level is None
    assert Policy(min_level="none").min_level is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"revocation": "sometimes"},
        {"revocation": 3},
        {"min_level": "B-Z"},
        {"min_level": 2},
        {"require_schema": "yes"},
        {"allow_legacy": 1},
    ],
)
def test_policy_rejects_invalid_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(PolicyError):
        Policy(**kwargs)  # type: ignore[arg-type]


def test_policy_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Policy().allow_legacy = True  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# Trust store


def test_trust_store_from_pem_bytes_text_and_paths(pki: TestPKI, tmp_path: Path) -> None:
    pem = pki.trust_pem()
    f = tmp_path / "root.pem"
    f.write_bytes(pem)
    stores = [
        TrustStore.from_pem(pem),
        TrustStore.from_pem(pem.decode()),
        TrustStore.from_pem(f),
        TrustStore.from_pem(str(f)),
        TrustStore.from_certificates([pki.root.cert]),
        TrustStore.from_certificates([pki.root.cert_der]),
    ]
    assert all(s == stores[0] for s in stores)
    assert len(stores[0]) == 1


def test_trust_store_reads_several_certificates_and_merges(pki: TestPKI) -> None:
    other = TestPKI.generate()
    both = TrustStore.from_pem(pki.trust_pem() + other.trust_pem())
    assert len(both) == 2
    merged = TrustStore.from_pem(pki.trust_pem()) + TrustStore.from_pem(other.trust_pem())
    assert merged == both
    assert TrustStore.from_pem(pki.trust_pem()).merge(both) == both


@pytest.mark.parametrize("bad", [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nxx"])
def test_trust_store_refuses_unusable_data(bad: bytes) -> None:
    with pytest.raises(CertificateError):
        TrustStore.from_pem(bad)


def test_trust_store_missing_file_is_a_certificate_error(tmp_path: Path) -> None:
    with pytest.raises(CertificateError):
        TrustStore.from_pem(tmp_path / "missing.pem")


def test_verifier_refuses_an_empty_trust_store_and_a_naive_time(trust: TrustStore) -> None:
    with pytest.raises(PolicyError):
        Verifier(trust=TrustStore([]))
    with pytest.raises(PolicyError):
        Verifier(trust=trust).assess(b"<a/>", at=dt.datetime(2026, 1, 1))


# ---------------------------------------------------------------------------------------------
# Reports


def test_report_of_a_valid_signature_names_everything(
    signed_edoc: bytes, verifier: Verifier, pki: TestPKI
) -> None:
    # assess(), not verify(): this is the report a caller gets without the content.
    report = verifier.assess(signed_edoc)
    assert report.passed, explain_verification(report)
    assert report.indication is Indication.TOTAL_PASSED
    assert report.indication == "TOTAL-PASSED"
    assert report.sub_indication is None
    (sig,) = report.signatures
    assert sig.signer == pki.signer.cert.subject.rfc4514_string()
    assert sig.chain == tuple(
        c.cert.subject.rfc4514_string() for c in (pki.signer, pki.intermediate, pki.root)
    )[::-1] or sig.chain == tuple(
        c.cert.subject.rfc4514_string() for c in (pki.signer, pki.intermediate, pki.root)
    )
    assert sig.level is Level.B_B
    assert sig.algorithm == "rsa-sha256"
    assert sig.claimed_signing_time is not None
    assert sig.timestamp_times == ()
    assert sig.revocation == "not checked"
    assert "whole document" in sig.covers
    assert sig.covers_th
    names = [c.name for c in sig.checks]
    assert names.index("shape") < names.index("reference-document") < names.index("chain")
    assert all(c.passed for c in sig.checks)
    revocation = next(c for c in sig.checks if c.name == "revocation")
    assert "not checked" in revocation.message_en


def test_report_to_dict_is_json_ready_and_summaries_are_bilingual(
    signed_edoc: bytes, verifier: Verifier
) -> None:
    report = verifier.assess(signed_edoc.replace(b"<ec:ID>", b"<ec:ID>X", 1))
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["indication"] == "TOTAL-FAILED"
    assert data["sub_indication"] == "HASH_FAILURE"
    sig = data["signatures"][0]
    for key in ("signer", "level", "signing_time", "algorithm", "checks", "covers"):
        assert key in sig
    failed = [c for c in sig["checks"] if not c["passed"]]
    assert failed[0]["name"] == "reference-document"
    assert "changed since it was signed" in report.summary_en()
    assert "ถูกแก้ไข" in report.summary("th")
    with pytest.raises(VerificationError) as info:
        report.raise_for_status()
    assert "HASH_FAILURE" in str(info.value)
    assert info.value.report is report


def test_plain_xmldsig_report_says_not_ades(signed_plain_xmldsig: bytes, lenient: Verifier) -> None:
    # assess() takes a shortcut for content it neither hands out nor validates: pin its report.
    report = lenient.assess(signed_plain_xmldsig)
    assert report.passed, explain_verification(report)
    assert report.signatures[0].level is Level.XMLDSIG
    assert report.to_dict()["signatures"][0]["level_description"] == "XMLDSig, not AdES"
    assert "XMLDSig, not AdES" in report.summary_en()


def test_plain_xmldsig_under_bb_policy_fails_with_a_clear_reason(
    signed_plain_xmldsig: bytes, trust: TrustStore
) -> None:
    v = Verifier(trust=trust, policy=Policy(revocation="none", require_schema=False))
    report = v.assess(signed_plain_xmldsig)
    assert report.sub_indication is S.SIG_CONSTRAINTS_FAILURE
    assert "not AdES" in report.message_en
    assert "min_level" in report.message_en


def test_higher_minimum_level_than_present_fails(signed_edoc: bytes, trust: TrustStore) -> None:
    v = Verifier(trust=trust, policy=Policy(revocation="none", min_level="B-LTA"))
    assert v.assess(signed_edoc).sub_indication is S.SIG_CONSTRAINTS_FAILURE


# ---------------------------------------------------------------------------------------------
# Sources and bad input


def test_every_kind_of_source_is_accepted(
    signed_edoc: bytes, verifier: Verifier, tmp_path: Path
) -> None:
    f = tmp_path / "doc.edoc.xml"
    f.write_bytes(signed_edoc)
    for source in (signed_edoc, signed_edoc.decode("utf-8"), f, io.BytesIO(signed_edoc)):
        report = verifier.assess(source)  # type: ignore[arg-type]
        assert report.passed, explain_verification(report)


@pytest.mark.parametrize(
    "data", [b"", b"\x00\x01\x02", b"<a>", b"not xml", b'<?xml version="1.1"?><a/>']
)
def test_bad_input_gives_a_format_failure_report_not_an_exception(
    data: bytes, verifier: Verifier
) -> None:
    report = verifier.assess(data)
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        S.FORMAT_FAILURE,
    )
    assert report.checks[0].name == "read" and not report.checks[0].passed
    with pytest.raises(VerificationError):
        verifier.verify(data)


def test_missing_file_gives_a_report(verifier: Verifier, tmp_path: Path) -> None:
    report = verifier.assess(tmp_path / "nope.xml")
    assert report.sub_indication is S.FORMAT_FAILURE
    assert "could not be read" in report.message_en


def test_unsigned_document_fails(verifier: Verifier) -> None:
    report = verifier.assess(sample_xml())
    assert report.sub_indication is S.FORMAT_FAILURE
    assert "no signature" in report.message_en


# ---------------------------------------------------------------------------------------------
# What the caller receives


def test_verified_edoc_is_re_read_from_the_signed_bytes(
    signed_edoc: bytes, verifier: Verifier
) -> None:
    verified = assert_verifies(signed_edoc, verifier)
    assert verified.document == sample_document()
    assert b"Signature" not in verified.signed_bytes
    reread = parse(verified.signed_bytes)
    assert decode(reread) == verified.document
    assert verified.report.passed


def test_non_edoc_xml_verifies_with_no_document_model(
    signed_plain: bytes, verifier: Verifier
) -> None:
    verified = assert_verifies(signed_plain, verifier)
    assert verified.document is None
    assert verified.tree.getroot().tag == "{urn:example:invoice}Invoice"
    assert b"INV-0001" in verified.signed_bytes


def test_invalid_edoc_fails_under_schema_policy_and_passes_without(
    rsa_signer: Signer, trust: TrustStore
) -> None:
    bad = sample_xml().replace(b"<ec:TypeCode>LICENCE<", b"<ec:TypeCode>BOGUS<", 1)
    assert bad != sample_xml()
    signed = sign(bad, rsa_signer, schema=SchemaCheck.SKIP)
    strict = Verifier(trust=trust, policy=Policy(revocation="none"))
    report = strict.assess(signed)
    assert report.sub_indication is S.FORMAT_FAILURE
    assert report.schema_report is not None and not report.schema_report.valid
    assert "not a valid EDOC document" in report.message_en
    assert all(s.passed for s in report.signatures)
    loose = Verifier(trust=trust, policy=Policy(revocation="none", require_schema=False))
    assert_verifies(signed, loose)


def test_parallel_signatures_both_verify_and_content_excludes_them(
    pki: TestPKI, rsa_signer: Signer, verifier: Verifier
) -> None:
    first = sign(sample_xml(), rsa_signer, cosign=Cosign.ALLOW)
    second = sign(first, signer_for(pki.signer_ec, pki))
    verified = assert_verifies(second, verifier)
    report = verified.report
    assert len(report.signatures) == 2
    assert {s.signer for s in report.signatures} == {
        pki.signer.cert.subject.rfc4514_string(),
        pki.signer_ec.cert.subject.rfc4514_string(),
    }
    assert "except its signatures" in report.signatures[0].covers
    assert b"Signature" not in verified.signed_bytes
    # Breaking one of them breaks the whole outcome.
    broken = second.replace(b"<ec:ID>", b"<ec:ID>X", 1)
    assert verifier.assess(broken).sub_indication is S.HASH_FAILURE


# ---------------------------------------------------------------------------------------------
# Validation time


def test_validation_time_is_settable(signed_edoc: bytes, verifier: Verifier, pki: TestPKI) -> None:
    assert_verifies(signed_edoc, verifier, at=pki.now)
    later = pki.signer.cert.not_valid_after_utc + dt.timedelta(days=1)
    assert verifier.assess(signed_edoc, at=later).sub_indication is S.OUT_OF_BOUNDS_NO_POE
    earlier = pki.signer.cert.not_valid_before_utc - dt.timedelta(days=1)
    assert verifier.assess(signed_edoc, at=earlier).sub_indication is S.NOT_YET_VALID
    # A cached pass never leaks into a later validation time.
    assert_verifies(signed_edoc, verifier, at=pki.now)


def test_verification_works_inside_a_running_event_loop(
    signed_edoc: bytes, trust: TrustStore
) -> None:
    async def inner() -> None:
        v = Verifier(trust=trust, policy=Policy(revocation="none"))
        assert_verifies(signed_edoc, v)

    asyncio.run(inner())


# ---------------------------------------------------------------------------------------------
# Revocation


@pytest.fixture(scope="module")
def crls(pki: TestPKI) -> tuple[bytes, bytes]:
    """A CRL of the issuing CA (nothing revoked) and one of the root (for the intermediate)."""
    return pki.crl(), pki.crl(issuer=pki.root)


def test_offline_without_data_is_indeterminate_with_advice(
    signed_edoc: bytes, trust: TrustStore
) -> None:
    report = Verifier(trust=trust).assess(signed_edoc)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, S.TRY_LATER)
    assert "--crl" in report.message_en and "--revocation online" in report.message_en
    assert report.signatures[0].revocation == "unknown"


def test_offline_with_caller_crls_passes_and_says_good(
    signed_edoc: bytes, trust: TrustStore, crls: tuple[bytes, bytes]
) -> None:
    report = assert_verifies(signed_edoc, Verifier(trust=trust, crls=crls)).report
    assert report.signatures[0].revocation == "good"


def test_crls_may_be_given_as_pem(
    signed_edoc: bytes, trust: TrustStore, crls: tuple[bytes, bytes]
) -> None:
    pems = [x509.load_der_x509_crl(c).public_bytes(serialization.Encoding.PEM) for c in crls]
    assert_verifies(signed_edoc, Verifier(trust=trust, crls=pems))


def test_revoked_signer_without_poe_is_revoked_no_poe(
    pki: TestPKI, trust: TrustStore, crls: tuple[bytes, bytes]
) -> None:
    signed = sign(sample_xml(), signer_for(pki.revoked_signer, pki))
    crl = pki.crl([(pki.revoked_signer.cert, pki.now - dt.timedelta(hours=1))])
    report = Verifier(trust=trust, crls=[crl, crls[1]]).assess(signed)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        S.REVOKED_NO_POE,
    )
    assert report.signatures[0].revocation == "revoked"


def test_crl_from_another_issuer_does_not_count(
    signed_edoc: bytes, trust: TrustStore, crls: tuple[bytes, bytes]
) -> None:
    other = TestPKI.generate()
    report = Verifier(trust=trust, crls=[other.crl(), crls[1]]).assess(signed_edoc)
    assert report.sub_indication is S.TRY_LATER


def test_revoked_intermediate_ca_is_revoked_ca_no_poe(
    pki: TestPKI, signed_edoc: bytes, crls: tuple[bytes, bytes]
) -> None:
    root_crl = pki.crl([(pki.intermediate.cert, pki.now - dt.timedelta(hours=1))], issuer=pki.root)
    report = Verifier(trust=TrustStore.from_pem(pki.trust_pem()), crls=[crls[0], root_crl]).assess(
        signed_edoc
    )
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        S.REVOKED_CA_NO_POE,
    )
    assert "CA certificate" in report.message_en and report.message_th


def test_stale_crl_does_not_count(pki: TestPKI, signed_edoc: bytes, trust: TrustStore) -> None:
    old = pki.now - dt.timedelta(days=30)
    stale = pki.crl(this_update=old, next_update=old + dt.timedelta(days=1))
    report = Verifier(trust=trust, crls=[stale, pki.crl(issuer=pki.root)]).assess(signed_edoc)
    assert report.sub_indication is S.TRY_LATER


def test_revocation_none_says_not_checked(signed_edoc: bytes, verifier: Verifier) -> None:
    assert verifier.assess(signed_edoc).signatures[0].revocation == "not checked"


def test_revocation_source_is_pluggable(
    signed_edoc: bytes, trust: TrustStore, crls: tuple[bytes, bytes]
) -> None:
    seen: list[str] = []

    class Fetcher:
        def gather(
            self,
            signer: x509.Certificate,
            others: Sequence[x509.Certificate],
            at: dt.datetime,
            embedded: RevocationData,
        ) -> RevocationData:
            seen.append(signer.subject.rfc4514_string())
            return RevocationData(crls=crls)

    v = Verifier(trust=trust, policy=Policy(revocation="online"), revocation_source=Fetcher())
    assert_verifies(signed_edoc, v)
    assert seen
    offline = OfflineRevocation(RevocationData(crls=crls))
    assert_verifies(signed_edoc, Verifier(trust=trust, revocation_source=offline))


def test_signer_certificate_is_taken_from_keyinfo_order_independently(
    pki: TestPKI, signed_plain: bytes, lenient: Verifier
) -> None:
    # The intermediate first, the signer second: the certificate that verifies is the signer.
    data = resign(
        signed_plain, pki.signer.key, certs=[pki.intermediate.cert, pki.signer.cert], named=1
    )
    report = assert_verifies(data, lenient).report
    assert report.signatures[0].signer == pki.signer.cert.subject.rfc4514_string()


def test_offline_uses_revocation_values_carried_in_the_document(
    signed_edoc: bytes, trust: TrustStore, crls: tuple[bytes, bytes]
) -> None:
    from _forge import X, signatures
    from lxml import etree

    root = etree.fromstring(signed_edoc)
    qp = signatures(root)[0].find(f".//{X}QualifyingProperties")
    assert qp is not None
    usp = etree.SubElement(
        etree.SubElement(qp, f"{X}UnsignedProperties"), f"{X}UnsignedSignatureProperties"
    )
    values = etree.SubElement(etree.SubElement(usp, f"{X}RevocationValues"), f"{X}CRLValues")
    for crl in crls:
        etree.SubElement(values, f"{X}EncapsulatedCRLValue").text = base64.b64encode(crl).decode()
    data = etree.tostring(root)
    report = assert_verifies(data, Verifier(trust=trust)).report
    assert report.signatures[0].revocation == "good"


def test_offline_accepts_a_caller_supplied_ocsp_response() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import ocsp

    # OCSP is consulted for certificates that name a responder (AIA); the URL below is never
    # contacted: offline mode does not fetch.
    pki = TestPKI.generate(ocsp_url="http://127.0.0.1:9/ocsp")
    signed = sign(sample_xml(), signer_for(pki.signer, pki))
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=pki.signer.cert,
            issuer=pki.intermediate.cert,
            algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=pki.now,
            next_update=pki.now + dt.timedelta(days=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, pki.ocsp_responder.cert)
        .certificates([pki.ocsp_responder.cert])
    )
    response = builder.sign(pki.ocsp_responder.key, hashes.SHA256())  # type: ignore[arg-type]
    der = response.public_bytes(serialization.Encoding.DER)
    trust = TrustStore.from_pem(pki.trust_pem())
    at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    root_crl = pki.crl(issuer=pki.root)
    verifier = Verifier(trust=trust, crls=[root_crl], ocsp_responses=[der])
    report = assert_verifies(signed, verifier, at=at).report
    assert report.signatures[0].revocation == "good"
    # Without the response, the same validation is indeterminate.
    without = Verifier(trust=trust, crls=[root_crl]).assess(signed, at=at)
    assert without.sub_indication is S.TRY_LATER


def test_an_unexpected_error_in_a_check_becomes_a_report(
    signed_plain: bytes, lenient: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    import edocstd.verify._verifier as module

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(module, "read_signature", broken)
    report = lenient.assess(signed_plain)
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        S.FORMAT_FAILURE,
    )
    assert "could not be processed" in report.message_en


def test_online_mode_without_reachable_revocation_data_is_try_later() -> None:
    # A PKI whose certificates name no OCSP responder or CRL, so nothing can be fetched
    # (and nothing is contacted); the outcome must not be a pass.
    bare = TestPKI.generate()
    signed = sign(sample_xml(), signer_for(bare.signer, bare))
    trust = TrustStore.from_pem(bare.trust_pem())
    report = Verifier(trust=trust, policy=Policy(revocation="online")).assess(signed)
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, S.TRY_LATER)
    assert "try again later" in report.message_en
