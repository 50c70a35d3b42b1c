"""Hostile and oversized input (EDOC-1.0 §1.3): always a clean EDOC-X000 report, never a crash,
a hang, or a network access."""

from __future__ import annotations

import http.server
import io
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from edocstd.errors import InputError, XMLInputError
from edocstd.schema._parser import Limits, parse
from edocstd.schema._validate import validate

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "schema"
FULL = (VECTORS / "valid-full.edoc.xml").read_bytes()
MIB = 1024 * 1024


def refused(report_source: object, limits: Limits | None = None) -> str:
    """Validate and assert the input was refused: exactly one X000 problem. Returns its reason."""
    report = validate(report_source) if limits is None else validate(report_source, limits)  # type: ignore[arg-type]
    assert report.codes == ("EDOC-X000",), report.summary()
    problem = report.problems[0]
    assert problem.message_th and problem.message_en
    return problem.message_en


def not_refused(source: object, limits: Limits | None = None) -> None:
    report = validate(source) if limits is None else validate(source, limits)  # type: ignore[arg-type]
    assert "EDOC-X000" not in report.codes, report.summary()


# ----------------------------------------------------------------------------- DTDs and entities


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that records every request it gets."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b'<!ENTITY leak "LEAKED">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_xxe_to_a_local_file_is_refused_and_reads_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doc = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]><r>&x;</r>'
    reason = refused(doc.encode())
    assert "DTD" in reason
    assert "TOP-SECRET" not in reason


def test_xxe_and_external_references_to_loopback_make_no_request(
    loopback: tuple[str, list[str]],
) -> None:
    url, requests = loopback
    hostile = [
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "{url}/entity">]><r>&x;</r>',
        f'<!DOCTYPE r SYSTEM "{url}/dtd"><r/>',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/param"> %p;]><r>&leak;</r>',
        f'<?xml version="1.0"?>\n<!-- hello -->\n<!DOCTYPE r PUBLIC "-//X//Y" "{url}/pub"><r/>',
    ]
    for doc in hostile:
        assert "DTD" in refused(doc.encode())
    # Hints and includes inside an otherwise valid document are never followed either.
    hinted = FULL.replace(
        b'<ec:ElectronicCertificate xmlns:ec="urn:edocstd:data:standard:ElectronicCertificate:1">',
        b'<ec:ElectronicCertificate xmlns:ec="urn:edocstd:data:standard:ElectronicCertificate:1"'
        b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        b' xsi:schemaLocation="urn:edocstd:data:standard:ElectronicCertificate:1 '
        + f"{url}/schema.xsd".encode()
        + b'">',
    )
    assert validate(hinted).valid
    included = FULL.replace(
        b"<ec:Section>",
        b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="'
        + f"{url}/include".encode()
        + b'"/><ec:Section>',
    )
    assert validate(included).codes == ("EDOC-S000",)
    assert requests == []


def test_billion_laughs_is_refused_before_any_expansion() -> None:
    lol = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    doc = f"<?xml version='1.0'?><!DOCTYPE lolz [{''.join(lol)}]><lolz>&lol9;</lolz>"
    assert "DTD" in refused(doc.encode())


def test_a_dtd_after_more_than_a_read_chunk_of_prolog_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "late-dtd.xml"
    path.write_bytes(
        b"<?xml version='1.0'?><!--"
        + b"x" * (3 * MIB)
        + b'--><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'
    )
    assert "DTD" in refused(path)


def test_an_undeclared_entity_is_refused_with_its_name() -> None:
    reason = refused(b"<r>&x;</r>")
    assert "Entity 'x' not defined" in reason
    assert "no element found" not in reason


def test_predefined_entities_and_character_references_are_ordinary_xml() -> None:
    tree = parse(b"<r a='&quot;&apos;'>&amp;&lt;&gt;&#x0E01;&#3585;</r>")
    assert tree.getroot().text == "&<>กก"


# ----------------------------------------------------------------------------- shape limits


def nested(depth: int, padding: int = 0) -> bytes:
    return b"<!--" + b" " * padding + b"-->" + b"<a>" * depth + b"</a>" * depth


@pytest.mark.parametrize("padding", [0, 300 * 1024], ids=["one-shot", "streamed"])
def test_depth_64_is_accepted_and_65_refused(padding: int) -> None:
    report = validate(nested(64, padding))
    assert report.codes == ("EDOC-S000",)  # read fine; just not an EDOC document
    assert not report.is_edoc
    assert "deeper than 64" in refused(nested(65, padding))


def test_very_deep_nesting_is_refused_quickly() -> None:
    assert "deeper than 64" in refused(nested(200_000))
    assert "deeper than 64" in refused(b"<a>" * 1_000_000)
    assert "deeper than 64" in refused(b"<a>" * 50_000)  # read in one piece
    assert "deeper than 64" in refused(nested(3000))


def elements(n: int) -> bytes:
    return b"<a>" + b"<b/>" * (n - 1) + b"</a>"


def test_100000_elements_are_accepted_and_100001_refused() -> None:
    not_refused(elements(100_000))
    assert "more than 100000 elements" in refused(elements(100_001))


def test_element_limit_also_holds_for_small_inputs() -> None:
    limits = Limits(max_elements=10)
    not_refused(elements(10), limits)
    assert "more than 10 elements" in refused(elements(11), limits)


def test_signature_and_foreign_elements_count_towards_the_element_limit() -> None:
    limits = Limits(max_elements=2)
    doc = b'<a xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Signature><x/></ds:Signature></a>'
    assert "more than 2" in refused(doc, limits)
    not_refused(doc, Limits(max_elements=3))


def test_input_over_64_mib_is_refused_in_memory_and_from_a_file(tmp_path: Path) -> None:
    big = b"<a>" + b" " * (64 * MIB) + b"</a>"
    assert "larger than 67108864 bytes" in refused(big)
    path = tmp_path / "big.xml"
    with open(path, "wb") as fh:
        fh.write(big)
    assert "larger than" in refused(path)
    assert "larger than" in refused(io.BytesIO(big))


def test_size_limit_boundary() -> None:
    doc = b"<a>" + b" " * 93 + b"</a>"  # 100 bytes
    not_refused(doc, Limits(max_bytes=100))
    assert "larger than 99 bytes" in refused(doc, Limits(max_bytes=99))


def with_binary(base64_text: bytes) -> bytes:
    head, _, rest = FULL.partition(b"<ec:BinaryObject>")
    _, _, tail = rest.partition(b"</ec:BinaryObject>")
    return head + b"<ec:BinaryObject>" + base64_text + b"</ec:BinaryObject>" + tail


def test_binary_object_over_32_mib_decoded_is_refused() -> None:
    # 32 MiB + 3 bytes once decoded; "AAAA" is three zero bytes.
    reason = refused(with_binary(b"AAAA" * (32 * MIB // 3 + 1) + b"AAAA"))
    assert "BinaryObject" in reason and "33554432" in reason


def test_binary_object_limit_boundary_counts_decoded_bytes_not_characters() -> None:
    limits = Limits(max_binary_decoded=3000)
    exactly = b"\n".join([b"AAAA" * 19] * 52) + b"AAAA" * 12  # 1000 quanta, wrapped
    report = validate(with_binary(exactly), limits)
    assert "EDOC-X000" not in report.codes
    assert "BinaryObject" in refused(with_binary(exactly + b"AA=="), limits)


# ----------------------------------------------------------------------------- not XML at all


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\t ", b"\xef\xbb\xbf"],
    ids=["empty", "whitespace", "bom-only"],
)
def test_empty_input_is_refused(data: bytes) -> None:
    refused(data)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.edoc.xml"
    path.write_bytes(b"")
    assert "empty" in refused(path)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.99])
def test_truncated_document_is_refused(cut: int) -> None:
    refused(FULL[: int(len(FULL) * cut)])


@pytest.mark.parametrize("seed", range(8))
def test_binary_garbage_is_refused(seed: int) -> None:
    data = random.Random(seed).randbytes(4096)
    refused(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"PK\x03\x04\x14\x00",
        b"<\x00r\x00/\x00>\x00",  # UTF-16 without a byte order mark
        b"text before <r/>",
        b"<r/><r/>",
        b"<r><![CDATA[x]]></r",
    ],
)
def test_other_non_xml_is_refused(data: bytes) -> None:
    refused(data)


@pytest.mark.parametrize(
    "doc",
    [
        b'<?xml-stylesheet type="text/xsl" href="x.xsl"?><r/>',
        b"<r><?php echo 1; ?></r>",
        b"<r/><?after the root?>",
        b"<!--" + b" " * (300 * 1024) + b"--><r><?pi streamed?></r>",
        b"<r>" + b" " * (300 * 1024) + b"</r><?pi streamed?>",
    ],
    ids=["prolog", "inside", "after-root", "inside-streamed", "after-root-streamed"],
)
def test_processing_instructions_are_refused(doc: bytes) -> None:
    assert "processing instruction" in refused(doc)


def test_the_xml_declaration_is_not_a_processing_instruction() -> None:
    assert validate(FULL).valid


def test_xml_1_1_is_refused() -> None:
    assert "XML 1.0" in refused(b'<?xml version="1.1"?><r/>')


def test_utf16_with_a_byte_order_mark_is_read() -> None:
    text = FULL.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert validate(text.encode("utf-16")).valid


# ----------------------------------------------------------------------------- sources


def test_a_missing_file_raises_input_error_not_a_report(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        validate(tmp_path / "missing.xml")


def test_an_unsupported_source_type_raises_input_error() -> None:
    with pytest.raises(InputError):
        validate(12345)  # type: ignore[arg-type]


def test_the_parser_raises_the_typed_error() -> None:
    with pytest.raises(XMLInputError) as info:
        parse(b"<r>&x;</r>")
    assert info.value.line == 1
    assert info.value.reason_th


def test_refusals_never_leak_earlier_errors_into_later_reasons() -> None:
    refused(b"<r>&bad;</r>")
    reason = refused(b"<a><b></a>")
    assert "bad" not in reason and "mismatch" in reason


def test_hostile_file_from_disk_is_read_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "deep.xml"
    path.write_bytes(os.urandom(16) + nested(100))
    refused(path)


# ----------------------------------------------------------------------------- prolog shortcut


@pytest.mark.parametrize(
    "doc",
    [
        b"<!-- a comment --><!DOCTYPE r><r/>",
        b'<?xml version="1.0"?>\n<!-- one --> <!-- two -->\n<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>',
        b"\xef\xbb\xbf<!-- bom -->\n<!DOCTYPE r SYSTEM 'file:///etc/passwd'><r/>",
    ],
    ids=["after-comment", "after-declaration-and-comments", "after-bom"],
)
def test_a_dtd_after_an_ordinary_prolog_is_refused(doc: bytes) -> None:
    assert "DTD" in refused(doc)


@pytest.mark.parametrize(
    "doc",
    [
        b"<!-- c --><?pi after a comment?><r/>",
        b'<?xml version="1.0"?><?xml-stylesheet href="x"?><r/>',
        b"<?xml-model href='x'?><r/>",
        b"<?xml version='1.0'?><!-- a -- b --><?pi?><r/>",
    ],
    ids=["after-comment", "after-declaration", "xml-prefixed-target", "after-bad-comment"],
)
def test_processing_instructions_in_the_prolog_are_refused(doc: bytes) -> None:
    reason = refused(doc)
    assert "processing instruction" in reason or "not well-formed" in reason


def test_utf16_without_a_byte_order_mark_is_refused_not_misread() -> None:
    assert "encoding" in refused("<r/>".encode("utf-16-le"))


def test_a_small_input_over_a_small_size_limit_is_refused() -> None:
    limits = Limits(max_bytes=1000)
    assert "larger than 1000 bytes" in refused(FULL, limits)
    not_refused(FULL[: FULL.index(b"<ec:ElectronicCertificate")] + b"<r/>", limits)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, str])
def test_every_in_memory_source_type_gives_the_same_report(kind: type) -> None:
    source = FULL.decode("utf-8") if kind is str else kind(FULL)
    assert validate(source).valid
    broken = FULL.replace(b"<ec:TypeCode>", b"<?pi?><ec:TypeCode>")
    source = broken.decode("utf-8") if kind is str else kind(broken)
    assert "processing instruction" in refused(source)
