"""``xs:base64Binary`` text, checked and decoded in bounded pieces.

An attachment (``ec:BinaryObject``) may be tens of megabytes of base64 text. Stripping its
whitespace, encoding it to bytes and decoding it in one go each make a full-size copy, and all
of them are alive at once. Here the text is taken a megabyte at a time: only the decoded result
grows to full size, next to the text itself.
"""

from __future__ import annotations

import binascii
import io
from collections.abc import Callable

from edocstd.schema._parser import decoded_base64_size

__all__ = ["decode_base64", "feed_base64"]

_CHUNK = 1 << 20  # characters per piece: a multiple of 4, so quanta stay whole
_XML_WS = b" \t\r\n"
_ONE_PAD_ENDINGS = frozenset(bytes([c]) for c in b"AEIMQUYcgkosw048")


def _canonical_padding(quantum: bytes) -> bool:
    """XSD's base64 grammar: the bits that padding drops must be zero (``Zg==``, not ``Zh==``)."""
    if quantum.endswith(b"=="):
        return quantum[1:2] in (b"A", b"Q", b"g", b"w")
    return quantum[2:3] in _ONE_PAD_ENDINGS


def feed_base64(text: str, sink: Callable[[bytes], object] | None) -> bool:
    """Check ``text`` as ``xs:base64Binary``, passing each decoded piece to ``sink``, in order.

    XML whitespace anywhere is ignored; padding may only end the text and must be canonical.
    Returns False as soon as the text is found invalid (``sink`` may have had pieces by then).
    Never holds more than one piece of the text or of the result.
    """
    carry = b""
    padded = False
    try:
        for i in range(0, len(text), _CHUNK):
            part = carry + text[i : i + _CHUNK].encode("ascii").translate(None, _XML_WS)
            cut = len(part) - len(part) % 4
            carry = part[cut:]
            if not cut:
                # A piece that was all whitespace (or one incomplete quantum) decides nothing:
                # in particular it must not forget padding seen in an earlier piece.
                continue
            if padded:
                return False  # data after the padding
            piece = part[:cut]
            decoded = binascii.a2b_base64(piece, strict_mode=True)
            padded = piece.endswith(b"=")
            if padded and not _canonical_padding(piece[-4:]):
                return False
            if sink is not None:
                sink(decoded)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return False
    return not carry


def decode_base64(text: str) -> bytes | None:
    """The bytes ``text`` (``xs:base64Binary``) stands for, or None when it is not valid.

    Peak memory is the text, the result and one piece: the result is written into a buffer of
    its exact size (computed from the text's length), which then becomes the returned bytes
    without a copy.
    """
    if len(text) <= _CHUNK:
        parts: list[bytes] = []
        return b"".join(parts) if feed_base64(text, parts.append) else None
    # BytesIO adopts a bytes object it alone holds and hands it back from getvalue() when
    # the size matches, so the result is never copied.
    out = io.BytesIO(bytes(decoded_base64_size(text)))
    if not feed_base64(text, out.write):
        return None
    out.truncate()
    return out.getvalue()
