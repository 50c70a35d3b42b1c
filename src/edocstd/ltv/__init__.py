"""Building blocks for long-term signatures: RFC 3161 time-stamps, OCSP and CRLs.

* :class:`TimeStampClient` requests tokens; :func:`validate_timestamp_token` checks one
  (imprint, CMS signature, ESS signing certificate, ``timeStamping`` EKU, path to the
  caller's trust anchors at a settable time, allowed policies).
* :func:`fetch_ocsp` / :func:`check_ocsp_response` and :func:`fetch_crl` /
  :func:`check_crl` give a typed :class:`RevocationStatus` for one certificate, judged by a
  :class:`FreshnessPolicy`.
* :class:`HttpFetcherBackend` lets pyhanko-certvalidator fetch through the same transport
  (the verifier's "online" revocation mode).
* :func:`extend` / :func:`augmenter` raise XAdES signatures to B-T, B-LT and B-LTA, and
  :func:`validate_timestamps` checks their time-stamps.
* :func:`assess_long_term` judges a signer at its best signature time (proof of existence);
  :func:`check_timestamps`, :func:`best_signature_time` and :func:`judge_revocation` are its
  steps, which the verifier runs for every B-T, B-LT and B-LTA signature.
* :class:`OnlineRevocation` is the verifier's ``online`` revocation source.
* All network access goes through an injectable :data:`HttpClient`; the default is
  :class:`UrllibClient`. Unreachable services raise :class:`~edocstd.errors.NetworkError`;
  unusable answers raise :class:`TimeStampError` or :class:`RevocationError`, each with a
  :class:`Failure` kind.
"""

from edocstd.ltv._crl import check_crl, crl_evidence, crl_urls, fetch_crl
from edocstd.ltv._errors import Failure, LtvError, RevocationError, TimeStampError
from edocstd.ltv._fetchers import HttpFetcherBackend
from edocstd.ltv._http import HttpClient, HttpRequest, HttpResponse, UrllibClient
from edocstd.ltv._levels import (
    TimeStampFailure,
    TimeStampKind,
    TimeStampResult,
    ValidationData,
    add_archive_timestamp,
    add_signature_timestamp,
    add_validation_data,
    augmenter,
    check_timestamps,
    embedded_validation_data,
    extend,
    gather_validation_data,
    validate_timestamps,
)
from edocstd.ltv._ocsp import (
    build_ocsp_request,
    check_ocsp_response,
    fetch_ocsp,
    ocsp_evidence,
    ocsp_urls,
)
from edocstd.ltv._poe import (
    CertificateStatus,
    LongTermOutcome,
    LongTermResult,
    RevocationJudgement,
    assess_long_term,
    best_signature_time,
    judge_revocation,
)
from edocstd.ltv._status import CertStatus, FreshnessPolicy, RevocationSource, RevocationStatus
from edocstd.ltv._tsp import (
    TimeStampClient,
    TimeStampPolicy,
    TimeStampToken,
    TsaRevocation,
    ValidatedTimeStamp,
    build_timestamp_request,
    parse_timestamp_response,
    parse_timestamp_token,
    validate_timestamp_token,
)

__all__ = [
    "CertStatus",
    "CertificateStatus",
    "Failure",
    "FreshnessPolicy",
    "HttpClient",
    "HttpFetcherBackend",
    "HttpRequest",
    "HttpResponse",
    "LongTermOutcome",
    "LongTermResult",
    "LtvError",
    "OnlineRevocation",
    "RevocationError",
    "RevocationJudgement",
    "RevocationSource",
    "RevocationStatus",
    "TimeStampClient",
    "TimeStampError",
    "TimeStampFailure",
    "TimeStampKind",
    "TimeStampPolicy",
    "TimeStampResult",
    "TimeStampToken",
    "TsaRevocation",
    "UrllibClient",
    "ValidatedTimeStamp",
    "ValidationData",
    "add_archive_timestamp",
    "add_signature_timestamp",
    "add_validation_data",
    "assess_long_term",
    "augmenter",
    "best_signature_time",
    "build_ocsp_request",
    "build_timestamp_request",
    "check_crl",
    "check_ocsp_response",
    "check_timestamps",
    "crl_evidence",
    "crl_urls",
    "embedded_validation_data",
    "extend",
    "fetch_crl",
    "fetch_ocsp",
    "gather_validation_data",
    "judge_revocation",
    "ocsp_evidence",
    "ocsp_urls",
    "parse_timestamp_response",
    "parse_timestamp_token",
    "validate_timestamp_token",
    "validate_timestamps",
]


def __getattr__(name: str) -> object:
    # OnlineRevocation builds on the verifier's RevocationData; loading it lazily keeps
    # ``import edocstd.ltv`` free of the verifier (and of any import cycle with it).
    if name == "OnlineRevocation":
        from edocstd.ltv._online import OnlineRevocation

        return OnlineRevocation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
