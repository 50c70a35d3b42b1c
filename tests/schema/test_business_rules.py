"""Business rules EDOC-R001 … R016: every rule has valid and violating cases, with exact codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from edocstd.schema._rules import RULES, check_rules
from edocstd.schema._validate import validate

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "schema"
FULL = (VECTORS / "valid-full.edoc.xml").read_text("utf-8")
PERSON = (VECTORS / "valid-minimal-person.edoc.xml").read_text("utf-8")
ORG = (VECTORS / "valid-minimal-organization.edoc.xml").read_text("utf-8")
THAI = re.compile("[\u0e00-\u0e7f]")


def edit(base: str, *pairs: tuple[str, str]) -> str:
    """``base`` with each (old, new) replaced once; ``old`` must be present."""
    for old, new in pairs:
        assert old in base, f"vector does not contain {old!r}"
        base = base.replace(old, new, 1)
    return base


def codes(text: str) -> list[str]:
    return list(validate(text).codes)


# ----------------------------------------------------------------------------- vectors


@pytest.mark.parametrize("path", sorted(VECTORS.glob("valid-*.xml")), ids=lambda p: p.name)
def test_valid_vectors_have_no_problem(path: Path) -> None:
    report = validate(path)
    assert report.valid, report.summary()
    assert report.is_edoc


@pytest.mark.parametrize("path", sorted(VECTORS.glob("invalid-*.xml")), ids=lambda p: p.name)
def test_each_violating_vector_yields_exactly_its_own_code(path: Path) -> None:
    expected = "EDOC-" + path.name.split("-")[1]
    report = validate(path)
    assert report.codes, f"{path.name} should not be valid"
    assert set(report.codes) == {expected}, report.summary()


def test_every_rule_and_structural_code_has_a_violating_vector() -> None:
    covered = {"EDOC-" + p.name.split("-")[1] for p in VECTORS.glob("invalid-*.xml")}
    wanted = {code for code, info in RULES.items() if not info.reserved} - {"EDOC-X000"}
    assert wanted <= covered


# ----------------------------------------------------------------------------- the rule table


def test_rule_table_lists_every_code_with_thai_and_english_titles() -> None:
    expected = {f"EDOC-R{n:03d}" for n in range(1, 17)} | {"EDOC-S000", "EDOC-X000"}
    assert set(RULES) == expected
    for code, info in RULES.items():
        assert info.code == code
        assert THAI.search(info.title_th), code
        assert info.title_en and not THAI.search(info.title_en), code


def test_r012_is_reserved_and_only_r012() -> None:
    assert [c for c, i in RULES.items() if i.reserved] == ["EDOC-R012"]


# ----------------------------------------------------------------------------- per rule

# (id, base, edits, expected codes). An empty tuple of codes is a valid case.
CASES: list[tuple[str, str, tuple[tuple[str, str], ...], tuple[str, ...]]] = [
    # R001 NIDN
    ("R001-ok", FULL, (), ()),
    ("R001-check-digit", FULL, (("1103702071811", "1103702071812"),), ("EDOC-R001",)),
    ("R001-twelve-digits", FULL, (("1103702071811", "110370207181"),), ("EDOC-R001",)),
    ("R001-thai-digits", FULL, (("1103702071811", "๑๑๐๓๗๐๒๐๗๑๘๑๑"),), ("EDOC-R001",)),
    ("R001-spaces", FULL, (("1103702071811", "1 1037 02071 81 1"),), ("EDOC-R001",)),
    ("R001-passport-not-checked", PERSON, (("123456789", "AB-12"),), ()),
    # R002 TXID of the holder organization
    ("R002-ok", ORG, (), ()),
    ("R002-check-digit", ORG, (("0105555123450", "0105555123451"),), ("EDOC-R002",)),
    ("R002-letters", ORG, (("0105555123450", "010555512345X"),), ("EDOC-R002",)),
    # R003 a Thai member in every group
    ("R003-th-TH-is-thai", FULL, (('languageID="th">ใบอนุญาต', 'languageID="th-TH">ใบอนุญาต'),), ()),
    (
        "R003-upper-TH-is-thai",
        FULL,
        (('languageID="th">กรมโรงงาน', 'languageID="TH">กรมโรงงาน'),),
        (),
    ),
    (
        "R003-missing",
        FULL,
        (('languageID="th">นายทะเบียน', 'languageID="lo">นายทะเบียน'),),
        ("EDOC-R003",),
    ),
    (
        "R003-note-subject",
        FULL,
        (('languageID="th">หมายเหตุ', 'languageID="my">หมายเหตุ'),),
        ("EDOC-R003",),
    ),
    (
        "R003-condition",
        FULL,
        (('languageID="th">ห้ามประกอบ', 'languageID="en">ห้ามประกอบ'),),
        ("EDOC-R003",),
    ),
    (
        "R003-attribute-not-a-group",
        FULL,
        (
            (
                '<ec:Attribute name="horsepower" languageID="en">',
                '<ec:Attribute name="horsepower" languageID="de">',
            ),
        ),
        (),
    ),
    # R004 no duplicate languages
    ("R004-duplicate", FULL, (('languageID="en">Ms', 'languageID="th">Ms'),), ("EDOC-R004",)),
    (
        "R004-case-and-subtag",
        FULL,
        (('languageID="en">Kanya', 'languageID="TH-th">Kanya'),),
        ("EDOC-R004",),
    ),
    (
        "R004-en-and-en-GB",
        FULL,
        (
            ('languageID="en">Note<', 'languageID="en-GB">Note<'),
            ('languageID="th">หมายเหตุ', 'languageID="en">หมายเหตุ'),
        ),
        ("EDOC-R003", "EDOC-R004"),
    ),
    (
        "R004-attributes-may-repeat",
        FULL,
        (
            (
                '<ec:Attribute name="horsepower" languageID="en">',
                '<ec:Attribute name="factoryCategory" languageID="en">',
            ),
        ),
        (),
    ),
    # R005 explicit offsets
    ("R005-Z-ok", PERSON, (), ()),
    ("R005-issue", FULL, (("2026-11-25T09:30:00+07:00", "2026-11-25T09:30:00"),), ("EDOC-R005",)),
    ("R005-start", FULL, (("2026-12-01T00:00:00+07:00", "2026-12-01T00:00:00"),), ("EDOC-R005",)),
    (
        "R005-end-fraction",
        FULL,
        (("2031-11-30T23:59:59+07:00", "2031-11-30T23:59:59.5"),),
        ("EDOC-R005",),
    ),
    (
        "R005-not-a-datetime-is-S000",
        FULL,
        (("2026-11-25T09:30:00+07:00", "25/11/2569"),),
        ("EDOC-S000",),
    ),
    # R006 End after Start, compared as instants
    (
        "R006-equal",
        FULL,
        (("2031-11-30T23:59:59+07:00", "2026-12-01T00:00:00+07:00"),),
        ("EDOC-R006",),
    ),
    (
        "R006-same-instant-other-offset",
        FULL,
        (("2031-11-30T23:59:59+07:00", "2026-11-30T17:00:00Z"),),
        ("EDOC-R006",),
    ),
    (
        "R006-later-instant-other-offset",
        FULL,
        (("2031-11-30T23:59:59+07:00", "2026-11-30T17:00:00.001Z"),),
        (),
    ),
    (
        "R006-before",
        FULL,
        (
            ("2031-11-30T23:59:59+07:00", "2026-12-01T00:30:00+08:00"),
            ("2026-11-25T09:30:00+07:00", "2026-11-25T09:30:00+06:00"),
        ),
        ("EDOC-R006",),
    ),
    (
        "R006-no-end-is-fine",
        FULL,
        (("    <ec:EndDateTime>2031-11-30T23:59:59+07:00</ec:EndDateTime>\n", ""),),
        (),
    ),
    # R007 not issued after the end
    (
        "R007-issue-equals-end",
        FULL,
        (("2026-11-25T09:30:00+07:00", "2031-11-30T23:59:59+07:00"),),
        (),
    ),
    (
        "R007-after",
        FULL,
        (("2026-11-25T09:30:00+07:00", "2031-11-30T17:00:00.5Z"),),
        ("EDOC-R007",),
    ),
    # R008 purpose and references
    ("R008-new-ok", PERSON, (), ()),
    (
        "R008-new-with-reference",
        FULL,
        (("<ec:PurposeCode>RENEWAL", "<ec:PurposeCode>NEW"),),
        ("EDOC-R008",),
    ),
    ("R008-wrong-relationship", FULL, (("RENEWS", "AMENDS"),), ("EDOC-R008", "EDOC-R008")),
    (
        "R008-amendment-ok",
        FULL,
        (("<ec:PurposeCode>RENEWAL", "<ec:PurposeCode>AMENDMENT"), ("RENEWS", "AMENDS")),
        (),
    ),
    (
        "R008-cancellation-ok",
        FULL,
        (("<ec:PurposeCode>RENEWAL", "<ec:PurposeCode>CANCELLATION"), ("RENEWS", "CANCELS")),
        (),
    ),
    (
        "R008-replacement-without-reference",
        PERSON,
        (("<ec:PurposeCode>NEW", "<ec:PurposeCode>REPLACEMENT"),),
        ("EDOC-R008",),
    ),
    # R009 no self reference
    ("R009-ok", FULL, (), ()),
    (
        "R009-self",
        FULL,
        (("7f1db599-be90-4154-a924-21dc47b291b3", "cb9245c3-0bc4-4fc2-85bb-4e3cd835f538"),),
        ("EDOC-R009",),
    ),
    (
        "R009-self-other-case",
        FULL,
        (("7f1db599-be90-4154-a924-21dc47b291b3", "CB9245C3-0BC4-4FC2-85BB-4E3CD835F538"),),
        ("EDOC-R009", "EDOC-R014"),
    ),
    # R010 area codes nest
    (
        "R010-district-outside-province",
        FULL,
        (("<ec:CityID>5004", "<ec:CityID>5104"),),
        ("EDOC-R010",),
    ),
    (
        "R010-subdistrict-outside-district",
        FULL,
        (("<ec:CitySubDivisionID>103702", "<ec:CitySubDivisionID>103802"),),
        ("EDOC-R010",),
    ),
    (
        "R010-subdistrict-outside-province",
        FULL,
        (
            ("      <ec:CityID>5001</ec:CityID>\n", ""),
            ("<ec:CitySubDivisionID>500105", "<ec:CitySubDivisionID>510105"),
        ),
        ("EDOC-R010",),
    ),
    ("R010-partial-codes-ok", FULL, (("      <ec:CityID>5001</ec:CityID>\n", ""),), ()),
    ("R010-bad-digits-is-S000", FULL, (("<ec:CityID>5004", "<ec:CityID>504"),), ("EDOC-S000",)),
    # R011 digest of the attachment
    (
        "R011-digest",
        FULL,
        (
            (
                "V+qmmITEi62yGqxvH5miPLn51uqLom3+EzF8WA+AyMU=",
                "sAKxFT+2xI8S0NBQXlW1h8yGoJOUMvi6jJgjk2ICMrE=",
            ),
        ),
        ("EDOC-R011",),
    ),
    ("R011-content", FULL, (("JVBERi0xLjcKJSBlZG9j", "JVBERi0xLjgKJSBlZG9j"),), ("EDOC-R011",)),
    ("R011-wrapped-base64-ok", FULL, (("JVBERi0xLjcKJSBlZG9j", "JVBERi0x\n  LjcKJSBl ZG9j"),), ()),
    (
        "R011-sha512-ok",
        FULL,
        (
            (
                'algorithm="http://www.w3.org/2001/04/xmlenc#sha256">V+qmm',
                'algorithm="http://www.w3.org/2001/04/xmlenc#sha512">V+qmm',
            ),
        ),
        ("EDOC-R011",),
    ),
    (
        "R011-unknown-algorithm-is-S000",
        FULL,
        (('xmlenc#sha256">V+qmm', 'xmldsig#sha1">V+qmm'),),
        ("EDOC-S000",),
    ),
    (
        "S000-bad-digest-base64",
        FULL,
        (
            (
                "V+qmmITEi62yGqxvH5miPLn51uqLom3+EzF8WA+AyMU=",
                "V+qmm!TEi62yGqxvH5miPLn51uqLom3+EzF8WA+AyMU=",
            ),
        ),
        ("EDOC-S000",),
    ),
    (
        "S000-padding-inside-binary",
        FULL,
        (("JVBERi0xLjcKJSBlZG9j", "Zg==JVBERi0xLjcKJSBlZG9j"),),
        ("EDOC-S000",),
    ),
    # R013 NFC and control characters
    (
        "R013-c1-reference",
        FULL,
        (("<ec:LineTwo>แขวงทุ่งพญาไท", "<ec:LineTwo>แขวงทุ่งพญาไท&#x85;"),),
        ("EDOC-R013",),
    ),
    (
        "R013-c1-raw",
        FULL,
        (("<ec:LineTwo>แขวงทุ่งพญาไท", "<ec:LineTwo>แขวงทุ่งพญาไท\u0085"),),
        ("EDOC-R013",),
    ),
    (
        "R013-c1-ascii-doc",
        PERSON.replace("หนังสือรับรอง", "x").replace("สำนักงานทดสอบ", "x").replace("จอห์น", "x"),
        (("<ec:ID>1/2569", "<ec:ID>1/2569\u009f"),),
        ("EDOC-R013",),
    ),
    ("R013-delete", FULL, (("<ec:Telephone>+66 2", "<ec:Telephone>+66\u007f2"),), ("EDOC-R013",)),
    (
        "R013-delete-reference",
        FULL,
        (("<ec:Telephone>+66 2", "<ec:Telephone>+66&#127;2"),),
        ("EDOC-R013",),
    ),
    (
        "R013-decomposed-latin",
        FULL,
        (("Mr Somchai Jaidee", "Mr Somchai Jaide\u0301e"),),
        ("EDOC-R013",),
    ),
    (
        "R013-thai-mark-order",
        FULL,
        (('<ec:GivenName languageID="th">กัญญา', '<ec:GivenName languageID="th">ก\u0e48\u0e39'),),
        ("EDOC-R013",),
    ),
    (
        "R013-thai-canonical-order-ok",
        FULL,
        (('<ec:GivenName languageID="th">กัญญา', '<ec:GivenName languageID="th">ก\u0e39\u0e48'),),
        (),
    ),
    ("R013-precomposed-ok", FULL, (("Mr Somchai Jaidee", "Mr Somchai Jaidée"),), ()),
    (
        "R013-gt-reference-then-mark",
        FULL,
        (("Mr Somchai Jaidee", "Mr Somchai &gt;\u0338"),),
        ("EDOC-R013",),
    ),
    (
        "R013-comment-is-not-text",
        FULL,
        (("<!-- A renewal", "<!-- \u0085 \u007f e\u0301 A renewal"),),
        (),
    ),
    ("R013-tab-lf-cr-ok", FULL, (("<ec:Telephone>+66 2", "<ec:Telephone>+66\t2&#13;"),), ()),
    (
        "R013-attribute",
        FULL,
        (
            (
                '<ec:Attribute name="factoryCategory">',
                '<ec:Attribute name="factoryCategory" languageID="e\u0085n">',
            ),
        ),
        ("EDOC-R013", "EDOC-S000"),
    ),
    # R014 GlobalID form
    (
        "R014-upper",
        FULL,
        (
            (
                "cb9245c3-0bc4-4fc2-85bb-4e3cd835f538</ec:GlobalID>",
                "CB9245C3-0BC4-4FC2-85BB-4E3CD835F538</ec:GlobalID>",
            ),
        ),
        ("EDOC-R014",),
    ),
    (
        "R014-no-hyphens",
        FULL,
        (("7f1db599-be90-4154-a924-21dc47b291b3", "7f1db599be904154a92421dc47b291b3"),),
        ("EDOC-R014",),
    ),
    (
        "R014-braces",
        FULL,
        (("7f1db599-be90-4154-a924-21dc47b291b3", "{7f1db599-be90-4154-a924-21dc47b291b3}"),),
        ("EDOC-R014",),
    ),
    (
        "R014-not-rfc4122-variant",
        FULL,
        (("7f1db599-be90-4154-a924-21dc47b291b3", "7f1db599-be90-4154-c924-21dc47b291b3"),),
        ("EDOC-R014",),
    ),
    (
        "R014-version-7-ok",
        FULL,
        (("7f1db599-be90-4154-a924-21dc47b291b3", "019a8c6e-7b3f-7c2d-9e4f-0a1b2c3d4e5f"),),
        (),
    ),
    # R015 https
    (
        "R015-http",
        FULL,
        (("<ec:VerificationURI>https://", "<ec:VerificationURI>http://"),),
        ("EDOC-R015",),
    ),
    (
        "R015-no-host",
        FULL,
        (
            (
                "<ec:VerificationURI>https://verify.diw.example.go.th/",
                "<ec:VerificationURI>https:///",
            ),
        ),
        ("EDOC-R015",),
    ),
    (
        "R015-relative",
        FULL,
        (("<ec:VerificationURI>https://verify.diw.example.go.th/", "<ec:VerificationURI>/"),),
        ("EDOC-R015",),
    ),
    (
        "R015-upper-scheme-ok",
        FULL,
        (("<ec:VerificationURI>https://", "<ec:VerificationURI>HTTPS://"),),
        (),
    ),
    (
        "R015-website-may-be-http",
        FULL,
        (("<ec:WebsiteURI>https://", "<ec:WebsiteURI>http://"),),
        (),
    ),
    # R016 issuer ID
    ("R016-gov-lower", FULL, (("DIW.FAC-01", "diw.fac-01"),), ("EDOC-R016",)),
    ("R016-gov-21-chars", FULL, (("DIW.FAC-01", "A" * 21),), ("EDOC-R016",)),
    ("R016-gov-20-chars-ok", FULL, (("DIW.FAC-01", "A.-0" * 5),), ()),
    ("R016-gov-thai", FULL, (("DIW.FAC-01", "กรอ"),), ("EDOC-R016",)),
    ("R016-txid-ok", PERSON, (), ()),
    ("R016-txid-check-digit", PERSON, (("0994000161514", "0994000161515"),), ("EDOC-R016",)),
    ("R016-txid-short", PERSON, (("0994000161514", "099400016151"),), ("EDOC-R016",)),
    ("R016-other-scheme-is-S000", FULL, (('schemeID="GOV"', 'schemeID="NIDN"'),), ("EDOC-S000",)),
    # S000 structure
    (
        "S000-missing-required",
        FULL,
        (("    <ec:TypeCode>LICENCE</ec:TypeCode>\n", ""),),
        ("EDOC-S000",),
    ),
    (
        "S000-unknown-element",
        FULL,
        (("<ec:Section>", "<ec:Clause>x</ec:Clause><ec:Section>"),),
        ("EDOC-S000",),
    ),
    (
        "S000-language-not-xs-language",
        FULL,
        (('languageID="en">Ms', 'languageID="e n">Ms'),),
        ("EDOC-S000",),
    ),
    (
        "S000-text-too-long",
        FULL,
        (("<ec:Section>มาตรา 12", "<ec:Section>" + "ก" * 1025),),
        ("EDOC-S000",),
    ),
    ("S000-text-1024-ok", FULL, (("<ec:Section>มาตรา 12", "<ec:Section>" + "ก" * 1024),), ()),
    ("S000-document-number-65", FULL, (("รง.4 ลำดับที่ 3-12/2569", "x" * 65),), ("EDOC-S000",)),
    ("S000-birthdate-offset", FULL, (("1985-03-14", "1985-03-14+07:00"),), ("EDOC-S000",)),
    ("S000-postcode", FULL, (("<ec:PostcodeCode>10400", "<ec:PostcodeCode>1040"),), ("EDOC-S000",)),
    ("S000-branch", ORG, (("<ec:BranchID>00000", "<ec:BranchID>0000A"),), ("EDOC-S000",)),
    ("S000-country", FULL, ((">TH</ec:CountryID>", ">THA</ec:CountryID>"),), ("EDOC-S000",)),
    (
        "S000-passport-country",
        PERSON,
        (('schemeAgencyID="GBR"', 'schemeAgencyID="GB"'),),
        ("EDOC-S000",),
    ),
    ("S000-mime", FULL, (("<ec:MimeCode>application/pdf", "<ec:MimeCode>pdf"),), ("EDOC-S000",)),
    (
        "S000-email-with-scheme",
        FULL,
        (("<ec:EmailURI>saraban", "<ec:EmailURI>mailto:saraban"),),
        ("EDOC-S000",),
    ),
    ("S000-guideline-id", FULL, ((">EDOC-CERT<", ">EDOC-INVOICE<"),), ("EDOC-S000",)),
    (
        "S000-uuid-scheme",
        FULL,
        (('<ec:GlobalID schemeID="UUID">cb92', '<ec:GlobalID schemeID="URN">cb92'),),
        ("EDOC-S000",),
    ),
    (
        "S000-holder-choice",
        FULL,
        (
            (
                "    </ec:Person>\n",
                "    </ec:Person>\n    <ec:Organization>"
                '<ec:ID schemeID="TXID">0105555123450</ec:ID>'
                '<ec:Name languageID="th">บริษัท</ec:Name></ec:Organization>\n',
            ),
        ),
        ("EDOC-S000",),
    ),
    (
        "S000-unqualified-attribute-form",
        FULL,
        (('<ec:Name languageID="th">ใบ', '<ec:Name xmlns:p="urn:x" p:languageID="th">ใบ'),),
        ("EDOC-S000", "EDOC-S000"),
    ),
]


@pytest.mark.parametrize(
    ("base", "edits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_case(
    base: str, edits: tuple[tuple[str, str], ...], expected: tuple[str, ...]
) -> None:
    report = validate(edit(base, *edits))
    assert sorted(report.codes) == sorted(expected), report.summary()


def test_every_rule_has_a_valid_and_a_violating_case() -> None:
    names = [c[0] for c in CASES]
    for n in [*range(1, 12), *range(13, 17)]:
        code = f"R{n:03d}"
        assert any(
            name.startswith(code) and c[3] == () for name, c in zip(names, CASES, strict=True)
        ), code
        assert any(f"EDOC-{code}" in c[3] for c in CASES), code


# ----------------------------------------------------------------------------- reports


def test_problem_location_is_a_path_with_indexes_and_a_line() -> None:
    report = validate(edit(FULL, ('languageID="en">Ms', 'languageID="th">Ms')))
    (problem,) = report.problems
    assert (
        problem.location.path
        == "/ec:ElectronicCertificate/ec:HolderParty/ec:Person/ec:NamePrefix[2]"
    )
    assert problem.location.line == 58


def test_issuer_id_location() -> None:
    (problem,) = validate(edit(FULL, ("DIW.FAC-01", "diw"))).problems
    assert problem.location.path == "/ec:ElectronicCertificate/ec:IssuerParty/ec:ID"
    assert problem.location.line == 30


def test_attribute_problem_location_names_the_attribute() -> None:
    report = validate(
        edit(
            FULL,
            (
                '<ec:Attribute name="factoryCategory">',
                '<ec:Attribute name="factoryCategory" languageID="e\u0085n">',
            ),
        )
    )
    (r013,) = [p for p in report.problems if p.code == "EDOC-R013"]
    assert r013.location.path.endswith("/ec:Subject/ec:Attribute[1]/@languageID")
    assert "U+0085" in r013.message_en and "U+0085" in r013.message_th


def test_messages_name_the_bad_value_in_thai_and_english() -> None:
    (problem,) = validate(edit(FULL, ("1103702071811", "1103702071812"))).problems
    for message in (problem.message_th, problem.message_en):
        assert "1103702071812" in message
    assert THAI.search(problem.message_th)
    assert "check digit" in problem.message_en


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("1103702071811", "11037<!-- c -->02071811"),
        ("0105555123450", "0105555<!-- c -->123450"),
        ("2026-11-25T09:30:00+07:00", "2026-11-25T09:30:00<!-- c -->+07:00"),
        ("https://verify", "https:<!-- c -->//verify"),
        ("DIW.FAC-01", "DIW.<!-- c -->FAC-01"),
        ("<ec:CityID>5001", "<ec:CityID>50<!-- c -->01"),
        (
            "cb9245c3-0bc4-4fc2-85bb-4e3cd835f538</ec:GlobalID>",
            "cb9245c3-0bc4-<!--c-->4fc2-85bb-4e3cd835f538</ec:GlobalID>",
        ),
    ],
)
def test_a_comment_inside_a_value_carries_no_meaning(old: str, new: str) -> None:
    base = ORG if old == "0105555123450" else FULL
    assert validate(edit(base, (old, new))).valid


def test_rules_still_run_on_a_schema_invalid_document() -> None:
    text = edit(
        FULL,
        ("<ec:TypeCode>LICENCE", "<ec:TypeCode>LICENSE"),
        ("1103702071811", "1103702071812"),
        ("<ec:VerificationURI>https://", "<ec:VerificationURI>http://"),
    )
    assert sorted(codes(text)) == ["EDOC-R001", "EDOC-R015", "EDOC-S000"]


def test_every_problem_is_listed_in_document_order() -> None:
    text = edit(
        FULL,
        ("<ec:VerificationURI>https://", "<ec:VerificationURI>http://"),
        ("DIW.FAC-01", "diw"),
        ("RENEWS", "AMENDS"),
        ("2026-12-01T00:00:00+07:00", "2026-12-01T00:00:00"),
    )
    report = validate(text)
    assert report.codes == ("EDOC-R008", "EDOC-R008", "EDOC-R016", "EDOC-R005", "EDOC-R015")
    lines = [p.location.line or 0 for p in report.problems]
    assert lines == sorted(lines)


@pytest.mark.parametrize(
    "xml",
    [
        "<ec:ElectronicCertificate xmlns:ec='urn:edocstd:data:standard:ElectronicCertificate:1'/>",
        "<ec:ElectronicCertificate xmlns:ec='urn:edocstd:data:standard:ElectronicCertificate:1'>"
        "<ec:ExchangedDocument><ec:ReferencedDocument/><ec:PurposeCode/><ec:IssueDateTime/>"
        "</ec:ExchangedDocument><ec:ValidityPeriod><ec:EndDateTime>x</ec:EndDateTime>"
        "</ec:ValidityPeriod><ec:AttachedDocument><ec:BinaryObject/><ec:Digest/>"
        "</ec:AttachedDocument><ec:HolderParty><ec:Person><ec:ID/></ec:Person>"
        "<ec:Organization><ec:ID schemeID='TXID'/></ec:Organization></ec:HolderParty>"
        "<ec:IssuerParty><ec:ID schemeID='GOV'><!-- c --></ec:ID><ec:Name/><ec:Name/>"
        "</ec:IssuerParty><ec:Subject><ec:LocationAddress><ec:CityID>1</ec:CityID>"
        "</ec:LocationAddress></ec:Subject><ec:VerificationURI/></ec:ElectronicCertificate>",
    ],
)
def test_rules_never_crash_on_unexpected_structure(xml: str) -> None:
    root = etree.fromstring(xml)
    check_rules(root)  # no exception
    report = validate(xml)
    assert "EDOC-S000" in report.codes
