"""Canonicalizing and serialising documents with very large text nodes in bounded memory.

An EDOC document's bulk is usually one ``BinaryObject``: a single text node of up to ~45 MB of
base64. libxml2 escapes a text node into one new buffer, copies that into its output buffer,
and lxml hands the result to Python as one more ``bytes`` object — three transient copies of
the largest node, for the digest and again for the output.

Here each large text is taken out of the tree for the duration (the libxml2 copy is freed, the
Python string keeps it), replaced by a short random marker, and the serialised stream is
patched on the fly: every marker is replaced by the original text, escaped exactly as libxml2
would have escaped it, in small chunks. The bytes produced are identical to serialising the
untouched tree; only the peak memory differs.

The markers hold 128 random bits drawn per call, so no document can contain one by accident
or by design.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lxml import etree

from edocstd.sign._algorithms import C14N, DigestAlgorithm
from edocstd.sign._c14n import HashWriter, detached

__all__ = [
    "BIG_TEXT",
    "NO_HOLES",
    "Holes",
    "digest_document",
    "escape_c14n",
    "escape_xml",
    "punch",
    "punched",
    "restore",
    "write_tree",
]

BIG_TEXT = 256 * 1024
"""Texts longer than this many characters are streamed rather than serialised by libxml2."""

_CHUNK = 256 * 1024
_INDEX_DIGITS = 8


def escape_c14n(text: str) -> str:
    """Escape character data as Canonical XML (1.0, 1.1 and exclusive) does."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    )


def escape_xml(text: str) -> str:
    """Escape character data as libxml2's serialiser does for UTF-8 output."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


@dataclass(frozen=True, slots=True)
class Holes:
    """The texts taken out of a tree, and the marker prefix that stands for them."""

    token: bytes
    texts: tuple[str, ...]
    elements: tuple[etree._Element, ...]

    def __bool__(self) -> bool:
        return bool(self.texts)


NO_HOLES = Holes(b"", (), ())
"""Nothing taken out (for documents too small to hold a large text)."""


def punch(tree: etree._ElementTree, threshold: int | None = None) -> Holes:
    """Replace every element text longer than ``threshold`` (default :data:`BIG_TEXT`) by a
    marker, for good; :func:`restore` puts the texts back.

    Taking a text out frees libxml2's copy while Python's takes its place, so the document is
    held once, not twice, for as long as it is punched.
    """
    if threshold is None:
        threshold = BIG_TEXT
    token = secrets.token_hex(16)
    texts: list[str] = []
    elements: list[etree._Element] = []
    for el in tree.getroot().iter(tag=etree.Element):
        text = el.text
        if text is not None and len(text) > threshold:
            el.text = f"{token}{len(texts):0{_INDEX_DIGITS}d}"
            texts.append(text)
            elements.append(el)
    return Holes(token.encode("ascii"), tuple(texts), tuple(elements))


def restore(holes: Holes) -> None:
    """Put the texts :func:`punch` took out back into their elements."""
    for el, text in zip(holes.elements, holes.texts, strict=True):
        el.text = text


@contextmanager
def punched(tree: etree._ElementTree, threshold: int | None = None) -> Iterator[Holes]:
    """:func:`punch` for the duration of a ``with`` block, restoring even on error."""
    holes = punch(tree, threshold)
    try:
        yield holes
    finally:
        restore(holes)


class _Expander:
    """A write-only stream that replaces markers by their (escaped) texts on the way through."""

    def __init__(self, out: Any, holes: Holes, escape: Callable[[str], str]) -> None:
        self._out = out
        self._holes = holes
        self._escape = escape
        self._marker_len = len(holes.token) + _INDEX_DIGITS
        self._pending = b""

    def write(self, data: bytes) -> int:
        buf = self._pending + bytes(data)
        token = self._holes.token
        marker_len = self._marker_len
        start = 0
        while True:
            i = buf.find(token, start)
            if i < 0:
                break
            if i + marker_len > len(buf):
                # A marker split across writes: keep it back until its digits arrive.
                self._out.write(buf[start:i])
                self._pending = buf[i:]
                return len(data)
            index = int(buf[i + len(token) : i + marker_len])
            self._out.write(buf[start:i])
            self._emit(self._holes.texts[index])
            start = i + marker_len
        # The last bytes could be the beginning of a token: keep them back.
        tail = max(start, len(buf) - (len(token) - 1))
        self._out.write(buf[start:tail])
        self._pending = buf[tail:]
        return len(data)

    def _emit(self, text: str) -> None:
        escape = self._escape
        for pos in range(0, len(text), _CHUNK):
            self._out.write(escape(text[pos : pos + _CHUNK]).encode("utf-8"))

    def close(self) -> None:
        """Flush what was kept back (never a whole marker)."""
        if self._pending:
            self._out.write(self._pending)
            self._pending = b""


def digest_document(
    tree: etree._ElementTree,
    method: C14N,
    digest: DigestAlgorithm,
    exclude: Sequence[etree._Element] = (),
    holes: Holes | None = None,
) -> bytes:
    """Like :func:`edocstd.sign._c14n.digest_tree`, without copying large text nodes.

    ``holes`` are the texts already taken out of ``tree`` by :func:`punch`; without them, large
    texts are taken out and put back around the digest. :data:`NO_HOLES` says the document is
    small (it was never punched) and its canonical form may be held whole for a moment.
    """
    if holes is None:
        with punched(tree) as taken:
            return digest_document(tree, method, digest, exclude, taken)
    writer = HashWriter(digest)
    kwargs: dict[str, Any] = {"exclusive": method.exclusive, "with_comments": method.with_comments}
    if holes is NO_HOLES:
        # Only small documents are never punched (see the caller): their canonical form is
        # taken in one piece, which is cheaper than libxml2 calling back into Python per chunk.
        with detached(exclude):
            writer.write(etree.tostring(tree, method="c14n", **kwargs))
        return writer.digest()
    out: Any = _Expander(writer, holes, escape_c14n) if holes else writer
    with detached(exclude):
        tree.write_c14n(out, **kwargs)
    if holes:
        out.close()
    return writer.digest()


def write_tree(tree: etree._ElementTree, fh: Any, holes: Holes | None = None) -> None:
    """Serialise ``tree`` (UTF-8, with an XML declaration) into the binary stream ``fh``.

    The bytes are those of ``etree.tostring(tree, xml_declaration=True, encoding="UTF-8")`` on
    the tree with its texts in place. ``holes`` as for :func:`digest_document`.
    """
    if holes is None:
        with punched(tree) as taken:
            write_tree(tree, fh, taken)
        return
    out: Any = _Expander(fh, holes, escape_xml) if holes else fh
    tree.write(out, xml_declaration=True, encoding="UTF-8")
    if holes:
        out.close()
