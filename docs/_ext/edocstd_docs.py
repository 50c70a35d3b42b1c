"""Sphinx directives that render reference tables from the code, so the pages cannot drift.

``.. edocstd-rules::``
    A table of every problem code in :data:`edocstd.RULES`, with its Thai and English text.

``.. edocstd-cli:: COMMAND``
    The options of one ``edocstd`` sub-command, read from the command line's own argument
    parser: usage line, then one row per argument with its help text, choices and default.

    The parser's help text is the only source of the descriptions (the same text as
    ``edocstd COMMAND --help``), so the page and the command cannot drift apart. The directive
    takes no content, and the build warns (and so fails under ``-W``) when an argument has no
    help text.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)


def _table(header: list[str], rows: list[list[nodes.Node | str]], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["longtable"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)

    def row(cells: list[nodes.Node | str]) -> nodes.row:
        out = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            if isinstance(cell, str):
                entry += nodes.paragraph(text=cell)
            else:
                entry += cell
            out += entry
        return out

    head = nodes.thead()
    head += row(list(header))
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += row(cells)
    group += body
    return table


def _literal(text: str) -> nodes.paragraph:
    para = nodes.paragraph()
    para += nodes.literal(text=text)
    return para


class RulesDirective(SphinxDirective):
    """Render :data:`edocstd.RULES` as a table."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from edocstd import RULES

        rows: list[list[nodes.Node | str]] = []
        for code, info in RULES.items():
            english = info.title_en + (" (reserved)" if info.reserved else "")
            rows.append([_literal(code), english, info.title_th])
        return [_table(["Code", "English", "ภาษาไทย"], rows, [14, 43, 43])]


def _subparser(name: str) -> argparse.ArgumentParser:
    from edocstd import cli

    parser: argparse.ArgumentParser = cli._parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            sub: argparse.ArgumentParser = action.choices[name]
            return sub
    raise ValueError(f"edocstd has no command {name!r}")


def _names(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(action.option_strings)
        if action.nargs != 0:
            names += f" {action.metavar or action.dest.upper()}"
        return names
    return str(action.metavar or action.dest)


def _describe(action: argparse.Action) -> str:
    parts: list[str] = []
    if action.help and action.help != argparse.SUPPRESS:
        parts.append(action.help[0].upper() + action.help[1:].rstrip(".") + ".")
    if action.choices is not None and action.option_strings:
        parts.append("One of: " + ", ".join(str(c) for c in action.choices) + ".")
    if action.required and action.option_strings:
        parts.append("Required.")
    if isinstance(action, argparse._AppendAction):
        parts.append("May be given more than once.")
    if action.nargs in ("+", "*") and not action.option_strings:
        parts.append("One or more." if action.nargs == "+" else "Any number.")
    default: Any = action.default
    if action.option_strings and default not in (None, False, [], argparse.SUPPRESS):
        parts.append(f"Default: {default}.")
    return " ".join(parts)


class CliDirective(SphinxDirective):
    """Render one ``edocstd`` sub-command's usage and arguments from its parser."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {"no-usage": directives.flag}

    def run(self) -> list[nodes.Node]:
        command = self.arguments[0]
        parser = _subparser(command)
        out: list[nodes.Node] = []
        if "no-usage" not in self.options:
            usage = parser.format_usage().strip()
            usage = usage.removeprefix("usage: ")
            out.append(nodes.literal_block(usage, usage, language="text"))
        rows: list[list[nodes.Node | str]] = []
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                logger.warning(
                    "edocstd %s: argument %s has no help text (give it one in edocstd.cli)",
                    command,
                    _names(action),
                    location=self.get_location(),
                )
            rows.append([_literal(_names(action)), _describe(action)])
        out.append(_table(["Argument", "Meaning"], rows, [35, 65]))
        return out


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    app.add_directive("edocstd-rules", RulesDirective)
    app.add_directive("edocstd-cli", CliDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
