"""Property tests: whatever corruption hits an input, every non-blank record is counted
once, as a row or as a reject on its own line, and valid records are always accepted."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sources.golden import AUTH, DATASTORE, EMAIL, FILE, HR_HEADER, SIM_LINE, WEB
from sources.source_helpers import read_all
from watchkeeper.sources.base import Source
from watchkeeper.sources.catalog import DevicesSource
from watchkeeper.sources.hr import HrSource
from watchkeeper.sources.mapped import MappedSource, builtin_mapping
from watchkeeper.sources.ocsf import OcsfSource

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
NO_NEWLINE = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b""))
TEXT = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
               max_size=20)
KEY = TEXT.filter(lambda s: bool(s.strip()))  # a required value: blank counts as missing
ANY_JSON = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT,
                     st.lists(st.integers(), max_size=2), st.dictionaries(TEXT, TEXT, max_size=2))


# ---------------------------------------------------------------- valid records


def _ocsf(base: dict[str, Any], uid: str, user: str) -> bytes:
    event = json.loads(json.dumps(base))
    event["metadata"]["uid"] = uid or "x"
    event.setdefault("user", {})["name"] = user
    return json.dumps(event).encode()


OCSF_LINES = st.builds(_ocsf, st.sampled_from([AUTH, FILE, EMAIL, WEB, DATASTORE]), TEXT, TEXT)
DATASTORE_LINES = st.builds(
    lambda user, records, uid: json.dumps({**SIM_LINE, "id": uid, "user": user,
                                           "records": records}, ensure_ascii=False).encode(),
    KEY, st.integers(0, 2**62), KEY)


def _csv(values: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue().encode()


HR_LINES = st.builds(
    lambda uid, name, hire, lists: _csv([uid, name, "", "", "", "", "", "", "",
                                         hire.isoformat(), "", "", ";".join(lists)]),
    KEY, TEXT, st.dates(), st.lists(TEXT, max_size=3))
DEVICE_LINES = st.builds(lambda host, owner, shared: _csv([host, owner, shared, "", ""]),
                         KEY, TEXT, st.sampled_from(["true", "False", "1", "0", ""]))


# ---------------------------------------------------------------- corruptions


@st.composite
def corrupted(draw: st.DrawFn, line: bytes, json_line: bool) -> bytes:
    kind = draw(st.sampled_from(["truncate", "insert", "replace", "field"]))
    if kind == "truncate":
        return line[:draw(st.integers(0, max(len(line) - 1, 0)))]
    if kind == "insert":
        at = draw(st.integers(0, len(line)))
        return line[:at] + draw(NO_NEWLINE) + line[at:]
    if kind == "replace":
        return draw(NO_NEWLINE)
    if json_line:
        record = json.loads(line)
        record[draw(st.sampled_from(sorted(record)))] = draw(ANY_JSON)
        return json.dumps(record).encode()
    cells = line.split(b",")
    cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(
        [b"", b"not-a-date", b"2025-13-45", b"a,b", b'"']))
    return b",".join(cells)


@st.composite
def documents(draw: st.DrawFn, lines: st.SearchStrategy[bytes], json_lines: bool,
              ) -> tuple[list[bytes], set[int]]:
    """Lines of a file (1-based list positions) and the numbers of untouched valid ones."""
    out: list[bytes] = []
    valid: set[int] = set()
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["valid", "valid", "blank", "corrupt"]))
        line = draw(lines)
        if kind == "blank":
            out.append(draw(st.sampled_from([b"", b"  ", b"\t", b"\r"])))
        elif kind == "valid":
            out.append(line)
            valid.add(len(out))
        else:
            out.append(draw(corrupted(line, json_lines)))
    return out, valid


def check(tmp_path: Path, source: Source, lines: list[bytes], valid: set[int],
          header: bytes | None = None) -> None:
    body = ([header] if header is not None else []) + lines
    path = tmp_path / "input"
    path.write_bytes(b"\n".join(body) + b"\n")
    offset = 1 if header is not None else 0
    result = read_all(source, path)
    counted = {i + offset for i, line in enumerate(lines, start=1)
               if (line.removeprefix(b"\xef\xbb\xbf") if i + offset == 1 else line).strip()}
    valid = {v + offset for v in valid}
    rejected = [r.line for r in result.rejects]
    assert result.read == len(counted)
    assert len(rejected) == len(set(rejected)) and set(rejected) <= counted - valid, \
        result.rejects
    assert len(result.rows) >= len(valid)


def _property(source: Callable[[], Source], lines: st.SearchStrategy[bytes], json_lines: bool,
              header: bytes | None = None) -> Callable[..., None]:
    @SETTINGS
    @given(doc=documents(lines, json_lines))
    def test(tmp_path: Path, doc: tuple[list[bytes], set[int]]) -> None:
        check(tmp_path, source(), *doc, header=header)
    return test


test_ocsf_counts_every_record = _property(lambda: OcsfSource(chunk_size=3), OCSF_LINES, True)
test_mapped_counts_every_record = _property(
    lambda: MappedSource(builtin_mapping("watchkeeper_datastore"), chunk_size=3),
    DATASTORE_LINES, True)
test_hr_counts_every_record = _property(lambda: HrSource(chunk_size=3), HR_LINES, False,
                                        HR_HEADER.strip().encode())
test_devices_count_every_record = _property(lambda: DevicesSource(chunk_size=3), DEVICE_LINES,
                                            False, b"host,owner,shared,region,office")


@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random"
    path.write_bytes(data)
    expected = sum(1 for i, line in enumerate(data.split(b"\n"), start=1)
                   if (line.removeprefix(b"\xef\xbb\xbf") if i == 1 else line).strip())
    for source in (OcsfSource(chunk_size=2),
                   MappedSource(builtin_mapping("watchkeeper_datastore"), chunk_size=2)):
        assert read_all(source, path).read == expected
