"""Signatures copied from a per-signer template are exactly the freshly built ones."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from lxml import etree

from edocstd.sign._algorithms import C14N, DigestAlgorithm
from edocstd.sign._signer import Signer
from edocstd.sign._template import Layout, new_signature
from edocstd.sign._xades import Commitment, build_qualifying_properties
from edocstd.sign._xmldsig import SignatureParts, build_signature

WHEN = dt.datetime(2026, 11, 25, 9, 30, 15, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _fresh(layout: Layout, n: int) -> SignatureParts:
    qp = (
        build_qualifying_properties(
            signature_id=f"sig-{n}",
            signed_properties_id=f"props-{n}",
            document_reference_id=f"ref-{n}",
            signing_time=WHEN + dt.timedelta(seconds=n),
            certificate=layout.certificates[0],
            digest=layout.digest,
            roles=layout.roles,
            commitment=layout.commitment,
        )
        if layout.xades
        else None
    )
    return build_signature(
        signature_id=f"sig-{n}",
        signature_value_id=f"value-{n}",
        document_reference_id=f"ref-{n}",
        algorithm=layout.algorithm,
        c14n=layout.c14n,
        digest=layout.digest,
        document_digest=bytes([n]) * 32,
        subtract_signatures=layout.subtract_signatures,
        certificates=layout.certificates,
        signed_properties_id=f"props-{n}" if layout.xades else None,
        qualifying_properties=qp,
    )


def _copied(layout: Layout, n: int) -> SignatureParts:
    return new_signature(
        layout,
        signature_id=f"sig-{n}",
        signature_value_id=f"value-{n}",
        document_reference_id=f"ref-{n}",
        signed_properties_id=f"props-{n}",
        document_digest=bytes([n]) * 32,
        signing_time=WHEN + dt.timedelta(seconds=n),
    )


def _layouts(signer: Signer) -> list[Layout]:
    out = []
    for c14n, subtract, xades, extras in itertools.product(
        (C14N.EXC, C14N.C14N11), (False, True), (True, False), (False, True)
    ):
        if extras and not xades:
            continue
        out.append(
            Layout(
                algorithm=signer.algorithm,
                c14n=c14n,
                digest=DigestAlgorithm.SHA384,
                subtract_signatures=subtract,
                certificates=(signer.certificate, *signer.chain),
                xades=xades,
                roles=("นายทะเบียน", "registrar") if extras else (),
                commitment=Commitment.PROOF_OF_ORIGIN if extras else None,
            )
        )
    return out


def _same(a: SignatureParts, b: SignatureParts) -> None:
    assert etree.tostring(a.signature) == etree.tostring(b.signature)
    assert etree.tostring(a.signed_info) == etree.tostring(b.signed_info)
    assert a.signature_value.get("Id") == b.signature_value.get("Id")
    assert (a.properties_digest_value is None) == (b.properties_digest_value is None)
    assert (a.signed_properties is None) == (b.signed_properties is None)
    if a.signed_properties is not None and b.signed_properties is not None:
        assert etree.tostring(a.signed_properties) == etree.tostring(b.signed_properties)


def test_a_copied_signature_serialises_exactly_as_a_freshly_built_one(rsa_signer: Signer) -> None:
    for layout in _layouts(rsa_signer):
        for n in (1, 2):  # the second use must not see the first one's values
            _same(_copied(layout, n), _fresh(layout, n))


def test_the_parts_returned_belong_to_the_new_signature(rsa_signer: Signer) -> None:
    (layout, *_) = _layouts(rsa_signer)
    parts = _copied(layout, 3)
    assert parts.signed_info.getparent() is parts.signature
    assert parts.signature_value.getparent() is parts.signature
    other = _copied(layout, 4)
    assert other.signature is not parts.signature
    assert parts.signature.get("Id") == "sig-3"


def test_a_role_xml_cannot_carry_fails_while_building_the_template(rsa_signer: Signer) -> None:
    (layout, *_) = _layouts(rsa_signer)
    bad = Layout(
        algorithm=layout.algorithm,
        c14n=layout.c14n,
        digest=layout.digest,
        subtract_signatures=False,
        certificates=layout.certificates,
        xades=True,
        roles=("a\x00b",),
        commitment=None,
    )
    with pytest.raises(ValueError):
        _copied(bad, 1)


def test_templates_are_used_from_many_threads(rsa_signer: Signer) -> None:
    layouts = _layouts(rsa_signer)
    failures: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(40):
                layout = layouts[(k + i) % len(layouts)]
                _same(_copied(layout, i % 200), _fresh(layout, i % 200))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
