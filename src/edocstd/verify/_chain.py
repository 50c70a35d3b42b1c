"""Certificate path validation (RFC 5280) and the pluggable source of revocation data.

Choice of library
-----------------
Two well-kept libraries were evaluated:

* ``cryptography.x509.verification`` (``PolicyBuilder``): fast and strict, but built for the Web
  PKI and CA/Browser Forum rules. It demands a SubjectAltName on the end-entity certificate
  (document-signing certificates from Thai CAs and our test PKI carry none), it rejects a
  time-stamping certificate with the critical ``timeStamping`` EKU that RFC 3161 *requires*
  (which the long-term levels need), and it has no revocation checking at all.
* ``pyhanko-certvalidator``: a full RFC 5280 path builder and validator, with point-in-time
  validation (``moment``), and it accepts RFC 3161 TSA certificates.

**We use pyhanko-certvalidator for paths.** Its cost is speed (milliseconds per path, plus an
asyncio round trip), so results are cached per (certificates offered, trust store, one-minute
window of validation time); a cached result is only reused while the validation time stays
inside the validity periods of every certificate on the path.

Revocation
----------
Revocation data comes from a :class:`RevocationSource`: the offline source returns what the
document carries plus what the caller supplied; an online source (fetching OCSP and CRLs over
HTTP) can be plugged in without changing this module. Nothing here fetches by itself: every
byte that is judged went through a source the caller chose.

The data is judged by :func:`edocstd.ltv.judge_revocation` (ETSI EN 319 102-1, with proof of
existence), for B-B and long-term signatures alike: the path is validated here at the time
that matters (the validation time, or the best signature time a time-stamp proves), and each
certificate below the trust anchor then needs a checked OCSP response or CRL (ETSI TS 119 172
"CRL or OCSP required" for end entities and CAs).

Which indication when revocation data is missing? ETSI EN 319 102-1 offers three candidates:

* ``REVOKED_NO_POE`` says the certificate *is* revoked; we do not know that, so it would be
  false;
* ``CERTIFICATE_CHAIN_GENERAL_FAILURE`` says the chain is broken in some other way, which
  sends an officer looking for the wrong problem;
* ``TRY_LATER`` says "the validation cannot be completed because of information that is not
  available at the time of validation but may become available later" — exactly this case.

So missing or stale revocation data gives INDETERMINATE/TRY_LATER, with a message saying how to
supply the data (a CRL with ``--crl``, or ``--revocation online``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    ExpiredError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    ValidationError,
)
from pyhanko_certvalidator.policy_decl import (
    NO_REVOCATION,
    CertRevTrustPolicy,
)

from edocstd.ltv._common import run_sync
from edocstd.verify._report import SubIndication
from edocstd.verify._trust import TrustStore

__all__ = [
    "ChainResult",
    "OfflineRevocation",
    "PathValidator",
    "RevocationData",
    "RevocationSource",
]


@dataclass(frozen=True, slots=True)
class RevocationData:
    """CRLs and OCSP responses (DER), gathered for one validation."""

    crls: tuple[bytes, ...] = ()
    ocsps: tuple[bytes, ...] = ()

    def key(self) -> str:
        """A digest identifying this set of data (for caches)."""
        h = hashlib.sha256()
        for blob in (*self.crls, b"--", *self.ocsps):
            h.update(hashlib.sha256(blob).digest())
        return h.hexdigest()


@runtime_checkable
class RevocationSource(Protocol):
    """Something that gathers revocation data for a certificate path.

    The offline source only returns what it was given; an online one may fetch (and then
    reports network failures by returning no data, which ends in INDETERMINATE/TRY_LATER,
    never in a pass).
    """

    def gather(
        self,
        signer: x509.Certificate,
        others: Sequence[x509.Certificate],
        at: dt.datetime,
        embedded: RevocationData,
    ) -> RevocationData:
        """Revocation data to judge ``signer`` and its chain at time ``at``."""
        ...


@dataclass(frozen=True, slots=True)
class OfflineRevocation:
    """Revocation data from the document itself plus what the caller supplied; no network."""

    supplied: RevocationData = RevocationData()

    def gather(
        self,
        signer: x509.Certificate,
        others: Sequence[x509.Certificate],
        at: dt.datetime,
        embedded: RevocationData,
    ) -> RevocationData:
        """The supplied data plus the data embedded in the document."""
        return RevocationData(
            crls=self.supplied.crls + embedded.crls,
            ocsps=self.supplied.ocsps + embedded.ocsps,
        )


@dataclass(frozen=True, slots=True)
class ChainResult:
    """The outcome of path validation for one signer certificate."""

    ok: bool
    sub: SubIndication | None
    message_en: str
    message_th: str
    path: tuple[x509.Certificate, ...] = ()
    path_der: tuple[bytes, ...] = ()
    """``path`` encoded (DER), kept with the cached result so no verification re-encodes it."""
    subjects: tuple[str, ...] = ()
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None


_CACHE_SIZE = 512
_WINDOW_SECONDS = 60


class PathValidator:
    """Validates signer certificates against a :class:`TrustStore`, with a result cache.

    One instance per verifier; safe to share between threads.
    """

    def __init__(self, trust: TrustStore, allow_legacy_chain: bool = False) -> None:
        self._trust = trust
        self._cache: OrderedDict[tuple[object, ...], ChainResult] = OrderedDict()
        self._lock = threading.Lock()
        del allow_legacy_chain  # the chain always follows pyhanko's weak-algorithm policy

    def validate(
        self,
        signer: x509.Certificate,
        signer_der: bytes,
        others: Sequence[tuple[x509.Certificate, bytes]],
        at: dt.datetime,
    ) -> ChainResult:
        """Validate the path of ``signer`` at ``at``; ``others`` only help build it."""
        del signer  # the DER is what is validated (and the cache key)
        key = (
            signer_der,
            tuple(d for _, d in others),
            self._trust.key,
            int(at.timestamp()) // _WINDOW_SECONDS,
        )
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        if hit is not None and _within(hit, at):
            return hit
        result = self._validate(signer_der, [d for _, d in others], at)
        with self._lock:
            self._cache[key] = result
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def _validate(self, signer_der: bytes, others: list[bytes], at: dt.datetime) -> ChainResult:
        try:
            ee = asn1_x509.Certificate.load(signer_der)
            inter = [asn1_x509.Certificate.load(d) for d in others if d != signer_der]
            ctx = ValidationContext(
                trust_roots=list(self._trust.asn1_anchors),
                other_certs=inter,
                moment=at,
                allow_fetching=False,
                revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
            )
            validator = CertificateValidator(ee, inter, validation_context=ctx)
            path = run_sync(validator.async_validate_path())
        except PathBuildingError:
            return ChainResult(
                False,
                SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
                "no chain of certificates leads from the signer's certificate to a trusted "
                "root: the signer is not trusted (add the issuing CA's root to the trust store "
                "if it should be)",
                "ไม่พบสายใบรับรองจากใบรับรองของผู้ลงนามไปยังใบรับรองหลักที่เชื่อถือ: "
                "ผู้ลงนามไม่ได้รับความเชื่อถือ (หากควรเชื่อถือ ให้เพิ่มใบรับรองหลักของผู้ออกใบรับรอง"
                "ในที่เก็บใบรับรองที่เชื่อถือ)",
            )
        except ExpiredError as exc:
            whose = "signer's certificate" if exc.is_ee_cert else "a CA certificate in the chain"
            whose_th = "ใบรับรองของผู้ลงนาม" if exc.is_ee_cert else "ใบรับรองของผู้ออกใบรับรองในสาย"
            when = exc.expired_dt.isoformat()
            return ChainResult(
                False,
                SubIndication.OUT_OF_BOUNDS_NO_POE,
                f"the {whose} expired on {when}, before the validation time, and no "
                "time-stamp proves the signature existed while it was valid",
                f"{whose_th}หมดอายุเมื่อ {when} ก่อนเวลาที่ตรวจสอบ "
                "และไม่มีการประทับเวลาที่พิสูจน์ว่าลายมือชื่อมีอยู่ขณะใบรับรองยังใช้ได้",
            )
        except NotYetValidError as exc:
            whose = "signer's certificate" if exc.is_ee_cert else "a CA certificate in the chain"
            whose_th = "ใบรับรองของผู้ลงนาม" if exc.is_ee_cert else "ใบรับรองของผู้ออกใบรับรองในสาย"
            when = exc.valid_from.isoformat()
            return ChainResult(
                False,
                SubIndication.NOT_YET_VALID,
                f"the {whose} is not valid before {when}, which is after the validation time",
                f"{whose_th}ยังไม่มีผลใช้จนถึง {when} ซึ่งช้ากว่าเวลาที่ตรวจสอบ",
            )
        except DisallowedAlgorithmError as exc:
            return ChainResult(
                False,
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
                "a certificate in the chain is signed with an algorithm that is no longer "
                "acceptable (" + _short(exc) + ")",
                "ใบรับรองในสายใบรับรองลงนามด้วยอัลกอริทึมที่ไม่ยอมรับแล้ว",
            )
        except PathValidationError as exc:
            text = _short(exc)
            if "signature" in text.lower():
                return ChainResult(
                    False,
                    SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
                    "a certificate in the chain carries an invalid signature (" + text + ")",
                    "ใบรับรองในสายใบรับรองมีลายมือชื่อที่ไม่ถูกต้อง",
                )
            return ChainResult(
                False,
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                "the certificate chain breaks the rules of RFC 5280 (" + text + "); for example "
                "an intermediate certificate that is not marked as a CA",
                "สายใบรับรองไม่เป็นไปตามกฎของ RFC 5280 "
                "เช่น ใบรับรองระดับกลางที่ไม่ได้ระบุว่าเป็นผู้ออกใบรับรอง (CA)",
            )
        except (ValidationError, ValueError, TypeError, KeyError, OSError) as exc:
            return ChainResult(
                False,
                SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
                "the certificate chain could not be validated (" + _short(exc) + ")",
                "ไม่สามารถตรวจสอบสายใบรับรองได้",
            )
        ders = tuple(c.dump() for c in path)
        certs = tuple(x509.load_der_x509_certificate(d) for d in ders)
        start = max(c.not_valid_before_utc for c in certs)
        end = min(c.not_valid_after_utc for c in certs)
        return ChainResult(
            True,
            None,
            "the certificate chain leads to a trusted root and is valid",
            "สายใบรับรองเชื่อมโยงถึงใบรับรองหลักที่เชื่อถือและใช้ได้",
            path=certs,
            path_der=ders,
            subjects=tuple(c.subject.rfc4514_string() for c in certs),
            valid_from=start,
            valid_until=end,
        )


def _within(result: ChainResult, at: dt.datetime) -> bool:
    if not result.ok:
        return True
    if result.valid_from is not None and at < result.valid_from:
        return False
    return not (result.valid_until is not None and at > result.valid_until)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
