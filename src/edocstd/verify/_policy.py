"""Verification policy: what a relying party is willing to accept."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from edocstd._level import Level
from edocstd.errors import PolicyError

__all__ = ["Policy", "Revocation"]


class Revocation(enum.Enum):
    """How certificate revocation is checked.

    ``NONE``: not checked at all, and the report says so.
    ``OFFLINE``: only revocation data carried in the document or supplied by the caller; the
    network is never touched.
    ``ONLINE``: like ``OFFLINE``, and missing data may be fetched from the CA.
    """

    NONE = "none"
    OFFLINE = "offline"
    ONLINE = "online"

    @classmethod
    def parse(cls, value: str | Revocation) -> Revocation:
        """Accept ``"none"``, ``"offline"``, ``"online"`` (any case) or a :class:`Revocation`."""
        if isinstance(value, Revocation):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        raise PolicyError(f"unknown revocation mode {value!r}: use 'none', 'offline' or 'online'")


@dataclass(frozen=True, slots=True, init=False)
class Policy:
    """What the verifier accepts (EDOC-1.0 §4.3, §4.4).

    ``revocation``: ``"none"`` | ``"offline"`` (default) | ``"online"``, or a :class:`Revocation`.
    ``require_schema``: an EDOC document must also be schema- and rule-valid.
    ``allow_legacy``: accept SHA-1 and MD5 based methods, which are then flagged in the report.
    ``min_level``: the lowest acceptable signature level (``"B-B"`` default); ``None`` (or
    ``"none"``, as the CLI spells it) also accepts plain XMLDSig enveloped signatures, reported
    as "XMLDSig, not AdES".
    ``tsa_policies``: the time-stamping policy OIDs (dotted, e.g. the ETDA TSA's) accepted in
    signature and archive time-stamps; ``None`` (default) accepts any policy of a trusted TSA.

    Values are validated at construction; a bad one raises :class:`~edocstd.PolicyError`.
    """

    revocation: Revocation
    require_schema: bool
    allow_legacy: bool
    min_level: Level | None
    tsa_policies: frozenset[str] | None

    def __init__(
        self,
        revocation: str | Revocation = Revocation.OFFLINE,
        require_schema: bool = True,
        allow_legacy: bool = False,
        min_level: str | Level | None = Level.B_B,
        tsa_policies: Iterable[str] | None = None,
    ) -> None:
        if not isinstance(require_schema, bool):
            raise PolicyError("require_schema must be True or False")
        if not isinstance(allow_legacy, bool):
            raise PolicyError("allow_legacy must be True or False")
        level: Level | None
        if min_level is None or (
            isinstance(min_level, str) and min_level.strip().lower() == "none"
        ):
            level = None
        else:
            if not isinstance(min_level, str | Level):
                raise PolicyError(f"unknown signature level {min_level!r}")
            try:
                level = Level.parse(min_level)
            except ValueError:
                raise PolicyError(
                    f"unknown signature level {min_level!r}: use None, 'B-B', 'B-T', "
                    "'B-LT' or 'B-LTA'"
                ) from None
            if level is Level.XMLDSIG:
                # Asking for "at least XMLDSig" is asking for no minimum level.
                level = None
        object.__setattr__(self, "revocation", Revocation.parse(revocation))
        object.__setattr__(self, "require_schema", require_schema)
        object.__setattr__(self, "allow_legacy", allow_legacy)
        object.__setattr__(self, "min_level", level)
        object.__setattr__(self, "tsa_policies", _oids(tsa_policies))

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready mapping of the settings."""
        return {
            "revocation": self.revocation.value,
            "require_schema": self.require_schema,
            "allow_legacy": self.allow_legacy,
            "min_level": None if self.min_level is None else self.min_level.value,
            "tsa_policies": None if self.tsa_policies is None else sorted(self.tsa_policies),
        }


_OID = re.compile(r"[0-2](\.(0|[1-9][0-9]*))+")


def _oids(values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str | bytes):
        raise PolicyError("tsa_policies must be a collection of OIDs, not a single string")
    out = frozenset(values)
    for oid in out:
        if not isinstance(oid, str) or not _OID.fullmatch(oid):
            raise PolicyError(f"tsa_policies: {oid!r} is not a dotted object identifier")
    if not out:
        raise PolicyError("tsa_policies is empty: no time-stamp could ever be accepted")
    return out
