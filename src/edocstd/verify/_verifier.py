"""The verifier: ``Verifier.assess`` and ``Verifier.verify`` (EDOC-1.0 §4.4).

Order of work for each signature, so that nothing is computed over a shape we have not pinned:

1. shape (position, IDs, references, transforms, sizes): :mod:`edocstd.verify._shape`;
2. algorithm policy (legacy and forbidden methods);
3. the document digest, streamed from the canonical form; the SignedProperties digest;
4. the signature value, with the certificate from ``KeyInfo`` that verifies it;
5. key constraints (RSA ≥ 2048 bits, known curves), ``KeyValue`` consistency;
6. the signing certificate reference (XAdES ``SigningCertificate``/``V2``);
7. the signature level the unsigned properties claim against the policy (B-B, or
   B-T/B-LT/B-LTA: ``SignatureTimeStamp``; plus ``CertificateValues`` and
   ``RevocationValues``; plus ``ArchiveTimeStamp``), as an early refusal;
8. without time-stamps: the certificate path to a caller-supplied trust anchor at the
   validation time, key usage (a certificate whose extended key usage allows only
   ``timeStamping``/``OCSPSigning`` is a service's, never a document signer's), and
   revocation;
   with time-stamps (ETSI EN 319 102-1 long-term validation, through :mod:`edocstd.ltv`):
   every time-stamp (imprint, TSA path with ``timeStamping`` to a caller-supplied anchor,
   allowed TSA policies, and — whenever revocation is checked — the TSA path's revocation
   status, required); then the signer's path at the *best signature time* those
   time-stamps prove, key usage, and revocation judged with that proof of existence from the
   data the signature carries, the caller supplied, or (``online``) was fetched; finally the
   level the signature *achieves* (see ``Verifier._reached_level``), which is what is
   reported and what the policy's ``min_level`` is held to.

When every signature passes, the canonical bytes the document digest covered are re-read with
the hardened reader, and that re-read tree (never the input tree) is what the caller gets; on
EDOC documents the schema and business rules run on it under the default policy.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, DSIG11, EC_ROOT
from edocstd._source import Source, describe
from edocstd.errors import InputError, PolicyError, XMLInputError
from edocstd.ltv._errors import Failure, TimeStampError
from edocstd.ltv._levels import (
    TimeStampFailure,
    TimeStampKind,
    TimeStampResult,
    ValidationData,
    check_timestamps,
    embedded_validation_data,
    usable_certs,
)
from edocstd.ltv._poe import (
    LongTermOutcome,
    RevocationJudgement,
    best_signature_time,
    judge_revocation,
)
from edocstd.ltv._status import FreshnessPolicy
from edocstd.ltv._tsp import TimeStampPolicy, TsaRevocation, tsa_revocation_problem
from edocstd.schema._parser import parse
from edocstd.sign._algorithms import DigestAlgorithm, KeyType, SignatureAlgorithm
from edocstd.sign._c14n import UnsupportedC14NError, c14n, detached
from edocstd.verify._chain import (
    OfflineRevocation,
    PathValidator,
    RevocationData,
    RevocationSource,
)
from edocstd.verify._policy import Policy, Revocation
from edocstd.verify._report import (
    Check,
    Indication,
    SignatureReport,
    SignedContentChangedError,
    SubIndication,
    TimeStampReport,
    VerificationReport,
    VerifiedDocument,
)
from edocstd.verify._shape import (
    CertRef,
    Reference,
    ShapeError,
    SignatureShape,
    check_document,
    read_signature,
)
from edocstd.verify._trust import TrustStore

__all__ = ["Verifier"]

_TITLES: dict[str, tuple[str, str]] = {
    "read": ("Reading the document", "การอ่านเอกสาร"),
    "signatures-present": ("Finding the signatures", "การค้นหาลายมือชื่อ"),
    "placement": ("Signature placement and unique IDs", "ตำแหน่งลายมือชื่อและ ID ที่ไม่ซ้ำ"),
    "shape": ("Signature structure", "โครงสร้างของลายมือชื่อ"),
    "algorithms": ("Algorithm policy", "นโยบายอัลกอริทึม"),
    "reference-document": ("Digest of the signed document", "ค่าย่อยของเอกสารที่ลงนาม"),
    "reference-properties": ("Digest of the signed properties", "ค่าย่อยของคุณสมบัติที่ลงนาม"),
    "reference-keyinfo": ("Digest of the signed key information", "ค่าย่อยของข้อมูลกุญแจที่ลงนาม"),
    "signature-value": ("Cryptographic signature value", "ค่าลายมือชื่อทางการเข้ารหัส"),
    "key-constraints": ("Signing key strength", "ความแข็งแรงของกุญแจที่ใช้ลงนาม"),
    "key-value": ("KeyValue matches the certificate", "KeyValue ตรงกับใบรับรอง"),
    "signing-certificate": (
        "Signed reference to the signing certificate",
        "การอ้างอิงใบรับรองของผู้ลงนามที่ถูกลงนาม",
    ),
    "level": ("Signature level required by the policy", "ระดับลายมือชื่อตามนโยบาย"),
    "timestamps": (
        "Time-stamps (proof of existence)",
        "การประทับเวลา (หลักฐานการมีอยู่ของลายมือชื่อ)",
    ),
    "chain": ("Certificate chain to a trusted root", "สายใบรับรองถึงใบรับรองหลักที่เชื่อถือ"),
    "key-usage": ("Key usage of the signing certificate", "การใช้งานกุญแจของใบรับรองผู้ลงนาม"),
    "revocation": ("Revocation status", "สถานะการเพิกถอน"),
    "schema": ("EDOC schema and business rules", "โครงสร้าง (schema) และกฎทางธุรกิจของ EDOC"),
}

_PASSED = {name: Check(name, en, th, True) for name, (en, th) in _TITLES.items()}
_NOT_CHECKED = Check(
    "revocation",
    *_TITLES["revocation"],
    True,
    "not checked: the policy says revocation=none",
    "ไม่ได้ตรวจสอบ: นโยบายกำหนด revocation=none",
)
_NOT_REVOKED = Check(
    "revocation",
    *_TITLES["revocation"],
    True,
    "the certificates are not revoked",
    "ใบรับรองไม่ถูกเพิกถอน",
)

_TOTAL_FAILED_SUBS = frozenset(
    {
        SubIndication.FORMAT_FAILURE,
        SubIndication.HASH_FAILURE,
        SubIndication.SIG_CRYPTO_FAILURE,
        SubIndication.REVOKED,
        SubIndication.EXPIRED,
    }
)

# Clocks of signing workstations drift; a signing time this much after the time-stamp is
# tolerated (the same margin the revocation freshness rules allow).
_SIGNING_TIME_TOLERANCE = dt.timedelta(minutes=5)
_HASH: dict[DigestAlgorithm, Callable[[bytes], Any]] = {
    d: functools.partial(hashlib.new, d.hash_name) for d in DigestAlgorithm
}
_HASH.update(
    {
        DigestAlgorithm.SHA256: hashlib.sha256,
        DigestAlgorithm.SHA384: hashlib.sha384,
        DigestAlgorithm.SHA512: hashlib.sha512,
    }
)
_RANK = {level: rank for rank, level in enumerate(Level)}
_EC_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
_MIN_RSA_BITS = 2048


class _Fail(Exception):
    """Internal: one signature's verification stops here."""

    def __init__(self, check: str, sub: SubIndication, en: str, th: str) -> None:
        super().__init__(en)
        self.check = check
        self.sub = sub
        self.en = en
        self.th = th


def _indication_for(sub: SubIndication) -> Indication:
    if sub in _TOTAL_FAILED_SUBS:
        return Indication.TOTAL_FAILED
    return Indication.INDETERMINATE


class _Checks:
    def __init__(self) -> None:
        self.items: list[Check] = []

    def ok(self, name: str, en: str = "", th: str = "") -> None:
        if not en and not th:
            # Checks are immutable, so a plain pass is one shared object per check name.
            self.items.append(_PASSED[name])
            return
        t_en, t_th = _TITLES[name]
        self.items.append(Check(name, t_en, t_th, True, en, th))

    def fail(self, name: str, en: str, th: str) -> None:
        t_en, t_th = _TITLES[name]
        self.items.append(Check(name, t_en, t_th, False, en, th))


@dataclass(slots=True)
class _SigOutcome:
    report: SignatureReport
    signed_bytes: bytes | None
    reference: Reference | None = None
    """The document reference ``signed_bytes`` were canonicalized for."""


# Up to this size the signed bytes are kept for ``VerifiedDocument.signed_bytes``; above it they
# are dropped once re-read and canonicalized again from the re-read tree when asked for, so a
# large document is not held three times (bytes, tree, decoded attachments).
_KEEP_SIGNED_MAX = 1 << 20


class Verifier:
    """Verifies enveloped XAdES (and, when the policy allows, plain XMLDSig) signatures.

    ``trust`` holds the only trust anchors; certificates in documents only help build paths.
    ``crls`` and ``ocsp_responses`` are caller-supplied revocation data (DER or PEM bytes),
    used in ``offline`` and ``online`` modes. ``revocation_source`` replaces the revocation
    step (for example with an online fetcher); by default it is the offline source.

    A verifier is reusable and thread-safe; it caches path-validation results, so keep one for
    many documents. Decoded certificates, time-stamp signer checks and the time-independent
    part of OCSP/CRL checks are cached process-wide, keyed by their exact bytes.
    """

    def __init__(
        self,
        trust: TrustStore,
        policy: Policy | None = None,
        crls: Iterable[bytes] = (),
        ocsp_responses: Iterable[bytes] = (),
        revocation_source: RevocationSource | None = None,
    ) -> None:
        if not isinstance(trust, TrustStore):
            raise PolicyError("trust must be a TrustStore (see TrustStore.from_pem)")
        if len(trust) == 0:
            raise PolicyError("the trust store holds no trust anchor")
        if policy is None:
            policy = Policy()
        if not isinstance(policy, Policy):
            raise PolicyError("policy must be a Policy")
        self.trust = trust
        self.policy = policy
        supplied = RevocationData(
            crls=tuple(_der_blobs(crls, "X509 CRL")),
            ocsps=tuple(_der_blobs(ocsp_responses, "OCSP RESPONSE")),
        )
        self._supplied = supplied
        self._revocation: RevocationSource = revocation_source or _default_source(
            policy.revocation, trust, supplied
        )
        self._paths = PathValidator(trust)
        # A time-stamp is only as good as its TSA's key: whenever revocation is checked at all,
        # the TSA's path needs revocation data too (a document leaving it out must not pass).
        self._timestamp_policy = TimeStampPolicy(
            allowed_policies=policy.tsa_policies,
            revocation=(
                TsaRevocation.IF_AVAILABLE
                if policy.revocation is Revocation.NONE
                else TsaRevocation.REQUIRED
            ),
        )
        self._supplied_data = ValidationData(crls=supplied.crls, ocsps=supplied.ocsps)
        self._anchor_ders = tuple(a.dump() for a in trust.asn1_anchors)
        self._freshness = FreshnessPolicy()
        self._policy_dict = policy.to_dict()

    # ----------------------------------------------------------------------------------------

    def assess(self, source: Source, at: dt.datetime | None = None) -> VerificationReport:
        """Verify ``source`` and report; never raises on bad signatures or bad input.

        ``at`` is the validation time (default: now); it must carry a time zone.
        """
        return self._run(source, at, want_document=False)[0]

    def verify(self, source: Source, at: dt.datetime | None = None) -> VerifiedDocument:
        """Verify ``source`` and return only what was signed.

        Raises :class:`~edocstd.VerificationError` (carrying the report) unless the outcome is
        TOTAL-PASSED.
        """
        report, verified = self._run(source, at, want_document=True)
        report.raise_for_status()
        assert verified is not None
        return verified

    # ----------------------------------------------------------------------------------------

    def _run(
        self, source: Source, at: dt.datetime | None, want_document: bool
    ) -> tuple[VerificationReport, VerifiedDocument | None]:
        when = _validation_time(at)
        doc_checks = _Checks()
        name = describe(source)

        def final(
            sub: SubIndication | None,
            en: str,
            th: str,
            sigs: Sequence[SignatureReport] = (),
            schema: Any = None,
        ) -> VerificationReport:
            ind = Indication.TOTAL_PASSED if sub is None else _indication_for(sub)
            return VerificationReport(
                indication=ind,
                sub_indication=sub,
                message_en=en,
                message_th=th,
                signatures=tuple(sigs),
                checks=tuple(doc_checks.items),
                validation_time=when,
                policy=self._policy_dict,
                schema_report=schema,
                source=name,
            )

        try:
            tree = parse(source)
        except XMLInputError as exc:
            doc_checks.fail("read", exc.reason, exc.reason_th)
            return final(
                SubIndication.FORMAT_FAILURE,
                f"the input was refused by the XML reader: {exc.reason}",
                f"ตัวอ่าน XML ปฏิเสธข้อมูลนำเข้า: {exc.reason_th}",
            ), None
        except InputError as exc:
            doc_checks.fail("read", str(exc), "ไม่สามารถเปิดหรืออ่านข้อมูลนำเข้าได้")
            return final(
                SubIndication.FORMAT_FAILURE,
                f"the input could not be read: {exc}",
                "ไม่สามารถเปิดหรืออ่านข้อมูลนำเข้าได้",
            ), None
        doc_checks.ok("read")
        root = tree.getroot()
        try:
            signatures, id_index = check_document(root)
        except ShapeError as exc:
            doc_checks.fail("placement", exc.message_en, exc.message_th)
            return final(exc.sub, exc.message_en, exc.message_th), None
        doc_checks.ok("placement")
        if not signatures:
            en = "the document carries no signature"
            th = "เอกสารไม่มีลายมือชื่อ"
            doc_checks.fail("signatures-present", en, th)
            return final(SubIndication.FORMAT_FAILURE, en, th), None
        doc_checks.items.append(_signatures_found(len(signatures)))

        outcomes: list[_SigOutcome] = []
        signed: bytes | None = None
        signed_ref: Reference | None = None
        for sig in signatures:
            # Only one canonical form is kept (to re-read it); the others are only hashed.
            out = self._signature(tree, sig, signatures, id_index, when, keep=signed is None)
            outcomes.append(out)
            if out.signed_bytes is not None and signed is None:
                signed = out.signed_bytes
                signed_ref = out.reference
        reports = [o.report for o in outcomes]
        worst = _worst(reports)
        if worst is not None:
            return final(worst.sub_indication, worst.message_en, worst.message_th, reports), None
        assert signed is not None and signed_ref is not None
        is_edoc = root.tag == EC_ROOT
        # Drop every reference into the input tree (an element proxy keeps the whole document
        # alive), so it is freed before the signed bytes are re-read.
        del tree, root, id_index, signatures, outcomes, sig, out
        n = len(reports)
        if not want_document and not (is_edoc and self.policy.require_schema):
            # Nothing to hand out and nothing to validate: the digests already cover the bytes.
            return final(
                None,
                f"all {n} signature(s) are valid" if n > 1 else "the signature is valid",
                f"ลายมือชื่อทั้ง {n} รายการถูกต้อง" if n > 1 else "ลายมือชื่อถูกต้อง",
                reports,
            ), None

        # Re-read exactly what was digested; the input tree is never handed out, not even with
        # the signatures taken off. It differs from the digested octets in ways that change
        # what a reader sees: comments (dropped from a same-document reference, yet lxml's
        # .text stops at the first one, the classic comment-injection split), namespace
        # declarations exclusive C14N left out (a prefix used only inside a value such as
        # xsi:type is unbound in what was signed), and whatever else C14N normalises. Parsing
        # the canonical bytes is the one way to get exactly the signed content.
        try:
            # A file object streams in 1 MB chunks; handing libxml2 the whole buffer at once
            # makes it copy all of it first.
            signed_tree = parse(io.BytesIO(signed))
        except XMLInputError as exc:  # pragma: no cover - canonical XML is always readable
            en = f"the signed content could not be re-read: {exc.reason}"
            th = f"ไม่สามารถอ่านเนื้อหาที่ลงนามซ้ำได้: {exc.reason_th}"
            doc_checks.fail("read", en, th)
            return final(SubIndication.FORMAT_FAILURE, en, th, reports), None
        # A large document is not kept as bytes next to its tree and its decoded content:
        # VerifiedDocument canonicalizes the tree again on demand and checks the result
        # against the signed digest, so what it hands out is still exactly what was digested.
        kept = signed if len(signed) <= _KEEP_SIGNED_MAX else None
        del signed
        is_edoc = signed_tree.getroot().tag == EC_ROOT
        schema_report = None
        if is_edoc and self.policy.require_schema:
            from edocstd.schema._validate import validate_tree

            # The bytes the tree was just read from go along (when kept): the whole-document
            # text rule then scans them once instead of visiting every text node, and falls
            # back to the node walk by itself whenever the bytes alone cannot settle it.
            schema_report = validate_tree(signed_tree, raw=kept)
            if not schema_report.valid:
                first = schema_report.problems[0]
                en = (
                    "the signatures are valid, but the signed document is not a valid EDOC "
                    f"document: {first.code} {first.message_en}"
                )
                th = (
                    "ลายมือชื่อถูกต้อง แต่เอกสารที่ลงนามไม่ใช่เอกสาร EDOC ที่ถูกต้อง: "
                    f"{first.code} {first.message_th}"
                )
                doc_checks.fail("schema", en, th)
                return final(SubIndication.FORMAT_FAILURE, en, th, reports, schema_report), None
            doc_checks.ok("schema")
        report = final(
            None,
            f"all {n} signature(s) are valid" if n > 1 else "the signature is valid",
            f"ลายมือชื่อทั้ง {n} รายการถูกต้อง" if n > 1 else "ลายมือชื่อถูกต้อง",
            reports,
            schema_report,
        )
        if not want_document:
            return report, None
        document = None
        if is_edoc:
            from edocstd.errors import DocumentError
            from edocstd.schema._codec import decode

            try:
                document = decode(signed_tree)
            except DocumentError:
                # Only reachable with require_schema=False: the caller asked for the signature
                # alone, so content the model cannot hold leaves ``document`` empty; the signed
                # bytes and tree are still handed over. Raising here would break the contract
                # that verify() raises VerificationError only, for a signature that is valid.
                document = None
        rebuild = None
        if kept is None:
            rebuild = functools.partial(_rebuild_signed, signed_tree, signed_ref)
        return report, VerifiedDocument(document, kept, report, signed_tree, rebuild)

    # ----------------------------------------------------------------------------------------

    def _signature(
        self,
        tree: etree._ElementTree,
        sig: etree._Element,
        all_sigs: Sequence[etree._Element],
        id_index: dict[str, etree._Element],
        when: dt.datetime,
        keep: bool,
    ) -> _SigOutcome:
        try:
            return self._signature_checks(tree, sig, all_sigs, id_index, when, keep)
        except (
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
            OverflowError,
            etree.LxmlError,
        ) as e:
            # A safety net: hostile input must give a report, never an exception. Reaching it
            # means a check above missed a malformed value; the outcome is still negative.
            en = f"the signature could not be processed ({type(e).__name__}: {str(e)[:200]})"
            th = "ไม่สามารถประมวลผลลายมือชื่อได้ เนื่องจากโครงสร้างหรือค่าที่ไม่ถูกต้อง"
            t_en, t_th = _TITLES["shape"]
            return _SigOutcome(
                SignatureReport(
                    signature_id=sig.get("Id"),
                    indication=Indication.TOTAL_FAILED,
                    sub_indication=SubIndication.FORMAT_FAILURE,
                    message_en=en,
                    message_th=th,
                    checks=(Check("shape", t_en, t_th, False, en, th),),
                ),
                None,
            )

    def _signature_checks(
        self,
        tree: etree._ElementTree,
        sig: etree._Element,
        all_sigs: Sequence[etree._Element],
        id_index: dict[str, etree._Element],
        when: dt.datetime,
        keep: bool,
    ) -> _SigOutcome:
        checks = _Checks()
        info: dict[str, Any] = {"signature_id": sig.get("Id")}
        signed_bytes: bytes | None = None
        try:
            try:
                shape = read_signature(sig, id_index)
            except ShapeError as exc:
                raise _Fail("shape", exc.sub, exc.message_en, exc.message_th) from None
            checks.ok("shape")
            digests = shape.digests()
            info.update(_shape_info(shape, digests, len(all_sigs)))
            legacy = self._algorithms(shape, digests)
            info["legacy"] = legacy
            checks.ok(
                "algorithms",
                "legacy algorithm accepted by policy" if legacy else "",
                "ยอมรับอัลกอริทึมรุ่นเก่าตามนโยบาย" if legacy else "",
            )
            signed_bytes = self._document_digest(tree, shape, all_sigs, keep)
            signed_ref = shape.document_ref
            checks.ok("reference-document")
            if shape.properties_ref is not None:
                self._properties_digest(shape)
                checks.ok("reference-properties")
            if shape.key_info_ref is not None:
                self._key_info_digest(shape)
                checks.ok("reference-keyinfo")
            cert, cert_der, others = self._signature_value(shape)
            checks.ok("signature-value")
            info["signer"] = _subject(cert_der)
            info["signer_certificate"] = cert_der
            _key_constraints(cert_der)
            checks.ok("key-constraints")
            if shape.key_value is not None:
                _key_value_matches(shape.key_value, cert)
                checks.ok("key-value")
            if shape.level is not Level.XMLDSIG:
                _signing_certificate(shape, cert, cert_der)
                checks.ok("signing-certificate")
            # What the signature claims must already meet the policy; a long-term signature
            # is held to the level it achieves once its time-stamps and data are judged.
            self._level(shape)
            if shape.timestamped:
                self._long_term(tree, shape, cert, cert_der, others, when, checks, info)
            else:
                checks.ok("level")
                embedded = RevocationData(shape.embedded_crls, shape.embedded_ocsps)
                self._path_and_revocation(
                    cert, cert_der, others, when, None, embedded, checks, info
                )
        except _Fail as f:
            checks.fail(f.check, f.en, f.th)
            return _SigOutcome(
                SignatureReport(
                    indication=_indication_for(f.sub),
                    sub_indication=f.sub,
                    message_en=f"{_TITLES[f.check][0]} failed: {f.en}",
                    message_th=f"{_TITLES[f.check][1]} ไม่ผ่าน: {f.th}",
                    checks=tuple(checks.items),
                    **info,
                ),
                None,
            )
        notes_en = "; ".join(shape.notes_en)
        notes_th = "; ".join(shape.notes_th)
        return _SigOutcome(
            SignatureReport(
                indication=Indication.TOTAL_PASSED,
                sub_indication=None,
                message_en="the signature is valid" + (f" ({notes_en})" if notes_en else ""),
                message_th="ลายมือชื่อถูกต้อง" + (f" ({notes_th})" if notes_th else ""),
                checks=tuple(checks.items),
                **info,
            ),
            signed_bytes,
            signed_ref,
        )

    def _algorithms(self, shape: SignatureShape, digests: Sequence[DigestAlgorithm]) -> bool:
        legacy = [d.hash_name for d in digests if d.legacy]
        if shape.algorithm.legacy:
            legacy.insert(0, shape.algorithm.short_name)
        if legacy and not self.policy.allow_legacy:
            names = ", ".join(dict.fromkeys(legacy))
            raise _Fail(
                "algorithms",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
                f"the signature relies on {names}, which is no longer considered secure; it is "
                "accepted only under a legacy policy (allow_legacy / --allow-sha1)",
                f"ลายมือชื่ออาศัย {names} ซึ่งไม่ถือว่าปลอดภัยแล้ว "
                "จะยอมรับเฉพาะภายใต้นโยบายอัลกอริทึมรุ่นเก่า (allow_legacy / --allow-sha1)",
            )
        return bool(legacy)

    def _document_digest(
        self,
        tree: etree._ElementTree,
        shape: SignatureShape,
        all_sigs: Sequence[etree._Element],
        keep: bool,
    ) -> bytes | None:
        ref = shape.document_ref
        exclude = list(all_sigs) if ref.subtract_all else [shape.element]
        try:
            # One C call producing the canonical bytes, hashed once. Measured on a 50 MB
            # document, this peaks lower than streaming libxml2's output through a Python
            # file object into the hash (150 MB against 183 MB, 227 MB when the stream is also
            # kept), because lxml's file-object writer buffers and copies each large text
            # node several times. The bytes are needed anyway for the signature that is re-read.
            canonical = _canonical_document(tree, ref, exclude)
        except (UnsupportedC14NError, etree.C14NError, ValueError) as exc:
            raise _Fail(
                "reference-document",
                SubIndication.FORMAT_FAILURE,
                f"the document could not be canonicalized: {exc}",
                "ไม่สามารถทำเอกสารให้อยู่ในรูปแบบบัญญัติได้",
            ) from None
        value = _HASH[ref.digest](canonical).digest()
        if not hmac.compare_digest(value, ref.value):
            raise _Fail(
                "reference-document",
                SubIndication.HASH_FAILURE,
                "the document has been changed since it was signed (its digest does not match "
                "the signed digest)",
                "เอกสารถูกแก้ไขหลังจากลงนาม (ค่าย่อยของเอกสารไม่ตรงกับค่าที่ลงนามไว้)",
            )
        return canonical if keep else None

    def _properties_digest(self, shape: SignatureShape) -> None:
        ref = shape.properties_ref
        assert ref is not None and shape.signed_properties is not None
        _check_element_digest(
            ref,
            shape.signed_properties,
            "reference-properties",
            ("the signed properties", "คุณสมบัติที่ลงนาม"),
            (
                "the signed properties (signing time, signing certificate …) have been changed "
                "since the document was signed",
                "คุณสมบัติที่ลงนาม (เวลาลงนาม ใบรับรองผู้ลงนาม ฯลฯ) ถูกแก้ไขหลังจากลงนาม",
            ),
        )

    def _key_info_digest(self, shape: SignatureShape) -> None:
        ref = shape.key_info_ref
        assert ref is not None and shape.key_info is not None
        _check_element_digest(
            ref,
            shape.key_info,
            "reference-keyinfo",
            ("ds:KeyInfo", "ds:KeyInfo"),
            (
                "the signed key information (ds:KeyInfo) has been changed since signing",
                "ข้อมูลกุญแจที่ลงนาม (ds:KeyInfo) ถูกแก้ไขหลังจากลงนาม",
            ),
        )

    def _signature_value(
        self, shape: SignatureShape
    ) -> tuple[x509.Certificate, bytes, list[tuple[x509.Certificate, bytes]]]:
        if not shape.certificates:
            if shape.key_value is not None:
                en = (
                    "the signature carries only a bare public key (ds:KeyValue) and no "
                    "certificate; a bare key is never trusted"
                )
                th = (
                    "ลายมือชื่อมีเพียงกุญแจสาธารณะ (ds:KeyValue) โดยไม่มีใบรับรอง ซึ่งจะไม่เชื่อถือกุญแจเปล่าในทุกกรณี"
                )
            else:
                en = "the signature carries no signing certificate (ds:X509Certificate)"
                th = "ลายมือชื่อไม่มีใบรับรองของผู้ลงนาม (ds:X509Certificate)"
            raise _Fail("signature-value", SubIndication.NO_SIGNING_CERTIFICATE_FOUND, en, th)
        certs: list[tuple[x509.Certificate, bytes]] = []
        for i, der in enumerate(shape.certificates, 1):
            try:
                certs.append((_load_cert(der), der))
            except ValueError:
                raise _Fail(
                    "signature-value",
                    SubIndication.FORMAT_FAILURE,
                    f"certificate {i} in ds:KeyInfo cannot be read",
                    f"ไม่สามารถอ่านใบรับรองลำดับที่ {i} ใน ds:KeyInfo ได้",
                ) from None
        try:
            data = c14n(shape.signed_info, shape.c14n, shape.c14n_prefixes)
        except (UnsupportedC14NError, etree.C14NError, ValueError) as exc:
            raise _Fail(
                "signature-value",
                SubIndication.FORMAT_FAILURE,
                f"ds:SignedInfo could not be canonicalized: {exc}",
                "ไม่สามารถทำ ds:SignedInfo ให้อยู่ในรูปแบบบัญญัติได้",
            ) from None
        # The certificate that actually verifies the signature is the signer's; the profile
        # puts it first, so on genuine documents this loop runs once.
        for cert, der in certs:
            if _verify_value(der, shape.algorithm, shape.signature_value, data):
                others = [(c, d) for c, d in certs if d != der]
                return cert, der, others
        raise _Fail(
            "signature-value",
            SubIndication.SIG_CRYPTO_FAILURE,
            "the signature value does not verify with the public key of the certificate in "
            "the signature: the signed information was altered or signed with another key",
            "ค่าลายมือชื่อไม่สามารถตรวจสอบได้ด้วยกุญแจสาธารณะของใบรับรองในลายมือชื่อ: "
            "ข้อมูลที่ลงนามถูกแก้ไขหรือลงนามด้วยกุญแจอื่น",
        )

    def _level(self, shape: SignatureShape) -> None:
        need = self.policy.min_level
        if need is None or _RANK[shape.level] >= _RANK[need]:
            return
        if shape.level is Level.XMLDSIG:
            en = (
                "this is a plain XMLDSig signature, not AdES (it has no XAdES signed "
                f"properties); the policy requires at least {need.value} "
                "(use min_level=None / --min-level none to accept plain XMLDSig)"
            )
            th = (
                "ลายมือชื่อนี้เป็น XMLDSig ธรรมดา ไม่ใช่ AdES (ไม่มีคุณสมบัติ XAdES ที่ลงนาม) "
                f"แต่นโยบายกำหนดอย่างน้อย {need.value} "
                "(ใช้ min_level=None / --min-level none เพื่อยอมรับ XMLDSig ธรรมดา)"
            )
        else:
            en = f"the signature level is {shape.level.value}; the policy requires {need.value}"
            th = f"ลายมือชื่ออยู่ในระดับ {shape.level.value} แต่นโยบายกำหนด {need.value}"
        raise _Fail("level", SubIndication.SIG_CONSTRAINTS_FAILURE, en, th)

    def _long_term(
        self,
        tree: etree._ElementTree,
        shape: SignatureShape,
        cert: x509.Certificate,
        der: bytes,
        others: list[tuple[x509.Certificate, bytes]],
        when: dt.datetime,
        checks: _Checks,
        info: dict[str, Any],
    ) -> None:
        """B-T and above (ETSI EN 319 102-1 §5.5, §5.6): validate every time-stamp, then judge
        the signer's path and revocation at the best signature time those time-stamps prove.

        The proof-of-existence rules live in :mod:`edocstd.ltv._poe`; this only gathers the
        inputs and turns the outcome into indications and words.
        """
        unreadable: TimeStampError | None = None
        embedded: ValidationData | None = None
        try:
            embedded = embedded_validation_data(shape.element)
        except TimeStampError as exc:
            unreadable = exc
        # The time-stamps are judged (and listed) even when other embedded data is unreadable.
        best, stamps = self._timestamps(tree, shape, when, info, embedded)
        if embedded is None:
            en = unreadable.message_en if unreadable else ""
            th = unreadable.message_th if unreadable else ""
            raise _Fail(
                "timestamps",
                SubIndication.NO_POE,
                f"the validation data carried in the signature cannot be read: {en}",
                f"ไม่สามารถอ่านข้อมูลสำหรับการตรวจสอบที่แนบมากับลายมือชื่อได้: {th}",
            )
        stamp_text = best.isoformat()
        claimed = shape.signing_time
        if claimed is not None and claimed > best + _SIGNING_TIME_TOLERANCE:
            # The time-stamp proves the signature existed at ``best``; a signing time after
            # that is false, and nothing the signature claims about itself can be relied on.
            raise _Fail(
                "timestamps",
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                f"the signature claims to have been made at {claimed.isoformat()}, after its "
                f"time-stamp proves it already existed ({stamp_text})",
                f"ลายมือชื่ออ้างว่าลงนามเมื่อ {claimed.isoformat()} ซึ่งช้ากว่าเวลาที่การประทับเวลา"
                f"พิสูจน์ว่าลายมือชื่อมีอยู่แล้ว ({stamp_text})",
            )
        n = len(info["timestamps"])
        checks.ok(
            "timestamps",
            f"{n} time-stamp(s) valid; the signature existed at {stamp_text}",
            f"การประทับเวลา {n} รายการถูกต้อง ลายมือชื่อมีอยู่แล้ว ณ เวลา {stamp_text}",
        )

        pool = list(others)
        known = {der, *(d for _, d in others)}
        for extra in usable_certs(embedded.certificates):
            if extra not in known:
                known.add(extra)
                try:
                    pool.append((_load_cert(extra), extra))
                except ValueError:
                    continue
        path = self._path_and_revocation(
            cert,
            der,
            pool,
            when,
            best,
            RevocationData(embedded.crls, embedded.ocsps),
            checks,
            info,
        )
        self._reached_level(shape, path, stamps, embedded, when, best, checks, info)

    def _reached_level(
        self,
        shape: SignatureShape,
        path: list[bytes],
        stamps: Sequence[TimeStampResult],
        embedded: ValidationData,
        when: dt.datetime,
        best: dt.datetime,
        checks: _Checks,
        info: dict[str, Any],
    ) -> None:
        """Report the level the signature *achieves* and hold it to the policy.

        The unsigned properties only claim a level (EN 319 132-1 §6); what is reported is what
        validation showed (EN 319 102-1 §5.5, §5.6), never more than the claim:

        * B-T: a ``SignatureTimeStamp`` validated;
        * B-LT: besides, the validation data the signature *carries* (``CertificateValues``,
          ``RevocationValues``, ``TimeStampValidationData``, ``KeyInfo`` and the tokens'
          certificates; never what the caller supplied or what was fetched) is enough on its
          own: it establishes the revocation status of every certificate below the trust
          anchor in the signer's path at the best signature time, and in the path of the TSA
          of every signature time-stamp. Trust anchors come from the trust store and need not
          be carried;
        * B-LTA: besides, an ``ArchiveTimeStamp`` validated.

        An empty ``CertificateValues``/``RevocationValues`` pair thus claims B-LT but reaches
        B-T; a policy asking for B-LT refuses it.
        """
        claimed = shape.level
        kinds = {s.kind for s in stamps}
        reached = Level.B_T if TimeStampKind.SIGNATURE in kinds else Level.B_B
        why: tuple[str, str] = ("", "")
        if reached is Level.B_T and _RANK[claimed] >= _RANK[Level.B_LT]:
            gap = self._embedded_gap(path, stamps, embedded, when, best)
            if gap is None:
                reached = Level.B_LT
                if claimed is Level.B_LTA and TimeStampKind.ARCHIVE in kinds:
                    reached = Level.B_LTA
            else:
                why = gap
        elif reached is Level.B_T and claimed is Level.B_B:
            reached = Level.B_B
        info["level"] = reached
        need = self.policy.min_level
        if reached is not claimed:
            en = f"it claims {claimed.value} but reaches {reached.value}"
            th = f"ลายมือชื่ออ้างระดับ {claimed.value} แต่ตรวจสอบได้เพียงระดับ {reached.value}"
            if why[0]:
                en, th = f"{en}: {why[0]}", f"{th}: {why[1]}"
            if need is not None and _RANK[reached] < _RANK[need]:
                raise _Fail(
                    "level",
                    SubIndication.SIG_CONSTRAINTS_FAILURE,
                    f"{en}; the policy requires {need.value}",
                    f"{th} แต่นโยบายกำหนด {need.value}",
                )
            shape.notes_en.append(en)
            shape.notes_th.append(th)
            checks.ok("level", en, th)
            return
        checks.ok("level")

    def _embedded_gap(
        self,
        path: list[bytes],
        stamps: Sequence[TimeStampResult],
        embedded: ValidationData,
        when: dt.datetime,
        best: dt.datetime,
    ) -> tuple[str, str] | None:
        """Why the data the signature carries is not enough for B-LT (English, Thai), or
        ``None`` when it is (see :meth:`_reached_level`)."""
        judged = judge_revocation(
            path,
            crls=embedded.crls,
            ocsps=embedded.ocsps,
            at=when,
            poe=best,
            freshness=self._freshness,
        )
        if judged.outcome is not LongTermOutcome.PASSED:
            detail = judged.detail or judged.outcome.value
            return (
                "the validation data it carries does not establish the revocation status of "
                f"the signer's certificates ({detail})",
                "ข้อมูลสำหรับการตรวจสอบที่แนบมากับลายมือชื่อไม่เพียงพอที่จะยืนยันสถานะ"
                "การเพิกถอนของใบรับรองของผู้ลงนาม",
            )
        for stamp in stamps:
            if stamp.kind != TimeStampKind.SIGNATURE:
                continue
            problem = tsa_revocation_problem(
                stamp.validated,
                at=stamp.validated_at,
                crls=embedded.crls,
                ocsps=embedded.ocsps,
                freshness=self._freshness,
            )
            if problem is not None:
                return (
                    "the validation data it carries does not establish the revocation status "
                    f"of the time-stamping unit's certificates ({problem})",
                    "ข้อมูลสำหรับการตรวจสอบที่แนบมากับลายมือชื่อไม่เพียงพอที่จะยืนยันสถานะ"
                    "การเพิกถอนของใบรับรองของผู้ให้บริการประทับเวลา",
                )
        return None

    def _path_and_revocation(
        self,
        cert: x509.Certificate,
        der: bytes,
        pool: list[tuple[x509.Certificate, bytes]],
        when: dt.datetime,
        best: dt.datetime | None,
        embedded: RevocationData,
        checks: _Checks,
        info: dict[str, Any],
    ) -> list[bytes]:
        """The signer's path to a trust anchor and its key usage, judged at ``best`` (the time
        a time-stamp proves) when there is one, else at ``when``; then revocation. Returns the
        path (DER, signer first, trust anchor last).

        Revocation follows ETSI EN 319 102-1 with proof of existence, through
        :func:`edocstd.ltv.judge_revocation`, at every level: B-B and long-term signatures
        are judged by one set of rules.
        """
        moment = best or when
        chain = self._paths.validate(cert, der, pool, moment)
        info["chain"] = chain.subjects
        if not chain.ok:
            assert chain.sub is not None
            if best is None:
                raise _Fail("chain", chain.sub, chain.message_en, chain.message_th)
            stamp = best.isoformat()
            raise _Fail(
                "chain",
                chain.sub,
                f"{chain.message_en} (judged at {stamp}, the time proven by the time-stamp)",
                f"{chain.message_th} (ตรวจสอบ ณ เวลา {stamp} ที่การประทับเวลาพิสูจน์ไว้)",
            )
        if best is None:
            checks.ok("chain")
        else:
            stamp = best.isoformat()
            checks.ok(
                "chain",
                f"valid at {stamp}, the time proven by the time-stamp",
                f"ใช้ได้ ณ เวลา {stamp} ที่การประทับเวลาพิสูจน์ไว้",
            )
        _key_usage(der)
        checks.ok("key-usage")

        # Signer first: the path is judged from the bottom up.
        path = list(chain.path_der)
        if path and path[0] != der:
            path.reverse()
        if self.policy.revocation is Revocation.NONE:
            checks.items.append(_NOT_CHECKED)
            return path
        data = self._revocation.gather(cert, [c for c, _ in pool], when, embedded)
        judged = judge_revocation(
            path, crls=data.crls, ocsps=data.ocsps, at=when, poe=best, freshness=self._freshness
        )
        self._revocation_outcome(judged, best, info, checks)
        return path

    def _timestamps(
        self,
        tree: etree._ElementTree,
        shape: SignatureShape,
        when: dt.datetime,
        info: dict[str, Any],
        embedded: ValidationData | None,
    ) -> tuple[dt.datetime, list[TimeStampResult]]:
        """Validate every time-stamp, record each in ``info``; return the best signature time
        and the validated time-stamps."""
        extra = self._supplied_data
        if self.policy.revocation is Revocation.ONLINE and embedded is not None:
            extra = self._tsa_revocation(embedded, when)
        items = check_timestamps(
            tree,
            shape.element,
            trust_roots=self._anchor_ders,
            at=when,
            policy=self._timestamp_policy,
            extra=extra,
            embedded=embedded,
        )
        reports = tuple(_timestamp_report(item) for item in items)
        info["timestamps"] = reports
        info["timestamp_times"] = tuple(r.time for r in reports if r.passed and r.time)
        failure = next((i for i in items if isinstance(i, TimeStampFailure)), None)
        if failure is not None and failure.error.failure is Failure.NO_REVOCATION_DATA:
            info["revocation"] = "unknown"
            raise _Fail("timestamps", SubIndication.TRY_LATER, *self._no_tsa_data(failure))
        if failure is not None:
            kind = failure.kind
            raise _Fail(
                "timestamps",
                _TIMESTAMP_SUBS.get(failure.error.failure, SubIndication.NO_POE),
                f"the {kind} does not prove anything: {failure.error.message_en}",
                f"{kind} ไม่สามารถใช้เป็นหลักฐานได้: {failure.error.message_th}",
            )
        best = best_signature_time([i for i in items if isinstance(i, TimeStampResult)])
        if best is None:
            raise _Fail(
                "timestamps",
                SubIndication.NO_POE,
                "the time-stamps are not where XAdES puts them (UnsignedSignatureProperties)",
                "การประทับเวลาไม่ได้อยู่ในตำแหน่งที่ XAdES กำหนด (UnsignedSignatureProperties)",
            )
        info["best_signature_time"] = best
        return best, [i for i in items if isinstance(i, TimeStampResult)]

    def _no_tsa_data(self, failure: TimeStampFailure) -> tuple[str, str]:
        """Why a time-stamp's TSA could not be judged, and what to supply (English, Thai)."""
        en = (
            f"the {failure.kind} cannot be relied on yet: the revocation status of the "
            f"time-stamping unit's certificate is unknown ({failure.error.message_en})"
        )
        th = (
            f"ยังใช้ {failure.kind} เป็นหลักฐานไม่ได้ เนื่องจากไม่ทราบสถานะการเพิกถอนของใบรับรอง"
            "ผู้ให้บริการประทับเวลา โปรดส่ง CRL หรือคำตอบ OCSP ของผู้ให้บริการประทับเวลา "
            "(เช่น ใช้ตัวเลือก --crl) หรือขยายลายมือชื่อเป็นระดับ B-LT เพื่อแนบข้อมูลนี้"
        )
        if self.policy.revocation is Revocation.ONLINE:
            en += "; the CA's OCSP responder or CRL may be unreachable: try again later"
            th += " บริการ OCSP หรือ CRL อาจติดต่อไม่ได้ โปรดลองใหม่ภายหลัง"
        return en, th

    def _tsa_revocation(self, embedded: ValidationData, when: dt.datetime) -> ValidationData:
        """The supplied data plus what the revocation source fetches for the paths of the
        time-stamping units whose certificates the signature carries (``online`` mode)."""
        certs: list[tuple[x509.Certificate, bytes]] = []
        for der in usable_certs(embedded.certificates):
            try:
                certs.append((_load_cert(der), der))
            except ValueError:
                continue
        have = RevocationData(embedded.crls, embedded.ocsps)
        known = {*have.crls, *have.ocsps, *self._supplied.crls, *self._supplied.ocsps}
        crls = list(self._supplied.crls)
        ocsps = list(self._supplied.ocsps)
        for cert, der in certs:
            if not _time_stamping_unit(der):
                continue
            others = [c for c, d in certs if d != der]
            data = self._revocation.gather(cert, others, when, have)
            crls += [c for c in data.crls if c not in known]
            ocsps += [o for o in data.ocsps if o not in known]
            known.update(data.crls, data.ocsps)
        return ValidationData(crls=tuple(crls), ocsps=tuple(ocsps))

    def _revocation_outcome(
        self,
        judged: RevocationJudgement,
        best: dt.datetime | None,
        info: dict[str, Any],
        checks: _Checks,
    ) -> None:
        outcome = judged.outcome
        if outcome is LongTermOutcome.PASSED:
            info["revocation"] = "good"
            if best is None:
                checks.items.append(_NOT_REVOKED)
                return
            stamp = best.isoformat()
            signer = judged.chain[0].status if judged.chain else None
            en = f"the certificates were not revoked at {stamp}, when the signature is proven to exist"
            th = f"ใบรับรองไม่ถูกเพิกถอน ณ เวลา {stamp} ซึ่งพิสูจน์ได้ว่าลายมือชื่อมีอยู่แล้ว"
            if signer is not None and signer.revocation_time is not None:
                later = signer.revocation_time.isoformat()
                en += (
                    f"; the signer's certificate was revoked later, on {later}, which does not "
                    "affect a signature made before"
                )
                th += f" ใบรับรองของผู้ลงนามถูกเพิกถอนภายหลังเมื่อ {later} ซึ่งไม่กระทบลายมือชื่อที่ทำไว้ก่อน"
            checks.ok("revocation", en, th)
            return
        if outcome is LongTermOutcome.NO_REVOCATION_DATA:
            info["revocation"] = "unknown"
            raise _Fail("revocation", SubIndication.TRY_LATER, *self._no_data(judged, best))
        info["revocation"] = "revoked"
        rt = judged.revocation_time.isoformat() if judged.revocation_time else "?"
        if judged.revoked_index:
            if best is None:
                en = f"a CA certificate in the chain was revoked on {rt}"
                th = f"ใบรับรองของผู้ออกใบรับรองในสายใบรับรองถูกเพิกถอนเมื่อ {rt}"
            else:
                en = (
                    f"a CA certificate in the chain was revoked on {rt}, before "
                    f"{best.isoformat()}, the earliest time the signature is proven to exist"
                )
                th = (
                    f"ใบรับรองของผู้ออกใบรับรองในสายใบรับรองถูกเพิกถอนเมื่อ {rt} "
                    f"ก่อนเวลา {best.isoformat()} ที่พิสูจน์ได้ว่าลายมือชื่อมีอยู่"
                )
            raise _Fail("revocation", SubIndication.REVOKED_CA_NO_POE, en, th)
        if outcome is LongTermOutcome.REVOKED and best is not None:
            stamp = best.isoformat()
            raise _Fail(
                "revocation",
                SubIndication.REVOKED,
                f"the signer's certificate was revoked on {rt}, before the time-stamp of {stamp} "
                "proves the signature existed: the signature cannot be relied on",
                f"ใบรับรองของผู้ลงนามถูกเพิกถอนเมื่อ {rt} ก่อนเวลา {stamp} "
                "ที่การประทับเวลาพิสูจน์ว่าลายมือชื่อมีอยู่ จึงเชื่อถือลายมือชื่อนี้ไม่ได้",
            )
        raise _Fail(
            "revocation",
            SubIndication.REVOKED_NO_POE,
            f"the signer's certificate was revoked on {rt}, and nothing proves the signature "
            "was made before that",
            f"ใบรับรองของผู้ลงนามถูกเพิกถอนเมื่อ {rt} และไม่มีหลักฐานว่าลงลายมือชื่อก่อนเวลานั้น",
        )

    def _no_data(self, judged: RevocationJudgement, best: dt.datetime | None) -> tuple[str, str]:
        """Why revocation could not be judged, and what the officer can do (English, Thai)."""
        if self.policy.revocation is Revocation.ONLINE:
            return (
                "the revocation status of the certificates could not be obtained ("
                + judged.detail
                + "); the CA's OCSP responder or CRL may be unreachable: try again later, or "
                "supply a current CRL (for example with --crl)",
                "ไม่สามารถขอสถานะการเพิกถอนของใบรับรองได้ บริการ OCSP หรือ CRL "
                "ของผู้ออกใบรับรองอาจติดต่อไม่ได้ โปรดลองใหม่ภายหลัง หรือส่ง CRL ที่เป็นปัจจุบัน "
                "(เช่น ใช้ตัวเลือก --crl)",
            )
        if best is not None:
            return (
                "the revocation status of the certificates could not be established from the "
                "data available ("
                + judged.detail
                + "); extend the signature to B-LT so that it carries this data, supply a "
                "current CRL or OCSP response (for example with --crl), or use "
                "--revocation online",
                "ไม่สามารถยืนยันสถานะการเพิกถอนของใบรับรองจากข้อมูลที่มีอยู่ได้ "
                "โปรดขยายลายมือชื่อเป็นระดับ B-LT เพื่อแนบข้อมูลนี้ หรือส่ง CRL หรือคำตอบ OCSP "
                "ที่เป็นปัจจุบัน (เช่น ใช้ตัวเลือก --crl) หรือใช้ --revocation online",
            )
        return (
            "the revocation status of the certificates could not be established from the data "
            "available ("
            + judged.detail
            + "); supply a current CRL or OCSP response for the signer and its CA (for example "
            "with --crl), or use --revocation online",
            "ไม่สามารถยืนยันสถานะการเพิกถอนของใบรับรองจากข้อมูลที่มีอยู่ได้ "
            "โปรดส่ง CRL หรือคำตอบ OCSP ที่เป็นปัจจุบันของผู้ลงนามและผู้ออกใบรับรอง "
            "(เช่น ใช้ตัวเลือก --crl) หรือใช้ --revocation online",
        )


# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _signatures_found(n: int) -> Check:
    en, th = _TITLES["signatures-present"]
    return Check(
        "signatures-present", en, th, True, f"{n} signature(s) found", f"พบลายมือชื่อ {n} รายการ"
    )


def _default_source(
    mode: Revocation, trust: TrustStore, supplied: RevocationData
) -> RevocationSource:
    """Offline data by default; in ``online`` mode, the HTTP fetcher of :mod:`edocstd.ltv`
    (when installed), which also asks about certificates issued by the trust anchors."""
    if mode is Revocation.ONLINE:
        try:
            from edocstd.ltv._online import OnlineRevocation
        except ImportError:  # pragma: no cover - the fetcher ships with edocstd
            pass
        else:
            return OnlineRevocation(issuers=list(trust), supplied=supplied)
    return OfflineRevocation(supplied)


_TIMESTAMP_SUBS = {
    Failure.POLICY: SubIndication.SIG_CONSTRAINTS_FAILURE,
    Failure.ORDER: SubIndication.TIMESTAMP_ORDER_FAILURE,
    # The TSA's revocation status is not known yet: more data (or a later try) may settle it.
    Failure.NO_REVOCATION_DATA: SubIndication.TRY_LATER,
}


@functools.lru_cache(maxsize=64)
def _time_stamping_unit(der: bytes) -> bool:
    """True for a certificate whose extended key usage names ``timeStamping``."""
    try:
        eku = _load_cert(der).extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    return x509.oid.ExtendedKeyUsageOID.TIME_STAMPING in eku


def _timestamp_report(item: TimeStampResult | TimeStampFailure) -> TimeStampReport:
    if isinstance(item, TimeStampFailure):
        token = item.token
        return TimeStampReport(
            kind=item.kind,
            passed=False,
            message_en=item.error.message_en,
            message_th=item.error.message_th,
            time=None if token is None else token.gen_time,
            policy=None if token is None else token.policy,
            hash_algorithm=None if token is None else token.hash_algorithm,
        )
    validated = item.validated
    token = validated.token
    tsa = _subject_of(validated.tsa_certificate)
    at = token.gen_time.isoformat()
    return TimeStampReport(
        kind=item.kind,
        passed=True,
        message_en=f"valid: {tsa} vouches that the signature existed at {at}",
        message_th=f"ถูกต้อง: {tsa} รับรองว่าลายมือชื่อมีอยู่ ณ เวลา {at}",
        time=token.gen_time,
        tsa=tsa,
        chain=tuple(_subject_of(d) for d in validated.chain),
        policy=token.policy,
        hash_algorithm=token.hash_algorithm,
        validated_at=item.validated_at,
    )


def _canonical_document(
    tree: etree._ElementTree, ref: Reference, exclude: Sequence[etree._Element]
) -> bytes:
    """The ``URI=""`` reference after its transforms: the whole document minus ``exclude``
    (enveloped transform, and the Filter 2.0 subtraction of every signature), canonicalized."""
    kwargs: dict[str, Any] = {
        "method": "c14n",
        "exclusive": ref.c14n.exclusive,
        "with_comments": False,
    }
    if ref.c14n.exclusive and ref.inclusive_prefixes:
        kwargs["inclusive_ns_prefixes"] = list(ref.inclusive_prefixes)
    with detached(exclude):
        canonical: bytes = etree.tostring(tree, **kwargs)
    return canonical


def _rebuild_signed(tree: etree._ElementTree, ref: Reference) -> bytes:
    """The signed bytes again, from the tree re-read from them.

    Canonical XML read back and canonicalized again by the same method gives the same octets
    (no comments, no DTD, no processing instructions can be in it). That is not taken on trust:
    the result must hash to the signed digest, so a tree changed since verification (it is
    handed to the caller) gives an error, never other bytes.
    """
    canonical = _canonical_document(tree, ref, ())
    if not hmac.compare_digest(_HASH[ref.digest](canonical).digest(), ref.value):
        raise SignedContentChangedError(
            "the verified tree was changed after verification; its bytes are no longer the "
            "signed bytes"
        )
    return canonical


def _validation_time(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return dt.datetime.now(dt.UTC)
    if not isinstance(at, dt.datetime):
        raise PolicyError("the validation time must be a datetime")
    if at.tzinfo is None or at.utcoffset() is None:
        raise PolicyError("the validation time must carry a time zone (e.g. UTC)")
    return at


def _der_blobs(blobs: Iterable[bytes], pem_label: str) -> list[bytes]:
    import base64
    import re

    out: list[bytes] = []
    for blob in blobs:
        if not isinstance(blob, bytes | bytearray):
            raise PolicyError("revocation data must be bytes (DER or PEM)")
        data = bytes(blob)
        if b"-----BEGIN" in data:
            found = re.findall(
                rb"-----BEGIN " + pem_label.encode() + rb"-----(.*?)-----END", data, re.S
            )
            if not found:
                raise PolicyError(f"no {pem_label} PEM block found in the revocation data")
            out.extend(base64.b64decode(b"".join(f.split())) for f in found)
        else:
            out.append(data)
    return out


def _worst(reports: Sequence[SignatureReport]) -> SignatureReport | None:
    failed = [r for r in reports if r.indication is Indication.TOTAL_FAILED]
    if failed:
        return failed[0]
    return next((r for r in reports if r.indication is not Indication.TOTAL_PASSED), None)


def _shape_info(
    shape: SignatureShape, digests: Sequence[DigestAlgorithm], n_sigs: int
) -> dict[str, Any]:
    ref = shape.document_ref
    if ref.subtract_all:
        covers = "the whole document, except its signatures"
        covers_th = "ทั้งเอกสาร ยกเว้นลายมือชื่อ"
    elif n_sigs > 1:
        covers = "the whole document, including the other signatures in it"
        covers_th = "ทั้งเอกสาร รวมถึงลายมือชื่ออื่นที่อยู่ในเอกสาร"
    else:
        covers = "the whole document, except this signature"
        covers_th = "ทั้งเอกสาร ยกเว้นลายมือชื่อนี้"
    if shape.level is not Level.XMLDSIG:
        covers += ", and the signed properties (signing time and signing certificate)"
        covers_th += " และคุณสมบัติที่ลงนาม (เวลาลงนามและใบรับรองผู้ลงนาม)"
    return {
        "level": shape.level,
        "algorithm": shape.algorithm.short_name,
        "digest_algorithms": tuple(d.hash_name for d in digests),
        "canonicalization": shape.c14n.value,
        "claimed_signing_time": shape.signing_time,
        "covers": covers,
        "covers_th": covers_th,
    }


def _verify_value(der: bytes, alg: SignatureAlgorithm, value: bytes, data: bytes) -> bool:
    check = _value_checker(der, alg)
    if check is None:
        return False
    try:
        check(value, data)
    except (InvalidSignature, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=256)
def _value_checker(der: bytes, alg: SignatureAlgorithm) -> Callable[[bytes, bytes], None] | None:
    """A function raising :class:`InvalidSignature` unless its first argument is a valid
    ``alg`` signature of the second by the key of certificate ``der``; ``None`` when the key
    does not fit the algorithm. Built once per (certificate, algorithm): documents from one
    signer repeat both, and the choice of padding and hash does not depend on the document."""
    key = _public_key(der)
    kt = alg.key_type
    digest = alg.digest
    if kt in (KeyType.RSA, KeyType.RSA_PSS):
        if not isinstance(key, rsa.RSAPublicKey) or digest is None:
            return None
        h = digest.hash()
        pad: padding.AsymmetricPadding
        if kt is KeyType.RSA:
            pad = padding.PKCS1v15()
        else:
            pad = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
        rsa_key = key

        def check_rsa(value: bytes, data: bytes) -> None:
            rsa_key.verify(value, data, pad, h)

        return check_rsa
    if kt is KeyType.ECDSA:
        if not isinstance(key, ec.EllipticCurvePublicKey) or digest is None:
            return None
        size = (key.curve.key_size + 7) // 8
        scheme = ec.ECDSA(digest.hash())
        ec_key = key

        def check_ecdsa(value: bytes, data: bytes) -> None:
            if len(value) != 2 * size:
                raise InvalidSignature
            r = int.from_bytes(value[:size], "big")
            s = int.from_bytes(value[size:], "big")
            ec_key.verify(encode_dss_signature(r, s), data, scheme)

        return check_ecdsa
    if kt is KeyType.ED25519:
        if not isinstance(key, ed25519.Ed25519PublicKey):
            return None
        return key.verify
    return None


def _key_constraints(der: bytes) -> None:
    problem = _key_problem(der)
    if problem is not None:
        raise _Fail("key-constraints", SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE, *problem)


@functools.lru_cache(maxsize=256)
def _key_problem(der: bytes) -> tuple[str, str] | None:
    """What is wrong with the signing key of certificate ``der`` (English, Thai), if anything."""
    key = _public_key(der)
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < _MIN_RSA_BITS:
            return (
                f"the signer's RSA key has {key.key_size} bits; at least {_MIN_RSA_BITS} are "
                "required",
                f"กุญแจ RSA ของผู้ลงนามมีขนาด {key.key_size} บิต ต้องมีอย่างน้อย {_MIN_RSA_BITS} บิต",
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, _EC_CURVES):
            return (
                f"the signer's elliptic curve {key.curve.name} is not accepted "
                "(P-256, P-384 or P-521 are)",
                f"ไม่ยอมรับเส้นโค้งวงรี {key.curve.name} ของผู้ลงนาม (ยอมรับ P-256, P-384, P-521)",
            )
    elif not isinstance(key, ed25519.Ed25519PublicKey):
        return (
            "the signer's key type is not accepted",
            "ไม่ยอมรับชนิดกุญแจของผู้ลงนาม",
        )
    return None


def _b64int(el: etree._Element | None) -> int | None:
    import base64
    import binascii

    if el is None or len(el.text or "") > 2048:
        return None
    try:
        return int.from_bytes(base64.b64decode("".join((el.text or "").split()), validate=True))
    except (binascii.Error, ValueError):
        return None


def _key_value_matches(kv: etree._Element, cert: x509.Certificate) -> None:
    key = cert.public_key()
    ok = False
    kids = [k for k in kv if isinstance(k.tag, str)]
    if len(kids) == 1:
        k = kids[0]
        if k.tag == f"{{{DS}}}RSAKeyValue" and isinstance(key, rsa.RSAPublicKey):
            n = _b64int(k.find(f"{{{DS}}}Modulus"))
            e = _b64int(k.find(f"{{{DS}}}Exponent"))
            nums = key.public_numbers()
            ok = n == nums.n and e == nums.e
        elif k.tag == f"{{{DSIG11}}}ECKeyValue" and isinstance(key, ec.EllipticCurvePublicKey):
            import base64
            import binascii

            pk = k.find(f"{{{DSIG11}}}PublicKey")
            try:
                point = base64.b64decode(
                    "".join(((pk.text if pk is not None else "") or "").split()), validate=True
                )
            except (binascii.Error, ValueError):
                point = b""
            ok = point == key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
    if not ok:
        raise _Fail(
            "key-value",
            SubIndication.FORMAT_FAILURE,
            "ds:KeyValue does not match the public key of the signing certificate",
            "ds:KeyValue ไม่ตรงกับกุญแจสาธารณะของใบรับรองผู้ลงนาม",
        )


def _norm_dn(text: str) -> frozenset[str]:
    aliases = {"E": "EMAILADDRESS", "S": "ST", "SN": "SURNAME", "G": "GIVENNAME"}
    parts: list[str] = []
    buf = ""
    esc = False
    for ch in text:
        if esc:
            buf += ch
            esc = False
        elif ch == "\\":
            buf += ch
            esc = True
        elif ch in ",+;":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    out = set()
    for p in parts:
        k, _, v = p.partition("=")
        k = k.strip().upper()
        out.add(f"{aliases.get(k, k)}={' '.join(v.split()).casefold()}")
    return frozenset(out)


def _signing_certificate(shape: SignatureShape, cert: x509.Certificate, der: bytes) -> None:
    problem = _signing_certificate_problem(shape.cert_refs, der)
    if problem is not None:
        en, th = problem
        raise _Fail(
            "signing-certificate",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "the signed SigningCertificate property does not identify the certificate that "
            "verified the signature" + en,
            "คุณสมบัติ SigningCertificate ที่ลงนามไว้ไม่ได้ระบุใบรับรองที่ใช้ตรวจสอบลายมือชื่อได้" + th,
        )


@functools.lru_cache(maxsize=256)
def _signing_certificate_problem(refs: tuple[CertRef, ...], der: bytes) -> tuple[str, str] | None:
    """``None`` when ``refs`` identify the certificate ``der``; else what differs."""
    cert = _load_cert(der)
    match = None
    for ref in refs:
        if hmac.compare_digest(_HASH[ref.digest](der).digest(), ref.value):
            match = ref
            break
    if match is None:
        return "", ""
    if match.serial is not None and match.serial != cert.serial_number:
        return " (serial number differs)", " (หมายเลขลำดับไม่ตรงกัน)"
    if match.issuer_name is not None:
        mine = _norm_dn(cert.issuer.rfc4514_string())
        theirs = _norm_dn(match.issuer_name)
        # Some producers write the name in reverse (X.500) order; the set of parts is what
        # identifies the issuer here.
        if mine != theirs and _norm_dn(_x500_order(cert.issuer)) != theirs:
            return " (issuer name differs)", " (ชื่อผู้ออกใบรับรองไม่ตรงกัน)"
    if match.issuer_serial_v2 is not None:
        try:
            isv = asn1_cms.IssuerSerial.load(match.issuer_serial_v2)
            serial = int(isv["serial"].native)
            names = [n.chosen for n in isv["issuer"] if n.name == "directory_name"]
            raw = cert.issuer.public_bytes()
            same = serial == cert.serial_number and (
                # Byte equality is the common case; the normalised comparison of RFC 5280
                # (slow in asn1crypto) only runs when encodings differ.
                any(n.untag().dump() == raw for n in names)
                or any(n == asn1_x509.Name.load(raw) for n in names)
            )
        except (ValueError, TypeError, KeyError):
            same = False
        if not same:
            return " (IssuerSerialV2 differs)", " (IssuerSerialV2 ไม่ตรงกัน)"
    return None


@functools.lru_cache(maxsize=256)
def _load_cert(der: bytes) -> x509.Certificate:
    """Certificates are parsed once per process (documents from one signer repeat them)."""
    return x509.load_der_x509_certificate(der)


@functools.lru_cache(maxsize=256)
def _public_key(der: bytes) -> PublicKeyTypes:
    """The certificate's public key, built once per certificate."""
    return _load_cert(der).public_key()


@functools.lru_cache(maxsize=256)
def _subject(der: bytes) -> str:
    return _load_cert(der).subject.rfc4514_string()


def _subject_of(der: bytes) -> str:
    """The subject of a certificate another library already accepted; ``cryptography`` is
    stricter about some encodings, and a name must never be the reason a report fails."""
    try:
        return _subject(der)
    except ValueError:
        return str(asn1_x509.Certificate.load(der).subject.human_friendly)


def _x500_order(name: x509.Name) -> str:
    return ",".join(rdn.rfc4514_string() for rdn in name.rdns)


@functools.lru_cache(maxsize=256)
def _signing_key_usage(der: bytes) -> bool:
    try:
        ku = _load_cert(der).extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(ku.digital_signature or ku.content_commitment)


# Purposes that only a trust service's own certificate carries. A certificate whose extended
# key usage lists nothing else (a TSA's, an OCSP responder's) is not a document signer's.
_SERVICE_ONLY_PURPOSES = {
    x509.oid.ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}


@functools.lru_cache(maxsize=256)
def _service_only_purposes(der: bytes) -> tuple[str, ...]:
    """The purposes of a certificate restricted to trust-service use, else ``()``.

    The rule (RFC 5280 §4.2.1.12: with the extension present, the certificate may only be used
    for a purpose it lists): without an extended key usage extension, or when it lists
    ``anyExtendedKeyUsage`` or at least one purpose other than ``timeStamping`` and
    ``OCSPSigning`` (``documentSigning``, ``emailProtection``, ``clientAuth``, an agency's own
    purpose …), the certificate may sign documents. Listing only ``timeStamping`` and/or
    ``OCSPSigning`` makes it a time-stamping unit's or OCSP responder's certificate, whose key
    signs tokens and responses, never documents: otherwise a compromised or misused service
    key would sign documents in the service's name.
    """
    try:
        eku = _load_cert(der).extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    purposes = set(eku)
    if not purposes or not purposes <= _SERVICE_ONLY_PURPOSES.keys():
        return ()
    return tuple(sorted(_SERVICE_ONLY_PURPOSES[p] for p in purposes))


def _key_usage(der: bytes) -> None:
    if not _signing_key_usage(der):
        raise _Fail(
            "key-usage",
            SubIndication.CHAIN_CONSTRAINTS_FAILURE,
            "the signing certificate is not meant for signing: its key usage has neither "
            "digitalSignature nor nonRepudiation",
            "ใบรับรองของผู้ลงนามไม่ได้มีไว้สำหรับการลงลายมือชื่อ: การใช้งานกุญแจไม่มีทั้ง "
            "digitalSignature และ nonRepudiation",
        )
    service = _service_only_purposes(der)
    if service:
        names = ", ".join(service)
        raise _Fail(
            "key-usage",
            SubIndication.CHAIN_CONSTRAINTS_FAILURE,
            "the signing certificate belongs to a trust service, not a document signer: its "
            f"extended key usage allows only {names}",
            "ใบรับรองของผู้ลงนามเป็นใบรับรองของผู้ให้บริการ (เช่น ประทับเวลาหรือ OCSP) "
            f"ไม่ใช่ของผู้ลงนามเอกสาร: การใช้งานกุญแจแบบขยายอนุญาตเพียง {names}",
        )


def _check_element_digest(
    ref: Reference,
    element: etree._Element,
    check: str,
    what: tuple[str, str],
    changed: tuple[str, str],
) -> None:
    """Check a same-document reference to one element (SignedProperties or KeyInfo).

    ``what`` names the element (English, Thai) for the canonicalization failure; ``changed`` is
    the (English, Thai) message for a digest mismatch.
    """
    try:
        data = c14n(element, ref.c14n, ref.inclusive_prefixes)
    except (UnsupportedC14NError, etree.C14NError, ValueError) as exc:
        raise _Fail(
            check,
            SubIndication.FORMAT_FAILURE,
            f"{what[0]} could not be canonicalized: {exc}",
            f"ไม่สามารถทำ{what[1]}ให้อยู่ในรูปแบบบัญญัติได้",
        ) from None
    if not hmac.compare_digest(_HASH[ref.digest](data).digest(), ref.value):
        raise _Fail(check, SubIndication.HASH_FAILURE, changed[0], changed[1])
