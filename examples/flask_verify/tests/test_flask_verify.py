"""The verification service, tested through Flask's test client with the edocstd plugin's
throw-away PKI, signer and time-stamping authority."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from app import create_app
from flask.testing import FlaskClient

from edocstd import CertificateError, Document, Level, Signer, dump, extend, sign
from edocstd.ltv import TimeStampClient
from edocstd.testing.pki import TestPKI


@pytest.fixture
def signed(edoc_document: Document, edoc_signer: Signer) -> bytes:
    return sign(dump(edoc_document), edoc_signer)


def upload(client: FlaskClient, data: bytes, **form: str) -> tuple[int, dict[str, Any]]:
    """POST ``data`` as a multipart upload; returns the status and the JSON body."""
    fields: dict[str, object] = {"document": (io.BytesIO(data), "licence.edoc.xml"), **form}
    response = client.post("/verify", data=fields, content_type="multipart/form-data")
    return response.status_code, response.get_json()


def test_an_uploaded_signed_document_passes(client: FlaskClient, signed: bytes) -> None:
    status, report = upload(client, signed)
    assert status == 200
    assert report["indication"] == "TOTAL-PASSED"
    (signature,) = report["signatures"]
    assert signature["signer"].startswith("CN=Somchai Signer")
    assert signature["revocation"] == "good"


def test_the_raw_body_is_accepted_too(client: FlaskClient, signed: bytes) -> None:
    for content_type in ("application/xml", "application/x-www-form-urlencoded"):
        response = client.post("/verify", data=signed, content_type=content_type)
        assert response.status_code == 200, content_type
        assert response.get_json()["indication"] == "TOTAL-PASSED"


def test_a_tampered_document_is_judged_failed(client: FlaskClient, signed: bytes) -> None:
    tampered = signed.replace(b"Example Foods Co., Ltd.", b"Example Fools Co., Ltd.")
    status, report = upload(client, tampered)
    assert status == 200
    assert (report["indication"], report["sub_indication"]) == ("TOTAL-FAILED", "HASH_FAILURE")
    assert report["message_th"]  # an officer reads it in Thai


@pytest.mark.parametrize(
    "garbage",
    [b"not xml at all", b"\x00\xff" * 100, b"<a><b></a>", b'<!DOCTYPE a [<!ENTITY x "y">]><a/>'],
)
def test_unreadable_input_is_a_bad_request(client: FlaskClient, garbage: bytes) -> None:
    status, body = upload(client, garbage)
    assert status == 400
    assert body["error"] == "unreadable"
    assert body["message_en"] and body["message_th"]


def test_a_request_without_a_document_is_a_bad_request(client: FlaskClient) -> None:
    response = client.post("/verify", data={"other": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json()["error"] == "missing-document"
    assert client.post("/verify").status_code == 400


def test_requests_over_the_size_limit_are_refused(trust_file: Path, signed: bytes) -> None:
    small = create_app(trust_file, max_bytes=len(signed) - 1).test_client()
    status, body = upload(small, signed)
    assert status == 413
    assert body["message_th"] == "ข้อมูลที่ส่งมีขนาดใหญ่เกินกำหนด"
    raw = small.post("/verify", data=signed, content_type="application/xml")
    assert raw.status_code == 413


def test_get_is_not_allowed(client: FlaskClient) -> None:
    response = client.get("/verify")
    assert response.status_code == 405
    assert response.get_json()["message_en"]


def test_trust_comes_from_the_service_never_from_the_request(client: FlaskClient) -> None:
    stranger = TestPKI.generate()
    signer = Signer.from_pem(
        stranger.signer.key_pem, stranger.signer.cert_pem, chain_pem=stranger.chain_pem()
    )
    from edocstd.testing.samples import sample_xml

    signed = sign(sample_xml(), signer)
    # The uploader sends its own root along; the service ignores it.
    status, report = upload(client, signed, trust=stranger.trust_pem().decode())
    assert status == 200
    assert report["indication"] == "INDETERMINATE"
    assert report["sub_indication"] == "NO_CERTIFICATE_CHAIN_FOUND"


def test_a_long_term_signature_needs_no_crls_in_the_service(
    trust_file: Path, signed: bytes, edoc_tsa: str, edoc_pki: TestPKI
) -> None:
    service = create_app(trust_file).test_client()  # no CRLs configured
    # A B-B signature cannot be checked for revocation: the outcome says to try later.
    status, report = upload(service, signed)
    assert (status, report["sub_indication"]) == (200, "TRY_LATER")
    # The same signature at B-LTA carries its own revocation data and time-stamps.
    archived = extend(
        signed, Level.B_LTA, tsa=TimeStampClient(edoc_tsa), extra_certs=[edoc_pki.root.cert]
    )
    status, report = upload(service, archived)
    assert (status, report["indication"]) == (200, "TOTAL-PASSED")
    assert report["signatures"][0]["level"] == "B-LTA"


def test_the_service_does_not_start_without_its_trust_anchors(tmp_path: Path) -> None:
    with pytest.raises(CertificateError):
        create_app(tmp_path / "missing.pem")
