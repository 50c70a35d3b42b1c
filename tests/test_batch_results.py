"""edocstd.batch results: compact on the way back, decoded only when asked, JSON Lines."""

from __future__ import annotations

import json
import os
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from _batch_corpus import validate_corpus, verify_corpus
from edocstd import batch
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


def _count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """From now on, every blob ``edocstd.batch`` unpickles is appended to the list returned."""
    decoded: list[bytes] = []
    real_loads = pickle.loads

    def counting(data: bytes, /, **kwargs: Any) -> Any:
        decoded.append(data)
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


def test_reports_of_a_chunk_decode_once_and_each_result_gets_its_own(
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
    decoded = _count_decodes(monkeypatch)
    # Eight threads read every report at once: each result still gets its own report, the
    # same one on every read, and a chunk's reports are decoded once however many ask.
    with ThreadPoolExecutor(8) as threads:
        seen = list(threads.map(lambda r: [r.report for _ in range(3)], results * 8))
    for result, reads in zip(results * 8, seen, strict=True):
        assert all(report is result.report for report in reads)
    assert [r.to_dict() for r in results] == expected
    assert all(r.report is None for r in results if r.unreadable)
    reports = [r.report for r in results if r.report is not None]
    assert len({id(report) for report in reports}) == len(reports)
    assert len(reports) == sum(not r.unreadable for r in results) > 40
    with_reports = [
        chunk for chunk in batch._chunks(results, 16) if any(not r.unreadable for r in chunk)
    ]
    assert len(decoded) == len(with_reports) > 1
