"""Fixtures for the long-term validation tests: real loopback services, no mocks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from edocstd.testing.pki import TestPKI
from edocstd.testing.services import TestServices

REVOKED_BEFORE = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def env() -> Iterator[TestServices]:
    """A PKI with a running TSA, OCSP responder and CRL server; the revoked signer is
    revoked (key compromise) one hour before the PKI's ``now``."""
    with TestServices.start() as services:
        services.revoke(
            services.pki.revoked_signer.cert,
            services.pki.now - REVOKED_BEFORE,
        )
        yield services


@pytest.fixture
def fresh() -> Iterator[TestServices]:
    """Services of one test's own, to revoke in, stop, or change the OCSP responder and CRLs
    of without disturbing other tests."""
    with TestServices.start() as services:
        yield services


@pytest.fixture(scope="module")
def revocation_time(env: TestServices) -> dt.datetime:
    """When ``env``'s revoked signer was revoked."""
    return env.pki.now - REVOKED_BEFORE


@pytest.fixture(scope="module")
def other_pki() -> TestPKI:
    """An unrelated PKI whose CA names are identical to ``env``'s (same test names)."""
    return TestPKI.generate()
