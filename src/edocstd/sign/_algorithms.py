"""Algorithm identifiers (URIs) and their meaning, in one table.

Signing and verification both read these tables, so a URI means the same thing on both sides.
Whether an algorithm is *acceptable* is a policy question, answered in the verifier; the
``legacy`` flag here only says which ones a default policy must refuse (EDOC-1.0 §4.3).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Self

from cryptography.hazmat.primitives import hashes


class DigestAlgorithm(enum.Enum):
    """Digest methods. Values are the XMLDSig URIs."""

    SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
    SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
    SHA224 = "http://www.w3.org/2001/04/xmldsig-more#sha224"
    SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
    MD5 = "http://www.w3.org/2001/04/xmldsig-more#md5"

    @property
    def hash_name(self) -> str:
        """The :mod:`hashlib` name."""
        return self.name.lower()

    @property
    def legacy(self) -> bool:
        """SHA-1 and MD5 are accepted only under an explicit legacy policy."""
        return self in (DigestAlgorithm.SHA1, DigestAlgorithm.MD5)

    def hash(self) -> hashes.HashAlgorithm:
        """A fresh :mod:`cryptography` hash object for this algorithm."""
        return _HASHES[self]()

    @classmethod
    def from_name(cls, name: str) -> DigestAlgorithm:
        """Look up by short name: ``sha256``, ``sha384``, ``sha512``."""
        try:
            return cls[name.upper().replace("-", "")]
        except KeyError:
            raise ValueError(f"unknown digest algorithm {name!r}") from None


_HASHES: dict[DigestAlgorithm, type[hashes.HashAlgorithm]] = {
    DigestAlgorithm.SHA256: hashes.SHA256,
    DigestAlgorithm.SHA384: hashes.SHA384,
    DigestAlgorithm.SHA512: hashes.SHA512,
    DigestAlgorithm.SHA224: hashes.SHA224,
    DigestAlgorithm.SHA1: hashes.SHA1,
    DigestAlgorithm.MD5: hashes.MD5,
}


class KeyType(enum.Enum):
    """Families of signature keys."""

    RSA = "rsa"
    RSA_PSS = "rsa-pss"
    ECDSA = "ecdsa"
    ED25519 = "ed25519"
    HMAC = "hmac"


@dataclass(frozen=True, slots=True)
class _SigInfo:
    key_type: KeyType
    digest: DigestAlgorithm | None
    short: str


class SignatureAlgorithm(enum.Enum):
    """Signature methods. Values are the XMLDSig / RFC 9231 URIs."""

    RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
    RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
    RSA_PSS_SHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
    RSA_PSS_SHA384 = "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1"
    RSA_PSS_SHA512 = "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1"
    ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
    ECDSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
    ED25519 = "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519"
    # Legacy: verified only under an explicit legacy policy, never produced.
    RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    RSA_MD5 = "http://www.w3.org/2001/04/xmldsig-more#rsa-md5"
    ECDSA_SHA1 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
    # Never accepted on the public-key path; listed so they can be named in reports.
    HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
    HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
    HMAC_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha384"
    HMAC_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512"

    @property
    def key_type(self) -> KeyType:
        """The key family this method needs."""
        return _SIG_INFO[self].key_type

    @property
    def digest(self) -> DigestAlgorithm | None:
        """The hash inside the signature method (``None`` for Ed25519, which hashes itself)."""
        return _SIG_INFO[self].digest

    @property
    def short_name(self) -> str:
        """The CLI name, e.g. ``rsa-sha256``."""
        return _SIG_INFO[self].short

    @property
    def legacy(self) -> bool:
        """True for SHA-1 and MD5 based methods."""
        d = self.digest
        return d is not None and d.legacy

    @property
    def producible(self) -> bool:
        """True for the methods edocstd signs with (EDOC-1.0 §4.3 "produce")."""
        return not self.legacy and self.key_type is not KeyType.HMAC

    @classmethod
    def from_name(cls, name: str) -> SignatureAlgorithm:
        """Look up by CLI name (``rsa-sha256``, ``ecdsa-sha384``, ``ed25519`` …)."""
        for alg, info in _SIG_INFO.items():
            if info.short == name.lower():
                return alg
        raise ValueError(f"unknown signature algorithm {name!r}")


_SIG_INFO: dict[SignatureAlgorithm, _SigInfo] = {
    SignatureAlgorithm.RSA_SHA256: _SigInfo(KeyType.RSA, DigestAlgorithm.SHA256, "rsa-sha256"),
    SignatureAlgorithm.RSA_SHA384: _SigInfo(KeyType.RSA, DigestAlgorithm.SHA384, "rsa-sha384"),
    SignatureAlgorithm.RSA_SHA512: _SigInfo(KeyType.RSA, DigestAlgorithm.SHA512, "rsa-sha512"),
    SignatureAlgorithm.RSA_PSS_SHA256: _SigInfo(
        KeyType.RSA_PSS, DigestAlgorithm.SHA256, "rsa-pss-sha256"
    ),
    SignatureAlgorithm.RSA_PSS_SHA384: _SigInfo(
        KeyType.RSA_PSS, DigestAlgorithm.SHA384, "rsa-pss-sha384"
    ),
    SignatureAlgorithm.RSA_PSS_SHA512: _SigInfo(
        KeyType.RSA_PSS, DigestAlgorithm.SHA512, "rsa-pss-sha512"
    ),
    SignatureAlgorithm.ECDSA_SHA256: _SigInfo(
        KeyType.ECDSA, DigestAlgorithm.SHA256, "ecdsa-sha256"
    ),
    SignatureAlgorithm.ECDSA_SHA384: _SigInfo(
        KeyType.ECDSA, DigestAlgorithm.SHA384, "ecdsa-sha384"
    ),
    SignatureAlgorithm.ECDSA_SHA512: _SigInfo(
        KeyType.ECDSA, DigestAlgorithm.SHA512, "ecdsa-sha512"
    ),
    SignatureAlgorithm.ED25519: _SigInfo(KeyType.ED25519, None, "ed25519"),
    SignatureAlgorithm.RSA_SHA1: _SigInfo(KeyType.RSA, DigestAlgorithm.SHA1, "rsa-sha1"),
    SignatureAlgorithm.RSA_MD5: _SigInfo(KeyType.RSA, DigestAlgorithm.MD5, "rsa-md5"),
    SignatureAlgorithm.ECDSA_SHA1: _SigInfo(KeyType.ECDSA, DigestAlgorithm.SHA1, "ecdsa-sha1"),
    SignatureAlgorithm.HMAC_SHA1: _SigInfo(KeyType.HMAC, DigestAlgorithm.SHA1, "hmac-sha1"),
    SignatureAlgorithm.HMAC_SHA256: _SigInfo(KeyType.HMAC, DigestAlgorithm.SHA256, "hmac-sha256"),
    SignatureAlgorithm.HMAC_SHA384: _SigInfo(KeyType.HMAC, DigestAlgorithm.SHA384, "hmac-sha384"),
    SignatureAlgorithm.HMAC_SHA512: _SigInfo(KeyType.HMAC, DigestAlgorithm.SHA512, "hmac-sha512"),
}


class C14N(enum.Enum):
    """Canonicalization methods (all six W3C variants)."""

    EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
    EXC_WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
    C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    C14N_WITH_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
    C14N11 = "http://www.w3.org/2006/12/xml-c14n11"
    C14N11_WITH_COMMENTS = "http://www.w3.org/2006/12/xml-c14n11#WithComments"

    @property
    def exclusive(self) -> bool:
        """Exclusive canonicalization."""
        return self in (C14N.EXC, C14N.EXC_WITH_COMMENTS)

    @property
    def with_comments(self) -> bool:
        """Comments are kept."""
        return self.value.endswith("#WithComments")

    @property
    def version_11(self) -> bool:
        """Canonical XML 1.1."""
        return self in (C14N.C14N11, C14N.C14N11_WITH_COMMENTS)

    @classmethod
    def from_name(cls, name: str) -> Self:
        """Look up by CLI name: ``exc``, ``c14n``, ``c14n11``."""
        names = {"exc": cls.EXC, "c14n": cls.C14N, "c14n11": cls.C14N11}
        try:
            return names[name.lower()]
        except KeyError:
            raise ValueError(f"unknown canonicalization {name!r}") from None


class Transform(enum.Enum):
    """Reference transforms edocstd knows of. Only some are ever allowed (EDOC-1.0 §4.1)."""

    ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    XPATH_FILTER2 = "http://www.w3.org/2002/06/xmldsig-filter2"
    XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
    XSLT = "http://www.w3.org/TR/1999/REC-xslt-19991116"
    BASE64 = "http://www.w3.org/2000/09/xmldsig#base64"


def lookup_signature(uri: str) -> SignatureAlgorithm | None:
    """The signature method for ``uri``, or ``None`` if unknown."""
    try:
        return SignatureAlgorithm(uri)
    except ValueError:
        return None


def lookup_digest(uri: str) -> DigestAlgorithm | None:
    """The digest method for ``uri``, or ``None`` if unknown."""
    try:
        return DigestAlgorithm(uri)
    except ValueError:
        return None


def lookup_c14n(uri: str) -> C14N | None:
    """The canonicalization method for ``uri``, or ``None`` if unknown."""
    try:
        return C14N(uri)
    except ValueError:
        return None
