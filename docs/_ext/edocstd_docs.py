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

Python cross-references, type names in signatures above all, are read the way Python reads
them in their own module. Modules that use ``from __future__ import annotations`` and import
some names for type checking only leave autodoc with the annotation text as written
(``dt.datetime``, ``HttpClient | None``). A reference that finds no target, or several, is
looked up among the imports of the module that wrote it and linked under that full name, or
under the public name the same object is documented as (``edocstd.Document`` is described as
``edocstd.model.Document``). A type variable is shown as plain text (it has no page of its
own), and so is a name of a library matched by ``nitpick_ignore_regex``. Anything else that
does not resolve still warns.

``.. autoclass:: Name()`` (an empty signature) marks a class that callers get from the library
and do not build: its constructor's parameters are not listed either.
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import desc, desc_signature, pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms.post_transforms import SphinxPostTransform
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


@functools.cache
def _imports(module_name: str) -> dict[str, str]:
    """Local name -> full name for a module's top-level imports, ``TYPE_CHECKING`` ones included.

    Imports inside functions are left out: they name things for that function alone, and must
    not change what a name in the module's annotations stands for.
    """
    try:
        module = importlib.import_module(module_name)
        tree = ast.parse(inspect.getsource(module))
    except (ImportError, OSError, TypeError, SyntaxError):
        return {}
    statements: list[ast.stmt] = []
    for top in tree.body:
        if isinstance(top, ast.If):  # ``if TYPE_CHECKING:`` (and its else)
            statements.extend(top.body + top.orelse)
        else:
            statements.append(top)
    names: dict[str, str] = {}
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".", 1)[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualified(module_name: str, target: str) -> str | None:
    """The full name of ``target`` as written in ``module_name`` (``dt.datetime`` there)."""
    head, _, rest = target.partition(".")
    imported = _imports(module_name).get(head)
    if imported is not None:
        return f"{imported}.{rest}" if rest else imported
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    if hasattr(module, head):
        return f"{module_name}.{target}"
    return target if _lookup(target) is not None else None


def _lookup(full_name: str) -> object | None:
    """The object a dotted name stands for; attributes win over submodules of the same name."""
    parts = full_name.split(".")
    try:
        obj: object = importlib.import_module(parts[0])
    except ImportError:
        return None
    for n, attr in enumerate(parts[1:], 2):
        if hasattr(obj, attr):
            obj = getattr(obj, attr)
            continue
        try:
            obj = importlib.import_module(".".join(parts[:n]))
        except ImportError:
            return None
    return obj


def _defining_module(node: nodes.Element) -> str | None:
    """The module whose source wrote the annotation: that of the object documented around it."""
    context: str | None = node.get("py:module")
    parent = node.parent
    while parent is not None and not isinstance(parent, desc):
        parent = parent.parent
    if parent is None:
        return context
    signature = next(iter(parent.findall(desc_signature)), None)
    if signature is None or not signature.get("fullname"):
        return context
    obj = _lookup(".".join(filter(None, [signature.get("module"), signature["fullname"]])))
    obj = getattr(obj, "fget", obj)  # a property's annotations are its getter's
    if not (inspect.isclass(obj) or inspect.isroutine(obj)):
        # An alias or an instance carries the module of what it stands for (``Callable``'s,
        # its class's), not the one that wrote the annotation.
        return context
    module = getattr(obj, "__module__", None)
    return module if isinstance(module, str) else context


def _documented_as(env: BuildEnvironment, obj: object) -> str | None:
    """The name under which the docs describe ``obj`` (a class, function or module), if any."""
    if not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj)):
        return None
    py = env.get_domain("py")
    objects: dict[str, Any] = py.objects  # type: ignore[attr-defined]
    for name, entry in objects.items():
        if not entry.aliased and _lookup(name) is obj:
            return name
    return None


def _matches(env: BuildEnvironment, node: pending_xref, target: str) -> int:
    """How many objects the py domain would take ``node`` to mean, as Sphinx counts them."""
    py = env.get_domain("py")
    found = py.find_obj(  # type: ignore[attr-defined]
        env,
        node.get("py:module"),
        node.get("py:class"),
        target,
        node["reftype"],
        1 if node.get("refspecific") else 0,
    )
    canonical = [entry for entry in found if not entry[1].aliased]
    return len(canonical) if len(found) > 1 else len(found)


class QualifyNames(SphinxPostTransform):
    """Give a Python reference that finds no target, or several, the full name its module means.

    Runs before the references are resolved. A reference that already finds exactly one
    target is left alone; one that the module's own imports turn into a documented name is
    pointed at that name.
    """

    default_priority = 5  # before sphinx.transforms.post_transforms.ReferencesResolver (10)

    def run(self, **kwargs: Any) -> None:
        for node in self.document.findall(pending_xref):
            if node.get("refdomain") != "py" or _matches(self.env, node, node["reftarget"]) == 1:
                continue
            name = _documented_name(self.env, node)
            if name is not None:
                node["reftarget"] = name
                node["refspecific"] = False


def _documented_name(env: BuildEnvironment, node: pending_xref) -> str | None:
    target = node["reftarget"]
    module_name = _defining_module(node)
    qualified = _qualified(module_name, target) if module_name else None
    if qualified is None:
        return None
    py = env.get_domain("py")
    if qualified in py.objects:  # type: ignore[attr-defined]
        return qualified
    return _documented_as(env, _lookup(qualified))


def _leave_as_text(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.Node
) -> nodes.Node | None:
    """Show a type variable, or a name of a library the docs do not link to, as plain text."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    module_name = _defining_module(node)
    qualified = (_qualified(module_name, target) if module_name else None) or target
    if isinstance(_lookup(qualified), TypeVar):
        return contnode
    if any(
        re.fullmatch(types, f"py:{node['reftype']}") and re.fullmatch(names, qualified)
        for types, names in app.config.nitpick_ignore_regex
    ):
        if qualified != target and contnode.astext() == target:
            # ``dt.datetime`` reads as ``datetime``, as a type autodoc could resolve would.
            short = nodes.Text(qualified.rsplit(".", 1)[-1])
            if not isinstance(contnode, nodes.Element):
                return short
            contnode = contnode.deepcopy()
            contnode.clear()
            contnode += short
        return contnode
    return None


def _hide_constructor_types(
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> None:
    """Leave out the parameter types of a class shown as ``.. autoclass:: Name()``.

    The empty signature says that callers get such objects from the library and do not build
    them, so their constructor's parameters (private ones included) are not documented.
    """
    if what in ("class", "exception") and signature in ("", "()"):
        annotations = app.env.current_document.autodoc_annotations
        annotations.pop(name, None)


def _connect_autodoc(app: Sphinx, config: object) -> None:
    # Every extension is set up by now; a site without autodoc has no signatures to process.
    if "sphinx.ext.autodoc" in app.extensions:
        # After sphinx.ext.autodoc.typehints has recorded the annotations (priority 500).
        app.connect("autodoc-process-signature", _hide_constructor_types, priority=600)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives and the annotation resolver."""
    app.add_directive("edocstd-rules", RulesDirective)
    app.add_directive("edocstd-cli", CliDirective)
    app.add_post_transform(QualifyNames)
    app.connect("missing-reference", _leave_as_text)
    app.connect("config-inited", _connect_autodoc)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
