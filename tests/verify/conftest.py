"""Fixtures for the verification tests: a test PKI, signed documents and verifiers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from _forge import PLAIN_XML, signer_for

from edocstd._level import Level
from edocstd.sign._sign import sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.verify import Policy, TrustStore, Verifier


@pytest.fixture(scope="session")
def pki(edoc_pki: TestPKI) -> TestPKI:
    return edoc_pki


@pytest.fixture(scope="session")
def rsa_signer(pki: TestPKI) -> Signer:
    return signer_for(pki.signer, pki)


@pytest.fixture(scope="session")
def trust(pki: TestPKI) -> TrustStore:
    return TrustStore.from_pem(pki.trust_pem())


@pytest.fixture(scope="session")
def verifier(trust: TrustStore) -> Verifier:
    """Default policy except revocation=none (revocation has its own tests)."""
    return Verifier(trust=trust, policy=Policy(revocation="none"))


@pytest.fixture(scope="session")
def lenient(trust: TrustStore) -> Verifier:
    """Accepts plain XMLDSig and any XML (no schema), revocation not checked."""
    return Verifier(
        trust=trust, policy=Policy(revocation="none", min_level=None, require_schema=False)
    )


@pytest.fixture(scope="session")
def signed_edoc(rsa_signer: Signer) -> bytes:
    return sign(sample_xml(), rsa_signer)


@pytest.fixture(scope="session")
def signed_plain(rsa_signer: Signer) -> bytes:
    return sign(PLAIN_XML, rsa_signer)


@pytest.fixture(scope="session")
def signed_plain_xmldsig(rsa_signer: Signer) -> bytes:
    return sign(PLAIN_XML, rsa_signer, level=Level.XMLDSIG)


@pytest.fixture(scope="session")
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


SignFn = Callable[..., bytes]
