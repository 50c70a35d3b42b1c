"""The verifier's ``online`` revocation mode: fetch OCSP responses and CRLs, then let the
path validator judge them.

:class:`OnlineRevocation` implements the verifier's ``RevocationSource`` protocol
(``gather(signer, others, at, embedded)``). It adds to what the document carries and what
the caller supplied: for the signer and each CA below the trust anchor, an OCSP response
(when the certificate names a responder and its issuer is known) or else the CRLs of its
distribution points. Fetched bytes are only transported here — the nonce is checked, but
judging them (signature, responder authority, freshness at the validation time) is the path
validator's job, so online and offline data are judged by exactly the same code.

A service that cannot be reached simply contributes nothing: validation then lacks data and
ends INDETERMINATE/TRY_LATER, never in a pass. Failures are kept in
:attr:`OnlineRevocation.failures` for the report.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

from asn1crypto import core, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from edocstd.errors import EdocError
from edocstd.ltv._common import (
    CertLike,
    as_asn1_certs,
    ocsp_nocheck,
    same_name,
    verify_signature,
)
from edocstd.ltv._crl import crl_urls, fetch_crl
from edocstd.ltv._errors import Failure, RevocationError
from edocstd.ltv._http import HttpClient, HttpRequest, UrllibClient, exchange
from edocstd.ltv._ocsp import check_nonce, ocsp_urls, request_for
from edocstd.verify._chain import RevocationData

__all__ = ["OnlineRevocation"]

_MAX_CHAIN = 8


class OnlineRevocation:
    """A revocation source that fetches, for ``Verifier(revocation_source=...)``.

    ``issuers`` are certificates that may issue certificates of the path but are not in the
    document — typically the trust anchors (needed to ask OCSP about an intermediate).
    ``supplied`` is caller-supplied data, used as in offline mode.
    """

    def __init__(
        self,
        http: HttpClient | None = None,
        *,
        issuers: Sequence[CertLike] = (),
        supplied: RevocationData | None = None,
        timeout: float = 20.0,
    ) -> None:
        self._http: HttpClient = http or UrllibClient()
        self._issuers = as_asn1_certs(issuers)
        self._supplied = supplied or RevocationData()
        self._timeout = timeout
        self._lock = threading.Lock()
        self._failures: list[EdocError] = []

    @property
    def failures(self) -> list[EdocError]:
        """Network and service errors met so far."""
        with self._lock:
            return list(self._failures)

    def gather(
        self,
        signer: x509.Certificate,
        others: Sequence[x509.Certificate],
        at: dt.datetime,
        embedded: RevocationData,
    ) -> RevocationData:
        """Supplied and embedded data, plus what could be fetched for the signer's path."""
        pool = as_asn1_certs([c.public_bytes(serialization.Encoding.DER) for c in others]) + list(
            self._issuers
        )
        crls: list[bytes] = []
        ocsps: list[bytes] = []
        current = as_asn1_certs([signer.public_bytes(serialization.Encoding.DER)])[0]
        for _ in range(_MAX_CHAIN):
            if same_name(current.subject, current.issuer):
                break
            issuer = _issuer(current, pool)
            if not ocsp_nocheck(current.dump()):
                self._fetch_for(current, issuer, crls, ocsps)
            if issuer is None:
                break
            current = issuer
        return RevocationData(
            crls=self._supplied.crls + embedded.crls + tuple(crls),
            ocsps=self._supplied.ocsps + embedded.ocsps + tuple(ocsps),
        )

    def _fetch_for(
        self,
        cert: asn1_x509.Certificate,
        issuer: asn1_x509.Certificate | None,
        crls: list[bytes],
        ocsps: list[bytes],
    ) -> None:
        if issuer is not None:
            for url in ocsp_urls(cert)[:2]:
                try:
                    body, nonce = request_for(cert, issuer.subject, issuer.public_key)
                    der = exchange(
                        self._http,
                        HttpRequest(
                            url=url,
                            body=body,
                            content_type="application/ocsp-request",
                            accept="application/ocsp-response",
                            timeout=self._timeout,
                        ),
                        expect_types=frozenset({"application/ocsp-response"}),
                    )
                    _check_transport(der, nonce)
                except EdocError as exc:
                    self._record(exc)
                    continue
                ocsps.append(der)
                self._fetch_responder_status(der, issuer, crls)
                return
        self._fetch_crl(cert, crls)

    def _fetch_responder_status(
        self, der: bytes, issuer: asn1_x509.Certificate, crls: list[bytes]
    ) -> None:
        """Fetch the CRL of a delegated responder without ``id-pkix-ocsp-nocheck``: its own
        status must be shown before its answer counts (RFC 6960 §4.2.2.2.1)."""
        try:
            certs = ocsp.OCSPResponse.load(der).basic_ocsp_response["certs"]
            responders = [] if isinstance(certs, core.Void) else list(certs)[:2]
        except Exception:
            return  # an unreadable answer is refused when it is judged
        for cert in responders:
            if cert.dump() == issuer.dump() or ocsp_nocheck(cert.dump()):
                continue
            self._fetch_crl(cert, crls)

    def _fetch_crl(self, cert: asn1_x509.Certificate, crls: list[bytes]) -> None:
        """Add the CRL from the first of ``cert``'s first two distribution points to answer."""
        for url in crl_urls(cert)[:2]:
            try:
                crls.append(fetch_crl(cert, http=self._http, url=url, timeout=self._timeout))
                return
            except EdocError as exc:
                self._record(exc)

    def _record(self, exc: EdocError) -> None:
        with self._lock:
            self._failures.append(exc)


def _check_transport(der: bytes, nonce: bytes | None) -> None:
    """Refuse a replayed answer (nonce) before handing it on; the rest is judged later."""
    try:
        response = ocsp.OCSPResponse.load(der, strict=True)
        successful = response["response_status"].native == "successful"
        tbs = response.basic_ocsp_response["tbs_response_data"] if successful else None
    except Exception as exc:
        raise RevocationError(Failure.MALFORMED, "undecodable OCSP response") from exc
    if tbs is None:
        raise RevocationError(Failure.STATUS, "the OCSP responder answered with an error status")
    if nonce is not None:
        check_nonce(tbs, nonce)


def _issuer(
    cert: asn1_x509.Certificate, pool: Sequence[asn1_x509.Certificate]
) -> asn1_x509.Certificate | None:
    for cand in pool:
        if same_name(cand.subject, cert.issuer) and verify_signature(
            bytes(cert["signature_value"].native),
            cert["tbs_certificate"].dump(),
            cand,
            cert["signature_algorithm"],
        ):
            return cand
    return None
