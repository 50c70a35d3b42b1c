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

Run: ``python benchmarks/bench_ltv.py [--iterations N] [--rounds R]``. Timings are the best and
the median of R alternating rounds of N calls; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from edocstd._level import Level
from edocstd.ltv import TimeStampClient, extend
from edocstd.sign._sign import sign
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


def main(argv: list[str]) -> int:
    """Build the documents, stop the services, time the verifications, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

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
