"""Verification of enveloped XAdES and XMLDSig signatures (EDOC-1.0 §4.4)."""

from __future__ import annotations

from edocstd.verify._chain import OfflineRevocation, RevocationData, RevocationSource
from edocstd.verify._policy import Policy, Revocation
from edocstd.verify._report import (
    Check,
    Indication,
    SignatureReport,
    SignedContentChangedError,
    SubIndication,
    TimeStampReport,
    VerificationReport,
    VerifiedDocument,
)
from edocstd.verify._trust import TrustStore
from edocstd.verify._verifier import Verifier

__all__ = [
    "Check",
    "Indication",
    "OfflineRevocation",
    "Policy",
    "Revocation",
    "RevocationData",
    "RevocationSource",
    "SignatureReport",
    "SignedContentChangedError",
    "SubIndication",
    "TimeStampReport",
    "TrustStore",
    "VerificationReport",
    "VerifiedDocument",
    "Verifier",
]
