"""The edocstd pytest plugin, registered through the ``pytest11`` entry point.

Installing edocstd (with its ``test`` extra: ``pip install edocstd[test]``) gives any pytest
suite the fixtures below, with nothing to import or configure. Their names all start with
``edoc_``, so they never clash with a project's own. ``pytest --fixtures`` lists them, and
``pytest -p no:edocstd`` turns the plugin off.

A throw-away PKI and the real services that go with it (session-scoped: made once per run)
    ``edoc_services``
        A running :class:`~edocstd.testing.services.TestServices`: an RFC 3161 time-stamping
        authority, an OCSP responder and a CRL server on ``127.0.0.1``, with the PKI they
        serve. The PKI's ``revoked_signer`` is revoked (key compromise) one hour before the
        PKI's ``now``; :meth:`~edocstd.testing.services.TestServices.revoke` revokes more,
        for the rest of the session.
    ``edoc_pki``
        That :class:`~edocstd.testing.pki.TestPKI`. Its end-entity certificates name the
        OCSP responder and the CRL server, so signatures made with them can be raised to
        B-LT and checked online.
    ``edoc_signer``
        A :class:`~edocstd.Signer` for the PKI's RSA signer, with its chain.
    ``edoc_revoked_signer``
        A :class:`~edocstd.Signer` whose certificate the services report revoked.
    ``edoc_trust``
        A :class:`~edocstd.TrustStore` holding only the PKI's root.
    ``edoc_tsa``
        The time-stamping authority's URL (for :class:`edocstd.ltv.TimeStampClient` or
        ``edocstd sign --tsa``).
    ``edoc_ocsp``
        The OCSP responder's URL.

Revocation data (per test, so revocations made earlier in the session are included)
    ``edoc_crls``
        The current CRLs of the intermediate and the root, DER, ready for
        ``Verifier(trust=edoc_trust, crls=edoc_crls)``: offline revocation checking of B-B
        signatures, with no network.

Documents (per test)
    ``edoc_document``
        A valid sample licence (:class:`~edocstd.Document`), the one from
        :func:`edocstd.testing.samples.sample_document`.
    ``edoc_document_factory``
        A :class:`DocumentFactory`: ``edoc_document_factory(purpose=..., holder=...)`` is the
        sample with those fields replaced.

The services need the ``openssl`` command; tests that use ``edoc_tsa`` or ``edoc_ocsp`` are
skipped without it.

A B-B signature, verified offline against the session's CRLs::

    from edocstd import Verifier, dump, sign
    from edocstd.testing.assertions import assert_verifies

    def test_my_signed_licence_verifies(edoc_document, edoc_signer, edoc_trust, edoc_crls):
        signed = sign(dump(edoc_document), edoc_signer)
        assert_verifies(signed, Verifier(trust=edoc_trust, crls=edoc_crls))

A long-term signature, time-stamped by the running TSA and carrying its own revocation data,
verified offline with nothing supplied::

    from edocstd import Level, Verifier, dump, sign
    from edocstd.testing.assertions import assert_verifies

    def test_archived_licence_verifies_with_no_network(edoc_document, edoc_signer, edoc_pki,
                                                       edoc_tsa, edoc_trust):
        archived = sign(dump(edoc_document), edoc_signer, level=Level.B_LTA, tsa=edoc_tsa,
                        extra_certs=[edoc_pki.root.cert])
        assert_verifies(archived, Verifier(trust=edoc_trust))

Assertion helpers that print a readable report (codes, locations, Thai and English messages)
when they fail are in :mod:`edocstd.testing.assertions`: ``assert_valid``, ``assert_invalid``,
``assert_verifies`` and ``assert_fails_verification``.

Hypothesis strategies that draw valid EDOC documents are in
:mod:`edocstd.testing.strategies` (``documents()``, ``lang_groups()``, ``nidns()``,
``txids()``, ``addresses()`` …)::

    from hypothesis import given
    from edocstd import dump, load
    from edocstd.testing.strategies import documents

    @given(documents())
    def test_every_document_survives_my_archive(doc):
        assert load(dump(doc)) == doc
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from edocstd.model import Document
    from edocstd.sign._signer import Signer
    from edocstd.testing.pki import Issued, TestPKI
    from edocstd.testing.services import TestServices
    from edocstd.verify import TrustStore

__all__ = ["REVOKED_BEFORE_NOW", "DocumentFactory"]

REVOKED_BEFORE_NOW = dt.timedelta(hours=1)
"""How long before the PKI's ``now`` the ``revoked_signer`` is revoked in ``edoc_services``."""


class DocumentFactory:
    """Makes variants of one document: call it with fields to replace.

    Field names are those of :class:`~edocstd.Document` (``issuer``, ``holder``, ``validity``,
    ``subject``, ``attachments``, ``verification_uri``) and, as a shortcut, those of its header
    :class:`~edocstd.model.ExchangedDocument` (``id``, ``global_id``, ``name``, ``type_code``,
    ``purpose``, ``issue_datetime``, ``referenced_documents``, ``notes``). The result is not
    validated, so a test can build invalid variants on purpose. An unknown name raises
    :class:`TypeError`.
    """

    def __init__(self, base: Document) -> None:
        self.base = base

    def __call__(self, **changes: Any) -> Document:
        """The base document with ``changes`` applied."""
        document_fields = {f.name for f in dataclasses.fields(self.base)}
        header_fields = {f.name for f in dataclasses.fields(self.base.header)}
        unknown = sorted(set(changes) - document_fields - header_fields)
        if unknown:
            raise TypeError(f"not a field of Document or its header: {', '.join(unknown)}")
        header_changes = {k: v for k, v in changes.items() if k in header_fields}
        doc_changes = {k: v for k, v in changes.items() if k in document_fields}
        if header_changes:
            doc_changes.setdefault(
                "header", dataclasses.replace(self.base.header, **header_changes)
            )
        return dataclasses.replace(self.base, **doc_changes)


def _signer_for(issued: Issued, pki: TestPKI) -> Signer:
    from edocstd.sign._signer import Signer

    return Signer.from_pem(issued.key_pem, issued.cert_pem, chain_pem=pki.chain_pem())


def _need_openssl() -> None:
    if shutil.which("openssl") is None:
        pytest.skip("the edocstd test TSA and OCSP responder need the openssl command")


@pytest.fixture(scope="session")
def edoc_services() -> Iterator[TestServices]:
    """A test PKI with a running TSA, OCSP responder and CRL server on 127.0.0.1.

    Started once per test session and stopped at its end. The PKI's ``revoked_signer`` is
    revoked (key compromise) one hour before the PKI's ``now``.
    """
    from cryptography import x509

    from edocstd.testing.services import TestServices

    with TestServices.start() as services:
        pki = services.pki
        services.revoke(
            pki.revoked_signer.cert,
            pki.now - REVOKED_BEFORE_NOW,
            x509.ReasonFlags.key_compromise,
        )
        yield services


@pytest.fixture(scope="session")
def edoc_pki(edoc_services: TestServices) -> TestPKI:
    """A throw-away two-level test PKI whose certificates point at ``edoc_services``."""
    return edoc_services.pki


@pytest.fixture(scope="session")
def edoc_signer(edoc_pki: TestPKI) -> Signer:
    """A signer with the test PKI's RSA-2048 key, certificate and chain."""
    return _signer_for(edoc_pki.signer, edoc_pki)


@pytest.fixture(scope="session")
def edoc_revoked_signer(edoc_pki: TestPKI) -> Signer:
    """A signer whose certificate is revoked (OCSP and CRL say so) since before the session."""
    return _signer_for(edoc_pki.revoked_signer, edoc_pki)


@pytest.fixture(scope="session")
def edoc_trust(edoc_pki: TestPKI) -> TrustStore:
    """A trust store holding only the test PKI's root."""
    from edocstd.verify import TrustStore

    return TrustStore.from_pem(edoc_pki.trust_pem())


@pytest.fixture(scope="session")
def edoc_tsa(edoc_services: TestServices) -> str:
    """The URL of the running RFC 3161 time-stamping authority."""
    _need_openssl()
    return edoc_services.tsa.url


@pytest.fixture(scope="session")
def edoc_ocsp(edoc_services: TestServices) -> str:
    """The URL of the running OCSP responder (the one the PKI's certificates name)."""
    _need_openssl()
    return edoc_services.ocsp.url


@pytest.fixture
def edoc_crls(edoc_services: TestServices) -> tuple[bytes, bytes]:
    """The current CRLs (DER) of the test PKI's intermediate and root, for offline checks."""
    return edoc_services.crls()


@pytest.fixture
def edoc_document() -> Document:
    """A valid sample licence."""
    from edocstd.testing.samples import sample_document

    return sample_document()


@pytest.fixture
def edoc_document_factory(edoc_document: Document) -> DocumentFactory:
    """Make variants of the sample licence: ``edoc_document_factory(purpose=..., ...)``."""
    return DocumentFactory(edoc_document)
