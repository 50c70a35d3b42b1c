"""The shared, bounded cache that CRL and OCSP checks judge revocation data through."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import x509 as asn1_x509

from edocstd.errors import CertificateError
from edocstd.ltv import (
    CertStatus,
    Failure,
    FreshnessPolicy,
    RevocationError,
    RevocationSource,
    RevocationStatus,
    TimeStampError,
    _crl,
    _ocsp,
    check_crl,
    check_ocsp_response,
    crl_evidence,
)
from edocstd.ltv._common import Refusal, RevocationJudge, ocsp_nocheck
from edocstd.testing.pki import TestPKI

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.generate(now=NOW)


class _Counting:
    """A judgement that records every call; refuses data starting with ``b"bad"``."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, bytes, bytes]] = []

    def __call__(
        self, der: bytes, subject: asn1_x509.Certificate, ca: asn1_x509.Certificate
    ) -> RevocationStatus:
        self.calls.append((der, subject.dump(), ca.dump()))
        if der.startswith(b"bad"):
            raise RevocationError(Failure.SIGNATURE, "CRL: the signature does not verify")
        return RevocationStatus(
            status=CertStatus.GOOD,
            source=RevocationSource.CRL,
            this_update=NOW - dt.timedelta(hours=1),
            next_update=NOW + dt.timedelta(days=1),
            der=der,
        )


def test_refusal_is_returned_as_data_without_the_subject_prefix(pki: TestPKI) -> None:
    judge = RevocationJudge(_Counting(), entries=8, max_size=64)
    answer = judge(b"bad data", pki.signer.cert_der, pki.intermediate.cert_der)
    assert answer == Refusal(Failure.SIGNATURE, "CRL: the signature does not verify")


def test_refusal_of_an_error_keeps_its_kind_and_detail() -> None:
    exc = TimeStampError(Failure.FRESHNESS, "genTime is after the validation time")
    assert Refusal.of(exc) == Refusal(Failure.FRESHNESS, "genTime is after the validation time")


def test_small_data_is_judged_once_and_the_same_outcome_reused(pki: TestPKI) -> None:
    counting = _Counting()
    judge = RevocationJudge(counting, entries=8, max_size=64)
    first = judge(b"crl", pki.signer.cert_der, pki.intermediate.cert_der)
    second = judge(b"crl", pki.signer.cert_der, pki.intermediate.cert_der)
    assert second is first
    assert len(counting.calls) == 1


def test_a_refusal_is_cached_too(pki: TestPKI) -> None:
    counting = _Counting()
    judge = RevocationJudge(counting, entries=8, max_size=64)
    for _ in range(3):
        assert isinstance(judge(b"bad", pki.signer.cert_der, pki.intermediate.cert_der), Refusal)
    assert len(counting.calls) == 1


def test_the_key_holds_the_certificate_and_the_issuer(pki: TestPKI) -> None:
    counting = _Counting()
    judge = RevocationJudge(counting, entries=8, max_size=64)
    judge(b"crl", pki.signer.cert_der, pki.intermediate.cert_der)
    judge(b"crl", pki.revoked_signer.cert_der, pki.intermediate.cert_der)
    judge(b"crl", pki.signer.cert_der, pki.root.cert_der)
    assert [(c[1], c[2]) for c in counting.calls] == [
        (pki.signer.cert_der, pki.intermediate.cert_der),
        (pki.revoked_signer.cert_der, pki.intermediate.cert_der),
        (pki.signer.cert_der, pki.root.cert_der),
    ]


def test_data_larger_than_the_bound_is_judged_afresh_every_time(pki: TestPKI) -> None:
    counting = _Counting()
    judge = RevocationJudge(counting, entries=8, max_size=64)
    big = b"x" * 65
    judge(big, pki.signer.cert_der, pki.intermediate.cert_der)
    judge(big, pki.signer.cert_der, pki.intermediate.cert_der)
    assert len(counting.calls) == 2
    judge(big[:64], pki.signer.cert_der, pki.intermediate.cert_der)
    judge(big[:64], pki.signer.cert_der, pki.intermediate.cert_der)
    assert len(counting.calls) == 3


def test_the_cache_forgets_the_least_recently_used_outcome(pki: TestPKI) -> None:
    counting = _Counting()
    judge = RevocationJudge(counting, entries=2, max_size=64)
    for der in (b"one", b"two", b"three", b"one"):
        judge(der, pki.signer.cert_der, pki.intermediate.cert_der)
    assert [c[0] for c in counting.calls] == [b"one", b"two", b"three", b"one"]


def test_an_unreadable_certificate_raises_and_is_not_cached(pki: TestPKI) -> None:
    counting = _Counting()
    judge = RevocationJudge(counting, entries=8, max_size=64)
    with pytest.raises(CertificateError):
        judge(b"crl", b"\x30\x03not a certificate", pki.intermediate.cert_der)
    assert counting.calls == []


def test_evidence_is_none_for_refused_unreadable_or_stale_data(pki: TestPKI) -> None:
    judge = RevocationJudge(_Counting(), entries=8, max_size=64)
    rules = FreshnessPolicy()
    cert, issuer = pki.signer.cert_der, pki.intermediate.cert_der
    assert judge.evidence(b"bad", cert, issuer, at=NOW, poe=None, freshness=rules) is None
    assert judge.evidence(b"crl", b"junk", issuer, at=NOW, poe=None, freshness=rules) is None
    later = NOW + dt.timedelta(days=30)
    assert judge.evidence(b"crl", cert, issuer, at=later, poe=None, freshness=rules) is None
    found = judge.evidence(b"crl", cert, issuer, at=NOW, poe=None, freshness=rules)
    assert found is not None and found.status is CertStatus.GOOD


def test_crl_and_ocsp_keep_separate_caches_with_the_designed_bounds() -> None:
    assert _crl._JUDGE is not _ocsp._JUDGE
    for judge in (_crl._JUDGE, _ocsp._JUDGE):
        assert judge._max_size == 32 * 1024
        assert judge._cached.cache_info().maxsize == 256


def test_a_cached_crl_outcome_is_still_checked_for_freshness_on_every_use(pki: TestPKI) -> None:
    der = pki.crl()
    first = check_crl(der, pki.signer.cert, pki.intermediate.cert, at=NOW)
    assert first.status is CertStatus.GOOD
    later = NOW + dt.timedelta(days=30)
    with pytest.raises(RevocationError) as caught:
        check_crl(der, pki.signer.cert, pki.intermediate.cert, at=later)
    assert caught.value.failure is Failure.FRESHNESS
    rules = FreshnessPolicy()
    cert, issuer = pki.signer.cert_der, pki.intermediate.cert_der
    assert crl_evidence(der, cert, issuer, at=later, poe=None, freshness=rules) is None
    assert crl_evidence(der, cert, issuer, at=NOW, poe=None, freshness=rules) == first


def test_a_refused_crl_names_its_kind_once(pki: TestPKI) -> None:
    with pytest.raises(RevocationError) as caught:
        check_crl(b"\x30\x03abc", pki.signer.cert, pki.intermediate.cert, at=NOW)
    assert caught.value.failure is Failure.MALFORMED
    assert caught.value.message_en.startswith("revocation data: CRL: undecodable CRL")


def test_a_refused_ocsp_response_names_its_kind_once(pki: TestPKI) -> None:
    with pytest.raises(RevocationError) as caught:
        check_ocsp_response(b"\x30\x03abc", pki.signer.cert, pki.intermediate.cert, at=NOW)
    assert caught.value.failure is Failure.MALFORMED
    assert caught.value.message_en.startswith("revocation data: OCSP: undecodable response")


def test_ocsp_nocheck_is_read_from_the_certificate_der(pki: TestPKI) -> None:
    assert ocsp_nocheck(pki.ocsp_responder.cert_der)
    assert not ocsp_nocheck(pki.signer.cert_der)
    assert not ocsp_nocheck(b"\x30\x03not a certificate")
