"""Property tests (hypothesis) of the verifier.

* Sign-then-verify passes for generated EDOC documents, across algorithms and C14N methods.
* Changing any byte of a signed document never yields a pass with *different* content: either
  the verification fails, or what the caller receives is byte-for-byte what was signed. A change
  to a letter of signed text never passes at all.
* Re-serialising a signed document in ways that change nothing canonical still passes:
  attribute order, quote style, ``<a/>`` versus ``<a></a>``, character references, an XML
  declaration, whitespace outside the root element.
"""

from __future__ import annotations

import re

import pytest
from _forge import signer_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from edocstd.model import Document
from edocstd.schema._codec import dump
from edocstd.sign._algorithms import C14N, SignatureAlgorithm
from edocstd.sign._sign import sign
from edocstd.sign._signer import Signer
from edocstd.testing.assertions import assert_verifies
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.testing.strategies import documents
from edocstd.verify import Verifier

SLOW = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

ALGORITHMS = {
    "rsa": [
        SignatureAlgorithm.RSA_SHA256,
        SignatureAlgorithm.RSA_SHA512,
        SignatureAlgorithm.RSA_PSS_SHA256,
    ],
    "ec": [SignatureAlgorithm.ECDSA_SHA256, SignatureAlgorithm.ECDSA_SHA384],
    "ed25519": [SignatureAlgorithm.ED25519],
}


@pytest.fixture(scope="module")
def signers(pki: TestPKI) -> dict[str, Signer]:
    return {
        "rsa": signer_for(pki.signer, pki),
        "ec": signer_for(pki.signer_ec, pki),
        "ed25519": signer_for(pki.signer_ed25519, pki),
    }


_CHOICES = st.sampled_from([(k, a) for k, algs in ALGORITHMS.items() for a in algs])


@settings(SLOW, max_examples=30)
@given(
    doc=documents(),
    choice=_CHOICES,
    method=st.sampled_from([C14N.EXC, C14N.C14N, C14N.C14N11]),
)
def test_sign_then_verify_passes(
    doc: Document,
    choice: tuple[str, SignatureAlgorithm],
    method: C14N,
    signers: dict[str, Signer],
    verifier: Verifier,
) -> None:
    kind, algorithm = choice
    signed = sign(dump(doc), signers[kind], algorithm=algorithm, c14n=method)
    verified = assert_verifies(signed, verifier)
    assert verified.document == doc
    assert verified.report.signatures[0].algorithm == algorithm.short_name


# ---------------------------------------------------------------------------------------------
# Byte flips


def _content_span(signed: bytes) -> tuple[int, int]:
    start = signed.index(b"<ec:ElectronicCertificate")
    end = signed.index(b"<ds:Signature")
    return start, end


@settings(SLOW, max_examples=150)
@given(data=st.data())
def test_flipping_any_byte_never_passes_with_other_content(
    data: st.DataObject, signed_edoc: bytes, verifier: Verifier
) -> None:
    original = assert_verifies(signed_edoc, verifier).signed_bytes
    start = 0
    end = len(signed_edoc)
    pos = data.draw(st.integers(start, end - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="xor")
    mutated = bytearray(signed_edoc)
    mutated[pos] ^= mask
    report = verifier.assess(bytes(mutated))
    if report.passed:
        # Only a change with no canonical meaning (e.g. whitespace inside a tag) may pass,
        # and then the caller still receives exactly what was signed.
        assert verifier.verify(bytes(mutated)).signed_bytes == original


_TEXT_LETTER = re.compile(rb">[^<]*?([A-Za-z0-9])")


@settings(SLOW, max_examples=150)
@given(data=st.data())
def test_changing_a_character_of_signed_text_never_passes(
    data: st.DataObject, signed_edoc: bytes, verifier: Verifier
) -> None:
    start, end = _content_span(signed_edoc)
    letters = [
        m.start(1) for m in _TEXT_LETTER.finditer(signed_edoc, start, end) if m.start(1) < end
    ]
    pos = data.draw(st.sampled_from(letters), label="position")
    old = signed_edoc[pos : pos + 1]
    new = data.draw(
        st.sampled_from([c.encode() for c in "ABCXYZabcxyz0123456789" if c.encode() != old]),
        label="replacement",
    )
    mutated = signed_edoc[:pos] + new + signed_edoc[pos + 1 :]
    assert not verifier.assess(mutated).passed


# ---------------------------------------------------------------------------------------------
# Re-serialisation


def _esc_text(text: str, style: int) -> str:
    out = []
    for i, ch in enumerate(text):
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;" if style != 0 else ">")
        elif ch == "\r":
            out.append("&#13;")
        elif style == 1 and ord(ch) > 127:
            out.append(f"&#x{ord(ch):X};")
        elif style == 2 and ch.isalnum() and i % 2 == 0:
            out.append(f"&#{ord(ch)};")
        else:
            out.append(ch)
    return "".join(out)


def _esc_attr(value: str, quote: str, style: int) -> str:
    out = []
    for ch in value:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == quote:
            out.append("&quot;" if quote == '"' else "&apos;")
        elif ch in "\t\n\r":
            out.append(f"&#{ord(ch)};")
        elif style == 1 and ord(ch) > 127:
            out.append(f"&#x{ord(ch):x};")
        else:
            out.append(ch)
    return "".join(out)


def _qname(el: etree._Element, tag: str) -> str:
    qn = etree.QName(tag)
    if qn.namespace is None:
        return qn.localname
    if qn.namespace == "http://www.w3.org/XML/1998/namespace":
        return "xml:" + qn.localname
    for p, u in el.nsmap.items():
        if u == qn.namespace and (p is not None or tag == el.tag):
            return qn.localname if p is None else f"{p}:{qn.localname}"
    raise AssertionError(tag)


def _write(el: etree._Element, parent_ns: dict[str | None, str], data: st.DataObject) -> str:
    if not isinstance(el.tag, str):  # a comment
        return f"<!--{el.text}-->"
    local = etree.QName(el).localname
    name = local if el.prefix is None else f"{el.prefix}:{local}"
    quote = data.draw(st.sampled_from(['"', "'"]))
    style = data.draw(st.integers(0, 2))
    items: list[str] = []
    for p, u in el.nsmap.items():
        if parent_ns.get(p) != u:
            items.append(f"xmlns{'' if p is None else ':' + p}={quote}{u}{quote}")
    for k, v in el.attrib.items():
        items.append(f"{_qname(el, k)}={quote}{_esc_attr(v, quote, style)}{quote}")
    items = data.draw(st.permutations(items))
    space = data.draw(st.sampled_from([" ", "  ", "\n  ", "\t"]))
    head = "<" + name + "".join(space + i for i in items)
    if el.text is None and len(el) == 0 and data.draw(st.booleans()):
        return head + data.draw(st.sampled_from(["/>", " />"]))
    body = _esc_text(el.text or "", style)
    for child in el:
        body += _write(child, dict(el.nsmap), data)
        body += _esc_text(child.tail or "", style)
    close = data.draw(st.sampled_from(["", " ", "\n"]))
    return f"{head}>{body}</{name}{close}>"


def reserialise(signed: bytes, data: st.DataObject) -> bytes:
    root = etree.fromstring(signed)
    decl = data.draw(
        st.sampled_from(
            [
                "",
                '<?xml version="1.0" encoding="UTF-8"?>',
                "<?xml version='1.0'?>",
                '<?xml version="1.0" encoding="utf-8" standalone="yes"?>',
            ]
        )
    )
    before = data.draw(st.sampled_from(["", "\n", "\n\n  ", "\r\n"]))
    after = data.draw(st.sampled_from(["", "\n", "  \n\t", "\r\n\r\n"]))
    return (decl + before + _write(root, {}, data) + after).encode("utf-8")


@pytest.fixture(scope="module")
def signed_variants(signers: dict[str, Signer]) -> list[bytes]:
    return [
        sign(sample_xml(), signers["rsa"], c14n=C14N.EXC),
        sign(sample_xml(), signers["ec"], c14n=C14N.C14N),
        sign(sample_xml(), signers["rsa"], c14n=C14N.C14N11),
    ]


@settings(SLOW, max_examples=60)
@given(data=st.data(), which=st.integers(0, 2))
def test_reserialising_without_canonical_change_still_passes(
    data: st.DataObject, which: int, signed_variants: list[bytes], verifier: Verifier
) -> None:
    signed = signed_variants[which]
    again = reserialise(signed, data)
    reread = assert_verifies(again, verifier)
    assert reread.signed_bytes == assert_verifies(signed, verifier).signed_bytes


def test_reserialiser_really_changes_the_bytes(signed_variants: list[bytes]) -> None:
    # Guards the property above against a serializer that merely copies its input, or one that
    # changes the canonical form (which would make the property vacuous or wrong).
    outputs: list[bytes] = []

    @given(data=st.data())
    @settings(max_examples=20, deadline=None)
    def check(data: st.DataObject) -> None:
        out = reserialise(signed_variants[0], data)
        assert etree.tostring(etree.fromstring(out), method="c14n") == etree.tostring(
            etree.fromstring(signed_variants[0]), method="c14n"
        )
        outputs.append(out)

    check()
    assert any(o != signed_variants[0] for o in outputs)
    assert any(b"&#" in o for o in outputs)
    assert any(b"'" in o.split(b">", 1)[0] + o.split(b"<ec:", 2)[1] for o in outputs)
