"""The pytest plugin: its fixtures work together (one PKI, real services), and an outside test
suite gets them, and readable failures, with no configuration at all."""

from __future__ import annotations

import re
import textwrap

import pytest
from cryptography import x509

from edocstd import Level, Policy, Signer, TrustStore, Verifier, extend, sign
from edocstd.ltv import TimeStampClient, crl_urls, ocsp_urls
from edocstd.testing import plugin
from edocstd.testing.assertions import assert_fails_verification, assert_verifies
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.testing.services import TEST_TSA_POLICY, TestServices

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def signed(edoc_signer: Signer) -> bytes:
    return sign(sample_xml(), edoc_signer)


# ------------------------------------------------------------------- one PKI, real services


def test_the_pki_certificates_name_the_running_services(
    edoc_pki: TestPKI, edoc_services: TestServices, edoc_ocsp: str
) -> None:
    assert edoc_pki is edoc_services.pki
    assert edoc_ocsp == edoc_services.ocsp.url
    for issued in (edoc_pki.signer, edoc_pki.signer_ec, edoc_pki.revoked_signer):
        assert ocsp_urls(issued.cert) == [edoc_ocsp]
        assert crl_urls(issued.cert) == [edoc_services.crl.url_for("intermediate")]
    assert crl_urls(edoc_pki.intermediate.cert) == [edoc_services.crl.url_for("root")]


def test_signer_and_trust_are_the_pkis(
    edoc_signer: Signer, edoc_revoked_signer: Signer, edoc_trust: TrustStore, edoc_pki: TestPKI
) -> None:
    assert edoc_signer.certificate == edoc_pki.signer.cert
    assert edoc_revoked_signer.certificate == edoc_pki.revoked_signer.cert
    assert list(edoc_signer.chain) == [edoc_pki.intermediate.cert]
    assert len(edoc_trust) == 1


def test_the_tsa_fixture_stamps_with_the_test_policy(edoc_tsa: str, edoc_pki: TestPKI) -> None:
    token = TimeStampClient(edoc_tsa).stamp(b"licence")
    assert token.policy == TEST_TSA_POLICY


def test_a_b_lta_signature_verifies_with_no_revocation_data_supplied(
    signed: bytes, edoc_tsa: str, edoc_pki: TestPKI, edoc_trust: TrustStore
) -> None:
    archived = extend(
        signed, Level.B_LTA, tsa=TimeStampClient(edoc_tsa), extra_certs=[edoc_pki.root.cert]
    )
    # Default policy: offline revocation, from what the document carries.
    verified = assert_verifies(archived, Verifier(trust=edoc_trust))
    assert verified.report.signatures[0].level is Level.B_LTA
    # The same B-B signature alone cannot be judged offline without CRLs.
    assert_fails_verification(signed, Verifier(trust=edoc_trust), sub_indication="TRY_LATER")


def test_online_verification_asks_the_running_responder(
    signed: bytes, edoc_services: TestServices, edoc_ocsp: str, edoc_trust: TrustStore
) -> None:
    before = edoc_services.ocsp.requests
    assert_verifies(signed, edoc_trust, policy=Policy(revocation="online"))
    assert edoc_services.ocsp.requests > before


def test_the_revoked_signer_is_revoked_online_too(
    edoc_revoked_signer: Signer, edoc_ocsp: str, edoc_trust: TrustStore
) -> None:
    signed = sign(sample_xml(), edoc_revoked_signer)
    assert_fails_verification(
        signed,
        edoc_trust,
        policy=Policy(revocation="online"),
        indication="INDETERMINATE",
        sub_indication="REVOKED_NO_POE",
    )


def test_edoc_crls_follow_revocations_made_during_the_session(
    edoc_services: TestServices, edoc_crls: tuple[bytes, bytes]
) -> None:
    pki = edoc_services.pki
    intermediate, root = (x509.load_der_x509_crl(d) for d in edoc_crls)
    assert intermediate.issuer == pki.intermediate.cert.subject
    assert root.issuer == pki.root.cert.subject
    revoked = intermediate.get_revoked_certificate_by_serial_number
    assert revoked(pki.revoked_signer.cert.serial_number) is not None
    assert revoked(pki.signer.cert.serial_number) is None
    # A certificate of this test's own, so no other test sees the change.
    mine = pki.issue("Revoked In This Test")
    edoc_services.revoke(mine.cert, pki.now)
    now_intermediate = x509.load_der_x509_crl(edoc_services.crls()[0])
    assert now_intermediate.get_revoked_certificate_by_serial_number(mine.cert.serial_number)


# ------------------------------------------------------------- as an outside suite sees it


def test_an_outside_suite_gets_every_documented_fixture(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    listed = set(re.findall(r"^(edoc_\w+)", result.stdout.str(), flags=re.MULTILINE))
    documented = set(re.findall(r"^ {4}``(edoc_\w+)``$", plugin.__doc__ or "", re.MULTILINE))
    assert listed == documented
    assert {"edoc_pki", "edoc_signer", "edoc_trust", "edoc_tsa", "edoc_ocsp"} <= listed


def test_an_outside_suite_signs_and_verifies_with_no_configuration(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_outside="""
        from edocstd import Verifier, dump, sign
        from edocstd.testing.assertions import assert_valid, assert_verifies

        def test_signed_licence(edoc_document, edoc_signer, edoc_trust, edoc_crls):
            assert_valid(edoc_document)
            signed = sign(dump(edoc_document), edoc_signer)
            verified = assert_verifies(signed, Verifier(trust=edoc_trust, crls=edoc_crls))
            assert verified.document == edoc_document
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_failing_assertion_prints_the_report_and_points_at_the_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_outside="""
        import dataclasses
        from edocstd.model import Identifier
        from edocstd.testing.assertions import assert_valid

        def test_bad_issuer_code(edoc_document_factory, edoc_document):
            issuer = dataclasses.replace(edoc_document.issuer, id=Identifier.gov("diw"))
            doc = edoc_document_factory(issuer=issuer)
            assert_valid(doc)  # the line the failure must point at
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            ">*assert_valid(doc)  # the line the failure must point at",
            "E*AssertionError: the document is not valid / เอกสารไม่ถูกต้อง",
            "E*1 problem / พบปัญหา 1 รายการ:",
            "E*1. EDOC-R016 at /ec:ElectronicCertificate/ec:IssuerParty/ec:ID (line *)",
            "E*en: *",
            "E*th: *",
        ]
    )
    # The helper's own frames are hidden: the traceback ends in the test.
    assert "assertions.py" not in result.stdout.str()


def test_a_failing_verification_prints_the_failed_check(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_outside="""
        from edocstd import dump, sign
        from edocstd.testing.assertions import assert_verifies

        def test_tampered(edoc_document, edoc_signer, edoc_trust):
            signed = sign(dump(edoc_document), edoc_signer)
            assert_verifies(signed.replace(b"Example Foods", b"Exempla Foods"), edoc_trust)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*the signature did not verify / ลายมือชื่อไม่ผ่านการตรวจสอบ",
            "E*outcome: TOTAL-FAILED/HASH_FAILURE",
            "E*[[]FAIL[]] reference-document: Digest of the signed document / *",
            "E*en: the document has been changed since it was signed*",
        ]
    )


def _literal_blocks(doc: str) -> list[str]:
    """The ``::`` code blocks of a reStructuredText docstring, dedented."""
    blocks = re.findall(r"::\n\n((?:(?: {4}.*)?\n)+)", doc)
    return [textwrap.dedent(b) for b in blocks]


def test_the_documented_examples_pass_in_an_outside_suite(pytester: pytest.Pytester) -> None:
    from edocstd.testing import assertions

    blocks = _literal_blocks(plugin.__doc__ or "") + _literal_blocks(assertions.__doc__ or "")
    assert len(blocks) == 4
    for i, block in enumerate(blocks):
        pytester.makepyfile(**{f"test_documented_{i}": block})
    # Few examples for the documented property test: it shows usage, it tests nothing new
    # here. In a subprocess, because loading a hypothesis profile is process-wide.
    pytester.makeconftest(
        "from hypothesis import settings\n"
        "settings.register_profile('brief', max_examples=5)\n"
        "settings.load_profile('brief')\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
