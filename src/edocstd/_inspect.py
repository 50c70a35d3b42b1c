"""``edocstd inspect``: what a document says and what its signatures claim, without judging.

Nothing here is verified. It reads the tree as given (through the hardened reader) so that an
officer can see what a file claims before asking whether to believe it. Every value shown from a
signature is a *claim*.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, EC, XADES, XADES141
from edocstd._source import Source
from edocstd.schema._codec import fingerprint_tree
from edocstd.schema._parser import parse
from edocstd.sign._algorithms import lookup_signature


@dataclass(frozen=True)
class SignatureClaims:
    """What one ``ds:Signature`` claims about itself."""

    id: str | None
    algorithm: str | None
    level: str
    signing_time: str | None
    signer: str | None
    issuer: str | None
    serial: str | None
    not_after: str | None
    references: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DocumentInfo:
    """A summary of a document and its signatures."""

    root: str
    is_edoc: bool
    fingerprint: str
    fields: dict[str, str] = field(default_factory=dict)
    signatures: tuple[SignatureClaims, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "root": self.root,
            "is_edoc": self.is_edoc,
            "fingerprint": self.fingerprint,
            "fields": dict(self.fields),
            "signatures": [s.to_dict() for s in self.signatures],
        }

    def render(self, lang: str = "en") -> str:
        """Human-readable text."""
        th = lang == "th"
        lines = [
            ("ชนิดเอกสาร: " if th else "Document: ") + ("EDOC 1.0" if self.is_edoc else self.root),
            ("ลายนิ้วมือเอกสาร: " if th else "Fingerprint: ") + self.fingerprint,
        ]
        labels_th = {
            "id": "เลขที่",
            "global_id": "รหัสสากล",
            "title": "ชื่อเอกสาร",
            "type": "ประเภท",
            "purpose": "วัตถุประสงค์",
            "issued": "ออกเมื่อ",
            "issuer": "ผู้ออก",
            "holder": "ผู้ถือ",
            "holder_id": "เลขประจำตัวผู้ถือ",
            "valid_from": "มีผลตั้งแต่",
            "valid_until": "สิ้นสุด",
        }
        for key, value in self.fields.items():
            label = labels_th.get(key, key) if th else key.replace("_", " ")
            lines.append(f"  {label}: {value}")
        lines.append(
            (f"ลายมือชื่อ: {len(self.signatures)} รายการ (ยังไม่ได้ตรวจสอบ)")
            if th
            else f"Signatures: {len(self.signatures)} (claims only, not verified)"
        )
        for s in self.signatures:
            lines.append(f"  - {s.id or '(no Id)'}: {s.level}, {s.algorithm}")
            if s.signer:
                lines.append(("    ผู้ลงนาม: " if th else "    signer: ") + s.signer)
            if s.signing_time:
                lines.append(("    เวลาที่อ้าง: " if th else "    claimed time: ") + s.signing_time)
        return "\n".join(lines)


def _text(root: etree._Element, path: str) -> str | None:
    found = root.find(path, {"ec": EC})
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _th_first(root: etree._Element, path: str) -> str | None:
    items = root.findall(path, {"ec": EC})
    for el in items:
        if (el.get("languageID") or "").lower().split("-")[0] == "th" and el.text:
            return el.text.strip()
    return items[0].text.strip() if items and items[0].text else None


def _edoc_fields(root: etree._Element) -> dict[str, str]:
    pairs = {
        "id": _text(root, "ec:ExchangedDocument/ec:ID"),
        "global_id": _text(root, "ec:ExchangedDocument/ec:GlobalID"),
        "title": _th_first(root, "ec:ExchangedDocument/ec:Name"),
        "type": _text(root, "ec:ExchangedDocument/ec:TypeCode"),
        "purpose": _text(root, "ec:ExchangedDocument/ec:PurposeCode"),
        "issued": _text(root, "ec:ExchangedDocument/ec:IssueDateTime"),
        "issuer": _th_first(root, "ec:IssuerParty/ec:Name"),
        "holder": _th_first(root, "ec:HolderParty/ec:Organization/ec:Name")
        or _th_first(root, "ec:HolderParty/ec:Person/ec:GivenName"),
        "holder_id": _text(root, "ec:HolderParty/*/ec:ID"),
        "valid_from": _text(root, "ec:ValidityPeriod/ec:StartDateTime"),
        "valid_until": _text(root, "ec:ValidityPeriod/ec:EndDateTime"),
    }
    return {k: v for k, v in pairs.items() if v}


def _claimed_level(sig: etree._Element) -> Level:
    ns = {"ds": DS, "xades": XADES, "xades141": XADES141}
    if sig.find(".//xades:QualifyingProperties", ns) is None:
        return Level.XMLDSIG
    if sig.find(".//xades141:ArchiveTimeStamp", ns) is not None:
        return Level.B_LTA
    if (
        sig.find(".//xades:CertificateValues", ns) is not None
        and sig.find(".//xades:RevocationValues", ns) is not None
    ):
        return Level.B_LT
    if sig.find(".//xades:SignatureTimeStamp", ns) is not None:
        return Level.B_T
    return Level.B_B


def _claims(sig: etree._Element) -> SignatureClaims:
    ns = {"ds": DS, "xades": XADES}
    method = sig.find("ds:SignedInfo/ds:SignatureMethod", ns)
    uri = method.get("Algorithm") if method is not None else None
    alg = lookup_signature(uri) if uri else None
    signer = issuer = serial = not_after = None
    cert_el = sig.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns)
    if cert_el is not None and cert_el.text:
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode(cert_el.text))
            signer = cert.subject.rfc4514_string()
            issuer = cert.issuer.rfc4514_string()
            serial = format(cert.serial_number, "x")
            not_after = cert.not_valid_after_utc.isoformat()
        except ValueError:
            signer = "(unreadable certificate)"
    st = sig.find(".//xades:SigningTime", ns)
    return SignatureClaims(
        id=sig.get("Id"),
        algorithm=alg.short_name if alg else uri,
        level=_claimed_level(sig).value,
        signing_time=st.text.strip() if st is not None and st.text else None,
        signer=signer,
        issuer=issuer,
        serial=serial,
        not_after=not_after,
        references=len(sig.findall("ds:SignedInfo/ds:Reference", ns)),
    )


def inspect_document(source: Source) -> DocumentInfo:
    """Summarise ``source`` and the claims of its signatures. Raises ``XMLInputError``
    when the hardened reader refuses the input."""
    tree = parse(source)
    root = tree.getroot()
    sigs = root.findall(f".//{{{DS}}}Signature")
    fp = fingerprint_tree(tree)
    is_edoc = root.tag == f"{{{EC}}}ElectronicCertificate"
    return DocumentInfo(
        root=root.tag,
        is_edoc=is_edoc,
        fingerprint=fp,
        fields=_edoc_fields(root) if is_edoc else {},
        signatures=tuple(_claims(s) for s in sigs),
    )
