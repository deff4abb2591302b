"""The refusal rule for a verb's format: fewer than half of a file's first 100 records
(all of a shorter file) must look like the format; fewer bad records are quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sources.golden import AUTH
from sources.source_helpers import override
from watchkeeper.errors import InputError
from watchkeeper.ingest import ingest
from watchkeeper.lake import Lake
from watchkeeper.sources.base import SourceContext
from watchkeeper.sources.registry import SAMPLE

CTX = SourceContext()


def _ocsf(path: Path, kinds: str) -> Path:
    """One line per letter: g a good OCSF event, b a line that is not one."""
    lines = [json.dumps(override(AUTH, metadata__uid=f"u{i}")) if k == "g" else f"junk {i}"
             for i, k in enumerate(kinds)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("kinds", ["gb", "gggbbb", "g" * 50 + "b" * 50,
                                   "g" * SAMPLE + "b" * 300])
def test_half_or_more_fitting_records_are_ingested(tmp_path: Path, kinds: str) -> None:
    path = _ocsf(tmp_path / "e.jsonl", kinds)
    report = ingest(Lake(tmp_path / "lake"), [path], "ocsf", CTX)
    assert (report.accepted, report.quarantined) == (kinds.count("g"), kinds.count("b"))


@pytest.mark.parametrize("kinds", ["b", "gbb", "g" * 49 + "b" * 51,
                                   "b" * SAMPLE + "g" * 300])
def test_fewer_than_half_refuse_the_file(tmp_path: Path, kinds: str) -> None:
    path = _ocsf(tmp_path / "e.jsonl", kinds)
    lake = Lake(tmp_path / "lake")
    with pytest.raises(InputError, match="not OCSF JSON lines") as info:
        ingest(lake, [path], "ocsf", CTX)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert lake.manifest().commits == []


def test_unsupported_ocsf_classes_are_still_ocsf(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps(override(AUTH, class_uid=1007)) + "\n")
    report = ingest(Lake(tmp_path / "lake"), [path], "ocsf", CTX)
    assert (report.read, report.quarantined) == (1, 1)


def test_evtx_signature_decides(tmp_path: Path) -> None:
    broken = tmp_path / "broken.evtx"
    broken.write_bytes(b"ElfFile\x00 truncated garbage")
    report = ingest(Lake(tmp_path / "lake"), [broken], "evtx", CTX)
    assert (report.read, report.quarantined) == (1, 1)
    text = tmp_path / "notes.evtx"
    text.write_text("hello\n")
    with pytest.raises(InputError, match=r"not an EVTX event log \(no EVTX signature\)"):
        ingest(Lake(tmp_path / "lake2"), [text], "evtx", CTX)
