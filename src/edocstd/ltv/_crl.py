"""CRLs (RFC 5280 §5, §6.3): fetching from a certificate's distribution points and checking.

As for OCSP (see :mod:`edocstd.ltv._ocsp`), the stand-alone check of one CRL for one
certificate is written here because pyhanko-certvalidator only exposes CRL processing inside
a full path validation. Deliberately narrow: only complete, direct CRLs are accepted — a CRL
signed by the certificate's own issuer, with no ``deltaCRLIndicator``, no indirect entries
and no reason-partitioned ``issuingDistributionPoint``. Anything else raises
:class:`~edocstd.ltv.RevocationError` rather than being half-understood; the verifier can
still hand such CRLs to pyhanko-certvalidator, which implements the full §6.3 algorithm.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from asn1crypto import core, crl
from asn1crypto import x509 as asn1_x509

from edocstd.errors import NetworkError, ServiceError
from edocstd.ltv._common import (
    CertLike,
    Refusal,
    RevocationJudge,
    as_asn1_cert,
    der_of,
    same_name,
    utc,
    verify_signature,
)
from edocstd.ltv._errors import Failure, RevocationError
from edocstd.ltv._http import HttpClient, HttpRequest, UrllibClient, exchange
from edocstd.ltv._status import CertStatus, FreshnessPolicy, RevocationSource, RevocationStatus

__all__ = ["check_crl", "crl_urls", "fetch_crl"]

_KNOWN_CRL_EXTENSIONS = frozenset(
    {
        "crl_number",
        "authority_key_identifier",
        "issuing_distribution_point",
        "authority_information_access",
        "freshest_crl",
        "issuer_alt_name",
    }
)
_KNOWN_ENTRY_EXTENSIONS = frozenset({"crl_reason", "invalidity_date"})


def _fail(failure: Failure, detail: str) -> RevocationError:
    return RevocationError(failure, f"CRL: {detail}")


def crl_urls(cert: CertLike) -> list[str]:
    """The http(s) URLs of ``cert``'s CRL distribution points."""
    parsed = as_asn1_cert(cert)
    urls: list[str] = []
    try:
        for point in parsed.crl_distribution_points:
            url = point.url
            if url and url.lower().startswith(("http://", "https://")):
                urls.append(url)
    except Exception:
        return []
    return urls


def fetch_crl(
    cert: CertLike,
    *,
    http: HttpClient | None = None,
    url: str | None = None,
    timeout: float = 30.0,
) -> bytes:
    """Download the CRL for ``cert`` (from ``url`` or its distribution points) as DER.

    The distribution points are tried in order. Raises
    :class:`~edocstd.errors.NetworkError` when none answers; the bytes are not checked here
    (use :func:`check_crl`).
    """
    urls = [url] if url else crl_urls(cert)
    if not urls:
        raise _fail(Failure.MALFORMED, "the certificate names no CRL distribution point")
    client: HttpClient = http or UrllibClient()
    last: Exception | None = None
    for candidate in urls[:5]:
        try:
            return exchange(client, HttpRequest(url=candidate, timeout=timeout))
        except ServiceError as exc:
            last = exc
    raise NetworkError(f"no CRL distribution point answered: {last}") from last


def check_crl(
    der: bytes,
    cert: CertLike,
    issuer: CertLike,
    *,
    at: dt.datetime | None = None,
    poe: dt.datetime | None = None,
    freshness: FreshnessPolicy | None = None,
) -> RevocationStatus:
    """Check a CRL about ``cert`` (issued by ``issuer``) at time ``at``.

    Checks: the CRL's issuer name is ``issuer``'s subject (and the certificate's issuer), its
    signature verifies with ``issuer``'s key, ``issuer`` may sign CRLs (``cRLSign`` when key
    usage is present), the authority key identifier matches, no unknown critical extension,
    the CRL's scope covers the certificate, and it is fresh per ``freshness``. Returns
    ``GOOD`` or ``REVOKED`` (with time and reason); raises
    :class:`~edocstd.ltv.RevocationError` otherwise.
    """
    moment = utc(at)
    rules = freshness or FreshnessPolicy()
    der = bytes(der)
    answer = _JUDGE(der, der_of(cert), der_of(issuer))
    if isinstance(answer, Refusal):
        # The refusal's detail already carries the "CRL: " prefix that _fail adds.
        raise RevocationError(answer.failure, answer.detail)
    if not rules.usable(answer, moment, poe):
        rules.check(answer.this_update, answer.next_update, moment, poe)
    return answer


def crl_evidence(
    der: bytes,
    cert: bytes,
    issuer: bytes,
    *,
    at: dt.datetime,
    poe: dt.datetime | None,
    freshness: FreshnessPolicy,
) -> RevocationStatus | None:
    """As :func:`check_crl` for DER ``cert`` and ``issuer``, but ``None`` instead of an error:
    for sifting many pieces of data, most of them about other certificates, where only usable
    evidence matters and building an error for each would cost more than the check."""
    return _JUDGE.evidence(der, cert, issuer, at=at, poe=poe, freshness=freshness)


def _judge(
    der: bytes, subject: asn1_x509.Certificate, ca: asn1_x509.Certificate
) -> RevocationStatus:
    if not same_name(subject.issuer, ca.subject):
        raise _fail(Failure.MISMATCH, "the given issuer did not issue the certificate")
    try:
        (
            lst,
            crl_issuer,
            this_update,
            next_update,
            signature,
            sig_alg,
            inner_alg,
            tbs_der,
            critical,
            idp,
            aki,
            delta,
        ) = _load(der)
    except RevocationError:
        raise
    except Exception as exc:
        raise _fail(Failure.MALFORMED, f"undecodable CRL ({type(exc).__name__})") from exc
    if not same_name(crl_issuer, ca.subject):
        raise _fail(Failure.MISMATCH, "the CRL was issued by another CA")
    if sig_alg.dump() != inner_alg.dump():
        raise _fail(Failure.MALFORMED, "the CRL's two signature algorithm fields differ")
    if aki is not None and ca.key_identifier is not None and aki != ca.key_identifier:
        raise _fail(Failure.MISMATCH, "the CRL's authority key identifier is another key's")
    try:
        key_usage = ca.key_usage_value
    except Exception as exc:
        raise _fail(Failure.MALFORMED, "undecodable issuer key usage") from exc
    if key_usage is not None and "crl_sign" not in key_usage.native:
        raise _fail(Failure.SIGNER, "the issuer may not sign CRLs (no cRLSign)")
    if not verify_signature(signature, tbs_der, ca, sig_alg):
        raise _fail(Failure.SIGNATURE, "the CRL's signature does not verify with the issuer's key")
    unknown = critical - _KNOWN_CRL_EXTENSIONS
    if unknown:
        raise _fail(Failure.POLICY, f"unknown critical CRL extension(s): {sorted(unknown)}")
    if delta is not None:
        raise _fail(Failure.POLICY, "delta CRLs are not accepted as complete CRLs")
    if idp is not None:
        _check_scope(idp, subject)

    status, revocation_time, reason = _lookup(lst, subject.serial_number)
    return RevocationStatus(
        status=status,
        source=RevocationSource.CRL,
        this_update=this_update,
        next_update=next_update,
        revocation_time=revocation_time,
        reason=reason,
        signer=ca.dump(),
        der=der,
    )


# Everything about a CRL and one certificate that does not depend on the validation time,
# cached by the exact bytes involved (see RevocationJudge for why that is safe). Bounded: at
# most 256 outcomes, for CRLs of at most 32 KB each.
_JUDGE = RevocationJudge(_judge, entries=256, max_size=32 * 1024)


@functools.lru_cache(maxsize=64)
def _load(der: bytes) -> tuple[Any, ...]:
    """Decode a CRL once (cached: the same CRLs are checked for many certificates)."""
    lst = crl.CertificateList.load(der, strict=True)
    tbs = lst["tbs_cert_list"]
    crl_issuer = tbs["issuer"]
    crl_issuer.native  # noqa: B018 - decode now so garbage fails here, typed
    return (
        lst,
        crl_issuer,
        tbs["this_update"].native,
        tbs["next_update"].native,
        bytes(lst["signature"].native),
        lst["signature_algorithm"],
        tbs["signature"],
        tbs.dump(),
        frozenset(lst.critical_extensions),
        lst.issuing_distribution_point_value,
        lst.authority_key_identifier,
        lst.delta_crl_indicator_value,
    )


def _check_scope(idp: crl.IssuingDistributionPoint, subject: asn1_x509.Certificate) -> None:
    try:
        indirect = bool(idp["indirect_crl"].native)
        partial = not isinstance(idp["only_some_reasons"], core.Void)
        only_user = bool(idp["only_contains_user_certs"].native)
        only_ca = bool(idp["only_contains_ca_certs"].native)
        only_attr = bool(idp["only_contains_attribute_certs"].native)
        is_ca = bool(subject.ca)
    except Exception as exc:
        raise _fail(Failure.MALFORMED, "undecodable issuingDistributionPoint") from exc
    if indirect or partial:
        raise _fail(Failure.POLICY, "indirect or reason-partitioned CRLs are not accepted")
    if only_attr or (only_user and is_ca) or (only_ca and not is_ca):
        raise _fail(Failure.MISMATCH, "the CRL's scope does not cover this certificate")


def _lookup(
    lst: crl.CertificateList, serial: int
) -> tuple[CertStatus, dt.datetime | None, str | None]:
    try:
        for entry in lst["tbs_cert_list"]["revoked_certificates"]:
            if entry["user_certificate"].native != serial:
                continue
            unknown = set(entry.critical_extensions) - _KNOWN_ENTRY_EXTENSIONS
            if unknown or entry.certificate_issuer_value is not None:
                raise _fail(Failure.POLICY, "unsupported CRL entry extension")
            reason_value = entry.crl_reason_value
            reason = None if reason_value is None else str(reason_value.native)
            if reason == "remove_from_crl":
                return CertStatus.GOOD, None, None
            return CertStatus.REVOKED, entry["revocation_date"].native, reason
    except RevocationError:
        raise
    except Exception as exc:
        raise _fail(Failure.MALFORMED, f"undecodable revoked entry ({type(exc).__name__})") from exc
    return CertStatus.GOOD, None, None
