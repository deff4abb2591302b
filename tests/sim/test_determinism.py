"""Same seed, same bytes; another seed, other data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from watchkeeper.sim import SimConfig, SimResult, simulate


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_same_seed_gives_identical_files(small_run: SimResult, small_config: SimConfig,
                                        tmp_path: Path) -> None:
    again = simulate(small_config, tmp_path)
    assert again.files == small_run.files
    first, second = _tree(small_run.out), _tree(tmp_path)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def test_other_seed_gives_other_data(small_run: SimResult, small_config: SimConfig,
                                     tmp_path: Path) -> None:
    other = SimConfig(users=small_config.users, days=small_config.days,
                      seed=small_config.seed + 1)
    simulate(other, tmp_path)
    first, second = _tree(small_run.out), _tree(tmp_path)
    for name in ("logon.csv", "http.csv", "hr_feed.csv", "datastore_access.jsonl"):
        assert first[name] != second[name]


def test_result_counts_match_files(small_run: SimResult) -> None:
    for name, rows in small_run.files.items():
        path = small_run.out / name
        if name.endswith(".csv") and not name.startswith("answers/sim"):
            assert len(path.read_text().splitlines()) == rows + 1, name
        elif name.endswith((".jsonl", ".csv")):
            assert len(path.read_text().splitlines()) == rows, name


def test_independent_of_hash_seed(small_run: SimResult, small_config: SimConfig,
                                  tmp_path: Path) -> None:
    """Another interpreter with another string-hash seed writes the same bytes."""
    src = Path(__file__).resolve().parents[2] / "src"
    code = ("import sys; from pathlib import Path; from watchkeeper.sim import SimConfig, "
            f"simulate; simulate(SimConfig(users={small_config.users}, "
            f"days={small_config.days}, seed={small_config.seed}), Path(sys.argv[1]))")
    env = os.environ | {"PYTHONHASHSEED": "12345", "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, check=True)
    assert _tree(tmp_path) == _tree(small_run.out)
