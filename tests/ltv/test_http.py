"""The injectable HTTP transport and its default, standard-library implementation."""

from __future__ import annotations

import pytest

from edocstd.errors import NetworkError, ServiceError
from edocstd.ltv import HttpRequest, HttpResponse, UrllibClient
from edocstd.ltv._http import exchange
from edocstd.testing.services import CrlServer


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x.crl",
        "data:application/octet-stream;base64,AAAA",
        "gopher://127.0.0.1/",
        "http:///no-host",
        "127.0.0.1/relative",
    ],
)
def test_default_client_refuses_non_http_urls(url: str) -> None:
    with pytest.raises(NetworkError):
        UrllibClient()(HttpRequest(url=url))


def test_default_client_fetches_from_loopback_server() -> None:
    with CrlServer({"x": b"0\x00payload"}) as server:
        response = UrllibClient()(HttpRequest(url=server.url_for("x")))
    assert response.status == 200
    assert response.body == b"0\x00payload"
    assert response.content_type == "application/pkix-crl"


def test_default_client_bounds_the_response_size() -> None:
    with CrlServer({"big": b"x" * 100_000}) as server, pytest.raises(NetworkError, match="more"):
        UrllibClient(max_response_bytes=10_000)(HttpRequest(url=server.url_for("big")))


def test_default_client_ignores_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy that does not exist: if it were used, the request would fail.
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with CrlServer({"x": b"ok"}) as server:
        assert UrllibClient()(HttpRequest(url=server.url_for("x"))).body == b"ok"


def test_stopped_server_raises_network_error() -> None:
    server = CrlServer({"x": b"ok"})
    url = server.url_for("x")
    server.stop()
    with pytest.raises(NetworkError):
        UrllibClient()(HttpRequest(url=url, timeout=5))


def test_not_found_is_a_service_error_not_a_network_error() -> None:
    with CrlServer() as server, pytest.raises(ServiceError) as caught:
        exchange(UrllibClient(), HttpRequest(url=server.url_for("missing")))
    assert not isinstance(caught.value, NetworkError)


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_server_errors_mean_try_later(status: int) -> None:
    def client(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=status, body=b"busy")

    with pytest.raises(NetworkError):
        exchange(client, HttpRequest(url="http://127.0.0.1/"))


def test_exceptions_from_an_injected_client_become_network_errors() -> None:
    def client(request: HttpRequest) -> HttpResponse:
        raise ConnectionResetError("proxy hung up")

    with pytest.raises(NetworkError, match="proxy hung up"):
        exchange(client, HttpRequest(url="http://127.0.0.1/"))


def test_injected_client_receives_the_request_and_its_answer_is_used() -> None:
    seen: list[HttpRequest] = []

    def client(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return HttpResponse(status=200, body=b"answer", content_type="application/x-test")

    request = HttpRequest(url="https://tsa.example/", body=b"q", content_type="application/x-q")
    body = exchange(client, request, expect_types=frozenset({"application/x-test"}))
    assert body == b"answer"
    assert seen == [request]
    assert seen[0].method == "POST"


def test_unexpected_content_type_or_empty_body_is_refused() -> None:
    def wrong_type(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=200, body=b"<html>", content_type="text/html")

    def empty(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=200, body=b"")

    request = HttpRequest(url="http://127.0.0.1/")
    with pytest.raises(ServiceError):
        exchange(wrong_type, request, expect_types=frozenset({"application/ocsp-response"}))
    with pytest.raises(ServiceError):
        exchange(empty, request)
