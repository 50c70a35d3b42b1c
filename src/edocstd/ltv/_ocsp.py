"""OCSP (RFC 6960): building requests, fetching responses, checking them.

Why checking is written here and not delegated to pyhanko-certvalidator: its OCSP checks are
private functions tied to a full path validation (a ``ValidationContext`` and a built path)
and report failures as free text. Here we need a stand-alone check of *one* response for
*one* certificate and issuer, with a typed reason (unauthorised signer, stale, wrong
certificate, bad nonce …) that the signer uses before embedding data in ``RevocationValues``
and the verifier maps to ETSI sub-indications, and with the freshness rule of
:class:`~edocstd.ltv.FreshnessPolicy` (including a configurable maximum age when a response
has no ``nextUpdate``). The parts that are general — ASN.1 (asn1crypto) and signature
algorithm dispatch (pyhanko-certvalidator) — are not re-implemented. Full path validation of
the *subject* certificate, with this data, stays with pyhanko-certvalidator in the verifier;
:mod:`edocstd.ltv._fetchers` plugs our HTTP transport into it for online mode.

Responder authorisation follows RFC 6960 §4.2.2.2: the response is signed by the CA that
issued the certificate, or by a responder certificate issued directly by that CA carrying the
``id-kp-OCSPSigning`` key purpose (checked at ``producedAt``). A delegated responder's own
revocation status needs other data (the CA's CRL): :func:`edocstd.ltv._evidence.evidence`
checks it when the responder certificate lacks ``id-pkix-ocsp-nocheck`` (RFC 6960
§4.2.2.2.1). A ``thisUpdate`` later than ``producedAt`` is refused.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

from asn1crypto import core, keys, ocsp
from asn1crypto import x509 as asn1_x509

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
from edocstd.ltv._http import HttpClient, HttpRequest, UrllibClient, check_url, exchange
from edocstd.ltv._status import CertStatus, FreshnessPolicy, RevocationSource, RevocationStatus

__all__ = ["build_ocsp_request", "check_ocsp_response", "fetch_ocsp", "ocsp_urls"]

_CERTID_HASHES = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
# The clock skew allowed between a SingleResponse's thisUpdate and the producedAt of the
# response: fixed, because this check is cached with the other time-independent ones.
_PRODUCED_SKEW = dt.timedelta(minutes=5)
_BASIC = "1.3.6.1.5.5.7.48.1.1"


def _fail(failure: Failure, detail: str) -> RevocationError:
    return RevocationError(failure, f"OCSP: {detail}")


def build_ocsp_request(
    cert: CertLike,
    issuer: CertLike,
    *,
    hash_algorithm: str = "sha1",
    nonce: bool = True,
) -> tuple[bytes, bytes | None]:
    """DER of an OCSPRequest for ``cert`` issued by ``issuer``, and the nonce sent (if any).

    The CertID hash defaults to SHA-1 because RFC 5019 responders (most deployed ones) only
    match SHA-1 CertIDs; it only names the issuer and is no security parameter.
    """
    subject, ca = as_asn1_cert(cert), as_asn1_cert(issuer)
    return request_for(
        subject, ca.subject, ca.public_key, hash_algorithm=hash_algorithm, nonce=nonce
    )


def request_for(
    subject: asn1_x509.Certificate,
    issuer_name: asn1_x509.Name,
    issuer_key: keys.PublicKeyInfo,
    *,
    hash_algorithm: str = "sha1",
    nonce: bool = True,
) -> tuple[bytes, bytes | None]:
    """Like :func:`build_ocsp_request`, from the issuer's name and key (no certificate)."""
    if hash_algorithm not in _CERTID_HASHES:
        raise ValueError(f"unsupported CertID hash {hash_algorithm!r}")
    fn = _CERTID_HASHES[hash_algorithm]
    cert_id = ocsp.CertId(
        {
            "hash_algorithm": {"algorithm": hash_algorithm},
            "issuer_name_hash": fn(issuer_name.dump()).digest(),
            "issuer_key_hash": fn(issuer_key["public_key"].contents[1:]).digest(),
            "serial_number": subject.serial_number,
        }
    )
    tbs: dict[str, object] = {"request_list": [{"req_cert": cert_id}]}
    sent = None
    if nonce:
        sent = secrets.token_bytes(16)
        tbs["request_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": sent}]
    return ocsp.OCSPRequest({"tbs_request": tbs}).dump(), sent


def ocsp_urls(cert: CertLike) -> list[str]:
    """The http(s) OCSP URLs in ``cert``'s Authority Information Access extension."""
    parsed = as_asn1_cert(cert)
    try:
        return [u for u in parsed.ocsp_urls if u.lower().startswith(("http://", "https://"))]
    except Exception:
        return []


def fetch_ocsp(
    cert: CertLike,
    issuer: CertLike,
    *,
    http: HttpClient | None = None,
    url: str | None = None,
    at: dt.datetime | None = None,
    freshness: FreshnessPolicy | None = None,
    timeout: float = 20.0,
) -> RevocationStatus:
    """Ask the responder (``url`` or the certificate's AIA) and check the answer fully.

    Raises :class:`~edocstd.errors.NetworkError` when no responder can be reached and
    :class:`~edocstd.ltv.RevocationError` when the answer does not pass
    :func:`check_ocsp_response` (with the nonce we sent).
    """
    urls = [url] if url else ocsp_urls(cert)
    if not urls:
        raise _fail(Failure.MALFORMED, "the certificate names no OCSP responder")
    client: HttpClient = http or UrllibClient()
    body, nonce = build_ocsp_request(cert, issuer)
    answer = exchange(
        client,
        HttpRequest(
            url=check_url(urls[0]),
            body=body,
            content_type="application/ocsp-request",
            accept="application/ocsp-response",
            timeout=timeout,
        ),
        expect_types=frozenset({"application/ocsp-response"}),
    )
    return check_ocsp_response(answer, cert, issuer, at=at, nonce=nonce, freshness=freshness)


def check_ocsp_response(
    der: bytes,
    cert: CertLike,
    issuer: CertLike,
    *,
    at: dt.datetime | None = None,
    poe: dt.datetime | None = None,
    nonce: bytes | None = None,
    freshness: FreshnessPolicy | None = None,
) -> RevocationStatus:
    """Check an OCSP response about ``cert`` (issued by ``issuer``) at time ``at``.

    Checks that the response is successful and basic, that a SingleResponse names exactly
    this certificate (CertID), that it is signed by ``issuer`` or a delegated responder
    authorised by ``issuer`` (RFC 6960 §4.2.2.2), that it echoes ``nonce`` when one was sent,
    and that it is fresh per ``freshness`` at ``at`` (or, given ``poe``, issued after it).
    Returns the :class:`~edocstd.ltv.RevocationStatus`; raises
    :class:`~edocstd.ltv.RevocationError` otherwise.
    """
    moment = utc(at)
    rules = freshness or FreshnessPolicy()
    der = bytes(der)
    answer = _JUDGE(der, der_of(cert), der_of(issuer))
    if isinstance(answer, Refusal):
        # The refusal's detail already carries the "OCSP: " prefix that _fail adds.
        raise RevocationError(answer.failure, answer.detail)
    if nonce is not None:
        check_nonce(_parse(der)[1], nonce)
    if not rules.usable(answer, moment, poe):
        rules.check(answer.this_update, answer.next_update, moment, poe)
    return answer


def ocsp_evidence(
    der: bytes,
    cert: bytes,
    issuer: bytes,
    *,
    at: dt.datetime,
    poe: dt.datetime | None,
    freshness: FreshnessPolicy,
) -> RevocationStatus | None:
    """As :func:`check_ocsp_response` for DER ``cert`` and ``issuer``, but ``None`` instead of an error:
    for sifting many pieces of data, most of them about other certificates, where only usable
    evidence matters and building an error for each would cost more than the check."""
    return _JUDGE.evidence(der, cert, issuer, at=at, poe=poe, freshness=freshness)


def _judge(
    der: bytes, subject: asn1_x509.Certificate, ca: asn1_x509.Certificate
) -> RevocationStatus:
    try:
        parsed = _parse(der)
    except RevocationError:
        raise
    except Exception as exc:
        raise _fail(Failure.MALFORMED, f"undecodable response ({type(exc).__name__})") from exc
    basic, tbs, responses, responder_certs = parsed
    try:
        matches = [r for r in responses if _certid_matches(r["cert_id"], subject, ca)]
    except Exception as exc:
        raise _fail(Failure.MALFORMED, f"undecodable CertID ({type(exc).__name__})") from exc
    if not matches:
        raise _fail(Failure.MISMATCH, "the response is not about this certificate")
    if len(matches) > 1:
        raise _fail(Failure.MALFORMED, "the response answers twice for this certificate")
    single = matches[0]
    _check_issued_by(subject, ca)
    try:
        produced_at = tbs["produced_at"].native
        this_update = single["this_update"].native
        next_update = single["next_update"].native
        cert_status = single["cert_status"]
        status_name = cert_status.name
    except Exception as exc:
        raise _fail(
            Failure.MALFORMED, f"undecodable SingleResponse ({type(exc).__name__})"
        ) from exc
    if this_update > produced_at + _PRODUCED_SKEW:
        # The responder signed (producedAt) before the status it vouches for was known
        # (thisUpdate): an answer dated ahead, as a stolen or misconfigured key could make.
        raise _fail(Failure.FRESHNESS, "thisUpdate is after producedAt")
    signer = _authorised_signer(tbs, responder_certs, ca, produced_at)
    try:
        signed_ok = verify_signature(
            bytes(basic["signature"].native),
            basic["tbs_response_data"].dump(),
            signer,
            basic["signature_algorithm"],
        )
    except Exception:
        signed_ok = False
    if not signed_ok:
        raise _fail(Failure.SIGNATURE, "the response's signature does not verify")

    revocation_time = None
    reason = None
    if status_name == "good":
        status = CertStatus.GOOD
    elif status_name == "revoked":
        status = CertStatus.REVOKED
        info = cert_status.chosen
        try:
            revocation_time = info["revocation_time"].native
            reason_value = info["revocation_reason"]
            reason = None if isinstance(reason_value, core.Void) else str(reason_value.native)
        except Exception as exc:
            raise _fail(Failure.MALFORMED, "undecodable revocation information") from exc
    else:
        status = CertStatus.UNKNOWN
    return RevocationStatus(
        status=status,
        source=RevocationSource.OCSP,
        this_update=this_update,
        next_update=next_update,
        revocation_time=revocation_time,
        reason=reason,
        produced_at=produced_at,
        signer=signer.dump(),
        der=der,
    )


# Everything about a response that does not depend on the validation time (the nonce and
# freshness are checked per call), cached by the exact bytes involved (see RevocationJudge
# for why that is safe). Bounded: at most 256 outcomes, for responses of at most 32 KB each.
_JUDGE = RevocationJudge(_judge, entries=256, max_size=32 * 1024)


def _check_issued_by(subject: asn1_x509.Certificate, ca: asn1_x509.Certificate) -> None:
    if not same_name(subject.issuer, ca.subject) or not verify_signature(
        bytes(subject["signature_value"].native),
        subject["tbs_certificate"].dump(),
        ca,
        subject["signature_algorithm"],
    ):
        raise _fail(Failure.MISMATCH, "the given issuer did not issue the certificate")


@functools.lru_cache(maxsize=512)
def _parse(
    der: bytes,
) -> tuple[
    ocsp.BasicOCSPResponse, ocsp.ResponseData, ocsp.Responses, tuple[asn1_x509.Certificate, ...]
]:
    resp = ocsp.OCSPResponse.load(der, strict=True)
    status = resp["response_status"].native
    if status != "successful":
        raise _fail(Failure.STATUS, f"responder answered {status}")
    rbytes = resp["response_bytes"]
    if isinstance(rbytes, core.Void) or rbytes["response_type"].dotted != _BASIC:
        raise _fail(Failure.MALFORMED, "not a basic OCSP response")
    basic = rbytes["response"].parsed
    if not isinstance(basic, ocsp.BasicOCSPResponse):
        raise _fail(Failure.MALFORMED, "not a basic OCSP response")
    tbs = basic["tbs_response_data"]
    certs = basic["certs"]
    responder_certs = () if isinstance(certs, core.Void) else tuple(certs)
    for c in responder_certs:
        c.native  # noqa: B018 - decode now so garbage fails here, typed
    return basic, tbs, tbs["responses"], responder_certs


def _certid_matches(
    cert_id: ocsp.CertId, subject: asn1_x509.Certificate, ca: asn1_x509.Certificate
) -> bool:
    fn = _CERTID_HASHES.get(cert_id["hash_algorithm"]["algorithm"].native)
    if fn is None:
        return False
    return bool(
        cert_id["serial_number"].native == subject.serial_number
        and cert_id["issuer_name_hash"].native == fn(ca.subject.dump()).digest()
        and cert_id["issuer_key_hash"].native
        == fn(ca.public_key["public_key"].contents[1:]).digest()
    )


def check_nonce(tbs: ocsp.ResponseData, nonce: bytes) -> None:
    """Raise :class:`~edocstd.ltv.RevocationError` unless ``tbs`` echoes ``nonce`` once."""
    try:
        exts = tbs["response_extensions"]
        values = [
            e["extn_value"].parsed.native
            for e in ([] if isinstance(exts, core.Void) else exts)
            if e["extn_id"].native == "nonce"
        ]
    except Exception as exc:
        raise _fail(Failure.MALFORMED, "undecodable response extensions") from exc
    if len(values) != 1 or not isinstance(values[0], bytes) or values[0] != nonce:
        raise _fail(Failure.NONCE, "the response does not echo the request nonce")


def _responder_matches(responder_id: ocsp.ResponderId, cert: asn1_x509.Certificate) -> bool:
    if responder_id.name == "by_name":
        return same_name(responder_id.chosen, cert.subject)
    key_hash = hashlib.sha1(cert.public_key["public_key"].contents[1:]).digest()  # noqa: S324 - RFC 6960 KeyHash is SHA-1 by definition
    return bool(responder_id.chosen.native == key_hash)


def _authorised_signer(
    tbs: ocsp.ResponseData,
    responder_certs: tuple[asn1_x509.Certificate, ...],
    ca: asn1_x509.Certificate,
    produced_at: dt.datetime,
) -> asn1_x509.Certificate:
    try:
        responder_id = tbs["responder_id"]
        if _responder_matches(responder_id, ca):
            return ca
        named = [c for c in responder_certs if _responder_matches(responder_id, c)]
    except Exception as exc:
        raise _fail(Failure.MALFORMED, "undecodable responder id") from exc
    for cand in named:
        if cand.dump() == ca.dump():
            return ca
        try:
            purposes = cand.extended_key_usage_value
            dotted = [p.dotted for p in purposes] if purposes is not None else []
            key_usage = cand.key_usage_value
            usages = set(key_usage.native) if key_usage is not None else None
            validity = cand["tbs_certificate"]["validity"]
            start, end = validity["not_before"].native, validity["not_after"].native
        except Exception as exc:
            raise _fail(Failure.MALFORMED, "undecodable responder certificate") from exc
        if _OCSP_SIGNING not in dotted:
            continue
        if usages is not None and not usages & {"digital_signature", "non_repudiation"}:
            continue
        if not same_name(cand.issuer, ca.subject) or not verify_signature(
            bytes(cand["signature_value"].native),
            cand["tbs_certificate"].dump(),
            ca,
            cand["signature_algorithm"],
        ):
            continue
        if not start <= produced_at <= end:
            raise _fail(Failure.SIGNER, "the responder certificate was not valid at producedAt")
        return cand
    raise _fail(
        Failure.SIGNER,
        "signed neither by the issuing CA nor by a responder it authorised (OCSPSigning)",
    )
