"""Check digits of Thai 13-digit identifiers: national ID (NIDN) and tax ID (TXID).

Both use the same scheme (EDOC-1.0 §2, EDOC-R001/R002): for digits d₁…d₁₃,
x = (Σ_{i=1..12} dᵢ·(14−i)) mod 11 and d₁₃ = (11 − x) mod 10.
"""

from __future__ import annotations

import operator

__all__ = ["is_valid_thai_id", "thai_id_check_digit"]

_DIGITS = frozenset("0123456789")
_WEIGHTS = tuple(range(13, 1, -1))
_ZERO_TOTAL = 48 * sum(_WEIGHTS)


def thai_id_check_digit(first12: str) -> int:
    """The check digit (0–9) for the first 12 ASCII digits of a NIDN or TXID.

    Raises :class:`ValueError` unless ``first12`` is exactly 12 ASCII digits.
    """
    if len(first12) != 12 or not _DIGITS.issuperset(first12):
        raise ValueError("expected exactly 12 ASCII digits")
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def is_valid_thai_id(value: str) -> bool:
    """True when ``value`` is 13 ASCII digits whose last digit is the right check digit.

    Only ASCII digits count: Thai digits (๐–๙) and other Unicode digits are not accepted.
    """
    if len(value) != 13 or not _DIGITS.issuperset(value):
        return False
    codes = value.encode("ascii")
    # Each digit's code is 48 more than its value: take the 48s out once.
    total: int = sum(map(operator.mul, codes[:12], _WEIGHTS)) - _ZERO_TOTAL
    return (11 - total % 11) % 10 == codes[12] - 48
