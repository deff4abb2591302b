"""`watchkeeper rules stats`, `rules proposals …` and `watchlist …` as a person runs them
on a workspace without accounts (the local operator): JSON and 80-column output, and
one-line errors that store nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.cli import cli, ok, one_error
from ops.feedbackwork import hr_lake, put_alert
from watchkeeper.config import DEFAULT_CONFIG
from watchkeeper.lake import Lake
from watchkeeper.workspace import Workspace

__all__ = ["hr_lake"]   # fixture
pytestmark = pytest.mark.slow

RULE = "insider.exfil.file_to_removable"


@pytest.fixture
def ws(tmp_path: Path, hr_lake: Lake) -> Path:
    """The tiny HR lake, two alerts of RULE about ACM2278 in the queue, no accounts."""
    root = tmp_path / "ws"
    root.mkdir(mode=0o700)
    (root / "watchkeeper.toml").write_text(DEFAULT_CONFIG)
    shutil.copytree(hr_lake.root, root / "lake")
    opened = Workspace.open(root, create=False)
    for ref in ("a1", "a2"):
        put_alert(opened.state, ref, rule=RULE)
    opened.close_state()
    return root


def test_stats_and_a_reviewed_proposal(ws: Path) -> None:
    assert ok("-w", ws, "cases", "create", "--title", "USB", "--alert", "1")["id"] == 1
    ok("-w", ws, "cases", "resolve", "1", "--verdict", "false_positive")
    stats = ok("-w", ws, "rules", "stats")
    (rule,) = stats["rules"]
    assert (rule["rule"], rule["alerts"], rule["judged"], rule["false_positives"],
            rule["precision"]) == (RULE, 2, 1, 1, 0.0)
    assert stats["verdicts"]["benign"] == "false_positive"
    text = cli("-w", ws, "rules", "stats", "--by", "team")
    assert text.returncode == 0 and RULE[:20] in text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    made = ok("-w", ws, "rules", "proposals", "add", "1", "--field", "subject",
              "--reason", "backups to a company stick")
    assert (made["status"], made["rule"], made["value"][:2]) == ("pending", RULE, "P-")
    assert [p["id"] for p in ok("-w", ws, "rules", "proposals", "list")] == [made["id"]]
    done = ok("-w", ws, "rules", "proposals", "accept", str(made["id"]), "--expires",
              "2099-12-31")
    assert done["status"] == "accepted" and done["suppression_id"] is not None
    (sup,) = ok("-w", ws, "alerts", "suppressions")
    assert sup["match"] == {"rule": RULE, "subject": made["value"]}
    assert ok("-w", ws, "rules", "proposals", "list") == []
    listed = cli("-w", ws, "rules", "proposals", "list", "--status", "all")
    assert "accepted" in listed.stdout and max(map(len, listed.stdout.splitlines())) <= 80


def test_watchlist_add_list_remove(ws: Path) -> None:
    made = ok("-w", ws, "watchlist", "add", "ACM2278", "--reason", "case 1: copies",
              "--since", "2010-01-01")
    assert (made["origin"], made["watchlist"], made["person"][:2]) == \
        ("analyst", "insider-watch", "P-")
    assert made["added_by"].startswith("cli:")
    assert [w["id"] for w in ok("-w", ws, "watchlist", "list")] == [made["id"]]
    text = cli("-w", ws, "watchlist", "list")
    assert "insider-watch" in text.stdout and max(map(len, text.stdout.splitlines())) <= 80
    gone = ok("-w", ws, "watchlist", "remove", str(made["id"]))
    assert gone["removed_at"] is not None
    assert ok("-w", ws, "watchlist", "list") == []
    assert len(ok("-w", ws, "watchlist", "list", "--all")) == 1


def test_bad_input_is_one_line_and_stores_nothing(ws: Path) -> None:
    assert "field: 'colour'" in one_error(cli("-w", ws, "rules", "proposals", "add", "1",
                                              "--field", "colour", "--reason", "x"))
    assert "case 1: no such case" in one_error(cli("-w", ws, "rules", "proposals", "add",
                                                   "1", "--field", "host", "--reason", "x"))
    assert "--by 'month'" in one_error(cli("-w", ws, "rules", "stats", "--by", "month"))
    assert "--since '2010-13-01'" in one_error(cli("-w", ws, "rules", "stats", "--since",
                                                   "2010-13-01"))
    assert "person: 'NOBODY1'" in one_error(cli("-w", ws, "watchlist", "add", "NOBODY1",
                                                "--reason", "typo"))
    assert "watchlist: 'Bad List'" in one_error(cli("-w", ws, "watchlist", "add", "ACM2278",
                                                    "--list", "Bad List", "--reason", "x"))
    assert "watchlist entry 7: no such entry" in one_error(cli("-w", ws, "watchlist",
                                                               "remove", "7"))
    assert ok("-w", ws, "watchlist", "list", "--all") == []
    assert ok("-w", ws, "rules", "proposals", "list", "--status", "all") == []
