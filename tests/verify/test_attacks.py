"""The attack suite: every case names the attack, builds the hostile input, and states the
exact indication and sub-indication the verifier must give. ``verify()`` must raise for every
one of them, so the caller never receives attacker-controlled content.

Most inputs are built at test time from a freshly signed document (the test PKI is generated
per session); where a case is cryptographically valid (the attacker holds a key), the forger in
``_forge.py`` recomputes digests and signature values after the edit.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from _forge import PLAIN_XML, D, X, b64, resign, signatures, signer_for
from cryptography.hazmat.primitives import serialization
from lxml import etree

from edocstd._ns import DS, EC, XPATH_FILTER2
from edocstd.errors import VerificationError
from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm, Transform
from edocstd.sign._c14n import digest_tree
from edocstd.sign._sign import sign
from edocstd.testing.assertions import assert_verifies
from edocstd.testing.pki import TestPKI, new_key
from edocstd.testing.samples import sample_xml
from edocstd.verify import Indication, Policy, SubIndication, TrustStore, Verifier

TF = Indication.TOTAL_FAILED
IND = Indication.INDETERMINATE
S = SubIndication


@dataclass
class Ctx:
    pki: TestPKI
    edoc: bytes
    plain: bytes
    xmldsig: bytes

    @property
    def key(self) -> object:
        return self.pki.signer.key


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _out(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _edit(data: bytes, fn: Callable[[etree._Element, etree._Element], None]) -> bytes:
    root = _tree(data)
    fn(root, signatures(root)[0])
    return _out(root)


def _content(root: etree._Element) -> list[etree._Element]:
    return [c for c in root if c.tag != f"{{{DS}}}Signature"]


# ---------------------------------------------------------------------------------------------
# Signature wrapping


def wrap_content_into_object(c: Ctx) -> bytes:
    """XSW: the signed content is moved into a ds:Object of the signature, and forged content
    takes its place in the root (the classic "move the signed data out of sight" shape)."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        obj = etree.SubElement(sig, f"{D}Object")
        for el in _content(root):
            obj.append(copy.deepcopy(el))
        root.find(f"{{{EC}}}ExchangedDocument/{{{EC}}}ID").text = "FORGED-999"  # type: ignore[union-attr]

    return _edit(c.edoc, f)


def wrap_original_next_to_signature(c: Ctx) -> bytes:
    """XSW: a forged copy goes first, the original signed content is kept *after* the
    signature, hoping the verifier digests one and the application reads the other."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        original = copy.deepcopy(root.find(f"{{{EC}}}ExchangedDocument"))
        root.append(original)

    return _edit(c.edoc, f)


def wrap_duplicated_root_content(c: Ctx) -> bytes:
    """XSW: the root content is duplicated with a forged first copy."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        forged = copy.deepcopy(root.find(f"{{{EC}}}ExchangedDocument"))
        forged.find(f"{{{EC}}}ID").text = "FORGED-999"  # type: ignore[union-attr]
        root.insert(0, forged)

    return _edit(c.edoc, f)


def wrap_document_in_new_root(c: Ctx) -> bytes:
    """XSW: the whole signed document is nested inside a new root with forged content."""
    root = _tree(c.edoc)
    outer = etree.Element(f"{{{EC}}}ElectronicCertificate")
    forged = copy.deepcopy(root.find(f"{{{EC}}}ExchangedDocument"))
    outer.append(forged)
    outer.append(root)
    return _out(outer)


def wrap_signature_moved_into_content(c: Ctx) -> bytes:
    """XSW: the signature is moved inside a content element."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        root.find(f"{{{EC}}}IssuerParty").append(sig)  # type: ignore[union-attr]

    return _edit(c.edoc, f)


def wrap_content_into_unsigned_properties(c: Ctx) -> bytes:
    """XSW: the original content is hidden in xades:UnsignedProperties and the root forged."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        qp = sig.find(f"{D}Object/{X}QualifyingProperties")
        up = etree.SubElement(qp, f"{X}UnsignedProperties")  # type: ignore[arg-type]
        for el in _content(root):
            up.append(copy.deepcopy(el))
        root.find(f"{{{EC}}}ExchangedDocument/{{{EC}}}ID").text = "FORGED-999"  # type: ignore[union-attr]

    return _edit(c.edoc, f)


def wrap_second_signature_inside_object(c: Ctx) -> bytes:
    """XSW: a second (copied) signature is wrapped inside the first one's ds:Object."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        other = copy.deepcopy(sig)
        other.set("Id", "other-sig")
        etree.SubElement(sig, f"{D}Object").append(other)

    return _edit(c.edoc, f)


def second_signature_copy(c: Ctx) -> bytes:
    """A second top-level copy of the signature (same IDs): ambiguous references."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        root.append(copy.deepcopy(sig))

    return _edit(c.edoc, f)


def second_signed_info(c: Ctx) -> bytes:
    """A second ds:SignedInfo inside the signature (one to verify, one to show)."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        si = sig.find(f"{D}SignedInfo")
        sig.insert(1, copy.deepcopy(si))

    return _edit(c.edoc, f)


# ---------------------------------------------------------------------------------------------
# Comments, PIs, IDs


def pi_injection(c: Ctx) -> bytes:
    """A processing instruction injected into signed text."""
    return c.edoc.replace(b"</ec:Name>", b"<?evil run?></ec:Name>", 1)


def duplicate_ids(c: Ctx) -> bytes:
    """Duplicate IDs: content gets an element whose Id equals the SignedProperties Id, so
    "#id" could resolve to attacker content."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        sp = sig.find(f"{D}Object/{X}QualifyingProperties/{X}SignedProperties")
        fake = copy.deepcopy(sp)
        etree.SubElement(root[0], "fake").append(fake)  # type: ignore[arg-type]

    return _edit(c.edoc, f)


def duplicate_ids_signed(c: Ctx) -> bytes:
    """Duplicate IDs in a generic document, then properly re-signed by the attacker's target
    key: the shape check must refuse it even though every digest matches."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        a, b = etree.SubElement(root, "x"), etree.SubElement(root, "y")
        a.set("id", "dup")
        b.set("ID", "dup")
        root.remove(a)
        root.remove(b)
        root.insert(0, a)
        root.insert(1, b)

    return resign(c.plain, c.key, edit=f)


# ---------------------------------------------------------------------------------------------
# References and transforms (all properly re-signed: the shape check alone must refuse them)


def _doc_ref(sig: etree._Element) -> etree._Element:
    for r in sig.iterfind(f"{D}SignedInfo/{D}Reference"):
        if r.get("URI") == "":
            return r
    raise AssertionError


def partial_reference(c: Ctx) -> bytes:
    """A reference to part of the document only (URI="#n1" instead of URI="")."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        r = _doc_ref(sig)
        r.set("URI", "#n1")
        tr = r.find(f"{D}Transforms")
        r.remove(tr)  # type: ignore[arg-type]

    return resign(c.plain, c.key, edit=f)


def extra_reference(c: Ctx) -> bytes:
    """A third reference (to part of the content), next to the two allowed ones."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        si = sig.find(f"{D}SignedInfo")
        extra = copy.deepcopy(_doc_ref(sig))
        extra.set("URI", "#n1")
        extra.remove(extra.find(f"{D}Transforms"))  # type: ignore[arg-type]
        si.append(extra)  # type: ignore[union-attr]

    return resign(c.plain, c.key, edit=f)


def _add_transform(alg: str, child: etree._Element | None = None) -> Callable[..., None]:
    def f(root: etree._Element, sig: etree._Element) -> None:
        trs = _doc_ref(sig).find(f"{D}Transforms")
        t = etree.Element(f"{D}Transform", Algorithm=alg)
        if child is not None:
            t.append(child)
        trs.insert(1, t)  # type: ignore[union-attr]

    return f


def xpath_transform(c: Ctx) -> bytes:
    """An XPath 1.0 filter transform (could select only part of the document)."""
    xp = etree.Element(f"{D}XPath")
    xp.text = "not(ancestor-or-self::inv:Amount)"
    return _edit(c.plain, _add_transform(Transform.XPATH.value, xp))


def xslt_transform(c: Ctx) -> bytes:
    """An XSLT transform (arbitrary computation; historically a code-execution vector)."""
    xsl = etree.fromstring(
        b'<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">'
        b'<xsl:template match="/"><x/></xsl:template></xsl:stylesheet>'
    )
    return _edit(c.plain, _add_transform(Transform.XSLT.value, xsl))


def filter2_intersect(c: Ctx) -> bytes:
    """XPath Filter 2.0 used to *intersect* (select part of the document), not subtract."""
    xp = etree.Element(f"{{{XPATH_FILTER2}}}XPath", Filter="intersect", nsmap={"ds": DS})
    xp.text = "//inv:Number"
    return resign(c.plain, c.key, edit=_add_transform(Transform.XPATH_FILTER2.value, xp))


def filter2_subtract_content(c: Ctx) -> bytes:
    """XPath Filter 2.0 subtract of *content* (leaves the amount unsigned)."""
    xp = etree.Element(
        f"{{{XPATH_FILTER2}}}XPath",
        Filter="subtract",
        nsmap={"inv": "urn:example:invoice", "ds": DS},
    )
    xp.text = "//inv:Amount"
    return resign(c.plain, c.key, edit=_add_transform(Transform.XPATH_FILTER2.value, xp))


def base64_transform(c: Ctx) -> bytes:
    """A base64 transform in the document reference."""
    return _edit(c.plain, _add_transform(Transform.BASE64.value))


def many_transforms(c: Ctx) -> bytes:
    """Thousands of transforms in one reference (resource exhaustion)."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        trs = _doc_ref(sig).find(f"{D}Transforms")
        for _ in range(5000):
            etree.SubElement(trs, f"{D}Transform", Algorithm=Transform.ENVELOPED.value)  # type: ignore[arg-type]

    return _edit(c.plain, f)


def many_references(c: Ctx) -> bytes:
    """Thousands of references (resource exhaustion)."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        si = sig.find(f"{D}SignedInfo")
        ref = _doc_ref(sig)
        for _ in range(5000):
            si.append(copy.deepcopy(ref))  # type: ignore[union-attr]

    return _edit(c.plain, f)


def external_reference(c: Ctx) -> bytes:
    """A reference to an external http: URI (the verifier must never fetch)."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        r = _doc_ref(sig)
        r.set("URI", "http://127.0.0.1:9/evil.xml")

    return _edit(c.plain, f)


def file_reference(c: Ctx) -> bytes:
    """A reference to a local file (file:)."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        r = _doc_ref(sig)
        r.set("URI", "file:///etc/passwd")

    return _edit(c.plain, f)


def retrieval_method(c: Ctx) -> bytes:
    """ds:RetrievalMethod in KeyInfo (key fetched from elsewhere)."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        ki = sig.find(f"{D}KeyInfo")
        etree.SubElement(
            ki,  # type: ignore[arg-type]
            f"{D}RetrievalMethod",
            URI="http://127.0.0.1:9/key.der",
            Type="http://www.w3.org/2000/09/xmldsig#rawX509Certificate",
        )

    return _edit(c.plain, f)


# ---------------------------------------------------------------------------------------------
# Keys and certificates


def keyvalue_only(c: Ctx) -> bytes:
    """The attacker signs with their own key and ships only a ds:KeyValue (no certificate)."""
    attacker = new_key("rsa2048")

    def f(root: etree._Element, sig: etree._Element) -> None:
        ki = sig.find(f"{D}KeyInfo")
        for child in list(ki):  # type: ignore[arg-type]
            ki.remove(child)  # type: ignore[union-attr]
        nums = attacker.public_key().public_numbers()  # type: ignore[union-attr]
        kv = etree.SubElement(ki, f"{D}KeyValue")  # type: ignore[arg-type]
        rsa_kv = etree.SubElement(kv, f"{D}RSAKeyValue")
        etree.SubElement(rsa_kv, f"{D}Modulus").text = b64(
            nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        )
        etree.SubElement(rsa_kv, f"{D}Exponent").text = b64(nums.e.to_bytes(3, "big"))

    return resign(c.xmldsig, attacker, edit=f)


def keyvalue_mismatch(c: Ctx) -> bytes:
    """A ds:KeyValue for a different key next to the genuine certificate."""
    other = new_key("rsa2048")

    def f(root: etree._Element, sig: etree._Element) -> None:
        ki = sig.find(f"{D}KeyInfo")
        nums = other.public_key().public_numbers()  # type: ignore[union-attr]
        kv = etree.SubElement(ki, f"{D}KeyValue")  # type: ignore[arg-type]
        rsa_kv = etree.SubElement(kv, f"{D}RSAKeyValue")
        etree.SubElement(rsa_kv, f"{D}Modulus").text = b64(
            nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        )
        etree.SubElement(rsa_kv, f"{D}Exponent").text = b64(nums.e.to_bytes(3, "big"))

    return resign(c.plain, c.key, edit=f)


def untrusted_certificate(c: Ctx) -> bytes:
    """A signature by a key whose certificate comes from an untrusted PKI."""
    other = TestPKI.generate()
    return sign(PLAIN_XML, signer_for(other.signer, other))


def lookalike_root(c: Ctx) -> bytes:
    """A self-signed look-alike of the trusted root (same subject name, different key) with
    its own intermediate and signer; the look-alike root itself travels in KeyInfo."""
    fake = TestPKI.generate()  # same subject names as the real PKI, different keys
    assert fake.root.cert.subject == c.pki.root.cert.subject
    signed = sign(PLAIN_XML, signer_for(fake.signer, fake))
    return resign(
        signed,
        fake.signer.key,
        certs=[fake.signer.cert, fake.intermediate.cert, fake.root.cert],
    )


def intermediate_not_ca(c: Ctx) -> bytes:
    """An intermediate without CA basic constraints issues the signer."""
    bad_ca = c.pki.issue(
        "Not A CA", issuer=c.pki.intermediate, basic_constraints=False, key_usage="ca"
    )
    signer = c.pki.issue("Signer Under Non-CA", issuer=bad_ca)
    return resign(
        c.plain,
        signer.key,
        certs=[signer.cert, bad_ca.cert, c.pki.intermediate.cert],
    )


def expired_signer(c: Ctx) -> bytes:
    """The signing certificate expired before the validation time (no POE)."""
    n = c.pki.now
    s = c.pki.issue(
        "Expired Signer", not_before=n - dt.timedelta(days=400), not_after=n - dt.timedelta(days=2)
    )
    return resign(c.plain, s.key, certs=[s.cert, c.pki.intermediate.cert])


def not_yet_valid_signer(c: Ctx) -> bytes:
    """The signing certificate is not valid yet at the validation time."""
    n = c.pki.now
    s = c.pki.issue(
        "Future Signer", not_before=n + dt.timedelta(days=5), not_after=n + dt.timedelta(days=50)
    )
    return resign(c.plain, s.key, certs=[s.cert, c.pki.intermediate.cert])


def wrong_key_usage(c: Ctx) -> bytes:
    """The signing certificate is for key encipherment only."""
    s = c.pki.issue("Encipher Only", key_usage="encipher")
    return resign(c.plain, s.key, certs=[s.cert, c.pki.intermediate.cert])


def rsa1024(c: Ctx) -> bytes:
    """A properly chained signer with a 1024-bit RSA key."""
    s = c.pki.issue("Weak Key Signer", key=new_key("rsa1024"))
    return resign(c.plain, s.key, certs=[s.cert, c.pki.intermediate.cert])


def _digests_to(alg: DigestAlgorithm) -> Callable[..., None]:
    def f(root: etree._Element, sig: etree._Element) -> None:
        for dm in sig.iter(f"{D}DigestMethod"):
            dm.set("Algorithm", alg.value)
        cert = sig.find(f".//{X}CertDigest/{D}DigestValue")
        der = base64.b64decode(sig.find(f".//{D}X509Certificate").text or "")  # type: ignore[union-attr]
        cert.text = b64(hashlib.new(alg.hash_name, der).digest())  # type: ignore[union-attr]

    return f


def sha1_downgrade(c: Ctx) -> bytes:
    """RSA-SHA1 signature method and SHA-1 digests (downgrade to a broken hash)."""
    return resign(
        c.plain,
        c.key,
        algorithm=SignatureAlgorithm.RSA_SHA1,
        edit=_digests_to(DigestAlgorithm.SHA1),
    )


def md5_downgrade(c: Ctx) -> bytes:
    """RSA-MD5 signature method and MD5 digests."""
    return resign(
        c.plain, c.key, algorithm=SignatureAlgorithm.RSA_MD5, edit=_digests_to(DigestAlgorithm.MD5)
    )


def hmac_with_certificate(c: Ctx) -> bytes:
    """HMAC keyed with the (public) signing certificate: anyone can compute it."""
    der = c.pki.signer.cert.public_bytes(serialization.Encoding.DER)
    return resign(c.plain, None, algorithm=SignatureAlgorithm.HMAC_SHA256, hmac_key=der)


# ---------------------------------------------------------------------------------------------
# Tampering, removal, sizes


def tamper_content(c: Ctx) -> bytes:
    """One character of the signed content changed."""
    return c.edoc.replace(b"<ec:ID>", b"<ec:ID>X", 1)


def tamper_signed_properties(c: Ctx) -> bytes:
    """The signing time inside SignedProperties changed."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        st = sig.find(f".//{X}SigningTime")
        st.text = "2001-01-01T00:00:00Z"  # type: ignore[union-attr]

    return _edit(c.edoc, f)


def tamper_signed_info(c: Ctx) -> bytes:
    """Forged content with the document digest in SignedInfo updated to match it (the attacker
    cannot re-sign, so SignedInfo no longer matches its signature value)."""
    tree = etree.ElementTree(_tree(c.plain))
    root = tree.getroot()
    root[1].text = "1.00"
    sig = signatures(root)[0]
    ref = _doc_ref(sig)
    value = digest_tree(
        tree,
        C14N.EXC,
        DigestAlgorithm(ref.find(f"{D}DigestMethod").get("Algorithm")),  # type: ignore[union-attr, arg-type]
        [sig],
    )
    ref.find(f"{D}DigestValue").text = b64(value)  # type: ignore[union-attr]
    return _out(root)


def tamper_signature_value(c: Ctx) -> bytes:
    """One byte of the signature value flipped."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        sv = sig.find(f"{D}SignatureValue")
        raw = bytearray(base64.b64decode(sv.text or ""))  # type: ignore[union-attr]
        raw[10] ^= 1
        sv.text = b64(bytes(raw))  # type: ignore[union-attr]

    return _edit(c.edoc, f)


def signature_removed(c: Ctx) -> bytes:
    """The signature removed altogether."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        root.remove(sig)

    return _edit(c.edoc, f)


def signature_emptied(c: Ctx) -> bytes:
    """The signature element emptied."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        for child in list(sig):
            sig.remove(child)

    return _edit(c.edoc, f)


def huge_signature_value(c: Ctx) -> bytes:
    """A multi-megabyte base64 SignatureValue."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        sig.find(f"{D}SignatureValue").text = "QUFB" * 1_000_000  # type: ignore[union-attr]

    return _edit(c.edoc, f)


def huge_certificate(c: Ctx) -> bytes:
    """A multi-megabyte base64 X509Certificate."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        sig.find(f".//{D}X509Certificate").text = "QUFB" * 1_000_000  # type: ignore[union-attr]

    return _edit(c.edoc, f)


def huge_digest_value(c: Ctx) -> bytes:
    """A multi-megabyte base64 DigestValue."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        _doc_ref(sig).find(f"{D}DigestValue").text = "QUFB" * 1_000_000  # type: ignore[union-attr]

    return _edit(c.edoc, f)


def garbage_certificate(c: Ctx) -> bytes:
    """KeyInfo holds base64 that is not a certificate."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        sig.find(f".//{D}X509Certificate").text = b64(b"\x30\x82\xff\xff garbage")  # type: ignore[union-attr]

    return _edit(c.edoc, f)


def signing_certificate_swapped(c: Ctx) -> bytes:
    """The signer's key signs, but the signed SigningCertificateV2 names another certificate
    (the attacker signed with a key whose certificate differs from the one claimed)."""
    other = c.pki.issue("Other Signer")

    def f(root: etree._Element, sig: etree._Element) -> None:
        cd = sig.find(f".//{X}SigningCertificateV2/{X}Cert/{X}CertDigest/{D}DigestValue")
        cd.text = b64(hashlib.sha256(other.cert_der).digest())  # type: ignore[union-attr]

    return resign(c.edoc, c.key, edit=f)


def qualifying_properties_wrong_target(c: Ctx) -> bytes:
    """QualifyingProperties whose Target names another signature."""

    def f(root: etree._Element, sig: etree._Element) -> None:
        qp = sig.find(f"{D}Object/{X}QualifyingProperties")
        qp.set("Target", "#someone-else")  # type: ignore[union-attr]

    return resign(c.edoc, c.key, edit=f)


def plain_xmldsig_under_bb(c: Ctx) -> bytes:
    """A plain XMLDSig signature presented where XAdES B-B is required."""
    return c.xmldsig


def dtd_entity(c: Ctx) -> bytes:
    """A DTD declaring an entity (XXE / billion laughs)."""
    return c.edoc.replace(b"?>", b'?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', 1)


CASES: list[tuple[Callable[[Ctx], bytes], Indication, SubIndication]] = [
    (wrap_content_into_object, TF, S.FORMAT_FAILURE),
    (wrap_original_next_to_signature, TF, S.FORMAT_FAILURE),
    (wrap_duplicated_root_content, TF, S.HASH_FAILURE),
    (wrap_document_in_new_root, TF, S.FORMAT_FAILURE),
    (wrap_signature_moved_into_content, TF, S.FORMAT_FAILURE),
    (wrap_content_into_unsigned_properties, TF, S.HASH_FAILURE),
    (wrap_second_signature_inside_object, TF, S.FORMAT_FAILURE),
    (second_signature_copy, TF, S.FORMAT_FAILURE),
    (second_signed_info, TF, S.FORMAT_FAILURE),
    (pi_injection, TF, S.FORMAT_FAILURE),
    (duplicate_ids, TF, S.FORMAT_FAILURE),
    (duplicate_ids_signed, TF, S.FORMAT_FAILURE),
    (partial_reference, TF, S.FORMAT_FAILURE),
    (extra_reference, TF, S.FORMAT_FAILURE),
    (xpath_transform, TF, S.FORMAT_FAILURE),
    (xslt_transform, TF, S.FORMAT_FAILURE),
    (filter2_intersect, TF, S.FORMAT_FAILURE),
    (filter2_subtract_content, TF, S.FORMAT_FAILURE),
    (base64_transform, TF, S.FORMAT_FAILURE),
    (many_transforms, TF, S.FORMAT_FAILURE),
    (many_references, TF, S.FORMAT_FAILURE),
    (external_reference, TF, S.FORMAT_FAILURE),
    (file_reference, TF, S.FORMAT_FAILURE),
    (retrieval_method, TF, S.FORMAT_FAILURE),
    (keyvalue_only, IND, S.NO_SIGNING_CERTIFICATE_FOUND),
    (keyvalue_mismatch, TF, S.FORMAT_FAILURE),
    (untrusted_certificate, IND, S.NO_CERTIFICATE_CHAIN_FOUND),
    (lookalike_root, IND, S.NO_CERTIFICATE_CHAIN_FOUND),
    (intermediate_not_ca, IND, S.CHAIN_CONSTRAINTS_FAILURE),
    (expired_signer, IND, S.OUT_OF_BOUNDS_NO_POE),
    (not_yet_valid_signer, IND, S.NOT_YET_VALID),
    (wrong_key_usage, IND, S.CHAIN_CONSTRAINTS_FAILURE),
    (rsa1024, IND, S.CRYPTO_CONSTRAINTS_FAILURE_NO_POE),
    (sha1_downgrade, IND, S.CRYPTO_CONSTRAINTS_FAILURE_NO_POE),
    (md5_downgrade, IND, S.CRYPTO_CONSTRAINTS_FAILURE_NO_POE),
    (hmac_with_certificate, TF, S.FORMAT_FAILURE),
    (tamper_content, TF, S.HASH_FAILURE),
    (tamper_signed_properties, TF, S.HASH_FAILURE),
    (tamper_signed_info, TF, S.SIG_CRYPTO_FAILURE),
    (tamper_signature_value, TF, S.SIG_CRYPTO_FAILURE),
    (signature_removed, TF, S.FORMAT_FAILURE),
    (signature_emptied, TF, S.FORMAT_FAILURE),
    (huge_signature_value, TF, S.FORMAT_FAILURE),
    (huge_certificate, TF, S.FORMAT_FAILURE),
    (huge_digest_value, TF, S.FORMAT_FAILURE),
    (garbage_certificate, TF, S.FORMAT_FAILURE),
    (signing_certificate_swapped, IND, S.NO_SIGNING_CERTIFICATE_FOUND),
    (qualifying_properties_wrong_target, TF, S.FORMAT_FAILURE),
    (plain_xmldsig_under_bb, IND, S.SIG_CONSTRAINTS_FAILURE),
    (dtd_entity, TF, S.FORMAT_FAILURE),
]


@pytest.fixture(scope="module")
def ctx(pki: TestPKI, rsa_signer: object) -> Ctx:
    from edocstd._level import Level

    return Ctx(
        pki=pki,
        edoc=sign(sample_xml(), rsa_signer),  # type: ignore[arg-type]
        plain=sign(PLAIN_XML, rsa_signer),  # type: ignore[arg-type]
        xmldsig=sign(PLAIN_XML, rsa_signer, level=Level.XMLDSIG),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def strict(trust: TrustStore) -> Verifier:
    """Default policy, with revocation not checked (revocation has its own tests) and no
    schema requirement (several attacks use a generic XML document)."""
    return Verifier(trust=trust, policy=Policy(revocation="none", require_schema=False))


@pytest.mark.parametrize(("build", "indication", "sub"), CASES, ids=[c[0].__name__ for c in CASES])
def test_attack_gets_the_exact_outcome_and_no_content(
    build: Callable[[Ctx], bytes],
    indication: Indication,
    sub: SubIndication,
    ctx: Ctx,
    strict: Verifier,
) -> None:
    data = build(ctx)
    report = strict.assess(data)
    assert (report.indication, report.sub_indication) == (indication, sub), report.summary_en()
    assert report.message_en and report.message_th
    with pytest.raises(VerificationError) as info:
        strict.verify(data)
    assert info.value.report.sub_indication is sub


def test_genuine_inputs_of_the_suite_pass(ctx: Ctx, strict: Verifier) -> None:
    # The suite's baselines verify, so every failure above is caused by the attack itself.
    assert_verifies(ctx.edoc, strict)
    assert_verifies(ctx.plain, strict)
    lenient = Verifier(trust=strict.trust, policy=Policy(revocation="none", min_level=None))
    assert_verifies(ctx.xmldsig, lenient)


def test_forger_output_verifies_when_nothing_hostile_is_done(ctx: Ctx, strict: Verifier) -> None:
    # Guards the suite against a broken forger (which would make every re-signed case fail
    # for the wrong reason).
    assert_verifies(resign(ctx.plain, ctx.key), strict)
    assert_verifies(resign(ctx.edoc, ctx.key), strict)


@pytest.mark.parametrize("build", [sha1_downgrade, md5_downgrade])
def test_legacy_algorithms_pass_only_under_legacy_policy_and_are_flagged(
    build: Callable[[Ctx], bytes], ctx: Ctx, trust: TrustStore
) -> None:
    legacy = Verifier(
        trust=trust, policy=Policy(revocation="none", require_schema=False, allow_legacy=True)
    )
    report = assert_verifies(build(ctx), legacy).report
    assert report.signatures[0].legacy
    assert "legacy" in report.summary_en()


def test_rsa1024_fails_even_under_legacy_policy(ctx: Ctx, trust: TrustStore) -> None:
    legacy = Verifier(
        trust=trust, policy=Policy(revocation="none", require_schema=False, allow_legacy=True)
    )
    assert legacy.assess(rsa1024(ctx)).sub_indication is S.CRYPTO_CONSTRAINTS_FAILURE_NO_POE


def test_comment_injection_verifies_but_returned_content_has_no_comment(
    ctx: Ctx, verifier: Verifier
) -> None:
    # Comments are not part of the canonical form, so the signature still holds; what the
    # caller receives must be what was signed, without the injected comment.
    data = ctx.edoc.replace(b"<ec:ID>", b"<ec:ID><!--injected-->", 1)
    assert b"injected" in data
    verified = assert_verifies(data, verifier)
    assert b"injected" not in verified.signed_bytes
    assert "injected" not in etree.tostring(verified.tree).decode()
    assert verified.document is not None


def test_comment_inside_text_is_not_part_of_returned_text(ctx: Ctx, lenient: Verifier) -> None:
    data = ctx.plain.replace(b">INV-0001<", b">INV-<!--evil-->0001<", 1)
    verified = assert_verifies(data, lenient)
    number = verified.tree.getroot()[0]
    assert number.text == "INV-0001"
    assert len(number) == 0


def test_keyinfo_certificates_do_not_add_trust(ctx: Ctx, pki: TestPKI) -> None:
    # Trusting only the intermediate's sibling root (another PKI) must not be rescued by
    # the document shipping our root in KeyInfo.
    other = TestPKI.generate()
    v = Verifier(trust=TrustStore.from_pem(other.trust_pem()), policy=Policy(revocation="none"))
    data = resign(ctx.edoc, ctx.key, certs=[pki.signer.cert, pki.intermediate.cert, pki.root.cert])
    assert v.assess(data).sub_indication is S.NO_CERTIFICATE_CHAIN_FOUND
