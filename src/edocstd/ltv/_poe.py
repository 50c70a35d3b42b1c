"""Long-term validation of a signer with proof of existence (ETSI EN 319 102-1, simplified).

A signature time-stamp proves the signature existed at its ``genTime`` (the *best signature
time*). With that proof:

* the signer's certificate only needs to have been valid at that time, so a signature still
  validates after the certificate expires;
* a revocation dated after that time does not hurt the signature; one dated at or before it
  does (``REVOKED``);
* revocation data issued after that time is fresh enough to show the certificate was not
  revoked then, whatever its ``nextUpdate`` (see :class:`~edocstd.ltv.FreshnessPolicy`).

:func:`assess_long_term` does exactly this for one signature, from the data the signature
carries plus what the caller supplies, never the network. It is a building block for the
verifier, which maps :class:`LongTermOutcome` to ETSI indications:

=========================  =====================================================
``PASSED``                  TOTAL-PASSED (for this part of the validation)
``REVOKED``                 TOTAL-FAILED/REVOKED (revoked at or before the POE)
``REVOKED_NO_POE``          INDETERMINATE/REVOKED_NO_POE (revoked; no time-stamp)
``NO_REVOCATION_DATA``      INDETERMINATE/TRY_LATER
``CHAIN_FAILURE``           INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND or similar
``TIMESTAMP_FAILURE``       INDETERMINATE or TOTAL-FAILED, per ``timestamp_error``
=========================  =====================================================
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from lxml import etree
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy

from edocstd._ns import DS
from edocstd.ltv._common import (
    CertLike,
    PathCache,
    as_asn1_cert,
    as_asn1_certs,
    der_of,
    ocsp_nocheck,
    run_sync,
    utc,
)
from edocstd.ltv._errors import LtvError, TimeStampError
from edocstd.ltv._evidence import evidence
from edocstd.ltv._levels import (
    TimeStampResult,
    ValidationData,
    embedded_validation_data,
    usable_certs,
    validate_timestamps,
)
from edocstd.ltv._status import CertStatus, FreshnessPolicy, RevocationStatus
from edocstd.ltv._tsp import TimeStampPolicy

__all__ = [
    "CertificateStatus",
    "LongTermOutcome",
    "LongTermResult",
    "RevocationJudgement",
    "assess_long_term",
    "best_signature_time",
    "judge_revocation",
]

_D = f"{{{DS}}}"


class LongTermOutcome(enum.Enum):
    """The result of :func:`assess_long_term` (see the module table)."""

    PASSED = "passed"
    REVOKED = "revoked"
    REVOKED_NO_POE = "revoked-no-poe"
    NO_REVOCATION_DATA = "no-revocation-data"
    CHAIN_FAILURE = "chain-failure"
    TIMESTAMP_FAILURE = "timestamp-failure"


@dataclass(frozen=True)
class CertificateStatus:
    """What the revocation data says about one certificate of the signer's path."""

    certificate: bytes
    status: RevocationStatus | None
    """The most useful checked answer (a revocation first, else a ``good``), or ``None``."""


@dataclass(frozen=True)
class LongTermResult:
    """The outcome for one signature, with everything it was based on."""

    outcome: LongTermOutcome
    best_signature_time: dt.datetime
    """The signature time-stamp's ``genTime``, or the validation time without one."""
    timestamps: tuple[TimeStampResult, ...] = ()
    chain: tuple[CertificateStatus, ...] = ()
    """Signer first, then its CAs (the trust anchor last, without status)."""
    detail: str = ""
    timestamp_error: TimeStampError | None = field(default=None, compare=False)


def assess_long_term(
    tree: etree._ElementTree,
    signature: etree._Element,
    *,
    trust_roots: Sequence[CertLike],
    at: dt.datetime | None = None,
    extra: ValidationData | None = None,
    timestamp_policy: TimeStampPolicy | None = None,
    freshness: FreshnessPolicy | None = None,
) -> LongTermResult:
    """Judge the signer of ``signature`` at its best signature time (see the module docs).

    The signature value itself is *not* checked here (that is the verifier's job, done
    before); this covers time-stamps, the signer's path at the proven time and revocation.
    """
    moment = utc(at)
    extra = extra or ValidationData()
    try:
        stamps = tuple(
            validate_timestamps(
                tree,
                signature,
                trust_roots=trust_roots,
                at=moment,
                policy=timestamp_policy,
                extra=extra,
            )
        )
    except TimeStampError as exc:
        return LongTermResult(
            LongTermOutcome.TIMESTAMP_FAILURE, moment, detail=exc.message_en, timestamp_error=exc
        )
    poe = best_signature_time(stamps)
    best = poe or moment

    embedded = embedded_validation_data(signature)
    certs = usable_certs([*embedded.certificates, *extra.certificates])
    try:
        key_info = signature.findtext(f"{_D}KeyInfo/{_D}X509Data/{_D}X509Certificate") or ""
        signer = as_asn1_certs([base64.b64decode("".join(key_info.split()), validate=True)])[0]
        pool = as_asn1_certs(certs)
        anchors = as_asn1_certs(trust_roots)
    except (binascii.Error, ValueError, LtvError) as exc:
        return LongTermResult(LongTermOutcome.CHAIN_FAILURE, best, stamps, detail=str(exc))

    # The path only needs to hold at the best signature time: that is what the POE buys.
    key = PathCache.key(
        signer.dump(), tuple(c.dump() for c in pool), tuple(a.dump() for a in anchors), at=best
    )
    cached = _PATHS.get(key, best)
    if cached is not None:
        chain_certs = as_asn1_certs(cached)
    else:
        try:
            chain_certs = _signer_path(signer, pool, anchors, best)
        except Exception as exc:
            return LongTermResult(LongTermOutcome.CHAIN_FAILURE, best, stamps, detail=str(exc))
        _PATHS.put(key, tuple(c.dump() for c in chain_certs))

    judged = judge_revocation(
        chain_certs,
        crls=[*embedded.crls, *extra.crls],
        ocsps=[*embedded.ocsps, *extra.ocsps],
        at=moment,
        poe=poe,
        freshness=freshness,
    )
    return LongTermResult(judged.outcome, best, stamps, judged.chain, judged.detail)


def best_signature_time(stamps: Sequence[TimeStampResult]) -> dt.datetime | None:
    """The earliest ``genTime`` among valid time-stamps that cover the signature value.

    Every signature and archive time-stamp covers ``ds:SignatureValue``, so each is a proof
    of existence of the signature; the earliest is the best one (EN 319 102-1 §5.6.2.4).
    """
    return min((s.validated.token.gen_time for s in stamps), default=None)


@dataclass(frozen=True)
class RevocationJudgement:
    """What :func:`judge_revocation` found for a certificate path."""

    outcome: LongTermOutcome
    """``PASSED``, ``REVOKED``, ``REVOKED_NO_POE`` or ``NO_REVOCATION_DATA``."""
    chain: tuple[CertificateStatus, ...]
    """One entry per certificate judged (the trust anchor last, without status)."""
    detail: str = ""
    revoked_index: int | None = None
    """Position in the path of the revoked certificate (0: the signer), if any."""
    revocation_time: dt.datetime | None = None


def judge_revocation(
    path: Sequence[CertLike],
    *,
    crls: Sequence[bytes],
    ocsps: Sequence[bytes],
    at: dt.datetime,
    poe: dt.datetime | None,
    freshness: FreshnessPolicy | None = None,
) -> RevocationJudgement:
    """Judge the revocation status of ``path`` (signer first, trust anchor last).

    Each certificate below the anchor needs a checked answer from ``crls``/``ocsps``
    (anything unusable is ignored, never trusted). ``poe`` is the proven existence time of
    the signature: a revocation dated after it does not hurt; one at or before it gives
    ``REVOKED``; without a ``poe`` any revocation up to ``at`` gives ``REVOKED_NO_POE``.
    Data issued after ``poe`` counts as fresh (see :class:`FreshnessPolicy`).
    """
    moment = utc(at)
    ders = [der_of(c) for c in path]
    best = poe or moment
    rules = freshness or FreshnessPolicy()
    statuses: list[CertificateStatus] = []
    outcome = LongTermOutcome.PASSED
    detail = ""
    for index, (cert_der, issuer_der) in enumerate(itertools.pairwise(ders)):
        status = _best_status(cert_der, issuer_der, list(crls), list(ocsps), moment, poe, rules)
        statuses.append(CertificateStatus(cert_der, status))
        cert = as_asn1_cert(cert_der)
        name = cert.subject.human_friendly
        if status is not None and status.status is CertStatus.REVOKED:
            if status.revoked_at(best):
                proven = poe is not None
                outcome = LongTermOutcome.REVOKED if proven else LongTermOutcome.REVOKED_NO_POE
                detail = f"{name} was revoked at {status.revocation_time}"
                return RevocationJudgement(
                    outcome, tuple(statuses), detail, index, status.revocation_time
                )
            continue  # revoked only after the proven time: the signature stands
        if status is None and not ocsp_nocheck(cert_der) and outcome is LongTermOutcome.PASSED:
            outcome = LongTermOutcome.NO_REVOCATION_DATA
            detail = f"no usable revocation data for {name}"
    if ders:
        statuses.append(CertificateStatus(ders[-1], None))
    return RevocationJudgement(outcome, tuple(statuses), detail)


_PATHS = PathCache()


def _signer_path(
    signer: asn1_x509.Certificate,
    pool: list[asn1_x509.Certificate],
    anchors: list[asn1_x509.Certificate],
    when: dt.datetime,
) -> list[asn1_x509.Certificate]:
    context = ValidationContext(
        trust_roots=anchors,
        other_certs=pool,
        moment=when,
        allow_fetching=False,
        revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
    )
    validator = CertificateValidator(signer, pool, validation_context=context)
    path = run_sync(validator.async_validate_path())
    return list(reversed(list(path)))


def _best_status(
    cert: bytes,
    issuer: bytes,
    crls: list[bytes],
    ocsps: list[bytes],
    moment: dt.datetime,
    poe: dt.datetime | None,
    rules: FreshnessPolicy,
) -> RevocationStatus | None:
    found = evidence(cert, issuer, crls, ocsps, at=moment, poe=poe, freshness=rules)
    revoked = [s for s in found if s.status is CertStatus.REVOKED]
    if revoked:
        return min(revoked, key=lambda s: s.revocation_time or moment)
    good = [s for s in found if s.status is CertStatus.GOOD]
    return good[0] if good else None
