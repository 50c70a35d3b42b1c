"""Building the XMLDSig core of an EDOC signature (EDOC-1.0 §4.1).

The shape is fixed: one ``ds:SignedInfo`` with exactly these references,

1. ``URI=""`` (the whole document) with the enveloped-signature transform, then — for
   signatures that allow co-signing — an XPath Filter 2.0 ``subtract`` of every
   ``ds:Signature``, then one canonicalization transform;
2. ``URI="#<SignedProperties Id>"`` with ``Type=".../01903#SignedProperties"`` and one
   canonicalization transform (left out for plain XMLDSig signatures);

then ``ds:SignatureValue``, ``ds:KeyInfo/ds:X509Data`` (signing certificate first, then the
chain) and, for XAdES, one ``ds:Object`` holding the qualifying properties.

Why the Filter 2.0 ``subtract`` matters: the enveloped-signature transform removes only the
signature that contains it. A second signature appended later is part of what the first one
covered, so it would break the first one — unless the first one also subtracted every
``ds:Signature``. Whether a signature leaves room for co-signers is therefore decided when it
is made, and cannot be changed afterwards (see :class:`Cosign`).

Elements are built compact (no indentation whitespace), so no formatting text ever ends up
inside the signature.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from edocstd._ns import DS, DS_SIGNATURE, SIGNED_PROPERTIES_TYPE, XADES, XPATH_FILTER2
from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm, Transform
from edocstd.sign._signer import certificate_base64

__all__ = [
    "SUBTRACT_SIGNATURES_XPATH",
    "Cosign",
    "SignatureParts",
    "allows_cosigning",
    "build_signature",
    "top_level_signatures",
]

_D = f"{{{DS}}}"
_F = f"{{{XPATH_FILTER2}}}"

SUBTRACT_SIGNATURES_XPATH = "/descendant::ds:Signature"
"""The XPath Filter 2.0 expression edocstd writes: every ``ds:Signature`` in the document."""

# Expressions recognised as "every ds:Signature" in existing signatures (with ``ds`` bound to
# the XMLDSig namespace). Anything else is not trusted to keep a co-signature harmless.
_SUBTRACT_ALL = frozenset({SUBTRACT_SIGNATURES_XPATH, "//ds:Signature"})


class Cosign(enum.Enum):
    """Whether a signature leaves room for parallel signatures (co-signers) added later.

    EDOC-1.0 §4.1 asks for an XPath Filter 2.0 ``subtract`` of all signatures when a document
    carries more than one. The filter has to be in *every* signature from the first one on:
    the enveloped transform alone only removes the signature that holds it, so a signature made
    without the filter is broken by any later signature.
    """

    AUTO = "auto"
    """``FORBID`` on an unsigned document; ``ALLOW`` when joining existing signatures (which
    must all allow co-signing, or signing fails rather than break them)."""
    ALLOW = "allow"
    """Carry the ``subtract`` filter, so more signatures can be added later. Some older
    verifiers lack XPath Filter 2.0 and cannot check such a signature."""
    FORBID = "forbid"
    """A single signature with the enveloped transform only: the widest interoperability, but
    any signature added later invalidates this one. Refused on an already signed document."""


@dataclass(frozen=True, slots=True)
class SignatureParts:
    """The elements of a freshly built ``ds:Signature`` that signing fills in later."""

    signature: etree._Element
    signed_info: etree._Element
    signature_value: etree._Element
    properties_digest_value: etree._Element | None
    """``DigestValue`` of the SignedProperties reference (``None`` for plain XMLDSig)."""
    signed_properties: etree._Element | None = None
    """``xades:SignedProperties`` (``None`` for plain XMLDSig)."""


def top_level_signatures(root: etree._Element) -> list[etree._Element]:
    """Every ``ds:Signature`` in the document that is not inside another ``ds:Signature``."""
    out = []
    for sig in root.iter(DS_SIGNATURE):
        if not any(anc.tag == DS_SIGNATURE for anc in sig.iterancestors()):
            out.append(sig)
    return out


def allows_cosigning(signature: etree._Element) -> bool:
    """True when the whole-document reference of ``signature`` subtracts every signature.

    Only the XPath Filter 2.0 ``subtract`` of all ``ds:Signature`` elements counts: it is what
    keeps ``signature`` valid when another signature is appended.
    """
    signed_info = signature.find(f"{_D}SignedInfo")
    if signed_info is None:
        return False
    for ref in signed_info.iterchildren(f"{_D}Reference"):
        if ref.get("URI") != "":
            continue
        for tr in ref.iterfind(f"{_D}Transforms/{_D}Transform"):
            if tr.get("Algorithm") != Transform.XPATH_FILTER2.value:
                continue
            for xp in tr.iterchildren(f"{_F}XPath"):
                expr = (xp.text or "").strip()
                if xp.get("Filter") != "subtract" or expr not in _SUBTRACT_ALL:
                    continue
                if xp.nsmap.get("ds") == DS:
                    return True
    return False


def _transform(parent: etree._Element, algorithm: str) -> etree._Element:
    return etree.SubElement(parent, f"{_D}Transform", Algorithm=algorithm)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def build_signature(
    *,
    signature_id: str,
    signature_value_id: str,
    document_reference_id: str,
    algorithm: SignatureAlgorithm,
    c14n: C14N,
    digest: DigestAlgorithm,
    document_digest: bytes,
    subtract_signatures: bool,
    certificates: Sequence[x509.Certificate],
    signed_properties_id: str | None,
    qualifying_properties: etree._Element | None,
) -> SignatureParts:
    """Build a complete ``ds:Signature`` (not yet in a tree) with an empty ``SignatureValue``.

    The SignedProperties digest (when there is one) is left empty too: it can only be computed
    once the signature sits in the document, because inclusive canonicalization takes the
    namespaces in scope there into account.
    """
    sig = etree.Element(DS_SIGNATURE, nsmap={"ds": DS}, Id=signature_id)
    si = etree.SubElement(sig, f"{_D}SignedInfo")
    etree.SubElement(si, f"{_D}CanonicalizationMethod", Algorithm=c14n.value)
    etree.SubElement(si, f"{_D}SignatureMethod", Algorithm=algorithm.value)

    ref = etree.SubElement(si, f"{_D}Reference", Id=document_reference_id, URI="")
    transforms = etree.SubElement(ref, f"{_D}Transforms")
    _transform(transforms, Transform.ENVELOPED.value)
    if subtract_signatures:
        xp_transform = _transform(transforms, Transform.XPATH_FILTER2.value)
        xp = etree.SubElement(
            xp_transform, f"{_F}XPath", nsmap={"dsig-xpath": XPATH_FILTER2}, Filter="subtract"
        )
        xp.text = SUBTRACT_SIGNATURES_XPATH
    _transform(transforms, c14n.value)
    etree.SubElement(ref, f"{_D}DigestMethod", Algorithm=digest.value)
    etree.SubElement(ref, f"{_D}DigestValue").text = _b64(document_digest)

    props_digest: etree._Element | None = None
    if signed_properties_id is not None:
        ref2 = etree.SubElement(
            si, f"{_D}Reference", Type=SIGNED_PROPERTIES_TYPE, URI=f"#{signed_properties_id}"
        )
        transforms2 = etree.SubElement(ref2, f"{_D}Transforms")
        _transform(transforms2, c14n.value)
        etree.SubElement(ref2, f"{_D}DigestMethod", Algorithm=digest.value)
        props_digest = etree.SubElement(ref2, f"{_D}DigestValue")

    value = etree.SubElement(sig, f"{_D}SignatureValue", Id=signature_value_id)

    key_info = etree.SubElement(sig, f"{_D}KeyInfo")
    x509_data = etree.SubElement(key_info, f"{_D}X509Data")
    for cert in certificates:
        etree.SubElement(x509_data, f"{_D}X509Certificate").text = certificate_base64(cert)

    signed_properties: etree._Element | None = None
    if qualifying_properties is not None:
        obj = etree.SubElement(sig, f"{_D}Object")
        obj.append(qualifying_properties)
        signed_properties = qualifying_properties.find(f"{{{XADES}}}SignedProperties")
    return SignatureParts(sig, si, value, props_digest, signed_properties)


def set_signature_value(parts: SignatureParts, value: bytes) -> None:
    """Write the signature value (base64, one line) into ``ds:SignatureValue``."""
    parts.signature_value.text = _b64(value)
