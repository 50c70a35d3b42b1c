"""Verification reports: ETSI EN 319 102-1 indications, in plain Thai and English.

A report is plain data. It says what was checked, in order, and why the outcome is what it is,
in words an officer can act on, not only codes for machines.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from edocstd._level import Level
from edocstd.errors import SignedContentChangedError, VerificationError

if TYPE_CHECKING:
    from edocstd._report import ValidationReport

__all__ = [
    "Check",
    "Indication",
    "SignatureReport",
    "SignedContentChangedError",
    "SubIndication",
    "TimeStampReport",
    "VerificationReport",
    "VerifiedDocument",
]

Lang = Literal["th", "en"]


class Indication(enum.StrEnum):
    """The main indication of ETSI EN 319 102-1."""

    TOTAL_PASSED = "TOTAL-PASSED"
    TOTAL_FAILED = "TOTAL-FAILED"
    INDETERMINATE = "INDETERMINATE"

    @property
    def th(self) -> str:
        """The indication in Thai."""
        return _INDICATION_TH[self]


_INDICATION_TH = {
    Indication.TOTAL_PASSED: "ผ่านการตรวจสอบทั้งหมด",
    Indication.TOTAL_FAILED: "ไม่ผ่านการตรวจสอบ",
    Indication.INDETERMINATE: "ยังสรุปผลไม่ได้",
}


class SubIndication(enum.StrEnum):
    """Sub-indications of ETSI EN 319 102-1 (names as in the standard)."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    SIGNATURE_POLICY_NOT_AVAILABLE = "SIGNATURE_POLICY_NOT_AVAILABLE"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class Check:
    """One check that ran, with its outcome.

    ``name`` is a stable identifier (``shape``, ``reference-document``, ``chain`` …);
    ``title_en``/``title_th`` name the check in plain words; the messages say what was found.
    """

    name: str
    title_en: str
    title_th: str
    passed: bool
    message_en: str = ""
    message_th: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "name": self.name,
            "title_en": self.title_en,
            "title_th": self.title_th,
            "passed": self.passed,
            "message_en": self.message_en,
            "message_th": self.message_th,
        }


@dataclass(frozen=True, slots=True)
class TimeStampReport:
    """One RFC 3161 time-stamp of a signature, as judged.

    ``kind`` is ``"SignatureTimeStamp"`` (B-T) or ``"ArchiveTimeStamp"`` (B-LTA); ``time`` the
    TSA's ``genTime`` (``None`` when the token could not even be read); ``tsa`` the subject of
    the TSA certificate and ``chain`` the subjects of its validated path (TSA first, trust
    anchor last); ``validated_at`` the time the TSA path was judged at (a later archive
    time-stamp's time when one covers this token, else the validation time).
    """

    kind: str
    passed: bool
    message_en: str
    message_th: str
    time: dt.datetime | None = None
    tsa: str | None = None
    chain: tuple[str, ...] = ()
    policy: str | None = None
    hash_algorithm: str | None = None
    validated_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "kind": self.kind,
            "passed": self.passed,
            "time": _iso(self.time),
            "tsa": self.tsa,
            "chain": list(self.chain),
            "policy": self.policy,
            "hash_algorithm": self.hash_algorithm,
            "validated_at": _iso(self.validated_at),
            "message_en": self.message_en,
            "message_th": self.message_th,
        }


@dataclass(frozen=True, slots=True)
class SignatureReport:
    """The outcome for one ``ds:Signature``.

    ``signer`` is the signing certificate's subject (RFC 4514), ``chain`` the subjects of the
    path that was built from the signer to a trust anchor (empty when none was). ``level`` is
    the level the signature achieves when it passed — B-T needs a validated signature
    time-stamp, B-LT validation data carried in the signature that settles the signer's and the
    time-stamping units' revocation status on its own, B-LTA a validated archive time-stamp —
    or when it failed only because that level is below the policy's; otherwise the level its
    structure claims (``Level.XMLDSIG`` for a plain XMLDSig signature). ``covers`` says in
    English what the signature protects. ``revocation`` is ``"not checked"``, ``"good"``,
    ``"revoked"`` or ``"unknown"``.
    """

    signature_id: str | None
    indication: Indication
    sub_indication: SubIndication | None
    message_en: str
    message_th: str
    checks: tuple[Check, ...] = ()
    signer: str | None = None
    signer_certificate: bytes | None = None
    chain: tuple[str, ...] = ()
    level: Level | None = None
    algorithm: str | None = None
    digest_algorithms: tuple[str, ...] = ()
    canonicalization: str | None = None
    claimed_signing_time: dt.datetime | None = None
    timestamp_times: tuple[dt.datetime, ...] = ()
    covers: str = ""
    covers_th: str = ""
    legacy: bool = False
    revocation: str = "not checked"
    timestamps: tuple[TimeStampReport, ...] = ()
    best_signature_time: dt.datetime | None = None

    @property
    def passed(self) -> bool:
        """True when this signature is TOTAL-PASSED."""
        return self.indication is Indication.TOTAL_PASSED

    @property
    def failed_check(self) -> Check | None:
        """The first check that failed, if any."""
        return next((c for c in self.checks if not c.passed), None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "id": self.signature_id,
            "indication": self.indication.value,
            "sub_indication": None if self.sub_indication is None else self.sub_indication.value,
            "message_en": self.message_en,
            "message_th": self.message_th,
            "signer": self.signer,
            "chain": list(self.chain),
            "level": None if self.level is None else self.level.value,
            "level_description": _level_words(self.level),
            "algorithm": self.algorithm,
            "digest_algorithms": list(self.digest_algorithms),
            "canonicalization": self.canonicalization,
            "signing_time": _iso(self.claimed_signing_time),
            "timestamp_times": [_iso(t) for t in self.timestamp_times],
            "timestamps": [t.to_dict() for t in self.timestamps],
            "best_signature_time": _iso(self.best_signature_time),
            "covers": self.covers,
            "covers_th": self.covers_th,
            "legacy": self.legacy,
            "revocation": self.revocation,
            "checks": [c.to_dict() for c in self.checks],
        }

    def summary(self, lang: Lang = "en") -> str:
        """One or two human lines about this signature."""
        who = self.signer or ("ไม่ทราบผู้ลงนาม" if lang == "th" else "unknown signer")
        ind = self.indication.th if lang == "th" else self.indication.value
        sub = f"/{self.sub_indication.value}" if self.sub_indication else ""
        msg = self.message_th if lang == "th" else self.message_en
        level = _level_words(self.level, lang)
        head = f"{ind}{sub} — {who}"
        if level:
            head += f" ({level})"
        if self.legacy:
            head += " [อัลกอริทึมรุ่นเก่า]" if lang == "th" else " [legacy algorithm]"
        if self.best_signature_time is not None:
            when = self.best_signature_time.isoformat()
            head += f" [ประทับเวลา {when}]" if lang == "th" else f" [time-stamped {when}]"
        return f"{head}: {msg}" if msg else head


def _level_words(level: Level | None, lang: Lang = "en") -> str | None:
    if level is None:
        return None
    if level is Level.XMLDSIG:
        return "XMLDSig ไม่ใช่ AdES" if lang == "th" else "XMLDSig, not AdES"
    return f"XAdES {level.value}"


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.isoformat()


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """The outcome of :meth:`Verifier.assess`.

    ``indication``/``sub_indication`` are the overall result: TOTAL-PASSED only when every
    signature passed (and, under a policy that requires it, the signed EDOC document is schema-
    and rule-valid). ``signatures`` has one entry per ``ds:Signature``. ``message_en`` and
    ``message_th`` explain the overall result; ``checks`` are document-level checks (reading,
    finding signatures, schema). ``schema_report`` is the validation report of the signed
    content when one was made.
    """

    indication: Indication
    sub_indication: SubIndication | None
    message_en: str
    message_th: str
    signatures: tuple[SignatureReport, ...] = ()
    checks: tuple[Check, ...] = ()
    validation_time: dt.datetime | None = None
    policy: dict[str, object] = field(default_factory=dict)
    schema_report: ValidationReport | None = None
    source: str | None = None

    @property
    def passed(self) -> bool:
        """True when the outcome is TOTAL-PASSED."""
        return self.indication is Indication.TOTAL_PASSED

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (``json.dumps`` works on it as is)."""
        return {
            "indication": self.indication.value,
            "sub_indication": None if self.sub_indication is None else self.sub_indication.value,
            "message_en": self.message_en,
            "message_th": self.message_th,
            "validation_time": _iso(self.validation_time),
            "policy": dict(self.policy),
            "checks": [c.to_dict() for c in self.checks],
            "signatures": [s.to_dict() for s in self.signatures],
            "schema": None if self.schema_report is None else self.schema_report.to_dict(),
        }

    def raise_for_status(self) -> None:
        """Raise :class:`~edocstd.VerificationError` carrying this report unless it passed."""
        if not self.passed:
            raise VerificationError(self)

    def summary(self, lang: Lang = "en") -> str:
        """A few human lines: the outcome, its reason, and one line per signature."""
        ind = self.indication.th if lang == "th" else self.indication.value
        sub = f"/{self.sub_indication.value}" if self.sub_indication else ""
        msg = self.message_th if lang == "th" else self.message_en
        lines = [f"{ind}{sub}: {msg}" if msg else f"{ind}{sub}"]
        for i, sig in enumerate(self.signatures, 1):
            label = "ลายมือชื่อที่" if lang == "th" else "signature"
            lines.append(f"  {label} {i}: {sig.summary(lang)}")
        return "\n".join(lines)

    def summary_en(self) -> str:
        """:meth:`summary` in English (used as the message of :class:`VerificationError`)."""
        return self.summary("en")

    def summary_th(self) -> str:
        """:meth:`summary` in Thai."""
        return self.summary("th")


class VerifiedDocument:
    """What :meth:`Verifier.verify` returns: only what was signed.

    ``signed_bytes`` are exactly the canonical bytes the document digest covered (for a
    document with parallel signatures: the document without any signature). ``document`` is the
    parsed EDOC :class:`~edocstd.Document` re-read from those bytes, or ``None`` when the signed
    XML is not an EDOC document (or, under ``Policy(require_schema=False)``, is one the model
    cannot hold, such as one with an attachment that is not valid base64). ``tree`` is the lxml tree re-read from ``signed_bytes``.

    For large documents the verifier does not keep ``signed_bytes`` next to ``tree`` and
    ``document`` (that would hold the content three times): they are canonicalized again from
    ``tree`` on first access and checked against the signed digest before they are returned. If
    ``tree`` was changed in between, :class:`SignedContentChangedError` is raised rather than
    returning bytes that were not signed.
    """

    __slots__ = ("_document", "_lock", "_rebuild", "_report", "_signed", "_tree")

    def __init__(
        self,
        document: Any,
        signed_bytes: bytes | None,
        report: VerificationReport,
        tree: Any = None,
        rebuild: Callable[[], bytes] | None = None,
    ) -> None:
        if signed_bytes is None and rebuild is None:
            raise TypeError("signed_bytes, or a way to rebuild them, is required")
        self._document = document
        self._signed = signed_bytes
        self._report = report
        self._tree = tree
        self._rebuild = rebuild
        self._lock = threading.Lock()

    @property
    def document(self) -> Any:
        """The EDOC :class:`~edocstd.Document` read from the signed bytes, or ``None``."""
        return self._document

    @property
    def report(self) -> VerificationReport:
        """The verification report (TOTAL-PASSED)."""
        return self._report

    @property
    def tree(self) -> Any:
        """The lxml tree re-read from the signed bytes."""
        return self._tree

    @property
    def signed_bytes(self) -> bytes:
        """Exactly the canonical bytes the document digest covered."""
        signed = self._signed
        if signed is not None:
            return signed
        with self._lock:
            if self._signed is None:
                assert self._rebuild is not None
                self._signed = self._rebuild()
                self._rebuild = None
            return self._signed

    def __repr__(self) -> str:
        kept = "kept" if self._signed is not None else "rebuilt on access"
        return (
            f"VerifiedDocument(document={type(self._document).__name__}, "
            f"report={self._report.indication.value}, signed_bytes={kept})"
        )
