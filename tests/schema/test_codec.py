"""load / dump / fingerprint: exact values, deterministic bytes, and fingerprint properties."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from edocstd._ns import DS, EC
from edocstd.errors import DocumentError, InputError, XMLInputError
from edocstd.model import Document, LangText, Organization
from edocstd.schema._codec import decode, dump, encode, fingerprint, load
from edocstd.schema._parser import Limits, parse
from edocstd.schema._validate import validate
from edocstd.testing.samples import sample_document, sample_xml
from edocstd.testing.strategies import documents

EXAMPLES = settings(max_examples=200, deadline=None)

_SIGNATURE = (
    f'<ds:Signature xmlns:ds="{DS}" Id="sig-{{n}}">'
    "<ds:SignedInfo>"
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<ds:Reference URI="">'
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
    "<ds:DigestValue>AAAA</ds:DigestValue>"
    "</ds:Reference>"
    "</ds:SignedInfo>"
    "<ds:SignatureValue>AAAA</ds:SignatureValue>"
    "</ds:Signature>"
)


def _with_signatures(data: bytes, count: int = 1) -> bytes:
    """Schema-valid (not cryptographically valid) signatures appended as the last children,
    the way an enveloped signer inserts them: no whitespace added around them."""
    sigs = "".join(_SIGNATURE.format(n=n) for n in range(count)).encode()
    return data.replace(b"</ec:ElectronicCertificate>", sigs + b"</ec:ElectronicCertificate>")


def _replace_header(doc: Document, **changes: object) -> Document:
    return dataclasses.replace(doc, header=dataclasses.replace(doc.header, **changes))


# --------------------------------------------------------------------------- dump


def test_dump_writes_a_declaration_the_ec_prefix_two_space_indent_and_a_final_newline() -> None:
    data = dump(sample_document())
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<ec:ElectronicCertificate ')
    assert data.endswith(b"</ec:ElectronicCertificate>\n")
    lines = data.decode("utf-8").split("\n")
    assert lines[2] == "  <ec:ExchangedDocumentContext>"
    assert lines[3] == "    <ec:GuidelineSpecifiedDocumentContextParameter>"
    assert f'xmlns:ec="{EC}"'.encode() in data
    assert "ใบอนุญาตประกอบกิจการโรงงาน".encode() in data  # UTF-8, not character references


def test_dump_is_deterministic_for_equal_documents() -> None:
    assert dump(sample_document()) == dump(sample_document())
    assert sample_xml() == dump(sample_document())


def test_sample_document_is_valid_and_round_trips() -> None:
    data = sample_xml()
    assert validate(data).valid, validate(data).summary()
    assert load(data) == sample_document()


def test_dump_writes_attributes_in_a_fixed_order() -> None:
    data = dump(sample_document())
    assert b'<ec:ID schemeAgencyID="EDOCSTD" schemeVersionID="1.0">EDOC-CERT</ec:ID>' in data
    assert b'<ec:Attribute name="factoryCategory" languageID="th">' in data


@pytest.mark.parametrize(
    ("offset", "written"),
    [
        (timedelta(hours=7), "+07:00"),
        (timedelta(hours=-3, minutes=-30), "-03:30"),
        (timedelta(hours=5, minutes=45), "+05:45"),
        (timedelta(0), "Z"),
        (timedelta(hours=14), "+14:00"),
        (timedelta(hours=-14), "-14:00"),
    ],
)
def test_datetime_offsets_are_written_and_read_back_exactly(
    offset: timedelta, written: str
) -> None:
    when = datetime(2026, 11, 25, 9, 30, tzinfo=timezone(offset))
    doc = _replace_header(sample_document(), issue_datetime=when)
    data = dump(doc)
    assert f"<ec:IssueDateTime>2026-11-25T09:30:00{written}</ec:IssueDateTime>".encode() in data
    back = load(data).header.issue_datetime
    assert back.utcoffset() == offset
    assert (back.hour, back.minute) == (9, 30)


@pytest.mark.parametrize(
    ("micro", "written"),
    [(500000, ".5"), (123456, ".123456"), (10, ".00001"), (0, "")],
)
def test_fractional_seconds_are_written_without_trailing_zeros(micro: int, written: str) -> None:
    when = datetime(2026, 11, 25, 9, 30, 15, micro, tzinfo=timezone(timedelta(hours=7)))
    data = dump(_replace_header(sample_document(), issue_datetime=when))
    assert f"T09:30:15{written}+07:00<".encode() in data
    assert load(data).header.issue_datetime == when


def test_text_is_never_altered() -> None:
    tricky = "  นำหน้า\tกลาง\r\nท้าย  \r"
    doc = _replace_header(sample_document(), name=(LangText(tricky, "th"),))
    data = dump(doc)
    assert b"&#13;" in data  # a CR survives only as a character reference
    assert load(data).header.name == (LangText(tricky, "th"),)


def test_branch_id_and_area_codes_stay_strings_with_leading_zeros() -> None:
    holder = load(sample_xml()).holder
    assert isinstance(holder.party, Organization)
    assert holder.party.branch_id == "00000"
    assert holder.postal_address is not None
    assert holder.postal_address.country_sub_division_id == "10"


def test_dump_refuses_a_character_xml_cannot_carry() -> None:
    doc = _replace_header(sample_document(), id="bad\x00id")
    with pytest.raises(InputError, match="U\\+0000"):
        dump(doc)


def test_dump_refuses_an_offset_that_is_not_whole_minutes() -> None:
    when = datetime(2026, 1, 1, tzinfo=timezone(timedelta(seconds=30)))
    with pytest.raises(InputError, match="whole minutes"):
        dump(_replace_header(sample_document(), issue_datetime=when))


def test_a_naive_datetime_is_written_without_offset_and_reported_as_r005() -> None:
    when = datetime(2026, 11, 25, 9, 30)  # naive on purpose
    data = dump(_replace_header(sample_document(), issue_datetime=when))
    assert b"<ec:IssueDateTime>2026-11-25T09:30:00</ec:IssueDateTime>" in data
    assert validate(data).codes == ("EDOC-R005",)


def test_encode_returns_the_root_element_without_signatures() -> None:
    root = encode(sample_document())
    assert root.tag == f"{{{EC}}}ElectronicCertificate"
    assert root.find(f"{{{DS}}}Signature") is None


# --------------------------------------------------------------------------- load


def test_load_accepts_bytes_text_paths_and_file_objects(tmp_path: Path) -> None:
    data = sample_xml()
    path = tmp_path / "licence.edoc.xml"
    path.write_bytes(data)
    expected = sample_document()
    assert load(data) == expected
    assert load(data.decode("utf-8")) == expected
    assert load(path) == expected
    with path.open("rb") as fh:
        assert load(fh) == expected
    assert load(io.BytesIO(data)) == expected


def test_load_ignores_signatures() -> None:
    assert load(_with_signatures(sample_xml(), 2)) == sample_document()


def test_load_raises_document_error_with_the_full_report_for_an_invalid_document() -> None:
    bad = dump(dataclasses.replace(sample_document(), verification_uri="http://x.example/"))
    with pytest.raises(DocumentError) as info:
        load(bad)
    assert info.value.report.codes == ("EDOC-R015",)


@pytest.mark.parametrize(
    "data",
    [b"", b"<ec:Electronic", b"\x00\x01\x02", b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'],
)
def test_load_reports_refused_input_as_x000(data: bytes) -> None:
    with pytest.raises(DocumentError) as info:
        load(data)
    assert info.value.report.codes == ("EDOC-X000",)
    assert isinstance(info.value.__cause__, XMLInputError)


def test_load_applies_the_given_limits() -> None:
    with pytest.raises(DocumentError) as info:
        load(sample_xml(), Limits(max_elements=10))
    assert info.value.report.codes == ("EDOC-X000",)
    with pytest.raises(XMLInputError):
        fingerprint(sample_xml(), Limits(max_depth=2))


def test_load_of_a_missing_file_is_an_input_error_not_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load(tmp_path / "missing.xml")
    assert not isinstance(info.value, DocumentError)


def test_load_of_another_kind_of_xml_is_a_document_error() -> None:
    with pytest.raises(DocumentError) as info:
        load(b"<Invoice xmlns='urn:example'/>")
    assert info.value.report.codes == ("EDOC-S000",)


def test_load_joins_text_around_comments_and_reads_cdata() -> None:
    data = sample_xml().replace(
        '<ec:Name languageID="th">ใบอนุญาตประกอบกิจการโรงงาน</ec:Name>'.encode(),
        (
            '<ec:Name languageID="th">ใบอนุญาต<!-- x -->ประกอบ<![CDATA[กิจการ]]>โรงงาน</ec:Name>'
        ).encode(),
    )
    assert data != sample_xml()
    assert load(data) == sample_document()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b">0105559123454<", b">0105559<!-- c -->123454<"),
        (b"+07:00</ec:IssueDateTime>", b"<!-- c -->+07:00</ec:IssueDateTime>"),
        (b">https://verify.diw", b">https:<!-- c -->//verify.diw"),
    ],
)
def test_a_comment_inside_a_value_carries_no_meaning(before: bytes, after: bytes) -> None:
    # EDOC-1.0 §2: comments are allowed anywhere and carry no meaning.
    data = sample_xml().replace(before, after, 1)
    assert data != sample_xml()
    assert load(data) == sample_document()


def test_load_collapses_whitespace_only_where_the_schema_type_does() -> None:
    data = (
        sample_xml()
        .replace(b"<ec:TypeCode>LICENCE<", b"<ec:TypeCode>\n  LICENCE  \n<")
        .replace(b'languageID="en">Factory', b'languageID=" en ">Factory')
        .replace(b">https://verify.diw.example/", b">\n  https://verify.diw.example/")
    )
    b64 = re.search(rb"<ec:BinaryObject>([^<]*)<", data)
    assert b64 is not None
    wrapped = b"\n".join(b64.group(1)[i : i + 20] for i in range(0, len(b64.group(1)), 20))
    data = data.replace(b64.group(1), wrapped)
    assert validate(data).valid, validate(data).summary()
    assert load(data) == sample_document()


@pytest.mark.parametrize(("declaration", "prefix"), [(b'xmlns="', b""), (b'xmlns:x="', b"x:")])
def test_load_does_not_depend_on_the_namespace_prefix(declaration: bytes, prefix: bytes) -> None:
    data = (
        sample_xml()
        .replace(b"<ec:", b"<" + prefix)
        .replace(b"</ec:", b"</" + prefix)
        .replace(b'xmlns:ec="', declaration)
    )
    assert b"ec:" not in data
    assert load(data) == sample_document()
    assert dump(load(data)) == sample_xml()


def test_collapsing_whitespace_touches_xml_whitespace_only() -> None:
    uri = "https://verify.diw.example/edoc/\u00a0x"  # NO-BREAK SPACE is content, not whitespace
    data = dump(dataclasses.replace(sample_document(), verification_uri=uri))
    data = data.replace(b"<ec:VerificationURI>", b"<ec:VerificationURI>\n ")
    assert load(data).verification_uri == uri


def test_load_reads_24_00_as_the_first_instant_of_the_next_day() -> None:
    data = sample_xml().replace(
        b"2026-11-25T09:30:00+07:00</ec:IssueDateTime>",
        b"2026-11-25T24:00:00+07:00</ec:IssueDateTime>",
    )
    issued = load(data).header.issue_datetime
    assert issued == datetime(2026, 11, 26, tzinfo=timezone(timedelta(hours=7)))
    assert validate(dump(load(data))).valid


def test_load_keeps_fractions_to_the_microsecond() -> None:
    data = sample_xml().replace(
        b"T09:30:00+07:00</ec:IssueDateTime>", b"T09:30:00.1234567-00:00</ec:IssueDateTime>"
    )
    issued = load(data).header.issue_datetime
    assert issued == datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=UTC)


def test_a_valid_year_the_model_cannot_hold_is_a_document_error_not_a_crash() -> None:
    person = (
        '<ec:Person><ec:ID schemeID="NIDN">1101700123456</ec:ID>'
        '<ec:GivenName languageID="th">สมชาย</ec:GivenName>'
        "<ec:BirthDate>10000-01-01</ec:BirthDate></ec:Person>"
    ).encode()
    data = re.sub(rb"<ec:Organization>.*?</ec:Organization>", person, sample_xml(), flags=re.S)
    with pytest.raises(DocumentError) as info:
        load(data)
    assert info.value.report.codes == ("EDOC-S000",)
    assert info.value.report.problems[0].location.path.endswith("/ec:Person/ec:BirthDate")


VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "schema"


@pytest.mark.parametrize("path", sorted(VECTORS.glob("valid-*.edoc.xml")), ids=lambda p: p.name)
def test_dump_of_load_of_each_valid_vector_is_valid_and_stable(path: Path) -> None:
    doc = load(path)
    data = dump(doc)
    assert validate(data).valid, validate(data).summary()
    assert load(data) == doc
    assert dump(load(data)) == data


@pytest.mark.parametrize("path", sorted(VECTORS.glob("invalid-*.edoc.xml")), ids=lambda p: p.name)
def test_load_refuses_each_invalid_vector_with_its_code(path: Path) -> None:
    expected = "EDOC-" + path.name.split("-")[1]
    with pytest.raises(DocumentError) as info:
        load(path)
    assert expected in info.value.report.codes


def test_decode_accepts_a_tree_or_its_root() -> None:
    tree = parse(sample_xml())
    assert decode(tree) == decode(tree.getroot()) == sample_document()


def test_load_reads_a_person_with_a_passport() -> None:
    person = (
        '<ec:Person><ec:ID schemeID="PASSPORT" schemeAgencyID="GBR">AB1234567</ec:ID>'
        '<ec:NamePrefix languageID="th">นาย</ec:NamePrefix>'
        '<ec:GivenName languageID="th">จอห์น</ec:GivenName>'
        '<ec:GivenName languageID="en">John</ec:GivenName>'
        '<ec:FamilyName languageID="th">สมิธ</ec:FamilyName>'
        "<ec:BirthDate>1980-02-29</ec:BirthDate></ec:Person>"
    ).encode()
    data = re.sub(rb"<ec:Organization>.*?</ec:Organization>", person, sample_xml(), flags=re.S)
    party = load(data).holder.party
    assert not isinstance(party, Organization)
    assert party.id.agency == "GBR"
    assert party.birth_date == date(1980, 2, 29)
    assert [t.language for t in party.given_name] == ["th", "en"]
    again = dump(load(data))
    assert validate(again).valid
    assert load(again) == load(data)


# --------------------------------------------------------------------------- fingerprint


def test_fingerprint_is_64_lower_case_hex_digits_and_accepts_a_document() -> None:
    fp = fingerprint(sample_xml())
    assert re.fullmatch(r"[0-9a-f]{64}", fp)
    assert fingerprint(sample_document()) == fp


def test_fingerprint_of_refused_input_raises_xml_input_error() -> None:
    with pytest.raises(XMLInputError):
        fingerprint(b"<unclosed>")


def _reserialised(data: bytes, how: str) -> bytes:
    """The same XML content written another way (no change to whitespace between elements)."""
    tree = parse(data)
    root = tree.getroot()
    if how == "ascii":  # every non-ASCII character as a character reference
        return etree.tostring(tree, encoding="US-ASCII", xml_declaration=True)
    if how == "utf-16":
        return etree.tostring(tree, encoding="UTF-16", xml_declaration=True)
    if how == "attributes-reversed":
        for el in root.iter(etree.Element):
            items = list(el.attrib.items())
            el.attrib.clear()
            for key, value in reversed(items):
                el.set(key, value)
        return etree.tostring(tree, encoding="UTF-8", xml_declaration=False)
    if how == "comments":  # a comment at the start of every container, text left in place
        for el in list(root.iter(etree.Element)):
            if len(el):
                el.insert(0, etree.Comment(" note "))
        return etree.tostring(tree, encoding="UTF-8", xml_declaration=True)
    raise AssertionError(how)


_REWRITES = st.sampled_from(["ascii", "utf-16", "attributes-reversed", "comments"])


@EXAMPLES
@given(documents(), _REWRITES)
def test_fingerprint_is_stable_across_reserialisation(doc: Document, how: str) -> None:
    data = dump(doc)
    other = _reserialised(data, how)
    assert other != data
    assert fingerprint(other) == fingerprint(data)
    # The content reads back the same, and is written back exactly as dump() first wrote it.
    assert load(other) == doc
    assert dump(load(other)) == data


@EXAMPLES
@given(documents(), st.integers(1, 3))
def test_fingerprint_is_unaffected_by_signatures(doc: Document, count: int) -> None:
    data = dump(doc)
    signed = _with_signatures(data, count)
    assert validate(signed).valid, validate(signed).summary()
    assert fingerprint(signed) == fingerprint(data) == fingerprint(doc)


@EXAMPLES
@given(documents(), st.sampled_from(["id", "title", "uri", "offset"]))
def test_fingerprint_changes_when_content_changes(doc: Document, what: str) -> None:
    if what == "id":
        last = "X" if doc.header.id[-1:] != "X" else "Y"
        changed = _replace_header(doc, id=doc.header.id[:63] + last)
    elif what == "title":
        first = doc.header.name[0]
        changed = _replace_header(
            doc, name=(LangText(first.text + ".", first.language), *doc.header.name[1:])
        )
    elif what == "uri":
        uri = "https://a.example/" if doc.verification_uri != "https://a.example/" else None
        changed = dataclasses.replace(doc, verification_uri=uri)
    else:
        # The same instant in another offset is another text, so another fingerprint.
        issued = doc.header.issue_datetime
        seven = timedelta(hours=7)
        other = timezone(timedelta(minutes=1) if issued.utcoffset() == seven else seven)
        changed = _replace_header(doc, issue_datetime=issued.astimezone(other))
    assert dump(changed) != dump(doc)
    assert fingerprint(changed) != fingerprint(doc)


@settings(max_examples=100, deadline=None)
@given(documents(), st.data())
def test_decode_of_a_broken_tree_gives_a_document_or_a_document_error(
    doc: Document, data: st.DataObject
) -> None:
    # decode() is meant for valid trees, but a caller that skipped validation must still get a
    # typed outcome, never an arbitrary exception.
    tree = parse(dump(doc))
    elements = list(tree.getroot().iter(etree.Element))[1:]
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        el = data.draw(st.sampled_from(elements), label="element")
        how = data.draw(st.sampled_from(["remove", "text", "attribute"]), label="how")
        if how == "remove" and el.getparent() is not None:
            el.getparent().remove(el)  # type: ignore[union-attr]
            elements = list(tree.getroot().iter(etree.Element))[1:] or elements
        elif how == "text" and not len(el):
            el.text = data.draw(st.sampled_from(["", "x", "-1", "99999-99-99", "Z", "+99:99"]))
        else:
            for key in list(el.attrib):
                el.set(key, data.draw(st.sampled_from(["", "x", "NIDN", "TXID"]), label="value"))
    try:
        decode(tree)
    except DocumentError as exc:
        assert exc.report.codes == ("EDOC-S000",)


@pytest.mark.parametrize("line", [0, 76])
def test_a_multi_megabyte_attachment_loads_exactly_whatever_its_line_breaks(line: int) -> None:
    import base64
    import hashlib

    content = hashlib.shake_256(b"attachment").digest(3 * 1024 * 1024 + 2)
    encoded = base64.b64encode(content)
    if line:
        encoded = b"\n".join(encoded[i : i + line] for i in range(0, len(encoded), line)) + b"\n"
    data = sample_xml()
    start = data.index(b"<ec:BinaryObject>") + len(b"<ec:BinaryObject>")
    end = data.index(b"</ec:BinaryObject>")
    digest_start = data.index(b">", data.index(b"<ec:Digest ")) + 1
    digest_end = data.index(b"</ec:Digest>")
    stated = base64.b64encode(hashlib.sha256(content).digest())
    data = data[:digest_start] + stated + data[digest_end:start] + encoded + data[end:]
    doc = load(data)
    assert doc.attachments[0].content == content
    assert decode(parse(data)).attachments[0].content == content


def test_decode_refuses_an_attachment_that_is_not_base64_even_when_large() -> None:
    data = sample_xml()
    start = data.index(b"<ec:BinaryObject>") + len(b"<ec:BinaryObject>")
    end = data.index(b"</ec:BinaryObject>")
    bad = b"QUJD" * (600 * 1024) + b"*" + b"QUJD" * 10
    with pytest.raises(DocumentError) as err:
        decode(parse(data[:start] + bad + data[end:]))
    assert err.value.report.codes == ("EDOC-S000",)
    assert "BinaryObject" in err.value.report.problems[0].location.path
