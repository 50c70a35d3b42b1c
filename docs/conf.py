"""Sphinx configuration for the edocstd documentation.

Build with warnings as errors::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

``nitpicky`` is on, so a cross-reference that does not resolve is a warning too.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import edocstd  # noqa: E402  (the package is installed; its version names the release)

project = "edocstd"
author = "edocstd developers"
copyright = "edocstd developers"
release = edocstd.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "edocstd_docs",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
language = "en"

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# The docstrings are reStructuredText with ``literal`` and :class:`role` markup.
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True

# Every cross-reference must resolve: a broken one fails the build like any other warning.
# Type names in annotations are read as their own module imports them (see docs/_ext).
nitpicky = True

# The Python and third-party inventories cannot be fetched when the docs are built offline (no
# intersphinx), so references to these libraries' names stay plain text instead of failing the
# build. Each pattern names one library; names of edocstd itself are never ignored.
nitpick_ignore_regex = [
    # The standard library.
    (
        r"py:(class|mod|obj|data|func|exc)",
        r"(datetime|os|enum|uuid|pathlib|hashlib|typing|collections\.abc|importlib\.resources"
        r"|urllib\.request|concurrent\.futures(\._base)?)(\.\w+)*",
    ),
    # cryptography (its classes live in private modules such as ``_rust.x509``).
    (r"py:(class|mod)", r"cryptography(\.\w+)*"),
    # asn1crypto, lxml, hypothesis and pyhanko-certvalidator.
    (r"py:(class|mod)", r"asn1crypto(\.\w+)*"),
    (r"py:class", r"lxml\.etree\._Element(Tree)?"),
    (r"py:class", r"hypothesis\.strategies\.SearchStrategy"),
    (r"py:class", r"pyhanko_certvalidator\.fetchers\.api\.(Fetchers|FetcherBackend)"),
]

html_theme = "alabaster"
html_title = f"edocstd {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "EDOC 1.0 electronic licences and certificates for Thai government agencies",
    "fixed_sidebar": True,
}
