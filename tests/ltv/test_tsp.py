"""RFC 3161 time-stamps against the real openssl-backed loopback TSA."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from edocstd.errors import NetworkError
from edocstd.ltv import (
    Failure,
    HttpRequest,
    HttpResponse,
    TimeStampClient,
    TimeStampError,
    TimeStampPolicy,
    TsaRevocation,
    UrllibClient,
    fetch_ocsp,
    parse_timestamp_response,
    validate_timestamp_token,
)
from edocstd.ltv._http import exchange
from edocstd.testing.pki import TestPKI
from edocstd.testing.services import TEST_TSA_POLICY, TestServices, TimeStampAuthority

DATA = b"<licence>signature value bytes</licence>"


@pytest.fixture(scope="module")
def token_der(env: TestServices) -> bytes:
    return TimeStampClient(env.tsa.url).stamp(DATA).der


@pytest.mark.parametrize("hash_algorithm", ["sha256", "sha384", "sha512"])
def test_round_trip_with_real_tsa_validates(env: TestServices, hash_algorithm: str) -> None:
    token = TimeStampClient(env.tsa.url, hash_algorithm=hash_algorithm).stamp(DATA)
    assert token.hash_algorithm == hash_algorithm
    assert token.policy == TEST_TSA_POLICY
    assert token.nonce is not None
    assert abs(token.gen_time - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1)
    result = validate_timestamp_token(token, trust_roots=[env.pki.root.cert], data=DATA)
    assert result.token == token
    assert result.tsa_certificate == env.pki.tsa.cert_der
    assert result.chain == (
        env.pki.tsa.cert_der,
        env.pki.intermediate.cert_der,
        env.pki.root.cert_der,
    )


def test_validates_from_digest_and_from_raw_der(env: TestServices, token_der: bytes) -> None:
    result = validate_timestamp_token(
        token_der,
        trust_roots=[env.pki.trust_pem()],
        digest=hashlib.sha256(DATA).digest(),
    )
    assert result.token.covers(DATA)


def test_tsa_certificate_has_critical_timestamping_eku_and_is_accepted(
    env: TestServices, token_der: bytes
) -> None:
    eku = env.pki.tsa.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    validate_timestamp_token(token_der, trust_roots=[env.pki.root.cert], data=DATA)


def test_token_for_other_data_fails(env: TestServices, token_der: bytes) -> None:
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(token_der, trust_roots=[env.pki.root.cert], data=DATA + b" ")
    assert caught.value.failure is Failure.MISMATCH
    assert caught.value.message_th


def test_token_from_untrusted_tsa_fails(
    env: TestServices, token_der: bytes, other_pki: TestPKI
) -> None:
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(token_der, trust_roots=[other_pki.root.cert], data=DATA)
    assert caught.value.failure is Failure.CHAIN


def test_tsa_from_another_pki_with_identical_names_fails(
    env: TestServices, other_pki: TestPKI
) -> None:
    with TimeStampAuthority(other_pki.tsa, (other_pki.intermediate,)) as rogue:
        token = TimeStampClient(rogue.url).stamp(DATA)
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(token, trust_roots=[env.pki.root.cert], data=DATA)
    assert caught.value.failure is Failure.CHAIN


def test_policy_not_allowed_by_caller_fails(env: TestServices, token_der: bytes) -> None:
    policy = TimeStampPolicy(allowed_policies=frozenset({"2.999.1"}))
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(
            token_der, trust_roots=[env.pki.root.cert], data=DATA, policy=policy
        )
    assert caught.value.failure is Failure.POLICY
    allowed = TimeStampPolicy(allowed_policies=frozenset({TEST_TSA_POLICY}))
    validate_timestamp_token(token_der, trust_roots=[env.pki.root.cert], data=DATA, policy=allowed)


def test_validation_time_is_settable(env: TestServices, token_der: bytes) -> None:
    soon = env.pki.now + dt.timedelta(days=30)
    validate_timestamp_token(token_der, trust_roots=[env.pki.root.cert], data=DATA, at=soon)
    after_tsa_expiry = env.pki.tsa.cert.not_valid_after_utc + dt.timedelta(days=1)
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(
            token_der, trust_roots=[env.pki.root.cert], data=DATA, at=after_tsa_expiry
        )
    assert caught.value.failure is Failure.CHAIN


def test_nonce_mismatch_is_detected(env: TestServices) -> None:
    """A transport that rewrites the nonce on the way to the real TSA: the answer no longer
    echoes the nonce the client chose, as with a replayed response."""

    def rewriting(request: HttpRequest) -> HttpResponse:
        req = tsp.TimeStampReq.load(request.body)
        req["nonce"] = req["nonce"].native + 1
        return UrllibClient()(
            HttpRequest(url=request.url, body=req.dump(), content_type=request.content_type)
        )

    with pytest.raises(TimeStampError) as caught:
        TimeStampClient(env.tsa.url, http=rewriting).stamp(DATA)
    assert caught.value.failure is Failure.NONCE


def test_answer_for_another_imprint_is_refused(env: TestServices) -> None:
    def swapping(request: HttpRequest) -> HttpResponse:
        req = tsp.TimeStampReq.load(request.body)
        req["message_imprint"]["hashed_message"] = hashlib.sha256(b"other").digest()
        return UrllibClient()(
            HttpRequest(url=request.url, body=req.dump(), content_type=request.content_type)
        )

    with pytest.raises(TimeStampError) as caught:
        TimeStampClient(env.tsa.url, http=swapping).stamp(DATA)
    assert caught.value.failure is Failure.MISMATCH


def test_rejection_status_from_tsa_is_a_typed_error(env: TestServices) -> None:
    # The test TSA only accepts SHA-2 imprints; a SHA-1 request is rejected by openssl.
    req = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha1"},
                "hashed_message": hashlib.sha1(DATA).digest(),
            },
            "cert_req": True,
        }
    )
    answer = exchange(
        UrllibClient(),
        HttpRequest(url=env.tsa.url, body=req.dump(), content_type="application/timestamp-query"),
    )
    with pytest.raises(TimeStampError) as caught:
        parse_timestamp_response(answer)
    assert caught.value.failure is Failure.STATUS


def test_tsa_down_raises_network_error(other_pki: TestPKI) -> None:
    tsa = TimeStampAuthority(other_pki.tsa, (other_pki.intermediate,))
    url = tsa.url
    tsa.stop()
    with pytest.raises(NetworkError):
        TimeStampClient(url, timeout=5).stamp(DATA)


def test_tampered_tstinfo_fails_signature(env: TestServices, token_der: bytes) -> None:
    info = cms.ContentInfo.load(token_der)
    signed = info["content"]
    tst = signed["encap_content_info"]["content"].parsed
    tst["serial_number"] = tst["serial_number"].native + 1
    signed["encap_content_info"]["content"] = cms.ParsableOctetString(tst.dump(force=True))
    forged = info.dump(force=True)
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(forged, trust_roots=[env.pki.root.cert], data=DATA)
    assert caught.value.failure is Failure.SIGNATURE


def test_tampered_signature_fails(env: TestServices, token_der: bytes) -> None:
    info = cms.ContentInfo.load(token_der)
    signer = info["content"]["signer_infos"][0]
    sig = bytearray(signer["signature"].native)
    sig[-1] ^= 1
    signer["signature"] = bytes(sig)
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(info.dump(force=True), trust_roots=[env.pki.root.cert], data=DATA)
    assert caught.value.failure is Failure.SIGNATURE


def test_token_without_certificates_needs_them_supplied(
    env: TestServices, token_der: bytes
) -> None:
    info = cms.ContentInfo.load(token_der)
    info["content"]["certificates"] = None
    stripped = info.dump(force=True)
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(stripped, trust_roots=[env.pki.root.cert], data=DATA)
    assert caught.value.failure is Failure.SIGNER
    validate_timestamp_token(
        stripped,
        trust_roots=[env.pki.root.cert],
        data=DATA,
        other_certs=[env.pki.tsa.cert, env.pki.intermediate.cert],
    )


def test_signer_certificate_swapped_for_another_is_refused(
    env: TestServices, token_der: bytes
) -> None:
    """Replace the carried TSA certificate with another certificate: the ESSCertIDv2 no
    longer names an available certificate."""
    info = cms.ContentInfo.load(token_der)
    certs = info["content"]["certificates"]
    info["content"]["certificates"] = [
        cms.CertificateChoices(
            name="certificate", value=cms.Certificate.load(env.pki.signer.cert_der)
        )
        if c.chosen.dump() == env.pki.tsa.cert_der
        else c
        for c in certs
    ]
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(info.dump(force=True), trust_roots=[env.pki.root.cert], data=DATA)
    assert caught.value.failure is Failure.SIGNER


def _tsa_status_data(services: TestServices) -> list[bytes]:
    status = fetch_ocsp(services.pki.tsa.cert, services.pki.intermediate.cert)
    return [status.der]


def test_tsa_revoked_before_the_token_fails_with_revocation_data() -> None:
    with TestServices.start() as services:
        services.revoke(services.pki.tsa.cert, services.pki.now - dt.timedelta(hours=1))
        token = TimeStampClient(services.tsa.url).stamp(DATA)
        ocsps = _tsa_status_data(services)
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(
            token, trust_roots=[services.pki.root.cert], data=DATA, ocsps=ocsps
        )
    assert caught.value.failure is Failure.CHAIN


def test_tsa_revoked_after_the_token_does_not_invalidate_it() -> None:
    with TestServices.start() as services:
        token = TimeStampClient(services.tsa.url).stamp(DATA)
        services.revoke(services.pki.tsa.cert, token.gen_time + dt.timedelta(seconds=30))
        ocsps = _tsa_status_data(services)
    result = validate_timestamp_token(
        token, trust_roots=[services.pki.root.cert], data=DATA, ocsps=ocsps
    )
    assert result.token == token


def test_required_tsa_revocation_needs_data(env: TestServices, token_der: bytes) -> None:
    required = TimeStampPolicy(revocation=TsaRevocation.REQUIRED)
    with pytest.raises(TimeStampError) as caught:
        validate_timestamp_token(
            token_der, trust_roots=[env.pki.root.cert], data=DATA, policy=required
        )
    assert caught.value.failure is Failure.NO_REVOCATION_DATA
    assert "CRL" in caught.value.message_en
    validate_timestamp_token(
        token_der,
        trust_roots=[env.pki.root.cert],
        data=DATA,
        policy=required,
        ocsps=_tsa_status_data(env),
        crls=[env.pki.crl(issuer=env.pki.root)],
        at=env.pki.now + dt.timedelta(days=3650),  # data issued after genTime stays valid
    )
