"""The static attack vectors (tests/vectors/attacks/, made by make_attack_vectors.py).

Each is refused by the reader or by the shape check, before any trust decision, so the outcome
is the same whatever the trust store holds. See test_attacks.py for the builder of each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edocstd.errors import VerificationError
from edocstd.verify import Indication, Policy, SubIndication, TrustStore, Verifier

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "attacks"
F = SubIndication.FORMAT_FAILURE

EXPECTED = {
    "wrap-content-into-object.xml": F,  # signed content hidden in a ds:Object, root forged
    "wrap-signature-moved-into-content.xml": F,  # ds:Signature moved inside content
    "wrap-second-signature-inside-object.xml": F,  # a second signature wrapped in ds:Object
    "second-signed-info.xml": F,  # two ds:SignedInfo
    "pi-injection.xml": F,  # processing instruction in signed text (reader refuses)
    "duplicate-ids.xml": F,  # SignedProperties Id duplicated in content
    "xpath-transform.xml": F,  # XPath 1.0 filter transform
    "xslt-transform.xml": F,  # XSLT transform
    "external-reference.xml": F,  # http: reference (never fetched)
    "file-reference.xml": F,  # file: reference
    "retrieval-method.xml": F,  # ds:RetrievalMethod
    "hmac-with-certificate.xml": F,  # HMAC keyed with the public certificate
    "signature-emptied.xml": F,  # empty ds:Signature
    "dtd-entity.xml": F,  # DTD with an external entity (reader refuses)
}


def test_every_vector_file_has_an_expectation() -> None:
    assert {p.name for p in VECTORS.glob("*.xml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_static_attack_vector_is_refused(name: str, trust: TrustStore) -> None:
    verifier = Verifier(trust=trust, policy=Policy(revocation="none", min_level=None))
    path = VECTORS / name
    report = verifier.assess(path)
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, EXPECTED[name])
    with pytest.raises(VerificationError):
        verifier.verify(path)
