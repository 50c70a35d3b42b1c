"""RFC 3161 time-stamps: requesting tokens from a TSA and validating them.

ASN.1 is handled by ``asn1crypto`` (``asn1crypto.tsp`` and ``asn1crypto.cms``). The CMS
signature check follows RFC 5652 §5.4 and RFC 3161 §2.4.2 by hand because no maintained Python
library validates a *TimeStampToken* on its own; the pieces that are general (signature
algorithm dispatch, certificate path validation with usage checks) come from
``pyhanko-certvalidator``. Path validation of the TSA certificate uses pyhanko-certvalidator
rather than ``cryptography.x509.verification``, because the latter refuses a certificate whose
``extendedKeyUsage`` is critical, which RFC 3161 §2.3 makes mandatory for TSA certificates.

Every defect in a response or token — undecodable DER, wrong object identifiers, a missing
attribute, a digest or signature that does not match — raises :class:`TimeStampError` with a
:class:`~edocstd.ltv.Failure` kind. Nothing here ever "passes" a token it could not fully
check.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import itertools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    InvalidCertificateError,
    PathBuildingError,
    PathValidationError,
    ValidationError,
)
from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy

from edocstd.errors import CertificateError
from edocstd.ltv._common import (
    CertLike,
    PathCache,
    Refusal,
    as_asn1_cert,
    as_asn1_certs,
    der_of,
    ocsp_nocheck,
    run_sync,
    same_name,
    utc,
)
from edocstd.ltv._common import verify_signature as _verify_signature
from edocstd.ltv._errors import Failure, TimeStampError
from edocstd.ltv._evidence import compromised, evidence
from edocstd.ltv._http import HttpClient, HttpRequest, UrllibClient, check_url, exchange
from edocstd.ltv._status import CertStatus, FreshnessPolicy

__all__ = [
    "TimeStampClient",
    "TimeStampPolicy",
    "TimeStampToken",
    "TsaRevocation",
    "ValidatedTimeStamp",
    "build_timestamp_request",
    "parse_timestamp_response",
    "parse_timestamp_token",
    "validate_timestamp_token",
]

_DIGESTS = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_ESS_DIGESTS = {"sha1": hashlib.sha1, **_DIGESTS}
_TIME_STAMPING = "1.3.6.1.5.5.7.3.8"


def _fail(failure: Failure, detail: str) -> TimeStampError:
    return TimeStampError(failure, detail)


@dataclass(frozen=True)
class TimeStampToken:
    """A parsed RFC 3161 time-stamp token (a CMS SignedData over a TSTInfo).

    Parsing checks the structure only; :func:`validate_timestamp_token` checks the rest.
    """

    der: bytes
    """The token (CMS ContentInfo) exactly as received."""
    gen_time: dt.datetime
    """The time the TSA asserts, in UTC."""
    policy: str
    """The TSA policy OID, dotted."""
    serial_number: int
    hash_algorithm: str
    """The message-imprint hash: ``sha256``, ``sha384``, ``sha512`` (or what the TSA used)."""
    message_imprint: bytes
    nonce: int | None
    certificates: tuple[bytes, ...]
    """DER certificates carried in the token (the TSA's own, with luck its chain)."""
    accuracy: dt.timedelta | None = None

    def covers(self, data: bytes) -> bool:
        """True when the message imprint is the hash of ``data``."""
        fn = _ESS_DIGESTS.get(self.hash_algorithm)
        return fn is not None and secrets.compare_digest(fn(data).digest(), self.message_imprint)


class TsaRevocation(enum.Enum):
    """How the revocation status of a TSA's certificate path is required."""

    IF_AVAILABLE = "if-available"
    """Use the CRLs/OCSP responses given; fail on a revocation dated at or before ``genTime``,
    and on a key compromise at any date (see :func:`validate_timestamp_token`); a certificate
    with no usable data is not failed for that alone."""
    REQUIRED = "required"
    """As ``IF_AVAILABLE``, and every certificate below the trust anchor (except those with
    ``id-pkix-ocsp-nocheck``) needs a usable answer: ``good``, or revoked only after
    ``genTime`` for a reason other than a compromise. Missing data fails with
    ``Failure.NO_REVOCATION_DATA``."""
    NONE = "none"
    """Do not look at revocation (the caller checks it some other way)."""


@dataclass(frozen=True)
class TimeStampPolicy:
    """What :func:`validate_timestamp_token` accepts."""

    allowed_policies: frozenset[str] | None = None
    """TSA policy OIDs the caller accepts; ``None`` accepts any."""
    allowed_digests: frozenset[str] = frozenset(_DIGESTS)
    """Message-imprint hashes accepted (SHA-1 and MD5 are not, by default)."""
    strict_eku: bool = True
    """Require RFC 3161 §2.3 to the letter: an extended key usage extension that is critical
    and names ``timeStamping`` only. With ``False``, ``timeStamping`` must still be present."""
    revocation: TsaRevocation = TsaRevocation.IF_AVAILABLE
    """Revocation checking of the TSA's path, with the data passed to the validation."""
    freshness: FreshnessPolicy = field(default_factory=FreshnessPolicy)
    """Freshness of that data. Data issued after ``genTime`` (within the policy's clock skew)
    is fresh for the token at any later validation time: it shows the TSA certificate was not
    revoked when the token was made."""


@dataclass(frozen=True)
class ValidatedTimeStamp:
    """A token that passed every check, with the path that was built for its TSA."""

    token: TimeStampToken
    tsa_certificate: bytes
    chain: tuple[bytes, ...] = field(default=())
    """DER certificates from the TSA certificate up to and including the trust anchor."""


def build_timestamp_request(
    digest: bytes,
    hash_algorithm: str = "sha256",
    *,
    nonce: int | None = None,
    policy: str | None = None,
) -> tuple[bytes, int]:
    """DER of a TimeStampReq for ``digest``, and the nonce used (random 64-bit by default)."""
    if hash_algorithm not in _DIGESTS:
        raise ValueError(f"unsupported time-stamp hash {hash_algorithm!r}")
    if len(digest) != _DIGESTS[hash_algorithm]().digest_size:
        raise ValueError(f"digest length does not match {hash_algorithm}")
    nonce = secrets.randbits(63) | 1 if nonce is None else nonce
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": {"algorithm": hash_algorithm},
            "hashed_message": digest,
        },
        "nonce": nonce,
        "cert_req": True,
    }
    if policy is not None:
        fields["req_policy"] = policy
    return tsp.TimeStampReq(fields).dump(), nonce


def parse_timestamp_token(der: bytes) -> TimeStampToken:
    """Parse a TimeStampToken (CMS ContentInfo); raise :class:`TimeStampError` if malformed."""
    try:
        return _parse_token(bytes(der))
    except TimeStampError:
        raise
    except Exception as exc:
        # asn1crypto decodes lazily and signals bad encodings with many exception types
        # (ValueError, TypeError, KeyError, OverflowError, RecursionError, ...).
        raise _fail(Failure.MALFORMED, f"undecodable token ({type(exc).__name__})") from exc


@functools.lru_cache(maxsize=256)
def _parse_token(der: bytes) -> TimeStampToken:
    info = cms.ContentInfo.load(der, strict=True)
    if info["content_type"].dotted != "1.2.840.113549.1.7.2":
        raise _fail(Failure.MALFORMED, "token is not a CMS SignedData")
    signed = info["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].dotted != "1.2.840.113549.1.9.16.1.4":
        raise _fail(Failure.MALFORMED, "token does not encapsulate a TSTInfo")
    raw = _econtent(signed)
    tst = tsp.TSTInfo.load(raw, strict=True)
    if tst["version"].native != "v1":
        raise _fail(Failure.MALFORMED, "unsupported TSTInfo version")
    gen_time = tst["gen_time"].native
    if not isinstance(gen_time, dt.datetime):
        raise _fail(Failure.MALFORMED, "TSTInfo has no genTime")
    imprint = tst["message_imprint"]
    nonce = tst["nonce"].native
    certs: list[bytes] = []
    cert_set = signed["certificates"]
    if isinstance(cert_set, cms.CertificateSet):
        for choice in cert_set:
            if choice.name == "certificate":
                choice.chosen.native  # noqa: B018 - decode now so garbage fails here, typed
                certs.append(choice.chosen.dump())
    accuracy = None
    acc = tst["accuracy"]
    if isinstance(acc, tsp.Accuracy):
        accuracy = dt.timedelta(
            seconds=acc["seconds"].native or 0,
            milliseconds=acc["millis"].native or 0,
            microseconds=acc["micros"].native or 0,
        )
    if len(signed["signer_infos"]) != 1:
        raise _fail(Failure.MALFORMED, "token must have exactly one SignerInfo")
    return TimeStampToken(
        der=der,
        gen_time=gen_time.astimezone(dt.UTC),
        policy=tst["policy"].dotted,
        serial_number=int(tst["serial_number"].native),
        hash_algorithm=imprint["hash_algorithm"]["algorithm"].native,
        message_imprint=bytes(imprint["hashed_message"].native),
        nonce=None if nonce is None else int(nonce),
        certificates=tuple(certs),
        accuracy=accuracy,
    )


def _econtent(signed: cms.SignedData) -> bytes:
    content = signed["encap_content_info"]["content"]
    if not isinstance(content, core.ParsableOctetString):
        raise _fail(Failure.MALFORMED, "token has no encapsulated content")
    # The octets exactly as received: the message-digest attribute is computed over them.
    return bytes(content.__bytes__())


def parse_timestamp_response(
    der: bytes,
    *,
    digest: bytes | None = None,
    hash_algorithm: str | None = None,
    nonce: int | None = None,
    policy: str | None = None,
) -> TimeStampToken:
    """Parse a TimeStampResp and check it answers our request.

    Checks: status granted, a token present, the imprint (when ``digest`` is given), the nonce
    (when ``nonce`` is given; a missing nonce fails too), the policy (when requested), the TSA
    certificate carried (we always ask for it) and the token's own CMS signature. Path
    validation to trust anchors is :func:`validate_timestamp_token`'s job.
    """
    try:
        # Read field by field: asn1crypto's TimeStampResp makes the token mandatory, but a
        # rejection (RFC 3161 §2.4.2) carries only the status.
        outer = core.Sequence.load(bytes(der), strict=True)
        if not 1 <= len(outer) <= 2:
            raise ValueError("TimeStampResp must have one or two fields")
        status_info = tsp.PKIStatusInfo.load(outer[0].dump())
        status = status_info["status"].native
        texts = status_info["status_string"].native
        token_der = outer[1].dump() if len(outer) == 2 else None
    except Exception as exc:
        raise _fail(Failure.MALFORMED, f"undecodable response ({type(exc).__name__})") from exc
    if status not in ("granted", "granted_with_mods"):
        detail = "; ".join(str(t) for t in texts) if texts else ""
        raise _fail(Failure.STATUS, f"TSA refused the request: {status} {detail}".strip())
    if token_der is None:
        raise _fail(Failure.MALFORMED, "granted response without a token")
    token = parse_timestamp_token(token_der)
    if digest is not None:
        if hash_algorithm is not None and token.hash_algorithm != hash_algorithm:
            raise _fail(Failure.MISMATCH, "token uses another hash algorithm than requested")
        if not secrets.compare_digest(token.message_imprint, digest):
            raise _fail(Failure.MISMATCH, "token is for other data (message imprint differs)")
    if nonce is not None and token.nonce != nonce:
        raise _fail(Failure.NONCE, "token does not carry the nonce that was sent")
    if policy is not None and token.policy != policy:
        raise _fail(Failure.POLICY, f"token policy {token.policy} is not the requested {policy}")
    if not token.certificates:
        raise _fail(Failure.SIGNER, "token does not carry the TSA certificate")
    _check_cms(token, as_asn1_certs(token.certificates))
    return token


class TimeStampClient:
    """Requests RFC 3161 time-stamps from one TSA over an injectable :data:`HttpClient`."""

    def __init__(
        self,
        url: str,
        *,
        http: HttpClient | None = None,
        hash_algorithm: str = "sha256",
        policy: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        if hash_algorithm not in _DIGESTS:
            raise ValueError(f"unsupported time-stamp hash {hash_algorithm!r}")
        self.url = check_url(url)
        self.hash_algorithm = hash_algorithm
        self.policy = policy
        self.timeout = timeout
        self._http: HttpClient = http or UrllibClient()

    def stamp(self, data: bytes) -> TimeStampToken:
        """A token over ``data`` (hashed here with the client's hash algorithm)."""
        return self.stamp_digest(_DIGESTS[self.hash_algorithm](data).digest())

    def stamp_digest(self, digest: bytes) -> TimeStampToken:
        """A token over an already computed ``digest``.

        Raises :class:`~edocstd.errors.NetworkError` when the TSA cannot be reached and
        :class:`TimeStampError` when its answer is unusable.
        """
        body, nonce = build_timestamp_request(digest, self.hash_algorithm, policy=self.policy)
        answer = exchange(
            self._http,
            HttpRequest(
                url=self.url,
                body=body,
                content_type="application/timestamp-query",
                accept="application/timestamp-reply",
                timeout=self.timeout,
            ),
            expect_types=frozenset({"application/timestamp-reply", "application/timestamp-resp"}),
        )
        return parse_timestamp_response(
            answer,
            digest=digest,
            hash_algorithm=self.hash_algorithm,
            nonce=nonce,
            policy=self.policy,
        )


def validate_timestamp_token(
    token: TimeStampToken | bytes,
    *,
    trust_roots: Sequence[CertLike],
    data: bytes | None = None,
    digest: bytes | None = None,
    at: dt.datetime | None = None,
    other_certs: Iterable[CertLike] = (),
    crls: Iterable[bytes] = (),
    ocsps: Iterable[bytes] = (),
    policy: TimeStampPolicy | None = None,
) -> ValidatedTimeStamp:
    """Fully validate a time-stamp token; return it with its TSA path, or raise.

    Checks, in order: structure; hash algorithm and policy OID allowed by ``policy``; the
    message imprint against ``data`` or ``digest`` (one is required); the CMS signature over
    the signed attributes, the ``message-digest`` and ``content-type`` attributes, the
    ESSCertID/ESSCertIDv2 ``signing-certificate`` attribute naming the certificate that
    verified; the TSA certificate's extended key usage; the path from the TSA certificate to
    one of ``trust_roots`` at time ``at`` (default: now) with pyhanko-certvalidator; that
    ``genTime`` falls within the TSA certificate's validity; and the revocation status of
    that path from ``crls`` and ``ocsps`` (never the network) as ``policy.revocation`` asks,
    relative to ``genTime``: a revocation at or before ``genTime`` fails the token. A
    revocation for key compromise (also CA compromise, ``unspecified`` or no reason) at or
    before ``at`` fails it whatever its ``genTime`` (RFC 3161 §4: the key's holder chooses the
    ``genTime``), so ``at`` must be the time the token is proven to exist — the validation
    time, or the ``genTime`` of a later valid archive time-stamp covering it. A token
    whose ``genTime`` is after ``at`` (beyond the clock skew) is refused.
    """
    policy = policy or TimeStampPolicy()
    moment = utc(at)
    if not isinstance(token, TimeStampToken):
        token = parse_timestamp_token(token)
    if token.hash_algorithm not in policy.allowed_digests:
        raise _fail(Failure.POLICY, f"imprint hash {token.hash_algorithm} is not allowed")
    if policy.allowed_policies is not None and token.policy not in policy.allowed_policies:
        raise _fail(Failure.POLICY, f"TSA policy {token.policy} is not accepted")
    if (data is None) == (digest is None):
        raise ValueError("give exactly one of data= or digest=")
    if token.gen_time > moment + policy.freshness.clock_skew:
        # A time-stamp from after the validation time proves nothing at that time.
        raise _fail(Failure.FRESHNESS, "genTime is after the validation time")
    if data is not None:
        if not token.covers(data):
            raise _fail(Failure.MISMATCH, "token is for other data (message imprint differs)")
    elif digest is not None and not secrets.compare_digest(token.message_imprint, digest):
        raise _fail(Failure.MISMATCH, "token is for other data (message imprint differs)")
    # Certificates travel as DER from here on: exact, cheap keys for the caches below.
    extra = tuple(der_of(c) for c in other_certs)
    as_asn1_certs(extra)  # refuse an unreadable caller-supplied certificate here, typed
    anchors = tuple(der_of(a) for a in trust_roots)
    if not anchors:
        raise ValueError("at least one trust anchor is needed")
    try:
        as_asn1_certs(token.certificates)
    except CertificateError as exc:
        raise _fail(Failure.MALFORMED, "undecodable certificate in the token") from exc
    candidates = tuple(dict.fromkeys((*token.certificates, *extra)))
    signer = _cms_signer(token, candidates, policy.strict_eku)
    if isinstance(signer, Refusal):
        raise _fail(signer.failure, signer.detail)
    chain = _validate_path(signer, candidates, anchors, moment)
    if policy.revocation is not TsaRevocation.NONE:
        _check_revocation(chain, token.gen_time, moment, list(crls), list(ocsps), policy)
    return ValidatedTimeStamp(token=token, tsa_certificate=signer, chain=chain)


@functools.lru_cache(maxsize=512)
def _cms_signer(
    token: TimeStampToken, candidates: tuple[bytes, ...], strict_eku: bool
) -> bytes | Refusal:
    """The DER of the TSA certificate whose key signed ``token`` (see :func:`_check_cms`),
    after its key purpose and the validity at ``genTime`` are checked.

    Nothing here depends on the validation time, so the outcome is cached by the token and
    the candidate certificates; a refusal is cached as data, never as an exception.
    """
    try:
        tsa_cert = _check_cms(token, as_asn1_certs(candidates))
        _check_eku(tsa_cert, strict_eku)
        start = tsa_cert["tbs_certificate"]["validity"]["not_before"].native
        end = tsa_cert["tbs_certificate"]["validity"]["not_after"].native
        if not start <= token.gen_time <= end:
            raise _fail(Failure.FRESHNESS, "genTime is outside the TSA certificate's validity")
    except TimeStampError as exc:
        return Refusal.of(exc)
    cert: bytes = tsa_cert.dump()
    return cert


def _check_cms(
    token: TimeStampToken, candidates: list[asn1_x509.Certificate]
) -> asn1_x509.Certificate:
    """Verify the token's CMS signature; return the TSA certificate that verified it."""
    try:
        info = cms.ContentInfo.load(token.der, strict=True)
        signed = info["content"]
        signer = signed["signer_infos"][0]
        econtent = _econtent(signed)
        digest_alg = signer["digest_algorithm"]["algorithm"].native
        attrs = signer["signed_attrs"]
        if isinstance(attrs, core.Void) or len(attrs) == 0:
            raise _fail(Failure.MALFORMED, "SignerInfo has no signed attributes")
        found: dict[str, list[object]] = {}
        for attr in attrs:
            name = attr["type"].native
            if name in found:
                raise _fail(Failure.MALFORMED, f"attribute {name} appears twice")
            found[name] = list(attr["values"])
        signed_attrs_der = b"\x31" + attrs.dump()[1:]
        signature = bytes(signer["signature"].native)
        sig_alg = signer["signature_algorithm"]
        sid = signer["sid"]
    except TimeStampError:
        raise
    except Exception as exc:
        raise _fail(Failure.MALFORMED, f"undecodable SignerInfo ({type(exc).__name__})") from exc

    if digest_alg not in _ESS_DIGESTS or digest_alg == "sha1":
        raise _fail(Failure.POLICY, f"SignerInfo digest {digest_alg} is not allowed")
    ctype = found.get("content_type")
    if not ctype or len(ctype) != 1 or ctype[0].dotted != "1.2.840.113549.1.9.16.1.4":  # type: ignore[attr-defined]
        raise _fail(Failure.MALFORMED, "content-type attribute missing or not TSTInfo")
    md = found.get("message_digest")
    if not md or len(md) != 1:
        raise _fail(Failure.MALFORMED, "message-digest attribute missing")
    expected = _ESS_DIGESTS[digest_alg](econtent).digest()
    if not secrets.compare_digest(bytes(md[0].native), expected):  # type: ignore[attr-defined]
        raise _fail(Failure.SIGNATURE, "message-digest attribute does not match the TSTInfo")

    tsa_cert = _ess_signing_cert(found, candidates)
    if not _sid_matches(sid, tsa_cert):
        raise _fail(Failure.SIGNER, "SignerInfo does not identify the ESS signing certificate")
    if not _verify_signature(signature, signed_attrs_der, tsa_cert, sig_alg, digest_alg):
        raise _fail(Failure.SIGNATURE, "the token's signature does not verify")
    return tsa_cert


def _ess_signing_cert(
    attrs: dict[str, list[object]], candidates: list[asn1_x509.Certificate]
) -> asn1_x509.Certificate:
    try:
        if "signing_certificate_v2" in attrs:
            values = attrs["signing_certificate_v2"]
            ess = values[0]["certs"][0]  # type: ignore[index]
            hash_name = ess["hash_algorithm"]["algorithm"].native
        elif "signing_certificate" in attrs:
            values = attrs["signing_certificate"]
            ess = values[0]["certs"][0]  # type: ignore[index]
            hash_name = "sha1"
        else:
            raise _fail(Failure.SIGNER, "no signing-certificate attribute (RFC 3161 §2.4.2)")
        if len(values) != 1:
            raise _fail(Failure.MALFORMED, "signing-certificate attribute has several values")
        cert_hash = bytes(ess["cert_hash"].native)
        issuer_serial = ess["issuer_serial"]
    except TimeStampError:
        raise
    except Exception as exc:
        raise _fail(Failure.MALFORMED, "undecodable signing-certificate attribute") from exc
    fn = _ESS_DIGESTS.get(hash_name)
    if fn is None:
        raise _fail(Failure.POLICY, f"ESSCertID hash {hash_name} is not supported")
    for cert in candidates:
        if secrets.compare_digest(fn(cert.dump()).digest(), cert_hash):
            if not isinstance(issuer_serial, core.Void) and not _issuer_serial_matches(
                issuer_serial, cert
            ):
                raise _fail(Failure.SIGNER, "ESSCertID issuerSerial does not match the certificate")
            return cert
    raise _fail(Failure.SIGNER, "the TSA certificate named in the token is not available")


def _issuer_serial_matches(issuer_serial: core.Asn1Value, cert: asn1_x509.Certificate) -> bool:
    try:
        if issuer_serial["serial_number"].native != cert.serial_number:
            return False
        return any(
            name.name == "directory_name" and same_name(name.chosen, cert.issuer)
            for name in issuer_serial["issuer"]
        )
    except Exception:
        return False


def _sid_matches(sid: cms.SignerIdentifier, cert: asn1_x509.Certificate) -> bool:
    try:
        if sid.name == "issuer_and_serial_number":
            ias = sid.chosen
            return bool(
                same_name(ias["issuer"], cert.issuer)
                and ias["serial_number"].native == cert.serial_number
            )
        if sid.name == "subject_key_identifier":
            return bool(sid.chosen.native == cert.key_identifier)
    except Exception:
        return False
    return False


def _check_eku(cert: asn1_x509.Certificate, strict: bool) -> None:
    try:
        purposes = cert.extended_key_usage_value
        dotted = [p.dotted for p in purposes] if purposes is not None else []
        critical = "extended_key_usage" in cert.critical_extensions
    except Exception as exc:
        raise _fail(Failure.MALFORMED, "undecodable TSA certificate extensions") from exc
    if _TIME_STAMPING not in dotted:
        raise _fail(Failure.SIGNER, "the TSA certificate lacks the timeStamping key purpose")
    if strict and (not critical or dotted != [_TIME_STAMPING]):
        raise _fail(
            Failure.SIGNER,
            "the TSA certificate's extended key usage must be critical and timeStamping only",
        )


def _validate_path(
    tsa: bytes,
    candidates: tuple[bytes, ...],
    anchors: tuple[bytes, ...],
    moment: dt.datetime,
) -> tuple[bytes, ...]:
    # Path and usage only: revocation of a TSA path is judged relative to genTime (see
    # _check_revocation), which certvalidator's freshness models cannot express together with
    # a validation time years later.
    key = PathCache.key(tsa, candidates, anchors, at=moment)
    cached = _PATHS.get(key, moment)
    if cached is not None:
        return cached
    others = as_asn1_certs(candidates)
    context = ValidationContext(
        trust_roots=as_asn1_certs(anchors),
        other_certs=others,
        moment=moment,
        allow_fetching=False,
        revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
    )
    validator = CertificateValidator(as_asn1_cert(tsa), others, validation_context=context)
    try:
        path = run_sync(
            validator.async_validate_usage(  # type: ignore[no-untyped-call]
                key_usage=set(), extended_key_usage={"time_stamping"}, extended_optional=False
            )
        )
    except (PathBuildingError, PathValidationError, InvalidCertificateError) as exc:
        raise _fail(Failure.CHAIN, f"the TSA certificate is not trusted: {exc}") from exc
    except ValidationError as exc:
        raise _fail(Failure.CHAIN, f"the TSA certificate is not trusted: {exc}") from exc
    except Exception as exc:
        raise _fail(Failure.CHAIN, f"TSA path validation failed ({type(exc).__name__})") from exc
    chain = tuple(c.dump() for c in reversed(list(path)))
    _PATHS.put(key, chain)
    return chain


_PATHS = PathCache()


def tsa_revocation_problem(
    validated: ValidatedTimeStamp,
    *,
    at: dt.datetime,
    crls: Sequence[bytes],
    ocsps: Sequence[bytes],
    freshness: FreshnessPolicy | None = None,
) -> str | None:
    """Why ``crls`` and ``ocsps`` alone do not establish the revocation status of the path of
    ``validated``'s TSA as :attr:`TsaRevocation.REQUIRED` asks (judged with proof of existence
    ``at``, as in :func:`validate_timestamp_token`), or ``None`` when they do.

    Used to tell whether the validation data a signature carries is enough on its own."""
    policy = TimeStampPolicy(
        revocation=TsaRevocation.REQUIRED, freshness=freshness or FreshnessPolicy()
    )
    try:
        _check_revocation(
            validated.chain, validated.token.gen_time, utc(at), list(crls), list(ocsps), policy
        )
    except TimeStampError as exc:
        return exc.message_en.removeprefix(f"{exc.subject_en}: ")
    return None


def _check_revocation(
    chain: tuple[bytes, ...],
    gen_time: dt.datetime,
    moment: dt.datetime,
    crls: list[bytes],
    ocsps: list[bytes],
    policy: TimeStampPolicy,
) -> None:
    # ``moment`` is the time the token is proven to exist: the validation time, or the genTime
    # of a later valid archive time-stamp that covers it.
    for cert_der, issuer_der in itertools.pairwise(chain):
        if ocsp_nocheck(cert_der):
            continue
        found = evidence(
            cert_der, issuer_der, crls, ocsps, at=moment, poe=gen_time, freshness=policy.freshness
        )
        name = as_asn1_cert(cert_der).subject.human_friendly
        broken = next((s for s in found if compromised(s, moment)), None)
        if broken is not None:
            # RFC 3161 §4: after a key compromise no token signed with that key can be
            # trusted, whatever genTime it claims (whoever holds the key writes the genTime).
            # Only a proof that the token existed before the compromise (an archive
            # time-stamp of an uncompromised TSA, made earlier) saves it.
            reason = broken.reason or "no reason given"
            raise _fail(
                Failure.CHAIN,
                f"{name} was revoked ({reason}) on {broken.revocation_time}: no time-stamp "
                "signed with that key can be trusted, whatever time it claims",
            )
        if any(s.revoked_at(gen_time) for s in found):
            raise _fail(Failure.CHAIN, f"{name} was revoked before the time-stamp was made")
        # A revocation after genTime (superseded, cessation of operation) is a conclusive
        # answer too: the certificate was not revoked when the token was made.
        if policy.revocation is TsaRevocation.REQUIRED and not any(
            s.status is not CertStatus.UNKNOWN for s in found
        ):
            raise _fail(
                Failure.NO_REVOCATION_DATA,
                f"no usable revocation data for {name}: supply its CA's CRL or an OCSP "
                "response for it (or extend the signature to B-LT, which embeds them)",
            )
