"""Long-term signatures through the public Verifier, against the real loopback services.

Documents are signed at B-B and raised with :func:`edocstd.ltv.extend` (a real TSA, the real
``openssl ocsp`` responder, CRLs over HTTP); the services are then stopped where the scenario
says so, and only :class:`edocstd.verify.Verifier` judges the result.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, XADES, XADES141
from edocstd.errors import PolicyError, VerificationError
from edocstd.ltv import (
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
from edocstd.testing.services import (
    TEST_TSA_POLICY,
    OcspResponder,
    TestServices,
    TimeStampAuthority,
)
from edocstd.verify import Indication, Policy, SubIndication, TrustStore, Verifier

DOC = (Path(__file__).parents[1] / "vectors" / "sign" / "plain-invoice.xml").read_bytes()
_D = f"{{{DS}}}"
_X = f"{{{XADES}}}"
_X141 = f"{{{XADES141}}}"
TEN_YEARS = dt.timedelta(days=3653)


def _signed(services: TestServices, who: Issued | None = None) -> bytes:
    who = who or services.pki.signer
    signer = Signer.from_pem(who.key_pem, who.cert_pem, chain_pem=services.pki.chain_pem())
    return sign(DOC, signer, schema=SchemaCheck.SKIP)


def _extend(services: TestServices, doc: bytes, level: Level, tsa_url: str | None = None) -> bytes:
    return extend(
        doc,
        level,
        tsa=TimeStampClient(tsa_url or services.tsa.url),
        extra_certs=[services.pki.root.cert],
    )


def _crls(pki: TestPKI, revoked: list[tuple[x509.Certificate, dt.datetime]] = ()) -> list[bytes]:  # type: ignore[assignment]
    """The intermediate's and the root's CRLs, as the CRL server publishes them."""
    return [pki.crl(list(revoked)), pki.crl(issuer=pki.root)]


def _verifier(
    pki: TestPKI,
    *,
    revocation: str = "offline",
    min_level: str = "B-B",
    crls: list[bytes] | None = None,
    ocsps: list[bytes] | None = None,
    tsa_policies: set[str] | None = None,
) -> Verifier:
    return Verifier(
        trust=TrustStore.from_pem(pki.trust_pem()),
        policy=Policy(revocation=revocation, min_level=min_level, tsa_policies=tsa_policies),
        crls=crls or (),
        ocsp_responses=ocsps or (),
    )


def _root_crl_with_reason(
    pki: TestPKI,
    cert: x509.Certificate,
    revoked_at: dt.datetime,
    reason: x509.ReasonFlags,
    *,
    this_update: dt.datetime,
) -> bytes:
    """The root's CRL listing ``cert`` with a CRLReason entry extension."""
    entry = (
        x509.RevokedCertificateBuilder()
        .serial_number(cert.serial_number)
        .revocation_date(revoked_at)
        .add_extension(x509.CRLReason(reason), critical=False)
        .build()
    )
    key = pki.root.key
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.root.cert.subject)
        .last_update(this_update)
        .next_update(this_update + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .add_revoked_certificate(entry)
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return crl.public_bytes(serialization.Encoding.DER)


def _raw_ocsp(url: str, cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    body, _ = build_ocsp_request(cert, issuer)
    return exchange(
        UrllibClient(), HttpRequest(url=url, body=body, content_type="application/ocsp-request")
    )


def _with_validation_data(doc: bytes, data: ValidationData) -> bytes:
    tree = parse(doc)
    (sig,) = tree.getroot().iterchildren(f"{_D}Signature")
    add_validation_data(sig, data)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _replace_text(doc: bytes, tag: str, blob: bytes, index: int = 0) -> bytes:
    tree = parse(doc)
    targets = list(tree.getroot().iter(tag))
    targets[index].text = base64.b64encode(blob).decode("ascii")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


# ------------------------------------------------------------------------------ levels


@pytest.mark.parametrize("level", [Level.B_T, Level.B_LT, Level.B_LTA], ids=lambda lv: lv.value)
def test_each_level_passes_offline_after_every_service_is_stopped(
    fresh: TestServices, level: Level
) -> None:
    doc = _extend(fresh, _signed(fresh), level)
    # B-T carries no revocation data: the relying party supplies the CRLs it holds.
    crls = _crls(fresh.pki) if level is Level.B_T else None
    fresh.stop()
    report = _verifier(fresh.pki, min_level=level.value, crls=crls).assess(doc)
    assert report.passed, report.summary_en()
    (sig,) = report.signatures
    assert sig.level is level
    assert sig.revocation == "good"
    kinds = [t.kind for t in sig.timestamps]
    expected = ["SignatureTimeStamp"] + (["ArchiveTimeStamp"] if level is Level.B_LTA else [])
    assert kinds == expected
    assert all(t.passed and t.tsa and "edocstd Test TSA" in t.tsa for t in sig.timestamps)
    assert all(len(t.chain) == 3 and "Root" in t.chain[-1] for t in sig.timestamps)
    assert sig.best_signature_time == sig.timestamps[0].time
    assert sig.timestamp_times == tuple(t.time for t in sig.timestamps)
    assert sig.best_signature_time is not None
    assert abs(sig.best_signature_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)
    check = next(c for c in sig.checks if c.name == "timestamps")
    assert check.passed and check.message_th


def test_report_lists_time_stamps_in_json(fresh: TestServices) -> None:
    lta = _extend(fresh, _signed(fresh), Level.B_LTA)
    fresh.stop()
    data = _verifier(fresh.pki).assess(lta).to_dict()
    json.dumps(data)  # JSON-ready as is
    (sig,) = data["signatures"]
    assert sig["level"] == "B-LTA"
    assert sig["best_signature_time"] == sig["timestamps"][0]["time"]
    first = sig["timestamps"][0]
    assert first["kind"] == "SignatureTimeStamp" and first["passed"] is True
    assert first["policy"] == TEST_TSA_POLICY and first["hash_algorithm"] == "sha256"
    assert "edocstd Test TSA" in first["tsa"] and len(first["chain"]) == 3
    assert first["message_en"] and first["message_th"]
    assert "time-stamped" in _verifier(fresh.pki).assess(lta).summary_en()


def test_verify_returns_the_signed_content_of_a_b_lta_document(fresh: TestServices) -> None:
    lta = _extend(fresh, _signed(fresh), Level.B_LTA)
    fresh.stop()
    verified = _verifier(fresh.pki, min_level="B-LTA").verify(lta)
    assert b"Signature" not in verified.signed_bytes
    assert verified.report.signatures[0].level is Level.B_LTA


def test_policy_asking_more_than_the_level_present_is_not_met(env: TestServices) -> None:
    bt = _extend(env, _signed(env), Level.B_T)
    report = _verifier(env.pki, min_level="B-LT", crls=_crls(env.pki)).assess(bt)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert "B-T" in report.message_en and "B-LT" in report.message_en


def test_b_b_is_refused_under_a_b_t_policy(env: TestServices) -> None:
    report = _verifier(env.pki, min_level="B-T", crls=_crls(env.pki)).assess(_signed(env))
    assert report.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE


def test_b_t_offline_without_any_revocation_data_is_try_later(env: TestServices) -> None:
    bt = _extend(env, _signed(env), Level.B_T)
    report = _verifier(env.pki).assess(bt)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    assert report.signatures[0].revocation == "unknown"
    assert "B-LT" in report.message_en


def test_tsa_policy_oids_are_enforced(env: TestServices) -> None:
    bt = _extend(env, _signed(env), Level.B_LT)
    accepted = _verifier(env.pki, tsa_policies={TEST_TSA_POLICY}).assess(bt)
    assert accepted.passed, accepted.summary_en()
    refused = _verifier(env.pki, tsa_policies={"1.2.3.4.5"}).assess(bt)
    assert (refused.indication, refused.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert TEST_TSA_POLICY in refused.message_en


# ------------------------------------------------------------------------------ POE


def test_revoked_before_the_time_stamp_is_total_failed_revoked(env: TestServices) -> None:
    blt = _extend(env, _signed(env, env.pki.revoked_signer), Level.B_LT)
    report = _verifier(env.pki).assess(blt)
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.REVOKED,
    )
    assert report.signatures[0].revocation == "revoked"
    assert "revoked" in report.message_en and report.message_th
    with pytest.raises(VerificationError):
        _verifier(env.pki).verify(blt)


def test_time_stamped_before_the_revocation_still_passes_at_b_lt(fresh: TestServices) -> None:
    bt = _extend(fresh, _signed(fresh, fresh.pki.signer_ec), Level.B_T)
    fresh.revoke(fresh.pki.signer_ec.cert, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2))
    blt = _extend(fresh, bt, Level.B_LT)
    fresh.stop()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    report = _verifier(fresh.pki, min_level="B-LT").assess(blt, at=later)
    assert report.passed, report.summary_en()
    revocation = next(c for c in report.signatures[0].checks if c.name == "revocation")
    assert "revoked later" in revocation.message_en


def test_revoked_with_no_proof_of_existence_is_revoked_no_poe(
    env: TestServices, revocation_time: dt.datetime
) -> None:
    bb = _signed(env, env.pki.revoked_signer)
    crls = _crls(env.pki, [(env.pki.revoked_signer.cert, revocation_time)])
    report = _verifier(env.pki, crls=crls).assess(bb)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.REVOKED_NO_POE,
    )


def test_b_lta_passes_ten_years_on_after_the_signer_certificate_expired(
    fresh: TestServices,
) -> None:
    bb = _signed(fresh)
    lta = _extend(fresh, bb, Level.B_LTA)
    fresh.stop()
    ten_years = dt.datetime.now(dt.UTC) + TEN_YEARS
    assert fresh.pki.signer.cert.not_valid_after_utc < ten_years
    verifier = _verifier(fresh.pki, min_level="B-LTA")
    report = verifier.assess(lta, at=ten_years)
    assert report.passed, report.summary_en()
    assert report.validation_time == ten_years
    sig = report.signatures[0]
    assert sig.best_signature_time is not None and sig.best_signature_time < ten_years
    # The same signature without its time-stamps has nothing to show it existed in time.
    plain = _verifier(fresh.pki, revocation="none").assess(bb, at=ten_years)
    assert plain.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE


# ------------------------------------------------------------------------------ online


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T], ids=lambda lv: lv.value)
def test_online_with_every_service_down_is_try_later(fresh: TestServices, level: Level) -> None:
    doc = _signed(fresh) if level is Level.B_B else _extend(fresh, _signed(fresh), Level.B_T)
    fresh.stop()
    report = _verifier(fresh.pki, revocation="online").assess(doc)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    assert "try again later" in report.message_en


def test_online_fetches_what_a_b_t_signature_lacks(env: TestServices) -> None:
    bt = _extend(env, _signed(env), Level.B_T)
    before = env.ocsp.requests
    report = _verifier(env.pki, revocation="online", min_level="B-T").assess(bt)
    assert report.passed, report.summary_en()
    assert env.ocsp.requests > before


# ------------------------------------------------------------------------------ tampering


def test_time_stamp_token_for_other_data_does_not_pass(env: TestServices) -> None:
    one = _extend(env, _signed(env), Level.B_T)
    other = _extend(env, _signed(env, env.pki.signer_ec), Level.B_T)
    token = base64.b64decode(parse(other).getroot().findtext(f".//{_X}EncapsulatedTimeStamp") or "")
    swapped = _replace_text(one, f"{_X}EncapsulatedTimeStamp", token)
    report = _verifier(env.pki, crls=_crls(env.pki)).assess(swapped)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_POE,
    )
    (stamp,) = report.signatures[0].timestamps
    assert not stamp.passed and "other data" in stamp.message_en
    assert report.signatures[0].best_signature_time is None


def test_time_stamp_from_an_untrusted_tsa_does_not_pass(
    env: TestServices, other_pki: TestPKI
) -> None:
    with TimeStampAuthority(other_pki.tsa, (other_pki.intermediate,)) as rogue:
        bt = _extend(env, _signed(env), Level.B_T, tsa_url=rogue.url)
    report = _verifier(env.pki, crls=_crls(env.pki)).assess(bt)
    assert not report.passed
    assert report.indication is Indication.INDETERMINATE
    (stamp,) = report.signatures[0].timestamps
    assert not stamp.passed and "not trusted" in stamp.message_en
    assert stamp.message_th


def test_ocsp_signed_by_an_unauthorised_key_is_no_evidence(env: TestServices) -> None:
    bt = _extend(env, _signed(env), Level.B_T)
    # The document signer's own key: issued by the right CA, but without OCSPSigning.
    with OcspResponder(env.pki.intermediate, env.pki.signer) as rogue:
        rogue.add(env.pki.signer.cert)
        forged = _raw_ocsp(rogue.url, env.pki.signer.cert, env.pki.intermediate.cert)
    root_crl = env.pki.crl(issuer=env.pki.root)
    data = ValidationData(
        certificates=(env.pki.intermediate.cert_der, env.pki.root.cert_der),
        crls=(root_crl,),
        ocsps=(forged,),
    )
    blt = _with_validation_data(bt, data)
    for report in (
        _verifier(env.pki).assess(blt),
        _verifier(env.pki, ocsps=[forged], crls=[root_crl]).assess(bt),
    ):
        assert (report.indication, report.sub_indication) == (
            Indication.INDETERMINATE,
            SubIndication.TRY_LATER,
        ), report.summary_en()
    assert _verifier(env.pki).assess(blt).signatures[0].level is Level.B_LT


def test_stale_ocsp_beyond_the_freshness_rule_does_not_pass(env: TestServices) -> None:
    bb = _signed(env)
    der = _raw_ocsp(env.ocsp.url, env.pki.signer.cert, env.pki.intermediate.cert)
    status = check_ocsp_response(der, env.pki.signer.cert, env.pki.intermediate.cert)
    assert status.next_update is not None
    stale_at = status.next_update + dt.timedelta(hours=1)
    # The root's CRL (for the intermediate) stays fresh; only the signer's OCSP ages.
    root_crl = env.pki.crl(issuer=env.pki.root, next_update=stale_at + dt.timedelta(days=1))
    verifier = _verifier(env.pki, ocsps=[der], crls=[root_crl])
    assert verifier.assess(bb).passed  # fresh now
    report = verifier.assess(bb, at=stale_at)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )


def test_crl_from_another_issuer_with_the_same_name_does_not_pass(
    env: TestServices, other_pki: TestPKI
) -> None:
    bt = _extend(env, _signed(env), Level.B_T)
    foreign = _crls(other_pki)
    supplied = _verifier(env.pki, crls=foreign).assess(bt)
    embedded = _verifier(env.pki).assess(
        _with_validation_data(
            bt,
            ValidationData(
                certificates=(env.pki.intermediate.cert_der, env.pki.root.cert_der),
                crls=tuple(foreign),
            ),
        )
    )
    for report in (supplied, embedded):
        assert (report.indication, report.sub_indication) == (
            Indication.INDETERMINATE,
            SubIndication.TRY_LATER,
        ), report.summary_en()


def test_changed_validation_data_in_a_b_lta_breaks_the_archive_time_stamp(
    env: TestServices,
) -> None:
    lta = _extend(env, _signed(env), Level.B_LTA)
    # Drop one embedded OCSP response: the archive time-stamp covers it.
    tree = parse(lta)
    value = next(tree.getroot().iter(f"{_X}EncapsulatedOCSPValue"))
    value.getparent().remove(value)  # type: ignore[union-attr]
    report = _verifier(env.pki).assess(etree.tostring(tree))
    assert report.indication is Indication.INDETERMINATE
    archive = report.signatures[0].timestamps[-1]
    assert archive.kind == "ArchiveTimeStamp" and not archive.passed


# ------------------------------------------------------------------------------ hostile data


@pytest.fixture(scope="module")
def lta(env: TestServices) -> bytes:
    return _extend(env, _signed(env), Level.B_LTA)


def _token(doc: bytes) -> bytes:
    return base64.b64decode(parse(doc).getroot().findtext(f".//{_X}EncapsulatedTimeStamp") or "")


HOSTILE = {
    "empty": b"",
    "truncated": None,  # the real token cut in half
    "indefinite length": b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\x00\x00",
    "huge length": b"\x30\x84\x7f\xff\xff\xff\x06\x03\x2a\x03\x04",
    "nested garbage": b"\x30\x06" * 40 + b"\x05\x00",
    "wrong oid": b"\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01\xa0\x00",
    "random": bytes(range(256)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("index", [0, 1], ids=["signature-ts", "archive-ts"])
def test_hostile_time_stamp_tokens_give_indeterminate_with_a_reason(
    env: TestServices, lta: bytes, name: str, index: int
) -> None:
    blob = HOSTILE[name]
    if blob is None:
        real = _token(lta)
        blob = real[: len(real) // 2]
    doc = _replace_text(lta, f"{_X}EncapsulatedTimeStamp", blob, index)
    report = _verifier(env.pki).assess(doc)
    assert report.indication is Indication.INDETERMINATE, report.summary_en()
    stamps = report.signatures[0].timestamps
    assert stamps and not all(s.passed for s in stamps)
    assert report.message_en and report.message_th


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("tag", ["EncapsulatedOCSPValue", "EncapsulatedCRLValue"])
def test_hostile_revocation_values_never_pass_nor_crash(
    env: TestServices, name: str, tag: str
) -> None:
    blob = HOSTILE[name] or b"\x30\x82\x01"
    bt = _extend(env, _signed(env), Level.B_T)
    data = ValidationData(
        certificates=(env.pki.intermediate.cert_der, env.pki.root.cert_der),
        crls=(blob,) if tag == "EncapsulatedCRLValue" else (env.pki.crl(issuer=env.pki.root),),
        ocsps=(blob,) if tag == "EncapsulatedOCSPValue" else (),
    )
    report = _verifier(env.pki).assess(_with_validation_data(bt, data))
    assert report.indication is Indication.INDETERMINATE, report.summary_en()
    assert report.message_en and report.message_th


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(garbage=st.binary(max_size=600), index=st.integers(0, 1))
def test_arbitrary_bytes_as_a_time_stamp_never_pass(
    env: TestServices, lta: bytes, garbage: bytes, index: int
) -> None:
    doc = _replace_text(lta, f"{_X}EncapsulatedTimeStamp", garbage, index)
    report = _verifier(env.pki).assess(doc)
    assert not report.passed
    assert report.indication is Indication.INDETERMINATE


def test_a_second_archive_time_stamp_keeps_the_signature_valid(fresh: TestServices) -> None:
    lta = _extend(fresh, _signed(fresh), Level.B_LTA)
    again = _extend(fresh, lta, Level.B_LTA)
    fresh.stop()
    report = _verifier(fresh.pki, min_level="B-LTA").assess(again)
    assert report.passed, report.summary_en()
    kinds = [t.kind for t in report.signatures[0].timestamps]
    assert kinds == ["SignatureTimeStamp", "ArchiveTimeStamp", "ArchiveTimeStamp"]
    first, second = report.signatures[0].timestamps[1:]
    # The earlier archive time-stamp is judged at the time of the later one.
    assert first.validated_at == second.time


@pytest.mark.parametrize("bad", [[], ["not an oid"], "1.2.3", [1.5]])
def test_tsa_policies_must_be_object_identifiers(bad: object) -> None:
    with pytest.raises(PolicyError):
        Policy(tsa_policies=bad)  # type: ignore[arg-type]


def test_tsa_policies_appear_in_the_policy_dict() -> None:
    assert Policy(tsa_policies=["1.2.3"]).to_dict()["tsa_policies"] == ["1.2.3"]
    assert Policy().to_dict()["tsa_policies"] is None


def test_a_time_stamp_from_after_the_validation_time_proves_nothing(env: TestServices) -> None:
    blt = _extend(env, _signed(env), Level.B_LT)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    report = _verifier(env.pki).assess(blt, at=yesterday)
    assert report.indication is Indication.INDETERMINATE
    (stamp,) = report.signatures[0].timestamps
    assert not stamp.passed and "after the validation time" in stamp.message_en


def test_a_signing_time_after_the_time_stamp_is_refused(env: TestServices) -> None:
    who = env.pki.signer
    signer = Signer.from_pem(who.key_pem, who.cert_pem, chain_pem=env.pki.chain_pem())
    claimed = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    bb = sign(DOC, signer, schema=SchemaCheck.SKIP, signing_time=claimed)
    bt = _extend(env, bb, Level.B_T)
    report = _verifier(env.pki, crls=_crls(env.pki)).assess(bt, at=claimed + dt.timedelta(days=1))
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert "after its time-stamp" in report.message_en
    # A signing time a little before the time-stamp is the normal case.
    assert (
        _verifier(env.pki, crls=_crls(env.pki)).assess(_extend(env, _signed(env), Level.B_T)).passed
    )


def test_a_ca_revoked_after_the_time_stamp_does_not_hurt_but_before_it_does(
    env: TestServices,
) -> None:
    bt = _extend(env, _signed(env), Level.B_T)
    stamped = _verifier(env.pki, crls=_crls(env.pki)).assess(bt).signatures[0]
    assert stamped.best_signature_time is not None
    for offset, passes in ((dt.timedelta(hours=1), True), (-dt.timedelta(hours=1), False)):
        revoked_at = stamped.best_signature_time + offset
        # Revoked for a reason that leaves what the CA certified earlier standing (a
        # compromise, or no reason, would also bring down the TSA's earlier tokens).
        root_crl = _root_crl_with_reason(
            env.pki,
            env.pki.intermediate.cert,
            revoked_at,
            x509.ReasonFlags.cessation_of_operation,
            this_update=revoked_at + dt.timedelta(minutes=1),
        )
        later = revoked_at + dt.timedelta(hours=2)
        report = _verifier(env.pki, crls=[env.pki.crl(), root_crl]).assess(bt, at=later)
        if passes:
            assert report.passed, report.summary_en()
        else:
            # The test TSA hangs off the same CA: its time-stamp falls with it, so nothing
            # proves the signature existed before the revocation.
            assert report.indication is Indication.INDETERMINATE
            (stamp,) = report.signatures[0].timestamps
            assert not stamp.passed and "revoked before the time-stamp" in stamp.message_en


def test_a_ca_revoked_before_the_time_stamp_is_revoked_ca_no_poe(env: TestServices) -> None:
    pki = env.pki
    # A TSA certified by the root itself, so that only the signer's CA is revoked.
    root_tsa = pki.issue(
        "Root-certified TSA",
        key=new_key("rsa2048"),
        issuer=pki.root,
        key_usage="timestamp",
        eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        eku_critical=True,
        with_urls=False,
    )
    with TimeStampAuthority(root_tsa) as tsa:
        bt = _extend(env, _signed(env), Level.B_T, tsa_url=tsa.url)
    ok = _verifier(pki, crls=_crls(pki)).assess(bt)
    assert ok.passed, ok.summary_en()
    best = ok.signatures[0].best_signature_time
    assert best is not None
    revoked_at = best - dt.timedelta(hours=1)
    root_crl = pki.crl(
        [(pki.intermediate.cert, revoked_at)],
        issuer=pki.root,
        this_update=best + dt.timedelta(minutes=10),
    )
    report = _verifier(pki, crls=[pki.crl(), root_crl]).assess(bt, at=best + dt.timedelta(hours=1))
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.REVOKED_CA_NO_POE,
    ), report.summary_en()
    assert report.signatures[0].timestamps[0].passed


def test_thousands_of_time_stamps_or_values_are_refused_up_front(env: TestServices) -> None:
    bt = _extend(env, _signed(env), Level.B_T)
    tree = parse(bt)
    stamp = next(tree.getroot().iter(f"{_X}SignatureTimeStamp"))
    for i in range(40):
        twin = copy.deepcopy(stamp)
        twin.set("Id", f"twin-{i}")
        stamp.addnext(twin)
    report = _verifier(env.pki).assess(etree.tostring(tree))
    assert report.sub_indication is SubIndication.FORMAT_FAILURE
    assert "time-stamps" in report.message_en

    blob = env.pki.crl()
    many = ValidationData(crls=tuple(blob + bytes([i % 256, i // 256]) for i in range(300)))
    report = _verifier(env.pki).assess(_with_validation_data(bt, many))
    assert report.sub_indication is SubIndication.FORMAT_FAILURE
    assert "revocation values" in report.message_en


# Each worker thread's private event loop must be closed when the thread ends, not left to
# the garbage collector (which reports its sockets as unclosed).
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_one_verifier_judges_long_term_signatures_from_many_threads_and_inside_a_loop(
    env: TestServices, lta: bytes
) -> None:
    verifier = _verifier(env.pki, min_level="B-LTA")
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(verifier.assess, [lta] * 8))
    assert all(r.passed for r in reports), reports[0].summary_en()

    async def inside() -> bool:
        return verifier.assess(lta, at=dt.datetime.now(dt.UTC) + TEN_YEARS).passed

    assert asyncio.run(inside())
