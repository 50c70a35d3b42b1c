"""validate() and validate_tree(): sources, reports, non-EDOC input, concurrency."""

from __future__ import annotations

import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from edocstd.schema._parser import parse
from edocstd.schema._validate import validate, validate_tree

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "schema"
FULL_PATH = VECTORS / "valid-full.edoc.xml"
FULL = FULL_PATH.read_bytes()
BAD = VECTORS / "invalid-R001-nidn-check-digit.edoc.xml"
THAI = re.compile("[\u0e00-\u0e7f]")


@pytest.mark.parametrize(
    "source",
    [
        FULL,
        bytearray(FULL),
        memoryview(FULL),
        FULL.decode("utf-8"),
        FULL_PATH,
        io.BytesIO(FULL),
    ],
    ids=["bytes", "bytearray", "memoryview", "str", "path", "file"],
)
def test_every_kind_of_source_is_accepted(source: object) -> None:
    assert validate(source).valid  # type: ignore[arg-type]


def test_str_source_with_another_declared_encoding_is_read_as_text() -> None:
    text = FULL.decode("utf-8").replace('encoding="UTF-8"', 'encoding="TIS-620"')
    assert validate(text).valid


def test_validate_tree_gives_the_same_report_as_validate() -> None:
    for path in sorted(VECTORS.glob("*.xml")):
        assert validate_tree(parse(path)) == validate(path), path.name


def test_validate_tree_leaves_the_tree_unchanged() -> None:
    tree = parse(BAD)
    from lxml import etree

    before = etree.tostring(tree)
    validate_tree(tree)
    assert etree.tostring(tree) == before


def test_non_edoc_root_is_one_structural_problem_and_not_edoc() -> None:
    report = validate(
        b"<invoice xmlns='urn:etda:uncefact:data:standard:TaxInvoice_CrossIndustryInvoice:2'/>"
    )
    assert report.codes == ("EDOC-S000",)
    assert not report.is_edoc
    assert "ElectronicCertificate" in report.problems[0].message_en
    assert THAI.search(report.problems[0].message_th)


def test_right_name_in_the_wrong_namespace_is_not_edoc() -> None:
    report = validate(b"<ElectronicCertificate/>")
    assert not report.is_edoc and report.codes == ("EDOC-S000",)


def test_refused_input_is_never_partly_validated() -> None:
    truncated = FULL[: len(FULL) - 40]
    report = validate(truncated)
    assert report.codes == ("EDOC-X000",)
    assert report.problems[0].location.line is not None


def test_schema_problem_carries_validator_detail_path_and_line() -> None:
    text = FULL.replace(b"<ec:TypeCode>LICENCE", b"<ec:TypeCode>LICENSE")
    (problem,) = validate(text).problems
    assert problem.code == "EDOC-S000"
    assert problem.location.path == "/ec:ElectronicCertificate/ec:ExchangedDocument/ec:TypeCode"
    assert problem.location.line == 14
    assert "LICENSE" in problem.message_en and "enumeration" in problem.message_en
    assert THAI.search(problem.message_th) and "LICENSE" in problem.message_th


def test_schema_problem_path_is_normalised_for_a_default_namespace() -> None:
    text = FULL.replace(b"ec:", b"").replace(b"xmlns:ec=", b"xmlns=")
    text = text.replace(b"<TypeCode>LICENCE", b"<TypeCode>LICENSE")
    (problem,) = validate(text).problems
    assert problem.location.path == "/ec:ElectronicCertificate/ec:ExchangedDocument/ec:TypeCode"


def test_report_to_dict_is_json_ready() -> None:
    data = validate(BAD).to_dict()
    assert data["valid"] is False
    (problem,) = data["problems"]
    assert problem["code"] == "EDOC-R001"
    assert problem["location"] == "/ec:ElectronicCertificate/ec:HolderParty/ec:Person/ec:ID"
    assert isinstance(problem["line"], int)
    json.dumps(data, ensure_ascii=False)


def test_concurrent_validations_keep_their_own_problems() -> None:
    sources = [FULL, BAD.read_bytes(), FULL.replace(b"LICENCE", b"LICENSE")] * 20
    expected = [validate(s).codes for s in sources]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda s: validate(s).codes, sources))
    assert got == expected


def test_validate_tree_refuses_an_oversized_attachment_in_a_tree_built_elsewhere() -> None:
    from lxml import etree

    from edocstd.schema._parser import Limits

    tree = etree.ElementTree(etree.fromstring(FULL))
    report = validate_tree(tree, Limits(max_binary_decoded=10))
    assert report.codes == ("EDOC-X000",)
    assert "BinaryObject" in report.problems[0].message_en


@pytest.mark.parametrize(
    ("text", "size"),
    [("", 0), ("QQ==", 1), ("QUI=", 2), ("QUJD", 3), ("QUJD\nQUJD\n", 6), (" QU JD QQ== ", 4)],
)
def test_decoded_size_is_computed_from_the_base64_length(text: str, size: int) -> None:
    from edocstd.schema._parser import decoded_base64_size

    assert decoded_base64_size(text) == size
