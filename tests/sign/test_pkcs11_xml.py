"""Whole documents signed through a SoftHSM2 token verify in edocstd and in xmlsec1."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edocstd.sign._algorithms import SignatureAlgorithm
from edocstd.sign._pkcs11 import open_pkcs11_key
from edocstd.sign._sign import sign
from edocstd.sign._signer import Signer
from edocstd.testing.assertions import assert_verifies
from edocstd.testing.pki import TestPKI
from edocstd.testing.softhsm import SoftHSM, SoftHSMError, SoftHSMToken, find_softhsm_module
from edocstd.verify._policy import Policy
from edocstd.verify._trust import TrustStore
from edocstd.verify._verifier import Verifier

pytest.importorskip("pkcs11")
try:
    find_softhsm_module()
except SoftHSMError as exc:  # pragma: no cover - CI installs softhsm2
    pytest.skip(str(exc), allow_module_level=True)

XmlsecVerify = Callable[..., subprocess.CompletedProcess[str]]
PLAIN_XML = (Path(__file__).parent.parent / "vectors" / "sign" / "plain-invoice.xml").read_bytes()


@pytest.fixture(scope="module")
def token(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> tuple[SoftHSM, SoftHSMToken]:
    hsm = SoftHSM.create(tmp_path_factory.mktemp("softhsm-xml"))
    tok = hsm.init_token("edoc xml")
    hsm.import_key(
        tok,
        pki.signer.key,  # type: ignore[arg-type]
        label="signer",
        key_id=b"\x01",
        certificate=pki.signer.cert,
        extra_certificates=[pki.intermediate.cert],
    )
    hsm.import_key(
        tok,
        pki.signer_ec.key,  # type: ignore[arg-type]
        label="signer-ec",
        key_id=b"\x02",
        certificate=pki.signer_ec.cert,
        extra_certificates=[pki.intermediate.cert],
    )
    return hsm, tok


@pytest.fixture
def signer_for(token: tuple[SoftHSM, SoftHSMToken]) -> Iterator[dict[str, Signer]]:
    hsm, tok = token
    hsm.activate()
    with (
        open_pkcs11_key(tok.uri(key_label="signer"), tok.pin) as rsa_key,
        open_pkcs11_key(tok.uri(key_label="signer-ec"), tok.pin) as ec_key,
    ):
        signers = {}
        for name, key in (("rsa", rsa_key), ("ec", ec_key)):
            assert key.certificate is not None
            signers[name] = Signer.from_key(key, key.certificate, key.chain)
        yield signers


def _verify_in_edocstd(signed: bytes, pki: TestPKI) -> None:
    verifier = Verifier(TrustStore.from_pem(pki.trust_pem()), Policy(revocation="none"))
    assert_verifies(signed, verifier)


@pytest.mark.parametrize(
    ("which", "alg"),
    [
        ("rsa", SignatureAlgorithm.RSA_SHA256),
        ("rsa", SignatureAlgorithm.RSA_SHA512),
        ("ec", SignatureAlgorithm.ECDSA_SHA256),
        ("ec", SignatureAlgorithm.ECDSA_SHA384),
    ],
    ids=lambda v: v.short_name if isinstance(v, SignatureAlgorithm) else v,
)
def test_token_signed_document_verifies_in_edocstd_and_xmlsec1(
    signer_for: dict[str, Signer],
    pki: TestPKI,
    xmlsec1_verify: XmlsecVerify,
    which: str,
    alg: SignatureAlgorithm,
) -> None:
    signed = sign(PLAIN_XML, signer_for[which], algorithm=alg)
    assert alg.value.encode() in signed
    _verify_in_edocstd(signed, pki)
    done = xmlsec1_verify(signed)
    assert done.returncode == 0, done.stderr


def test_token_signed_edoc_licence_verifies_in_edocstd_and_xmlsec1(
    signer_for: dict[str, Signer], pki: TestPKI, xmlsec1_verify: XmlsecVerify
) -> None:
    pytest.importorskip("edocstd.schema._validate")
    from edocstd.testing.samples import sample_xml

    signed = sign(sample_xml(), signer_for["rsa"])
    _verify_in_edocstd(signed, pki)
    done = xmlsec1_verify(signed)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "alg",
    [SignatureAlgorithm.RSA_PSS_SHA256, SignatureAlgorithm.RSA_PSS_SHA512],
    ids=lambda v: v.short_name,
)
def test_token_rsa_pss_document_verifies_in_edocstd_and_signxml(
    signer_for: dict[str, Signer],
    pki: TestPKI,
    pki_files: tuple[Path, Path],
    alg: SignatureAlgorithm,
) -> None:
    # xmlsec1 1.2 (the Debian tool) has no RSA-PSS; signxml is the independent check here.
    signxml = pytest.importorskip("signxml")
    from signxml.xades import XAdESVerifier

    signed = sign(PLAIN_XML, signer_for["rsa"], algorithm=alg)
    _verify_in_edocstd(signed, pki)
    config = signxml.SignatureConfiguration(
        expect_references=2, signature_methods=frozenset(signxml.SignatureMethod)
    )
    results = XAdESVerifier().verify(signed, ca_pem_file=str(pki_files[0]), expect_config=config)
    assert len(results) == 2


def test_signer_default_algorithm_follows_the_token_key(signer_for: dict[str, Signer]) -> None:
    assert signer_for["rsa"].algorithm is SignatureAlgorithm.RSA_SHA256
    assert signer_for["ec"].algorithm is SignatureAlgorithm.ECDSA_SHA256
