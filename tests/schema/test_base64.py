"""Base64 text (xs:base64Binary) checked and decoded in bounded pieces."""

from __future__ import annotations

import base64
import binascii
import hashlib
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edocstd.schema import _base64
from edocstd.schema._base64 import decode_base64, feed_base64
from edocstd.schema._rules import _b64_digest

MIB = 1024 * 1024


def _with_whitespace(encoded: str, cuts: list[int], spaces: list[str]) -> str:
    out = encoded
    for cut, space in sorted(zip(cuts, spaces, strict=False), reverse=True):
        at = cut % (len(out) + 1)
        out = out[:at] + space + out[at:]
    return out


@settings(max_examples=200)
@given(
    data=st.binary(max_size=300),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    spaces=st.lists(st.sampled_from([" ", "\n", "\r\n", "\t", "  \n  "]), max_size=8),
)
def test_valid_base64_with_xml_whitespace_anywhere_decodes_exactly(
    data: bytes, cuts: list[int], spaces: list[str]
) -> None:
    text = _with_whitespace(base64.b64encode(data).decode(), cuts, spaces)
    assert decode_base64(text) == data


@settings(max_examples=200)
@given(text=st.text(alphabet="ABCDabcd0123+/=\n -_*é", max_size=40))
def test_decoding_agrees_with_the_strict_standard_decoder(text: str) -> None:
    compact = "".join(text.split())  # the alphabet above holds only XML whitespace
    try:
        expected: bytes | None = base64.b64decode(compact, validate=True)
    except (ValueError, base64.binascii.Error):
        expected = None
    got = decode_base64(text)
    if expected is None:
        assert got is None
    else:
        # The XSD grammar is stricter than the standard decoder only about padding bits.
        assert got in (expected, None)
        if got is None:
            assert compact.endswith("=")


@pytest.mark.parametrize(
    "text",
    ["Zg", "Zg=", "Z===", "Zg==Zg==", "=Zg=", "Zh==", "Zm9=", "Zm9v!", "Zm9vé", "Zg==\n\nZg"],
)
def test_invalid_base64_is_refused(text: str) -> None:
    assert decode_base64(text) is None
    assert feed_base64(text, None) is False


@pytest.mark.parametrize("text", ["", " \n\t ", "Zg==", " Zm9v\n", "Zm8=\n"])
def test_valid_edge_cases(text: str) -> None:
    assert decode_base64(text) == base64.b64decode("".join(text.split()))


@pytest.mark.parametrize("newline", ["", "\n", "\r\n"])
@pytest.mark.parametrize("extra", [0, 1, 2])
def test_large_text_across_piece_boundaries_decodes_exactly(newline: str, extra: int) -> None:
    # Lines of 76 characters do not divide the 1 MiB piece size: quanta straddle pieces.
    data = hashlib.shake_256(f"{newline!r}{extra}".encode()).digest(3 * MIB + extra)
    encoded = base64.b64encode(data).decode()
    text = newline.join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + newline
    assert len(text) > 2 * MIB
    assert decode_base64(text) == data
    assert _b64_digest(text, hashlib.sha256) == (True, hashlib.sha256(data).digest())


def test_large_text_with_a_flaw_after_the_first_piece_is_refused() -> None:
    encoded = base64.b64encode(bytes(3 * MIB)).decode()
    at = 2 * MIB + 5
    assert decode_base64(encoded[:at] + "*" + encoded[at + 1 :]) is None
    assert decode_base64(encoded[:at] + "=" + encoded[at + 1 :]) is None
    padded = base64.b64encode(bytes(3 * MIB + 1)).decode()
    assert decode_base64(padded) == bytes(3 * MIB + 1)
    assert decode_base64(padded + "Zg==") is None  # padding not at the end
    assert decode_base64(encoded[:-1]) is None  # truncated quantum


def test_large_text_with_whitespace_only_at_the_end_is_not_oversized() -> None:
    data = bytes(range(256)) * 8192  # 2 MiB
    text = base64.b64encode(data).decode() + "\n" * 1000
    decoded = decode_base64(text)
    assert decoded == data
    assert isinstance(decoded, bytes)


def _strict_reference(text: str) -> bytes | None:
    """What ``xs:base64Binary`` makes of ``text``, decided on the whole text at once."""
    compact = "".join(text.split())
    try:
        data = binascii.a2b_base64(compact.encode("ascii"), strict_mode=True)
    except (UnicodeEncodeError, binascii.Error):
        return None
    if compact.endswith("="):
        # The bits that padding drops must be zero: re-encoding gives the same text.
        return data if base64.b64encode(data).decode() == compact else None
    return data


# Whole quanta, padded ones among them, and whitespace runs as long as one or more pieces: the
# shapes that put padding, data and all-blank pieces on either side of a boundary.
_TOKENS = ["Zg==", "Zm8=", "QUJD", "Zh==", "Zg", "=", " ", "    ", "\n" * 8, " " * 12]
_PIECE_TEXT = st.one_of(
    st.lists(st.sampled_from(_TOKENS), max_size=10).map("".join),
    st.text(alphabet="Zg=AQ \n", max_size=48),
)


@settings(max_examples=400)
@given(text=_PIECE_TEXT, piece=st.sampled_from([4, 8, 12]))
def test_small_pieces_decide_exactly_as_the_whole_text(text: str, piece: int) -> None:
    # Pieces of a few characters put every quantum, padding and whitespace run on a boundary.
    with mock.patch.object(_base64, "_CHUNK", piece):
        pieces: list[bytes] = []
        valid = feed_base64(text, pieces.append)
    expected = _strict_reference(text)
    assert valid is (expected is not None)
    if expected is not None:
        assert b"".join(pieces) == expected


@pytest.mark.parametrize("piece", [4, 8])
@pytest.mark.parametrize("gap", [1, 2, 3])
def test_data_after_padding_is_refused_when_whole_pieces_of_whitespace_lie_between(
    piece: int, gap: int
) -> None:
    text = "Zg==" + " " * (piece * gap) + "QUJD"
    with mock.patch.object(_base64, "_CHUNK", piece):
        assert feed_base64(text, None) is False
        assert decode_base64(text) is None


def test_data_after_padding_is_refused_across_a_whole_mebibyte_of_whitespace() -> None:
    # The real piece size: a first piece ending in "==", a second of nothing but spaces.
    head = base64.b64encode(b"x" * (MIB // 4 * 3 - 2)).decode()
    assert len(head) == MIB and head.endswith("==")
    text = head + " " * MIB + "QUJD"
    assert feed_base64(text, None) is False
    assert decode_base64(text) is None
    assert decode_base64(head + " " * MIB) == b"x" * (MIB // 4 * 3 - 2)
