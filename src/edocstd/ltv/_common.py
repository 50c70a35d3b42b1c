"""Small shared helpers for :mod:`edocstd.ltv`: certificate conversion, signature checks,
running pyhanko-certvalidator's coroutines from synchronous code."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
from collections.abc import Coroutine, Iterable
from typing import Any, TypeAlias, TypeVar

from asn1crypto import algos, pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator, SignatureValidationContext

from edocstd.errors import CertificateError

__all__ = ["CertLike", "as_asn1_cert", "as_asn1_certs", "run_sync", "utc", "verify_signature"]

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
    """Convert any :data:`CertLike` to an ``asn1crypto`` certificate."""
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, x509.Certificate):
        der = cert.public_bytes(serialization.Encoding.DER)
    elif isinstance(cert, bytes | bytearray):
        der = bytes(cert)
        if pem.detect(der):
            try:
                _, _, der = pem.unarmor(der)
            except ValueError as exc:
                raise CertificateError(f"unreadable PEM certificate: {exc}") from exc
    else:
        raise CertificateError(f"not a certificate: {type(cert).__name__}")
    try:
        parsed = asn1_x509.Certificate.load(der, strict=True)
        parsed.native  # noqa: B018 - force a full parse now, not somewhere later
    except Exception as exc:
        raise CertificateError(f"unreadable certificate: {exc}") from exc
    return parsed


def as_asn1_certs(certs: Iterable[CertLike]) -> list[asn1_x509.Certificate]:
    """Convert several certificates; PEM bytes may hold more than one."""
    out: list[asn1_x509.Certificate] = []
    for cert in certs:
        if isinstance(cert, bytes | bytearray) and pem.detect(bytes(cert)):
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
    (CMS's plain ``rsaEncryption``).
    """
    context = SignatureValidationContext(contextual_md_algorithm=digest_algorithm)
    try:
        DefaultSignatureValidator().validate_signature(
            signature, signed_data, cert.public_key, algorithm, context
        )
    except (InvalidSignature, AssertionError):
        return False
    except Exception:
        # Unsupported or contradictory algorithm parameters: not a valid signature for us.
        return False
    return True


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside an event loop (e.g. an async web service): run on a private loop in
    # a worker thread rather than failing or blocking the caller's loop re-entrantly.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
