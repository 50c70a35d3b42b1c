"""Typed failures for time-stamps and revocation data.

Each failure carries a :class:`Failure` kind (so the verifier can map it to an ETSI
sub-indication without parsing messages) and an English and a Thai message for the officer
who reads the report.
"""

from __future__ import annotations

import enum

from edocstd.errors import ServiceError

__all__ = ["Failure", "LtvError", "RevocationError", "TimeStampError"]


class Failure(enum.Enum):
    """Why a time-stamp token, OCSP response or CRL was refused."""

    MALFORMED = "malformed"
    """The DER cannot be decoded, or has the wrong structure or object identifiers."""
    STATUS = "status"
    """The service answered with an error status (rejection, tryLater, unauthorized, …)."""
    NONCE = "nonce"
    """The answer does not echo the nonce that was sent."""
    MISMATCH = "mismatch"
    """The answer is about other data or another certificate."""
    SIGNATURE = "signature"
    """The cryptographic signature of the token or response does not verify."""
    SIGNER = "signer"
    """The signing certificate cannot be identified, or is not authorised to sign this."""
    CHAIN = "chain"
    """The signer's certificate does not chain to a trust anchor, or fails path validation."""
    POLICY = "policy"
    """An algorithm, policy OID or extension is not allowed by the caller's policy."""
    FRESHNESS = "freshness"
    """The data is not valid at the validation time (too old, or from the future)."""
    ORDER = "order"
    """Time-stamps of one signature claim times in an impossible order."""
    NO_REVOCATION_DATA = "no-revocation-data"
    """The revocation status of a certificate that needs one cannot be established from the
    data at hand (supply a CRL or OCSP response, or embed them)."""


_TH = {
    Failure.MALFORMED: "ข้อมูลมีรูปแบบไม่ถูกต้องหรือเสียหาย",
    Failure.STATUS: "ผู้ให้บริการตอบกลับด้วยสถานะข้อผิดพลาด",
    Failure.NONCE: "ค่า nonce ในคำตอบไม่ตรงกับคำขอ",
    Failure.MISMATCH: "ข้อมูลที่ได้รับไม่ได้เป็นของข้อมูลหรือใบรับรองที่ตรวจสอบ",
    Failure.SIGNATURE: "ลายมือชื่อดิจิทัลของข้อมูลไม่ถูกต้อง",
    Failure.SIGNER: "ไม่พบใบรับรองของผู้ลงนาม หรือผู้ลงนามไม่มีสิทธิ์ลงนามข้อมูลนี้",
    Failure.CHAIN: "ใบรับรองของผู้ลงนามไม่เชื่อมโยงถึงผู้ออกใบรับรองที่เชื่อถือได้",
    Failure.POLICY: "อัลกอริทึม นโยบาย หรือส่วนขยายไม่เป็นไปตามนโยบายที่กำหนด",
    Failure.FRESHNESS: "ข้อมูลไม่เป็นปัจจุบัน ณ เวลาที่ตรวจสอบ",
    Failure.ORDER: "การประทับเวลาระบุเวลาที่ลำดับไม่สอดคล้องกัน (ครั้งก่อนช้ากว่าครั้งหลัง)",
    Failure.NO_REVOCATION_DATA: "ไม่มีข้อมูลสถานะการเพิกถอนที่ใช้ได้ของใบรับรอง "
    "(โปรดส่ง CRL หรือคำตอบ OCSP หรือขยายลายมือชื่อเป็นระดับ B-LT)",
}


class LtvError(ServiceError):
    """A time-stamp token, OCSP response or CRL is unusable. ``failure`` says why."""

    subject_en = "long-term validation data"
    subject_th = "ข้อมูลสำหรับการตรวจสอบระยะยาว"

    def __init__(self, failure: Failure, detail: str) -> None:
        self.failure = failure
        self.message_en = f"{self.subject_en}: {detail}"
        self.message_th = f"{self.subject_th}: {_TH[failure]}"
        super().__init__(self.message_en)


class TimeStampError(LtvError):
    """An RFC 3161 time-stamp response or token is unusable."""

    subject_en = "time-stamp"
    subject_th = "ตราประทับเวลา"


class RevocationError(LtvError):
    """An OCSP response or CRL is unusable for the certificate being checked."""

    subject_en = "revocation data"
    subject_th = "ข้อมูลการเพิกถอนใบรับรอง"
