"""Signer.from_pkcs11: the thin wrapper that puts a token key behind a Signer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edocstd.errors import CertificateError, PinIncorrectError
from edocstd.sign._algorithms import SignatureAlgorithm
from edocstd.sign._sign import sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import TestPKI
from edocstd.testing.softhsm import SoftHSM, SoftHSMError, SoftHSMToken, find_softhsm_module

pytest.importorskip("pkcs11")
try:
    find_softhsm_module()
except SoftHSMError as exc:  # pragma: no cover - CI installs softhsm2
    pytest.skip(str(exc), allow_module_level=True)


@pytest.fixture(scope="module")
def hsm_and_token(
    pki: TestPKI, tmp_path_factory: pytest.TempPathFactory
) -> tuple[SoftHSM, SoftHSMToken]:
    hsm = SoftHSM.create(tmp_path_factory.mktemp("softhsm-signer"))
    tok = hsm.init_token("edoc signer")
    hsm.import_key(
        tok,
        pki.signer_ec.key,  # type: ignore[arg-type]
        label="with-cert",
        key_id=b"\x01",
        certificate=pki.signer_ec.cert,
        extra_certificates=[pki.intermediate.cert],
    )
    hsm.import_key(tok, pki.signer.key, label="no-cert", key_id=b"\x02")  # type: ignore[arg-type]
    return hsm, tok


@pytest.fixture
def token(hsm_and_token: tuple[SoftHSM, SoftHSMToken]) -> Iterator[SoftHSMToken]:
    hsm, tok = hsm_and_token
    hsm.activate()  # other tests may have pointed the module at their own tokens
    yield tok


def test_from_pkcs11_reads_certificate_and_chain_from_the_token(
    token: SoftHSMToken, pki: TestPKI, xmlsec1_verify: object
) -> None:
    signer = Signer.from_pkcs11(token.uri(key_label="with-cert"), token.pin)
    try:
        assert signer.certificate == pki.signer_ec.cert
        assert signer.chain == (pki.intermediate.cert,)
        assert signer.algorithm is SignatureAlgorithm.ECDSA_SHA256
        signed = sign(b"<doc><a>token</a></doc>", signer)
        result = xmlsec1_verify(signed)  # type: ignore[operator]
        assert result.returncode == 0, result.stderr
    finally:
        signer.key.close()  # type: ignore[attr-defined]


def test_from_pkcs11_takes_a_certificate_for_a_key_stored_without_one(
    token: SoftHSMToken, pki: TestPKI
) -> None:
    with pytest.raises(CertificateError, match="no certificate"):
        Signer.from_pkcs11(token.uri(key_label="no-cert"), token.pin)
    signer = Signer.from_pkcs11(
        token.uri(key_label="no-cert"),
        token.pin,
        certificate=pki.signer.cert_pem,
        chain=pki.chain_pem(),
    )
    try:
        assert signer.certificate == pki.signer.cert
        assert signer.chain == (pki.intermediate.cert,)
    finally:
        signer.key.close()  # type: ignore[attr-defined]


def test_from_pkcs11_passes_token_errors_through(token: SoftHSMToken) -> None:
    with pytest.raises(PinIncorrectError):
        Signer.from_pkcs11(token.uri(key_label="with-cert"), "not-the-pin")
