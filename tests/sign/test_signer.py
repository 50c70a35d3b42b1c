"""Signer construction (PEM, PKCS#12, any SigningKey) and the in-memory key."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from edocstd.errors import CertificateError, KeyAccessError, PolicyError
from edocstd.sign._algorithms import KeyType, SignatureAlgorithm
from edocstd.sign._keys import SigningKey
from edocstd.sign._signer import InMemoryKey, Signer, verify_signature_value
from edocstd.testing.pki import Issued, TestPKI, new_key

PASSWORD = "รหัสผ่าน-p12"


def _encrypted_pem(issued: Issued, password: bytes) -> bytes:
    return issued.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )


def test_from_pem_accepts_bytes_and_keeps_the_chain(pki: TestPKI) -> None:
    signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
    assert signer.certificate == pki.signer.cert
    assert signer.chain == (pki.intermediate.cert,)
    assert signer.algorithm is SignatureAlgorithm.RSA_SHA256


def test_from_pem_accepts_paths_and_an_encrypted_key(pki: TestPKI, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    cert = tmp_path / "cert.pem"
    chain = tmp_path / "chain.pem"
    key.write_bytes(_encrypted_pem(pki.signer, b"secret"))
    cert.write_bytes(pki.signer.cert_pem)
    chain.write_bytes(pki.chain_pem() + pki.trust_pem())
    signer = Signer.from_pem(key, cert, chain, password="secret")
    assert signer.chain == (pki.intermediate.cert, pki.root.cert)


def test_from_pem_accepts_der(pki: TestPKI) -> None:
    key_der = pki.signer_ec.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = Signer.from_pem(key_der, pki.signer_ec.cert_der)
    assert signer.certificate == pki.signer_ec.cert


def test_a_certificate_bundle_gives_the_first_as_signer_and_the_rest_as_chain(
    pki: TestPKI,
) -> None:
    signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem + pki.chain_pem())
    assert signer.certificate == pki.signer.cert
    assert signer.chain == (pki.intermediate.cert,)


def test_the_signing_certificate_is_not_repeated_in_the_chain(pki: TestPKI) -> None:
    signer = Signer.from_pem(
        pki.signer.key_pem, pki.signer.cert_pem, pki.signer.cert_pem + pki.chain_pem()
    )
    assert signer.chain == (pki.intermediate.cert,)


@pytest.mark.parametrize(
    ("password", "fragment"),
    [("wrong", "wrong password"), (None, "private key")],
)
def test_from_pem_refuses_a_wrong_or_missing_password(
    pki: TestPKI, password: str | None, fragment: str
) -> None:
    with pytest.raises(CertificateError, match=fragment):
        Signer.from_pem(
            _encrypted_pem(pki.signer, b"secret"), pki.signer.cert_pem, password=password
        )


def test_from_pem_refuses_a_key_that_does_not_belong_to_the_certificate(pki: TestPKI) -> None:
    with pytest.raises(CertificateError, match="does not belong"):
        Signer.from_pem(pki.revoked_signer.key_pem, pki.signer.cert_pem)


@pytest.mark.parametrize(
    ("key", "cert"),
    [
        (b"not a key", None),
        (None, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        (None, b"\x30\x03\x02\x01\x01"),
    ],
)
def test_from_pem_refuses_garbage(pki: TestPKI, key: bytes | None, cert: bytes | None) -> None:
    with pytest.raises(CertificateError):
        Signer.from_pem(key or pki.signer.key_pem, cert or pki.signer.cert_pem)


def test_from_pem_reports_a_missing_file(pki: TestPKI, tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match="cannot read"):
        Signer.from_pem(tmp_path / "missing.pem", pki.signer.cert_pem)


def test_from_pem_takes_pem_text_but_not_a_bare_file_name(pki: TestPKI) -> None:
    signer = Signer.from_pem(pki.signer.key_pem.decode(), pki.signer.cert_pem.decode())
    assert signer.certificate == pki.signer.cert
    with pytest.raises(CertificateError, match=r"pathlib\.Path"):
        Signer.from_pem("signer-key.pem", pki.signer.cert_pem)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("rsa2048", SignatureAlgorithm.RSA_SHA256),
        ("p256", SignatureAlgorithm.ECDSA_SHA256),
        ("p384", SignatureAlgorithm.ECDSA_SHA384),
        ("p521", SignatureAlgorithm.ECDSA_SHA512),
        ("ed25519", SignatureAlgorithm.ED25519),
    ],
)
def test_the_default_algorithm_follows_the_key(
    pki: TestPKI, kind: str, expected: SignatureAlgorithm
) -> None:
    issued = pki.issue(f"default {kind}", key=new_key(kind))
    assert Signer.from_pem(issued.key_pem, issued.cert_pem).algorithm is expected


def test_with_algorithm_refuses_a_method_that_does_not_fit_the_key(rsa_signer: Signer) -> None:
    assert rsa_signer.with_algorithm(SignatureAlgorithm.RSA_PSS_SHA384).algorithm is (
        SignatureAlgorithm.RSA_PSS_SHA384
    )
    with pytest.raises(PolicyError, match="does not fit"):
        rsa_signer.with_algorithm(SignatureAlgorithm.ECDSA_SHA256)
    with pytest.raises(PolicyError, match="does not sign with"):
        rsa_signer.with_algorithm(SignatureAlgorithm.RSA_SHA1)


# --- PKCS#12 -----------------------------------------------------------------------------------


def _p12_with(
    issued: Issued, pki: TestPKI, algorithm: pkcs12.PBES, mac: hashes.HashAlgorithm
) -> bytes:
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(algorithm)
        .hmac_hash(mac)
        .build(PASSWORD.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        b"signer",
        issued.key,
        issued.cert,
        [pki.intermediate.cert],
        encryption,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("algorithm", "mac"),
    [
        (pkcs12.PBES.PBESv2SHA256AndAES256CBC, hashes.SHA256()),  # modern
        (pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC, hashes.SHA1()),  # legacy
    ],
    ids=["aes256-pbes2", "3des-sha1"],
)
def test_from_pkcs12_loads_modern_and_legacy_protection(
    pki: TestPKI, algorithm: pkcs12.PBES, mac: hashes.HashAlgorithm
) -> None:
    signer = Signer.from_pkcs12(_p12_with(pki.signer, pki, algorithm, mac), PASSWORD)
    assert signer.certificate == pki.signer.cert
    assert signer.chain == (pki.intermediate.cert,)


def _openssl_p12(pki: TestPKI, tmp_path: Path, legacy: bool) -> Path:
    exe = shutil.which("openssl")
    if exe is None:
        pytest.skip("the openssl tool is not installed")
    key = tmp_path / "key.pem"
    cert = tmp_path / "cert.pem"
    chain = tmp_path / "chain.pem"
    key.write_bytes(pki.signer_ec.key_pem)
    cert.write_bytes(pki.signer_ec.cert_pem)
    chain.write_bytes(pki.chain_pem())
    out = tmp_path / ("legacy.p12" if legacy else "modern.p12")
    cmd = [
        exe,
        "pkcs12",
        "-export",
        "-inkey",
        str(key),
        "-in",
        str(cert),
        "-certfile",
        str(chain),
        "-passout",
        "pass:secret",
        "-out",
        str(out),
    ]
    if legacy:
        # RC2-40 for the certificates, 3DES for the key, SHA-1 MAC: what older CA tools emit.
        # OpenSSL 3 needs its legacy provider for RC2, which -legacy loads.
        cmd.append("-legacy")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"this openssl cannot write the container: {done.stderr.strip()}")
    return out


def _p12_cert_cipher(path: Path, legacy: bool) -> str:
    cmd = ["openssl", "pkcs12", "-in", str(path), "-info", "-noout", "-passin", "pass:secret"]
    if legacy:
        cmd.append("-legacy")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


@pytest.mark.parametrize("legacy", [True, False], ids=["openssl-legacy-rc2", "openssl-modern-aes"])
def test_from_pkcs12_loads_files_written_by_openssl(
    pki: TestPKI, tmp_path: Path, legacy: bool
) -> None:
    path = _openssl_p12(pki, tmp_path, legacy)
    info = _p12_cert_cipher(path, legacy)
    assert ("RC2" in info) if legacy else ("AES-256-CBC" in info)
    signer = Signer.from_pkcs12(path, b"secret")
    assert signer.certificate == pki.signer_ec.cert
    assert signer.algorithm is SignatureAlgorithm.ECDSA_SHA256


def test_from_pkcs12_refuses_a_wrong_password(pki: TestPKI) -> None:
    data = _p12_with(pki.signer, pki, pkcs12.PBES.PBESv2SHA256AndAES256CBC, hashes.SHA256())
    with pytest.raises(CertificateError, match="wrong password"):
        Signer.from_pkcs12(data, "not the password")


def test_from_pkcs12_refuses_garbage_and_a_container_without_key(pki: TestPKI) -> None:
    with pytest.raises(CertificateError):
        Signer.from_pkcs12(b"\x30\x82garbage", "x")
    certs_only = pkcs12.serialize_key_and_certificates(
        None, None, None, [pki.signer.cert], serialization.BestAvailableEncryption(b"pw")
    )
    with pytest.raises(CertificateError, match="no private key"):
        Signer.from_pkcs12(certs_only, "pw")


# --- from_key and the in-memory key --------------------------------------------------------------


class _RemoteKey:
    """A stand-in for a remote signing service: it only knows how to sign."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self._key = key
        self.calls = 0

    def sign(self, data: bytes, algorithm: SignatureAlgorithm) -> bytes:
        self.calls += 1
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def test_from_key_takes_any_signing_key(pki: TestPKI) -> None:
    remote = _RemoteKey(pki.signer.key)  # type: ignore[arg-type]
    assert isinstance(remote, SigningKey)
    signer = Signer.from_key(remote, pki.signer.cert_pem, pki.chain_pem())
    assert signer.key is remote
    assert signer.chain == (pki.intermediate.cert,)


def test_from_key_checks_a_key_that_can_tell_its_public_key(pki: TestPKI) -> None:
    with pytest.raises(CertificateError, match="does not belong"):
        Signer.from_key(InMemoryKey(pki.signer_ec.key), pki.signer.cert)  # type: ignore[arg-type]


def test_from_key_refuses_an_object_that_cannot_sign(pki: TestPKI) -> None:
    with pytest.raises(CertificateError, match="not a signing key"):
        Signer.from_key(object(), pki.signer.cert)  # type: ignore[arg-type]


_ALL = [a for a in SignatureAlgorithm if a.producible]


@pytest.mark.parametrize("algorithm", _ALL, ids=lambda a: a.short_name)
def test_in_memory_key_signs_every_producible_algorithm(
    pki: TestPKI, algorithm: SignatureAlgorithm
) -> None:
    kind = {
        KeyType.RSA: "rsa2048",
        KeyType.RSA_PSS: "rsa2048",
        KeyType.ECDSA: "p256",
        KeyType.ED25519: "ed25519",
    }[algorithm.key_type]
    issued = (
        pki.signer
        if kind == "rsa2048"
        else (pki.signer_ec if kind == "p256" else pki.signer_ed25519)
    )
    key = InMemoryKey(issued.key)
    value = key.sign(b"message", algorithm)
    public = issued.key.public_key()
    assert verify_signature_value(public, algorithm, b"message", value)  # type: ignore[arg-type]
    assert not verify_signature_value(public, algorithm, b"massage", value)  # type: ignore[arg-type]


def test_rsa_pss_uses_mgf1_and_a_salt_as_long_as_the_hash(pki: TestPKI) -> None:
    value = InMemoryKey(pki.signer.key).sign(b"m", SignatureAlgorithm.RSA_PSS_SHA384)
    public = pki.signer.key.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(  # raises unless salt length is exactly 48 bytes
        value, b"m", padding.PSS(padding.MGF1(hashes.SHA384()), 48), hashes.SHA384()
    )


@pytest.mark.parametrize(("kind", "size"), [("p256", 32), ("p384", 48), ("p521", 66)])
def test_ecdsa_values_are_raw_r_and_s_padded_to_the_curve(kind: str, size: int) -> None:
    private = new_key(kind)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    value = InMemoryKey(private).sign(b"m", SignatureAlgorithm.ECDSA_SHA256)
    assert len(value) == 2 * size
    der = utils.encode_dss_signature(
        int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big")
    )
    private.public_key().verify(der, b"m", ec.ECDSA(hashes.SHA256()))


def test_in_memory_key_refuses_an_algorithm_for_another_key_family(pki: TestPKI) -> None:
    with pytest.raises(KeyAccessError):
        InMemoryKey(pki.signer.key).sign(b"m", SignatureAlgorithm.ED25519)  # type: ignore[arg-type]


def test_signer_repr_never_shows_the_private_key(rsa_signer: Signer) -> None:
    text = repr(rsa_signer)
    assert "PRIVATE" not in text
    assert "key=" not in text
