"""sign(level=B-T|B-LT|B-LTA) against the real loopback TSA, OCSP responder and CRL server.

A signature made at a level directly must be what signing at B-B and then extending gives:
the same signed part, byte for byte, and the same unsigned properties in the same order.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from edocstd._inspect import _claimed_level
from edocstd._level import Level
from edocstd._ns import DS, XADES
from edocstd.errors import NetworkError, ServiceError
from edocstd.ltv import (
    HttpRequest,
    HttpResponse,
    TimeStampClient,
    UrllibClient,
    extend,
    validate_timestamps,
)
from edocstd.schema._parser import parse
from edocstd.sign._bigtext import BIG_TEXT
from edocstd.sign._sign import Cosign, SchemaCheck, complete, external_signer, prepare, sign
from edocstd.sign._sign import sign_file as sign_file_
from edocstd.sign._signer import Signer
from edocstd.testing.assertions import assert_verifies
from edocstd.testing.services import TestServices
from edocstd.verify import Policy, TrustStore, Verifier

XmlsecVerify = Callable[..., subprocess.CompletedProcess[str]]
PLAIN_XML = (Path(__file__).parent.parent / "vectors" / "sign" / "plain-invoice.xml").read_bytes()
WHEN = dt.datetime(2026, 11, 25, 9, 30, 15, tzinfo=dt.timezone(dt.timedelta(hours=7)))
LONG_TERM = [Level.B_T, Level.B_LT, Level.B_LTA]
_SIG = f"{{{DS}}}Signature"
_USP = f"{{{XADES}}}QualifyingProperties/{{{XADES}}}UnsignedProperties/{{{XADES}}}UnsignedSignatureProperties"


def _signer(env: TestServices) -> Signer:
    issued = env.pki.signer
    return Signer.from_pem(issued.key_pem, issued.cert_pem, chain_pem=env.pki.chain_pem())


def _signatures(doc: bytes) -> tuple[etree._ElementTree, list[etree._Element]]:
    tree = parse(doc)
    return tree, list(tree.getroot().iterchildren(_SIG))


def _skeleton(signature: etree._Element) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every element of the signature with its attributes, without texts (values differ from
    one time-stamp or OCSP request to the next)."""
    return [
        (str(el.tag), sorted((str(k), str(v)) for k, v in el.attrib.items()))
        for el in signature.iter()
        if isinstance(el.tag, str)
    ]


def _unsigned_names(signature: etree._Element) -> list[str]:
    usp = signature.find(f"{{{DS}}}Object/{_USP}")
    return [] if usp is None else [etree.QName(p).localname for p in usp]


def _passes_b_b(env: TestServices, doc: bytes) -> None:
    verifier = Verifier(
        trust=TrustStore.from_pem(env.pki.trust_pem()),
        policy=Policy(require_schema=False, revocation="none", min_level="B-B"),
    )
    assert_verifies(doc, verifier)


@pytest.mark.parametrize("level", LONG_TERM, ids=lambda level: level.value)
def test_signing_at_a_level_equals_signing_at_b_b_then_extending(
    services: TestServices, level: Level
) -> None:
    signer = _signer(services)
    root = [services.pki.root.cert]
    direct = sign(
        PLAIN_XML,
        signer,
        level=level,
        signing_time=WHEN,
        tsa=services.tsa.url,
        extra_certs=root,
    )
    b_b = sign(PLAIN_XML, signer, signing_time=WHEN)
    extended = extend(b_b, level, tsa=TimeStampClient(services.tsa.url), extra_certs=root)

    _, (mine,) = _signatures(direct)
    _, (theirs,) = _signatures(extended)
    assert _claimed_level(mine) is level
    assert _skeleton(mine) == _skeleton(theirs)
    # The signed part is the same bytes: same SignedInfo, same (deterministic RSA) value.
    for path in ("SignedInfo", "SignatureValue", "KeyInfo"):
        a, b = mine.find(f"{{{DS}}}{path}"), theirs.find(f"{{{DS}}}{path}")
        assert a is not None and b is not None
        assert etree.tostring(a, method="c14n") == etree.tostring(b, method="c14n")
    expected = {
        Level.B_T: ["SignatureTimeStamp"],
        Level.B_LT: ["SignatureTimeStamp", "CertificateValues", "RevocationValues"],
        Level.B_LTA: [
            "SignatureTimeStamp",
            "CertificateValues",
            "RevocationValues",
            "ArchiveTimeStamp",
        ],
    }[level]
    assert _unsigned_names(mine) == expected


@pytest.mark.parametrize("level", LONG_TERM, ids=lambda level: level.value)
def test_time_stamps_of_a_directly_signed_level_validate_and_the_b_b_part_verifies(
    services: TestServices, level: Level, xmlsec1_verify: XmlsecVerify, tmp_path: Path
) -> None:
    signed = sign(
        PLAIN_XML,
        _signer(services),
        level=level,
        tsa=services.tsa.url,
        extra_certs=[services.pki.root.cert],
    )
    tree, (sig,) = _signatures(signed)
    results = validate_timestamps(tree, sig, trust_roots=[services.pki.root.cert])
    assert len(results) == (2 if level is Level.B_LTA else 1)
    assert all(r.validated.tsa_certificate == services.pki.tsa.cert_der for r in results)
    _passes_b_b(services, signed)
    trusted = tmp_path / "root.pem"
    trusted.write_bytes(services.pki.trust_pem())
    peer = xmlsec1_verify(signed, trusted=trusted)
    assert peer.returncode == 0, peer.stderr


def test_b_lta_covers_a_document_whose_large_text_is_streamed(services: TestServices) -> None:
    # Large texts leave the tree while signing; the archive time-stamp must still hash them.
    big = b"<r><b>" + b"QUJD" * (BIG_TEXT // 4 + 10) + b"</b><c>&amp;</c></r>"
    signed = sign(
        big,
        _signer(services),
        level=Level.B_LTA,
        tsa=services.tsa.url,
        extra_certs=[services.pki.root.cert],
    )
    tree, (sig,) = _signatures(signed)
    assert tree.getroot()[0].text == big[6:-20].decode()
    kinds = [r.kind for r in validate_timestamps(tree, sig, trust_roots=[services.pki.root.cert])]
    assert kinds == ["SignatureTimeStamp", "ArchiveTimeStamp"]


def test_external_signing_at_b_t_time_stamps_on_complete(services: TestServices) -> None:
    signer = _signer(services)
    remote = external_signer(signer.certificate, signer.chain)
    prepared = prepare(PLAIN_XML, remote, level=Level.B_T, tsa=services.tsa.url)
    before = services.tsa.requests
    signed = complete(prepared, signer.key.sign(prepared.data_to_sign, prepared.algorithm))
    assert services.tsa.requests == before + 1
    tree, (sig,) = _signatures(signed)
    assert _unsigned_names(sig) == ["SignatureTimeStamp"]
    validate_timestamps(tree, sig, trust_roots=[services.pki.root.cert])
    _passes_b_b(services, signed)


def test_the_transport_given_is_used_for_time_stamps_and_revocation(
    services: TestServices,
) -> None:
    seen: list[str] = []
    real = UrllibClient()

    def counting(request: HttpRequest) -> HttpResponse:
        seen.append(request.url)
        return real(request)

    sign(
        PLAIN_XML,
        _signer(services),
        level=Level.B_LT,
        tsa=services.tsa.url,
        http=counting,
        extra_certs=[services.pki.root.cert],
    )
    assert services.tsa.url in seen
    assert any(url.startswith(services.ocsp.url) for url in seen)


def test_a_parallel_signature_at_b_t_leaves_an_earlier_b_lta_valid(services: TestServices) -> None:
    first = sign(
        PLAIN_XML,
        _signer(services),
        level=Level.B_LTA,
        cosign=Cosign.ALLOW,
        tsa=services.tsa.url,
        extra_certs=[services.pki.root.cert],
    )
    ec = services.pki.signer_ec
    second_signer = Signer.from_pem(ec.key_pem, ec.cert_pem, chain_pem=services.pki.chain_pem())
    both = sign(first, second_signer, level=Level.B_T, tsa=services.tsa.url)
    tree, (a, b) = _signatures(both)
    assert _claimed_level(a) is Level.B_LTA
    assert _claimed_level(b) is Level.B_T
    for sig in (a, b):
        validate_timestamps(tree, sig, trust_roots=[services.pki.root.cert])
    _passes_b_b(services, both)


def test_a_tsa_that_is_down_fails_signing_with_a_network_error_in_both_languages(
    fresh_services: TestServices,
) -> None:
    fresh_services.tsa.stop()
    with pytest.raises(NetworkError) as caught:
        sign(PLAIN_XML, _signer(fresh_services), level=Level.B_T, tsa=fresh_services.tsa.url)
    assert "B-T" in str(caught.value)
    assert "nothing was written" in str(caught.value)
    assert "ไม่มีการเขียนผลลัพธ์" in str(caught.value)


@pytest.mark.parametrize("level", LONG_TERM, ids=lambda level: level.value)
def test_sign_file_with_the_tsa_down_leaves_no_output_file(
    fresh_services: TestServices, level: Level, tmp_path: Path
) -> None:
    src = tmp_path / "in.xml"
    src.write_bytes(PLAIN_XML)
    out = tmp_path / "out.xml"
    fresh_services.tsa.stop()
    with pytest.raises(NetworkError):
        sign_file_(
            src,
            out,
            _signer(fresh_services),
            level=level,
            tsa=fresh_services.tsa.url,
            extra_certs=[fresh_services.pki.root.cert],
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xml"]


def test_sign_file_with_revocation_services_down_leaves_an_existing_output_alone(
    fresh_services: TestServices, tmp_path: Path
) -> None:
    src = tmp_path / "in.xml"
    src.write_bytes(PLAIN_XML)
    out = tmp_path / "out.xml"
    out.write_bytes(b"previous")
    fresh_services.ocsp.stop()
    fresh_services.crl.stop()
    tsa_requests = fresh_services.tsa.requests
    with pytest.raises(NetworkError, match="no revocation data"):
        sign_file_(
            src,
            out,
            _signer(fresh_services),
            level=Level.B_LT,
            tsa=fresh_services.tsa.url,
            extra_certs=[fresh_services.pki.root.cert],
        )
    # The time-stamp was obtained; what failed came after it, and still nothing was written.
    assert fresh_services.tsa.requests == tsa_requests + 1
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xml", "out.xml"]


def test_with_the_ocsp_responder_down_b_lt_falls_back_to_crls(
    fresh_services: TestServices,
) -> None:
    fresh_services.ocsp.stop()
    signed = sign(
        PLAIN_XML,
        _signer(fresh_services),
        level=Level.B_LT,
        tsa=fresh_services.tsa.url,
        extra_certs=[fresh_services.pki.root.cert],
    )
    _, (sig,) = _signatures(signed)
    values = sig.find(f"{{{DS}}}Object/{_USP}/{{{XADES}}}RevocationValues")
    assert values is not None
    assert [etree.QName(c).localname for c in values] == ["CRLValues"]


def test_a_b_lt_without_the_trust_anchor_is_refused_before_anything_is_written(
    services: TestServices, tmp_path: Path
) -> None:
    src = tmp_path / "in.xml"
    src.write_bytes(PLAIN_XML)
    with pytest.raises(ServiceError, match="extra_certs"):
        sign_file_(
            src, tmp_path / "out.xml", _signer(services), level=Level.B_LT, tsa=services.tsa.url
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xml"]


def test_a_refused_tsa_url_is_a_network_error_before_any_work(services: TestServices) -> None:
    with pytest.raises(NetworkError, match="only http and https"):
        sign(PLAIN_XML, _signer(services), level=Level.B_T, tsa="file:///etc/passwd")


def test_an_edoc_document_is_validated_before_a_time_stamp_is_requested(
    services: TestServices,
) -> None:
    from edocstd.errors import DocumentError
    from edocstd.testing.samples import sample_xml

    bad = sample_xml().replace(b"<ec:TypeCode>LICENCE<", b"<ec:TypeCode>NOT-A-CODE<")
    assert bad != sample_xml()
    before = services.tsa.requests
    with pytest.raises(DocumentError):
        sign(
            bad,
            _signer(services),
            level=Level.B_T,
            tsa=services.tsa.url,
            schema=SchemaCheck.REQUIRE,
        )
    assert services.tsa.requests == before


@pytest.mark.parametrize("level", LONG_TERM, ids=lambda level: level.value)
def test_a_file_signed_at_a_level_verifies_offline_once_every_service_is_stopped(
    fresh_services: TestServices, level: Level, tmp_path: Path
) -> None:
    from edocstd.testing.samples import sample_xml

    pki = fresh_services.pki
    src = tmp_path / "licence.xml"
    src.write_bytes(sample_xml())
    out = tmp_path / "signed.xml"
    sign_file_(
        src, out, _signer(fresh_services), level=level, tsa=fresh_services.tsa.url,
        extra_certs=[pki.root.cert],
    )  # fmt: skip
    fresh_services.stop()
    # B-T carries no revocation data: the relying party supplies the CRLs it holds.
    crls = [pki.crl(), pki.crl(issuer=pki.root)] if level is Level.B_T else []
    verifier = Verifier(
        trust=TrustStore.from_pem(pki.trust_pem()),
        policy=Policy(revocation="offline", min_level=level.value),
        crls=crls,
    )
    report = assert_verifies(out, verifier).report
    (sig,) = report.signatures
    assert sig.level is level
