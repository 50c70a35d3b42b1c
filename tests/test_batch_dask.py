"""The same batch call runs on a Dask distributed cluster and gives the same results."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from _batch_corpus import validate_corpus, verify_corpus
from edocstd import batch
from edocstd.testing.pki import TestPKI

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    # Two real worker processes on loopback only, no dashboard; two threads each, as Dask
    # gives by default on larger machines, so two tasks may start together in one fresh worker
    # (which must still build its schema and verifier once).
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _local(run: batch.BatchRun[object]) -> list[dict[str, object]]:
    with run:
        return [_comparable(r) for r in run]


def _comparable(result: batch.BatchResult) -> dict[str, object]:
    record = result.to_dict()
    # The validation time is "now" where the document was verified; all else must match.
    record.pop("validation_time", None)
    return record


def test_verify_on_dask_gives_the_local_results(tmp_path: Path, client: distributed.Client) -> None:
    pki = TestPKI.generate()
    corpus = verify_corpus(tmp_path, 150, pki, unreadable=2, per_dir=50)
    job = batch.VerifyJob(trust_pem=pki.trust_pem(), revocation="none")
    paths = corpus.ordered()
    local = _local(batch.verify(paths, job, executor=batch.InlineExecutor()))
    executor = client.get_executor(pure=False)
    window = 4 * sum(client.nthreads().values())  # Dask does not tell batch its width
    remote = _local(batch.verify(paths, job, executor=executor, chunk_size=16, window=window))
    assert remote == local
    assert [r["outcome"] for r in remote] == [corpus.expected[p] for p in paths]
    # The work really ran in the two worker processes, not in this one.
    pids = client.run(os.getpid)
    assert len(pids) == 2 and os.getpid() not in pids.values()
    built = client.run(lambda: len(batch._VERIFIERS))
    # Built at most once in each worker, however many chunks it verified.
    assert max(built.values()) == 1


def test_validate_on_dask_gives_the_local_results(
    tmp_path: Path, client: distributed.Client
) -> None:
    corpus = validate_corpus(tmp_path, 120, unreadable=2, per_dir=40)
    paths = corpus.ordered()
    local = _local(batch.validate(paths, executor=batch.InlineExecutor()))
    remote = _local(batch.validate(paths, executor=client.get_executor(pure=False)))
    assert remote == local
    assert {r["outcome"] for r in remote} == {"valid", "invalid", "unreadable"}
