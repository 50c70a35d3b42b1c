"""Regression tests for false passes found by a security review of the long-term verifier.

Each test names the attack it reproduces; each passed (the attack succeeded) before the fix.
Everything runs against the real loopback services (TSA, ``openssl ocsp``, CRL server).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as x509_ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, XADES, XADES141
from edocstd.ltv import (
    Failure,
    RevocationError,
    TimeStampClient,
    ValidationData,
    add_validation_data,
    build_ocsp_request,
    check_ocsp_response,
    extend,
)
from edocstd.ltv._http import HttpRequest, UrllibClient, exchange
from edocstd.schema._parser import parse
from edocstd.sign._sign import SchemaCheck, sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import Issued, TestPKI, new_key
from edocstd.testing.services import OcspResponder, TestServices, TimeStampAuthority
from edocstd.verify import Indication, Policy, SubIndication, TrustStore, Verifier

DOC = (Path(__file__).parents[1] / "vectors" / "sign" / "plain-invoice.xml").read_bytes()
_D = f"{{{DS}}}"
_X = f"{{{XADES}}}"
_X141 = f"{{{XADES141}}}"


def _signed(pki: TestPKI, who: Issued | None = None) -> bytes:
    who = who or pki.signer
    return sign(
        DOC,
        Signer.from_pem(who.key_pem, who.cert_pem, chain_pem=pki.chain_pem()),
        schema=SchemaCheck.SKIP,
    )


def _verifier(
    pki: TestPKI, *, min_level: str = "B-B", crls: Sequence[bytes] = (), revocation: str = "offline"
) -> Verifier:
    return Verifier(
        TrustStore.from_pem(pki.trust_pem()),
        Policy(revocation=revocation, min_level=min_level),
        crls=crls,
    )


def _ocsp(url: str, cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    body, _ = build_ocsp_request(cert, issuer)
    return exchange(
        UrllibClient(), HttpRequest(url=url, body=body, content_type="application/ocsp-request")
    )


def _with_validation_data(doc: bytes, data: ValidationData) -> bytes:
    tree = parse(doc)
    add_validation_data(tree.getroot().find(f"{_D}Signature"), data)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _crl(
    pki: TestPKI,
    entries: Sequence[tuple[x509.Certificate, dt.datetime, x509.ReasonFlags | None]],
    *,
    this_update: dt.datetime,
    issuer: Issued | None = None,
) -> bytes:
    """A CRL (default issuer: the intermediate) whose entries may carry a CRLReason."""
    issuer = issuer or pki.intermediate
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(this_update)
        .next_update(this_update + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(7), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for cert, when, reason in entries:
        entry = x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
        entry = entry.revocation_date(when)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = builder.sign(issuer.key, hashes.SHA256())  # type: ignore[arg-type]
    return crl.public_bytes(serialization.Encoding.DER)


# ------------------------------------------------------------------ finding 2: TSA revocation


def test_revoked_tsa_does_not_pass_when_the_document_leaves_out_its_revocation_data(
    fresh: TestServices,
) -> None:
    # Attack: the TSA's certificate was revoked (key compromise) an hour before the token was
    # made; the document carries the signer's revocation data but none for the TSA, which
    # was only checked "if available", so the time-stamp and the signature passed.
    pki = fresh.pki
    fresh.revoke(pki.tsa.cert, pki.now - dt.timedelta(hours=1), x509.ReasonFlags.key_compromise)
    bt = extend(_signed(pki), Level.B_T, tsa=TimeStampClient(fresh.tsa.url))
    signer_ocsp = _ocsp(fresh.ocsp.url, pki.signer.cert, pki.intermediate.cert)
    int_crl, root_crl = fresh.crls()
    der = serialization.Encoding.DER
    doc = _with_validation_data(
        bt,
        ValidationData(
            certificates=(pki.intermediate.cert.public_bytes(der), pki.root.cert.public_bytes(der)),
            crls=(root_crl,),
            ocsps=(signer_ocsp,),
        ),
    )
    report = _verifier(pki).assess(doc)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    ), report.summary_en()
    assert "time-stamping unit" in report.message_en and "CRL" in report.message_en
    assert "ผู้ให้บริการประทับเวลา" in report.message_th
    assert report.signatures[0].revocation == "unknown"
    # Given the TSA's CRL, the revocation itself is found.
    report = _verifier(pki, crls=[int_crl]).assess(doc)
    assert report.indication is Indication.INDETERMINATE
    assert not report.signatures[0].timestamps[0].passed


def test_tsa_revocation_is_not_demanded_when_revocation_is_not_checked(
    fresh: TestServices,
) -> None:
    bt = extend(_signed(fresh.pki), Level.B_T, tsa=TimeStampClient(fresh.tsa.url))
    assert _verifier(fresh.pki, revocation="none").assess(bt).passed


# ------------------------------------------------------- finding 3: TSA key compromise


def _bt_and_gen_time(services: TestServices) -> tuple[bytes, dt.datetime]:
    bt = extend(_signed(services.pki), Level.B_T, tsa=TimeStampClient(services.tsa.url))
    report = _verifier(services.pki, revocation="none").assess(bt)
    gen = report.signatures[0].timestamps[0].time
    assert gen is not None
    return bt, gen


@pytest.mark.parametrize(
    "reason",
    [x509.ReasonFlags.key_compromise, x509.ReasonFlags.unspecified, None],
    ids=["keyCompromise", "unspecified", "no-reason"],
)
def test_tokens_of_a_compromised_tsa_key_are_refused_whatever_their_gen_time(
    fresh: TestServices, reason: x509.ReasonFlags | None
) -> None:
    # Attack (RFC 3161 §4): the TSA's key is compromised; whoever holds it makes tokens
    # dated before the revocation, which were accepted because only genTime was compared.
    pki = fresh.pki
    bt, gen = _bt_and_gen_time(fresh)
    revoked_at = gen + dt.timedelta(seconds=30)
    crls = [
        _crl(pki, [(pki.tsa.cert, revoked_at, reason)], this_update=revoked_at),
        pki.crl(issuer=pki.root),
    ]
    report = _verifier(pki, min_level="B-T", crls=crls).assess(bt, at=gen + dt.timedelta(minutes=3))
    assert report.indication is Indication.INDETERMINATE, report.summary_en()
    (stamp,) = report.signatures[0].timestamps
    assert not stamp.passed
    assert "no time-stamp signed with that key can be trusted" in stamp.message_en


def test_tokens_made_before_a_tsa_stopped_for_other_reasons_stand(fresh: TestServices) -> None:
    # A TSA certificate revoked because the service stopped (no compromise): tokens it made
    # before stay valid (RFC 3161 §4).
    pki = fresh.pki
    bt, gen = _bt_and_gen_time(fresh)
    revoked_at = gen + dt.timedelta(seconds=30)
    reason = x509.ReasonFlags.cessation_of_operation
    crls = [
        _crl(
            pki,
            [(pki.tsa.cert, revoked_at, reason), (pki.revoked_signer.cert, revoked_at, None)],
            this_update=revoked_at,
        ),
        pki.crl(issuer=pki.root),
    ]
    report = _verifier(pki, min_level="B-T", crls=crls).assess(bt, at=gen + dt.timedelta(minutes=3))
    assert report.passed, report.summary_en()


def test_an_earlier_archive_time_stamp_of_another_tsa_saves_tokens_of_a_compromised_tsa(
    fresh: TestServices,
) -> None:
    # The one exception: an archive time-stamp by an uncompromised TSA, made before the
    # compromise, proves the older token existed while the key was still safe.
    pki = fresh.pki
    root_tsa = pki.issue(
        "Root-certified archive TSA",
        key=new_key("rsa2048"),
        issuer=pki.root,
        key_usage="timestamp",
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        eku_critical=True,
        with_urls=False,
    )
    lt = extend(
        _signed(pki), Level.B_LT, tsa=TimeStampClient(fresh.tsa.url), extra_certs=[pki.root.cert]
    )
    with TimeStampAuthority(root_tsa) as archive_tsa:
        lta = extend(lt, Level.B_LTA, tsa=TimeStampClient(archive_tsa.url))
    stamps = _verifier(pki, revocation="none").assess(lta).signatures[0].timestamps
    archive_gen = max(s.time for s in stamps if s.time is not None)
    revoked_at = archive_gen + dt.timedelta(seconds=30)
    compromise = _crl(
        pki,
        [(pki.tsa.cert, revoked_at, x509.ReasonFlags.key_compromise)],
        this_update=revoked_at,
    )
    crls = [compromise, pki.crl(issuer=pki.root)]
    later = archive_gen + dt.timedelta(minutes=4)
    report = _verifier(pki, min_level="B-LTA", crls=crls).assess(lta, at=later)
    assert report.passed, report.summary_en()
    # Without that archive time-stamp the same compromise brings the B-LT signature down.
    report = _verifier(pki, crls=crls).assess(lt, at=later)
    assert report.indication is Indication.INDETERMINATE
    assert not report.signatures[0].timestamps[0].passed


# ------------------------------------------------ finding 4: revoked delegated OCSP responder


def _rogue_responder_document(pki: TestPKI) -> tuple[bytes, Issued, dt.datetime]:
    """A revoked signer's document carrying a ``good`` answer from a delegated responder
    (without ``id-pkix-ocsp-nocheck``) whose key was compromised before it answered."""
    responder = pki.issue(
        "Rogue delegated OCSP responder", key_usage="ocsp", eku=[ExtendedKeyUsageOID.OCSP_SIGNING]
    )
    with OcspResponder(pki.intermediate, responder) as ocsp:
        ocsp.add(pki.revoked_signer.cert)
        forged = _ocsp(ocsp.url, pki.revoked_signer.cert, pki.intermediate.cert)
    doc = _with_validation_data(
        _signed(pki, pki.revoked_signer),
        ValidationData(ocsps=(forged,), crls=(pki.crl(issuer=pki.root),)),
    )
    return doc, responder, pki.now - dt.timedelta(hours=2)


def test_good_answer_from_a_revoked_delegated_responder_is_no_evidence(
    fresh: TestServices,
) -> None:
    # Attack (RFC 6960 §4.2.2.2.1): a revoked signer passes on a "good" OCSP answer signed
    # with a stolen delegated-responder key, because the responder's own status was never
    # checked. Now the answer only counts once the responder is shown not revoked.
    pki = fresh.pki
    doc, _, _ = _rogue_responder_document(pki)
    report = _verifier(pki).assess(doc)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    ), report.summary_en()


def test_the_cas_own_ocsp_answer_that_the_responder_is_revoked_is_heeded(
    fresh: TestServices,
) -> None:
    pki = fresh.pki
    doc, responder, t_rev = _rogue_responder_document(pki)
    # The CA itself answers that the responder was revoked: the forged "good" about the
    # signer must not count, so the signer's status stays unknown.
    with OcspResponder(pki.intermediate) as ca_ocsp:
        ca_ocsp.revoke(responder.cert, t_rev, x509.ReasonFlags.key_compromise)
        about_responder = _ocsp(ca_ocsp.url, responder.cert, pki.intermediate.cert)
    doc = _with_validation_data(doc, ValidationData(ocsps=(about_responder,)))
    report = _verifier(pki).assess(doc)
    assert report.sub_indication is SubIndication.TRY_LATER, report.summary_en()
    assert report.signatures[0].revocation == "unknown"
    # With the CA's CRL, which lists both, the signer's revocation is found.
    with_both = pki.crl([(pki.revoked_signer.cert, t_rev), (responder.cert, t_rev)])
    report = _verifier(pki, crls=[with_both]).assess(doc)
    assert report.sub_indication is SubIndication.REVOKED_NO_POE


def test_a_delegated_responder_shown_good_by_the_cas_crl_is_trusted(
    fresh: TestServices,
) -> None:
    pki = fresh.pki
    responder = pki.issue(
        "Checked delegated OCSP responder",
        key_usage="ocsp",
        eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
    )
    with OcspResponder(pki.intermediate, responder) as ocsp:
        ocsp.add(pki.signer.cert)
        answer = _ocsp(ocsp.url, pki.signer.cert, pki.intermediate.cert)
    doc = _with_validation_data(
        _signed(pki), ValidationData(ocsps=(answer,), crls=(pki.crl(issuer=pki.root),))
    )
    assert _verifier(pki).assess(doc).passed is False  # nothing shows the responder's status
    report = _verifier(pki, crls=[pki.crl()]).assess(doc)
    assert report.passed, report.summary_en()


def test_an_ocsp_answer_whose_this_update_is_after_produced_at_is_refused(
    fresh: TestServices,
) -> None:
    # A responder that signs (producedAt) a status dated an hour ahead (thisUpdate): the
    # answer would look fresh long after the status could have changed.
    pki = fresh.pki
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    response = (
        x509_ocsp.OCSPResponseBuilder()
        .add_response(
            cert=pki.signer.cert,
            issuer=pki.intermediate.cert,
            algorithm=hashes.SHA256(),
            cert_status=x509_ocsp.OCSPCertStatus.GOOD,
            this_update=now + dt.timedelta(hours=1),
            next_update=now + dt.timedelta(days=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(x509_ocsp.OCSPResponderEncoding.HASH, pki.intermediate.cert)
        .sign(pki.intermediate.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    der = response.public_bytes(serialization.Encoding.DER)
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(
            der, pki.signer.cert, pki.intermediate.cert, at=now + dt.timedelta(hours=2)
        )
    assert caught.value.failure is Failure.FRESHNESS
    assert "producedAt" in caught.value.message_en


# ---------------------------------------------- finding 1: claimed level versus achieved level


def _edited(doc: bytes, edit: Callable[[etree._Element], None]) -> bytes:
    tree = parse(doc)
    edit(tree.getroot())
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def test_a_second_unsigned_signature_properties_cannot_raise_the_level(
    fresh: TestServices,
) -> None:
    # Attack: a B-LT signature with a garbage ArchiveTimeStamp in a SECOND
    # UnsignedSignatureProperties was reported B-LTA (and passed min_level=B-LTA): the level
    # was read from every container, the time-stamps only from the first.
    pki = fresh.pki
    lt = extend(
        _signed(pki), Level.B_LT, tsa=TimeStampClient(fresh.tsa.url), extra_certs=[pki.root.cert]
    )
    verifier = _verifier(pki, min_level="B-LTA")
    genuine = verifier.assess(lt)
    assert genuine.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE

    def second_usp(root: etree._Element) -> None:
        up = next(root.iter(f"{_X}UnsignedProperties"))
        usp = etree.SubElement(up, f"{_X}UnsignedSignatureProperties")
        ats = etree.SubElement(usp, f"{_X141}ArchiveTimeStamp")
        etree.SubElement(ats, f"{_X}EncapsulatedTimeStamp").text = base64.b64encode(
            b"not a token at all"
        ).decode()

    report = verifier.assess(_edited(lt, second_usp))
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert "more than one xades:UnsignedSignatureProperties" in report.message_en
    assert "มากกว่าหนึ่งชุด" in report.message_th


def test_a_second_unsigned_data_object_properties_is_refused(fresh: TestServices) -> None:
    bt = extend(_signed(fresh.pki), Level.B_T, tsa=TimeStampClient(fresh.tsa.url))

    def twice(root: etree._Element) -> None:
        up = next(root.iter(f"{_X}UnsignedProperties"))
        for _ in range(2):
            etree.SubElement(up, f"{_X}UnsignedDataObjectProperties")

    report = _verifier(fresh.pki, revocation="none").assess(_edited(bt, twice))
    assert report.sub_indication is SubIndication.FORMAT_FAILURE


@pytest.mark.parametrize("container", ["UnsignedProperties", "QualifyingProperties"])
def test_duplicated_unsigned_or_qualifying_properties_stay_refused(
    fresh: TestServices, container: str
) -> None:
    # Guard for the same attack one level up: a second container holding an archive
    # time-stamp must not be read by one part of the verifier and missed by another.
    bt = extend(_signed(fresh.pki), Level.B_T, tsa=TimeStampClient(fresh.tsa.url))

    def duplicate(root: etree._Element) -> None:
        original = next(root.iter(f"{_X}{container}"))
        copy = etree.fromstring(etree.tostring(original))
        for el in copy.iter():
            el.attrib.pop("Id", None)  # no duplicate ID: the container itself must be refused
        if container == "QualifyingProperties":
            holder = etree.SubElement(original.getparent().getparent(), f"{_D}Object")
            holder.append(copy)
        else:
            original.addnext(copy)

    report = _verifier(fresh.pki, revocation="none").assess(_edited(bt, duplicate))
    assert report.sub_indication is SubIndication.FORMAT_FAILURE, report.summary_en()
    expected = {
        "UnsignedProperties": "unexpected element xades:UnsignedProperties",
        "QualifyingProperties": "more than one xades:QualifyingProperties",
    }
    assert expected[container] in report.message_en


def _b_t_with_empty_values(services: TestServices) -> bytes:
    bt = extend(_signed(services.pki), Level.B_T, tsa=TimeStampClient(services.tsa.url))

    def empty_values(root: etree._Element) -> None:
        usp = next(root.iter(f"{_X}UnsignedSignatureProperties"))
        etree.SubElement(usp, f"{_X}CertificateValues")
        etree.SubElement(usp, f"{_X}RevocationValues")

    return _edited(bt, empty_values)


def test_empty_certificate_and_revocation_values_do_not_make_b_lt(fresh: TestServices) -> None:
    # Attack: a B-T signature plus EMPTY CertificateValues/RevocationValues was reported
    # B-LT and passed min_level=B-LT, carrying no validation data at all (the caller's CRLs
    # did the work).
    pki = fresh.pki
    doc = _b_t_with_empty_values(fresh)
    crls = list(fresh.crls())
    report = _verifier(pki, min_level="B-LT", crls=crls).assess(doc)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    ), report.summary_en()
    assert report.signatures[0].level is Level.B_T
    assert "claims B-LT but reaches B-T" in report.message_en
    assert "B-LT" in report.message_th
    # Under a B-T policy it passes, reported as what it is, with the reason.
    report = _verifier(pki, min_level="B-T", crls=crls).assess(doc)
    assert report.passed, report.summary_en()
    assert report.signatures[0].level is Level.B_T
    assert "claims B-LT but reaches B-T" in report.signatures[0].message_en


def test_b_lt_needs_the_tsa_revocation_data_embedded_too(fresh: TestServices) -> None:
    # CertificateValues/RevocationValues that cover the signer but not the TSA: the caller's
    # CRL makes the signature valid, but it is B-T, not B-LT.
    pki = fresh.pki
    bt = extend(_signed(pki), Level.B_T, tsa=TimeStampClient(fresh.tsa.url))
    int_crl, root_crl = fresh.crls()
    der = serialization.Encoding.DER
    doc = _with_validation_data(
        bt,
        ValidationData(
            certificates=(pki.intermediate.cert.public_bytes(der), pki.root.cert.public_bytes(der)),
            crls=(root_crl,),
            ocsps=(_ocsp(fresh.ocsp.url, pki.signer.cert, pki.intermediate.cert),),
        ),
    )
    report = _verifier(pki, min_level="B-T", crls=[int_crl]).assess(doc)
    assert report.passed, report.summary_en()
    assert report.signatures[0].level is Level.B_T
    assert "time-stamping unit" in report.signatures[0].message_en
    report = _verifier(pki, min_level="B-LT", crls=[int_crl]).assess(doc)
    assert report.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    # With the TSA's data embedded as well, it is B-LT.
    full = _with_validation_data(doc, ValidationData(crls=(int_crl,)))
    report = _verifier(pki, min_level="B-LT").assess(full)
    assert report.passed, report.summary_en()
    assert report.signatures[0].level is Level.B_LT


def test_online_mode_fetches_the_status_of_a_delegated_responder_without_nocheck(
    fresh: TestServices,
) -> None:
    # The responder's own status is now required; online mode fetches its CA's CRL so that
    # such a responder's answers still count.
    pki = fresh.pki
    responder = pki.issue(
        "Delegated responder without nocheck",
        key_usage="ocsp",
        eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
    )
    fresh.ocsp.set_authority(pki.intermediate, responder)
    before = fresh.crl.requests
    report = _verifier(pki, revocation="online").assess(_signed(pki))
    assert report.passed, report.summary_en()
    assert fresh.crl.requests > before
