"""edocstd.batch: ordered, bounded runs on any executor, with per-process caches."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _batch_corpus import signed_documents, validate_corpus, verify_corpus
from edocstd import batch
from edocstd.errors import CertificateError, PolicyError
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.verify import Policy, TrustStore, Verifier


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.generate()


@pytest.fixture(scope="module")
def job(pki: TestPKI) -> batch.VerifyJob:
    return batch.VerifyJob(trust_pem=pki.trust_pem(), revocation="none")


# --------------------------------------------------------------------------- walking


def test_iter_files_walks_sorted_recursively_and_keeps_unopenable_entries(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a.xml").write_bytes(b"<a/>")
    (tmp_path / "b" / "z.XML").write_bytes(b"<a/>")
    (tmp_path / "b" / "c.xml").write_bytes(b"<a/>")
    (tmp_path / "dir.xml").mkdir()  # a directory named like an input is walked, not opened
    (tmp_path / "dir.xml" / "inner.xml").write_bytes(b"<a/>")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".hidden.xml").write_bytes(b"<a/>")
    os.symlink(tmp_path / "missing", tmp_path / "dangling.xml")
    os.mkfifo(tmp_path / "pipe.xml")
    os.symlink(tmp_path / "b", tmp_path / "loop")  # links to directories are not followed
    names = [p.relative_to(tmp_path).as_posix() for p in batch.iter_files([tmp_path])]
    assert names == [
        "a.xml",
        "b/c.xml",
        "b/z.XML",
        "dangling.xml",
        "dir.xml/inner.xml",
        "pipe.xml",
    ]
    # A file named on its own is taken whatever its name.
    assert list(batch.iter_files([tmp_path / "notes.txt"])) == [tmp_path / "notes.txt"]


def test_open_input_refuses_what_cannot_be_opened_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.xml")
    os.symlink(tmp_path / "missing", tmp_path / "dangling.xml")
    for name in ("pipe.xml", "dangling.xml", "absent.xml", "."):
        with pytest.raises(batch.Unopenable, match="cannot open"):
            batch.open_input(str(tmp_path / name))
    (tmp_path / "ok.xml").write_bytes(b"<a/>")
    with batch.open_input(str(tmp_path / "ok.xml")) as fh:
        assert fh.read() == b"<a/>"


# --------------------------------------------------------------------------- order and bounds


class _ReversingExecutor(Executor):
    """Runs tasks on threads, later submissions first: completion order is scrambled."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(4)
        self._n = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self._n += 1
        delay = max(0.0, 0.05 - 0.01 * (self._n % 6))

        def late() -> Any:
            time.sleep(delay)
            return fn(*args, **kwargs)

        return self._pool.submit(late)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_results_come_in_input_order_whatever_the_completion_order(tmp_path: Path) -> None:
    corpus = validate_corpus(tmp_path, 120, unreadable=3, per_dir=40)
    paths = corpus.ordered()
    executor = _ReversingExecutor()
    try:
        with batch.validate(paths, executor=executor, chunk_size=4) as run:
            results = list(run)
    finally:
        executor.shutdown()
    assert [r.index for r in results] == list(range(len(paths)))
    assert [r.path for r in results] == paths
    assert [str(r.outcome) for r in results] == [corpus.expected[p] for p in paths]


class _CountingExecutor(Executor):
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(2)
        self.in_flight = 0
        self.most = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        future = self._pool.submit(fn, *args, **kwargs)

        def done(_: Future[Any]) -> None:
            with self._lock:
                self.in_flight -= 1

        future.add_done_callback(done)
        return future


def test_memory_is_bounded_inputs_are_read_lazily_and_work_in_flight_is_capped() -> None:
    consumed = 0

    def inputs() -> Iterator[str]:
        nonlocal consumed
        for i in range(20_000):
            consumed += 1
            yield f"/nonexistent/{i}.xml"

    executor = _CountingExecutor()
    with batch.validate(inputs(), executor=executor, chunk_size=16, window=3) as run:
        first = next(run)
        # Only the window's worth of chunks has been taken from the input so far.
        assert consumed <= 3 * 16 + 1
        seen = 1 + sum(1 for _ in run)
    assert first.index == 0 and first.unreadable
    assert seen == 20_000
    assert executor.most <= 3


def test_progress_counts_every_input_once(tmp_path: Path) -> None:
    corpus = validate_corpus(tmp_path, 60, unreadable=1, per_dir=30)
    ticks: list[int] = []
    with batch.validate(corpus.ordered(), progress=ticks.append, chunk_size=8) as run:
        n = sum(1 for _ in run)
    assert n == 60
    assert sum(ticks) == 60
    assert all(t >= 1 for t in ticks)


def test_an_empty_input_gives_no_result() -> None:
    with batch.validate([], executor=batch.InlineExecutor()) as run:
        assert list(run) == []


def test_stop_then_cancel_returns_finished_results_in_order_and_nothing_twice(
    tmp_path: Path,
) -> None:
    corpus = validate_corpus(tmp_path, 400, unreadable=0, per_dir=100)
    paths = corpus.ordered()
    with ThreadPoolExecutor(2) as executor:
        run = batch.validate(paths, executor=executor, chunk_size=4, window=6)
        seen = [next(run) for _ in range(10)]
        run.stop()
        seen.extend(run)  # ends at the next result boundary
        rest = run.cancel()
    indexes = [r.index for r in seen + rest]
    assert indexes == sorted(set(indexes))
    assert len(indexes) < len(paths)
    assert [r.path for r in seen] == paths[: len(seen)]
    assert not run.complete  # inputs were left unjudged
    with pytest.raises(StopIteration):
        next(run)


def test_a_run_is_complete_only_when_every_input_gave_its_result(tmp_path: Path) -> None:
    paths = []
    for i in range(5):
        path = tmp_path / f"doc{i}.xml"
        path.write_bytes(sample_xml())
        paths.append(path)
    with batch.validate(paths, executor=batch.InlineExecutor()) as run:
        assert not run.complete
        assert len(list(run)) == 5
        assert run.complete
    # Stopped after the last input's result (before the run itself saw the inputs end):
    # cancel() finds nothing left, and the run is complete.
    with batch.validate(paths, executor=batch.InlineExecutor(), chunk_size=1) as run:
        firsts = [next(run) for _ in range(5)]
        run.stop()
        assert run.cancel() == [] and run.complete
    assert [r.index for r in firsts] == list(range(5))
    # Stopped earlier: not complete, however the rest would have gone.
    with batch.validate(paths, executor=batch.InlineExecutor(), chunk_size=1) as run:
        next(run)
        run.stop()
        run.cancel()
        assert not run.complete


# --------------------------------------------------------------------------- validate / verify


def test_validate_reports_each_kind_of_outcome(tmp_path: Path) -> None:
    corpus = validate_corpus(tmp_path, 100, unreadable=2, per_dir=50)
    with batch.validate(batch.iter_files([tmp_path])) as run:
        results = list(run)
    assert [r.path for r in results] == corpus.ordered()
    assert {r.path: str(r.outcome) for r in results} == corpus.expected
    bad = next(r for r in results if r.outcome is batch.Outcome.INVALID)
    assert bad.report is not None and bad.report["problems"]
    gone = next(r for r in results if r.unreadable)
    assert gone.report is None and gone.error and "cannot open" in gone.error
    assert not gone.ok and bad.ok is False
    record = gone.to_dict()
    assert record == {"file": gone.path, "index": gone.index, "outcome": "unreadable",
                      "error": gone.error}  # fmt: skip


def test_verify_in_workers_matches_the_verifier_in_process(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob
) -> None:
    corpus = verify_corpus(tmp_path, 80, pki, unreadable=2, per_dir=40)
    paths = corpus.ordered()
    with batch.verify(paths, job, chunk_size=8) as run:
        results = list(run)
    verifier = Verifier(TrustStore.from_pem(pki.trust_pem()), Policy(revocation="none"))
    for result, path in zip(results, paths, strict=True):
        assert result.path == path
        assert str(result.outcome) == corpus.expected[path]
        if result.unreadable:
            continue
        local = verifier.assess(Path(path))
        assert result.report is not None
        assert result.report["indication"] == local.indication.value
        assert result.report["sub_indication"] == (
            local.sub_indication.value if local.sub_indication else None
        )
        assert result.report["sub_indication"] == (corpus.detail[path] or None)


def _record_builds(marker: Path) -> type[Verifier]:
    class CountingVerifier(Verifier):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            with open(marker, "a") as fh:
                fh.write(f"{os.getpid()}\n")
            super().__init__(*args, **kwargs)

    return CountingVerifier


def test_each_worker_builds_its_verifier_once_for_many_chunks(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    import edocstd.verify

    corpus = verify_corpus(tmp_path / "docs", 120, pki, unreadable=0, per_dir=60)
    marker = tmp_path / "builds.txt"
    monkeypatch.setattr(edocstd.verify, "Verifier", _record_builds(marker))
    monkeypatch.setattr(batch, "_VERIFIERS", {})
    # Fork start, asked for by name (it is no longer the default everywhere): the workers must
    # inherit the patched class and the empty cache.
    with (
        ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool,
        batch.verify(corpus.ordered(), job, executor=pool, chunk_size=4) as run,
    ):
        outcomes = [r.outcome for r in run]
    assert len(outcomes) == 120  # 30+ chunks
    pids = marker.read_text().split()
    assert 1 <= len(pids) <= 2
    assert len(set(pids)) == len(pids)


def test_a_job_with_another_policy_gets_its_own_verifier(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob
) -> None:
    doc = tmp_path / "signed.xml"
    doc.write_bytes(signed_documents(pki)["TOTAL-PASSED"])
    inline = batch.InlineExecutor()
    passed = list(batch.verify([doc], job, executor=inline))
    offline = batch.VerifyJob(trust_pem=pki.trust_pem(), revocation="offline")
    no_data = list(batch.verify([doc], offline, executor=inline))
    assert passed[0].outcome is batch.Outcome.TOTAL_PASSED
    # Offline revocation with no revocation data cannot conclude.
    assert no_data[0].outcome is batch.Outcome.INDETERMINATE


# --------------------------------------------------------------------------- sign / extend


def test_sign_many_writes_verifiable_outputs_and_refuses_bad_inputs(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob
) -> None:
    src = tmp_path / "in"
    out = tmp_path / "out"
    src.mkdir()
    out.mkdir()
    names = [f"{i}.xml" for i in range(6)]
    for name in names:
        (src / name).write_bytes(sample_xml())
    (src / "3.xml").write_bytes(sample_xml().replace(b"https://", b"http://"))
    (src / "5.xml").unlink()
    os.symlink(src / "missing", src / "5.xml")
    spec = batch.SignerSpec.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
    assert "BEGIN" not in repr(spec)
    sign_job = batch.SignJob(signer=spec)
    pairs = [(src / n, out / n) for n in names]
    with batch.sign(pairs, sign_job, chunk_size=2) as run:
        results = list(run)
    assert [str(r.outcome) for r in results] == [
        "done", "done", "done", "failed", "done", "unreadable"
    ]  # fmt: skip
    assert results[3].error and "EDOC-R015" in results[3].error
    assert not (out / "3.xml").exists() and not (out / "5.xml").exists()
    assert results[0].output == str(out / "0.xml")
    written = [out / n for n in names if (out / n).exists()]
    assert not [p for p in out.iterdir() if p.suffix != ".xml"]  # no temporary files left
    with batch.verify(written, job) as vrun:
        assert {str(r.outcome) for r in vrun} == {"TOTAL-PASSED"}


def test_jobs_above_b_b_need_a_tsa(pki: TestPKI) -> None:
    spec = batch.SignerSpec.from_pem(pki.signer.key_pem, pki.signer.cert_pem)
    with pytest.raises(PolicyError, match="TSA"):
        batch.SignJob(signer=spec, level="B-T")
    with pytest.raises(PolicyError):
        batch.ExtendJob(level="B-B", tsa="http://127.0.0.1:1/")
    with pytest.raises(PolicyError):
        batch.SignJob(signer=spec, level="B-X")


def test_extend_reports_failures_per_input_without_stopping(tmp_path: Path, pki: TestPKI) -> None:
    signed = tmp_path / "signed.xml"
    signed.write_bytes(signed_documents(pki)["TOTAL-PASSED"])
    # Nothing listens on this port: the TSA cannot be reached, and the network is local.
    job = batch.ExtendJob(level="B-T", tsa="http://127.0.0.1:9/tsa")
    pairs = [(signed, tmp_path / "a.xml"), (tmp_path / "absent.xml", tmp_path / "b.xml")]
    with batch.extend(pairs, job, executor=batch.InlineExecutor()) as run:
        results = list(run)
    assert [str(r.outcome) for r in results] == ["failed", "unreadable"]
    assert not (tmp_path / "a.xml").exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 200),
    chunk_size=st.integers(1, 40),
    window=st.integers(1, 8),
    stop_after=st.one_of(st.none(), st.integers(0, 200)),
)
def test_any_run_yields_each_input_once_in_order_even_when_stopped(
    n: int, chunk_size: int, window: int, stop_after: int | None
) -> None:
    paths = [f"/nonexistent/{i}.xml" for i in range(n)]
    ticks: list[int] = []
    with ThreadPoolExecutor(3) as executor:
        run = batch.validate(
            paths, executor=executor, chunk_size=chunk_size, window=window, progress=ticks.append
        )
        seen = []
        for result in run:
            seen.append(result)
            if stop_after is not None and len(seen) > stop_after:
                run.stop()
        rest = run.cancel()
    got = [r.index for r in seen + rest]
    assert got == sorted(set(got))
    assert [r.path for r in seen] == paths[: len(seen)]  # no gap before the stop
    if stop_after is None or stop_after >= n:
        assert got == list(range(n)) and sum(ticks) == n
    assert sum(ticks) == len(got)  # progress counts exactly what was handed out


class _RecordingExecutor(batch.InlineExecutor):
    """Runs tasks inline, keeping what each one would have pickled to a worker."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.payloads.append(pickle.dumps((fn, args, kwargs)))
        return super().submit(fn, *args, **kwargs)


def test_workers_are_sent_paths_in_chunks_never_document_bytes(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob
) -> None:
    corpus = verify_corpus(tmp_path, 200, pki, unreadable=0, per_dir=100)
    executor = _RecordingExecutor()
    with batch.verify(corpus.ordered(), job, executor=executor, chunk_size=32) as run:
        assert sum(1 for _ in run) == 200
    assert 7 <= len(executor.payloads) < 200  # chunks, not one task per document
    document = signed_documents(pki)["TOTAL-PASSED"]
    for payload in executor.payloads:
        assert b"ElectronicCertificate" not in payload
        assert document[-200:] not in payload
    # What travels per document is its path and position (plus the job, once per chunk).
    per_chunk = len(pickle.dumps(job))
    items = 200
    assert sum(len(p) - per_chunk for p in executor.payloads) / items < 150


def test_a_pkcs12_signer_spec_signs_in_the_workers(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob
) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    p12 = pkcs12.serialize_key_and_certificates(
        b"officer",
        pki.signer.key,  # type: ignore[arg-type]
        pki.signer.cert,
        [pki.intermediate.cert],
        BestAvailableEncryption(b"s3cret"),
    )
    spec = batch.SignerSpec.from_pkcs12(p12, "s3cret")
    src = tmp_path / "in.xml"
    src.write_bytes(sample_xml())
    pairs = [(src, tmp_path / f"out{i}.xml") for i in range(4)]
    with batch.sign(pairs, batch.SignJob(signer=spec)) as run:
        assert [str(r.outcome) for r in run] == ["done"] * 4
    with batch.verify([dst for _, dst in pairs], job) as vrun:
        assert [str(r.outcome) for r in vrun] == ["TOTAL-PASSED"] * 4
    # A signer that cannot be built fails the whole run, with the typed error, at once.
    wrong = batch.SignJob(signer=batch.SignerSpec.from_pkcs12(p12, "wrong"))
    run = batch.sign(pairs[:1], wrong, executor=batch.InlineExecutor())
    with pytest.raises(CertificateError, match="PKCS#12"), run:
        list(run)
