"""CRLs served over HTTP by the loopback CRL server."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import crl

from edocstd.errors import NetworkError
from edocstd.ltv import (
    CertStatus,
    Failure,
    RevocationError,
    RevocationSource,
    check_crl,
    crl_urls,
    fetch_crl,
)
from edocstd.testing.pki import TestPKI
from edocstd.testing.services import CrlServer, TestServices


def test_certificate_names_the_served_crl(env: TestServices) -> None:
    assert crl_urls(env.pki.signer.cert) == [env.crl.url_for("intermediate")]


def test_good_certificate(env: TestServices) -> None:
    der = fetch_crl(env.pki.signer.cert)
    status = check_crl(der, env.pki.signer.cert, env.pki.intermediate.cert)
    assert status.status is CertStatus.GOOD
    assert status.source is RevocationSource.CRL
    assert status.signer == env.pki.intermediate.cert_der
    assert status.der == der


def test_revoked_certificate_carries_time(env: TestServices, revocation_time: dt.datetime) -> None:
    der = fetch_crl(env.pki.revoked_signer.cert)
    status = check_crl(der, env.pki.revoked_signer.cert, env.pki.intermediate.cert)
    assert status.status is CertStatus.REVOKED
    assert status.revocation_time == revocation_time


def test_intermediate_checked_against_root_crl(env: TestServices) -> None:
    der = fetch_crl(env.pki.intermediate.cert)
    status = check_crl(der, env.pki.intermediate.cert, env.pki.root.cert)
    assert status.status is CertStatus.GOOD


def test_crl_from_another_issuer_fails(env: TestServices) -> None:
    root_crl = env.pki.crl(issuer=env.pki.root)
    with pytest.raises(RevocationError) as caught:
        check_crl(root_crl, env.pki.signer.cert, env.pki.intermediate.cert)
    assert caught.value.failure is Failure.MISMATCH


def test_crl_with_same_issuer_name_but_other_key_fails(
    env: TestServices, other_pki: TestPKI
) -> None:
    forged = other_pki.crl()  # "edocstd Test Issuing CA" too, but another key
    with pytest.raises(RevocationError) as caught:
        check_crl(forged, env.pki.signer.cert, env.pki.intermediate.cert)
    assert caught.value.failure in (Failure.MISMATCH, Failure.SIGNATURE)


def test_tampered_crl_fails_signature(env: TestServices) -> None:
    lst = crl.CertificateList.load(env.pki.crl())
    sig = bytearray(lst["signature"].native)
    sig[0] ^= 1
    lst["signature"] = bytes(sig)
    with pytest.raises(RevocationError) as caught:
        check_crl(lst.dump(force=True), env.pki.signer.cert, env.pki.intermediate.cert)
    assert caught.value.failure is Failure.SIGNATURE


def test_stale_crl_fails(env: TestServices) -> None:
    old = env.pki.now - dt.timedelta(days=30)
    stale = env.pki.crl(this_update=old, next_update=old + dt.timedelta(days=7))
    with pytest.raises(RevocationError) as caught:
        check_crl(stale, env.pki.signer.cert, env.pki.intermediate.cert, at=env.pki.now)
    assert caught.value.failure is Failure.FRESHNESS
    # At a time inside its window, the same CRL is fine.
    inside = old + dt.timedelta(days=1)
    assert check_crl(stale, env.pki.signer.cert, env.pki.intermediate.cert, at=inside).status is (
        CertStatus.GOOD
    )


def test_crl_issued_after_the_validation_time_fails(env: TestServices) -> None:
    with pytest.raises(RevocationError) as caught:
        check_crl(
            env.pki.crl(),
            env.pki.signer.cert,
            env.pki.intermediate.cert,
            at=env.pki.now - dt.timedelta(days=1),
        )
    assert caught.value.failure is Failure.FRESHNESS


def test_revocation_listed_in_an_old_crl_stays_conclusive(
    env: TestServices, revocation_time: dt.datetime
) -> None:
    der = env.pki.crl([(env.pki.revoked_signer.cert, revocation_time)])
    status = check_crl(
        der,
        env.pki.revoked_signer.cert,
        env.pki.intermediate.cert,
        at=env.pki.now + dt.timedelta(days=365),
    )
    assert status.revoked_at(env.pki.now)


def test_wrong_issuer_given_fails(env: TestServices) -> None:
    with pytest.raises(RevocationError) as caught:
        check_crl(env.pki.crl(), env.pki.signer.cert, env.pki.root.cert)
    assert caught.value.failure is Failure.MISMATCH


def test_crl_server_down_raises_network_error(env: TestServices) -> None:
    server = CrlServer({"intermediate": env.pki.crl()})
    url = server.url_for("intermediate")
    server.stop()
    with pytest.raises(NetworkError):
        fetch_crl(env.pki.signer.cert, url=url, timeout=5)
