"""Directories of many documents for the batch and command-line tests.

Each corpus is built from a handful of distinct documents copied under many names (signing
thousands of documents would only test the signer); every copy is still read and judged on
its own. Unreadable entries are made so that even root cannot open them: a dangling symbolic
link and a FIFO (opening a FIFO would block, so it must be refused, never opened).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from edocstd.sign._sign import sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml

HOSTILE = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'


@dataclass
class Corpus:
    """A directory of inputs and what each one (by path) must give."""

    root: Path
    expected: dict[str, str] = field(default_factory=dict)
    detail: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for outcome in self.expected.values():
            out[outcome] = out.get(outcome, 0) + 1
        return out

    def ordered(self) -> list[str]:
        """The paths in the order the directory walk must give them."""
        return sorted(self.expected, key=lambda p: Path(p).relative_to(self.root).parts)


def _place(corpus: Corpus, i: int, per_dir: int, suffix: str = ".xml") -> Path:
    sub = corpus.root / f"part{i // per_dir:02d}"
    sub.mkdir(parents=True, exist_ok=True)
    return sub / f"doc{i:05d}{suffix}"


def _unreadable(corpus: Corpus, path: Path, i: int) -> None:
    if i % 2:
        os.symlink(corpus.root / "does-not-exist.xml", path)
    else:
        os.mkfifo(path)
    corpus.expected[str(path)] = "unreadable"


def validate_corpus(root: Path, n: int, *, unreadable: int = 4, per_dir: int = 250) -> Corpus:
    """``n`` inputs: valid, rule-invalid (R015), refused (X000), and ``unreadable`` ones."""
    good = sample_xml()
    bad = good.replace(b"https://", b"http://")
    corpus = Corpus(root)
    for i in range(n):
        path = _place(corpus, i, per_dir)
        if i % 97 == 13 and unreadable:
            unreadable -= 1
            _unreadable(corpus, path, i)
        elif i % 10 == 3:
            path.write_bytes(bad)
            corpus.expected[str(path)] = "invalid"
        elif i % 25 == 7:
            path.write_bytes(HOSTILE)
            corpus.expected[str(path)] = "invalid"
        else:
            path.write_bytes(good)
            corpus.expected[str(path)] = "valid"
    # Things the walk must not take: other extensions, hidden files.
    (root / "notes.txt").write_text("not an input")
    (root / ".hidden.xml").write_bytes(good)
    return corpus


def signed_documents(pki: TestPKI) -> dict[str, bytes]:
    """A few distinct inputs for verification, by the outcome each must give."""
    signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
    signed = sign(sample_xml(), signer)
    tampered = signed.replace("โรงงาน".encode(), "โรงแรม".encode(), 1)
    assert tampered != signed
    return {
        "TOTAL-PASSED": signed,
        "TOTAL-FAILED/HASH_FAILURE": tampered,
        "TOTAL-FAILED/FORMAT_FAILURE": sample_xml(),
        "TOTAL-FAILED/FORMAT_FAILURE/X000": HOSTILE,
    }


def verify_corpus(
    root: Path, n: int, pki: TestPKI, *, unreadable: int = 4, per_dir: int = 250
) -> Corpus:
    """``n`` inputs for ``verify --revocation none``: passing, tampered, unsigned, refused."""
    docs = signed_documents(pki)
    corpus = Corpus(root)
    for i in range(n):
        path = _place(corpus, i, per_dir)
        if i % 97 == 13 and unreadable:
            unreadable -= 1
            _unreadable(corpus, path, i)
            continue
        if i % 10 == 3:
            key = "TOTAL-FAILED/HASH_FAILURE"
        elif i % 25 == 7:
            key = "TOTAL-FAILED/FORMAT_FAILURE"
        elif i % 41 == 5:
            key = "TOTAL-FAILED/FORMAT_FAILURE/X000"
        else:
            key = "TOTAL-PASSED"
        path.write_bytes(docs[key])
        outcome, _, rest = key.partition("/")
        corpus.expected[str(path)] = outcome
        corpus.detail[str(path)] = rest.split("/")[0]
    return corpus
