"""Documents signed by edocstd verify with independent implementations.

Peers and what they cannot check (so those pairs are not tested):

* ``xmlsec1`` 1.2.x (the Debian tool): no RSA-PSS and no Ed25519 signature methods (both arrive
  in xmlsec 1.3). Everything else edocstd produces verifies, including XPath Filter 2.0
  parallel signatures, each canonicalization, and the chain through the intermediate.
* ``signxml``: no Ed25519. It does not implement XPath Filter 2.0 and skips the transform
  without failing, so a lone signature carrying the filter verifies (the filter removes nothing
  else), but in a document with two signatures it cannot verify either one: each digest
  excludes the other signature, which signxml keeps.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm
from edocstd.sign._sign import Cosign, sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import TestPKI

PLAIN_XML = (Path(__file__).parent.parent / "vectors" / "sign" / "plain-invoice.xml").read_bytes()
XmlsecVerify = Callable[..., subprocess.CompletedProcess[str]]

C14NS = [C14N.EXC, C14N.C14N, C14N.C14N11]


def _edoc() -> bytes:
    from edocstd.testing.samples import sample_xml

    return sample_xml()


def _ok(result: object) -> bool:
    return getattr(result, "returncode", 1) == 0


# --- xmlsec1 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", C14NS, ids=lambda m: m.name.lower())
@pytest.mark.parametrize("fixture", ["rsa_signer", "ec_signer"])
def test_xmlsec1_verifies_edocstd_signatures(
    request: pytest.FixtureRequest, xmlsec1_verify: XmlsecVerify, fixture: str, method: C14N
) -> None:
    signer: Signer = request.getfixturevalue(fixture)
    signed = sign(PLAIN_XML, signer, c14n=method)
    result = xmlsec1_verify(signed)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout + result.stderr


def test_xmlsec1_verifies_a_signed_edoc_document(
    rsa_signer: Signer, xmlsec1_verify: XmlsecVerify
) -> None:
    pytest.importorskip("edocstd.schema._validate")
    result = xmlsec1_verify(sign(_edoc(), rsa_signer))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "algorithm",
    [
        SignatureAlgorithm.RSA_SHA256,
        SignatureAlgorithm.RSA_SHA384,
        SignatureAlgorithm.RSA_SHA512,
    ],
    ids=lambda a: a.short_name,
)
def test_xmlsec1_verifies_every_rsa_pkcs1_hash(
    rsa_signer: Signer, xmlsec1_verify: XmlsecVerify, algorithm: SignatureAlgorithm
) -> None:
    result = xmlsec1_verify(
        sign(PLAIN_XML, rsa_signer, algorithm=algorithm, digest=DigestAlgorithm.SHA512)
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("kind", ["p384", "p521"])
def test_xmlsec1_verifies_ecdsa_on_larger_curves(
    pki: TestPKI, xmlsec1_verify: XmlsecVerify, kind: str
) -> None:
    from edocstd.testing.pki import new_key

    issued = pki.issue(f"EC {kind}", key=new_key(kind))
    signer = Signer.from_pem(issued.key_pem, issued.cert_pem, pki.chain_pem())
    result = xmlsec1_verify(sign(PLAIN_XML, signer))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("method", C14NS, ids=lambda m: m.name.lower())
def test_xmlsec1_verifies_both_parallel_signatures(
    rsa_signer: Signer, ec_signer: Signer, xmlsec1_verify: XmlsecVerify, method: C14N
) -> None:
    both = sign(
        sign(PLAIN_XML, rsa_signer, cosign=Cosign.ALLOW, c14n=method), ec_signer, c14n=method
    )
    ids = [
        s.get("Id")
        for s in etree.fromstring(both).iter("{http://www.w3.org/2000/09/xmldsig#}Signature")
    ]
    assert len(ids) == 2
    for sig_id in ids:
        result = xmlsec1_verify(both, signature_id=sig_id)
        assert result.returncode == 0, (sig_id, result.stderr)


@pytest.mark.parametrize("method", C14NS, ids=lambda m: m.name.lower())
def test_xmlsec1_verifies_a_root_with_xml_lang_and_space(
    rsa_signer: Signer, xmlsec1_verify: XmlsecVerify, method: C14N
) -> None:
    # Inclusive canonicalization inherits these into SignedInfo and SignedProperties.
    doc = '<a xml:lang="th" xml:space="preserve"><b>ทดสอบ</b></a>'.encode()
    result = xmlsec1_verify(sign(doc, rsa_signer, c14n=method))
    assert result.returncode == 0, result.stderr


def test_xmlsec1_rejects_tampered_content_and_an_unknown_root(
    rsa_signer: Signer, xmlsec1_verify: XmlsecVerify, tmp_path: Path, pki: TestPKI
) -> None:
    # Negative controls: the positive interop tests above mean something only if the peer
    # does reject bad signatures under the same flags.
    signed = sign(PLAIN_XML, rsa_signer)
    assert not _ok(xmlsec1_verify(signed.replace("ทดสอบ".encode(), "ทดลอง".encode())))
    other_root = tmp_path / "other-root.pem"
    other_root.write_bytes(TestPKI.generate().trust_pem())
    assert not _ok(xmlsec1_verify(signed, trusted=other_root))


def test_without_the_filter_a_second_signature_would_break_the_first_for_xmlsec1(
    rsa_signer: Signer, ec_signer: Signer, xmlsec1_verify: XmlsecVerify
) -> None:
    # Why edocstd refuses to co-sign a document whose signature lacks the subtract filter:
    # appending a second signature by hand breaks the first one.
    sealed = sign(PLAIN_XML, rsa_signer)
    other = etree.fromstring(sign(PLAIN_XML, ec_signer))[-1]
    root = etree.fromstring(sealed)
    first_id = root[-1].get("Id")
    root.append(other)
    assert not _ok(xmlsec1_verify(etree.tostring(root), signature_id=first_id))


_CASES = [
    ("rsa_signer", SignatureAlgorithm.RSA_SHA256),
    ("rsa_signer", SignatureAlgorithm.RSA_SHA512),
    ("ec_signer", SignatureAlgorithm.ECDSA_SHA256),
    ("ec_signer", SignatureAlgorithm.ECDSA_SHA384),
]

_text = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs", "Cc"),
        exclude_characters="\ufffe\uffff",
    ),
    max_size=40,
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    case=st.sampled_from(_CASES),
    method=st.sampled_from(C14NS),
    digest=st.sampled_from(
        [DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512]
    ),
    text=_text,
    attr=_text,
    cosign=st.sampled_from([Cosign.FORBID, Cosign.ALLOW]),
)
def test_xmlsec1_verifies_generated_documents(
    request: pytest.FixtureRequest,
    xmlsec1_verify: XmlsecVerify,
    case: tuple[str, SignatureAlgorithm],
    method: C14N,
    digest: DigestAlgorithm,
    text: str,
    attr: str,
    cosign: Cosign,
) -> None:
    fixture, algorithm = case
    signer: Signer = request.getfixturevalue(fixture)
    root = etree.Element("{urn:example:gen}doc", nsmap={"g": "urn:example:gen", "x": "urn:x"})
    child = etree.SubElement(root, "{urn:example:gen}item", value=attr)
    child.text = text
    child.tail = "\n"
    signed = sign(
        etree.tostring(root), signer, algorithm=algorithm, c14n=method, digest=digest, cosign=cosign
    )
    result = xmlsec1_verify(signed)
    assert result.returncode == 0, result.stderr


# --- signxml -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signxml_verify(pki_files: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    signxml = pytest.importorskip("signxml")
    from signxml.xades import XAdESVerifier

    root, _ = pki_files

    def run(signed: bytes, xades: bool = True) -> object:
        config = signxml.SignatureConfiguration(
            expect_references=2 if xades else 1,
            signature_methods=frozenset(signxml.SignatureMethod),
        )
        verifier = XAdESVerifier() if xades else signxml.XMLVerifier()
        return verifier.verify(signed, ca_pem_file=str(root), expect_config=config)

    return run


@pytest.mark.parametrize("method", C14NS, ids=lambda m: m.name.lower())
@pytest.mark.parametrize(
    ("fixture", "algorithm"),
    [
        ("rsa_signer", SignatureAlgorithm.RSA_SHA256),
        ("rsa_signer", SignatureAlgorithm.RSA_PSS_SHA256),
        ("rsa_signer", SignatureAlgorithm.RSA_PSS_SHA512),
        ("ec_signer", SignatureAlgorithm.ECDSA_SHA256),
    ],
    ids=lambda v: v.short_name if isinstance(v, SignatureAlgorithm) else v,
)
def test_signxml_xades_verifier_accepts_edocstd_signatures(
    request: pytest.FixtureRequest,
    signxml_verify,  # type: ignore[no-untyped-def]
    fixture: str,
    algorithm: SignatureAlgorithm,
    method: C14N,
) -> None:
    signer: Signer = request.getfixturevalue(fixture)
    signed = sign(PLAIN_XML, signer, algorithm=algorithm, c14n=method)
    results = signxml_verify(signed)
    # One result per reference: the document first, then the SignedProperties.
    assert len(results) == 2
    assert etree.tostring(results[0].signed_xml, method="c14n", exclusive=True) == (
        etree.tostring(etree.fromstring(PLAIN_XML), method="c14n", exclusive=True)
    )
    assert results[1].signed_xml.tag == "{http://uri.etsi.org/01903/v1.3.2#}SignedProperties"


def test_signxml_verifies_plain_xmldsig_and_an_edoc_document(
    rsa_signer: Signer,
    signxml_verify,  # type: ignore[no-untyped-def]
) -> None:
    from edocstd._level import Level

    signxml_verify(sign(PLAIN_XML, rsa_signer, level=Level.XMLDSIG), xades=False)
    pytest.importorskip("edocstd.schema._validate")
    signxml_verify(sign(_edoc(), rsa_signer, cosign=Cosign.ALLOW))


def test_signxml_rejects_tampered_content(
    rsa_signer: Signer,
    signxml_verify,  # type: ignore[no-untyped-def]
) -> None:
    signed = sign(PLAIN_XML, rsa_signer)
    with pytest.raises(Exception, match=r"(?i)digest"):
        signxml_verify(signed.replace(b"&amp; test", b"&amp; tess"))


def test_xmlsec1_verifies_a_document_with_a_text_too_large_for_libxml2_to_stream(
    rsa_signer: Signer, xmlsec1_verify: XmlsecVerify
) -> None:
    # Texts past BIG_TEXT are streamed by edocstd itself (digest and output); the escaping must
    # match libxml2's exactly, so include every character that needs it.
    from edocstd.sign._bigtext import BIG_TEXT

    text = ("ทดสอบ a&b <c> d\re " * (BIG_TEXT // 10))[: BIG_TEXT + 1000]
    root = etree.Element("{urn:example:big}doc")
    etree.SubElement(root, "{urn:example:big}blob").text = text
    for method in C14NS:
        signed = sign(etree.tostring(root), rsa_signer, c14n=method)
        assert etree.fromstring(signed)[0].text == text
        result = xmlsec1_verify(signed)
        assert result.returncode == 0, (method, result.stderr)
