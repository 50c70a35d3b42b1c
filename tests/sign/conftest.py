"""Shared fixtures for the signing tests: signers over the test PKI and peer-verifier helpers."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from edocstd.sign._signer import Signer
from edocstd.testing.pki import Issued, TestPKI
from edocstd.testing.services import TestServices

XADES_SIGNED_PROPERTIES = "http://uri.etsi.org/01903/v1.3.2#:SignedProperties"
DS_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#:Signature"


def signer_for(issued: Issued, pki: TestPKI) -> Signer:
    """A signer over one of the PKI's end entities, with the intermediate as chain."""
    return Signer.from_pem(issued.key_pem, issued.cert_pem, chain_pem=pki.chain_pem())


@pytest.fixture(scope="module")
def services() -> Iterator[TestServices]:
    """A PKI with a real TSA, OCSP responder and CRL server on loopback, for one module."""
    with TestServices.start() as running:
        yield running


@pytest.fixture
def fresh_services() -> Iterator[TestServices]:
    """Services of their own, for a test that stops some of them."""
    with TestServices.start() as running:
        yield running


@pytest.fixture(scope="session")
def pki(edoc_pki: TestPKI) -> TestPKI:
    return edoc_pki


@pytest.fixture(scope="session")
def rsa_signer(pki: TestPKI) -> Signer:
    return signer_for(pki.signer, pki)


@pytest.fixture(scope="session")
def ec_signer(pki: TestPKI) -> Signer:
    return signer_for(pki.signer_ec, pki)


@pytest.fixture(scope="session")
def ed_signer(pki: TestPKI) -> Signer:
    return signer_for(pki.signer_ed25519, pki)


@pytest.fixture(scope="session")
def pki_files(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The root (trust anchor) and the intermediate, as PEM files."""
    d = tmp_path_factory.mktemp("pki")
    root = d / "root.pem"
    inter = d / "inter.pem"
    root.write_bytes(pki.trust_pem())
    inter.write_bytes(pki.chain_pem())
    return root, inter


XmlsecVerify = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def xmlsec1_verify(
    pki_files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> XmlsecVerify:
    """Run ``xmlsec1 --verify`` on signed bytes (``signature_id`` picks one signature)."""
    exe = shutil.which("xmlsec1")
    if exe is None:
        pytest.skip("xmlsec1 is not installed")
    root, inter = pki_files
    work = tmp_path_factory.mktemp("xmlsec1")
    counter = iter(range(1_000_000))

    def run(
        signed: bytes, signature_id: str | None = None, trusted: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        path = work / f"doc{next(counter)}.xml"
        path.write_bytes(signed)
        cmd = [
            exe,
            "--verify",
            "--trusted-pem",
            str(trusted or root),
            "--untrusted-pem",
            str(inter),
            "--id-attr:Id",
            XADES_SIGNED_PROPERTIES,
            "--id-attr:Id",
            DS_SIGNATURE,
            "--enabled-reference-uris",
            "empty,same-doc",
        ]
        if signature_id is not None:
            cmd += ["--node-id", signature_id]
        cmd.append(str(path))
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)

    return run
