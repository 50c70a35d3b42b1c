"""Peak memory of the 50 MB document: signing, validating and verifying, against signxml.

Each scenario runs in a fresh interpreter on the same ~50 MB EDOC document, whose bulk is one
``BinaryObject`` (plus a second, smaller one, because one may carry at most 32 MiB decoded):

* ``edocstd sign``: ``sign_file`` from file to file (XAdES B-B, RSA-2048);
* ``signxml sign``: signxml's ``XAdESSigner`` on the same unsigned document;
* ``edocstd validate``: ``validate`` of the unsigned file (issue "Foundation": peak < 4x);
* ``edocstd assess``: ``Verifier.assess`` of the signed file, default policy without
  revocation (schema and business rules included);
* ``edocstd verify``: ``Verifier.verify`` of the signed file, which also decodes the
  ``Document``, attachments included;
* ``signxml verify``: signxml's ``XAdESVerifier`` on the same signed file.

Targets (issue "XAdES B-B signing"): signing and verifying peak below 5x the document size and
at most half of signxml's peak on the same document.

Each child reports ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` and its RSS once its imports
are done (the baseline). The parent writes the documents from a child too and stays small,
because a freshly exec'd child's ``ru_maxrss`` starts from its parent's resident size. Ratios
are given both for the whole process peak and for the peak above the baseline (the memory the
operation itself needed); the targets are judged on the latter, as the interpreter and its
libraries are there whatever the document. It always exits 0: benchmarks report.

Run: ``python benchmarks/bench_memory.py [--size-mb 50]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

SCENARIOS = (
    "edocstd sign",
    "signxml sign",
    "edocstd validate",
    "edocstd assess",
    "edocstd verify",
    "signxml verify",
)


def _rss_now() -> int:
    return _status("VmRSS")


def _status(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child(which: str, work: Path) -> None:
    """Run one scenario in this (fresh) process; print baseline, peak and seconds."""
    import resource

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from lxml import etree
    from signxml.xades import XAdESSignatureConfiguration, XAdESSigner, XAdESVerifier

    from edocstd.schema._validate import edoc_schema, validate
    from edocstd.sign._sign import sign_file
    from edocstd.sign._signer import Signer
    from edocstd.verify import Policy, TrustStore, Verifier

    unsigned, signed = work / "large.edoc.xml", work / "large-signed.edoc.xml"
    key, cert, chain, root = (work / n for n in ("key.pem", "cert.pem", "chain.pem", "root.pem"))
    signer = Signer.from_pem(key, cert, chain)
    verifier = Verifier(trust=TrustStore.from_pem(root), policy=Policy(revocation="none"))
    huge = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
    edoc_schema()  # compiled once per process in real use: not part of the document's cost
    baseline = _rss_now()
    started = time.perf_counter()
    if which == "edocstd sign":
        sign_file(unsigned, work / "out-edocstd.xml", signer)
    elif which == "signxml sign":
        private_key = serialization.load_pem_private_key(key.read_bytes(), None)
        tree = etree.parse(str(unsigned), huge)
        sx = XAdESSigner()
        # signxml re-parses without XML_PARSE_HUGE and then refuses text nodes over 10 MB;
        # without this parser it cannot sign the document at all.
        sx._parser = huge
        out = sx.sign(tree.getroot(), key=private_key, cert=[cert.read_text(), chain.read_text()])
        (work / "out-signxml.xml").write_bytes(etree.tostring(out))
    elif which == "edocstd validate":
        assert validate(unsigned).valid
    elif which == "edocstd assess":
        assert verifier.assess(signed).passed
    elif which == "edocstd verify":
        verified = verifier.verify(signed)
        assert verified.document is not None and verified.document.attachments
        del verified
    elif which == "signxml verify":
        XAdESVerifier().verify(
            signed.read_bytes(),
            ca_pem_file=str(root),
            parser=huge,
            ee_policy=x509.verification.ExtensionPolicy.permit_all(),
            ca_policy=x509.verification.ExtensionPolicy.webpki_defaults_ca(),
            expect_config=XAdESSignatureConfiguration(expect_references=2),
        )
    else:
        raise SystemExit(f"unknown scenario {which!r}")
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    # VmHWM is the same peak as the kernel keeps it for this process alone: a cross-check.
    print(baseline, peak, f"{elapsed:.3f}", _status("VmHWM"))


def _prepare(work: Path, size_mb: float) -> None:
    """Write the key material, the unsigned and the signed document (run in a child)."""
    sys.path.insert(0, str(HERE))
    from bench_sign import large_edoc

    from edocstd.sign._sign import sign_file
    from edocstd.sign._signer import Signer
    from edocstd.testing.pki import TestPKI

    pki = TestPKI.generate(now=dt.datetime.now(dt.UTC))
    (work / "key.pem").write_bytes(pki.signer.key_pem)
    (work / "cert.pem").write_bytes(pki.signer.cert_pem)
    (work / "chain.pem").write_bytes(pki.chain_pem())
    (work / "root.pem").write_bytes(pki.trust_pem())
    unsigned = work / "large.edoc.xml"
    unsigned.write_bytes(large_edoc(int(size_mb * 1_000_000)))
    signer = Signer.from_pem(work / "key.pem", work / "cert.pem", work / "chain.pem")
    sign_file(unsigned, work / "large-signed.edoc.xml", signer)


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=50.0, help="size of the test document")
    ap.add_argument(
        "--only",
        help="comma-separated scenarios to run (default: all): " + ", ".join(SCENARIOS),
    )
    ap.add_argument("--child", nargs=2, metavar=("SCENARIO", "DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--prepare", nargs=2, metavar=("DIR", "MB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return 0
    if args.prepare:
        _prepare(Path(args.prepare[0]), float(args.prepare[1]))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        done = _run(["--prepare", tmp, str(args.size_mb)])
        if done.returncode != 0:
            print(f"could not prepare the documents:\n{done.stderr}")
            return 0
        sizes = {
            "unsigned": (work / "large.edoc.xml").stat().st_size,
            "signed": (work / "large-signed.edoc.xml").stat().st_size,
        }
        results: dict[str, tuple[int, int, float]] = {}
        chosen = SCENARIOS if not args.only else tuple(w.strip() for w in args.only.split(","))
        for which in chosen:
            done = _run(["--child", which, tmp])
            if done.returncode != 0:
                tail = done.stderr.strip().splitlines()[-1:]
                print(f"{which}: failed: {tail}")
                continue
            base, peak, secs, hwm = done.stdout.split()
            if abs(int(hwm) - int(peak)) > int(peak) // 100:
                print(f"{which}: ru_maxrss {peak} and VmHWM {hwm} disagree; the larger counts")
            results[which] = (int(base), max(int(peak), int(hwm)), float(secs))

    print(
        f"document: {sizes['unsigned'] / 1e6:.1f} MB unsigned, {sizes['signed'] / 1e6:.1f} MB "
        "signed; peak RSS per scenario, each in a fresh process"
    )
    print(
        f"{'scenario':18s} {'baseline':>9s} {'peak':>9s} {'above':>9s} {'peak/doc':>9s} "
        f"{'above/doc':>10s} {'time':>7s}"
    )
    for which, (base, peak, secs) in results.items():
        size = sizes["unsigned"] if which.endswith(("sign", "validate")) else sizes["signed"]
        print(
            f"{which:18s} {base / 1e6:8.1f}M {peak / 1e6:8.1f}M {(peak - base) / 1e6:8.1f}M "
            f"{peak / size:8.2f}x {(peak - base) / size:9.2f}x {secs:6.1f}s"
        )
    print()

    def above(which: str) -> float | None:
        found = results.get(which)
        return None if found is None else float(found[1] - found[0])

    for ours, theirs, size_key, limit in (
        ("edocstd sign", "signxml sign", "unsigned", 5.0),
        ("edocstd verify", "signxml verify", "signed", 5.0),
        ("edocstd assess", "signxml verify", "signed", 5.0),
        ("edocstd validate", None, "unsigned", 4.0),
    ):
        mine = above(ours)
        if mine is None:
            continue
        ratio = mine / sizes[size_key]
        line = f"{ours:18s} above baseline / doc = {ratio:5.2f}x (target < {limit:g}x) {_ok(ratio < limit)}"
        peer = above(theirs) if theirs else None
        if peer:
            rel = mine / peer
            line += f";  / {theirs} = {rel:4.2f} (target <= 0.5) {_ok(rel <= 0.5)}"
        print(line)
    return 0


def _ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
