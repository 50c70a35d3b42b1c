"""Pinning the shape of a signature before any cryptography runs (EDOC-1.0 §4.1).

Signature wrapping and its relatives work by making a verifier check one thing and return
another. The defence here is to accept exactly one shape and refuse everything else *before*
hashing or verifying anything:

* every ``ds:Signature`` is a trailing child of the root element, and nowhere else;
* no ``Id``/``ID``/``id``/``xml:id`` value appears twice in the document;
* one ``SignedInfo`` with exactly the references of §4.1: ``URI=""`` over the whole document
  (enveloped transform, optionally the XPath Filter 2.0 ``subtract`` of every signature,
  optionally one canonicalization) and, for XAdES, ``URI="#id"`` typed SignedProperties that
  resolves to the SignedProperties inside *this* signature's QualifyingProperties, whose
  ``Target`` names this signature;
* no XSLT, no XPath 1.0, no external or ``file:`` URI, no ``RetrievalMethod``, no other
  transform, no ``ds:Object`` other than the one holding the qualifying properties;
* one extension of §4.1, for interoperability with producers that sign their key information
  (signxml's XAdES signer, DSS and xades4j with "sign KeyInfo"): a third reference, untyped,
  whose target is this signature's own ``ds:KeyInfo``, with no transform but one
  canonicalization. It covers nothing of the content and nothing is read from it beyond what
  ``KeyInfo`` gives anyway (certificates, which are validated on their own), so it cannot widen
  what the caller receives;
* bounded sizes: counts of references, transforms and certificates, and the length of every
  base64 value are checked before anything is decoded, so a hostile input is refused fast.

The result is a :class:`SignatureShape`: plain data the verifier works from, so the rest of the
verifier never walks the untrusted tree with open-ended queries.
"""

from __future__ import annotations

import binascii
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from edocstd._level import Level
from edocstd._ns import (
    DS,
    DS_SIGNATURE,
    DSIG11,
    SIGNED_PROPERTIES_TYPE,
    XADES,
    XADES141,
    XPATH_FILTER2,
)
from edocstd.sign._algorithms import (
    C14N,
    DigestAlgorithm,
    KeyType,
    SignatureAlgorithm,
    Transform,
)
from edocstd.verify._report import SubIndication

__all__ = [
    "MAX_CERTIFICATES",
    "CertRef",
    "ShapeError",
    "SignatureShape",
    "check_document",
    "read_signature",
]

_D = f"{{{DS}}}"
_X = f"{{{XADES}}}"
_X141 = f"{{{XADES141}}}"
_X_CRLValues = f"{_X}CRLValues"
_X_Cert = f"{_X}Cert"
_X_CertDigest = f"{_X}CertDigest"
_X_CertificateValues = f"{_X}CertificateValues"
_X_EncapsulatedCRLValue = f"{_X}EncapsulatedCRLValue"
_X_EncapsulatedOCSPValue = f"{_X}EncapsulatedOCSPValue"
_X_IssuerSerial = f"{_X}IssuerSerial"
_X_IssuerSerialV2 = f"{_X}IssuerSerialV2"
_X_OCSPValues = f"{_X}OCSPValues"
_X_QualifyingProperties = f"{_X}QualifyingProperties"
_X_RevocationValues = f"{_X}RevocationValues"
_X_SignatureTimeStamp = f"{_X}SignatureTimeStamp"
_X_SignedDataObjectProperties = f"{_X}SignedDataObjectProperties"
_X_SignedProperties = f"{_X}SignedProperties"
_X_SignedSignatureProperties = f"{_X}SignedSignatureProperties"
_X_SigningCertificate = f"{_X}SigningCertificate"
_X_SigningCertificateV2 = f"{_X}SigningCertificateV2"
_X_SigningTime = f"{_X}SigningTime"
_X_UnsignedProperties = f"{_X}UnsignedProperties"
_X_UnsignedSignatureProperties = f"{_X}UnsignedSignatureProperties"
_D_CanonicalizationMethod = f"{_D}CanonicalizationMethod"
_D_DigestMethod = f"{_D}DigestMethod"
_D_DigestValue = f"{_D}DigestValue"
_D_KeyInfo = f"{_D}KeyInfo"
_D_KeyName = f"{_D}KeyName"
_D_KeyValue = f"{_D}KeyValue"
_D_Object = f"{_D}Object"
_D_Reference = f"{_D}Reference"
_D_RetrievalMethod = f"{_D}RetrievalMethod"
_D_SignatureMethod = f"{_D}SignatureMethod"
_D_SignatureValue = f"{_D}SignatureValue"
_D_SignedInfo = f"{_D}SignedInfo"
_D_Transform = f"{_D}Transform"
_D_Transforms = f"{_D}Transforms"
_F = f"{{{XPATH_FILTER2}}}"
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_EXC_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"
# Attributes live on elements only, so stepping through elements (rather than "//", which also
# visits every text node) finds the same attributes; measured a quarter faster on a licence.
_ID_VALUES = etree.XPath(
    "/descendant-or-self::*/@Id | /descendant-or-self::*/@ID"
    " | /descendant-or-self::*/@id | /descendant-or-self::*/@xml:id",
    namespaces={"xml": "http://www.w3.org/XML/1998/namespace"},
    smart_strings=True,
)

MAX_REFERENCES = 3
MAX_TRANSFORMS = 3
MAX_CERTIFICATES = 16
MAX_CERT_B64 = 64 * 1024
MAX_SIGVALUE_B64 = 2048
MAX_DIGEST_B64 = 128
MAX_KEYVALUE_B64 = 2048
MAX_REVOCATION_VALUES = 64
MAX_REVOCATION_B64 = 4 * 1024 * 1024
# A B-LTA is re-stamped every few years; 32 time-stamps cover well over a century. Each one
# costs a path validation, so a document must not be able to ask for thousands.
MAX_TIMESTAMPS = 32
# Certificates, CRLs and OCSP responses anywhere in the unsigned properties (including
# TimeStampValidationData): each may be checked against every certificate of several paths.
MAX_VALIDATION_VALUES = 256

_DIGEST_SIZES = {d: d.hash().digest_size for d in DigestAlgorithm}
_ENVELOPED = Transform.ENVELOPED.value
_XPATH_FILTER2 = Transform.XPATH_FILTER2.value

# Plain dictionaries: looking enums up by value through ``Enum(value)`` is several times slower,
# and these lookups run for every signature.
_C14N_BY_URI = {m.value: m for m in C14N}
_DIGEST_BY_URI = {d.value: d for d in DigestAlgorithm}
_SIGNATURE_BY_URI = {a.value: a for a in SignatureAlgorithm}


def lookup_c14n(uri: str) -> C14N | None:
    """The canonicalization method for ``uri``, or ``None``."""
    return _C14N_BY_URI.get(uri)


def lookup_digest(uri: str) -> DigestAlgorithm | None:
    """The digest method for ``uri``, or ``None``."""
    return _DIGEST_BY_URI.get(uri)


def lookup_signature(uri: str) -> SignatureAlgorithm | None:
    """The signature method for ``uri``, or ``None``."""
    return _SIGNATURE_BY_URI.get(uri)


# Expressions recognised as "every ds:Signature" (with the prefix bound to XMLDSig).
_SUBTRACT_ALL_FORMS = ("/descendant::{p}:Signature", "//{p}:Signature")


class ShapeError(Exception):
    """The signature does not have the one accepted shape.

    Carries the sub-indication and the reason in English and Thai.
    """

    def __init__(
        self,
        message_en: str,
        message_th: str,
        sub: SubIndication = SubIndication.FORMAT_FAILURE,
    ) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_th = message_th
        self.sub = sub


@dataclass(frozen=True, slots=True)
class CertRef:
    """One ``Cert`` of ``SigningCertificate``/``SigningCertificateV2``."""

    digest: DigestAlgorithm
    value: bytes
    issuer_name: str | None = None
    serial: int | None = None
    issuer_serial_v2: bytes | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """A checked ``ds:Reference``."""

    digest: DigestAlgorithm
    value: bytes
    c14n: C14N
    inclusive_prefixes: tuple[str, ...] | None
    subtract_all: bool = False


@dataclass(slots=True)
class SignatureShape:
    """Everything the verifier needs from one ``ds:Signature``, read once and checked."""

    element: etree._Element
    signature_id: str | None
    signed_info: etree._Element
    c14n: C14N
    c14n_prefixes: tuple[str, ...] | None
    algorithm: SignatureAlgorithm
    signature_value: bytes
    document_ref: Reference
    properties_ref: Reference | None
    signed_properties: etree._Element | None
    key_info_ref: Reference | None
    key_info: etree._Element | None
    certificates: tuple[bytes, ...]
    key_value: etree._Element | None
    level: Level
    signing_time: dt.datetime | None = None
    signing_time_text: str | None = None
    cert_refs: tuple[CertRef, ...] = ()
    cert_ref_version: int = 0
    embedded_crls: tuple[bytes, ...] = ()
    embedded_ocsps: tuple[bytes, ...] = ()
    timestamped: bool = False
    """The signature carries at least one signature or archive time-stamp."""
    notes_en: list[str] = field(default_factory=list)
    notes_th: list[str] = field(default_factory=list)

    def digests(self) -> tuple[DigestAlgorithm, ...]:
        """Every digest algorithm the signature relies on."""
        out = [self.document_ref.digest]
        if self.properties_ref is not None:
            out.append(self.properties_ref.digest)
        if self.key_info_ref is not None:
            out.append(self.key_info_ref.digest)
        out.extend(c.digest for c in self.cert_refs)
        if self.algorithm.digest is not None:
            out.append(self.algorithm.digest)
        return tuple(dict.fromkeys(out))


def _fail(en: str, th: str, sub: SubIndication = SubIndication.FORMAT_FAILURE) -> ShapeError:
    return ShapeError(en, th, sub)


# --------------------------------------------------------------------------------------------
# The document as a whole


def check_document(
    root: etree._Element,
) -> tuple[list[etree._Element], dict[str, etree._Element]]:
    """Check placement of signatures and uniqueness of IDs.

    Returns the signatures in document order and the index of every ID value.

    Raises :class:`ShapeError` when a ``ds:Signature`` is anywhere but among the trailing
    children of the root, or when an ID value is used twice.
    """
    if root.tag == DS_SIGNATURE:
        raise _fail(
            "the root element is a ds:Signature (enveloping signature); only enveloped "
            "signatures over the whole document are accepted",
            "องค์ประกอบรากเป็น ds:Signature (ลายมือชื่อแบบห่อหุ้ม) ซึ่งไม่รองรับ "
            "รับเฉพาะลายมือชื่อแบบฝังในเอกสารที่ครอบคลุมทั้งเอกสาร",
        )
    seen: dict[str, etree._Element] = {}
    # XPath runs in C; walking every element in Python would dominate small documents.
    found = _ID_VALUES(root)
    assert isinstance(found, list)
    for value in found:
        assert isinstance(value, etree._ElementUnicodeResult)
        if value in seen:
            raise _fail(
                f"the ID {str(value)[:200]!r} is used more than once in the document; "
                "references to it would be ambiguous",
                f"มีการใช้ ID {str(value)[:200]!r} ซ้ำกันมากกว่าหนึ่งครั้งในเอกสาร ทำให้การอ้างอิงกำกวม",
            )
        owner = value.getparent()
        assert owner is not None
        seen[str(value)] = owner
    signatures = list(root.iter(DS_SIGNATURE))
    # The signatures must be exactly the trailing element children of the root.
    trailing: list[etree._Element] = []
    for child in reversed(root):
        if not isinstance(child.tag, str):
            continue  # comments between or after signatures carry no meaning
        if child.tag != DS_SIGNATURE:
            break
        trailing.append(child)
    trailing.reverse()
    if len(trailing) != len(signatures) or any(
        a is not b for a, b in zip(trailing, signatures, strict=True)
    ):
        raise _fail(
            "a ds:Signature element is in an unexpected place: signatures must be the last "
            "children of the root element and appear nowhere else",
            "พบ ds:Signature ในตำแหน่งที่ไม่ถูกต้อง: ลายมือชื่อต้องเป็นองค์ประกอบลูกลำดับท้ายสุด"
            "ขององค์ประกอบรากเท่านั้น และต้องไม่ปรากฏที่อื่น",
        )
    return signatures, seen


# --------------------------------------------------------------------------------------------
# Small readers


_ELEMENT = etree._Element


def _elements(parent: etree._Element) -> list[etree._Element]:
    """Element children (comments skipped). Stray text between them is ignored: inside
    ``SignedInfo`` it is covered by the signature like everything else, and elsewhere nothing
    reads it."""
    # Slicing is one C call; the exact-type test below costs far less than filtering on tags.
    # Comments (and any other node kind) are instances of subclasses, so they take the slow
    # path, which filters exactly as before.
    # lxml-stubs type only integer indexing; a slice gives a list of the children.
    kids: list[etree._Element] = parent[:]  # type: ignore[index, assignment]
    for kid in kids:
        if type(kid) is not _ELEMENT:
            return list(parent.iterchildren(tag=etree.Element))
    return kids


def _local(el: etree._Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    qn = etree.QName(tag)
    prefix = "ds:" if qn.namespace == DS else "xades:" if qn.namespace == XADES else ""
    return prefix + qn.localname


def _unexpected(el: etree._Element, where: str) -> ShapeError:
    return _fail(
        f"unexpected element {_local(el)} in {where}",
        f"พบองค์ประกอบ {_local(el)} ที่ไม่อนุญาตใน {where}",
    )


def _b64(el: etree._Element, limit: int, what: str) -> bytes:
    text = el.text or ""
    if len(el):
        raise _fail(f"{what} must contain only base64 text", f"{what} ต้องมีเฉพาะข้อความ base64")
    if len(text) > limit:
        raise _fail(
            f"{what} is too large ({len(text)} characters; the limit is {limit})",
            f"{what} มีขนาดใหญ่เกินไป ({len(text)} อักขระ เกินขีดจำกัด {limit})",
        )
    compact = "".join(text.split())
    try:
        # strict_mode checks the alphabet and padding in C (b64decode's validate=True runs a
        # regular expression over the value first, which costs more than the decoding).
        return binascii.a2b_base64(compact, strict_mode=True)
    except (binascii.Error, ValueError):
        raise _fail(f"{what} is not valid base64", f"{what} ไม่ใช่ base64 ที่ถูกต้อง") from None


def _certificate_b64(el: etree._Element) -> bytes:
    text = el.text or ""
    if len(el) or len(text) > MAX_CERT_B64:
        return _b64(el, MAX_CERT_B64, "ds:X509Certificate")  # refuses, with the reason
    decoded = _cached_b64(text)
    if decoded is None:
        return _b64(el, MAX_CERT_B64, "ds:X509Certificate")
    return decoded


@functools.lru_cache(maxsize=256)
def _cached_b64(text: str) -> bytes | None:
    """Certificates repeat across the documents of one signer: decode each text once."""
    try:
        return binascii.a2b_base64("".join(text.split()), strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def _only_attrs(el: etree._Element, allowed: Sequence[str]) -> None:
    for raw in el.keys():  # noqa: SIM118 - keys() is one C call; iterating attrib is slower
        name = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        if name not in allowed:
            raise _fail(
                f"unexpected attribute {name} on {_local(el)}",
                f"พบแอตทริบิวต์ {name} ที่ไม่อนุญาตบน {_local(el)}",
            )


def _c14n_method(el: etree._Element, what: str) -> tuple[C14N, tuple[str, ...] | None]:
    uri = el.get("Algorithm", "")
    method = lookup_c14n(uri)
    if method is None:
        raise _fail(
            f"the canonicalization method {uri!r} in {what} is not allowed",
            f"วิธีการทำให้เป็นรูปแบบบัญญัติ {uri!r} ใน {what} ไม่ได้รับอนุญาต",
        )
    prefixes: tuple[str, ...] | None = None
    kids = _elements(el) if len(el) else []
    if kids:
        if (
            not method.exclusive
            or len(kids) != 1
            or kids[0].tag != f"{{{_EXC_NS}}}InclusiveNamespaces"
        ):
            raise _unexpected(kids[0], what)
        plist = kids[0].get("PrefixList", "")
        if len(plist) > 4096:
            raise _fail("InclusiveNamespaces PrefixList is too long", "PrefixList ยาวเกินไป")
        prefixes = tuple(p for p in plist.split() if p != "#default")
    return method, prefixes


def _digest_method(el: etree._Element) -> DigestAlgorithm:
    uri = el.get("Algorithm", "")
    alg = lookup_digest(uri)
    if alg is None or len(el):
        raise _fail(
            f"the digest method {uri!r} is not supported",
            f"ไม่รองรับวิธีการย่อยข้อมูล (digest) {uri!r}",
        )
    return alg


def _digest_value(el: etree._Element, alg: DigestAlgorithm, what: str) -> bytes:
    value = _b64(el, MAX_DIGEST_B64, what)
    if len(value) != _DIGEST_SIZES[alg]:
        raise _fail(
            f"{what} has the wrong length for {alg.hash_name}",
            f"{what} มีความยาวไม่ตรงกับ {alg.hash_name}",
        )
    return value


# --------------------------------------------------------------------------------------------
# One signature


def read_signature(sig: etree._Element, id_index: dict[str, etree._Element]) -> SignatureShape:
    """Check one ``ds:Signature`` and read it into a :class:`SignatureShape`.

    ``id_index`` maps every ID value in the document to its element (IDs are already known to
    be unique). Raises :class:`ShapeError` on anything outside the accepted shape.
    """
    _only_attrs(sig, ("Id",))
    sig_id = sig.get("Id")
    kids = _elements(sig)
    if not kids:
        raise _fail(
            "the ds:Signature element is empty",
            "องค์ประกอบ ds:Signature ว่างเปล่า",
        )
    names = [k.tag for k in kids]
    if names[0] != _D_SignedInfo or names.count(_D_SignedInfo) != 1:
        raise _fail(
            "a signature must have exactly one ds:SignedInfo, as its first child",
            "ลายมือชื่อต้องมี ds:SignedInfo เพียงหนึ่งเดียวและเป็นองค์ประกอบลูกลำดับแรก",
        )
    if len(kids) < 2 or names[1] != _D_SignatureValue:
        raise _fail(
            "ds:SignatureValue is missing or out of place",
            "ไม่พบ ds:SignatureValue หรืออยู่ผิดตำแหน่ง",
        )
    signed_info, sv_el = kids[0], kids[1]
    rest = kids[2:]
    key_info: etree._Element | None = None
    if rest and rest[0].tag == _D_KeyInfo:
        key_info = rest[0]
        rest = rest[1:]
    objects = []
    for el in rest:
        if el.tag != _D_Object:
            raise _unexpected(el, "ds:Signature")
        objects.append(el)

    # SignedInfo
    _only_attrs(signed_info, ("Id",))
    si_kids = _elements(signed_info)
    if len(si_kids) < 3:
        raise _fail("ds:SignedInfo is incomplete", "ds:SignedInfo ไม่ครบถ้วน")
    if si_kids[0].tag != _D_CanonicalizationMethod or si_kids[1].tag != _D_SignatureMethod:
        raise _fail(
            "ds:SignedInfo must start with CanonicalizationMethod and SignatureMethod",
            "ds:SignedInfo ต้องเริ่มด้วย CanonicalizationMethod และ SignatureMethod",
        )
    refs = si_kids[2:]
    if len(refs) > MAX_REFERENCES:
        raise _fail(
            f"ds:SignedInfo has {len(refs)} references; one (plain XMLDSig) or two (XAdES) "
            "are allowed, plus optionally one to the signature's own KeyInfo",
            f"ds:SignedInfo มีการอ้างอิง {len(refs)} รายการ อนุญาตเพียงหนึ่ง (XMLDSig) "
            "หรือสอง (XAdES) รายการ และอาจมีอีกหนึ่งรายการที่อ้างอิง KeyInfo ของลายมือชื่อนี้เอง",
        )
    for r in refs:
        if r.tag != _D_Reference:
            raise _unexpected(r, "ds:SignedInfo")
    c14n, c14n_prefixes = _c14n_method(si_kids[0], "ds:SignedInfo")
    algorithm = _signature_method(si_kids[1])

    sv_value = _b64(sv_el, MAX_SIGVALUE_B64, "ds:SignatureValue")
    _only_attrs(sv_el, ("Id",))
    if not sv_value:
        raise _fail("ds:SignatureValue is empty", "ds:SignatureValue ว่างเปล่า")

    doc_ref: Reference | None = None
    props_ref: Reference | None = None
    key_info_ref: Reference | None = None
    props_target: etree._Element | None = None
    for r in refs:
        uri = r.get("URI")
        if uri == "":
            if doc_ref is not None:
                raise _fail("two references to the whole document", "มีการอ้างอิงทั้งเอกสารซ้ำสองครั้ง")
            _only_attrs(r, ("URI", "Id"))
            doc_ref = _document_reference(r)
        elif uri is not None and uri.startswith("#") and len(uri) > 1:
            if props_ref is not None and r.get("Type") == SIGNED_PROPERTIES_TYPE:
                raise _fail(
                    "more than one reference to signed properties",
                    "มีการอ้างอิงคุณสมบัติที่ลงนามมากกว่าหนึ่งรายการ",
                )
            _only_attrs(r, ("URI", "Id", "Type"))
            target = id_index.get(uri[1:])
            if (
                r.get("Type") is None
                and key_info is not None
                and target is key_info
                and key_info_ref is None
            ):
                key_info_ref = _properties_reference(r)
                continue
            if r.get("Type") != SIGNED_PROPERTIES_TYPE:
                raise _fail(
                    f"the reference {uri!r} is not typed SignedProperties; only the whole "
                    "document and this signature's SignedProperties may be referenced",
                    f"การอ้างอิง {uri!r} ไม่ใช่ชนิด SignedProperties อนุญาตให้อ้างอิงได้เฉพาะ"
                    "ทั้งเอกสารและ SignedProperties ของลายมือชื่อนี้",
                )
            props_ref = _properties_reference(r)
            props_target = id_index.get(uri[1:])
            if props_target is None:
                raise _fail(
                    f"the reference {uri!r} points to nothing in the document",
                    f"การอ้างอิง {uri!r} ไม่ชี้ไปยังสิ่งใดในเอกสาร",
                    SubIndication.SIGNED_DATA_NOT_FOUND,
                )
        elif uri is None:
            raise _fail(
                "a reference without URI is not allowed",
                "ไม่อนุญาตการอ้างอิงที่ไม่มี URI",
            )
        else:
            raise _fail(
                f"the reference URI {uri[:200]!r} is not allowed: only the whole document "
                '(URI="") and this signature\'s SignedProperties ("#id") may be signed; '
                "external and file references are refused",
                f'ไม่อนุญาต URI อ้างอิง {uri[:200]!r}: ลงนามได้เฉพาะทั้งเอกสาร (URI="") และ '
                'SignedProperties ของลายมือชื่อนี้ ("#id") ไม่รับการอ้างอิงภายนอกหรือไฟล์',
            )
    if doc_ref is None:
        raise _fail(
            'the signature does not cover the whole document (no reference with URI="")',
            'ลายมือชื่อไม่ได้ครอบคลุมทั้งเอกสาร (ไม่มีการอ้างอิง URI="")',
            SubIndication.SIGNED_DATA_NOT_FOUND,
        )

    certificates, key_value = _key_info(key_info)

    qp = _qualifying_properties(objects, sig_id)
    shape = SignatureShape(
        element=sig,
        signature_id=sig_id,
        signed_info=signed_info,
        c14n=c14n,
        c14n_prefixes=c14n_prefixes,
        algorithm=algorithm,
        signature_value=sv_value,
        document_ref=doc_ref,
        properties_ref=props_ref,
        signed_properties=None,
        key_info_ref=key_info_ref,
        key_info=key_info,
        certificates=certificates,
        key_value=key_value,
        level=Level.XMLDSIG,
    )
    if qp is None:
        if props_ref is not None:
            raise _fail(
                "a SignedProperties reference without xades:QualifyingProperties",
                "มีการอ้างอิง SignedProperties แต่ไม่มี xades:QualifyingProperties",
            )
        return shape
    if props_ref is None or props_target is None:
        raise _fail(
            "the XAdES properties are not signed (no SignedProperties reference)",
            "คุณสมบัติ XAdES ไม่ได้ถูกลงนาม (ไม่มีการอ้างอิง SignedProperties)",
        )
    _read_qualifying(shape, qp, props_target)
    return shape


def _signature_method(el: etree._Element) -> SignatureAlgorithm:
    uri = el.get("Algorithm", "")
    alg = lookup_signature(uri)
    if alg is None:
        raise _fail(
            f"the signature method {uri[:200]!r} is not supported",
            f"ไม่รองรับวิธีการลงลายมือชื่อ {uri[:200]!r}",
        )
    if alg.key_type is KeyType.HMAC:
        raise _fail(
            f"the signature method is HMAC ({alg.short_name}): a shared-secret code, not a "
            "public-key signature, so anyone holding the certificate could have made it; HMAC "
            "is never accepted",
            f"วิธีการลงลายมือชื่อเป็น HMAC ({alg.short_name}) ซึ่งเป็นรหัสแบบใช้ความลับร่วม "
            "ไม่ใช่ลายมือชื่อแบบกุญแจสาธารณะ ผู้ใดที่มีใบรับรองก็สร้างได้ จึงไม่ยอมรับ HMAC ในทุกกรณี",
        )
    if len(el):
        raise _unexpected(el[0], "ds:SignatureMethod")
    return alg


def _transforms(r: etree._Element) -> tuple[list[etree._Element], etree._Element, etree._Element]:
    kids = _elements(r)
    transforms: list[etree._Element] = []
    i = 0
    if kids and kids[0].tag == _D_Transforms:
        _only_attrs(kids[0], ())
        transforms = _elements(kids[0])
        if len(transforms) > MAX_TRANSFORMS:
            raise _fail(
                f"a reference has {len(transforms)} transforms; at most {MAX_TRANSFORMS} are "
                "allowed",
                f"การอ้างอิงมีการแปลง (transform) {len(transforms)} รายการ "
                f"อนุญาตไม่เกิน {MAX_TRANSFORMS} รายการ",
            )
        for t in transforms:
            if t.tag != _D_Transform:
                raise _unexpected(t, "ds:Transforms")
            _only_attrs(t, ("Algorithm",))
        i = 1
    if len(kids) != i + 2 or kids[i].tag != _D_DigestMethod or kids[i + 1].tag != (_D_DigestValue):
        raise _fail(
            "a ds:Reference must hold DigestMethod and DigestValue (and nothing else)",
            "ds:Reference ต้องมี DigestMethod และ DigestValue (และไม่มีสิ่งอื่น)",
        )
    return transforms, kids[i], kids[i + 1]


def _refuse_transform(uri: str) -> ShapeError:
    if uri == Transform.XSLT.value:
        return _fail("an XSLT transform is not allowed", "ไม่อนุญาตการแปลงแบบ XSLT")
    if uri == Transform.XPATH.value:
        return _fail(
            "an XPath 1.0 filter transform is not allowed",
            "ไม่อนุญาตการแปลงแบบตัวกรอง XPath 1.0",
        )
    return _fail(
        f"the transform {uri[:200]!r} is not allowed here",
        f"ไม่อนุญาตการแปลง {uri[:200]!r} ในตำแหน่งนี้",
    )


def _document_reference(r: etree._Element) -> Reference:
    transforms, dm, dv = _transforms(r)
    enveloped = False
    subtract = False
    method: C14N | None = None
    prefixes: tuple[str, ...] | None = None
    for t in transforms:
        uri = t.get("Algorithm", "")
        if method is not None:
            raise _fail(
                "the canonicalization transform must be the last transform",
                "การแปลงเพื่อทำรูปแบบบัญญัติต้องเป็นการแปลงลำดับสุดท้าย",
            )
        if uri == _ENVELOPED and not enveloped:
            if len(t):
                raise _unexpected(t[0], "the enveloped-signature transform")
            enveloped = True
        elif uri == _XPATH_FILTER2 and not subtract:
            _check_subtract_all(t)
            subtract = True
        elif lookup_c14n(uri) is not None:
            method, prefixes = _c14n_method(t, "the document reference")
        else:
            raise _refuse_transform(uri)
    if not enveloped:
        raise _fail(
            "the whole-document reference lacks the enveloped-signature transform",
            "การอ้างอิงทั้งเอกสารไม่มีการแปลงแบบ enveloped-signature",
        )
    digest = _digest_method(dm)
    # A same-document URI ("" here) drops comments before any transform runs (XMLDSig §4.4.3.3),
    # so a "#WithComments" canonicalization still sees no comments.
    return Reference(
        digest=digest,
        value=_digest_value(dv, digest, "the document DigestValue"),
        c14n=_without_comments(method or C14N.C14N),
        inclusive_prefixes=prefixes,
        subtract_all=subtract,
    )


_WITHOUT_COMMENTS = {
    C14N.EXC_WITH_COMMENTS: C14N.EXC,
    C14N.C14N_WITH_COMMENTS: C14N.C14N,
    C14N.C14N11_WITH_COMMENTS: C14N.C14N11,
}


def _without_comments(method: C14N) -> C14N:
    return _WITHOUT_COMMENTS.get(method, method)


def _check_subtract_all(t: etree._Element) -> None:
    kids = _elements(t)
    if len(kids) != 1 or kids[0].tag != f"{_F}XPath" or kids[0].get("Filter") != "subtract":
        raise _fail(
            "the XPath Filter 2.0 transform may only subtract every ds:Signature",
            "การแปลง XPath Filter 2.0 ใช้ได้เฉพาะการตัด ds:Signature ทั้งหมดออกเท่านั้น",
        )
    xp = kids[0]
    expr = (xp.text or "").strip()
    prefixes = [p for p, ns in xp.nsmap.items() if ns == DS and p]
    if not any(expr == form.format(p=p) for p in prefixes for form in _SUBTRACT_ALL_FORMS):
        raise _fail(
            f"the XPath Filter 2.0 expression {expr[:200]!r} is not allowed; only the "
            "subtraction of every ds:Signature is",
            f"ไม่อนุญาตนิพจน์ XPath Filter 2.0 {expr[:200]!r} อนุญาตเฉพาะการตัด ds:Signature ทั้งหมดออก",
        )


def _properties_reference(r: etree._Element) -> Reference:
    transforms, dm, dv = _transforms(r)
    method: C14N | None = None
    prefixes: tuple[str, ...] | None = None
    if len(transforms) > 1:
        raise _fail(
            "the SignedProperties reference may carry only one canonicalization transform",
            "การอ้างอิง SignedProperties มีการแปลงได้เพียงการทำรูปแบบบัญญัติหนึ่งรายการ",
        )
    for t in transforms:
        uri = t.get("Algorithm", "")
        if lookup_c14n(uri) is None:
            raise _refuse_transform(uri)
        method, prefixes = _c14n_method(t, "the SignedProperties reference")
    digest = _digest_method(dm)
    return Reference(
        digest=digest,
        value=_digest_value(dv, digest, "the SignedProperties DigestValue"),
        c14n=_without_comments(method or C14N.C14N),
        inclusive_prefixes=prefixes,
    )


def _key_info(key_info: etree._Element | None) -> tuple[tuple[bytes, ...], etree._Element | None]:
    if key_info is None:
        return (), None
    _only_attrs(key_info, ("Id",))
    certs: list[bytes] = []
    key_value: etree._Element | None = None
    for el in _elements(key_info):
        if el.tag == f"{_D}X509Data":
            for x in _elements(el):
                if x.tag == f"{_D}X509Certificate":
                    if len(certs) >= MAX_CERTIFICATES:
                        raise _fail(
                            f"more than {MAX_CERTIFICATES} certificates in ds:KeyInfo",
                            f"มีใบรับรองใน ds:KeyInfo มากกว่า {MAX_CERTIFICATES} ฉบับ",
                        )
                    certs.append(_certificate_b64(x))
                elif x.tag in (
                    f"{_D}X509IssuerSerial",
                    f"{_D}X509SubjectName",
                    f"{_D}X509SKI",
                    f"{{{DSIG11}}}X509Digest",
                ):
                    continue  # identifiers only; the certificate itself is what counts
                else:
                    raise _unexpected(x, "ds:X509Data")
        elif el.tag == _D_KeyValue:
            if key_value is not None:
                raise _unexpected(el, "ds:KeyInfo")
            key_value = el
        elif el.tag == _D_KeyName:
            continue
        elif el.tag == _D_RetrievalMethod:
            raise _fail(
                "ds:RetrievalMethod is not allowed: keys are never fetched from elsewhere",
                "ไม่อนุญาต ds:RetrievalMethod: จะไม่ดึงกุญแจจากแหล่งอื่นในทุกกรณี",
            )
        else:
            raise _unexpected(el, "ds:KeyInfo")
    return tuple(certs), key_value


def _qualifying_properties(
    objects: list[etree._Element], sig_id: str | None
) -> etree._Element | None:
    qps: list[etree._Element] = []
    for obj in objects:
        _only_attrs(obj, ("Id", "MimeType", "Encoding"))
        kids = _elements(obj)
        if len(kids) != 1 or kids[0].tag != _X_QualifyingProperties:
            raise _fail(
                "a ds:Object other than the one holding xades:QualifyingProperties is not "
                "allowed (unsigned content could be mistaken for signed content)",
                "ไม่อนุญาต ds:Object อื่นนอกจากที่บรรจุ xades:QualifyingProperties "
                "(เนื้อหาที่ไม่ได้ลงนามอาจถูกเข้าใจผิดว่าลงนามแล้ว)",
            )
        qps.append(kids[0])
    if not qps:
        return None
    if len(qps) > 1:
        raise _fail(
            "more than one xades:QualifyingProperties",
            "มี xades:QualifyingProperties มากกว่าหนึ่งชุด",
        )
    qp = qps[0]
    if not sig_id or qp.get("Target") != f"#{sig_id}":
        raise _fail(
            "xades:QualifyingProperties does not target this signature (Target must be "
            '"#" followed by the ds:Signature Id)',
            "xades:QualifyingProperties ไม่ได้ระบุเป้าหมายเป็นลายมือชื่อนี้ (Target ต้องเป็น "
            '"#" ตามด้วย Id ของ ds:Signature)',
        )
    return qp


def _read_qualifying(
    shape: SignatureShape, qp: etree._Element, props_target: etree._Element
) -> None:
    _only_attrs(qp, ("Target", "Id"))
    kids = _elements(qp)
    if not kids or kids[0].tag != _X_SignedProperties:
        raise _fail("xades:SignedProperties is missing", "ไม่พบ xades:SignedProperties")
    sp = kids[0]
    unsigned = kids[1:]
    if len(unsigned) > 1 or (unsigned and unsigned[0].tag != _X_UnsignedProperties):
        raise _unexpected(unsigned[-1], "xades:QualifyingProperties")
    if sp is not props_target:
        raise _fail(
            "the SignedProperties reference does not point to the SignedProperties inside "
            "this signature",
            "การอ้างอิง SignedProperties ไม่ได้ชี้ไปยัง SignedProperties ภายในลายมือชื่อนี้",
        )
    _only_attrs(sp, ("Id",))
    shape.signed_properties = sp
    shape.level = Level.B_B
    sp_kids = _elements(sp)
    if not sp_kids or sp_kids[0].tag != _X_SignedSignatureProperties:
        raise _fail(
            "xades:SignedSignatureProperties is missing",
            "ไม่พบ xades:SignedSignatureProperties",
        )
    for extra in sp_kids[1:]:
        if extra.tag != _X_SignedDataObjectProperties or len(sp_kids) > 2:
            raise _unexpected(extra, "xades:SignedProperties")
    ssp = sp_kids[0]
    cert_el: etree._Element | None = None
    for el in _elements(ssp):
        if el.tag == _X_SigningTime:
            if shape.signing_time_text is not None:
                raise _unexpected(el, "xades:SignedSignatureProperties")
            shape.signing_time_text = (el.text or "").strip()[:64]
            shape.signing_time = _parse_time(shape.signing_time_text)
        elif el.tag in (_X_SigningCertificate, _X_SigningCertificateV2):
            if cert_el is not None:
                raise _fail(
                    "more than one SigningCertificate element",
                    "มีองค์ประกอบ SigningCertificate มากกว่าหนึ่งรายการ",
                )
            cert_el = el
    if cert_el is None:
        raise _fail(
            "the XAdES signature names no signing certificate (SigningCertificateV2 or "
            "SigningCertificate is required)",
            "ลายมือชื่อ XAdES ไม่ได้ระบุใบรับรองของผู้ลงนาม (ต้องมี SigningCertificateV2 "
            "หรือ SigningCertificate)",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
        )
    v2 = cert_el.tag == _X_SigningCertificateV2
    shape.cert_ref_version = 2 if v2 else 1
    shape.cert_refs = _cert_refs(cert_el, v2)
    if unsigned:
        _read_unsigned(shape, unsigned[0])


def _parse_time(text: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(
            f"xades:SigningTime {text!r} is not a valid date and time",
            f"xades:SigningTime {text!r} ไม่ใช่วันและเวลาที่ถูกต้อง",
        ) from None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _cert_refs(el: etree._Element, v2: bool) -> tuple[CertRef, ...]:
    out: list[CertRef] = []
    certs = _elements(el)
    if not certs or len(certs) > MAX_CERTIFICATES:
        raise _fail(
            "SigningCertificate must list between 1 and 16 certificates",
            "SigningCertificate ต้องระบุใบรับรอง 1 ถึง 16 ฉบับ",
        )
    for cert in certs:
        if cert.tag != _X_Cert:
            raise _unexpected(cert, "SigningCertificate")
        parts = _elements(cert)
        if not parts or parts[0].tag != _X_CertDigest:
            raise _fail("xades:CertDigest is missing", "ไม่พบ xades:CertDigest")
        cd = _elements(parts[0])
        if len(cd) != 2 or cd[0].tag != _D_DigestMethod or cd[1].tag != _D_DigestValue:
            raise _fail("xades:CertDigest is malformed", "xades:CertDigest มีรูปแบบไม่ถูกต้อง")
        alg = _digest_method(cd[0])
        value = _digest_value(cd[1], alg, "the CertDigest DigestValue")
        issuer_name: str | None = None
        serial: int | None = None
        isv2: bytes | None = None
        for extra in parts[1:]:
            if not v2 and extra.tag == _X_IssuerSerial:
                fields = _elements(extra)
                if (
                    len(fields) != 2
                    or fields[0].tag != f"{_D}X509IssuerName"
                    or fields[1].tag != f"{_D}X509SerialNumber"
                ):
                    raise _fail(
                        "xades:IssuerSerial is malformed", "xades:IssuerSerial มีรูปแบบไม่ถูกต้อง"
                    )
                issuer_name = (fields[0].text or "").strip()[:4096]
                text = (fields[1].text or "").strip()
                if not text.isdigit() or len(text) > 64:
                    raise _fail("X509SerialNumber is not a number", "X509SerialNumber ไม่ใช่ตัวเลข")
                serial = int(text)
            elif v2 and extra.tag == _X_IssuerSerialV2:
                isv2 = _b64(extra, 8192, "xades:IssuerSerialV2")
            else:
                raise _unexpected(extra, "xades:Cert")
        out.append(CertRef(alg, value, issuer_name, serial, isv2))
    return tuple(out)


def _read_unsigned(shape: SignatureShape, up: etree._Element) -> None:
    """Detect the level the unsigned properties reach; keep embedded revocation data.

    B-T needs a ``SignatureTimeStamp``; B-LT adds ``CertificateValues`` and
    ``RevocationValues``; B-LTA adds an ``ArchiveTimeStamp`` (EN 319 132-1 §6). This is the
    level the signature *claims*; the verifier reports the level it *achieves*, once the
    time-stamps and the embedded data were judged by the long-term validation step.

    XAdES allows one ``UnsignedSignatureProperties`` (and one
    ``UnsignedDataObjectProperties``); a second one is refused, since readers that look at
    the first only (the long-term step) would not see what it claims.
    """
    seen: set[str] = set()
    tags = [part.tag for part in _elements(up)]
    for tag in (_X_UnsignedSignatureProperties, f"{_X}UnsignedDataObjectProperties"):
        if tags.count(tag) > 1:
            name = tag.rpartition("}")[2]
            raise _fail(
                f"more than one xades:{name}",
                f"มี xades:{name} มากกว่าหนึ่งชุด",
            )
    for part in _elements(up):
        if part.tag != _X_UnsignedSignatureProperties:
            continue
        for prop in _elements(part):
            seen.add(prop.tag)
            if prop.tag == _X_RevocationValues:
                crls, ocsps = _revocation_values(prop)
                shape.embedded_crls += crls
                shape.embedded_ocsps += ocsps
    shape.timestamped = bool(seen & {_X_SignatureTimeStamp, f"{_X141}ArchiveTimeStamp"})
    if shape.timestamped:
        _check_long_term_sizes(up)
    if _X_SignatureTimeStamp not in seen:
        return
    shape.level = Level.B_T
    if _X_CertificateValues not in seen or _X_RevocationValues not in seen:
        return
    shape.level = Level.B_LT
    if f"{_X141}ArchiveTimeStamp" in seen:
        shape.level = Level.B_LTA


def _check_long_term_sizes(up: etree._Element) -> None:
    stamps = sum(1 for _ in up.iterdescendants(_X_SignatureTimeStamp, f"{_X141}ArchiveTimeStamp"))
    if stamps > MAX_TIMESTAMPS:
        raise _fail(
            f"the signature carries {stamps} time-stamps; at most {MAX_TIMESTAMPS} are accepted",
            f"ลายมือชื่อมีการประทับเวลา {stamps} รายการ ยอมรับได้ไม่เกิน {MAX_TIMESTAMPS} รายการ",
        )
    values = sum(
        1
        for _ in up.iterdescendants(
            f"{_X}EncapsulatedX509Certificate",
            f"{_X}EncapsulatedCRLValue",
            f"{_X}EncapsulatedOCSPValue",
        )
    )
    if values > MAX_VALIDATION_VALUES:
        raise _fail(
            f"the signature carries {values} certificates and revocation values; at most "
            f"{MAX_VALIDATION_VALUES} are accepted",
            f"ลายมือชื่อมีใบรับรองและข้อมูลการเพิกถอน {values} รายการ "
            f"ยอมรับได้ไม่เกิน {MAX_VALIDATION_VALUES} รายการ",
        )


def _revocation_values(el: etree._Element) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    for group in _elements(el):
        if group.tag == _X_CRLValues:
            target, tag = crls, _X_EncapsulatedCRLValue
        elif group.tag == _X_OCSPValues:
            target, tag = ocsps, _X_EncapsulatedOCSPValue
        else:
            continue
        for v in _elements(group):
            if v.tag != tag:
                continue
            if len(crls) + len(ocsps) >= MAX_REVOCATION_VALUES:
                raise _fail("too many revocation values", "มีข้อมูลการเพิกถอนจำนวนมากเกินไป")
            target.append(_b64(v, MAX_REVOCATION_B64, "a revocation value"))
    return tuple(crls), tuple(ocsps)
