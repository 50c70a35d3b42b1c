"""Small shared helpers for :mod:`edocstd.ltv`: certificate conversion, signature checks,
cached judging of revocation data, running pyhanko-certvalidator's coroutines from
synchronous code."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from asn1crypto import algos, keys, pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator, SignatureValidationContext

from edocstd.errors import CertificateError
from edocstd.ltv._errors import Failure, LtvError, RevocationError
from edocstd.ltv._status import FreshnessPolicy, RevocationStatus

__all__ = [
    "CertLike",
    "PathCache",
    "Refusal",
    "RevocationJudge",
    "as_asn1_cert",
    "as_asn1_certs",
    "der_of",
    "ocsp_nocheck",
    "run_sync",
    "same_name",
    "utc",
    "verify_signature",
]

CertLike: TypeAlias = "x509.Certificate | asn1_x509.Certificate | bytes"
"""A certificate as a ``cryptography`` object, an ``asn1crypto`` object, or DER/PEM bytes."""

T = TypeVar("T")

_UTC = dt.UTC


def utc(moment: dt.datetime | None) -> dt.datetime:
    """``moment`` (default: now) as an aware UTC datetime; a naive one is refused."""
    if moment is None:
        return dt.datetime.now(_UTC)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("validation time must be timezone-aware")
    return moment.astimezone(_UTC)


def as_asn1_cert(cert: CertLike) -> asn1_x509.Certificate:
    """Convert any :data:`CertLike` to an ``asn1crypto`` certificate.

    Decoding is cached by DER: the same certificates come back for every signature,
    time-stamp and revocation answer of a document, and a full decode costs far more than the
    checks done with it. Callers must not modify the returned object.
    """
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, x509.Certificate):
        der = cert.public_bytes(serialization.Encoding.DER)
    elif isinstance(cert, bytes | bytearray):
        der = bytes(cert)
        if _is_pem(der):
            try:
                _, _, der = pem.unarmor(der)
            except ValueError as exc:
                raise CertificateError(f"unreadable PEM certificate: {exc}") from exc
    else:
        raise CertificateError(f"not a certificate: {type(cert).__name__}")
    return _load_cert(der)


@functools.lru_cache(maxsize=1024)
def _load_cert(der: bytes) -> asn1_x509.Certificate:
    try:
        parsed = asn1_x509.Certificate.load(der, strict=True)
        parsed.native  # noqa: B018 - force a full parse now, not somewhere later
    except Exception as exc:
        raise CertificateError(f"unreadable certificate: {exc}") from exc
    return parsed


def _is_pem(data: bytes) -> bool:
    # DER certificates start with a SEQUENCE tag; only other input is searched for a PEM
    # header. That is also the more correct reading: a DER blob may contain the bytes
    # "-----BEGIN" in a name or extension, and must not be mistaken for PEM because of them.
    return not data.startswith(b"\x30") and pem.detect(data)


def der_of(cert: CertLike) -> bytes:
    """The DER encoding of ``cert``; DER bytes come back as they are (no decode, no re-encode),
    which makes them cheap, exact cache keys."""
    if isinstance(cert, bytes | bytearray):
        data = bytes(cert)
        if not _is_pem(data):
            return data
    elif isinstance(cert, x509.Certificate):
        return cert.public_bytes(serialization.Encoding.DER)
    der: bytes = as_asn1_cert(cert).dump()
    return der


@dataclass(frozen=True)
class Refusal:
    """Why data was refused, kept as data so that it can be cached: a cached exception
    object would grow a traceback on every raise. ``detail`` is the message without the
    error class's subject prefix, ready to be raised again with the same kind."""

    failure: Failure
    detail: str

    @classmethod
    def of(cls, exc: LtvError) -> Refusal:
        """The refusal that ``exc`` stands for."""
        return cls(exc.failure, exc.message_en.removeprefix(f"{exc.subject_en}: "))


Judgement: TypeAlias = Callable[
    [bytes, asn1_x509.Certificate, asn1_x509.Certificate], RevocationStatus
]
"""Judges revocation data (DER) about a certificate and its issuer, raising
:class:`~edocstd.ltv.RevocationError` on any defect."""


class RevocationJudge:
    """Runs a :data:`Judgement` of revocation data with a bounded cache of its outcomes.

    The same CRLs and OCSP responses are judged for every signature and time-stamp of a
    document, and again for every document a verifier sees, so outcomes are remembered.
    The design keeps that cache safe:

    * the key is the exact bytes of everything the outcome depends on: the data, the
      certificate and the issuer (DER, never a parsed or normalised form);
    * the cached value depends on nothing time-related: a judgement covers only what holds
      at any validation time, and freshness against the validation time and proof of
      existence is decided afresh by the caller on every use;
    * a refusal is cached as a :class:`Refusal`, not as an exception;
    * memory is bounded: at most ``entries`` outcomes, each for data of at most ``max_size``
      bytes; larger data (a big CA's CRL) is judged afresh each time rather than pinned.

    Errors other than :class:`~edocstd.ltv.RevocationError` (an unreadable certificate)
    propagate and are not cached.
    """

    def __init__(self, judgement: Judgement, *, entries: int, max_size: int) -> None:
        self._judgement = judgement
        self._max_size = max_size
        self._cached = functools.lru_cache(maxsize=entries)(self._uncached)

    def __call__(self, der: bytes, cert: bytes, issuer: bytes) -> RevocationStatus | Refusal:
        """The outcome of judging ``der`` about DER ``cert`` issued by DER ``issuer``."""
        if len(der) > self._max_size:
            return self._uncached(der, cert, issuer)
        return self._cached(der, cert, issuer)

    def evidence(
        self,
        der: bytes,
        cert: bytes,
        issuer: bytes,
        *,
        at: dt.datetime,
        poe: dt.datetime | None,
        freshness: FreshnessPolicy,
    ) -> RevocationStatus | None:
        """The status ``der`` shows for ``cert`` when it is acceptable and usable at ``at``
        (with proof of existence ``poe``), else ``None``: never an error, whatever the
        data or certificates hold."""
        try:
            answer = self(bytes(der), cert, issuer)
        except CertificateError:
            return None
        if isinstance(answer, Refusal) or not freshness.usable(answer, at, poe):
            return None
        return answer

    def cache_clear(self) -> None:
        """Forget every cached outcome."""
        self._cached.cache_clear()

    def _uncached(self, der: bytes, cert: bytes, issuer: bytes) -> RevocationStatus | Refusal:
        try:
            return self._judgement(der, as_asn1_cert(cert), as_asn1_cert(issuer))
        except RevocationError as exc:
            return Refusal.of(exc)


_OCSP_NOCHECK = "1.3.6.1.5.5.7.48.1.5"


@functools.lru_cache(maxsize=1024)
def ocsp_nocheck(der: bytes) -> bool:
    """True when the certificate ``der`` carries ``id-pkix-ocsp-nocheck`` (RFC 6960
    §4.2.2.2.1): its revocation status is not checked."""
    try:
        extensions = as_asn1_cert(der)["tbs_certificate"]["extensions"]
        return _OCSP_NOCHECK in [e["extn_id"].dotted for e in extensions]
    except Exception:
        return False


def same_name(a: asn1_x509.Name, b: asn1_x509.Name) -> bool:
    """RFC 5280 name equality, with a fast path for identical encodings (the usual case)."""
    return bool(a.dump() == b.dump() or a == b)


def as_asn1_certs(certs: Iterable[CertLike]) -> list[asn1_x509.Certificate]:
    """Convert several certificates; PEM bytes may hold more than one."""
    out: list[asn1_x509.Certificate] = []
    for cert in certs:
        if isinstance(cert, bytes | bytearray) and _is_pem(bytes(cert)):
            try:
                blocks = list(pem.unarmor(bytes(cert), multiple=True))
            except ValueError as exc:
                raise CertificateError(f"unreadable PEM certificate: {exc}") from exc
            out.extend(as_asn1_cert(der) for _, _, der in blocks)
        else:
            out.append(as_asn1_cert(cert))
    return out


def verify_signature(
    signature: bytes,
    signed_data: bytes,
    cert: asn1_x509.Certificate,
    algorithm: algos.SignedDigestAlgorithm,
    digest_algorithm: str | None = None,
) -> bool:
    """True when ``signature`` over ``signed_data`` verifies with ``cert``'s public key.

    The algorithm dispatch (PKCS#1 v1.5, PSS parameters, ECDSA, EdDSA) is
    pyhanko-certvalidator's, so it matches what its path validation accepts.
    ``digest_algorithm`` supplies the hash when the signature algorithm OID names none
    (CMS's plain ``rsaEncryption``). Results are cached: the same CA signatures are checked
    for every certificate, response and token that involves them.
    """
    try:
        key = cert.public_key.dump()
        alg = algorithm.dump()
    except Exception:
        return False
    return _verify_cached(bytes(signature), bytes(signed_data), key, alg, digest_algorithm)


@functools.lru_cache(maxsize=4096)
def _verify_cached(
    signature: bytes, signed_data: bytes, key: bytes, alg: bytes, digest_algorithm: str | None
) -> bool:
    context = SignatureValidationContext(contextual_md_algorithm=digest_algorithm)
    try:
        DefaultSignatureValidator().validate_signature(
            signature,
            signed_data,
            keys.PublicKeyInfo.load(key),
            algos.SignedDigestAlgorithm.load(alg),
            context,
        )
    except (InvalidSignature, AssertionError):
        return False
    except Exception:
        # Unsupported or contradictory algorithm parameters: not a valid signature for us.
        return False
    return True


_LOCAL = threading.local()


class _ThreadLoop:
    """One private event loop per thread, closed when the thread ends.

    Creating and tearing down a loop per call (as ``asyncio.run`` does) costs more than the
    path validations run on it. The loop lives in thread-local storage, which the interpreter
    clears when the thread ends; closing the loop there releases its selector and self-pipe
    at once, instead of leaving them to the garbage collector (with a ResourceWarning).
    """

    __slots__ = ("loop",)

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        if not self.loop.is_closed() and not self.loop.is_running():
            self.loop.close()


def thread_loop() -> asyncio.AbstractEventLoop:
    """This thread's private event loop (see :class:`_ThreadLoop`)."""
    holder: _ThreadLoop | None = getattr(_LOCAL, "holder", None)
    if holder is None or holder.loop.is_closed():
        holder = _ThreadLoop()
        _LOCAL.holder = holder
    return holder.loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop.

    Each thread keeps one private event loop (see :func:`thread_loop`).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = thread_loop()
        return loop.run_until_complete(coro)
    # Called from inside an event loop (e.g. an async web service): run on a private loop in
    # a worker thread rather than failing or blocking the caller's loop re-entrantly.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


_PATH_WINDOW_SECONDS = 60
_PATH_CACHE_SIZE = 256


class PathCache:
    """A small thread-safe LRU of validated certificate paths.

    Keys carry the validation time in one-minute windows; a hit is used only when the
    validation time also lies inside every certificate's validity period, so no expiry can
    fall inside a window unnoticed.
    """

    def __init__(self) -> None:
        self._data: OrderedDict[
            tuple[object, ...], tuple[tuple[bytes, ...], dt.datetime, dt.datetime]
        ] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(*parts: object, at: dt.datetime) -> tuple[object, ...]:
        """A cache key from hashable ``parts`` and the time window of ``at``."""
        return (*parts, int(at.timestamp()) // _PATH_WINDOW_SECONDS)

    def get(self, key: tuple[object, ...], at: dt.datetime) -> tuple[bytes, ...] | None:
        """The cached path for ``key``, if ``at`` lies inside its validity window."""
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
        if hit is None:
            return None
        chain, start, end = hit
        return chain if start <= at <= end else None

    def put(self, key: tuple[object, ...], chain: tuple[bytes, ...]) -> None:
        """Remember ``chain`` (DER, any order) as the validated path for ``key``."""
        certs = [_load_cert(der) for der in chain]
        start = max(c["tbs_certificate"]["validity"]["not_before"].native for c in certs)
        end = min(c["tbs_certificate"]["validity"]["not_after"].native for c in certs)
        with self._lock:
            self._data[key] = (chain, start, end)
            while len(self._data) > _PATH_CACHE_SIZE:
                self._data.popitem(last=False)
