"""Every command explains itself: an example in --help, no `<bool>`, a fast start."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers.cli import run_cli
from watchkeeper import __version__
from watchkeeper.cli import main
from watchkeeper.cli.options import build, walk

COMMANDS = [path for path, _ in walk(build(main.app))]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=120)


def test_the_walk_finds_every_command() -> None:
    assert {("risk", "explain"), ("ingest", "mapped"), ("rules", "backtest"),
            ("analyze",), ()} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "watchkeeper")
def test_help_has_an_example_and_no_bool_type(path: tuple[str, ...]) -> None:
    done = cli(*path, "--help")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    example = next((i for i, line in enumerate(lines) if line.strip().startswith("Example:")),
                   None)
    assert example is not None, f"`watchkeeper {' '.join(path)} --help` has no example"
    assert "watchkeeper " in lines[example]
    assert "<bool>" not in done.stdout
    assert max(len(line) for line in lines) <= 80


def test_examples_stay_on_their_own_lines() -> None:
    lines = cli("risk", "explain", "--help").stdout.splitlines()
    example = next(i for i, line in enumerate(lines) if "Example:" in line)
    assert lines[example].strip() == "Example: watchkeeper -w ws risk explain ACM2278"
    assert lines[example + 1].strip().startswith("watchkeeper -w ws risk explain ACM2278 --day")


def test_version() -> None:
    done = cli("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"watchkeeper {__version__}")


def test_help_imports_no_engine() -> None:
    code = ("import sys; sys.argv = ['watchkeeper', '--help']\n"
            "from watchkeeper.cli.main import run\n"
            "try:\n    run()\nexcept SystemExit:\n    pass\n"
            "heavy = ['duckdb', 'pyarrow', 'ibis', 'numpy', 'pandas', 'pydantic', 'sqlglot']\n"
            "print('\\n' + __import__('json').dumps([m for m in heavy if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_commands_collect_young_objects_in_large_batches() -> None:
    """A command allocates millions of acyclic objects: collecting every 700 allocations
    (Python's default) cost a quarter of a warm `detect`'s CPU."""
    code = ("import gc, sys; from watchkeeper.cli.main import run\n"
            "sys.argv = ['watchkeeper', '--version']\n"
            "try:\n    run()\nexcept SystemExit:\n    pass\n"
            "print(gc.get_threshold()[0], file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stderr.strip().splitlines()[-1] == str(main.GC_YOUNG)
    assert main.GC_YOUNG >= 10_000
