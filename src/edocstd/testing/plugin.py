"""The edocstd pytest plugin, registered through the ``pytest11`` entry point.

Installing edocstd gives any pytest suite these fixtures (all prefixed ``edoc_`` so they never
clash with a project's own):

``edoc_pki``
    A throw-away :class:`~edocstd.testing.pki.TestPKI` (session-scoped).
``edoc_signer``
    A :class:`~edocstd.Signer` for the PKI's RSA signer, with its chain.
``edoc_trust``
    A :class:`~edocstd.TrustStore` holding only the PKI's root.
``edoc_document``
    A valid sample licence (:class:`~edocstd.model.Document`).
``edoc_document_factory``
    A function returning variants of the sample: ``edoc_document_factory(purpose=...)``.

The assertion helpers live in :mod:`edocstd.testing.assertions` and the hypothesis strategies in
:mod:`edocstd.testing.strategies`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from edocstd.testing.pki import TestPKI

if TYPE_CHECKING:
    from edocstd.model import Document
    from edocstd.sign._signer import Signer
    from edocstd.verify import TrustStore


@pytest.fixture(scope="session")
def edoc_pki() -> TestPKI:
    """A throw-away two-level test PKI, generated once per test session."""
    return TestPKI.generate()


@pytest.fixture(scope="session")
def edoc_signer(edoc_pki: TestPKI) -> Signer:
    """A signer with the test PKI's RSA-2048 key, certificate and chain."""
    from edocstd.sign._signer import Signer

    return Signer.from_pem(
        edoc_pki.signer.key_pem, edoc_pki.signer.cert_pem, chain_pem=edoc_pki.chain_pem()
    )


@pytest.fixture(scope="session")
def edoc_trust(edoc_pki: TestPKI) -> TrustStore:
    """A trust store holding only the test PKI's root."""
    from edocstd.verify import TrustStore

    return TrustStore.from_pem(edoc_pki.trust_pem())


@pytest.fixture
def edoc_document() -> Document:
    """A valid sample licence."""
    from edocstd.testing.samples import sample_document

    return sample_document()


@pytest.fixture
def edoc_document_factory(edoc_document: Document) -> Callable[..., Document]:
    """Make variants of the sample licence by replacing top-level fields."""

    def make(**changes: Any) -> Document:
        return dataclasses.replace(edoc_document, **changes)

    return make
