"""Parse and compile one rule file into a :class:`~.rulefiles.FileEntry` (a cache miss).

Kept apart from :mod:`.rulefiles` so that a rule set served whole by the cache never
parses a rule with pySigma.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from sigma.rule import SigmaRule

from watchkeeper.detect.fields import tested_fields
from watchkeeper.detect.rulefiles import (
    PACK_KEYS,
    FileEntry,
    SigmaEntry,
    documents,
    encode_entry,
    with_line,
)
from watchkeeper.detect.sigma.loader import _one_line, _parse_file
from watchkeeper.detect.sigma_pack import compile_one, plain_id
from watchkeeper.errors import RuleError


def analyze(path: Path, docs: list[dict[str, Any]] | None,
            errors: list[RuleError]) -> FileEntry:
    """What the file holds: its Sigma rules compiled (or why not), its errors with lines,
    and what the rule set must read itself (SQL, pack metadata, correlations)."""
    if docs is None:
        return FileEntry(errors=tuple(with_line(e) for e in errors), readable=False)
    base = FileEntry(documents=len(docs), query="query" in docs[0],
                     pack_keys=any(k in d for d in docs for k in PACK_KEYS),
                     correlated=any("correlation" in d for d in docs))
    if base.query or base.correlated:
        return base  # read by the rule set itself, with the files correlations refer to
    found: list[RuleError] = []
    collection = _parse_file(path, found, docs)
    rules: list[SigmaEntry] = []
    for position, item in enumerate(collection.rules if collection else ()):
        if item.errors:
            found.append(RuleError(_one_line(item.errors[0]), path=path,
                                   rule_id=str(item.id) if item.id else None))
        elif isinstance(item, SigmaRule):
            rules.append(_entry(item, position, path))
    return replace(base, rules=tuple(rules), errors=tuple(with_line(e) for e in found))


def analyze_paths(paths: list[str]) -> list[tuple[str, dict[str, object]]]:
    """Each file analyzed, as its encoded entry (a worker process's job: plain JSON values
    cross the process boundary, never exceptions)."""
    return [(path, encode_entry(analyze(Path(path), *documents(Path(path)))))
            for path in paths]


def _entry(rule: SigmaRule, position: int, path: Path) -> SigmaEntry:
    entry = SigmaEntry(
        position=position, name=rule.name or None,
        sigma_id=str(rule.id) if rule.id else None, title=rule.title or "",
        level=str(rule.level).lower() if rule.level is not None else None,
        tags=tuple(str(t) for t in rule.tags or ()),
        description=" ".join((rule.description or "").split()),
        falsepositives=tuple(str(f) for f in rule.falsepositives or ()),
        fields=tuple(dict.fromkeys(tested_fields(rule))))
    try:
        compiled, table = compile_one(rule, path, plain_id(rule, path))
    except RuleError as exc:
        return replace(entry, error=with_line(exc))
    return replace(entry, compiled=compiled, table=table)


def _worker() -> None:
    """A worker of :func:`~.rulefiles.read_files`: a JSON list of paths on stdin, their
    encoded entries on stdout."""
    paths = json.loads(sys.stdin.buffer.read())
    sys.stdout.write(json.dumps(analyze_paths([str(p) for p in paths]),
                                separators=(",", ":")))


__all__ = ["analyze", "analyze_paths"]

if __name__ == "__main__":
    _worker()
