"""Sifting revocation data for one certificate, with the responder's own status checked.

An OCSP answer signed by a *delegated* responder (RFC 6960 §4.2.2.2) is only as good as the
responder's key. When the responder's certificate carries ``id-pkix-ocsp-nocheck`` the CA has
promised it will not be revoked for its lifetime and no check is needed; otherwise its status
must be checked (§4.2.2.2.1), or a stolen responder key answers ``good`` for anything. The
check here fails closed: the answer only counts when the responder's status is shown ``good``
at the response's ``producedAt`` by the CA's own data (a CRL, or an OCSP answer the CA signed
itself — a responder never vouches for itself), and no such data shows it compromised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from edocstd.ltv._common import ocsp_nocheck
from edocstd.ltv._crl import crl_evidence
from edocstd.ltv._ocsp import ocsp_evidence
from edocstd.ltv._status import CertStatus, FreshnessPolicy, RevocationStatus

__all__ = ["COMPROMISE_REASONS", "compromised", "evidence"]

COMPROMISE_REASONS = frozenset(
    {None, "unspecified", "key_compromise", "ca_compromise", "aa_compromise"}
)
"""Revocation reasons after which nothing signed with the key can be trusted, whatever date it
carries: the key may be in other hands, and they can date what they sign at will (RFC 3161 §4
for time-stamping units). A revocation without a reason, or ``unspecified``, is taken at its
worst."""


def compromised(status: RevocationStatus, at: dt.datetime) -> bool:
    """True when ``status`` says the key was compromised (see :data:`COMPROMISE_REASONS`) at
    or before ``at``: from then on, no date the key's holder writes can be believed."""
    return status.revoked_at(at) and status.reason in COMPROMISE_REASONS


def evidence(
    cert: bytes,
    issuer: bytes,
    crls: Sequence[bytes],
    ocsps: Sequence[bytes],
    *,
    at: dt.datetime,
    poe: dt.datetime | None,
    freshness: FreshnessPolicy,
) -> list[RevocationStatus]:
    """Every usable answer about DER ``cert`` (issued by DER ``issuer``) in ``crls`` and
    ``ocsps`` at ``at`` (with proof of existence ``poe``); unusable data is left out, never
    trusted. An OCSP answer from a delegated responder without ``id-pkix-ocsp-nocheck`` is
    left out unless the responder's own status is shown ``good`` (see the module docs)."""
    found: list[RevocationStatus] = []
    for der in ocsps:
        status = ocsp_evidence(der, cert, issuer, at=at, poe=poe, freshness=freshness)
        if status is not None and _responder_trusted(status, issuer, crls, ocsps, at, freshness):
            found.append(status)
    for der in crls:
        status = crl_evidence(der, cert, issuer, at=at, poe=poe, freshness=freshness)
        if status is not None:
            found.append(status)
    return found


def _responder_trusted(
    answer: RevocationStatus,
    issuer: bytes,
    crls: Sequence[bytes],
    ocsps: Sequence[bytes],
    at: dt.datetime,
    freshness: FreshnessPolicy,
) -> bool:
    responder = answer.signer
    if not responder or responder == issuer or ocsp_nocheck(responder):
        return True
    produced = answer.produced_at or answer.this_update
    statuses: list[RevocationStatus] = []
    for der in crls:
        found = crl_evidence(der, responder, issuer, at=at, poe=produced, freshness=freshness)
        if found is not None:
            statuses.append(found)
    for der in ocsps:
        found = ocsp_evidence(der, responder, issuer, at=at, poe=produced, freshness=freshness)
        # Only the CA's own answer: a responder saying it is itself good proves nothing.
        if found is not None and found.signer == issuer:
            statuses.append(found)
    shown = False
    for s in statuses:
        if s.status is CertStatus.UNKNOWN or compromised(s, at) or s.revoked_at(produced):
            return False
        # Good, or revoked after producedAt for a reason that leaves earlier answers standing.
        shown = True
    return shown
