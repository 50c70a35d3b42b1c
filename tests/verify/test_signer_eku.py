"""The signer's extended key usage: a trust service's certificate is not a document signer's.

Attack (security review, finding 5): a document signed with the key of the time-stamping
unit's or the OCSP responder's certificate (both chain to the trusted CA, both carry
digitalSignature) was accepted as a document signature, because only the key usage was looked
at. A stolen or misused service key could then sign documents in the service's name.
"""

from __future__ import annotations

import pytest
from _forge import PLAIN_XML, signer_for
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from edocstd.sign._sign import SchemaCheck, sign
from edocstd.testing.assertions import assert_verifies
from edocstd.testing.pki import Issued, TestPKI
from edocstd.verify import Indication, Policy, SubIndication, TrustStore, Verifier

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@pytest.fixture(scope="module")
def checking(pki: TestPKI) -> Verifier:
    """Revocation checked offline with both CAs' (empty) CRLs, as a relying party would."""
    return Verifier(
        TrustStore.from_pem(pki.trust_pem()),
        Policy(revocation="offline"),
        crls=[pki.crl(), pki.crl(issuer=pki.root)],
    )


def _signed_by(who: Issued, pki: TestPKI) -> bytes:
    return sign(PLAIN_XML, signer_for(who, pki), schema=SchemaCheck.SKIP)


@pytest.mark.parametrize("service", ["tsa", "ocsp_responder"])
def test_a_trust_service_certificate_is_refused_as_document_signer(
    pki: TestPKI, checking: Verifier, service: str
) -> None:
    # Attack: sign a document with the TSA's / OCSP responder's own key and certificate.
    report = checking.assess(_signed_by(getattr(pki, service), pki))
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    sig = report.signatures[0]
    assert "trust service" in sig.message_en
    assert "ผู้ให้บริการ" in sig.message_th
    failed = [c for c in sig.checks if not c.passed]
    assert [c.name for c in failed] == ["key-usage"]


def test_service_purposes_only_are_refused_together(pki: TestPKI, checking: Verifier) -> None:
    both = pki.issue(
        "Time-stamping and OCSP service",
        key_usage="signer",
        eku=[ExtendedKeyUsageOID.TIME_STAMPING, ExtendedKeyUsageOID.OCSP_SIGNING],
    )
    report = checking.assess(_signed_by(both, pki))
    assert report.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert "OCSPSigning, timeStamping" in report.signatures[0].message_en


@pytest.mark.parametrize(
    "purposes",
    [
        None,
        [DOCUMENT_SIGNING],
        [ExtendedKeyUsageOID.EMAIL_PROTECTION],
        [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION],
        [ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE],
        [ExtendedKeyUsageOID.TIME_STAMPING, DOCUMENT_SIGNING],
    ],
    ids=["no-eku", "documentSigning", "emailProtection", "client+email", "any", "ts+docsign"],
)
def test_document_signing_purposes_are_accepted(
    pki: TestPKI, checking: Verifier, purposes: list[x509.ObjectIdentifier] | None
) -> None:
    who = pki.issue("Officer with an extended key usage", eku=purposes)
    assert_verifies(_signed_by(who, pki), checking)


@pytest.mark.parametrize("name", ["signer", "signer_ec", "signer_ed25519"])
def test_the_test_pki_signers_still_pass(pki: TestPKI, checking: Verifier, name: str) -> None:
    assert_verifies(_signed_by(getattr(pki, name), pki), checking)
