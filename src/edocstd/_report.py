"""Validation reports: plain data, with Thai and English messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from edocstd.errors import DocumentError

Lang = Literal["th", "en"]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem sits: an XPath-like element path and the source line, when known."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path} (line {self.line})"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a document.

    ``code`` is stable across releases (``EDOC-R001`` … ``EDOC-R016``, ``EDOC-S000``,
    ``EDOC-X000``); messages may be reworded.
    """

    code: str
    location: Location
    message_th: str
    message_en: str

    def message(self, lang: Lang = "en") -> str:
        """The message in ``lang`` (``"th"`` or ``"en"``)."""
        return self.message_th if lang == "th" else self.message_en

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping of the code, location, line and both messages."""
        return {
            "code": self.code,
            "location": self.location.path,
            "line": self.location.line,
            "message_th": self.message_th,
            "message_en": self.message_en,
        }


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The outcome of :func:`edocstd.validate`: every problem found, in document order.

    A report with no problems is valid. ``is_edoc`` tells whether the input was an EDOC
    document at all (its root element is ``ec:ElectronicCertificate``).
    """

    problems: tuple[Problem, ...] = field(default=())
    is_edoc: bool = True

    @property
    def valid(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    @property
    def codes(self) -> tuple[str, ...]:
        """The problem codes, in order (handy in tests)."""
        return tuple(p.code for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: ``valid`` and ``problems``."""
        return {"valid": self.valid, "problems": [p.to_dict() for p in self.problems]}

    def raise_for_status(self) -> None:
        """Raise :class:`~edocstd.DocumentError` carrying this report unless it is valid."""
        if not self.valid:
            raise DocumentError(self)

    def summary(self, lang: Lang = "en") -> str:
        """A few human lines, one per problem, for logs and terminals."""
        if self.valid:
            return "เอกสารถูกต้อง" if lang == "th" else "The document is valid."
        return "\n".join(f"{p.code} {p.location}: {p.message(lang)}" for p in self.problems)
