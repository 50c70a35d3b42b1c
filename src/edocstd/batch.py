"""Validate or verify many documents, on one machine or many.

Every function here takes any :class:`concurrent.futures.Executor` — a process pool by
default, or a distributed one such as Dask's ``Client.get_executor()`` — and yields results **in
input order**, with a bounded number of chunks in flight, so memory does not grow with the
number of inputs.

Workers receive file *paths* in chunks, never document bytes: pickling bytes to a worker costs
about as much as verifying a small document. Each worker process builds its expensive state
(the compiled schema, the trust store, the verifier with its path-validation cache) once, keyed
by the job's configuration, and reuses it for every chunk it is given.

Example::

    from edocstd import batch

    for result in batch.validate(["a.edoc.xml", "b.edoc.xml"]):
        print(result.path, result.ok)
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["BatchResult", "VerifyJob", "iter_files", "validate", "verify"]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The outcome for one input file.

    ``ok`` is the positive/negative outcome; ``error`` is set when the file could not be read at
    all (then ``ok`` is false and ``report`` is ``None``). ``report`` is the report's ``to_dict()``
    form, which is plain data and crosses process boundaries cheaply.
    """

    path: str
    ok: bool
    report: dict[str, Any] | None = None
    error: str | None = None
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (one line of a JSON Lines report)."""
        out: dict[str, Any] = {"file": self.path, "ok": self.ok}
        if self.error is not None:
            out["error"] = self.error
        if self.report is not None:
            out.update(self.report)
        return out


@dataclass(frozen=True)
class VerifyJob:
    """What every worker needs to verify: trust anchors and policy, as plain data.

    Kept as PEM/DER bytes and strings so it pickles small and hashes as a cache key.
    """

    trust_pem: bytes
    revocation: str = "offline"
    require_schema: bool = True
    allow_legacy: bool = False
    min_level: str | None = "B-B"
    crls: tuple[bytes, ...] = ()
    at: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())


def iter_files(paths: Iterable[str | os.PathLike[str]], pattern: str = "*.xml") -> Iterator[Path]:
    """Expand directories (recursively, sorted) into the files matching ``pattern``."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            yield from sorted(q for q in path.rglob(pattern) if q.is_file())
        else:
            yield path


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    buf: list[_T] = []
    for item in items:
        buf.append(item)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def _run_ordered(
    func: Callable[..., list[BatchResult]],
    job: Any,
    paths: Iterable[str | os.PathLike[str]],
    executor: Executor | None,
    chunk_size: int,
    window: int | None,
) -> Iterator[BatchResult]:
    own = executor is None
    pool: Executor = executor if executor is not None else ProcessPoolExecutor(_default_workers())
    limit = window or 4 * _workers_of(pool)
    pending: deque[Future[list[BatchResult]]] = deque()
    try:
        for chunk in _chunks((os.fspath(p) for p in paths), chunk_size):
            pending.append(pool.submit(func, job, chunk))
            while len(pending) >= limit:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _workers_of(pool: Executor) -> int:
    n = getattr(pool, "_max_workers", None)
    return n if isinstance(n, int) and n > 0 else _default_workers()


# --------------------------------------------------------------------------- validate


def _validate_chunk(_job: None, paths: Sequence[str]) -> list[BatchResult]:
    from edocstd.errors import InputError
    from edocstd.schema._validate import validate as _validate

    out: list[BatchResult] = []
    for p in paths:
        try:
            report = _validate(Path(p))
        except InputError as exc:
            out.append(BatchResult(p, False, error=str(exc), summary=str(exc)))
            continue
        out.append(
            BatchResult(
                p,
                report.valid,
                report.to_dict(),
                summary="valid" if report.valid else ", ".join(report.codes),
            )
        )
    return out


def validate(
    paths: Iterable[str | os.PathLike[str]],
    *,
    executor: Executor | None = None,
    chunk_size: int = 64,
    window: int | None = None,
) -> Iterator[BatchResult]:
    """Validate every file in ``paths``; yields one :class:`BatchResult` per file, in order."""
    return _run_ordered(_validate_chunk, None, paths, executor, chunk_size, window)


# --------------------------------------------------------------------------- verify

_VERIFIERS: dict[VerifyJob, Any] = {}


def _verifier_for(job: VerifyJob) -> Any:
    """The per-process verifier for ``job``, built once per worker process."""
    cached = _VERIFIERS.get(job)
    if cached is None:
        from edocstd.verify import Policy, TrustStore, Verifier

        cached = Verifier(
            trust=TrustStore.from_pem(job.trust_pem),
            policy=Policy(
                revocation=job.revocation,
                require_schema=job.require_schema,
                allow_legacy=job.allow_legacy,
                min_level=job.min_level,
            ),
            crls=job.crls,
        )
        _VERIFIERS[job] = cached
    return cached


def _verify_chunk(job: VerifyJob, paths: Sequence[str]) -> list[BatchResult]:
    import datetime as dt

    from edocstd.errors import InputError

    verifier = _verifier_for(job)
    at = dt.datetime.fromisoformat(job.at) if job.at else None
    out: list[BatchResult] = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            out.append(BatchResult(p, False, error="cannot open: no such file"))
            continue
        try:
            report = verifier.assess(path, at=at)
        except InputError as exc:
            out.append(BatchResult(p, False, error=str(exc), summary=str(exc)))
            continue
        out.append(BatchResult(p, report.passed, report.to_dict(), summary=report.summary("en")))
    return out


def verify(
    paths: Iterable[str | os.PathLike[str]],
    job: VerifyJob,
    *,
    executor: Executor | None = None,
    chunk_size: int = 64,
    window: int | None = None,
) -> Iterator[BatchResult]:
    """Verify every file in ``paths`` under ``job``; yields results in input order."""
    return _run_ordered(_verify_chunk, job, paths, executor, chunk_size, window)
