"""Batch verification: scaling over processes, and memory that does not grow with the input count.

Measures

1. throughput of ``batch.verify`` over N signed documents (default 10,000) on a process pool of
   2 workers, against the single-process throughput measured in the same round: a plain loop
   calling ``Verifier.assess`` on each path with one verifier (the fastest one process can do;
   no batch machinery at all). Every batch figure is for the whole run as a user sees it: pool
   start-up (fork), the workers' first chunks (building their verifiers), the ordered
   collection of every result and the pool's shutdown. Also shown:

   - the *steady* rate of the 2-worker run: results 10%…90% over the time between them, which
     leaves out start-up and the last chunks; if it differs from the whole-run rate, start-up
     or the tail costs that much;
   - ``2 independent assess loops``: two forked processes each running the plain loop on half
     the corpus, with no batch machinery at all. This is what two processes get from these two
     cores (shared caches, memory bandwidth, the hypervisor), the ceiling any batch design
     could reach here; it is context, not the baseline;
   - ``batch.verify`` on a 1-worker pool (the machinery's own cost: chunks out, results back,
     ordering) and on the in-process executor;
   - with ``--start-methods``, 2-worker runs whose pool starts workers another way
     (``forkserver`` or ``spawn``: each worker imports the library itself);
   - a caller who reads every report: the single loop writing each report as a JSON Lines
     entry (``to_dict()`` and ``json.dumps``, as ``edocstd verify --report`` writes them)
     against ``batch.verify`` on 2 workers writing ``BatchResult.json_line()`` for each result.
     Both write to ``os.devnull``. Here the collecting process decodes every report and
     encodes its JSON, while the workers verify.

   The documents: ``--distinct`` (default 50) different B-B signatures of the sample licence
   (RSA-2048, two-level chain, each signed separately so each has its own signature value and
   signing time), copied to N files under different names in sub-directories. Every file is
   opened, parsed, digested, signature-checked and schema-validated on its own; what the copies
   share is the certificate chain, whose path validation the verifier caches per process — as it
   would for a real agency's documents, which are signed by a handful of officers.
   ``revocation=none``.

2. peak memory of ``batch.verify`` over 2,000 and over N inputs, each in a fresh interpreter:
   the peak RSS of the parent (which holds the ordering window and consumes results) and of the
   largest worker. "Flat" means the N-input peak is about the 2,000-input peak.

Targets (issue "batch / scale-out"): 2-worker throughput ≥ 1.8× single-process throughput on
2 cores; peak memory flat in the input count.

The machine may be shared. Every run is printed with the 1-minute load average before it and
the CPU that *other* processes used while it ran (busy time of the whole machine from
/proc/stat, less this benchmark's own processes, in cores): a wall-clock ratio from a round
where others used a good part of a core says little. The ratio is given per round (single and
2-worker runs are adjacent), as best and median, and as a CPU-time projection: total CPU per
document of the 2-worker run (parent and workers) against the single loop's, which others'
load disturbs less. It prints figures and never asserts on them.

Run: ``python benchmarks/bench_batch.py [--n 10000] [--rounds 5] [--distinct 50]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from edocstd import batch
from edocstd.sign._sign import sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.verify import Policy, TrustStore, Verifier

SINGLE = "single process: Verifier.assess loop"
TWO = "batch.verify, 2 worker processes"
CEILING = "2 independent assess loops (no batch)"
ONE = "batch.verify, 1 worker process"
INLINE = "batch.verify, in-process executor"
SINGLE_JSON = "single process, every report as JSON"
TWO_JSON = "batch.verify 2 workers, every json_line()"


def make_corpus(root: Path, n: int, distinct: int) -> tuple[list[Path], bytes]:
    """``n`` signed files under ``root`` (``distinct`` different signatures); the trust PEM."""
    pki = TestPKI.generate()
    signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
    docs = [sign(sample_xml(), signer) for _ in range(distinct)]
    paths: list[Path] = []
    for i in range(n):
        sub = root / f"part{i // 1000:03d}"
        if i % 1000 == 0:
            sub.mkdir(parents=True)
        path = sub / f"doc{i:06d}.edoc.xml"
        path.write_bytes(docs[i % distinct])
        paths.append(path)
    return paths, pki.trust_pem()


def run_plain(paths: list[Path], trust_pem: bytes) -> int:
    verifier = Verifier(TrustStore.from_pem(trust_pem), Policy(revocation="none"))
    return sum(verifier.assess(p).passed for p in paths)


def run_plain_json(paths: list[Path], trust_pem: bytes) -> int:
    """The plain loop, writing each report as the JSON Lines entry batch would write."""
    verifier = Verifier(TrustStore.from_pem(trust_pem), Policy(revocation="none"))
    passed = 0
    with open(os.devnull, "wb") as out:
        for i, path in enumerate(paths):
            report = verifier.assess(path)
            passed += report.passed
            line = {"file": str(path), "index": i, "outcome": report.indication.value}
            line.update(report.to_dict())
            out.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
    return passed


def run_batch_json(paths: list[Path], job: batch.VerifyJob) -> int:
    passed = 0
    with (
        ProcessPoolExecutor(2, initializer=batch.ignore_sigint) as pool,
        batch.verify(paths, job, executor=pool) as run,
        open(os.devnull, "wb") as out,
    ):
        for result in run:
            passed += result.ok
            out.write(result.json_line())
    return passed


def _half(paths: list[Path], trust_pem: bytes) -> None:
    # Exit status 0 when every document of this half passed.
    sys.exit(0 if run_plain(paths, trust_pem) == len(paths) else 1)


def run_ceiling(paths: list[Path], trust_pem: bytes) -> int:
    """Two forked processes, each the plain loop over half the paths; no batch machinery."""
    ctx = multiprocessing.get_context("fork")
    mid = len(paths) // 2
    procs = [
        ctx.Process(target=_half, args=(part, trust_pem)) for part in (paths[:mid], paths[mid:])
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return len(paths) if all(proc.exitcode == 0 for proc in procs) else 0


@dataclass
class Marks:
    """When the 10% and 90% results arrived (for the steady rate)."""

    at: dict[int, float] = field(default_factory=dict)

    def steady(self, n: int) -> float | None:
        lo, hi = n // 10, n - n // 10
        if lo not in self.at or hi not in self.at or hi <= lo:
            return None
        return (hi - lo) / (self.at[hi] - self.at[lo])


def run_batch(
    paths: list[Path],
    job: batch.VerifyJob,
    workers: int | None,
    marks: Marks | None = None,
    start_method: str | None = None,
) -> int:
    if workers is None:
        with batch.verify(paths, job, executor=batch.InlineExecutor()) as run:
            return sum(r.ok for r in run)
    ctx = multiprocessing.get_context(start_method) if start_method else None
    n = len(paths)
    lo, hi = n // 10, n - n // 10
    passed = 0
    with (
        ProcessPoolExecutor(workers, mp_context=ctx, initializer=batch.ignore_sigint) as pool,
        batch.verify(paths, job, executor=pool) as run,
    ):
        for i, result in enumerate(run):
            passed += result.ok
            if marks is not None and i in (lo, hi):
                marks.at[i] = time.perf_counter()
    return passed


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all processes), from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            fields = fh.readline().split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


QUIET = 0.25
"""Cores that other processes may use during a run for it to count as quiet."""


def settle(max_wait: float) -> None:
    """Wait (at most ``max_wait`` seconds) for a moment when other processes use little CPU.

    The machine may be shared with other work that comes and goes; starting a run in a lull
    makes quiet rounds likelier. Whether a run *was* quiet is measured during the run itself.
    """
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline:
        before = _machine_busy()
        time.sleep(0.5)
        if (_machine_busy() - before) / 0.5 < QUIET:
            return


@dataclass
class Run:
    """One timed run."""

    rate: float
    cpu: float  # CPU seconds per document: this process and its (reaped) workers
    load: float  # 1-minute load average just before the run
    others: float  # cores used by other processes during the run
    steady: float | None = None


def timed(
    fn: Callable[[], int], n: int, marks: Marks | None = None, settle_for: float = 0.0
) -> Run:
    """Run ``fn`` once and measure it."""
    settle(settle_for)
    load = os.getloadavg()[0]
    busy0, cpu0, kids0 = _machine_busy(), time.process_time(), _children_cpu()
    start = time.perf_counter()
    passed = fn()
    elapsed = time.perf_counter() - start
    ours = time.process_time() - cpu0 + _children_cpu() - kids0
    others = max(0.0, (_machine_busy() - busy0 - ours) / elapsed)
    if passed != n:
        raise SystemExit(f"benchmark corpus did not verify: {passed}/{n} passed")
    steady = marks.steady(n) if marks is not None else None
    return Run(n / elapsed, ours / n, load, others, steady)


def memory_child(root: str, n: int, trust: str) -> None:
    """In a fresh interpreter: batch.verify over the first ``n`` files; print peak RSS (KiB)."""
    # The paths are read lazily from the directory walk, as a user's would be: the parent's
    # memory is then the batch's own (plus one directory's listing at a time).
    paths = itertools.islice(batch.iter_files([root]), n)
    job = batch.VerifyJob(trust_pem=Path(trust).read_bytes(), revocation="none")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with (
        ProcessPoolExecutor(2, initializer=batch.ignore_sigint) as pool,
        batch.verify(paths, job, executor=pool) as run,
    ):
        assert sum(r.ok for r in run) == n
    print(
        json.dumps(
            {
                "baseline_kib": before,
                "parent_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "worker_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            }
        )
    )


def measure_memory(root: Path, n: int, trust: Path) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(root), str(n), str(trust)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, int] = json.loads(out.strip().splitlines()[-1])
    return result


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--distinct", type=int, default=50)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument(
        "--start-methods",
        default="forkserver",
        help="comma-separated other pool start methods to time once each ('' for none)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=20.0,
        help="before each run, wait up to this many seconds for other processes to go quiet",
    )
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--skip-reports",
        action="store_true",
        help="leave out the runs that read every report (JSON Lines)",
    )
    parser.add_argument("--memory-child", nargs=3, metavar=("ROOT", "N", "TRUST"))
    args = parser.parse_args()
    if args.memory_child:
        root, n, trust = args.memory_child
        memory_child(root, int(n), trust)
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        t0 = time.perf_counter()
        paths, trust_pem = make_corpus(tmp / "docs", args.n, args.distinct)
        trust = tmp / "root.pem"
        trust.write_bytes(trust_pem)
        made = time.perf_counter() - t0
        print(
            f"corpus: {args.n} files, {args.distinct} distinct B-B signatures "
            f"({paths[0].stat().st_size} bytes each), built in {made:.1f} s; "
            f"{batch.default_workers()} CPU(s) available; "
            f"default start method {multiprocessing.get_start_method()}"
        )
        job = batch.VerifyJob(trust_pem=trust_pem, revocation="none")
        marks = Marks()
        runs: dict[str, Callable[[], int]] = {
            SINGLE: lambda: run_plain(paths, trust_pem),
            TWO: lambda: run_batch(paths, job, 2, marks),
            CEILING: lambda: run_ceiling(paths, trust_pem),
            ONE: lambda: run_batch(paths, job, 1),
            INLINE: lambda: run_batch(paths, job, None),
        }
        if not args.skip_reports:
            runs[SINGLE_JSON] = lambda: run_plain_json(paths, trust_pem)
            runs[TWO_JSON] = lambda: run_batch_json(paths, job)
        results: dict[str, list[Run]] = {name: [] for name in runs}
        # A first, untimed pass warms the page cache and this process's own caches, so that
        # the first timed round is not the odd one out.
        run_plain(paths[: min(len(paths), 500)], trust_pem)
        print(
            f"\n{'round':<6} {'single/s':>9} {'2-worker/s':>11} {'ratio':>6} {'steady':>7} "
            f"{'ceiling':>8} {'load':>5} {'others':>7}"
        )
        for r in range(args.rounds):
            for name, fn in runs.items():
                marked = marks if name == TWO else None
                results[name].append(timed(fn, args.n, marked, args.settle))
            one, two, top = results[SINGLE][-1], results[TWO][-1], results[CEILING][-1]
            steady = f"{two.steady / one.rate:.2f}×" if two.steady else "–"
            others = max(one.others, two.others)
            quiet = " quiet" if others < QUIET else ""
            print(
                f"{r + 1:<6} {one.rate:>9.0f} {two.rate:>11.0f} {two.rate / one.rate:>5.2f}× "
                f"{steady:>7} {top.rate / one.rate:>7.2f}× {max(one.load, two.load):>5.1f} "
                f"{others:>6.2f}c{quiet}",
                flush=True,
            )

        print()
        head = f"throughput (docs/s), {args.rounds} rounds"
        print(
            f"{head:<40} {'best':>7} {'median':>7} {'worst':>7} {'× single':>9} "
            f"{'CPU µs/doc':>11} {'others':>7}"
        )
        base_median = _median([r.rate for r in results[SINGLE]])
        for name, rs in results.items():
            rates = [r.rate for r in rs]
            print(
                f"{name:<40} {max(rates):>7.0f} {_median(rates):>7.0f} {min(rates):>7.0f} "
                f"{_median(rates) / base_median:>8.2f}× {_median([r.cpu for r in rs]) * 1e6:>11.0f} "
                f"{_median([r.others for r in rs]):>6.2f}c"
            )
        ratios = [t.rate / s.rate for s, t in zip(results[SINGLE], results[TWO], strict=True)]
        steadies = [
            t.steady / s.rate
            for s, t in zip(results[SINGLE], results[TWO], strict=True)
            if t.steady
        ]
        ceilings = [t.rate / s.rate for s, t in zip(results[SINGLE], results[CEILING], strict=True)]
        print(
            "\nscaling, 2 workers vs single process, whole run (wall clock, per round): "
            f"best {max(ratios):.2f}×, median {_median(ratios):.2f}× (target ≥ 1.8×)"
        )
        if steadies:
            print(
                "  steady part of the run (results 10%…90%): "
                f"best {max(steadies):.2f}×, median {_median(steadies):.2f}×"
            )
        quiet = [
            t.rate / s.rate
            for s, t in zip(results[SINGLE], results[TWO], strict=True)
            if max(s.others, t.others) < QUIET
        ]
        if quiet:
            print(
                f"  quiet rounds only (others < {QUIET} cores during both runs): {len(quiet)}, "
                f"best {max(quiet):.2f}×, median {_median(quiet):.2f}×"
            )
        else:
            print(f"  no quiet round (others used ≥ {QUIET} cores during every round)")
        print(
            "  2 independent assess loops (the ceiling these cores give two processes): "
            f"best {max(ceilings):.2f}×, median {_median(ceilings):.2f}×"
        )
        # With other work on the machine, the wall-clock figure measures the share of the two
        # cores this run got; CPU time per document says what the batch machinery itself costs.
        cpu_single = _median([r.cpu for r in results[SINGLE]])
        cpu_two = _median([r.cpu for r in results[TWO]])
        cpu_top = _median([r.cpu for r in results[CEILING]])
        print(
            "CPU per document (median), 2-worker batch (workers + parent) vs single process: "
            f"{cpu_two / cpu_single:.2f}× → {2 * cpu_single / cpu_two:.2f}× projected on 2 "
            "otherwise idle cores"
        )
        print(
            "  of which two processes running at once (independent loops vs single): "
            f"{cpu_top / cpu_single:.2f}×; the batch machinery (2-worker batch vs independent "
            f"loops): {cpu_two / cpu_top:.2f}×"
        )
        if not args.skip_reports:
            with_json = [
                t.rate / s.rate
                for s, t in zip(results[SINGLE_JSON], results[TWO_JSON], strict=True)
            ]
            print(
                "reading every report (JSON Lines written), 2 workers vs single process: "
                f"best {max(with_json):.2f}×, median {_median(with_json):.2f}×"
            )
        loads = [r.load for rs in results.values() for r in rs]
        print(f"1-minute load average before the runs: {min(loads):.1f}–{max(loads):.1f}")

        for method in filter(None, (m.strip() for m in args.start_methods.split(","))):
            if method not in multiprocessing.get_all_start_methods():
                continue
            m = Marks()
            run = timed(
                lambda: run_batch(paths, job, 2, m, method),  # noqa: B023
                args.n,
                m,
                args.settle,
            )
            single = timed(lambda: run_plain(paths, trust_pem), args.n, None, args.settle)
            steady = f", steady {run.steady / single.rate:.2f}×" if run.steady else ""
            print(
                f"2 workers started by {method}: {run.rate:.0f} docs/s, "
                f"{run.rate / single.rate:.2f}× the single process measured next to it{steady} "
                f"(others {max(run.others, single.others):.2f}c)"
            )

        if args.skip_memory:
            return
        print()
        small = measure_memory(tmp / "docs", min(args.small, args.n), trust)
        large = measure_memory(tmp / "docs", args.n, trust)
        small_label, large_label = f"{args.small} inputs", f"{args.n} inputs"
        print(f"{'peak RSS (MiB)':<28} {small_label:>14} {large_label:>14} {'ratio':>7}")
        for key, label in (
            ("parent_kib", "parent (orders results)"),
            ("worker_kib", "largest worker"),
        ):
            a, b = small[key] / 1024, large[key] / 1024
            print(f"{label:<28} {a:>14.1f} {b:>14.1f} {b / a:>6.2f}×")
        print("target: flat (ratio ≈ 1.0×: memory does not grow with the input count)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
