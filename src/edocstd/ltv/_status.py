"""The typed result of a revocation check, and the freshness rules it is judged by."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from edocstd.ltv._errors import Failure, RevocationError

__all__ = ["CertStatus", "FreshnessPolicy", "RevocationSource", "RevocationStatus"]


class CertStatus(enum.Enum):
    """What the revocation data says about the certificate."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    """The responder does not know the certificate (OCSP only). Never a pass."""


class RevocationSource(enum.Enum):
    """Where a :class:`RevocationStatus` came from."""

    OCSP = "ocsp"
    CRL = "crl"


@dataclass(frozen=True)
class RevocationStatus:
    """The checked answer of one OCSP response or CRL about one certificate.

    Only returned after the data passed every check (signature, issuer, authorisation,
    certificate match, nonce, freshness); anything else raises
    :class:`~edocstd.ltv.RevocationError`.
    """

    status: CertStatus
    source: RevocationSource
    this_update: dt.datetime
    next_update: dt.datetime | None
    revocation_time: dt.datetime | None = None
    reason: str | None = None
    """RFC 5280 reason name (``key_compromise``, ``certificate_hold``, …) when given."""
    produced_at: dt.datetime | None = None
    """OCSP ``producedAt``."""
    signer: bytes = field(default=b"", repr=False)
    """DER of the certificate whose key signed the response or CRL."""
    der: bytes = field(default=b"", repr=False)
    """The OCSP response or CRL exactly as checked, for embedding in ``RevocationValues``."""

    def revoked_at(self, moment: dt.datetime) -> bool:
        """True when this says the certificate was revoked at or before ``moment``."""
        return (
            self.status is CertStatus.REVOKED
            and self.revocation_time is not None
            and self.revocation_time <= moment
        )


@dataclass(frozen=True)
class FreshnessPolicy:
    """When OCSP responses and CRLs count as fresh enough.

    At validation time *t* (allowing ``clock_skew`` either way), data is fresh when
    ``thisUpdate ≤ t`` and either ``t ≤ nextUpdate`` or, without a ``nextUpdate``,
    ``t ≤ thisUpdate + max_age``.

    For long-term validation the checker may also be given a proof-of-existence time *p*
    (for example the signature time-stamp): then data issued at or after *p* and no later than
    *t* is fresh for *p* whatever its ``nextUpdate`` — it proves the certificate was not
    revoked when the signature already existed (ETSI EN 319 102-1, revocation freshness).

    A ``revoked`` answer with a revocation time at or before *t* is conclusive at any age,
    except ``certificateHold``, which can be lifted and so must be fresh.
    """

    max_age: dt.timedelta = dt.timedelta(days=7)
    clock_skew: dt.timedelta = dt.timedelta(minutes=5)

    def check(
        self,
        this_update: dt.datetime,
        next_update: dt.datetime | None,
        at: dt.datetime,
        poe: dt.datetime | None = None,
    ) -> None:
        """Raise :class:`RevocationError` (``FRESHNESS``) unless the data is fresh at ``at``."""
        problem = self.problem(this_update, next_update, at, poe)
        if problem is not None:
            raise RevocationError(Failure.FRESHNESS, problem)

    def problem(
        self,
        this_update: dt.datetime,
        next_update: dt.datetime | None,
        at: dt.datetime,
        poe: dt.datetime | None = None,
    ) -> str | None:
        """Why the data is not fresh at ``at`` (see :meth:`check`), or ``None`` when it is."""
        if this_update > at + self.clock_skew:
            return f"issued at {this_update:%Y-%m-%dT%H:%M:%SZ}, after {at}"
        if poe is not None and this_update >= poe - self.clock_skew:
            return None
        limit = next_update if next_update is not None else this_update + self.max_age
        if at > limit + self.clock_skew:
            return f"stale: valid until {limit:%Y-%m-%dT%H:%M:%SZ}, validation time {at}"
        return None

    def usable(self, status: RevocationStatus, at: dt.datetime, poe: dt.datetime | None) -> bool:
        """True when the checked ``status`` counts as evidence at ``at``: a revocation dated
        at or before ``at`` is conclusive at any age (except ``certificateHold``); anything
        else must be fresh."""
        conclusive = (
            status.status is CertStatus.REVOKED
            and status.revocation_time is not None
            and status.revocation_time <= at
            and status.reason != "certificate_hold"
        )
        return conclusive or self.problem(status.this_update, status.next_update, at, poe) is None
