"""The loopback TSA, OCSP responder and CRL server offered to integrators' test suites."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

from edocstd.errors import NetworkError, ServiceError
from edocstd.ltv import (
    CertStatus,
    HttpRequest,
    TimeStampClient,
    UrllibClient,
    check_crl,
    fetch_crl,
    fetch_ocsp,
)
from edocstd.ltv._http import exchange
from edocstd.testing.services import TEST_TSA_POLICY, CrlServer, TestServices


@pytest.fixture
def env(edoc_services: TestServices) -> TestServices:
    """The plugin's session services, for tests that change nothing; tests that revoke or stop
    start their own."""
    return edoc_services


def test_services_listen_on_loopback_only(env: TestServices) -> None:
    for url in (env.tsa.url, env.ocsp.url, env.crl.url):
        assert urllib.parse.urlsplit(url).hostname == "127.0.0.1"


def test_pki_certificates_point_at_the_services(env: TestServices) -> None:
    from edocstd.ltv import crl_urls, ocsp_urls

    assert ocsp_urls(env.pki.signer.cert) == [env.ocsp.url]
    assert crl_urls(env.pki.signer.cert) == [env.crl.url_for("intermediate")]
    assert crl_urls(env.pki.intermediate.cert) == [env.crl.url_for("root")]


def test_tsa_answers_with_timestamp_reply_and_counts(env: TestServices) -> None:
    before = env.tsa.requests
    token = TimeStampClient(env.tsa.url).stamp(b"x")
    assert token.policy == TEST_TSA_POLICY
    assert env.tsa.requests == before + 1


def test_tsa_serial_numbers_increase(env: TestServices) -> None:
    client = TimeStampClient(env.tsa.url)
    first, second = client.stamp(b"a"), client.stamp(b"b")
    assert second.serial_number > first.serial_number


def test_revoke_updates_ocsp_and_crl_together() -> None:
    with TestServices.start() as services:
        pki = services.pki
        assert fetch_ocsp(pki.signer_ec.cert, pki.intermediate.cert).status is CertStatus.GOOD
        when = pki.now - dt.timedelta(minutes=10)
        services.revoke(pki.signer_ec.cert, when)
        ocsp = fetch_ocsp(pki.signer_ec.cert, pki.intermediate.cert)
        crl = check_crl(fetch_crl(pki.signer_ec.cert), pki.signer_ec.cert, pki.intermediate.cert)
    assert ocsp.status is CertStatus.REVOKED and ocsp.revocation_time == when
    assert crl.status is CertStatus.REVOKED and crl.revocation_time == when


def test_ocsp_get_requests_are_answered(env: TestServices) -> None:
    import base64

    from edocstd.ltv import build_ocsp_request, check_ocsp_response

    body, _ = build_ocsp_request(env.pki.signer.cert, env.pki.intermediate.cert, nonce=False)
    url = env.ocsp.url + urllib.parse.quote(base64.b64encode(body).decode(), safe="")
    der = exchange(UrllibClient(), HttpRequest(url=url))
    status = check_ocsp_response(der, env.pki.signer.cert, env.pki.intermediate.cert)
    assert status.status is CertStatus.GOOD


def test_crl_server_serves_published_crls_and_404s_others() -> None:
    with CrlServer({"a": b"first"}) as server:
        assert exchange(UrllibClient(), HttpRequest(url=server.url_for("a"))) == b"first"
        server.publish("a", b"second")
        assert exchange(UrllibClient(), HttpRequest(url=server.url_for("a"))) == b"second"
        with pytest.raises(ServiceError):
            exchange(UrllibClient(), HttpRequest(url=server.url_for("b")))
        assert server.requests == 3


def test_stopped_services_refuse_connections() -> None:
    services = TestServices.start()
    services.stop()
    assert not services.tsa.running
    with pytest.raises(NetworkError):
        TimeStampClient(services.tsa.url, timeout=5).stamp(b"x")
    with pytest.raises(NetworkError):
        fetch_ocsp(services.pki.signer.cert, services.pki.intermediate.cert, timeout=5)
    with pytest.raises(NetworkError):
        fetch_crl(services.pki.signer.cert, timeout=5)
    services.stop()  # idempotent
