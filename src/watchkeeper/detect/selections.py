"""Each named selection of a Sigma rule compiled alone: what explaining a match runs.

A finding says which selections of its rule held (:mod:`.matched`); to know, each named
selection is compiled by the same compiler as the rule (the rule with ``condition:
<selection>``). That needs the parsed rule, so it is done when the rule file is parsed
(:mod:`.rulefile_parse`) and stored in the rule cache beside the file's entry
(:func:`~.rulefiles.read_selections`): explaining the matches of cached rules then parses
no rule file.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.detect.rulefiles import read_selections, write_selections
from watchkeeper.detect.sigma.cache import RuleCache
from watchkeeper.detect.sigma.compiler import CompiledRule, compile_rule
from watchkeeper.errors import RuleError

if TYPE_CHECKING:
    from sigma.rule import SigmaRule

    from watchkeeper.detect.packtypes import PackRule

#: Per named selection (in the rule's order), the selection compiled alone.
Selections = Mapping[str, CompiledRule]


def rule_selections(rules: Sequence[PackRule], cache: RuleCache | None = None,
                    ) -> list[tuple[CompiledRule, Selections]]:
    """Each Sigma rule of ``rules`` with its named selections compiled alone: from the rule
    loaded with it (parsed now), else from the rule cache, else its file parsed now (and
    the selections stored for the next run)."""
    store = cache if cache is not None else RuleCache()
    files: dict[Path, _File] = {}
    out: list[tuple[CompiledRule, Selections]] = []
    for rule in rules:
        if rule.sigma is None:
            continue
        if rule.source is not None:
            out.append((rule.sigma, selection_rules(rule.source, rule.sigma)))
            continue
        if rule.position is None:
            continue
        if rule.path not in files:
            files[rule.path] = _File(rule.path)
        found = files[rule.path].selections(rule.position, rule.sigma, store)
        if found is not None:
            out.append((rule.sigma, found))
    return out


class _File:
    """A rule file read once: its bytes, and its rules parsed from them when needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: bytes | None = path.read_bytes()
        except OSError:
            self.data = None
        self.parsed: list[Any] | None = None

    def selections(self, position: int, compiled: CompiledRule,
                   store: RuleCache) -> Selections | None:
        if self.data is None:
            return None
        found = read_selections(self.data, self.path, position, store)
        if found is not None:
            return {name: replace(rule, rule_id=compiled.rule_id)
                    for name, rule in found.items()}
        source = self._rule(position)
        if source is None:
            return None
        found = selection_rules(source, compiled)
        write_selections(self.data, position, found, store)
        return found

    def _rule(self, position: int) -> SigmaRule | None:
        from sigma.rule import SigmaRule

        from watchkeeper.detect.sigma.loader import parse_bytes

        if self.parsed is None:
            collection = parse_bytes(self.path, self.data or b"")
            self.parsed = list(collection.rules) if collection is not None else []
        item = self.parsed[position] if position < len(self.parsed) else None
        return item if isinstance(item, SigmaRule) else None


def selection_rules(rule: SigmaRule, compiled: CompiledRule) -> dict[str, CompiledRule]:
    """Each named selection of ``rule`` compiled alone (as ``condition: <name>``), under
    ``compiled``'s rule id; a selection the compiler cannot express alone is left out
    (left unexplained)."""
    from sigma.rule import SigmaDetections

    from watchkeeper.detect.sigma.normalized import pipeline_for

    pipeline = pipeline_for(rule.logsource)
    out: dict[str, CompiledRule] = {}
    for name in rule.detection.detections:
        alone = copy.copy(rule)
        alone.detection = SigmaDetections(detections=rule.detection.detections,
                                          condition=[name], source=rule.detection.source)
        try:
            out[name] = replace(compile_rule(alone, pipeline), rule_id=compiled.rule_id)
        except RuleError:
            continue
    return out


__all__ = ["Selections", "rule_selections", "selection_rules"]
