"""A small web service that verifies signed EDOC documents.

``POST /verify`` with the signed document, either as a multipart upload in the field
``document`` or as the raw request body. The answer is JSON:

* ``200`` with the verification report (``edocstd.VerificationReport.to_dict()``) for any
  document that could be read, whatever the outcome: look at ``indication``
  (``TOTAL-PASSED``, ``TOTAL-FAILED`` or ``INDETERMINATE``);
* ``400`` for input that is not a readable XML document (empty, not well-formed, a DTD, past
  the EDOC size and shape limits), or a multipart upload without the ``document`` field;
* ``413`` for a request larger than ``max_bytes``.

Trust anchors come from a PEM file chosen when the app is created, never from the request.

Run it with::

    flask --app "app:create_app('/etc/edoc/trust-anchors.pem')" run
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from edocstd import Policy, TrustStore, Verifier

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
"""Requests above this size are refused with 413. EDOC documents may be up to 64 MiB; most
licences are far smaller, so a service accepts less unless it issues large attachments."""

UPLOAD_FIELD = "document"

_THAI_HTTP_ERRORS = {
    404: "ไม่พบหน้าที่ร้องขอ",
    405: "ไม่รองรับวิธีการร้องขอนี้ (ใช้ POST)",
    413: "ข้อมูลที่ส่งมีขนาดใหญ่เกินกำหนด",
}


def create_app(
    trust_pem: str | os.PathLike[str],
    *,
    policy: Policy | None = None,
    crls: Sequence[str | os.PathLike[str]] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Flask:
    """Build the app.

    ``trust_pem`` is the path of a PEM file with the trust anchors (e.g. the Thai national
    root CA). ``policy`` defaults to ``Policy()``: offline revocation checking with the
    revocation data in the document and the CRL files in ``crls``. Pass
    ``Policy(revocation="online")`` to let the service fetch OCSP and CRLs itself.
    """
    # Both are read once, here: a bad path or file stops the service from starting.
    trust = TrustStore.from_pem(Path(trust_pem))
    verifier = Verifier(
        trust=trust,
        policy=policy or Policy(),
        crls=[Path(p).read_bytes() for p in crls],
    )

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Thai stays readable
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the report's order

    @app.post("/verify")
    def verify() -> tuple[Response, int]:
        data = _read_upload()
        if data is None:
            return _error(
                400,
                "missing-document",
                f"send the signed document in the multipart field '{UPLOAD_FIELD}' "
                "or as the request body",
                f"โปรดส่งเอกสารที่ลงนามในฟิลด์ '{UPLOAD_FIELD}' หรือเป็นเนื้อหาของคำขอ",
            )
        # The verifier never raises on bad input; it reports. A failed "read" check means
        # there was no XML document to judge, which is the client's error.
        report = verifier.assess(data)
        read = next((c for c in report.checks if c.name == "read"), None)
        if read is not None and not read.passed:
            return _error(400, "unreadable", read.message_en, read.message_th)
        return jsonify(report.to_dict()), 200

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        thai = _THAI_HTTP_ERRORS.get(status, "คำขอไม่ถูกต้อง")
        return _error(status, exc.name.lower().replace(" ", "-"), exc.description or "", thai)

    return app


def _read_upload() -> bytes | None:
    """The uploaded document, or None when there is none."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get(UPLOAD_FIELD)
        return None if upload is None else upload.read()
    # Any other content type (application/xml, or what `curl --data-binary` sends) is taken
    # as the document itself, without form parsing.
    return request.get_data(cache=False) or None


def _error(status: int, code: str, message_en: str, message_th: str) -> tuple[Response, int]:
    body = {"error": code, "message_en": message_en, "message_th": message_th}
    return jsonify(body), status
