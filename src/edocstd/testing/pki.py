"""A throw-away test PKI, for edocstd's own tests and for integrators' test suites.

Never use these keys for anything real: they are generated in memory, with no protection.

The PKI has a two-level chain (root → intermediate → end entities) and every actor the tests
need: signers with RSA, ECDSA and Ed25519 keys, a signer meant to be revoked, a time-stamping
authority and a delegated OCSP responder. :meth:`TestPKI.issue` makes more (expired,
wrong key usage, weak keys, …) for negative tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Issued", "PrivateKey", "TestPKI", "new_key"]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_UTC = dt.UTC


def new_key(kind: str = "rsa2048") -> PrivateKey:
    """A fresh private key: ``rsa1024``, ``rsa2048``, ``rsa3072``, ``p256``, ``p384``, ``p521``
    or ``ed25519``."""
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    curves: dict[str, ec.EllipticCurve] = {
        "p256": ec.SECP256R1(),
        "p384": ec.SECP384R1(),
        "p521": ec.SECP521R1(),
    }
    if kind in curves:
        return ec.generate_private_key(curves[kind])
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key kind {kind!r}")


def _pem_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class Issued:
    """A private key with its certificate."""

    key: PrivateKey
    cert: x509.Certificate

    @property
    def key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM."""
        return _pem_key(self.key)

    @property
    def cert_pem(self) -> bytes:
        """The certificate as PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self) -> bytes:
        """The certificate as DER."""
        return self.cert.public_bytes(serialization.Encoding.DER)


def _sig_hash(key: PrivateKey) -> hashes.HashAlgorithm | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


@dataclass
class TestPKI:
    """A generated PKI. Build one with :meth:`generate`."""

    __test__ = False  # not a pytest test class

    root: Issued
    intermediate: Issued
    signer: Issued
    """RSA-2048 document signer."""
    signer_ec: Issued
    """ECDSA P-256 document signer."""
    signer_ed25519: Issued
    """Ed25519 document signer."""
    revoked_signer: Issued
    """An RSA-2048 signer for revocation tests (the PKI does not revoke it by itself)."""
    tsa: Issued
    """A time-stamping authority (critical ``timeStamping`` EKU), issued by the intermediate."""
    ocsp_responder: Issued
    """A delegated OCSP responder (``OCSPSigning`` EKU) for the intermediate."""
    now: dt.datetime
    ocsp_url: str | None = None
    crl_url: str | None = None
    _serial: int = field(default=1000, repr=False)

    @classmethod
    def generate(
        cls,
        *,
        now: dt.datetime | None = None,
        ocsp_url: str | None = None,
        crl_url: str | None = None,
        root_crl_url: str | None = None,
        signer_years: int = 2,
    ) -> TestPKI:
        """Generate a complete PKI.

        Certificates are valid from a day before ``now`` (default: the current time); CAs for
        30 years, end entities for ``signer_years``. ``ocsp_url`` and ``crl_url`` are written
        into end-entity certificates (AIA and CRL distribution point) when given;
        ``root_crl_url`` into the intermediate.
        """
        now = (now or dt.datetime.now(_UTC)).replace(microsecond=0)
        start = now - dt.timedelta(days=1)
        ca_end = now + dt.timedelta(days=365 * 30)
        ee_end = now + dt.timedelta(days=365 * signer_years)

        root_key = new_key("rsa2048")
        root_name = _name("edocstd Test Root CA")
        root = Issued(
            root_key,
            _build(
                subject=root_name,
                issuer=root_name,
                public_key=root_key,
                signing_key=root_key,
                serial=1,
                not_before=start,
                not_after=ca_end,
                ca=True,
                path_length=1,
                key_usage="ca",
                issuer_key=root_key,
            ),
        )
        inter_key = new_key("rsa2048")
        intermediate = Issued(
            inter_key,
            _build(
                subject=_name("edocstd Test Issuing CA"),
                issuer=root_name,
                public_key=inter_key,
                signing_key=root_key,
                serial=2,
                not_before=start,
                not_after=ca_end,
                ca=True,
                path_length=0,
                key_usage="ca",
                issuer_key=root_key,
                crl_url=root_crl_url,
            ),
        )
        pki = cls(
            root=root,
            intermediate=intermediate,
            signer=root,  # placeholders, replaced just below
            signer_ec=root,
            signer_ed25519=root,
            revoked_signer=root,
            tsa=root,
            ocsp_responder=root,
            now=now,
            ocsp_url=ocsp_url,
            crl_url=crl_url,
        )
        pki.signer = pki.issue("Somchai Signer", key=new_key("rsa2048"), not_after=ee_end)
        pki.signer_ec = pki.issue("Somsri EC Signer", key=new_key("p256"), not_after=ee_end)
        pki.signer_ed25519 = pki.issue(
            "Sompong Ed25519 Signer", key=new_key("ed25519"), not_after=ee_end
        )
        pki.revoked_signer = pki.issue("Revoked Signer", key=new_key("rsa2048"), not_after=ee_end)
        pki.tsa = pki.issue(
            "edocstd Test TSA",
            key=new_key("rsa2048"),
            key_usage="timestamp",
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            eku_critical=True,
            not_after=ca_end - dt.timedelta(days=1),
            with_urls=True,
        )
        pki.ocsp_responder = pki.issue(
            "edocstd Test OCSP Responder",
            key=new_key("rsa2048"),
            key_usage="ocsp",
            eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
            not_after=ee_end,
            ocsp_nocheck=True,
            with_urls=False,
        )
        return pki

    def issue(
        self,
        common_name: str,
        *,
        key: PrivateKey | None = None,
        issuer: Issued | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key_usage: str = "signer",
        eku: list[x509.ObjectIdentifier] | None = None,
        eku_critical: bool = False,
        ca: bool = False,
        basic_constraints: bool = True,
        ocsp_nocheck: bool = False,
        with_urls: bool = True,
    ) -> Issued:
        """Issue a certificate from ``issuer`` (default: the intermediate).

        ``key_usage`` is ``signer`` (digitalSignature + nonRepudiation), ``encipher``
        (keyEncipherment only: wrong for signing), ``ca``, ``timestamp``, ``ocsp`` or ``none``
        (no extension). ``basic_constraints=False`` leaves that extension out, which makes an
        intermediate that RFC 5280 refuses as a CA.
        """
        issuer = issuer or self.intermediate
        key = key or new_key("rsa2048")
        self._serial += 1
        return Issued(
            key,
            _build(
                subject=_name(common_name),
                issuer=issuer.cert.subject,
                public_key=key,
                signing_key=issuer.key,
                serial=self._serial,
                not_before=not_before or (self.now - dt.timedelta(days=1)),
                not_after=not_after or (self.now + dt.timedelta(days=730)),
                ca=ca,
                path_length=0 if ca else None,
                key_usage=key_usage,
                eku=eku,
                eku_critical=eku_critical,
                issuer_key=issuer.key,
                ocsp_url=self.ocsp_url if with_urls else None,
                crl_url=self.crl_url if with_urls else None,
                basic_constraints=basic_constraints,
                ocsp_nocheck=ocsp_nocheck,
            ),
        )

    def trust_pem(self) -> bytes:
        """The root certificate as PEM: what a relying party puts in its trust store."""
        return self.root.cert_pem

    def chain_pem(self) -> bytes:
        """The intermediate as PEM: what a signer sends along with its own certificate."""
        return self.intermediate.cert_pem

    def crl(
        self,
        revoked: list[tuple[x509.Certificate, dt.datetime]] = (),  # type: ignore[assignment]
        *,
        issuer: Issued | None = None,
        this_update: dt.datetime | None = None,
        next_update: dt.datetime | None = None,
    ) -> bytes:
        """A DER CRL from ``issuer`` (default: the intermediate) listing ``revoked``."""
        issuer = issuer or self.intermediate
        this_update = this_update or self.now
        next_update = next_update or (this_update + dt.timedelta(days=7))
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.cert.subject)
            .last_update(this_update)
            .next_update(next_update)
            .add_extension(x509.CRLNumber(self._serial), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                critical=False,
            )
        )
        for cert, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(when)
                .build()
            )
        crl = builder.sign(issuer.key, _sig_hash(issuer.key))  # type: ignore[arg-type]
        return crl.public_bytes(serialization.Encoding.DER)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "edocstd test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _build(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PrivateKey,
    signing_key: PrivateKey,
    issuer_key: PrivateKey,
    serial: int,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ca: bool,
    path_length: int | None,
    key_usage: str,
    eku: list[x509.ObjectIdentifier] | None = None,
    eku_critical: bool = False,
    ocsp_url: str | None = None,
    crl_url: str | None = None,
    basic_constraints: bool = True,
    ocsp_nocheck: bool = False,
) -> x509.Certificate:
    pub = public_key.public_key()
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(pub)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if basic_constraints:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    usages = {
        "signer": {"digital_signature": True, "content_commitment": True},
        "encipher": {"key_encipherment": True},
        "ca": {"key_cert_sign": True, "crl_sign": True, "digital_signature": True},
        "timestamp": {"digital_signature": True, "content_commitment": True},
        "ocsp": {"digital_signature": True},
    }
    if key_usage != "none":
        flags = dict.fromkeys(
            (
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "key_cert_sign",
                "crl_sign",
            ),
            False,
        )
        flags.update(usages[key_usage])
        b = b.add_extension(
            x509.KeyUsage(**flags, encipher_only=False, decipher_only=False), critical=True
        )
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=eku_critical)
    if ocsp_url:
        b = b.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(ocsp_url),
                    )
                ]
            ),
            critical=False,
        )
    if crl_url:
        b = b.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    if ocsp_nocheck:
        b = b.add_extension(x509.OCSPNoCheck(), critical=False)
    return b.sign(signing_key, _sig_hash(signing_key))  # type: ignore[arg-type]
