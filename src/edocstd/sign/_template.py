"""Signature templates: the parts of a ``ds:Signature`` that only depend on the signer and the
options are built once and copied for every document.

A service signing many documents with one signer builds the same ``ds:KeyInfo`` (base64 of
every certificate), the same ``SigningCertificateV2`` (certificate digest and DER
``IssuerSerialV2``), the same transforms and algorithm URIs each time. Here the complete
``ds:Signature`` is built once per :class:`Layout` by the ordinary builders
(:func:`~edocstd.sign._xmldsig.build_signature`,
:func:`~edocstd.sign._xades.build_qualifying_properties`), and each signature is a deep copy
(one libxml2 call) with its few per-document values written in: Ids, the document digest and
the signing time. Setting an attribute that exists keeps its place, so the copy serialises
byte for byte as a freshly built signature would.

Templates are kept per thread: lxml elements are not shared between threads.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import threading
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from edocstd._ns import DS, XADES
from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm
from edocstd.sign._xades import Commitment, build_qualifying_properties, format_signing_time
from edocstd.sign._xmldsig import SignatureParts, build_signature

__all__ = ["Layout", "new_signature"]

_D = f"{{{DS}}}"
_X = f"{{{XADES}}}"
_MAX_TEMPLATES = 32
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Layout:
    """Everything a signature's shape depends on besides the document and the time."""

    algorithm: SignatureAlgorithm
    c14n: C14N
    digest: DigestAlgorithm
    subtract_signatures: bool
    certificates: tuple[x509.Certificate, ...]
    xades: bool
    roles: tuple[str, ...]
    commitment: Commitment | None


@dataclass(frozen=True, slots=True)
class _Template:
    signature: etree._Element
    # Positions, in document order (``signature.iter()``), of the elements filled per use.
    signed_info: int
    document_reference: int
    document_digest: int
    signature_value: int
    properties_reference: int | None
    properties_digest: int | None
    qualifying_properties: int | None
    signed_properties: int | None
    signing_time: int | None
    data_object_format: int | None


def _position(nodes: list[etree._Element], node: etree._Element | None) -> int | None:
    if node is None:
        return None
    for i, candidate in enumerate(nodes):
        if candidate is node:
            return i
    raise AssertionError("a template element is not in the template")


def _required(position: int | None) -> int:
    if position is None:
        raise AssertionError("the builder left out an element every signature has")
    return position


def _build_template(layout: Layout) -> _Template:
    # The placeholder values are overwritten on every use; only the structure is kept.
    qp = (
        build_qualifying_properties(
            signature_id="s",
            signed_properties_id="p",
            document_reference_id="r",
            signing_time=_EPOCH,
            certificate=layout.certificates[0],
            digest=layout.digest,
            roles=layout.roles,
            commitment=layout.commitment,
        )
        if layout.xades
        else None
    )
    parts = build_signature(
        signature_id="s",
        signature_value_id="v",
        document_reference_id="r",
        algorithm=layout.algorithm,
        c14n=layout.c14n,
        digest=layout.digest,
        document_digest=b"",
        subtract_signatures=layout.subtract_signatures,
        certificates=layout.certificates,
        signed_properties_id="p" if layout.xades else None,
        qualifying_properties=qp,
    )
    sig = parts.signature
    references = sig.findall(f"{_D}SignedInfo/{_D}Reference")
    document_reference = references[0]
    properties_reference = references[1] if len(references) > 1 else None
    signed_properties = qp.find(f"{_X}SignedProperties") if qp is not None else None
    nodes = list(sig.iter())
    return _Template(
        signature=sig,
        signed_info=_required(_position(nodes, parts.signed_info)),
        document_reference=_required(_position(nodes, document_reference)),
        document_digest=_required(_position(nodes, document_reference.find(f"{_D}DigestValue"))),
        signature_value=_required(_position(nodes, parts.signature_value)),
        properties_reference=_position(nodes, properties_reference),
        properties_digest=_position(nodes, parts.properties_digest_value),
        qualifying_properties=_position(nodes, qp),
        signed_properties=_position(nodes, signed_properties),
        signing_time=_position(
            nodes, qp.find(f"{_X}SignedProperties/{_X}SignedSignatureProperties/{_X}SigningTime")
        )
        if qp is not None
        else None,
        data_object_format=_position(
            nodes,
            qp.find(f"{_X}SignedProperties/{_X}SignedDataObjectProperties/{_X}DataObjectFormat"),
        )
        if qp is not None
        else None,
    )


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.templates: dict[Layout, _Template] = {}


_cache = _PerThread()


def _template(layout: Layout) -> _Template:
    templates = _cache.templates
    found = templates.get(layout)
    if found is None:
        if len(templates) >= _MAX_TEMPLATES:
            templates.clear()
        found = templates[layout] = _build_template(layout)
    return found


def new_signature(
    layout: Layout,
    *,
    signature_id: str,
    signature_value_id: str,
    document_reference_id: str,
    signed_properties_id: str,
    document_digest: bytes,
    signing_time: dt.datetime,
) -> SignatureParts:
    """A new ``ds:Signature`` (not yet in a tree), as :func:`build_signature` with
    :func:`build_qualifying_properties` would make it, from the template for ``layout``.

    ``SignatureValue`` and the SignedProperties digest are left empty, as there.
    """
    t = _template(layout)
    sig = copy.deepcopy(t.signature)
    nodes = list(sig.iter())
    sig.set("Id", signature_id)
    nodes[t.document_reference].set("Id", document_reference_id)
    nodes[t.document_digest].text = _b64(document_digest)
    value = nodes[t.signature_value]
    value.set("Id", signature_value_id)
    props_digest: etree._Element | None = None
    if t.properties_reference is not None:
        nodes[t.properties_reference].set("URI", f"#{signed_properties_id}")
    if t.properties_digest is not None:
        props_digest = nodes[t.properties_digest]
    if t.qualifying_properties is not None:
        nodes[t.qualifying_properties].set("Target", f"#{signature_id}")
    if t.signed_properties is not None:
        nodes[t.signed_properties].set("Id", signed_properties_id)
    if t.signing_time is not None:
        nodes[t.signing_time].text = format_signing_time(signing_time)
    if t.data_object_format is not None:
        nodes[t.data_object_format].set("ObjectReference", f"#{document_reference_id}")
    signed_properties = None if t.signed_properties is None else nodes[t.signed_properties]
    return SignatureParts(sig, nodes[t.signed_info], value, props_digest, signed_properties)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
