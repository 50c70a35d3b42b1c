"""A test-only forger: edit a signed document, then recompute its digests and signature value.

Attacks are most convincing when they are *cryptographically valid*: the attacker controls a
key (or the legitimate signer is tricked into signing an odd shape), so the verifier must refuse
them for what they are, not because a digest happens to break. This helper re-signs a document
after an arbitrary edit, computing references the way XMLDSig defines them for the shapes used
in the attack suite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree

from edocstd._ns import DS, DS_SIGNATURE, XADES
from edocstd.schema._parser import parse
from edocstd.sign._algorithms import C14N, KeyType, SignatureAlgorithm, Transform, lookup_c14n
from edocstd.sign._c14n import c14n, digest_tree
from edocstd.sign._signer import Signer
from edocstd.sign._xades import issuer_serial_v2
from edocstd.testing.pki import Issued, TestPKI

D = f"{{{DS}}}"
X = f"{{{XADES}}}"

PLAIN_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<inv:Invoice xmlns:inv="urn:example:invoice">\n'
    '  <inv:Number id="n1">INV-0001</inv:Number>\n'
    '  <inv:Amount currency="THB">1500.00</inv:Amount>\n'
    "  <inv:Buyer>บริษัท ตัวอย่าง จำกัด</inv:Buyer>\n"
    "</inv:Invoice>\n"
).encode()


def signer_for(issued: Issued, pki: TestPKI) -> Signer:
    """A signer over one of the PKI's end entities, with the intermediate as chain."""
    return Signer.from_pem(issued.key_pem, issued.cert_pem, chain_pem=pki.chain_pem())


Edit = Callable[[etree._Element, etree._Element], None]
"""An edit receives (root, signature) and changes them in place."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def signatures(root: etree._Element) -> list[etree._Element]:
    return [c for c in root if c.tag == DS_SIGNATURE]


def _reference_digest(tree: etree._ElementTree, sig: etree._Element, ref: etree._Element) -> None:
    uri = ref.get("URI")
    dm = ref.find(f"{D}DigestMethod")
    dv = ref.find(f"{D}DigestValue")
    if dm is None or dv is None:
        return
    alg = dm.get("Algorithm", "")
    hname = {
        "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
        "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
        "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
        "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
        "http://www.w3.org/2001/04/xmldsig-more#md5": "md5",
    }.get(alg)
    if hname is None:
        return
    method = C14N.C14N
    exclude = []
    prefixes: list[str] | None = None
    for t in ref.iterfind(f"{D}Transforms/{D}Transform"):
        a = t.get("Algorithm", "")
        if a == Transform.ENVELOPED.value:
            exclude = [sig]
        elif a == Transform.XPATH_FILTER2.value:
            exclude = signatures(tree.getroot())
        elif lookup_c14n(a) is not None:
            method = lookup_c14n(a)  # type: ignore[assignment]
            listed = t.find("{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces")
            if listed is not None:
                prefixes = listed.get("PrefixList", "").split()
    method = {
        C14N.EXC_WITH_COMMENTS: C14N.EXC,
        C14N.C14N_WITH_COMMENTS: C14N.C14N,
        C14N.C14N11_WITH_COMMENTS: C14N.C14N11,
    }.get(method, method)
    if uri == "":
        from edocstd.sign._algorithms import DigestAlgorithm

        value = digest_tree(tree, method, DigestAlgorithm(alg), exclude, prefixes)
    elif uri and uri.startswith("#"):
        found = tree.getroot().xpath("//*[@Id=$v or @ID=$v or @id=$v]", v=uri[1:])
        if not found:
            return
        value = hashlib.new(hname, c14n(found[0], method)).digest()
    else:
        return
    dv.text = b64(value)


def sign_value(key: object, alg: SignatureAlgorithm, data: bytes, hmac_key: bytes = b"") -> bytes:
    digest = alg.digest
    if alg.key_type is KeyType.HMAC:
        assert digest is not None
        return hmac.new(hmac_key, data, digest.hash_name).digest()
    if isinstance(key, rsa.RSAPrivateKey):
        assert digest is not None
        h = digest.hash()
        pad: padding.AsymmetricPadding = (
            padding.PKCS1v15()
            if alg.key_type is KeyType.RSA
            else padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
        )
        return key.sign(data, pad, h)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        assert digest is not None
        der = key.sign(data, ec.ECDSA(digest.hash()))
        r, s = decode_dss_signature(der)
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return key.sign(data)  # type: ignore[attr-defined, no-any-return]


def set_certificates(sig: etree._Element, certs: list[x509.Certificate], named: int = 0) -> None:
    """Replace KeyInfo's certificates, and make the SigningCertificate(V2) name ``certs[named]``."""
    x509data = sig.find(f"{D}KeyInfo/{D}X509Data")
    assert x509data is not None
    for old in list(x509data):
        x509data.remove(old)
    for c in certs:
        etree.SubElement(x509data, f"{D}X509Certificate").text = b64(
            c.public_bytes(serialization.Encoding.DER)
        )
    cert_el = sig.find(f".//{X}SigningCertificateV2/{X}Cert")
    if cert_el is None:
        cert_el = sig.find(f".//{X}SigningCertificate/{X}Cert")
    if cert_el is not None:
        der = certs[named].public_bytes(serialization.Encoding.DER)
        dm = cert_el.find(f"{X}CertDigest/{D}DigestMethod")
        dv = cert_el.find(f"{X}CertDigest/{D}DigestValue")
        assert dm is not None and dv is not None
        from edocstd.sign._algorithms import DigestAlgorithm

        dv.text = b64(hashlib.new(DigestAlgorithm(dm.get("Algorithm")).hash_name, der).digest())
        isv = cert_el.find(f"{X}IssuerSerialV2")
        if isv is not None:
            isv.text = b64(issuer_serial_v2(certs[named]))


def resign(
    data: bytes,
    key: object,
    *,
    edit: Edit | None = None,
    algorithm: SignatureAlgorithm | None = None,
    certs: list[x509.Certificate] | None = None,
    hmac_key: bytes = b"",
    index: int = 0,
    named: int = 0,
) -> bytes:
    """Apply ``edit``, then recompute every computable digest and the signature value."""
    tree = parse(data)
    root = tree.getroot()
    sig = signatures(root)[index]
    if certs is not None:
        set_certificates(sig, certs, named)
    if algorithm is not None:
        sm = sig.find(f"{D}SignedInfo/{D}SignatureMethod")
        assert sm is not None
        sm.set("Algorithm", algorithm.value)
    if edit is not None:
        edit(root, sig)
    si = sig.find(f"{D}SignedInfo")
    assert si is not None
    # SignedProperties first: its digest is not part of the document digest.
    refs = list(si.iterfind(f"{D}Reference"))
    for ref in sorted(refs, key=lambda r: r.get("URI") == ""):
        _reference_digest(tree, sig, ref)
    cm = si.find(f"{D}CanonicalizationMethod")
    assert cm is not None
    method = lookup_c14n(cm.get("Algorithm", "")) or C14N.C14N
    alg_el = si.find(f"{D}SignatureMethod")
    assert alg_el is not None
    alg = SignatureAlgorithm(alg_el.get("Algorithm"))
    sv = sig.find(f"{D}SignatureValue")
    assert sv is not None
    sv.text = b64(sign_value(key, alg, c14n(si, method), hmac_key))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


__all__ = [
    "PLAIN_XML",
    "D",
    "X",
    "b64",
    "hashes",
    "resign",
    "set_certificates",
    "sign_value",
    "signatures",
    "signer_for",
]
