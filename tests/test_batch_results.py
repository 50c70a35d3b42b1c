"""edocstd.batch results: compact on the way back, decoded only when asked, JSON Lines."""

from __future__ import annotations

import json
import os
import pickle
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from _batch_corpus import signed_documents, validate_corpus, verify_corpus
from edocstd import EdocError, batch
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.generate()


@pytest.fixture(scope="module")
def job(pki: TestPKI) -> batch.VerifyJob:
    return batch.VerifyJob(trust_pem=pki.trust_pem(), revocation="none")


def _reference_line(result: batch.BatchResult) -> bytes:
    """What the JSON Lines entry must read: the whole entry dumped at once."""
    return (json.dumps(result.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")


def _count_decodes(monkeypatch: pytest.MonkeyPatch, linger: float = 0.0) -> list[bytes]:
    """From now on, every blob ``edocstd.batch`` unpickles is appended to the list returned.

    ``linger`` holds each decode open that long, so that readers in other threads arrive
    while it runs (it widens a race; nothing is timed).
    """
    decoded: list[bytes] = []
    real_loads = pickle.loads

    def counting(data: bytes, /, **kwargs: Any) -> Any:
        decoded.append(data)
        time.sleep(linger)
        return real_loads(data, **kwargs)

    monkeypatch.setattr(batch.pickle, "loads", counting)
    return decoded


def test_json_line_reads_exactly_as_the_whole_entry_dumped_at_once(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob
) -> None:
    corpus = verify_corpus(tmp_path / "v", 60, pki, unreadable=2, per_dir=30)
    with batch.verify(corpus.ordered(), job, executor=batch.InlineExecutor()) as run:
        verified = list(run)
    vcorpus = validate_corpus(tmp_path / "c", 40, unreadable=1, per_dir=40)
    with batch.validate(vcorpus.ordered(), executor=batch.InlineExecutor()) as vrun:
        validated = list(vrun)
    outcomes = {str(r.outcome) for r in verified + validated}
    assert {"TOTAL-PASSED", "TOTAL-FAILED", "unreadable", "valid", "invalid"} <= outcomes
    for result in verified + validated:
        line = result.json_line()
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert line == _reference_line(result)
        assert list(json.loads(line))[:3] == ["file", "index", "outcome"]


def test_sign_results_carry_the_output_path_in_their_line(tmp_path: Path, pki: TestPKI) -> None:
    src = tmp_path / "in.xml"
    src.write_bytes(sample_xml())
    spec = batch.SignerSpec.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
    pairs = [(src, tmp_path / "out.xml"), (tmp_path / "missing.xml", tmp_path / "never.xml")]
    with batch.sign(pairs, batch.SignJob(signer=spec), executor=batch.InlineExecutor()) as run:
        done, gone = list(run)
    assert done.output == str(tmp_path / "out.xml") and done.report is None
    assert gone.unreadable and gone.output is None and gone.error
    for result in (done, gone):
        assert result.json_line() == _reference_line(result)


def test_outcomes_and_sub_indications_never_decode_a_report(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = verify_corpus(tmp_path, 40, pki, unreadable=1, per_dir=40)
    with (
        ProcessPoolExecutor(2) as pool,
        batch.verify(corpus.ordered(), job, executor=pool, chunk_size=8) as run,
    ):
        decoded = _count_decodes(monkeypatch)
        results = list(run)
        for result in results:
            assert str(result.outcome) == corpus.expected[result.path]
            assert result.sub_indication == (corpus.detail.get(result.path) or None)
            assert result.ok is (result.outcome is batch.Outcome.TOTAL_PASSED)
        assert decoded == []
    # Asked for, a report is decoded once and then kept.
    passing = next(r for r in results if r.ok)
    assert passing.report is passing.report
    assert passing.report is not None and passing.report["indication"] == "TOTAL-PASSED"
    assert len(decoded) == 1


def test_results_from_worker_processes_equal_the_in_process_ones(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob
) -> None:
    corpus = verify_corpus(tmp_path, 50, pki, unreadable=2, per_dir=25)
    fixed = batch.VerifyJob(trust_pem=job.trust_pem, revocation="none", at=pki.now)
    with batch.verify(corpus.ordered(), fixed, executor=batch.InlineExecutor()) as run:
        local = list(run)
    with (
        ProcessPoolExecutor(2) as pool,
        batch.verify(corpus.ordered(), fixed, executor=pool, chunk_size=8) as run,
    ):
        remote = list(run)
    assert remote == local
    assert [r.json_line() for r in remote] == [r.json_line() for r in local]


def test_a_result_pickles_compares_and_cannot_be_changed(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob
) -> None:
    corpus = verify_corpus(tmp_path, 12, pki, unreadable=1, per_dir=12)
    with batch.verify(corpus.ordered(), job, executor=batch.InlineExecutor()) as run:
        results = list(run)
    for result in results:
        fresh = pickle.loads(pickle.dumps(result))  # pickling reads the report
        assert fresh == result
        assert fresh.sub_indication == result.sub_indication
        assert fresh.json_line() == result.json_line()
        _ = result.report
        assert pickle.loads(pickle.dumps(result)) == result  # and once decoded
    first = results[0]
    with pytest.raises(AttributeError):
        first.outcome = batch.Outcome.ERROR  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del first.path  # type: ignore[misc]
    assert first != results[1]
    assert "BatchResult(index=0" in repr(first)


def test_a_result_built_from_a_dict_works_as_before() -> None:
    report = {"indication": "TOTAL-FAILED", "sub_indication": "HASH_FAILURE", "checks": []}
    result = batch.BatchResult(3, "a.xml", batch.Outcome.TOTAL_FAILED, report)
    assert result.report is report
    assert result.sub_indication == "HASH_FAILURE"
    assert not result.ok
    assert result.to_dict() == {"file": "a.xml", "index": 3, "outcome": "TOTAL-FAILED", **report}
    assert result.json_line() == _reference_line(result)
    assert result == batch.BatchResult(3, "a.xml", batch.Outcome.TOTAL_FAILED, dict(report))
    assert result != batch.BatchResult(4, "a.xml", batch.Outcome.TOTAL_FAILED, report)


def test_a_file_name_that_is_not_utf8_still_gives_a_valid_utf8_line(
    tmp_path: Path, job: batch.VerifyJob
) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9.xml"
    with open(raw, "wb") as fh:
        fh.write(sample_xml())  # unsigned: a report, TOTAL-FAILED
    name = os.fsdecode(raw)
    with batch.verify([name, name + "-missing"], job, executor=batch.InlineExecutor()) as run:
        results = list(run)
    assert [str(r.outcome) for r in results] == ["TOTAL-FAILED", "unreadable"]
    for result in results:
        line = result.json_line()
        text = line.decode("utf-8")  # strict: the line is valid UTF-8
        assert json.loads(text)["file"] == result.path
        assert json.loads(text) == json.loads(json.dumps(result.to_dict()))


def test_each_group_of_reports_decodes_once_and_each_result_gets_its_own(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = verify_corpus(tmp_path, 48, pki, unreadable=2, per_dir=48)
    fixed = batch.VerifyJob(trust_pem=job.trust_pem, revocation="none", at=pki.now)
    with batch.verify(corpus.ordered(), fixed, executor=batch.InlineExecutor()) as run:
        expected = [r.to_dict() for r in run]
    with (
        ProcessPoolExecutor(2) as pool,
        batch.verify(corpus.ordered(), fixed, executor=pool, chunk_size=16) as run,
    ):
        results = list(run)
    decoded = _count_decodes(monkeypatch, linger=0.02)
    # Eight threads read every report at once: each result still gets its own report, the
    # same one on every read, and the reports of a chunk with one outcome and sub-indication
    # are decoded once however many ask.
    with ThreadPoolExecutor(8) as threads:
        seen = list(threads.map(lambda r: [r.report for _ in range(3)], results * 8))
    for result, reads in zip(results * 8, seen, strict=True):
        assert all(report is result.report for report in reads)
    assert [r.to_dict() for r in results] == expected
    assert all(r.report is None for r in results if r.unreadable)
    reports = [r.report for r in results if r.report is not None]
    assert len({id(report) for report in reports}) == len(reports)
    assert len(reports) == sum(not r.unreadable for r in results) > 40
    groups = sum(
        len({(r.outcome, r.sub_indication) for r in chunk if not r.unreadable})
        for chunk in batch._chunks(results, 16)
    )
    assert len(decoded) == groups > len(list(batch._chunks(results, 16)))


def test_a_kept_failure_holds_only_the_failures_reports_of_its_chunk(
    tmp_path: Path, pki: TestPKI, job: batch.VerifyJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = signed_documents(pki)
    paths = []
    for i in range(96):
        path = tmp_path / f"doc{i:03d}.xml"
        failing = i % 16 == 9
        path.write_bytes(docs["TOTAL-FAILED/HASH_FAILURE" if failing else "TOTAL-PASSED"])
        paths.append(path)
    with batch.verify(paths, job, executor=batch.InlineExecutor(), chunk_size=16) as run:
        kept = [r for r in run if not r.ok]  # the common way to keep what needs looking at
    assert [r.index for r in kept] == [i for i in range(96) if i % 16 == 9]
    decoded = _count_decodes(monkeypatch)
    assert all(r.report is not None and r.report["sub_indication"] == "HASH_FAILURE" for r in kept)
    # What each kept failure held on to was its own report, not its chunk's passing ones.
    assert len(decoded) == len(kept)
    monkeypatch.undo()
    assert all(len(pickle.loads(blob)) == 1 for blob in decoded)


class _Unpicklable:
    """A report that cannot be serialised (it holds a lambda)."""

    def __init__(self) -> None:
        self.hook = lambda: None

    def to_dict(self) -> dict[str, Any]:
        return {}


class _FailsOnce:
    """A report whose first ``to_dict()`` fails."""

    def __init__(self) -> None:
        self.calls = 0

    def to_dict(self) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            raise MemoryError("first try")
        return {"valid": True, "problems": []}


def _items(n: int) -> list[tuple[int, str, None, None]]:
    return [(i, f"doc{i}.xml", None, None) for i in range(n)]


def test_a_report_that_cannot_be_serialised_spoils_only_its_own_input() -> None:
    from edocstd._report import ValidationReport

    collected = batch._Collected()
    row = (batch.Outcome.VALID.value, None, None)
    collected.add(row, ValidationReport())
    collected.add(row, _Unpicklable())
    collected.add(row, ValidationReport())
    results = list(batch._unpack(_items(3), collected.packed()))
    assert [r.outcome for r in results] == [
        batch.Outcome.VALID,
        batch.Outcome.ERROR,
        batch.Outcome.VALID,
    ]
    assert results[1].error and "internal error" in results[1].error
    assert results[0].report == results[2].report == {"valid": True, "problems": []}


def test_a_report_whose_conversion_fails_can_be_read_again() -> None:
    collected = batch._Collected()
    collected.add((batch.Outcome.VALID.value, None, None), _FailsOnce())
    (result,) = batch._unpack(_items(1), collected.packed())
    with pytest.raises(MemoryError):
        _ = result.report
    assert result.report == {"valid": True, "problems": []}


class _CountingPool(ThreadPoolExecutor):
    """A thread pool that counts the tasks given to it."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers)
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def test_the_default_window_follows_the_width_of_the_pool_given(tmp_path: Path) -> None:
    files = []
    for i in range(200):
        path = tmp_path / f"doc{i:03d}.xml"
        path.write_bytes(b"<not-edoc/>")
        files.append(path)
    with _CountingPool(12) as pool:
        run = batch.validate(files, executor=pool, chunk_size=1)
        # The run fills its window at once: four tasks per worker of this 12-thread pool.
        assert pool.submitted == 48
        with run:
            assert sum(1 for _ in run) == 200


def test_a_report_from_a_worker_on_another_release_is_refused() -> None:
    collected = batch._Collected()
    collected.add((batch.Outcome.VALID.value, None, None), None)
    _version, rows, groups = collected.packed()
    with pytest.raises(EdocError, match="same release"):
        list(batch._unpack(_items(1), ("0.0.1", rows, groups)))
