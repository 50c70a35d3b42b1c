"""``edocstd validate|verify DIR… --jobs N --report FILE``: walk, report, summary, exit code."""

from __future__ import annotations

import fcntl
import functools
import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from _batch_corpus import Corpus, signed_documents, validate_corpus, verify_corpus
from edocstd import _clirun, batch
from edocstd._level import Level
from edocstd.cli import _verify_summary, main
from edocstd.sign._sign import sign
from edocstd.sign._signer import Signer
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml
from edocstd.verify import Policy, TrustStore, Verifier

_ROW = re.compile(r"^\W*(\S+)\s+│\s*(\S*)\s*│\s*(\d+)\s*│\s*$")


def _validator(name: str) -> jsonschema.Draft202012Validator:
    # Built once: jsonschema.validate() re-checks the schema itself on every call.
    return jsonschema.Draft202012Validator(_schema(name))


def _schema(name: str) -> dict[str, Any]:
    text = resources.files("edocstd").joinpath(f"jsonschema/{name}").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _summary(stderr: str) -> dict[tuple[str, str], int]:
    """The summary table's rows: (outcome, detail) -> count."""
    rows: dict[tuple[str, str], int] = {}
    for line in stderr.splitlines():
        m = _ROW.match(line)
        if m:
            rows[(m.group(1), m.group(2))] = int(m.group(3))
    return rows


def _report(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.generate()


@pytest.fixture(scope="module")
def trust(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trust") / "root.pem"
    path.write_bytes(pki.trust_pem())
    return path


@pytest.fixture(scope="module")
def validate_dir(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return validate_corpus(tmp_path_factory.mktemp("validate"), 1000, unreadable=6)


@pytest.fixture(scope="module")
def verify_dir(tmp_path_factory: pytest.TempPathFactory, pki: TestPKI) -> Corpus:
    return verify_corpus(tmp_path_factory.mktemp("verify"), 1000, pki, unreadable=6)


def test_validate_a_directory_of_1000_documents(
    validate_dir: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.jsonl"
    code = main(["validate", str(validate_dir.root), "--jobs", "2", "--report", str(report), "-q"])
    out, err = capsys.readouterr()
    # Unreadable files (a dangling link, a FIFO) make the run exit 2, even inside a directory.
    assert code == 2
    assert out == ""  # --quiet: no line per input
    counts = validate_dir.counts()
    assert counts["unreadable"] == 6 and counts["invalid"] > 100
    summary = _summary(err)
    assert summary == {
        ("valid", ""): counts["valid"],
        ("invalid", ""): counts["invalid"],
        ("unreadable", ""): counts["unreadable"],
        ("Total", ""): 1000,
    }
    assert err.count("cannot open") == 6  # each unreadable file is named on stderr
    records = _report(report)
    assert [r["file"] for r in records] == validate_dir.ordered()
    assert [r["index"] for r in records] == list(range(1000))
    assert [r["outcome"] for r in records] == [
        validate_dir.expected[p] for p in validate_dir.ordered()
    ]
    validator = _validator("validate-report.schema.json")
    for record in records:
        validator.validate(record)
    codes = {p["code"] for r in records for p in r.get("problems", [])}
    assert codes == {"EDOC-R015", "EDOC-X000"}


def test_exit_code_is_1_for_negative_outcomes_and_0_when_all_pass(
    tmp_path: Path, validate_dir: Corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = [p for p in validate_dir.ordered() if validate_dir.expected[p] == "valid"][:40]
    invalid = [p for p in validate_dir.ordered() if validate_dir.expected[p] == "invalid"][:3]
    assert main(["validate", "-q", "--jobs", "2", *valid]) == 0
    assert main(["validate", "-q", "--jobs", "2", *valid, *invalid]) == 1
    capsys.readouterr()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["validate", str(empty)]) == 2  # nothing to judge is not "all passed"
    assert "no input files" in capsys.readouterr().err


def test_jobs_1_and_jobs_2_write_the_same_report(
    validate_dir: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    part = str(validate_dir.root / "part01")
    assert main(["validate", part, "--jobs", "1", "--report", str(one), "-q"]) == 2
    assert main(["validate", part, "--jobs", "2", "--report", str(two), "-q"]) == 2
    assert one.read_bytes() == two.read_bytes()
    assert len(_report(one)) == 250


def test_verify_a_directory_of_1000_documents(
    verify_dir: Corpus, trust: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.jsonl"
    args = ["verify", str(verify_dir.root), "--trust", str(trust), "--revocation", "none"]
    code = main([*args, "--jobs", "2", "--report", str(report), "-q"])
    _, err = capsys.readouterr()
    assert code == 2
    expected: dict[tuple[str, str], int] = {}
    for path, outcome in verify_dir.expected.items():
        key = (outcome, verify_dir.detail.get(path, ""))
        expected[key] = expected.get(key, 0) + 1
    assert expected[("TOTAL-FAILED", "HASH_FAILURE")] > 50
    assert _summary(err) == {**expected, ("Total", ""): 1000}
    records = _report(report)
    assert [r["file"] for r in records] == verify_dir.ordered()
    assert [r["index"] for r in records] == list(range(1000))
    validator = _validator("verify-report.schema.json")
    for record in records:
        validator.validate(record)
        assert record["outcome"] == verify_dir.expected[record["file"]]


def test_verify_json_and_report_match_their_schemas(
    verify_dir: Corpus, trust: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One input of each kind, plus a file named on the command line that does not exist.
    picked: dict[tuple[str, str], str] = {}
    for path in verify_dir.ordered():
        picked.setdefault((verify_dir.expected[path], verify_dir.detail.get(path, "")), path)
    files = [*picked.values(), str(tmp_path / "missing.xml")]
    report = tmp_path / "r.jsonl"
    args = ["verify", *files, "--trust", str(trust), "--revocation", "none", "--json"]
    code = main([*args, "--report", str(report)])
    out, _ = capsys.readouterr()
    assert code == 2
    entries = json.loads(out)
    jsonschema.validate(entries, _schema("verify.schema.json"))
    assert [e["file"] for e in entries] == files
    assert entries[-1]["indication"] is None and "cannot open" in entries[-1]["error"]
    passed = next(e for e in entries if e["indication"] == "TOTAL-PASSED")
    assert passed["signatures"][0]["level"] == "B-B"
    for record in _report(report):
        jsonschema.validate(record, _schema("verify-report.schema.json"))
    # And the records really are checked: a wrong outcome is refused.
    bad = {**_report(report)[0], "outcome": "valid"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, _schema("verify-report.schema.json"))


def test_validate_json_stays_one_array_on_stdout(
    validate_dir: Corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    files = validate_dir.ordered()[:30]
    code = main(["validate", "--json", "--jobs", "2", *files])
    out, err = capsys.readouterr()
    entries = json.loads(out)
    jsonschema.validate(entries, _schema("validate.schema.json"))
    assert [e["file"] for e in entries] == files
    assert code == (2 if any(validate_dir.expected[f] == "unreadable" for f in files) else 1)
    assert "Summary" in err  # the table goes to stderr, never into the JSON


def test_shared_schema_definitions_do_not_drift() -> None:
    names = [
        "validate.schema.json",
        "verify.schema.json",
        "validate-report.schema.json",
        "verify-report.schema.json",
    ]
    defs: dict[str, Any] = {}
    for name in names:
        schema = _schema(name)
        jsonschema.Draft202012Validator.check_schema(schema)
        for key, value in schema.get("$defs", {}).items():
            assert defs.setdefault(key, value) == value, f"$defs/{key} differs in {name}"


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "a.xml"
    doc.write_bytes(b"<a/>")
    assert main(["validate", str(doc), "--jobs", "-1"]) == 2
    assert main(["validate", str(doc), "--report", str(tmp_path)]) == 2  # a directory
    assert "cannot write the report" in capsys.readouterr().err


# --------------------------------------------------------------------------- terminals


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "edocstd", *args]


def test_no_progress_bar_when_stderr_is_not_a_terminal(validate_dir: Corpus) -> None:
    part = str(validate_dir.root / "part02")
    proc = subprocess.run(
        _cli("validate", part, "--jobs", "2", "-q"), capture_output=True, text=True, check=False
    )
    assert proc.returncode in (1, 2)
    assert "docs/s" not in proc.stderr and "ETA" not in proc.stderr
    assert "\x1b[" not in proc.stderr  # no terminal control sequences at all


def test_progress_bar_with_rate_and_eta_on_a_terminal(validate_dir: Corpus, tmp_path: Path) -> None:
    primary, secondary = pty.openpty()
    part = str(validate_dir.root / "part02")
    lines = tmp_path / "stdout.txt"
    with open(lines, "wb") as stdout:
        proc = subprocess.Popen(
            _cli("validate", part, "--jobs", "2"),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=secondary,
            env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
        )
    os.close(secondary)
    seen = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    assert proc.wait(60) in (1, 2)
    text = seen.decode("utf-8", "replace")
    assert "docs/s" in text and "ETA" in text
    assert "250/250" in text
    # The bar draws on standard error; the per-input lines stay on standard output (a file
    # here), never drawn through the bar onto the terminal.
    out = lines.read_text("utf-8")
    valid = [p for p in validate_dir.ordered() if p.startswith(part + os.sep)]
    valid = [p for p in valid if validate_dir.expected[p] == "valid"]
    assert valid and out.count(": valid\n") == len(valid)
    assert all(f"{p}: valid\n" in out for p in valid)
    assert ": valid" not in text


class _Clock:
    """A clock the test moves by hand: the bar's rate and ETA follow from it alone."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _render(bar: Any) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(bar.get_renderable())
    text: str = console.file.getvalue()
    return text


@pytest.mark.parametrize(
    ("per_tick", "rate", "eta"),
    [(40, "40 docs/s", "0:00:05"), (3, "3.0 docs/s", "0:01:07")],
)
def test_the_progress_bar_shows_the_measured_rate_and_the_time_left(
    per_tick: int, rate: str, eta: str
) -> None:
    from rich.console import Console

    clock = _Clock()
    bar = _clirun._make_bar(Console(file=io.StringIO()), redirect_stdout=False, get_time=clock)
    task = bar.add_task("verify", total=per_tick * 2 + 200)
    before = _render(bar)
    assert "– docs/s" in before and "ETA -:--:--" in before  # nothing measured yet
    for _ in range(2):
        clock.now += 1.0
        bar.advance(task, per_tick)
    # per_tick documents a second, 200 to go: the ETA is 200 / per_tick seconds, rounded up.
    shown = _render(bar)
    assert re.search(r"\d[\d,.]* docs/s", shown)
    assert re.search(r"ETA \d+:\d\d:\d\d", shown)
    assert rate in shown and f"ETA {eta}" in shown
    assert f"{per_tick * 2}/{per_tick * 2 + 200}" in shown


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_stops_cleanly_and_the_report_keeps_every_finished_result(
    tmp_path: Path, pki: TestPKI, trust: Path
) -> None:
    corpus = verify_corpus(tmp_path / "docs", 3000, pki, unreadable=0, per_dir=500)
    report = tmp_path / "report.jsonl"
    proc = subprocess.Popen(
        _cli(
            "verify",
            str(corpus.root),
            "--trust",
            str(trust),
            "--revocation",
            "none",
            "--jobs",
            "2",
            "--report",
            str(report),
            "-q",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait (without a time budget on the work itself) until results are being written.
    before: list[str] = []
    deadline = time.monotonic() + 300
    while len(before) < 100 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if report.exists():
            before = report.read_text("utf-8").splitlines()
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130
    assert "interrupted" in err
    assert "Traceback" not in err
    lines = report.read_text("utf-8").splitlines()
    assert lines[: len(before) - 1] == before[: len(before) - 1]  # nothing written is lost
    records = [json.loads(line) for line in lines]  # every line is whole, valid JSON
    assert len(records) < 3000
    indexes = [r["index"] for r in records]
    assert indexes == sorted(set(indexes))
    assert indexes[: len(before) - 1] == list(range(len(before) - 1))
    validator = _validator("verify-report.schema.json")
    for record in records:
        validator.validate(record)
        assert record["outcome"] == corpus.expected[record["file"]]
    # The summary counts what the report holds.
    total = _summary(err)[("Total", "")]
    assert total == len(records)


def _validate_opts(
    docs: Path, *, report: Path | None = None, quiet: bool = False
) -> _clirun.Options:
    """Options for an in-process ``edocstd validate DIR`` run with one worker."""
    return _clirun.Options(
        jobs=1,
        report=None if report is None else str(report),
        json=False,
        quiet=quiet,
        lang="en",
        command="validate",
        inputs=(str(docs),),
    )


class _HoldOne(Executor):
    """Threads run every task but one, which waits unstarted (so cancellable) for release."""

    def __init__(self, position: int) -> None:
        self._pool = ThreadPoolExecutor(2)
        self._position = position
        self._submitted = 0
        self.held: Future[Any] | None = None
        self._call: Callable[[], Any] | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self._submitted += 1
        if self._submitted - 1 == self._position:
            self.held = Future()
            self._call = functools.partial(fn, *args, **kwargs)
            return self.held
        return self._pool.submit(fn, *args, **kwargs)

    def release(self) -> None:
        """Run the held task now, unless it was cancelled or released before (safe twice)."""
        call, self._call = self._call, None
        if self.held is None or call is None or not self.held.set_running_or_notify_cancel():
            return
        try:
            self.held.set_result(call())
        except BaseException as exc:
            self.held.set_exception(exc)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_ctrl_c_keeps_results_that_finished_while_earlier_work_was_still_waiting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first input's work is held back while every later chunk finishes; then Ctrl-C
    # arrives. The later results were never handed out in input order (the first is missing),
    # so only the stop path's cancel() can put them in the report.
    corpus = validate_corpus(tmp_path / "docs", 40, unreadable=0, per_dir=40)
    report = tmp_path / "report.jsonl"
    executor = _HoldOne(0)
    original = signal.getsignal(signal.SIGINT)
    handler_missing = False
    finished = 0
    pressed = False

    def start(_given: Executor, _chunk: int, progress: batch.Progress) -> batch.BatchRun[None]:
        def count(n: int) -> None:
            nonlocal finished, handler_missing, pressed
            progress(n)
            finished += n
            if pressed or finished < len(corpus.expected) - 1:
                return
            pressed = True  # once: a second Ctrl-C would stop at once, not cleanly
            # Every chunk but the held one has finished: press Ctrl-C, through the CLI's own
            # handler (never pytest's, which would end the session).
            if signal.getsignal(signal.SIGINT) is original:
                handler_missing = True
                executor.release()
                return
            os.kill(os.getpid(), signal.SIGINT)

        # Chunks of 1, 2, 4, 4 …: all of them submitted at once (window), the first held.
        return batch.validate(
            batch.iter_files(opts.inputs),
            executor=executor,
            chunk_size=4,
            window=16,
            progress=count,
        )

    opts = _validate_opts(corpus.root, report=report, quiet=True)
    # Only against a hang: if the stop never comes, the held work runs and the run ends whole.
    guard = threading.Timer(120, executor.release)
    guard.start()
    try:
        code = _clirun.run_many(opts, start, lambda r: {}, lambda r: None)
    finally:
        guard.cancel()
        executor.release()
        executor.shutdown()
    _, err = capsys.readouterr()
    assert not handler_missing, "the CLI's SIGINT handler was not installed during the run"
    assert signal.getsignal(signal.SIGINT) is original  # and it is gone again
    assert code == 130
    assert executor.held is not None and executor.held.cancelled()
    records = _report(report)
    paths = corpus.ordered()
    # Every finished result is kept; the gap is the first input, whose work was cancelled.
    assert [r["index"] for r in records] == list(range(1, len(paths)))
    assert [r["file"] for r in records] == paths[1:]
    assert [r["outcome"] for r in records] == [corpus.expected[p] for p in paths[1:]]
    assert "interrupted" in err
    assert _summary(err)[("Total", "")] == len(paths) - 1


# --------------------------------------------------------------------------- closed stdout


def _small_pipe() -> tuple[int, int]:
    """A pipe holding one page, so that a few kilobytes of output fill it."""
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
    return read, write


def test_a_run_cut_short_by_a_closed_stdout_exits_1_though_every_outcome_seen_was_positive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(40):
        (docs / f"licence-{i:02d}.xml").write_bytes(sample_xml())
    report = tmp_path / "report.jsonl"
    read, write = os.pipe()
    os.close(read)  # the reader is gone: the first line written fails (a real EPIPE)
    stdout = open(write, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed below
    monkeypatch.setattr(sys, "stdout", stdout)
    # The second chunk (inputs 1 and 2) waits unstarted, so the run cannot have judged every
    # input when the first line fails, however fast the rest goes.
    executor = _HoldOne(1)

    def start(_given: Executor, _chunk: int, progress: batch.Progress) -> batch.BatchRun[None]:
        return batch.validate(
            batch.iter_files([docs]), executor=executor, chunk_size=4, window=16, progress=progress
        )

    opts = _validate_opts(docs, report=report)
    guard = threading.Timer(120, executor.release)  # only against a hang
    guard.start()
    try:
        code = _clirun.run_many(opts, start, lambda r: {}, lambda r: print(f"{r.path}: valid"))
    finally:
        guard.cancel()
        executor.release()
        executor.shutdown()
        monkeypatch.undo()
        stdout.close()  # now on the null device: its flush cannot fail
    assert code == 1  # every outcome seen was positive, but not every input was judged
    assert executor.held is not None and executor.held.cancelled()
    indexes = [r["index"] for r in _report(report)]
    assert indexes[0] == 0 and 1 not in indexes and 2 not in indexes
    assert indexes == sorted(set(indexes))


@pytest.mark.parametrize(("first", "code"), [("invalid", 1), ("unreadable", 2)])
def test_a_run_whose_reader_goes_away_stops_quietly_with_the_code_of_what_it_saw(
    tmp_path: Path, first: str, code: int
) -> None:
    # The first input decides the code whether or not the rest was judged before the stop:
    # an invalid one is exit 1, one that cannot be opened is exit 2, and never 0. The output,
    # a line per input, is far more than the pipe holds, so the reader goes away mid-run.
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(400):
        (docs / f"licence-{i:04d}.xml").write_bytes(sample_xml())
    if first == "unreadable":
        (docs / "licence-0000.xml").unlink()
        os.symlink(tmp_path / "missing", docs / "licence-0000.xml")
    else:
        (docs / "licence-0000.xml").write_bytes(sample_xml().replace(b"https://", b"http://"))
    report = tmp_path / "report.jsonl"
    read, write = _small_pipe()
    proc = subprocess.Popen(
        _cli("validate", str(docs), "--jobs", "2", "--report", str(report)),
        stdin=subprocess.DEVNULL,
        stdout=write,
        stderr=subprocess.PIPE,
    )
    os.close(write)
    head = b""
    while b"\n" not in head:  # the first line, like `| head -1`
        chunk = os.read(read, 4096)
        assert chunk, "the run ended without output"
        head += chunk
    os.close(read)
    _, err = proc.communicate(timeout=300)
    shown = "licence-0000.xml: invalid" if first == "invalid" else "licence-0001.xml: valid"
    assert head.startswith(f"{docs}/{shown}".encode())
    assert proc.returncode == code
    # Quiet: no traceback, no complaint about the closed pipe, no summary table.
    assert b"Traceback" not in err and b"Exception ignored" not in err and b"Broken" not in err
    assert b"Summary" not in err
    records = _report(report)  # every line whole, in input order, each one a finished result
    indexes = [r["index"] for r in records]
    assert indexes[0] == 0 and indexes == sorted(set(indexes))
    assert records[0]["outcome"] == first
    assert {r["outcome"] for r in records[1:]} <= {"valid"}


@pytest.mark.parametrize(("document", "code"), [("valid", 0), ("invalid", 1)])
def test_a_stdout_closed_after_every_input_was_judged_keeps_the_exit_code(
    tmp_path: Path, document: str, code: int
) -> None:
    path = tmp_path / "licence.xml"
    good = sample_xml()
    path.write_bytes(good if document == "valid" else good.replace(b"https://", b"http://"))
    read, write = _small_pipe()
    os.close(read)  # the reader is gone before the first (buffered, tiny) write
    proc = subprocess.run(
        _cli("validate", str(path)), stdout=write, stderr=subprocess.PIPE, check=False
    )
    os.close(write)
    assert proc.returncode == code
    assert b"Exception ignored" not in proc.stderr and b"Traceback" not in proc.stderr


def test_verify_lines_read_as_the_report_summary_in_both_languages(pki: TestPKI) -> None:
    # The CLI rebuilds each line from the report's plain-data form (what crosses from the
    # workers); it must read exactly as the report's own summary.
    trust = TrustStore.from_pem(pki.trust_pem())
    verifier = Verifier(trust, Policy(revocation="none"))
    reports = [verifier.assess(doc) for doc in signed_documents(pki).values()]
    signer = Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, pki.chain_pem())
    plain = sign(sample_xml(), signer, level=Level.XMLDSIG)
    reports.append(Verifier(trust, Policy(revocation="none", min_level=None)).assess(plain))
    assert {r.indication.value for r in reports} == {"TOTAL-PASSED", "TOTAL-FAILED"}
    assert any("XMLDSig" in r.summary("en") for r in reports)
    for report in reports:
        for lang in ("en", "th"):
            assert _verify_summary(report.to_dict(), lang) == report.summary(lang)


def test_summary_speaks_thai(validate_dir: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    files = [p for p in validate_dir.ordered() if validate_dir.expected[p] != "unreadable"][:12]
    assert main(["validate", "--lang", "th", "--jobs", "1", *files]) == 1
    out, err = capsys.readouterr()
    assert "ไม่ถูกต้อง" in out
    assert "สรุปผล" in err
    assert _summary(err)[("รวม", "")] == 12


def _start_inline(docs: Path) -> _clirun.StartRun:
    def start(_given: Executor, _chunk: int, progress: batch.Progress) -> batch.BatchRun[None]:
        return batch.validate(
            batch.iter_files([docs]), executor=batch.InlineExecutor(), progress=progress
        )

    return start


@pytest.mark.parametrize(("buffering", "change", "code"), [(-1, "arrives", 0), (1, "leaves", 1)])
def test_a_closed_stdout_judges_the_run_by_what_it_did_not_by_the_directory_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, buffering: int, change: str, code: int
) -> None:
    # An inbox changes while it is read. Block-buffered, the closed pipe shows only at the
    # final flush, after every input was judged: a file arriving meanwhile must not turn the
    # usual 0 into 1. Line-buffered, the first line fails and the run stops after one input: the
    # others leaving the directory meanwhile must not turn that into 0.
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"licence-{i}.xml").write_bytes(sample_xml())
    read, write = os.pipe()
    os.close(read)
    stdout = open(write, "w", encoding="utf-8", buffering=buffering)  # noqa: SIM115 - closed below

    def human(result: batch.BatchResult) -> None:
        print(f"{result.path}: valid")
        if change == "arrives":
            (docs / f"new-{result.index}.xml").write_bytes(sample_xml())
        else:
            for other in docs.glob("licence-[12].xml"):
                other.unlink()

    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        got = _clirun.run_many(_validate_opts(docs), _start_inline(docs), lambda r: {}, human)
    finally:
        monkeypatch.undo()
        stdout.close()  # now on the null device: its flush cannot fail
    assert got == code


def test_a_report_that_cannot_be_read_back_spoils_only_its_own_input() -> None:
    broken = batch.BatchResult._from_worker(
        4, "a.xml", batch.Outcome.VALID, (batch._ReportGroup(b"not a pickle"), 0), None, None, None
    )
    result = _clirun._readable(broken)
    assert (result.index, result.path, result.outcome) == (4, "a.xml", batch.Outcome.ERROR)
    assert result.error is not None and result.error.startswith("internal error:")
    fine = batch.BatchResult(5, "b.xml", batch.Outcome.VALID, {"valid": True, "problems": []})
    assert _clirun._readable(fine) is fine
