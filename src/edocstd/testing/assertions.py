"""Assertion helpers that explain themselves.

When one fails, its message is the whole report, readable in a test log: every problem with
its code, its location and its Thai and English messages; for a signature, the indication,
the signer, the level and every check that ran, with the reason of the one that failed. ::

    from edocstd import dump, sign
    from edocstd.testing.assertions import assert_valid, assert_verifies

    def test_issued_licence(edoc_document, edoc_signer, edoc_trust):
        assert_valid(edoc_document)
        verified = assert_verifies(sign(dump(edoc_document), edoc_signer), edoc_trust)
        assert verified.document == edoc_document

The same texts are available without asserting, for logs: :func:`explain_validation` and
:func:`explain_verification`. Under pytest, the helpers' own frames are hidden from
tracebacks, so a failure points at the test's line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from edocstd._source import Source

if TYPE_CHECKING:
    from edocstd._report import ValidationReport
    from edocstd.model import Document
    from edocstd.verify import (
        Check,
        Policy,
        TrustStore,
        VerificationReport,
        VerifiedDocument,
        Verifier,
    )

__all__ = [
    "assert_fails_verification",
    "assert_invalid",
    "assert_valid",
    "assert_verifies",
    "explain_validation",
    "explain_verification",
]

_INDENT = "    "


def _as_source(doc: Document | Source) -> Source:
    from edocstd.model import Document
    from edocstd.schema._codec import dump

    return dump(doc) if isinstance(doc, Document) else doc


def _validate(doc: Document | Source) -> ValidationReport:
    from edocstd.schema._validate import validate

    return validate(_as_source(doc))


# ---------------------------------------------------------------------------------- texts


def explain_validation(report: ValidationReport, indent: str = "") -> str:
    """A validation report as text: a count, then each problem's code, location and messages
    in English and Thai, numbered in document order."""
    if report.valid:
        return f"{indent}valid: no problems / เอกสารถูกต้อง ไม่พบปัญหา"
    n = len(report.problems)
    noun = "problem" if n == 1 else "problems"
    lines = [f"{indent}{n} {noun} / พบปัญหา {n} รายการ:"]
    for i, p in enumerate(report.problems, 1):
        lines.append(f"{indent}{i:>3}. {p.code} at {p.location}")
        lines.append(f"{indent}       en: {p.message_en}")
        lines.append(f"{indent}       th: {p.message_th}")
    return "\n".join(lines)


def _check_lines(checks: Iterable[Check], indent: str) -> list[str]:
    lines = []
    for c in checks:
        mark = "ok  " if c.passed else "FAIL"
        lines.append(f"{indent}[{mark}] {c.name}: {c.title_en} / {c.title_th}")
        if not c.passed:
            if c.message_en:
                lines.append(f"{indent}       en: {c.message_en}")
            if c.message_th:
                lines.append(f"{indent}       th: {c.message_th}")
    return lines


def _outcome(indication: object, sub: object | None) -> str:
    return f"{indication}" + ("" if sub is None else f"/{sub}")


def explain_verification(report: VerificationReport, indent: str = "") -> str:
    """A verification report as text: the outcome with its reason in English and Thai, the
    document checks, then per signature its outcome, signer, chain, level, times and checks
    (the failed one with its reason), and the schema problems of the signed content."""
    lines = [
        f"{indent}outcome: {_outcome(report.indication, report.sub_indication)}",
        f"{indent}    en: {report.message_en}",
        f"{indent}    th: {report.message_th}",
    ]
    if report.checks:
        lines.append(f"{indent}document checks / การตรวจสอบเอกสาร:")
        lines += _check_lines(report.checks, indent + _INDENT)
    for i, sig in enumerate(report.signatures, 1):
        name = f" (Id={sig.signature_id})" if sig.signature_id else ""
        lines.append(f"{indent}signature {i}{name}: {_outcome(sig.indication, sig.sub_indication)}")
        inner = indent + _INDENT
        if sig.message_en:
            lines.append(f"{inner}en: {sig.message_en}")
        if sig.message_th:
            lines.append(f"{inner}th: {sig.message_th}")
        lines.append(f"{inner}signer: {sig.signer or '(unknown)'}")
        if sig.chain:
            lines.append(f"{inner}chain: {' -> '.join(sig.chain)}")
        level = "(unknown)" if sig.level is None else sig.level.value
        lines.append(f"{inner}level: {level}; revocation: {sig.revocation}")
        if sig.claimed_signing_time is not None:
            lines.append(f"{inner}claimed signing time: {sig.claimed_signing_time.isoformat()}")
        for t in sig.timestamp_times:
            lines.append(f"{inner}time-stamp: {t.isoformat()}")
        lines += _check_lines(sig.checks, inner)
    if report.schema_report is not None and not report.schema_report.valid:
        lines.append(f"{indent}signed content / เนื้อหาที่ลงนาม:")
        lines.append(explain_validation(report.schema_report, indent + _INDENT))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- validation


def assert_valid(doc: Document | Source) -> None:
    """Fail, listing every problem, unless ``doc`` is a valid EDOC document.

    ``doc`` is a :class:`~edocstd.Document` (dumped first) or anything
    :func:`edocstd.validate` reads.
    """
    __tracebackhide__ = True
    report = _validate(doc)
    if not report.valid:
        raise AssertionError(
            "the document is not valid / เอกสารไม่ถูกต้อง\n" + explain_validation(report)
        )


def assert_invalid(doc: Document | Source, *codes: str) -> ValidationReport:
    """Fail unless ``doc`` is invalid and its report has every code in ``codes``.

    With no ``codes``, any problem will do. Returns the report, for further checks.
    """
    __tracebackhide__ = True
    report = _validate(doc)
    wanted = ", ".join(codes) if codes else "(any)"
    if report.valid:
        raise AssertionError(
            f"the document is valid, but problems were expected: {wanted}\n"
            "เอกสารถูกต้อง แต่คาดว่าจะพบปัญหา"
        )
    missing = [c for c in codes if c not in report.codes]
    if missing:
        raise AssertionError(
            f"expected problem codes not reported: {', '.join(missing)}\n"
            f"ไม่พบรหัสปัญหาที่คาดไว้: {', '.join(missing)}\n"
            "the report was / รายงานที่ได้:\n" + explain_validation(report, _INDENT)
        )
    return report


# --------------------------------------------------------------------------- verification


def _verifier(
    trust: TrustStore | Verifier,
    policy: Policy | None,
    crls: Iterable[bytes],
    ocsp_responses: Iterable[bytes],
) -> Verifier:
    from edocstd.verify import Policy, Verifier

    crls, ocsp_responses = tuple(crls), tuple(ocsp_responses)
    if isinstance(trust, Verifier):
        if policy is not None or crls or ocsp_responses:
            raise TypeError("give the policy and revocation data to the Verifier, not here")
        return trust
    return Verifier(
        trust=trust,
        policy=policy or Policy(revocation="none"),
        crls=crls,
        ocsp_responses=ocsp_responses,
    )


def assert_verifies(
    data: Source,
    trust: TrustStore | Verifier,
    *,
    policy: Policy | None = None,
    at: dt.datetime | None = None,
    crls: Iterable[bytes] = (),
    ocsp_responses: Iterable[bytes] = (),
) -> VerifiedDocument:
    """Verify ``data``; fail with the whole report unless the outcome is TOTAL-PASSED.

    ``trust`` is a :class:`~edocstd.TrustStore` or a ready :class:`~edocstd.Verifier` (then
    give it the policy and revocation data yourself). With a trust store, ``policy``
    defaults to ``Policy(revocation="none")``: a test that cares about revocation passes its
    own policy and ``crls`` / ``ocsp_responses``. ``at`` is the validation time.

    ``data`` is read once and verified once: a file object works, an ``online`` policy asks
    each OCSP responder and CRL server only as often as one verification does, and the
    returned report is the one the assertion judged.

    Returns the :class:`~edocstd.VerifiedDocument` (what was signed, re-read).
    """
    __tracebackhide__ = True
    from edocstd.errors import VerificationError

    verifier = _verifier(trust, policy, crls, ocsp_responses)
    try:
        return verifier.verify(data, at=at)
    except VerificationError as exc:
        # The verification error's own text is only the summary: the whole report replaces it,
        # and the chained traceback would only repeat it.
        raise AssertionError(
            "the signature did not verify / ลายมือชื่อไม่ผ่านการตรวจสอบ\n"
            + explain_verification(exc.report)
        ) from None


def assert_fails_verification(
    data: Source,
    trust: TrustStore | Verifier,
    *,
    indication: str | None = None,
    sub_indication: str | None = None,
    policy: Policy | None = None,
    at: dt.datetime | None = None,
    crls: Iterable[bytes] = (),
    ocsp_responses: Iterable[bytes] = (),
) -> VerificationReport:
    """Verify ``data``; fail unless the outcome is not TOTAL-PASSED.

    ``indication`` (``"TOTAL-FAILED"`` or ``"INDETERMINATE"``) and ``sub_indication`` (e.g.
    ``"HASH_FAILURE"``), when given, must match too. ``trust``, ``policy``, ``at`` and the
    revocation data are as for :func:`assert_verifies`. Returns the report.
    """
    __tracebackhide__ = True
    verifier = _verifier(trust, policy, crls, ocsp_responses)
    report = verifier.assess(data, at=at)
    expected = _outcome(indication or "not TOTAL-PASSED", sub_indication)
    wrong = (
        report.passed
        or (indication is not None and report.indication != indication)
        or (sub_indication is not None and report.sub_indication != sub_indication)
    )
    if wrong:
        raise AssertionError(
            f"expected the verification outcome {expected}, "
            f"got {_outcome(report.indication, report.sub_indication)}\n"
            f"ผลการตรวจสอบไม่ตรงกับที่คาดไว้ ({expected})\n" + explain_verification(report)
        )
    return report
