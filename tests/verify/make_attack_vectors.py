"""Regenerate the static attack vectors in tests/vectors/attacks/ (run by hand, not by pytest).

Each file is refused by the shape check or the reader before any trust decision, so it does not
matter that its certificates come from a throw-away PKI that no test trusts. The expected
outcomes live in ``test_attack_vectors.py``.

Run: ``python tests/verify/make_attack_vectors.py``
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import test_attacks as A

from edocstd._level import Level
from edocstd.sign._sign import sign
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml

OUT = Path(__file__).resolve().parent.parent / "vectors" / "attacks"

STATIC = [
    ("wrap-content-into-object.xml", A.wrap_content_into_object),
    ("wrap-signature-moved-into-content.xml", A.wrap_signature_moved_into_content),
    ("wrap-second-signature-inside-object.xml", A.wrap_second_signature_inside_object),
    ("second-signed-info.xml", A.second_signed_info),
    ("pi-injection.xml", A.pi_injection),
    ("duplicate-ids.xml", A.duplicate_ids),
    ("xpath-transform.xml", A.xpath_transform),
    ("xslt-transform.xml", A.xslt_transform),
    ("external-reference.xml", A.external_reference),
    ("file-reference.xml", A.file_reference),
    ("retrieval-method.xml", A.retrieval_method),
    ("hmac-with-certificate.xml", A.hmac_with_certificate),
    ("signature-emptied.xml", A.signature_emptied),
    ("dtd-entity.xml", A.dtd_entity),
]


def main() -> None:
    pki = TestPKI.generate(now=dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))
    signer = A.signer_for(pki.signer, pki)
    ctx = A.Ctx(
        pki=pki,
        edoc=sign(sample_xml(), signer),
        plain=sign(A.PLAIN_XML, signer),
        xmldsig=sign(A.PLAIN_XML, signer, level=Level.XMLDSIG),
    )
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in STATIC:
        (OUT / name).write_bytes(build(ctx))
        print("wrote", name)


if __name__ == "__main__":
    main()
