"""The one error tree of edocstd.

Every exception the library raises on purpose derives from :class:`EdocError`, so an
integrator can catch the library's failures with one ``except`` clause::

    EdocError
    ├── InputError (also ValueError)          bad input from the caller
    │   ├── XMLInputError                     the hardened reader refused the bytes (EDOC-X000)
    │   ├── DocumentError                     an EDOC document is not valid; carries ``.report``
    │   ├── CertificateError                  a certificate, key or PEM/DER blob is unusable
    │   └── PolicyError                       an invalid policy or option combination
    ├── SigningError                          signing could not complete
    │   └── KeyAccessError                    the key could not be used (token, PIN, permission)
    │       ├── TokenNotFoundError
    │       ├── PinIncorrectError
    │       ├── PinLockedError
    │       ├── KeyNotFoundError
    │       ├── KeyPermissionError
    │       └── MechanismNotSupportedError
    ├── VerificationError                     a signature did not verify; carries ``.report``
    ├── SignedContentChangedError             a verified tree was changed, so its signed bytes
    │                                         can no longer be given
    └── ServiceError                          a TSA, OCSP or CRL service failed or lied
        ├── NetworkError                      the service could not be reached
        └── edocstd.ltv.LtvError              a token, OCSP response or CRL is unusable
            ├── edocstd.ltv.TimeStampError
            └── edocstd.ltv.RevocationError

Two subclasses live next to the code that raises them, because only that code's callers
meet them: the ``edocstd.ltv`` errors above (each carries ``.failure`` and Thai and English
messages) and ``edocstd.batch.Unopenable`` (an :class:`InputError` for a batch input that
cannot be opened; batch runs report it per input rather than raising it).

Input errors also subclass :class:`ValueError`, because they are exactly that: a value the
caller passed in is not acceptable. Failures that carry a report (``DocumentError`` and
``VerificationError``) keep the whole report, so nothing is lost by choosing exceptions over
reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edocstd._report import ValidationReport
    from edocstd.verify._report import VerificationReport

__all__ = [
    "CertificateError",
    "DocumentError",
    "EdocError",
    "InputError",
    "KeyAccessError",
    "KeyNotFoundError",
    "KeyPermissionError",
    "MechanismNotSupportedError",
    "NetworkError",
    "PinIncorrectError",
    "PinLockedError",
    "PolicyError",
    "ServiceError",
    "SignedContentChangedError",
    "SigningError",
    "TokenNotFoundError",
    "VerificationError",
    "XMLInputError",
]


class EdocError(Exception):
    """Root of every error edocstd raises on purpose."""


class InputError(EdocError, ValueError):
    """A value passed by the caller cannot be used."""


class XMLInputError(InputError):
    """The hardened XML reader refused the input (EDOC-X000).

    ``reason`` says why in English; ``reason_th`` says it in Thai. ``line`` is the line the
    reader had reached, when known.
    """

    def __init__(self, reason: str, reason_th: str, line: int | None = None) -> None:
        super().__init__(reason if line is None else f"{reason} (line {line})")
        self.reason = reason
        self.reason_th = reason_th
        self.line = line


class DocumentError(InputError):
    """An EDOC document is not valid. ``report`` lists every problem found."""

    def __init__(self, report: ValidationReport) -> None:
        first = report.problems[0] if report.problems else None
        summary = f"{first.code}: {first.message_en}" if first else "invalid document"
        more = len(report.problems) - 1
        if more > 0:
            summary += f" (and {more} more problem{'s' if more > 1 else ''})"
        super().__init__(summary)
        self.report = report


class CertificateError(InputError):
    """A certificate, private key or PKCS#12 container cannot be read or used."""


class PolicyError(InputError):
    """A policy, level or option value is invalid or contradictory."""


class SigningError(EdocError):
    """Signing could not be completed. No output was written."""


class KeyAccessError(SigningError):
    """The signing key could not be used."""


class TokenNotFoundError(KeyAccessError):
    """No PKCS#11 token matches the given URI or parameters."""


class PinIncorrectError(KeyAccessError):
    """The token rejected the PIN."""


class PinLockedError(KeyAccessError):
    """The token's PIN is locked after too many failed attempts."""


class KeyNotFoundError(KeyAccessError):
    """No private key on the token matches the given label or id."""


class KeyPermissionError(KeyAccessError):
    """The key exists but is not allowed to sign."""


class MechanismNotSupportedError(KeyAccessError):
    """The token cannot perform the requested signature algorithm."""


class VerificationError(EdocError):
    """A signature did not verify. ``report`` holds the full verification report."""

    def __init__(self, report: VerificationReport) -> None:
        super().__init__(report.summary_en())
        self.report = report


class ServiceError(EdocError):
    """A time-stamping, OCSP or CRL service answered with something unusable."""


class NetworkError(ServiceError):
    """A service could not be reached."""


class SignedContentChangedError(EdocError):
    """``VerifiedDocument.signed_bytes`` cannot be given: the tree it is rebuilt from was
    changed after verification, so the bytes would no longer be the ones that were signed."""
