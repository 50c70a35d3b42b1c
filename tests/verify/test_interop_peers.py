"""Documents signed by independent implementations verify with edocstd.

Peers: the ``xmlsec1`` command-line tool (signing from a template, libxmlsec1 + OpenSSL) and
the ``signxml`` library.

Pairs that do not work, and why:

* xmlsec1 1.2 and RSA-PSS: the installed xmlsec1 (1.2.x) does not know the RFC 6931/9231
  ``sha256-rsa-MGF1`` URIs, so it can neither sign nor verify RSA-PSS; edocstd's RSA-PSS is
  covered by its own round trips and by signxml-free tests.

* signxml's ``XAdESSigner`` with *exclusive* canonicalization: it writes the SignedProperties
  and KeyInfo references without a canonicalization transform but digests them with exclusive
  C14N. XMLDSig §4.4.3.2 says a reference without transforms is canonicalized with inclusive
  C14N 1.0, so a conforming verifier computes another digest: edocstd reports
  TOTAL-FAILED/HASH_FAILURE (tested below). With inclusive C14N 1.0 or 1.1 the two agree and the
  signatures verify.
* signxml signs XAdES with an extra reference to its own ``ds:KeyInfo``; edocstd accepts that one
  extra reference (it covers nothing of the content). Any other extra reference is refused.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from _forge import PLAIN_XML
from cryptography.hazmat.primitives import serialization
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, XADES
from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm
from edocstd.sign._xades import issuer_serial_v2
from edocstd.testing.assertions import assert_verifies
from edocstd.testing.pki import Issued, TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.verify import Indication, Policy, SubIndication, TrustStore, Verifier

XMLSEC1 = shutil.which("xmlsec1")
needs_xmlsec1 = pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is not installed")

ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SP_TYPE = "http://uri.etsi.org/01903#SignedProperties"


@pytest.fixture(scope="module")
def pki_dir(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("peer-pki")
    for name, issued in (("rsa", pki.signer), ("ec", pki.signer_ec)):
        (d / f"{name}-key.pem").write_bytes(issued.key_pem)
        (d / f"{name}-cert.pem").write_bytes(issued.cert_pem)
    (d / "inter.pem").write_bytes(pki.chain_pem())
    return d


def _template(
    content: bytes,
    *,
    algorithm: SignatureAlgorithm,
    c14n: C14N,
    transform_c14n: C14N | None,
    digest: DigestAlgorithm,
    xades: Issued | None = None,
    v1: bool = False,
    data_object_format: bool = True,
) -> bytes:
    """An unsigned document carrying a ds:Signature template for xmlsec1 to fill in."""
    root = etree.fromstring(content)
    d = f"{{{DS}}}"
    x = f"{{{XADES}}}"
    sig = etree.SubElement(root, f"{d}Signature", nsmap={"ds": DS}, Id="sig-1")
    si = etree.SubElement(sig, f"{d}SignedInfo")
    etree.SubElement(si, f"{d}CanonicalizationMethod", Algorithm=c14n.value)
    etree.SubElement(si, f"{d}SignatureMethod", Algorithm=algorithm.value)
    ref = etree.SubElement(si, f"{d}Reference", URI="", Id="ref-doc")
    trs = etree.SubElement(ref, f"{d}Transforms")
    etree.SubElement(trs, f"{d}Transform", Algorithm=ENVELOPED)
    if transform_c14n is not None:
        etree.SubElement(trs, f"{d}Transform", Algorithm=transform_c14n.value)
    etree.SubElement(ref, f"{d}DigestMethod", Algorithm=digest.value)
    etree.SubElement(ref, f"{d}DigestValue")
    if xades is not None:
        ref2 = etree.SubElement(si, f"{d}Reference", URI="#sp-1", Type=SP_TYPE)
        trs2 = etree.SubElement(ref2, f"{d}Transforms")
        etree.SubElement(trs2, f"{d}Transform", Algorithm=(transform_c14n or c14n).value)
        etree.SubElement(ref2, f"{d}DigestMethod", Algorithm=digest.value)
        etree.SubElement(ref2, f"{d}DigestValue")
    etree.SubElement(sig, f"{d}SignatureValue")
    ki = etree.SubElement(sig, f"{d}KeyInfo")
    etree.SubElement(ki, f"{d}X509Data")
    if xades is not None:
        obj = etree.SubElement(sig, f"{d}Object")
        qp = etree.SubElement(obj, f"{x}QualifyingProperties", nsmap={"xades": XADES})
        qp.set("Target", "#sig-1")
        sp = etree.SubElement(qp, f"{x}SignedProperties", Id="sp-1")
        ssp = etree.SubElement(sp, f"{x}SignedSignatureProperties")
        etree.SubElement(ssp, f"{x}SigningTime").text = "2026-11-25T10:00:00+07:00"
        der = xades.cert.public_bytes(serialization.Encoding.DER)
        sc = etree.SubElement(ssp, f"{x}SigningCertificate" if v1 else f"{x}SigningCertificateV2")
        cert = etree.SubElement(sc, f"{x}Cert")
        cd = etree.SubElement(cert, f"{x}CertDigest")
        etree.SubElement(cd, f"{d}DigestMethod", Algorithm=digest.value)
        etree.SubElement(cd, f"{d}DigestValue").text = base64.b64encode(
            hashlib.new(digest.hash_name, der).digest()
        ).decode()
        if v1:
            iss = etree.SubElement(cert, f"{x}IssuerSerial")
            etree.SubElement(iss, f"{d}X509IssuerName").text = xades.cert.issuer.rfc4514_string()
            etree.SubElement(iss, f"{d}X509SerialNumber").text = str(xades.cert.serial_number)
        else:
            etree.SubElement(cert, f"{x}IssuerSerialV2").text = base64.b64encode(
                issuer_serial_v2(xades.cert)
            ).decode()
        if data_object_format:
            sdop = etree.SubElement(sp, f"{x}SignedDataObjectProperties")
            dof = etree.SubElement(sdop, f"{x}DataObjectFormat", ObjectReference="#ref-doc")
            etree.SubElement(dof, f"{x}MimeType").text = "text/xml"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _xmlsec1_sign(tpl: bytes, key: str, pki_dir: Path, tmp_path: Path) -> bytes:
    src = tmp_path / "tpl.xml"
    out = tmp_path / "signed.xml"
    src.write_bytes(tpl)
    keyspec = (
        f"{pki_dir / (key + '-key.pem')},{pki_dir / (key + '-cert.pem')},{pki_dir / 'inter.pem'}"
    )
    cmd = [
        XMLSEC1 or "xmlsec1",
        "--sign",
        "--privkey-pem",
        keyspec,
        "--id-attr:Id",
        f"{XADES}:SignedProperties",
        "--output",
        str(out),
        str(src),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    return out.read_bytes()


@pytest.fixture(scope="module")
def any_level(trust: TrustStore) -> Verifier:
    return Verifier(trust=trust, policy=Policy(revocation="none", min_level=None))


@needs_xmlsec1
@pytest.mark.parametrize(
    ("key", "algorithm"),
    [
        ("rsa", SignatureAlgorithm.RSA_SHA256),
        ("rsa", SignatureAlgorithm.RSA_SHA512),
        ("ec", SignatureAlgorithm.ECDSA_SHA256),
    ],
)
@pytest.mark.parametrize("method", list(C14N), ids=lambda m: m.name)
def test_plain_xmldsig_signed_by_xmlsec1_verifies(
    key: str,
    algorithm: SignatureAlgorithm,
    method: C14N,
    pki_dir: Path,
    tmp_path: Path,
    any_level: Verifier,
) -> None:
    tpl = _template(
        PLAIN_XML,
        algorithm=algorithm,
        c14n=method,
        transform_c14n=method,
        digest=DigestAlgorithm.SHA256,
    )
    signed = _xmlsec1_sign(tpl, key, pki_dir, tmp_path)
    report = assert_verifies(signed, any_level).report
    sig = report.signatures[0]
    assert sig.level is Level.XMLDSIG
    assert "not AdES" in report.summary_en()
    assert sig.algorithm == algorithm.short_name


@needs_xmlsec1
@pytest.mark.parametrize("key", ["rsa", "ec"])
@pytest.mark.parametrize("method", [C14N.EXC, C14N.C14N, C14N.C14N11], ids=lambda m: m.name)
def test_xades_bb_signed_by_xmlsec1_from_a_template_verifies(
    key: str, method: C14N, pki: TestPKI, pki_dir: Path, tmp_path: Path, verifier: Verifier
) -> None:
    issued = pki.signer if key == "rsa" else pki.signer_ec
    alg = SignatureAlgorithm.RSA_SHA256 if key == "rsa" else SignatureAlgorithm.ECDSA_SHA256
    tpl = _template(
        sample_xml(),
        algorithm=alg,
        c14n=method,
        transform_c14n=method,
        digest=DigestAlgorithm.SHA256,
        xades=issued,
    )
    signed = _xmlsec1_sign(tpl, key, pki_dir, tmp_path)
    verified = assert_verifies(signed, verifier)
    assert verified.report.signatures[0].level is Level.B_B
    assert verified.document is not None


@needs_xmlsec1
def test_etda_deployed_form_verifies(
    pki: TestPKI, pki_dir: Path, tmp_path: Path, verifier: Verifier
) -> None:
    # ETDA's reference XAdES-BES: v1 SigningCertificate (XAdES 1.3.2), inclusive C14N 1.0,
    # RSA-SHA512, no DataObjectFormat, no canonicalization transform on the document reference.
    tpl = _template(
        sample_xml(),
        algorithm=SignatureAlgorithm.RSA_SHA512,
        c14n=C14N.C14N,
        transform_c14n=None,
        digest=DigestAlgorithm.SHA512,
        xades=pki.signer,
        v1=True,
        data_object_format=False,
    )
    signed = _xmlsec1_sign(tpl, "rsa", pki_dir, tmp_path)
    assert b"SigningCertificateV2" not in signed and b"DataObjectFormat" not in signed
    report = assert_verifies(signed, verifier).report
    assert report.signatures[0].algorithm == "rsa-sha512"


@needs_xmlsec1
def test_xmlsec1_v1_signing_certificate_with_wrong_serial_is_refused(
    pki: TestPKI, pki_dir: Path, tmp_path: Path, verifier: Verifier
) -> None:
    tpl = _template(
        sample_xml(),
        algorithm=SignatureAlgorithm.RSA_SHA512,
        c14n=C14N.C14N,
        transform_c14n=None,
        digest=DigestAlgorithm.SHA512,
        xades=pki.signer,
        v1=True,
        data_object_format=False,
    )
    tpl = tpl.replace(
        f">{pki.signer.cert.serial_number}<".encode(),
        f">{pki.signer.cert.serial_number + 1}<".encode(),
    )
    signed = _xmlsec1_sign(tpl, "rsa", pki_dir, tmp_path)
    report = verifier.assess(signed)
    assert report.sub_indication is SubIndication.NO_SIGNING_CERTIFICATE_FOUND


# ---------------------------------------------------------------------------------------------
# signxml

signxml = pytest.importorskip("signxml")


def _certs(issued: Issued, pki: TestPKI) -> list[str]:
    return [issued.cert_pem.decode(), pki.intermediate.cert_pem.decode()]


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [("rsa", "rsa-sha256"), ("rsa", "rsa-sha512"), ("ec", "ecdsa-sha256")],
)
@pytest.mark.parametrize(
    "method", [C14N.EXC, C14N.C14N, C14N.C14N11, C14N.EXC_WITH_COMMENTS], ids=lambda m: m.name
)
def test_plain_xmldsig_signed_by_signxml_verifies(
    key: str, algorithm: str, method: C14N, pki: TestPKI, any_level: Verifier
) -> None:
    issued = pki.signer if key == "rsa" else pki.signer_ec
    signer = signxml.XMLSigner(
        method=signxml.methods.enveloped,
        signature_algorithm=algorithm,
        digest_algorithm="sha256",
        c14n_algorithm=method.value,
    )
    root = signer.sign(etree.fromstring(sample_xml()), key=issued.key_pem, cert=_certs(issued, pki))
    assert_verifies(etree.tostring(root), any_level)


@pytest.mark.parametrize(
    ("key", "algorithm"),
    [("rsa", "rsa-sha256"), ("rsa", "rsa-sha512"), ("ec", "ecdsa-sha256")],
)
@pytest.mark.parametrize("method", [C14N.C14N, C14N.C14N11], ids=lambda m: m.name)
def test_xades_signed_by_signxml_verifies(
    key: str, algorithm: str, method: C14N, pki: TestPKI, verifier: Verifier
) -> None:
    from signxml.xades import XAdESSigner

    issued = pki.signer if key == "rsa" else pki.signer_ec
    signer = XAdESSigner(
        signature_algorithm=algorithm, digest_algorithm="sha256", c14n_algorithm=method.value
    )
    root = signer.sign(etree.fromstring(sample_xml()), key=issued.key_pem, cert=_certs(issued, pki))
    verified = assert_verifies(etree.tostring(root), verifier)
    assert verified.report.signatures[0].level is Level.B_B
    assert verified.document is not None


def test_signxml_xades_with_exclusive_c14n_is_not_interoperable(
    pki: TestPKI, verifier: Verifier
) -> None:
    # signxml digests the untransformed SignedProperties reference with exclusive C14N, where
    # XMLDSig prescribes inclusive C14N 1.0; see the module docstring.
    from signxml.xades import XAdESSigner

    signer = XAdESSigner(
        signature_algorithm="rsa-sha256", digest_algorithm="sha256", c14n_algorithm=C14N.EXC.value
    )
    root = signer.sign(
        etree.fromstring(sample_xml()), key=pki.signer.key_pem, cert=_certs(pki.signer, pki)
    )
    report = verifier.assess(etree.tostring(root))
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )


@needs_xmlsec1
@pytest.mark.parametrize("method", [C14N.C14N, C14N.C14N11, C14N.EXC], ids=lambda m: m.name)
def test_xades_under_a_root_with_xml_lang_verifies(
    method: C14N, pki: TestPKI, pki_dir: Path, tmp_path: Path, trust: TrustStore
) -> None:
    # Inclusive canonicalization carries the root's xml:lang into SignedInfo and
    # SignedProperties (Canonical XML §2.4); xmlsec1 does so, and so must the verifier.
    content = PLAIN_XML.replace(b"<inv:Invoice ", b'<inv:Invoice xml:lang="th" ', 1)
    tpl = _template(
        content,
        algorithm=SignatureAlgorithm.RSA_SHA256,
        c14n=method,
        transform_c14n=method,
        digest=DigestAlgorithm.SHA256,
        xades=pki.signer,
    )
    signed = _xmlsec1_sign(tpl, "rsa", pki_dir, tmp_path)
    v = Verifier(trust=trust, policy=Policy(revocation="none", require_schema=False))
    assert_verifies(signed, v)
