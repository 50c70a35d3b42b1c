"""B-T, B-LT and B-LTA on real B-B signatures, with the real loopback services."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, XADES, XADES141
from edocstd.errors import NetworkError
from edocstd.ltv import Failure, RevocationError, TimeStampClient, TimeStampError
from edocstd.ltv._levels import (
    TimeStampKind,
    augmenter,
    embedded_validation_data,
    extend,
    validate_timestamps,
)
from edocstd.schema._parser import parse
from edocstd.sign._sign import SchemaCheck, augment, sign
from edocstd.sign._signer import Signer
from edocstd.sign._xmldsig import Cosign
from edocstd.testing.pki import Issued
from edocstd.testing.services import TestServices
from edocstd.verify import Policy, TrustStore, Verifier

DOC = (Path(__file__).parents[1] / "vectors" / "sign" / "plain-invoice.xml").read_bytes()
_SIG = f"{{{DS}}}Signature"
_USP = f".//{{{XADES}}}UnsignedSignatureProperties"


def _sign(env: TestServices, who: Issued | None = None, source: bytes = DOC, **kw: object) -> bytes:
    issued = who or env.pki.signer
    signer = Signer.from_pem(issued.key_pem, issued.cert_pem, chain_pem=env.pki.chain_pem())
    return sign(source, signer, schema=SchemaCheck.SKIP, **kw)  # type: ignore[arg-type]


def _extend(env: TestServices, signed: bytes, level: Level) -> bytes:
    return extend(signed, level, tsa=TimeStampClient(env.tsa.url), extra_certs=[env.pki.root.cert])


def _signatures(doc: bytes) -> tuple[etree._ElementTree, list[etree._Element]]:
    tree = parse(doc)
    return tree, list(tree.getroot().iterchildren(_SIG))


def _offline(
    env: TestServices, doc: bytes, at: dt.datetime | None = None
) -> tuple[str, str | None]:
    verifier = Verifier(
        trust=TrustStore.from_pem(env.pki.trust_pem()),
        policy=Policy(require_schema=False, revocation="offline"),
    )
    report = verifier.assess(doc, at=at)
    sub = report.sub_indication
    return str(report.indication), (None if sub is None else str(sub))


def test_b_t_adds_one_signature_timestamp_over_the_signature_value(env: TestServices) -> None:
    bt = _extend(env, _sign(env), Level.B_T)
    tree, (sig,) = _signatures(bt)
    usp = sig.find(_USP)
    assert usp is not None
    assert [etree.QName(p).localname for p in usp] == ["SignatureTimeStamp"]
    (result,) = validate_timestamps(tree, sig, trust_roots=[env.pki.root.cert])
    assert result.kind == TimeStampKind.SIGNATURE
    assert result.validated.tsa_certificate == env.pki.tsa.cert_der
    # Extending again to B-T keeps the one time-stamp.
    again = _extend(env, bt, Level.B_T)
    assert again == bt


def test_b_lt_verifies_offline_after_every_service_is_stopped(fresh: TestServices) -> None:
    bb = _sign(fresh)
    blt = _extend(fresh, bb, Level.B_LT)
    fresh.stop()
    assert _offline(fresh, blt)[0] == "TOTAL-PASSED"
    # The same B-B without the embedded data cannot be judged offline.
    assert _offline(fresh, bb)[0] != "TOTAL-PASSED"


def test_b_lt_embeds_chains_of_signer_and_tsa_with_revocation(env: TestServices) -> None:
    _tree, (sig,) = _signatures(_extend(env, _sign(env), Level.B_LT))
    data = embedded_validation_data(sig)
    pki = env.pki
    for issued in (pki.signer, pki.intermediate, pki.root, pki.tsa, pki.ocsp_responder):
        assert issued.cert_der in data.certificates
    assert len(data.ocsps) == 2  # signer and TSA certificates, from the delegated responder
    assert len(data.crls) == 1  # the intermediate, from the root's CRL


def test_b_lta_can_be_repeated_and_every_timestamp_validates(fresh: TestServices) -> None:
    lta = _extend(fresh, _sign(fresh), Level.B_LTA)
    lta2 = _extend(fresh, lta, Level.B_LTA)
    fresh.stop()
    tree, (sig,) = _signatures(lta2)
    usp = sig.find(_USP)
    assert usp is not None
    names = [etree.QName(p).localname for p in usp]
    assert names[0] == "SignatureTimeStamp"
    assert names.count("ArchiveTimeStamp") == 2
    assert names.index("CertificateValues") < names.index("ArchiveTimeStamp")
    results = validate_timestamps(tree, sig, trust_roots=[fresh.pki.root.cert])
    assert [r.kind for r in results].count(TimeStampKind.ARCHIVE) == 2
    assert _offline(fresh, lta2)[0] == "TOTAL-PASSED"


def test_timestamps_validate_years_later(env: TestServices) -> None:
    tree, (sig,) = _signatures(_extend(env, _sign(env), Level.B_LTA))
    later = env.pki.now + dt.timedelta(days=3650)
    results = validate_timestamps(tree, sig, trust_roots=[env.pki.root.cert], at=later)
    # The signature time-stamp is judged when the archive time-stamp proves it existed.
    assert results[0].validated_at == results[1].validated.token.gen_time
    assert results[1].validated_at == later


def test_parallel_signatures_are_both_extended_and_stay_valid(fresh: TestServices) -> None:
    first = _sign(fresh, cosign=Cosign.ALLOW)
    both = _sign(fresh, fresh.pki.signer_ec, source=first)
    lta = _extend(fresh, both, Level.B_LTA)
    fresh.stop()
    tree, sigs = _signatures(lta)
    assert len(sigs) == 2
    for sig in sigs:
        validate_timestamps(tree, sig, trust_roots=[fresh.pki.root.cert])
    assert _offline(fresh, lta)[0] == "TOTAL-PASSED"


def test_altering_data_covered_by_the_archive_timestamp_is_detected(env: TestServices) -> None:
    tree, (sig,) = _signatures(_extend(env, _sign(env), Level.B_LTA))
    cv = sig.find(f".//{{{XADES}}}CertificateValues")
    assert cv is not None
    extra = etree.SubElement(cv, f"{{{XADES}}}EncapsulatedX509Certificate")
    extra.text = base64.b64encode(env.pki.signer_ec.cert_der).decode()
    with pytest.raises(TimeStampError) as caught:
        validate_timestamps(tree, sig, trust_roots=[env.pki.root.cert])
    assert caught.value.failure is Failure.MISMATCH


def test_signature_timestamp_moved_from_another_signature_fails(env: TestServices) -> None:
    _t1, (sig_a,) = _signatures(_extend(env, _sign(env), Level.B_T))
    tree_b, (sig_b,) = _signatures(_extend(env, _sign(env, env.pki.signer_ec), Level.B_T))
    ts_a = sig_a.find(f"{_USP}/{{{XADES}}}SignatureTimeStamp")
    ts_b = sig_b.find(f"{_USP}/{{{XADES}}}SignatureTimeStamp")
    assert ts_a is not None and ts_b is not None
    ts_b.getparent().replace(ts_b, ts_a)  # type: ignore[union-attr]
    with pytest.raises(TimeStampError) as caught:
        validate_timestamps(tree_b, sig_b, trust_roots=[env.pki.root.cert])
    assert caught.value.failure is Failure.MISMATCH


def test_archive_timestamp_refuses_a_document_whose_digest_no_longer_matches(
    env: TestServices,
) -> None:
    tree = parse(_sign(env))
    tree.getroot().insert(0, etree.Element("injected"))
    modified = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    with pytest.raises(TimeStampError, match="DigestValue"):
        _extend(env, modified, Level.B_LTA)


def test_tsa_down_while_extending_raises_and_gives_no_output(fresh: TestServices) -> None:
    signed = _sign(fresh)
    fresh.tsa.stop()
    with pytest.raises(NetworkError):
        _extend(fresh, signed, Level.B_T)


def test_revocation_services_down_while_extending_to_b_lt_raises(fresh: TestServices) -> None:
    bt = _extend(fresh, _sign(fresh), Level.B_T)
    fresh.ocsp.stop()
    fresh.crl.stop()
    with pytest.raises(NetworkError):
        _extend(fresh, bt, Level.B_LT)


def test_revoked_signer_never_passes_at_b_lt(env: TestServices) -> None:
    blt = _extend(env, _sign(env, env.pki.revoked_signer), Level.B_LT)
    indication, _sub = _offline(env, blt)
    assert indication != "TOTAL-PASSED"


def test_xades141_namespace_is_used_for_archive_timestamps(env: TestServices) -> None:
    lta = _extend(env, _sign(env), Level.B_LTA)
    _tree, (sig,) = _signatures(lta)
    assert sig.find(f"{_USP}/{{{XADES141}}}ArchiveTimeStamp") is not None
    assert b"xades141:ArchiveTimeStamp" in lta


def test_augmenter_plugs_into_the_signers_augment(env: TestServices) -> None:
    run = augmenter(Level.B_T, tsa=TimeStampClient(env.tsa.url))
    tree, (sig,) = _signatures(augment(_sign(env), run))
    assert len(validate_timestamps(tree, sig, trust_roots=[env.pki.root.cert])) == 1


def test_extending_needs_a_tsa_and_a_long_term_level() -> None:
    with pytest.raises(ValueError):
        augmenter(Level.B_LT, tsa=None)
    with pytest.raises(ValueError):
        augmenter(Level.B_B, tsa=TimeStampClient("http://127.0.0.1:9/"))


def test_b_lt_without_the_trust_anchor_fails_clearly(env: TestServices) -> None:
    bt = _extend(env, _sign(env), Level.B_T)
    with pytest.raises(RevocationError, match="extra_certs"):
        extend(bt, Level.B_LT, tsa=TimeStampClient(env.tsa.url))
