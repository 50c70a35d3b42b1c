"""XAdES B-T, B-LT and B-LTA (ETSI EN 319 132-1) on top of a finished B-B signature.

Everything here only *appends* unsigned signature properties, through
:func:`edocstd.sign._xades.unsigned_signature_properties`; nothing that is signed changes, so
every signature already in the document stays verifiable. :func:`augmenter` returns a
callable for :func:`edocstd.sign._sign.augment`, and :func:`extend` does both.

* **B-T** — ``xades:SignatureTimeStamp``: an RFC 3161 token whose message imprint is the hash
  of the ``ds:SignatureValue`` element canonicalized with the time-stamp's own
  ``ds:CanonicalizationMethod`` (EN 319 132-1 §5.3).
* **B-LT** — ``xades:CertificateValues`` and ``xades:RevocationValues`` holding every
  certificate and OCSP response/CRL needed to validate the signer's chain and every TSA's
  chain with no network. Data gathered after an archive time-stamp already exists goes into
  ``xades141:TimeStampValidationData`` instead, so earlier archive time-stamps stay valid.
* **B-LTA** — ``xades141:ArchiveTimeStamp``. Its imprint input (EN 319 132-1 §5.5.2) is,
  in order: the output of processing each ``ds:Reference`` of ``ds:SignedInfo`` (octets as
  they are; a node-set canonicalized with the archive time-stamp's method; each checked
  against its ``DigestValue`` so a mismatch can never be time-stamped); then ``ds:SignedInfo``,
  ``ds:SignatureValue`` and ``ds:KeyInfo``; then every child of
  ``xades:UnsignedSignatureProperties`` that precedes this archive time-stamp; then every
  ``ds:Object`` except the one with the qualifying properties — each canonicalized with the
  archive time-stamp's ``ds:CanonicalizationMethod``. The input is streamed into the hash, so
  a 50 MB document is never held twice. It can be repeated.

:func:`validate_timestamps` checks all time-stamps of a signature, later ones first; each
earlier token is validated at the ``genTime`` of the archive time-stamp that covers it, which
is what lets a B-LTA signature validate after its TSA certificates expire.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, XADES, XADES141
from edocstd._source import Source
from edocstd.errors import NetworkError
from edocstd.ltv._common import (
    CertLike,
    as_asn1_certs,
    ocsp_nocheck,
    same_name,
    utc,
    verify_signature,
)
from edocstd.ltv._crl import check_crl, crl_urls, fetch_crl
from edocstd.ltv._errors import Failure, LtvError, RevocationError, TimeStampError
from edocstd.ltv._http import HttpClient, UrllibClient
from edocstd.ltv._ocsp import fetch_ocsp, ocsp_urls
from edocstd.ltv._status import CertStatus, FreshnessPolicy
from edocstd.ltv._tsp import (
    TimeStampClient,
    TimeStampPolicy,
    TimeStampToken,
    ValidatedTimeStamp,
    parse_timestamp_token,
    validate_timestamp_token,
)
from edocstd.sign._algorithms import C14N, Transform, lookup_c14n, lookup_digest
from edocstd.sign._bigtext import Holes, escape_c14n, punched
from edocstd.sign._bigtext import _Expander as Expander
from edocstd.sign._c14n import c14n, detached
from edocstd.sign._xades import qualifying_properties, unsigned_signature_properties

__all__ = [
    "TimeStampFailure",
    "TimeStampKind",
    "TimeStampResult",
    "ValidationData",
    "add_archive_timestamp",
    "add_signature_timestamp",
    "add_validation_data",
    "archive_timestamp_digest",
    "augmenter",
    "check_timestamps",
    "embedded_validation_data",
    "extend",
    "gather_validation_data",
    "signature_timestamp_digest",
    "validate_timestamps",
]

_D = f"{{{DS}}}"
_X = f"{{{XADES}}}"
_X141 = f"{{{XADES141}}}"
_SIGNATURE_TS = f"{_X}SignatureTimeStamp"
_ARCHIVE_TS = f"{_X141}ArchiveTimeStamp"
_DEFAULT_C14N = C14N.C14N  # XAdES: inclusive C14N 1.0 when no CanonicalizationMethod is given


def _fail(detail: str) -> TimeStampError:
    return TimeStampError(Failure.MALFORMED, detail)


# ------------------------------------------------------------------------------ imprints


class _HashSink:
    def __init__(self, name: str) -> None:
        self.h = hashlib.new(name)

    def write(self, data: bytes) -> int:
        self.h.update(data)
        return len(data)


def signature_timestamp_digest(
    signature: etree._Element, method: C14N, hash_algorithm: str
) -> bytes:
    """The B-T imprint: the hash of the canonicalized ``ds:SignatureValue``."""
    value = signature.find(f"{_D}SignatureValue")
    if value is None:
        raise _fail("the signature has no ds:SignatureValue")
    return hashlib.new(hash_algorithm, c14n(value, method)).digest()


_WITHOUT_COMMENTS = {
    C14N.EXC_WITH_COMMENTS: C14N.EXC,
    C14N.C14N_WITH_COMMENTS: C14N.C14N,
    C14N.C14N11_WITH_COMMENTS: C14N.C14N11,
}


def _reference_octets(
    tree: etree._ElementTree,
    signature: etree._Element,
    ref: etree._Element,
    sink: _HashSink,
    ats_method: C14N,
) -> None:
    """Write the output of processing ``ref`` to ``sink``, checking it against DigestValue.

    When the reference's transforms end in a canonicalization, its output is octets and goes
    in as is (an exclusive canonicalization honours its ``ec:InclusiveNamespaces
    PrefixList``, read as the verifier reads it). Otherwise the output is a node-set, which XAdES canonicalizes with the archive
    time-stamp's own method — while the DigestValue was computed with XMLDSig's default,
    inclusive C14N 1.0; both are then produced.
    """
    method_el = ref.find(f"{_D}DigestMethod")
    digest = lookup_digest(method_el.get("Algorithm", "")) if method_el is not None else None
    expected_text = ref.findtext(f"{_D}DigestValue") or ""
    if digest is None:
        raise _fail("unsupported DigestMethod in a reference")
    # Imported here: the verifier imports this module, so a module-level import would be
    # circular. The verifier's own reading of a canonicalization transform (with its
    # ec:InclusiveNamespaces PrefixList) is used, so that the octets time-stamped here are
    # exactly the octets the verifier checks against the DigestValue.
    from edocstd.verify._shape import ShapeError
    from edocstd.verify._shape import _c14n_method as c14n_transform

    elements = list(ref.iterfind(f"{_D}Transforms/{_D}Transform"))
    transforms = [t.get("Algorithm", "") for t in elements]
    method = _DEFAULT_C14N
    prefixes: tuple[str, ...] | None = None
    enveloped = subtract = False
    for element, algorithm in zip(elements, transforms, strict=True):
        if lookup_c14n(algorithm) is not None:
            try:
                method, prefixes = c14n_transform(element, "a reference")
            except ShapeError as exc:
                raise _fail(exc.message_en) from None
        elif algorithm == Transform.ENVELOPED.value:
            enveloped = True
        elif algorithm == Transform.XPATH_FILTER2.value:
            subtract = True
        else:
            raise _fail(f"reference transform {algorithm} is not supported here")
    ends_in_octets = bool(transforms) and lookup_c14n(transforms[-1]) is not None
    # Same-document references (URI="" and "#id") drop comments (XMLDSig §4.4.3.3).
    digest_method = _WITHOUT_COMMENTS.get(method, method)
    imprint_method = (
        digest_method if ends_in_octets else _WITHOUT_COMMENTS.get(ats_method, ats_method)
    )
    # The prefix list belongs to the reference's own canonicalization; a node-set output is
    # canonicalized with the archive time-stamp's method instead, which has none here.
    imprint_prefixes = prefixes if ends_in_octets else None
    uri = ref.get("URI")
    collector = _HashSink(digest.hash_name)

    class _Both:
        def write(self, data: bytes) -> int:
            sink.write(data)
            return collector.write(data)

    if uri == "":
        if subtract:
            exclude = list(tree.getroot().iter(f"{_D}Signature"))
        elif enveloped:
            exclude = [signature]
        else:
            exclude = []
        # The whole document, large texts included: they are taken out of the tree and
        # streamed in small escaped pieces, as signing does, so libxml2 never makes its
        # escaped and buffered copies of a 45 MB BinaryObject.
        with punched(tree) as holes:
            if imprint_method is digest_method and imprint_prefixes == prefixes:
                _stream_c14n(tree, digest_method, prefixes, exclude, _Both(), holes)
            else:
                _stream_c14n(tree, digest_method, prefixes, exclude, collector, holes)
                _stream_c14n(tree, imprint_method, imprint_prefixes, exclude, sink, holes)
    elif uri is not None and uri.startswith("#") and not enveloped and not subtract:
        target = [el for el in tree.getroot().iter() if el.get("Id") == uri[1:]]
        if len(target) != 1:
            raise _fail(f"reference {uri} does not name exactly one element")
        collector.write(c14n(target[0], digest_method, prefixes))
        sink.write(c14n(target[0], imprint_method, imprint_prefixes))
    else:
        raise _fail(f"reference URI {uri!r} is not supported for archive time-stamps")
    try:
        expected = base64.b64decode(expected_text, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise _fail("undecodable DigestValue") from exc
    if collector.h.digest() != expected:
        raise _fail(f"reference {uri!r} does not match its DigestValue; refusing to time-stamp")


def _stream_c14n(
    tree: etree._ElementTree,
    method: C14N,
    prefixes: Sequence[str] | None,
    exclude: Sequence[etree._Element],
    out: Any,
    holes: Holes,
) -> None:
    """Write the canonical form of ``tree`` minus ``exclude`` to ``out``, with the texts
    :func:`~edocstd.sign._bigtext.punch` took out put back (escaped) on the way.
    ``prefixes`` is the InclusiveNamespaces PrefixList of an exclusive ``method``."""
    writer: Any = Expander(out, holes, escape_c14n) if holes else out
    # lxml-stubs lack write_c14n's keywords; passed as a mapping, as sign/ does.
    kwargs: dict[str, Any] = {"exclusive": method.exclusive, "with_comments": method.with_comments}
    if method.exclusive and prefixes:
        kwargs["inclusive_ns_prefixes"] = list(prefixes)
    with detached(exclude):
        tree.write_c14n(writer, **kwargs)
    if holes:
        writer.close()


def archive_timestamp_digest(
    tree: etree._ElementTree,
    signature: etree._Element,
    method: C14N,
    hash_algorithm: str,
    before: etree._Element | None = None,
) -> bytes:
    """The B-LTA imprint (see the module documentation).

    ``before`` is the archive time-stamp being validated (unsigned properties from it on are
    left out); ``None`` computes the imprint for a new one appended at the end.
    """
    sink = _HashSink(hash_algorithm)
    signed_info = signature.find(f"{_D}SignedInfo")
    value = signature.find(f"{_D}SignatureValue")
    if signed_info is None or value is None:
        raise _fail("the signature lacks ds:SignedInfo or ds:SignatureValue")
    if qualifying_properties(signature) is None:
        raise _fail("the signature has no xades:QualifyingProperties (it is plain XMLDSig)")
    for ref in signed_info.iterfind(f"{_D}Reference"):
        _reference_octets(tree, signature, ref, sink, method)
    sink.write(c14n(signed_info, method))
    sink.write(c14n(value, method))
    key_info = signature.find(f"{_D}KeyInfo")
    if key_info is not None:
        sink.write(c14n(key_info, method))
    # Found, never created: computing an imprint is a read and must leave the tree as it is
    # (a missing container has no children to cover anyway).
    usp = _existing_usp(signature)
    for prop in () if usp is None else usp:
        if not isinstance(prop.tag, str):
            continue
        if before is not None and prop is before:
            break
        sink.write(c14n(prop, method))
    qp = qualifying_properties(signature)
    for obj in signature.iterfind(f"{_D}Object"):
        if qp is not None and qp.getparent() is obj:
            continue
        sink.write(c14n(obj, method))
    return sink.h.digest()


# ------------------------------------------------------------------------------ writing


def _new_id(tree: etree._ElementTree, base: str) -> str:
    taken = {el.get("Id") for el in tree.getroot().iter() if el.get("Id") is not None}
    for n in itertools.count(1):
        candidate = f"{base}-{n}"
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def _timestamp_element(
    tree: etree._ElementTree, tag: str, sig_id: str, method: C14N, token: TimeStampToken
) -> etree._Element:
    kind = "ats" if tag == _ARCHIVE_TS else "sts"
    nsmap = {"xades141": XADES141} if tag == _ARCHIVE_TS else None
    el = etree.Element(tag, Id=_new_id(tree, f"{sig_id}-{kind}"), nsmap=nsmap)
    etree.SubElement(el, f"{_D}CanonicalizationMethod", Algorithm=method.value)
    enc = etree.SubElement(el, f"{_X}EncapsulatedTimeStamp")
    enc.text = base64.b64encode(token.der).decode("ascii")
    return el


def add_signature_timestamp(
    tree: etree._ElementTree,
    signature: etree._Element,
    tsa: TimeStampClient,
    *,
    method: C14N = C14N.EXC,
) -> TimeStampToken:
    """Append a ``xades:SignatureTimeStamp`` (B-T) to ``signature``; return its token."""
    digest = signature_timestamp_digest(signature, method, tsa.hash_algorithm)
    token = tsa.stamp_digest(digest)
    usp = unsigned_signature_properties(signature)
    usp.append(_timestamp_element(tree, _SIGNATURE_TS, signature.get("Id") or "sig", method, token))
    return token


def add_archive_timestamp(
    tree: etree._ElementTree,
    signature: etree._Element,
    tsa: TimeStampClient,
    *,
    method: C14N = C14N.EXC,
) -> TimeStampToken:
    """Append a ``xades141:ArchiveTimeStamp`` (B-LTA) to ``signature``; return its token."""
    digest = archive_timestamp_digest(tree, signature, method, tsa.hash_algorithm)
    token = tsa.stamp_digest(digest)
    usp = unsigned_signature_properties(signature)
    usp.append(_timestamp_element(tree, _ARCHIVE_TS, signature.get("Id") or "sig", method, token))
    return token


@dataclass(frozen=True)
class ValidationData:
    """Certificates, CRLs and OCSP responses (all DER) for long-term validation."""

    certificates: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    ocsps: tuple[bytes, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.certificates or self.crls or self.ocsps)

    def without(self, other: ValidationData) -> ValidationData:
        """What this holds that ``other`` does not."""
        return ValidationData(
            tuple(c for c in self.certificates if c not in set(other.certificates)),
            tuple(c for c in self.crls if c not in set(other.crls)),
            tuple(o for o in self.ocsps if o not in set(other.ocsps)),
        )


def _values(parent: etree._Element, data: ValidationData) -> None:
    if data.certificates:
        cv = etree.SubElement(parent, f"{_X}CertificateValues")
        for der in data.certificates:
            etree.SubElement(cv, f"{_X}EncapsulatedX509Certificate").text = base64.b64encode(
                der
            ).decode("ascii")
    if data.crls or data.ocsps:
        rv = etree.SubElement(parent, f"{_X}RevocationValues")
        if data.crls:
            crl_values = etree.SubElement(rv, f"{_X}CRLValues")
            for der in data.crls:
                etree.SubElement(crl_values, f"{_X}EncapsulatedCRLValue").text = base64.b64encode(
                    der
                ).decode("ascii")
        if data.ocsps:
            ocsp_values = etree.SubElement(rv, f"{_X}OCSPValues")
            for der in data.ocsps:
                etree.SubElement(ocsp_values, f"{_X}EncapsulatedOCSPValue").text = base64.b64encode(
                    der
                ).decode("ascii")


def add_validation_data(signature: etree._Element, data: ValidationData) -> None:
    """Append ``data`` (B-LT): as ``CertificateValues``/``RevocationValues`` the first time,
    as ``xades141:TimeStampValidationData`` once those or an archive time-stamp exist."""
    if not data:
        return
    usp = unsigned_signature_properties(signature)
    has_values = any(
        child.tag in (f"{_X}CertificateValues", f"{_X}RevocationValues", _ARCHIVE_TS)
        for child in usp
    )
    if has_values:
        tsvd = etree.SubElement(
            usp, f"{_X141}TimeStampValidationData", nsmap={"xades141": XADES141}
        )
        _values(tsvd, data)
    else:
        _values(usp, data)


# ------------------------------------------------------------------------------ reading


def _b64_children(parent: etree._Element, path: str) -> list[bytes]:
    out = []
    for el in parent.iterfind(path):
        text = el.text or ""
        value = _decode_canonical(text) if len(text) <= _CACHED_TEXT else _decode(text)
        if value is None:
            raise _fail(f"undecodable or non-canonical base64 in {etree.QName(el).localname}")
        out.append(value)
    return out


_CACHED_TEXT = 16 * 1024  # with 256 entries, at most 4 MB kept


def _decode(text: str) -> bytes | None:
    compact = "".join(text.split())
    try:
        value = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Only the canonical encoding: Python also accepts stray padding ("QUJD="), and several
    # spellings of one value would make unsigned data malleable.
    if base64.b64encode(value).decode("ascii") != compact:
        return None
    return value


@functools.lru_cache(maxsize=256)
def _decode_canonical(text: str) -> bytes | None:
    """:func:`_decode`, cached by the exact text: the same certificates, tokens and
    revocation values are read from every signature (and every document) of one signer."""
    return _decode(text)


def _timestamp_elements(signature: etree._Element) -> list[etree._Element]:
    try:
        usp = _existing_usp(signature)
    except ValueError:
        return []
    if usp is None:
        return []
    return [p for p in usp if p.tag in (_SIGNATURE_TS, _ARCHIVE_TS)]


def _existing_usp(signature: etree._Element) -> etree._Element | None:
    qp = qualifying_properties(signature)
    if qp is None:
        return None
    return qp.find(f"{_X}UnsignedProperties/{_X}UnsignedSignatureProperties")


def _token_of(el: etree._Element) -> TimeStampToken:
    blobs = _b64_children(el, f"{_X}EncapsulatedTimeStamp")
    if len(blobs) != 1:
        raise _fail("a time-stamp property must hold exactly one EncapsulatedTimeStamp")
    return parse_timestamp_token(blobs[0])


def _method_of(el: etree._Element) -> C14N:
    cm = el.find(f"{_D}CanonicalizationMethod")
    if cm is None:
        return _DEFAULT_C14N
    method = lookup_c14n(cm.get("Algorithm", ""))
    if method is None:
        raise _fail("unsupported CanonicalizationMethod in a time-stamp")
    return method


def embedded_validation_data(signature: etree._Element) -> ValidationData:
    """Certificates (KeyInfo, tokens, CertificateValues, TimeStampValidationData) and
    revocation data carried by ``signature``."""
    certs = _b64_children(signature, f"{_D}KeyInfo/{_D}X509Data/{_D}X509Certificate")
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    usp = _existing_usp(signature)
    if usp is not None:
        for holder in [usp, *usp.iterfind(f"{_X141}TimeStampValidationData")]:
            certs += _b64_children(holder, f"{_X}CertificateValues/{_X}EncapsulatedX509Certificate")
            crls += _b64_children(
                holder, f"{_X}RevocationValues/{_X}CRLValues/{_X}EncapsulatedCRLValue"
            )
            ocsps += _b64_children(
                holder, f"{_X}RevocationValues/{_X}OCSPValues/{_X}EncapsulatedOCSPValue"
            )
        for el in _timestamp_elements(signature):
            certs += list(_token_of(el).certificates)
    return ValidationData(
        tuple(dict.fromkeys(certs)), tuple(dict.fromkeys(crls)), tuple(dict.fromkeys(ocsps))
    )


def usable_certs(blobs: Iterable[bytes]) -> list[bytes]:
    """The blobs that decode as certificates: a garbage entry in a document cannot help build
    a path, and must not stop the others from being used."""
    return [der for der in blobs if _readable_cert(der)]


@functools.lru_cache(maxsize=1024)
def _readable_cert(der: bytes) -> bool:
    try:
        as_asn1_certs([der])
    except ValueError:
        return False
    return True


def _issuer_in(
    cert: asn1_x509.Certificate, pool: Iterable[asn1_x509.Certificate]
) -> asn1_x509.Certificate | None:
    for cand in pool:
        if same_name(cand.subject, cert.issuer) and verify_signature(
            bytes(cert["signature_value"].native),
            cert["tbs_certificate"].dump(),
            cand,
            cert["signature_algorithm"],
        ):
            return cand
    return None


def _self_issued(cert: asn1_x509.Certificate) -> bool:
    return same_name(cert.subject, cert.issuer)


def _chain(
    cert: asn1_x509.Certificate, pool: Sequence[asn1_x509.Certificate]
) -> list[tuple[asn1_x509.Certificate, asn1_x509.Certificate | None]]:
    out: list[tuple[asn1_x509.Certificate, asn1_x509.Certificate | None]] = []
    seen: set[bytes] = set()
    current: asn1_x509.Certificate | None = cert
    while current is not None and current.dump() not in seen and len(out) < 10:
        seen.add(current.dump())
        if _self_issued(current):
            out.append((current, None))
            break
        issuer = _issuer_in(current, pool)
        out.append((current, issuer))
        current = issuer
    return out


def gather_validation_data(
    signature: etree._Element,
    *,
    http: HttpClient | None = None,
    extra_certs: Sequence[CertLike] = (),
    freshness: FreshnessPolicy | None = None,
) -> ValidationData:
    """Collect what B-LT must add: the chains of the signer and of every TSA, and an OCSP
    response (or, failing that, a CRL) for each certificate below a root.

    Every piece of revocation data is checked before it is kept. Raises
    :class:`~edocstd.errors.NetworkError` when a needed service cannot be reached and
    :class:`~edocstd.ltv.RevocationError` when an answer is unusable: signing then fails
    cleanly rather than producing a B-LT that cannot validate offline.
    """
    client: HttpClient = http or UrllibClient()
    embedded = embedded_validation_data(signature)
    pool = as_asn1_certs([*usable_certs(embedded.certificates), *extra_certs])
    key_info = _b64_children(signature, f"{_D}KeyInfo/{_D}X509Data/{_D}X509Certificate")
    if not key_info:
        raise _fail("the signature carries no signing certificate in ds:KeyInfo")
    targets = as_asn1_certs(key_info[:1])
    for el in _timestamp_elements(signature):
        token = _token_of(el)
        tsa_certs = as_asn1_certs(token.certificates)
        targets += [c for c in tsa_certs if "1.3.6.1.5.5.7.3.8" in _ekus(c)][:1]
    certs: list[bytes] = []
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    done: set[bytes] = set()
    for target in targets:
        for cert, issuer in _chain(target, pool):
            certs.append(cert.dump())
            if issuer is None:
                if not _self_issued(cert):
                    raise RevocationError(
                        Failure.CHAIN,
                        f"the issuer of {cert.subject.human_friendly} is not available; "
                        "pass it (and the trust anchor) in extra_certs",
                    )
                continue
            if cert.dump() in done:
                continue
            done.add(cert.dump())
            if ocsp_nocheck(cert.dump()):
                continue
            status = _revocation_for(cert, issuer, client, freshness)
            if status[0] == "ocsp":
                ocsps.append(status[1])
                if status[2] and status[2] != issuer.dump():
                    certs.append(status[2])
                    crls += _delegated_responder_status(status[2], cert, issuer, client, freshness)
            else:
                crls.append(status[1])
    gathered = ValidationData(
        tuple(dict.fromkeys(certs)), tuple(dict.fromkeys(crls)), tuple(dict.fromkeys(ocsps))
    )
    return gathered.without(embedded)


def _delegated_responder_status(
    responder_der: bytes,
    cert: asn1_x509.Certificate,
    issuer: asn1_x509.Certificate,
    http: HttpClient,
    freshness: FreshnessPolicy | None,
) -> list[bytes]:
    """The CA's CRL showing that the delegated OCSP responder that answered about ``cert`` is
    not revoked; nothing when the responder carries ``id-pkix-ocsp-nocheck``.

    Without that extension the answer only counts once the responder's own status is shown
    (RFC 6960 §4.2.2.2.1), and the verifier requires it; the CA's CRL does that. A CA-signed
    OCSP answer would too, but asking the responder about itself proves nothing. Raises
    :class:`~edocstd.errors.NetworkError` when the CRL cannot be fetched and
    :class:`~edocstd.ltv.RevocationError` when it is unusable or lists the responder, so
    that no B-LT is produced whose revocation data cannot count offline.
    """
    responder = as_asn1_certs([responder_der])[0]
    if ocsp_nocheck(responder_der):
        return []
    name = responder.subject.human_friendly
    # The responder was issued by the same CA (check_ocsp_response checked that), so when it
    # names no distribution point of its own, the CA's CRL is found where ``cert`` names it.
    urls = crl_urls(responder) or crl_urls(cert)
    if not urls:
        raise RevocationError(
            Failure.NO_REVOCATION_DATA,
            f"the delegated OCSP responder {name} lacks id-pkix-ocsp-nocheck and no CRL "
            "distribution point is known for its status",
        )
    last: Exception | None = None
    for url in urls[:5]:
        try:
            der = fetch_crl(responder, http=http, url=url)
            break
        except NetworkError as exc:
            last = exc
    else:
        raise NetworkError(
            f"no CRL for the delegated OCSP responder {name} (it lacks id-pkix-ocsp-nocheck, so "
            f"its own status must be embedded): {last}"
        ) from last
    try:
        status = check_crl(der, responder, issuer, freshness=freshness)
    except RevocationError as exc:
        raise RevocationError(
            exc.failure, f"the CRL for the delegated OCSP responder {name} is unusable: {exc}"
        ) from exc
    if status.status is CertStatus.REVOKED:
        raise RevocationError(
            Failure.SIGNER,
            f"the delegated OCSP responder {name} is revoked in its CA's CRL "
            f"(since {status.revocation_time}); its answers cannot be relied on",
        )
    return [status.der]


def _ekus(cert: asn1_x509.Certificate) -> list[str]:
    try:
        value = cert.extended_key_usage_value
        return [p.dotted for p in value] if value is not None else []
    except Exception:
        return []


def _revocation_for(
    cert: asn1_x509.Certificate,
    issuer: asn1_x509.Certificate,
    http: HttpClient,
    freshness: FreshnessPolicy | None,
) -> tuple[str, bytes, bytes]:
    problems: list[LtvError | NetworkError] = []
    if ocsp_urls(cert):
        try:
            status = fetch_ocsp(cert, issuer, http=http, freshness=freshness)
            return "ocsp", status.der, status.signer
        except (LtvError, NetworkError) as exc:
            problems.append(exc)
    if crl_urls(cert):
        try:
            der = fetch_crl(cert, http=http)
            status = check_crl(der, cert, issuer, freshness=freshness)
            return "crl", status.der, status.signer
        except (LtvError, NetworkError) as exc:
            problems.append(exc)
    if any(isinstance(p, NetworkError) for p in problems):
        raise NetworkError(
            f"no revocation data for {cert.subject.human_friendly}: "
            + "; ".join(str(p) for p in problems)
        )
    if problems:
        raise problems[-1]
    raise RevocationError(
        Failure.MISMATCH, f"{cert.subject.human_friendly} names no OCSP responder or CRL"
    )


# ------------------------------------------------------------------------------ orchestration


def augmenter(
    level: Level,
    *,
    tsa: TimeStampClient | None,
    http: HttpClient | None = None,
    extra_certs: Sequence[CertLike] = (),
    method: C14N = C14N.EXC,
) -> Callable[[etree._ElementTree, etree._Element], None]:
    """A callable that raises one signature to ``level`` (B-T, B-LT or B-LTA), given the
    document tree and the ``ds:Signature`` element: what :func:`extend` applies to each
    signature, and what :func:`edocstd.sign` applies to a new one above B-B. Existing levels
    are kept: a B-T signature is not stamped again, and a B-LTA gets one more archive
    time-stamp (with the validation data of the previous ones first)."""
    if level not in (Level.B_T, Level.B_LT, Level.B_LTA):
        raise ValueError(f"cannot extend to {level.value}")
    if tsa is None:
        raise ValueError("extending to B-T or above needs a time-stamping authority")

    def run(tree: etree._ElementTree, signature: etree._Element) -> None:
        present = {el.tag for el in _timestamp_elements(signature)}
        if _SIGNATURE_TS not in present:
            add_signature_timestamp(tree, signature, tsa, method=method)
        if level is Level.B_T:
            return
        add_validation_data(
            signature,
            gather_validation_data(signature, http=http, extra_certs=extra_certs),
        )
        if level is Level.B_LTA:
            add_archive_timestamp(tree, signature, tsa, method=method)

    return run


def extend(
    source: Source,
    level: Level,
    *,
    tsa: TimeStampClient,
    http: HttpClient | None = None,
    extra_certs: Sequence[CertLike] = (),
    signature_ids: Sequence[str] | None = None,
    method: C14N = C14N.EXC,
) -> bytes:
    """Raise the signatures of ``source`` (all, or those with ``signature_ids``) to ``level``.

    ``tsa`` stamps; ``http`` fetches OCSP responses and CRLs for B-LT and B-LTA;
    ``extra_certs`` supplies certificates the document does not carry, at least the trust
    anchor of each chain. Works on B-B and B-T signatures made by other tools too. Raises
    :class:`~edocstd.errors.NetworkError`, :class:`~edocstd.ltv.TimeStampError` or
    :class:`~edocstd.ltv.RevocationError` and returns nothing when any step fails.
    """
    # Imported here: the signer may import this module to offer sign(level=B_T...), and a
    # module-level import would make that circular.
    from edocstd.sign._sign import augment

    run = augmenter(level, tsa=tsa, http=http, extra_certs=extra_certs, method=method)
    return augment(source, run, signature_ids=signature_ids)


# ------------------------------------------------------------------------------ validation


class TimeStampKind:
    """Names for the two kinds of time-stamps in a XAdES signature."""

    SIGNATURE = "SignatureTimeStamp"
    ARCHIVE = "ArchiveTimeStamp"


@dataclass(frozen=True)
class TimeStampResult:
    """One validated time-stamp of a signature."""

    kind: str
    validated: ValidatedTimeStamp
    validated_at: dt.datetime
    """The time at which the TSA's path was validated (a later archive time-stamp's
    ``genTime`` when one covers this token, else the validation time)."""


@dataclass(frozen=True)
class TimeStampFailure:
    """One time-stamp of a signature that did not validate."""

    kind: str
    error: TimeStampError
    token: TimeStampToken | None = None
    """The parsed token, when it could at least be parsed."""


def check_timestamps(
    tree: etree._ElementTree,
    signature: etree._Element,
    *,
    trust_roots: Sequence[CertLike],
    at: dt.datetime | None = None,
    policy: TimeStampPolicy | None = None,
    extra: ValidationData | None = None,
    embedded: ValidationData | None = None,
) -> list[TimeStampResult | TimeStampFailure]:
    """Check every ``SignatureTimeStamp`` and ``ArchiveTimeStamp`` of ``signature``; one
    entry per time-stamp, in document order, each a :class:`TimeStampResult` or a
    :class:`TimeStampFailure`. Never raises on hostile content.

    Checks each imprint against the signature as it stands, then each token with
    :func:`~edocstd.ltv.validate_timestamp_token`, using the embedded certificates and
    revocation data plus ``extra`` (never the network). Tokens are processed last to first;
    a token covered by a later, valid archive time-stamp is validated at that time-stamp's
    ``genTime``. ``embedded`` is :func:`embedded_validation_data` of ``signature`` when the
    caller has already read it.
    """
    moment = utc(at)
    extra = extra or ValidationData()
    if embedded is None:
        try:
            embedded = embedded_validation_data(signature)
        except TimeStampError:
            # Undecodable validation data must not hide the tokens: each is judged (and
            # fails) with what remains usable.
            embedded = ValidationData()
    certs = usable_certs([*embedded.certificates, *extra.certificates])
    crls = [*embedded.crls, *extra.crls]
    ocsps = [*embedded.ocsps, *extra.ocsps]
    results: list[TimeStampResult | TimeStampFailure] = []
    poe = moment
    previous_gen: dt.datetime | None = None
    for el in reversed(_timestamp_elements(signature)):
        kind = TimeStampKind.ARCHIVE if el.tag == _ARCHIVE_TS else TimeStampKind.SIGNATURE
        token: TimeStampToken | None = None
        try:
            token = _token_of(el)
            method = _method_of(el)
            if kind == TimeStampKind.SIGNATURE:
                digest = signature_timestamp_digest(signature, method, token.hash_algorithm)
            else:
                digest = archive_timestamp_digest(
                    tree, signature, method, token.hash_algorithm, before=el
                )
            if previous_gen is not None and token.gen_time > previous_gen:
                raise TimeStampError(
                    Failure.ORDER, "a time-stamp claims a time after a later time-stamp"
                )
            validated = validate_timestamp_token(
                token,
                trust_roots=trust_roots,
                digest=digest,
                at=poe,
                other_certs=certs,
                crls=crls,
                ocsps=ocsps,
                policy=policy,
            )
        except TimeStampError as exc:
            results.append(TimeStampFailure(kind, exc, token))
            continue
        except (ValueError, TypeError, KeyError, etree.LxmlError) as exc:
            # Hostile structure that slipped past the typed checks (an unknown hash name, a
            # tree that cannot be canonicalized): still a refusal with a reason.
            error = TimeStampError(Failure.MALFORMED, f"{type(exc).__name__}: {str(exc)[:200]}")
            results.append(TimeStampFailure(kind, error, token))
            continue
        results.append(TimeStampResult(kind=kind, validated=validated, validated_at=poe))
        previous_gen = token.gen_time
        if kind == TimeStampKind.ARCHIVE:
            poe = token.gen_time
    results.reverse()
    return results


def validate_timestamps(
    tree: etree._ElementTree,
    signature: etree._Element,
    *,
    trust_roots: Sequence[CertLike],
    at: dt.datetime | None = None,
    policy: TimeStampPolicy | None = None,
    extra: ValidationData | None = None,
) -> list[TimeStampResult]:
    """Validate every ``SignatureTimeStamp`` and ``ArchiveTimeStamp`` of ``signature``.

    As :func:`check_timestamps`, but raises :class:`~edocstd.ltv.TimeStampError` for the
    first failure (in the order of processing, last to first); returns the results in
    document order.
    """
    checked = check_timestamps(
        tree, signature, trust_roots=trust_roots, at=at, policy=policy, extra=extra
    )
    for item in reversed(checked):
        if isinstance(item, TimeStampFailure):
            raise item.error
    return [item for item in checked if isinstance(item, TimeStampResult)]
