"""Online revocation through pyhanko-certvalidator with edocstd's HTTP transport."""

from __future__ import annotations

import pytest
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import InsufficientRevinfoError, RevokedError

from edocstd.errors import NetworkError
from edocstd.ltv import HttpFetcherBackend, HttpRequest, HttpResponse, UrllibClient
from edocstd.ltv._common import as_asn1_cert, run_sync
from edocstd.testing.pki import Issued
from edocstd.testing.services import TestServices


def _validate(env: TestServices, who: Issued, backend: HttpFetcherBackend) -> object:
    context = ValidationContext(
        trust_roots=[as_asn1_cert(env.pki.root.cert)],
        other_certs=[as_asn1_cert(env.pki.intermediate.cert)],
        allow_fetching=True,
        fetcher_backend=backend,
        revocation_mode="hard-fail",
    )
    validator = CertificateValidator(as_asn1_cert(who.cert), validation_context=context)
    return run_sync(validator.async_validate_usage({"digital_signature"}))


def test_good_signer_validates_online_through_our_transport(env: TestServices) -> None:
    seen: list[str] = []
    default = UrllibClient()

    def recording(request: HttpRequest) -> HttpResponse:
        seen.append(request.url)
        return default(request)

    backend = HttpFetcherBackend(recording)
    _validate(env, env.pki.signer, backend)
    assert env.ocsp.url in seen  # the signer's status came from the real responder
    assert backend.network_failures == []


def test_revoked_signer_is_reported_revoked_online(env: TestServices) -> None:
    with pytest.raises(RevokedError):
        _validate(env, env.pki.revoked_signer, HttpFetcherBackend())


def test_services_down_is_recorded_as_network_failure() -> None:
    with TestServices.start() as down:
        down.ocsp.stop()
        down.crl.stop()
        backend = HttpFetcherBackend(timeout=5)
        with pytest.raises(InsufficientRevinfoError):
            _validate(down, down.pki.signer, backend)
    assert backend.network_failures
    assert all(isinstance(e, NetworkError) for e in backend.network_failures)


def test_fetch_budget_bounds_requests(env: TestServices) -> None:
    backend = HttpFetcherBackend(max_requests=0)
    with pytest.raises(InsufficientRevinfoError):
        _validate(env, env.pki.signer, backend)
    assert any("budget" in str(e) for e in backend.network_failures)
