"""The reader's prolog scan: character encodings it reads, its backstop after parsing, and the
work it does on long prologs."""

from __future__ import annotations

import codecs
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from edocstd.errors import XMLInputError
from edocstd.schema._parser import _PLAIN_PROLOG, _checked, _PrologScanner, parse

STREAMED = 300 * 1024  # past the size parsed in one call, so the input streams


class _Trickle(io.RawIOBase):
    """A binary file that hands out at most ``size`` bytes per read."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data = io.BytesIO(data)
        self._size = size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._data.read(self._size if n < 0 else min(n, self._size))


def _refusal(data: bytes) -> str:
    with pytest.raises(XMLInputError) as info:
        parse(data)
    assert info.value.reason_th
    return str(info.value)


def _streamed(doc: bytes) -> bytes:
    """``doc`` (ASCII-compatible) made long enough to stream, by white space in the root."""
    if doc.endswith(b"<r/>"):
        return doc[:-4] + b"<r>" + b" " * STREAMED + b"</r>"
    assert doc.endswith(b"</r>")
    return doc[:-4] + b" " * STREAMED + b"</r>"


# ----------------------------------------------------------------------------- encodings

_HIDDEN = {
    # In UTF-7 "+AC0ALQA+-" is "-->" and "+ADwAIQAtAC0-" is "<!--": what looks like one comment
    # to a byte scan is a comment, a DOCTYPE (or PI) and another comment to libxml2.
    "utf-7-doctype": b'<?xml version="1.0" encoding="UTF-7"?><!-- +AC0ALQA+- '
    b'<!DOCTYPE r [<!ENTITY e "x">]> +ADwAIQAtAC0- --><r/>',
    "utf-7-pi": b'<?xml version="1.0" encoding="UTF-7"?><!-- +AC0ALQA+- <?evil x?> '
    b"+ADwAIQAtAC0- --><r/>",
    "utf-7-plain": b'<?xml version="1.0" encoding="UTF-7"?><r>+AOk-</r>',
    "utf-7-lower-case": b"<?xml version='1.0' encoding='utf-7'?><r/>",
    "iso-8859-1": b'<?xml version="1.0" encoding="ISO-8859-1"?><r>\xe9</r>',
    "tis-620": b'<?xml version="1.0" encoding="TIS-620"?><r>\xa1</r>',
    "windows-874": b'<?xml version="1.0" encoding="windows-874"?><r/>',
    "shift-jis": b'<?xml version="1.0" encoding="Shift_JIS"?><r/>',
    "utf-32-name": b'<?xml version="1.0" encoding="UTF-32"?><r/>',
    "utf-16-name-without-bom": b'<?xml version="1.0" encoding="UTF-16"?><r/>',
    "utf-8-name-in-utf-16": '\ufeff<?xml version="1.0" encoding="UTF-8"?><r/>'.encode("utf-16-le"),
    "utf-16le-name": '\ufeff<?xml version="1.0" encoding="UTF-16LE"?><r/>'.encode("utf-16-le"),
    "utf-32le-bom": '\ufeff<?xml version="1.0"?><r/>'.encode("utf-32-le"),
    "utf-32le-bom-doctype": (
        '\ufeff<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE r [<!ENTITY e "x">]><r/>'
    ).encode("utf-32-le"),
    "utf-32be-bom": '\ufeff<?xml version="1.0"?><r/>'.encode("utf-32-be"),
    "ebcdic": '<?xml version="1.0" encoding="IBM037"?><r/>'.encode("cp037"),
}


@pytest.mark.parametrize("doc", list(_HIDDEN.values()), ids=list(_HIDDEN))
def test_encodings_other_than_utf8_and_utf16_are_refused_before_parsing(doc: bytes) -> None:
    assert "encoding" in _refusal(doc)


_ASCII_COMPATIBLE = [name for name, doc in _HIDDEN.items() if doc.startswith(b"<?xml")]


@pytest.mark.parametrize("name", _ASCII_COMPATIBLE)
def test_encodings_other_than_utf8_and_utf16_are_refused_when_streamed(name: str) -> None:
    assert "encoding" in _refusal(_streamed(_HIDDEN[name]))


@pytest.mark.parametrize("doc", [_HIDDEN["utf-7-doctype"], _HIDDEN["utf-32le-bom-doctype"]])
def test_the_fast_path_leaves_other_encodings_to_the_scanner(doc: bytes) -> None:
    assert _PLAIN_PROLOG.match(doc) is None


@pytest.mark.parametrize(
    "doc",
    [
        _HIDDEN["utf-32le-bom-doctype"],
        '\ufeff<!DOCTYPE r [<!ENTITY e "x">]><r/>'.encode("utf-32-be"),
    ],
)
@pytest.mark.parametrize("size", [1, 2, 3])
def test_a_utf32_byte_order_mark_split_across_reads_is_still_told_from_utf16(
    doc: bytes, size: int
) -> None:
    # ff fe 00 00 starts both UTF-32LE and UTF-16LE: the decision waits for four bytes.
    with pytest.raises(XMLInputError) as info:
        parse(_Trickle(doc, size))
    assert "encoding" in str(info.value)


_READ = {
    "no-declaration": b"<r/>",
    "utf-8": b'<?xml version="1.0" encoding="UTF-8"?><r/>',
    "utf-8-lower-case-single-quotes": b"<?xml version='1.0' encoding='utf-8'?><r/>",
    "utf-8-standalone": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<r/>',
    "utf-8-bom": b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?><r/>',
    "us-ascii": b'<?xml version="1.0" encoding="US-ASCII"?><r>&#3585;</r>',
    "ascii-as-lxml-writes-it": b"<?xml version='1.0' encoding='ASCII'?>\n<r>&#3585;</r>",
    "utf-16-bom": '\ufeff<?xml version="1.0" encoding="UTF-16"?><r>ก</r>'.encode("utf-16-le"),
    "utf-16-big-endian": '\ufeff<?xml version="1.0" encoding="utf-16"?><r/>'.encode("utf-16-be"),
    "utf-16-no-declaration": "\ufeff<r/>".encode("utf-16-le"),
}


@pytest.mark.parametrize("doc", list(_READ.values()), ids=list(_READ))
@pytest.mark.parametrize("size", ["small", "streamed"])
def test_utf8_utf16_and_ascii_are_read(doc: bytes, size: str) -> None:
    if size == "streamed" and b"\x00" in doc:
        text = doc.decode("utf-16").replace("<r/>", "<r></r>")
        doc = codecs.BOM_UTF16_LE + text.replace("</r>", " " * STREAMED + "</r>").encode(
            "utf-16-le"
        )
    elif size == "streamed":
        doc = _streamed(doc)
    assert parse(doc).getroot().tag == "r"


@pytest.mark.parametrize(
    "doc",
    [
        b'<?xml version="2.0" encoding="UTF-7"?><r/>',
        b'<?xml version="1.0" foo="x" encoding="UTF-7"?><r/>',
        b'<?xml encoding="UTF-8" version="1.0"?><r/>',
        b'<?xml version="1.0" encoding="UTF-8" standalone="maybe"?><r/>',
    ],
    ids=["unknown-version", "unknown-pseudo-attribute", "wrong-order", "bad-standalone"],
)
def test_a_malformed_xml_declaration_is_refused_before_parsing(doc: bytes) -> None:
    assert "XML declaration" in _refusal(doc)


# ----------------------------------------------------------------------------- backstop


def _lxml_tree(data: bytes) -> etree._ElementTree:
    """``data`` parsed by plain lxml, without the reader's prolog scan."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser).getroottree()


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE r><r/>",
        b"<!DOCTYPE r [<!ELEMENT r EMPTY>]><r/>",
        b'<!DOCTYPE r SYSTEM "r.dtd"><r/>',
        _HIDDEN["utf-7-doctype"],
    ],
    ids=["name-only", "internal-subset", "system-id", "utf-7-hidden"],
)
def test_the_backstop_refuses_a_tree_with_a_dtd(data: bytes) -> None:
    with pytest.raises(XMLInputError, match="DTD"):
        _checked(_lxml_tree(data))


@pytest.mark.parametrize(
    "data",
    [
        _HIDDEN["utf-7-plain"],
        _HIDDEN["iso-8859-1"],
        _HIDDEN["utf-32le-bom"],
        _HIDDEN["utf-8-name-in-utf-16"],
    ],
    ids=["utf-7", "iso-8859-1", "utf-32le", "utf-16-labelled-utf-8"],
)
def test_the_backstop_refuses_a_tree_read_in_another_encoding(data: bytes) -> None:
    with pytest.raises(XMLInputError, match="encoding"):
        _checked(_lxml_tree(data))


@pytest.mark.parametrize("name", ["small", "streamed"])
def test_the_backstop_passes_what_the_reader_accepts(name: str) -> None:
    doc = _READ["utf-16-bom"] if name == "small" else _streamed(_READ["utf-8"])
    tree = _lxml_tree(doc)
    assert _checked(tree) is tree


# ----------------------------------------------------------------------------- work done


def _scan(data: bytes, size: int) -> _PrologScanner:
    scanner = _PrologScanner()
    for at in range(0, len(data), size):
        if scanner.done:
            break
        scanner.feed(data[at : at + size])
    return scanner


_LONG_PROLOGS = {
    "comment": lambda n: b"<!--" + b"a-" * n + b"--><r/>",
    "declaration": lambda n: b'<?xml version="1.0"' + b" " * n + b"?><r/>",
    "white-space": lambda n: b" \n" * n + b"<r/>",
    "utf-16-comment": lambda n: ("\ufeff<!--" + "a?" * n + "--><r/>").encode("utf-16-le"),
}


@pytest.mark.parametrize("shape", list(_LONG_PROLOGS))
def test_a_long_prolog_fed_in_pieces_is_searched_once(shape: str) -> None:
    make = _LONG_PROLOGS[shape]
    scanner = _scan(make(200_000), 1000)
    assert scanner.done
    # Every byte at most once, plus the few at each piece's end that may start "-->" or "?>".
    assert scanner.examined <= len(make(200_000)) + 2 * (len(make(200_000)) // 1000 + 1)
    # Twice the prolog, twice the work (a search from the start on each piece would be four).
    ratio = _scan(make(400_000), 1000).examined / scanner.examined
    assert 1.9 < ratio < 2.1


def test_a_long_comment_is_not_held_while_it_is_scanned() -> None:
    scanner = _PrologScanner()
    scanner.feed(b"<!--")
    for _ in range(1000):
        scanner.feed(b"x" * 1000)
        assert len(scanner._buf) < 100
    with pytest.raises(XMLInputError, match="DTD"):
        scanner.feed(b"--><!DOCTYPE r><r/>")


def test_a_dtd_after_a_long_streamed_prolog_comment_is_refused() -> None:
    doc = b"<!--" + b"-" * STREAMED + b"-->" + b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'
    assert "DTD" in _refusal(doc)


_PROLOG_TOKENS = st.sampled_from(
    [
        "<!--",
        "-->",
        "--",
        "-",
        ">",
        "<?",
        "?>",
        "?",
        "xml ",
        '<?xml version="1.0"?>',
        "<?xml version='1.0' encoding='UTF-7'?>",
        "<?pi x?>",
        "<!DOCTYPE r>",
        " ",
        "\n",
        "x",
        "<r/>",
        "\ufeff",
    ]
)


def _outcome(data: bytes, size: int) -> tuple[str, bool]:
    try:
        scanner = _scan(data, size)
    except XMLInputError as exc:
        return str(exc), True
    return "", scanner.done


@settings(max_examples=300)
@given(
    tokens=st.lists(_PROLOG_TOKENS, max_size=12),
    size=st.integers(min_value=1, max_value=7),
    utf16=st.booleans(),
)
def test_the_scan_decides_the_same_whatever_the_pieces(
    tokens: list[str], size: int, utf16: bool
) -> None:
    text = "".join(tokens)
    data = ("\ufeff" + text).encode("utf-16-le") if utf16 else text.encode("utf-8")
    assert _outcome(data, size) == _outcome(data, len(data) or 1)


@pytest.mark.parametrize("size", [1, 2, 3, 64])
@pytest.mark.parametrize("pi", [b"<? ?>", b"<??>", b"<?\t\n?>"])
def test_a_processing_instruction_without_a_target_is_refused_not_a_crash(
    pi: bytes, size: int
) -> None:
    doc = pi + b"<r/>"
    with pytest.raises(XMLInputError, match="processing instructions"):
        _scan(doc, size)
    with pytest.raises(XMLInputError):
        parse(_Trickle(doc, size))
    with pytest.raises(XMLInputError):
        parse(doc)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_a_dtd_after_a_utf8_byte_order_mark_split_across_reads_is_refused_by_the_scan(
    size: int,
) -> None:
    doc = codecs.BOM_UTF8 + b'<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'
    with pytest.raises(XMLInputError, match="DTD"):
        _scan(doc, size)  # before libxml2 sees the DOCTYPE, not by the backstop after it
    with pytest.raises(XMLInputError, match="DTD"):
        parse(_Trickle(doc, size))
