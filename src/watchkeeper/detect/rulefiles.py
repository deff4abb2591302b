"""Rule files read once: what pySigma and the compiler made of each file, cached per file.

Parsing a Sigma rule file costs about 2 ms and compiling it 0.5 ms: 7 s for the 2,407
SigmaHQ Windows rules, at every ``detect --rules`` or ``rules validate``. :func:`read_files`
looks each file up in the rule cache (:class:`~.sigma.cache.RuleCache`, keyed by the file's
bytes, the pack pipelines and the code that reads rules) and parses only the files it
misses, storing what it found: a :class:`FileEntry`, whose rules are compiled already and
carry what a rule set needs of them (metadata, target table, tested fields) and whose
errors keep their line, so a cached rule set reports exactly what a fresh one does.
A rule set (its files, in order) also gets an *index*: one document with every file's
entry and content key, so a warm run reads one cache file instead of one per rule file; a
file whose bytes changed since is looked up on its own, and the index is then rewritten
(one index per rule set, whatever its edits).

A file's entry says what the rule set must still read itself: a SQL rule (``query``),
pack metadata (``runbook``/``tests``: the pack rule's metadata and tests come from its
YAML), several documents of a pack file (helpers), or correlation rules, which refer to
rules of other files (:mod:`.sigma_pack` parses those files as before).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from watchkeeper.detect.rejections import rejection, yaml_error
from watchkeeper.detect.sigma.cache import RuleCache, decode_error, encode_error, engine_version
from watchkeeper.detect.sigma.codec import CodecError, decode_rule, encode_rule, fingerprint
from watchkeeper.detect.sigma.compiler import CompiledRule
from watchkeeper.detect.sigma.loader import read_yaml
from watchkeeper.detect.sigma.normalized import PACK_PIPELINES
from watchkeeper.errors import RuleError

_HERE = Path(__file__).resolve().parent
#: Modules whose code decides what an entry holds (beside the compiler's, in the engine).
_READERS = ("rulefiles.py", "rulefile_parse.py", "sigma_pack.py", "fields.py",
            "rejections.py", "packtypes.py", "selections.py")
PACK_KEYS = ("runbook", "tests")
#: Missed files from which parsing is spread over the cores, and at most how many.
PARALLEL_FROM = 200
MAX_WORKERS = 4


@dataclass(frozen=True)
class SigmaEntry:
    """One Sigma rule of a file: metadata as written, compiled form or why it cannot run."""

    position: int  # index in the file's pySigma collection (to parse it again on demand)
    name: str | None
    sigma_id: str | None
    title: str
    level: str | None  # lower-cased
    tags: tuple[str, ...]
    description: str  # whitespace folded
    falsepositives: tuple[str, ...]
    fields: tuple[str, ...]  # the fields its detections test
    compiled: CompiledRule | None = None
    table: str | None = None
    error: RuleError | None = None  # compile or log-source error (line found, id as compiled)


@dataclass(frozen=True)
class FileEntry:
    """What reading one rule file found."""

    rules: tuple[SigmaEntry, ...] = ()
    errors: tuple[RuleError, ...] = ()  # the file's (and its rules') pySigma/YAML errors
    documents: int = 0
    pack_keys: bool = False  # some document carries ``runbook`` or ``tests``
    query: bool = False  # a SQL rule file
    correlated: bool = False  # holds correlation rules (not compiled here)
    readable: bool = True  # False: YAML or encoding error, not mappings (in ``errors``)

    @property
    def references(self) -> frozenset[str]:
        """Names and ids a correlation may use to refer to this file's rules."""
        return frozenset(x for r in self.rules for x in (r.name, r.sigma_id) if x)


@dataclass(frozen=True)
class CacheStats:
    """How a rule set's files were read: served by the cache, or parsed now."""

    files: int = 0
    cached: int = 0
    compiled: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"files": self.files, "cached": self.cached, "compiled": self.compiled}


@dataclass(frozen=True)
class ReadFile:
    """A rule file's entry, its YAML documents when they were read, and whether the entry
    came from the cache."""

    path: Path
    entry: FileEntry
    docs: list[dict[str, Any]] | None
    cached: bool


@lru_cache(maxsize=1)
def reader_version() -> str:
    """The compiler's version and a digest of the code that fills entries."""
    digest = hashlib.sha256(engine_version().encode())
    for name in _READERS:
        digest.update(b"\0" + name.encode() + b"\0" + (_HERE / name).read_bytes())
    for pipeline in PACK_PIPELINES:
        digest.update(b"\0" + fingerprint(pipeline).encode())
    return digest.hexdigest()


def entry_key(data: bytes) -> str:
    return hashlib.sha256(b"rule-file\0" + reader_version().encode() + b"\0" + data).hexdigest()


def selections_key(data: bytes, position: int) -> str:
    """Where the selections of the rule at ``position`` of the file holding ``data`` are
    stored: apart from the file's entry (a rule set loads every entry, and explains the
    few rules that fired)."""
    return hashlib.sha256(f"selections\0{entry_key(data)}\0{position}".encode()).hexdigest()


def read_selections(data: bytes, path: Path, position: int,
                    cache: RuleCache | None = None) -> dict[str, CompiledRule] | None:
    """The named selections of the rule at ``position`` in the file holding ``data`` (at
    ``path``), each compiled alone (:mod:`.selections`), as :func:`write_selections`
    stored them; None when the cache does not hold them (never explained, file changed,
    cache cleared: the caller parses the file)."""
    store = cache if cache is not None else RuleCache()
    doc = store.read_doc(selections_key(data, position))
    try:
        if doc is None or not isinstance(doc["selections"], list):
            return None
        return {_text(name): decode_rule(rule, str(path)) for name, rule in doc["selections"]}
    except (CodecError, KeyError, TypeError, ValueError, AttributeError):
        return None


def write_selections(data: bytes, position: int, selections: Mapping[str, CompiledRule],
                     cache: RuleCache | None = None) -> None:
    """Store the selections of the rule at ``position`` of the file holding ``data`` (as
    parsed from those bytes) for :func:`read_selections`."""
    store = cache if cache is not None else RuleCache()
    store.write_doc(selections_key(data, position),
                    {"selections": [[name, encode_rule(rule)]
                                    for name, rule in selections.items()]})


def read_files(files: Sequence[Path], cache: RuleCache | None = None) -> list[ReadFile]:
    """Each file's entry: from the rule set's index, else the file's own cache entry, else
    parsed and compiled now (and stored); the index is rewritten when it did not serve
    every file."""
    store = cache if cache is not None else RuleCache()
    found: dict[Path, ReadFile] = {}
    keys: dict[Path, str] = {}
    for path in files:
        try:
            keys[path] = entry_key(path.read_bytes())
        except OSError as exc:
            entry = FileEntry(errors=(RuleError(f"cannot parse: {exc}", path=path),),
                              readable=False)
            found[path] = ReadFile(path, entry, None, False)
    listed = index_key(files)
    indexed = _from_index(store.read_doc(listed), keys)
    missed: list[tuple[Path, str]] = []
    for path, key in keys.items():
        hit = indexed.get(path) or decode_entry(store.read_doc(key), path)
        if hit is not None:
            found[path] = ReadFile(path, hit, None, True)
        else:
            missed.append((path, key))
    for read, key in _analyzed(missed):
        store.write_doc(key, encode_entry(read.entry))
        found[read.path] = read
    if len(indexed) < len(keys):
        store.write_doc(listed, {"files": [[str(p), k, encode_entry(found[p].entry)]
                                           for p, k in keys.items()]})
    return [found[path] for path in files]


def index_key(files: Sequence[Path]) -> str:
    """Where the index of a rule set (these files, in this order) is stored: one document
    holding every file's entry and the key it was stored under, read in one go instead of
    one cache file per rule file (2,407 for the SigmaHQ Windows rules)."""
    listed = "\0".join(str(p) for p in files)
    return hashlib.sha256(f"rule-set\0{reader_version()}\0{listed}".encode()).hexdigest()


def _from_index(doc: dict[str, Any] | None, keys: Mapping[Path, str]) -> dict[Path, FileEntry]:
    """The index's entries of the files whose content key it names (a file edited since,
    or an entry that does not decode, is left to its own cache entry)."""
    if doc is None or not isinstance(doc.get("files"), list):
        return {}
    paths = {str(p): (p, k) for p, k in keys.items()}
    out: dict[Path, FileEntry] = {}
    for item in doc["files"]:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)):
            continue
        path, key = paths.get(item[0], (None, None))
        if path is None or key != item[1] or not isinstance(item[2], dict):
            continue
        entry = decode_entry(item[2], path)
        if entry is not None:
            out[path] = entry
    return out


def _analyzed(missed: Sequence[tuple[Path, str]]) -> list[tuple[ReadFile, str]]:
    """The missed files parsed and compiled: in this process, or, when there are many and
    cores are idle, spread over them (pySigma is pure Python: one core parses ~600 files
    a second); the entries are the same either way."""
    if not missed:
        return []
    from watchkeeper.detect import rulefile_parse as parse  # pySigma only on a miss

    workers = _idle_cores()
    if len(missed) >= PARALLEL_FROM and workers > 1:
        done = _in_workers([p for p, _ in missed], workers)
        entries = {p: decode_entry(done.get(str(p)), p) for p, _ in missed}
        if all(e is not None for e in entries.values()):
            return [(ReadFile(p, e, None, False), k) for p, k in missed
                    if (e := entries[p]) is not None]
    return [(ReadFile(path, parse.analyze(path, *documents(path)), None, False), key)
            for path, key in missed]


def _idle_cores() -> int:
    """Cores nobody else is using (by the load average), at most :data:`MAX_WORKERS`: on
    a busy machine the workers' start-up costs more than they save."""
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return max(1, min(MAX_WORKERS, round((os.cpu_count() or 1) - busy)))


def _in_workers(paths: Sequence[Path], workers: int) -> dict[str, Any]:
    """Encoded entries of ``paths`` analyzed by ``workers`` child processes
    (``python -m watchkeeper.detect.rulefile_parse``: paths in, entries out, as JSON); {}
    when a worker fails (the caller then parses them itself)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(_HERE.parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
    chunks = [[str(p) for p in paths[i::workers]] for i in range(workers)]
    try:
        children = [subprocess.Popen(
            [sys.executable, "-m", "watchkeeper.detect.rulefile_parse"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            for _ in chunks]
    except OSError:
        return {}
    outputs = [child.communicate(json.dumps(chunk).encode()) for child, chunk in
               zip(children, chunks, strict=True)]
    if any(child.returncode != 0 for child in children):
        return {}
    try:
        return {path: doc for out, _ in outputs for path, doc in json.loads(out)}
    except (ValueError, TypeError):
        return {}


def documents(path: Path) -> tuple[list[dict[str, Any]] | None, list[RuleError]]:
    """The YAML documents of a rule file, or None and an error naming the line."""
    try:
        found = [d for d in read_yaml(path) if d is not None]
    except yaml.YAMLError as exc:
        return None, [yaml_error(path, exc)]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [RuleError(f"cannot parse: {exc}", path=path)]
    if not found or not all(isinstance(d, dict) for d in found):
        return None, [RuleError("a rule file must hold YAML mappings", path=path)]
    if any("query" in d for d in found) and len(found) > 1:
        return None, [RuleError("a SQL rule file holds one document", path=path,
                                rule_id=str(found[0].get("name") or "") or None)]
    return found, []


def with_line(error: RuleError) -> RuleError:
    """``error`` with the line of the YAML at fault (found once, then cached)."""
    if error.line is not None or error.path is None:
        return error
    return type(error)(error.reason, path=error.path, rule_id=error.rule_id,
                       line=rejection(error).line)


# -- the entry as JSON ---------------------------------------------------------------------

def encode_entry(entry: FileEntry) -> dict[str, object]:
    return {"rules": [_encode_sigma(r) for r in entry.rules],
            "errors": [encode_error(e) for e in entry.errors],
            "documents": entry.documents, "pack_keys": entry.pack_keys, "query": entry.query,
            "correlated": entry.correlated, "readable": entry.readable}


def decode_entry(doc: dict[str, Any] | None, path: Path) -> FileEntry | None:
    """The entry, or None when ``doc`` is missing or malformed (it is then rebuilt)."""
    if doc is None:
        return None
    try:
        flags = [doc[k] for k in ("pack_keys", "query", "correlated", "readable")]
        if not all(isinstance(f, bool) for f in flags) or type(doc["documents"]) is not int:
            return None
        return FileEntry(tuple(_decode_sigma(r, path) for r in doc["rules"]),
                         tuple(decode_error(e, str(path)) for e in doc["errors"]),
                         doc["documents"], *flags)
    except (CodecError, KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None


def _encode_sigma(rule: SigmaEntry) -> dict[str, object]:
    return {"position": rule.position, "name": rule.name, "id": rule.sigma_id,
            "title": rule.title, "level": rule.level, "tags": list(rule.tags),
            "description": rule.description, "falsepositives": list(rule.falsepositives),
            "fields": list(rule.fields), "table": rule.table,
            "compiled": None if rule.compiled is None else encode_rule(rule.compiled),
            "error": None if rule.error is None else encode_error(rule.error)}


def _decode_sigma(value: Any, path: Path) -> SigmaEntry:
    texts = [_optional(value[k]) for k in ("name", "id", "level", "table")]
    lists = [tuple(_text(v) for v in value[k]) for k in ("tags", "falsepositives", "fields")]
    compiled, error = value["compiled"], value["error"]
    if type(value["position"]) is not int:
        raise CodecError("malformed position")
    return SigmaEntry(
        position=value["position"], name=texts[0], sigma_id=texts[1],
        title=_text(value["title"]), level=texts[2], tags=lists[0],
        description=_text(value["description"]), falsepositives=lists[1], fields=lists[2],
        compiled=None if compiled is None else decode_rule(compiled, str(path)),
        table=texts[3], error=None if error is None else decode_error(error, str(path)))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise CodecError("expected a string")
    return value


def _optional(value: Any) -> str | None:
    return None if value is None else _text(value)


__all__ = ["PACK_KEYS", "CacheStats", "FileEntry", "ReadFile", "SigmaEntry", "documents",
           "entry_key", "index_key", "read_files", "read_selections", "reader_version",
           "selections_key", "with_line", "write_selections"]
