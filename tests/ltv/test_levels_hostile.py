"""Hostile changes to the unsigned properties of a B-LTA signature: typed outcomes only, and
never a pass."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, XADES
from edocstd.ltv import LtvError, TimeStampClient, extend, validate_timestamps
from edocstd.ltv._poe import LongTermOutcome, assess_long_term
from edocstd.schema._parser import parse
from edocstd.sign._sign import SchemaCheck, sign
from edocstd.sign._signer import Signer
from edocstd.testing.services import TestServices

DOC = (Path(__file__).parents[1] / "vectors" / "sign" / "plain-invoice.xml").read_bytes()
_USP = f".//{{{XADES}}}UnsignedSignatureProperties"


@pytest.fixture(scope="module")
def lta() -> Iterator[tuple[bytes, TestServices]]:
    with TestServices.start() as services:
        pki = services.pki
        signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, chain_pem=pki.chain_pem())
        bb = sign(DOC, signer, schema=SchemaCheck.SKIP)
        doc = extend(
            bb, Level.B_LTA, tsa=TimeStampClient(services.tsa.url), extra_certs=[pki.root.cert]
        )
        yield doc, services


def _texts(tree: etree._ElementTree) -> list[etree._Element]:
    usp = tree.getroot().find(_USP)
    assert usp is not None
    return [el for el in usp.iter() if isinstance(el.tag, str) and (el.text or "").strip()]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.integers(0, 10_000),
    replacement=st.one_of(
        st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()),
        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
        st.sampled_from(["", "====", "AAAA" * 50, "\u0e01\u0e02"]),
    ),
    mode=st.sampled_from(["replace", "truncate", "append"]),
)
def test_changed_unsigned_properties_never_pass(
    lta: tuple[bytes, TestServices], which: int, replacement: str, mode: str
) -> None:
    doc, services = lta
    tree = parse(doc)
    targets = _texts(tree)
    el = targets[which % len(targets)]
    original = el.text or ""
    if mode == "replace":
        el.text = replacement
    elif mode == "truncate":
        el.text = original[: len(original) // 2]
    else:
        el.text = original + (replacement or "A")
    if "".join((el.text or "").split()) == "".join(original.split()):
        return  # whitespace inside base64 is insignificant (XML Schema base64Binary)
    (sig,) = tree.getroot().iterchildren(f"{{{DS}}}Signature")
    result = assess_long_term(tree, sig, trust_roots=[services.pki.root.cert])
    assert result.outcome is not LongTermOutcome.PASSED
    with pytest.raises(LtvError):
        validate_timestamps(tree, sig, trust_roots=[services.pki.root.cert])


def test_unchanged_document_passes(lta: tuple[bytes, TestServices]) -> None:
    doc, services = lta
    tree = parse(doc)
    (sig,) = tree.getroot().iterchildren(f"{{{DS}}}Signature")
    result = assess_long_term(tree, sig, trust_roots=[services.pki.root.cert])
    assert result.outcome is LongTermOutcome.PASSED, result.detail
