"""Canonicalization and the enveloped-signature transform, shared by signing and verification.

lxml (libxml2) does the canonicalization. Two things are done here on top of it:

* **The enveloped transform without copying the document.** The ``ds:Signature`` elements to
  leave out are detached for the duration of the canonicalization and put back afterwards, with
  their tail text handed to the preceding node so no character of the signed content moves.
  Copying the tree instead would double peak memory on a 50 MB document.
* **Streaming into the hash.** ``write_c14n`` writes to any object with ``write``; the
  canonical form of the whole document is hashed as libxml2 produces it and never held whole.

Canonical XML 1.1 differs from 1.0 only in how ``xml:id`` and ``xml:base`` attributes of
*ancestors* of the canonicalized subtree are handled. For whole-document references there are
no such ancestors, and for ``SignedInfo``/``SignedProperties`` we check that none carry those
attributes, so libxml2's 1.0 output is exactly the 1.1 output in every case we accept; anything
else is refused rather than guessed at.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lxml import etree

from edocstd.sign._algorithms import C14N, DigestAlgorithm

__all__ = ["HashWriter", "UnsupportedC14NError", "c14n", "detached", "digest_tree"]

_XML_NS = "http://www.w3.org/XML/1998/namespace"


class UnsupportedC14NError(ValueError):
    """Canonical XML 1.1 is asked for in a context where it differs from 1.0."""


class HashWriter:
    """A write-only file object that feeds a hash."""

    def __init__(self, algorithm: DigestAlgorithm) -> None:
        self._h = hashlib.new(algorithm.hash_name)
        self.size = 0

    def write(self, data: bytes) -> int:
        """Feed ``data`` to the hash."""
        self._h.update(data)
        self.size += len(data)
        return len(data)

    def digest(self) -> bytes:
        """The digest so far."""
        return self._h.digest()


def _check_c14n11(node: etree._Element, method: C14N) -> None:
    if not method.version_11:
        return
    for anc in node.iterancestors():
        if anc.get(f"{{{_XML_NS}}}id") is not None or anc.get(f"{{{_XML_NS}}}base") is not None:
            raise UnsupportedC14NError(
                "Canonical XML 1.1 of an element whose ancestors carry xml:id or xml:base"
            )


def c14n(
    node: etree._Element,
    method: C14N,
    inclusive_prefixes: Sequence[str] | None = None,
) -> bytes:
    """The canonical form of ``node`` and its subtree, in its document context."""
    _check_c14n11(node, method)
    kwargs: dict[str, Any] = {
        "method": "c14n",
        "exclusive": method.exclusive,
        "with_comments": method.with_comments,
    }
    if method.exclusive and inclusive_prefixes:
        kwargs["inclusive_ns_prefixes"] = list(inclusive_prefixes)
    inherited = _inherited_xml_attributes(node, method)
    if not inherited:
        return etree.tostring(node, **kwargs)  # type: ignore[no-any-return]
    # Inclusive canonicalization imports the xml:* attributes of the ancestors into the apex
    # of the subtree (C14N 1.0 §2.4; 1.1 only xml:lang and xml:space). lxml canonicalizes a
    # subtree as if it were a document of its own and loses them, so they are put on the node
    # for the duration; canonical attribute order makes their position irrelevant.
    for name, value in inherited.items():
        node.set(name, value)
    try:
        return etree.tostring(node, **kwargs)  # type: ignore[no-any-return]
    finally:
        for name in inherited:
            del node.attrib[name]


_INHERITED_10 = tuple(f"{{{_XML_NS}}}{n}" for n in ("base", "id", "lang", "space"))
_INHERITED_11 = tuple(f"{{{_XML_NS}}}{n}" for n in ("lang", "space"))


def _inherited_xml_attributes(node: etree._Element, method: C14N) -> dict[str, str]:
    if method.exclusive:
        return {}
    names = _INHERITED_11 if method.version_11 else _INHERITED_10
    found: dict[str, str] = {}
    for anc in node.iterancestors():  # nearest first: the nearest value wins
        for name in names:
            if name not in found and node.get(name) is None:
                value = anc.get(name)
                if value is not None:
                    found[name] = value
    return found


@contextmanager
def detached(elements: Sequence[etree._Element]) -> Iterator[None]:
    """Temporarily take ``elements`` out of their tree, keeping every other character in place.

    lxml stores the text after an element as that element's ``tail``; removing the element would
    remove that text too. The tail is moved to the previous sibling (or the parent's text) while
    the element is out, and everything is restored on exit, even on error.
    """
    undo: list[tuple[etree._Element, int, etree._Element, str | None, etree._Element, bool]] = []
    try:
        for el in elements:
            parent = el.getparent()
            if parent is None:
                raise ValueError("cannot detach the root element")
            index = parent.index(el)
            tail = el.tail
            prev = el.getprevious()
            if prev is not None:
                holder, is_text = prev, False
                saved = prev.tail
                if tail:
                    prev.tail = (prev.tail or "") + tail
            else:
                holder, is_text = parent, True
                saved = parent.text
                if tail:
                    parent.text = (parent.text or "") + tail
            el.tail = None
            parent.remove(el)
            undo.append((parent, index, el, saved, holder, is_text))
            el.tail = tail
        yield
    finally:
        for parent, index, el, saved, holder, is_text in reversed(undo):
            tail = el.tail
            el.tail = None
            parent.insert(index, el)
            el.tail = tail
            if is_text:
                holder.text = saved
            else:
                holder.tail = saved


def digest_tree(
    tree: etree._ElementTree,
    method: C14N,
    digest: DigestAlgorithm,
    exclude: Sequence[etree._Element] = (),
    inclusive_prefixes: Sequence[str] | None = None,
    sink: Any = None,
) -> bytes:
    """Digest of the canonical form of the whole document, minus ``exclude`` subtrees.

    This is the ``URI=""`` reference with the enveloped transform (and, for parallel signatures,
    the XPath Filter 2.0 ``subtract`` of all signatures): comments are dropped unless ``method``
    keeps them. When ``sink`` is given, the canonical bytes are also written to it (the verifier
    uses that to re-read exactly what was digested).
    """
    writer = HashWriter(digest)
    out: Any = writer if sink is None else _Tee(writer, sink)
    kwargs: dict[str, Any] = {"exclusive": method.exclusive, "with_comments": method.with_comments}
    if method.exclusive and inclusive_prefixes:
        kwargs["inclusive_ns_prefixes"] = list(inclusive_prefixes)
    with detached(exclude):
        tree.write_c14n(out, **kwargs)
    return writer.digest()


class _Tee:
    def __init__(self, a: Any, b: Any) -> None:
        self._a = a
        self._b = b

    def write(self, data: bytes) -> int:
        self._a.write(data)
        self._b.write(data)
        return len(data)
