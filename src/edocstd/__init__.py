"""edocstd: EDOC 1.0 electronic licences and certificates for Thai government agencies."""

from __future__ import annotations

from edocstd.errors import (
    CertificateError,
    DocumentError,
    EdocError,
    InputError,
    KeyAccessError,
    KeyNotFoundError,
    KeyPermissionError,
    MechanismNotSupportedError,
    NetworkError,
    PinIncorrectError,
    PinLockedError,
    PolicyError,
    ServiceError,
    SigningError,
    TokenNotFoundError,
    VerificationError,
    XMLInputError,
)

__version__ = "0.1.0"

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
    "SigningError",
    "TokenNotFoundError",
    "VerificationError",
    "XMLInputError",
    "__version__",
]
