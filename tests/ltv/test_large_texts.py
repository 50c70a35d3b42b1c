"""Archive time-stamps over documents with very large texts (a BinaryObject of many MB).

The B-LTA imprint covers the whole document. Its large texts are taken out of the tree and
streamed in escaped pieces (as signing does) instead of letting libxml2 copy them; the imprint
must be byte-for-byte the one the plain canonicalization gives, and the tree must come back
unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS
from edocstd.ltv import TimeStampClient, _levels, extend
from edocstd.schema._parser import parse
from edocstd.sign._algorithms import C14N
from edocstd.sign._bigtext import BIG_TEXT, Holes
from edocstd.sign._sign import SchemaCheck, sign
from edocstd.sign._signer import Signer
from edocstd.testing.services import TestServices
from edocstd.verify import Policy, TrustStore, Verifier

DOC = (Path(__file__).parents[1] / "vectors" / "sign" / "plain-invoice.xml").read_bytes()

# Over the streaming threshold, with every character C14N escapes, and a carriage return.
_BIG = ("QUJD&<>\r" * (BIG_TEXT // 8 + 1000))[: BIG_TEXT + 5000]


def _with_big_text() -> bytes:
    tree = parse(DOC)
    root = tree.getroot()
    etree.SubElement(root, "{urn:example:bulk}Blob").text = _BIG
    etree.SubElement(root, "{urn:example:bulk}Blob2").text = "x" * (BIG_TEXT + 1)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _signed(env: TestServices, method: C14N) -> bytes:
    pki = env.pki
    signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, chain_pem=pki.chain_pem())
    return sign(_with_big_text(), signer, schema=SchemaCheck.SKIP, c14n=method)


@contextlib.contextmanager
def _never_punched(tree: etree._ElementTree, threshold: int | None = None) -> Iterator[Holes]:
    yield Holes(b"", (), ())


@pytest.mark.parametrize("method", [C14N.EXC, C14N.C14N, C14N.C14N11], ids=lambda m: m.name)
@pytest.mark.parametrize("ats_method", [C14N.EXC, C14N.C14N], ids=lambda m: f"ats-{m.name}")
def test_streamed_imprint_equals_the_plain_canonicalization(
    env: TestServices, method: C14N, ats_method: C14N, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = parse(_signed(env, method))
    sig = tree.getroot().find(f"{{{DS}}}Signature")
    assert sig is not None
    blobs = [el for el in tree.getroot() if el.tag.startswith("{urn:example:bulk}")]
    before = [el.text for el in blobs]
    assert len(blobs) == 2

    taken: list[int] = []
    real = _levels.punched

    @contextlib.contextmanager
    def spy(t: etree._ElementTree, threshold: int | None = None) -> Iterator[Holes]:
        with real(t, threshold) as holes:
            taken.append(len(holes.texts))
            yield holes

    monkeypatch.setattr(_levels, "punched", spy)
    streamed = _levels.archive_timestamp_digest(tree, sig, ats_method, "sha256")
    assert taken == [2]  # both large texts were streamed, not copied by libxml2
    assert [el.text for el in blobs] == before  # and put back exactly

    monkeypatch.setattr(_levels, "punched", _never_punched)
    plain = _levels.archive_timestamp_digest(tree, sig, ats_method, "sha256")
    assert streamed == plain


def test_b_lta_of_a_document_with_large_texts_verifies(env: TestServices) -> None:
    tsa = TimeStampClient(env.tsa.url)
    lta = extend(_signed(env, C14N.EXC), Level.B_LTA, tsa=tsa, extra_certs=[env.pki.root.cert])
    verifier = Verifier(
        trust=TrustStore.from_pem(env.pki.trust_pem()),
        policy=Policy(require_schema=False, revocation="offline"),
    )
    report = verifier.assess(lta)
    assert report.passed, report.summary_en()
    assert report.signatures[0].level is Level.B_LTA
    # A changed character in the large text breaks the document digest.
    broken = lta.replace(b"QUJD", b"QUJE", 1)
    assert broken != lta
    assert not verifier.assess(broken).passed
