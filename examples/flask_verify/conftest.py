"""Fixtures for the service's tests, built on the edocstd pytest plugin's ``edoc_*`` fixtures.

This file also makes ``app`` importable from the tests: pytest puts the directory of a
top-level ``conftest.py`` on ``sys.path``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app import create_app
from flask.testing import FlaskClient

from edocstd.testing.pki import TestPKI


@pytest.fixture
def trust_file(edoc_pki: TestPKI, tmp_path: Path) -> Path:
    """The test PKI's root, as the PEM file an operator would configure."""
    path = tmp_path / "trust-anchors.pem"
    path.write_bytes(edoc_pki.trust_pem())
    return path


@pytest.fixture
def crl_files(edoc_crls: tuple[bytes, bytes], tmp_path: Path) -> list[Path]:
    """The test PKI's current CRLs, as files an operator would download daily."""
    paths = [tmp_path / "intermediate.crl", tmp_path / "root.crl"]
    for path, der in zip(paths, edoc_crls, strict=True):
        path.write_bytes(der)
    return paths


@pytest.fixture
def client(trust_file: Path, crl_files: list[Path]) -> FlaskClient:
    """A test client of the service, configured with the test PKI's root and CRLs."""
    return create_app(trust_file, crls=crl_files).test_client()
