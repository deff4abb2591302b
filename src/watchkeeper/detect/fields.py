"""Fields a rule tests that its log source never has (a typo, or a rule for other logs).

Such a test never holds, so the rule silently never fires (or, under ``not``, always
does). Known fields: for ``product: watchkeeper`` rules the event class's columns
(``docs/schema.md``); for Windows ``process_creation`` the fields of Sysmon event 1 and
Security event 4688 as Sigma names them, plus the system fields. Other log sources are
not checked (their fields vary by provider).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule

from watchkeeper.detect.packtypes import PackRule
from watchkeeper.detect.sigma.normalized import CATEGORIES, PRODUCT
from watchkeeper.schema.events import class_spec

SYSTEM = ("EventID", "Channel", "Provider_Name", "Computer", "EventRecordID", "Level",
          "Task", "Opcode", "Keywords", "Version")
PROCESS_CREATION = (
    # Sysmon 1
    "RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "FileVersion", "Description",
    "Product", "Company", "OriginalFileName", "CommandLine", "CurrentDirectory", "User",
    "LogonGuid", "LogonId", "TerminalSessionId", "IntegrityLevel", "Hashes",
    "ParentProcessGuid", "ParentProcessId", "ParentImage", "ParentCommandLine", "ParentUser",
    # Security 4688 (beyond the fields the pipeline maps onto Sysmon's names)
    "SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId",
    "NewProcessId", "NewProcessName", "TokenElevationType", "TargetUserSid",
    "TargetUserName", "TargetDomainName", "TargetLogonId", "ParentProcessName",
    "MandatoryLabel", "Hash", "md5", "sha1", "sha256", "Imphash",
)


@dataclass(frozen=True)
class FieldWarning:
    """A field a rule tests that its log source never has."""

    rule_id: str
    path: str
    field: str
    logsource: str

    def __str__(self) -> str:
        return (f"{self.path}: rule {self.rule_id}: field {self.field!r} is never in "
                f"{self.logsource} events; the test on it never holds")


def known_fields(rule: SigmaRule) -> frozenset[str] | None:
    """Lower-cased field names the rule's log source has; None when not known."""
    return known_for(rule.logsource.product, rule.logsource.category)


def known_for(product: str | None, category: str | None) -> frozenset[str] | None:
    """Lower-cased field names of a log source (product, category); None when not known."""
    if product == PRODUCT and category in CATEGORIES:
        return frozenset(n.lower() for n in class_spec(category).schema.names)
    if product == "windows" and category == "process_creation":
        return frozenset(n.lower() for n in (*SYSTEM, *PROCESS_CREATION))
    return None


def field_warnings(rules: tuple[PackRule, ...]) -> list[FieldWarning]:
    """Per Sigma rule, each tested field its log source never has."""
    found: list[FieldWarning] = []
    for rule in rules:
        if rule.source is not None:
            product, category = rule.source.logsource.product, rule.source.logsource.category
            tested: tuple[str, ...] = tuple(tested_fields(rule.source))
        elif rule.sigma is not None and rule.fields is not None:  # served by the cache
            product, category = rule.sigma.logsource[0], rule.sigma.logsource[1]
            tested = rule.fields
        else:
            continue
        known = known_for(product, category)
        if known is None:
            continue
        where = "/".join(p for p in (product, category) if p)
        for name in dict.fromkeys(tested):
            if name.lower() not in known and name.split(".")[-1].lower() not in known:
                found.append(FieldWarning(rule.rule_id, str(rule.path), name, where))
    return found


def tested_fields(rule: SigmaRule) -> Iterator[str]:
    """The field names a rule's detections test (keywords have none)."""
    for detection in rule.detection.detections.values():
        yield from _fields(detection)


def _fields(item: SigmaDetection | SigmaDetectionItem) -> Iterator[str]:
    if isinstance(item, SigmaDetectionItem):
        if item.field:
            yield item.field
        return
    for child in item.detection_items:
        yield from _fields(child)


__all__ = ["FieldWarning", "field_warnings", "known_fields", "known_for", "tested_fields"]
