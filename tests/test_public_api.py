"""The public surface is deliberate: adding or removing a name must be a visible change."""

from __future__ import annotations

import edocstd

EXPECTED = [
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


def test_all_is_pinned() -> None:
    assert list(edocstd.__all__) == EXPECTED


def test_every_public_name_exists_and_is_documented() -> None:
    for name in edocstd.__all__:
        obj = getattr(edocstd, name)
        if name.startswith("__") or name == "RULES":
            continue
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_input_errors_are_value_errors() -> None:
    assert issubclass(edocstd.InputError, ValueError)
    assert issubclass(edocstd.DocumentError, edocstd.EdocError)
    assert issubclass(edocstd.XMLInputError, ValueError)
