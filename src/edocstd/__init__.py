"""edocstd: EDOC 1.0 electronic licences and certificates for Thai government agencies."""

from __future__ import annotations

from edocstd._ids import is_valid_thai_id, thai_id_check_digit
from edocstd._level import Level
from edocstd._report import Location, Problem, ValidationReport
from edocstd._thai import buddhist_year, format_date
from edocstd._version import __version__
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
    SignedContentChangedError,
    SigningError,
    TokenNotFoundError,
    VerificationError,
    XMLInputError,
)
from edocstd.ltv import extend
from edocstd.model import Document
from edocstd.schema._codec import dump, fingerprint, load
from edocstd.schema._rules import RULES, RuleInfo
from edocstd.schema._validate import validate
from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm
from edocstd.sign._keys import SigningKey
from edocstd.sign._pkcs11_uri import Pkcs11Params
from edocstd.sign._sign import (
    Cosign,
    PreparedSignature,
    SchemaCheck,
    complete,
    prepare,
    sign,
    sign_file,
)
from edocstd.sign._signer import Signer
from edocstd.sign._xades import Commitment
from edocstd.verify import (
    Indication,
    Policy,
    Revocation,
    SignatureReport,
    SubIndication,
    TimeStampReport,
    TrustStore,
    VerificationReport,
    VerifiedDocument,
    Verifier,
)

__all__ = [
    "C14N",
    "RULES",
    "CertificateError",
    "Commitment",
    "Cosign",
    "DigestAlgorithm",
    "Document",
    "DocumentError",
    "EdocError",
    "Indication",
    "InputError",
    "KeyAccessError",
    "KeyNotFoundError",
    "KeyPermissionError",
    "Level",
    "Location",
    "MechanismNotSupportedError",
    "NetworkError",
    "PinIncorrectError",
    "PinLockedError",
    "Pkcs11Params",
    "Policy",
    "PolicyError",
    "PreparedSignature",
    "Problem",
    "Revocation",
    "RuleInfo",
    "SchemaCheck",
    "ServiceError",
    "SignatureAlgorithm",
    "SignatureReport",
    "SignedContentChangedError",
    "Signer",
    "SigningError",
    "SigningKey",
    "SubIndication",
    "TimeStampReport",
    "TokenNotFoundError",
    "TrustStore",
    "ValidationReport",
    "VerificationError",
    "VerificationReport",
    "VerifiedDocument",
    "Verifier",
    "XMLInputError",
    "__version__",
    "buddhist_year",
    "complete",
    "dump",
    "extend",
    "fingerprint",
    "format_date",
    "is_valid_thai_id",
    "load",
    "prepare",
    "sign",
    "sign_file",
    "thai_id_check_digit",
    "validate",
]
