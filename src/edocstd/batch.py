"""Validate, verify, sign or extend many documents, on one machine or many.

Every function here takes any :class:`concurrent.futures.Executor` — a process pool sized to
the machine by default, or a distributed one such as Dask's ``Client.get_executor()`` — and
returns a :class:`BatchRun`: an iterator of :class:`BatchResult`, **in input order**, with a
bounded number of chunks in flight, so memory does not grow with the number of inputs. The
inputs themselves are read lazily from the iterable given.

Workers receive file *paths* in chunks, never document bytes: pickling bytes to a worker costs
about as much as verifying a small document. Each worker process builds its expensive state
(the compiled schema, the trust store, the verifier with its path-validation cache, the signer)
once, keyed by the job's configuration, and reuses it for every chunk it is given. What comes
back is compact too: per input, the outcome and the sub-indication, and for the whole chunk
its reports serialised together, which the collecting process keeps as they came unless a
caller reads ``BatchResult.report`` (see :class:`BatchResult`). The collecting process thus
does a few microseconds of work per document, against the best part of a millisecond to
verify one.

A file that cannot be opened (missing, a dangling link, no permission, not a regular file such
as a FIFO or a device) gives a result whose ``outcome`` is ``"unreadable"``; the run goes on.
So does a file that :func:`iter_files` found in a directory through a symbolic link leading
outside it, unless the caller chose :attr:`LinkPolicy.FOLLOW`: it is not opened at all.
Every input is opened once, checked on the opened descriptor, and read (or signed, or
extended) from that descriptor, so nothing swapped in after the check is read.

Example::

    from edocstd import batch

    with batch.validate(batch.iter_files(["incoming/"])) as run:
        for result in run:
            print(result.path, result.outcome)

On Dask::

    from dask.distributed import Client

    with Client() as client:
        results = list(batch.verify(paths, job, executor=client.get_executor(pure=False)))
"""

from __future__ import annotations

import datetime as dt
import enum
import errno
import json
import os
import pickle
import signal
import stat
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path, PosixPath, WindowsPath
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

from edocstd._version import __version__ as _VERSION
from edocstd.errors import EdocError, InputError

if TYPE_CHECKING:
    from cryptography import x509

    from edocstd.sign._signer import Signer
    from edocstd.verify import Verifier

__all__ = [
    "CHUNK",
    "BatchResult",
    "BatchRun",
    "ExtendJob",
    "InlineExecutor",
    "LinkPolicy",
    "Outcome",
    "Progress",
    "SignJob",
    "SignerKind",
    "SignerSpec",
    "Unopenable",
    "VerifyJob",
    "default_workers",
    "extend",
    "ignore_sigint",
    "iter_files",
    "open_input",
    "sign",
    "validate",
    "verify",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

Progress = Callable[[int], None]
"""Called with the number of inputs that just finished (in completion order, not input order)."""

# One input as sent to a worker: its position, its path, (sign/extend) its output path, and
# (found by walking a directory under LinkPolicy.WITHIN_ROOT) the real path of that directory,
# which the file must stay inside.
_Item = tuple[int, str, str | None, str | None]


class Outcome(enum.StrEnum):
    """What happened to one input. The verification outcomes are the ETSI main indications."""

    VALID = "valid"
    INVALID = "invalid"
    TOTAL_PASSED = "TOTAL-PASSED"
    TOTAL_FAILED = "TOTAL-FAILED"
    INDETERMINATE = "INDETERMINATE"
    DONE = "done"
    """Signed or extended, output written."""
    FAILED = "failed"
    """Signing or extending was refused (bad document, policy, TSA or key problem)."""
    UNREADABLE = "unreadable"
    """The file could not be opened at all (the command line exits 2 for these)."""
    ERROR = "error"
    """An unexpected internal error on this input; the others are unaffected."""

    @property
    def positive(self) -> bool:
        """True for the outcomes that count as success."""
        return self in (Outcome.VALID, Outcome.TOTAL_PASSED, Outcome.DONE)


class BatchResult:
    """The outcome for one input.

    ``index`` is the input's position (from 0) and ``path`` its path. ``outcome`` says what
    happened; ``ok`` is the positive/negative reading of it. ``report`` is the report's
    ``to_dict()`` form, or ``None`` when there is none (unreadable input, signing).
    ``sub_indication`` is the ETSI sub-indication of a verification (``None`` otherwise, and
    when the outcome has none). ``error`` says why the input could not be processed.
    ``output`` is the file written by ``sign``/``extend``. :meth:`json_line` is the result as
    one line of a JSON Lines report.

    A worker serialises the reports of each chunk of inputs together, grouped by outcome and
    sub-indication; the collecting process keeps them serialised, decodes a group on the first
    access to ``report`` of one of its results, and keeps each result's dict from then on. A
    caller that looks only at outcomes and sub-indications costs the collecting process almost
    nothing per document. A result kept without its ``report`` having been read holds the
    serialised reports of its group (the inputs of its chunk, at most :data:`CHUNK`, with the
    same outcome and sub-indication): keeping only the failures of a run keeps only failures'
    reports.

    Results are immutable (``report`` returns the same dict each time; treat it as read-only),
    compare equal when their fields do, and pickle.
    """

    __slots__ = {
        "_report": "",
        "_source": "",
        "error": "Why the input could not be processed (``None`` when it was).",
        "index": "The input's position in the inputs given, from 0.",
        "outcome": "What happened to the input: an :class:`Outcome`.",
        "output": "The file written by :func:`sign` or :func:`extend` (``None`` otherwise).",
        "path": "The input's path, as given or as found by :func:`iter_files`.",
        "sub_indication": "The ETSI sub-indication of a verification, or ``None``.",
    }

    index: int
    path: str
    outcome: Outcome
    error: str | None
    output: str | None
    sub_indication: str | None
    _report: dict[str, Any] | None
    _source: tuple[_ReportGroup, int] | None

    def __init__(
        self,
        index: int,
        path: str,
        outcome: Outcome,
        report: dict[str, Any] | None = None,
        error: str | None = None,
        output: str | None = None,
        *,
        sub_indication: str | None = None,
    ) -> None:
        if sub_indication is None and report is not None:
            sub = report.get("sub_indication")
            sub_indication = sub if isinstance(sub, str) else None
        self._set(index, path, outcome, report, None, sub_indication, error, output)

    @classmethod
    def _from_worker(
        cls,
        index: int,
        path: str,
        outcome: Outcome,
        source: tuple[_ReportGroup, int] | None,
        sub_indication: str | None,
        error: str | None,
        output: str | None,
    ) -> BatchResult:
        result = cls.__new__(cls)
        result._set(index, path, outcome, None, source, sub_indication, error, output)
        return result

    def _set(
        self,
        index: int,
        path: str,
        outcome: Outcome,
        report: dict[str, Any] | None,
        source: tuple[_ReportGroup, int] | None,
        sub_indication: str | None,
        error: str | None,
        output: str | None,
    ) -> None:
        init = object.__setattr__
        init(self, "index", index)
        init(self, "path", path)
        init(self, "outcome", outcome)
        init(self, "error", error)
        init(self, "output", output)
        init(self, "sub_indication", sub_indication)
        init(self, "_report", report)
        init(self, "_source", source)

    @property
    def report(self) -> dict[str, Any] | None:
        """The report's ``to_dict()`` form (plain data), or ``None`` when there is none."""
        source = self._source
        if source is not None:
            reports, position = source
            with reports.lock:
                if self._source is not None:  # not decoded by another thread meanwhile
                    object.__setattr__(self, "_report", reports.take(position))
                    object.__setattr__(self, "_source", None)
        return self._report

    @property
    def ok(self) -> bool:
        """True when the outcome is positive (valid, TOTAL-PASSED, signed/extended)."""
        return self.outcome.positive

    @property
    def unreadable(self) -> bool:
        """True when the file could not be opened at all."""
        return self.outcome is Outcome.UNREADABLE

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping: one line of a JSON Lines report.

        ``file``, ``index`` and ``outcome`` first, then the report's own fields; ``error`` and
        ``output`` only when set.
        """
        out: dict[str, Any] = {"file": self.path, "index": self.index, "outcome": str(self.outcome)}
        report = self.report
        if report is not None:
            out.update(report)
        if self.error is not None:
            out["error"] = self.error
        if self.output is not None:
            out["output"] = self.output
        return out

    def json_line(self) -> bytes:
        """:meth:`to_dict` as one JSON Lines entry: UTF-8, ending in a newline.

        The text is that of ``json.dumps(self.to_dict(), ensure_ascii=False)``, except that a
        file name which is not valid UTF-8 is written with JSON escapes, so the line is always
        valid UTF-8.
        """
        return _to_json(self.to_dict()) + b"\n"

    def _fields(self) -> tuple[object, ...]:
        return (self.index, self.path, self.outcome, self.report, self.error, self.output)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BatchResult):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # the report is a dict: not hashable

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={value!r}"
            for name, value in (
                ("sub_indication", self.sub_indication),
                ("error", self.error),
                ("output", self.output),
            )
            if value is not None
        )
        return (
            f"BatchResult(index={self.index!r}, path={self.path!r}, outcome={self.outcome!r}"
            f"{extra})"
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"BatchResult is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"BatchResult is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        # The report travels decoded: its serialised form is shared with its whole chunk.
        return (
            _rebuild_result,
            (
                self.index,
                self.path,
                self.outcome,
                self.report,
                self.sub_indication,
                self.error,
                self.output,
            ),
        )


def _rebuild_result(
    index: int,
    path: str,
    outcome: Outcome,
    report: dict[str, Any] | None,
    sub_indication: str | None,
    error: str | None,
    output: str | None,
) -> BatchResult:
    return BatchResult(index, path, outcome, report, error, output, sub_indication=sub_indication)


# What a worker sends back for one chunk: a row per input, in the order of the chunk, with the
# outcome's value, the ETSI sub-indication and the error; and the reports (the report objects
# themselves) in groups of inputs with the same row, each group pickled together with the
# positions of its inputs in the chunk. Index, path and output path are already known to the
# collecting process, so they do not travel back.
#
# Why reports go pickled in groups, as objects: pickling shares every string and object the
# reports have in common (check titles, messages, the signer's chain), so a chunk's reports
# cost a worker about a third of what turning each into a dict and pickling that alone did, and
# a quarter of the bytes. The collecting process decodes a group only when a caller reads one
# of its reports, and makes the dict (``to_dict()``) then. Grouping by outcome and
# sub-indication keeps what a kept result holds on to in proportion: a caller who keeps the
# failures of a run keeps the failures' reports, not every chunk that had one failure in it.
_Row = tuple[str, str | None, str | None]
_Group = tuple[list[int], bytes]
_Packed = tuple[str, list[_Row], list[_Group]]
"""The worker's edocstd version, the rows, and the groups of reports."""
_OUTCOMES = {o.value: o for o in Outcome}


def _pickled(reports: list[object]) -> bytes:
    return pickle.dumps(reports, pickle.HIGHEST_PROTOCOL)


class _Collected:
    """A worker's results for one chunk, as they are sent back (see ``_Packed``)."""

    __slots__ = ("reports", "rows")

    def __init__(self) -> None:
        self.rows: list[_Row] = []
        self.reports: list[object] = []

    def add(self, row: _Row, report: object = None) -> None:
        self.rows.append(row)
        self.reports.append(report)

    def packed(self) -> _Packed:
        positions: dict[_Row, list[int]] = {}
        for position, (row, report) in enumerate(zip(self.rows, self.reports, strict=True)):
            if report is not None:
                positions.setdefault(row, []).append(position)
        groups: list[_Group] = []
        for members in positions.values():
            try:
                groups.append((members, _pickled([self.reports[i] for i in members])))
            except Exception:
                # One report that cannot be serialised must not sink its chunk: the others
                # go one by one, and only that input is an error.
                for i in members:
                    try:
                        groups.append(([i], _pickled([self.reports[i]])))
                    except Exception as exc:
                        self.rows[i] = _unexpected(exc)
        return _VERSION, self.rows, groups


class _ReportGroup:
    """One group of reports, serialised until a caller reads one; each handed out once."""

    __slots__ = ("_blob", "_decoded", "lock")

    def __init__(self, blob: bytes) -> None:
        self._blob: bytes | None = blob
        self._decoded: list[Any] | None = None
        self.lock = threading.Lock()

    def take(self, position: int) -> dict[str, Any]:
        """The report at ``position`` as a dict; the object is then let go (call under lock)."""
        if self._decoded is None:
            assert self._blob is not None
            # Written by this library's own worker for this run: the same trust as the
            # executor's own unpickling of every task result.
            self._decoded = pickle.loads(self._blob)  # noqa: S301
            self._blob = None
        data: dict[str, Any] = self._decoded[position].to_dict()
        self._decoded[position] = None  # only once the dict is made: a failure can be retried
        return data


# The separators and escaping of ``json.dumps(..., ensure_ascii=False)``. Reports are trees:
# no cycle check.
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def _to_json(data: dict[str, Any]) -> bytes:
    text = _ENCODER.encode(data)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a file name that is not UTF-8, decoded with surrogateescape):
        # escaped as JSON allows, so the line stays valid UTF-8 and valid JSON.
        return json.dumps(data, check_circular=False).encode("ascii")


def _unpack(chunk: list[_Item], packed: _Packed) -> Iterator[BatchResult]:
    version, rows, groups = packed
    if version != _VERSION:
        # Reports travel as the library's own objects, whose fields are restored by position:
        # a worker on another release could shift one field into another without a sound.
        raise EdocError(
            f"a worker runs edocstd {version} and this process {_VERSION}: every worker must "
            f"run the same release / ผู้ทำงานใช้ edocstd รุ่น {version} แต่กระบวนการนี้ใช้รุ่น "
            f"{_VERSION}: ทุกเครื่องต้องใช้รุ่นเดียวกัน"
        )
    if len(rows) != len(chunk):
        raise RuntimeError(f"a worker returned {len(rows)} results for {len(chunk)} inputs")
    sources: list[tuple[_ReportGroup, int] | None] = [None] * len(rows)
    for members, blob in groups:
        reports = _ReportGroup(blob)
        for k, position in enumerate(members):
            sources[position] = (reports, k)
    for (index, path, target, _root), (value, sub, error), source in zip(
        chunk, rows, sources, strict=True
    ):
        outcome = _OUTCOMES[value]
        yield BatchResult._from_worker(
            index, path, outcome, source, sub, error, target if outcome is Outcome.DONE else None
        )


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True, slots=True)
class VerifyJob:
    """What every worker needs to verify: trust anchors, policy and revocation data.

    Kept as PEM/DER bytes and plain values so it pickles small and hashes as the key of the
    per-process verifier cache. The job travels with every task: with large CRLs, a larger
    ``chunk_size`` sends it less often. ``min_level`` is ``None`` (or ``"none"``) for no minimum;
    ``at`` is the validation time (``None``: now, taken per document).
    """

    trust_pem: bytes
    revocation: str = "offline"
    require_schema: bool = True
    allow_legacy: bool = False
    min_level: str | None = "B-B"
    crls: tuple[bytes, ...] = ()
    ocsp_responses: tuple[bytes, ...] = ()
    at: dt.datetime | None = None


class SignerKind(enum.Enum):
    """Where a :class:`SignerSpec` takes its key from."""

    PEM = "pem"
    PKCS12 = "pkcs12"
    PKCS11 = "pkcs11"


@dataclass(frozen=True, slots=True)
class SignerSpec:
    """How a worker builds its :class:`~edocstd.Signer` (once per process).

    A live signer holds a key handle or an HSM session, which cannot cross processes; this
    is the recipe instead. It carries secrets (a key, a password or a PIN) to the workers:
    on a distributed engine, use it only over channels you trust (Dask supports TLS).
    """

    kind: SignerKind
    key: bytes = b""
    cert_pem: bytes = b""
    chain_pem: bytes | None = None
    password: str | None = None
    uri: str = ""
    module: str | None = None

    @classmethod
    def from_pem(
        cls,
        key_pem: bytes,
        cert_pem: bytes,
        chain_pem: bytes | None = None,
        password: str | None = None,
    ) -> SignerSpec:
        """Key and certificates in PEM (see :meth:`edocstd.Signer.from_pem`)."""
        return cls(SignerKind.PEM, key_pem, cert_pem, chain_pem, password)

    @classmethod
    def from_pkcs12(cls, p12: bytes, password: str) -> SignerSpec:
        """A PKCS#12 container (see :meth:`edocstd.Signer.from_pkcs12`)."""
        return cls(SignerKind.PKCS12, p12, password=password)

    @classmethod
    def from_pkcs11(cls, uri: str, pin: str, module: str | None = None) -> SignerSpec:
        """A key on a PKCS#11 token; each worker logs in once (see ``Signer.from_pkcs11``)."""
        return cls(SignerKind.PKCS11, uri=uri, password=pin, module=module)

    def build(self) -> Signer:
        """The signer this spec describes."""
        from edocstd.sign._signer import Signer

        if self.kind is SignerKind.PEM:
            return Signer.from_pem(self.key, self.cert_pem, self.chain_pem, self.password)
        if self.kind is SignerKind.PKCS12:
            return Signer.from_pkcs12(self.key, self.password)
        return Signer.from_pkcs11(self.uri, self.password or "", module=self.module)

    def __repr__(self) -> str:
        # Never show key material or secrets in logs and tracebacks.
        return f"SignerSpec(kind={self.kind.value!r})"


@dataclass(frozen=True, slots=True)
class SignJob:
    """What every worker needs to sign: the signer recipe and the signature options.

    Names are those of the command line: ``level`` ``"B-B"`` … ``"B-LTA"`` (above B-B a
    ``tsa`` URL is needed), ``algorithm`` such as ``"rsa-sha256"`` (``None``: follow the
    key), ``c14n`` ``"exc"``/``"c14n"``/``"c14n11"``, ``digest`` ``"sha256"``…
    """

    signer: SignerSpec
    level: str = "B-B"
    algorithm: str | None = None
    c14n: str = "exc"
    digest: str = "sha256"
    signing_time: dt.datetime | None = None
    require_schema: bool = True
    tsa: str | None = None
    extra_certs: tuple[bytes, ...] = ()
    """Certificates (PEM, possibly several per item, or DER) added to those the signer and the
    document carry when gathering validation data at B-LT and B-LTA: at least the trust
    anchor of the signer's chain when the signer does not hold it (a PKCS#12 or PKCS#11 key)."""

    def __post_init__(self) -> None:
        _check_level(self.level, self.tsa, ("B-B", "B-T", "B-LT", "B-LTA"))
        _parse_certs(self.extra_certs)  # refused here, in the caller, not in every worker


def _check_level(level: str, tsa: str | None, allowed: tuple[str, ...]) -> None:
    from edocstd.errors import PolicyError

    if level not in allowed:
        raise PolicyError(f"level must be one of {', '.join(allowed)}, not {level!r}")
    if level != "B-B" and not tsa:
        raise PolicyError(
            f"level {level} needs a time-stamping authority (tsa) / "
            f"ระดับ {level} ต้องระบุหน่วยงานประทับรับรองเวลา (TSA)"
        )
    if level == "B-B" and tsa:
        raise PolicyError(
            "a time-stamping authority (tsa) was given, but a B-B signature carries no "
            "time-stamp / ระบุ TSA แต่ลายมือชื่อระดับ B-B ไม่มีตราประทับเวลา"
        )


@dataclass(frozen=True, slots=True)
class ExtendJob:
    """What every worker needs to extend signatures: the target level and the TSA URL.

    ``extra_certs`` (PEM, possibly several per item, or DER) are added to the certificates the
    document carries when gathering validation data at B-LT and B-LTA: at least the trust
    anchor of each chain when the document does not hold it (a plain B-B document usually
    carries only the signer's certificate and its intermediates).
    """

    level: str
    tsa: str
    extra_certs: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        _check_level(self.level, self.tsa, ("B-T", "B-LT", "B-LTA"))
        _parse_certs(self.extra_certs)  # refused here, in the caller, not in every worker


# --------------------------------------------------------------------------- inputs


class LinkPolicy(enum.Enum):
    """What to do with files that a directory walk reaches through a symbolic link.

    Only files found by :func:`iter_files` walking a directory are concerned; a path given
    explicitly is read as given, and symbolic links to directories are never followed.
    """

    WITHIN_ROOT = "within-root"
    """Read a file only if its real path lies inside the real path of the directory walked
    (the default). A link leading elsewhere gives an ``unreadable`` result, and the file it
    points to is not opened: a document dropped into an inbox cannot make the batch read (and
    report on) files outside it."""
    FOLLOW = "follow"
    """Read whatever a link points to, wherever it is."""


if sys.platform == "win32":  # pragma: no cover - the concrete class of Path on this platform
    _ConcretePath = WindowsPath
else:
    _ConcretePath = PosixPath


class _Walked(_ConcretePath):
    # A path found by walking, remembering the real path of the directory walked so that the
    # worker can check, on the descriptor it opened, that the file stayed inside. It is a Path
    # (equal to the plain path) for every other purpose; the root does not survive pickling,
    # which is fine: it is read into the work item in the collecting process.
    __slots__ = ("_edoc_root",)
    _edoc_root: str | None

    def __repr__(self) -> str:
        return f"{_ConcretePath.__name__}({self.as_posix()!r})"


def _walked(path: Path, root: str | None) -> Path:
    found = _Walked(path)
    found._edoc_root = root
    return found


def _root_of(path: str | os.PathLike[str]) -> str | None:
    # Paths derived from a walked one (``p.parent``, ``p.with_suffix()``) are of the same
    # class but carry no root: they were not found by walking, and are taken as given.
    root: str | None = getattr(path, "_edoc_root", None)
    return root


def iter_files(
    paths: Iterable[str | os.PathLike[str]],
    suffix: str = ".xml",
    *,
    follow_links: LinkPolicy = LinkPolicy.WITHIN_ROOT,
) -> Iterator[Path]:
    """Expand directories into the files they hold, deterministically.

    A path that is a directory is walked depth-first, however deep (no recursion); at each
    level its entries are taken in sorted order (by name, as code points), sub-directories in
    place, so the order is stable on every platform. Entries whose name ends with ``suffix``
    (case-insensitively) are taken *whatever they are* — regular files, symbolic links (even
    dangling ones), FIFOs — so that an entry which cannot be read is reported, never silently
    skipped. Sub-directories (even ones named ``*.xml``) are walked, symbolic links to
    directories are not followed (no loops), and hidden entries (starting with ``.``) are
    skipped. Any other path is yielded as given, whatever its name.

    ``follow_links`` says whether a file found by walking may be read through a symbolic link
    leading outside the directory walked (:class:`LinkPolicy`; by default it may not: the
    functions of this module then give an ``unreadable`` result for it without opening it).
    The check is made when the file is opened, on the opened descriptor, so a file swapped for
    a link after the walk is caught too.
    """
    if not isinstance(follow_links, LinkPolicy):
        raise TypeError(f"follow_links must be a LinkPolicy, not {type(follow_links).__name__}")
    low = suffix.lower()
    for p in paths:
        path = Path(p)
        if path.is_dir():
            root = os.path.realpath(path) if follow_links is LinkPolicy.WITHIN_ROOT else None
            yield from _walk(path, low, root)
        else:
            yield path


def _walk(top: Path, suffix: str, root: str | None) -> Iterator[Path]:
    # An explicit stack of per-directory name iterators rather than recursion: a tree nested
    # deeper than the interpreter's recursion limit is walked like any other.
    listing = _listing(top, suffix)
    if listing is None:
        # An unlistable directory is reported as one unreadable input.
        yield top
        return
    stack: list[tuple[Path, Iterator[tuple[str, bool]]]] = [(top, iter(listing))]
    while stack:
        directory, names = stack[-1]
        entry = next(names, None)
        if entry is None:
            stack.pop()
            continue
        name, is_dir = entry
        path = directory / name
        if not is_dir:
            yield _walked(path, root)
            continue
        sub = _listing(path, suffix)
        if sub is None:
            yield path
        else:
            stack.append((path, iter(sub)))


def _listing(directory: Path, suffix: str) -> list[tuple[str, bool]] | None:
    # Only the names that matter are kept (not whole directory entries), so a directory of a
    # million files costs one list of names while it is walked.
    try:
        with os.scandir(directory) as it:
            return sorted(
                (entry.name, _is_dir(entry))
                for entry in it
                if not entry.name.startswith(".")
                and (_is_dir(entry) or entry.name.lower().endswith(suffix))
            )
    except OSError:
        return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


class Unopenable(InputError):
    """The input file cannot be opened at all: missing, a dangling link, no permission, not a
    regular file (a directory, a FIFO, a device), or found by walking a directory but leading
    outside it (see :class:`LinkPolicy`). The command line exits 2 for these."""


def open_input(path: str, root: str | None = None) -> IO[bytes]:
    """Open ``path`` for reading if it is a regular file; raises :class:`Unopenable` if not.

    ``O_NONBLOCK`` keeps a FIFO from blocking the open; the type is checked on the opened
    descriptor, so a file swapped after a check cannot slip through. With ``root`` (a real
    path), the file opened must also be one whose real path lies inside ``root``: the check is
    made against the opened descriptor, so a link swapped in meanwhile is refused as well.
    Nothing is read from a refused file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
        raise Unopenable(f"cannot open {path}: {reason}") from exc
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise Unopenable(f"cannot open {path}: not a regular file")
        if root is not None:
            _check_inside(path, root, opened)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return open(fd, "rb", closefd=True)  # the caller closes it
    except BaseException:
        os.close(fd)
        raise


def _check_inside(path: str, root: str, opened: os.stat_result) -> None:
    real = os.path.realpath(path)
    try:
        inside = os.path.commonpath([real, root]) == root
    except ValueError:  # not on the same drive
        inside = False
    if inside:
        try:
            named = os.stat(real)
        except OSError:
            inside = False
        else:
            # The descriptor must be the file at that real path: a link changed between the
            # open and realpath() would otherwise let an outside file through.
            inside = (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)
    if not inside:
        raise Unopenable(
            f"not read: {path} is reached through a symbolic link leading outside the "
            f"directory being processed / ไม่อ่านไฟล์ {path} เพราะเป็นลิงก์ที่ชี้ออกไปนอก"
            "โฟลเดอร์ที่กำลังประมวลผล"
        )


# --------------------------------------------------------------------------- the run


def _width(executor: Executor) -> int:
    # How many tasks the executor runs at once. The standard library's pools know it (as a
    # private attribute, stable since they were written); other executors (Dask's) do not
    # say, and get one per CPU of this machine unless the caller gives ``window``.
    width = getattr(executor, "_max_workers", None)
    return width if isinstance(width, int) and width > 0 else default_workers()


def default_workers() -> int:
    """The number of CPUs this process may run on (the default pool size)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class InlineExecutor(Executor):
    """An executor that runs each task at once, in the calling thread.

    For one-worker runs, debugging and tests: no process is started, and tasks and their
    arguments are not pickled (reports are serialised as for any executor, so results are the
    same whatever runs them).
    """

    def submit(self, fn: Callable[..., _R], /, *args: Any, **kwargs: Any) -> Future[_R]:
        """Run ``fn(*args, **kwargs)`` now; the future is already done."""
        future: Future[_R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def ignore_sigint() -> None:
    """Worker-pool initializer: workers ignore SIGINT, and the parent alone handles Ctrl-C."""
    # Ctrl-C on a terminal reaches the whole process group; only the parent decides what it
    # means (stop cleanly), so workers must not die half-way through a chunk.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    # Chunks grow 1, 2, 4 … up to ``size``: the first results (and progress) arrive at once,
    # and a small batch is still spread over every worker.
    want = 1
    buf: list[_T] = []
    for item in items:
        buf.append(item)
        if len(buf) >= want:
            yield buf
            buf = []
            want = min(size, want * 2)
    if buf:
        yield buf


class BatchRun(Iterator[BatchResult], Generic[_T]):
    """A running batch: iterate it for results in input order.

    Use it as a context manager (or iterate it to the end) so that a pool it created is shut
    down. :meth:`stop` may be called from a signal handler: iteration then ends at the next
    result boundary, and :meth:`cancel` cancels the work not yet started and returns every
    result that finished but was not yet handed out, in input order (with gaps where the work
    was cancelled). :attr:`complete` says whether every input has given its result.
    """

    def __init__(
        self,
        func: Callable[[_T, list[_Item]], _Packed],
        job: _T,
        items: Iterable[_Item],
        executor: Executor | None,
        chunk_size: int,
        window: int | None,
        progress: Progress | None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self._func = func
        self._job = job
        self._own = executor is None
        self._pool: Executor = (
            executor
            if executor is not None
            else ProcessPoolExecutor(default_workers(), initializer=ignore_sigint)
        )
        if window is None:
            inline = isinstance(self._pool, InlineExecutor)
            window = 1 if inline else 4 * max(2, _width(self._pool))
        self._window = window
        if self._window < 1:
            raise ValueError("window must be at least 1")
        self._chunks = _chunks(items, chunk_size)
        self._pending: deque[tuple[Future[_Packed], list[_Item]]] = deque()
        self._counted: set[Future[_Packed]] = set()
        self._ready: deque[BatchResult] = deque()
        self._progress = progress
        self._exhausted = False
        self._taken = 0  # inputs read from the iterable
        self._given = 0  # results handed out (by iteration or cancel())
        self._stopping = False
        self._closed = False
        try:
            # Start at once: a process pool forks its workers now, before the caller starts
            # any threads of its own (a progress display, for instance).
            self._fill()
        except BaseException:
            self.close()
            raise

    # -- iteration ------------------------------------------------------------------------

    def __iter__(self) -> BatchRun[_T]:
        return self

    def __next__(self) -> BatchResult:
        while True:
            if self._ready:
                self._given += 1
                return self._ready.popleft()
            if self._stopping or self._closed:
                raise StopIteration
            self._fill()
            if not self._pending:
                self.close()
                raise StopIteration
            head, chunk = self._pending[0]
            while not head.done() and not self._stopping:
                self._wait(head, 0.1)
            if not head.done():
                raise StopIteration
            self._count(head, len(chunk))
            self._pending.popleft()
            self._counted.discard(head)
            try:
                self._ready.extend(_unpack(chunk, head.result()))
            except BaseException:
                self.close()
                raise

    def _fill(self) -> None:
        while not self._exhausted and len(self._pending) < self._window:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._exhausted = True
                return
            future = self._pool.submit(self._func, self._job, chunk)
            self._pending.append((future, chunk))
            self._taken += len(chunk)

    def _wait(self, head: Future[_Packed], timeout: float) -> None:
        if self._progress is None:
            # Nothing to report in completion order: wake only when the next result in input
            # order is ready (or to look at a stop request), not at every finished chunk.
            wait((head,), timeout=timeout)
            return
        sizes = {f: len(c) for f, c in self._pending if f not in self._counted}
        if not sizes:
            return
        done, _ = wait(sizes, timeout=timeout, return_when=FIRST_COMPLETED)
        for f in done:
            self._count(f, sizes[f])

    def _count(self, future: Future[_Packed], size: int) -> None:
        if future in self._counted:
            return
        self._counted.add(future)
        if self._progress is not None and not future.cancelled():
            self._progress(size)

    # -- stopping ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask iteration to end at the next result boundary (safe in a signal handler)."""
        self._stopping = True

    def cancel(self) -> list[BatchResult]:
        """Cancel the work not started; return the finished results not yet handed out.

        Work already running in a worker cannot be interrupted; it is waited for (a chunk at
        most per worker), and its results are returned too. The results are in input order;
        inputs whose work was cancelled are missing. The run is closed afterwards.
        """
        self._stopping = True
        out = list(self._ready)
        self._ready.clear()
        for f, _ in self._pending:
            f.cancel()
        for f, chunk in self._pending:
            if f.cancelled():
                continue
            try:
                out.extend(_unpack(chunk, f.result()))
            except Exception:  # noqa: S112 - a failed chunk has no result to keep
                continue
            self._count(f, len(chunk))
        self._given += len(out)
        if not self._exhausted and next(self._chunks, None) is None:
            # Stopped just as the inputs ran out: nothing was left to judge.
            self._exhausted = True
        self.close()
        return out

    @property
    def complete(self) -> bool:
        """True when every input has given its result (by iteration or :meth:`cancel`).

        False while results are still to come, and for a run stopped with inputs not yet
        judged — work cancelled, or inputs not yet read (:meth:`cancel` looks for one more).
        """
        return self._exhausted and self._given == self._taken

    def close(self) -> None:
        """Cancel what is pending and shut down the pool this run created."""
        if self._closed:
            return
        self._closed = True
        for f, _ in self._pending:
            f.cancel()
        self._pending.clear()
        self._counted.clear()
        if self._own:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> BatchRun[_T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _indexed(paths: Iterable[str | os.PathLike[str]]) -> Iterator[_Item]:
    for i, p in enumerate(paths):
        yield (i, os.fspath(p), None, _root_of(p))


def _indexed_pairs(
    pairs: Iterable[tuple[str | os.PathLike[str], str | os.PathLike[str]]],
) -> Iterator[_Item]:
    for i, (src, dst) in enumerate(pairs):
        yield (i, os.fspath(src), os.fspath(dst), _root_of(src))


# --------------------------------------------------------------------------- per-process caches

_cache_lock = threading.Lock()
_MAX_CACHED = 4
_VERIFIERS: dict[VerifyJob, Verifier] = {}
_SIGNERS: dict[SignerSpec, Signer] = {}


def _cached(cache: dict[Any, Any], key: Any, build: Callable[[], Any]) -> Any:
    # Dask workers run tasks on threads: build under a lock so each process builds once.
    with _cache_lock:
        value = cache.get(key)
        if value is None:
            value = build()
            if len(cache) >= _MAX_CACHED:
                cache.pop(next(iter(cache)))
            cache[key] = value
        return value


def _verifier_for(job: VerifyJob) -> Verifier:
    """The verifier for ``job``, built once per worker process."""

    def build() -> Verifier:
        from edocstd.verify import Policy, TrustStore, Verifier

        return Verifier(
            trust=TrustStore.from_pem(job.trust_pem),
            policy=Policy(
                revocation=job.revocation,
                require_schema=job.require_schema,
                allow_legacy=job.allow_legacy,
                min_level=job.min_level,
            ),
            crls=job.crls,
            ocsp_responses=job.ocsp_responses,
        )

    verifier: Verifier = _cached(_VERIFIERS, job, build)
    return verifier


def _signer_for(spec: SignerSpec) -> Signer:
    signer: Signer = _cached(_SIGNERS, spec, spec.build)
    return signer


def _unexpected(exc: Exception) -> _Row:
    return (Outcome.ERROR.value, None, f"internal error: {type(exc).__name__}: {exc}")


def _unopenable(exc: Exception) -> _Row:
    return (Outcome.UNREADABLE.value, None, str(exc))


# --------------------------------------------------------------------------- validate


CHUNK = 128
"""Default most paths per task for :func:`validate` and :func:`verify`.

Each task costs the collecting process and the worker a fraction of a millisecond however
many paths it carries, about what one verification costs: at 128 paths that is well under 1%
of the work, while the last task (which may leave other workers idle at the end of a run) is
still only a tenth of a second or so of verification."""


def _validate_chunk(_job: None, items: list[_Item]) -> _Packed:
    from edocstd.schema._validate import edoc_schema
    from edocstd.schema._validate import validate as _validate

    edoc_schema()  # compiled once per process (cached), before the first document
    out = _Collected()
    for _, path, _, root in items:
        try:
            with open_input(path, root) as fh:
                report = _validate(fh)
            outcome = Outcome.VALID if report.valid else Outcome.INVALID
            out.add((outcome.value, None, None), report)
        except InputError as exc:  # Unopenable, or a read that failed half-way
            out.add(_unopenable(exc))
        except Exception as exc:  # one bad input must not sink the batch
            out.add(_unexpected(exc))
    return out.packed()


def validate(
    paths: Iterable[str | os.PathLike[str]],
    *,
    executor: Executor | None = None,
    chunk_size: int = CHUNK,
    window: int | None = None,
    progress: Progress | None = None,
) -> BatchRun[None]:
    """Validate every file in ``paths`` (EDOC 1.0 schema and rules), results in input order.

    ``executor``: any executor (default: a process pool with one worker per CPU, shut down
    when the run ends). ``chunk_size``: the most paths sent in one task; chunks start small and
    grow to it, so the first results come at once. ``window``: the most tasks in flight — this
    bounds memory; the default is four per worker of a standard-library pool, else four per CPU
    of this machine (give it for a Dask cluster: ``4 * sum(client.nthreads().values())``).
    ``progress`` is called with the number of inputs that just finished. Each result's
    ``report`` is ``ValidationReport.to_dict()``.
    """
    return BatchRun(_validate_chunk, None, _indexed(paths), executor, chunk_size, window, progress)


# --------------------------------------------------------------------------- verify


def _verify_chunk(job: VerifyJob, items: list[_Item]) -> _Packed:
    from edocstd.schema._validate import edoc_schema

    if job.require_schema:
        edoc_schema()
    verifier = _verifier_for(job)
    out = _Collected()
    for _, path, _, root in items:
        try:
            with open_input(path, root) as fh:
                report = verifier.assess(fh, at=job.at)
            sub = report.sub_indication
            out.add((report.indication.value, None if sub is None else sub.value, None), report)
        except Unopenable as exc:
            out.add(_unopenable(exc))
        except Exception as exc:  # one bad input must not sink the batch
            out.add(_unexpected(exc))
    return out.packed()


def verify(
    paths: Iterable[str | os.PathLike[str]],
    job: VerifyJob,
    *,
    executor: Executor | None = None,
    chunk_size: int = CHUNK,
    window: int | None = None,
    progress: Progress | None = None,
) -> BatchRun[VerifyJob]:
    """Verify every file in ``paths`` under ``job``; results in input order.

    The options are those of :func:`validate`. Each result's ``report`` is
    ``VerificationReport.to_dict()``, and its ``outcome`` the main indication.
    """
    return BatchRun(_verify_chunk, job, _indexed(paths), executor, chunk_size, window, progress)


# --------------------------------------------------------------------------- sign / extend


_DONE: _Row = (Outcome.DONE.value, None, None)


def _write_output(target: str, data: bytes) -> None:
    from edocstd.sign._sign import _as_path, _replace_file

    # Atomically, as sign_file and extend_file do: never a half-written output.
    def write(fh: IO[bytes]) -> None:
        fh.write(data)

    _replace_file(_as_path(target), write)


def _each_output(items: list[_Item], produce: Callable[[IO[bytes]], bytes]) -> _Packed:
    """Run ``produce`` on each checked input and write its result atomically to the target.

    The input is read from the descriptor that was checked, never reopened by name: a FIFO or
    a link swapped in after the check cannot be read instead. One bad input gives its own
    result and never sinks the chunk.
    """
    from edocstd.errors import EdocError

    rows: list[_Row] = []
    for _, path, target, root in items:
        assert target is not None
        try:
            with open_input(path, root) as fh:
                data = produce(fh)
            _write_output(target, data)
        except Unopenable as exc:
            rows.append(_unopenable(exc))
        except EdocError as exc:
            rows.append((Outcome.FAILED.value, None, str(exc)))
        except Exception as exc:  # one bad input must not sink the batch
            rows.append(_unexpected(exc))
        else:
            rows.append(_DONE)
    return _VERSION, rows, []


_CERTS: dict[tuple[bytes, ...], tuple[x509.Certificate, ...]] = {}


def _certificates(blobs: tuple[bytes, ...]) -> tuple[x509.Certificate, ...]:
    """The certificates in ``blobs`` (each PEM, possibly several, or one DER), parsed once per
    process and job."""
    if not blobs:
        return ()
    parsed: tuple[x509.Certificate, ...] = _cached(_CERTS, blobs, lambda: _parse_certs(blobs))
    return parsed


def _parse_certs(blobs: tuple[bytes, ...]) -> tuple[x509.Certificate, ...]:
    from cryptography import x509

    from edocstd.errors import CertificateError

    out: list[x509.Certificate] = []
    for i, blob in enumerate(blobs):
        if not isinstance(blob, bytes):
            raise TypeError(f"extra_certs[{i}] must be PEM or DER bytes, not {type(blob).__name__}")
        try:
            if b"-----BEGIN" in blob:
                out.extend(x509.load_pem_x509_certificates(blob))
            else:
                out.append(x509.load_der_x509_certificate(blob))
        except ValueError as exc:
            raise CertificateError(
                f"extra_certs[{i}] is not a PEM or DER certificate: {exc} / "
                f"extra_certs[{i}] ไม่ใช่ใบรับรองในรูปแบบ PEM หรือ DER"
            ) from exc
    return tuple(out)


def _sign_chunk(job: SignJob, items: list[_Item]) -> _Packed:
    from edocstd._level import Level
    from edocstd.sign._algorithms import C14N, DigestAlgorithm, SignatureAlgorithm
    from edocstd.sign._sign import SchemaCheck
    from edocstd.sign._sign import sign as _sign

    signer = _signer_for(job.signer)
    level = Level.parse(job.level)
    extra = _certificates(job.extra_certs)

    def produce(fh: IO[bytes]) -> bytes:
        return _sign(
            fh,
            signer,
            level=level,
            algorithm=SignatureAlgorithm.from_name(job.algorithm) if job.algorithm else None,
            c14n=C14N.from_name(job.c14n),
            digest=DigestAlgorithm.from_name(job.digest),
            signing_time=job.signing_time,
            schema=SchemaCheck.REQUIRE if job.require_schema else SchemaCheck.SKIP,
            tsa=job.tsa,
            extra_certs=extra,
        )

    return _each_output(items, produce)


def sign(
    pairs: Iterable[tuple[str | os.PathLike[str], str | os.PathLike[str]]],
    job: SignJob,
    *,
    executor: Executor | None = None,
    chunk_size: int = 8,
    window: int | None = None,
    progress: Progress | None = None,
) -> BatchRun[SignJob]:
    """Sign each ``(input, output)`` file pair under ``job``; results in input order.

    Each output is written atomically (never half-written); an input that is refused (an
    invalid EDOC document, a time-stamping authority that does not answer) gives a ``failed``
    result with the reason, and no output. The options are those of :func:`validate`.
    """
    return BatchRun(_sign_chunk, job, _indexed_pairs(pairs), executor, chunk_size, window, progress)


def _extend_chunk(job: ExtendJob, items: list[_Item]) -> _Packed:
    from edocstd._level import Level
    from edocstd.sign._sign import _long_term, augment

    level = Level.parse(job.level)
    extra = _certificates(job.extra_certs)

    def produce(fh: IO[bytes]) -> bytes:
        long_term = _long_term(level, job.tsa, None, extra)
        assert long_term is not None  # ExtendJob admits long-term levels only
        return augment(fh, long_term.run)

    return _each_output(items, produce)


def extend(
    pairs: Iterable[tuple[str | os.PathLike[str], str | os.PathLike[str]]],
    job: ExtendJob,
    *,
    executor: Executor | None = None,
    chunk_size: int = 8,
    window: int | None = None,
    progress: Progress | None = None,
) -> BatchRun[ExtendJob]:
    """Extend the signatures of each ``(input, output)`` file pair to ``job.level``.

    Outputs are written atomically; the options are those of :func:`validate`.
    """
    return BatchRun(
        _extend_chunk, job, _indexed_pairs(pairs), executor, chunk_size, window, progress
    )
