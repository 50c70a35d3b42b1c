"""edocstd.batch: deep trees, links out of the walked directory, swapped inputs, extra_certs."""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from edocstd import batch
from edocstd.errors import CertificateError
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.testing.services import TestServices

# --------------------------------------------------------------------------- deep trees


@pytest.fixture
def deep_tree() -> Iterator[tuple[Path, int]]:
    """A tree nested deeper than the recursion limit, built and removed without recursion
    (shutil.rmtree itself recurses)."""
    depth = sys.getrecursionlimit() + 100
    base = Path(tempfile.mkdtemp(prefix="deep-"))
    (base / "first.xml").write_bytes(sample_xml())
    fds = [os.open(base, os.O_RDONLY)]
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fds[-1])
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        fd = os.open("z.xml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fds[-1])
        os.close(fd)
        yield base, depth
    finally:
        with_file = True
        while len(fds) > 1:
            inner = fds.pop()
            if with_file:
                os.unlink("z.xml", dir_fd=inner)
                with_file = False
            os.close(inner)
            os.rmdir("d", dir_fd=fds[-1])
        os.close(fds[0])
        (base / "first.xml").unlink()
        base.rmdir()


def test_a_tree_deeper_than_the_recursion_limit_is_walked_in_order(
    deep_tree: tuple[Path, int],
) -> None:
    base, depth = deep_tree
    found = list(batch.iter_files([base]))
    # "d" sorts before "first.xml": the sub-directory is walked in place, depth-first.
    assert found == [base.joinpath(*["d"] * depth, "z.xml"), base / "first.xml"]


def test_the_walk_order_is_sorted_per_level_and_depth_first(tmp_path: Path) -> None:
    for rel in ["b/y.xml", "b/a/x.xml", "a.xml", "c.xml", "b/z.xml", "b/a/b/w.xml"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"<a/>")
    found = [p.relative_to(tmp_path).as_posix() for p in batch.iter_files([tmp_path])]
    assert found == ["a.xml", "b/a/b/w.xml", "b/a/x.xml", "b/y.xml", "b/z.xml", "c.xml"]


_NAME = st.sampled_from(["a", "b", "B", "a.xml", "b.XML", "z.xml", "é.xml", "ab"])


@settings(max_examples=30, deadline=None)
@given(st.sets(st.lists(_NAME, min_size=1, max_size=5).map(tuple), max_size=12))
def test_the_walk_order_is_that_of_the_sorted_path_components(
    layout: set[tuple[str, ...]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        files: list[tuple[str, ...]] = []
        for parts in sorted(layout, key=len, reverse=True):
            target = base.joinpath(*parts)
            if target.exists() or any(
                base.joinpath(*parts[:i]).is_file() for i in range(1, len(parts))
            ):
                continue  # a name already taken by a file or a directory
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"<a/>")
            files.append(parts)
        wanted = [base.joinpath(*p) for p in sorted(files) if p[-1].lower().endswith(".xml")]
        assert list(batch.iter_files([base])) == wanted


# --------------------------------------------------------------------------- links


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """An inbox holding one document, a link to a file outside it, and a link inside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.xml").write_bytes(b"<TopSecretRoot/>")
    box = tmp_path / "inbox"
    (box / "sub").mkdir(parents=True)
    (box / "sub" / "doc.xml").write_bytes(sample_xml())
    os.symlink("../outside/secret.xml", box / "escape.xml")
    os.symlink("sub/doc.xml", box / "inner.xml")
    return box


def _validate(paths: list[Path]) -> list[batch.BatchResult]:
    with batch.validate(paths, executor=batch.InlineExecutor()) as run:
        return list(run)


def test_a_link_out_of_the_walked_directory_is_refused_and_not_read(inbox: Path) -> None:
    results = {Path(r.path).name: r for r in _validate(list(batch.iter_files([inbox])))}
    escape = results["escape.xml"]
    assert escape.outcome is batch.Outcome.UNREADABLE and escape.report is None
    assert escape.error is not None and "symbolic link" in escape.error
    assert "TopSecretRoot" not in escape.json_line().decode()
    # A link staying inside the directory, and the plain file, are read as usual.
    assert results["inner.xml"].outcome is batch.Outcome.VALID
    assert results["doc.xml"].outcome is batch.Outcome.VALID


def test_following_links_out_of_the_directory_is_an_explicit_choice(inbox: Path) -> None:
    found = list(batch.iter_files([inbox], follow_links=batch.LinkPolicy.FOLLOW))
    results = {Path(r.path).name: r for r in _validate(found)}
    assert results["escape.xml"].outcome is batch.Outcome.INVALID  # read: not an EDOC document
    with pytest.raises(TypeError, match="LinkPolicy"):
        list(batch.iter_files([inbox], follow_links=True))  # type: ignore[arg-type]


def test_a_path_given_explicitly_is_read_as_given(inbox: Path) -> None:
    [result] = _validate([inbox / "escape.xml"])
    assert result.outcome is batch.Outcome.INVALID


def test_a_walked_root_that_is_itself_a_link_is_walked_inside_its_target(
    inbox: Path, tmp_path: Path
) -> None:
    os.symlink(inbox, tmp_path / "alias")
    results = {
        Path(r.path).name: r.outcome
        for r in _validate(list(batch.iter_files([tmp_path / "alias"])))
    }
    assert results == {
        "escape.xml": batch.Outcome.UNREADABLE,
        "inner.xml": batch.Outcome.VALID,
        "doc.xml": batch.Outcome.VALID,
    }


def test_a_file_swapped_for_an_outward_link_after_the_walk_is_refused(inbox: Path) -> None:
    found = list(batch.iter_files([inbox / "sub"]))
    doc = inbox / "sub" / "doc.xml"
    doc.unlink()
    os.symlink("../../outside/secret.xml", doc)
    [result] = _validate(found)
    assert result.outcome is batch.Outcome.UNREADABLE
    assert result.error is not None and "symbolic link" in result.error


def test_walked_paths_still_compare_and_pickle_as_plain_paths(inbox: Path) -> None:
    found = list(batch.iter_files([inbox]))
    assert found == sorted(found) and all(isinstance(p, Path) for p in found)
    assert pickle.loads(pickle.dumps(found)) == found
    assert inbox / "inner.xml" in found
    assert repr(found[0]) == repr(Path(found[0]))
    # A path derived from a walked one was not found by walking: it is taken as given.
    derived = [p.parent / p.name for p in found if p.name == "escape.xml"]
    assert [r.outcome for r in _validate(derived)] == [batch.Outcome.INVALID]


# --------------------------------------------------------------------------- swapped inputs


def _swap_after_open(monkeypatch: pytest.MonkeyPatch, replacement: bytes) -> list[str]:
    """Make batch.open_input replace the file by ``replacement`` right after opening it."""
    real = batch.open_input
    swapped: list[str] = []

    def open_then_swap(path: str, root: str | None = None) -> IO[bytes]:
        fh = real(path, root)
        tmp = path + ".swap"
        Path(tmp).write_bytes(replacement)
        os.replace(tmp, path)
        swapped.append(path)
        return fh

    monkeypatch.setattr(batch, "open_input", open_then_swap)
    return swapped


def test_sign_reads_the_file_it_checked_not_one_swapped_in_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = TestPKI.generate()
    src, dst = tmp_path / "in.xml", tmp_path / "out.xml"
    src.write_bytes(sample_xml())
    swapped = _swap_after_open(monkeypatch, b"<NotAnEdocDocument/>")
    spec = batch.SignerSpec.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
    with batch.sign([(src, dst)], batch.SignJob(signer=spec), executor=batch.InlineExecutor()) as r:
        [result] = list(r)
    assert swapped == [str(src)]
    assert result.outcome is batch.Outcome.DONE, result.error
    assert b"NotAnEdocDocument" not in dst.read_bytes()
    assert b"SignatureValue" in dst.read_bytes()


# --------------------------------------------------------------------------- extra_certs


@pytest.fixture(scope="module")
def services() -> Iterator[TestServices]:
    with TestServices.start() as running:
        yield running


def _pkcs12(pki: TestPKI) -> bytes:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    return pkcs12.serialize_key_and_certificates(
        b"officer",
        pki.signer.key,  # type: ignore[arg-type]
        pki.signer.cert,
        [pki.intermediate.cert],  # no trust anchor: as PKCS#12 files usually are
        BestAvailableEncryption(b"s3cret"),
    )


def test_a_pkcs12_signer_reaches_b_lt_when_given_its_anchor_in_extra_certs(
    tmp_path: Path, services: TestServices
) -> None:
    pki = services.pki
    spec = batch.SignerSpec.from_pkcs12(_pkcs12(pki), "s3cret")
    src = tmp_path / "in.xml"
    src.write_bytes(sample_xml())
    tsa = services.tsa.url
    plain = batch.SignJob(signer=spec, level="B-LT", tsa=tsa)
    anchored = batch.SignJob(signer=spec, level="B-LT", tsa=tsa, extra_certs=(pki.trust_pem(),))
    assert hash(anchored) != hash(plain)
    assert pickle.loads(pickle.dumps(anchored)) == anchored
    pairs = [(src, tmp_path / "no-anchor.xml")]
    with batch.sign(pairs, plain, executor=batch.InlineExecutor()) as run:
        [without] = list(run)
    assert without.outcome is batch.Outcome.FAILED
    assert without.error is not None and "trust anchor" in without.error
    assert not (tmp_path / "no-anchor.xml").exists()
    pairs = [(src, tmp_path / "lt.xml")]
    with batch.sign(pairs, anchored, executor=batch.InlineExecutor()) as run:
        [signed] = list(run)
    assert signed.outcome is batch.Outcome.DONE, signed.error
    job = batch.VerifyJob(trust_pem=pki.trust_pem(), revocation="offline", min_level="B-LT")
    with batch.verify([tmp_path / "lt.xml"], job, executor=batch.InlineExecutor()) as run:
        [verified] = list(run)
    assert verified.outcome is batch.Outcome.TOTAL_PASSED, verified.report


def test_extend_takes_the_anchor_of_a_plain_b_b_document_from_extra_certs(
    tmp_path: Path, services: TestServices
) -> None:
    pki = services.pki
    spec = batch.SignerSpec.from_pkcs12(_pkcs12(pki), "s3cret")
    src, bb = tmp_path / "in.xml", tmp_path / "bb.xml"
    src.write_bytes(sample_xml())
    with batch.sign([(src, bb)], batch.SignJob(signer=spec), executor=batch.InlineExecutor()) as r:
        assert [x.outcome for x in r] == [batch.Outcome.DONE]
    tsa = services.tsa.url
    der = pki.root.cert.public_bytes(Encoding.DER)
    for extra, want in [((), batch.Outcome.FAILED), ((der,), batch.Outcome.DONE)]:
        job = batch.ExtendJob(level="B-LT", tsa=tsa, extra_certs=extra)
        out = tmp_path / f"lt{len(extra)}.xml"
        with batch.extend([(bb, out)], job, executor=batch.InlineExecutor()) as run:
            [result] = list(run)
        assert result.outcome is want, result.error
        assert want is batch.Outcome.DONE or "trust anchor" in (result.error or "")
        assert out.exists() is (want is batch.Outcome.DONE)


def test_extend_reads_the_file_it_checked_not_one_swapped_in_after(
    tmp_path: Path, services: TestServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = services.pki
    spec = batch.SignerSpec.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
    src, bb, bt = tmp_path / "in.xml", tmp_path / "bb.xml", tmp_path / "bt.xml"
    src.write_bytes(sample_xml())
    with batch.sign([(src, bb)], batch.SignJob(signer=spec), executor=batch.InlineExecutor()) as r:
        assert [x.outcome for x in r] == [batch.Outcome.DONE]
    swapped = _swap_after_open(monkeypatch, sample_xml())  # unsigned: nothing to extend
    job = batch.ExtendJob(level="B-T", tsa=services.tsa.url)
    with batch.extend([(bb, bt)], job, executor=batch.InlineExecutor()) as run:
        [result] = list(run)
    assert swapped == [str(bb)]
    assert result.outcome is batch.Outcome.DONE, result.error


def test_extra_certs_that_are_not_certificates_are_refused_when_the_job_is_made() -> None:
    with pytest.raises(CertificateError, match="extra_certs"):
        batch.ExtendJob(level="B-T", tsa="http://127.0.0.1:9/", extra_certs=(b"junk",))
