"""OCSP against the real ``openssl ocsp`` responder behind a loopback handler."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import ocsp
from cryptography import x509

from edocstd.errors import NetworkError
from edocstd.ltv import (
    CertStatus,
    Failure,
    FreshnessPolicy,
    RevocationError,
    RevocationSource,
    build_ocsp_request,
    check_ocsp_response,
    fetch_ocsp,
)
from edocstd.ltv._http import HttpRequest, UrllibClient, exchange
from edocstd.testing.pki import TestPKI
from edocstd.testing.services import OcspResponder, TestServices


def _raw(url: str, cert: x509.Certificate, issuer: x509.Certificate) -> tuple[bytes, bytes | None]:
    body, nonce = build_ocsp_request(cert, issuer)
    der = exchange(
        UrllibClient(),
        HttpRequest(url=url, body=body, content_type="application/ocsp-request"),
    )
    return der, nonce


def test_good_certificate(env: TestServices) -> None:
    status = fetch_ocsp(env.pki.signer.cert, env.pki.intermediate.cert)
    assert status.status is CertStatus.GOOD
    assert status.source is RevocationSource.OCSP
    assert status.signer == env.pki.ocsp_responder.cert_der  # delegated responder
    assert status.next_update is not None
    assert status.der  # kept for RevocationValues


def test_revoked_certificate_carries_time(env: TestServices, revocation_time: dt.datetime) -> None:
    status = fetch_ocsp(env.pki.revoked_signer.cert, env.pki.intermediate.cert)
    assert status.status is CertStatus.REVOKED
    assert status.revocation_time == revocation_time
    assert status.revoked_at(revocation_time)
    assert not status.revoked_at(revocation_time - dt.timedelta(seconds=1))


def test_revocation_reason_is_reported(env: TestServices) -> None:
    victim = env.pki.issue("Compromised Key Holder")
    env.ocsp.revoke(victim.cert, env.pki.now, x509.ReasonFlags.key_compromise)
    status = fetch_ocsp(victim.cert, env.pki.intermediate.cert)
    assert status.status is CertStatus.REVOKED
    assert status.reason == "key_compromise"


def test_certificate_unknown_to_responder(env: TestServices) -> None:
    stranger = env.pki.issue("Never Registered")
    assert fetch_ocsp(stranger.cert, env.pki.intermediate.cert).status is CertStatus.UNKNOWN


def test_response_signed_by_the_ca_itself_is_accepted(env: TestServices) -> None:
    with OcspResponder(env.pki.intermediate) as by_ca:
        by_ca.add(env.pki.signer.cert)
        status = fetch_ocsp(env.pki.signer.cert, env.pki.intermediate.cert, url=by_ca.url)
    assert status.status is CertStatus.GOOD
    assert status.signer == env.pki.intermediate.cert_der


def test_response_signed_by_unauthorised_key_fails(env: TestServices) -> None:
    # The document signer's key: issued by the right CA but without OCSPSigning.
    with OcspResponder(env.pki.intermediate, env.pki.signer) as rogue:
        rogue.add(env.pki.revoked_signer.cert)
        with pytest.raises(RevocationError) as caught:
            fetch_ocsp(env.pki.revoked_signer.cert, env.pki.intermediate.cert, url=rogue.url)
    assert caught.value.failure is Failure.SIGNER


def test_responder_of_another_ca_with_identical_names_fails(
    env: TestServices, other_pki: TestPKI
) -> None:
    # OCSPSigning EKU and the same issuer name, but issued by another CA's key.
    with OcspResponder(env.pki.intermediate, other_pki.ocsp_responder) as rogue:
        rogue.add(env.pki.signer.cert)
        with pytest.raises(RevocationError) as caught:
            fetch_ocsp(env.pki.signer.cert, env.pki.intermediate.cert, url=rogue.url)
    assert caught.value.failure is Failure.SIGNER


def test_stale_response_beyond_next_update_fails(env: TestServices) -> None:
    der, _ = _raw(env.ocsp.url, env.pki.signer.cert, env.pki.intermediate.cert)
    fresh = check_ocsp_response(der, env.pki.signer.cert, env.pki.intermediate.cert)
    assert fresh.next_update is not None
    later = fresh.next_update + dt.timedelta(hours=1)
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(der, env.pki.signer.cert, env.pki.intermediate.cert, at=later)
    assert caught.value.failure is Failure.FRESHNESS


def test_response_from_the_future_fails(env: TestServices) -> None:
    der, _ = _raw(env.ocsp.url, env.pki.signer.cert, env.pki.intermediate.cert)
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(
            der,
            env.pki.signer.cert,
            env.pki.intermediate.cert,
            at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
        )
    assert caught.value.failure is Failure.FRESHNESS


def test_without_next_update_the_max_age_rule_applies(env: TestServices) -> None:
    with OcspResponder(env.pki.intermediate, env.pki.ocsp_responder, next_update=None) as responder:
        responder.add(env.pki.signer.cert)
        der, _ = _raw(responder.url, env.pki.signer.cert, env.pki.intermediate.cert)
    args = (der, env.pki.signer.cert, env.pki.intermediate.cert)
    now = dt.datetime.now(dt.UTC)
    assert check_ocsp_response(*args, at=now + dt.timedelta(hours=2)).next_update is None
    short = FreshnessPolicy(max_age=dt.timedelta(hours=1))
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(*args, at=now + dt.timedelta(hours=2), freshness=short)
    assert caught.value.failure is Failure.FRESHNESS
    with pytest.raises(RevocationError):
        check_ocsp_response(*args, at=now + dt.timedelta(days=8))


def test_response_issued_after_proof_of_existence_is_fresh_for_it(env: TestServices) -> None:
    der, _ = _raw(env.ocsp.url, env.pki.signer.cert, env.pki.intermediate.cert)
    years_later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)
    status = check_ocsp_response(
        der,
        env.pki.signer.cert,
        env.pki.intermediate.cert,
        at=years_later,
        poe=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
    )
    assert status.status is CertStatus.GOOD
    with pytest.raises(RevocationError):
        # Issued long before the proof of existence: says nothing about that time.
        check_ocsp_response(
            der,
            env.pki.signer.cert,
            env.pki.intermediate.cert,
            at=years_later,
            poe=years_later - dt.timedelta(days=1),
        )


def test_revoked_answer_stays_conclusive_when_old(env: TestServices) -> None:
    der, _ = _raw(env.ocsp.url, env.pki.revoked_signer.cert, env.pki.intermediate.cert)
    status = check_ocsp_response(
        der,
        env.pki.revoked_signer.cert,
        env.pki.intermediate.cert,
        at=dt.datetime.now(dt.UTC) + dt.timedelta(days=365),
    )
    assert status.status is CertStatus.REVOKED


def test_nonce_must_be_echoed(env: TestServices) -> None:
    der, nonce = _raw(env.ocsp.url, env.pki.signer.cert, env.pki.intermediate.cert)
    assert nonce is not None
    check_ocsp_response(der, env.pki.signer.cert, env.pki.intermediate.cert, nonce=nonce)
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(der, env.pki.signer.cert, env.pki.intermediate.cert, nonce=b"x" * 16)
    assert caught.value.failure is Failure.NONCE


def test_response_about_another_certificate_fails(env: TestServices) -> None:
    der, _ = _raw(env.ocsp.url, env.pki.signer.cert, env.pki.intermediate.cert)
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(der, env.pki.signer_ec.cert, env.pki.intermediate.cert)
    assert caught.value.failure is Failure.MISMATCH


def test_wrong_issuer_given_fails(env: TestServices) -> None:
    der, _ = _raw(env.ocsp.url, env.pki.signer.cert, env.pki.intermediate.cert)
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(der, env.pki.signer.cert, env.pki.root.cert)
    assert caught.value.failure is Failure.MISMATCH


def test_tampered_response_fails_signature(env: TestServices) -> None:
    der, _ = _raw(env.ocsp.url, env.pki.signer.cert, env.pki.intermediate.cert)
    resp = ocsp.OCSPResponse.load(der)
    basic = resp["response_bytes"]["response"].parsed
    sig = bytearray(basic["signature"].native)
    sig[0] ^= 0x01
    basic["signature"] = bytes(sig)
    resp["response_bytes"]["response"] = ocsp.ParsableOctetString(basic.dump(force=True))
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(resp.dump(force=True), env.pki.signer.cert, env.pki.intermediate.cert)
    assert caught.value.failure is Failure.SIGNATURE


@pytest.mark.parametrize(
    "status", ["malformed_request", "internal_error", "try_later", "sign_required", "unauthorized"]
)
def test_error_status_is_typed(env: TestServices, status: str) -> None:
    der = ocsp.OCSPResponse({"response_status": status}).dump()
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(der, env.pki.signer.cert, env.pki.intermediate.cert)
    assert caught.value.failure is Failure.STATUS


def test_responder_down_raises_network_error(env: TestServices) -> None:
    responder = OcspResponder(env.pki.intermediate, env.pki.ocsp_responder)
    url = responder.url
    responder.stop()
    with pytest.raises(NetworkError):
        fetch_ocsp(env.pki.signer.cert, env.pki.intermediate.cert, url=url, timeout=5)


def test_requests_are_counted(env: TestServices) -> None:
    before = env.ocsp.requests
    fetch_ocsp(env.pki.signer.cert, env.pki.intermediate.cert)
    assert env.ocsp.requests == before + 1
