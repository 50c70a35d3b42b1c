"""Long-term signatures: the cost of verifying B-LT and B-LTA, fully offline, against B-B.

One document (the sample licence, RSA-2048 signer, two-level chain) is signed at B-B and then
raised with ``edocstd.ltv.extend`` to B-LT and B-LTA against the real loopback TSA, OCSP
responder and CRL server. Every service is then stopped, and one ``Verifier`` per case judges:

* **B-B, offline** — the B-B document with the current CRLs supplied by the caller
  (``crls=``), so revocation is checked as in the B-LT case, only from other data;
* **B-B, revocation none** — the same, without revocation (the floor of B-B verification);
* **B-LT, offline** — the extended document on its own: its time-stamp is validated, its
  signer path is judged at the time-stamp's time, revocation from the OCSP responses and CRLs
  it carries;
* **B-LTA, offline** — the same plus the archive time-stamp over the whole signature;

each with the default policy's schema check off (the signature work alone) and on.

Target (issue "Long-term signatures"): B-LT verify, fully offline, costs at most **2×** a B-B
verify of the same document (the B-B offline case is the reference). Verifiers are reused, as
a service would keep one: certificates, decoded revocation data and validated paths are
cached.

With ``--memory [MB]`` it measures instead the peak RSS (above the baseline once the loopback
services run) of ``sign_file`` on a large EDOC document (bulk one ``BinaryObject``) at B-B and
at B-LTA, and of ``Verifier.assess`` of the B-LTA result, each in a fresh process. The archive
time-stamp hashes the whole document, large texts included; it streams them like B-B signing.

Run: ``python benchmarks/bench_ltv.py [--iterations N] [--rounds R] [--memory [MB]]``. Timings
are the best and the median of R alternating rounds of N calls; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from edocstd._level import Level
from edocstd.ltv import TimeStampClient, extend
from edocstd.sign._sign import sign, sign_file
from edocstd.sign._signer import Signer
from edocstd.testing.samples import sample_xml
from edocstd.testing.services import TestServices
from edocstd.verify import Policy, TrustStore, Verifier

TARGET = 2.0


def timings(
    fns: dict[str, Callable[[], object]], iterations: int, rounds: int
) -> dict[str, list[float]]:
    """Milliseconds per call of each function, one figure per alternating round."""
    for fn in fns.values():
        fn()  # warm-up: imports and the verifier's caches
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            started = time.perf_counter()
            for _ in range(iterations):
                fn()
            out[name].append((time.perf_counter() - started) * 1000 / iterations)
    return out


def _vm(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _memory_child(which: str, work: Path) -> None:
    """In a fresh process: run one scenario; print (baseline, peak, seconds) per step.

    ``B-LTA`` signs, then assesses the result in the same process (the loopback PKI lives as
    long as the process): the kernel's peak is reset between the two (``clear_refs``).
    """
    with TestServices.start(now=dt.datetime.now(dt.UTC)) as services:
        pki = services.pki
        signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
        tsa = TimeStampClient(services.tsa.url)
        unsigned, lta = work / "large.edoc.xml", work / "large-lta.edoc.xml"
        trust = TrustStore.from_pem(pki.trust_pem())
        verifier = Verifier(trust=trust, policy=Policy(revocation="offline"))
        steps: list[tuple[str, Callable[[], object]]] = []
        if which == "B-B":
            steps.append(("sign B-B", lambda: sign_file(unsigned, work / "bb.xml", signer)))
        else:
            steps.append(
                (
                    "sign B-LTA",
                    lambda: sign_file(
                        unsigned,
                        lta,
                        signer,
                        level=Level.B_LTA,
                        tsa=tsa,
                        extra_certs=[pki.root.cert],
                    ),
                )
            )
            steps.append(("assess B-LTA", lambda: verifier.assess(lta).raise_for_status()))
        for name, step in steps:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")  # resets VmHWM to the current RSS
            baseline = _vm("VmRSS")
            started = time.perf_counter()
            step()
            elapsed = time.perf_counter() - started
            print(f"{name}|{baseline}|{_vm('VmHWM')}|{elapsed:.2f}")


def memory(size_mb: float) -> int:
    """Peak RSS of B-B and B-LTA signing (and B-LTA assessing) of a large document."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_sign import large_edoc

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        unsigned = work / "large.edoc.xml"
        unsigned.write_bytes(large_edoc(int(size_mb * 1_000_000)))
        size = unsigned.stat().st_size
        print(f"Peak RSS above baseline, {size / 1e6:.1f} MB document, each in a fresh process")
        for which in ("B-B", "B-LTA"):
            done = subprocess.run(
                [sys.executable, __file__, "--memory-child", which, tmp],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                print(f"  {which}: failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            for line in done.stdout.splitlines():
                name, base, peak, secs = line.split("|")
                above = int(peak) - int(base)
                print(
                    f"  {name:14s} {above / 1e6:8.1f} MB = {above / size:5.2f}x the document "
                    f"({secs} s)"
                )
    return 0


def main(argv: list[str]) -> int:
    """Build the documents, stop the services, time the verifications, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--memory", type=float, nargs="?", const=50.0, metavar="MB")
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        _memory_child(args.memory_child[0], Path(args.memory_child[1]))
        return 0
    if args.memory:
        return memory(args.memory)

    with TestServices.start() as services:
        pki = services.pki
        signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
        bb = sign(sample_xml(), signer)
        tsa = TimeStampClient(services.tsa.url)
        blt = extend(bb, Level.B_LT, tsa=tsa, extra_certs=[pki.root.cert])
        blta = extend(bb, Level.B_LTA, tsa=tsa, extra_certs=[pki.root.cert])
        crls = [pki.crl(), pki.crl(issuer=pki.root)]
        services.stop()  # from here on, nothing can be fetched: fully offline

    trust = TrustStore.from_pem(pki.trust_pem())
    cases: dict[str, tuple[Verifier, bytes]] = {}
    for schema in (False, True):
        tag = "schema" if schema else "no schema"
        offline = Verifier(
            trust=trust, policy=Policy(revocation="offline", require_schema=schema), crls=crls
        )
        unchecked = Verifier(trust=trust, policy=Policy(revocation="none", require_schema=schema))
        long_term = Verifier(
            trust=trust, policy=Policy(revocation="offline", require_schema=schema)
        )
        cases[f"B-B offline, CRLs supplied ({tag})"] = (offline, bb)
        cases[f"B-B revocation none ({tag})"] = (unchecked, bb)
        cases[f"B-LT offline, embedded data ({tag})"] = (long_term, blt)
        cases[f"B-LTA offline, embedded data ({tag})"] = (long_term, blta)
    for name, (verifier, doc) in cases.items():
        report = verifier.assess(doc)
        if not report.passed:
            print(f"{name}: {report.summary_en()}", file=sys.stderr)
            return 1

    fns: dict[str, Callable[[], object]] = {
        name: (lambda v=verifier, d=doc: v.assess(d)) for name, (verifier, doc) in cases.items()
    }
    ms = timings(fns, args.iterations, args.rounds)

    print(f"Long-term verification, fully offline ({args.rounds} rounds × {args.iterations})")
    print(f"{'case':<44} {'best ms':>8} {'median':>8} {'worst':>8}")
    for name, values in ms.items():
        print(f"{name:<44} {min(values):8.2f} {statistics.median(values):8.2f} {max(values):8.2f}")
    print()
    print(f"{'ratio (best / best; median / median)':<52} {'best':>6} {'median':>7}  target")
    for tag in ("no schema", "schema"):
        ref = ms[f"B-B offline, CRLs supplied ({tag})"]
        floor = ms[f"B-B revocation none ({tag})"]
        for level in ("B-LT", "B-LTA"):
            got = ms[f"{level} offline, embedded data ({tag})"]
            for label, base, target in (
                ("B-B offline", ref, f"≤ {TARGET:.1f}×" if level == "B-LT" else "-"),
                ("B-B none", floor, "-"),
            ):
                best = min(got) / min(base)
                median = statistics.median(got) / statistics.median(base)
                name = f"{level} / {label} ({tag})"
                print(f"{name:<52} {best:5.2f}× {median:6.2f}×  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
