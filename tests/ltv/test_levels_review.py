"""Regression tests for three loose ends of B-T/B-LT/B-LTA production found in review.

* an ``ec:InclusiveNamespaces PrefixList`` on a reference's exclusive canonicalization was
  ignored when the archive time-stamp imprint was computed;
* computing an archive time-stamp imprint added an empty ``xades:UnsignedProperties``;
* B-LT production embedded a delegated OCSP responder's answers without the responder's
  own status, which the verifier requires (RFC 6960 §4.2.2.2.1).

Everything runs against the real loopback services (TSA, ``openssl ocsp``, CRL server).
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, XADES
from edocstd.errors import NetworkError
from edocstd.ltv import RevocationError, TimeStampClient, embedded_validation_data, extend
from edocstd.ltv._levels import archive_timestamp_digest
from edocstd.schema._parser import parse
from edocstd.sign._algorithms import C14N, DigestAlgorithm
from edocstd.sign._c14n import c14n, digest_tree
from edocstd.sign._sign import SchemaCheck, sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import Issued, TestPKI
from edocstd.testing.services import TestServices
from edocstd.verify import Policy, TrustStore, Verifier

DOC = (Path(__file__).parents[1] / "vectors" / "sign" / "plain-invoice.xml").read_bytes()
_D = f"{{{DS}}}"
_X = f"{{{XADES}}}"
_EXC_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"


def _signer(pki: TestPKI) -> Signer:
    return Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, chain_pem=pki.chain_pem())


def _signed(pki: TestPKI) -> bytes:
    return sign(DOC, _signer(pki), schema=SchemaCheck.SKIP)


def _verifier(pki: TestPKI, min_level: str, revocation: str = "offline") -> Verifier:
    return Verifier(
        TrustStore.from_pem(pki.trust_pem()),
        Policy(revocation=revocation, min_level=min_level),
    )


def _with_prefix_list(doc: bytes, pki: TestPKI, prefixes: str) -> bytes:
    """Re-sign ``doc`` with an ``ec:InclusiveNamespaces PrefixList`` on the exclusive
    canonicalization of its whole-document reference, as signxml and others write it."""
    tree = parse(doc)
    sig = tree.getroot().find(f"{_D}Signature")
    assert sig is not None
    ref = sig.find(f"{_D}SignedInfo/{_D}Reference[@URI='']")
    assert ref is not None
    transform = ref.findall(f"{_D}Transforms/{_D}Transform")[-1]
    assert transform.get("Algorithm") == C14N.EXC.value
    etree.SubElement(
        transform, f"{{{_EXC_NS}}}InclusiveNamespaces", PrefixList=prefixes, nsmap={"ec": _EXC_NS}
    )
    value = digest_tree(tree, C14N.EXC, DigestAlgorithm.SHA256, [sig], prefixes.split())
    dv = ref.find(f"{_D}DigestValue")
    assert dv is not None
    dv.text = base64.b64encode(value).decode("ascii")
    signed_info = sig.find(f"{_D}SignedInfo")
    assert signed_info is not None
    key = pki.signer.key
    assert isinstance(key, rsa.RSAPrivateKey)
    sv = sig.find(f"{_D}SignatureValue")
    assert sv is not None
    sv.text = base64.b64encode(
        key.sign(c14n(signed_info, C14N.EXC), padding.PKCS1v15(), hashes.SHA256())
    ).decode("ascii")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


# ------------------------------------------------------- 1. InclusiveNamespaces PrefixList


def test_prefix_list_changes_the_reference_digest_of_the_vector() -> None:
    # The test below only proves something if the prefix list matters: the vector declares a
    # namespace it never uses, which exclusive canonicalization drops unless it is listed.
    tree = parse(DOC)
    plain = digest_tree(tree, C14N.EXC, DigestAlgorithm.SHA256)
    listed = digest_tree(tree, C14N.EXC, DigestAlgorithm.SHA256, (), ["unused"])
    assert plain != listed


def test_reference_with_a_prefix_list_is_extended_to_b_lta_and_verifies_offline(
    env: TestServices,
) -> None:
    pki = env.pki
    doc = _with_prefix_list(_signed(pki), pki, "unused")
    sound = _verifier(pki, "B-B", revocation="none").assess(doc)  # the re-signing is right
    assert sound.passed, sound.summary_en()
    lta = extend(doc, Level.B_LTA, tsa=TimeStampClient(env.tsa.url), extra_certs=[pki.root.cert])
    report = _verifier(pki, "B-LTA").assess(lta)
    assert report.passed, report.summary_en()
    assert report.signatures[0].level is Level.B_LTA


def test_prefix_list_that_does_not_match_the_digest_is_still_refused_for_time_stamping(
    env: TestServices,
) -> None:
    # The prefix list is honoured, not bypassed: a list other than the one digested gives
    # other octets, and a mismatch is never time-stamped.
    pki = env.pki
    tree = parse(_with_prefix_list(_signed(pki), pki, "unused"))
    listed = tree.getroot().find(f".//{{{_EXC_NS}}}InclusiveNamespaces")
    assert listed is not None
    listed.set("PrefixList", "inv")
    sig = tree.getroot().find(f"{_D}Signature")
    assert sig is not None
    with pytest.raises(Exception, match="does not match its DigestValue"):
        archive_timestamp_digest(tree, sig, C14N.EXC, "sha256")


# ------------------------------------------------------- 2. reading never mutates


def test_computing_the_archive_imprint_leaves_the_tree_byte_identical(
    env: TestServices,
) -> None:
    tree = parse(_signed(env.pki))  # B-B: no xades:UnsignedProperties yet
    sig = tree.getroot().find(f"{_D}Signature")
    assert sig is not None
    before = etree.tostring(tree)
    assert sig.find(f".//{_X}UnsignedProperties") is None
    archive_timestamp_digest(tree, sig, C14N.EXC, "sha256")
    assert etree.tostring(tree) == before


def test_archive_imprint_is_the_same_with_or_without_an_empty_unsigned_container(
    env: TestServices,
) -> None:
    tree = parse(_signed(env.pki))
    sig = tree.getroot().find(f"{_D}Signature")
    assert sig is not None
    without = archive_timestamp_digest(tree, sig, C14N.EXC, "sha256")
    qp = sig.find(f".//{_X}QualifyingProperties")
    assert qp is not None
    etree.SubElement(
        etree.SubElement(qp, f"{_X}UnsignedProperties"), f"{_X}UnsignedSignatureProperties"
    )
    assert archive_timestamp_digest(tree, sig, C14N.EXC, "sha256") == without


# ------------------------------------------------------- 3. delegated OCSP responder status


def _delegated_responder(services: TestServices) -> Issued:
    """Make the OCSP service answer with a delegated responder lacking ocsp-nocheck."""
    pki = services.pki
    responder = pki.issue(
        "Delegated OCSP responder without nocheck",
        key_usage="ocsp",
        eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
    )
    services.ocsp.set_authority(pki.intermediate, responder)
    return responder


def _sign_b_lt(services: TestServices) -> bytes:
    """``DOC`` signed at B-LT with ``services``' TSA, OCSP responder and CRLs."""
    pki = services.pki
    return sign(
        DOC,
        _signer(pki),
        schema=SchemaCheck.SKIP,
        level=Level.B_LT,
        tsa=services.tsa.url,
        extra_certs=[pki.root.cert],
    )


def test_b_lt_with_a_delegated_responder_without_nocheck_verifies_offline_at_b_lt(
    fresh: TestServices,
) -> None:
    pki = fresh.pki
    responder = _delegated_responder(fresh)
    before = fresh.crl.requests
    lt = _sign_b_lt(fresh)
    assert fresh.crl.requests > before  # the CA's CRL was fetched for the responder
    tree = parse(lt)
    sig = tree.getroot().find(f"{_D}Signature")
    assert sig is not None
    embedded = embedded_validation_data(sig)
    assert embedded.ocsps  # the answers themselves are still embedded
    assert responder.cert_der in embedded.certificates
    report = _verifier(pki, "B-LT").assess(lt)
    assert report.passed, report.summary_en()
    assert report.signatures[0].level is Level.B_LT


def test_b_lt_production_fails_when_the_cas_crl_lists_the_delegated_responder(
    fresh: TestServices,
) -> None:
    pki = fresh.pki
    responder = _delegated_responder(fresh)
    fresh.crl.publish("intermediate", pki.crl([(responder.cert, pki.now - dt.timedelta(hours=2))]))
    with pytest.raises(RevocationError, match="responder"):
        _sign_b_lt(fresh)


def test_b_lt_production_fails_clearly_when_the_responders_crl_cannot_be_fetched(
    fresh: TestServices,
) -> None:
    _delegated_responder(fresh)
    fresh.crl.stop()
    with pytest.raises(NetworkError, match="responder"):
        _sign_b_lt(fresh)


def test_b_lt_with_the_nocheck_responder_embeds_no_crl_of_the_signers_ca(
    env: TestServices,
) -> None:
    # The test PKI's own responder carries id-pkix-ocsp-nocheck: nothing more is needed for
    # it, so no CRL of the intermediate (which would only show the responder's status) goes in.
    pki = env.pki
    lt = _sign_b_lt(env)
    assert _verifier(pki, "B-LT").assess(lt).passed
    sig = parse(lt).getroot().find(f"{_D}Signature")
    assert sig is not None
    issuers = [x509.load_der_x509_crl(der).issuer for der in embedded_validation_data(sig).crls]
    assert pki.intermediate.cert.subject not in issuers
