"""The hardened XML reader. Everything in edocstd that reads XML goes through :func:`parse`.

What it refuses (each as :class:`~edocstd.XMLInputError`, reported as EDOC-X000):

* a document type declaration of any kind. It is detected by scanning the prolog *before*
  libxml2 sees a byte, so no entity is ever declared, which rules out XXE and billion-laughs
  expansion whatever libxml2's own limits are;
* processing instructions other than the XML declaration;
* XML versions other than 1.0;
* inputs past the EDOC-1.0 §1.3 limits: size, depth, element count;
* anything that is not well-formed, including empty, truncated and binary input.

It never fetches anything: ``no_network`` is set and no DTD or external entity is loaded.

``huge_tree`` is on because a legitimate ``BinaryObject`` can be a single text node of tens of
megabytes, past libxml2's default 10 MB node limit. That switch also lifts libxml2's own depth
and amplification guards, which is why depth and element counts are enforced here, while the
input streams in, and why the DTD check above is not optional.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from lxml import etree

from edocstd._source import Source, SourceTooLarge, iter_chunks
from edocstd.errors import XMLInputError

__all__ = ["DEFAULT_LIMITS", "Limits", "parse", "parse_bytes"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Size and shape limits of the reader (EDOC-1.0 §1.3)."""

    max_bytes: int = 64 * 1024 * 1024
    max_depth: int = 64
    max_elements: int = 100_000
    max_binary_decoded: int = 32 * 1024 * 1024


DEFAULT_LIMITS = Limits()

_PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": True,
    "remove_pis": False,
    "remove_comments": False,
    "remove_blank_text": False,
    "strip_cdata": True,
    "collect_ids": False,
}

_WS = b" \t\r\n"


class _PrologScanner:
    """Finds the start of the root element, refusing a DOCTYPE on the way.

    Only the prolog is scanned (XML declaration, comments, PIs and whitespace); it ends at the
    first ``<`` that opens an element. Works across chunk boundaries by keeping the undecided
    tail of the prolog.
    """

    def __init__(self) -> None:
        self.done = False
        self._buf = b""
        self._decoder: codecs.IncrementalDecoder | None = None
        self._first = True

    def feed(self, chunk: bytes) -> None:
        if self._first:
            self._first = False
            if chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
                self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
            elif chunk[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00") or chunk[:1] == b"\x00":
                raise XMLInputError(
                    "unsupported character encoding (use UTF-8 or UTF-16)",
                    "ไม่รองรับการเข้ารหัสอักขระนี้ (ใช้ UTF-8 หรือ UTF-16)",
                )
        if self._decoder is not None:
            text = self._decoder.decode(chunk)
            chunk = text.encode("utf-8", errors="replace")
        self._buf += chunk
        self._scan()

    def _scan(self) -> None:
        buf = self._buf
        i = 0
        if buf.startswith(codecs.BOM_UTF8):
            i = 3
        n = len(buf)
        while i < n:
            c = buf[i : i + 1]
            if c in (b" ", b"\t", b"\r", b"\n"):
                i += 1
                continue
            if c != b"<":
                # Text before the root: not well-formed; let libxml2 say so precisely.
                self.done = True
                return
            if n - i < 4:
                break
            if buf.startswith(b"<?", i):
                end = buf.find(b"?>", i + 2)
                if end < 0:
                    break
                target = buf[i + 2 : end].split(None, 1)[0] if end > i + 2 else b""
                if target != b"xml":
                    raise XMLInputError(
                        "processing instructions are not allowed",
                        "ไม่อนุญาตให้มีคำสั่งประมวลผล (processing instruction)",
                    )
                i = end + 2
                continue
            if buf.startswith(b"<!--", i):
                end = buf.find(b"-->", i + 4)
                if end < 0:
                    break
                i = end + 3
                continue
            if buf.startswith(b"<!", i):
                raise XMLInputError(
                    "a document type declaration (DTD) is not allowed",
                    "ไม่อนุญาตให้มีการประกาศชนิดเอกสาร (DTD)",
                )
            self.done = True
            return
        # Keep only the undecided part of the prolog.
        self._buf = buf[i:]


def parse(source: Source, limits: Limits = DEFAULT_LIMITS) -> etree._ElementTree:
    """Read ``source`` into an lxml tree, enforcing every rule of the hardened reader.

    Raises :class:`~edocstd.XMLInputError` when the input is refused and
    :class:`~edocstd.InputError` when it cannot be opened.
    """
    parser = etree.XMLPullParser(events=("start", "end", "pi"), **_PARSER_OPTIONS)
    scanner = _PrologScanner()
    depth = 0
    elements = 0
    seen_any = False
    try:
        for chunk in iter_chunks(source, limits.max_bytes):
            if not len(chunk):
                continue
            seen_any = True
            if not scanner.done:
                scanner.feed(chunk)
            try:
                parser.feed(chunk)
            except etree.XMLSyntaxError as exc:
                raise _syntax(exc) from None
            for event, node in parser.read_events():
                if event == "start":
                    depth += 1
                    elements += 1
                    if depth > limits.max_depth:
                        raise XMLInputError(
                            f"elements are nested deeper than {limits.max_depth} levels",
                            f"องค์ประกอบซ้อนกันลึกเกิน {limits.max_depth} ชั้น",
                            node.sourceline,
                        )
                    if elements > limits.max_elements:
                        raise XMLInputError(
                            f"the document has more than {limits.max_elements} elements",
                            f"เอกสารมีองค์ประกอบมากกว่า {limits.max_elements} รายการ",
                            node.sourceline,
                        )
                elif event == "end":
                    depth -= 1
                else:
                    raise XMLInputError(
                        "processing instructions are not allowed",
                        "ไม่อนุญาตให้มีคำสั่งประมวลผล (processing instruction)",
                        node.sourceline,
                    )
        if not seen_any:
            raise XMLInputError("the input is empty", "ข้อมูลนำเข้าว่างเปล่า")
        try:
            root = parser.close()
        except etree.XMLSyntaxError as exc:
            raise _syntax(exc) from None
        for event, node in parser.read_events():
            if event == "pi":
                raise XMLInputError(
                    "processing instructions are not allowed",
                    "ไม่อนุญาตให้มีคำสั่งประมวลผล (processing instruction)",
                    node.sourceline,
                )
    except SourceTooLarge:
        raise XMLInputError(
            f"the input is larger than {limits.max_bytes} bytes",
            f"ข้อมูลนำเข้ามีขนาดเกิน {limits.max_bytes} ไบต์",
        ) from None
    tree = root.getroottree()
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None:  # pragma: no cover - prolog scan catches it
        raise XMLInputError(
            "a document type declaration (DTD) is not allowed",
            "ไม่อนุญาตให้มีการประกาศชนิดเอกสาร (DTD)",
        )
    if info.xml_version not in (None, "1.0"):
        raise XMLInputError(
            f"only XML 1.0 is accepted, not XML {info.xml_version}",
            f"รับเฉพาะ XML 1.0 เท่านั้น ไม่รับ XML {info.xml_version}",
        )
    return tree


def parse_bytes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> etree._ElementTree:
    """Shorthand for :func:`parse` on bytes."""
    return parse(data, limits)


def _syntax(exc: etree.XMLSyntaxError) -> XMLInputError:
    msg = str(exc.msg if getattr(exc, "msg", None) else exc).strip()
    line = exc.lineno if isinstance(getattr(exc, "lineno", None), int) else None
    return XMLInputError(
        f"the input is not well-formed XML: {msg}",
        f"ข้อมูลนำเข้าไม่ใช่ XML ที่ถูกรูปแบบ: {msg}",
        line,
    )
