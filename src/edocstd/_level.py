"""Signature levels (ETSI EN 319 132-1 baseline profiles)."""

from __future__ import annotations

import enum


class Level(enum.Enum):
    """XAdES baseline levels, in increasing order of protection.

    ``XMLDSIG`` names a plain XMLDSig signature with no XAdES properties: it is not AdES, and a
    policy accepts it only when it asks for no minimum level.
    """

    XMLDSIG = "XMLDSig"
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def rank(self) -> int:
        """Position in the order XMLDSIG < B-B < B-T < B-LT < B-LTA."""
        return list(Level).index(self)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank < other.rank

    @classmethod
    def parse(cls, value: str | Level) -> Level:
        """Accept ``"B-B"``, ``"b_lta"``, ``"XMLDSig"`` or a :class:`Level`."""
        if isinstance(value, Level):
            return value
        norm = value.strip().upper().replace("_", "-")
        for level in cls:
            if level.value.upper() == norm:
                return level
        raise ValueError(f"unknown signature level {value!r}")
