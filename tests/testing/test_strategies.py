"""Properties of the hypothesis strategies, and through them of dump/load/validate.

* every generated document is schema- and rule-valid;
* ``load(dump(d)) == d`` and the bytes are stable;
* for every rule EDOC-R001 … R016 (R012 is reserved) a mutation that breaks exactly that rule
  is reported with exactly that code.
"""

from __future__ import annotations

import dataclasses
import itertools
import unicodedata
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from lxml import etree

from edocstd._ids import is_valid_thai_id, thai_id_check_digit
from edocstd._ns import EC
from edocstd.model import (
    Address,
    AttachedDocument,
    Attribute,
    DigestAlgorithm,
    Document,
    HolderParty,
    Identifier,
    IdScheme,
    LangText,
    Organization,
    Person,
    Purpose,
    ReferencedDocument,
    Relationship,
    Subject,
)
from edocstd.schema._codec import dump, load
from edocstd.schema._parser import parse
from edocstd.schema._validate import validate
from edocstd.testing.assertions import assert_valid
from edocstd.testing.strategies import (
    addresses,
    documents,
    lang_groups,
    nidns,
    organizations,
    passports,
    persons,
    texts,
    txids,
)

EXAMPLES = settings(max_examples=200, deadline=None)

# --------------------------------------------------------------------------- valid documents


@EXAMPLES
@given(documents())
def test_every_generated_document_is_valid(doc: Document) -> None:
    assert_valid(doc)


@EXAMPLES
@given(documents())
def test_load_of_dump_gives_the_same_document_and_the_same_bytes(doc: Document) -> None:
    data = dump(doc)
    again = load(data)
    assert again == doc
    assert dump(again) == data


@settings(max_examples=50, deadline=None)
@given(texts())
def test_texts_are_nfc_and_free_of_controls(text: str) -> None:
    assert unicodedata.is_normalized("NFC", text)
    assert not any("\x7f" <= c <= "\x9f" for c in text)
    assert 1 <= len(text) <= 40


@settings(max_examples=50, deadline=None)
@given(lang_groups())
def test_lang_groups_have_one_thai_member_and_distinct_languages(
    group: tuple[LangText, ...],
) -> None:
    primaries = [m.primary for m in group]
    assert "th" in primaries
    assert len(set(primaries)) == len(primaries)


@settings(max_examples=50, deadline=None)
@given(nidns(), txids(), passports())
def test_identifier_strategies_give_valid_ids(
    nidn: Identifier, txid: Identifier, passport: Identifier
) -> None:
    assert nidn.scheme is IdScheme.NIDN and is_valid_thai_id(nidn.value)
    assert txid.scheme is IdScheme.TXID and is_valid_thai_id(txid.value)
    assert passport.scheme is IdScheme.PASSPORT
    assert passport.agency is not None and len(passport.agency) == 3


@settings(max_examples=50, deadline=None)
@given(addresses())
def test_address_area_codes_nest(address: Address) -> None:
    codes = [
        c
        for c in (
            address.country_sub_division_id,
            address.city_id,
            address.city_sub_division_id,
        )
        if c is not None
    ]
    for shorter, longer in itertools.pairwise(codes):
        assert longer.startswith(shorter)


@settings(max_examples=30, deadline=None)
@given(persons(), organizations())
def test_parties_strategies_give_the_right_identifier_schemes(
    person: Person, org: Organization
) -> None:
    assert person.id.scheme in (IdScheme.NIDN, IdScheme.PASSPORT)
    assert org.id.scheme is IdScheme.TXID


# --------------------------------------------------------------------------- mutations
#
# Each mutation takes a valid document and breaks exactly one rule. Most work on the model and
# let dump() write the broken value; the UUID form (R014) cannot be expressed in the model, so
# that one edits the XML.

Mutation = Callable[[Document, st.DataObject], bytes]


def _bad_thai_id(valid: str, data: st.DataObject) -> str:
    first12 = valid[:12]
    good = thai_id_check_digit(first12)
    wrong = (good + data.draw(st.integers(1, 9), label="check digit offset")) % 10
    return first12 + str(wrong)


def _replace_holder_party(doc: Document, party: Person | Organization) -> Document:
    return dataclasses.replace(doc, holder=dataclasses.replace(doc.holder, party=party))


def break_r001(doc: Document, data: st.DataObject) -> bytes:
    person = data.draw(persons(), label="person")
    base = person.id.value if person.id.scheme is IdScheme.NIDN else data.draw(nidns()).value
    bad = dataclasses.replace(person, id=Identifier.nidn(_bad_thai_id(base, data)))
    return dump(_replace_holder_party(doc, bad))


def break_r002(doc: Document, data: st.DataObject) -> bytes:
    org = data.draw(organizations(), label="organization")
    bad = dataclasses.replace(org, id=Identifier.txid(_bad_thai_id(org.id.value, data)))
    return dump(_replace_holder_party(doc, bad))


def break_r003(doc: Document, data: st.DataObject) -> bytes:
    text = data.draw(texts(), label="text")
    tag = data.draw(st.sampled_from(["en", "EN-gb", "lo", "tha"]), label="tag")
    no_thai = (LangText(text, tag),)
    where = data.draw(st.sampled_from(["header", "issuer"]), label="group")
    if where == "header":
        return dump(dataclasses.replace(doc, header=dataclasses.replace(doc.header, name=no_thai)))
    return dump(dataclasses.replace(doc, issuer=dataclasses.replace(doc.issuer, name=no_thai)))


def break_r004(doc: Document, data: st.DataObject) -> bytes:
    name = doc.header.name
    member = data.draw(st.sampled_from(name), label="duplicated member")
    # Same primary subtag, different spelling of the tag: still a duplicate.
    tag = data.draw(
        st.sampled_from([member.language, member.language.upper(), member.primary + "-XX"]),
        label="tag",
    )
    extra = LangText(data.draw(texts(), label="text"), tag)
    header = dataclasses.replace(doc.header, name=(*name, extra))
    return dump(dataclasses.replace(doc, header=header))


def break_r005(doc: Document, data: st.DataObject) -> bytes:
    where = data.draw(st.sampled_from(["issue", "start", "end"]), label="which date")
    if where == "issue":
        header = dataclasses.replace(
            doc.header, issue_datetime=doc.header.issue_datetime.replace(tzinfo=None)
        )
        return dump(dataclasses.replace(doc, header=header))
    validity = doc.validity
    if where == "start" or validity.end is None:
        validity = dataclasses.replace(validity, start=validity.start.replace(tzinfo=None))
    else:
        validity = dataclasses.replace(validity, end=validity.end.replace(tzinfo=None))
    return dump(dataclasses.replace(doc, validity=validity))


def break_r006(doc: Document, data: st.DataObject) -> bytes:
    start = doc.validity.start
    back = timedelta(seconds=data.draw(st.integers(0, 10 * 366 * 86400), label="seconds"))
    end = start - back  # equal to the start or earlier: not later
    validity = dataclasses.replace(doc.validity, end=end)
    # Keep the issue no later than the end, so only R006 breaks.
    header = dataclasses.replace(doc.header, issue_datetime=end)
    return dump(dataclasses.replace(doc, validity=validity, header=header))


def break_r007(doc: Document, data: st.DataObject) -> bytes:
    validity = doc.validity
    if validity.end is None:
        validity = dataclasses.replace(validity, end=validity.start + timedelta(days=1))
    assert validity.end is not None
    later = timedelta(seconds=data.draw(st.integers(1, 10 * 366 * 86400), label="seconds"))
    header = dataclasses.replace(doc.header, issue_datetime=validity.end + later)
    return dump(dataclasses.replace(doc, validity=validity, header=header))


def _other_uuid(doc: Document, data: st.DataObject) -> uuid.UUID:
    return data.draw(st.uuids(version=4).filter(lambda u: u != doc.global_id), label="uuid")


def break_r008(doc: Document, data: st.DataObject) -> bytes:
    how = data.draw(st.sampled_from(["new-with-ref", "missing-ref", "wrong-ref"]), label="how")
    if how == "new-with-ref":
        rel = data.draw(st.sampled_from(Relationship), label="relationship")
        refs: tuple[ReferencedDocument, ...] = (
            ReferencedDocument(global_id=_other_uuid(doc, data), relationship=rel),
        )
        purpose = Purpose.NEW
    else:
        purpose = data.draw(
            st.sampled_from([p for p in Purpose if p is not Purpose.NEW]), label="purpose"
        )
        if how == "missing-ref":
            refs = ()
        else:
            wrong = data.draw(
                st.sampled_from([r for r in Relationship if r is not purpose.relationship]),
                label="relationship",
            )
            refs = (ReferencedDocument(global_id=_other_uuid(doc, data), relationship=wrong),)
    header = dataclasses.replace(doc.header, purpose=purpose, referenced_documents=refs)
    return dump(dataclasses.replace(doc, header=header))


def break_r009(doc: Document, data: st.DataObject) -> bytes:
    purpose = data.draw(
        st.sampled_from([p for p in Purpose if p is not Purpose.NEW]), label="purpose"
    )
    assert purpose.relationship is not None
    itself = ReferencedDocument(global_id=doc.global_id, relationship=purpose.relationship)
    refs = doc.header.referenced_documents if doc.header.purpose is purpose else ()
    header = dataclasses.replace(doc.header, purpose=purpose, referenced_documents=(*refs, itself))
    return dump(dataclasses.replace(doc, header=header))


def break_r010(doc: Document, data: st.DataObject) -> bytes:
    prov = data.draw(st.from_regex(r"[0-9]{2}", fullmatch=True), label="province")
    other = data.draw(
        st.from_regex(r"[0-9]{2}", fullmatch=True).filter(lambda p: p != prov), label="other"
    )
    how = data.draw(st.sampled_from(["city", "sub", "sub-no-city"]), label="how")
    # (sub-district, district, province)
    if how == "city":  # the district is not in the province
        sub, city, province = None, other + "01", prov
    elif how == "sub":  # the sub-district is not in the district
        sub, city, province = prov + "0201", prov + "01", prov
    else:  # no district: the sub-district must still be in the province
        sub, city, province = other + "0101", None, prov
    address = dataclasses.replace(
        data.draw(addresses(), label="address"),
        city_sub_division_id=sub,
        city_id=city,
        country_sub_division_id=province,
    )
    holder = HolderParty(party=doc.holder.party, postal_address=address)
    return dump(dataclasses.replace(doc, holder=holder))


def break_r011(doc: Document, data: st.DataObject) -> bytes:
    content = data.draw(st.binary(min_size=1, max_size=64), label="content")
    att = AttachedDocument.from_bytes(
        content, id="ATT-X", file_name="x.bin", mime_code="application/octet-stream"
    )
    flip = data.draw(st.integers(0, len(att.digest) * 8 - 1), label="bit")
    wrong = bytearray(att.digest)
    wrong[flip // 8] ^= 1 << (flip % 8)
    bad = dataclasses.replace(att, digest=bytes(wrong))
    return dump(dataclasses.replace(doc, attachments=(*doc.attachments, bad)))


def break_r013(doc: Document, data: st.DataObject) -> bytes:
    bad_char = data.draw(
        st.sampled_from(["\x7f", "\x80", "\x85", "\x9f", "e\u0301", "\u0e48\u0e38"]),
        label="bad text",
    )
    # "e" + COMBINING ACUTE and a tone mark before a below vowel are not NFC.
    where = data.draw(st.sampled_from(["title", "issuer", "attribute"]), label="where")
    if where == "title":
        name = doc.header.name
        first = name[0]
        changed = (LangText(first.text[:30] + bad_char, first.language), *name[1:])
        return dump(dataclasses.replace(doc, header=dataclasses.replace(doc.header, name=changed)))
    if where == "issuer":
        issuer = doc.issuer
        first = issuer.name[0]
        changed = (LangText(bad_char + first.text[:30], first.language), *issuer.name[1:])
        return dump(dataclasses.replace(doc, issuer=dataclasses.replace(issuer, name=changed)))
    subject = doc.subject or Subject()
    attrs = (*subject.attributes, Attribute("note", "x" + bad_char))
    return dump(dataclasses.replace(doc, subject=dataclasses.replace(subject, attributes=attrs)))


def break_r014(doc: Document, data: st.DataObject) -> bytes:
    tree = parse(dump(doc))
    ids = tree.getroot().findall(f".//{{{EC}}}GlobalID")
    el = data.draw(st.sampled_from(ids), label="GlobalID")
    value = el.text or ""
    forms = [
        value.replace("-", ""),
        "{" + value + "}",
        "urn:uuid:" + value,
        value[:-1],
        # Not an RFC 4122 variant.
        value[:19] + "c" + value[20:],
    ]
    if value.upper() != value:
        forms.append(value.upper())
    el.text = data.draw(st.sampled_from(forms), label="form")
    return etree.tostring(tree, encoding="UTF-8", xml_declaration=True)


def break_r015(doc: Document, data: st.DataObject) -> bytes:
    uri = data.draw(
        st.sampled_from(
            [
                "http://verify.example/edoc/1",
                "ftp://verify.example/edoc",
                "HTTP://verify.example/",
                "verify.example/edoc",
                "https:///no-host",
            ]
        ),
        label="uri",
    )
    return dump(dataclasses.replace(doc, verification_uri=uri))


def break_r016(doc: Document, data: st.DataObject) -> bytes:
    how = data.draw(st.sampled_from(["gov", "txid"]), label="scheme")
    if how == "gov":
        value = data.draw(
            st.sampled_from(["diw", "DIW_1", "D I W", "A" * 21, "กรอ.", "DIW/2"]), label="value"
        )
        ident = Identifier.gov(value)
    else:
        ident = Identifier.txid(_bad_thai_id(data.draw(txids(), label="txid").value, data))
    return dump(dataclasses.replace(doc, issuer=dataclasses.replace(doc.issuer, id=ident)))


MUTATIONS: dict[str, Mutation] = {
    "EDOC-R001": break_r001,
    "EDOC-R002": break_r002,
    "EDOC-R003": break_r003,
    "EDOC-R004": break_r004,
    "EDOC-R005": break_r005,
    "EDOC-R006": break_r006,
    "EDOC-R007": break_r007,
    "EDOC-R008": break_r008,
    "EDOC-R009": break_r009,
    "EDOC-R010": break_r010,
    "EDOC-R011": break_r011,
    "EDOC-R013": break_r013,
    "EDOC-R014": break_r014,
    "EDOC-R015": break_r015,
    "EDOC-R016": break_r016,
}


def test_every_rule_but_the_reserved_one_has_a_mutation() -> None:
    expected = {f"EDOC-R{n:03d}" for n in range(1, 17)} - {"EDOC-R012"}
    assert set(MUTATIONS) == expected


@EXAMPLES
@given(documents(), st.data())
def test_every_single_rule_mutation_is_reported_with_its_own_code(
    doc: Document, data: st.DataObject
) -> None:
    # Every rule is broken, one at a time, in each generated document: 200 examples per rule
    # at the cost of one generated document per example.
    for code, mutate in MUTATIONS.items():
        report = validate(mutate(doc, data))
        assert set(report.codes) == {code}, (code, report.summary())


# --------------------------------------------------------------------------- coverage
#
# The strategies must reach every corner of the model; each predicate names one corner and
# hypothesis.find fails the test if no generated document shows it.


def _texts_of(doc: Document) -> list[str]:
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, LangText):
            out.append(value.text)
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, tuple):
            for item in value:
                walk(item)

    walk(doc)
    return out


def _holder_id_scheme(doc: Document) -> IdScheme:
    return doc.holder.party.id.scheme


CORNERS: dict[str, Callable[[Document], bool]] = {
    "person with NIDN": lambda d: _holder_id_scheme(d) is IdScheme.NIDN,
    "person with passport": lambda d: _holder_id_scheme(d) is IdScheme.PASSPORT,
    "organization with branch": lambda d: (
        isinstance(d.holder.party, Organization) and d.holder.party.branch_id is not None
    ),
    "issuer with TXID": lambda d: d.issuer.id.scheme is IdScheme.TXID,
    "cancellation with two references": lambda d: (
        d.header.purpose is Purpose.CANCELLATION and len(d.header.referenced_documents) == 2
    ),
    "no expiry": lambda d: d.validity.end is None,
    "issued exactly at expiry": lambda d: d.validity.end == d.header.issue_datetime,
    "UTC offset zero": lambda d: d.header.issue_datetime.utcoffset() == timedelta(0),
    "negative offset": lambda d: d.validity.start.utcoffset() < timedelta(0),  # type: ignore[operator]
    "microseconds": lambda d: d.validity.start.microsecond != 0,
    "attachment by digest only": lambda d: any(a.content is None for a in d.attachments),
    "embedded SHA-512 attachment": lambda d: any(
        a.content is not None and a.digest_algorithm is DigestAlgorithm.SHA512
        for a in d.attachments
    ),
    "three-language group": lambda d: len(d.header.name) == 3,
    "Thai member not first": lambda d: d.header.name[0].primary != "th",
    "Thai tone mark": lambda d: any("\u0e48" in t or "\u0e49" in t for t in _texts_of(d)),
    "Latin letter with a composed accent": lambda d: any(
        any("\u00c0" <= c <= "\u024f" for c in t) for t in _texts_of(d)
    ),
    "carriage return in text": lambda d: any("\r" in t for t in _texts_of(d)),
    "subject with attributes": lambda d: d.subject is not None and len(d.subject.attributes) > 1,
    "full TISI address": lambda d: (
        d.holder.postal_address is not None
        and d.holder.postal_address.city_sub_division_id is not None
        and d.holder.postal_address.city_id is not None
        and d.holder.postal_address.country_sub_division_id is not None
    ),
}


@pytest.mark.parametrize("corner", sorted(CORNERS))
def test_documents_reach_every_corner_of_the_model(corner: str) -> None:
    # Generation only: shrinking the example found would cost far more than finding it.
    quick = settings(max_examples=3000, database=None, phases=(Phase.generate,))
    find(documents(), CORNERS[corner], settings=quick)
