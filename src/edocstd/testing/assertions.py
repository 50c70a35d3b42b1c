"""Assertion helpers that explain themselves: on failure they print the whole report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from edocstd._source import Source

if TYPE_CHECKING:
    from edocstd.model import Document
    from edocstd.verify import Policy, TrustStore, VerifiedDocument

__all__ = ["assert_invalid", "assert_valid", "assert_verifies"]


def _as_source(doc: Document | Source) -> Source:
    from edocstd.model import Document
    from edocstd.schema._codec import dump

    return dump(doc) if isinstance(doc, Document) else doc


def assert_valid(doc: Document | Source) -> None:
    """Fail with every problem listed, in English and Thai, unless ``doc`` is a valid EDOC."""
    from edocstd.schema._validate import validate

    report = validate(_as_source(doc))
    if not report.valid:
        lines = [f"document is not valid ({len(report.problems)} problems):"]
        for p in report.problems:
            lines.append(f"  {p.code} at {p.location}")
            lines.append(f"      {p.message_en}")
            lines.append(f"      {p.message_th}")
        raise AssertionError("\n".join(lines))


def assert_invalid(doc: Document | Source, *codes: str) -> None:
    """Fail unless ``doc`` is invalid and its report contains every code in ``codes``."""
    from edocstd.schema._validate import validate

    report = validate(_as_source(doc))
    if report.valid:
        raise AssertionError(f"document is valid, expected problems {codes or '(any)'}")
    missing = [c for c in codes if c not in report.codes]
    if missing:
        raise AssertionError(f"expected codes {missing} not reported; got:\n{report.summary('en')}")


def assert_verifies(
    data: Source,
    trust: TrustStore,
    *,
    policy: Policy | None = None,
    at: dt.datetime | None = None,
    crls: tuple[bytes, ...] = (),
) -> VerifiedDocument:
    """Verify ``data`` against ``trust``; on failure, fail with the full report.

    ``policy`` defaults to ``Policy(revocation="none")``: tests that care about revocation pass
    their own policy and revocation data.
    """
    import json

    from edocstd.verify import Policy, Verifier

    verifier = Verifier(trust=trust, policy=policy or Policy(revocation="none"), crls=crls)
    report = verifier.assess(data, at=at)
    if not report.passed:
        raise AssertionError(
            f"signature did not verify: {report.summary('en')}\n"
            + json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str)
        )
    return verifier.verify(data, at=at)
