"""A rule set: plain Sigma rules as they come, and pack rules (Sigma and SQL) with
Watchkeeper metadata and golden tests.

Any Sigma rule file, folder or collection loads (SigmaHQ's layout or another's): a *plain*
Sigma rule needs nothing more; its id is its ``name``, else its ``id``, else its file
name, its severity its ``level`` and its ATT&CK techniques its ``tags``
(:mod:`.sigma_pack`). A rule that cannot run (YAML error, unsupported feature, no
log-source mapping) is listed in :attr:`Pack.errors` and left out; the others run.

A *pack* file (in the shipped pack, or carrying ``runbook`` or ``tests``) is held to
stricter checks. A file with a ``query:`` is a SQL rule (:mod:`.sql_rules`); any other
is a Sigma rule. Both carry the same metadata: ``name`` (the stable dotted rule id,
equal to the file name without ``.yml``; Sigma's own ``id`` stays a UUID), ``title``,
``level``, ``tags``, ``description``, ``falsepositives``, ``runbook`` and ``tests``::

    tests:
      base:                     # one base row per table, stored once
        web: {user: U1, host: PC-1, time: 2025-01-06T10:00:00Z, activity: visit, ...}
      background:               # history every case sees (optional)
        authentication: [{time: ...}, ...]
      positive:                 # each case must match at least once (or `expect` times)
        - name: upload to a leak site
          events: {web: [{domain: wikileaks.org, activity: upload}]}
      negative:                 # each case must not match
        - name: ordinary visit
          events: {web: [{}]}

Each row overrides the base row of its table. Errors name the file and the rule id.

A Sigma rule file may hold several YAML documents (a pySigma collection): the document
named like the file is the pack rule (it carries the metadata and tests); the others are
*helper* rules (a ``name`` and a detection, nothing else) that a correlation of the pack
refers to. Correlation rules (``correlation:``) refer to pack rules or helpers by ``name``
or ``id``; helpers never raise findings of their own.

``allow:`` (any rule) lists exceptions as data: matches that satisfy one entry's ``where``
are suppressed (:mod:`.allow`); a workspace may add its own in ``exceptions.yml``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from watchkeeper.detect.allow import (
    ALLOW_OPS,
    EXCEPTIONS_FILE,
    Allow,
    Condition,
    load_exceptions,
    parse_allow,
)
from watchkeeper.detect.packtypes import (
    DEFAULT_RULES,
    LEVELS,
    BaseRule,
    Correlation,
    GoldenTests,
    Pack,
    PackMeta,
    PackRule,
    Row,
    RuleMeta,
    TestCase,
    parse_meta,
    parse_tests,
)
from watchkeeper.detect.rulefiles import CacheStats, ReadFile, documents, read_files
from watchkeeper.detect.sigma.cache import RuleCache
from watchkeeper.detect.sigma.loader import rule_files
from watchkeeper.detect.sigma_pack import cached_rules, sigma_rules
from watchkeeper.detect.sql_rules import parse_sql_rule
from watchkeeper.errors import RuleError


def load_pack(paths: Iterable[Path | str] | None = None,
              cache: RuleCache | None = None) -> Pack:
    """Load, validate and compile every rule under ``paths`` (default: the shipped pack).

    Rules that cannot run are in ``errors``, never in ``rules``: a rule is reported or
    run, not both. Each file is parsed and compiled once and then served by the rule
    cache (default: :func:`~.sigma.cache.cache_dir`) until its bytes change
    (:mod:`.rulefiles`); ``Pack.cache`` counts the files parsed now and those served.
    """
    files = read_files(rule_files(list(paths) if paths is not None else [DEFAULT_RULES]),
                       cache)
    errors: list[RuleError] = []
    slow = _parsed_whole(files)
    docs: dict[Path, list[dict[str, Any]]] = {}
    for read in files:
        if read.entry.readable and (read.entry.query or read.path in slow or _is_pack(read)):
            found = read.docs if read.docs is not None else _documents(read.path, errors)
            if found is not None:
                docs[read.path] = found
    rules = [r for read in files if read.entry.query and read.path in docs
             if (r := _sql_rule(read.path, docs[read.path][0], errors)) is not None]
    sigma, helpers = sigma_rules([r.path for r in files if r.path in slow and r.path in docs],
                                 docs, errors)
    rules += sigma
    for read in files:
        if read.path in slow or read.entry.query:
            continue
        if not read.entry.readable:
            errors.extend(read.entry.errors)
        elif not _is_pack(read):
            rules += cached_rules(read, None, errors)
        elif read.path in docs:
            rules += cached_rules(read, docs[read.path][0], errors)
    return _checked(rules, errors, helpers, files, slow)


def _checked(rules: list[PackRule], errors: list[RuleError], helpers: Sequence[BaseRule],
             files: Sequence[ReadFile], slow: set[Path]) -> Pack:
    """The pack, after the set-wide checks (ids, helpers)."""
    rules.sort(key=lambda r: (r.rule_id, str(r.path)))
    checked = check_ids(rules)
    errors += checked
    bad = {(e.rule_id, e.path) for e in checked}
    rules = [r for r in rules if (r.rule_id, str(r.path)) not in bad]
    names = {r.rule_id for r in rules}
    errors += [RuleError("helper rule id is also a pack rule id", path=h.rule.path,
                         rule_id=h.rule.rule_id) for h in helpers if h.rule.rule_id in names]
    pack_files = frozenset(str(r.path) for r in files if _is_pack(r) or r.entry.query)
    parsed = sum(1 for r in files if not r.cached or r.path in slow)
    stats = CacheStats(len(files), len(files) - parsed, parsed)
    return Pack(tuple(rules), tuple(errors), tuple(helpers), pack_files, stats)


def _is_pack(read: ReadFile) -> bool:
    """Pack format: in the shipped pack, or a document carries ``runbook``/``tests``."""
    return read.entry.pack_keys or _shipped(str(read.path))


@lru_cache(maxsize=4096)
def _shipped(path: str) -> bool:
    """Whether the file lies in the shipped pack (links followed): the folder is resolved
    once per folder, the file only when it is a link."""
    real = os.path.realpath(path) if os.path.islink(path) else os.path.join(
        _real_folder(os.path.dirname(path)), os.path.basename(path))
    return Path(real).is_relative_to(DEFAULT_RULES)


@lru_cache(maxsize=1024)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder or ".")


def _parsed_whole(files: Sequence[ReadFile]) -> set[Path]:
    """Files the set parses with pySigma each time: those holding correlations, pack files
    with helpers, and the files of the rules correlations refer to."""
    slow = {r.path for r in files if r.entry.readable and not r.entry.query and (
        r.entry.correlated or (_is_pack(r) and r.entry.documents > 1))}
    wanted: set[str] = set()
    for read in files:
        if read.entry.correlated:
            found = read.docs if read.docs is not None else _documents(read.path, [])
            wanted.update(_references(found or []))
    return slow | {r.path for r in files if r.entry.references & wanted}


def _references(found: Sequence[dict[str, Any]]) -> set[str]:
    """The names and ids the correlations of a file's documents refer to."""
    refs: set[str] = set()
    for doc in found:
        body = doc.get("correlation")
        listed = body.get("rules") if isinstance(body, dict) else None
        refs.update(str(x) for x in ([listed] if isinstance(listed, str) else listed or ()))
    return refs


def _documents(path: Path, errors: list[RuleError]) -> list[dict[str, Any]] | None:
    """The YAML documents of a rule file; None (and an error naming the line) if unusable."""
    found, problems = documents(path)
    errors.extend(problems)
    return found


def _sql_rule(path: Path, doc: dict[str, Any], errors: list[RuleError]) -> PackRule | None:
    try:
        meta, tests = parse_meta(path, doc), parse_tests(path, doc)
        return PackRule(meta, tests, path, sql=parse_sql_rule(doc, path),
                        allow=parse_allow(doc.get("allow"), path, meta.name))
    except RuleError as exc:
        errors.append(exc)
        return None


def check_ids(rules: Sequence[PackRule]) -> list[RuleError]:
    """Set-wide checks: ids unique; a pack rule's id equal to its file name, and positive
    and negative cases."""
    errors: list[RuleError] = []
    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.plain:
            if rule.rule_id in seen:
                errors.append(RuleError(f"duplicate rule id (also in {seen[rule.rule_id]})",
                                        path=rule.path, rule_id=rule.rule_id))
            seen.setdefault(rule.rule_id, rule.path)
            continue
        if rule.path.stem != rule.rule_id:
            errors.append(RuleError(f"file name {rule.path.name!r} does not match the rule "
                                    f"id", path=rule.path, rule_id=rule.rule_id))
        if rule.rule_id in seen:
            errors.append(RuleError(f"duplicate rule id (also in {seen[rule.rule_id]})",
                                    path=rule.path, rule_id=rule.rule_id))
        seen.setdefault(rule.rule_id, rule.path)
        kinds = {c.positive for c in rule.tests.cases}
        if kinds != {True, False}:
            errors.append(RuleError("needs at least one positive and one negative test case",
                                    path=rule.path, rule_id=rule.rule_id))
    return errors


__all__ = ["ALLOW_OPS", "DEFAULT_RULES", "EXCEPTIONS_FILE", "LEVELS", "Allow", "BaseRule",
           "Condition", "Correlation", "GoldenTests", "Pack", "PackMeta", "PackRule",
           "Row", "RuleMeta", "TestCase", "check_ids", "load_exceptions", "load_pack",
           "parse_allow"]
