"""Property tests: whatever the bytes, validation answers with a report and never raises."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from edocstd.schema._parser import parse
from edocstd.schema._rules import RULES
from edocstd.schema._validate import validate, validate_tree

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "schema"
FULL = (VECTORS / "valid-full.edoc.xml").read_bytes()
KNOWN = {code for code, info in RULES.items() if not info.reserved}
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes) -> None:
    report = validate(data)
    assert set(report.codes) <= KNOWN
    if "EDOC-X000" in report.codes:
        assert len(report.problems) == 1
    for p in report.problems:
        assert p.message_th and p.message_en and p.location.path.startswith("/")


@SETTINGS
@given(st.binary(max_size=2048))
@example(b"")
@example(b"<")
@example(b"<?xml version='1.0' encoding='EBCDIC-CP-US'?><r/>")
def test_random_bytes_give_a_report(data: bytes) -> None:
    check(data)


mutations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]),
        st.integers(0, len(FULL) - 1),
        st.binary(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=4,
)


def mutate(data: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    for op, at, blob in ops:
        at = min(at, max(len(data) - 1, 0))
        if op == "flip" and data:
            data = data[:at] + bytes([data[at] ^ blob[0]]) + data[at + 1 :]
        elif op == "delete":
            data = data[:at] + data[at + len(blob) :]
        elif op == "insert":
            data = data[:at] + blob + data[at:]
        elif op == "truncate":
            data = data[:at]
        else:
            data = data[:at] + data[at : at + 64] + data[at:]
    return data


@SETTINGS
@given(mutations)
def test_mutated_documents_give_a_report(ops: list[tuple[str, int, bytes]]) -> None:
    check(mutate(FULL, ops))


TEXT_FIELDS = [
    b"<ec:LineTwo>",
    b'<ec:Description languageID="en">',
    b"<ec:Section>",
    b"<ec:Telephone>",
]


PIECES = st.one_of(
    st.characters(codec="utf-8", exclude_characters="<&", exclude_categories=("Cs", "Cc", "Co")),
    st.sampled_from(
        ["\u0085", "\u007f", "\u009f", "\u0301", "\u0e48", "\u0e39", "\u0338", "\t", "\r\n"]
    ),
    st.sampled_from(["&gt;", "&lt;", "&amp;", "&#x85;", "&#769;", "&#x7f;", "&#xe01;"]),
)


@SETTINGS
@given(st.sampled_from(TEXT_FIELDS), st.lists(PIECES, min_size=1, max_size=20).map("".join))
def test_whole_input_text_check_agrees_with_the_per_node_check(field: bytes, text: str) -> None:
    # validate() may decide EDOC-R013 over the raw input; validate_tree() always walks the
    # tree. Both must find the same problems.
    data = FULL.replace(field, field + text.encode("utf-8"), 1)
    report = validate(data)
    if "EDOC-X000" in report.codes:
        return
    assert validate_tree(parse(data)) == report
