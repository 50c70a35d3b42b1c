"""Long-term validation with proof of existence: expired and revoked signers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS
from edocstd.ltv import TimeStampClient, extend
from edocstd.ltv._poe import LongTermOutcome, LongTermResult, assess_long_term
from edocstd.schema._parser import parse
from edocstd.sign._sign import SchemaCheck, sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import Issued
from edocstd.testing.services import TestServices

DOC = (Path(__file__).parents[1] / "vectors" / "sign" / "plain-invoice.xml").read_bytes()


def _signed(services: TestServices, who: Issued) -> bytes:
    signer = Signer.from_pem(who.key_pem, who.cert_pem, chain_pem=services.pki.chain_pem())
    return sign(DOC, signer, schema=SchemaCheck.SKIP)


def _extend(services: TestServices, doc: bytes, level: Level) -> bytes:
    return extend(
        doc, level, tsa=TimeStampClient(services.tsa.url), extra_certs=[services.pki.root.cert]
    )


def _assess(services: TestServices, doc: bytes, at: dt.datetime | None = None) -> LongTermResult:
    tree = parse(doc)
    (sig,) = tree.getroot().iterchildren(f"{{{DS}}}Signature")
    return assess_long_term(tree, sig, trust_roots=[services.pki.root.cert], at=at)


def test_b_lta_passes_ten_years_on_after_the_signer_certificate_expired(
    fresh: TestServices,
) -> None:
    lta = _extend(fresh, _signed(fresh, fresh.pki.signer), Level.B_LTA)
    fresh.stop()
    ten_years = fresh.pki.now + dt.timedelta(days=3652)
    assert fresh.pki.signer.cert.not_valid_after_utc < ten_years
    result = _assess(fresh, lta, at=ten_years)
    assert result.outcome is LongTermOutcome.PASSED, result.detail
    assert abs(result.best_signature_time - fresh.pki.now) < dt.timedelta(hours=1)
    assert len(result.timestamps) == 2


def test_revoked_before_the_timestamp_is_revoked(env: TestServices) -> None:
    blt = _extend(env, _signed(env, env.pki.revoked_signer), Level.B_LT)
    result = _assess(env, blt)
    assert result.outcome is LongTermOutcome.REVOKED


def test_timestamped_before_the_revocation_still_passes_at_b_lt(fresh: TestServices) -> None:
    bt = _extend(fresh, _signed(fresh, fresh.pki.signer_ec), Level.B_T)
    fresh.revoke(fresh.pki.signer_ec.cert, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2))
    blt = _extend(fresh, bt, Level.B_LT)
    fresh.stop()
    result = _assess(fresh, blt, at=fresh.pki.now + dt.timedelta(days=30))
    assert result.outcome is LongTermOutcome.PASSED, result.detail
    signer_status = result.chain[0].status
    assert signer_status is not None and signer_status.revocation_time is not None
    assert signer_status.revocation_time > result.best_signature_time


def test_revoked_without_any_timestamp_has_no_poe(env: TestServices) -> None:
    from edocstd.ltv import fetch_ocsp
    from edocstd.ltv._levels import ValidationData

    bb = _signed(env, env.pki.revoked_signer)
    status = fetch_ocsp(env.pki.revoked_signer.cert, env.pki.intermediate.cert)
    tree = parse(bb)
    (sig,) = tree.getroot().iterchildren(f"{{{DS}}}Signature")
    result = assess_long_term(
        tree,
        sig,
        trust_roots=[env.pki.root.cert],
        extra=ValidationData(ocsps=(status.der,)),
    )
    assert result.outcome is LongTermOutcome.REVOKED_NO_POE


def test_missing_revocation_data_is_reported_not_passed(env: TestServices) -> None:
    bt = _extend(env, _signed(env, env.pki.signer), Level.B_T)
    assert _assess(env, bt).outcome is LongTermOutcome.NO_REVOCATION_DATA


def test_tampered_timestamp_is_a_timestamp_failure(env: TestServices) -> None:
    lta = _extend(env, _signed(env, env.pki.signer), Level.B_LTA)
    tree = parse(lta)
    enc = tree.getroot().find(".//{http://uri.etsi.org/01903/v1.3.2#}EncapsulatedTimeStamp")
    assert enc is not None and enc.text is not None
    enc.text = enc.text[:-8] + "AAAAAAA="
    result = _assess(env, etree.tostring(tree))
    assert result.outcome is LongTermOutcome.TIMESTAMP_FAILURE
