"""The ``edocstd`` command line.

Exit codes (INTERFACES.md): 0 when the outcome is positive for every input, 1 when it is
negative for at least one, 2 for usage errors and files that cannot be opened at all.
The CLI never prints a traceback: every failure becomes a message and an exit code.

``validate`` and ``verify`` take files and directories. A directory is walked recursively in
sorted order, taking every entry named ``*.xml`` (any case) except hidden ones; an entry that
cannot be opened (a dangling link, a FIFO, no permission) is reported, never skipped, and makes
the exit code 2 even when other inputs were negative; no input at all is exit 2 as well. Inputs
are spread over ``--jobs`` worker processes (default: one per CPU); ``--report FILE`` writes one
JSON object per input (JSON Lines, in input order, flushed as results arrive); a progress bar
shows on a terminal only, and a summary table goes to standard error. Ctrl-C stops cleanly: work
not started is cancelled, every finished result is kept in the report, and the exit code is 130.
If standard output closes during the run (``edocstd verify DIR | head -1``), the run stops the
same way, quietly; the exit code is the usual one if every input had been judged by then, else
2 if an input could not be opened, else 1 — never 0 for a run cut short.
Any other command whose standard output closes early exits 1: its output was not delivered.
The JSON Schemas of ``--json`` and of the report lines ship in ``edocstd/jsonschema/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, NoReturn, TextIO

from edocstd._clirun import CliUsageError, silence_stdout
from edocstd.errors import EdocError

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2


class _UsageError(Exception):
    """A problem with the command line itself (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _t(lang: str, th: str, en: str) -> str:
    return th if lang == "th" else en


def _readable(path: str) -> Path:
    """A path to an input file; missing or unreadable files are usage-level failures (exit 2)."""
    p = Path(path)
    if not p.is_file():
        raise _UsageError(f"cannot open {path}: no such file")
    if not os.access(p, os.R_OK):
        raise _UsageError(f"cannot open {path}: permission denied")
    return p


def _print_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


# --------------------------------------------------------------------------- validate


def _cmd_validate(args: argparse.Namespace) -> int:
    from edocstd import batch

    def start(executor: Executor, chunk: int, progress: batch.Progress) -> batch.BatchRun[Any]:
        return batch.validate(
            batch.iter_files(args.files), executor=executor, chunk_size=chunk, progress=progress
        )

    def json_entry(r: batch.BatchResult) -> dict[str, Any]:
        if r.report is None:
            return {"file": r.path, "valid": False, "problems": [], "error": r.error or ""}
        return {"file": r.path, **r.report}

    def human(r: batch.BatchResult) -> None:
        if r.report is None:
            return
        problems = r.report["problems"]
        if r.outcome is batch.Outcome.VALID:
            print(f"{r.path}: " + _t(args.lang, "ถูกต้อง", "valid"))
            return
        print(
            f"{r.path}: "
            + _t(
                args.lang,
                f"ไม่ถูกต้อง ({len(problems)} ปัญหา)",
                f"invalid ({len(problems)} problem{'s' if len(problems) != 1 else ''})",
            )
        )
        for p in problems:
            where = p["location"] if p["line"] is None else f"{p['location']} (line {p['line']})"
            print(
                f"  {p['code']} {where}: {p['message_th' if args.lang == 'th' else 'message_en']}"
            )

    return _run_many(args, start, json_entry, human)


# --------------------------------------------------------------------------- fingerprint


def _cmd_fingerprint(args: argparse.Namespace) -> int:
    from edocstd.schema._codec import fingerprint

    exit_code = EXIT_OK
    for name in args.files:
        try:
            fp = fingerprint(_readable(name))
        except _UsageError as exc:
            print(str(exc), file=sys.stderr)
            exit_code = EXIT_USAGE
            continue
        except EdocError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            exit_code = max(exit_code, EXIT_NEGATIVE)
            continue
        print(f"{fp}  {name}" if len(args.files) > 1 else fp)
    return exit_code


# --------------------------------------------------------------------------- inspect


def _cmd_inspect(args: argparse.Namespace) -> int:
    from edocstd._inspect import inspect_document

    path = _readable(args.file)
    try:
        info = inspect_document(path)
    except EdocError as exc:
        if args.json:
            _print_json({"file": args.file, "error": str(exc)}, sys.stdout)
        else:
            print(f"{args.file}: {exc}", file=sys.stderr)
        return EXIT_NEGATIVE
    if args.json:
        _print_json({"file": args.file, **info.to_dict()}, sys.stdout)
    else:
        print(info.render(args.lang))
    return EXIT_OK


# --------------------------------------------------------------------------- sign


def _load_signer(args: argparse.Namespace) -> Any:
    from edocstd.sign._signer import Signer

    chosen = [bool(args.key), bool(args.pkcs12), bool(args.pkcs11)]
    if sum(chosen) != 1:
        raise _UsageError("give exactly one of --key/--cert, --pkcs12 or --pkcs11")
    if args.key:
        if not args.cert:
            raise _UsageError("--key needs --cert")
        key_pem = _readable(args.key).read_bytes()
        cert_pem = _readable(args.cert).read_bytes()
        chain_pem = b"".join(_readable(c).read_bytes() for c in args.chain) or None
        password = _secret(args.password_env) if args.password_env else None
        return Signer.from_pem(key_pem, cert_pem, chain_pem=chain_pem, password=password)
    if args.pkcs12:
        if not args.password_env:
            raise _UsageError("--pkcs12 needs --password-env VAR (passwords never go on argv)")
        return Signer.from_pkcs12(_readable(args.pkcs12).read_bytes(), _secret(args.password_env))
    if not args.pin_env:
        raise _UsageError("--pkcs11 needs --pin-env VAR (PINs never go on argv)")
    return Signer.from_pkcs11(args.pkcs11, _secret(args.pin_env), module=args.pkcs11_module)


def _secret(var: str) -> str:
    value = os.environ.get(var)
    if value is None:
        raise _UsageError(f"environment variable {var} is not set")
    return value


def _parse_time(value: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _UsageError(f"not an ISO 8601 date-time: {value!r}") from None
    if t.tzinfo is None:
        raise _UsageError(f"the date-time needs a UTC offset: {value!r}")
    return t


def _check_tsa(level: str, tsa: str | None) -> None:
    """A time-stamp level without a TSA (or a TSA at B-B) is a usage error, found before any work."""
    if level == "B-B":
        if tsa:
            raise _UsageError(
                "--tsa was given, but a B-B signature carries no time-stamp: "
                "add --level B-T, B-LT or B-LTA"
            )
    elif not tsa:
        raise _UsageError(f"--level {level} needs a time-stamping authority (TSA): give --tsa URL")


def _certificates(names: Sequence[str]) -> list[Any]:
    """The certificates in the PEM files ``names`` (for ``extra_certs``)."""
    from edocstd.verify._trust import load_certificates

    certs: list[Any] = []
    for name in names:
        certs.extend(load_certificates(_readable(name).read_bytes()))
    return certs


def _cmd_sign(args: argparse.Namespace) -> int:
    from edocstd._level import Level
    from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm
    from edocstd.sign._sign import Cosign, SchemaCheck, sign_file

    _check_tsa(args.level, args.tsa)
    src = _readable(args.input)
    signer = _load_signer(args)
    try:
        algorithm = SignatureAlgorithm.from_name(args.algorithm) if args.algorithm else None
        level = Level.parse(args.level)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    # B-LT and B-LTA store every chain's certificates up to the trust anchor. With --key the
    # --chain certificates are the signer's chain already; with a PKCS#12 file or a token
    # they are the only way to supply the anchor, so they always go to the augmentation too.
    extra = _certificates(args.chain) if level in (Level.B_LT, Level.B_LTA) else []
    sign_file(
        src,
        Path(args.output),
        signer,
        level=level,
        algorithm=algorithm,
        c14n=C14N.from_name(args.c14n),
        digest=DigestAlgorithm.from_name(args.digest),
        signing_time=_parse_time(args.signing_time) if args.signing_time else None,
        schema=SchemaCheck.SKIP if args.no_schema else SchemaCheck.REQUIRE,
        cosign=Cosign(args.cosign),
        tsa=args.tsa,
        extra_certs=extra,
    )
    print(f"{args.output}: signed ({level.value})", file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------- verify


def _cmd_verify(args: argparse.Namespace) -> int:
    from edocstd import batch
    from edocstd.verify import Policy, TrustStore, Verifier

    if not args.trust:
        raise _UsageError("verify needs at least one --trust PEM")
    min_level = None if args.min_level.lower() == "none" else args.min_level
    job = batch.VerifyJob(
        trust_pem=b"".join(_readable(t).read_bytes() for t in args.trust),
        revocation=args.revocation,
        require_schema=not args.no_schema,
        allow_legacy=args.allow_sha1,
        min_level=min_level,
        crls=tuple(_readable(c).read_bytes() for c in args.crl),
        at=_parse_time(args.at) if args.at else None,
    )
    # Check the trust anchors and the policy here, once, rather than in every worker.
    Verifier(
        trust=TrustStore.from_pem(job.trust_pem),
        policy=Policy(job.revocation, job.require_schema, job.allow_legacy, job.min_level),
        crls=job.crls,
    )

    def start(executor: Executor, chunk: int, progress: batch.Progress) -> batch.BatchRun[Any]:
        return batch.verify(
            batch.iter_files(args.files),
            job,
            executor=executor,
            chunk_size=chunk,
            progress=progress,
        )

    def json_entry(r: batch.BatchResult) -> dict[str, Any]:
        if r.report is None:
            return {"file": r.path, "indication": None, "error": r.error or ""}
        return {"file": r.path, **r.report}

    def human(r: batch.BatchResult) -> None:
        if r.report is None:
            return
        print(f"{r.path}: {_verify_summary(r.report, args.lang)}")

    return _run_many(args, start, json_entry, human)


def _verify_summary(report: dict[str, Any], lang: str) -> str:
    """The report's summary lines, rebuilt from its ``to_dict()`` form (see ``summary()``)."""
    th = lang == "th"
    ind = report["indication"]
    if th:
        from edocstd.verify import Indication

        ind = Indication(ind).th
    sub = f"/{report['sub_indication']}" if report["sub_indication"] else ""
    msg = report["message_th" if th else "message_en"]
    lines = [f"{ind}{sub}: {msg}" if msg else f"{ind}{sub}"]
    for i, sig in enumerate(report["signatures"], 1):
        lines.append(f"  {'ลายมือชื่อที่' if th else 'signature'} {i}: {_sig_summary(sig, th)}")
    return "\n".join(lines)


def _sig_summary(sig: dict[str, Any], th: bool) -> str:
    from edocstd.verify import Indication

    who = sig["signer"] or ("ไม่ทราบผู้ลงนาม" if th else "unknown signer")
    ind = Indication(sig["indication"]).th if th else sig["indication"]
    sub = f"/{sig['sub_indication']}" if sig["sub_indication"] else ""
    level = sig["level"]
    head = f"{ind}{sub} — {who}"
    if level:
        words = "XMLDSig ไม่ใช่ AdES" if th else "XMLDSig, not AdES"
        head += f" ({words if level == 'XMLDSig' else 'XAdES ' + level})"
    if sig["legacy"]:
        head += " [อัลกอริทึมรุ่นเก่า]" if th else " [legacy algorithm]"
    when = sig.get("best_signature_time")
    if when:
        head += f" [ประทับเวลา {when}]" if th else f" [time-stamped {when}]"
    msg = sig["message_th" if th else "message_en"]
    return f"{head}: {msg}" if msg else head


# --------------------------------------------------------------------------- many inputs


def _run_many(
    args: argparse.Namespace,
    start: Callable[[Executor, int, Callable[[int], None]], Any],
    json_entry: Callable[[Any], dict[str, Any]],
    human: Callable[[Any], None],
) -> int:
    """Run ``validate``/``verify`` over every input: progress, report, summary, exit code."""
    from edocstd import _clirun

    return _clirun.run_many(
        _clirun.Options(
            jobs=args.jobs,
            report=args.report,
            json=args.json,
            quiet=args.quiet,
            lang=args.lang,
            command=args.command,
            inputs=tuple(args.files),
        ),
        start,
        json_entry,
        human,
    )


# --------------------------------------------------------------------------- extend


def _cmd_extend(args: argparse.Namespace) -> int:
    from edocstd._level import Level
    from edocstd.sign._sign import extend_file

    _check_tsa(args.level, args.tsa)
    src = _readable(args.input)
    try:
        level = Level.parse(args.level)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    extra = _certificates(args.chain)
    extend_file(src, Path(args.output), level=level, tsa=args.tsa, extra_certs=extra)
    print(f"{args.output}: extended to {level.value}", file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------- demo


def _cmd_demo(args: argparse.Namespace) -> int:
    from edocstd._demo import run_demo

    return run_demo(lang=args.lang, out=sys.stdout)


# --------------------------------------------------------------------------- main


_MANY_EPILOG = (
    "exit codes: 0 when the outcome is positive for every input; 1 when it is negative for at"
    " least one; 2 for a usage error, an input that cannot be opened, or no input at all; 130"
    " when interrupted (Ctrl-C), the report keeping every finished result. If standard output"
    " closes before the run ends (| head), the run stops quietly: the exit code is as above if"
    " every input had been judged by then, else 2 if an input could not be opened, else 1,"
    " never 0."
)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="edocstd",
        description="EDOC 1.0 electronic licences and certificates: validate, sign, verify.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def lang(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--lang", choices=("th", "en"), default="en", help="message language")

    def many(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--jobs",
            "-j",
            type=int,
            default=0,
            metavar="N",
            help="worker processes (default 0: one per CPU; 1: no worker process)",
        )
        sp.add_argument(
            "--report", metavar="FILE", help="write a JSON Lines report, one line per input"
        )
        sp.add_argument(
            "--quiet", "-q", action="store_true", help="no line per input (summary and report only)"
        )

    sp = sub.add_parser("validate", help="validate documents against EDOC 1.0", epilog=_MANY_EPILOG)
    sp.add_argument(
        "files",
        nargs="+",
        metavar="FILE|DIR",
        help="documents to validate, or directories to walk for *.xml files",
    )
    sp.add_argument("--json", action="store_true", help="print a JSON array, one object per file")
    many(sp)
    lang(sp)
    sp.set_defaults(func=_cmd_validate)

    sp = sub.add_parser("inspect", help="show a document and its signatures without judging")
    sp.add_argument("file", metavar="FILE", help="the document to show")
    sp.add_argument("--json", action="store_true", help="print JSON")
    lang(sp)
    sp.set_defaults(func=_cmd_inspect)

    sp = sub.add_parser("fingerprint", help="print each document's fingerprint (EDOC 1.0 §5.2)")
    sp.add_argument("files", nargs="+", metavar="FILE", help="the documents")
    sp.set_defaults(func=_cmd_fingerprint)

    sp = sub.add_parser("sign", help="sign one document")
    sp.add_argument("input", metavar="IN", help="the document to sign")
    sp.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="where to write the signed document (may be the input file itself)",
    )
    sp.add_argument(
        "--key",
        metavar="PEM",
        help="the private key, PEM (an encrypted key takes its password from --password-env)",
    )
    sp.add_argument("--cert", metavar="PEM", help="the signer's certificate, PEM")
    sp.add_argument(
        "--chain",
        metavar="PEM",
        action="append",
        default=[],
        help="CA certificates, PEM: the signer's chain (carried with --key), and for B-LT/B-LTA"
        " the certificates up to and including the trust anchor (with any key source)",
    )
    sp.add_argument(
        "--password-env",
        metavar="VAR",
        help="environment variable holding the password of the key or PKCS#12 file",
    )
    sp.add_argument("--pkcs12", metavar="FILE", help="the key and certificates in a PKCS#12 file")
    sp.add_argument(
        "--pkcs11",
        metavar="URI",
        help="an RFC 7512 pkcs11: URI naming the token and the key on a PKCS#11 token or HSM",
    )
    sp.add_argument("--pin-env", metavar="VAR", help="environment variable holding the token's PIN")
    sp.add_argument(
        "--pkcs11-module",
        metavar="PATH",
        help="the PKCS#11 module, when the URI has no module-path",
    )
    sp.add_argument(
        "--level",
        default="B-B",
        choices=("B-B", "B-T", "B-LT", "B-LTA"),
        help="the signature level; B-T and above need --tsa, B-LT and B-LTA the trust anchor"
        " (--chain)",
    )
    sp.add_argument(
        "--tsa",
        metavar="URL",
        help="the RFC 3161 time-stamping authority's URL (for B-T and above, and only then)",
    )
    sp.add_argument(
        "--algorithm",
        metavar="NAME",
        help="the signature method: rsa-sha256, rsa-sha384, rsa-sha512, rsa-pss-sha256,"
        " rsa-pss-sha384, rsa-pss-sha512, ecdsa-sha256, ecdsa-sha384, ecdsa-sha512 or ed25519"
        " (default: follows the key: rsa-sha256 for RSA, the curve's ECDSA hash for EC)",
    )
    sp.add_argument(
        "--c14n",
        default="exc",
        choices=("exc", "c14n", "c14n11"),
        help="the canonicalization: exclusive C14N 1.0, inclusive C14N 1.0 or C14N 1.1",
    )
    sp.add_argument(
        "--digest",
        default="sha256",
        choices=("sha256", "sha384", "sha512"),
        help="the digest of the references",
    )
    sp.add_argument(
        "--signing-time",
        metavar="ISO8601",
        help="the claimed signing time, with a UTC offset (default: now)",
    )
    sp.add_argument(
        "--cosign",
        default="auto",
        choices=("auto", "allow", "forbid"),
        help="whether later parallel signatures may join: allow leaves room for them (XPath"
        " Filter 2.0 subtract); forbid makes a single signature that any later one would"
        " break; auto is forbid on an unsigned document and allow when joining signatures"
        " that allow it",
    )
    sp.add_argument(
        "--no-schema",
        action="store_true",
        help="sign any well-formed XML, even if not a valid EDOC",
    )
    sp.set_defaults(func=_cmd_sign)

    sp = sub.add_parser("verify", help="verify the signatures of documents", epilog=_MANY_EPILOG)
    sp.add_argument(
        "files",
        nargs="+",
        metavar="FILE|DIR",
        help="signed documents to verify, or directories to walk for *.xml files",
    )
    sp.add_argument(
        "--trust",
        metavar="PEM",
        action="append",
        default=[],
        help="trust anchors, PEM (one or more certificates per file); at least one is required",
    )
    sp.add_argument(
        "--at", metavar="ISO8601", help="the validation time, with a UTC offset (default: now)"
    )
    sp.add_argument(
        "--revocation",
        default="offline",
        choices=("none", "offline", "online"),
        help="revocation checking: not at all, with the data in the document and --crl only,"
        " or also fetched from the CA's services",
    )
    sp.add_argument(
        "--crl", metavar="FILE", action="append", default=[], help="a CRL (DER or PEM) to use"
    )
    sp.add_argument(
        "--min-level",
        default="B-B",
        choices=("none", "B-B", "B-T", "B-LT", "B-LTA"),
        help="the lowest signature level accepted; none also accepts plain XMLDSig",
    )
    sp.add_argument(
        "--allow-sha1", action="store_true", help="accept SHA-1 and MD5 (reported as legacy)"
    )
    sp.add_argument(
        "--no-schema",
        action="store_true",
        help="do not require a signed EDOC document to be schema- and rule-valid",
    )
    sp.add_argument("--json", action="store_true", help="print a JSON array of reports")
    many(sp)
    lang(sp)
    sp.set_defaults(func=_cmd_verify)

    sp = sub.add_parser("extend", help="augment the signatures in a document")
    sp.add_argument("input", metavar="IN", help="the signed document")
    sp.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="where to write the extended document (may be the input file itself)",
    )
    sp.add_argument(
        "--level",
        required=True,
        choices=("B-T", "B-LT", "B-LTA"),
        help="the level to reach; B-LT and B-LTA need the trust anchor (--chain)",
    )
    sp.add_argument(
        "--tsa", metavar="URL", help="the RFC 3161 time-stamping authority's URL (required)"
    )
    sp.add_argument(
        "--chain",
        metavar="PEM",
        action="append",
        default=[],
        help="certificates the document does not carry that complete its chains for"
        " B-LT/B-LTA: intermediates and the trust anchor, PEM",
    )
    sp.set_defaults(func=_cmd_extend)

    sp = sub.add_parser("demo", help="build, sign and verify a sample licence")
    lang(sp)
    sp.set_defaults(func=_cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        code = func(args)
        # Flushed here rather than at interpreter exit, so that a closed pipe is seen while the
        # exit code can still be chosen (not a message and exit code 120 afterwards).
        sys.stdout.flush()
        return code
    except (_UsageError, CliUsageError) as exc:
        print(f"edocstd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except EdocError as exc:
        print(f"edocstd: {exc}", file=sys.stderr)
        return EXIT_NEGATIVE
    except KeyboardInterrupt:
        print("edocstd: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): quiet, as is usual, but not exit 0 — the command
        # did not deliver its whole output. validate/verify choose their own code (_clirun).
        silence_stdout()
        return EXIT_NEGATIVE
    except Exception as exc:
        print(f"edocstd: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_NEGATIVE


def run() -> NoReturn:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
