"""The documentation builds without warnings, and every example in it runs.

Each page in ``docs/`` is run as a reader would: its examples, in order, in a fresh Python process
whose working directory is an empty temporary directory.

* A ``python`` block runs in the page's shared namespace.
* A ``sh`` block runs with ``bash -euo pipefail``, with this interpreter's ``bin`` directory first
  on ``PATH`` (so ``edocstd`` and ``pytest`` are the ones installed here).
* A block of either kind whose first line is ``# file: NAME`` is written to ``NAME`` instead of
  being run, for files the page asks the reader to create (a test module, a configuration).
* A block is left out only when the line just before it is a MyST comment
  ``% not run: <reason>``; the reason is required.
* A Python file a page shows with ``{literalinclude}`` (an example from ``examples/``) is copied
  into the working directory first, under its own name, as a reader who saved it would have it.

Blocks in other languages (``text``, ``json``, ``xml``) show output or data and are not run.

The examples in docstrings, which the API reference shows, run the same way: a module's ``::``
blocks, in order, as the blocks of one page. The test gives each module what the text around
its examples takes as given (a directory of documents, a trust store) and checks what they
produce; see ``DOCSTRING_EXAMPLES``. Every such block is run here, run by another test, or
listed with the reason it is not code.

The build is nitpicky (``docs/conf.py``): a cross-reference that resolves to nothing fails it.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(
    r"^(?P<fence>`{3,})(?P<lang>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S
)
_NOT_RUN = re.compile(r"^%\s*not run:\s*(?P<reason>\S.*)$")
_RUNNABLE = {"python", "sh"}
_INCLUDE = re.compile(r"^`{3,}\{literalinclude\}\s+(?P<path>\S+\.py)\s*$", re.M)
_FILE = re.compile(r"^#\s*file:\s*(?P<name>\S+)\s*$")
_PAGE_TIMEOUT = 300


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    lang: str
    code: str
    line: int
    skip_reason: str | None


def blocks(text: str) -> list[Block]:
    """The ``python`` and ``sh`` blocks of a page, in order, with their skip reasons."""
    out: list[Block] = []
    for match in _FENCE.finditer(text):
        lang = match.group("lang").strip()
        if lang not in _RUNNABLE:
            continue
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _NOT_RUN.match(before)
        out.append(Block(lang, match.group("body"), line, skip.group("reason") if skip else None))
    return out


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def _pages_with_examples() -> list[Path]:
    return [p for p in _pages() if any(b.skip_reason is None for b in blocks(p.read_text("utf-8")))]


def _run_page(page: Path) -> None:
    """Run one page's blocks in this process (called in a child, in a temporary directory)."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    text = page.read_text("utf-8")
    for included in _INCLUDE.finditer(text):
        source = (page.parent / included.group("path")).resolve()
        shutil.copyfile(source, Path.cwd() / source.name)
    sys.path.insert(0, str(Path.cwd()))
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for n, block in enumerate(blocks(text), 1):
        if block.skip_reason is not None:
            continue
        where = f"{page.name}, block {n} (line {block.line})"
        first = block.code.split("\n", 1)[0]
        named = _FILE.match(first)
        if named:
            target = Path(named.group("name"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, "utf-8")
        elif block.lang == "python":
            exec(compile(block.code, where, "exec"), namespace)
        else:
            print(f"$ [{where}]\n{block.code}", flush=True)
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.code], env=env)
            if done.returncode != 0:
                raise SystemExit(f"{where}: shell block exited {done.returncode}")


def test_every_page_has_runnable_examples_or_none_to_run() -> None:
    pages = [
        p for p in _pages() if any(b.skip_reason is None for b in blocks(p.read_text("utf-8")))
    ]
    assert len(pages) >= 10, f"expected most pages to carry examples, found {len(pages)}"


def test_blocks_left_out_say_why_and_are_few() -> None:
    skipped = [
        (p.relative_to(DOCS), b.line, b.skip_reason)
        for p in _pages()
        for b in blocks(p.read_text("utf-8"))
        if b.skip_reason is not None
    ]
    assert all(reason and len(reason) >= 10 for _p, _l, reason in skipped), skipped
    assert len(skipped) <= 6, f"too many examples are not run: {skipped}"


def test_block_parser_honours_not_run_markers() -> None:
    text = "x\n\n% not run: needs a real HSM here\n```python\nboom()\n```\n\n```python\nok()\n```\n"
    parsed = blocks(text)
    assert [(b.code, b.skip_reason) for b in parsed] == [
        ("boom()\n", "needs a real HSM here"),
        ("ok()\n", None),
    ]


def test_examples_have_no_lint_errors(tmp_path: Path) -> None:
    """Unused imports, undefined names and the like, page by page (a page's blocks joined)."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    for page in _pages_with_examples():
        name = "_".join(page.relative_to(DOCS).with_suffix("").parts).replace("-", "_")
        script: list[str] = []
        for n, block in enumerate(blocks(page.read_text("utf-8"))):
            if block.lang != "python" or block.skip_reason is not None:
                continue
            if _FILE.match(block.code.split("\n", 1)[0]):
                (tmp_path / f"{name}_file{n}.py").write_text(block.code, "utf-8")
            else:
                script.append(block.code)
        if script:
            (tmp_path / f"{name}.py").write_text("\n".join(script), "utf-8")
    done = subprocess.run(
        [
            *(ruff, "check", "--isolated", "--no-cache", "--select", "F,B,UP"),
            *("--target-version", "py311", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _run_child(page: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # A page that uses SoftHSM2 sets up its own token; it must not inherit someone else's.
    env.pop("SOFTHSM2_CONF", None)
    return subprocess.run(
        [sys.executable, __file__, str(page)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=_PAGE_TIMEOUT,
    )


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ("```python\nx = 1\n```\n\n```python\nassert x == 1\n```\n", True),
        ("```python\nassert 1 == 2\n```\n", False),
        ("```sh\nfalse\n```\n", False),
        ("% not run: shows a failure on purpose\n```sh\nfalse\n```\n", True),
        (
            "```python\n# file: sub/t.py\nraise SystemExit(3)\n```\n\n```sh\ntest -f sub/t.py\n```\n",
            True,
        ),
    ],
    ids=["shared-namespace", "python-fails", "sh-fails", "not-run", "file-written-not-run"],
)
def test_page_runner_fails_when_an_example_fails(tmp_path: Path, body: str, ok: bool) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n" + body, "utf-8")
    work = tmp_path / "work"
    work.mkdir()
    assert (_run_child(page, work).returncode == 0) is ok


@pytest.mark.parametrize("page", _pages_with_examples(), ids=lambda p: str(p.relative_to(DOCS)))
def test_doc_page_examples_run(page: Path, tmp_path: Path) -> None:
    done = _run_child(page, tmp_path)
    assert done.returncode == 0, f"examples of {page.name} failed:\n{done.stdout}\n{done.stderr}"


def _sphinx(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"),
            *("-d", str(out / "doctrees"), str(source), str(out / "html")),
        ],
        capture_output=True,
        text=True,
        timeout=_PAGE_TIMEOUT,
    )


def _cli_commands() -> dict[str, argparse.ArgumentParser]:
    from edocstd import cli

    parser = cli._parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    done = _sphinx(DOCS, tmp_path)
    assert done.returncode == 0, done.stderr
    html = tmp_path / "html"
    assert (html / "index.html").is_file()

    import edocstd

    rules = (html / "reference" / "rules.html").read_text("utf-8")
    assert all(code in rules and info.title_th in rules for code, info in edocstd.RULES.items())

    api = (html / "reference" / "api.html").read_text("utf-8")
    public = {n for n in edocstd.__all__ if n != "__version__"} - {"Document"}
    missing = sorted(n for n in public if f'id="edocstd.{n}"' not in api)
    assert not missing, f"public names missing from the API reference: {missing}"
    assert 'id="edocstd.model.Document"' in api

    cli_page = (html / "reference" / "cli.html").read_text("utf-8")
    for name, parser in _cli_commands().items():
        assert f"edocstd {name}" in cli_page
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            for option in action.option_strings:
                assert option in cli_page, f"edocstd {name} {option} is not in the CLI reference"


def test_a_reference_to_nothing_fails_the_build(tmp_path: Path) -> None:
    """The docs' own configuration is nitpicky: an unresolved reference is a warning, so an error."""
    source = tmp_path / "src"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns("_build", "*.md"))
    (source / "index.md").write_text(
        "# Page\n\n"
        "```{py:function} edocstd.validate(source)\n```\n\n"
        "{py:func}`edocstd.validate` resolves; {py:class}`datetime.datetime` is a standard\n"
        "library name, left as text offline. {py:class}`edocstd.NoSuchThing` resolves to nothing.\n",
        "utf-8",
    )
    done = _sphinx(source, tmp_path / "out")
    assert done.returncode != 0
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, done.stderr
    assert "py:class reference target not found: edocstd.NoSuchThing" in warnings[0]


@dataclass(frozen=True)
class DocstringExamples:
    """How the ``::`` examples in one module's docstrings are run.

    ``setup`` runs before the first block and gives what the text around the examples takes as
    given; ``check`` runs after the last and looks at what they made. ``not_run`` maps a
    block's number (from 1) to why it is not run.
    """

    setup: str = ""
    check: str = ""
    not_run: dict[int, str] = field(default_factory=dict)


_BATCH_SETUP = """
from pathlib import Path

import edocstd
from edocstd import batch
from edocstd.testing.pki import TestPKI
from edocstd.testing.samples import sample_xml

# The first example validates a directory "incoming/": two licences and a file that is not XML.
Path("incoming").mkdir()
Path("incoming/a.xml").write_bytes(sample_xml())
Path("incoming/b.xml").write_bytes(sample_xml())
Path("incoming/c.xml").write_bytes(b"not XML")

# The Dask example verifies `paths` with `job`: signed licences, one of them changed.
pki = TestPKI.generate()
signer = edocstd.Signer.from_pem(pki.signer.key_pem, pki.signer.cert_pem, chain_pem=pki.chain_pem())
signed = edocstd.sign(sample_xml(), signer)
Path("signed").mkdir()
paths = []
for n in range(6):
    path = Path("signed") / f"{n}.xml"
    path.write_bytes(signed if n != 3 else signed.replace(b"2031-11-24", b"2036-11-24"))
    paths.append(str(path))
job = batch.VerifyJob(trust_pem=pki.trust_pem(), revocation="none")

# `Client()` makes a local cluster sized to the machine. Here it is the one the batch tests
# use, whatever the machine: two worker processes of one thread, on loopback, no dashboard.
import dask.distributed


class _Client(dask.distributed.Client):
    def __init__(self, address=None, **kwargs):
        if address is None:
            kwargs = {
                "n_workers": 2,
                "threads_per_worker": 1,
                "processes": True,
                "host": "127.0.0.1",
                "dashboard_address": None,
                **kwargs,
            }
        super().__init__(address, **kwargs)


dask.distributed.Client = _Client
"""

_BATCH_CHECK = """
outcomes = [str(r.outcome) for r in results]
assert outcomes == ["TOTAL-PASSED"] * 3 + ["TOTAL-FAILED"] + ["TOTAL-PASSED"] * 2, outcomes
assert [r.path for r in results] == paths
assert str(results[3].sub_indication) == "HASH_FAILURE", results[3].sub_indication
"""

_SOFTHSM_SETUP = """
from pathlib import Path

from edocstd.testing.pki import TestPKI

tmp_path = Path("hsm")
tmp_path.mkdir()
pki = TestPKI.generate()
"""

_SOFTHSM_CHECK = """
import edocstd
from edocstd.testing.assertions import assert_verifies
from edocstd.testing.samples import sample_xml

assert_verifies(edocstd.sign(sample_xml(), signer), edocstd.TrustStore.from_pem(pki.trust_pem()))
"""

_STRATEGIES_SETUP = """
from hypothesis import settings

# Few examples: the example shows how to use the strategy; the strategy's own tests test it.
settings.register_profile("docs", max_examples=5, deadline=None)
settings.load_profile("docs")
"""

_STRATEGIES_CHECK = """
test_my_archive_round_trips()
"""

# Every module whose docstrings hold ``::`` blocks, and what is done with them.
DOCSTRING_EXAMPLES: dict[str, DocstringExamples | str] = {
    "edocstd.batch": DocstringExamples(_BATCH_SETUP, _BATCH_CHECK),
    "edocstd.testing.services": DocstringExamples(),
    "edocstd.testing.softhsm": DocstringExamples(_SOFTHSM_SETUP, _SOFTHSM_CHECK),
    "edocstd.testing.strategies": DocstringExamples(_STRATEGIES_SETUP, _STRATEGIES_CHECK),
    # Run elsewhere, or not code:
    "edocstd.testing.plugin": "run as an outside test suite by tests/testing/test_plugin.py",
    "edocstd.testing.assertions": "run as an outside test suite by tests/testing/test_plugin.py",
    "edocstd.errors": "the exception tree, drawn as text",
}

_LITERAL = re.compile(r"::\n\n((?:(?: {4}.*)?\n)+)")


def literal_blocks(doc: str) -> list[str]:
    """The ``::`` blocks of a reStructuredText docstring, dedented."""
    return [textwrap.dedent(b) for b in _LITERAL.findall(doc)]


def _docstrings(module: str) -> list[str]:
    """The docstrings of a module, its classes and its functions, in source order.

    Read from the source without importing it (``edocstd.__main__`` runs the command line).
    """
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    tree = ast.parse(Path(spec.origin).read_text("utf-8"))
    nodes: list[ast.AST] = [tree]
    nodes += [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    nodes.sort(key=lambda n: getattr(n, "lineno", 0))
    docs = [ast.get_docstring(n) for n in nodes]  # type: ignore[arg-type]
    return [d for d in docs if d]


def _modules_with_examples() -> list[str]:
    spec = importlib.util.find_spec("edocstd")
    assert spec is not None and spec.origin is not None
    root = Path(spec.origin).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if any(literal_blocks(d + "\n") for d in _docstrings(module)):
            found.append(module)
    return found


def test_every_docstring_example_is_run_or_says_why() -> None:
    assert sorted(_modules_with_examples()) == sorted(DOCSTRING_EXAMPLES)


def _docstring_page(module: str, examples: DocstringExamples) -> str:
    """A page whose blocks are the module's examples, between the test's setup and check."""
    blocks = [b for d in _docstrings(module) for b in literal_blocks(d + "\n")]
    assert blocks, f"{module} has no examples"
    assert set(examples.not_run) <= set(range(1, len(blocks) + 1))
    out = [f"# {module}\n"]
    if examples.setup:
        out.append(f"```python\n{examples.setup.strip()}\n```\n")
    for n, block in enumerate(blocks, 1):
        if n in examples.not_run:
            out.append(f"% not run: {examples.not_run[n]}")
        out.append(f"```python\n{block.strip()}\n```\n")
    if examples.check:
        out.append(f"```python\n{examples.check.strip()}\n```\n")
    return "\n".join(out)


@pytest.mark.parametrize(
    "module", [m for m, e in DOCSTRING_EXAMPLES.items() if isinstance(e, DocstringExamples)]
)
def test_docstring_examples_run(module: str, tmp_path: Path) -> None:
    examples = DOCSTRING_EXAMPLES[module]
    assert isinstance(examples, DocstringExamples)
    page = tmp_path / f"{module}.md"
    page.write_text(_docstring_page(module, examples), "utf-8")
    work = tmp_path / "work"
    work.mkdir()
    done = _run_child(page, work)
    assert done.returncode == 0, f"examples of {module} failed:\n{done.stdout}\n{done.stderr}"


def _cli_site(tmp_path: Path, conf_extra: str, page: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\n"
        "extensions = ['myst_parser', 'edocstd_docs']\n" + conf_extra,
        "utf-8",
    )
    (source / "index.md").write_text("# CLI\n\n" + page, "utf-8")
    return _sphinx(source, tmp_path / "out")


def test_cli_reference_descriptions_are_the_parsers_help_text(tmp_path: Path) -> None:
    done = _cli_site(tmp_path, "", "```{edocstd-cli} extend\n```\n")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "out" / "html" / "index.html").read_text("utf-8")
    chain = next(a for a in _cli_commands()["extend"]._actions if "--chain" in a.option_strings)
    assert chain.help
    assert chain.help[1:].rstrip(".") in " ".join(html.split())


def test_cli_reference_build_fails_when_an_argument_has_no_help(tmp_path: Path) -> None:
    # The real parser, with one argument's help text taken away.
    conf = (
        "import edocstd.cli\n"
        "_real = edocstd.cli._parser\n"
        "def _without_help():\n"
        "    parser = _real()\n"
        "    sub = next(a for a in parser._actions if hasattr(a, 'choices') and a.choices)\n"
        "    for action in sub.choices['fingerprint']._actions:\n"
        "        if action.dest == 'files':\n"
        "            action.help = None\n"
        "    return parser\n"
        "edocstd.cli._parser = _without_help\n"
    )
    done = _cli_site(tmp_path, conf, "```{edocstd-cli} fingerprint\n```\n")
    assert done.returncode != 0
    assert "argument FILE has no help text" in done.stderr


def test_cli_reference_takes_no_descriptions_from_the_page(tmp_path: Path) -> None:
    done = _cli_site(tmp_path, "", "```{edocstd-cli} fingerprint\nFILE: Documents.\n```\n")
    assert done.returncode != 0
    assert "Has content, but none permitted" in done.stderr


if __name__ == "__main__":
    _run_page(Path(sys.argv[1]))
