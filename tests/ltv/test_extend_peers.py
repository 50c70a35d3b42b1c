"""extend() on B-B signatures made by other tools (signxml, the xmlsec1 command)."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, XADES
from edocstd.ltv import TimeStampClient, extend, validate_timestamps
from edocstd.schema._parser import parse
from edocstd.testing.services import TestServices
from edocstd.verify import Policy, TrustStore, Verifier

DOC = (Path(__file__).parents[1] / "vectors" / "sign" / "plain-invoice.xml").read_bytes()
INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_D = f"{{{DS}}}"
_X = f"{{{XADES}}}"


def _to_lta_and_check_offline(services: TestServices, bb: bytes) -> None:
    lta = extend(
        bb, Level.B_LTA, tsa=TimeStampClient(services.tsa.url), extra_certs=[services.pki.root.cert]
    )
    services.stop()
    tree = parse(lta)
    (sig,) = tree.getroot().iterchildren(f"{_D}Signature")
    assert len(validate_timestamps(tree, sig, trust_roots=[services.pki.root.cert])) == 2
    verifier = Verifier(
        trust=TrustStore.from_pem(services.pki.trust_pem()),
        policy=Policy(require_schema=False, revocation="offline", min_level="B-LTA"),
    )
    report = verifier.assess(lta)
    assert str(report.indication) == "TOTAL-PASSED", report.summary_en()
    (result,) = report.signatures
    assert result.level is Level.B_LTA
    assert [t.kind for t in result.timestamps] == ["SignatureTimeStamp", "ArchiveTimeStamp"]
    assert all(t.passed for t in result.timestamps)
    assert result.best_signature_time is not None
    # The original B-B stays verifiable as it was, without any time-stamp.
    assert (
        Verifier(trust=verifier.trust, policy=Policy(require_schema=False, revocation="none"))
        .assess(bb)
        .passed
    )


def test_signxml_b_b_extends_to_b_lta_and_verifies_offline(fresh: TestServices) -> None:
    xades = pytest.importorskip("signxml.xades")
    pki = fresh.pki
    signer = xades.XAdESSigner(
        signature_algorithm="rsa-sha256", digest_algorithm="sha256", c14n_algorithm=INCLUSIVE
    )
    root = signer.sign(
        etree.fromstring(DOC),
        key=pki.signer.key_pem,
        cert=[pki.signer.cert_pem.decode(), pki.intermediate.cert_pem.decode()],
    )
    _to_lta_and_check_offline(fresh, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _etda_style_template(services: TestServices) -> bytes:
    """ETDA's deployed form: v1 SigningCertificate, inclusive C14N 1.0, RSA-SHA512."""
    cert = services.pki.signer.cert
    der = services.pki.signer.cert_der
    root = etree.fromstring(DOC)
    sig = etree.SubElement(root, f"{_D}Signature", nsmap={"ds": DS}, Id="sig-1")
    si = etree.SubElement(sig, f"{_D}SignedInfo")
    etree.SubElement(si, f"{_D}CanonicalizationMethod", Algorithm=INCLUSIVE)
    etree.SubElement(
        si, f"{_D}SignatureMethod", Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
    )
    for uri, transforms in (
        ("", ["http://www.w3.org/2000/09/xmldsig#enveloped-signature"]),
        ("#sp-1", [INCLUSIVE]),
    ):
        ref = etree.SubElement(si, f"{_D}Reference", URI=uri)
        if uri:
            ref.set("Type", "http://uri.etsi.org/01903#SignedProperties")
        trs = etree.SubElement(ref, f"{_D}Transforms")
        for t in transforms:
            etree.SubElement(trs, f"{_D}Transform", Algorithm=t)
        etree.SubElement(
            ref, f"{_D}DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"
        )
        etree.SubElement(ref, f"{_D}DigestValue")
    etree.SubElement(sig, f"{_D}SignatureValue")
    etree.SubElement(etree.SubElement(sig, f"{_D}KeyInfo"), f"{_D}X509Data")
    obj = etree.SubElement(sig, f"{_D}Object")
    qp = etree.SubElement(obj, f"{_X}QualifyingProperties", nsmap={"xades": XADES}, Target="#sig-1")
    sp = etree.SubElement(qp, f"{_X}SignedProperties", Id="sp-1")
    ssp = etree.SubElement(sp, f"{_X}SignedSignatureProperties")
    etree.SubElement(ssp, f"{_X}SigningTime").text = services.pki.now.isoformat().replace(
        "+00:00", "Z"
    )
    c = etree.SubElement(etree.SubElement(ssp, f"{_X}SigningCertificate"), f"{_X}Cert")
    cd = etree.SubElement(c, f"{_X}CertDigest")
    etree.SubElement(cd, f"{_D}DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    etree.SubElement(cd, f"{_D}DigestValue").text = base64.b64encode(
        hashlib.sha256(der).digest()
    ).decode()
    iss = etree.SubElement(c, f"{_X}IssuerSerial")
    etree.SubElement(iss, f"{_D}X509IssuerName").text = cert.issuer.rfc4514_string()
    etree.SubElement(iss, f"{_D}X509SerialNumber").text = str(cert.serial_number)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 is not installed")
def test_xmlsec1_b_b_extends_to_b_lta_and_verifies_offline(
    fresh: TestServices, tmp_path: Path
) -> None:
    pki = fresh.pki
    (tmp_path / "key.pem").write_bytes(pki.signer.key_pem)
    (tmp_path / "cert.pem").write_bytes(pki.signer.cert_pem)
    (tmp_path / "inter.pem").write_bytes(pki.chain_pem())
    (tmp_path / "tpl.xml").write_bytes(_etda_style_template(fresh))
    done = subprocess.run(
        [
            "xmlsec1",
            "--sign",
            "--privkey-pem",
            f"{tmp_path / 'key.pem'},{tmp_path / 'cert.pem'},{tmp_path / 'inter.pem'}",
            "--id-attr:Id",
            f"{XADES}:SignedProperties",
            "--output",
            str(tmp_path / "signed.xml"),
            str(tmp_path / "tpl.xml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    _to_lta_and_check_offline(fresh, (tmp_path / "signed.xml").read_bytes())
