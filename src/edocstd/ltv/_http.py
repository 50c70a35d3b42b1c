"""A tiny, injectable HTTP transport for time-stamping, OCSP and CRL services.

Everything in :mod:`edocstd.ltv` that talks to a service does so through an
:data:`HttpClient`: any callable that takes an :class:`HttpRequest` and returns an
:class:`HttpResponse`. An integrator who needs authentication, a proxy, retries or a
connection pool passes their own callable; nothing else in the library changes.

The default, :class:`UrllibClient`, uses only the standard library and is deliberately
narrow:

* only ``http`` and ``https`` URLs, never ``file:``, ``ftp:`` or ``data:``; redirects are
  followed only to ``http``/``https`` and only a few times;
* no proxy settings are read from the environment (an explicit empty ``ProxyHandler``), so
  the process environment cannot silently reroute revocation traffic;
* a bounded response size and an overall deadline, so a hostile or broken server cannot
  exhaust memory or hang the caller.

Any failure to obtain a response raises :class:`edocstd.errors.NetworkError`.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPMessage
from typing import IO, Any

from edocstd.errors import NetworkError, ServiceError

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "HttpClient",
    "HttpRequest",
    "HttpResponse",
    "UrllibClient",
    "check_url",
    "exchange",
]

DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""Large enough for the CRL of a big national CA; small enough to keep memory bounded."""

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request. ``body`` ``None`` means GET, bytes mean POST."""

    url: str
    body: bytes | None = None
    content_type: str | None = None
    accept: str | None = None
    timeout: float = 20.0

    @property
    def method(self) -> str:
        """``GET`` without a body, ``POST`` with one."""
        return "GET" if self.body is None else "POST"


@dataclass(frozen=True)
class HttpResponse:
    """One HTTP response, already read in full."""

    status: int
    body: bytes
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())


HttpClient = Callable[[HttpRequest], HttpResponse]
"""The transport protocol: any callable from :class:`HttpRequest` to :class:`HttpResponse`.

It raises :class:`~edocstd.errors.NetworkError` when no response could be obtained. Non-2xx
statuses are returned, not raised; :func:`exchange` decides what they mean.
"""


def check_url(url: str) -> str:
    """Return ``url`` if it is an absolute ``http``/``https`` URL with a host, else raise.

    Raises :class:`~edocstd.errors.NetworkError`: a URL we refuse to fetch is, for the
    caller, a service that cannot be reached.
    """
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        raise NetworkError(f"invalid service URL {url!r}") from exc
    if parts.scheme.lower() not in _ALLOWED_SCHEMES or not parts.hostname:
        raise NetworkError(f"refusing service URL {url!r}: only http and https URLs are fetched")
    return url


class _RestrictedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = _MAX_REDIRECTS

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class UrllibClient:
    """The default :data:`HttpClient`, built on :mod:`urllib.request` (see module docs)."""

    def __init__(
        self,
        *,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        user_agent: str = "edocstd",
    ) -> None:
        self._max = max_response_bytes
        self._user_agent = user_agent
        # Built by hand rather than with build_opener(): build_opener() adds file:, ftp: and
        # data: handlers and an environment-reading ProxyHandler, none of which we want.
        opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(),
            _RestrictedRedirects(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            opener.add_handler(handler)
        self._opener = opener

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Perform ``request``; raise :class:`~edocstd.errors.NetworkError` on any failure."""
        check_url(request.url)
        headers = {"User-Agent": self._user_agent}
        if request.content_type:
            headers["Content-Type"] = request.content_type
        if request.accept:
            headers["Accept"] = request.accept
        req = urllib.request.Request(  # noqa: S310 - the scheme was checked above
            request.url, data=request.body, headers=headers, method=request.method
        )
        deadline = time.monotonic() + request.timeout
        try:
            try:
                resp: Any = self._opener.open(req, timeout=request.timeout)
            except urllib.error.HTTPError as err:
                resp = err
            with resp:
                status = int(resp.status if resp.status is not None else resp.code)
                content_type = resp.headers.get("Content-Type")
                body = self._read(resp, deadline, request.url)
                pairs = tuple((k, v) for k, v in resp.headers.items())
        except NetworkError:
            raise
        except (OSError, ValueError, urllib.error.URLError) as exc:
            raise NetworkError(f"could not reach {request.url}: {exc}") from exc
        except Exception as exc:  # http.client raises a zoo of exceptions on broken servers
            raise NetworkError(f"could not talk to {request.url}: {exc!r}") from exc
        return HttpResponse(status=status, body=body, content_type=content_type, headers=pairs)

    def _read(self, resp: Any, deadline: float, url: str) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            if time.monotonic() > deadline:
                raise NetworkError(f"{url} did not finish its answer in time")
            chunk = resp.read(_CHUNK)
            if not chunk:
                return b"".join(parts)
            total += len(chunk)
            if total > self._max:
                raise NetworkError(f"{url} sent more than {self._max} bytes")
            parts.append(chunk)


def exchange(
    http: HttpClient,
    request: HttpRequest,
    *,
    expect_types: frozenset[str] = frozenset(),
) -> bytes:
    """Send ``request`` through ``http`` and return the body of a successful answer.

    A server error (5xx), 408 or 429 means "try later" and raises
    :class:`~edocstd.errors.NetworkError`; any other non-200 status, an empty body or (when
    ``expect_types`` is given) a content type outside it raises
    :class:`~edocstd.errors.ServiceError`.
    """
    try:
        response = http(request)
    except NetworkError:
        raise
    except Exception as exc:
        # A caller-supplied transport may raise anything; normalise it so the verifier can
        # map it to TRY_LATER instead of crashing.
        raise NetworkError(f"HTTP client failed for {request.url}: {exc!r}") from exc
    if not isinstance(response, HttpResponse):
        raise ServiceError(f"HTTP client returned {type(response).__name__}, not HttpResponse")
    if response.status >= 500 or response.status in (408, 429):
        raise NetworkError(f"{request.url} answered HTTP {response.status}")
    if response.status != 200:
        raise ServiceError(f"{request.url} answered HTTP {response.status}")
    if expect_types and response.content_type is not None:
        base = response.content_type.split(";", 1)[0].strip().lower()
        if base not in expect_types:
            raise ServiceError(f"{request.url} answered with content type {base!r}")
    if not response.body:
        raise ServiceError(f"{request.url} answered with an empty body")
    return response.body
