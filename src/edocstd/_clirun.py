"""Running ``edocstd validate`` / ``edocstd verify`` over many inputs.

What the command line adds to :mod:`edocstd.batch`: the worker pool, a progress bar on a
terminal (nothing when standard error is not a terminal), the JSON Lines report written and
flushed as results arrive, a summary table on standard error, the exit code, and a clean stop
on Ctrl-C (exit 130, with every finished result kept in the report).

Exit codes: 2 when any input could not be opened (a missing file, a dangling link, a FIFO,
no permission) — even inside a walked directory, and even if others were negative, because the
run did not judge every input; else 1 when any outcome was negative; else 0. No input at all
(an empty directory) is exit 2 too: "everything passed" would be misleading.

A reader that goes away (``edocstd verify DIR | head -1``) stops the run quietly, like Ctrl-C
without the summary: work not started is cancelled and the report keeps every finished result.
The exit code never says more than was checked: if every input had been judged by then, it is
the usual one; if not, it is 2 when an input could not be opened, else 1 — never 0, since a
script under ``set -o pipefail`` must not read a run cut short as "every document passed".
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, TextIO

from edocstd import batch

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["EXIT_INTERRUPTED", "CliUsageError", "Options", "run_many", "silence_stdout"]

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
CHUNK = batch.CHUNK


class CliUsageError(Exception):
    """A problem with the command line or its files (exit 2)."""


@dataclass(frozen=True, slots=True)
class Options:
    """The command-line options that shape a run over many inputs."""

    jobs: int
    report: str | None
    json: bool
    quiet: bool
    lang: str
    command: str
    inputs: tuple[str, ...]


StartRun = Callable[[Executor, int, Callable[[int], None]], "batch.BatchRun[Any]"]


def _t(lang: str, th: str, en: str) -> str:
    return th if lang == "th" else en


def run_many(
    opts: Options,
    start: StartRun,
    json_entry: Callable[[batch.BatchResult], dict[str, Any]],
    human: Callable[[batch.BatchResult], None],
) -> int:
    """Run one command over every input and return the exit code."""
    if opts.jobs < 0:
        raise CliUsageError("--jobs must be 0 (one per CPU) or more")
    workers = opts.jobs or batch.default_workers()
    single = len(opts.inputs) == 1 and not Path(opts.inputs[0]).is_dir()
    terminal = sys.stderr.isatty()
    counts: Counter[tuple[str, str]] = Counter()
    done = 0
    interrupted = False

    with ExitStack() as stack:
        report = _open_report(opts.report)
        if report is not None:
            stack.callback(report.close)
        out = _JsonArray(sys.stdout) if opts.json else None
        executor: Executor
        if workers == 1 or single:
            executor = batch.InlineExecutor()
        else:
            pool = ProcessPoolExecutor(workers, initializer=batch.ignore_sigint)
            stack.callback(pool.shutdown, wait=True, cancel_futures=True)
            executor = pool
        total = sum(1 for _ in batch.iter_files(opts.inputs)) if terminal else None
        # The run starts first: a process pool forks its workers on the first task, and a
        # fork must not happen while the progress display's thread may hold a lock.
        ticker = _Ticker()
        run = stack.enter_context(start(executor, CHUNK, ticker))
        ticker.target = stack.enter_context(_progress(terminal, total, opts))

        stdout_closed = False  # the reader of standard output went away (``| head``)

        shows_reports = report is not None or out is not None or not opts.quiet

        def emit(result: batch.BatchResult) -> None:
            nonlocal done, stdout_closed
            if shows_reports:
                result = _readable(result)
            done += 1
            counts[_summary_key(result)] += 1
            if report is not None:
                # Flushed per line, so an interrupted run keeps every finished result.
                report.write(result.json_line())
                report.flush()
            if stdout_closed:
                return  # quiet from here on; the report still gets every finished result
            try:
                if out is not None:
                    out.add(json_entry(result))
                if result.unreadable:
                    print(f"edocstd: {result.error}", file=sys.stderr)
                elif result.report is None:
                    print(f"edocstd: {result.path}: {result.error}", file=sys.stderr)
                elif out is None and not opts.quiet:
                    human(result)
            except BrokenPipeError:
                stdout_closed = True
                run.stop()

        with _on_sigint(run.stop) as stopped:
            for result in run:
                emit(result)
            interrupted = stopped()
            if interrupted or stdout_closed:
                for result in run.cancel():
                    emit(result)
        if not stdout_closed:
            try:
                if out is not None:
                    out.close()
                # Flushed here rather than at interpreter exit, so that a reader gone by now
                # is seen while the exit code can still be chosen.
                sys.stdout.flush()
            except BrokenPipeError:
                stdout_closed = True
        if stdout_closed:
            silence_stdout()

    if stdout_closed:
        # Quiet, as is usual for a closed pipe; the code never claims more than was judged
        # (see the module docstring).
        if interrupted:
            return EXIT_INTERRUPTED
        if done == 0 or any(key[0] == batch.Outcome.UNREADABLE for key in counts):
            return EXIT_USAGE
        if not run.complete or any(not batch.Outcome(key[0]).positive for key in counts):
            return EXIT_NEGATIVE
        return EXIT_OK

    if interrupted:
        print(
            _t(
                opts.lang,
                f"edocstd: ถูกขัดจังหวะ — ทำเสร็จ {done} รายการ"
                + (f" รายงานเก็บผลทั้งหมดไว้ที่ {opts.report}" if opts.report else ""),
                f"edocstd: interrupted — {done} input(s) done"
                + (f"; the report {opts.report} keeps every one of them" if opts.report else ""),
            ),
            file=sys.stderr,
        )
    if done == 0 and not interrupted:
        print(
            _t(opts.lang, "edocstd: ไม่พบไฟล์ที่จะตรวจ (*.xml)", "edocstd: no input files (*.xml)"),
            file=sys.stderr,
        )
        return EXIT_USAGE
    if done > 1 or interrupted or not single:
        _print_summary(counts, opts, interrupted)
    if interrupted:
        return EXIT_INTERRUPTED
    if any(key[0] == batch.Outcome.UNREADABLE for key in counts):
        return EXIT_USAGE
    if any(not batch.Outcome(key[0]).positive for key in counts):
        return EXIT_NEGATIVE
    return EXIT_OK


def _readable(result: batch.BatchResult) -> batch.BatchResult:
    """``result``, or an internal-error result for its input if its report cannot be read.

    Reports are decoded here, in the collecting process, when first read: one that cannot be
    must spoil only its own input, as any failure in a worker does, not the whole run.
    """
    try:
        _ = result.report
    except Exception as exc:
        return batch.BatchResult(
            result.index,
            result.path,
            batch.Outcome.ERROR,
            error=f"internal error: {type(exc).__name__}: {exc}",
        )
    return result


def silence_stdout() -> None:
    """Point standard output at the null device once its reader has gone away.

    Python flushes standard output again at exit; with the pipe closed that flush would fail
    after the exit code was chosen (a message on standard error and exit code 120).
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real descriptor (a test's capture, say): nothing flushes it at exit
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def _open_report(name: str | None) -> IO[bytes] | None:
    if name is None:
        return None
    try:
        # BatchResult.json_line gives UTF-8 bytes; closed by the caller's exit stack.
        return open(name, "wb")
    except OSError as exc:
        raise CliUsageError(f"cannot write the report {name}: {exc.strerror or exc}") from None


def _summary_key(result: batch.BatchResult) -> tuple[str, str]:
    # The sub-indication travels beside the report: no report is decoded for the summary.
    return (str(result.outcome), result.sub_indication or "")


class _Ticker:
    """A progress callback whose display is attached once the run has started."""

    def __init__(self) -> None:
        self.target: Callable[[int], None] | None = None

    def __call__(self, n: int) -> None:
        if self.target is not None:
            self.target(n)


class _JsonArray:
    """Streams a JSON array, one entry at a time (no list of every entry in memory)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._first = True
        out.write("[")

    def add(self, entry: dict[str, Any]) -> None:
        text = json.dumps(entry, ensure_ascii=False, indent=2)
        self._out.write(("\n" if self._first else ",\n") + text)
        self._first = False

    def close(self) -> None:
        self._out.write("]\n" if self._first else "\n]\n")
        self._out.flush()


@contextmanager
def _on_sigint(stop: Callable[[], None]) -> Iterator[Callable[[], bool]]:
    """The first Ctrl-C asks the run to stop cleanly; a second one stops at once."""
    hit = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal hit
        if hit:
            raise KeyboardInterrupt
        hit = True
        stop()

    if threading.current_thread() is not threading.main_thread():
        # Signal handlers can only be set from the main thread; elsewhere Ctrl-C is the
        # caller's business.
        yield lambda: hit
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: hit
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _progress(terminal: bool, total: int | None, opts: Options) -> Iterator[Callable[[int], None]]:
    """A progress callback; a rich progress bar on a terminal, nothing otherwise."""
    if not terminal:
        yield lambda n: None
        return
    from rich.console import Console

    # Per-input lines pass through the bar's console only when standard output is a terminal
    # too (so they do not tear the bar); redirected to a file or a pipe, they must stay there.
    bar = _make_bar(Console(stderr=True), redirect_stdout=sys.stdout.isatty())
    label = _t(opts.lang, "ตรวจสอบ" if opts.command == "verify" else "ตรวจความถูกต้อง", opts.command)
    task = bar.add_task(label, total=total)
    with bar:
        yield lambda n: bar.advance(task, n)


def _make_bar(
    console: Any, *, redirect_stdout: bool, get_time: Callable[[], float] | None = None
) -> Progress:
    """The progress bar: done/total, documents per second, elapsed time and ETA.

    ``get_time`` is the bar's clock (rich's default, the monotonic clock, when None).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Documents per second."""

        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            if speed is None:
                return Text("– docs/s")
            # A slow run (online revocation checks, say) must not read as "0 docs/s".
            return Text(f"{speed:,.1f} docs/s" if speed < 10 else f"{speed:,.0f} docs/s")

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        redirect_stdout=redirect_stdout,
        get_time=get_time,
    )


_OUTCOME_TH = {
    "valid": "ถูกต้อง",
    "invalid": "ไม่ถูกต้อง",
    "TOTAL-PASSED": "ผ่านการตรวจสอบทั้งหมด",
    "TOTAL-FAILED": "ไม่ผ่านการตรวจสอบ",
    "INDETERMINATE": "ยังสรุปผลไม่ได้",
    "unreadable": "เปิดไฟล์ไม่ได้",
    "error": "ข้อผิดพลาดภายใน",
    "done": "เสร็จ",
    "failed": "ไม่สำเร็จ",
}


def _print_summary(counts: Counter[tuple[str, str]], opts: Options, interrupted: bool) -> None:
    """The summary table, on standard error (standard output stays the per-input stream)."""
    from rich.console import Console
    from rich.table import Table

    lang = opts.lang
    console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 100)
    title = _t(lang, "สรุปผล", "Summary")
    if interrupted:
        title += _t(lang, " (ถูกขัดจังหวะ)", " (interrupted)")
    table = Table(title=title)
    table.add_column(_t(lang, "ผล", "Outcome"))
    table.add_column(_t(lang, "รายละเอียด", "Detail"))
    table.add_column(_t(lang, "จำนวน", "Count"), justify="right")
    order = list(batch.Outcome)
    for (outcome, detail), n in sorted(
        counts.items(), key=lambda kv: (order.index(batch.Outcome(kv[0][0])), kv[0][1])
    ):
        label = _OUTCOME_TH.get(outcome, outcome) if lang == "th" else outcome
        table.add_row(label, detail, str(n))
    table.add_section()
    table.add_row(_t(lang, "รวม", "Total"), "", str(sum(counts.values())))
    console.print(table)
    if opts.report:
        console.print(_t(lang, f"รายงาน: {opts.report}", f"Report: {opts.report}"))
