"""Helpers shared by the source tests: write an input, read it whole, check the chunks."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from watchkeeper.sources.base import Parsed, Reject, Source, SourceContext
from watchkeeper.sources.rows import schema_for

CTX = SourceContext(company_domains=("corp.example",))


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def override(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `base` with dotted keys (`user__name` or "user.name") replaced;
    a value of `DROP` removes the key."""
    out = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, last = dotted.replace("__", ".").split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        if value is DROP:
            node.pop(last, None)
        else:
            node[last] = value
    return out


DROP = object()


class Result:
    """Everything a source yielded for one file, with the contract checked."""

    def __init__(self, chunks: list[Parsed]) -> None:
        self.chunks = chunks
        for chunk in chunks:
            if chunk.rows.num_rows:
                assert chunk.rows.schema == schema_for(chunk.table), chunk.table
            assert chunk.read == chunk.rows.num_rows + len(chunk.rejects)
        self.rows = [r for c in chunks for r in c.rows.to_pylist()]
        self.rejects: list[Reject] = [r for c in chunks for r in c.rejects]
        self.read = sum(c.read for c in chunks)

    def tables(self) -> set[str]:
        return {c.table for c in self.chunks if c.rows.num_rows}

    def reasons(self) -> dict[int | None, str]:
        return {r.line: r.reason for r in self.rejects}


def read_all(source: Source, path: Path, ctx: SourceContext = CTX) -> Result:
    return Result(list(source.read(path, ctx)))
