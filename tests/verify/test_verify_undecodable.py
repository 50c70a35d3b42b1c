"""verify() under Policy(require_schema=False) with signed content the model cannot hold.

The signature is valid and the caller asked for no schema check, so verify() must neither pass
off undecodable content as an attachment nor let a DocumentError escape (the contract is that
it raises VerificationError only): it hands over the signed bytes, with no document.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import edocstd
from edocstd.testing.assertions import assert_verifies
from edocstd.testing.pki import TestPKI

SAMPLE = Path(__file__).parents[1] / "vectors" / "schema" / "valid-full.edoc.xml"
GOOD = b"JVBERi0xLjcKJSBlZG9jc3RkIHRlc3QgYXR0YWNobWVudAolJUVPRgo="


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"Zg==Zg==", id="data-after-padding"),
        pytest.param(b"Zg== " + b" " * (1 << 20) + b"QUJD", id="data-after-a-mebibyte-of-space"),
        pytest.param(b"!!!!", id="outside-the-alphabet"),
    ],
)
def test_undecodable_attachment_gives_no_document_and_no_document_error(
    content: bytes, edoc_pki: TestPKI, edoc_signer: edocstd.Signer, edoc_trust: edocstd.TrustStore
) -> None:
    xml = SAMPLE.read_bytes()
    assert GOOD in xml
    signed = edocstd.sign(xml.replace(GOOD, content), edoc_signer, schema=edocstd.SchemaCheck.SKIP)
    verifier = edocstd.Verifier(edoc_trust, edocstd.Policy(revocation="none", require_schema=False))

    verified = assert_verifies(signed, verifier)

    assert verified.report.passed
    assert verified.document is None
    assert content.strip()[:4] in verified.signed_bytes


def test_the_default_policy_refuses_the_same_content_as_not_a_valid_edoc(
    edoc_signer: edocstd.Signer, edoc_trust: edocstd.TrustStore
) -> None:
    xml = SAMPLE.read_bytes().replace(GOOD, b"Zg==Zg==")
    signed = edocstd.sign(xml, edoc_signer, schema=edocstd.SchemaCheck.SKIP)
    verifier = edocstd.Verifier(edoc_trust, edocstd.Policy(revocation="none"))

    with pytest.raises(edocstd.VerificationError) as caught:
        verifier.verify(signed)
    assert caught.value.report.sub_indication is edocstd.SubIndication.FORMAT_FAILURE
