"""``python -m edocstd`` runs the command line."""

from edocstd.cli import run

run()
