"""Every ``python`` code block in docs/ runs, so the documentation cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if _BLOCK.search(p.read_text("utf-8")))


def test_docs_have_runnable_examples() -> None:
    assert _pages(), "no page in docs/ has a python example"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_doc_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for n, match in enumerate(_BLOCK.finditer(page.read_text("utf-8")), 1):
        code = compile(match.group(1), f"{page.name}[block {n}]", "exec")
        exec(code, namespace)
