"""Compiled Sigma rules cached per file in the user's cache folder.

Parsing a rule file with pySigma costs about 2 ms and compiling it 0.5 ms: 7 s for the
2,407 SigmaHQ Windows rules. :func:`compile_files` parses and compiles a file once and
stores the result (its compiled rules, and why the others did not compile) as JSON in
``<cache>/sigma/<key>.json``, where the key hashes

* the file's bytes (so an edited rule misses, and only that file is parsed again),
* the processing pipeline(s) (:func:`~.codec.fingerprint`),
* the engine version (:func:`engine_version`: the package version, :data:`FORMAT`, the
  pySigma version and a digest of the compiler's source files).

The cache folder is ``$WATCHKEEPER_CACHE``, else ``$XDG_CACHE_HOME/watchkeeper``, else
``~/.cache/watchkeeper``; folders are made ``0700`` and entries ``0600``, written to a
temporary file and renamed into place. An entry is trusted only when its first line is the
SHA-256 of the rest and the rest names the same format, engine and key: anything else
(truncated, edited, another version) is compiled again and replaced. Entries are JSON
(:mod:`.codec`), never pickle, so a planted file cannot run code.

A file holding correlation rules is compiled for its plain rules and listed in
:attr:`FileCompilation.correlated`: correlations refer to rules of other files, so the
caller parses those files (:func:`~.loader.load_rules`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import watchkeeper
from watchkeeper.detect.sigma.codec import CodecError, decode_rule, encode_rule, fingerprint
from watchkeeper.detect.sigma.compiler import CompiledRule, compile_rule
from watchkeeper.detect.sigma.loader import _parse_file, rule_files
from watchkeeper.detect.sigma.pipeline import WINDOWS, Pipeline
from watchkeeper.errors import RuleError, UnsupportedRuleError

if TYPE_CHECKING:  # pySigma loads when a file is compiled: cache hits run without it
    from sigma.rule import SigmaLogSource

#: The layout of a cache entry and of compiled rules; bump when either changes.
FORMAT = 2
ENV = "WATCHKEEPER_CACHE"
_SOURCES = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def engine_version() -> str:
    """Package version, entry format, pySigma version and a digest of the compiler's code
    (every module of this package and the Windows field names), so a changed compiler
    never reads rules another one compiled."""
    digest = hashlib.sha256()
    sources = [*sorted(_SOURCES.glob("*.py")), _SOURCES.parents[1] / "schema" / "windows.py"]
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return (f"{watchkeeper.__version__}/{FORMAT}/pysigma-{metadata.version('pysigma')}/"
            f"{digest.hexdigest()[:16]}")


def cache_dir() -> Path:
    """``$WATCHKEEPER_CACHE``, else ``$XDG_CACHE_HOME/watchkeeper``, else
    ``~/.cache/watchkeeper``."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "watchkeeper"


@dataclass(frozen=True)
class FileCompilation:
    """Rules that compiled, why the others did not, and how the cache served the files."""

    rules: tuple[CompiledRule, ...]
    errors: tuple[RuleError, ...]
    compiled: tuple[Path, ...] = ()  # files parsed and compiled now (cache misses)
    cached: tuple[Path, ...] = ()  # files read from the cache
    correlated: tuple[Path, ...] = ()  # files holding correlation rules (not compiled)

    @property
    def unsupported(self) -> tuple[UnsupportedRuleError, ...]:
        return tuple(e for e in self.errors if isinstance(e, UnsupportedRuleError))


@dataclass
class _Entry:
    rules: list[CompiledRule] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    correlated: bool = False


class RuleCache:
    """Compiled rule files under ``folder`` (default :func:`cache_dir`), one JSON entry each."""

    def __init__(self, folder: Path | str | None = None) -> None:
        self.folder = (Path(folder) if folder is not None else cache_dir()) / "sigma"

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def read(self, key: str, source: Path) -> _Entry | None:
        """The entry, or None when it is missing, unreadable or fails any check."""
        doc = self.read_doc(key)
        if doc is None:
            return None
        try:
            return _decode(doc, str(source))
        except (ValueError, CodecError, AttributeError, TypeError, KeyError):
            return None

    def write(self, key: str, entry: _Entry) -> None:
        """Store the entry (0600, atomic); a cache that cannot be written is skipped."""
        self.write_doc(key, _encode(entry))

    def read_doc(self, key: str) -> dict[str, Any] | None:
        """The JSON document stored under ``key`` (without the envelope), or None when it
        is missing, unreadable, fails its checksum or names another format, engine or key."""
        try:
            raw = self.path(key).read_bytes()
        except OSError:
            return None
        check, _, body = raw.partition(b"\n")
        if hashlib.sha256(body).hexdigest().encode() != check:
            return None
        try:
            doc = json.loads(body)
        except ValueError:
            return None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT \
                or doc.get("engine") != engine_version() or doc.get("key") != key:
            return None
        return doc

    def write_doc(self, key: str, content: dict[str, object]) -> None:
        """Store ``content`` under ``key`` (0600, atomic); a cache that cannot be written
        is skipped."""
        body = json.dumps({"format": FORMAT, "engine": engine_version(), "key": key,
                           **content}, separators=(",", ":")).encode()
        data = hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:  # mkstemp makes it 0600
                    out.write(data)
                os.replace(temporary, self.path(key))
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            return


def _encode(entry: _Entry) -> dict[str, object]:
    errors = [encode_error(e) for e in entry.errors]
    return {"rules": [encode_rule(r) for r in entry.rules], "errors": errors,
            "correlated": entry.correlated}


def _decode(doc: dict[str, Any], path: str) -> _Entry:
    rules, errors = doc["rules"], doc["errors"]
    if not isinstance(rules, list) or not isinstance(errors, list):
        raise CodecError("malformed entry")
    found = _Entry([decode_rule(r, path) for r in rules], [], doc["correlated"] is True)
    found.errors.extend(decode_error(e, path) for e in errors)
    return found


def encode_error(error: RuleError) -> dict[str, object]:
    """A rule error as JSON: reason, rule id, line (kept, so a cached error still names
    it) and kind."""
    return {"reason": error.reason, "rule_id": error.rule_id, "line": error.line,
            "unsupported": isinstance(error, UnsupportedRuleError)}


def decode_error(value: Any, path: str) -> RuleError:
    """The error :func:`encode_error` stored, for the rule file at ``path``."""
    kind = UnsupportedRuleError if value["unsupported"] is True else RuleError
    rule_id, line = value["rule_id"], value.get("line")
    if line is not None and (isinstance(line, bool) or not isinstance(line, int)):
        raise CodecError("malformed error line")
    return kind(str(value["reason"]), path=path, line=line,
                rule_id=None if rule_id is None else str(rule_id))


def _choose(pipelines: Sequence[Pipeline], logsource: SigmaLogSource) -> Pipeline:
    """The first pipeline whose products name the rule's product, else the last."""
    return next((p for p in pipelines if logsource.product in p.products), pipelines[-1])


def _compile_file(path: Path, pipelines: Sequence[Pipeline]) -> _Entry:
    from sigma.correlations import SigmaCorrelationRule
    from sigma.rule import SigmaRule

    entry = _Entry()
    collection = _parse_file(path, entry.errors)
    for item in collection.rules if collection else ():
        if isinstance(item, SigmaCorrelationRule):
            entry.correlated = True
        elif item.errors:
            entry.errors.append(RuleError(str(item.errors[0]), path=path,
                                          rule_id=str(item.id) if item.id else None))
        elif isinstance(item, SigmaRule):
            try:
                entry.rules.append(compile_rule(item, _choose(pipelines, item.logsource)))
            except RuleError as exc:
                entry.errors.append(exc)
    return entry


def _key(data: bytes, pipelines: Sequence[Pipeline]) -> str:
    digest = hashlib.sha256(data)
    for pipeline in pipelines:
        digest.update(b"\0" + _fingerprint(pipeline).encode())
    digest.update(b"\0" + engine_version().encode())
    return digest.hexdigest()


_FINGERPRINTS: dict[int, tuple[Pipeline, str]] = {}


def _fingerprint(pipeline: Pipeline) -> str:
    """Fingerprints memoized per pipeline object (pipelines are built once, at import)."""
    found = _FINGERPRINTS.get(id(pipeline))
    if found is None or found[0] is not pipeline:
        found = _FINGERPRINTS[id(pipeline)] = (pipeline, fingerprint(pipeline))
    return found[1]


def compile_files(paths: Iterable[Path | str], pipeline: Pipeline | Sequence[Pipeline] = WINDOWS,
                  cache: RuleCache | None = None) -> FileCompilation:
    """Compile every rule file under ``paths``, reading and filling ``cache`` (default: a
    :class:`RuleCache` in :func:`cache_dir`).

    ``pipeline`` may be several: a rule compiles with the first whose products name its
    log source's product, else with the last.
    """
    pipelines = (pipeline,) if isinstance(pipeline, Pipeline) else tuple(pipeline)
    store = cache if cache is not None else RuleCache()
    rules: list[CompiledRule] = []
    errors: list[RuleError] = []
    compiled: list[Path] = []
    cached: list[Path] = []
    correlated: list[Path] = []
    for path in rule_files(paths):
        try:
            data = path.read_bytes()
        except OSError as exc:
            errors.append(RuleError(f"cannot read: {exc.strerror or exc}", path=path))
            continue
        key = _key(data, pipelines)
        entry = store.read(key, path)
        if entry is None:
            entry = _compile_file(path, pipelines)
            store.write(key, entry)
            compiled.append(path)
        else:
            cached.append(path)
        rules += entry.rules
        errors += entry.errors
        if entry.correlated:
            correlated.append(path)
    return FileCompilation(tuple(rules), tuple(errors), tuple(compiled), tuple(cached),
                           tuple(correlated))


__all__ = ["ENV", "FORMAT", "FileCompilation", "RuleCache", "cache_dir", "compile_files",
           "decode_error", "encode_error", "engine_version"]
