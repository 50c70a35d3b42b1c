"""Who signs: a signing key, its certificate and the chain that goes along with it.

A :class:`Signer` is immutable and safe to share between threads, as long as its key is (the
in-memory key is: :mod:`cryptography` private keys are thread-safe).

Keys come from PEM or DER files (:meth:`Signer.from_pem`), PKCS#12 containers with the legacy
(RC2, 3DES) or the modern (AES, PBES2) protection (:meth:`Signer.from_pkcs12`), or from anything
implementing the one-method :class:`~edocstd.sign._keys.SigningKey` protocol, such as a PKCS#11
token or a remote signing service (:meth:`Signer.from_key`).
"""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from edocstd.errors import CertificateError, KeyAccessError, PolicyError
from edocstd.sign._algorithms import KeyType, SignatureAlgorithm
from edocstd.sign._keys import SigningKey

if TYPE_CHECKING:
    from edocstd.sign._pkcs11_uri import Pkcs11Params

__all__ = [
    "InMemoryKey",
    "PublicKey",
    "Signer",
    "certificate_base64",
    "certificate_der",
    "certificate_public_key",
    "check_algorithm",
    "default_algorithm",
    "verify_signature_value",
]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

BytesOrPath = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]"]
Password = str | bytes | None

_TH = {
    "private key": "กุญแจส่วนตัว",
    "certificate": "ใบรับรอง",
    "chain": "ใบรับรองของผู้ออกใบรับรอง (chain)",
    "PKCS#12": "PKCS#12",
}

_CURVE_DEFAULTS: dict[str, SignatureAlgorithm] = {
    "secp256r1": SignatureAlgorithm.ECDSA_SHA256,
    "secp384r1": SignatureAlgorithm.ECDSA_SHA384,
    "secp521r1": SignatureAlgorithm.ECDSA_SHA512,
}


def _read(value: BytesOrPath, what: str) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, os.PathLike):
        try:
            with open(value, "rb") as fh:
                return fh.read()
        except OSError as exc:
            raise CertificateError(
                f"cannot read the {what} file {os.fspath(value)}: {exc.strerror or exc} / "
                f"อ่านไฟล์{_TH[what]}ไม่ได้: {os.fspath(value)}"
            ) from exc
    if isinstance(value, str) and "-----BEGIN" in value:
        # PEM text read with open(...).read(): unambiguous, so accept it.
        return value.encode("utf-8")
    raise CertificateError(
        f"the {what} must be bytes, PEM text or a path (os.PathLike), not "
        f"{type(value).__name__}; a file name needs pathlib.Path / {_TH.get(what, what)} "
        "ต้องเป็น bytes, ข้อความ PEM หรือพาธ (pathlib.Path)"
    )


def _password(password: Password) -> bytes | None:
    if password is None or isinstance(password, bytes):
        return password
    if isinstance(password, str):
        return password.encode("utf-8")
    raise CertificateError("the password must be str, bytes or None")


def _load_certs(data: bytes, what: str) -> list[x509.Certificate]:
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise CertificateError(
            f"the {what} is not a readable X.509 certificate: {exc} / "
            f"{_TH[what]}ไม่ใช่ใบรับรอง X.509 ที่อ่านได้"
        ) from exc
    if not certs:
        raise CertificateError(f"the {what} holds no certificate / {_TH[what]}ไม่มีใบรับรองอยู่เลย")
    return certs


def _load_private_key(data: bytes, password: bytes | None) -> PrivateKey:
    loaders = (
        (serialization.load_pem_private_key,)
        if b"-----BEGIN" in data
        else (serialization.load_der_private_key,)
    )
    try:
        key = loaders[0](data, password)
    except TypeError as exc:
        # cryptography raises TypeError for "password given but key not encrypted" and the
        # reverse; both are the caller's input problem.
        raise CertificateError(
            f"cannot read the private key: {exc} / อ่านกุญแจส่วนตัวไม่ได้ (ตรวจสอบรหัสผ่าน)"
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CertificateError(
            "cannot read the private key (wrong password, or not a PEM/DER private key) / "
            "อ่านกุญแจส่วนตัวไม่ได้ (รหัสผ่านไม่ถูกต้อง หรือไม่ใช่กุญแจส่วนตัวแบบ PEM/DER)"
        ) from exc
    if not isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise CertificateError(
            f"unsupported private key type {type(key).__name__}: use RSA, ECDSA or Ed25519"
        )
    return key


def _public_der(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@functools.lru_cache(maxsize=256)
def certificate_der(cert: x509.Certificate) -> bytes:
    """The DER encoding of ``cert`` (cached: a signer signs many documents)."""
    return cert.public_bytes(serialization.Encoding.DER)


@functools.lru_cache(maxsize=256)
def certificate_base64(cert: x509.Certificate) -> str:
    """The base64 of the DER encoding of ``cert``, as ``ds:X509Certificate`` holds it."""
    return base64.b64encode(certificate_der(cert)).decode("ascii")


@functools.lru_cache(maxsize=256)
def certificate_public_key(cert: x509.Certificate) -> PublicKey:
    """The public key of ``cert``; :class:`~edocstd.CertificateError` if edocstd cannot use it."""
    return _cert_public_key(cert)


def _cert_public_key(cert: x509.Certificate) -> PublicKey:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CertificateError(f"the certificate's public key cannot be read: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise CertificateError(
            f"unsupported certificate key type {type(key).__name__}: use RSA, ECDSA or Ed25519"
        )
    return key


def default_algorithm(public_key: PublicKey) -> SignatureAlgorithm:
    """The signature method edocstd uses for a key when none is asked for.

    RSA → ``rsa-sha256``; ECDSA → the hash that matches the curve (P-256 → SHA-256, P-384 →
    SHA-384, P-521 → SHA-512); Ed25519 → ``ed25519``.
    """
    if isinstance(public_key, rsa.RSAPublicKey):
        return SignatureAlgorithm.RSA_SHA256
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        try:
            return _CURVE_DEFAULTS[public_key.curve.name]
        except KeyError:
            raise PolicyError(
                f"unsupported elliptic curve {public_key.curve.name}: use P-256, P-384 or P-521 / "
                "ไม่รองรับเส้นโค้งวงรีนี้ ใช้ P-256, P-384 หรือ P-521"
            ) from None
    return SignatureAlgorithm.ED25519


def check_algorithm(algorithm: SignatureAlgorithm, public_key: PublicKey) -> None:
    """Raise :class:`~edocstd.PolicyError` unless edocstd may sign with ``algorithm`` and this key.

    Only the methods of EDOC-1.0 §4.3 "produce" are allowed, and the method must fit the key
    family (an RSA key signs with PKCS#1 v1.5 or PSS, an EC key with ECDSA, …).
    """
    if not algorithm.producible:
        raise PolicyError(
            f"edocstd does not sign with {algorithm.short_name}: it is not in the EDOC-1.0 §4.3 "
            f"list of signature methods to produce / ไม่รองรับการลงลายมือชื่อด้วย "
            f"{algorithm.short_name} (ไม่อยู่ในรายการของ EDOC-1.0 §4.3)"
        )
    kt = algorithm.key_type
    fits = (
        (kt in (KeyType.RSA, KeyType.RSA_PSS) and isinstance(public_key, rsa.RSAPublicKey))
        or (kt is KeyType.ECDSA and isinstance(public_key, ec.EllipticCurvePublicKey))
        or (kt is KeyType.ED25519 and isinstance(public_key, ed25519.Ed25519PublicKey))
    )
    if not fits:
        raise PolicyError(
            f"the signature method {algorithm.short_name} does not fit the signer's "
            f"{_key_description(public_key)} key / วิธีลงลายมือชื่อ {algorithm.short_name} "
            f"ใช้กับกุญแจ {_key_description(public_key)} ของผู้ลงนามไม่ได้"
        )
    if isinstance(public_key, ec.EllipticCurvePublicKey) and (
        public_key.curve.name not in _CURVE_DEFAULTS
    ):
        raise PolicyError(
            f"unsupported elliptic curve {public_key.curve.name}: use P-256, P-384 or P-521 / "
            "ไม่รองรับเส้นโค้งวงรีนี้ ใช้ P-256, P-384 หรือ P-521"
        )


def _key_description(key: PublicKey) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    return "Ed25519"


def _hash(algorithm: SignatureAlgorithm) -> hashes.HashAlgorithm:
    digest = algorithm.digest
    if digest is None:  # pragma: no cover - only Ed25519, which never asks
        raise PolicyError(f"{algorithm.short_name} has no separate hash")
    return digest.hash()


def _pss(hash_alg: hashes.HashAlgorithm) -> padding.PSS:
    # RFC 9231 §2.3.10 (RSASSA-PSS without parameters): MGF1 with the same hash, salt length
    # equal to the hash length, trailer field 1.
    return padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size)


def _curve_bytes(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> int:
    return (key.curve.key_size + 7) // 8


def verify_signature_value(
    public_key: PublicKey, algorithm: SignatureAlgorithm, data: bytes, value: bytes
) -> bool:
    """True when ``value`` (XMLDSig form: raw ``r || s`` for ECDSA) is a valid signature."""
    try:
        if algorithm.key_type is KeyType.RSA and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(value, data, padding.PKCS1v15(), _hash(algorithm))
        elif algorithm.key_type is KeyType.RSA_PSS and isinstance(public_key, rsa.RSAPublicKey):
            h = _hash(algorithm)
            public_key.verify(value, data, _pss(h), h)
        elif algorithm.key_type is KeyType.ECDSA and isinstance(
            public_key, ec.EllipticCurvePublicKey
        ):
            n = _curve_bytes(public_key)
            if len(value) != 2 * n:
                return False
            r = int.from_bytes(value[:n], "big")
            s = int.from_bytes(value[n:], "big")
            der = utils.encode_dss_signature(r, s)
            public_key.verify(der, data, ec.ECDSA(_hash(algorithm)))
        elif algorithm.key_type is KeyType.ED25519 and isinstance(
            public_key, ed25519.Ed25519PublicKey
        ):
            public_key.verify(value, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


class InMemoryKey:
    """A :class:`~edocstd.sign._keys.SigningKey` over a private key held in process memory.

    Signs with RSA PKCS#1 v1.5, RSA-PSS (MGF1, salt length = hash length), ECDSA (returned in
    the XMLDSig raw ``r || s`` form) and Ed25519.
    """

    __slots__ = ("_key",)

    def __init__(self, key: PrivateKey) -> None:
        if not isinstance(
            key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
        ):
            raise CertificateError(
                f"unsupported private key type {type(key).__name__}: use RSA, ECDSA or Ed25519"
            )
        self._key = key

    def __repr__(self) -> str:
        return f"InMemoryKey({_key_description(self.public_key())})"

    def public_key(self) -> PublicKey:
        """The matching public key."""
        return self._key.public_key()

    def sign(self, data: bytes, algorithm: SignatureAlgorithm) -> bytes:
        """Sign ``data`` (the message, not a digest) with ``algorithm``."""
        key = self._key
        kt = algorithm.key_type
        if kt is KeyType.RSA and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), _hash(algorithm))
        if kt is KeyType.RSA_PSS and isinstance(key, rsa.RSAPrivateKey):
            h = _hash(algorithm)
            return key.sign(data, _pss(h), h)
        if kt is KeyType.ECDSA and isinstance(key, ec.EllipticCurvePrivateKey):
            r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(_hash(algorithm))))
            n = _curve_bytes(key)
            return r.to_bytes(n, "big") + s.to_bytes(n, "big")
        if kt is KeyType.ED25519 and isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        raise KeyAccessError(
            f"this {_key_description(key.public_key())} key cannot sign with {algorithm.short_name}"
        )


def _dedupe_chain(
    certificate: x509.Certificate, chain: Iterable[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    seen = {certificate.fingerprint(hashes.SHA256())}
    out: list[x509.Certificate] = []
    for cert in chain:
        if not isinstance(cert, x509.Certificate):
            raise CertificateError(
                f"the chain must hold x509.Certificate objects, not {type(cert).__name__}"
            )
        fp = cert.fingerprint(hashes.SHA256())
        if fp not in seen:
            seen.add(fp)
            out.append(cert)
    return tuple(out)


@dataclass(frozen=True)
class Signer:
    """A signing key with its certificate and chain.

    Build one with :meth:`from_pem`, :meth:`from_pkcs12` or :meth:`from_key`. ``chain`` is
    what goes into ``ds:KeyInfo`` after the signing certificate (intermediates; the root is
    harmless but useless, since verifiers take trust only from their own trust store).
    ``algorithm`` is the default signature method, following the key.
    """

    key: SigningKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    algorithm: SignatureAlgorithm = SignatureAlgorithm.RSA_SHA256

    @property
    def public_key(self) -> PublicKey:
        """The certificate's public key."""
        return certificate_public_key(self.certificate)

    @classmethod
    def from_key(
        cls,
        key: SigningKey,
        certificate: x509.Certificate | bytes | os.PathLike[str],
        chain: Iterable[x509.Certificate] | bytes | os.PathLike[str] = (),
    ) -> Signer:
        """A signer over any :class:`SigningKey` (an HSM, a remote signing service, …).

        ``certificate`` and ``chain`` are certificate objects or PEM/DER bytes or paths. When
        the key offers a ``public_key()`` method, it is checked against the certificate here;
        otherwise the first signature is checked against the certificate before any output is
        produced (every signature is, see :func:`edocstd.sign`).
        """
        if not isinstance(key, SigningKey):
            raise CertificateError(
                f"{type(key).__name__} is not a signing key: "
                "it needs a sign(data, algorithm) method"
            )
        if isinstance(certificate, x509.Certificate):
            cert = certificate
        else:
            cert = _load_certs(_read(certificate, "certificate"), "certificate")[0]
        if isinstance(chain, bytes | bytearray | memoryview | os.PathLike):
            chain_certs: Iterable[x509.Certificate] = _load_certs(_read(chain, "chain"), "chain")
        else:
            chain_certs = chain
        public = _cert_public_key(cert)
        get_public = getattr(key, "public_key", None)
        if callable(get_public):
            try:
                key_public = get_public()
            except Exception as exc:  # a token may fail here; the check is best effort
                raise CertificateError(f"cannot read the key's public part: {exc}") from exc
            if isinstance(
                key_public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
            ) and _public_der(key_public) != _public_der(public):
                raise CertificateError(
                    "the private key does not belong to the certificate (their public keys "
                    "differ) / กุญแจส่วนตัวไม่ตรงกับใบรับรอง (กุญแจสาธารณะไม่ตรงกัน)"
                )
        algorithm = default_algorithm(public)
        return cls(
            key=key,
            certificate=cert,
            chain=_dedupe_chain(cert, chain_certs),
            algorithm=algorithm,
        )

    @classmethod
    def from_private_key(
        cls,
        private_key: PrivateKey,
        certificate: x509.Certificate,
        chain: Iterable[x509.Certificate] = (),
    ) -> Signer:
        """A signer over a :mod:`cryptography` private key object."""
        return cls.from_key(InMemoryKey(private_key), certificate, chain)

    @classmethod
    def from_pem(
        cls,
        key_pem: bytes | str | os.PathLike[str],
        cert_pem: bytes | str | os.PathLike[str],
        chain_pem: bytes | str | os.PathLike[str] | None = None,
        password: Password = None,
    ) -> Signer:
        """A signer from a private key and certificates in PEM (or DER).

        Each is given as bytes, as PEM text (``str``), or as a path (``os.PathLike``); a ``str``
        that is not PEM text is refused rather than guessed to be a file name.

        ``key_pem`` may be PKCS#8 or traditional (PKCS#1 / SEC 1), encrypted when ``password``
        is given. ``cert_pem`` holds the signing certificate; if it holds more certificates,
        the others are taken as chain. ``chain_pem`` is a PEM bundle of chain certificates.
        Raises :class:`~edocstd.CertificateError` on unreadable input, a wrong password, or a
        key that does not belong to the certificate.
        """
        key = _load_private_key(_read(key_pem, "private key"), _password(password))
        certs = _load_certs(_read(cert_pem, "certificate"), "certificate")
        chain = list(certs[1:])
        if chain_pem is not None:
            chain.extend(_load_certs(_read(chain_pem, "chain"), "chain"))
        return cls.from_key(InMemoryKey(key), certs[0], chain)

    @classmethod
    def from_pkcs12(cls, p12: bytes | os.PathLike[str], password: Password) -> Signer:
        """A signer from a PKCS#12 (``.p12`` / ``.pfx``) container, given as bytes or a path.

        Both the legacy protection (RC2-40 or 3DES with SHA-1 MAC, as older Thai CA tooling
        and Windows produce) and the modern one (PBES2 with AES-256 and a SHA-256 MAC) load.
        The container's other certificates become the chain.
        Raises :class:`~edocstd.CertificateError` on unreadable input or a wrong password.
        """
        data = _read(p12, "PKCS#12")
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, _password(password))
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise CertificateError(
                "cannot open the PKCS#12 file (wrong password, or not a PKCS#12 file) / "
                "เปิดไฟล์ PKCS#12 ไม่ได้ (รหัสผ่านไม่ถูกต้อง หรือไม่ใช่ไฟล์ PKCS#12)"
            ) from exc
        if key is None:
            raise CertificateError(
                "the PKCS#12 file holds no private key / ไฟล์ PKCS#12 ไม่มีกุญแจส่วนตัว"
            )
        if cert is None:
            raise CertificateError(
                "the PKCS#12 file holds no certificate for its key / ไฟล์ PKCS#12 ไม่มีใบรับรองของกุญแจ"
            )
        if not isinstance(
            key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
        ):
            raise CertificateError(
                f"unsupported private key type {type(key).__name__}: use RSA, ECDSA or Ed25519"
            )
        return cls.from_key(InMemoryKey(key), cert, extra)

    @classmethod
    def from_pkcs11(
        cls,
        uri_or_params: str | Pkcs11Params,
        pin: str,
        *,
        module: str | os.PathLike[str] | None = None,
        certificate: x509.Certificate | bytes | os.PathLike[str] | None = None,
        chain: Iterable[x509.Certificate] | bytes | os.PathLike[str] | None = None,
    ) -> Signer:
        """A signer whose key stays on a PKCS#11 token (HSM, smart card, SoftHSM2).

        ``uri_or_params`` is an RFC 7512 ``pkcs11:`` URI (or explicit parameters); the module
        comes from its ``module-path`` attribute, else from ``module``. The certificate and
        chain are read from the token unless given. One login serves every signature; the
        signer is safe to share between threads. Close the session with ``signer.key.close()``.
        Raises the typed :class:`~edocstd.KeyAccessError` subclasses for token problems (not
        found, wrong or locked PIN, missing key, no signing permission, unsupported mechanism).
        """
        from edocstd.sign._pkcs11 import open_pkcs11_key

        cert = (
            None
            if certificate is None or isinstance(certificate, x509.Certificate)
            else _load_certs(_read(certificate, "certificate"), "certificate")[0]
        )
        chain_certs: list[x509.Certificate] | None
        if chain is None:
            chain_certs = None
        elif isinstance(chain, bytes | bytearray | memoryview | os.PathLike):
            chain_certs = _load_certs(_read(chain, "chain"), "chain")
        else:
            chain_certs = list(chain)
        key = open_pkcs11_key(
            uri_or_params, pin, module_path=module, certificate=cert, chain=chain_certs
        )
        if key.certificate is None:
            key.close()
            raise CertificateError(
                "no certificate for the key was found on the token; pass certificate= / "
                "ไม่พบใบรับรองของกุญแจบนโทเค็น โปรดระบุใบรับรอง (certificate=)"
            )
        return cls.from_key(key, key.certificate, key.chain)

    def with_algorithm(self, algorithm: SignatureAlgorithm) -> Signer:
        """A copy of this signer whose default signature method is ``algorithm``."""
        check_algorithm(algorithm, self.public_key)
        return Signer(self.key, self.certificate, self.chain, algorithm)
