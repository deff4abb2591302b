"""`python -m watchkeeper`."""

from watchkeeper.cli.main import run

run()
