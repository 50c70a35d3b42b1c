"""Real time-stamping, OCSP and CRL services on 127.0.0.1, for tests.

These are not mocks: the TSA answers with tokens made by ``openssl ts -reply`` and the OCSP
responder with responses made by ``openssl ocsp``, so a test exercises the same bytes a
production service would send. Each service is a small HTTP server bound to ``127.0.0.1`` on a
free port, usable as a context manager, with ``.url``, ``.requests`` (a counter) and
``.stop()`` (after which the port refuses connections: a service that is "down").

:class:`TestServices` starts all three together with a :class:`~edocstd.testing.pki.TestPKI`
whose certificates point at them, which is what most test suites want::

    import datetime as dt

    from edocstd.testing.services import TestServices

    with TestServices.start() as env:
        env.revoke(env.pki.revoked_signer.cert, dt.datetime.now(dt.UTC))
        print(env.tsa.url, env.ocsp.url, env.crl.url_for("intermediate"))

The OCSP responder runs one ``openssl ocsp -reqin … -respout …`` per request behind the
loopback handler, because OpenSSL 3.0's own ``-port`` server cannot be restricted to the
loopback interface. Needs the ``openssl`` command on ``PATH``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import http.server
import shutil
import subprocess
import tempfile
import threading
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from edocstd.testing.pki import Issued, TestPKI

__all__ = [
    "TEST_TSA_POLICY",
    "CrlServer",
    "LoopbackService",
    "OcspResponder",
    "TestServices",
    "TimeStampAuthority",
]

TEST_TSA_POLICY = "2.999.3161.1"
"""The policy OID the test TSA stamps with (under the ``2.999`` arc reserved for examples)."""

_MAX_REQUEST = 1 << 20
_OPENSSL_TIMEOUT = 60
_UTC = dt.UTC

# OpenSSL index.txt revocation reasons (apps/ca.c spelling) by cryptography's enum.
_REASONS = {
    x509.ReasonFlags.unspecified: "unspecified",
    x509.ReasonFlags.key_compromise: "keyCompromise",
    x509.ReasonFlags.ca_compromise: "CACompromise",
    x509.ReasonFlags.affiliation_changed: "affiliationChanged",
    x509.ReasonFlags.superseded: "superseded",
    x509.ReasonFlags.cessation_of_operation: "cessationOfOperation",
    x509.ReasonFlags.certificate_hold: "certificateHold",
}


def _openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        raise RuntimeError("the openssl command is needed for the test services")
    return path


class LoopbackService:
    """Base class: an HTTP server on 127.0.0.1 that hands each request to :meth:`answer`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._running = False
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if not 0 < length <= _MAX_REQUEST:
                    self._reply(400, "text/plain", b"bad request length")
                    return
                body = self.rfile.read(length)
                self._dispatch("POST", body)

            def do_GET(self) -> None:
                self._dispatch("GET", b"")

            def _dispatch(self, method: str, body: bytes) -> None:
                service._bump()
                try:
                    status, ctype, payload = service.answer(method, self.path, body)
                except Exception as exc:  # a test service reports, it does not die
                    status, ctype, payload = 500, "text/plain", repr(exc).encode()
                self._reply(status, ctype, payload)

            def _reply(self, status: int, ctype: str, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: stop() waits for the serving loop to notice, and suites stop
        # many services (the default half second per service adds up).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._running = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """The URL clients should use."""
        return self.base_url + "/"

    @property
    def requests(self) -> int:
        """How many requests this service has received."""
        with self._lock:
            return self._count

    @property
    def running(self) -> bool:
        """False once :meth:`stop` has been called."""
        return self._running

    def _bump(self) -> None:
        with self._lock:
            self._count += 1

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """Produce ``(status, content type, body)`` for one request. Override this."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving and close the port; later connections are refused."""
        if self._running:
            self._running = False
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()

    def __enter__(self) -> LoopbackService:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _write_pem(path: Path, *items: Issued | x509.Certificate) -> None:
    blobs = [
        i.cert_pem if isinstance(i, Issued) else i.public_bytes(serialization.Encoding.PEM)
        for i in items
    ]
    path.write_bytes(b"".join(blobs))


class TimeStampAuthority(LoopbackService):
    """An RFC 3161 TSA on 127.0.0.1 backed by ``openssl ts -reply``.

    ``tsa`` signs the tokens; ``chain`` certificates are written to the config's ``certs``
    (carried in tokens). Tokens use ``policy`` (default :data:`TEST_TSA_POLICY`), accept
    SHA-256/384/512 imprints and name the TSA certificate with an ESSCertIDv2 (SHA-256).
    """

    def __init__(
        self,
        tsa: Issued,
        chain: tuple[Issued | x509.Certificate, ...] = (),
        *,
        policy: str = TEST_TSA_POLICY,
        signer_digest: str = "sha256",
    ) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="edocstd-tsa-")
        root = Path(self._dir.name)
        self.policy = policy
        (root / "tsa.key").write_bytes(tsa.key_pem)
        _write_pem(root / "tsa.pem", tsa)
        _write_pem(root / "chain.pem", *(chain or (tsa,)))
        (root / "serial").write_text("01\n")
        (root / "openssl.cnf").write_text(
            "\n".join(
                [
                    "[ tsa ]",
                    "default_tsa = edocstd_tsa",
                    "[ edocstd_tsa ]",
                    f"serial = {root / 'serial'}",
                    "crypto_device = builtin",
                    f"signer_cert = {root / 'tsa.pem'}",
                    f"certs = {root / 'chain.pem'}",
                    f"signer_key = {root / 'tsa.key'}",
                    f"signer_digest = {signer_digest}",
                    f"default_policy = {policy}",
                    "digests = sha256, sha384, sha512",
                    "accuracy = secs:1",
                    "clock_precision_digits = 0",
                    "ordering = no",
                    "tsa_name = no",
                    "ess_cert_id_chain = no",
                    "ess_cert_id_alg = sha256",
                    "",
                ]
            )
        )
        self._work = root
        self._run_lock = threading.Lock()
        super().__init__()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """Stamp a ``application/timestamp-query`` with ``openssl ts -reply``."""
        if method != "POST":
            return 405, "text/plain", b"POST a timestamp-query"
        with self._run_lock:  # one openssl at a time: they share the serial file
            query = self._work / "query.tsq"
            reply = self._work / "reply.tsr"
            query.write_bytes(body)
            reply.unlink(missing_ok=True)
            done = subprocess.run(
                [
                    _openssl(),
                    "ts",
                    "-reply",
                    "-config",
                    str(self._work / "openssl.cnf"),
                    "-queryfile",
                    str(query),
                    "-out",
                    str(reply),
                ],
                capture_output=True,
                timeout=_OPENSSL_TIMEOUT,
                check=False,
            )
            if done.returncode != 0 or not reply.exists():
                return 500, "text/plain", done.stderr[-2000:]
            return 200, "application/timestamp-reply", reply.read_bytes()

    def stop(self) -> None:
        """Stop serving and remove the working directory."""
        super().stop()
        self._dir.cleanup()


def _asn1_time(moment: dt.datetime) -> str:
    moment = moment.astimezone(_UTC)
    if 1950 <= moment.year < 2050:
        return moment.strftime("%y%m%d%H%M%SZ")
    return moment.strftime("%Y%m%d%H%M%SZ")


class OcspResponder(LoopbackService):
    """An RFC 6960 responder on 127.0.0.1 backed by ``openssl ocsp`` (one run per request).

    ``ca`` is the CA whose certificates are answered for; ``responder`` signs the responses
    (default: ``ca`` itself; pass a delegated responder with the ``OCSPSigning`` EKU, or any
    other key to test refusal). Certificates are answered ``good`` once :meth:`add`-ed,
    ``revoked`` after :meth:`revoke`, and ``unknown`` otherwise. ``next_update`` sets
    ``nextUpdate`` relative to the response time; ``None`` leaves it out.
    """

    def __init__(
        self,
        ca: Issued | None = None,
        responder: Issued | None = None,
        *,
        next_update: dt.timedelta | None = dt.timedelta(days=1),
    ) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="edocstd-ocsp-")
        self._work = Path(self._dir.name)
        self._entries: dict[int, tuple[x509.Certificate, dt.datetime | None, str | None]] = {}
        self._run_lock = threading.Lock()
        self.next_update = next_update
        self._ca: Issued | None = None
        if ca is not None:
            self.set_authority(ca, responder)
        super().__init__()

    def set_authority(self, ca: Issued, responder: Issued | None = None) -> None:
        """Answer for ``ca``'s certificates, signing with ``responder`` (default: ``ca``)."""
        signer = responder or ca
        with self._run_lock:
            self._ca = ca
            _write_pem(self._work / "ca.pem", ca)
            _write_pem(self._work / "responder.pem", signer)
            (self._work / "responder.key").write_bytes(signer.key_pem)

    def add(self, *certs: x509.Certificate) -> None:
        """Make ``certs`` known to the responder (status ``good`` unless revoked)."""
        with self._run_lock:
            for cert in certs:
                self._entries.setdefault(cert.serial_number, (cert, None, None))

    def revoke(
        self,
        cert: x509.Certificate,
        when: dt.datetime,
        reason: x509.ReasonFlags | None = None,
    ) -> None:
        """Answer ``revoked`` for ``cert`` from now on, revoked at ``when``."""
        with self._run_lock:
            self._entries[cert.serial_number] = (
                cert,
                when,
                _REASONS.get(reason) if reason is not None else None,
            )

    def _index(self) -> str:
        lines = []
        for serial, (cert, when, reason) in sorted(self._entries.items()):
            hexserial = f"{serial:X}"
            hexserial = "0" * (len(hexserial) % 2) + hexserial
            expiry = _asn1_time(cert.not_valid_after_utc)
            if when is None:
                revoked, flag = "", "V"
            else:
                revoked = _asn1_time(when) + (f",{reason}" if reason else "")
                flag = "R"
            subject = "/" + "/".join(
                f"{a.rfc4514_attribute_name}={a.value!s}" for a in cert.subject
            )
            lines.append("\t".join([flag, expiry, revoked, hexserial, "unknown", subject]))
        return "".join(line + "\n" for line in lines)

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """Answer one OCSP request (POST body, or RFC 6960 GET with base64 in the path)."""
        if method == "GET":
            try:
                body = base64.b64decode(urllib.parse.unquote(path.rsplit("/", 1)[-1]))
            except (binascii.Error, ValueError):
                return 400, "text/plain", b"bad GET request"
        with self._run_lock:
            if self._ca is None:
                return 503, "text/plain", b"responder not configured"
            (self._work / "index.txt").write_text(self._index())
            req = self._work / "req.der"
            resp = self._work / "resp.der"
            req.write_bytes(body)
            resp.unlink(missing_ok=True)
            args = [
                _openssl(),
                "ocsp",
                "-index",
                str(self._work / "index.txt"),
                "-CA",
                str(self._work / "ca.pem"),
                "-rsigner",
                str(self._work / "responder.pem"),
                "-rkey",
                str(self._work / "responder.key"),
                "-reqin",
                str(req),
                "-respout",
                str(resp),
            ]
            if self.next_update is not None:
                minutes = max(1, int(self.next_update.total_seconds() // 60))
                args += ["-nmin", str(minutes)]
            done = subprocess.run(args, capture_output=True, timeout=_OPENSSL_TIMEOUT, check=False)
            if not resp.exists():
                return 500, "text/plain", done.stderr[-2000:]
            return 200, "application/ocsp-response", resp.read_bytes()

    def stop(self) -> None:
        """Stop serving and remove the working directory."""
        super().stop()
        self._dir.cleanup()


class CrlServer(LoopbackService):
    """Serves DER CRLs over HTTP on 127.0.0.1, one per name (``/<name>.crl``)."""

    def __init__(self, crls: Mapping[str, bytes] | None = None) -> None:
        self._crls: dict[str, bytes] = dict(crls or {})
        super().__init__()

    def url_for(self, name: str) -> str:
        """The URL at which the CRL called ``name`` is (or will be) served."""
        return f"{self.base_url}/{urllib.parse.quote(name)}.crl"

    def publish(self, name: str, crl_der: bytes) -> None:
        """Serve ``crl_der`` as ``name`` from now on."""
        with self._lock:
            self._crls[name] = crl_der

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """Serve a published CRL, or 404."""
        name = urllib.parse.unquote(path.split("?", 1)[0].lstrip("/"))
        name = name.removesuffix(".crl")
        with self._lock:
            der = self._crls.get(name)
        if method != "GET" or der is None:
            return 404, "text/plain", b"no such CRL"
        return 200, "application/pkix-crl", der


class TestServices:
    """A :class:`TestPKI` with a running TSA, OCSP responder and CRL server pointing at it.

    The PKI's end-entity certificates carry the responder's URL (AIA) and the intermediate's
    CRL URL; the intermediate carries the root's CRL URL. The OCSP responder answers for the
    intermediate through the PKI's delegated responder and knows every certificate the PKI
    issued at start. :meth:`revoke` updates OCSP and the CRL together.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, pki: TestPKI, tsa: TimeStampAuthority, ocsp: OcspResponder, crl: CrlServer):
        self.pki = pki
        self.tsa = tsa
        self.ocsp = ocsp
        self.crl = crl
        self._revoked: list[tuple[x509.Certificate, dt.datetime]] = []

    @classmethod
    def start(cls, *, now: dt.datetime | None = None, signer_years: int = 2) -> TestServices:
        """Generate a PKI and start the three services for it."""
        crl = CrlServer()
        ocsp = OcspResponder()
        try:
            pki = TestPKI.generate(
                now=now,
                ocsp_url=ocsp.url,
                crl_url=crl.url_for("intermediate"),
                root_crl_url=crl.url_for("root"),
                signer_years=signer_years,
            )
            ocsp.set_authority(pki.intermediate, pki.ocsp_responder)
            ocsp.add(
                pki.signer.cert,
                pki.signer_ec.cert,
                pki.signer_ed25519.cert,
                pki.revoked_signer.cert,
                pki.tsa.cert,
                pki.ocsp_responder.cert,
            )
            crl.publish("intermediate", pki.crl())
            crl.publish("root", pki.crl(issuer=pki.root))
            tsa = TimeStampAuthority(pki.tsa, (pki.intermediate,))
        except BaseException:
            ocsp.stop()
            crl.stop()
            raise
        return cls(pki, tsa, ocsp, crl)

    def revoke(
        self,
        cert: x509.Certificate,
        when: dt.datetime,
        reason: x509.ReasonFlags | None = None,
    ) -> None:
        """Revoke ``cert`` (issued by the intermediate) at ``when`` in OCSP and the CRL."""
        self.ocsp.revoke(cert, when, reason)
        self._revoked.append((cert, when))
        self.crl.publish("intermediate", self.pki.crl(list(self._revoked)))

    def crls(self) -> tuple[bytes, bytes]:
        """The CRLs being served now, DER: the intermediate's (listing every certificate
        :meth:`revoke`-d so far) and the root's. Hand them to a verifier's ``crls`` to judge
        revocation offline, with no network."""
        return self.pki.crl(list(self._revoked)), self.pki.crl(issuer=self.pki.root)

    @property
    def trust_pem(self) -> bytes:
        """The root certificate, PEM: the trust anchor for everything here."""
        return self.pki.trust_pem()

    def stop(self) -> None:
        """Stop all three services."""
        for service in (self.tsa, self.ocsp, self.crl):
            service.stop()

    def __enter__(self) -> TestServices:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
