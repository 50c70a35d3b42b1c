"""The one-method key protocol that lets any key store sign.

A key in memory, a PKCS#11 token, or a remote signing service are all just something that can
turn the canonical ``SignedInfo`` bytes into a signature value. Keeping the protocol to one
method keeps HSM and remote integrations small and easy to get right.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from edocstd.sign._algorithms import SignatureAlgorithm


@runtime_checkable
class SigningKey(Protocol):
    """Something that signs bytes with a private key it may never reveal."""

    def sign(self, data: bytes, algorithm: SignatureAlgorithm) -> bytes:
        """Sign ``data`` with ``algorithm`` and return the XMLDSig ``SignatureValue`` bytes.

        ``data`` is the message itself (the canonical ``SignedInfo``), not a digest; the
        implementation hashes as ``algorithm`` says. ECDSA values are returned in the XMLDSig
        form, the raw concatenation ``r || s`` with each half padded to the curve size, not DER.
        Raises :class:`~edocstd.KeyAccessError` (or a subclass) when the key cannot be used.
        """
        ...
