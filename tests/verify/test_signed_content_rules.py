"""The business rules run on the signed content the verifier re-reads, including EDOC-R013.

The verifier hands the bytes it re-read to the text rule so it can settle clean documents in
one scan; these tests pin that content breaking the rule is still caught there, in every form
the one-scan shortcut has to leave to the node walk.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

import edocstd
from edocstd.testing.assertions import assert_verifies

SAMPLE = Path(__file__).parents[1] / "vectors" / "schema" / "valid-full.edoc.xml"
NAME = "ใบอนุญาตประกอบกิจการโรงงาน"


@pytest.mark.parametrize(
    "replacement",
    [
        pytest.param("ใบอนุญาต\u0085ประกอบกิจการโรงงาน", id="c1-control-character"),
        pytest.param("ใบอนุญาต\x7fประกอบกิจการโรงงาน", id="delete-character"),
        pytest.param(unicodedata.normalize("NFD", "Licence for Café"), id="not-nfc"),
        pytest.param("ใบอนุญาต&#x85;ประกอบกิจการโรงงาน", id="control-as-a-character-reference"),
    ],
)
def test_signed_text_breaking_r013_is_refused_on_verification(
    replacement: str, edoc_signer: edocstd.Signer, edoc_trust: edocstd.TrustStore
) -> None:
    xml = SAMPLE.read_text("utf-8")
    assert NAME in xml
    signed = edocstd.sign(
        xml.replace(NAME, replacement, 1).encode(), edoc_signer, schema=edocstd.SchemaCheck.SKIP
    )

    report = edocstd.Verifier(edoc_trust, edocstd.Policy(revocation="none")).assess(signed)

    assert report.indication is edocstd.Indication.TOTAL_FAILED
    assert report.sub_indication is edocstd.SubIndication.FORMAT_FAILURE
    assert report.schema_report is not None
    assert "EDOC-R013" in {p.code for p in report.schema_report.problems}


def test_clean_signed_text_passes(
    edoc_signer: edocstd.Signer, edoc_trust: edocstd.TrustStore
) -> None:
    signed = edocstd.sign(SAMPLE.read_bytes(), edoc_signer)

    report = assert_verifies(signed, edoc_trust).report

    assert report.schema_report is not None and report.schema_report.valid
