"""``VerifiedDocument.signed_bytes`` for large documents: rebuilt on demand, never other bytes.

Above a size threshold the verifier does not keep the signed bytes next to the re-read tree and
the decoded document; ``signed_bytes`` canonicalizes the tree again when first asked for and
checks the result against the signed digest. These tests lower the threshold so the sample
documents take that path, and compare with the bytes the verifier keeps for small documents.
"""

from __future__ import annotations

import threading

import pytest
from _forge import D, resign, signer_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from edocstd.model import Document
from edocstd.schema._codec import dump
from edocstd.sign._algorithms import C14N
from edocstd.sign._sign import Cosign, sign
from edocstd.sign._signer import Signer
from edocstd.testing.assertions import assert_verifies
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.testing.strategies import documents
from edocstd.verify import SignedContentChangedError, VerifiedDocument, Verifier, _verifier

EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
METHODS = [C14N.EXC, C14N.C14N, C14N.C14N11]


def _eager_and_lazy(
    verifier: Verifier, signed: bytes, monkeypatch: pytest.MonkeyPatch
) -> tuple[bytes, VerifiedDocument]:
    with monkeypatch.context() as m:
        m.setattr(_verifier, "_KEEP_SIGNED_MAX", 1 << 30)
        eager = assert_verifies(signed, verifier).signed_bytes
    with monkeypatch.context() as m:
        m.setattr(_verifier, "_KEEP_SIGNED_MAX", 0)
        lazy = assert_verifies(signed, verifier)
    return eager, lazy


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_large_document_signed_bytes_are_rebuilt_identical(
    method: C14N, rsa_signer: Signer, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = sign(sample_xml(), rsa_signer, c14n=method)
    eager, lazy = _eager_and_lazy(verifier, signed, monkeypatch)
    assert lazy._signed is None  # not held until asked for
    assert lazy.signed_bytes == eager
    assert lazy.signed_bytes is lazy.signed_bytes  # rebuilt once, then kept
    assert "rebuilt" not in repr(lazy)


def test_small_document_keeps_its_signed_bytes(signed_edoc: bytes, verifier: Verifier) -> None:
    verified = assert_verifies(signed_edoc, verifier)
    assert verified._signed is not None
    assert "kept" in repr(verified)


def test_parallel_signatures_rebuild_the_document_without_any_signature(
    pki: TestPKI, rsa_signer: Signer, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sign(sample_xml(), rsa_signer, cosign=Cosign.ALLOW, c14n=C14N.C14N)
    second = sign(first, signer_for(pki.signer_ec, pki))
    eager, lazy = _eager_and_lazy(verifier, second, monkeypatch)
    assert lazy.signed_bytes == eager
    assert b"Signature" not in lazy.signed_bytes


def test_inclusive_namespace_prefixes_survive_the_rebuild(
    pki: TestPKI, rsa_signer: Signer, lenient: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Exclusive C14N drops a declaration used only inside an attribute value unless the
    # reference lists its prefix; the rebuilt bytes must carry it exactly as the signed ones.
    xml = (
        b'<inv:Invoice xmlns:inv="urn:example:invoice" xmlns:q="urn:example:qualified">'
        b'<inv:Item kind="q:thing">one</inv:Item></inv:Invoice>'
    )
    signed = sign(xml, rsa_signer, c14n=C14N.EXC)

    def add_prefix_list(root: etree._Element, sig: etree._Element) -> None:
        for t in sig.iter(f"{D}Transform"):
            if t.get("Algorithm") == C14N.EXC.value and t.getparent() is not None:
                ref = t.getparent().getparent()  # type: ignore[union-attr]
                if ref is not None and ref.get("URI") == "":
                    etree.SubElement(t, f"{{{EXC}}}InclusiveNamespaces", PrefixList="q")

    resigned = resign(signed, pki.signer.key, edit=add_prefix_list)
    eager, lazy = _eager_and_lazy(lenient, resigned, monkeypatch)
    assert b'xmlns:q="urn:example:qualified"' in eager
    assert lazy.signed_bytes == eager


def test_changed_tree_gives_an_error_not_other_bytes(
    signed_edoc: bytes, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, lazy = _eager_and_lazy(verifier, signed_edoc, monkeypatch)
    first = next(lazy.tree.getroot().iter("{*}ID"))
    first.text = "CHANGED"
    with pytest.raises(SignedContentChangedError):
        _ = lazy.signed_bytes


def test_concurrent_first_access_gives_one_value(
    signed_edoc: bytes, verifier: Verifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    eager, lazy = _eager_and_lazy(verifier, signed_edoc, monkeypatch)
    seen: list[bytes] = []
    threads = [threading.Thread(target=lambda: seen.append(lazy.signed_bytes)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [eager] * 4
    assert all(s is seen[0] for s in seen)


def test_verified_document_needs_bytes_or_a_way_to_rebuild_them(
    signed_edoc: bytes, verifier: Verifier
) -> None:
    report = verifier.assess(signed_edoc)
    with pytest.raises(TypeError):
        VerifiedDocument(None, None, report)


@settings(
    deadline=None,
    max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(doc=documents(), method=st.sampled_from(METHODS))
def test_rebuilt_signed_bytes_equal_the_kept_ones_for_generated_documents(
    doc: Document,
    method: C14N,
    rsa_signer: Signer,
    verifier: Verifier,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed = sign(dump(doc), rsa_signer, c14n=method)
    eager, lazy = _eager_and_lazy(verifier, signed, monkeypatch)
    assert lazy.document == doc
    assert lazy.signed_bytes == eager
