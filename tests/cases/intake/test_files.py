"""`read_alert_files`, behind `alerts import FILE...`: JSON, JSON arrays, JSON lines;
errors name the file, the line and the field, and stop the whole import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from watchkeeper.cases.intake import load_alert_mapping, read_alert_files
from watchkeeper.errors import InputError, IntakeError

FIXTURES = Path(__file__).parents[1] / "fixtures"


def compact(name: str) -> str:
    return json.dumps(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


def test_json_documents_arrays_and_json_lines(tmp_path: Path) -> None:
    lines = tmp_path / "alerts.jsonl"
    lines.write_text(compact("ocsf_detection_finding.json") + "\n\n"
                     + compact("elastic_alert.json") + "\n", encoding="utf-8")
    array = tmp_path / "batch.json"
    array.write_text("[" + compact("ocsf_data_security_finding.json") + "]", encoding="utf-8")
    alerts = read_alert_files([FIXTURES / "sentinel_incidents_list.json", lines, array])
    assert [a.source for a in alerts] == ["sentinel", "sentinel", "ocsf", "elastic", "ocsf"]
    assert alerts[2].raw == compact("ocsf_detection_finding.json")  # the line, exactly


def test_mapped_json_lines() -> None:
    mapping = load_alert_mapping(FIXTURES / "acme_alerts.yaml")
    alerts = read_alert_files([FIXTURES / "acme_alerts.jsonl"], mapping=mapping)
    assert [a.source_ref for a in alerts] == ["AI-1", "AI-2"]


def test_an_error_in_json_lines_names_file_line_and_field(tmp_path: Path) -> None:
    bad = json.loads(compact("ocsf_detection_finding.json"))
    bad["severity_id"] = 9
    path = tmp_path / "alerts.jsonl"
    path.write_text(compact("elastic_alert.json") + "\n\n" + json.dumps(bad) + "\n",
                    encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        read_alert_files([path])
    assert str(info.value) == f"{path}:3: severity_id: must be an integer 0-6 or 99"


def test_an_error_in_a_json_document_names_file_and_json_line(tmp_path: Path) -> None:
    path = tmp_path / "alert.json"
    path.write_text('[\n  {"class_uid": 2004,\n   "finding_info": }\n]', encoding="utf-8")
    with pytest.raises(IntakeError) as info:
        read_alert_files([path])
    assert str(info.value) == (f"{path}: (payload): invalid JSON at line 3 column 20: "
                               "Expecting value")
    array = tmp_path / "array.json"
    array.write_text(json.dumps([json.loads(compact("elastic_alert.json")), {"x": 1}]),
                     encoding="utf-8")
    with pytest.raises(IntakeError, match=rf"^{array}: alerts\[1\]: unknown alert format"):
        read_alert_files([array])


def test_a_bad_second_file_stops_the_whole_import(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text(" \n", encoding="utf-8")
    with pytest.raises(IntakeError, match=rf"^{empty}: \(payload\): empty file$"):
        read_alert_files([FIXTURES / "elastic_alert.json", empty])
    with pytest.raises(InputError, match=r"missing\.json"):
        read_alert_files([tmp_path / "missing.json"])
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\x00\xff\xfe")
    with pytest.raises(IntakeError, match="invalid UTF-8 at byte 1"):
        read_alert_files([binary])
