"""The agency's tests of its licensing module, written with the edocstd pytest plugin:
its fixtures (a throw-away PKI, a signer, trust anchors, CRLs, a running TSA), its assertion
helpers and its hypothesis strategies."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from licensing import Application, build_licence, issue_licence

from edocstd import DocumentError, Level, Signer, TrustStore, Verifier
from edocstd.model import Identifier, Person
from edocstd.testing.assertions import (
    assert_fails_verification,
    assert_invalid,
    assert_valid,
    assert_verifies,
)
from edocstd.testing.strategies import nidns, thai_texts


def test_the_licence_for_an_application_is_a_valid_edoc(
    application: Application, issued_at: dt.datetime
) -> None:
    assert_valid(build_licence(application, number="สอ. 1/2569", issued_at=issued_at))


def test_an_issued_licence_verifies_and_says_what_was_approved(
    application: Application,
    edoc_signer: Signer,
    edoc_trust: TrustStore,
    edoc_crls: tuple[bytes, bytes],
) -> None:
    licence = issue_licence(application, edoc_signer, number="สอ. 2/2569")
    verified = assert_verifies(licence.signed_xml, Verifier(trust=edoc_trust, crls=edoc_crls))
    doc = verified.document
    assert doc.global_id == licence.global_id
    assert doc.header.id == "สอ. 2/2569"
    assert isinstance(doc.holder.party, Person)
    assert doc.holder.party.id == Identifier.nidn(application.national_id)


def test_a_wrong_national_id_is_refused_before_signing(
    application: Application, issued_at: dt.datetime, edoc_signer: Signer
) -> None:
    wrong_digit = "1" if application.national_id[-1] != "1" else "2"
    typo = dataclasses.replace(application, national_id=application.national_id[:-1] + wrong_digit)
    assert_invalid(build_licence(typo, number="สอ. 3/2569", issued_at=issued_at), "EDOC-R001")
    with pytest.raises(DocumentError) as refused:
        issue_licence(typo, edoc_signer, number="สอ. 3/2569")
    assert refused.value.report.codes == ("EDOC-R001",)


def test_a_licence_changed_after_signing_fails(
    application: Application, edoc_signer: Signer, edoc_trust: TrustStore
) -> None:
    licence = issue_licence(application, edoc_signer, number="สอ. 4/2569")
    forged = licence.signed_xml.replace(b">48<", b">480<")
    assert forged != licence.signed_xml
    assert_fails_verification(forged, edoc_trust, sub_indication="HASH_FAILURE")


def test_a_licence_signed_with_a_revoked_certificate_does_not_pass(
    application: Application,
    edoc_revoked_signer: Signer,
    edoc_trust: TrustStore,
    edoc_crls: tuple[bytes, bytes],
) -> None:
    licence = issue_licence(application, edoc_revoked_signer, number="สอ. 5/2569")
    assert_fails_verification(
        licence.signed_xml,
        Verifier(trust=edoc_trust, crls=edoc_crls),
        sub_indication="REVOKED_NO_POE",
    )


def test_with_a_tsa_the_licence_is_time_stamped(
    application: Application,
    edoc_signer: Signer,
    edoc_tsa: str,
    edoc_trust: TrustStore,
    edoc_crls: tuple[bytes, bytes],
) -> None:
    licence = issue_licence(application, edoc_signer, number="สอ. 6/2569", tsa_url=edoc_tsa)
    verified = assert_verifies(licence.signed_xml, Verifier(trust=edoc_trust, crls=edoc_crls))
    (signature,) = verified.report.signatures
    assert signature.level is Level.B_T
    assert len(signature.timestamp_times) == 1


@settings(max_examples=30, deadline=None)
@given(holder_id=nidns(), shop_name=thai_texts(max_size=60))
def test_any_citizen_and_shop_name_make_a_valid_licence(
    application: Application, issued_at: dt.datetime, holder_id: Identifier, shop_name: str
) -> None:
    other = dataclasses.replace(application, national_id=holder_id.value, shop_name_th=shop_name)
    assert_valid(build_licence(other, number="สอ. 7/2569", issued_at=issued_at))
