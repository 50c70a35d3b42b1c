"""Trust anchors. Trust comes only from here, never from certificates inside a document."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from edocstd.errors import CertificateError

__all__ = ["TrustStore", "load_certificates"]

_MAX_PEM_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Anchor:
    cert: x509.Certificate
    der: bytes
    asn1: asn1_x509.Certificate


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in ``data``: one or more PEM blocks, or a single DER certificate.

    Raises :class:`~edocstd.CertificateError` when nothing usable is found.
    """
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise CertificateError(f"cannot read certificate data: {exc}") from None
    if not certs:
        raise CertificateError("no certificate found in the data given")
    return certs


class TrustStore:
    """A set of trust anchors (root or other directly trusted CA certificates).

    Build one with :meth:`from_pem` or :meth:`from_certificates`; combine stores with ``+``.
    The store is immutable and hashable; verifiers use its :attr:`key` to cache results.
    """

    __slots__ = ("_anchors", "_key")

    def __init__(self, anchors: Iterable[x509.Certificate] = ()) -> None:
        seen: dict[bytes, _Anchor] = {}
        for cert in anchors:
            if not isinstance(cert, x509.Certificate):
                raise CertificateError(
                    f"a trust anchor must be a certificate, not {type(cert).__name__}"
                )
            der = cert.public_bytes(serialization.Encoding.DER)
            if der not in seen:
                seen[der] = _Anchor(cert, der, asn1_x509.Certificate.load(der))
        self._anchors: tuple[_Anchor, ...] = tuple(seen.values())
        self._key = hashlib.sha256(b"".join(sorted(seen))).hexdigest()

    @classmethod
    def from_pem(cls, pem: bytes | str | os.PathLike[str]) -> TrustStore:
        """Trust anchors from PEM (several certificates allowed) or DER.

        ``pem`` is the PEM bytes, PEM text (a ``str`` starting with ``-----BEGIN``), or a path to
        a file holding them. Raises :class:`~edocstd.CertificateError` when nothing usable is
        found or the file cannot be read.
        """
        data: bytes
        if isinstance(pem, bytes | bytearray):
            data = bytes(pem)
        elif isinstance(pem, str) and pem.lstrip().startswith("-----BEGIN"):
            data = pem.encode("ascii", errors="replace")
        elif isinstance(pem, str | os.PathLike):
            path = os.fspath(pem)
            try:
                with open(path, "rb") as fh:
                    data = fh.read(_MAX_PEM_BYTES + 1)
            except OSError as exc:
                raise CertificateError(
                    f"cannot read trust anchors from {path}: {exc.strerror or exc}"
                ) from None
            if len(data) > _MAX_PEM_BYTES:
                raise CertificateError(f"trust anchor file {path} is too large")
        else:
            raise CertificateError(
                f"unsupported trust anchor source {type(pem).__name__}: pass PEM bytes or a path"
            )
        return cls(load_certificates(data))

    @classmethod
    def from_certificates(cls, certs: Iterable[x509.Certificate | bytes]) -> TrustStore:
        """Trust anchors from :class:`cryptography.x509.Certificate` objects or DER/PEM bytes."""
        out: list[x509.Certificate] = []
        for c in certs:
            if isinstance(c, bytes | bytearray):
                out.extend(load_certificates(bytes(c)))
            else:
                out.append(c)
        return cls(out)

    def __add__(self, other: TrustStore) -> TrustStore:
        if not isinstance(other, TrustStore):
            return NotImplemented
        return TrustStore([a.cert for a in self._anchors] + [a.cert for a in other._anchors])

    def merge(self, other: TrustStore) -> TrustStore:
        """The union of two stores (same as ``self + other``)."""
        return self + other

    def __len__(self) -> int:
        return len(self._anchors)

    def __iter__(self) -> Iterator[x509.Certificate]:
        return iter(a.cert for a in self._anchors)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrustStore) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        names = ", ".join(a.cert.subject.rfc4514_string() for a in self._anchors)
        return f"TrustStore([{names}])"

    @property
    def key(self) -> str:
        """A stable identifier of the set of anchors (for caches)."""
        return self._key

    @property
    def asn1_anchors(self) -> tuple[asn1_x509.Certificate, ...]:
        """The anchors as :mod:`asn1crypto` objects (parsed once)."""
        return tuple(a.asn1 for a in self._anchors)

    def contains(self, der: bytes) -> bool:
        """True when the DER certificate is itself one of the anchors."""
        return any(a.der == der for a in self._anchors)
