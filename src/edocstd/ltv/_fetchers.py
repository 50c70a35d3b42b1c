"""pyhanko-certvalidator fetchers that use edocstd's injectable HTTP transport.

Decision: the verifier validates certificate paths, with revocation, through
pyhanko-certvalidator. "Offline" mode hands it the CRLs and OCSP responses carried in the
document or supplied by the caller; "online" mode additionally gives its
``ValidationContext`` the :class:`HttpFetcherBackend` below, so every network access goes
through the same :data:`~edocstd.ltv.HttpClient` an integrator configured (authentication,
proxies, retries), with the same URL and size restrictions, instead of certvalidator's own
``aiohttp``/``requests`` backends (which read proxy settings from the environment).

Network failures are recorded in :attr:`HttpFetcherBackend.network_failures`: certvalidator
turns them into "insufficient revocation information", and the verifier needs to know the
reason was the network to report INDETERMINATE/TRY_LATER.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Iterable

from asn1crypto import cms, crl, ocsp, pem
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.fetchers.api import (
    CertificateFetcher,
    CRLFetcher,
    FetcherBackend,
    Fetchers,
    OCSPFetcher,
)

from edocstd.errors import EdocError, NetworkError, ServiceError
from edocstd.ltv._http import HttpClient, HttpRequest, UrllibClient, exchange
from edocstd.ltv._ocsp import check_nonce, request_for

__all__ = ["HttpFetcherBackend"]

_MAX_URLS_PER_OBJECT = 3


def _http_urls(urls: Iterable[str | None]) -> list[str]:
    out = [u for u in urls if u and u.lower().startswith(("http://", "https://"))]
    return out[:_MAX_URLS_PER_OBJECT]


def _key(cert: asn1_x509.Certificate | cms.AttributeCertificateV2) -> bytes:
    return bytes(cert.dump())


class _Shared:
    """State shared by the three fetchers of one backend: transport, budget, failure log."""

    def __init__(self, http: HttpClient, timeout: float, max_requests: int) -> None:
        self.http = http
        self.timeout = timeout
        self.remaining = max_requests
        self.failures: list[EdocError] = []
        self.lock = threading.Lock()

    async def get(self, request: HttpRequest, types: frozenset[str] = frozenset()) -> bytes:
        with self.lock:
            if self.remaining <= 0:
                exhausted = NetworkError("fetch budget exhausted; request not made")
                self.failures.append(exhausted)
                raise exhausted
            self.remaining -= 1
        try:
            body: bytes = await asyncio.to_thread(exchange, self.http, request, expect_types=types)
            return body
        except ServiceError as exc:
            with self.lock:
                self.failures.append(exc)
            raise


class _OcspFetcher(OCSPFetcher):
    def __init__(self, shared: _Shared) -> None:
        self._shared = shared
        self._results: dict[tuple[bytes, object], ocsp.OCSPResponse] = {}

    async def fetch(
        self,
        cert: asn1_x509.Certificate | cms.AttributeCertificateV2,
        authority: Authority,
    ) -> ocsp.OCSPResponse:
        tag = (_key(cert), authority.hashable)
        if tag in self._results:
            return self._results[tag]
        if not isinstance(cert, asn1_x509.Certificate):
            raise cv_errors.OCSPFetchError("OCSP for attribute certificates is not supported")
        urls = _http_urls(cert.ocsp_urls)
        if not urls:
            raise cv_errors.OCSPFetchError("no http(s) OCSP URL in the certificate")
        body, nonce = request_for(cert, authority.name, authority.public_key)
        last: Exception | None = None
        for url in urls:
            try:
                der = await self._shared.get(
                    HttpRequest(
                        url=url,
                        body=body,
                        content_type="application/ocsp-request",
                        accept="application/ocsp-response",
                        timeout=self._shared.timeout,
                    ),
                    frozenset({"application/ocsp-response"}),
                )
                response = ocsp.OCSPResponse.load(der, strict=True)
                if response["response_status"].native == "successful" and nonce is not None:
                    check_nonce(response.basic_ocsp_response["tbs_response_data"], nonce)
            except EdocError as exc:
                last = exc
                continue
            except Exception as exc:  # undecodable: treat like any unusable answer
                last = exc
                continue
            self._results[tag] = response
            return response
        raise cv_errors.OCSPFetchError(f"no OCSP response obtained: {last}")

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return list(self._results.values())

    def fetched_responses_for_cert(
        self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2
    ) -> Iterable[ocsp.OCSPResponse]:
        key = _key(cert)
        return [resp for (k, _), resp in self._results.items() if k == key]


class _CrlFetcher(CRLFetcher):
    def __init__(self, shared: _Shared) -> None:
        self._shared = shared
        self._by_cert: dict[bytes, list[crl.CertificateList]] = {}

    async def fetch(
        self,
        cert: asn1_x509.Certificate | cms.AttributeCertificateV2,
        *,
        use_deltas: bool | None = None,
    ) -> Iterable[crl.CertificateList]:
        key = _key(cert)
        if key in self._by_cert:
            return self._by_cert[key]
        if not isinstance(cert, asn1_x509.Certificate):
            raise cv_errors.CRLFetchError("CRLs for attribute certificates are not supported")
        try:
            urls = _http_urls(dp.url for dp in cert.crl_distribution_points)
        except Exception as exc:
            raise cv_errors.CRLFetchError("undecodable CRL distribution points") from exc
        results: list[crl.CertificateList] = []
        last: Exception | None = None
        for url in urls:
            try:
                der = await self._shared.get(HttpRequest(url=url, timeout=self._shared.timeout))
                if pem.detect(der):
                    _, _, der = pem.unarmor(der)
                parsed = crl.CertificateList.load(der, strict=True)
                parsed.native  # noqa: B018 - decode now, fail here
            except Exception as exc:
                last = exc
                continue
            results.append(parsed)
        if not results:
            raise cv_errors.CRLFetchError(f"no CRL obtained: {last}")
        self._by_cert[key] = results
        return results

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        seen: dict[bytes, crl.CertificateList] = {}
        for lst in self._by_cert.values():
            for item in lst:
                seen.setdefault(item.dump(), item)
        return list(seen.values())

    def fetched_crls_for_cert(
        self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2
    ) -> Iterable[crl.CertificateList]:
        return self._by_cert[_key(cert)]


def _certs_from(der: bytes) -> list[asn1_x509.Certificate]:
    if pem.detect(der):
        return [asn1_x509.Certificate.load(b) for _, _, b in pem.unarmor(der, multiple=True)]
    try:
        return [asn1_x509.Certificate.load(der, strict=True)]
    except ValueError:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise
        return [c.chosen for c in info["content"]["certificates"] if c.name == "certificate"]


class _CertFetcher(CertificateFetcher):
    def __init__(self, shared: _Shared) -> None:
        self._shared = shared
        self._certs: dict[bytes, asn1_x509.Certificate] = {}
        self._done: set[str] = set()

    async def _from_urls(self, urls: list[str]) -> AsyncGenerator[asn1_x509.Certificate, None]:
        for url in urls:
            if url in self._done:
                continue
            self._done.add(url)
            try:
                der = await self._shared.get(HttpRequest(url=url, timeout=self._shared.timeout))
                found = _certs_from(der)
                for cert in found:
                    cert.native  # noqa: B018 - decode now, fail here
            except Exception as exc:
                raise cv_errors.CertificateFetchError(f"could not fetch {url}: {exc}") from exc
            for cert in found:
                self._certs.setdefault(cert.dump(), cert)
                yield cert

    def fetch_cert_issuers(
        self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2
    ) -> AsyncGenerator[asn1_x509.Certificate, None]:
        urls: list[str] = []
        if isinstance(cert, asn1_x509.Certificate):
            try:
                aia = cert.authority_information_access_value
                if aia is not None:
                    urls = _http_urls(
                        d["access_location"].native
                        for d in aia
                        if d["access_method"].native == "ca_issuers"
                        and d["access_location"].name == "uniform_resource_identifier"
                    )
            except Exception:
                urls = []
        return self._from_urls(urls)

    def fetch_crl_issuers(
        self, certificate_list: crl.CertificateList
    ) -> AsyncGenerator[asn1_x509.Certificate, None]:
        urls: list[str] = []
        try:
            aia = certificate_list.authority_information_access_value
            if aia is not None:
                urls = _http_urls(
                    d["access_location"].native
                    for d in aia
                    if d["access_method"].native == "ca_issuers"
                    and d["access_location"].name == "uniform_resource_identifier"
                )
        except Exception:
            urls = []
        return self._from_urls(urls)

    def fetched_certs(self) -> Iterable[asn1_x509.Certificate]:
        return list(self._certs.values())


class HttpFetcherBackend(FetcherBackend):
    """A pyhanko-certvalidator fetcher backend over an edocstd :data:`HttpClient`.

    Pass it as ``ValidationContext(allow_fetching=True, fetcher_backend=...)``. At most
    ``max_requests`` requests are made per backend, so hostile certificates cannot cause
    unbounded network activity.
    """

    def __init__(
        self, http: HttpClient | None = None, *, timeout: float = 20.0, max_requests: int = 50
    ) -> None:
        self._shared = _Shared(http or UrllibClient(), timeout, max_requests)
        self._fetchers: Fetchers | None = None

    def get_fetchers(self) -> Fetchers:
        """The fetchers (one set per backend, so caches and the budget are shared)."""
        if self._fetchers is None:
            self._fetchers = Fetchers(
                ocsp_fetcher=_OcspFetcher(self._shared),
                crl_fetcher=_CrlFetcher(self._shared),
                cert_fetcher=_CertFetcher(self._shared),
            )
        return self._fetchers

    @property
    def network_failures(self) -> list[EdocError]:
        """Service and network errors met while fetching (for a TRY_LATER diagnosis)."""
        with self._shared.lock:
            return list(self._shared.failures)

    async def close(self) -> None:
        """Nothing to release: the transport is the caller's."""
