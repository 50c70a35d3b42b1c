"""Signing through SoftHSM2 against signing with the same key in memory, in one run.

Measures, for RSA-2048 (PKCS#1 v1.5 and PSS) and ECDSA P-256:

1. whole-document XAdES B-B signing of the sample licence, token key against the same key in
   memory: with validation skipped (the figure is about signing alone), and as the default
   ``sign()`` call does it (EDOC validation first);
2. the raw signature operation alone (``SigningKey.sign`` on a SignedInfo-sized message);
3. both again with several threads sharing one key (the session pool at work; time per
   signature or document over all threads).

Target (issue "HSM signing"): signing through SoftHSM2 costs at most 1.3x signing with the
same key in memory (whole-document figure).

The "binding" row separates edocstd's own cost from the token's: the same signature made by
calling python-pkcs11 directly on an open session (input already hashed where the token needs
it) against :class:`Pkcs11Key`.

The last section says where the token's time goes. SoftHSM2 computes with the system's
``libcrypto`` (the Debian package is built with the OpenSSL backend), while the in-memory key
uses the OpenSSL bundled in the ``cryptography`` wheel, usually a newer release. ``openssl
speed`` measures the system library's own signature operation (with the key already set up),
so the token's time splits into: the bundled library's operation, the difference between the
two OpenSSL releases, and what SoftHSM2 adds per call (rebuilding the key object from its
encrypted attributes on every ``C_SignInit``, the PKCS#11 call path). It also tries the
mechanism variants: the combined ``CKM_SHAxxx_RSA_PKCS`` against hashing on the host and
``CKM_RSA_PKCS``.

Single-threaded rows are timed with the process's CPU time by default (SoftHSM2 runs inside
the process, so its work is counted; ``--clock wall`` for elapsed time); threaded rows with
elapsed time.

Run: ``python benchmarks/bench_hsm.py [--iterations N] [--rounds R] [--threads T] [--clock cpu|wall]``. Needs the
softhsm2 package and python-pkcs11. It prints figures and ratios; it never asserts on them.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable

from edocstd.sign._algorithms import SignatureAlgorithm
from edocstd.sign._pkcs11 import _Plan, open_pkcs11_key
from edocstd.sign._sign import SchemaCheck, sign
from edocstd.sign._signer import InMemoryKey, Signer
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.testing.softhsm import SoftHSM

CLOCK_HELP = (
    "cpu (default): this process's CPU time, the figure a dedicated core would give as wall "
    "time, since neither contender waits on I/O (SoftHSM2 runs inside the process); far "
    "steadier than wall time on a shared machine. wall: elapsed time."
)
CLOCK = time.process_time


def use_clock(name: str) -> None:
    """Time the single-threaded measurements with CPU time (``cpu``) or elapsed time."""
    global CLOCK
    CLOCK = time.process_time if name == "cpu" else time.perf_counter


SIGNED_INFO = b"<ds:SignedInfo>" + b"x" * 900 + b"</ds:SignedInfo>"


def compare(
    memory: Callable[[], object], token: Callable[[], object], iterations: int, rounds: int
) -> tuple[float, float]:
    """Seconds per call of each, best round of ``rounds``.

    Rounds alternate between the two so that load from other processes hits both alike; the
    best round is the least disturbed one.
    """
    memory()  # warm up (mechanism lookup, first-use caches)
    token()
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for index, fn in enumerate((memory, token)):
            start = CLOCK()
            for _ in range(iterations):
                fn()
            best[index] = min(best[index], (CLOCK() - start) / iterations)
    return best[0], best[1]


def threaded(fn: Callable[[], object], threads: int, per_thread: int) -> float:
    """Seconds per call with ``threads`` threads calling ``fn``."""

    def work() -> None:
        for _ in range(per_thread):
            fn()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return (time.perf_counter() - start) / (threads * per_thread)


def system_openssl_sign_ms(algorithm: str, rounds: int = 3) -> float | None:
    """Milliseconds per signature of the system ``openssl speed`` (``rsa2048``, ``ecdsap256``),
    best of ``rounds``; ``None`` when the command is missing or its output is not understood."""
    exe = shutil.which("openssl")
    if exe is None:
        return None
    best: float | None = None
    for _ in range(rounds):
        done = subprocess.run(
            [exe, "speed", "-seconds", "1", "-mr", algorithm],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        # Machine-readable line: +F<n>:<index>:<bits>:<signs per second>:<verifies per second>
        m = re.search(r"^\+F\d+:\d+:\d+:([0-9.]+):", done.stdout, re.MULTILINE)
        if m is None:
            return None
        ms = 1000 / float(m.group(1))
        best = ms if best is None else min(best, ms)
    return best


def linked_libcrypto(module: str) -> str:
    """Which libcrypto the PKCS#11 module links (from ``ldd``), or a note why unknown."""
    exe = shutil.which("ldd")
    if exe is None:
        return "unknown (no ldd)"
    done = subprocess.run([exe, module], capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if "libcrypto" in line or "botan" in line:
            return line.strip()
    return "no libcrypto or botan found"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help=CLOCK_HELP)
    args = parser.parse_args()
    use_clock(args.clock)

    pki = TestPKI.generate()
    document = sample_xml()
    with tempfile.TemporaryDirectory() as tmp:
        hsm = SoftHSM.create(tmp)
        token = hsm.init_token("bench")
        hsm.import_key(
            token, pki.signer.key, label="rsa", key_id=b"\x01", certificate=pki.signer.cert
        )  # type: ignore[arg-type]
        hsm.import_key(
            token, pki.signer_ec.key, label="ec", key_id=b"\x02", certificate=pki.signer_ec.cert
        )  # type: ignore[arg-type]
        hsm.activate()
        cases = [
            ("rsa", pki.signer, SignatureAlgorithm.RSA_SHA256),
            ("rsa", pki.signer, SignatureAlgorithm.RSA_PSS_SHA256),
            ("ec", pki.signer_ec, SignatureAlgorithm.ECDSA_SHA256),
        ]
        print(
            f"{args.iterations} calls per round, best of {args.rounds} alternating rounds, "
            f"{args.clock} time (threaded rows: wall time); sample licence {len(document)} bytes"
        )
        print(f"{'algorithm':<16}{'what':<12}{'memory ms':>10}{'token ms':>10}{'ratio':>8}")
        ratios: list[float] = []
        validated: list[float] = []
        for label, issued, alg in cases:
            with open_pkcs11_key(token.uri(key_label=label), token.pin) as key:
                mem_key = InMemoryKey(issued.key)
                chain = [pki.intermediate.cert]
                mem_signer = Signer.from_key(mem_key, issued.cert, chain)
                hsm_signer = Signer.from_key(key, issued.cert, chain)

                def doc_with(
                    signer: Signer,
                    a: SignatureAlgorithm = alg,
                    schema: SchemaCheck = SchemaCheck.SKIP,
                ) -> Callable[[], bytes]:
                    return lambda: sign(document, signer, algorithm=a, schema=schema)

                mem_doc, hsm_doc = compare(
                    doc_with(mem_signer), doc_with(hsm_signer), args.iterations, args.rounds
                )
                mem_val, hsm_val = compare(
                    doc_with(mem_signer, schema=SchemaCheck.REQUIRE),
                    doc_with(hsm_signer, schema=SchemaCheck.REQUIRE),
                    args.iterations,
                    args.rounds,
                )
                mem_raw, hsm_raw = compare(
                    lambda k=mem_key, a=alg: k.sign(SIGNED_INFO, a),  # type: ignore[misc]
                    lambda k=key, a=alg: k.sign(SIGNED_INFO, a),  # type: ignore[misc]
                    args.iterations,
                    args.rounds,
                )
                plan = key._plans[alg]
                message = SIGNED_INFO
                if plan.prehash is not None:
                    message = plan.prefix + hashlib.new(plan.prehash.hash_name, message).digest()
                session_key = key._sessions[0][1]

                def bare(m: bytes = message, p: _Plan = plan, k: object = session_key) -> bytes:
                    return k.sign(m, mechanism=p.mechanism, mechanism_param=p.param)  # type: ignore[attr-defined, no-any-return]

                bare_raw, ours_raw = compare(
                    bare,
                    lambda k=key, a=alg: k.sign(SIGNED_INFO, a),
                    args.iterations,
                    args.rounds,  # type: ignore[misc]
                )
                n = max(1, args.iterations // args.threads)
                mem_mt = threaded(lambda k=mem_key, a=alg: k.sign(SIGNED_INFO, a), args.threads, n)  # type: ignore[misc]
                hsm_mt = threaded(lambda k=key, a=alg: k.sign(SIGNED_INFO, a), args.threads, n)  # type: ignore[misc]
                mem_doc_mt = threaded(doc_with(mem_signer), args.threads, n)
                hsm_doc_mt = threaded(doc_with(hsm_signer), args.threads, n)
                ratios.append(hsm_doc / mem_doc)
                validated.append(hsm_val / mem_val)
                name = alg.short_name
                print(
                    f"{name:<16}{'document':<12}{mem_doc * 1e3:>10.3f}{hsm_doc * 1e3:>10.3f}"
                    f"{hsm_doc / mem_doc:>7.2f}x"
                )
                print(
                    f"{'':<16}{'validated':<12}{mem_val * 1e3:>10.3f}{hsm_val * 1e3:>10.3f}"
                    f"{hsm_val / mem_val:>7.2f}x   (default sign(): EDOC validation first)"
                )
                print(
                    f"{'':<16}{f'doc {args.threads} thr':<12}{mem_doc_mt * 1e3:>10.3f}"
                    f"{hsm_doc_mt * 1e3:>10.3f}{hsm_doc_mt / mem_doc_mt:>7.2f}x   (ms per document)"
                )
                print(
                    f"{'':<16}{'raw sign':<12}{mem_raw * 1e3:>10.3f}{hsm_raw * 1e3:>10.3f}"
                    f"{hsm_raw / mem_raw:>7.2f}x"
                )
                print(
                    f"{'':<16}{'binding':<12}{bare_raw * 1e3:>10.3f}{ours_raw * 1e3:>10.3f}"
                    f"{ours_raw / bare_raw:>7.2f}x   (bare python-pkcs11 vs Pkcs11Key)"
                )
                print(
                    f"{'':<16}{f'raw {args.threads} thr':<12}{mem_mt * 1e3:>10.3f}"
                    f"{hsm_mt * 1e3:>10.3f}{hsm_mt / mem_mt:>7.2f}x   (ms per signature)"
                )
        for what, values in (("signing only", ratios), ("validate + sign", validated)):
            worst = max(values)
            verdict = "meets" if worst <= 1.3 else "misses"
            print(f"whole document, {what}: worst ratio {worst:.2f}x, {verdict} the 1.3x target")
        breakdown(token, pki, args.iterations, args.rounds)


def breakdown(token: object, pki: TestPKI, iterations: int, rounds: int) -> None:
    """Where a token signature's time goes (see the module documentation)."""
    from cryptography.hazmat.backends.openssl import backend
    from pkcs11 import Mechanism

    from edocstd.sign._algorithms import DigestAlgorithm
    from edocstd.sign._pkcs11 import _DIGEST_INFO
    from edocstd.testing.softhsm import find_softhsm_module

    print("\nWhere the token's time goes (raw signature of a SignedInfo-sized message)")
    print(f"  SoftHSM2 module links: {linked_libcrypto(find_softhsm_module())}")
    print(f"  in-memory keys use:    {backend.openssl_version_text()} (cryptography's own)")
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True, check=False)
    print(f"  system openssl:        {version.stdout.strip() or 'not found'}")
    uri = token.uri  # type: ignore[attr-defined]
    pin = token.pin  # type: ignore[attr-defined]
    cases = (
        ("rsa", "rsa2048", pki.signer, SignatureAlgorithm.RSA_SHA256),
        ("ec", "ecdsap256", pki.signer_ec, SignatureAlgorithm.ECDSA_SHA256),
    )
    for label, speed_name, issued, alg in cases:
        with open_pkcs11_key(uri(key_label=label), pin) as key:
            session_key = key._sessions[0][1]
            mem_key = InMemoryKey(issued.key)
            digest = hashlib.sha256(SIGNED_INFO).digest()
            variants: dict[str, Callable[[], object]] = {
                "in memory": lambda k=mem_key, a=alg: k.sign(SIGNED_INFO, a),  # type: ignore[misc]
            }
            if label == "rsa":
                prefixed = _DIGEST_INFO[DigestAlgorithm.SHA256] + digest
                variants["token CKM_SHA256_RSA_PKCS"] = lambda k=session_key: k.sign(
                    SIGNED_INFO, mechanism=Mechanism.SHA256_RSA_PKCS
                )
                variants["token host SHA-256 + CKM_RSA_PKCS"] = lambda k=session_key, m=prefixed: (
                    k.sign(m, mechanism=Mechanism.RSA_PKCS)
                )
            else:
                variants["token host SHA-256 + CKM_ECDSA"] = lambda k=session_key, m=digest: k.sign(
                    m, mechanism=Mechanism.ECDSA
                )
            # Interleaved rounds, best of each, as in compare(): load hits all variants alike.
            best = dict.fromkeys(variants, float("inf"))
            for fn in variants.values():
                fn()
            for _ in range(rounds):
                for name, fn in variants.items():
                    start = CLOCK()
                    for _ in range(iterations):
                        fn()
                    best[name] = min(best[name], (CLOCK() - start) / iterations)
            times = {name: seconds * 1e3 for name, seconds in best.items()}
            system = system_openssl_sign_ms(speed_name)
            print(f"  {alg.short_name}")
            for name, ms in times.items():
                print(f"    {name:<36}{ms:8.3f} ms")
            if system is not None:
                print(f"    {'system openssl speed ' + speed_name:<36}{system:8.3f} ms")
                mem = times["in memory"]
                token_ms = min(v for k, v in times.items() if k.startswith("token"))
                print(
                    f"    split of the token's {token_ms:.3f} ms: {mem:.3f} in-memory operation, "
                    f"{system - mem:+.3f} system OpenSSL against cryptography's, "
                    f"{token_ms - system:+.3f} SoftHSM2 per call (key object rebuilt on every "
                    "C_SignInit, PKCS#11 call path)"
                )


if __name__ == "__main__":
    main()
