"""The shape and behaviour of signatures made by edocstd.sign (EDOC-1.0 §4.1–4.3)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import sys
from pathlib import Path

import pytest
from asn1crypto.tsp import IssuerSerial
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree

from edocstd._level import Level
from edocstd._ns import DS, XADES, XPATH_FILTER2
from edocstd.errors import InputError, PolicyError, SigningError, XMLInputError
from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm, Transform
from edocstd.sign._c14n import c14n as canonical
from edocstd.sign._c14n import digest_tree
from edocstd.sign._sign import (
    Commitment,
    Cosign,
    SchemaCheck,
    complete,
    external_signer,
    prepare,
    sign,
    sign_file,
)
from edocstd.sign._signer import Signer, verify_signature_value
from edocstd.testing.pki import TestPKI

PLAIN_XML = (Path(__file__).parent.parent / "vectors" / "sign" / "plain-invoice.xml").read_bytes()

NS = {"ds": DS, "xades": XADES, "f2": XPATH_FILTER2}
WHEN = dt.datetime(2026, 11, 25, 9, 30, 15, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _root(signed: bytes) -> etree._Element:
    return etree.fromstring(signed)


def _one(node: etree._Element, path: str) -> etree._Element:
    found = node.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, path
    el = found[0]
    assert isinstance(el, etree._Element)
    return el


def _check_value(signed: bytes, signer: Signer, index: int = 0) -> None:
    """The SignatureValue verifies over the in-context canonical SignedInfo."""
    root = _root(signed)
    sig = root.findall(f"{{{DS}}}Signature")[index]
    si = sig.find(f"{{{DS}}}SignedInfo")
    assert si is not None
    method = C14N(_one(si, "ds:CanonicalizationMethod").get("Algorithm"))
    alg = SignatureAlgorithm(_one(si, "ds:SignatureMethod").get("Algorithm"))
    value = base64.b64decode(_one(sig, "ds:SignatureValue").text or "")
    assert verify_signature_value(signer.public_key, alg, canonical(si, method), value)


def test_a_b_b_signature_has_exactly_the_profile_shape(rsa_signer: Signer) -> None:
    signed = sign(PLAIN_XML, rsa_signer, signing_time=WHEN)
    root = _root(signed)
    sig = root[-1]
    assert sig.tag == f"{{{DS}}}Signature"
    sig_id = sig.get("Id")
    assert sig_id
    assert [c.tag.split("}")[1] for c in sig] == [
        "SignedInfo",
        "SignatureValue",
        "KeyInfo",
        "Object",
    ]
    refs = sig.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    assert len(refs) == 2
    doc_ref, props_ref = refs
    assert doc_ref.get("URI") == ""
    assert [
        t.get("Algorithm") for t in doc_ref.iterfind(f"{{{DS}}}Transforms/{{{DS}}}Transform")
    ] == [
        Transform.ENVELOPED.value,
        C14N.EXC.value,
    ]
    props = _one(sig, "ds:Object/xades:QualifyingProperties/xades:SignedProperties")
    assert props_ref.get("URI") == "#" + props.get("Id", "")
    assert props_ref.get("Type") == "http://uri.etsi.org/01903#SignedProperties"
    assert _one(sig, "ds:Object/xades:QualifyingProperties").get("Target") == f"#{sig_id}"
    dof = _one(props, "xades:SignedDataObjectProperties/xades:DataObjectFormat")
    assert dof.get("ObjectReference") == "#" + doc_ref.get("Id", "")
    assert _one(dof, "xades:MimeType").text == "text/xml"
    assert _one(sig, "ds:SignedInfo/ds:SignatureMethod").get("Algorithm") == (
        SignatureAlgorithm.RSA_SHA256.value
    )
    _check_value(signed, rsa_signer)


def test_key_info_carries_the_signing_certificate_first_then_the_chain(
    rsa_signer: Signer, pki: TestPKI
) -> None:
    sig = _root(sign(PLAIN_XML, rsa_signer))[-1]
    certs = [
        base64.b64decode(c.text or "")
        for c in sig.iterfind(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    ]
    assert certs == [pki.signer.cert_der, pki.intermediate.cert_der]
    assert sig.find(f"{{{DS}}}KeyInfo/{{{DS}}}KeyValue") is None


def test_the_document_digest_covers_the_document_without_the_signature(
    rsa_signer: Signer,
) -> None:
    signed = sign(PLAIN_XML, rsa_signer, digest=DigestAlgorithm.SHA384)
    expected = digest_tree(
        etree.ElementTree(etree.fromstring(PLAIN_XML)), C14N.EXC, DigestAlgorithm.SHA384
    )
    sig = _root(signed)[-1]
    ref = _one(sig, "ds:SignedInfo/ds:Reference[@URI='']")
    assert _one(ref, "ds:DigestMethod").get("Algorithm") == DigestAlgorithm.SHA384.value
    assert base64.b64decode(_one(ref, "ds:DigestValue").text or "") == expected


def test_the_signed_properties_digest_is_over_their_canonical_form_in_context(
    rsa_signer: Signer,
) -> None:
    for method in (C14N.EXC, C14N.C14N, C14N.C14N11):
        signed = sign(PLAIN_XML, rsa_signer, c14n=method)
        sig = _root(signed)[-1]
        props = _one(sig, "ds:Object/xades:QualifyingProperties/xades:SignedProperties")
        ref = _one(sig, "ds:SignedInfo/ds:Reference[@Type]")
        assert (
            base64.b64decode(_one(ref, "ds:DigestValue").text or "")
            == hashlib.sha256(canonical(props, method)).digest()
        )
        _check_value(signed, rsa_signer)


def test_signing_time_keeps_its_offset_and_drops_fractions(rsa_signer: Signer) -> None:
    sig = _root(sign(PLAIN_XML, rsa_signer, signing_time=WHEN.replace(microsecond=5)))[-1]
    assert _one(sig, ".//xades:SigningTime").text == "2026-11-25T09:30:15+07:00"
    utc = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    sig = _root(sign(PLAIN_XML, rsa_signer, signing_time=utc))[-1]
    assert _one(sig, ".//xades:SigningTime").text == "2026-01-02T03:04:05Z"


def test_signing_time_defaults_to_now(rsa_signer: Signer) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    sig = _root(sign(PLAIN_XML, rsa_signer))[-1]
    stamped = dt.datetime.fromisoformat(_one(sig, ".//xades:SigningTime").text or "")
    assert before <= stamped <= dt.datetime.now(dt.UTC)


def test_a_naive_signing_time_is_refused(rsa_signer: Signer) -> None:
    with pytest.raises(PolicyError, match="UTC offset"):
        sign(PLAIN_XML, rsa_signer, signing_time=dt.datetime(2026, 1, 1))


def test_signing_certificate_v2_names_the_signer_certificate(
    rsa_signer: Signer, pki: TestPKI
) -> None:
    sig = _root(sign(PLAIN_XML, rsa_signer, digest=DigestAlgorithm.SHA512))[-1]
    cert = _one(sig, ".//xades:SigningCertificateV2/xades:Cert")
    assert _one(cert, "xades:CertDigest/ds:DigestMethod").get("Algorithm") == (
        DigestAlgorithm.SHA512.value
    )
    assert base64.b64decode(_one(cert, "xades:CertDigest/ds:DigestValue").text or "") == (
        pki.signer.cert.fingerprint(hashes.SHA512())
    )
    issuer_serial = IssuerSerial.load(
        base64.b64decode(_one(cert, "xades:IssuerSerialV2").text or "")
    )
    assert issuer_serial["serial_number"].native == pki.signer.cert.serial_number
    [general_name] = issuer_serial["issuer"]
    assert general_name.name == "directory_name"
    assert general_name.chosen.untag().dump() == pki.signer.cert.issuer.public_bytes()


def test_roles_and_commitment_are_written_when_asked(rsa_signer: Signer) -> None:
    sig = _root(
        sign(
            PLAIN_XML,
            rsa_signer,
            roles=("นายทะเบียน", "Registrar"),
            commitment=Commitment.PROOF_OF_ORIGIN,
        )
    )[-1]
    roles = sig.xpath(
        ".//xades:SignerRoleV2/xades:ClaimedRoles/xades:ClaimedRole/text()", namespaces=NS
    )
    assert roles == ["นายทะเบียน", "Registrar"]
    ident = _one(sig, ".//xades:CommitmentTypeIndication/xades:CommitmentTypeId/xades:Identifier")
    assert ident.text == "http://uri.etsi.org/01903/v1.2.2#ProofOfOrigin"
    assert sig.find(f".//{{{XADES}}}AllSignedDataObjects") is not None


def test_without_roles_or_commitment_none_are_written(rsa_signer: Signer) -> None:
    sig = _root(sign(PLAIN_XML, rsa_signer))[-1]
    assert sig.find(f".//{{{XADES}}}SignerRoleV2") is None
    assert sig.find(f".//{{{XADES}}}CommitmentTypeIndication") is None


@pytest.mark.parametrize("roles", [("",), ("  ",), "Registrar"])
def test_empty_roles_or_a_bare_string_are_refused(rsa_signer: Signer, roles: object) -> None:
    with pytest.raises(PolicyError):
        sign(PLAIN_XML, rsa_signer, roles=roles)  # type: ignore[arg-type]


def test_a_role_xml_cannot_carry_is_refused(rsa_signer: Signer) -> None:
    with pytest.raises(PolicyError, match="cannot be written in XML"):
        sign(PLAIN_XML, rsa_signer, roles=("bad\x01role",))


def test_plain_xmldsig_has_no_xades_and_one_reference(rsa_signer: Signer) -> None:
    signed = sign(PLAIN_XML, rsa_signer, level=Level.XMLDSIG)
    sig = _root(signed)[-1]
    assert len(sig.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")) == 1
    assert sig.find(f"{{{DS}}}Object") is None
    _check_value(signed, rsa_signer)
    with pytest.raises(PolicyError, match="need XAdES"):
        sign(PLAIN_XML, rsa_signer, level=Level.XMLDSIG, commitment=Commitment.PROOF_OF_APPROVAL)


@pytest.mark.parametrize("level", [Level.B_T, Level.B_LT, Level.B_LTA])
def test_levels_above_b_b_need_a_time_stamping_authority(rsa_signer: Signer, level: Level) -> None:
    with pytest.raises(PolicyError, match="needs a time-stamping authority"):
        sign(PLAIN_XML, rsa_signer, level=level)


@pytest.mark.parametrize("level", [Level.B_B, Level.XMLDSIG])
def test_a_time_stamping_authority_without_a_time_stamped_level_is_refused(
    rsa_signer: Signer, level: Level
) -> None:
    with pytest.raises(PolicyError, match="carries no time-stamp"):
        sign(PLAIN_XML, rsa_signer, level=level, tsa="http://127.0.0.1:9/tsa")


@pytest.mark.parametrize(
    "method", [C14N.EXC_WITH_COMMENTS, C14N.C14N_WITH_COMMENTS, C14N.C14N11_WITH_COMMENTS]
)
def test_canonicalization_with_comments_is_not_produced(rsa_signer: Signer, method: C14N) -> None:
    with pytest.raises(PolicyError):
        sign(PLAIN_XML, rsa_signer, c14n=method)


@pytest.mark.parametrize(
    "digest", [DigestAlgorithm.SHA1, DigestAlgorithm.MD5, DigestAlgorithm.SHA224]
)
def test_weak_or_unlisted_digests_are_not_produced(
    rsa_signer: Signer, digest: DigestAlgorithm
) -> None:
    with pytest.raises(PolicyError):
        sign(PLAIN_XML, rsa_signer, digest=digest)


@pytest.mark.parametrize(
    "algorithm",
    [SignatureAlgorithm.RSA_SHA1, SignatureAlgorithm.HMAC_SHA256, SignatureAlgorithm.ECDSA_SHA256],
)
def test_legacy_hmac_and_mismatched_methods_are_refused(
    rsa_signer: Signer, algorithm: SignatureAlgorithm
) -> None:
    with pytest.raises(PolicyError):
        sign(PLAIN_XML, rsa_signer, algorithm=algorithm)


@pytest.mark.parametrize(
    ("fixture", "algorithm"),
    [
        ("rsa_signer", SignatureAlgorithm.RSA_SHA384),
        ("rsa_signer", SignatureAlgorithm.RSA_SHA512),
        ("rsa_signer", SignatureAlgorithm.RSA_PSS_SHA256),
        ("rsa_signer", SignatureAlgorithm.RSA_PSS_SHA512),
        ("ec_signer", SignatureAlgorithm.ECDSA_SHA256),
        ("ec_signer", SignatureAlgorithm.ECDSA_SHA512),
        ("ed_signer", SignatureAlgorithm.ED25519),
    ],
)
def test_every_algorithm_gives_a_value_that_verifies(
    request: pytest.FixtureRequest, fixture: str, algorithm: SignatureAlgorithm
) -> None:
    signer: Signer = request.getfixturevalue(fixture)
    signed = sign(PLAIN_XML, signer, algorithm=algorithm)
    assert _one(_root(signed)[-1], "ds:SignedInfo/ds:SignatureMethod").get("Algorithm") == (
        algorithm.value
    )
    _check_value(signed, signer)


def test_content_outside_the_signature_is_unchanged(rsa_signer: Signer) -> None:
    signed = sign(PLAIN_XML, rsa_signer)
    root = _root(signed)
    root.remove(root[-1])
    original = etree.fromstring(PLAIN_XML)
    assert etree.tostring(root, method="c14n") == etree.tostring(original, method="c14n")
    assert b"<!-- before the root -->" in signed


@pytest.mark.parametrize("source_kind", ["bytes", "str", "path", "file"])
def test_every_kind_of_source_is_accepted(
    rsa_signer: Signer, tmp_path: Path, source_kind: str
) -> None:
    path = tmp_path / "in.xml"
    path.write_bytes(PLAIN_XML)
    if source_kind == "bytes":
        signed = sign(PLAIN_XML, rsa_signer, signing_time=WHEN)
    elif source_kind == "str":
        signed = sign(PLAIN_XML.decode("utf-8"), rsa_signer, signing_time=WHEN)
    elif source_kind == "path":
        signed = sign(path, rsa_signer, signing_time=WHEN)
    else:
        with open(path, "rb") as fh:
            signed = sign(fh, rsa_signer, signing_time=WHEN)
    assert signed == sign(PLAIN_XML, rsa_signer, signing_time=WHEN)


@pytest.mark.parametrize(
    "bad",
    [b"", b"<a>", b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', b"<a><?pi x?></a>"],
)
def test_input_the_hardened_reader_refuses_is_not_signed(rsa_signer: Signer, bad: bytes) -> None:
    with pytest.raises(XMLInputError):
        sign(bad, rsa_signer)


def test_a_bare_signature_document_is_refused(rsa_signer: Signer) -> None:
    with pytest.raises(InputError, match="nothing to envelop"):
        sign(f'<ds:Signature xmlns:ds="{DS}"/>'.encode(), rsa_signer)


def test_signatures_are_deterministic_for_the_same_time_and_differ_otherwise(
    rsa_signer: Signer,
) -> None:
    a = sign(PLAIN_XML, rsa_signer, signing_time=WHEN)
    assert a == sign(PLAIN_XML, rsa_signer, signing_time=WHEN)
    b = sign(PLAIN_XML, rsa_signer, signing_time=WHEN + dt.timedelta(seconds=1))
    assert _root(a)[-1].get("Id") != _root(b)[-1].get("Id")


# --- inclusive canonicalization and inherited xml:* attributes -----------------------------------


@pytest.mark.parametrize("method", [C14N.C14N, C14N.C14N11])
def test_inclusive_c14n_of_signed_info_inherits_the_root_xml_attributes(
    rsa_signer: Signer, method: C14N
) -> None:
    doc = b'<a xml:lang="th" xml:space="preserve"><b/></a>'
    prepared = prepare(doc, rsa_signer, c14n=method)
    head = prepared.data_to_sign.split(b">", 1)[0]
    assert b'xml:lang="th"' in head
    assert b'xml:space="preserve"' in head
    # ... and only for the duration: the signature itself carries no such attribute.
    signed = complete(prepared, rsa_signer.key.sign(prepared.data_to_sign, prepared.algorithm))
    assert b"xml:lang" not in signed.split(b"<ds:Signature", 1)[1]


# --- parallel signatures -------------------------------------------------------------------------


def _has_subtract(sig: etree._Element) -> bool:
    xp = sig.find(f".//{{{XPATH_FILTER2}}}XPath")
    return (
        xp is not None and xp.get("Filter") == "subtract" and xp.text == "/descendant::ds:Signature"
    )


def test_by_default_a_single_signature_has_no_filter(rsa_signer: Signer) -> None:
    sig = _root(sign(PLAIN_XML, rsa_signer))[-1]
    assert not _has_subtract(sig)


def test_cosign_allow_adds_the_subtract_filter_before_the_c14n_transform(
    rsa_signer: Signer,
) -> None:
    sig = _root(sign(PLAIN_XML, rsa_signer, cosign=Cosign.ALLOW))[-1]
    assert _has_subtract(sig)
    algs = sig.xpath(
        "ds:SignedInfo/ds:Reference[@URI='']/ds:Transforms/ds:Transform/@Algorithm", namespaces=NS
    )
    assert algs == [Transform.ENVELOPED.value, Transform.XPATH_FILTER2.value, C14N.EXC.value]


def test_a_second_signer_joins_a_document_that_allows_cosigning(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    first = sign(PLAIN_XML, rsa_signer, cosign=Cosign.ALLOW)
    both = sign(first, ec_signer, c14n=C14N.C14N)
    sigs = _root(both).findall(f"{{{DS}}}Signature")
    assert len(sigs) == 2
    assert all(_has_subtract(s) for s in sigs)
    assert sigs[0].get("Id") != sigs[1].get("Id")
    # The first signature and the document digest of the second are untouched by the addition.
    assert etree.tostring(sigs[0]) == etree.tostring(_root(first)[-1])
    doc_digests = {_one(s, "ds:SignedInfo/ds:Reference[@URI='']/ds:DigestValue").text for s in sigs}
    assert len(doc_digests) == 2  # different c14n, same content
    _check_value(both, rsa_signer, 0)
    _check_value(both, ec_signer, 1)


def test_the_same_signer_can_cosign_twice_at_the_same_second_with_distinct_ids(
    rsa_signer: Signer,
) -> None:
    once = sign(PLAIN_XML, rsa_signer, cosign=Cosign.ALLOW, signing_time=WHEN)
    twice = sign(once, rsa_signer, signing_time=WHEN)
    ids = [s.get("Id") for s in _root(twice).findall(f"{{{DS}}}Signature")]
    assert len(set(ids)) == 2


def test_adding_a_signature_next_to_one_without_the_filter_is_refused(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    sealed = sign(PLAIN_XML, rsa_signer)
    with pytest.raises(SigningError, match="would invalidate it"):
        sign(sealed, ec_signer)
    with pytest.raises(SigningError, match="would invalidate it"):
        sign(sealed, ec_signer, cosign=Cosign.ALLOW)


def test_forbid_on_an_already_signed_document_is_refused(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    open_doc = sign(PLAIN_XML, rsa_signer, cosign=Cosign.ALLOW)
    with pytest.raises(PolicyError, match="already signed"):
        sign(open_doc, ec_signer, cosign=Cosign.FORBID)


def test_a_signature_whose_filter_names_other_elements_does_not_count_as_cosignable(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    doc = sign(PLAIN_XML, rsa_signer, cosign=Cosign.ALLOW)
    tampered = doc.replace(b"/descendant::ds:Signature", b"/descendant::ds:Object")
    with pytest.raises(SigningError):
        sign(tampered, ec_signer)


# --- external signing ----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["rsa_signer", "ed_signer"])
def test_prepare_and_complete_give_the_same_bytes_as_direct_signing(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    signer: Signer = request.getfixturevalue(fixture)
    direct = sign(PLAIN_XML, signer, signing_time=WHEN, commitment=Commitment.PROOF_OF_ORIGIN)
    remote = external_signer(signer.certificate, signer.chain)
    prepared = prepare(PLAIN_XML, remote, signing_time=WHEN, commitment=Commitment.PROOF_OF_ORIGIN)
    value = signer.key.sign(prepared.data_to_sign, prepared.algorithm)
    assert complete(prepared, value) == direct


def test_digest_to_sign_is_the_hash_of_the_canonical_signed_info(rsa_signer: Signer) -> None:
    prepared = prepare(PLAIN_XML, rsa_signer)
    assert prepared.digest_to_sign() == hashlib.sha256(prepared.data_to_sign).digest()
    assert prepared.data_to_sign.startswith(b"<ds:SignedInfo")


def test_complete_refuses_a_value_that_does_not_verify(rsa_signer: Signer, pki: TestPKI) -> None:
    prepared = prepare(PLAIN_XML, rsa_signer)
    with pytest.raises(SigningError, match="does not verify"):
        complete(prepared, b"\x00" * 256)
    other = Signer.from_pem(pki.revoked_signer.key_pem, pki.revoked_signer.cert_pem)
    with pytest.raises(SigningError, match="does not verify"):
        complete(prepared, other.key.sign(prepared.data_to_sign, prepared.algorithm))


def test_an_external_signer_cannot_sign_directly(rsa_signer: Signer) -> None:
    with pytest.raises(SigningError, match="prepare"):
        sign(PLAIN_XML, external_signer(rsa_signer.certificate))


class _LyingKey:
    """A broken signing device: it signs with a key other than the certificate's."""

    def __init__(self, signer: Signer) -> None:
        self._other = signer

    def sign(self, data: bytes, algorithm: SignatureAlgorithm) -> bytes:
        return self._other.key.sign(data, algorithm)


def test_a_key_that_does_not_match_its_certificate_never_yields_output(
    pki: TestPKI, rsa_signer: Signer
) -> None:
    wrong = Signer.from_pem(pki.revoked_signer.key_pem, pki.revoked_signer.cert_pem)
    signer = Signer.from_key(_LyingKey(wrong), rsa_signer.certificate)
    with pytest.raises(SigningError, match="does not verify"):
        sign(PLAIN_XML, signer)


class _FailingKey:
    def sign(self, data: bytes, algorithm: SignatureAlgorithm) -> bytes:
        raise RuntimeError("device unplugged")


def test_a_key_failure_becomes_a_signing_error(rsa_signer: Signer) -> None:
    signer = Signer.from_key(_FailingKey(), rsa_signer.certificate)
    with pytest.raises(SigningError, match="device unplugged"):
        sign(PLAIN_XML, signer)


# --- sign_file -----------------------------------------------------------------------------------


def test_sign_file_writes_the_same_bytes_as_sign(rsa_signer: Signer, tmp_path: Path) -> None:
    src = tmp_path / "in.xml"
    out = tmp_path / "out.xml"
    src.write_bytes(PLAIN_XML)
    sign_file(src, out, rsa_signer, signing_time=WHEN)
    assert out.read_bytes() == sign(PLAIN_XML, rsa_signer, signing_time=WHEN)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xml", "out.xml"]


def test_sign_file_can_sign_in_place_and_accepts_str_paths(
    rsa_signer: Signer, tmp_path: Path
) -> None:
    src = tmp_path / "doc.xml"
    src.write_bytes(PLAIN_XML)
    sign_file(str(src), str(src), rsa_signer, signing_time=WHEN)
    assert src.read_bytes() == sign(PLAIN_XML, rsa_signer, signing_time=WHEN)


def test_sign_file_leaves_no_output_when_signing_fails(rsa_signer: Signer, tmp_path: Path) -> None:
    src = tmp_path / "in.xml"
    out = tmp_path / "out.xml"
    src.write_bytes(PLAIN_XML)
    signer = Signer.from_key(_FailingKey(), rsa_signer.certificate)
    with pytest.raises(SigningError):
        sign_file(src, out, signer)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xml"]


def test_sign_file_keeps_an_existing_output_when_writing_fails(
    rsa_signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "in.xml"
    out = tmp_path / "out.xml"
    src.write_bytes(PLAIN_XML)
    out.write_bytes(b"previous")

    def disk_full(prepared: object, fh: object) -> None:
        fh.write(b"<partial")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sys.modules["edocstd.sign._sign"], "_write_tree", disk_full)
    with pytest.raises(SigningError, match="No space left"):
        sign_file(src, out, rsa_signer)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xml", "out.xml"]


def test_sign_file_keeps_the_mode_of_an_existing_output(rsa_signer: Signer, tmp_path: Path) -> None:
    src = tmp_path / "in.xml"
    out = tmp_path / "out.xml"
    src.write_bytes(PLAIN_XML)
    out.write_bytes(b"old")
    os.chmod(out, 0o640)
    sign_file(src, out, rsa_signer)
    assert (out.stat().st_mode & 0o777) == 0o640


def test_sign_file_reports_an_unwritable_directory(rsa_signer: Signer, tmp_path: Path) -> None:
    src = tmp_path / "in.xml"
    src.write_bytes(PLAIN_XML)
    with pytest.raises(InputError):
        sign_file(src, tmp_path / "missing-dir" / "out.xml", rsa_signer)


# --- EDOC documents ------------------------------------------------------------------------------


def _edoc() -> bytes:
    from edocstd.testing.samples import sample_xml

    return sample_xml()


def test_a_valid_edoc_document_is_signed(rsa_signer: Signer) -> None:
    pytest.importorskip("edocstd.schema._validate")
    signed = sign(_edoc(), rsa_signer)
    assert _root(signed)[-1].tag == f"{{{DS}}}Signature"
    _check_value(signed, rsa_signer)


def test_an_invalid_edoc_document_is_refused_unless_the_check_is_skipped(
    rsa_signer: Signer,
) -> None:
    pytest.importorskip("edocstd.schema._validate")
    from edocstd.errors import DocumentError

    bad = _edoc().replace(b"<ec:TypeCode>LICENCE<", b"<ec:TypeCode>NOT-A-CODE<")
    assert bad != _edoc()
    with pytest.raises(DocumentError) as info:
        sign(bad, rsa_signer)
    assert not info.value.report.valid
    assert sign(bad, rsa_signer, schema=SchemaCheck.SKIP)


def test_serialised_output_is_utf8_with_a_declaration(rsa_signer: Signer) -> None:
    utf16 = (
        PLAIN_XML.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    )
    signed = sign(utf16, rsa_signer, signing_time=WHEN)
    assert signed.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "ทดสอบ".encode() in signed
    assert serialization  # imported for key handling in other tests


def test_external_signing_is_byte_identical_for_a_document_with_a_large_text(
    rsa_signer: Signer,
) -> None:
    from edocstd.sign._bigtext import BIG_TEXT

    big = b"<r><b>" + b"QUJD" * (BIG_TEXT // 4 + 10) + b"</b><c>&amp;</c></r>"
    direct = sign(big, rsa_signer, signing_time=WHEN)
    remote = external_signer(rsa_signer.certificate, rsa_signer.chain)
    prepared = prepare(big, remote, signing_time=WHEN)
    assert complete(prepared, rsa_signer.key.sign(prepared.data_to_sign, prepared.algorithm)) == (
        direct
    )
    assert etree.fromstring(direct)[0].text == big[6:-20].decode()


# --- augmentation (the frame B-T / B-LT / B-LTA plug into) ---------------------------------------


def _add_certificate_values(tree: etree._ElementTree, signature: etree._Element) -> None:
    from edocstd.sign._xades import unsigned_signature_properties

    container = unsigned_signature_properties(signature)
    etree.SubElement(container, f"{{{XADES}}}CertificateValues")


def test_augment_appends_unsigned_properties_without_touching_what_is_signed(
    rsa_signer: Signer,
) -> None:
    from edocstd.sign._sign import augment

    signed = sign(PLAIN_XML, rsa_signer, signing_time=WHEN)
    extended = augment(signed, _add_certificate_values)
    sig = _root(extended)[-1]
    qp = _one(sig, "ds:Object/xades:QualifyingProperties")
    assert [c.tag.split("}")[1] for c in qp] == ["SignedProperties", "UnsignedProperties"]
    assert (
        _one(
            qp, "xades:UnsignedProperties/xades:UnsignedSignatureProperties/xades:CertificateValues"
        )
        is not None
    )
    before = _root(signed)[-1]
    for path in (
        "ds:SignedInfo",
        "ds:SignatureValue",
        "ds:Object/xades:QualifyingProperties/xades:SignedProperties",
    ):
        assert etree.tostring(_one(sig, path), method="c14n") == etree.tostring(
            _one(before, path), method="c14n"
        )
    _check_value(extended, rsa_signer)
    # A second extension reuses the same container.
    again = augment(extended, _add_certificate_values)
    assert len(_root(again)[-1].findall(f".//{{{XADES}}}UnsignedSignatureProperties")) == 1
    assert len(_root(again)[-1].findall(f".//{{{XADES}}}CertificateValues")) == 2


def test_augment_picks_signatures_by_id_and_refuses_unknown_ids(
    rsa_signer: Signer, ec_signer: Signer
) -> None:
    from edocstd.sign._sign import augment

    both = sign(sign(PLAIN_XML, rsa_signer, cosign=Cosign.ALLOW), ec_signer)
    _first, second = _root(both).findall(f"{{{DS}}}Signature")
    out = _root(augment(both, _add_certificate_values, signature_ids=[second.get("Id", "")]))
    sigs = out.findall(f"{{{DS}}}Signature")
    assert sigs[0].find(f".//{{{XADES}}}CertificateValues") is None
    assert sigs[1].find(f".//{{{XADES}}}CertificateValues") is not None
    with pytest.raises(InputError, match="no signature with Id"):
        augment(both, _add_certificate_values, signature_ids=["id-nope"])
    with pytest.raises(InputError, match="no signature to extend"):
        augment(PLAIN_XML, _add_certificate_values)


def test_augment_file_leaves_no_output_when_the_augmenter_fails(
    rsa_signer: Signer, tmp_path: Path
) -> None:
    from edocstd.sign._sign import augment_file

    src = tmp_path / "signed.xml"
    src.write_bytes(sign(PLAIN_XML, rsa_signer))

    def fails(tree: etree._ElementTree, signature: etree._Element) -> None:
        raise SigningError("time-stamping authority unreachable")

    with pytest.raises(SigningError):
        augment_file(src, tmp_path / "out.xml", fails)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["signed.xml"]
    augment_file(src, src, _add_certificate_values)
    assert b"CertificateValues" in src.read_bytes()


def test_unsigned_properties_need_xades() -> None:
    from edocstd.sign._xades import unsigned_signature_properties

    with pytest.raises(ValueError, match="plain XMLDSig"):
        unsigned_signature_properties(etree.Element(f"{{{DS}}}Signature"))


def test_extend_file_raises_a_signature_to_b_t_and_refuses_other_levels(
    tmp_path: Path,
) -> None:
    from edocstd.sign._sign import extend_file
    from edocstd.testing.services import TestServices

    src = tmp_path / "in.xml"
    out = tmp_path / "out.xml"
    with TestServices.start() as env:
        signer = Signer.from_pem(
            env.pki.signer.key_pem, env.pki.signer.cert_pem, env.pki.chain_pem()
        )
        src.write_bytes(sign(PLAIN_XML, signer))
        for level in (Level.B_B, Level.XMLDSIG):
            with pytest.raises(PolicyError, match="B-T, B-LT or B-LTA"):
                extend_file(src, out, level=level, tsa=env.tsa.url)
        with pytest.raises(PolicyError, match="time-stamping authority"):
            extend_file(src, out, level=Level.B_T, tsa=None)
        assert not out.exists()
        extend_file(src, out, level=Level.B_T, tsa=env.tsa.url)
    stamp = _root(out.read_bytes())[-1].find(f".//{{{XADES}}}SignatureTimeStamp")
    assert stamp is not None


def test_ed25519_has_no_separate_digest_to_sign(ed_signer: Signer) -> None:
    prepared = prepare(PLAIN_XML, ed_signer)
    with pytest.raises(PolicyError, match="whole message"):
        prepared.digest_to_sign()


def test_an_ecdsa_value_in_der_form_is_refused_with_a_hint(ec_signer: Signer, pki: TestPKI) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    prepared = prepare(PLAIN_XML, ec_signer)
    private = pki.signer_ec.key
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    der = private.sign(prepared.data_to_sign, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(SigningError, match=r"r\|\|s"):
        complete(prepared, der)


def test_one_signer_signs_from_many_threads(rsa_signer: Signer, ec_signer: Signer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def work(i: int) -> tuple[Signer, bytes]:
        signer = rsa_signer if i % 2 else ec_signer
        doc = PLAIN_XML.replace(b"test", f"test {i}".encode())
        return signer, sign(doc, signer, c14n=(C14N.EXC, C14N.C14N, C14N.C14N11)[i % 3])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(96)))
    for signer, signed in results:
        _check_value(signed, signer)
    assert len({s for _, s in results}) == 96
