"""XAdES qualifying properties (ETSI EN 319 132-1), baseline B-B, and the hook for later levels.

What B-B puts under ``xades:QualifyingProperties/xades:SignedProperties``:

* ``SignedSignatureProperties``: ``SigningTime`` (with its UTC offset), ``SigningCertificateV2``
  (certificate digest and the DER ``IssuerSerialV2``), optionally ``SignerRoleV2/ClaimedRoles``;
* ``SignedDataObjectProperties``: ``DataObjectFormat`` (``text/xml``) for the document reference,
  optionally ``CommitmentTypeIndication``.

B-T, B-LT and B-LTA only ever *add* unsigned properties to a finished signature;
:func:`unsigned_signature_properties` finds or creates the container they go into, so that
augmentation code never has to know how B-B laid the signature out.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import functools
import hashlib

from asn1crypto import x509 as asn1_x509
from asn1crypto.tsp import IssuerSerial
from cryptography import x509
from lxml import etree

from edocstd._ns import DS, XADES
from edocstd.sign._algorithms import DigestAlgorithm
from edocstd.sign._signer import certificate_der

__all__ = [
    "Commitment",
    "build_qualifying_properties",
    "format_signing_time",
    "issuer_serial_v2",
    "qualifying_properties",
    "unsigned_signature_properties",
]

_X = f"{{{XADES}}}"
_D = f"{{{DS}}}"


class Commitment(enum.Enum):
    """ETSI commitment types (ETSI TS 119 172-1 / XAdES): what the signer commits to.

    Values are the identifier URIs written into ``xades:CommitmentTypeIndication``.
    """

    PROOF_OF_ORIGIN = "http://uri.etsi.org/01903/v1.2.2#ProofOfOrigin"
    """The signer created and approves the content (typical for an issuing agency)."""
    PROOF_OF_RECEIPT = "http://uri.etsi.org/01903/v1.2.2#ProofOfReceipt"
    """The signer received the content."""
    PROOF_OF_DELIVERY = "http://uri.etsi.org/01903/v1.2.2#ProofOfDelivery"
    """A trusted service delivered the content to the recipient."""
    PROOF_OF_SENDER = "http://uri.etsi.org/01903/v1.2.2#ProofOfSender"
    """The signer sent the content (not necessarily created it)."""
    PROOF_OF_APPROVAL = "http://uri.etsi.org/01903/v1.2.2#ProofOfApproval"
    """The signer approves the content."""
    PROOF_OF_CREATION = "http://uri.etsi.org/01903/v1.2.2#ProofOfCreation"
    """The signer created the content (not necessarily approves it)."""


def format_signing_time(when: dt.datetime) -> str:
    """``xs:dateTime`` with the offset of ``when`` kept, at whole seconds (``…+07:00``).

    UTC is written as ``Z``. A naive datetime is refused by the caller before this point.
    """
    text = when.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@functools.lru_cache(maxsize=256)
def issuer_serial_v2(cert: x509.Certificate) -> bytes:
    """DER of the RFC 5035 ``IssuerSerial`` of ``cert``, as ``xades:IssuerSerialV2`` wants it.

    ``issuer`` is a ``GeneralNames`` with one ``directoryName`` holding the issuer's name exactly
    as encoded in the certificate (re-encoding could change string types and break matching).
    """
    parsed = asn1_x509.Certificate.load(certificate_der(cert))
    tbs = parsed["tbs_certificate"]
    issuer = asn1_x509.GeneralNames(
        [asn1_x509.GeneralName(name="directory_name", value=tbs["issuer"])]
    )
    return bytes(IssuerSerial({"issuer": issuer, "serial_number": tbs["serial_number"]}).dump())


def _digest_method(parent: etree._Element, tag: str, digest: DigestAlgorithm, value: bytes) -> None:
    holder = etree.SubElement(parent, tag)
    etree.SubElement(holder, f"{_D}DigestMethod", Algorithm=digest.value)
    etree.SubElement(holder, f"{_D}DigestValue").text = base64.b64encode(value).decode("ascii")


def build_qualifying_properties(
    *,
    signature_id: str,
    signed_properties_id: str,
    document_reference_id: str,
    signing_time: dt.datetime,
    certificate: x509.Certificate,
    digest: DigestAlgorithm,
    roles: tuple[str, ...] = (),
    commitment: Commitment | None = None,
) -> etree._Element:
    """A ``xades:QualifyingProperties`` element for a B-B signature (not yet in a tree).

    The element declares the ``xades`` prefix itself; ``ds`` comes from the enclosing
    ``ds:Signature``.
    """
    qp = etree.Element(
        f"{_X}QualifyingProperties", nsmap={"xades": XADES}, Target=f"#{signature_id}"
    )
    sp = etree.SubElement(qp, f"{_X}SignedProperties", Id=signed_properties_id)
    ssp = etree.SubElement(sp, f"{_X}SignedSignatureProperties")
    etree.SubElement(ssp, f"{_X}SigningTime").text = format_signing_time(signing_time)
    scv2 = etree.SubElement(ssp, f"{_X}SigningCertificateV2")
    cert_el = etree.SubElement(scv2, f"{_X}Cert")
    cert_digest = _hash(digest, certificate_der(certificate))
    _digest_method(cert_el, f"{_X}CertDigest", digest, cert_digest)
    etree.SubElement(cert_el, f"{_X}IssuerSerialV2").text = base64.b64encode(
        issuer_serial_v2(certificate)
    ).decode("ascii")
    if roles:
        role_el = etree.SubElement(ssp, f"{_X}SignerRoleV2")
        claimed = etree.SubElement(role_el, f"{_X}ClaimedRoles")
        for role in roles:
            etree.SubElement(claimed, f"{_X}ClaimedRole").text = role
    sdop = etree.SubElement(sp, f"{_X}SignedDataObjectProperties")
    dof = etree.SubElement(
        sdop, f"{_X}DataObjectFormat", ObjectReference=f"#{document_reference_id}"
    )
    etree.SubElement(dof, f"{_X}MimeType").text = "text/xml"
    if commitment is not None:
        cti = etree.SubElement(sdop, f"{_X}CommitmentTypeIndication")
        ctid = etree.SubElement(cti, f"{_X}CommitmentTypeId")
        etree.SubElement(ctid, f"{_X}Identifier").text = commitment.value
        etree.SubElement(cti, f"{_X}AllSignedDataObjects")
    return qp


def _hash(digest: DigestAlgorithm, data: bytes) -> bytes:
    return hashlib.new(digest.hash_name, data).digest()


def qualifying_properties(signature: etree._Element) -> etree._Element | None:
    """The ``xades:QualifyingProperties`` of ``signature`` (in any of its ``ds:Object``s)."""
    for obj in signature.iterchildren(f"{_D}Object"):
        for qp in obj.iterchildren(f"{_X}QualifyingProperties"):
            return qp
    return None


def unsigned_signature_properties(signature: etree._Element) -> etree._Element:
    """The ``UnsignedSignatureProperties`` container of ``signature``, created when missing.

    This is the one extension point for B-T, B-LT and B-LTA: each appends its properties
    (``SignatureTimeStamp``, ``CertificateValues``, ``RevocationValues``,
    ``xades141:ArchiveTimeStamp`` …) in order, as children of the returned element. Nothing under
    ``SignedProperties`` changes, so the signature value stays valid.
    Raises :class:`ValueError` when ``signature`` has no XAdES properties (plain XMLDSig).
    """
    qp = qualifying_properties(signature)
    if qp is None:
        raise ValueError("the signature has no xades:QualifyingProperties (it is plain XMLDSig)")
    up = qp.find(f"{_X}UnsignedProperties")
    if up is None:
        up = etree.SubElement(qp, f"{_X}UnsignedProperties")
    usp = up.find(f"{_X}UnsignedSignatureProperties")
    if usp is None:
        # UnsignedSignatureProperties comes before UnsignedDataObjectProperties.
        usp = etree.Element(f"{_X}UnsignedSignatureProperties")
        up.insert(0, usp)
    return usp
