"""The hardened XML reader. Everything in edocstd that reads XML goes through :func:`parse`.

What it refuses (each as :class:`~edocstd.XMLInputError`, reported as EDOC-X000):

* a document type declaration of any kind. It is detected by scanning the prolog *before*
  libxml2 sees a byte, so no entity is ever declared, which rules out XXE and billion-laughs
  expansion whatever libxml2's own limits are;
* processing instructions other than the XML declaration;
* character encodings other than UTF-8 (and its subset US-ASCII) and UTF-16, declared or
  detected, because the prolog scan above must read the bytes as libxml2 will;
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
import functools
import itertools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from lxml import etree

from edocstd._ns import EC
from edocstd._source import Source, SourceTooLarge, iter_chunks
from edocstd.errors import XMLInputError

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "binary_limit_error",
    "decoded_base64_size",
    "parse",
    "parse_bytes",
    "read",
]


@dataclass(frozen=True, slots=True)
class Limits:
    """Size and shape limits of the reader (EDOC-1.0 §1.3)."""

    max_bytes: int = 64 * 1024 * 1024
    max_depth: int = 64
    max_elements: int = 100_000
    max_binary_decoded: int = 32 * 1024 * 1024


DEFAULT_LIMITS = Limits()


def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_pis=False,
        remove_comments=False,
        remove_blank_text=False,
        strip_cdata=True,
        collect_ids=False,
    )


def _new_pull_parser() -> etree.XMLPullParser:
    # The same options as _new_parser, for the streaming path.
    return etree.XMLPullParser(
        events=("start", "end", "pi"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_pis=False,
        remove_comments=False,
        remove_blank_text=False,
        strip_cdata=True,
        collect_ids=False,
    )


# The character encodings read, by their declared names (compared case-insensitively). XML
# processors must read UTF-8 and UTF-16; US-ASCII is UTF-8 restricted to seven bits, read byte
# for byte alike. Every other encoding is refused: the prolog is checked for a DOCTYPE and
# processing instructions on these bytes (or, for UTF-16, on their decoding), which is only
# sound when libxml2 decodes them the same way. In UTF-7, say, "+AC0ALQA+-" is "-->", so a
# DOCTYPE can hide in what looks like a comment.
_ENCODINGS_UTF8 = frozenset({"UTF-8", "US-ASCII", "ASCII"})
_ENCODINGS_UTF16 = frozenset({"UTF-16"})

# XML 1.0's XMLDecl production; an encoding name is group 1 or 2. The version number is left to
# _checked, which gives it a clearer message.
_XML_DECL = re.compile(
    rb"<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:\"1\.[0-9]+\"|'1\.[0-9]+')"
    rb"(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*"
    rb"(?:\"([A-Za-z][A-Za-z0-9._-]*)\"|'([A-Za-z][A-Za-z0-9._-]*)'))?"
    rb"(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:\"(?:yes|no)\"|'(?:yes|no)'))?"
    rb"[ \t\r\n]*\?>"
)
_ENCODINGS_READ = _ENCODINGS_UTF8 | _ENCODINGS_UTF16
_NOT_WS = re.compile(rb"[^ \t\r\n]")
# The first four bytes of "<?xm" in EBCDIC, which libxml2 recognises on its own.
_EBCDIC_START = b"\x4c\x6f\xa7\x94"


class _PrologScanner:
    """Finds the start of the root element, refusing a DOCTYPE on the way.

    Only the prolog is scanned (XML declaration, comments, PIs and whitespace); it ends at the
    first ``<`` that opens an element. Works across chunk boundaries by keeping the undecided
    tail of the prolog, and never searches the same bytes twice for the end of a comment or PI,
    so a long prolog costs time in proportion to its length.
    """

    def __init__(self) -> None:
        self.done = False
        #: Bytes searched so far: the scanner's work, which stays linear in the input's length.
        self.examined = 0
        self._head: bytes | None = b""
        self._buf = bytearray()
        self._decoder: codecs.IncrementalDecoder | None = None
        # Offset from the start of the buffered construct where the search for its end resumes.
        self._resume = 0

    def feed(self, chunk: bytes) -> None:
        if self._head is not None:
            # The byte order mark, or the first characters, tell the encoding: four bytes are
            # needed to tell UTF-32 from UTF-16 (ff fe 00 00 starts both).
            head = self._head + chunk
            if len(head) < 4:
                self._head = head
                return
            self._head = None
            chunk = self._start(head)
        if self._decoder is not None:
            chunk = self._decoder.decode(chunk).encode("utf-8", errors="replace")
        self._buf += chunk
        self._scan()

    def _start(self, head: bytes) -> bytes:
        """``head`` without its byte order mark, once its encoding is known to be read."""
        if head[:4] in (codecs.BOM_UTF32_BE, codecs.BOM_UTF32_LE):
            raise _encoding_refused("UTF-32")
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
            return head
        if head[:3] == codecs.BOM_UTF8:
            return head[3:]
        if b"\x00" in head[:2]:  # UTF-16 or UTF-32 without a byte order mark
            raise _encoding_refused(None)
        if head[:4] == _EBCDIC_START:
            raise _encoding_refused("EBCDIC")
        return head

    def _scan(self) -> None:
        buf = self._buf
        i = 0
        n = len(buf)
        while i < n:
            m = _NOT_WS.search(buf, i)
            if m is None:
                self.examined += n - i
                i = n
                break
            self.examined += m.start() - i
            i = m.start()
            if buf[i] != 0x3C:  # "<"
                # Text before the root: not well-formed; let libxml2 say so precisely.
                self.done = True
                return
            if n - i < 4:
                break
            if buf.startswith(b"<?", i):
                end = self._find(b"?>", i, 2, keep_body=True)
                if end < 0:
                    break
                # "<? ?>" has no target at all: split() then gives nothing to take.
                words = buf[i + 2 : end].split(None, 1)
                target = words[0] if words else b""
                if target != b"xml":
                    raise XMLInputError(
                        "processing instructions are not allowed",
                        "ไม่อนุญาตให้มีคำสั่งประมวลผล (processing instruction)",
                    )
                self._check_declaration(bytes(buf[i : end + 2]))
                i = end + 2
                continue
            if buf.startswith(b"<!--", i):
                end = self._find(b"-->", i, 4, keep_body=False)
                if end < 0:
                    break
                i = end + 3
                continue
            if buf.startswith(b"<!", i):
                raise _dtd_refused()
            self.done = True
            return
        # Keep only the undecided part of the prolog.
        del buf[:i]

    def _find(self, needle: bytes, start: int, skip: int, keep_body: bool) -> int:
        """Where ``needle`` ends the construct at ``start``, or -1 while it is still open.

        ``skip`` is the length of the construct's opening. Unless ``keep_body``, the part of
        the body already searched is dropped, so that a long comment is not held in memory.
        """
        buf = self._buf
        since = start + max(skip, self._resume)
        end = buf.find(needle, since)
        if end < 0:
            self.examined += len(buf) - since
            # Next time, search only what arrives, plus the bytes that may begin the needle.
            tail = len(buf) - (len(needle) - 1)
            if not keep_body and tail > start + skip:
                del buf[start + skip : tail]
            self._resume = max(skip, len(buf) - start - len(needle) + 1)
            return -1
        self._resume = 0
        self.examined += end + len(needle) - since
        return end

    def _check_declaration(self, decl: bytes) -> None:
        match = _XML_DECL.fullmatch(decl)
        if match is None:
            # libxml2 reads on past some faults here (an unknown version only warns), so the
            # encoding it would switch to cannot be told: refuse rather than guess.
            raise XMLInputError(
                "the XML declaration is not well-formed",
                "การประกาศ XML (XML declaration) มีรูปแบบไม่ถูกต้อง",
            )
        declared = match.group(1) or match.group(2)
        if declared is None:
            return
        name = declared.decode("ascii").upper()
        allowed = _ENCODINGS_UTF8 if self._decoder is None else _ENCODINGS_UTF16
        if name not in allowed:
            raise _encoding_refused(declared.decode("ascii"))


def _encoding_refused(name: str | None) -> XMLInputError:
    named = f" ({name})" if name else ""
    return XMLInputError(
        f"unsupported character encoding{named}: use UTF-8 or UTF-16",
        f"ไม่รองรับการเข้ารหัสอักขระนี้{named} (ใช้ UTF-8 หรือ UTF-16)",
    )


def parse(source: Source, limits: Limits = DEFAULT_LIMITS) -> etree._ElementTree:
    """Read ``source`` into an lxml tree, enforcing every rule of the hardened reader.

    Raises :class:`~edocstd.XMLInputError` when the input is refused and
    :class:`~edocstd.InputError` when it cannot be opened.
    """
    return read(source, limits)[0]


def read(
    source: Source, limits: Limits = DEFAULT_LIMITS
) -> tuple[etree._ElementTree, bytes | None]:
    """Like :func:`parse`, also returning the input bytes when they were read in one piece.

    Small inputs are read whole anyway; handing their bytes on lets validation check text
    properties over the whole input at once. Streamed (large) inputs give ``None``.
    """
    if type(source) is bytes and 0 < len(source) <= min(_ONE_SHOT_MAX, limits.max_bytes):
        # The usual call: a small document already in memory, which needs no chunking.
        etree.clear_error_log()
        return _checked(_parse_small(source, limits)), source
    raw: bytes | None = None
    chunks = iter_chunks(source, limits.max_bytes)
    # libxml2's errors land in lxml's per-thread log; start it empty so that the first error
    # logged is this input's first problem (see _syntax).
    etree.clear_error_log()
    try:
        first = next(chunks, b"")
        if len(first) <= _ONE_SHOT_MAX:
            second = next(chunks, None)
            if second is None:
                if not first:
                    raise XMLInputError("the input is empty", "ข้อมูลนำเข้าว่างเปล่า")
                tree = _parse_small(first, limits)
                raw = first
            else:
                tree = _parse_stream(itertools.chain((first, second), chunks), limits)
        else:
            tree = _parse_stream(itertools.chain((first,), chunks), limits)
    except SourceTooLarge:
        raise XMLInputError(
            f"the input is larger than {limits.max_bytes} bytes",
            f"ข้อมูลนำเข้ามีขนาดเกิน {limits.max_bytes} ไบต์",
        ) from None
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return _checked(tree), raw


def _checked(tree: etree._ElementTree) -> etree._ElementTree:
    """``tree``, once its document information passes: no DTD, UTF-8 or UTF-16, XML 1.0."""
    info = tree.docinfo
    # The prolog scan refuses both before libxml2 reads a byte; these are the backstop, should
    # a form get past it.
    if getattr(info, "doctype", "") or info.internalDTD is not None:
        raise _dtd_refused()
    encoding = info.encoding
    if encoding is not None and encoding.upper() not in _ENCODINGS_READ:
        raise _encoding_refused(encoding)
    if info.xml_version not in (None, "1.0"):
        raise XMLInputError(
            f"only XML 1.0 is accepted, not XML {info.xml_version}",
            f"รับเฉพาะ XML 1.0 เท่านั้น ไม่รับ XML {info.xml_version}",
        )
    return tree


# Inputs this small are parsed in one call and their shape checked afterwards, in C: they cannot
# hold enough elements to matter for memory, and libxml2's own depth guard stops pathological
# nesting long before it costs anything. Larger inputs stream, checked element by element.
_ONE_SHOT_MAX = 256 * 1024


@functools.lru_cache(maxsize=8)
def _deeper_than(depth: int) -> etree.XPath:
    # True when an element sits at depth + 1; the root is at depth 1.
    return etree.XPath("boolean(" + "/*" * (depth + 1) + ")")


_COUNT_ELEMENTS = etree.XPath("count(//*)")
_BINARY_OBJECTS = etree.XPath("//ec:BinaryObject", namespaces={"ec": EC})


_local = threading.local()


def _one_shot_parser() -> etree.XMLParser:
    # A parser can be reused, though not concurrently: one per thread saves building it per call.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _new_parser()
    return parser


# The usual prolog, decided without the scanner: an optional UTF-8 byte order mark, an optional
# XML 1.0 declaration naming no encoding or UTF-8 ("<?xml-stylesheet" does not match), comments
# and white space, then the start of the root element's name. Anything else (a DOCTYPE, another
# processing instruction, another encoding, UTF-16) is left to _PrologScanner. In the comment
# body every "-" starts a new repetition and nothing else can take it, so a failing match never
# backtracks exponentially (and the unrolled form is several times faster than one-character
# steps).
_PLAIN_PROLOG = re.compile(
    rb"(?:\xef\xbb\xbf)?"
    rb"(?:<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:\"1\.0\"|'1\.0')"
    rb"(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:\"(?i:utf-8)\"|'(?i:utf-8)'))?"
    rb"(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:\"(?:yes|no)\"|'(?:yes|no)'))?"
    rb"[ \t\r\n]*\?>)?[ \t\r\n]*"
    rb"(?:<!--[^-]*(?:-[^-]+)*-->[ \t\r\n]*)*<[A-Za-z_:\x80-\xff]"
)


def _parse_small(data: bytes, limits: Limits) -> etree._ElementTree:
    if _PLAIN_PROLOG.match(data) is None:
        _PrologScanner().feed(data)
    try:
        root = etree.fromstring(data, _one_shot_parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax(exc, limits) from None
    if root is None:  # pragma: no cover - libxml2 reports a syntax error instead
        raise XMLInputError("the input holds no XML element", "ข้อมูลนำเข้าไม่มีองค์ประกอบ XML")
    tree = root.getroottree()
    if _deeper_than(limits.max_depth)(tree):
        raise _too_deep(limits, _first_too_deep(root, limits.max_depth))
    # Matching a node type is done in C and makes no Python object for anything else. Before
    # the root the prolog scan has refused them already; looking there too costs nothing.
    pi = next(root.iter(etree.ProcessingInstruction), None)
    if pi is None:
        pi = next(root.itersiblings(etree.ProcessingInstruction), None)
    if pi is None:
        pi = next(root.itersiblings(etree.ProcessingInstruction, preceding=True), None)
    if pi is not None:
        raise _pi_refused(_line(pi))
    # The shortest element, <a/>, takes four bytes: fewer bytes cannot hold too many elements.
    if (
        len(data) > 4 * limits.max_elements
        and cast(float, _COUNT_ELEMENTS(tree)) > limits.max_elements
    ):
        raise _too_many(limits, None)
    if len(data) // 4 * 3 > limits.max_binary_decoded:
        for node in cast(list[etree._Element], _BINARY_OBJECTS(tree)):
            _check_binary(node, limits)
    return tree


def _first_too_deep(root: etree._Element, depth: int) -> int | None:
    found = root.xpath("/*" * (depth + 1))
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        line = found[0].sourceline
        return line if isinstance(line, int) else None
    return None


def _parse_stream(chunks: Iterator[bytes], limits: Limits) -> etree._ElementTree:
    parser = _new_pull_parser()
    scanner = _PrologScanner()
    depth = 0
    elements = 0
    seen_any = False
    binary_tag = _BINARY_TAG
    for chunk in chunks:
        if not len(chunk):
            continue
        seen_any = True
        if not scanner.done:
            scanner.feed(chunk)
        try:
            parser.feed(chunk)
        except etree.XMLSyntaxError as exc:
            raise _syntax(exc, limits) from None
        for event, item in parser.read_events():
            node = cast(etree._Element, item)
            if event == "start":
                depth += 1
                elements += 1
                if depth > limits.max_depth:
                    raise _too_deep(limits, _line(node))
                if elements > limits.max_elements:
                    raise _too_many(limits, _line(node))
            elif event == "end":
                depth -= 1
                if node.tag == binary_tag:
                    _check_binary(node, limits)
            else:
                raise _pi_refused(_line(node))
    if not seen_any:
        raise XMLInputError("the input is empty", "ข้อมูลนำเข้าว่างเปล่า")
    try:
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise _syntax(exc, limits) from None
    for event, item in parser.read_events():
        if event == "pi":
            raise _pi_refused(_line(cast(etree._Element, item)))
    return root.getroottree()


def _line(node: etree._Element) -> int | None:
    line = node.sourceline
    return line if isinstance(line, int) else None


_BINARY_TAG = f"{{{EC}}}BinaryObject"
_XML_WS = " \t\r\n"


def decoded_base64_size(text: str) -> int:
    """How many bytes a base64 text decodes to, computed from its length without decoding.

    Whitespace is ignored, as in ``xs:base64Binary``. For text that is not valid base64 the
    result is an estimate, which is all a size limit needs.
    """
    n = len(text)
    for ch in _XML_WS:
        n -= text.count(ch)
    # Find the last two non-blank characters by index: rstrip() would copy a text that can be
    # tens of megabytes long just to look at its end.
    end = len(text)
    while end and text[end - 1] in _XML_WS:
        end -= 1
    tail = text[max(0, end - 2) : end]
    return max(0, n // 4 * 3 - tail.count("="))


def _check_binary(node: etree._Element, limits: Limits) -> None:
    error = binary_limit_error(node, limits)
    if error is not None:
        raise error


def binary_limit_error(node: etree._Element, limits: Limits) -> XMLInputError | None:
    """The refusal for an ``ec:BinaryObject`` larger than the limit once decoded, if it is."""
    text = node.text
    # Four base64 characters carry at most three bytes: short text needs no counting.
    if text is None or len(text) // 4 * 3 <= limits.max_binary_decoded:
        return None
    size = decoded_base64_size(text)
    if size <= limits.max_binary_decoded:
        return None
    line = node.sourceline
    return XMLInputError(
        f"an attached file (BinaryObject) is {size} bytes once decoded, more than the "
        f"{limits.max_binary_decoded} bytes allowed",
        f"ไฟล์แนบ (BinaryObject) มีขนาด {size} ไบต์เมื่อถอดรหัส เกินกว่าที่อนุญาต "
        f"{limits.max_binary_decoded} ไบต์",
        line if isinstance(line, int) else None,
    )


def _too_deep(limits: Limits, line: int | None) -> XMLInputError:
    return XMLInputError(
        f"elements are nested deeper than {limits.max_depth} levels",
        f"องค์ประกอบซ้อนกันลึกเกิน {limits.max_depth} ชั้น",
        line,
    )


def _too_many(limits: Limits, line: int | None) -> XMLInputError:
    return XMLInputError(
        f"the document has more than {limits.max_elements} elements",
        f"เอกสารมีองค์ประกอบมากกว่า {limits.max_elements} รายการ",
        line,
    )


def _pi_refused(line: int | None) -> XMLInputError:
    return XMLInputError(
        "processing instructions are not allowed",
        "ไม่อนุญาตให้มีคำสั่งประมวลผล (processing instruction)",
        line,
    )


def _dtd_refused() -> XMLInputError:
    return XMLInputError(
        "a document type declaration (DTD) is not allowed",
        "ไม่อนุญาตให้มีการประกาศชนิดเอกสาร (DTD)",
    )


def parse_bytes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> etree._ElementTree:
    """Shorthand for :func:`parse` on bytes."""
    return parse(data, limits)


def _syntax(exc: etree.XMLSyntaxError, limits: Limits) -> XMLInputError:
    """The refusal for a libxml2 syntax error, with libxml2's own first reason and line.

    The exception's message is not always the reason: after a recoverable error, such as an
    undeclared entity, the feed parser's final message is a generic "no element found". The
    first error in the (per-thread, cleared by :func:`parse`) log is the real cause.
    """
    msg = ""
    line: int | None = None
    log = getattr(exc, "error_log", None)
    if log is not None:
        for entry in log:
            if entry.level >= etree.ErrorLevels.ERROR and entry.message:
                msg = entry.message.strip()
                line = entry.line if entry.line > 0 else None
                break
    if not msg:
        msg = str(exc.msg if getattr(exc, "msg", None) else exc).strip()
        lineno = getattr(exc, "lineno", None)
        line = lineno if isinstance(lineno, int) and lineno > 0 else None
    if "Excessive depth" in msg:
        return _too_deep(limits, line)
    return XMLInputError(
        f"the input is not well-formed XML: {msg}",
        f"ข้อมูลนำเข้าไม่ใช่ XML ที่ถูกรูปแบบ: {msg}",
        line,
    )
