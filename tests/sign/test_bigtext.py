"""Streaming large texts gives exactly the bytes libxml2 would have produced."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from edocstd.sign import _bigtext
from edocstd.sign._algorithms import C14N, DigestAlgorithm
from edocstd.sign._bigtext import digest_document, punched, write_tree
from edocstd.sign._c14n import digest_tree

_TRICKY = "a&b<c>d\re\"f'g ทดสอบ \U0001f600 ]]> \t\n"


def _tree(big: str, tail: str = "\n") -> etree._ElementTree:
    root = etree.Element("{urn:x}r", nsmap={"x": "urn:x", "u": "urn:unused"})
    small = etree.SubElement(root, "{urn:x}small", a="1&2")
    small.text = "short & sweet"
    small.tail = tail
    blob = etree.SubElement(root, "{urn:x}blob")
    blob.text = big
    blob.tail = "\r\n"
    etree.SubElement(root, "{urn:x}after").text = big[:10]
    return etree.ElementTree(root)


@pytest.fixture
def low_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    # Exercise the streaming path on small texts, with chunks that split escapes and characters.
    monkeypatch.setattr(_bigtext, "BIG_TEXT", 8)
    monkeypatch.setattr(_bigtext, "_CHUNK", 3)


@pytest.mark.usefixtures("low_threshold")
@pytest.mark.parametrize("method", [C14N.EXC, C14N.C14N, C14N.C14N11])
def test_streamed_digest_equals_the_libxml2_digest(method: C14N) -> None:
    tree = _tree(_TRICKY * 50)
    expected = digest_tree(tree, method, DigestAlgorithm.SHA256)
    assert digest_document(tree, method, DigestAlgorithm.SHA256) == expected


@pytest.mark.usefixtures("low_threshold")
def test_streamed_serialisation_equals_tostring() -> None:
    tree = _tree(_TRICKY * 50)
    expected = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    out = io.BytesIO()
    write_tree(tree, out)
    assert out.getvalue() == expected
    assert _TRICKY.replace("&", "&amp;") not in out.getvalue().decode()  # it was escaped


class _Trickle:
    """Forwards writes one byte at a time, so markers arrive split at every position."""

    def __init__(self, out: object) -> None:
        self._out = out

    def write(self, data: bytes) -> int:
        for i in range(len(data)):
            self._out.write(data[i : i + 1])  # type: ignore[attr-defined]
        return len(data)


@pytest.mark.usefixtures("low_threshold")
def test_markers_split_across_writes_are_still_replaced() -> None:
    tree = _tree(_TRICKY * 3)
    expected = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    sink = io.BytesIO()
    with punched(tree) as holes:
        assert len(holes.texts) == 3  # 'small', 'blob' and 'after' all exceed 8 characters
        expander = _bigtext._Expander(sink, holes, _bigtext.escape_xml)
        tree.write(_Trickle(expander), xml_declaration=True, encoding="UTF-8")
        expander.close()
    assert sink.getvalue() == expected


def test_the_tree_is_restored_even_when_writing_fails() -> None:
    tree = _tree("x" * 300_000)
    before = etree.tostring(tree)

    class Broken:
        def write(self, data: bytes) -> int:
            raise OSError("disk full")

    with pytest.raises(OSError):
        write_tree(tree, Broken())
    assert etree.tostring(tree) == before


@settings(max_examples=60, deadline=None)
@given(
    big=st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"
        ),
        min_size=0,
        max_size=60,
    ).filter(
        lambda t: (
            all(c in "\t\n\r" or ord(c) >= 0x20 for c in t)
            and "\ufffe" not in t
            and "\uffff" not in t
        )
    )
)
def test_streaming_matches_libxml2_for_any_text(big: str) -> None:
    tree = _tree(big)
    plain = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    plain_digest = digest_tree(tree, C14N.EXC, DigestAlgorithm.SHA256)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_bigtext, "_CHUNK", 2)
        mp.setattr(_bigtext, "BIG_TEXT", 0)
        out = io.BytesIO()
        write_tree(tree, out)
        assert out.getvalue() == plain
        assert digest_document(tree, C14N.EXC, DigestAlgorithm.SHA256) == plain_digest
