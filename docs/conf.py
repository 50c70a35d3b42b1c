"""Sphinx configuration for the edocstd documentation.

Build with warnings as errors::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
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

html_theme = "alabaster"
html_title = f"edocstd {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "EDOC 1.0 electronic licences and certificates for Thai government agencies",
    "fixed_sidebar": True,
}
