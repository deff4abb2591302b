"""One-line event descriptions: per class from its columns, and never more than a line."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from watchkeeper.cases.describe import WIDTH, describe
from watchkeeper.cases.timeline import CLASSES


def test_each_class_in_plain_words() -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("authentication", {"activity": "logon", "status": "failure", "logon_type": "network",
                            "user": "ann", "target_user": "boss", "src_host": "10.0.0.9"},
         "logon failed (network) as boss from 10.0.0.9"),
        ("peripheral", {"activity": "connect", "device_kind": "usb", "device_name": "SanDisk",
                        "file_tree": ["R:\\", "R:\\Docs"]},
         "connected usb device SanDisk showing 2 paths"),
        ("file", {"activity": "write", "path": "/home/ann/plan.doc", "from_removable": True,
                  "size": 2048}, "wrote plan.doc from removable media (2,048 bytes)"),
        ("email", {"activity": "view", "sender": "x@corp.example"},
         "viewed an email from x@corp.example"),
        ("email", {"activity": "send", "recipients": ["a", "b"]}, "emailed 2 recipients"),
        ("web", {"activity": "upload", "domain": "dropbox.com", "http_method": "POST"},
         "uploaded to dropbox.com (POST)"),
        ("datastore", {"activity": "export", "dataset": "payments_us", "record_count": 1,
                       "ticket": "TCK-1"}, "exported 1 record from payments_us, ticket TCK-1"),
        ("process", {"process_name": "C:\\Windows\\cmd.exe", "command_line": "cmd /c dir",
                     "parent_process": "C:\\explorer.exe"},
         "started cmd.exe from explorer.exe: cmd /c dir"),
        ("finding", {"title": "Copy to USB", "severity": "high"},
         "finding: Copy to USB (high)"),
        ("windows", {"event_code": 1102, "channel": "Security"},
         "Windows event 1102 in Security"),
    ]
    for cls, row, expected in cases:
        assert describe(cls, row) == expected


def test_long_text_is_cut_to_one_line() -> None:
    text = describe("process", {"process_name": "a.exe", "command_line": "x\n" * 500})
    assert len(text) == WIDTH and text.endswith("…") and "\n" not in text


text = st.one_of(st.none(), st.text(max_size=40), st.text(min_size=150, max_size=200))
count = st.one_of(st.none(), st.integers(0, 10**12))
flag = st.one_of(st.none(), st.booleans())
names = st.one_of(st.none(), st.lists(st.text(max_size=10), max_size=4))
STRINGS = ("activity", "status", "logon_type", "target_user", "src_host", "device_kind",
           "device_name", "path", "sender", "domain", "url", "http_method", "dataset",
           "data_region", "sensitivity", "ticket", "process_name", "command_line",
           "parent_process", "title", "severity", "rule_id", "channel", "provider", "user")
COUNTS = ("size", "record_count", "recipient_count", "external_recipient_count",
          "attachment_count", "event_code")
rows = st.fixed_dictionaries({}, optional={
    **dict.fromkeys(STRINGS, text), **dict.fromkeys(COUNTS, count),
    "to_removable": flag, "from_removable": flag, "file_tree": names, "recipients": names})


@given(st.sampled_from(CLASSES), rows)
def test_any_row_gives_one_short_line(cls: str, row: dict[str, Any]) -> None:
    text = describe(cls, row)
    assert text and len(text) <= WIDTH
    assert text == " ".join(text.split())  # one line, no runs of white space
