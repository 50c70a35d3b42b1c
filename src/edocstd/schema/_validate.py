"""Validation of EDOC 1.0 documents: hardened reading, the XSD, and the business rules.

:func:`validate` lists every problem in one report:

* ``EDOC-X000``: the hardened reader refused the input. That is the only problem reported,
  because a refused document is never partly validated;
* ``EDOC-S000``: each error the XSD validator (libxml2, through lxml) found, with its own
  detail, the element path and the line;
* ``EDOC-R001`` … ``EDOC-R016``: the business rules (:mod:`edocstd.schema._rules`), which run
  even on a schema-invalid document, as far as its structure allows.

The XSD is compiled once per process, from the files shipped in the package, and never fetches
anything: its only import, the W3C xmldsig schema, is shipped alongside it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from importlib import resources
from typing import cast

from lxml import etree

from edocstd._ns import EC, EC_ROOT, PREFIXES
from edocstd._report import Location, Problem, ValidationReport
from edocstd._source import Source
from edocstd.errors import XMLInputError
from edocstd.schema._parser import DEFAULT_LIMITS, Limits, binary_limit_error, read
from edocstd.schema._rules import check_rules, element_path

__all__ = ["edoc_schema", "refused", "schema_path", "validate", "validate_tree"]

_lock = threading.Lock()
_BINARY_OBJECT = f"{{{EC}}}BinaryObject"


def schema_path() -> str:
    """The file system path of the shipped ``edoc.xsd``."""
    return str(resources.files("edocstd.schema").joinpath("edoc.xsd"))


_compiled: list[etree.XMLSchema] = []
_compile_lock = threading.Lock()


def edoc_schema() -> etree.XMLSchema:
    """The compiled EDOC 1.0 schema (lxml), built once per process, safe from any thread.

    The schema documents are read with a parser that loads nothing from the network; the
    xmldsig import resolves to the local copy through its relative ``schemaLocation``.
    """
    if not _compiled:
        # libxml2 cannot compile schemas in several threads at once (it fails with internal
        # errors), and an unlocked cache lets every thread that arrives first compile: the
        # first caller compiles, the others wait for it.
        with _compile_lock:
            if not _compiled:
                parser = etree.XMLParser(
                    resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
                )
                _compiled.append(etree.XMLSchema(etree.parse(schema_path(), parser)))
    return _compiled[0]


def validate(source: Source, limits: Limits = DEFAULT_LIMITS) -> ValidationReport:
    """Validate an EDOC document and return a report listing every problem.

    ``source`` is ``bytes``, ``str`` XML text, an ``os.PathLike`` or a binary file object.
    Never raises on bad content. Raises :class:`~edocstd.InputError` only when ``source``
    cannot be opened or read (a missing file, a wrong type).
    """
    try:
        tree, raw = read(source, limits)
    except XMLInputError as exc:
        return refused(exc)
    return _validate(tree, limits, raw)


def refused(exc: XMLInputError) -> ValidationReport:
    """The report for input the hardened reader refused: a single ``EDOC-X000`` problem."""
    line = exc.line if exc.line else None
    return ValidationReport(
        (
            Problem(
                "EDOC-X000",
                Location("/", line),
                f"ระบบอ่านเอกสารปฏิเสธข้อมูลนำเข้า: {exc.reason_th}",
                f"the input was refused: {exc.reason}",
            ),
        )
    )


def validate_tree(
    tree: etree._ElementTree,
    limits: Limits = DEFAULT_LIMITS,
    *,
    raw: bytes | None = None,
) -> ValidationReport:
    """Validate an already parsed tree (read with the hardened reader) against XSD and rules.

    The tree is not modified. A tree whose root is not ``ec:ElectronicCertificate`` gets one
    ``EDOC-S000`` problem and ``is_edoc=False``. ``raw``, when given, must be the exact bytes
    the tree was read from: the whole-document text rule then scans them in one pass instead
    of walking every text node, which is most of the rules' cost on small documents.
    """
    return _validate(tree, limits, raw)


def _validate(tree: etree._ElementTree, limits: Limits, raw: bytes | None) -> ValidationReport:
    root = tree.getroot()
    if root.tag != EC_ROOT:
        qname = etree.QName(root)
        found = f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname
        return ValidationReport(
            (
                Problem(
                    "EDOC-S000",
                    Location(element_path(root), _line(root)),
                    f"ไม่ใช่เอกสาร EDOC: องค์ประกอบราก (root) ต้องเป็น ec:ElectronicCertificate "
                    f"แต่พบ {found}",
                    f"not an EDOC document: the root element must be ec:ElectronicCertificate, "
                    f"but it is {found}",
                ),
            ),
            is_edoc=False,
        )
    if raw is None:
        # A tree from elsewhere may not have been through the reader's size check.
        for node in root.iter(_BINARY_OBJECT):
            too_big = binary_limit_error(node, limits)
            if too_big is not None:
                return refused(too_big)
    problems = _schema_problems(tree)
    rules = check_rules(root, raw)
    if problems and rules:
        # A structural check the rules make (base64 of a BinaryObject) may repeat what the
        # schema validator already said about the same element: say it once.
        seen = {p.location.path for p in problems}
        rules = [p for p in rules if p.code != "EDOC-S000" or p.location.path not in seen]
    problems.extend(rules)
    problems.sort(key=_line_key)
    return ValidationReport(tuple(problems))


def _line_key(p: Problem) -> int:
    return p.location.line or 0


def _line(el: etree._Element) -> int | None:
    line = el.sourceline
    return line if isinstance(line, int) else None


def _schema_problems(tree: etree._ElementTree) -> list[Problem]:
    schema = edoc_schema()
    # An lxml XMLSchema object keeps its error log on itself, so concurrent use must not
    # interleave one validation's errors with another's.
    with _lock:
        if schema.validate(tree):
            return []
        entries: list[etree._LogEntry] = [*cast(Iterable[etree._LogEntry], schema.error_log)]
    return [_schema_problem(tree, e) for e in entries]


_CLARK = re.compile(r"\{([^}]*)\}")
_NS_PREFIX = {uri: prefix for prefix, uri in PREFIXES.items()}


def _short(message: str) -> str:
    """Replace Clark-notation names by their usual prefixes, which officers can read."""

    def repl(m: re.Match[str]) -> str:
        prefix = _NS_PREFIX.get(m.group(1))
        return f"{prefix}:" if prefix else m.group(0)

    return _CLARK.sub(repl, message)


# A few common libxml2 schema messages, explained in Thai; the validator's own English detail
# is always kept alongside.
_TH_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"This element is not expected"), "มีองค์ประกอบที่ไม่ควรอยู่ตรงนี้ หรือเรียงลำดับผิด"),
    (re.compile(r"Missing child element"), "ขาดองค์ประกอบที่จำเป็น"),
    (re.compile(r"is not an element of the set"), "ค่านี้ไม่อยู่ในรายการรหัสที่กำหนด"),
    (re.compile(r"is not a valid value of the atomic type"), "ค่าไม่ถูกต้องตามชนิดข้อมูล"),
    (re.compile(r"\[facet 'pattern'\]"), "ค่าไม่ตรงตามรูปแบบที่กำหนด"),
    (re.compile(r"\[facet '(minLength|maxLength|length)'\]"), "ความยาวของค่าไม่ถูกต้อง"),
    (re.compile(r"attribute '[^']*' is required"), "ขาดแอตทริบิวต์ที่จำเป็น"),
    (re.compile(r"attribute '[^']*' is not allowed"), "มีแอตทริบิวต์ที่ไม่อนุญาต"),
    (re.compile(r"value must be|fixed value"), "ค่าต้องตรงกับค่าคงที่ที่กำหนด"),
    (re.compile(r"No matching global declaration"), "องค์ประกอบรากไม่ถูกต้อง"),
)


def _schema_problem(tree: etree._ElementTree, entry: etree._LogEntry) -> Problem:
    detail = _short(entry.message or "schema validation error")
    path = _resolve_path(tree, entry.path)
    hint = next((th for pattern, th in _TH_HINTS if pattern.search(detail)), None)
    th = "โครงสร้างเอกสารไม่ตรงตามสคีมา EDOC 1.0"
    if hint:
        th += f": {hint}"
    line = entry.line if entry.line and entry.line > 0 else None
    return Problem("EDOC-S000", Location(path, line), f"{th} ({detail})", detail)


def _resolve_path(tree: etree._ElementTree, raw: str | None) -> str:
    """libxml2's node path, rewritten in the report's path style when the node can be found."""
    if not raw:
        return "/"
    try:
        nodes = tree.xpath(raw, namespaces=_namespaces(tree))
    except (etree.XPathError, TypeError, ValueError):
        nodes = None
    if isinstance(nodes, list) and len(nodes) == 1 and isinstance(nodes[0], etree._Element):
        return element_path(nodes[0])
    return raw


def _namespaces(tree: etree._ElementTree) -> dict[str, str]:
    """Every prefix declared in the document, for evaluating libxml2's node paths."""
    ns: dict[str, str] = {}
    for el in tree.getroot().iter(etree.Element):
        for prefix, uri in el.nsmap.items():
            if prefix and prefix not in ns:
                ns[prefix] = uri
    return ns
